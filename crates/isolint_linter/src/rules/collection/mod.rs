//! The `collection` family (ISO7xx): every xdist worker must collect the same tests in the same
//! order.

mod unordered_parametrize;

pub use unordered_parametrize::UnorderedParametrize;
