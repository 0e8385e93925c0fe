//! The sample diagnostics every format's snapshot tests render: an ISO101 with a multi-line span, a
//! test node id and related locations in the same file and in another file; an ISO501 in a fixture; an
//! ISO002 syntax error.

use isolint_linter::diagnostic::FixSite;
use isolint_linter::registry::find_rule;
use isolint_linter::{Applicability, AutoFix, Diagnostic, Edit, Effort, LocatedEdit, Related};
use isolint_python::source::{LineIndex, Span};
use std::collections::HashMap;
use std::sync::Arc;

pub const ISO101: &str = "ISO101";

pub const CONFTEST: &str = r#"import os

import pytest


@pytest.fixture
def report_dir():
    return "/tmp/reports"


@pytest.fixture
def production_mode():
    os.environ["APP_MODE"] = "production"
    yield
"#;

pub const TEST_BROKEN: &str = r#"def test_parse():
    assert parse("a, b" == ["a", "b"]


def test_ok():
    assert True
"#;

pub const TEST_REPORT: &str = r#"import json
import os


def test_export(report_dir):
    target = os.path.join(report_dir, "report.json")
    with open(
        target, "w"
    ) as fh:
        json.dump({"rows": 3}, fh)
    os.remove(target)
"#;

/// A diagnostic of `code` in `file` whose span is the first occurrence of `needle` in `source`.
pub fn diagnostic(code: &str, file: &str, source: &str, needle: &str) -> Diagnostic {
    let start = source
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {file}"));
    let span = Span::new(start, start + needle.len());
    let index = LineIndex::new(source);
    let rule = find_rule(code).unwrap_or_else(|| panic!("no rule {code}"));
    Diagnostic {
        rule,
        file: file.to_string(),
        span,
        start: index.position(source, span.start),
        end: index.position(source, span.end),
        message: String::new(),
        fix: String::new(),
        autofix: None,
        effort: rule.effort,
        test: None,
        fixture: None,
        related: Vec::new(),
        affected_tests: Vec::new(),
        owner: None,
        resource: None,
        site: FixSite::Test,
    }
}

/// A fix of edits each given as (text it starts after or at, bytes it replaces, new text): an
/// insertion right after `def name(`, a replacement of the needle itself.
fn autofix(source: &str, applicability: Applicability, edits: &[(&str, usize, &str)]) -> AutoFix {
    let index = LineIndex::new(source);
    AutoFix {
        applicability,
        edits: edits
            .iter()
            .map(|(needle, replaced, content)| {
                let found = source.find(needle).expect("needle in source");
                let start = if *replaced == 0 {
                    found + needle.len()
                } else {
                    found
                };
                let edit = Edit::replace(start, start + replaced, *content);
                LocatedEdit {
                    start: index.position(source, edit.start),
                    end: index.position(source, edit.end),
                    content: content.to_string(),
                    edit,
                }
            })
            .collect(),
    }
}

/// The three sample diagnostics, sorted as the linter sorts them, and their sources.
pub fn samples() -> (Vec<Diagnostic>, HashMap<String, Arc<str>>) {
    let mut environ = diagnostic(
        "ISO501",
        "tests/conftest.py",
        CONFTEST,
        r#"os.environ["APP_MODE"] = "production""#,
    );
    environ.message =
        "fixture `production_mode` sets os.environ[\"APP_MODE\"] and never restores it; later tests in the same worker see the change"
            .to_string();
    environ.fix = "take the `monkeypatch` fixture and call `monkeypatch.setenv(\"APP_MODE\", ...)`"
        .to_string();
    environ.fixture = Some("production_mode".to_string());
    environ.affected_tests = vec![
        "tests/test_app.py::test_banner".to_string(),
        "tests/test_app.py::test_login".to_string(),
    ];
    environ.resource = Some("env:APP_MODE".to_string());
    environ.site = FixSite::Fixture;
    environ.autofix = Some(autofix(
        CONFTEST,
        Applicability::Safe,
        &[
            ("def production_mode(", 0, "monkeypatch"),
            (
                r#"os.environ["APP_MODE"] = "production""#,
                r#"os.environ["APP_MODE"] = "production""#.len(),
                r#"monkeypatch.setenv("APP_MODE", "production")"#,
            ),
        ],
    ));

    let mut syntax = diagnostic(
        "ISO002",
        "tests/test_broken.py",
        TEST_BROKEN,
        r#"parse("a, b" == ["a", "b"]"#,
    );
    syntax.message =
        "this part of the file does not parse as Python, so isolint could not check it; the rest of the file was linted"
            .to_string();
    syntax.fix = "fix the syntax (pytest cannot collect this file either), or exclude the file if it is not Python 3".to_string();

    let mut tmp = diagnostic(
        "ISO101",
        "tests/test_report.py",
        TEST_REPORT,
        "open(\n        target, \"w\"\n    )",
    );
    tmp.message =
        "test writes to the fixed path '/tmp/reports/report.json', shared by every worker"
            .to_string();
    tmp.fix = "take the `tmp_path` fixture and write to `tmp_path / \"report.json\"`".to_string();
    tmp.effort = Effort::Moderate;
    tmp.test = Some("tests/test_report.py::test_export".to_string());
    tmp.related = vec![
        Related {
            file: "tests/test_report.py".to_string(),
            line: 11,
            column: 5,
            message: "the test removes the path here".to_string(),
        },
        Related {
            file: "tests/conftest.py".to_string(),
            line: 7,
            column: 5,
            message: "fixture `report_dir` returns the fixed path '/tmp/reports'".to_string(),
        },
    ];
    tmp.affected_tests = vec!["tests/test_report.py::test_export".to_string()];
    tmp.resource = Some("path:/tmp/reports/report.json".to_string());
    tmp.site = FixSite::Fixture;

    let diagnostics = vec![environ, syntax, tmp];
    let sources = [
        ("tests/conftest.py", CONFTEST),
        ("tests/test_broken.py", TEST_BROKEN),
        ("tests/test_report.py", TEST_REPORT),
    ]
    .into_iter()
    .map(|(file, text)| (file.to_string(), Arc::from(text)))
    .collect();
    (diagnostics, sources)
}

#[test]
fn samples_are_sorted_and_positioned() {
    let (diagnostics, _) = samples();
    let keys: Vec<_> = diagnostics.iter().map(|d| d.sort_key()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let tmp = &diagnostics[2];
    assert_eq!(
        (
            tmp.start.line,
            tmp.start.column,
            tmp.end.line,
            tmp.end.column
        ),
        (7, 10, 9, 6)
    );
}
