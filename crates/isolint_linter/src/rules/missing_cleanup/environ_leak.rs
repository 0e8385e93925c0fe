use crate::context::{FileContext, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::missing_cleanup::restore::{
    consequence, is_saved_value, leak_at, related_restore, who, ChangeKind, Leak, ProcessState,
    StateChange,
};
use crate::rules::{ProjectView, Rule};
use isolint_python::knowledge::last_component;
use isolint_python::model::{string_value, BindingValue, Role, ScopeId};
use isolint_python::source::Span;
use isolint_python::syntax::{field, kind, kind_of, named_children, unparenthesize};
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

/// The process environment as the shared restore analysis sees it.
pub struct Environ;

impl ProcessState for Environ {
    fn change(&self, node: Node, scope: ScopeId, ctx: &FileContext) -> Option<StateChange> {
        env_change(node, scope, ctx).map(|c| StateChange {
            key: c.key.map(|k| format!("env:{k}")),
            kind: c.kind,
        })
    }

    fn is_guard(&self, call: Node, scope: ScopeId, ctx: &FileContext) -> bool {
        is_env_guard_call(call, ctx, scope)
    }

    fn cleanup_restores(&self, text: &str) -> bool {
        text.contains("environ") || text.contains("env")
    }
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
        let Some(Leak {
            change,
            owner,
            restoration,
        }) = leak_at(node, scope, ctx, &Environ)
        else {
            return;
        };
        let model = ctx.model;
        let (owner_id, _) = ctx.owner_of(scope);
        // A fixture that removes a variable before its test resets it: that guards the test.
        if owner.role == Role::Fixture && change.kind == ChangeKind::Remove {
            return;
        }
        let Some(change) = env_change(node, scope, ctx) else {
            return;
        };
        let quoted: Vec<String> = change.names.iter().map(|n| format!("'{n}'")).collect();
        let subject = match quoted.as_slice() {
            [] => "the process environment".to_string(),
            [one] => format!("the environment variable {one}"),
            [init @ .., last] => {
                format!("the environment variables {} and {last}", init.join(", "))
            }
        };
        let message = format!(
            "{} {} {subject} and {}",
            who(&owner),
            change.what,
            consequence(
                restoration,
                if change.names.len() > 1 { "them" } else { "it" }
            )
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
            related: related_restore(restoration),
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

/// `os.environ` (or `environ` imported from os) as an expression. Ruled out by the text first:
/// this is asked of most assignments' targets.
fn is_environ(node: Node, scope: ScopeId, ctx: &FileContext) -> bool {
    let expr = unparenthesize(node);
    let may_be = match kind_of(expr) {
        kind::ATTRIBUTE => ctx.text(expr).ends_with("environ"),
        kind::IDENTIFIER => is_imported(expr, scope, ctx),
        _ => false,
    };
    may_be && ctx.model.qualified_name(node, scope).as_deref() == Some("os.environ")
}

/// Whether a name is bound by an import where it is used: only an imported name resolves to a
/// name of another module (`os.putenv`); any other is the file's own, or a builtin.
fn is_imported(name: Node, scope: ScopeId, ctx: &FileContext) -> bool {
    ctx.model
        .lookup(ctx.text(name), scope, name.start_byte())
        .is_some_and(|(_, binding)| matches!(binding.value, BindingValue::Import(..)))
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
    // Each change below names `os.environ`, `os.putenv` or `os.unsetenv` in the source.
    if !ctx.names_environment() {
        return None;
    }
    match kind_of(node) {
        kind::ASSIGNMENT | kind::AUGMENTED_ASSIGNMENT => {
            let left = node.child_by_field_id(field::LEFT.id())?;
            if kind_of(left) == kind::SUBSCRIPT
                && is_environ(left.child_by_field_id(field::VALUE.id())?, scope, ctx)
            {
                let key = literal_key(left.child_by_field_id(field::SUBSCRIPT.id()), scope, ctx);
                // Assigning back a value saved from the environment is what a restore looks like.
                let restores = kind_of(node) == kind::ASSIGNMENT
                    && node
                        .child_by_field_id(field::RIGHT.id())
                        .is_some_and(|r| is_saved_env_value(r, scope, ctx));
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
                    if kind_of(c) == kind::EXPRESSION_LIST {
                        named_children(c).collect()
                    } else {
                        vec![c]
                    }
                })
                .collect();
            targets.into_iter().find_map(|target| {
                let key = literal_key(target.child_by_field_id(field::SUBSCRIPT.id()), scope, ctx);
                (kind_of(target) == kind::SUBSCRIPT
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
            let (callee_kind, written) = ctx.callee_name(node)?;
            if !ENV_METHODS.contains(&written) && callee_kind != kind::IDENTIFIER {
                return None;
            }
            let callee = ctx.model.callee(node)?;
            // `putenv(...)` after `from os import putenv`: a name of the file's own is not `os`'s.
            if !ENV_METHODS.contains(&written) && !is_imported(callee, scope, ctx) {
                return None;
            }
            let qualified = ctx.model.qualified_name(callee, scope)?;
            let first_key = || {
                let args = ctx.model.call_args(node);
                literal_key(args.positional.first().copied(), scope, ctx)
            };
            use ChangeKind::{Remove, Restore, Set};
            let (key, kind, what) = match qualified.as_str() {
                "os.environ.update" => {
                    let args = ctx.model.call_args(node);
                    // `update(saved)` puts a snapshot back; `update({"K": v})` or `update(K=v)` sets.
                    let first = args.positional.first().map(|a| unparenthesize(*a));
                    let literal = first.is_none_or(|a| kind_of(a) == kind::DICTIONARY);
                    let names: Vec<String> = first
                        .filter(|a| kind_of(a) == kind::DICTIONARY)
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

/// `mock.patch.dict(os.environ, ...)`, `patch.dict("os.environ")`, or a helper whose name says it
/// manages the environment (`modified_environ`, `EnvironmentVarGuard`, `override_env`).
fn is_env_guard_call(expr: Node, ctx: &FileContext, scope: ScopeId) -> bool {
    if kind_of(expr) != kind::CALL {
        return false;
    }
    let Some(callee) = ctx.model.callee(expr) else {
        return false;
    };
    let name = ctx.text(callee);
    let last = last_component(name).to_ascii_lowercase();
    if name.ends_with("patch.dict") || last == "dict" && name.contains("patch") {
        let args = ctx.model.call_args(expr);
        return args.positional.first().is_some_and(|target| {
            is_environ(*target, scope, ctx)
                || string_value(*target, ctx.source()).is_some_and(|s| s.ends_with("environ"))
        });
    }
    last.contains("environ") || last.contains("env") && !last.contains("envelope")
}

/// A name bound from the environment itself: `old = os.environ.get("K")`, `saved = os.environ.copy()`.
fn is_saved_env_value(expr: Node, scope: ScopeId, ctx: &FileContext) -> bool {
    is_saved_value(expr, scope, ctx, &["environ", "getenv"])
}
