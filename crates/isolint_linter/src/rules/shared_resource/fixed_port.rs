use super::{report_kind, ResourceKind};
use crate::context::FileContext;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::model::ScopeId;
use isolint_python::syntax::kind;
use tree_sitter::Node;

/// ISO204: Test code listens on a fixed port.
pub struct FixedPort;

static META: RuleMeta = RuleMeta {
    code: "ISO204",
    name: "fixed-port",
    category: Category::SharedResourceName,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code listens on a fixed port",
    doc: include_str!("../../../../../rules/ISO204-fixed-port.md"),
};

impl Rule for FixedPort {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        report_kind(&META, ResourceKind::Port, node, scope, ctx);
    }
}
