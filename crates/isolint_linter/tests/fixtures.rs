//! Runs every rule over its fixtures in `fixtures/<CODE>/` and compares with the inline
//! expectations: a line ending in `# expect: ISO101` must be flagged by that rule, and nothing else
//! may be. Each folder is linted as a small project with only its rule enabled. The configuration
//! rules (ISO9xx) need one project per case: each subfolder of `fixtures/ISO9xx/` is a project with
//! its own `pyproject.toml`, CI files and so on, and the comments may sit in any of its files
//! (TOML, INI, YAML, Makefile and requirements files all have `#` comments).

use isolint_linter::registry::all_rules;
use isolint_linter::{lint, LintOptions, RuleSet, Settings};
use isolint_python::project_files::ProjectFiles;
use isolint_python::pytest_config::Naming;
use std::path::{Path, PathBuf};

mod common;

use common::{compare, expectations, inputs, repo_root};

fn check_folder(code: &'static str) -> Result<(), String> {
    let folder = repo_root().join("fixtures").join(code);
    if !folder.is_dir() {
        return Err(format!("rule {code} has no fixtures/{code}/ folder"));
    }
    if !code.starts_with("ISO9") {
        return check_project(code, &folder, None);
    }
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    let mut failures = Vec::new();
    let mut expected = 0;
    for project in &projects {
        expected += expectations(project)
            .iter()
            .filter(|(_, _, c)| c == code)
            .count();
        let files = ProjectFiles::read(project, project);
        if let Err(e) = check_project(code, project, Some(&files)) {
            failures.push(e);
        }
    }
    if expected == 0 {
        failures.push(format!(
            "fixtures/{code} expects no {code} finding: add positive cases"
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

fn check_project(
    code: &'static str,
    folder: &Path,
    project_files: Option<&ProjectFiles>,
) -> Result<(), String> {
    let folder = folder.to_path_buf();
    let inputs = inputs(&folder, &folder);
    // ISO003 judges suppressions against the rules that ran: give it a family to suppress.
    let rules = if code == "ISO003" {
        RuleSet::only(&[code, "ISO101"])
    } else {
        RuleSet::only(&[code])
    };
    let naming = Naming::default();
    let settings = Settings::default();
    let result = lint(
        &inputs,
        &LintOptions {
            rules: &rules,
            naming: &naming,
            settings: &settings,
            per_file_ignores: &[],
            warn_unused_suppressions: code == "ISO003",
            project_files,
        },
    );
    let expected = expectations(&folder);
    if project_files.is_none() && expected.iter().filter(|(_, _, c)| c == code).count() == 0 {
        return Err(format!(
            "fixtures/{code} expects no {code} finding: add positive cases"
        ));
    }
    compare(&result, &expected, &folder.display().to_string())
}

#[test]
fn every_rule_matches_its_fixtures() {
    let failures: Vec<String> = all_rules()
        .iter()
        .map(|r| r.meta().code)
        .filter_map(|code| check_folder(code).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_rule_has_a_page_with_the_required_sections() {
    let root = repo_root();
    for rule in all_rules() {
        let meta = rule.meta();
        let page = root
            .join("rules")
            .join(format!("{}-{}.md", meta.code, meta.name));
        assert!(
            page.is_file(),
            "{} has no page {}",
            meta.code,
            page.display()
        );
        assert!(
            meta.doc
                .starts_with(&format!("# {} {}", meta.code, meta.name)),
            "{}: page title",
            meta.code
        );
        for section in [
            "What it does",
            "Why it breaks parallel or random-order runs",
            "Example",
            "Use instead",
            "Effort",
            "Known limits",
        ] {
            assert!(
                meta.doc.contains(&format!("\n## {section}\n")),
                "{}: page lacks section {section}",
                meta.code
            );
        }
    }
}

#[test]
fn every_page_and_fixture_folder_belongs_to_a_rule() {
    let root = repo_root();
    let codes: Vec<&str> = all_rules().iter().map(|r| r.meta().code).collect();
    for entry in std::fs::read_dir(root.join("rules")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        let code = name.split('-').next().unwrap_or("");
        assert!(
            codes.contains(&code),
            "rules/{name} belongs to no registered rule"
        );
    }
    for entry in std::fs::read_dir(root.join("fixtures")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.starts_with("ISO") {
            assert!(
                codes.contains(&name.as_str()),
                "fixtures/{name} belongs to no registered rule"
            );
        }
    }
}
