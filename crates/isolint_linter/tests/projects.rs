//! Multi-file fixture projects (`fixtures/projects/<name>/`): a package beside its tests. Each is
//! linted as `isolint tests/` would be from the project root, with the `hardcoded-path` family
//! enabled, and compared with the `# expect:` comments of its `tests/` files. The package's own
//! modules are read for what their functions do and must never be reported in.

mod common;

use common::{expectations, repo_root};
use globset::GlobSet;
use isolint_linter::walk::{find_python_files, source_inputs, WalkOptions};
use isolint_linter::{lint, LintOptions, RuleSet, Settings};
use isolint_python::pytest_config::Naming;
use std::collections::BTreeSet;

fn check_project(name: &str) -> Result<(), String> {
    let project = repo_root().join("fixtures/projects").join(name);
    let tests = project.join("tests");
    let exclude = GlobSet::empty();
    let (found, problems) = find_python_files(
        std::slice::from_ref(&tests),
        &WalkOptions {
            no_ignore: true,
            exclude: &exclude,
            root: &project,
        },
    );
    assert!(problems.is_empty(), "{problems:?}");
    let inputs = source_inputs(found, &project, &project);
    let rules = RuleSet::only(&["ISO101", "ISO102", "ISO103", "ISO104", "ISO105"]);
    let naming = Naming::default();
    let settings = Settings {
        source_roots: vec![project.clone()],
        ..Settings::default()
    };
    let result = lint(
        &inputs,
        &LintOptions {
            rules: &rules,
            naming: &naming,
            settings: &settings,
            per_file_ignores: &[],
            warn_unused_suppressions: false,
        },
    );
    let actual: BTreeSet<(String, usize, String)> = result
        .diagnostics
        .iter()
        .map(|d| (d.file.clone(), d.start.line, d.rule.code.to_string()))
        .collect();
    let expected: BTreeSet<(String, usize, String)> = expectations(&tests)
        .into_iter()
        .map(|(file, line, code)| (format!("tests/{file}"), line, code))
        .collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let unexpected: Vec<String> = result
        .diagnostics
        .iter()
        .filter(|d| !expected.contains(&(d.file.clone(), d.start.line, d.rule.code.to_string())))
        .map(|d| format!("{}:{}: {} {}", d.file, d.start.line, d.rule.code, d.message))
        .collect();
    if missing.is_empty() && unexpected.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fixtures/projects/{name}:\n  missing: {missing:#?}\n  unexpected: {unexpected:#?}"
        ))
    }
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
