use crate::context::{FileContext, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::model::{BindingValue, Role, ScopeId};
use isolint_python::source::Span;
use isolint_python::syntax::kind;
use isolint_python::syntax::kind_of;
use tree_sitter::Node;

/// ISO403: a test calls another test (or uses its return value).
pub struct TestCallsTest;

static META: RuleMeta = RuleMeta {
    code: "ISO403",
    name: "test-calls-test",
    category: Category::OrderDependency,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "A test calls another test function",
    doc: include_str!("../../../../../rules/ISO403-test-calls-test.md"),
};

/// The test function a callee names: `test_create` of the module, or `self.test_create` of the
/// same class.
fn called_test(callee: Node, scope: ScopeId, ctx: &FileContext) -> Option<ScopeId> {
    let model = ctx.model;
    match kind_of(callee) {
        kind::IDENTIFIER => {
            let (_, binding) = model.lookup(ctx.text(callee), scope, callee.start_byte())?;
            let BindingValue::Def(definition) = binding.value else {
                return None;
            };
            model.scope_defined_by(definition)
        }
        kind::ATTRIBUTE => {
            let object = ctx.model.attribute_parts(callee).0?;
            if !matches!(ctx.text(object), "self" | "cls") {
                return None;
            }
            let class = model.class_of_method(scope)?;
            let name = ctx.text(ctx.model.attribute_parts(callee).1?);
            ctx.functions_named(name)
                .iter()
                .copied()
                .find(|id| model.scopes[*id].parent == Some(class))
        }
        _ => None,
    }
    .filter(|id| model.scopes[*id].role == Role::Test)
}

impl Rule for TestCallsTest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        // Only a test's own calls of a name or of `self.`/`cls.` can run another test: decided
        // from the owner's role and the callee's text before any name is looked up.
        if ctx.model.scopes[ctx.model.owner(scope)].role != Role::Test {
            return;
        }
        let Some(callee) = ctx.model.callee(node) else {
            return;
        };
        let written = ctx.text(callee);
        let may_name_test = match kind_of(callee) {
            kind::IDENTIFIER => true,
            kind::ATTRIBUTE => written.starts_with("self") || written.starts_with("cls"),
            _ => false,
        };
        if !may_name_test {
            return;
        }
        let name = isolint_python::knowledge::last_component(written);
        if !ctx
            .functions_named(name)
            .iter()
            .any(|id| ctx.model.scopes[*id].role == Role::Test)
        {
            return;
        }
        let (owner_id, owner) = ctx.owner_of(scope);
        let Some(called) = called_test(callee, scope, ctx) else {
            return;
        };
        if called == owner_id {
            return;
        }
        let called_name = ctx.model.scopes[called].name;
        let site = owner.site();
        ctx.report(Finding {
            rule: &META,
            span: Span::of(node),
            message: format!(
                "test `{}` calls test `{called_name}`: it repeats that test's steps and assertions and, when `{called_name}` leaves state behind, the two depend on each other's order",
                owner.function
            ),
            fix: format!("move the shared steps of `{called_name}` into a helper function or a fixture that both tests use"),
            related: vec![(ctx.model.span_of_name(called), format!("`{called_name}` is a test pytest also runs on its own"))],
            owner,
            related_elsewhere: Vec::new(),
            resource: Some(format!("test:{called_name}")),
            site,
            tests: None,
        });
    }
}
