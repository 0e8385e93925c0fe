//! `lint_with_cache` gives what `lint` gives, on every fixture project and folder of the
//! repository: cold, warm from the whole-run entry, and warm from the per-file entries alone (after
//! a run over another set of files took the run's slot). So does a run that writes every file's
//! outcome out to its temporary file until the project stage.

mod common;

use common::{inputs, repo_root};
use isolint_linter::cache::Cache;
use isolint_linter::{
    lint, lint_spilling_after, lint_with_cache, LintOptions, LintResult, RuleSet, Settings,
};
use isolint_python::pytest_config::Naming;
use std::path::Path;

/// Everything a reporter or the audit reads of a result.
fn shown(result: &LintResult) -> String {
    let mut sources: Vec<_> = result.sources.iter().collect();
    sources.sort();
    format!(
        "{:#?}\n{:#?}\n{:#?}\n{:?} {:?}",
        result.diagnostics, result.files, sources, result.categories_checked, result.codes_checked
    )
}

fn check(folder: &Path, root: &Path) {
    let files = inputs(folder, root);
    let rules = RuleSet::default();
    let naming = Naming::default();
    let settings = Settings {
        source_roots: vec![root.to_path_buf()],
        ..Settings::default()
    };
    let options = LintOptions {
        rules: &rules,
        naming: &naming,
        settings: &settings,
        per_file_ignores: &[],
        warn_unused_suppressions: true,
        project_files: None,
    };
    let expected = shown(&lint(&files, &options));
    assert_eq!(
        shown(&lint_spilling_after(&files, &options, None, 0)),
        expected,
        "{}: every outcome spilled",
        folder.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join(".isolint_cache"));
    let place = folder.display();
    assert_eq!(
        shown(&lint_with_cache(&files, &options, Some(&cache))),
        expected,
        "{place}: cold"
    );
    assert_eq!(
        shown(&lint_with_cache(&files, &options, Some(&cache))),
        expected,
        "{place}: warm"
    );
    if files.len() > 1 {
        lint_with_cache(&files[..1], &options, Some(&cache));
        let per_file = lint_with_cache(&files, &options, Some(&cache));
        assert_eq!(shown(&per_file), expected, "{place}: from per-file entries");
    }
    assert_eq!(cache.write_error(), None);
}

#[test]
fn cached_results_are_the_results() {
    let fixtures = repo_root().join("fixtures");
    let projects = fixtures.join("projects");
    let mut checked = 0;
    for folder in [&fixtures, &projects] {
        let mut entries: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir() && *p != projects)
            .collect();
        entries.sort();
        for entry in entries {
            let tests = entry.join("tests");
            if tests.is_dir() {
                check(&tests, &entry);
            } else {
                check(&entry, &entry);
            }
            checked += 1;
        }
    }
    assert!(checked > 10, "{checked} folders");
}
