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
pub use shared_value::{fixture_writes, resets, shared_value};

/// The ISO601/ISO602 findings of one file (project stage).
pub fn project_findings(
    file: usize,
    project: &isolint_python::project::Project,
    closures: &[Vec<std::collections::BTreeSet<isolint_python::project::FixtureRef>>],
) -> Vec<crate::context::Finding> {
    shared_value::findings(
        file,
        project,
        closures,
        (
            &shared_mutable_fixture::META,
            &shared_connection_without_reset::META,
        ),
    )
}
