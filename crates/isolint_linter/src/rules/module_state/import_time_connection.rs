use crate::context::{FileContext, Finding};
use crate::diagnostic::{Effort, FixSite, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::knowledge::IMPORT_TIME_CONNECTIONS;
use isolint_python::model::{ScopeId, MODULE_SCOPE};
use isolint_python::source::Span;
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, unparenthesize};
use tree_sitter::Node;

/// ISO304: a connection, client, engine or server created when a test module or conftest is
/// imported.
pub struct ImportTimeConnection;

static META: RuleMeta = RuleMeta {
    code: "ISO304",
    name: "import-time-connection",
    category: Category::ModuleState,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "A connection, client or server is created at import time of a test module",
    doc: include_str!("../../../../../rules/ISO304-import-time-connection.md"),
};

impl Rule for ImportTimeConnection {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::ASSIGNMENT]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        if scope != MODULE_SCOPE || !(ctx.file.pytest_module || ctx.file.is_conftest) {
            return;
        }
        let Some(value) = node
            .child_by_field_id(field::RIGHT.id())
            .map(unparenthesize)
        else {
            return;
        };
        if kind_of(value) != kind::CALL {
            return;
        }
        let Some(callee) = value.child_by_field_id(field::FUNCTION.id()) else {
            return;
        };
        let Some(qualified) = ctx.model.qualified_name(callee, scope) else {
            return;
        };
        if !IMPORT_TIME_CONNECTIONS.contains(&qualified.as_str()) {
            return;
        }
        let name = node
            .child_by_field_id(field::LEFT.id())
            .map(|l| ctx.text(l).to_string())
            .unwrap_or_default();
        let (_, owner) = ctx.owner_of(scope);
        ctx.report(Finding {
            rule: &META,
            span: Span::of(value),
            message: format!(
                "`{name}` is created by `{qualified}` when the module is imported: every test in the worker shares it, it opens during collection (even for tests that never use it) and nothing closes it"
            ),
            fix: format!(
                "create `{name}` in a fixture that yields it and closes it afterwards (scope it to the session if it is costly)"
            ),
            owner,
            related: Vec::new(),
            related_elsewhere: Vec::new(),
            resource: Some(format!("connection:{qualified}")),
            site: FixSite::Module,
            tests: None,
        });
    }
}
