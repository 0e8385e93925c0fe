//! The `order-dependency` family (ISO4xx): tests written to run in a given order, and tests whose
//! outcome depends on which tests ran before them.

pub mod cross_test_state_flow;
mod explicit_order;
mod numbered_tests_sharing_state;
pub mod shared_fixture_flow;
mod test_calls_test;

pub use cross_test_state_flow::CrossTestStateFlow;
pub use explicit_order::ExplicitOrder;
pub use numbered_tests_sharing_state::NumberedTestsSharingState;
pub use test_calls_test::TestCallsTest;

use crate::context::FileContext;
use isolint_python::model::{Role, ScopeId};

/// The node ids of every test of the file (for findings that concern the whole module).
pub(crate) fn tests_of_file(ctx: &FileContext) -> Vec<String> {
    ctx.model
        .function_scopes_with(Role::Test)
        .map(|id| test_node_id(id, ctx))
        .collect()
}

/// A test's node id.
pub(crate) fn test_node_id(id: ScopeId, ctx: &FileContext) -> String {
    let mut parts = vec![ctx.file.node_path.clone()];
    parts.extend(ctx.model.class_path(id).into_iter().map(String::from));
    parts.push(ctx.model.scopes[id].name.to_string());
    parts.join("::")
}
