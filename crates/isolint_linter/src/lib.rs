//! isolint's rules, rule registry, suppressions, effort model and the lint pipeline.
//!
//! walk → parse → per-file model and rules (parallel) → project stage (fixture resolution, path
//! effects, attribution to tests, effort) → sorted diagnostics.

pub mod analysis;
pub mod cache;
pub mod catalogue;
pub mod config_stage;
pub mod context;
pub mod diagnostic;
pub mod effort;
pub mod facts;
pub mod first_party;
pub mod fix;
pub mod lint;
mod neo4j_facts;
mod neo4j_waits;
pub mod registry;
pub mod rules;
mod run_cache;
pub mod settings;
mod source_text;
mod spill;
pub mod suppression;
pub mod walk;

pub use diagnostic::{AutoFix, Diagnostic, Effort, LocatedEdit, Related, Severity};
pub use fix::{Applicability, Edit, Fix};
pub use lint::{
    first_party_files, lint, lint_spilling_after, lint_with_cache, LintOptions, LintResult,
    SourceInput,
};
pub use registry::{Category, RuleMeta, RuleSet, Selector};
pub use settings::Settings;
