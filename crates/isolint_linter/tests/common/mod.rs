//! What the fixture harnesses share: where the repository is, and the inline expectations of a
//! folder's Python files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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
