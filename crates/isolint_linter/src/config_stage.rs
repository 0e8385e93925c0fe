//! The project-level stage of the configuration rules: once the suite's facts are known, each
//! enabled rule reads the project's files; findings become diagnostics that point into those files.
//! A project file that does not parse is reported as ISO001 for that file, never a stop.

use crate::diagnostic::{Diagnostic, FixSite};
use crate::lint::LintOptions;
use crate::registry::Category;
use crate::rules::config::ProjectInput;
use crate::rules::file_errors;
use isolint_python::project::FileFacts;
use std::collections::HashMap;
use std::sync::Arc;

/// Runs the configuration rules; adds the text of each file with a finding to `sources`.
/// `python_source` gives the text of a linted Python file (findings on markers point there), and
/// `suppressed` says whether that file's suppression comments silence a finding.
pub fn run(
    options: &LintOptions,
    suite: &[FileFacts],
    sources: &mut HashMap<String, Arc<str>>,
    python_source: impl Fn(&str) -> Option<Arc<str>>,
    suppressed: impl Fn(&Diagnostic) -> bool,
) -> Vec<Diagnostic> {
    let Some(files) = options.project_files else {
        return Vec::new();
    };
    let rules: Vec<_> = options
        .rules
        .enabled()
        .filter(|r| r.meta().category == Category::Config && !r.meta().code.starts_with("ISO0"))
        .collect();
    if rules.is_empty() {
        return Vec::new();
    }
    let input = ProjectInput { files, suite };
    let mut diagnostics = Vec::new();
    for rule in rules {
        for finding in rule.check_project(&input) {
            diagnostics.push(Diagnostic {
                rule: rule.meta(),
                file: finding.at.file.clone(),
                span: finding.at.span,
                start: finding.at.start,
                end: finding.at.end,
                message: finding.message,
                fix: finding.fix,
                autofix: None,
                effort: rule.meta().effort,
                test: None,
                fixture: None,
                related: finding.related,
                affected_tests: Vec::new(),
                resource: None,
                site: FixSite::Module,
                owner: None,
            });
        }
    }
    if options.rules.contains(file_errors::UNREADABLE_FILE.code) {
        for problem in &files.problems {
            diagnostics.push(Diagnostic {
                rule: &file_errors::UNREADABLE_FILE,
                file: problem.at.file.clone(),
                span: problem.at.span,
                start: problem.at.start,
                end: problem.at.end,
                message: problem.message.clone(),
                fix:
                    "fix the file's syntax: the tools that read it (pytest, CI, pip) fail on it too"
                        .into(),
                autofix: None,
                effort: file_errors::UNREADABLE_FILE.effort,
                test: None,
                fixture: None,
                related: Vec::new(),
                affected_tests: Vec::new(),
                resource: None,
                site: FixSite::Module,
                owner: None,
            });
        }
    }
    diagnostics.retain(|d| !suppressed(d));
    diagnostics.retain(|d| {
        !options.per_file_ignores.iter().any(|(glob, selectors)| {
            glob.is_match(&d.file) && selectors.iter().any(|s| s.matches(d.rule))
        })
    });
    for d in &diagnostics {
        if sources.contains_key(&d.file) {
            continue;
        }
        let text = files
            .text_of(&d.file)
            .map(Arc::from)
            .or_else(|| python_source(&d.file));
        if let Some(text) = text {
            sources.insert(d.file.clone(), text);
        }
    }
    diagnostics
}
