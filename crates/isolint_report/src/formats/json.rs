//! `json`: one pretty-printed array of findings, the fields in the contract's order.

use isolint_linter::{Diagnostic, Related};
use serde::Serialize;

/// One finding as the `json` and `json-lines` formats show it. Field order is output order.
#[derive(Serialize)]
pub(crate) struct JsonDiagnostic<'a> {
    code: &'static str,
    name: &'static str,
    category: &'static str,
    severity: &'static str,
    message: &'a str,
    fix: &'a str,
    /// `safe` (`--fix` applies it), `unsafe` (only with `--unsafe-fixes`) or null: no edit.
    applicability: Option<&'static str>,
    /// The edits of the fix: 1-based line/column ranges (columns in characters) and the new text.
    edits: Vec<JsonEdit<'a>>,
    effort: &'static str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    test: Option<&'a str>,
    fixture: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
    affected_tests: &'a [String],
    resource: Option<&'a str>,
}

#[derive(Serialize)]
pub(crate) struct JsonEdit<'a> {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    content: &'a str,
}

#[derive(Serialize)]
pub(crate) struct JsonRelated<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

impl<'a> From<&'a Related> for JsonRelated<'a> {
    fn from(r: &'a Related) -> Self {
        JsonRelated {
            file: &r.file,
            line: r.line,
            column: r.column,
            message: &r.message,
        }
    }
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        JsonDiagnostic {
            code: d.rule.code,
            name: d.rule.name,
            category: d.rule.category.as_str(),
            severity: d.rule.severity.as_str(),
            message: &d.message,
            fix: &d.fix,
            applicability: d.autofix.as_ref().map(|f| f.applicability.as_str()),
            edits: d
                .autofix
                .iter()
                .flat_map(|f| f.edits.iter())
                .map(|e| JsonEdit {
                    line: e.start.line,
                    column: e.start.column,
                    end_line: e.end.line,
                    end_column: e.end.column,
                    content: &e.content,
                })
                .collect(),
            effort: d.effort.as_str(),
            file: &d.file,
            line: d.start.line,
            column: d.start.column,
            end_line: d.end.line,
            end_column: d.end.column,
            test: d.test.as_deref(),
            fixture: d.fixture.as_deref(),
            related: d.related.iter().map(JsonRelated::from).collect(),
            affected_tests: &d.affected_tests,
            resource: d.resource.as_deref(),
        }
    }
}

pub(crate) fn render(diagnostics: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic> = diagnostics.iter().map(JsonDiagnostic::from).collect();
    let mut out = serde_json::to_string_pretty(&items).expect("diagnostics serialise to JSON");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::samples;

    #[test]
    fn json() {
        let (diagnostics, _) = samples();
        insta::assert_snapshot!(render(&diagnostics));
    }

    #[test]
    fn empty_is_an_empty_array() {
        assert_eq!(render(&[]), "[]\n");
    }

    #[test]
    fn fields_are_in_the_contract_order() {
        let (diagnostics, _) = samples();
        let text = render(&diagnostics[..1]);
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("    \"") && !l.starts_with("      "))
            .map(|l| l.trim_start().split('"').nth(1).unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "code",
                "name",
                "category",
                "severity",
                "message",
                "fix",
                "applicability",
                "edits",
                "effort",
                "file",
                "line",
                "column",
                "end_line",
                "end_column",
                "test",
                "fixture",
                "related",
                "affected_tests",
                "resource"
            ]
        );
    }
}
