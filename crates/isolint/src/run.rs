//! What `check` and `audit` share: where the project is, which files, which rules, then the lint.

use crate::args::SelectionArgs;
use crate::config::{self, ConfigError, LoadedConfig};
use globset::{Glob, GlobSet, GlobSetBuilder};
use isolint_linter::cache::Cache;
use isolint_linter::fix::session::{fix_inputs_where, FixOutcome};
use isolint_linter::walk::{find_python_files, source_inputs, FoundFile, WalkOptions, WalkProblem};
use isolint_linter::{lint_with_cache, LintOptions, LintResult, RuleSet, SourceInput};
use isolint_python::project_files::ProjectFiles;
use isolint_python::pytest_config::{self, Naming, PytestConfig};
use std::path::{Path, PathBuf};

/// A fatal problem: printed, then exit 2.
pub enum Fatal {
    Message(String),
    Config(Box<ConfigError>),
}

impl From<ConfigError> for Fatal {
    fn from(e: ConfigError) -> Self {
        Fatal::Config(Box::new(e))
    }
}

pub struct Prepared {
    pub inputs: Vec<SourceInput>,
    pub rules: RuleSet,
    pub naming: Naming,
    pub config: LoadedConfig,
    /// Folder holding pyproject.toml/isolint.toml (else the current folder).
    pub project_root: PathBuf,
    /// pytest's rootdir: node ids are relative to it.
    pub rootdir: PathBuf,
    pub per_file_ignores: Vec<(globset::GlobMatcher, Vec<isolint_linter::Selector>)>,
    pub walk_problems: Vec<String>,
    /// The project's configuration files (none when linting standard input).
    pub project_files: Option<ProjectFiles>,
    /// The cache folder; `None` with `--no-cache` and for standard input (an editor's buffer
    /// changes at every keystroke, and one file is quick to lint).
    pub cache_dir: Option<PathBuf>,
}

pub fn prepare(
    paths: &[PathBuf],
    selection: &SelectionArgs,
    stdin: Option<(&Path, String)>,
) -> Result<Prepared, Fatal> {
    let cwd = std::env::current_dir()
        .map_err(|e| Fatal::Message(format!("cannot read the current folder: {e}")))?;
    for path in paths {
        check_readable(path)?;
    }
    // The configuration is found from the first PATH, or from where the file read from standard
    // input says it lives (an editor runs isolint from anywhere).
    let start = paths
        .first()
        .map(PathBuf::as_path)
        .or(stdin.as_ref().map(|(name, _)| *name))
        .map(|p| absolute(&cwd, p))
        .unwrap_or_else(|| cwd.clone());
    let start_dir = if start.is_dir() {
        start.clone()
    } else {
        start
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cwd.clone())
    };
    let pytest: PytestConfig = pytest_config::discover(&start_dir);
    let config = if selection.isolated {
        LoadedConfig {
            config: config::Config::default(),
            path: None,
        }
    } else {
        config::load(&start_dir, selection.config.as_deref())?
    };
    let project_root = config
        .path
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .or_else(|| {
            find_upwards(
                &start_dir,
                &["pyproject.toml", "isolint.toml", ".isolint.toml"],
            )
        })
        .unwrap_or_else(|| cwd.clone());
    let rootdir = pytest
        .source
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| project_root.clone());

    let c = &config.config;
    let config_path = config.path.as_deref();
    let select = if selection.select.is_empty() {
        c.selectors(&c.select, "select", config_path)?
    } else {
        cli_selectors(&selection.select)?
    };
    let mut extend = c.selectors(&c.extend_select, "extend-select", config_path)?;
    extend.extend(cli_selectors(&selection.extend_select)?);
    let mut ignore = c.selectors(&c.ignore, "ignore", config_path)?;
    ignore.extend(cli_selectors(&selection.ignore)?);
    let rules = RuleSet::from_selection(&select, &extend, &ignore);

    let naming = match &c.test_patterns {
        Some(patterns) => Naming::new(
            patterns.clone(),
            pytest.naming.class_patterns.clone(),
            pytest.naming.function_patterns.clone(),
        ),
        None => pytest.naming.clone(),
    };
    let mut per_file_ignores = Vec::new();
    for (pattern, codes) in &c.per_file_ignores {
        let glob = Glob::new(pattern).map_err(|e| {
            Fatal::Message(format!("invalid per-file-ignores pattern `{pattern}`: {e}"))
        })?;
        per_file_ignores.push((
            glob.compile_matcher(),
            c.selectors(codes, "per-file-ignores", config_path)?,
        ));
    }

    if let Some((name, text)) = stdin {
        // Shown relative to the current folder and named relative to rootdir, like a walked file.
        let found = FoundFile {
            path: name.to_path_buf(),
            explicit: true,
        };
        let mut inputs = source_inputs(vec![found], &cwd, &rootdir);
        inputs[0].text = Some(text);
        return Ok(Prepared {
            inputs,
            rules,
            naming,
            config,
            project_root,
            rootdir,
            per_file_ignores,
            walk_problems: Vec::new(),
            project_files: None,
            cache_dir: None,
        });
    }

    let targets: Vec<PathBuf> = if paths.is_empty() {
        default_paths(&pytest, &rootdir, &cwd)
    } else {
        paths.to_vec()
    };
    for target in &targets {
        check_readable(target)?;
    }
    let mut excludes = GlobSetBuilder::new();
    let exclude_patterns = c.exclude.iter().chain(c.extend_exclude.iter());
    for pattern in exclude_patterns {
        excludes
            .add(Glob::new(pattern).map_err(|e| {
                Fatal::Message(format!("invalid exclude pattern `{pattern}`: {e}"))
            })?);
    }
    let exclude: GlobSet = excludes
        .build()
        .map_err(|e| Fatal::Message(format!("invalid exclude patterns: {e}")))?;
    // Canonical paths on both sides, so `exclude` globs (relative to the project root) match
    // whatever the current folder is and however the PATH is written (`.`, `..`, absolute).
    let walk_root = std::fs::canonicalize(&project_root).unwrap_or_else(|_| project_root.clone());
    let (found, problems) = find_files(
        &targets,
        &WalkOptions {
            no_ignore: selection.no_ignore,
            exclude: &exclude,
            root: &walk_root,
        },
    );
    // A folder inside the walk that cannot be listed is reported like a file that cannot be read
    // (ISO001, and the run goes on); other walk problems (a malformed .gitignore) stay warnings.
    let (unreadable, problems): (Vec<WalkProblem>, Vec<WalkProblem>) = problems
        .into_iter()
        .partition(|p| p.path.is_dir() && std::fs::read_dir(&p.path).is_err());
    let mut found = found;
    found.extend(unreadable.into_iter().map(|p| FoundFile {
        path: p.path,
        explicit: true,
    }));
    isolint_linter::walk::sort_and_merge(&mut found);
    let inputs = source_inputs(found, &cwd, &rootdir);
    let project_files = Some(ProjectFiles::read(&project_root, &cwd));
    let cache_dir = cache_dir(selection, &config, &project_root, &cwd);
    Ok(Prepared {
        inputs,
        rules,
        naming,
        config,
        project_root,
        rootdir,
        per_file_ignores,
        walk_problems: problems
            .into_iter()
            .map(|p| format!("{}: {}", p.path.display(), p.message))
            .collect(),
        project_files,
        cache_dir,
    })
}

/// `--cache-dir` (or `ISOLINT_CACHE_DIR`), else `cache-dir` of the configuration (relative to its
/// file), else `.isolint_cache` in the project root; none with `--no-cache`.
fn cache_dir(
    selection: &SelectionArgs,
    config: &LoadedConfig,
    project_root: &Path,
    cwd: &Path,
) -> Option<PathBuf> {
    if selection.no_cache {
        return None;
    }
    if let Some(dir) = &selection.cache_dir {
        return Some(absolute(cwd, dir));
    }
    let configured = config.config.cache_dir.as_ref().and_then(|dir| {
        let base = config.path.as_ref()?.parent()?;
        Some(base.join(dir))
    });
    Some(configured.unwrap_or_else(|| project_root.join(isolint_linter::cache::DEFAULT_DIR)))
}

/// Walks each target from its canonical path (see `WalkOptions::root`), then gives the files back
/// their paths as the user wrote them.
fn find_files(targets: &[PathBuf], options: &WalkOptions) -> (Vec<FoundFile>, Vec<WalkProblem>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for target in targets {
        let canonical = std::fs::canonicalize(target).unwrap_or_else(|_| target.clone());
        let as_written = |path: PathBuf| match path.strip_prefix(&canonical) {
            Ok(rest) if rest.as_os_str().is_empty() => target.clone(),
            Ok(rest) => target.join(rest),
            Err(_) => path,
        };
        let (files, target_problems) = find_python_files(std::slice::from_ref(&canonical), options);
        found.extend(files.into_iter().map(|mut file| {
            file.path = as_written(file.path);
            file
        }));
        problems.extend(target_problems.into_iter().map(|mut problem| {
            problem.path = as_written(problem.path);
            problem
        }));
    }
    isolint_linter::walk::sort_and_merge(&mut found);
    (found, problems)
}

/// A PATH named on the command line must exist and be readable: anything else is an I/O error
/// (exit 2), unlike a file or folder the walk finds, which is reported as ISO001.
fn check_readable(target: &Path) -> Result<(), Fatal> {
    let fail = |what: String| Err(Fatal::Message(format!("{}: {what}", target.display())));
    let meta = match std::fs::metadata(target) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return fail("no such file or folder".into())
        }
        Err(e) => return fail(format!("cannot read it: {e}")),
    };
    let opened = if meta.is_dir() {
        std::fs::read_dir(target).map(drop)
    } else {
        std::fs::File::open(target).map(drop)
    };
    match opened {
        Ok(()) => Ok(()),
        Err(e) => fail(format!("cannot read it: {e}")),
    }
}

fn cli_selectors(list: &[String]) -> Result<Vec<isolint_linter::Selector>, Fatal> {
    config::parse_selectors(list).map_err(Fatal::Message)
}

/// pytest's `testpaths`, else `tests/`, else the current folder.
fn default_paths(pytest: &PytestConfig, rootdir: &Path, cwd: &Path) -> Vec<PathBuf> {
    let configured: Vec<PathBuf> = pytest
        .testpaths
        .iter()
        .map(|p| rootdir.join(p))
        .filter(|p| p.exists())
        .collect();
    if !configured.is_empty() {
        return configured
            .into_iter()
            .map(|p| p.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or(p))
            .collect();
    }
    if cwd.join("tests").is_dir() {
        return vec![PathBuf::from("tests")];
    }
    vec![PathBuf::from(".")]
}

fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

fn find_upwards(start: &Path, names: &[&str]) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(current) = dir {
        if names.iter().any(|n| current.join(n).is_file()) {
            return Some(current.to_path_buf());
        }
        dir = current.parent();
    }
    None
}

/// The hash of this executable: entries written by another build of the same version (a
/// developer's rebuild) are not reused. Reading the binary costs a few milliseconds.
fn build_id() -> isolint_linter::cache::Key {
    std::env::current_exe()
        .and_then(std::fs::read)
        .map_or(0, |bytes| isolint_linter::cache::content_hash(&bytes))
}

/// More threads than this per core only cost memory and start-up time (and tens of thousands of
/// them made the pool's start hang): `--threads` is lowered to it.
const MAX_THREADS_PER_CORE: usize = 4;

pub fn configure_threads(threads: Option<usize>) {
    if let Some(asked) = threads.filter(|n| *n > 0) {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let n = asked.min(cores * MAX_THREADS_PER_CORE);
        if n < asked {
            eprintln!(
                "isolint: note: --threads {asked} lowered to {n} ({MAX_THREADS_PER_CORE} per core); the output is the same"
            );
        }
        // Fails only if the global pool exists already, which cannot happen before the first lint.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
}

pub fn run_lint(prepared: &Prepared, warn_unused_suppressions: bool) -> LintResult {
    let settings = settings(prepared);
    let cache = prepared
        .cache_dir
        .as_ref()
        .map(|dir| Cache::new(dir).for_build(build_id()));
    let result = lint_with_cache(
        &prepared.inputs,
        &LintOptions {
            rules: &prepared.rules,
            naming: &prepared.naming,
            settings: &settings,
            per_file_ignores: &prepared.per_file_ignores,
            warn_unused_suppressions,
            project_files: prepared.project_files.as_ref(),
        },
        cache.as_ref(),
    );
    // The findings are right either way; only the next run is slower.
    if let Some(error) = cache.as_ref().and_then(Cache::write_error) {
        eprintln!("isolint: warning: cannot write the cache ({error}); pass --no-cache to skip it");
    }
    result
}

/// `--fix`/`--diff`: the fix loop over the prepared inputs, whose texts become the fixed sources.
/// `--fix`/`--diff`: fixes only the files `editable` accepts (by their shown path).
pub fn run_fix(
    prepared: &mut Prepared,
    warn_unused_suppressions: bool,
    unsafe_fixes: bool,
    editable: impl Fn(&str) -> bool,
) -> FixOutcome {
    let settings = settings(prepared);
    let options = LintOptions {
        rules: &prepared.rules,
        naming: &prepared.naming,
        settings: &settings,
        per_file_ignores: &prepared.per_file_ignores,
        warn_unused_suppressions,
        project_files: prepared.project_files.as_ref(),
    };
    fix_inputs_where(&mut prepared.inputs, &options, unsafe_fixes, editable)
}

fn settings(prepared: &Prepared) -> isolint_linter::Settings {
    let mut settings = prepared.config.config.settings();
    // The project's own modules are imported from pytest's rootdir and the project root, or their
    // `src/` folders.
    for root in [&prepared.rootdir, &prepared.project_root] {
        for candidate in [root.clone(), root.join("src")] {
            if !settings.source_roots.contains(&candidate) {
                settings.source_roots.push(candidate);
            }
        }
    }
    settings
}
