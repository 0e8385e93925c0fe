use super::{leaks, short, who, write_finding, StateWriteRule};
use crate::analysis::state::{Holder, StateWrite};
use crate::context::{FileInfo, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};

/// ISO303: an attribute of a test class (shared by its tests) changed by a test method.
pub struct MutableClassState;

static META: RuleMeta = RuleMeta {
    code: "ISO303",
    name: "mutable-class-state",
    category: Category::ModuleState,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "A test changes state its class shares with the class's other tests",
    doc: include_str!("../../../../../rules/ISO303-mutable-class-state.md"),
};

impl StateWriteRule for MutableClassState {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, write: &StateWrite, file: &FileInfo, module: &str) -> Option<Finding> {
        if write.holder != Holder::TestClass || !leaks(write, file) {
            return None;
        }
        let name = short(&write.path, module);
        let message = format!(
            "{} {} `{name}`, which lives on the test class and is shared by all its tests, and never restores it; the class's later tests see the change",
            who(write),
            write.verb
        );
        let fix = "create the object per test (in `setUp`/`setup_method` or a function-scoped fixture) instead of on the class, or restore it in `tearDown`/with `self.addCleanup`".to_string();
        Some(write_finding(&META, write, message, fix, Vec::new()))
    }
}
