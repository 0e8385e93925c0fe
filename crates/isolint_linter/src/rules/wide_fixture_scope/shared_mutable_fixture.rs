use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;

/// ISO601: a test changes the mutable value of a class-, module-, package- or session-scoped
/// fixture. Found in the project stage (`shared_value::findings`), where fixtures are resolved
/// through the conftest hierarchy.
pub struct SharedMutableFixture;

pub static META: RuleMeta = RuleMeta {
    code: "ISO601",
    name: "shared-mutable-fixture",
    category: Category::WideFixtureScope,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "A test changes a mutable object that a wide-scoped fixture shares between tests",
    doc: include_str!("../../../../../rules/ISO601-shared-mutable-fixture.md"),
};

impl Rule for SharedMutableFixture {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
}
