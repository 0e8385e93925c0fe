use super::{leaks, short, who, write_finding};
use crate::analysis::state::{Holder, StateWrite};
use crate::context::{FileInfo, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;

/// ISO302: `global X` then an assignment in test code.
pub struct GlobalRebinding;

static META: RuleMeta = RuleMeta {
    code: "ISO302",
    name: "global-rebinding",
    category: Category::ModuleState,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code rebinds a module global with `global` and never restores it",
    doc: include_str!("../../../../../rules/ISO302-global-rebinding.md"),
};

impl Rule for GlobalRebinding {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        crate::analysis::state::WRITE_KINDS
    }

    fn uses_state(&self) -> bool {
        true
    }

    fn holds_in_project(&self, finding: &Finding, project: &crate::rules::ProjectView) -> bool {
        crate::rules::module_state::not_reset(finding, project)
    }

    fn check_state_write(
        &self,
        write: &StateWrite,
        file: &FileInfo,
        module: &str,
    ) -> Option<Finding> {
        if write.holder != Holder::GlobalName || !leaks(write, file) {
            return None;
        }
        let name = short(&write.path, module);
        let message = format!(
            "{} rebinds the module global `{name}` (declared `global`) and never restores it; tests that run later in the same worker see the new value",
            who(write)
        );
        let fix = format!(
            "keep the value in a fixture instead of a global, or use `monkeypatch.setattr(sys.modules[__name__], \"{name}\", ...)` so pytest restores it"
        );
        Some(write_finding(&META, write, message, fix, Vec::new()))
    }
}
