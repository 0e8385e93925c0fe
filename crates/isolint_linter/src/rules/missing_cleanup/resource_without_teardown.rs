use crate::context::FileContext;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::missing_cleanup::restore::{
    last_names, leak_at, report_leak, who, ChangeKind, ProcessState, Restoration, StateChange,
};
use crate::rules::Rule;
use isolint_python::knowledge::{RESOURCE_CLEANUPS, RESOURCE_STARTERS};
use isolint_python::model::{Role, ScopeId};
use isolint_python::syntax::{field, kind, kind_of, unparenthesize};
use std::sync::LazyLock;
use tree_sitter::Node;

/// The last names of the resource starters (`Popen`, `HTTPServer`).
static STARTER_NAMES: LazyLock<Vec<&str>> =
    LazyLock::new(|| last_names(RESOURCE_STARTERS.iter().copied()));

/// ISO506: a process or server started in test code with no teardown on every path.
pub struct ResourceWithoutTeardown;

static META: RuleMeta = RuleMeta {
    code: "ISO506",
    name: "resource-without-teardown",
    category: Category::MissingCleanup,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "A process or server is started with no teardown on every path",
    doc: include_str!("../../../../../rules/ISO506-resource-without-teardown.md"),
};

/// Processes and servers, keyed by the name that holds them.
struct Resources;

/// The name a resource is bound to (`proc = subprocess.Popen(...)`, `self.server = ...`).
fn bound_name<'t>(call: Node<'t>, ctx: &FileContext<'_, 't>) -> Option<&'t str> {
    let assignment = call.parent().filter(|p| kind_of(p) == kind::ASSIGNMENT)?;
    let left = assignment.child_by_field_id(field::LEFT.id())?;
    matches!(kind_of(left), kind::IDENTIFIER | kind::ATTRIBUTE).then(|| ctx.text(left))
}

impl ProcessState for Resources {
    fn change(&self, node: Node, scope: ScopeId, ctx: &FileContext) -> Option<StateChange> {
        if kind_of(node) != kind::CALL {
            return None;
        }
        let (callee_kind, last) = ctx.callee_name(node)?;
        if RESOURCE_CLEANUPS.contains(&last) && callee_kind == kind::ATTRIBUTE {
            let callee = ctx.model.callee(node)?;
            let receiver = unparenthesize(ctx.model.attribute_parts(callee).0?);
            return Some(StateChange {
                key: Some(format!("resource:{}", ctx.text(receiver))),
                kind: ChangeKind::Restore,
            });
        }
        if !STARTER_NAMES.contains(&last) {
            return None;
        }
        let callee = ctx.model.callee(node)?;
        let qualified = ctx.model.qualified_name(callee, scope)?;
        if !RESOURCE_STARTERS.contains(&qualified.as_str()) {
            return None;
        }
        let name = bound_name(node, ctx)?;
        Some(StateChange {
            key: Some(format!("resource:{name}")),
            kind: ChangeKind::Set,
        })
    }

    /// `with subprocess.Popen(...) as proc:` waits for the process on exit; no call inside a
    /// `with` needs more.
    fn is_guard(&self, _call: Node, _scope: ScopeId, _ctx: &FileContext) -> bool {
        false
    }

    fn cleanup_restores(&self, text: &str) -> bool {
        RESOURCE_CLEANUPS.iter().any(|c| text.contains(c))
    }
}

impl Rule for ResourceWithoutTeardown {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        let Some(leak) = leak_at(node, scope, ctx, &Resources) else {
            return;
        };
        // A resource handed back to the caller (a test helper returning the process) is the
        // caller's to stop.
        if leak.owner.role == Role::Helper
            || returned_by_owner(node, scope, ctx) && leak.owner.role != Role::Fixture
        {
            return;
        }
        let name = leak
            .change
            .key
            .as_deref()
            .and_then(|k| k.strip_prefix("resource:"))
            .unwrap_or("it")
            .to_string();
        let what = ctx.text(ctx.model.callee(node).unwrap_or(node)).to_string();
        let tail = match leak.restoration {
            Restoration::OnlyIfPasses { .. } => "stops it only when the test passes (not in `finally`): after a failure it keeps running into later tests".to_string(),
            _ => "never stops it: it keeps running, holding its port, files or CPU, while the worker runs later tests".to_string(),
        };
        let message = format!(
            "{} starts `{name}` with `{what}(...)` and {tail}",
            who(&leak.owner)
        );
        let fix = match leak.owner.role {
            Role::Fixture => format!("`yield {name}` instead of returning it and stop it after the `yield` (or register the stop with `request.addfinalizer`)"),
            Role::Setup => format!("stop `{name}` in the matching teardown (`tearDownClass`/`tearDown`), or register it with `addClassCleanup`/`addCleanup` right after starting it"),
            _ => format!("stop `{name}` in `finally`, or use it as a `with` block"),
        };
        report_leak(ctx, &META, node, leak, message, fix);
    }
}

/// `return proc` / `yield proc` of the name the resource is bound to, in the owner.
fn returned_by_owner(node: Node, scope: ScopeId, ctx: &FileContext) -> bool {
    let Some(name) = bound_name(node, ctx) else {
        return false;
    };
    let owner = ctx.model.owner(scope);
    ctx.model.scopes[owner]
        .returned
        .is_some_and(|r| ctx.text(r) == name)
}
