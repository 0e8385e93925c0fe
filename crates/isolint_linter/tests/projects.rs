//! Multi-file fixture projects (`fixtures/projects/<name>/`): a package beside its tests. Each is
//! linted as `isolint tests/` would be from the project root, with the `hardcoded-path` family
//! enabled (and the state rules ISO306, ISO402), and compared with the `# expect:` comments of its `tests/` files. The package's own
//! modules are read for what their functions do and must never be reported in.

mod common;

use common::{compare, expectations, inputs, repo_root};
use isolint_linter::{lint, LintOptions, RuleSet, Settings};
use isolint_python::pytest_config::Naming;
use std::collections::BTreeSet;

fn lint_project(name: &str) -> isolint_linter::LintResult {
    let project = repo_root().join("fixtures/projects").join(name);
    let inputs = inputs(&project.join("tests"), &project);
    let rules = RuleSet::only(&[
        "ISO101", "ISO102", "ISO103", "ISO104", "ISO105", "ISO306", "ISO402",
    ]);
    let naming = Naming::default();
    let settings = Settings {
        source_roots: vec![project.clone()],
        ..Settings::default()
    };
    lint(
        &inputs,
        &LintOptions {
            rules: &rules,
            naming: &naming,
            settings: &settings,
            per_file_ignores: &[],
            warn_unused_suppressions: false,
            project_files: None,
        },
    )
}

fn check_project(name: &str) -> Result<(), String> {
    let tests = repo_root()
        .join("fixtures/projects")
        .join(name)
        .join("tests");
    let result = lint_project(name);
    let expected: BTreeSet<(String, usize, String)> = expectations(&tests)
        .into_iter()
        .map(|(file, line, code)| (format!("tests/{file}"), line, code))
        .collect();
    compare(&result, &expected, &format!("fixtures/projects/{name}"))
}

#[test]
fn every_project_matches_its_expectations() {
    let folder = repo_root().join("fixtures/projects");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let failures: Vec<String> = names
        .iter()
        .filter_map(|name| check_project(name).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn inherited_tests_are_collected_and_attributed_to_every_subclass() {
    let result = lint_project("inherited-and-guarded");
    let collected: Vec<&str> = result
        .files
        .iter()
        .flat_map(|f| f.tests.iter().map(|t| t.node_id.as_str()))
        .collect();
    for id in [
        "tests/test_readers.py::TestXLSX::test_reads_back",
        "tests/test_readers.py::TestXLSX::test_writes_copy",
        "tests/test_readers.py::TestODS::test_reads_back",
        "tests/test_readers.py::TestODS::test_writes_copy",
    ] {
        assert!(collected.contains(&id), "{id} not collected: {collected:?}");
    }
    let affected = |line: usize| {
        result
            .diagnostics
            .iter()
            .find(|d| d.file.ends_with("reader_base.py") && d.start.line == line)
            .map(|d| d.affected_tests.clone())
            .unwrap_or_default()
    };
    // The overridden test runs only where it is inherited.
    assert_eq!(
        affected(17),
        vec!["tests/test_readers.py::TestXLSX::test_writes_copy"]
    );
    // setup_method runs for every test of every subclass.
    assert_eq!(affected(7).len(), 5, "{:?}", affected(7));
    // A TestCase a test module imports is collected there too, as well as through its subclass.
    let imported = result
        .diagnostics
        .iter()
        .find(|d| d.file.ends_with("unit_base.py"))
        .map(|d| d.affected_tests.clone())
        .unwrap_or_default();
    assert!(
        imported.contains(&"tests/test_imports_a_testcase.py::SheetTests::test_reads".to_string())
            && imported
                .contains(&"tests/test_imports_a_testcase.py::TestCSV::test_reads".to_string()),
        "{imported:?}"
    );
}

#[test]
fn a_helper_that_fills_a_folder_is_one_finding_at_the_call() {
    let result = lint_project("through-calls");
    let at_setup: Vec<&str> = result
        .diagnostics
        .iter()
        .filter(|d| d.file.ends_with("test_positive.py") && d.message.contains("make_repo"))
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(at_setup.len(), 1, "{at_setup:?}");
    assert!(at_setup[0].contains("'sandbox-repo'"), "{at_setup:?}");
    // Both items of the finalizer's loop are removed.
    let removed: Vec<&str> = result
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("rendered-project"))
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(removed.len(), 2, "{removed:?}");
}
