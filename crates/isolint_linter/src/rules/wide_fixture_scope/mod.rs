//! The `wide-fixture-scope` family (ISO6xx): fixtures whose scope is wider than what they share
//! can bear.

mod session_fixture_per_worker;
mod shared_connection_without_reset;
mod shared_mutable_fixture;
mod shared_value;

pub use session_fixture_per_worker::SessionFixturePerWorker;
pub(crate) use session_fixture_per_worker::{
    aware_of_workers, FIX, META as SESSION_FIXTURE_PER_WORKER,
};
pub use shared_connection_without_reset::SharedConnectionWithoutReset;
pub use shared_mutable_fixture::SharedMutableFixture;
pub use shared_value::{fixture_writes, resets, shared_value, unreset_writes, UnresetWrite};

/// The ISO601/ISO602 findings of one file (project stage), each ISO601 finding with the unsafe
/// fix that narrows its fixture when that fixture may be narrowed (see
/// [`shared_mutable_fixture::narrowable`]); `offered` are the file's fixes from the per-file step,
/// `position_of` turns one of its byte offsets into a position.
pub fn project_findings(
    file: usize,
    project: &isolint_python::project::Project,
    closures: &[Vec<std::collections::BTreeSet<isolint_python::project::FixtureRef>>],
    offered: &std::collections::HashMap<(usize, usize, &'static str), crate::fix::Fix>,
    position_of: impl Fn(usize) -> isolint_python::source::Position,
) -> Vec<(crate::context::Finding, Option<crate::fix::Fix>)> {
    shared_value::findings(
        file,
        project,
        closures,
        (
            &shared_mutable_fixture::META,
            &shared_connection_without_reset::META,
        ),
    )
    .into_iter()
    .map(|(finding, fixture)| {
        let fix = fixture
            .filter(|f| {
                finding.rule.code == shared_mutable_fixture::META.code
                    && shared_mutable_fixture::narrowable(file, *f, project)
            })
            .and_then(|f| {
                shared_mutable_fixture::narrowing_fix(
                    offered,
                    project.fixture(f).position,
                    &position_of,
                )
            })
            .cloned();
        (finding, fix)
    })
    .collect()
}
