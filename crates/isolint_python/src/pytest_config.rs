//! The suite's own pytest settings: which files, classes and functions are tests, and `testpaths`.
//! Read from `pytest.ini`, `pyproject.toml` (`[tool.pytest.ini_options]`), `tox.ini` and `setup.cfg`,
//! the first that has a pytest section winning, as pytest does.

use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// How pytest names tests in this suite.
#[derive(Debug, Clone)]
pub struct Naming {
    files: GlobSet,
    pub file_patterns: Vec<String>,
    pub class_patterns: Vec<String>,
    pub function_patterns: Vec<String>,
}

impl Default for Naming {
    fn default() -> Self {
        Naming::new(
            vec!["test_*.py".into(), "*_test.py".into()],
            vec!["Test".into()],
            vec!["test".into()],
        )
    }
}

impl Naming {
    pub fn new(files: Vec<String>, classes: Vec<String>, functions: Vec<String>) -> Self {
        let mut builder = GlobSetBuilder::new();
        for pattern in &files {
            if let Ok(glob) = Glob::new(pattern) {
                builder.add(glob);
            }
        }
        Naming {
            files: builder.build().unwrap_or_else(|_| GlobSet::empty()),
            file_patterns: files,
            class_patterns: classes,
            function_patterns: functions,
        }
    }

    pub fn is_test_file(&self, file_name: &str) -> bool {
        self.files.is_match(file_name)
    }

    pub fn is_test_class(&self, name: &str) -> bool {
        matches_name(&self.class_patterns, name)
    }

    pub fn is_test_function(&self, name: &str) -> bool {
        matches_name(&self.function_patterns, name)
    }
}

/// pytest's `python_classes`/`python_functions`: a prefix, or a glob when it has wildcards.
fn matches_name(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|pattern| {
        if pattern.contains(['*', '?', '[']) {
            Glob::new(pattern).is_ok_and(|glob| glob.compile_matcher().is_match(name))
        } else {
            name.starts_with(pattern.as_str())
        }
    })
}

/// The pytest settings isolint reads, and where they came from.
#[derive(Debug, Clone, Default)]
pub struct PytestConfig {
    pub naming: Naming,
    pub testpaths: Vec<String>,
    pub addopts: Vec<String>,
    /// The file the settings came from; its folder is pytest's rootdir.
    pub source: Option<PathBuf>,
}

/// Finds the pytest configuration for `start`, walking up as pytest does.
pub fn discover(start: &Path) -> PytestConfig {
    let mut dir = if start.is_dir() {
        Some(start)
    } else {
        start.parent()
    };
    while let Some(current) = dir {
        for name in [
            "pytest.ini",
            ".pytest.ini",
            "pyproject.toml",
            "tox.ini",
            "setup.cfg",
        ] {
            let candidate = current.join(name);
            if let Ok(text) = std::fs::read_to_string(&candidate) {
                if let Some(values) = read_section(name, &text) {
                    return values.into_config(candidate);
                }
            }
        }
        dir = current.parent();
    }
    PytestConfig::default()
}

#[derive(Default)]
struct RawSettings {
    python_files: Option<Vec<String>>,
    python_classes: Option<Vec<String>>,
    python_functions: Option<Vec<String>>,
    testpaths: Vec<String>,
    addopts: Vec<String>,
}

impl RawSettings {
    fn into_config(self, source: PathBuf) -> PytestConfig {
        let default = Naming::default();
        PytestConfig {
            naming: Naming::new(
                self.python_files.unwrap_or(default.file_patterns),
                self.python_classes.unwrap_or(default.class_patterns),
                self.python_functions.unwrap_or(default.function_patterns),
            ),
            testpaths: self.testpaths,
            addopts: self.addopts,
            source: Some(source),
        }
    }

    fn set(&mut self, key: &str, values: Vec<String>) {
        match key {
            "python_files" => self.python_files = Some(values),
            "python_classes" => self.python_classes = Some(values),
            "python_functions" => self.python_functions = Some(values),
            "testpaths" => self.testpaths = values,
            "addopts" => self.addopts = values,
            _ => {}
        }
    }
}

fn read_section(file_name: &str, text: &str) -> Option<RawSettings> {
    if file_name == "pyproject.toml" {
        let document: toml::Table = text.parse().ok()?;
        let options = document
            .get("tool")?
            .get("pytest")?
            .get("ini_options")?
            .as_table()?;
        let mut settings = RawSettings::default();
        for (key, value) in options {
            let values = match value {
                toml::Value::String(s) => s.split_whitespace().map(String::from).collect(),
                toml::Value::Array(items) => items
                    .iter()
                    .filter_map(|item| item.as_str().map(String::from))
                    .collect(),
                _ => continue,
            };
            settings.set(key, values);
        }
        return Some(settings);
    }
    let wanted = match file_name {
        "setup.cfg" => "tool:pytest",
        _ if file_name.ends_with("pytest.ini") => "pytest",
        _ => "pytest",
    };
    read_ini_section(text, wanted)
}

/// A minimal INI reader: pytest's settings are whitespace-separated lists that may continue on
/// indented lines.
fn read_ini_section(text: &str, wanted: &str) -> Option<RawSettings> {
    let mut settings = None::<RawSettings>;
    let mut in_section = false;
    let mut current_key: Option<String> = None;
    let mut current_values: Vec<String> = Vec::new();
    let flush =
        |settings: &mut Option<RawSettings>, key: &mut Option<String>, values: &mut Vec<String>| {
            if let (Some(s), Some(k)) = (settings.as_mut(), key.take()) {
                s.set(&k, std::mem::take(values));
            }
            values.clear();
        };
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            flush(&mut settings, &mut current_key, &mut current_values);
            in_section = &trimmed[1..trimmed.len() - 1] == wanted;
            if in_section && settings.is_none() {
                settings = Some(RawSettings::default());
            }
            continue;
        }
        if !in_section || trimmed.is_empty() {
            continue;
        }
        let continuation = line.starts_with([' ', '\t']);
        if continuation && current_key.is_some() {
            current_values.extend(trimmed.split_whitespace().map(String::from));
        } else if let Some((key, value)) = trimmed.split_once(['=', ':']) {
            flush(&mut settings, &mut current_key, &mut current_values);
            current_key = Some(key.trim().to_string());
            current_values = value.split_whitespace().map(String::from).collect();
        }
    }
    flush(&mut settings, &mut current_key, &mut current_values);
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_naming() {
        let naming = Naming::default();
        assert!(naming.is_test_file("test_x.py"));
        assert!(naming.is_test_file("x_test.py"));
        assert!(!naming.is_test_file("conftest.py"));
        assert!(naming.is_test_class("TestThing"));
        assert!(naming.is_test_function("test_it"));
        assert!(!naming.is_test_function("helper"));
    }

    #[test]
    fn reads_ini_with_continuation_lines() {
        let text = "[pytest]\npython_files =\n    check_*.py\n    *_spec.py\ntestpaths = tests\naddopts = -p no:randomly\n";
        let config = read_section("pytest.ini", text)
            .unwrap()
            .into_config(PathBuf::from("pytest.ini"));
        assert!(config.naming.is_test_file("check_a.py"));
        assert!(config.naming.is_test_file("a_spec.py"));
        assert!(!config.naming.is_test_file("test_a.py"));
        assert_eq!(config.testpaths, vec!["tests"]);
        assert_eq!(config.addopts, vec!["-p", "no:randomly"]);
    }

    #[test]
    fn reads_pyproject() {
        let text = "[tool.pytest.ini_options]\npython_classes = [\"Check\"]\ntestpaths = [\"t\"]\n";
        let config = read_section("pyproject.toml", text)
            .unwrap()
            .into_config(PathBuf::new());
        assert!(config.naming.is_test_class("CheckThing"));
        assert!(!config.naming.is_test_class("TestThing"));
        assert!(read_section("pyproject.toml", "[tool.black]\n").is_none());
    }

    #[test]
    fn setup_cfg_needs_tool_pytest() {
        assert!(read_section("setup.cfg", "[pytest]\ntestpaths = x\n").is_none());
        assert!(read_section("setup.cfg", "[tool:pytest]\ntestpaths = x\n").is_some());
    }
}
