use crate::context::FileContext;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::missing_cleanup::restore::{
    consequence, is_saved_value, leak_at, report_leak, who, ChangeKind, ProcessState, Restoration,
    StateChange,
};
use crate::rules::Rule;
use isolint_python::knowledge::{
    last_component, CHDIR_FIXTURES, IMPORT_STATE_ADDERS, IMPORT_STATE_REMOVERS, RELOAD_CALLS,
};
use isolint_python::model::{string_value, ScopeId};
use isolint_python::syntax::{field, kind, kind_of, named_children};
use tree_sitter::Node;

/// ISO503: `sys.path`, `sys.modules` or `sys.argv` changed, or a module reloaded, without restore.
pub struct ImportStateLeak;

static META: RuleMeta = RuleMeta {
    code: "ISO503",
    name: "import-state-leak",
    category: Category::MissingCleanup,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "Test code changes sys.path, sys.modules or sys.argv, or reloads a module, without restoring it",
    doc: include_str!("../../../../../rules/ISO503-import-state-leak.md"),
};

/// The interpreter's import state: `sys.path`, `sys.modules`, `sys.argv`, reloaded modules.
pub struct ImportState;

/// Which part of the import state an expression is.
fn part_of(expr: Node, scope: ScopeId, ctx: &FileContext) -> Option<&'static str> {
    let written = ctx.text(expr);
    if !matches!(last_component(written), "path" | "modules" | "argv") {
        return None;
    }
    match ctx.model.qualified_name(expr, scope)?.as_str() {
        "sys.path" => Some("syspath"),
        "sys.modules" => Some("sysmodules"),
        "sys.argv" => Some("argv"),
        _ => None,
    }
}

/// A key's text when it is a literal or a name bound to one.
fn literal(node: Node, scope: ScopeId, ctx: &FileContext) -> Option<String> {
    string_value(node, ctx.source())
        .or_else(|| ctx.eval.eval(node, scope).as_str().map(String::from))
}

/// What restores a part: a name bound to a copy of it.
const GETTERS: &[&str] = &["sys.path", "sys.modules", "sys.argv"];

fn key(part: &str, entry: Option<String>) -> Option<String> {
    match (part, entry) {
        ("sysmodules", Some(name)) => Some(format!("sysmodules:{name}")),
        // Entries of `sys.modules` of unknown name match any.
        ("sysmodules", None) => None,
        (part, _) => Some(part.to_string()),
    }
}

impl ProcessState for ImportState {
    fn change(&self, node: Node, scope: ScopeId, ctx: &FileContext) -> Option<StateChange> {
        let (key, kind) = match kind_of(node) {
            kind::CALL => {
                let (_, last) = ctx.callee_name(node)?;
                if !matches!(last, "reload" | "restore")
                    && !IMPORT_STATE_ADDERS.contains(&last)
                    && !IMPORT_STATE_REMOVERS.contains(&last)
                {
                    return None;
                }
                let callee = ctx.model.callee(node)?;
                let args = ctx.model.call_args(node);
                if last == "reload" {
                    let qualified = ctx.model.qualified_name(callee, scope)?;
                    if !RELOAD_CALLS.contains(&qualified.as_str()) {
                        return None;
                    }
                    let module = ctx.text(*args.positional.first()?);
                    return Some(StateChange {
                        key: Some(format!("reload:{module}")),
                        kind: ChangeKind::Set,
                    });
                }
                // pytest's `SysModulesSnapshot`/`SysPathsSnapshot` and similar savers.
                if last == "restore" {
                    let receiver = ctx.model.attribute_parts(callee).0?;
                    return ctx
                        .text(receiver)
                        .to_ascii_lowercase()
                        .contains("snapshot")
                        .then_some(StateChange {
                            key: None,
                            kind: ChangeKind::Restore,
                        });
                }
                let adds = IMPORT_STATE_ADDERS.contains(&last);
                if !adds && !IMPORT_STATE_REMOVERS.contains(&last) {
                    return None;
                }
                let part = part_of(ctx.model.attribute_parts(callee).0?, scope, ctx)?;
                let first = args.positional.first().copied();
                let entry = first.and_then(|a| literal(a, scope, ctx));
                let kind = if !adds {
                    ChangeKind::Remove
                } else if matches!(last, "update" | "extend")
                    && first.is_some_and(|a| is_saved_value(a, scope, ctx, GETTERS))
                {
                    ChangeKind::Restore
                } else {
                    ChangeKind::Set
                };
                let entry = if part == "sysmodules" { entry } else { None };
                // Removing an entry whose name is computed (`del sys.modules[module.__name__]`)
                // is most often the test's own cleanup of a module it imported.
                if part == "sysmodules"
                    && kind == ChangeKind::Remove
                    && entry.is_none()
                    && first.is_some()
                {
                    return None;
                }
                (key(part, entry), kind)
            }
            kind::ASSIGNMENT | kind::AUGMENTED_ASSIGNMENT => {
                let left = node.child_by_field_id(field::LEFT.id())?;
                let subscript = kind_of(left) == kind::SUBSCRIPT;
                let target = if subscript {
                    left.child_by_field_id(field::VALUE.id())?
                } else {
                    left
                };
                let part = part_of(target, scope, ctx)?;
                let entry = if subscript {
                    left.child_by_field_id(field::SUBSCRIPT.id())
                        .and_then(|s| literal(s, scope, ctx))
                } else {
                    None
                };
                let restores = kind_of(node) == kind::ASSIGNMENT
                    && node
                        .child_by_field_id(field::RIGHT.id())
                        .is_some_and(|r| is_saved_value(r, scope, ctx, GETTERS));
                let kind = if restores {
                    ChangeKind::Restore
                } else {
                    ChangeKind::Set
                };
                (key(part, entry), kind)
            }
            kind::DELETE_STATEMENT => {
                let target = named_children(node)
                    .flat_map(|c| {
                        if kind_of(c) == kind::EXPRESSION_LIST {
                            named_children(c).collect()
                        } else {
                            vec![c]
                        }
                    })
                    .find(|t| kind_of(t) == kind::SUBSCRIPT)?;
                let part = part_of(target.child_by_field_id(field::VALUE.id())?, scope, ctx)?;
                let entry = target
                    .child_by_field_id(field::SUBSCRIPT.id())
                    .and_then(|s| literal(s, scope, ctx));
                if part == "sysmodules" && entry.is_none() {
                    return None;
                }
                (key(part, entry), ChangeKind::Remove)
            }
            _ => return None,
        };
        Some(StateChange { key, kind })
    }

    /// `mock.patch.object(sys, "path", ...)`, `mock.patch.dict(sys.modules, ...)`,
    /// `mock.patch("sys.argv", ...)`, or a suite's helper named for what it saves.
    fn is_guard(&self, call: Node, _scope: ScopeId, ctx: &FileContext) -> bool {
        let Some(callee) = ctx.model.callee(call) else {
            return false;
        };
        let name = ctx.text(callee);
        let args = ctx.model.arguments(call).map_or("", |a| ctx.text(a));
        if name.contains("patch") {
            return [
                "sys.path",
                "sys.modules",
                "argv",
                "\"path\"",
                "'path'",
                "\"modules\"",
                "'modules'",
            ]
            .iter()
            .any(|w| args.contains(w));
        }
        let last = last_component(name).to_ascii_lowercase();
        ["syspath", "sys_path", "argv", "modules", "prepend"]
            .iter()
            .any(|w| last.contains(w))
    }

    /// `pytester` and `testdir` snapshot `sys.path` and `sys.modules` and restore them.
    fn restoring_fixtures(&self) -> &'static [&'static str] {
        CHDIR_FIXTURES
    }

    fn cleanup_restores(&self, text: &str) -> bool {
        ["sys.path", "sys.modules", "argv", "reload", "syspath"]
            .iter()
            .any(|w| text.contains(w))
    }

    /// A reload is undone by reloading the module again once the patches are gone.
    fn undoes(&self, change: &StateChange, later: &StateChange) -> bool {
        let reload = change
            .key
            .as_deref()
            .is_some_and(|k| k.starts_with("reload:"));
        if reload {
            return later.key == change.key;
        }
        later.kind != ChangeKind::Set
            && crate::rules::missing_cleanup::restore::keys_match(&change.key, &later.key)
            && !later
                .key
                .as_deref()
                .is_some_and(|k| k.starts_with("reload:"))
    }
}

impl Rule for ImportStateLeak {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[
            kind::CALL,
            kind::ASSIGNMENT,
            kind::AUGMENTED_ASSIGNMENT,
            kind::DELETE_STATEMENT,
        ]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        let Some(leak) = leak_at(node, scope, ctx, &ImportState) else {
            return;
        };
        let key = leak
            .change
            .key
            .clone()
            .unwrap_or_else(|| "sysmodules".into());
        let removes = leak.change.kind == ChangeKind::Remove;
        let (what, fix) = match key.split_once(':') {
            Some(("reload", module)) => (
                format!("reloads `{module}`, which gives its classes and functions new identities while other modules keep the old ones, and"),
                format!("reload `{module}` again in `finally` (or after `yield`) once the patches it was meant to pick up are gone, or patch the attribute with `monkeypatch.setattr` instead of reloading"),
            ),
            Some(("sysmodules", module)) if removes => (
                format!("removes `sys.modules[\"{module}\"]`, so the next import creates a second copy of the module, and"),
                format!("use `monkeypatch.delitem(sys.modules, \"{module}\", raising=False)` or `mock.patch.dict(sys.modules)`, which put the original module back"),
            ),
            Some(("sysmodules", module)) => (
                format!("replaces `sys.modules[\"{module}\"]` and"),
                format!("use `monkeypatch.setitem(sys.modules, \"{module}\", ...)` or `mock.patch.dict(sys.modules, {{\"{module}\": ...}})`"),
            ),
            _ if key == "sysmodules" => (
                "changes `sys.modules` and".to_string(),
                "use `mock.patch.dict(sys.modules, ...)` or `monkeypatch.setitem`/`delitem`, which restore the modules after the test".to_string(),
            ),
            _ if key == "argv" => (
                "changes `sys.argv` and".to_string(),
                "use `monkeypatch.setattr(sys, \"argv\", [...])` or `mock.patch.object(sys, \"argv\", [...])`; better, pass the arguments to the entry point".to_string(),
            ),
            _ => (
                "changes `sys.path` and".to_string(),
                "use `monkeypatch.syspath_prepend(path)` (or `mock.patch.object(sys, \"path\", [path, *sys.path])`), which restores `sys.path` after the test".to_string(),
            ),
        };
        let message = format!(
            "{} {what} {}",
            who(&leak.owner),
            consequence(leak.restoration, "it")
        );
        if key == "syspath" && leak.restoration == Restoration::Never {
            let (owner_id, _) = ctx.owner_of(scope);
            let edit = crate::fix::edits::syspath_insert_to_monkeypatch(node, ctx.source());
            let autofix =
                crate::fix::environ::monkeypatch_rewrite(edit, owner_id, &leak.owner, ctx.model);
            ctx.offer_fix(&META, isolint_python::source::Span::of(node), autofix);
        }
        report_leak(ctx, &META, node, leak, message, fix);
    }
}
