//! The `module-state` family (ISO3xx): module- and class-level state that test code changes and
//! does not put back, found by the state-effect analysis (`analysis::state`), and objects created
//! once at import time.

mod cached_shared_object;
mod global_rebinding;
mod import_time_connection;
mod imported_state_mutation;
mod mutable_class_state;
mod mutable_module_global;

pub use cached_shared_object::CachedSharedObject;
pub use global_rebinding::GlobalRebinding;
pub use import_time_connection::ImportTimeConnection;
pub use imported_state_mutation::ImportedStateMutation;
pub use mutable_class_state::MutableClassState;
pub use mutable_module_global::MutableModuleGlobal;

use crate::analysis::state::{shown, StateWrite, WRITE_KINDS};
use crate::context::{FileContext, FileInfo, Finding};
use crate::registry::RuleMeta;
use crate::rules::{ProjectView, Rule};
use isolint_python::model::Role;

/// A rule that judges each change to module or class state (ISO301–ISO303, ISO306). Its findings
/// stand unless a fixture of the project resets the key (`not_reset`); the blanket [`Rule`] impl
/// below wires it to the state analysis.
pub(crate) trait StateWriteRule: Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// The finding for one change, if this rule reports it.
    fn check(&self, write: &StateWrite, file: &FileInfo, module: &str) -> Option<Finding>;

    /// The machine-applicable fix of the finding `check` made, while the tree is alive.
    fn fix(
        &self,
        _write: &StateWrite,
        _ctx: &FileContext,
        _module: &str,
    ) -> Option<crate::fix::Fix> {
        None
    }
}

impl<T: StateWriteRule> Rule for T {
    fn meta(&self) -> &'static RuleMeta {
        StateWriteRule::meta(self)
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        WRITE_KINDS
    }

    fn uses_state(&self) -> bool {
        true
    }

    fn check_state_write(
        &self,
        write: &StateWrite,
        file: &FileInfo,
        module: &str,
    ) -> Option<Finding> {
        self.check(write, file, module)
    }

    fn fix_state_write(
        &self,
        write: &StateWrite,
        ctx: &FileContext,
        module: &str,
    ) -> Option<crate::fix::Fix> {
        self.fix(write, ctx, module)
    }

    fn holds_in_project(&self, finding: &Finding, project: &ProjectView) -> bool {
        not_reset(finding, project)
    }
}

/// Whether a write is test code's own change that outlives the test: unrestored, in a test, a
/// fixture, setup or a helper the tests call (a teardown puts things back).
pub(crate) fn leaks(write: &StateWrite, file: &FileInfo) -> bool {
    !write.restored
        && !file.package_code
        && matches!(
            write.owner.role,
            Role::Test | Role::Fixture | Role::Setup | Role::Helper
        )
}

/// Who makes a change, as messages name it.
pub(crate) fn who(write: &StateWrite) -> String {
    let owner = &write.owner;
    match owner.role {
        Role::Test => "test".to_string(),
        Role::Fixture => format!("fixture `{}`", owner.fixture.as_deref().unwrap_or("")),
        Role::Helper => format!("helper `{}`", owner.function),
        _ => format!("`{}`", owner.function),
    }
}

/// The finding for a leaking write.
pub(crate) fn write_finding(
    meta: &'static RuleMeta,
    write: &StateWrite,
    message: String,
    fix: String,
    related: Vec<(isolint_python::source::Span, String)>,
) -> Finding {
    Finding {
        rule: meta,
        span: write.span,
        message,
        fix,
        owner: write.owner.clone(),
        related,
        related_elsewhere: write.through.iter().map(|(_, r)| r.clone()).collect(),
        resource: Some(format!("state:{}", write.path)),
        site: write.owner.site(),
        tests: None,
    }
}

/// The last name of a state path as users write it (`_REGISTRY`, `gpc.progress_bar`).
pub(crate) fn short(path: &str, module: &str) -> String {
    let rest = path
        .strip_prefix(module)
        .and_then(|r| r.strip_prefix('.'))
        .unwrap_or(path);
    shown(rest)
}

/// A finding on state an autouse fixture resets around every test does not hold.
pub fn not_reset(finding: &Finding, project: &crate::rules::ProjectView) -> bool {
    let Some(path) = finding
        .resource
        .as_deref()
        .and_then(|r| r.strip_prefix("state:"))
    else {
        return true;
    };
    !project
        .state_reset_by_autouse
        .iter()
        .any(|reset| crate::analysis::state::paths_meet(reset, path))
}
