//! Finding the files to lint: folders are walked with the `ignore` crate (`.gitignore`, `.ignore`,
//! `.isolintignore`, hidden files skipped), files named on the command line are always linted.

use globset::GlobSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FoundFile {
    pub path: PathBuf,
    /// Named on the command line (then it is a test module whatever its name).
    pub explicit: bool,
}

#[derive(Debug)]
pub struct WalkProblem {
    pub path: PathBuf,
    pub message: String,
}

pub struct WalkOptions<'a> {
    pub no_ignore: bool,
    /// Matched against the path relative to `root` and against the file or folder name.
    pub exclude: &'a GlobSet,
    pub root: &'a Path,
}

/// Every Python file under `paths`, sorted and without duplicates, and the entries that could not be
/// read. Symbolic links are not followed, so a link loop cannot trap the walk.
pub fn find_python_files(
    paths: &[PathBuf],
    options: &WalkOptions,
) -> (Vec<FoundFile>, Vec<WalkProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(FoundFile {
                path: path.clone(),
                explicit: true,
            });
            continue;
        }
        let mut builder = ignore::WalkBuilder::new(path);
        builder
            .follow_links(false)
            .add_custom_ignore_filename(".isolintignore")
            .git_ignore(!options.no_ignore)
            .git_global(!options.no_ignore)
            .git_exclude(!options.no_ignore)
            .ignore(!options.no_ignore)
            .parents(!options.no_ignore)
            .hidden(true);
        if options.no_ignore {
            builder.standard_filters(false).hidden(true);
        }
        let exclude = options.exclude.clone();
        let root = options.root.to_path_buf();
        builder.filter_entry(move |entry| !is_excluded(entry.path(), &root, &exclude));
        for entry in builder.build() {
            match entry {
                Ok(entry) => {
                    let is_file = entry.file_type().is_some_and(|t| t.is_file());
                    if is_file && entry.path().extension().is_some_and(|e| e == "py") {
                        files.push(FoundFile {
                            path: entry.into_path(),
                            explicit: false,
                        });
                    }
                }
                Err(error) => problems.push(WalkProblem {
                    path: error_path(&error).unwrap_or_else(|| path.clone()),
                    message: error.to_string(),
                }),
            }
        }
    }
    sort_and_merge(&mut files);
    (files, problems)
}

/// Sorts found files and merges duplicates (a file given explicitly and found in a folder too).
pub fn sort_and_merge(files: &mut Vec<FoundFile>) {
    files.sort();
    files.dedup_by(|a, b| {
        if a.path == b.path {
            b.explicit |= a.explicit;
            true
        } else {
            false
        }
    });
}

fn is_excluded(path: &Path, root: &Path, exclude: &GlobSet) -> bool {
    if exclude.is_empty() {
        return false;
    }
    let relative = path.strip_prefix(root).unwrap_or(path);
    exclude.is_match(relative)
        || path
            .file_name()
            .is_some_and(|name| exclude.is_match(Path::new(name)))
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

/// Turns found files into lint inputs: `display` relative to `cwd`, `node_path` relative to pytest's
/// `rootdir`, both `/`-separated.
pub fn source_inputs(
    found: Vec<FoundFile>,
    cwd: &Path,
    rootdir: &Path,
) -> Vec<crate::lint::SourceInput> {
    found
        .into_iter()
        .map(|file| {
            let absolute = lexically_normal(&if file.path.is_absolute() {
                file.path.clone()
            } else {
                cwd.join(&file.path)
            });
            crate::lint::SourceInput {
                display: slash_path(absolute.strip_prefix(cwd).unwrap_or(&file.path)),
                node_path: slash_path(absolute.strip_prefix(rootdir).unwrap_or(&file.path)),
                path: file.path,
                explicit: file.explicit,
                text: None,
            }
        })
        .collect()
}

/// `a/b/../c` → `a/c`, without touching the filesystem (symbolic links are not followed by the
/// walk, so the lexical and the real parent agree for the files it finds).
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !normal.pop() {
                    normal.push("..");
                }
            }
            other => normal.push(other.as_os_str()),
        }
    }
    normal
}

/// A path with `/` separators and without a leading `./` (`.` for the current folder).
pub fn slash_path(path: &Path) -> String {
    use std::path::Component;
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => None,
        })
        .collect();
    let joined = parts.join("/");
    if path.has_root() {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_paths() {
        assert_eq!(
            slash_path(Path::new("/tmp/x/test_a.py")),
            "/tmp/x/test_a.py"
        );
        assert_eq!(
            slash_path(Path::new("./tests/test_a.py")),
            "tests/test_a.py"
        );
        assert_eq!(slash_path(Path::new(".")), ".");
        assert_eq!(slash_path(Path::new("../other/t.py")), "../other/t.py");
    }
}
