//! The parsing core of isolint: Python syntax through tree-sitter, the per-file semantic model
//! (scopes, bindings, imports, tests, fixtures), abstract values, the knowledge tables, the pytest
//! configuration of the suite and the cross-file project model.
//!
//! Data flows one way: [`parse`] → [`model::build`] (one [`walk`] of the tree) → [`eval`] answers "what is this
//! expression?" for the rules → [`project`] joins the files.

pub mod ancestry;
pub mod cypher;
pub mod eval;
pub mod intern;
pub mod knowledge;
pub mod model;
pub mod parse;
pub mod project;
pub mod project_files;
pub mod pytest_config;
pub mod query_tokens;
pub mod services;
pub mod source;
pub mod sql;
pub mod syntax;
pub mod template;
pub mod value;
pub mod walk;

pub use source::{LineIndex, Span};
pub use value::Value;
#[cfg(test)]
pub(crate) mod testing;
