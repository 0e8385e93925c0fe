use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;

/// ISO602: a test writes through a connection or session that a wide-scoped fixture shares, and
/// no function fixture rolls back or cleans up. Found in the project stage
/// (`shared_value::findings`).
pub struct SharedConnectionWithoutReset;

pub static META: RuleMeta = RuleMeta {
    code: "ISO602",
    name: "shared-connection-without-reset",
    category: Category::WideFixtureScope,
    severity: Severity::Warning,
    effort: Effort::Moderate,
    shared_effort: Effort::Moderate,
    summary: "Tests write through a wide-scoped connection or session with no per-test rollback",
    doc: include_str!("../../../../../rules/ISO602-shared-connection-without-reset.md"),
};

impl Rule for SharedConnectionWithoutReset {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
}
