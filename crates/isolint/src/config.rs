//! isolint's own configuration: `[tool.isolint]` in `pyproject.toml`, or `isolint.toml` /
//! `.isolint.toml` with the same keys at top level. Unknown keys and bad values are errors that point
//! at the offending line.

use isolint_linter::settings::ExtraSink;
use isolint_linter::{Selector, Settings};
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub extend_select: Vec<String>,
    /// Replaces the default exclusions (none besides the ignore files).
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub extend_exclude: Vec<String>,
    #[serde(default)]
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
    /// File name patterns of test modules, replacing pytest's `python_files`.
    pub test_patterns: Option<Vec<String>>,
    pub baseline: Option<PathBuf>,
    /// Where the cache lives, relative to the configuration file (default: `.isolint_cache` in the
    /// project root).
    pub cache_dir: Option<PathBuf>,
    #[serde(default)]
    pub rules: RuleConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleConfig {
    /// Extra write sinks: `"mylib.save"` (qualified function) or `".export"` (any method), the path
    /// being the first argument; `"mylib.save:filename"` names the keyword instead.
    #[serde(default)]
    pub write_sinks: Vec<String>,
    /// Extra names whose values are unique per test or worker (a project's own `unique_dir` fixture).
    #[serde(default)]
    pub unique_names: Vec<String>,
}

#[derive(Debug)]
pub struct LoadedConfig {
    pub config: Config,
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
}

/// A configuration error, rendered by miette with the offending line.
#[derive(Debug)]
pub struct ConfigError {
    pub message: String,
    pub source_code: Option<Box<NamedSource<String>>>,
    pub span: Option<SourceSpan>,
    pub help: Option<String>,
}

impl std::error::Error for ConfigError {}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Diagnostic for ConfigError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("isolint::config"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source_code
            .as_deref()
            .map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(Some("here".into()), span),
        )))
    }
}

impl ConfigError {
    fn plain(message: String) -> Self {
        ConfigError {
            message,
            source_code: None,
            span: None,
            help: None,
        }
    }

    fn at(
        path: &Path,
        text: &str,
        span: Option<std::ops::Range<usize>>,
        message: String,
        help: Option<String>,
    ) -> Self {
        ConfigError {
            message,
            source_code: Some(Box::new(NamedSource::new(
                path.display().to_string(),
                text.to_string(),
            ))),
            span: span.map(|r| SourceSpan::new(r.start.into(), r.end.saturating_sub(r.start))),
            help,
        }
    }
}

#[derive(Deserialize)]
struct PyProject {
    tool: Option<PyProjectTool>,
}

#[derive(Deserialize)]
struct PyProjectTool {
    isolint: Option<Config>,
}

/// Finds and reads the configuration for `start` (walking up), or reads `explicit`.
pub fn load(start: &Path, explicit: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
    if let Some(path) = explicit {
        let text = read_config(path)?.ok_or_else(|| {
            ConfigError::plain(format!(
                "cannot read the configuration file {}: no such file",
                path.display()
            ))
        })?;
        let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let config = parse(path, &text, is_pyproject)?.unwrap_or_default();
        return Ok(LoadedConfig {
            config,
            path: Some(path.to_path_buf()),
        });
    }
    let mut dir = Some(start);
    while let Some(current) = dir {
        for (name, is_pyproject) in [
            ("isolint.toml", false),
            (".isolint.toml", false),
            ("pyproject.toml", true),
        ] {
            let candidate = current.join(name);
            let Some(text) = read_config(&candidate)? else {
                continue;
            };
            if let Some(config) = parse(&candidate, &text, is_pyproject)? {
                return Ok(LoadedConfig {
                    config,
                    path: Some(candidate),
                });
            }
        }
        dir = current.parent();
    }
    Ok(LoadedConfig {
        config: Config::default(),
        path: None,
    })
}

/// The text of a configuration file, `None` when there is none. A file that exists but cannot be read,
/// or is not UTF-8 (TOML must be), is an error pointing at the problem: silently running without the
/// team's configuration would report what they turned off.
fn read_config(path: &Path) -> Result<Option<String>, ConfigError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // A folder named like a configuration file is not one; in a folder that cannot be searched
        // there is no telling whether one exists (the PATH itself is checked, and reported, later).
        Err(_) if path.is_dir() || path.try_exists().is_err() => return Ok(None),
        Err(e) => {
            return Err(ConfigError::plain(format!(
                "cannot read the configuration file {}: {e}",
                path.display()
            )))
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let byte = e.as_bytes()[at];
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let line = text[..at].matches('\n').count() + 1;
            Err(ConfigError::at(
                path,
                &text,
                Some(at..at + 1),
                format!(
                    "{} is not valid UTF-8: byte 0x{byte:02X} on line {line} (TOML files must be UTF-8)",
                    path.display()
                ),
                Some("save the file as UTF-8 (a Latin-1 `é` is the byte 0xE9; in UTF-8 it is 0xC3 0xA9)".into()),
            ))
        }
    }
}

/// Parses a config file; `None` for a pyproject.toml without `[tool.isolint]`.
fn parse(path: &Path, text: &str, is_pyproject: bool) -> Result<Option<Config>, ConfigError> {
    if is_pyproject {
        // Deserialising the whole document keeps error spans in the file's own coordinates.
        let document: PyProject = toml::from_str(text).map_err(|e| {
            let help = help_for(e.message());
            ConfigError::at(
                path,
                text,
                e.span(),
                format!(
                    "invalid [tool.isolint] in {}: {}",
                    path.display(),
                    e.message()
                ),
                Some(help),
            )
        })?;
        return Ok(document.tool.and_then(|t| t.isolint));
    }
    toml::from_str::<Config>(text).map(Some).map_err(|e| {
        ConfigError::at(
            path,
            text,
            e.span(),
            format!(
                "invalid configuration in {}: {}",
                path.display(),
                e.message()
            ),
            Some(help_for(e.message())),
        )
    })
}

fn help_for(message: &str) -> String {
    if message.contains("unknown field") {
        "known keys: select, ignore, extend-select, exclude, extend-exclude, per-file-ignores, test-patterns, baseline, cache-dir, and [rules] write-sinks, unique-names".into()
    } else {
        "see `isolint --help` and the README's Configuration section".into()
    }
}

impl Config {
    /// Checks every selector, so a typo in a code fails the run instead of selecting nothing.
    pub fn selectors(
        &self,
        list: &[String],
        key: &str,
        path: Option<&Path>,
    ) -> Result<Vec<Selector>, ConfigError> {
        parse_selectors(list).map_err(|message| {
            let place = path
                .map(|p| format!(" in {} (`{key}`)", p.display()))
                .unwrap_or_default();
            ConfigError::plain(format!("{message}{place}"))
        })
    }

    pub fn settings(&self) -> Settings {
        Settings {
            write_sinks: self
                .rules
                .write_sinks
                .iter()
                .map(|entry| match entry.split_once(':') {
                    Some((call, keyword)) => ExtraSink {
                        call: call.trim_start_matches('.').to_string(),
                        keyword: Some(keyword.to_string()),
                    },
                    None => ExtraSink {
                        call: entry.trim_start_matches('.').to_string(),
                        keyword: None,
                    },
                })
                .collect(),
            unique_names: self.rules.unique_names.clone(),
            source_roots: Vec::new(),
        }
    }
}

pub fn parse_selectors(list: &[String]) -> Result<Vec<Selector>, String> {
    list.iter().map(|s| Selector::parse(s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyproject_errors_point_into_the_file() {
        let text = "[project]\nname = \"x\"\n\n[tool.isolint]\nselect = [\"ISO1\"]\nbogus = 1\n";
        let error = parse(Path::new("pyproject.toml"), text, true).unwrap_err();
        let span = error.span.unwrap();
        assert_eq!(&text[span.offset()..span.offset() + span.len()], "bogus");
        assert!(error.message.contains("unknown field"));
    }

    #[test]
    fn a_latin1_byte_is_an_error_at_the_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pyproject.toml");
        std::fs::write(
            &path,
            b"[project]\nname = \"caf\xe9\"\n\n[tool.isolint]\nignore = [\"ISO101\"]\n",
        )
        .unwrap();
        let Err(error) = load(dir.path(), None) else {
            panic!("an error, not the default config");
        };
        assert!(
            error.message.contains("byte 0xE9 on line 2"),
            "{}",
            error.message
        );
        let span = error.span.unwrap();
        assert_eq!(span.offset(), "[project]\nname = \"caf".len());
        let Err(error) = load(dir.path(), Some(&path)) else {
            panic!("an error");
        };
        assert!(
            error.message.contains("not valid UTF-8"),
            "{}",
            error.message
        );
    }

    #[test]
    fn reads_keys() {
        let text = "select = [\"ISO1\"]\n[per-file-ignores]\n\"tests/legacy/*\" = [\"ISO3\"]\n[rules]\nwrite-sinks = [\"mylib.save:filename\"]\n";
        let config = parse(Path::new("isolint.toml"), text, false)
            .unwrap()
            .unwrap();
        assert_eq!(config.select, vec!["ISO1"]);
        assert_eq!(
            config.settings().write_sinks[0],
            ExtraSink {
                call: "mylib.save".into(),
                keyword: Some("filename".into())
            }
        );
        assert!(parse(Path::new("pyproject.toml"), "[tool.black]\n", true)
            .unwrap()
            .is_none());
    }
}
