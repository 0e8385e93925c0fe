//! `check --changed-files`: the files pre-commit passes are where findings are reported, not what
//! is linted. The suite around them is linted as usual, so a test module is judged with its
//! conftests, helpers and the project's own package as context.

use crate::run::Prepared;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub struct ChangedFiles {
    /// The given files that exist, by canonical path.
    canonical: BTreeSet<PathBuf>,
}

impl ChangedFiles {
    /// A file that no longer exists (deleted in the commit) is no error: it has nothing to report.
    pub fn new(paths: &[PathBuf]) -> Self {
        ChangedFiles {
            canonical: paths
                .iter()
                .filter_map(|p| std::fs::canonicalize(p).ok())
                .filter(|p| p.is_file())
                .collect(),
        }
    }

    /// How many of the given files the run reads: Python files of the suite and the project's
    /// configuration files. Anything else (a README, a file of the package outside the suite) has
    /// no findings of its own.
    pub fn relevant(&self, prepared: &Prepared, cwd: &Path) -> usize {
        let mut read: BTreeSet<PathBuf> = prepared
            .inputs
            .iter()
            .filter_map(|input| std::fs::canonicalize(&input.path).ok())
            .collect();
        if let Some(files) = &prepared.project_files {
            read.extend(
                files
                    .texts
                    .iter()
                    .filter_map(|(shown, _)| std::fs::canonicalize(cwd.join(shown)).ok()),
            );
        }
        self.canonical.intersection(&read).count()
    }

    /// Whether a finding in `file` (as shown, relative to the current folder) is reported.
    pub fn keeps(&self, cwd: &Path, file: &str) -> bool {
        std::fs::canonicalize(cwd.join(file)).is_ok_and(|p| self.canonical.contains(&p))
    }
}
