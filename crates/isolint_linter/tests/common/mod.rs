//! What the fixture harnesses share: where the repository is, the inputs of a folder, the inline
//! expectations of its files and how findings are compared with them.

#![allow(dead_code)] // Each harness uses its part.

use globset::GlobSet;
use isolint_linter::walk::{find_python_files, source_inputs, WalkOptions};
use isolint_linter::{LintResult, SourceInput};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The Python files under `target`, named relative to `root` (which plays pytest's rootdir).
pub fn inputs(target: &Path, root: &Path) -> Vec<SourceInput> {
    let exclude = GlobSet::empty();
    let (found, problems) = find_python_files(
        std::slice::from_ref(&target.to_path_buf()),
        &WalkOptions {
            no_ignore: true,
            exclude: &exclude,
            root,
        },
    );
    assert!(problems.is_empty(), "{problems:?}");
    source_inputs(found, root, root)
}

/// The expected findings a run missed and the ones it should not have made, if any.
pub fn compare(
    result: &LintResult,
    expected: &BTreeSet<(String, usize, String)>,
    label: &str,
) -> Result<(), String> {
    let actual: BTreeSet<(String, usize, String)> = result
        .diagnostics
        .iter()
        .map(|d| (d.file.clone(), d.start.line, d.rule.code.to_string()))
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
            "{label}:\n  missing: {missing:#?}\n  unexpected: {unexpected:#?}"
        ))
    }
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// (file, line, code) triples expected by the comments of the folder's files.
pub fn expectations(folder: &Path) -> BTreeSet<(String, usize, String)> {
    let mut expected = BTreeSet::new();
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    // Configuration fixtures expect findings in TOML, INI and YAML files too.
    for path in files {
        let name = path
            .strip_prefix(folder)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        // Lossy: ISO001's fixtures are not UTF-8 on purpose.
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for (index, line) in text.lines().enumerate() {
            if let Some((_, codes)) = line.split_once("# expect:") {
                for code in codes.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    expected.insert((name.clone(), index + 1, code.to_string()));
                }
            }
        }
    }
    expected
}
