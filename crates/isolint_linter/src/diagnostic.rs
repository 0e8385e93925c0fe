//! A finding: what is wrong, where, what to do instead, how much work it is, and which tests it affects.

use crate::fix::{Applicability, Edit, Fix};
use crate::registry::RuleMeta;
use isolint_python::source::{Position, Span};
use serde::Serialize;

/// How much work a fix is, in the words of the audit report.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Effort {
    #[serde(rename = "1-2 lines")]
    Lines,
    #[serde(rename = "moderate refactor")]
    Moderate,
    #[serde(rename = "major redesign")]
    Major,
}

impl Effort {
    pub fn as_str(self) -> &'static str {
        match self {
            Effort::Lines => "1-2 lines",
            Effort::Moderate => "moderate refactor",
            Effort::Major => "major redesign",
        }
    }

    pub const ALL: [Effort; 3] = [Effort::Lines, Effort::Moderate, Effort::Major];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A second location that explains a finding: the constant's definition, the removal, the polluter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Related {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Where the root cause of a finding lives, for effort and for grouping in the audit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum FixSite {
    /// Inside one test function.
    Test,
    /// In a fixture (its tests share it).
    Fixture,
    /// In setup/teardown or a class attribute shared by a class's tests.
    Class,
    /// A module-level constant or module setup shared by a module's tests.
    Module,
    /// A helper function the tests call.
    Helper,
}

/// One edit of a fix, with its place as editors count it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LocatedEdit {
    pub start: Position,
    pub end: Position,
    pub content: String,
    pub edit: Edit,
}

/// The machine-applicable fix of a finding (`--fix` applies the safe ones, `--unsafe-fixes` both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AutoFix {
    pub applicability: Applicability,
    pub edits: Vec<LocatedEdit>,
}

impl AutoFix {
    pub fn fix(&self) -> Fix {
        Fix {
            applicability: self.applicability,
            edits: self.edits.iter().map(|e| e.edit.clone()).collect(),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    #[serde(with = "crate::registry::by_code")]
    pub rule: &'static RuleMeta,
    /// The path as shown to the user: relative to the current folder, `/`-separated.
    pub file: String,
    pub span: Span,
    pub start: Position,
    pub end: Position,
    pub message: String,
    pub fix: String,
    /// The edits that make the change `fix` describes, when a tool can surely make it.
    pub autofix: Option<AutoFix>,
    pub effort: Effort,
    /// Node id of the test the finding is in.
    pub test: Option<String>,
    /// Name of the fixture the finding is in.
    pub fixture: Option<String>,
    pub related: Vec<Related>,
    /// Node ids of every test the finding affects (the test itself, or the users of its fixture/class).
    pub affected_tests: Vec<String>,
    /// A normalised identity of the shared thing (`path:/tmp/x`, `env:APP_MODE`).
    pub resource: Option<String>,
    /// Where the fix lives.
    pub site: FixSite,
    /// The function the finding sits in (`Class.method`), `None` at module level: findings of one
    /// rule in one shared function are one root cause.
    pub owner: Option<String>,
}

impl Diagnostic {
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        (
            &self.file,
            self.start.line,
            self.start.column,
            self.rule.code,
            &self.message,
        )
    }
}
