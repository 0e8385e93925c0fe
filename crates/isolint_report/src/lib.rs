//! isolint's output: the diagnostic formats for people, CI and editors, and the audit report.

pub mod audit;
pub mod formats;

pub use formats::{render, statistics, OutputFormat, RenderOptions};
