use crate::context::FileContext;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::missing_cleanup::restore::{
    consequence, ends_with_name, last_names, leak_at, report_leak, who, ChangeKind, ProcessState,
    StateChange,
};
use crate::rules::Rule;
use isolint_python::knowledge::{last_component, MOCK_SWITCHES, PATCHER_CONSTRUCTORS};
use isolint_python::model::{string_value, BindingValue, Role, ScopeId};
use isolint_python::syntax::{kind, kind_of, unparenthesize};
use std::sync::LazyLock;
use tree_sitter::Node;

/// The last names of the patcher constructors (`patch`, `object`, `freeze_time`).
static CONSTRUCTOR_NAMES: LazyLock<Vec<&str>> =
    LazyLock::new(|| last_names(PATCHER_CONSTRUCTORS.iter().copied()));

/// The last names of the mock switches, on and off (`start`, `enable`, `disable`).
static SWITCH_NAMES: LazyLock<Vec<&str>> = LazyLock::new(|| {
    last_names(
        MOCK_SWITCHES
            .iter()
            .flat_map(|(on, offs)| std::iter::once(*on).chain(offs.iter().copied())),
    )
});

/// ISO504: a patch or HTTP mock switched on in test code and not switched off on every path.
pub struct PatchNotStopped;

static META: RuleMeta = RuleMeta {
    code: "ISO504",
    name: "patch-not-stopped",
    category: Category::MissingCleanup,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "A patch or HTTP mock is started and not stopped on every path",
    doc: include_str!("../../../../../rules/ISO504-patch-not-stopped.md"),
};

/// Patches and process-wide mocks.
struct Patches;

/// The patch a patcher constructor call sets up, as an effect key (`mock:app.api.fetch`).
fn patch_key(call: Node, scope: ScopeId, ctx: &FileContext) -> Option<String> {
    let call = unparenthesize(call);
    if kind_of(call) != kind::CALL {
        return None;
    }
    let callee = ctx.model.callee(call)?;
    let written = ctx.text(callee);
    if !CONSTRUCTOR_NAMES.contains(&last_component(written)) {
        return None;
    }
    let qualified = ctx.model.qualified_name(callee, scope)?;
    let constructor = PATCHER_CONSTRUCTORS
        .iter()
        .find(|c| ends_with_name(&qualified, c))?;
    let args = ctx.model.call_args(call);
    let source = ctx.source();
    let target = match *constructor {
        c if c.ends_with("patch") => args
            .get(0, "target")
            .map(|t| string_value(t, source).unwrap_or_else(|| ctx.text(t).to_string())),
        c if c.ends_with("patch.object") => {
            let object = args.get(0, "target").map(|t| ctx.text(t).to_string());
            let attribute = args
                .get(1, "attribute")
                .and_then(|a| string_value(a, source));
            object.map(|o| match attribute {
                Some(a) => format!("{o}.{a}"),
                None => o,
            })
        }
        c if c.ends_with("patch.dict") || c.ends_with("patch.multiple") => args
            .positional
            .first()
            .map(|t| string_value(*t, source).unwrap_or_else(|| ctx.text(*t).to_string())),
        c if c.contains("freez") || c.contains("time_machine") => Some("time".to_string()),
        c => Some(c.split('.').next().unwrap_or(c).to_string()),
    };
    Some(format!(
        "mock:{}",
        target.unwrap_or_else(|| ctx.text(call).to_string())
    ))
}

/// The patch a patcher expression holds: a constructor call, a name bound to one, or an
/// attribute of `self` assigned one in any method of the class.
fn patcher_key(receiver: Node, scope: ScopeId, ctx: &FileContext) -> Option<String> {
    let receiver = unparenthesize(receiver);
    let model = ctx.model;
    match kind_of(receiver) {
        kind::CALL => patch_key(receiver, scope, ctx),
        kind::IDENTIFIER => match model.lookup(ctx.text(receiver), scope, receiver.start_byte()) {
            Some((bound_in, binding)) => match binding.value {
                BindingValue::Expr(value) => patch_key(value, bound_in, ctx),
                _ => None,
            },
            None => None,
        },
        kind::ATTRIBUTE => {
            let object = ctx.model.attribute_parts(receiver).0?;
            let attribute = ctx.model.attribute_parts(receiver).1?;
            if !matches!(ctx.text(object), "self" | "cls") {
                return None;
            }
            let class = model.class_of_method(scope)?;
            model.scopes[class]
                .attributes
                .get(ctx.text(attribute))?
                .iter()
                .find_map(|b| match b.value {
                    BindingValue::Expr(value) => patch_key(
                        value,
                        crate::rules::missing_cleanup::restore::scope_of(value, class, ctx),
                        ctx,
                    ),
                    _ => None,
                })
        }
        _ => None,
    }
}

/// A receiver whose `.stop()` is most likely a patcher's, though its patch is not known
/// (`for p in self.patchers: p.stop()`).
fn looks_like_patcher(receiver: Node, scope: ScopeId, ctx: &FileContext) -> bool {
    let text = ctx.text(receiver).to_ascii_lowercase();
    ["patch", "mock", "freez", "fake", "stub"]
        .iter()
        .any(|w| text.contains(w))
        || kind_of(receiver) == kind::IDENTIFIER
            && ctx
                .model
                .lookup(ctx.text(receiver), scope, receiver.start_byte())
                .is_some_and(|(_, b)| matches!(b.value, BindingValue::LoopItem(_)))
}

/// `responses.start()`, `httpretty.disable()`: a module-wide mock switched on or off.
fn switch_change(
    callee: Node,
    last: &str,
    scope: ScopeId,
    ctx: &FileContext,
) -> Option<StateChange> {
    if !SWITCH_NAMES.contains(&last) {
        return None;
    }
    let qualified = ctx.model.qualified_name(callee, scope)?;
    MOCK_SWITCHES.iter().find_map(|(on, offs)| {
        let module = on.split('.').next().unwrap_or(on);
        let key = Some(format!("mock:{module}"));
        if qualified == *on {
            Some(StateChange {
                key,
                kind: ChangeKind::Set,
            })
        } else if offs.contains(&qualified.as_str()) {
            Some(StateChange {
                key,
                kind: ChangeKind::Restore,
            })
        } else {
            None
        }
    })
}

impl ProcessState for Patches {
    fn change(&self, node: Node, scope: ScopeId, ctx: &FileContext) -> Option<StateChange> {
        if kind_of(node) != kind::CALL {
            return None;
        }
        // Decided by the callee's last name first: nearly every call is none of these.
        let (_, last) = ctx.callee_name(node)?;
        if !matches!(
            last,
            "start" | "__enter__" | "stop" | "__exit__" | "stopall"
        ) && !SWITCH_NAMES.contains(&last)
        {
            return None;
        }
        let callee = ctx.model.callee(node)?;
        match last {
            "start" | "__enter__" | "stop" | "__exit__" if kind_of(callee) == kind::ATTRIBUTE => {
                let receiver = ctx.model.attribute_parts(callee).0?;
                let key = patcher_key(receiver, scope, ctx);
                if matches!(last, "start" | "__enter__") {
                    if let Some(key) = key {
                        return Some(StateChange {
                            key: Some(key),
                            kind: ChangeKind::Set,
                        });
                    }
                } else if key.is_some() || looks_like_patcher(receiver, scope, ctx) {
                    return Some(StateChange {
                        key,
                        kind: ChangeKind::Restore,
                    });
                }
                switch_change(callee, last, scope, ctx)
            }
            "stopall" => Some(StateChange {
                key: None,
                kind: ChangeKind::Restore,
            }),
            _ => switch_change(callee, last, scope, ctx),
        }
    }

    fn is_guard(&self, _call: Node, _scope: ScopeId, _ctx: &FileContext) -> bool {
        false
    }

    fn cleanup_restores(&self, text: &str) -> bool {
        ["stop", "disable", "off", "__exit__"]
            .iter()
            .any(|w| text.contains(w))
    }
}

impl Rule for PatchNotStopped {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        let Some(leak) = leak_at(node, scope, ctx, &Patches) else {
            return;
        };
        let key = leak.change.key.clone().unwrap_or_default();
        let target = key.strip_prefix("mock:").unwrap_or(&key).to_string();
        let switch = MOCK_SWITCHES
            .iter()
            .any(|(on, _)| on.split('.').next() == Some(target.as_str()));
        let message = if switch {
            format!(
                "{} switches on `{target}` and {}",
                who(&leak.owner),
                consequence(
                    leak.restoration,
                    "it (every later test's requests are intercepted)"
                )
            )
        } else {
            format!(
                "{} starts a patch of `{target}` and {}",
                who(&leak.owner),
                consequence(leak.restoration, "it (the patch stays active)")
            )
        };
        let fix = match leak.owner.role {
            _ if switch => format!("use `{target}` as a decorator or `with` block, or switch it off in `finally` (or after `yield` in a fixture)"),
            _ if leak.owner.unittest => "register `self.addCleanup(patcher.stop)` right after `start()`, or use `self.enterContext(mock.patch(...))`".to_string(),
            Role::Fixture => "stop the patcher after `yield` (or use the `mocker` fixture of pytest-mock, which undoes its patches when the test ends)".to_string(),
            Role::Test => "use `with mock.patch(...):` around the test body, `@mock.patch` as a decorator, or the `mocker` fixture of pytest-mock".to_string(),
            _ => "stop the patcher in `finally` or a teardown, or register its `stop` with `addCleanup`/`request.addfinalizer`".to_string(),
        };
        report_leak(ctx, &META, node, leak, message, fix);
    }
}
