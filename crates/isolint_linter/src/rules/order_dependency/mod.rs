//! The `order-dependency` family (ISO4xx): tests whose outcome depends on which tests ran before
//! them.

pub mod cross_test_state_flow;

pub use cross_test_state_flow::CrossTestStateFlow;
