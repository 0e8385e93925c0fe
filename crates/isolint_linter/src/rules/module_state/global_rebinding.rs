use super::{leaks, short, who, write_finding, StateWriteRule};
use crate::analysis::state::{Holder, StateWrite};
use crate::context::{FileInfo, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};

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

impl StateWriteRule for GlobalRebinding {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, write: &StateWrite, file: &FileInfo, module: &str) -> Option<Finding> {
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
