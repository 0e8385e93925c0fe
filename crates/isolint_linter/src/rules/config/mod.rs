//! Configuration rules: how the project runs pytest (addopts, CI, Makefile, tox, nox), what it
//! declares and locks, and whether that lets the suite run in parallel as written. They read the
//! project's files (`isolint_python::project_files`) and the suite's facts, once per run.

mod addopts_order_plugins;
mod coverage_not_parallel;
mod grouping_broken_by_versions;
mod xdist_group_ignored;
mod xdist_not_declared;

pub use addopts_order_plugins::AddoptsOrderPlugins;
pub use coverage_not_parallel::CoverageNotParallel;
pub use grouping_broken_by_versions::GroupingBrokenByVersions;
pub use xdist_group_ignored::XdistGroupIgnored;
pub use xdist_not_declared::XdistNotDeclared;

use crate::diagnostic::Related;
use isolint_python::project::{FileFacts, MarkerUse};
use isolint_python::project_files::{Invocation, Location, Origin, ProjectFiles};

/// What a configuration rule reads: the project's files and the facts of the suite's Python files.
pub struct ProjectInput<'a> {
    pub files: &'a ProjectFiles,
    pub suite: &'a [FileFacts],
}

/// A finding in a project file (or, for markers, in the suite).
#[derive(Debug, Clone)]
pub struct ConfigFinding {
    pub at: Location,
    pub message: String,
    pub fix: String,
    pub related: Vec<Related>,
}

impl ProjectInput<'_> {
    /// Invocations that start xdist workers.
    pub fn xdist_invocations(&self) -> impl Iterator<Item = &Invocation> {
        self.files.invocations.iter().filter(|i| i.uses_xdist())
    }

    /// The `addopts` every invocation inherits.
    pub fn addopts(&self) -> Option<&Invocation> {
        self.files
            .invocations
            .iter()
            .find(|i| i.origin == Origin::Addopts)
    }

    /// The distribution mode an invocation runs with: its own `--dist`, else addopts', else
    /// pytest-xdist's default `load`.
    pub fn dist_of(&self, invocation: &Invocation) -> String {
        invocation
            .dist()
            .or_else(|| self.addopts().and_then(Invocation::dist))
            .map(|(_, mode)| mode)
            .unwrap_or_else(|| "load".to_string())
    }

    /// Every `xdist_group` marker written in the suite, with its file's shown path.
    pub fn group_markers(&self) -> Vec<(&FileFacts, &MarkerUse)> {
        self.suite
            .iter()
            .flat_map(|f| f.marker_uses.iter().map(move |m| (f, m)))
            .filter(|(_, m)| m.name == "xdist_group")
            .collect()
    }
}

/// A related location pointing into a project file.
pub fn related(at: &Location, message: impl Into<String>) -> Related {
    Related {
        file: at.file.clone(),
        line: at.start.line,
        column: at.start.column,
        message: message.into(),
    }
}

/// The location of a marker in the suite.
pub fn marker_location(file: &FileFacts, marker: &MarkerUse) -> Location {
    Location {
        file: file.display.clone(),
        start: marker.position,
        end: marker.end,
        span: marker.span,
    }
}

/// The words of an invocation from `from` on, as written (`-n auto`).
pub fn shown_option(invocation: &Invocation, from: usize, count: usize) -> String {
    invocation
        .args
        .iter()
        .skip(from)
        .take(count)
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An option as written at argument `index`, with the count of words after it that belong to it:
/// `-n auto` (1), `-n4` and `--dist=load` (0).
pub fn option_at(invocation: &Invocation, index: usize) -> (String, usize) {
    let takes_value = invocation
        .args
        .get(index)
        .is_some_and(|w| matches!(w.text.as_str(), "-n" | "--numprocesses" | "--dist" | "-p"))
        && index + 1 < invocation.args.len();
    let extra = usize::from(takes_value);
    (shown_option(invocation, index, 1 + extra), extra)
}

/// A version's numeric components (`9.2.0rc1` → 9, 2, 0).
pub fn version_parts(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map_while(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}
