use crate::context::FileContext;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::missing_cleanup::restore::{
    consequence, is_saved_value, keys_match, last_names, leak_at, report_leak, scope_of, who,
    ChangeKind, ProcessState, StateChange,
};
use crate::rules::Rule;
use isolint_python::knowledge::{
    last_component, GLOBAL_SETTINGS, LOGGER_ATTRIBUTES, LOGGER_GUARDS, LOGGER_SETTERS,
    SAVED_VALUE_WORDS,
};
use isolint_python::model::{string_value, BindingValue, Role, ScopeId};
use isolint_python::syntax::{field, kind, kind_of, unparenthesize};
use std::sync::LazyLock;
use tree_sitter::Node;

/// The last names of the setters of [`GLOBAL_SETTINGS`] (`setdefaulttimeout`, `signal`).
static SETTER_NAMES: LazyLock<Vec<&str>> =
    LazyLock::new(|| last_names(GLOBAL_SETTINGS.iter().map(|s| s.setter)));

/// ISO505: a process-wide setting (logging, locale, signals, socket timeout, time zone, Django
/// settings, the event loop) changed in test code without restore on every path.
pub struct GlobalConfigLeak;

static META: RuleMeta = RuleMeta {
    code: "ISO505",
    name: "global-config-leak",
    category: Category::MissingCleanup,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "Test code changes a process-wide setting without restoring it",
    doc: include_str!("../../../../../rules/ISO505-global-config-leak.md"),
};

/// A change to a process-wide setting, described for the message and the fix.
struct SettingChange {
    change: StateChange,
    what: String,
    fix: String,
}

/// Process-wide settings.
struct Settings;

/// How deep a logger expression is followed through names and fixtures.
const MAX_LOGGER_DEPTH: usize = 4;

/// The logger an expression denotes: `logging.getLogger("app")`, `logging.root`, a name or
/// `self.` attribute bound to one, or a fixture of the same file that returns one.
fn logger_name(expr: Node, scope: ScopeId, ctx: &FileContext, depth: usize) -> Option<String> {
    if depth > MAX_LOGGER_DEPTH {
        return None;
    }
    let expr = unparenthesize(expr);
    let model = ctx.model;
    let source = ctx.source();
    match kind_of(expr) {
        kind::CALL => {
            let callee = ctx.model.callee(expr)?;
            if last_component(ctx.text(callee)) != "getLogger"
                || model.qualified_name(callee, scope)? != "logging.getLogger"
            {
                return None;
            }
            let args = ctx.model.call_args(expr);
            Some(match args.get(0, "name") {
                None => "root".to_string(),
                Some(name) if kind_of(name) == kind::NONE => "root".to_string(),
                Some(name) => string_value(name, source)
                    .or_else(|| ctx.eval.eval(name, scope).as_str().map(String::from))
                    .unwrap_or_else(|| ctx.text(name).to_string()),
            })
        }
        kind::ATTRIBUTE => {
            let object = ctx.model.attribute_parts(expr).0?;
            let attribute = ctx.text(ctx.model.attribute_parts(expr).1?);
            if matches!(ctx.text(object), "self" | "cls") {
                let class = model.class_of_method(scope)?;
                return model.scopes[class]
                    .attributes
                    .get(attribute)?
                    .iter()
                    .find_map(|b| match b.value {
                        BindingValue::Expr(value) => {
                            logger_name(value, scope_of(value, class, ctx), ctx, depth + 1)
                        }
                        _ => None,
                    });
            }
            (attribute == "root" && model.qualified_name(expr, scope)? == "logging.root")
                .then(|| "root".to_string())
        }
        kind::IDENTIFIER => {
            let name = ctx.text(expr);
            let (bound_in, binding) = model.lookup(name, scope, expr.start_byte())?;
            match binding.value {
                BindingValue::Expr(value) => logger_name(value, bound_in, ctx, depth + 1),
                // A test parameter: the fixture of that name in this file, if it returns a logger.
                BindingValue::Param(None) => {
                    let fixture = model.fixtures.iter().find(|f| f.name == name)?;
                    let returned = model.scopes[fixture.scope].returned?;
                    logger_name(returned, fixture.scope, ctx, depth + 1)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The first argument's name for a key: `signal.SIGALRM` → `SIGALRM`.
fn key_part(node: Option<Node>, ctx: &FileContext) -> String {
    node.map_or_else(String::new, |n| last_component(ctx.text(n)).to_string())
}

fn classify(node: Node, scope: ScopeId, ctx: &FileContext) -> Option<SettingChange> {
    let model = ctx.model;
    match kind_of(node) {
        kind::CALL => {
            let (_, last) = ctx.callee_name(node)?;
            // Decided by the callee's name first: most calls are none of these.
            if !LOGGER_SETTERS.contains(&last)
                && !matches!(last, "basicConfig" | "set_event_loop")
                && !SETTER_NAMES.contains(&last)
            {
                return None;
            }
            let callee = ctx.model.callee(node)?;
            let args = ctx.model.call_args(node);
            if LOGGER_SETTERS.contains(&last) {
                let receiver = ctx.model.attribute_parts(callee).0?;
                let logger = logger_name(receiver, scope, ctx, 0)?;
                let saved = args.positional.first().is_some_and(|a| {
                    is_saved_value(*a, scope, ctx, &["getEffectiveLevel", ".level"])
                });
                let undoes = last.starts_with("remove") || saved;
                return Some(SettingChange {
                    change: StateChange {
                        key: Some(format!("logger:{logger}")),
                        kind: if undoes { ChangeKind::Restore } else { ChangeKind::Set },
                    },
                    what: format!("changes the `{logger}` logger (`{last}`)"),
                    fix: "use the `caplog` fixture (`caplog.set_level(level, logger=...)`, which is undone after the test), or undo the change in `finally` or after `yield`".to_string(),
                });
            }
            if !matches!(last, "basicConfig" | "set_event_loop") && !SETTER_NAMES.contains(&last) {
                return None;
            }
            let qualified = model.qualified_name(callee, scope)?;
            match qualified.as_str() {
                // pytest's capture handlers sit on the root logger during every test, so
                // `basicConfig` does nothing there unless it is forced.
                "logging.basicConfig" => {
                    let forced = args
                        .keyword("force")
                        .is_some_and(|v| kind_of(v) == kind::TRUE);
                    forced.then(|| SettingChange {
                        change: StateChange {
                            key: Some("logger:root".to_string()),
                            kind: ChangeKind::Set,
                        },
                        what: "replaces the root logger's handlers (`logging.basicConfig(force=True)`)".to_string(),
                        fix: "use the `caplog` fixture to see log records, or save and restore `logging.root.handlers` and its level in `finally`".to_string(),
                    })
                }
                "asyncio.set_event_loop" => {
                    let loop_arg = args.positional.first()?;
                    Some(SettingChange {
                        change: StateChange {
                            key: Some("asyncio:event_loop".to_string()),
                            kind: if kind_of(loop_arg) == kind::NONE {
                                ChangeKind::Restore
                            } else {
                                ChangeKind::Set
                            },
                        },
                        what: format!("makes `{}` the current event loop, closes it", ctx.text(*loop_arg)),
                        fix: "call `asyncio.set_event_loop(None)` after closing the loop (in `finally`), or use `asyncio.run`/`asyncio.Runner`, which leave no loop behind".to_string(),
                    })
                }
                _ => {
                    let setting = GLOBAL_SETTINGS.iter().find(|s| s.setter == qualified)?;
                    if args.positional.len() + args.keywords.len() < setting.min_args {
                        return None;
                    }
                    let key = setting
                        .key
                        .replace("{0}", &key_part(args.positional.first().copied(), ctx));
                    let value = if setting.min_args >= 2 {
                        args.positional.get(1)
                    } else {
                        args.positional.first()
                    };
                    let getters: &[&str] = if setting.getter.is_empty() {
                        &[]
                    } else {
                        std::slice::from_ref(&setting.getter)
                    };
                    let restores = value.is_some_and(|v| is_saved_value(*v, scope, ctx, getters));
                    Some(SettingChange {
                        change: StateChange {
                            key: Some(key),
                            kind: if restores {
                                ChangeKind::Restore
                            } else {
                                ChangeKind::Set
                            },
                        },
                        what: format!("changes a process-wide setting (`{qualified}`)"),
                        fix: setting.fix.to_string(),
                    })
                }
            }
        }
        kind::ASSIGNMENT => {
            let left = node.child_by_field_id(field::LEFT.id())?;
            if kind_of(left) != kind::ATTRIBUTE {
                return None;
            }
            let object = ctx.model.attribute_parts(left).0?;
            let attribute = ctx.text(ctx.model.attribute_parts(left).1?);
            let django = last_component(ctx.text(object)) == "settings";
            if !django && !LOGGER_ATTRIBUTES.contains(&attribute) {
                return None;
            }
            // An annotation without a value (`self.level: int`) changes nothing.
            let right = node.child_by_field_id(field::RIGHT.id())?;
            let saved = {
                let lower = ctx.text(right).to_ascii_lowercase();
                SAVED_VALUE_WORDS.iter().any(|w| lower.contains(w))
            };
            let kind = if saved {
                ChangeKind::Restore
            } else {
                ChangeKind::Set
            };
            if django && model.qualified_name(object, scope)?.as_str() == "django.conf.settings" {
                return Some(SettingChange {
                    change: StateChange {
                        key: Some(format!("django.settings:{attribute}")),
                        kind,
                    },
                    what: format!("changes Django's `settings.{attribute}`"),
                    fix: format!("use `@override_settings({attribute}=...)` or `with self.settings({attribute}=...)`, or pytest-django's `settings` fixture, which restore the value after the test"),
                });
            }
            if LOGGER_ATTRIBUTES.contains(&attribute) {
                let logger = logger_name(object, scope, ctx, 0)?;
                return Some(SettingChange {
                    change: StateChange {
                        key: Some(format!("logger:{logger}")),
                        kind,
                    },
                    what: format!("changes the `{logger}` logger (`{attribute}`)"),
                    fix:
                        "use the `caplog` fixture, or undo the change in `finally` or after `yield`"
                            .to_string(),
                });
            }
            None
        }
        kind::DELETE_STATEMENT => {
            let target = isolint_python::syntax::named_children(node).next()?;
            let object = ctx.model.attribute_parts(target).0?;
            (kind_of(target) == kind::ATTRIBUTE
                && last_component(ctx.text(object)) == "settings"
                && model.qualified_name(object, scope)?.as_str() == "django.conf.settings")
                .then(|| SettingChange {
                    change: StateChange {
                        key: ctx
                            .model
                            .attribute_parts(target)
                            .1
                            .map(|a| format!("django.settings:{}", ctx.text(a))),
                        kind: ChangeKind::Restore,
                    },
                    what: String::new(),
                    fix: String::new(),
                })
        }
        _ => None,
    }
}

impl ProcessState for Settings {
    fn change(&self, node: Node, scope: ScopeId, ctx: &FileContext) -> Option<StateChange> {
        classify(node, scope, ctx).map(|c| c.change)
    }

    /// `caplog.at_level`, `self.assertLogs`, `override_settings`, `self.settings(...)`.
    fn is_guard(&self, call: Node, _scope: ScopeId, ctx: &FileContext) -> bool {
        ctx.model.callee(call).is_some_and(|callee| {
            let last = last_component(ctx.text(callee));
            LOGGER_GUARDS.contains(&last)
                || matches!(last, "override_settings" | "modify_settings" | "settings")
        })
    }

    fn cleanup_restores(&self, text: &str) -> bool {
        [
            "removeHandler",
            "setLevel",
            "setdefaulttimeout",
            "setlocale",
            "tzset",
            "signal",
            "setrecursionlimit",
            "disable",
            "set_event_loop",
            "settings",
        ]
        .iter()
        .any(|w| text.contains(w))
    }

    /// Setting it again later is the way back (`logger.setLevel(old)`, `socket.setdefaulttimeout(None)`).
    fn undoes(&self, change: &StateChange, later: &StateChange) -> bool {
        if change.key.as_deref() == Some("asyncio:event_loop") {
            return later.kind == ChangeKind::Restore && keys_match(&change.key, &later.key);
        }
        keys_match(&change.key, &later.key)
    }
}

/// `loop.close()` in the owner: the loop made current is closed, so the current loop is dead.
fn closes_loop(node: Node, scope: ScopeId, ctx: &FileContext) -> bool {
    let Some(loop_arg) = ctx.model.call_args(node).positional.first().copied() else {
        return false;
    };
    let wanted = format!("{}.close", ctx.text(loop_arg));
    let owner = ctx.model.owner(scope);
    ctx.model.calls_under(owner).any(|(_, call)| {
        ctx.model
            .callee(call)
            .is_some_and(|callee| ctx.text(callee) == wanted)
    }) || ctx
        .teardowns_in(ctx.model.class_of_method(owner).unwrap_or(0))
        .iter()
        .any(|t| {
            ctx.model.calls_under(*t).any(|(_, call)| {
                ctx.model
                    .callee(call)
                    .is_some_and(|callee| ctx.text(callee) == wanted)
            })
        })
}

/// `caplog.set_level`/`caplog.at_level` in the owner: the `caplog` fixture then puts
/// `logging.disable` back when the test ends.
fn caplog_restores_disable(scope: ScopeId, ctx: &FileContext) -> bool {
    let owner = ctx.model.owner(scope);
    ctx.model.calls_under(owner).any(|(_, call)| {
        ctx.model.callee(call).is_some_and(|callee| {
            matches!(
                ctx.text(callee),
                "caplog.set_level" | "caplog.at_level" | "caplog._force_enable_logging"
            )
        })
    })
}

impl Rule for GlobalConfigLeak {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL, kind::ASSIGNMENT, kind::DELETE_STATEMENT]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        let Some(leak) = leak_at(node, scope, ctx, &Settings) else {
            return;
        };
        let Some(setting) = classify(node, scope, ctx) else {
            return;
        };
        if leak.change.key.as_deref() == Some("logging:disable")
            && caplog_restores_disable(scope, ctx)
        {
            return;
        }
        let event_loop = leak.change.key.as_deref() == Some("asyncio:event_loop");
        if event_loop && !closes_loop(node, scope, ctx) {
            return;
        }
        let message = format!(
            "{} {} and {}",
            who(&leak.owner),
            setting.what,
            if event_loop {
                "never clears it; later tests in the same worker get a closed loop from `asyncio.get_event_loop()`".to_string()
            } else {
                consequence(leak.restoration, "it")
            }
        );
        let fix = if leak.owner.role == Role::Test && setting.fix.contains("caplog") {
            setting.fix
        } else {
            setting.fix.replace("use the `caplog` fixture (`caplog.set_level(level, logger=...)`, which is undone after the test), or ", "")
        };
        report_leak(ctx, &META, node, leak, message, fix);
    }
}
