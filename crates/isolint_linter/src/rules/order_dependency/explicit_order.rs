use super::tests_of_file;
use crate::context::{FileContext, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::knowledge::{last_component, ORDER_MARKERS};
use isolint_python::model::{Role, ScopeId, ScopeKind, MODULE_SCOPE};
use isolint_python::source::Span;
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, named_children, CallArgs};
use tree_sitter::Node;

/// ISO401: tests that ask for an order (`pytest.mark.order`, `dependency(depends=...)`,
/// `incremental` classes, a collection hook sorting by a marker).
pub struct ExplicitOrder;

static META: RuleMeta = RuleMeta {
    code: "ISO401",
    name: "explicit-order",
    category: Category::OrderDependency,
    severity: Severity::Warning,
    effort: Effort::Moderate,
    shared_effort: Effort::Moderate,
    summary: "Tests declare an order or a dependency on other tests",
    doc: include_str!("../../../../../rules/ISO401-explicit-order.md"),
};

const FIX: &str = "make each test set up what it needs (a fixture) so the order does not matter; if the sequence must stay, keep it on one worker with `@pytest.mark.xdist_group(\"name\")` and run xdist with `--dist loadgroup`";

/// The marker an expression applies, when it is an ordering one: `pytest.mark.order(2)`.
fn order_marker<'t>(
    expr: Node<'t>,
    scope: ScopeId,
    ctx: &FileContext<'_, 't>,
) -> Option<&'static str> {
    let (callee, call) = if kind_of(expr) == kind::CALL {
        (ctx.model.callee(expr)?, Some(expr))
    } else {
        (expr, None)
    };
    if kind_of(callee) != kind::ATTRIBUTE {
        return None;
    }
    let name = last_component(ctx.text(callee));
    let marker = ORDER_MARKERS.iter().find(|m| **m == name)?;
    let object = ctx.model.attribute_parts(callee).0?;
    if !ctx.text(object).ends_with("mark")
        || !ctx
            .model
            .qualified_name(object, scope)
            .is_some_and(|q| q == "pytest.mark" || q == "_pytest.mark")
    {
        return None;
    }
    // `dependency()` alone only names a test others may depend on.
    if *marker == "dependency" {
        let args = CallArgs::of(call?, ctx.source());
        args.keyword("depends")?;
    }
    Some(marker)
}

fn has_group_marker(scope: ScopeId, ctx: &FileContext) -> bool {
    ctx.model
        .markers_of(scope)
        .iter()
        .any(|m| m.name == "xdist_group")
}

impl Rule for ExplicitOrder {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::DECORATOR, kind::ASSIGNMENT, kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        match kind_of(node) {
            kind::DECORATOR => {
                let Some(expr) = named_children(node).next() else {
                    return;
                };
                let Some(marker) = order_marker(expr, scope, ctx) else {
                    return;
                };
                let Some(definition) = node
                    .parent()
                    .and_then(|d| d.child_by_field_id(field::DEFINITION.id()))
                else {
                    return;
                };
                let Some(decorated) = ctx.model.scope_defined_by(definition) else {
                    return;
                };
                if has_group_marker(decorated, ctx) {
                    return;
                }
                let (_, owner) = ctx.owner_of(decorated);
                if !matches!(owner.role, Role::Test | Role::ClassBody) {
                    return;
                }
                report(ctx, expr, marker, owner, None);
            }
            kind::ASSIGNMENT => {
                let Some(left) = node.child_by_field_id(field::LEFT.id()) else {
                    return;
                };
                if ctx.text(left) != "pytestmark" || has_group_marker(scope, ctx) {
                    return;
                }
                let Some(right) = node.child_by_field_id(field::RIGHT.id()) else {
                    return;
                };
                let items: Vec<Node> = match kind_of(right) {
                    kind::LIST | kind::TUPLE => named_children(right).collect(),
                    _ => vec![right],
                };
                for item in items {
                    if let Some(marker) = order_marker(item, scope, ctx) {
                        let (_, owner) = ctx.owner_of(scope);
                        let tests = (scope == MODULE_SCOPE).then(|| tests_of_file(ctx));
                        report(ctx, item, marker, owner, tests);
                    }
                }
            }
            _ => check_sorting_hook(node, scope, ctx),
        }
    }
}

fn report(
    ctx: &mut FileContext,
    at: Node,
    marker: &str,
    owner: crate::context::Owner,
    tests: Option<Vec<String>>,
) {
    let subject = match owner.role {
        Role::Test => format!("test `{}`", owner.function),
        Role::ClassBody => format!("the tests of `{}`", owner.classes.join(".")),
        _ => "the tests of this module".to_string(),
    };
    let what = match marker {
        "dependency" => {
            "depend on other tests having passed (`pytest.mark.dependency(depends=...)`)"
                .to_string()
        }
        "incremental" => "run as an incremental sequence (`pytest.mark.incremental`)".to_string(),
        other => format!("ask for a place in the run order (`pytest.mark.{other}`)"),
    };
    let site = owner.site();
    ctx.report(Finding {
        rule: &META,
        span: Span::of(at),
        message: format!("{subject} {what}; pytest-xdist spreads tests over workers and keeps no order between them, and random-order plugins shuffle them"),
        fix: FIX.to_string(),
        owner,
        related: Vec::new(),
        related_elsewhere: Vec::new(),
        resource: Some(format!("order:{marker}")),
        site,
        tests,
    });
}

/// `items.sort(key=...)` in `pytest_collection_modifyitems` by an ordering marker.
fn check_sorting_hook(node: Node, scope: ScopeId, ctx: &mut FileContext) {
    // Only the hook sorts the collected items: other calls stop at their owner's name.
    let owner_id = ctx.model.owner(scope);
    let hook = &ctx.model.scopes[owner_id];
    if owner_id == MODULE_SCOPE
        || hook.kind != ScopeKind::Function
        || hook.name != "pytest_collection_modifyitems"
    {
        return;
    }
    let Some(callee) = ctx.model.callee(node) else {
        return;
    };
    if !matches!(last_component(ctx.text(callee)), "sort" | "sorted") {
        return;
    }
    let (_, owner) = ctx.owner_of(scope);
    let Some(args) = ctx.model.arguments(node) else {
        return;
    };
    let args_text = ctx.text(args);
    let by_order = ORDER_MARKERS
        .iter()
        .any(|m| args_text.contains(&format!("\"{m}\"")) || args_text.contains(&format!("'{m}'")))
        || args_text.contains("order");
    if !by_order {
        return;
    }
    let site = owner.site();
    ctx.report(Finding {
        rule: &META,
        span: Span::of(node),
        message: "`pytest_collection_modifyitems` sorts the tests into an intended order; pytest-xdist hands them to workers in chunks and keeps no order between workers".to_string(),
        fix: FIX.to_string(),
        owner,
        related: Vec::new(),
        related_elsewhere: Vec::new(),
        resource: Some("order:hook".to_string()),
        site,
        tests: Some(Vec::new()),
    });
}
