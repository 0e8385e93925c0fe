//! The project's own files around the suite: how pytest is invoked (addopts, CI workflows, Makefile,
//! tox, nox, compose), which packages are declared and which versions are locked, and how coverage
//! is set up. Each format is read with a real parser; every fact keeps the line and column it came
//! from so findings point into the file. A file that does not parse is a [`Problem`], not a stop.

mod command;
mod ini_files;
mod noxfile;
mod text_files;
mod toml_files;
mod yaml_files;

pub use command::{commands, disabled_plugins, option_value, pytest_call, PytestCall, Word};

use crate::source::{LineIndex, Position, Span};
use std::path::{Path, PathBuf};

/// A place in a project file: the file as shown to users and a 1-based range on one line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: String,
    pub start: Position,
    pub end: Position,
    /// The bytes in the file, for reporters that underline source.
    pub span: Span,
}

/// Where a pytest invocation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// `addopts` of the pytest configuration: every run gets these options.
    Addopts,
    /// A `PYTEST_ADDOPTS` environment variable set in a CI file.
    AddoptsEnv,
    GithubWorkflow,
    GitlabCi,
    /// A hatch environment script.
    Hatch,
    Makefile,
    Tox,
    Nox,
    Compose,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Addopts => "pytest's addopts",
            Origin::AddoptsEnv => "PYTEST_ADDOPTS",
            Origin::GithubWorkflow => "a GitHub workflow",
            Origin::GitlabCi => "GitLab CI",
            Origin::Hatch => "a hatch script",
            Origin::Makefile => "the Makefile",
            Origin::Tox => "tox",
            Origin::Nox => "nox",
            Origin::Compose => "a compose file",
        }
    }
}

/// One way the project runs pytest, with the words that follow `pytest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub origin: Origin,
    pub args: Vec<Word>,
    /// Where the invocation starts (`pytest`, or the `addopts` value).
    pub at: Location,
    /// Where each argument word starts, parallel to `args`.
    pub arg_at: Vec<Location>,
    pub under_coverage: bool,
}

impl Invocation {
    /// `-n N` / `--numprocesses N`: the worker count as written.
    pub fn workers(&self) -> Option<(usize, String)> {
        self.option(Some("-n"), "--numprocesses")
    }

    /// `--dist MODE`.
    pub fn dist(&self) -> Option<(usize, String)> {
        self.option(None, "--dist")
    }

    /// Whether the invocation runs xdist workers (a worker count, `--dist` or `--maxprocesses`).
    pub fn uses_xdist(&self) -> bool {
        self.workers().is_some_and(|(_, n)| n != "0") || self.dist().is_some_and(|(_, d)| d != "no")
    }

    pub fn has_flag(&self, flag: &str) -> Option<usize> {
        self.args
            .iter()
            .position(|w| w.text == flag || w.text.starts_with(&format!("{flag}=")))
    }

    fn option(&self, short: Option<&str>, long: &str) -> Option<(usize, String)> {
        let (word, value) = option_value(&self.args, short, long)?;
        let index = self.args.iter().position(|w| std::ptr::eq(w, word))?;
        Some((index, value))
    }

    /// The location of argument `index`, else of the invocation.
    pub fn location_of(&self, index: usize) -> &Location {
        self.arg_at.get(index).unwrap_or(&self.at)
    }

    /// The location from argument `first` to the end of argument `last` (`-p no:randomly`).
    pub fn location_of_range(&self, first: usize, last: usize) -> Location {
        let start = self.location_of(first);
        let end = self.location_of(last.max(first));
        Location {
            file: start.file.clone(),
            start: start.start,
            end: end.end,
            span: Span::new(start.span.start, end.span.end.max(start.span.start)),
        }
    }
}

/// A package the project declares (a dependency, an extra, a group, a CI install).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Normalised as PEP 503 does: lower case, runs of `-_.` as `-`.
    pub name: String,
    /// The specification as written (`pytest-xdist>=3.5`).
    pub spec: String,
    pub at: Location,
}

/// A locked or pinned version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub name: String,
    pub version: String,
    pub at: Location,
}

/// A coverage.py `parallel` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageParallel {
    pub value: bool,
    pub at: Location,
}

/// The pytest configuration section beyond `addopts`: registered markers and strictness.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PytestSection {
    /// The section header (`[tool.pytest.ini_options]`, `[pytest]`).
    pub at: Option<Location>,
    /// Marker names registered with `markers = ...`.
    pub markers: Vec<String>,
    /// `strict_markers = true` or `strict = true` (pytest ≥ 9).
    pub strict: Option<Location>,
}

/// A file that could not be parsed: the rules could not read it, and say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: Location,
    pub message: String,
}

/// Everything isolint read from the project's files.
#[derive(Debug, Clone, Default)]
pub struct ProjectFiles {
    pub root: PathBuf,
    /// The text of every file read, by shown path, for reporters that show source.
    pub texts: Vec<(String, String)>,
    pub invocations: Vec<Invocation>,
    pub requirements: Vec<Requirement>,
    pub pins: Vec<Pin>,
    pub coverage_parallel: Vec<CoverageParallel>,
    /// `coverage combine` commands.
    pub coverage_combines: Vec<Location>,
    pub pytest: PytestSection,
    pub problems: Vec<Problem>,
    /// Database services of the project's compose files (Neo4j, PostgreSQL, MySQL, Redis).
    pub compose_services: Vec<ComposeService>,
}

/// A database service of a compose file, with what decides how it copes with many workers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeService {
    /// `file:line` of the service's name.
    pub at: String,
    pub name: String,
    pub image: String,
    /// `neo4j`, `postgres`, `mysql`, `redis`.
    pub kind: &'static str,
    /// Published ports as written (`"7687:7687"`).
    pub ports: Vec<String>,
    /// `interval`, `timeout`, `retries`, `start_period` as written; `None` without a health check.
    pub healthcheck: Option<Vec<(String, String)>>,
    /// `NEO4J_AUTH` given (its value is never read into the report: it holds a password).
    pub auth_set: bool,
    /// Enterprise edition (`neo4j:5-enterprise`, or the licence variable set): many databases.
    pub enterprise: bool,
}

/// Files whose lines can be located and shown.
pub(crate) struct TextFile<'a> {
    pub display: String,
    pub text: &'a str,
    pub index: LineIndex,
}

impl<'a> TextFile<'a> {
    pub fn new(display: String, text: &'a str) -> Self {
        TextFile {
            display,
            index: LineIndex::new(text),
            text,
        }
    }

    /// The location of bytes `start..end`.
    pub fn at(&self, start: usize, end: usize) -> Location {
        Location {
            file: self.display.clone(),
            start: self.index.position(self.text, start),
            end: self.index.position(self.text, end.max(start)),
            span: Span::new(
                start.min(self.text.len()),
                end.max(start).min(self.text.len()),
            ),
        }
    }

    /// The byte offset where 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.index.line_start(line)
    }

    pub fn line_count(&self) -> usize {
        self.index.line_count()
    }

    pub fn line(&self, line: usize) -> &'a str {
        let start = self.index.line_start(line);
        let end = if line + 1 < self.index.line_count() {
            self.index.line_start(line + 1)
        } else {
            self.text.len()
        };
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

impl ProjectFiles {
    /// Reads the project files under `root`, showing paths relative to `cwd`.
    pub fn read(root: &Path, cwd: &Path) -> ProjectFiles {
        let mut files = ProjectFiles {
            root: root.to_path_buf(),
            ..Default::default()
        };
        for (relative, kind) in candidate_files(root) {
            let path = root.join(&relative);
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let display = shown(&path, cwd);
            let text = match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    files.problems.push(Problem {
                        at: Location {
                            file: display,
                            start: Position { line: 1, column: 1 },
                            end: Position { line: 1, column: 1 },
                            span: Span::default(),
                        },
                        message: "this file is not valid UTF-8; isolint could not read it".into(),
                    });
                    continue;
                }
            };
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
            files.read_file(kind, &relative, TextFile::new(display.clone(), &text));
            files.texts.push((display, text));
        }
        files
    }

    fn read_file(&mut self, kind: Kind, relative: &str, file: TextFile) {
        match kind {
            Kind::Pyproject => toml_files::read_pyproject(self, &file),
            Kind::Lock => toml_files::read_lock(self, &file),
            Kind::Ini => ini_files::read(self, relative, &file),
            Kind::Requirements => text_files::read_requirements(self, &file),
            Kind::Makefile => text_files::read_makefile(self, &file),
            Kind::Noxfile => noxfile::read(self, &file),
            Kind::Workflow => yaml_files::read(self, Origin::GithubWorkflow, &file),
            Kind::GitlabCi => yaml_files::read(self, Origin::GitlabCi, &file),
            Kind::Compose => yaml_files::read(self, Origin::Compose, &file),
        }
    }

    /// Records the pytest invocations, installs and `coverage combine` of one shell line, which
    /// starts at byte `line_start` of `file`.
    pub(crate) fn read_shell_line(
        &mut self,
        origin: Origin,
        file: &TextFile,
        line: &str,
        line_start: usize,
    ) {
        let all = commands(line)
            .into_iter()
            .map(|words| {
                words
                    .into_iter()
                    .map(|w| Word {
                        offset: line_start + w.offset,
                        text: w.text,
                    })
                    .collect()
            })
            .collect();
        self.read_commands(origin, file, all);
    }

    /// Records the pytest invocations, installs and `coverage combine` of commands whose words
    /// carry their byte offsets in `file`.
    pub(crate) fn read_commands(&mut self, origin: Origin, file: &TextFile, all: Vec<Vec<Word>>) {
        for words in all {
            if let Some(call) = pytest_call(&words) {
                self.push_invocation(origin, file, &call);
            }
            for package in command::installed_packages(&words) {
                let start = package.offset;
                self.push_requirement(&package.text, file.at(start, start + package.text.len()));
            }
            if words
                .windows(2)
                .any(|w| w[0].text.ends_with("coverage") && w[1].text == "combine")
            {
                let start = words[0].offset;
                let end = words.last().map_or(start, |w| w.offset + w.text.len());
                self.coverage_combines.push(file.at(start, end));
            }
        }
    }

    fn push_invocation(&mut self, origin: Origin, file: &TextFile, call: &PytestCall) {
        let arg_at = call
            .args
            .iter()
            .map(|w| file.at(w.offset, w.offset + w.text.len()))
            .collect();
        let start = call.offset;
        let end = call
            .args
            .last()
            .map_or(start + "pytest".len(), |w| w.offset + w.text.len());
        self.invocations.push(Invocation {
            origin,
            args: call.args.clone(),
            at: file.at(start, end),
            arg_at,
            under_coverage: call.under_coverage,
        });
    }

    /// Records a PEP 508 requirement string (`pytest-xdist[psutil]>=3; python_version>'3.8'`).
    pub(crate) fn push_requirement(&mut self, spec: &str, at: Location) {
        let name: String = spec
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if name.is_empty() {
            return;
        }
        self.requirements.push(Requirement {
            name: normalise(&name),
            spec: spec.trim().to_string(),
            at,
        });
        // `pytest-xdist==3.8.0` in a requirements file or an install is also a pin.
        if let Some((_, version)) = spec.split_once("==") {
            let version: String = version
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            if !version.is_empty() {
                let at = self.requirements.last().map(|r| r.at.clone());
                if let Some(at) = at {
                    self.pins.push(Pin {
                        name: normalise(&name),
                        version,
                        at,
                    });
                }
            }
        }
    }

    /// Whether the project declares a package anywhere (dependencies, groups, requirements, CI
    /// installs, locks).
    pub fn declares(&self, name: &str) -> bool {
        let name = normalise(name);
        self.requirements.iter().any(|r| r.name == name) || self.pins.iter().any(|p| p.name == name)
    }

    /// The locked or pinned version of a package (the first found: lock files are read first).
    pub fn version_of(&self, name: &str) -> Option<&Pin> {
        let name = normalise(name);
        self.pins.iter().find(|p| p.name == name)
    }

    /// The text of a file read, by shown path.
    pub fn text_of(&self, display: &str) -> Option<&str> {
        self.texts
            .iter()
            .find(|(d, _)| d == display)
            .map(|(_, t)| t.as_str())
    }
}

/// PEP 503 name normalisation.
pub fn normalise(name: &str) -> String {
    let mut out = String::new();
    let mut last_dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !last_dash {
                out.push('-');
            }
            last_dash = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_dash = false;
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Pyproject,
    Lock,
    Ini,
    Requirements,
    Makefile,
    Noxfile,
    Workflow,
    GitlabCi,
    Compose,
}

/// The files isolint reads, relative to the root, in a fixed order (lock files first, so their
/// versions win over looser pins).
fn candidate_files(root: &Path) -> Vec<(String, Kind)> {
    let mut found: Vec<(String, Kind)> = Vec::new();
    for name in ["poetry.lock", "uv.lock", "pdm.lock"] {
        found.push((name.into(), Kind::Lock));
    }
    // pytest's own order of precedence: the first file with a pytest section is its configuration.
    found.push(("pytest.ini".into(), Kind::Ini));
    found.push((".pytest.ini".into(), Kind::Ini));
    found.push(("pyproject.toml".into(), Kind::Pyproject));
    for name in ["tox.ini", "setup.cfg", ".coveragerc"] {
        found.push((name.into(), Kind::Ini));
    }
    let mut requirements: Vec<String> = Vec::new();
    for folder in ["", "requirements/", "requirements-dev/"] {
        let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let is_requirements = (name.starts_with("requirements") || !folder.is_empty())
                && (name.ends_with(".txt") || name.ends_with(".in"));
            if is_requirements {
                requirements.push(format!("{folder}{name}"));
            }
        }
    }
    requirements.sort();
    found.extend(requirements.into_iter().map(|n| (n, Kind::Requirements)));
    for name in ["Makefile", "makefile", "GNUmakefile"] {
        found.push((name.into(), Kind::Makefile));
    }
    found.push(("noxfile.py".into(), Kind::Noxfile));
    let mut workflows: Vec<String> = std::fs::read_dir(root.join(".github/workflows"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .map(|n| format!(".github/workflows/{n}"))
        .collect();
    workflows.sort();
    found.extend(workflows.into_iter().map(|n| (n, Kind::Workflow)));
    found.push((".gitlab-ci.yml".into(), Kind::GitlabCi));
    found.extend(compose_files(root).into_iter().map(|n| (n, Kind::Compose)));
    found
}

/// How deep below the root compose files are looked for (`tests/docker-compose.yml`,
/// `docker/neo4j/compose.yaml`, `.ci/compose.test.yml`).
const COMPOSE_DEPTH: usize = 4;

/// Folders never searched for compose files: tools' and packages' own.
const NOT_THE_PROJECTS: &[&str] = &[
    ".git",
    ".hg",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "node_modules",
    "site-packages",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
];

/// The compose files of the project, relative to the root, honouring `.gitignore`: the root's
/// first, then the others by path.
fn compose_files(root: &Path) -> Vec<String> {
    // Most projects have none: a plain listing says so far cheaper than the walk that reads and
    // matches every folder's ignore files, which only runs when there is a file to keep or drop.
    if !any_compose_file(root) {
        return Vec::new();
    }
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .follow_links(false)
        .hidden(false)
        .max_depth(Some(COMPOSE_DEPTH))
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            !(entry.file_type().is_some_and(|t| t.is_dir())
                && NOT_THE_PROJECTS.contains(&name.as_ref()))
        });
    let mut found: Vec<(usize, String)> = builder
        .build()
        .flatten()
        .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
        .filter(|entry| is_compose_file(&entry.file_name().to_string_lossy()))
        .filter_map(|entry| {
            let relative = entry.path().strip_prefix(root).ok()?;
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect();
            Some((parts.len(), parts.join("/")))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, path)| path).collect()
}

/// Whether a compose file lies in the folders [`compose_files`] walks, ignore files aside: it
/// finds every file that walk finds, and maybe some it would drop.
fn any_compose_file(root: &Path) -> bool {
    // Entries of the root are at depth 1, like in the walk.
    let mut pending = vec![(root.to_path_buf(), 1)];
    while let Some((folder, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            // Not followed through links, like the walk (`follow_links(false)`).
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if file_type.is_file() && is_compose_file(&name) {
                return true;
            }
            if file_type.is_dir()
                && depth < COMPOSE_DEPTH
                && !NOT_THE_PROJECTS.contains(&name.as_ref())
            {
                pending.push((entry.path(), depth + 1));
            }
        }
    }
    false
}

/// `compose.yaml`, `docker-compose.yml`, and their variants (`docker-compose.test.yml`,
/// `compose.ci.yaml`).
fn is_compose_file(name: &str) -> bool {
    let Some(stem) = name
        .strip_suffix(".yml")
        .or_else(|| name.strip_suffix(".yaml"))
    else {
        return false;
    };
    ["compose", "docker-compose"].iter().any(|base| {
        stem == *base
            || stem
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('-'))
    })
}

fn shown(path: &Path, cwd: &Path) -> String {
    let relative = path.strip_prefix(cwd).unwrap_or(path);
    if relative.is_absolute() {
        return relative.to_string_lossy().replace('\\', "/");
    }
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests;
