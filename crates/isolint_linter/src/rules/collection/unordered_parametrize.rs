use crate::context::{FileContext, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::knowledge::{last_component, UNORDERED_LISTINGS, VARYING_VALUE_PREFIXES};
use isolint_python::model::{BindingValue, Role, ScopeId};
use isolint_python::source::Span;
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, named_children, unparenthesize};
use tree_sitter::Node;

/// ISO701: parameters whose order or ids differ between worker processes.
pub struct UnorderedParametrize;

static META: RuleMeta = RuleMeta {
    code: "ISO701",
    name: "unordered-parametrize",
    category: Category::Collection,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "Parameters come from a set, an unsorted listing or random values, so workers collect different tests",
    doc: include_str!("../../../../../rules/ISO701-unordered-parametrize.md"),
};

/// How deep names are followed to the expression they are bound to.
const MAX_DEPTH: usize = 4;

/// Why an expression's items come in an order (or with values) that differ between processes.
fn unordered(
    expr: Node,
    scope: ScopeId,
    ctx: &FileContext,
    depth: usize,
) -> Option<(Span, String)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let expr = unparenthesize(expr);
    let model = ctx.model;
    match kind_of(expr) {
        kind::SET | kind::SET_COMPREHENSION => (!hash_stable_items(expr, ctx)).then(|| {
            (
                Span::of(expr),
                "a set, whose order depends on each process's hash seed".to_string(),
            )
        }),
        kind::CALL => {
            let callee = ctx.model.callee(expr)?;
            let last = last_component(ctx.text(callee));
            let args = ctx.model.call_args(expr);
            match last {
                "sorted" => None,
                "set" | "frozenset" => {
                    let items = args.positional.first().copied();
                    if items.is_some_and(|i| hash_stable_items(i, ctx)) {
                        return None;
                    }
                    Some((
                        Span::of(expr),
                        format!("`{last}(...)`, whose order depends on each process's hash seed"),
                    ))
                }
                "list" | "tuple" | "enumerate" => {
                    unordered(*args.positional.first()?, scope, ctx, depth + 1)
                }
                _ if UNORDERED_LISTINGS.contains(&last) => {
                    // `Path.glob`, `iterdir`, `os.listdir`, `glob.glob`: the file system's order.
                    let qualified = model.qualified_name(callee, scope);
                    let known = qualified.as_deref().is_none_or(|q| {
                        q.starts_with("os.")
                            || q.starts_with("glob.")
                            || !q.contains('.')
                            || kind_of(callee) == kind::ATTRIBUTE
                    });
                    known.then(|| {
                        (
                            Span::of(expr),
                            format!(
                                "`{}` without `sorted()`, in the file system's order",
                                ctx.text(callee)
                            ),
                        )
                    })
                }
                _ => varying_value(expr, scope, ctx, false),
            }
        }
        kind::IDENTIFIER => {
            let (bound_in, binding) = model.lookup(ctx.text(expr), scope, expr.start_byte())?;
            match binding.value {
                BindingValue::Expr(value) => unordered(value, bound_in, ctx, depth + 1),
                _ => None,
            }
        }
        kind::BINARY_OPERATOR => {
            let left = expr.child_by_field_id(field::LEFT.id())?;
            let operator = expr
                .child_by_field_id(field::OPERATOR.id())
                .map(|o| ctx.text(o));
            matches!(operator, Some("|" | "&" | "-" | "^"))
                .then(|| unordered(left, scope, ctx, depth + 1))
                .flatten()
        }
        "list_comprehension" | "generator_expression" => {
            // `[p.name for p in folder.iterdir()]` keeps the listing's order; values made with
            // `random`/`uuid` in the element change per process.
            named_children(expr)
                .filter(|c| kind_of(c) == "for_in_clause")
                .find_map(|clause| {
                    unordered(
                        clause.child_by_field_id(field::RIGHT.id())?,
                        scope,
                        ctx,
                        depth + 1,
                    )
                })
                .or_else(|| varying_value(expr, scope, ctx, false))
        }
        kind::LIST | kind::TUPLE => varying_value(expr, scope, ctx, false),
        _ => None,
    }
}

/// A set whose items all hash the same in every process: integers, booleans, `None`, a
/// `range(...)`.
fn hash_stable_items(items: Node, ctx: &FileContext) -> bool {
    let items = unparenthesize(items);
    if kind_of(items) == kind::CALL {
        return ctx
            .model
            .callee(items)
            .is_some_and(|f| ctx.text(f) == "range");
    }
    matches!(kind_of(items), kind::SET | kind::LIST | kind::TUPLE)
        && named_children(items).all(|item| {
            matches!(
                kind_of(item),
                kind::INTEGER | kind::TRUE | kind::FALSE | kind::NONE
            )
        })
}

/// A call of `random`, `uuid`, `time`, `datetime.now` or `secrets` inside an expression (bounded
/// walk of the expression only).
fn varying_value(
    expr: Node,
    scope: ScopeId,
    ctx: &FileContext,
    in_ids: bool,
) -> Option<(Span, String)> {
    let mut stack = vec![expr];
    let mut seen = 0usize;
    while let Some(node) = stack.pop() {
        seen += 1;
        if seen > 4096 {
            return None;
        }
        if kind_of(node) == kind::CALL {
            if let Some(callee) = ctx.model.callee(node) {
                let written = ctx.text(callee);
                let hint = [
                    "random", "uuid", "time", "now", "today", "secrets", "urandom",
                ]
                .iter()
                .any(|w| written.contains(w));
                if hint {
                    if let Some(q) = ctx.model.qualified_name(callee, scope) {
                        // A `UUID` or `datetime` value gets an index id (`x0`); only in ids
                        // (or turned into text there) does it change the test's name.
                        let object_value = q.starts_with("uuid.") || q.starts_with("datetime.");
                        // `random.Random(0)` builds a seeded generator: the same in every process.
                        let constructor = last_component(&q).starts_with(char::is_uppercase);
                        if VARYING_VALUE_PREFIXES.iter().any(|p| q.starts_with(p))
                            && (in_ids || !object_value)
                            && !constructor
                        {
                            return Some((
                                Span::of(node),
                                format!("`{written}(...)`, a different value in each process"),
                            ));
                        }
                    }
                }
            }
        }
        stack.extend(named_children(node));
    }
    None
}

impl Rule for UnorderedParametrize {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        let Some(callee) = ctx.model.callee(node) else {
            return;
        };
        let written = ctx.text(callee);
        let last = last_component(written);
        if !matches!(last, "parametrize" | "fixture") {
            return;
        }
        let args = ctx.model.call_args(node);
        let (values, what) = match last {
            "parametrize" => (args.get(1, "argvalues"), "parametrize values"),
            _ => (args.keyword("params"), "fixture params"),
        };
        // `pytest.mark.parametrize`, `metafunc.parametrize` in `pytest_generate_tests`,
        // `pytest.fixture(params=...)`.
        let known = match last {
            "fixture" => ctx
                .model
                .qualified_name(callee, scope)
                .is_some_and(|q| q == "pytest.fixture" || q.ends_with("pytest_asyncio.fixture")),
            _ => written.ends_with("mark.parametrize") || written == "metafunc.parametrize",
        };
        if !known {
            return;
        }
        let found = values
            .and_then(|v| unordered(v, scope, ctx, 0).map(|f| (v, f)))
            .or_else(|| {
                args.keyword("ids")
                    .and_then(|ids| varying_value(ids, scope, ctx, true).map(|f| (ids, f)))
            });
        let Some((argument, (source_span, why))) = found else {
            return;
        };
        let at = Span::of(argument);
        // Followed through a name: show where the values are made.
        let related = if source_span.start >= at.start && source_span.end <= at.end {
            Vec::new()
        } else {
            vec![(source_span, "the values are made here".to_string())]
        };
        let (owner_id, owner) = ctx.owner_of(scope);
        let tests = match owner.role {
            Role::Test | Role::Fixture | Role::Hook => None,
            // A decorator sits in the scope around the test it marks.
            _ => decorated_test(node, ctx)
                .map(|id| vec![crate::rules::order_dependency::test_node_id(id, ctx)]),
        };
        let _ = owner_id;
        let site = owner.site();
        ctx.report(Finding {
            rule: &META,
            span: at,
            message: format!("the {what} come from {why}: each xdist worker collects its own list, and pytest-xdist stops with \"Different tests were collected between gw0 and gw1\" when they differ"),
            fix: "wrap the values in `sorted(...)` (a list literal keeps its order), and build ids from stable values".to_string(),
            owner,
            related,
            related_elsewhere: Vec::new(),
            resource: Some("collection".to_string()),
            site,
            tests,
        });
    }
}

/// The test a `@pytest.mark.parametrize(...)` decorator marks.
fn decorated_test(call: Node, ctx: &FileContext) -> Option<ScopeId> {
    let decorator = call.parent().filter(|p| kind_of(p) == kind::DECORATOR)?;
    let definition = decorator
        .parent()?
        .child_by_field_id(field::DEFINITION.id())?;
    ctx.model
        .scope_defined_by(definition)
        .filter(|id| ctx.model.scopes[*id].role == Role::Test)
}
