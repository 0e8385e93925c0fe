use crate::context::{FileContext, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::{ProjectView, Rule};
use isolint_python::knowledge::last_component;
use isolint_python::model::{string_value, Role, ScopeId, ScopeKind, MODULE_SCOPE};
use isolint_python::source::Span;
use isolint_python::syntax::{
    enclosing_with_contexts, field, kind, named_children, unparenthesize, CallArgs,
};
use tree_sitter::Node;

/// ISO501: `os.environ` changed in test code and never restored.
pub struct EnvironLeak;

static META: RuleMeta = RuleMeta {
    code: "ISO501",
    name: "environ-leak",
    category: Category::MissingCleanup,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "Test code changes os.environ without restoring it",
    doc: include_str!("../../../../../rules/ISO501-environ-leak.md"),
};

/// One change to the process environment.
#[derive(Debug, Clone)]
struct EnvChange {
    /// The variable, when the key is a literal.
    key: Option<String>,
    /// Every variable named, for the message (`update({"A": .., "B": ..})` names two).
    names: Vec<String>,
    kind: ChangeKind,
    what: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChangeKind {
    /// Sets a variable.
    Set,
    /// Removes a variable or clears the environment: a leak of its own, or the undoing of a set.
    Remove,
    /// Puts back a saved value or snapshot (`os.environ = saved`, `update(saved)`, `[K] = old`).
    Restore,
}

impl Rule for EnvironLeak {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[
            kind::ASSIGNMENT,
            kind::AUGMENTED_ASSIGNMENT,
            kind::DELETE_STATEMENT,
            kind::CALL,
        ]
    }

    /// A variable that a fixture of every test resets (an autouse `monkeypatch.delenv` in the root
    /// conftest) cannot leak from one test into the next.
    fn holds_in_project(&self, finding: &Finding, project: &ProjectView) -> bool {
        let resets = &project.env_reset_before_every_test;
        if resets.contains("*") {
            return false;
        }
        let names = finding
            .resource
            .as_deref()
            .and_then(|r| r.strip_prefix("env:"))
            .unwrap_or("*");
        !names
            .split(',')
            .all(|name| name != "*" && resets.contains(name))
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        let Some(change) = env_change(node, scope, ctx) else {
            return;
        };
        let (owner_id, owner) = ctx.owner_of(scope);
        let model = ctx.model;
        let flagged_role = match owner.role {
            Role::Test | Role::Setup => true,
            Role::Fixture => {
                !(owner.fixture_autouse && owner.fixture_scope.as_deref() == Some("session"))
            }
            // A helper of a test module acts for the tests that call it; the project stage drops
            // it when no test does.
            Role::Helper => ctx.file.pytest_module || !model.unittest_classes.is_empty(),
            _ => false,
        };
        if !flagged_role || change.kind == ChangeKind::Restore {
            return;
        }
        let after_yield = model.scopes[owner_id]
            .yield_at
            .is_some_and(|y| node.start_byte() > y);
        // A fixture that removes a variable before its test resets it: that guards the test.
        let fixture_reset = owner.role == Role::Fixture && change.kind == ChangeKind::Remove;
        if after_yield
            || fixture_reset
            || change.kind == ChangeKind::Remove && undoes_earlier_set(node, &change, owner_id, ctx)
            || change.kind == ChangeKind::Set && repeats_earlier_set(node, &change, owner_id, ctx)
        {
            return;
        }
        if inside_env_guard(node, ctx, scope) || decorated_with_env_guard(owner_id, ctx) {
            return;
        }
        if is_restored(node, &change, owner_id, ctx) {
            return;
        }

        let quoted: Vec<String> = change.names.iter().map(|n| format!("'{n}'")).collect();
        let subject = match quoted.as_slice() {
            [] => "the process environment".to_string(),
            [one] => format!("the environment variable {one}"),
            [init @ .., last] => {
                format!("the environment variables {} and {last}", init.join(", "))
            }
        };
        let who = match owner.role {
            Role::Test => "test".to_string(),
            Role::Helper => format!("helper `{}`", owner.function),
            Role::Fixture => format!("fixture `{}`", owner.fixture.as_deref().unwrap_or("")),
            _ => format!("`{}`", owner.function),
        };
        let message = format!(
            "{who} {} {subject} and never restores {}; later tests in the same worker see the change",
            change.what,
            if change.names.len() > 1 { "them" } else { "it" }
        );
        // The fix names every variable the statement changes: fixing only the first leaves the leak.
        let keys: Vec<&str> = if change.names.is_empty() {
            vec!["NAME"]
        } else {
            change.names.iter().map(String::as_str).collect()
        };
        let calls = |method: &str, rest: &str| -> String {
            keys.iter()
                .map(|k| format!("`monkeypatch.{method}(\"{k}\"{rest})`"))
                .collect::<Vec<_>>()
                .join(" and ")
        };
        let dict = keys
            .iter()
            .map(|k| format!("\"{k}\": ..."))
            .collect::<Vec<_>>()
            .join(", ");
        let fix = if owner.unittest {
            format!("use `self.enterContext(mock.patch.dict(os.environ, {{{dict}}}))` (or `mock.patch.dict` as a decorator), which restores the environment after the test")
        } else if owner.role == Role::Setup && model.class_of_method(owner_id).is_some() {
            format!(
                "replace `{}` with an autouse fixture of the class that calls {}",
                owner.function,
                calls("setenv", ", ...")
            )
        } else if owner.role == Role::Fixture
            && owner
                .fixture_scope
                .as_deref()
                .is_some_and(|s| s != "function")
        {
            format!("yield inside `with mock.patch.dict(os.environ, {{{dict}}}):` so the change is undone when the fixture's scope ends")
        } else if change.what.starts_with("removes") || change.what.starts_with("clears") {
            format!(
                "take the `monkeypatch` fixture and call {}",
                calls("delenv", ", raising=False")
            )
        } else {
            format!(
                "take the `monkeypatch` fixture and call {}",
                calls("setenv", ", ...")
            )
        };
        let site = owner.site();
        let autofix = crate::fix::environ::fix(node, owner_id, &owner, model);
        ctx.offer_fix(&META, Span::of(node), autofix);
        ctx.report(Finding {
            rule: &META,
            span: Span::of(node),
            message,
            fix,
            owner,
            related: Vec::new(),
            related_elsewhere: Vec::new(),
            resource: Some(format!(
                "env:{}",
                if change.names.is_empty() {
                    "*".to_string()
                } else {
                    change.names.join(",")
                }
            )),
            site,
            tests: None,
        });
    }
}

/// Last names of the calls that change the environment.
const ENV_METHODS: &[&str] = &[
    "update",
    "pop",
    "popitem",
    "clear",
    "setdefault",
    "__setitem__",
    "__delitem__",
    "putenv",
    "unsetenv",
];

/// `os.environ` (or `environ` imported from os) as an expression.
fn is_environ(node: Node, scope: ScopeId, ctx: &FileContext) -> bool {
    ctx.model.qualified_name(node, scope).as_deref() == Some("os.environ")
}

/// The variable a key expression names: a literal, or a name bound to one (`key = "X"`, a
/// parameter default).
fn literal_key(node: Option<Node>, scope: ScopeId, ctx: &FileContext) -> Option<String> {
    let node = node?;
    string_value(node, ctx.source())
        .or_else(|| ctx.eval.eval(node, scope).as_str().map(String::from))
}

/// The environment change a node makes, if any.
fn env_change(node: Node, scope: ScopeId, ctx: &FileContext) -> Option<EnvChange> {
    match node.kind() {
        kind::ASSIGNMENT | kind::AUGMENTED_ASSIGNMENT => {
            let left = node.child_by_field_id(field::LEFT.id())?;
            let right = node.child_by_field_id(field::RIGHT.id());
            if left.kind() == kind::SUBSCRIPT
                && is_environ(left.child_by_field_id(field::VALUE.id())?, scope, ctx)
            {
                let key = literal_key(left.child_by_field_id(field::SUBSCRIPT.id()), scope, ctx);
                // Assigning back a value saved from the environment is what a restore looks like.
                let restores = node.kind() == kind::ASSIGNMENT
                    && right.is_some_and(|r| is_saved_env_value(r, scope, ctx));
                let kind = if restores {
                    ChangeKind::Restore
                } else {
                    ChangeKind::Set
                };
                return Some(EnvChange {
                    names: key.iter().cloned().collect(),
                    key,
                    kind,
                    what: "sets",
                });
            }
            // `os.environ = saved` replaces the whole mapping: a restore.
            if is_environ(left, scope, ctx) {
                return Some(EnvChange {
                    key: None,
                    names: Vec::new(),
                    kind: ChangeKind::Restore,
                    what: "replaces",
                });
            }
            None
        }
        kind::DELETE_STATEMENT => {
            let targets: Vec<Node> = named_children(node)
                .flat_map(|c| {
                    if c.kind() == kind::EXPRESSION_LIST {
                        named_children(c).collect()
                    } else {
                        vec![c]
                    }
                })
                .collect();
            targets.into_iter().find_map(|target| {
                let key = literal_key(target.child_by_field_id(field::SUBSCRIPT.id()), scope, ctx);
                (target.kind() == kind::SUBSCRIPT
                    && is_environ(target.child_by_field_id(field::VALUE.id())?, scope, ctx))
                .then(|| EnvChange {
                    names: key.iter().cloned().collect(),
                    key,
                    kind: ChangeKind::Remove,
                    what: "removes",
                })
            })
        }
        kind::CALL => {
            let callee = node.child_by_field_id(field::FUNCTION.id())?;
            let written = last_component(ctx.text(callee));
            if !ENV_METHODS.contains(&written) && callee.kind() != kind::IDENTIFIER {
                return None;
            }
            let qualified = ctx.model.qualified_name(callee, scope)?;
            let args = CallArgs::of(node, ctx.source());
            let first_key = || literal_key(args.positional.first().copied(), scope, ctx);
            use ChangeKind::{Remove, Restore, Set};
            let (key, kind, what) = match qualified.as_str() {
                "os.environ.update" => {
                    // `update(saved)` puts a snapshot back; `update({"K": v})` or `update(K=v)` sets.
                    let first = args.positional.first().map(|a| unparenthesize(*a));
                    let literal = first.is_none_or(|a| a.kind() == kind::DICTIONARY);
                    let names: Vec<String> = first
                        .filter(|a| a.kind() == kind::DICTIONARY)
                        .map(|d| {
                            named_children(d)
                                .filter_map(|pair| {
                                    literal_key(pair.child_by_field_id(field::KEY.id()), scope, ctx)
                                })
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default()
                        .into_iter()
                        .chain(args.keywords.iter().map(|(k, _)| k.to_string()))
                        .collect();
                    let key = if names.len() == 1 {
                        names.first().cloned()
                    } else {
                        None
                    };
                    return Some(EnvChange {
                        key,
                        names,
                        kind: if literal { Set } else { Restore },
                        what: "sets",
                    });
                }
                "os.environ.pop" | "os.unsetenv" | "os.environ.__delitem__" => {
                    (first_key(), Remove, "removes")
                }
                "os.environ.popitem" => (None, Remove, "removes"),
                "os.environ.clear" => (None, Remove, "clears"),
                "os.environ.setdefault" | "os.environ.__setitem__" | "os.putenv" => {
                    (first_key(), Set, "sets")
                }
                _ => return None,
            };
            Some(EnvChange {
                names: key.iter().cloned().collect(),
                key,
                kind,
                what,
            })
        }
        _ => None,
    }
}

/// Inside `with mock.patch.dict(os.environ, ...)`, `with modified_environ(...)`, `EnvironmentVarGuard()`.
fn inside_env_guard(node: Node, ctx: &FileContext, scope: ScopeId) -> bool {
    enclosing_with_contexts(node)
        .into_iter()
        .any(|context| is_env_guard_call(context, ctx, scope))
}

/// `mock.patch.dict(os.environ, ...)`, `patch.dict("os.environ")`, or a helper whose name says it
/// manages the environment (`modified_environ`, `EnvironmentVarGuard`, `override_env`).
fn is_env_guard_call(expr: Node, ctx: &FileContext, scope: ScopeId) -> bool {
    if expr.kind() != kind::CALL {
        return false;
    }
    let Some(callee) = expr.child_by_field_id(field::FUNCTION.id()) else {
        return false;
    };
    let name = ctx.text(callee);
    let last = last_component(name).to_ascii_lowercase();
    if name.ends_with("patch.dict") || last == "dict" && name.contains("patch") {
        let args = CallArgs::of(expr, ctx.source());
        return args.positional.first().is_some_and(|target| {
            is_environ(*target, scope, ctx)
                || string_value(*target, ctx.source()).is_some_and(|s| s.ends_with("environ"))
        });
    }
    last.contains("environ") || last.contains("env") && !last.contains("envelope")
}

fn decorated_with_env_guard(owner: ScopeId, ctx: &FileContext) -> bool {
    let model = ctx.model;
    let mut scopes = vec![owner];
    if let Some(class) = model.class_of_method(owner) {
        scopes.push(class);
    }
    scopes.iter().any(|s| {
        model.scopes[*s].decorators.iter().any(|d| {
            named_children(*d)
                .next()
                .is_some_and(|expr| is_env_guard_call(expr, ctx, MODULE_SCOPE))
        })
    })
}

/// A restore of the same variable later in the owner (try/finally, after a fixture's `yield`), in the
/// matching teardown, or registered as a cleanup.
fn is_restored(node: Node, change: &EnvChange, owner: ScopeId, ctx: &FileContext) -> bool {
    let model = ctx.model;
    let mut places: Vec<(ScopeId, bool)> = vec![(owner, false)];
    let class = model.class_of_method(owner);
    let container = class.unwrap_or(MODULE_SCOPE);
    let teardowns_of = |parent: ScopeId| ctx.teardowns_in(parent).iter().map(|id| (*id, true));
    places.extend(teardowns_of(container));
    if class.is_some() {
        places.extend(teardowns_of(MODULE_SCOPE));
    }
    for (place, anywhere) in places {
        let root = model.scopes[place].node;
        let mut stack = vec![root];
        while let Some(current) = stack.pop() {
            if current.id() != node.id() && (anywhere || current.start_byte() > node.end_byte()) {
                if let Some(other) = env_change(current, scope_of(current, place, ctx), ctx) {
                    if other.kind != ChangeKind::Set && keys_match(&change.key, &other.key) {
                        return true;
                    }
                }
                if current.kind() == kind::CALL && registers_env_cleanup(current, ctx, place) {
                    return true;
                }
            }
            if current.kind() == kind::CALL
                && current.start_byte() < node.start_byte()
                && registers_env_cleanup(current, ctx, place)
            {
                return true;
            }
            stack.extend(named_children(current));
        }
    }
    false
}

/// A removal that undoes a set of the same variable earlier in the same function.
fn undoes_earlier_set(node: Node, change: &EnvChange, owner: ScopeId, ctx: &FileContext) -> bool {
    let mut stack = vec![ctx.model.scopes[owner].node];
    while let Some(current) = stack.pop() {
        if current.end_byte() <= node.start_byte() {
            if let Some(other) = env_change(current, scope_of(current, owner, ctx), ctx) {
                if other.kind == ChangeKind::Set && keys_match(&change.key, &other.key) {
                    return true;
                }
            }
        }
        if current.start_byte() < node.start_byte() {
            stack.extend(named_children(current));
        }
    }
    false
}

/// A second set of the same variable in the same function: the first one is the finding.
fn repeats_earlier_set(node: Node, change: &EnvChange, owner: ScopeId, ctx: &FileContext) -> bool {
    let Some(key) = &change.key else {
        return false;
    };
    let mut stack = vec![ctx.model.scopes[owner].node];
    while let Some(current) = stack.pop() {
        if current.end_byte() <= node.start_byte() {
            if let Some(other) = env_change(current, scope_of(current, owner, ctx), ctx) {
                if other.kind == ChangeKind::Set && other.key.as_ref() == Some(key) {
                    return true;
                }
            }
        }
        if current.start_byte() < node.start_byte() {
            stack.extend(named_children(current));
        }
    }
    false
}

/// A name bound from the environment itself: `old = os.environ.get("K")`, `saved = os.environ.copy()`.
fn is_saved_env_value(expr: Node, scope: ScopeId, ctx: &FileContext) -> bool {
    let expr = unparenthesize(expr);
    let text = ctx.text(expr);
    if text.contains("environ")
        || text.contains("getenv")
        || text.contains("old")
        || text.contains("orig")
        || text.contains("saved")
        || text.contains("prev")
        || text.contains("backup")
    {
        return true;
    }
    if expr.kind() != kind::IDENTIFIER {
        return false;
    }
    match ctx.model.lookup(text, scope, expr.start_byte()) {
        Some((_, binding)) => match binding.value {
            isolint_python::model::BindingValue::Expr(value) => {
                let value_text = ctx.text(value);
                value_text.contains("environ") || value_text.contains("getenv")
            }
            _ => false,
        },
        None => false,
    }
}

/// The innermost function around `node`, looked for only among the scopes nested in `place`
/// (which holds `node`): searching the whole file per node made a file of many tests quadratic.
fn scope_of(node: Node, place: ScopeId, ctx: &FileContext) -> ScopeId {
    let model = ctx.model;
    model
        .subtree(place)
        .rev()
        .find(|id| {
            let s = &model.scopes[*id];
            s.kind == ScopeKind::Function && s.node.byte_range().contains(&node.start_byte())
        })
        .unwrap_or(place)
}

fn keys_match(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// `self.addCleanup(os.environ.pop, "K")`, `request.addfinalizer(restore_env)`, `stack.callback(...)`
/// whose arguments mention the environment or a local function that restores it.
fn registers_env_cleanup(call: Node, ctx: &FileContext, scope: ScopeId) -> bool {
    let Some(callee) = call.child_by_field_id(field::FUNCTION.id()) else {
        return false;
    };
    let last = last_component(ctx.text(callee));
    if !matches!(
        last,
        "addCleanup"
            | "addClassCleanup"
            | "addfinalizer"
            | "callback"
            | "enterContext"
            | "enter_context"
            | "addModuleCleanup"
    ) {
        return false;
    }
    let Some(args) = call.child_by_field_id(field::ARGUMENTS.id()) else {
        return false;
    };
    let args_text = ctx.text(args);
    if args_text.contains("environ") || args_text.contains("env") {
        return true;
    }
    // A local function registered as the cleanup: does it touch the environment?
    CallArgs::of(call, ctx.source())
        .positional
        .iter()
        .any(|arg| {
            arg.kind() == kind::IDENTIFIER
                && ctx.functions_named(ctx.text(*arg)).iter().any(|id| {
                    let s = &ctx.model.scopes[*id];
                    ctx.text(s.node).contains("environ")
                        && s.node.start_byte() >= ctx.model.scopes[scope].node.start_byte()
                })
        })
}
