//! The project's own package beside its tests: which top-level names are first-party, and which
//! files the modules that test code imports are. Those modules are read for their effect
//! summaries only (what their functions do to paths), never linted; third-party code is never
//! read.

use crate::analysis::calls::FirstPartyNames;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Folders a project's source trees are often next to but that hold no first-party code.
const NOT_SOURCE: &[&str] = &[
    "build",
    "dist",
    "docs",
    "doc",
    "site-packages",
    "node_modules",
    "venv",
    "env",
    "target",
    "__pycache__",
];

pub struct FirstParty {
    /// Folders modules are imported from (`rootdir`, `rootdir/src`, ...), existing ones only.
    roots: Vec<PathBuf>,
    pub names: FirstPartyNames,
}

impl FirstParty {
    /// Reads the top level of each source root (one directory listing each) and takes the names
    /// the linted files are imported under, which tests import too (`from helpers import x`).
    pub fn new(source_roots: &[PathBuf], linted: &[(&Path, &str)]) -> FirstParty {
        let mut roots: Vec<PathBuf> = Vec::new();
        for root in source_roots {
            let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
            if root.is_dir() && !roots.contains(&root) {
                roots.push(root);
            }
        }
        let mut names = HashSet::new();
        for root in &roots {
            let Ok(entries) = std::fs::read_dir(root) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if name.starts_with('.') || NOT_SOURCE.contains(&name) {
                    continue;
                }
                if let Some(stem) = name.strip_suffix(".py") {
                    names.insert(stem.to_string());
                } else if path.is_dir() && holds_python(&path) {
                    names.insert(name.to_string());
                }
            }
        }
        let mut packages: HashMap<PathBuf, bool> = HashMap::new();
        for (file, node_path) in linted {
            // `tests.helpers` when the rootdir is on `sys.path`.
            if let Some(first) = node_path.split('/').find(|p| !p.is_empty()) {
                names.insert(first.trim_end_matches(".py").to_string());
            }
            if let Some(top) = top_level_name(file, &mut packages) {
                names.insert(top);
            }
        }
        FirstParty {
            roots,
            names: FirstPartyNames(names),
        }
    }

    /// The file of an absolute dotted module name, with the module name it has from its root.
    pub fn module_file(&self, module: &str) -> Option<PathBuf> {
        if module.is_empty()
            || !module
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
        {
            return None;
        }
        let relative: PathBuf = module.split('.').collect();
        self.roots.iter().find_map(|root| {
            let file = root.join(&relative).with_extension("py");
            if file.is_file() {
                return Some(file);
            }
            let init = root.join(&relative).join("__init__.py");
            init.is_file().then_some(init)
        })
    }

    /// A first-party file's dotted module name, from the root it lies under.
    pub fn module_name(&self, file: &Path) -> Option<String> {
        self.roots.iter().find_map(|root| {
            let relative = file.strip_prefix(root).ok()?;
            Some(isolint_python::project::module_of_path(
                &relative.to_str()?.replace('\\', "/"),
            ))
        })
    }

    /// A first-party file as shown to users: relative to the first root (pytest's rootdir).
    pub fn shown_path(&self, file: &Path) -> String {
        let relative = self
            .roots
            .first()
            .and_then(|root| file.strip_prefix(root).ok())
            .unwrap_or(file);
        crate::walk::slash_path(relative)
    }

    /// The folders modules are imported from, canonical.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// The top-level name a file is imported under with pytest's default `prepend` import mode: the
/// outermost package folder above it (folders with `__init__.py`), or the module itself when its
/// folder is no package. `db_functions/datetime/tests.py` is `db_functions.datetime.tests`, so
/// `datetime` stays the standard library's.
fn top_level_name(file: &Path, packages: &mut HashMap<PathBuf, bool>) -> Option<String> {
    let mut top = file.file_stem()?.to_str()?.to_string();
    let mut folder = file.parent();
    while let Some(current) = folder.filter(|f| !f.as_os_str().is_empty()) {
        let is_package = *packages
            .entry(current.to_path_buf())
            .or_insert_with(|| current.join("__init__.py").is_file());
        if !is_package {
            break;
        }
        top = current.file_name()?.to_str()?.to_string();
        folder = current.parent();
    }
    Some(top)
}

fn holds_python(folder: &Path) -> bool {
    folder.join("__init__.py").is_file()
        || std::fs::read_dir(folder).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "py"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_inside_a_package_is_not_a_top_level_name() {
        let root = tempfile::tempdir().expect("temporary folder");
        let nested = root.path().join("db_functions").join("datetime");
        std::fs::create_dir_all(&nested).expect("folders");
        for package in [root.path().join("db_functions"), nested.clone()] {
            std::fs::write(package.join("__init__.py"), "").expect("package marker");
        }
        let plain = root.path().join("helpers_here");
        std::fs::create_dir_all(&plain).expect("folder");
        let test_file = nested.join("test_extract.py");
        let helper_file = plain.join("factories.py");
        let linted = [
            (test_file.as_path(), "db_functions/datetime/test_extract.py"),
            (helper_file.as_path(), "helpers_here/factories.py"),
        ];
        let names = FirstParty::new(&[], &linted).names;
        assert!(names.contains_module("db_functions.datetime"));
        assert!(names.contains_module("factories"));
        assert!(
            !names.contains_module("datetime"),
            "the standard library's datetime"
        );
        assert!(!names.contains_module("test_extract"));
    }
}
