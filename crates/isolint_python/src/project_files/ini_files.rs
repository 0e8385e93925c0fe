//! INI files: `pytest.ini`, `tox.ini`, `setup.cfg`, `.coveragerc`. `rust-ini` reads the structure
//! (sections, keys, indented continuation lines, comments); each value line is then located in the
//! file so findings point at it.

use super::{
    CoverageParallel, Invocation, Location, Origin, Problem, ProjectFiles, TextFile, Word,
};
use ini::{Ini, ParseOption};

pub(super) fn read(files: &mut ProjectFiles, relative: &str, file: &TextFile) {
    let options = ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        enabled_indented_mutiline_value: true,
        ..ParseOption::default()
    };
    let ini = match Ini::load_from_str_opt(file.text, options) {
        Ok(ini) => ini,
        Err(error) => {
            let line = error.line.max(1) - 1;
            let start = file.line_start(line.min(file.line_count().saturating_sub(1)));
            files.problems.push(Problem {
                at: file.at(start, start),
                message: format!(
                    "this file is not valid INI ({}); isolint could not read its settings",
                    error.msg
                ),
            });
            return;
        }
    };
    let locator = Locator { file };
    let pytest_section = match relative {
        "setup.cfg" => Some("tool:pytest"),
        "pytest.ini" | ".pytest.ini" | "tox.ini" => Some("pytest"),
        _ => None,
    };
    let coverage_section = match relative {
        ".coveragerc" => "run",
        _ => "coverage:run",
    };
    for (name, properties) in ini.iter() {
        let Some(name) = name else { continue };
        if Some(name) == pytest_section && files.pytest.at.is_none() {
            files.pytest.at = locator.section(name);
            for (key, value) in properties.iter() {
                match key {
                    "addopts" => read_addopts(files, &locator, name, value),
                    "markers" => files.pytest.markers.extend(marker_names(value)),
                    "strict_markers" | "strict" if truthy(value) => {
                        files.pytest.strict = locator.key(name, key);
                    }
                    _ => {}
                }
            }
        }
        if name == coverage_section {
            if let Some(value) = properties.get("parallel") {
                if let Some(at) = locator.key(name, "parallel") {
                    files.coverage_parallel.push(CoverageParallel {
                        value: truthy(value),
                        at,
                    });
                }
            }
        }
        if relative == "tox.ini" && (name == "testenv" || name.starts_with("testenv:")) {
            for (key, value) in properties.iter() {
                for (line, start) in locator.value_lines(name, key, value) {
                    match key {
                        "commands" | "commands_pre" | "commands_post" => {
                            // tox's `- cmd` ignores the command's exit status.
                            let command = line.trim_start_matches('-').trim_start();
                            let shift = line.len() - command.len();
                            files.read_shell_line(Origin::Tox, file, command, start + shift);
                        }
                        "deps" => files.push_requirement(&line, file.at(start, start + line.len())),
                        _ => {}
                    }
                }
            }
        }
        if relative == "setup.cfg" && (name == "options" || name == "options.extras_require") {
            for (key, value) in properties.iter() {
                let wanted = name == "options.extras_require"
                    || matches!(key, "install_requires" | "tests_require");
                if wanted {
                    for (line, start) in locator.value_lines(name, key, value) {
                        files.push_requirement(&line, file.at(start, start + line.len()));
                    }
                }
            }
        }
    }
}

fn read_addopts(files: &mut ProjectFiles, locator: &Locator, section: &str, value: &str) {
    let mut args = Vec::new();
    let mut arg_at = Vec::new();
    for (line, start) in locator.value_lines(section, "addopts", value) {
        for word in super::commands(&line).into_iter().flatten() {
            let at = start + word.offset;
            arg_at.push(locator.file.at(at, at + word.text.len()));
            args.push(Word {
                text: word.text,
                offset: at,
            });
        }
    }
    let at = locator
        .key(section, "addopts")
        .unwrap_or_else(|| locator.file.at(0, 0));
    files.invocations.push(Invocation {
        origin: Origin::Addopts,
        args,
        at,
        arg_at,
        under_coverage: false,
    });
}

/// Names from pytest's `markers` setting (`slow: marks slow tests`, one per line or item).
pub(super) fn marker_names(value: &str) -> Vec<String> {
    value
        .lines()
        .filter_map(|line| {
            let name: String = line
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "on"
    )
}

/// Finds sections, keys and value lines in the file text.
struct Locator<'f, 'a> {
    file: &'f TextFile<'a>,
}

impl Locator<'_, '_> {
    /// The 0-based line of `[section]`.
    fn section_line(&self, section: &str) -> Option<usize> {
        (0..self.file.line_count()).find(|&l| {
            let line = self.file.line(l).trim();
            line.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .is_some_and(|name| name.trim() == section)
        })
    }

    fn section(&self, section: &str) -> Option<Location> {
        let line = self.section_line(section)?;
        let start = self.file.line_start(line);
        Some(self.file.at(start, start + self.file.line(line).len()))
    }

    /// The 0-based line where `key` is set in `section`.
    fn key_line(&self, section: &str, key: &str) -> Option<usize> {
        let first = self.section_line(section)? + 1;
        (first..self.file.line_count())
            .take_while(|&l| !self.file.line(l).trim_start().starts_with('['))
            .find(|&l| {
                let line = self.file.line(l);
                !line.starts_with([' ', '\t'])
                    && line
                        .strip_prefix(key)
                        .is_some_and(|rest| rest.trim_start().starts_with(['=', ':']))
            })
    }

    fn key(&self, section: &str, key: &str) -> Option<Location> {
        let line = self.key_line(section, key)?;
        let start = self.file.line_start(line);
        Some(self.file.at(start, start + key.len()))
    }

    /// Each non-empty line of a value with the byte offset where it starts in the file.
    fn value_lines(&self, section: &str, key: &str, value: &str) -> Vec<(String, usize)> {
        let Some(key_line) = self.key_line(section, key) else {
            return Vec::new();
        };
        let mut line = key_line;
        let mut found = Vec::new();
        for part in value.lines().map(str::trim).filter(|p| !p.is_empty()) {
            // Search forward from the last line found: continuation lines follow the key.
            while line < self.file.line_count() {
                let text = self.file.line(line);
                let after_key = if line == key_line {
                    text.find(['=', ':']).map_or(0, |i| i + 1)
                } else {
                    0
                };
                if let Some(column) = text.get(after_key..).and_then(|t| t.find(part)) {
                    found.push((
                        part.to_string(),
                        self.file.line_start(line) + after_key + column,
                    ));
                    line += 1;
                    break;
                }
                line += 1;
            }
        }
        found
    }
}
