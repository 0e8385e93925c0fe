//! Fixture pairs of `--fix` (`fixtures/fix/<case>/`): each `.py` file of a case is linted with every
//! rule as a small suite, fixed (the unsafe fixes too when the case holds a file named `UNSAFE`),
//! and compared with `<file>.py.expected` (a file without one must not change). Then the fixed
//! suite is linted again: the fixed findings are gone and nothing is left that a fix could change;
//! fixing it once more changes nothing. `ISOLINT_BLESS=1` writes the `.expected` files instead.

mod common;

use isolint_linter::fix::session::fix_inputs;
use isolint_linter::{Applicability, LintOptions, RuleSet, Settings, SourceInput};
use isolint_python::parse::{parse, python_parser, syntax_errors};
use isolint_python::pytest_config::Naming;
use std::collections::BTreeMap;
use std::path::Path;

fn options<'a>(rules: &'a RuleSet, naming: &'a Naming, settings: &'a Settings) -> LintOptions<'a> {
    LintOptions {
        rules,
        naming,
        settings,
        per_file_ignores: &[],
        warn_unused_suppressions: false,
        project_files: None,
    }
}

/// Linted findings as (file, code, message): what identifies a finding across edits that move it.
fn findings(
    inputs: &[SourceInput],
    opts: &LintOptions,
) -> Vec<(String, String, String, Option<Applicability>)> {
    isolint_linter::lint(inputs, opts)
        .diagnostics
        .into_iter()
        .map(|d| {
            (
                d.file,
                d.rule.code.to_string(),
                d.message,
                d.autofix.map(|f| f.applicability),
            )
        })
        .collect()
}

fn check_case(case: &Path) -> Result<(), String> {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let unsafe_fixes = case.join("UNSAFE").exists();
    let scratch = tempfile::tempdir().unwrap();
    let tests = scratch.path().join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    let mut originals: BTreeMap<String, String> = BTreeMap::new();
    for entry in std::fs::read_dir(case).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "py") {
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(tests.join(&file), &text).unwrap();
            originals.insert(file, text);
        }
    }
    let rules = RuleSet::default();
    let naming = Naming::default();
    let settings = Settings::default();
    let opts = options(&rules, &naming, &settings);
    let mut inputs = common::inputs(&tests, scratch.path());
    let before = findings(&inputs, &opts);
    let outcome = fix_inputs(&mut inputs, &opts, unsafe_fixes);
    let applicable =
        |a: &Option<Applicability>| a.is_some_and(|a| a == Applicability::Safe || unsafe_fixes);

    let mut problems = Vec::new();
    for input in &inputs {
        let file = input
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let fixed = input
            .text
            .clone()
            .unwrap_or_else(|| originals[&file].clone());
        let expected_path = case.join(format!("{file}.expected"));
        if std::env::var_os("ISOLINT_BLESS").is_some() {
            if fixed != originals[&file] {
                std::fs::write(&expected_path, &fixed).unwrap();
            }
            continue;
        }
        let expected =
            std::fs::read_to_string(&expected_path).unwrap_or_else(|_| originals[&file].clone());
        if fixed != expected {
            problems.push(format!(
                "{name}/{file}: fixed text differs from {}:\n--- got ---\n{fixed}\n--- expected ---\n{expected}",
                expected_path.display()
            ));
        }
        let mut parser = python_parser();
        let tree = parse(&mut parser, &fixed).map_err(|e| format!("{e:?}"))?;
        if !syntax_errors(&tree).is_empty() {
            problems.push(format!("{name}/{file}: the fixed file does not parse"));
        }
    }

    // Linted again: every fixed finding is gone, no applicable fix is left, nothing new appeared.
    let after = findings(&inputs, &opts);
    for finding in &after {
        if applicable(&finding.3) {
            problems.push(format!(
                "{name}: a fix is still offered after fixing: {finding:?}"
            ));
        }
        if !before
            .iter()
            .any(|b| b.0 == finding.0 && b.1 == finding.1 && b.2 == finding.2)
        {
            problems.push(format!("{name}: fixing made a new finding: {finding:?}"));
        }
    }
    for fixed in before.iter().filter(|b| applicable(&b.3)) {
        if after
            .iter()
            .any(|a| a.0 == fixed.0 && a.1 == fixed.1 && a.2 == fixed.2)
        {
            problems.push(format!(
                "{name}: a fixed finding is still reported: {fixed:?}"
            ));
        }
    }
    let expected_fixes = before.iter().filter(|b| applicable(&b.3)).count();
    if expected_fixes > 0 && outcome.changed.is_empty() {
        problems.push(format!("{name}: fixes were offered but nothing changed"));
    }
    // Fixing the fixed suite changes nothing.
    let again = fix_inputs(&mut inputs, &opts, unsafe_fixes);
    if !again.changed.is_empty() || again.applied != 0 {
        problems.push(format!(
            "{name}: a second --fix changed {:?}",
            again.changed.keys()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn every_fix_fixture_pair_matches() {
    let root = common::repo_root().join("fixtures/fix");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 10,
        "fix fixtures missing under {}",
        root.display()
    );
    let failures: Vec<String> = cases.iter().filter_map(|c| check_case(c).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Safe cases offer only safe fixes, and the case of unsafe fixes changes nothing without the flag.
#[test]
fn unsafe_fixes_need_the_flag() {
    let case = common::repo_root().join("fixtures/fix/unsafe_worker_id");
    let scratch = tempfile::tempdir().unwrap();
    let tests = scratch.path().join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    for entry in std::fs::read_dir(&case).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "py") {
            std::fs::copy(&path, tests.join(path.file_name().unwrap())).unwrap();
        }
    }
    let rules = RuleSet::default();
    let naming = Naming::default();
    let settings = Settings::default();
    let opts = options(&rules, &naming, &settings);
    let mut inputs = common::inputs(&tests, scratch.path());
    let found = findings(&inputs, &opts);
    assert!(
        found.iter().any(|f| f.3 == Some(Applicability::Unsafe)),
        "{found:?}"
    );
    let outcome = fix_inputs(&mut inputs, &opts, false);
    assert!(outcome.changed.is_empty());
    assert_eq!(outcome.applied, 0);
}
