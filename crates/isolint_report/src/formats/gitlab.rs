//! `gitlab`: a GitLab Code Quality report (a JSON array of issues), shown in merge requests.

use super::fingerprint::fingerprints;
use super::one_line;
use isolint_linter::{Diagnostic, Severity};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

pub(crate) fn render(diagnostics: &[Diagnostic], sources: &HashMap<String, Arc<str>>) -> String {
    let issues: Vec<Issue> = diagnostics
        .iter()
        .zip(fingerprints(diagnostics, sources))
        .map(|(d, fingerprint)| Issue {
            description: super::with_fix_available(
                format!("{} {}", d.rule.code, one_line(&d.message)),
                d,
            ),
            check_name: d.rule.code,
            fingerprint,
            severity: match d.rule.severity {
                Severity::Error => "major",
                Severity::Warning => "minor",
            },
            location: Location {
                path: &d.file,
                lines: Lines {
                    begin: d.start.line,
                },
            },
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("issues serialise to JSON");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::samples;
    use std::collections::HashSet;

    #[test]
    fn gitlab() {
        let (diagnostics, sources) = samples();
        insta::assert_snapshot!(render(&diagnostics, &sources));
    }

    #[test]
    fn duplicate_findings_get_distinct_fingerprints() {
        let (mut diagnostics, sources) = samples();
        diagnostics.push(diagnostics[0].clone());
        let issues: Vec<serde_json::Value> =
            serde_json::from_str(&render(&diagnostics, &sources)).unwrap();
        let prints: HashSet<&str> = issues
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        assert_eq!(prints.len(), 4);
    }
}
