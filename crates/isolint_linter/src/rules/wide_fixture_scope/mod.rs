//! The `wide-fixture-scope` family (ISO6xx): fixtures whose scope is wider than what they share
//! can bear.

mod session_fixture_per_worker;

pub use session_fixture_per_worker::SessionFixturePerWorker;
