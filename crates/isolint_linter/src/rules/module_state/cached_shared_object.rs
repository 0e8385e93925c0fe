use crate::context::{FileContext, Finding};
use crate::diagnostic::{Effort, FixSite, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::knowledge::last_component;
use isolint_python::model::{BindingValue, Role, ScopeId, MODULE_SCOPE};
use isolint_python::source::Span;
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, named_children, unparenthesize};
use tree_sitter::Node;

/// ISO305: a cached function or hand-rolled singleton in test code hands every test the same
/// mutable object.
pub struct CachedSharedObject;

static META: RuleMeta = RuleMeta {
    code: "ISO305",
    name: "cached-shared-object",
    category: Category::ModuleState,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "A cached function or singleton in test code hands every test the same mutable object",
    doc: include_str!("../../../../../rules/ISO305-cached-shared-object.md"),
};

impl Rule for CachedSharedObject {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::FUNCTION_DEFINITION]
    }

    fn check_node(&self, node: Node, _scope: ScopeId, ctx: &mut FileContext) {
        if !(ctx.file.pytest_module || ctx.file.is_conftest) {
            return;
        }
        let model = ctx.model;
        let Some(function) = model.scope_defined_by(node) else {
            return;
        };
        let Some(returned) = model.scopes[function].returned.map(unparenthesize) else {
            return;
        };
        let cache = model.scopes[function].decorators.iter().find_map(|d| {
            let expr = named_children(*d).next()?;
            let callee = if kind_of(expr) == kind::CALL {
                expr.child_by_field_id(field::FUNCTION.id())?
            } else {
                expr
            };
            let name = model.qualified_name(callee, MODULE_SCOPE)?;
            matches!(
                last_component(&name),
                "lru_cache" | "cache" | "cached_property"
            )
            .then(|| (*d, last_component(&name).to_string()))
        });
        let how = match cache {
            Some((_, decorator)) if mutable_result(ctx, returned, function) => {
                format!("`@{decorator}` returns the same object to every caller")
            }
            None if singleton(ctx, function, returned) => {
                "it keeps its first result in a module global and returns it to every caller"
                    .to_string()
            }
            _ => return,
        };
        let name = model.scopes[function].name;
        let (_, owner) = ctx.owner_of(function);
        if owner.role == Role::Fixture {
            // A fixture's value is cached by its scope: ISO6xx judges that.
            return;
        }
        ctx.report(Finding {
            rule: &META,
            span: model.span_of_name(function),
            message: format!(
                "`{name}` hands out one shared mutable object: {how}, so a test that changes it changes it for every later test in the worker"
            ),
            fix: format!(
                "build a fresh object per test in a function-scoped fixture, or return a copy from `{name}`"
            ),
            owner,
            related: vec![(Span::of(returned), "this object is shared".to_string())],
            related_elsewhere: Vec::new(),
            resource: Some(format!("cache:{name}")),
            site: FixSite::Helper,
            tests: None,
        });
    }
}

/// A container literal or an object built by a call (not a string, number or tuple).
fn mutable_result(ctx: &FileContext, returned: Node, function: ScopeId) -> bool {
    match kind_of(returned) {
        kind::LIST | kind::DICTIONARY | kind::SET => true,
        kind::CALL => returned
            .child_by_field_id(field::FUNCTION.id())
            .is_some_and(|callee| {
                !isolint_python::knowledge::IMMUTABLE_FACTORIES
                    .contains(&last_component(ctx.text(callee)))
            }),
        kind::IDENTIFIER => ctx
            .model
            .lookup(ctx.text(returned), function, returned.start_byte())
            .is_some_and(|(_, b)| match b.value {
                BindingValue::Expr(v) => {
                    v.id() != returned.id() && mutable_result(ctx, unparenthesize(v), function)
                }
                _ => false,
            }),
        _ => false,
    }
}

/// `_instance = None` at module level, then `global _instance; _instance = X(); return _instance`.
fn singleton(ctx: &FileContext, function: ScopeId, returned: Node) -> bool {
    let model = ctx.model;
    if kind_of(returned) != kind::IDENTIFIER {
        return false;
    }
    let name = ctx.text(returned);
    if !model.scopes[function].globals.contains(&name) {
        return false;
    }
    let bindings = &model.scopes[MODULE_SCOPE].bindings;
    bindings.get(name).is_some_and(|list| {
        list.iter()
            .any(|b| matches!(b.value, BindingValue::Expr(v) if kind_of(v) == kind::NONE))
            && list.iter().any(|b| {
                matches!(b.value, BindingValue::Expr(v) if mutable_result(ctx, unparenthesize(v), function))
            })
    })
}
