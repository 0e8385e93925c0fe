use super::{leaks, who, write_finding, StateWriteRule};
use crate::analysis::state::{shown, Holder, StateWrite};
use crate::context::{FileInfo, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};

/// ISO306: test code changes an imported module's or class's state and does not restore it.
pub struct ImportedStateMutation;

static META: RuleMeta = RuleMeta {
    code: "ISO306",
    name: "imported-state-mutation",
    category: Category::ModuleState,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code changes an imported module, class or singleton and never restores it",
    doc: include_str!("../../../../../rules/ISO306-imported-state-mutation.md"),
};

impl StateWriteRule for ImportedStateMutation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, write: &StateWrite, file: &FileInfo, _module: &str) -> Option<Finding> {
        if write.holder != Holder::Imported || !leaks(write, file) {
            return None;
        }
        let (name, whose) = match write.path.strip_prefix('@') {
            Some(rest) => (
                format!("type({})", shown(rest).replacen('.', ").", 1)),
                "the class of a fixture's value, shared by every test in the process",
            ),
            None => (
                shown(&write.path),
                "state of an imported module or class, shared by every test in the process",
            ),
        };
        let how = match &write.through {
            // An import inside a test runs the module's code the first time only.
            Some((callee, _)) if callee.starts_with("import ") => format!(
                "imports `{}` first, and its module code {}",
                callee.trim_start_matches("import "),
                write.verb
            ),
            Some((callee, _)) => format!("calls `{callee}`, which {}", write.verb),
            None => write.verb.to_string(),
        };
        let message = format!(
            "{} {how} `{name}`, {whose}, and never restores it; tests that run later in the same worker see the change",
            who(write),
        );
        let (object, attribute) = name.rsplit_once('.').unwrap_or((&name, "attr"));
        let fix = format!(
            "use `monkeypatch.setattr({object}, \"{attribute}\", ...)` (or `mock.patch.object`/`mock.patch.dict`), which pytest undoes after the test"
        );
        Some(write_finding(&META, write, message, fix, Vec::new()))
    }
}
