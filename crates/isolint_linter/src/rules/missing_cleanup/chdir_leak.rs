use crate::context::FileContext;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::missing_cleanup::restore::{
    consequence, is_saved_value, leak_at, report_leak, who, ChangeKind, ProcessState, Restoration,
    StateChange,
};
use crate::rules::Rule;
use isolint_python::knowledge::{
    changes_cwd, last_component, CHDIR_CALLS, CHDIR_FIXTURES, CWD_GETTERS,
};
use isolint_python::model::{BindingValue, Role, ScopeId};
use isolint_python::source::Span;
use isolint_python::syntax::{kind, kind_of};
use tree_sitter::Node;

/// ISO502: `os.chdir` in test code with no restore on every path.
pub struct ChdirLeak;

static META: RuleMeta = RuleMeta {
    code: "ISO502",
    name: "chdir-leak",
    category: Category::MissingCleanup,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "Test code changes the working folder without restoring it",
    doc: include_str!("../../../../../rules/ISO502-chdir-leak.md"),
};

/// The process's working folder.
pub struct WorkingFolder;

impl ProcessState for WorkingFolder {
    fn change(&self, node: Node, scope: ScopeId, ctx: &FileContext) -> Option<StateChange> {
        if kind_of(node) != kind::CALL {
            return None;
        }
        let (callee_kind, last) = ctx.callee_name(node)?;
        // Compared byte by byte: a substring searcher costs more to set up than these short
        // names take to scan, and this is asked of every call.
        if !last.as_bytes().windows(5).any(|w| w == b"chdir") {
            return None;
        }
        let callee = ctx.model.callee(node)?;
        let args = ctx.model.call_args(node);
        let kind = if callee_kind == kind::ATTRIBUTE
            && last == "chdir"
            && args.positional.is_empty()
            && args.keywords.is_empty()
        {
            // py.path's `local.chdir()` moves into the folder and returns the old one; calling it
            // on that old one (or on a folder bound from `os.getcwd()`) goes back.
            let receiver = ctx.model.attribute_parts(callee).0?;
            if is_saved_value(receiver, scope, ctx, CWD_GETTERS)
                || bound_to_chdir(receiver, scope, ctx)
            {
                ChangeKind::Restore
            } else if is_py_path(receiver, scope, ctx) {
                ChangeKind::Set
            } else {
                return None;
            }
        } else {
            let qualified = ctx.model.qualified_name(callee, scope)?;
            if !CHDIR_CALLS.contains(&qualified.as_str()) {
                return None;
            }
            match args.positional.first() {
                Some(target) if is_saved_value(*target, scope, ctx, CWD_GETTERS) => {
                    ChangeKind::Restore
                }
                Some(_) => ChangeKind::Set,
                None => return None,
            }
        };
        Some(StateChange {
            key: Some("cwd".to_string()),
            kind,
        })
    }

    /// `contextlib.chdir`, `tmp_path.as_cwd()`, `runner.isolated_filesystem()`, a suite's `cd(...)`:
    /// a context manager that moves into a folder moves back when it exits.
    fn is_guard(&self, call: Node, _scope: ScopeId, ctx: &FileContext) -> bool {
        ctx.model
            .callee(call)
            .is_some_and(|callee| changes_cwd(last_component(ctx.text(callee))))
    }

    fn cleanup_restores(&self, text: &str) -> bool {
        text.contains("chdir")
    }

    /// Any later move counts as the way back (`os.chdir(ROOT)`, `os.chdir(here)`).
    fn undoes(&self, _change: &StateChange, later: &StateChange) -> bool {
        later.key.as_deref() == Some("cwd")
    }

    fn restoring_fixtures(&self) -> &'static [&'static str] {
        CHDIR_FIXTURES
    }
}

/// `old = tmpdir.chdir()`: the name holds the folder to go back to.
fn bound_to_chdir(receiver: Node, scope: ScopeId, ctx: &FileContext) -> bool {
    kind_of(receiver) == kind::IDENTIFIER
        && ctx
            .model
            .lookup(ctx.text(receiver), scope, receiver.start_byte())
            .is_some_and(|(_, b)| match b.value {
                BindingValue::Expr(value) => ctx.text(value).ends_with(".chdir()"),
                _ => false,
            })
}

/// A py.path folder: the `tmpdir` fixtures, `py.path.local(...)`, or a name bound to one.
fn is_py_path(receiver: Node, scope: ScopeId, ctx: &FileContext) -> bool {
    let text = ctx.text(receiver);
    if text.contains("tmpdir") || text.contains("py.path.local") || text.contains("LocalPath") {
        return true;
    }
    kind_of(receiver) == kind::IDENTIFIER
        && ctx
            .model
            .lookup(text, scope, receiver.start_byte())
            .is_some_and(|(_, b)| match b.value {
                BindingValue::Expr(value) => {
                    let value = ctx.text(value);
                    value.contains("tmpdir") || value.contains("py.path.local")
                }
                _ => false,
            })
}

impl Rule for ChdirLeak {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        let Some(leak) = leak_at(node, scope, ctx, &WorkingFolder) else {
            return;
        };
        let message = format!(
            "{} changes the working folder and {}",
            who(&leak.owner),
            consequence(leak.restoration, "it")
        );
        let fix = match leak.owner.role {
            _ if leak.owner.unittest => "save `os.getcwd()` first and register `self.addCleanup(os.chdir, saved)` before moving (or use `self.enterContext(contextlib.chdir(path))` on Python 3.11+)".to_string(),
            Role::Fixture if leak.owner.fixture_scope.as_deref().is_some_and(|s| s != "function") => {
                "yield inside `with contextlib.chdir(path):` (Python 3.11+) or `with pytest.MonkeyPatch.context() as mp: mp.chdir(path)` so the move is undone when the fixture's scope ends".to_string()
            }
            Role::Test | Role::Fixture => "take the `monkeypatch` fixture and call `monkeypatch.chdir(path)`, which moves back after the test".to_string(),
            _ => "move with `contextlib.chdir(path)` as a `with` block (Python 3.11+), or save `os.getcwd()` and change back in `finally`".to_string(),
        };
        // Only a move nothing undoes: a later `os.chdir(saved)` would fight `monkeypatch`.
        if leak.restoration == Restoration::Never {
            let (owner_id, _) = ctx.owner_of(scope);
            let edit = crate::fix::edits::chdir_to_monkeypatch(node, ctx.source());
            let autofix =
                crate::fix::environ::monkeypatch_rewrite(edit, owner_id, &leak.owner, ctx.model);
            ctx.offer_fix(&META, Span::of(node), autofix);
        }
        report_leak(ctx, &META, node, leak, message, fix);
    }
}
