//! The lint pipeline. Files are read, parsed, modelled and checked in parallel (one parser per
//! thread); the project stage then resolves fixtures, attributes findings to tests, computes effort,
//! applies suppressions and sorts, so output is the same whatever the thread count.

use crate::analysis::calls::{
    self, CallTarget, FileFunctions, FirstPartyAnswers, FirstPartyLookup, FirstPartyNames,
};
use crate::analysis::path_effects::{self, PathEffect, ResolvedEffect};
use crate::analysis::process_state;
use crate::analysis::state::{self, FileState};
use crate::analysis::summaries::{absolute_module, ModuleFunctions, Summaries};
use crate::cache::{Cache, Fingerprint, Key};
use crate::context::{FileContext, FileInfo, Finding, Owner};
use crate::diagnostic::{Diagnostic, Effort, FixSite, Related};
use crate::effort::{estimate, EffortFacts};
use crate::facts;
use crate::first_party::FirstParty;
use crate::registry::{Category, RuleMeta, RuleSet, Selector};
use crate::rules::order_dependency::shared_fixture_flow::pair_fixture_users;
use crate::rules::{file_errors, Rule};
use crate::run_cache;
use crate::settings::Settings;
use crate::source_text::SourceText;
use crate::spill::{Segment, Spill};
use crate::suppression::Suppressions;
use isolint_python::knowledge::{classify_path, PathClass, PathOp, CHDIR_FIXTURES};
use isolint_python::model::{build, BuildOptions, Role};
use isolint_python::parse::{parse, python_parser, syntax_errors, ParseError};
use isolint_python::project::{
    inherit_tests, module_of_path, FileFacts, FixtureRef, Inheritance, Project,
};
use isolint_python::pytest_config::Naming;
use isolint_python::source::{LineIndex, Position, Span};
use isolint_python::syntax::{self, kind_count, kind_id};
use isolint_python::value::{Root, Value};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files larger than this are reported instead of parsed: no test module is this big.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// One file to lint.
#[derive(Debug, Clone)]
pub struct SourceInput {
    pub path: PathBuf,
    /// As shown to users.
    pub display: String,
    /// Relative to pytest's rootdir, for node ids.
    pub node_path: String,
    /// Named on the command line: a test module whatever its name.
    pub explicit: bool,
    /// The text, when it does not come from `path` (standard input).
    pub text: Option<String>,
}

pub struct LintOptions<'a> {
    pub rules: &'a RuleSet,
    pub naming: &'a Naming,
    pub settings: &'a Settings,
    /// `per-file-ignores`: a glob over the shown path and the rules it turns off there.
    pub per_file_ignores: &'a [(globset::GlobMatcher, Vec<Selector>)],
    /// Report suppression comments that suppress nothing or name unknown rules (ISO003).
    pub warn_unused_suppressions: bool,
    /// The project's configuration files, for the configuration rules (`None`: not read).
    pub project_files: Option<&'a isolint_python::project_files::ProjectFiles>,
}

pub struct LintResult {
    pub diagnostics: Vec<Diagnostic>,
    /// The facts of every linted file, in path order.
    pub files: Vec<FileFacts>,
    /// The text of every file with a diagnostic, for reporters that show source.
    pub sources: HashMap<String, Arc<str>>,
    /// The categories whose rules ran.
    pub categories_checked: BTreeSet<Category>,
    /// The codes of the family rules that ran (ISO0xx file checks aside).
    pub codes_checked: Vec<&'static str>,
}

struct FileOutcome {
    info: FileInfo,
    /// Dotted module name, and the package its relative imports start from.
    module: String,
    package: String,
    facts: FileFacts,
    findings: Vec<Finding>,
    effects: Vec<PathEffect>,
    /// What its functions do through parameters and calls, for effect summaries.
    functions: FileFunctions,
    /// Changes to module and class state, and tests' reads of it.
    state: FileState,
    /// ISO001/ISO002, complete already.
    file_diagnostics: Vec<Diagnostic>,
    /// Fixes offered by the rules, by finding span and code.
    fixes: HashMap<(usize, usize, &'static str), crate::fix::Fix>,
    /// Fixes of path effects, by the effect's span, for the path rules that adopt them.
    path_fixes: HashMap<(usize, usize), crate::fix::Fix>,
    /// Read again from disk when the project stage needs it.
    text: SourceText,
    suppressions: Suppressions,
    /// Where the parts only the project stage reads wait meanwhile.
    spilled: Spilled,
}

/// The parts of an outcome written to the run's [`Spill`] until the project stage reads them back.
#[derive(Default)]
struct Spilled {
    functions: Option<Segment>,
    facts: Option<Segment>,
    reads: Option<Segment>,
    /// What [`imported_modules`] reads of the spilled functions: the first-party modules are
    /// found before the project stage.
    modules_called: BTreeSet<String>,
}

/// Which rules want which node kinds.
struct Dispatch {
    by_kind: Vec<Vec<&'static dyn Rule>>,
    wanted: Vec<bool>,
    path_rules: Vec<&'static dyn Rule>,
    /// Rules that read the state-effect analysis.
    state_rules: Vec<&'static dyn Rule>,
    /// ISO402 runs: tests' reads of state are collected too.
    state_reads: bool,
    /// A shared-service rule runs (ISO2xx, ISO603): helpers' operations are summarised.
    service_rules: bool,
}

impl Dispatch {
    fn new(rules: &RuleSet) -> Self {
        let mut by_kind: Vec<Vec<&'static dyn Rule>> = vec![Vec::new(); kind_count()];
        let mut wanted = vec![false; kind_count()];
        for rule in rules.enabled() {
            for name in rule.node_kinds() {
                let id = kind_id(name) as usize;
                by_kind[id].push(rule);
                wanted[id] = true;
            }
        }
        wanted[kind_id(syntax::kind::COMMENT) as usize] = true;
        let path_rules = rules.enabled().filter(|r| r.uses_path_effects()).collect();
        let state_rules: Vec<&'static dyn Rule> =
            rules.enabled().filter(|r| r.uses_state()).collect();
        let state_reads = state_rules.iter().any(|r| {
            r.meta().code == crate::rules::order_dependency::cross_test_state_flow::META.code
        });
        let service_rules = rules.enabled().any(|r| {
            r.meta().category == crate::registry::Category::SharedResourceName
                || r.meta().code
                    == crate::rules::wide_fixture_scope::SESSION_FIXTURE_PER_WORKER.code
        });
        Dispatch {
            by_kind,
            wanted,
            path_rules,
            state_rules,
            state_reads,
            service_rules,
        }
    }
}

pub fn lint(inputs: &[SourceInput], options: &LintOptions) -> LintResult {
    lint_with_cache(inputs, options, None)
}

/// [`lint`], reusing what the per-file step found in files unchanged since a run stored it in
/// `cache` (and storing what it finds anew). The output is the same with or without the cache.
pub fn lint_with_cache(
    inputs: &[SourceInput],
    options: &LintOptions,
    cache: Option<&Cache>,
) -> LintResult {
    lint_spilling_after(inputs, options, cache, SPILL_AFTER)
}

/// Bytes of source whose files' outcomes stay in memory until the project stage; the outcomes of
/// the files after them wait in a temporary file. Below it, writing and reading them back would
/// cost more time than their memory is worth (about 3.5 bytes per byte of source).
const SPILL_AFTER: u64 = 2 << 20;

/// [`lint_with_cache`] with the outcomes of files past the first `budget` bytes of source written
/// out until the project stage: the tests check that the output does not depend on it.
#[doc(hidden)]
pub fn lint_spilling_after(
    inputs: &[SourceInput],
    options: &LintOptions,
    cache: Option<&Cache>,
    budget: u64,
) -> LintResult {
    let dispatch = Dispatch::new(options.rules);
    let first_party = first_party_beside(inputs, options);
    let file_step = file_step_key(options);
    let spill = Spill::after(budget);
    let stage = FileStage {
        options,
        dispatch: &dispatch,
        first_party: &first_party.names,
        cache: cache.map(|cache| (cache, file_step)),
        spill: &spill,
    };
    let Some(cache) = cache else {
        let outcomes = lint_files(inputs, Vec::new(), &stage, false);
        let (context, _) = read_first_party(inputs, &outcomes, &first_party, &stage);
        release_freed_memory();
        return project_stage(outcomes, context, options, &dispatch, &spill);
    };
    // Every file is read once, first: the whole run may be in the cache already.
    let reads: Vec<run_cache::Read> = inputs.par_iter().map(read_input).collect();
    let run = run_cache::run_key(file_step, options, inputs, &reads, &first_party);
    if let Some(result) = run_cache::load(cache, run, inputs, &reads, &first_party, options) {
        return result;
    }
    // Only the hashes of the texts stay for the run's entry: each text goes with its file's step.
    let linted = run_cache::text_hashes(&reads);
    let outcomes = lint_files(inputs, reads, &stage, false);
    let (context, lookups) = read_first_party(inputs, &outcomes, &first_party, &stage);
    release_freed_memory();
    let result = project_stage(outcomes, context, options, &dispatch, &spill);
    run_cache::store(cache, run, &result, lookups, inputs, &linted);
    result
}

/// The project's own package beside the linted files.
fn first_party_beside(inputs: &[SourceInput], options: &LintOptions) -> FirstParty {
    let linted: Vec<(&Path, &str)> = inputs
        .iter()
        .map(|i| (i.path.as_path(), i.node_path.as_str()))
        .collect();
    FirstParty::new(&options.settings.source_roots, &linted)
}

/// Hands back to the system the pages the per-file step freed (trees, texts, models). glibc keeps
/// them in each worker thread's arena, where the project stage, on another thread, cannot reuse
/// them: without this the peak is the per-file step's high-water mark plus the project stage's.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free pages of glibc's arenas to the system; it takes no
    // pointer and touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The project's own modules that a run over `inputs` reads besides them, for their effect
/// summaries: the files a parse-only pass must parse too to compare with a run.
pub fn first_party_files(inputs: &[SourceInput], options: &LintOptions) -> Vec<PathBuf> {
    let dispatch = Dispatch::new(options.rules);
    let first_party = first_party_beside(inputs, options);
    if first_party.is_empty() {
        return Vec::new();
    }
    let stage = FileStage {
        options,
        dispatch: &dispatch,
        first_party: &first_party.names,
        cache: None,
        spill: &Spill::in_memory(),
    };
    let outcomes = lint_files(inputs, Vec::new(), &stage, false);
    let (_, lookups) = read_first_party(inputs, &outcomes, &first_party, &stage);
    lookups
        .into_iter()
        .filter_map(|lookup| match lookup.found {
            Some((path, true)) => Some(path),
            _ => None,
        })
        .collect()
}

/// The codes of the family rules that run (ISO0xx file checks aside).
pub(crate) fn codes_checked(rules: &RuleSet) -> Vec<&'static str> {
    rules
        .enabled()
        .map(|r| r.meta().code)
        .filter(|c| !c.starts_with("ISO0"))
        .collect()
}

/// The canonical paths of the linted files: a first-party module among them is not read twice.
pub(crate) fn canonical_inputs(inputs: &[SourceInput]) -> BTreeSet<PathBuf> {
    inputs
        .par_iter()
        .map(|i| std::fs::canonicalize(&i.path).unwrap_or_else(|_| i.path.clone()))
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

/// What every file's step shares.
struct FileStage<'a> {
    options: &'a LintOptions<'a>,
    dispatch: &'a Dispatch,
    first_party: &'a FirstPartyNames,
    /// The cache, and the key of the settings that shape the per-file step.
    cache: Option<(&'a Cache, Key)>,
    /// Where test files' outcomes wait for the project stage.
    spill: &'a Spill,
}

/// Everything besides the file itself that the per-file step reads. Each struct is taken apart
/// field by field so that a new setting cannot be forgotten here: it fails to compile until it is
/// either hashed or said to be read later only.
fn file_step_key(options: &LintOptions) -> Key {
    let LintOptions {
        rules,
        naming,
        settings,
        // Read by the project stage, which always runs.
        per_file_ignores: _,
        warn_unused_suppressions: _,
        project_files: _,
    } = options;
    let Settings {
        write_sinks,
        unique_names,
        // Only through the first-party names, whose answers each entry keeps and checks.
        source_roots: _,
    } = settings;
    let mut key = Fingerprint::default();
    key.str("per-file step")
        .strs(rules.enabled().map(|r| r.meta().code))
        .strs(naming.file_patterns.iter().map(String::as_str))
        .strs(naming.class_patterns.iter().map(String::as_str))
        .strs(naming.function_patterns.iter().map(String::as_str))
        .strs(unique_names.iter().map(String::as_str));
    for sink in write_sinks {
        let crate::settings::ExtraSink { call, keyword } = sink;
        key.str(call)
            .bool(keyword.is_some())
            .str(keyword.as_deref().unwrap_or(""));
    }
    key.u64(write_sinks.len() as u64).finish()
}

/// What the per-file step found in one file, as the cache keeps it: the [`FileOutcome`] less what
/// is cheaper to compute again than to store (the text, its line index, names from the path).
#[derive(serde::Serialize, serde::Deserialize)]
struct FileEntry {
    first_party_answers: FirstPartyAnswers,
    /// The outcome shows the file's text (a file reported as a whole keeps none).
    keeps_source: bool,
    facts: FileFacts,
    findings: Vec<Finding>,
    effects: Vec<PathEffect>,
    functions: FileFunctions,
    file_diagnostics: Vec<Diagnostic>,
    suppressions: Suppressions,
    state: FileState,
    /// The offered fixes, in order (rule codes as text).
    fixes: Vec<(usize, usize, String, crate::fix::Fix)>,
    path_fixes: Vec<((usize, usize), crate::fix::Fix)>,
}

/// The cache slot of one file for these settings (a file keeps one slot while it changes), and the
/// key of its current content.
fn file_cache_key(
    settings: Key,
    input: &SourceInput,
    first_party: bool,
    content: Key,
) -> (Key, Key) {
    let slot = Fingerprint::default()
        .key(settings)
        .bytes(input.path.as_os_str().as_encoded_bytes())
        .str(&input.display)
        .str(&input.node_path)
        .bool(input.explicit)
        .bool(first_party)
        .finish();
    (slot, Fingerprint::default().key(slot).key(content).finish())
}

/// Reads the files in parallel (one parser per thread); a panic on one file becomes its ISO001.
/// `reads` holds each file as read already, or is empty: then each file is read here.
fn lint_files(
    inputs: &[SourceInput],
    reads: Vec<run_cache::Read>,
    stage: &FileStage,
    first_party: bool,
) -> Vec<FileOutcome> {
    let mut reads: Vec<Option<run_cache::Read>> = reads.into_iter().map(Some).collect();
    reads.resize_with(inputs.len(), || None);
    inputs
        .par_iter()
        .zip(reads)
        .map_init(python_parser, |parser, (input, read)| {
            let read = read.unwrap_or_else(|| read_input(input));
            let bytes = read.as_ref().map_or(0, |(text, _)| text.len() as u64);
            match catch_unwind(AssertUnwindSafe(|| lint_file(parser, input, read, stage, first_party))) {
                // A first-party module's package is only known once it is read: its outcome
                // stays whole (they are few beside the tests).
                Ok(mut outcome) if !first_party && stage.spill.wants(bytes) => {
                    outcome.spill_to(stage.spill);
                    outcome
                }
                Ok(outcome) => outcome,
                Err(panic) => {
                    // The parser may be mid-parse: start afresh for the next file.
                    *parser = python_parser();
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".into());
                    let mut outcome = failed_file(input, format!("isolint failed on this file and skipped it (please report this bug): {message}"));
                    if first_party {
                        // Context, not linted: a failure there only loses its summaries.
                        outcome.file_diagnostics.clear();
                    }
                    outcome
                }
            }
        })
        .collect()
}

/// The project's own modules that test code calls into, read in rounds (a module's own imports
/// next), each file once, for their effect summaries.
/// Also says what each lookup found, for the run's cache entry.
fn read_first_party(
    inputs: &[SourceInput],
    outcomes: &[FileOutcome],
    first_party: &FirstParty,
    stage: &FileStage,
) -> (Vec<FileOutcome>, Vec<run_cache::Lookup>) {
    const ROUNDS: usize = 4;
    let mut lookups = Vec::new();
    let mut read: Vec<FileOutcome> = Vec::new();
    if stage.dispatch.path_rules.is_empty() && stage.dispatch.state_rules.is_empty()
        || first_party.is_empty()
    {
        return (read, lookups);
    }
    let mut seen = canonical_inputs(inputs);
    let mut wanted = imported_modules(outcomes);
    for _ in 0..ROUNDS {
        let mut round: Vec<SourceInput> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let first_lookup = lookups.len();
        for module in &wanted {
            let found = first_party.module_file(module);
            let fresh = found.as_ref().is_some_and(|path| seen.insert(path.clone()));
            lookups.push(run_cache::Lookup {
                module: module.clone(),
                found: found.clone().map(|path| (path, fresh)),
                content: None,
            });
            let Some(path) = found.filter(|_| fresh) else {
                continue;
            };
            names.push(
                first_party
                    .module_name(&path)
                    .unwrap_or_else(|| module.clone()),
            );
            let shown = first_party.shown_path(&path);
            round.push(SourceInput {
                path,
                display: shown.clone(),
                node_path: shown,
                explicit: false,
                text: None,
            });
        }
        if round.is_empty() {
            break;
        }
        let reads: Vec<run_cache::Read> = round.par_iter().map(read_input).collect();
        let read_lookups = lookups[first_lookup..]
            .iter_mut()
            .filter(|l| matches!(l.found, Some((_, true))));
        for (lookup, file) in read_lookups.zip(&reads) {
            lookup.content = file.as_ref().ok().map(|(_, content)| *content);
        }
        let mut outcomes = lint_files(&round, reads, stage, true);
        for ((outcome, input), module) in outcomes.iter_mut().zip(&round).zip(names.drain(..)) {
            outcome.package = package_of(&module, &input.path);
            outcome.module = module;
        }
        wanted = imported_modules(&outcomes);
        read.extend(outcomes);
    }
    (read, lookups)
}

/// The package a module's relative imports start from: itself for a package's `__init__.py`.
fn package_of(module: &str, path: &std::path::Path) -> String {
    if path.file_name().is_some_and(|n| n == "__init__.py") {
        return module.to_string();
    }
    module
        .rsplit_once('.')
        .map_or(String::new(), |(package, _)| package.to_string())
}

/// Absolute names of the modules that test modules and conftests import at module level (and
/// the submodules they name): pytest imports them while collecting, before any test runs.
fn imported_at_collection(outcomes: &[FileOutcome]) -> HashSet<String> {
    let mut modules = HashSet::new();
    for outcome in outcomes
        .iter()
        .filter(|o| o.info.pytest_module || o.info.is_conftest)
    {
        for import in &outcome.facts.imports {
            let Some(module) = absolute_module(&outcome.package, &import.module) else {
                continue;
            };
            let mut prefix = String::new();
            for part in module.split('.') {
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(part);
                modules.insert(prefix.clone());
            }
            if let Some(member) = &import.member {
                modules.insert(format!("{module}.{member}"));
            }
        }
    }
    modules
}

/// Absolute names of the modules (and module prefixes) the calls of these files import from.
fn imported_modules(outcomes: &[FileOutcome]) -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    for outcome in outcomes {
        modules.extend(outcome.spilled.modules_called.iter().cloned());
        modules_called(&outcome.functions, &outcome.package, &mut modules);
    }
    modules
}

/// Adds the absolute names of the modules (and module prefixes) that `functions`' calls import
/// from to `modules`.
fn modules_called(functions: &FileFunctions, package: &str, modules: &mut BTreeSet<String>) {
    for function in &functions.functions {
        for call in &function.calls {
            let CallTarget::Imported { module, path } = &call.target else {
                continue;
            };
            let Some(base) = absolute_module(package, module) else {
                continue;
            };
            let mut name = base.clone();
            if !name.is_empty() {
                modules.insert(name.clone());
            }
            for part in path.iter().take(path.len().saturating_sub(1)) {
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(part);
                modules.insert(name.clone());
            }
        }
    }
    // A package's `__init__` hands on names from its modules: calls through it reach them.
    for reexport in &functions.reexports {
        if let Some(module) = absolute_module(package, &reexport.module) {
            if let Some(member) = &reexport.member {
                modules.insert(format!("{module}.{member}"));
            }
            modules.insert(module);
        }
    }
}

fn failed_file(input: &SourceInput, message: String) -> FileOutcome {
    let fix = if input.text.is_none() && input.path.is_dir() {
        "make the folder readable for the user running isolint, or exclude it with `extend-exclude` in `[tool.isolint]`"
    } else {
        "make the file valid UTF-8 text, or exclude it with `extend-exclude` in `[tool.isolint]`"
    };
    skipped_file(input, &file_errors::UNREADABLE_FILE, 1, message, fix)
}

/// A file that changed on disk between its lint and the project stage, which needed its text again.
fn changed_file(info: &FileInfo) -> Diagnostic {
    whole_file_error(
        info,
        "this file changed while isolint was checking it, so its findings were dropped".into(),
        "run isolint again once the file stops changing",
    )
}

/// A file whose outcome the project stage could not read back from the temporary file.
fn lost_in_spill(info: &FileInfo, error: &str) -> Diagnostic {
    whole_file_error(
        info,
        format!("isolint could not read back from its temporary file what it found in this file ({error}), so the findings that pair it with other files are missing"),
        "make sure the temporary folder (`TMPDIR`) has room, and run isolint again",
    )
}

/// ISO001 at the top of a file, for something that happened to the whole file.
fn whole_file_error(info: &FileInfo, message: String, fix: &str) -> Diagnostic {
    let at = Position { line: 1, column: 1 };
    file_diagnostic(
        &file_errors::UNREADABLE_FILE,
        info,
        at,
        at,
        Span::default(),
        message,
        fix,
    )
}

/// A file isolint reports as a whole and does not lint.
fn skipped_file(
    input: &SourceInput,
    rule: &'static RuleMeta,
    line: usize,
    message: String,
    fix: &str,
) -> FileOutcome {
    let info = file_info(input, &Naming::default());
    let at = Position { line, column: 1 };
    let diagnostic = file_diagnostic(rule, &info, at, at, Span::default(), message, fix);
    let mut outcome = unlinted_file(&info);
    outcome.file_diagnostics.push(diagnostic);
    outcome
}

/// A file that is neither linted nor reported.
fn unlinted_file(info: &FileInfo) -> FileOutcome {
    FileOutcome {
        facts: FileFacts {
            node_path: info.node_path.clone(),
            display: info.display.clone(),
            ..Default::default()
        },
        info: info.clone(),
        module: module_of_path(&info.node_path),
        package: String::new(),
        findings: Vec::new(),
        effects: Vec::new(),
        functions: FileFunctions::default(),
        state: FileState::default(),
        file_diagnostics: Vec::new(),
        fixes: HashMap::new(),
        path_fixes: HashMap::new(),
        text: SourceText::none(),
        suppressions: Suppressions::default(),
        spilled: Spilled::default(),
    }
}

fn file_info(input: &SourceInput, naming: &Naming) -> FileInfo {
    let name = input
        .path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let is_conftest = name == "conftest.py";
    let pytest_module = input.explicit || naming.is_test_file(&name);
    FileInfo {
        display: input.display.clone(),
        node_path: input.node_path.clone(),
        is_conftest,
        pytest_module,
        first_party: false,
        package_code: !pytest_module && !is_conftest && !in_test_folder(&input.node_path),
    }
}

/// A path with a test folder in it (`tests/helpers.py`, `pkg/testing/utils.py`): helpers of the
/// suite, not the package under test.
fn in_test_folder(node_path: &str) -> bool {
    let mut folders = node_path.split('/').rev().skip(1);
    folders.any(|folder| {
        let folder = folder.to_ascii_lowercase();
        folder.starts_with("test") || folder.ends_with("tests") || folder.ends_with("_test")
    })
}

fn file_diagnostic(
    rule: &'static RuleMeta,
    info: &FileInfo,
    start: Position,
    end: Position,
    span: Span,
    message: String,
    fix: &str,
) -> Diagnostic {
    Diagnostic {
        rule,
        file: info.display.clone(),
        span,
        start,
        end,
        message,
        fix: fix.to_string(),
        autofix: None,
        effort: Effort::Lines,
        test: None,
        fixture: None,
        related: Vec::new(),
        affected_tests: Vec::new(),
        resource: None,
        site: FixSite::Module,
        owner: None,
    }
}

/// A file's text as it is linted, and the hash of its bytes as read.
pub(crate) fn read_input(input: &SourceInput) -> run_cache::Read {
    let (text, content) = match &input.text {
        Some(text) => (text.clone(), crate::cache::content_hash(text.as_bytes())),
        None => read_source(&input.path)?,
    };
    Ok((as_linted(text), content))
}

/// What the project stage keeps of a linted file's text: standard input's is held, a file's is
/// read again from its path if needed.
fn linted_text(input: &SourceInput, text: Arc<str>, content: Key) -> SourceText {
    match input.text {
        Some(_) => SourceText::held(text),
        None => SourceText::on_disk(input.path.clone(), content),
    }
}

/// The text of the file at `path` as it is linted, and the hash of its bytes as read.
pub(crate) fn read_path(path: &Path) -> run_cache::Read {
    let (text, content) = read_source(path)?;
    Ok((as_linted(text), content))
}

fn as_linted(text: String) -> Arc<str> {
    // A byte order mark is not part of line 1's columns (tree-sitter would count it).
    let text = lone_carriage_returns_as_newlines(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    });
    Arc::from(text)
}

/// The text of a file, and the hash of its bytes as read.
fn read_source(path: &Path) -> Result<(String, Key), String> {
    let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read this file: {e}"))?;
    // A folder the walk could not enter comes here so that it is reported like an unreadable file.
    if metadata.is_dir() {
        let why = match std::fs::read_dir(path) {
            Err(e) => e.to_string(),
            Ok(_) => "it could not be listed".to_string(),
        };
        return Err(format!(
            "cannot read this folder, so the tests in it were not checked: {why}"
        ));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(format!(
            "this file is {} MB, larger than any test module isolint expects; it was not linted",
            metadata.len() / (1024 * 1024)
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read this file: {e}"))?;
    let content = crate::cache::content_hash(&bytes);
    decode(bytes).map(|text| (text, content))
}

fn decode(bytes: Vec<u8>) -> Result<String, String> {
    if let Some(encoding) = wide_unicode_bom(&bytes) {
        return Err(format!(
            "this file is {encoding} text (it starts with a {encoding} byte order mark); Python reads source as UTF-8 or the encoding a `coding:` line declares, so pytest cannot import it: save it as UTF-8"
        ));
    }
    if bytes.contains(&0) {
        return Err("this file holds binary data (a NUL byte), not Python source".into());
    }
    String::from_utf8(bytes).or_else(|e| {
        let bytes = e.as_bytes();
        // PEP 263: a `# -*- coding: latin-1 -*-` line makes the file valid Python in that encoding.
        if let Some(label) = coding_declaration(bytes) {
            return match encoding_rs::Encoding::for_label(whatwg_label(&label).as_bytes()) {
                Some(encoding) => encoding
                    .decode_without_bom_handling_and_without_replacement(bytes)
                    .map(|text| text.into_owned())
                    .ok_or_else(|| format!("this file is not valid {} although it declares `coding: {label}`", encoding.name())),
                None => Err(format!("this file declares `coding: {label}`, an encoding isolint does not know")),
            };
        }
        let valid = e.utf8_error().valid_up_to();
        let line = bytes[..valid].iter().filter(|b| **b == b'\n').count() + 1;
        Err(format!(
            "this file is not valid UTF-8 (first invalid byte on line {line}) and declares no other encoding; Python 3 reads it as UTF-8 too"
        ))
    })
}

/// The encoding a UTF-16 or UTF-32 byte order mark announces. Python does not read such source files
/// (PEP 263 excludes them), so they are named precisely rather than called binary data.
fn wide_unicode_bom(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, 0, 0, ..] => Some("UTF-32"),
        [0, 0, 0xFE, 0xFF, ..] => Some("UTF-32"),
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => Some("UTF-16"),
        _ => None,
    }
}

/// Python's codec names as the WHATWG labels `encoding_rs` knows (`latin-1` → `latin1`,
/// `cp1251` → `windows-1251`, `iso8859_15` → `iso-8859-15`).
fn whatwg_label(python: &str) -> String {
    let name = python.to_ascii_lowercase().replace('_', "-");
    if let Some(number) = name.strip_prefix("cp125") {
        return format!("windows-125{number}");
    }
    if let Some(part) = name.strip_prefix("iso8859-") {
        return format!("iso-8859-{part}");
    }
    match name.as_str() {
        "latin-1" | "l1" | "iso-8859-1" | "8859" => "latin1".into(),
        "utf8" | "utf-8-sig" => "utf-8".into(),
        _ => name,
    }
}

/// The encoding a PEP 263 comment in the first two lines names (`# -*- coding: latin-1 -*-`).
fn coding_declaration(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|b| *b == b'\n').take(2) {
        let line = String::from_utf8_lossy(line);
        let comment = line.trim_start();
        if !comment.starts_with('#') {
            continue;
        }
        let Some(at) = comment.find("coding") else {
            continue;
        };
        let rest = comment[at + "coding".len()..].strip_prefix([':', '='])?;
        let label: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if !label.is_empty() {
            return Some(label);
        }
    }
    None
}

/// Python ends lines at a lone `\r` too; tree-sitter does not (a comment would run to the end of the
/// file). Each lone `\r` becomes `\n`, one byte for one, so offsets and positions do not move.
fn lone_carriage_returns_as_newlines(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    let mut bytes = text.into_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
            bytes[i] = b'\n';
        }
    }
    // Replacing one ASCII byte by another keeps the text valid UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

fn lint_file(
    parser: &mut tree_sitter::Parser,
    input: &SourceInput,
    read: run_cache::Read,
    stage: &FileStage,
    first_party: bool,
) -> FileOutcome {
    let mut info = file_info(input, stage.options.naming);
    if first_party {
        info.first_party = true;
        info.package_code = true;
        info.pytest_module = false;
    }
    let (source, content) = match read {
        Ok(read) => read,
        // Data files next to the tests (a formatter's inputs, an encoding sample) are nobody's
        // problem unless pytest would import them.
        Err(_) if !info.pytest_module && !info.is_conftest => return unlinted_file(&info),
        Err(message) => return failed_file(input, message),
    };
    let Some((cache, settings)) = stage.cache else {
        return analyze_file(parser, input, stage, info, (source, content)).0;
    };
    let (slot, key) = file_cache_key(settings, input, first_party, content);
    let cached = cache
        .read(slot, key)
        .and_then(|body| postcard::from_bytes::<FileEntry>(&body).ok())
        .filter(|entry| stage.first_party.answers_hold(&entry.first_party_answers));
    if let Some(entry) = cached {
        return from_entry(entry, input, info, (source, content));
    }
    let (mut outcome, first_party_answers) =
        analyze_file(parser, input, stage, info, (source, content));
    let entry = FileEntry {
        first_party_answers,
        keeps_source: outcome.text.is_kept(),
        facts: std::mem::take(&mut outcome.facts),
        findings: std::mem::take(&mut outcome.findings),
        effects: std::mem::take(&mut outcome.effects),
        functions: std::mem::take(&mut outcome.functions),
        file_diagnostics: std::mem::take(&mut outcome.file_diagnostics),
        suppressions: std::mem::take(&mut outcome.suppressions),
        state: std::mem::take(&mut outcome.state),
        fixes: {
            let mut fixes: Vec<_> = outcome
                .fixes
                .iter()
                .map(|((start, end, code), fix)| (*start, *end, code.to_string(), fix.clone()))
                .collect();
            fixes.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
            fixes
        },
        path_fixes: {
            let mut fixes: Vec<_> = outcome
                .path_fixes
                .iter()
                .map(|(span, fix)| (*span, fix.clone()))
                .collect();
            fixes.sort_by_key(|f| f.0);
            fixes
        },
    };
    if let Ok(body) = postcard::to_stdvec(&entry) {
        cache.write(slot, key, &body);
    }
    FileOutcome {
        facts: entry.facts,
        findings: entry.findings,
        effects: entry.effects,
        functions: entry.functions,
        file_diagnostics: entry.file_diagnostics,
        suppressions: entry.suppressions,
        state: entry.state,
        ..outcome
    }
}

/// The outcome of a file the cache knows: what the per-file step would find again.
fn from_entry(
    entry: FileEntry,
    input: &SourceInput,
    info: FileInfo,
    (source, content): (Arc<str>, Key),
) -> FileOutcome {
    let FileEntry {
        first_party_answers: _,
        keeps_source,
        facts,
        findings,
        effects,
        functions,
        file_diagnostics,
        suppressions,
        state,
        fixes,
        path_fixes,
    } = entry;
    let text = if keeps_source {
        linted_text(input, source, content)
    } else {
        SourceText::none()
    };
    let fixes = fixes
        .into_iter()
        .filter_map(|(start, end, code, fix)| {
            let code = crate::registry::all_rules()
                .iter()
                .map(|r| r.meta().code)
                .find(|c| *c == code)?;
            Some(((start, end, code), fix))
        })
        .collect();
    let module = module_of_path(&info.node_path);
    FileOutcome {
        package: package_of(&module, &input.path),
        module,
        state,
        info,
        facts,
        findings,
        effects,
        functions,
        file_diagnostics,
        fixes,
        path_fixes: path_fixes.into_iter().collect(),
        text,
        suppressions,
        spilled: Spilled::default(),
    }
}

/// The per-file step on a file's text; also says which first-party names its calls asked about.
fn analyze_file(
    parser: &mut tree_sitter::Parser,
    input: &SourceInput,
    stage: &FileStage,
    info: FileInfo,
    (source, content): (Arc<str>, Key),
) -> (FileOutcome, FirstPartyAnswers) {
    let (options, dispatch) = (stage.options, stage.dispatch);
    let index = LineIndex::new(&source);
    let tree = match parse(parser, &source) {
        Ok(tree) => tree,
        Err(ParseError::NoTree) => {
            return (
                failed_file(input, "the parser gave up on this file".into()),
                FirstPartyAnswers::new(),
            )
        }
        Err(ParseError::TooDeeplyIndented { line, levels }) => {
            let message = format!(
                "this file nests {levels} indented blocks deep (CPython accepts 100); isolint did not lint it"
            );
            let outcome = skipped_file(
                input,
                &file_errors::SYNTAX_ERROR,
                line,
                message,
                "flatten the nesting; pytest cannot import this file either",
            );
            return (outcome, FirstPartyAnswers::new());
        }
    };
    let build_options = BuildOptions {
        naming: options.naming,
        wanted_kinds: &dispatch.wanted,
        pytest_module: info.pytest_module,
    };
    let model = build(&tree, &source, &build_options);
    let mut file_diagnostics = Vec::new();
    let errors = syntax_errors(&tree);
    let collected = !info.first_party
        && (info.pytest_module || info.is_conftest || !model.unittest_classes.is_empty());
    if let Some(first) = errors.first().filter(|_| collected) {
        let start = index.position(&source, first.start);
        let end = index.position(&source, first.end.max(first.start));
        let more = match errors.len() {
            1 => String::new(),
            n => format!(" ({} more parse errors in the file)", n - 1),
        };
        file_diagnostics.push(file_diagnostic(
            &file_errors::SYNTAX_ERROR,
            &info,
            start,
            end,
            *first,
            format!("this part of the file does not parse as Python, so isolint could not check it{more}; the rest of the file was linted"),
            "fix the syntax (pytest cannot collect this file either), or exclude the file if it is not Python 3",
        ));
    }
    let mut ctx = FileContext::new(&model, &info, options.settings);
    let mut suppressions = Suppressions::default();
    let comment_kind = kind_id(syntax::kind::COMMENT);
    // A first-party module is context: only its summaries are kept.
    let (linted_nodes, linted_kind_ids) = if info.first_party {
        (&[][..], &[][..])
    } else {
        (&model.wanted_nodes[..], &model.wanted_kind_ids[..])
    };
    for ((node, scope), &node_kind) in linted_nodes.iter().zip(linted_kind_ids) {
        if node_kind == comment_kind {
            let line = index.line_of(node.start_byte());
            let line_start = index.line_start(line);
            let line_text = source.get(line_start..node.end_byte()).unwrap_or("");
            suppressions.add_comment(ctx.text(*node), line, line_text);
            continue;
        }
        for rule in &dispatch.by_kind[node_kind as usize] {
            rule.check_node(*node, *scope, &mut ctx);
        }
    }
    let module = module_of_path(&info.node_path);
    let package = package_of(&module, &input.path);
    let mut file_state = FileState::default();
    // A first-party module's changes are kept for the summaries of the functions making them.
    let mut own_state_writes = Vec::new();
    if !dispatch.state_rules.is_empty() && info.first_party {
        // Keys stay relative (`{module}.x`): the module learns its name after this step.
        own_state_writes = state::collect(&ctx, false, |byte| index.position(&source, byte)).writes;
    }
    if !dispatch.state_rules.is_empty() && !info.first_party {
        file_state = state::collect(&ctx, dispatch.state_reads, |byte| {
            index.position(&source, byte)
        });
        if info.package_code {
            own_state_writes = file_state.writes.clone();
        }
        for write in &mut file_state.writes {
            write.path = state::absolute_path(&write.path, &module, &package);
        }
        for read in &mut file_state.reads {
            read.path = state::absolute_path(&read.path, &module, &package);
            if let Some(instance) = &mut read.instance {
                *instance = state::absolute_path(instance, &module, &package);
            }
        }
        for reset in &mut file_state.autouse_resets {
            *reset = state::absolute_path(reset, &module, &package);
        }
        for write in &file_state.writes {
            for rule in &dispatch.state_rules {
                if let Some(finding) = rule.check_state_write(write, &info, &module) {
                    let fix = rule.fix_state_write(write, &ctx, &module);
                    ctx.offer_fix(finding.rule, finding.span, fix);
                    ctx.report(finding);
                }
            }
        }
        // The environment and the working folder: ISO501/ISO502 report the changes, ISO402
        // pairs them with their readers.
        if dispatch.state_reads {
            let at = |byte| index.position(&source, byte);
            file_state.writes.extend(process_state::writes(&ctx, at));
            file_state.reads.extend(process_state::test_reads(&ctx, at));
        }
    }
    // What package functions read, for tests that read through a call (ISO402).
    let own_state_reads: Vec<(isolint_python::model::ScopeId, String, Position)> =
        if dispatch.state_reads && (info.first_party || info.package_code) {
            state::function_reads(&ctx)
                .into_iter()
                .chain(process_state::function_reads(&ctx))
                .map(|(function, path, byte)| (function, path, index.position(&source, byte)))
                .collect()
        } else {
            Vec::new()
        };
    let mut functions = FileFunctions::default();
    let first_party_names = FirstPartyLookup::new(stage.first_party);
    if !dispatch.path_rules.is_empty() || !dispatch.state_rules.is_empty() || dispatch.service_rules
    {
        let calls = calls::collect_calls(&mut ctx, &first_party_names);
        if !dispatch.path_rules.is_empty() {
            path_effects::collect(&mut ctx);
        }
        functions = calls::assemble(
            &ctx,
            calls,
            &ctx.summary_effects,
            &own_state_writes,
            &own_state_reads,
            |byte| index.position(&source, byte),
        );
    }
    functions.neomodel_labels = crate::neo4j_facts::neomodel_labels(&model, &ctx.eval);
    let facts = if info.first_party {
        FileFacts::default()
    } else {
        facts::extract(&model, &ctx.eval, &info, &index, options.naming)
    };
    let FileContext {
        findings,
        path_effects,
        fixes,
        path_fixes,
        ..
    } = ctx;
    let mut outcome = FileOutcome {
        package,
        module,
        state: file_state,
        info,
        facts,
        findings,
        effects: path_effects,
        functions,
        file_diagnostics,
        fixes,
        path_fixes,
        text: linted_text(input, source, content),
        suppressions,
        spilled: Spilled::default(),
    };
    outcome.release_spare_capacity();
    (outcome, first_party_names.into_answers())
}

impl FileOutcome {
    /// Writes the parts only the project stage reads (recorded calls, facts but the imports,
    /// tests' reads of state) to `spill`; each comes back with its `restore_*`.
    fn spill_to(&mut self, spill: &Spill) {
        let mut modules = BTreeSet::new();
        modules_called(&self.functions, &self.package, &mut modules);
        if let Some(segment) = spill.put(&self.functions) {
            self.functions = FileFunctions::default();
            self.spilled.functions = Some(segment);
            self.spilled.modules_called = modules;
        }
        // The imports stay: the summaries ask which modules pytest imports while collecting.
        let imports = std::mem::take(&mut self.facts.imports);
        if let Some(segment) = spill.put(&self.facts) {
            self.facts = FileFacts::default();
            self.spilled.facts = Some(segment);
        }
        self.facts.imports = imports;
        if !self.state.reads.is_empty() {
            if let Some(segment) = spill.put(&self.state.reads) {
                self.state.reads = Vec::new();
                self.spilled.reads = Some(segment);
            }
        }
    }

    fn restore_functions(&mut self, spill: &Spill) {
        if let Some(segment) = self.spilled.functions.take() {
            self.functions = self.restored(spill, segment);
            self.spilled.modules_called = BTreeSet::new();
        }
    }

    fn restore_facts(&mut self, spill: &Spill) {
        if let Some(segment) = self.spilled.facts.take() {
            let imports = std::mem::take(&mut self.facts.imports);
            self.facts = self.restored(spill, segment);
            self.facts.imports = imports;
            // Lost, the facts still name their file: the report lists it with its ISO001.
            if self.facts.node_path.is_empty() {
                self.facts.node_path.clone_from(&self.info.node_path);
                self.facts.display.clone_from(&self.info.display);
            }
        }
    }

    /// Brings back the tests' reads of state, keeping only those that meet a write somewhere:
    /// the others can pair with nothing, and they are most of them.
    fn restore_reads(&mut self, spill: &Spill, written: &state::WrittenPaths) {
        let mut reads: Vec<state::StateRead> = match self.spilled.reads.take() {
            Some(segment) => self.restored(spill, segment),
            None => Vec::new(),
        };
        // Read before the reads found through calls, as they were recorded.
        reads.append(&mut self.state.reads);
        reads.retain(|read| written.may_meet(read));
        reads.shrink_to_fit();
        // Read back, each read has an owner of its own: a function's reads share one again.
        let mut last: Option<Arc<Owner>> = None;
        for read in &mut reads {
            match &last {
                Some(owner) if **owner == *read.owner => read.owner = Arc::clone(owner),
                _ => last = Some(Arc::clone(&read.owner)),
            }
        }
        self.state.reads = reads;
    }

    /// The value at `segment`; if the spill cannot give it back, the file says so.
    fn restored<T: serde::de::DeserializeOwned + Default>(
        &mut self,
        spill: &Spill,
        segment: Segment,
    ) -> T {
        spill.get(segment).unwrap_or_else(|error| {
            self.file_diagnostics
                .push(lost_in_spill(&self.info, &error));
            T::default()
        })
    }

    /// Every outcome lives until the project stage: the room its vectors grew into and no longer
    /// use would be held for the whole run, for every file.
    fn release_spare_capacity(&mut self) {
        self.findings.shrink_to_fit();
        self.effects.shrink_to_fit();
        self.functions.functions.shrink_to_fit();
        self.functions.classes.shrink_to_fit();
        self.state.writes.shrink_to_fit();
        self.state.reads.shrink_to_fit();
        self.state.autouse_resets.shrink_to_fit();
        self.state.restoring.shrink_to_fit();
        self.facts.tests.shrink_to_fit();
        self.facts.fixtures.shrink_to_fit();
        self.facts.classes.shrink_to_fit();
        self.facts.imports.shrink_to_fit();
        self.facts.marker_uses.shrink_to_fit();
    }
}

fn project_stage(
    mut outcomes: Vec<FileOutcome>,
    first_party: Vec<FileOutcome>,
    options: &LintOptions,
    dispatch: &Dispatch,
    spill: &Spill,
) -> LintResult {
    // What was written out comes back one kind at a time, each when it is needed: the calls
    // for the summaries first, freed before the facts come back. Read back in one go, the calls
    // also leave no holes among longer-lived allocations when they are freed: held since each
    // file's step instead, they cost 10-15 % more resident memory for the same live data.
    outcomes
        .par_iter_mut()
        .for_each(|outcome| outcome.restore_functions(spill));
    if !dispatch.path_rules.is_empty() || !dispatch.state_rules.is_empty() || dispatch.service_rules
    {
        let state_writes = add_effects_through_calls(&mut outcomes, &first_party, options);
        for (outcome, writes) in outcomes.iter_mut().zip(state_writes) {
            add_state_writes_through_calls(outcome, writes, dispatch);
        }
    }
    let labels: HashMap<String, Vec<(String, String)>> = outcomes
        .iter()
        .chain(&first_party)
        .filter(|o| !o.functions.neomodel_labels.is_empty())
        .map(|o| (o.module.clone(), o.functions.neomodel_labels.clone()))
        .collect();
    // The summaries above were the last readers of what the functions do: freed here, before the
    // fixture closures and the pairings below allocate, since they are most of what files keep.
    // In parallel: on one thread, freeing every file's recorded calls was a fifth of the stage.
    rayon::join(
        || drop(first_party),
        || {
            outcomes
                .par_iter_mut()
                .for_each(|outcome| outcome.functions = FileFunctions::default())
        },
    );
    outcomes
        .par_iter_mut()
        .for_each(|outcome| outcome.restore_facts(spill));
    for outcome in &mut outcomes {
        crate::neo4j_facts::resolve_imported_labels(
            &mut outcome.facts.neo4j,
            &outcome.package,
            &labels,
        );
    }
    let mut files: Vec<FileFacts> = outcomes
        .iter_mut()
        .map(|o| std::mem::take(&mut o.facts))
        .collect();
    let inheritance = inherit_tests(&mut files);
    let project = Project::new(&files);
    let closures: Vec<Vec<BTreeSet<FixtureRef>>> = files
        .iter()
        .enumerate()
        .map(|(i, f)| f.tests.iter().map(|t| project.closure(i, t)).collect())
        .collect();
    let reach = TestsReached::new(&files, &closures);

    let mut view = project_view(&project, &closures);
    view.state_reset_by_autouse = outcomes
        .iter()
        .flat_map(|o| o.state.autouse_resets.iter().cloned())
        .collect();
    // Variables a fixture of every test resets are reset state too.
    let env_resets: Vec<String> = view
        .env_reset_before_every_test
        .iter()
        .map(|name| match name.as_str() {
            "*" => process_state::ENVIRON.to_string(),
            name => process_state::env_path(name),
        })
        .collect();
    view.state_reset_by_autouse.extend(env_resets);
    let indexes: Vec<TestIndex> = files.iter().map(TestIndex::new).collect();
    if dispatch.state_reads {
        let written = state::WrittenPaths::new(
            outcomes
                .iter()
                .flat_map(|o| &o.state.writes)
                .map(|w| w.path.as_str()),
        );
        outcomes
            .par_iter_mut()
            .for_each(|outcome| outcome.restore_reads(spill, &written));
        let flows = state_flows(
            &outcomes,
            &indexes,
            &project,
            &reach,
            &inheritance,
            &view.state_reset_by_autouse,
        );
        for (file, finding) in flows {
            outcomes[file].findings.push(finding);
        }
        let fixture_flows = pair_fixture_users(&project, &closures);
        for (file, finding) in fixture_flows {
            outcomes[file].findings.push(finding);
        }
    }
    // Each file's findings become diagnostics on their own (everything shared is read-only here):
    // in parallel, collected in file order, so the output does not depend on the thread count.
    let per_file: Vec<_> = outcomes
        .par_iter_mut()
        .enumerate()
        .map(|(file_index, outcome)| {
            let tests = &indexes[file_index];
            outcome.suppressions.reset_usage();
            let mut findings = std::mem::take(&mut outcome.findings);
            crate::rules::shared_resource::resolve_fixture_names(
                &mut findings,
                file_index,
                &project,
            );
            if !dispatch.path_rules.is_empty() {
                let resolved = resolve_effects(
                    &outcome.effects,
                    (file_index, tests),
                    &outcome.info,
                    &project,
                    &closures,
                    (&inheritance, &reach),
                );
                let mut adopted = Vec::new();
                for effect in &resolved {
                    for rule in &dispatch.path_rules {
                        let Some(finding) = rule.check_path_effect(effect) else {
                            continue;
                        };
                        let span = effect.effect.span;
                        if rule.fixes_path_effect(effect) {
                            if let Some(fix) = outcome.path_fixes.get(&(span.start, span.end)) {
                                adopted
                                    .push(((span.start, span.end, finding.rule.code), fix.clone()));
                            }
                        }
                        findings.push(finding);
                    }
                }
                for (key, fix) in adopted {
                    outcome.fixes.entry(key).or_insert(fix);
                }
            }
            if options.rules.contains("ISO601") || options.rules.contains("ISO602") {
                let found = crate::rules::wide_fixture_scope::project_findings(
                    file_index,
                    &project,
                    &closures,
                    &outcome.fixes,
                    |byte| outcome.text.position(byte),
                );
                for (finding, fix) in found {
                    if let Some(fix) = fix {
                        let key = (finding.span.start, finding.span.end, finding.rule.code);
                        outcome.fixes.entry(key).or_insert(fix);
                    }
                    findings.push(finding);
                }
            }
            findings.retain(|f| {
                crate::registry::all_rules()
                    .iter()
                    .find(|r| r.meta().code == f.rule.code)
                    .is_none_or(|r| r.holds_in_project(f, &view))
            });
            crate::rules::shared_resource::attribute_to_callers(
                &mut findings,
                file_index,
                &outcome.module,
                &files,
                &reach,
            );
            let mut file_diagnostics: Vec<Diagnostic> =
                std::mem::take(&mut outcome.file_diagnostics);
            file_diagnostics.extend(findings.into_iter().filter_map(|f| {
                to_diagnostic(
                    f,
                    (file_index, tests),
                    outcome,
                    &project,
                    &reach,
                    &inheritance,
                )
            }));
            share_effort(&mut file_diagnostics);
            if outcome.text.changed() {
                // Its positions would come from another text than the one linted.
                file_diagnostics = vec![changed_file(&outcome.info)];
            }
            let ignored: Vec<&Selector> = options
                .per_file_ignores
                .iter()
                .filter(|(glob, _)| {
                    glob.is_match(&outcome.info.display) || glob.is_match(&outcome.info.node_path)
                })
                .flat_map(|(_, selectors)| selectors.iter())
                .collect();
            file_diagnostics.retain(|d| {
                options.rules.contains(d.rule.code)
                    && !ignored.iter().any(|s| s.matches(d.rule))
                    && !outcome
                        .suppressions
                        .suppresses(d.rule, d.start.line.saturating_sub(1))
            });
            if options.warn_unused_suppressions
                && options.rules.contains(file_errors::UNUSED_SUPPRESSION.code)
            {
                file_diagnostics.extend(unused_suppressions(outcome));
            }
            let source = (!file_diagnostics.is_empty())
                .then(|| (outcome.info.display.clone(), outcome.text.shown()));
            (file_diagnostics, source)
        })
        .collect();
    let mut diagnostics = Vec::new();
    let mut sources = HashMap::new();
    for (file_diagnostics, source) in per_file {
        if let Some((display, text)) = source {
            sources.insert(display, text);
        }
        diagnostics.extend(file_diagnostics);
    }
    let outcome_of = |display: &str| outcomes.iter().find(|o| o.info.display == display);
    diagnostics.extend(crate::config_stage::run(
        options,
        &files,
        &mut sources,
        |display| outcome_of(display).map(|o| o.text.shown()),
        |d| {
            outcome_of(&d.file).is_some_and(|o| {
                o.suppressions
                    .suppresses(d.rule, d.start.line.saturating_sub(1))
            })
        },
    ));
    let changed: HashSet<&str> = outcomes
        .iter()
        .filter(|o| o.text.changed())
        .map(|o| o.info.display.as_str())
        .collect();
    if !changed.is_empty() {
        // A related location in a changed file has no position either.
        diagnostics.retain(|d| !d.related.iter().any(|r| changed.contains(r.file.as_str())));
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup_by(|a, b| a.sort_key() == b.sort_key());
    LintResult {
        diagnostics,
        files,
        sources,
        categories_checked: options.rules.categories(),
        codes_checked: codes_checked(options.rules),
    }
}

/// Binds the effect summaries of the functions test code calls (in the tests tree and the
/// project's own package) at each call, as path effects of the calling file.
/// Also returns, per file, the module and class state its test code changes through such calls.
/// And reports the shared-service operations test code reaches through such calls at the calls.
fn add_effects_through_calls(
    outcomes: &mut [FileOutcome],
    first_party: &[FileOutcome],
    options: &LintOptions,
) -> Vec<(Vec<state::StateWrite>, Vec<Span>)> {
    let all = || outcomes.iter().chain(first_party.iter());
    let modules: Vec<ModuleFunctions> = all()
        .map(|o| ModuleFunctions {
            module: o.module.clone(),
            package: o.package.clone(),
            folder: o
                .info
                .node_path
                .rsplit_once('/')
                .map_or(String::new(), |(dir, _)| dir.to_string()),
            functions: &o.functions,
            first_party: o.info.first_party,
            package_code: o.info.package_code,
        })
        .collect();
    let mut summaries = Summaries::new(&modules);
    summaries.set_imported_at_collection(imported_at_collection(outcomes));
    let found: Vec<(Vec<PathEffect>, Vec<Span>)> = (0..outcomes.len())
        .map(|file| summaries.effects_at_calls(file))
        .collect();
    let state_writes: Vec<(Vec<state::StateWrite>, Vec<Span>)> = (0..outcomes.len())
        .map(|file| summaries.state_writes_at_calls(file))
        .collect();
    let state_reads: Vec<Vec<state::StateRead>> = (0..outcomes.len())
        .map(|file| summaries.state_reads_at_calls(file))
        .collect();
    let mut reached_helpers: HashSet<(String, Position)> = HashSet::new();
    let service_findings: Vec<Vec<Finding>> = (0..outcomes.len())
        .map(|file| {
            crate::rules::shared_resource::findings_through_calls(
                summaries.service_ops_at_calls(file),
                &outcomes[file].findings,
                options.rules,
                &mut reached_helpers,
            )
        })
        .collect();
    drop(summaries);
    drop(modules);
    for (outcome, (effects, known_calls)) in outcomes.iter_mut().zip(found) {
        // What a project function is known to do replaces guesses from how it is called.
        outcome
            .effects
            .retain(|direct| !direct.guessed || !known_calls.contains(&direct.span));
        outcome.effects.extend(effects);
    }
    for (outcome, reads) in outcomes.iter_mut().zip(state_reads) {
        outcome.state.reads.extend(reads);
    }
    for (outcome, found) in outcomes.iter_mut().zip(service_findings) {
        let text = &outcome.text;
        crate::rules::shared_resource::drop_reached_helper_findings(
            &mut outcome.findings,
            &outcome.info.display,
            &reached_helpers,
            |byte| text.position(byte),
        );
        outcome.findings.extend(found);
    }
    state_writes
}

/// Adds the state a file's test code changes through calls into the project's code to its state
/// changes (for ISO402), unless the same function patches the key or registers its cleanup, and
/// reports them (ISO306).
fn add_state_writes_through_calls(
    outcome: &mut FileOutcome,
    (writes, known_calls): (Vec<state::StateWrite>, Vec<Span>),
    dispatch: &Dispatch,
) {
    // What a package function is known to change replaces guesses from the method's name.
    outcome
        .state
        .writes
        .retain(|w| !known_calls.contains(&w.span));
    outcome.findings.retain(|f| {
        !(f.resource
            .as_deref()
            .is_some_and(|r| r.starts_with("state:"))
            && known_calls.contains(&f.span))
    });
    // An autouse fixture calling the package's reset resets the key for every test, as a
    // direct write there does (`state::collect`).
    outcome.state.autouse_resets.extend(
        writes
            .iter()
            .filter(|w| {
                w.owner.role == isolint_python::model::Role::Fixture && w.owner.fixture_autouse
            })
            .map(|w| w.path.clone()),
    );
    let mut reported: Vec<Span> = Vec::new();
    for mut write in writes {
        write.restored = write.restored
            || outcome.state.restoring.iter().any(|(function, text)| {
                *function == write.function && state::names_path(text, &write.path)
            })
            || state::restored_by_class(&outcome.state.writes, &write);
        // The test changes the key itself too: its own change is the one to report.
        if outcome
            .state
            .writes
            .iter()
            .any(|w| w.function == write.function && w.path == write.path)
        {
            continue;
        }
        // One finding per call, however many keys the callee changes (ISO402 pairs each).
        if !write.restored && !reported.contains(&write.span) {
            let before = outcome.findings.len();
            for rule in &dispatch.state_rules {
                if let Some(finding) =
                    rule.check_state_write(&write, &outcome.info, &outcome.module)
                {
                    outcome.findings.push(finding);
                }
            }
            if outcome.findings.len() > before {
                reported.push(write.span);
            }
        }
        outcome.state.writes.push(write);
    }
}

/// The names a test calls, each once (into `calls`, reused from test to test).
fn distinct_calls<'f>(test: &'f isolint_python::project::TestFacts, calls: &mut Vec<&'f str>) {
    calls.clear();
    calls.extend(test.calls.iter().copied());
    calls.sort_unstable();
    calls.dedup();
}

/// From what owns an effect to the tests it reaches, over the whole project: built once, so
/// resolving an effect never scans every test of every file. A test is a (file, test) pair of
/// 32-bit indexes: the index by called name holds one for every distinct name each test calls.
pub(crate) struct TestsReached<'f> {
    files: &'f [FileFacts],
    by_call: foldhash::HashMap<&'f str, Vec<(u32, u32)>>,
    by_fixture: foldhash::HashMap<FixtureRef, Vec<(u32, u32)>>,
}

/// A (file, test) pair as the project stage indexes tests.
fn widened(&(file, test): &(u32, u32)) -> (usize, usize) {
    (file as usize, test as usize)
}

impl<'f> TestsReached<'f> {
    fn new(files: &'f [FileFacts], closures: &[Vec<BTreeSet<FixtureRef>>]) -> Self {
        let mut reach = TestsReached {
            files,
            by_call: foldhash::HashMap::default(),
            by_fixture: foldhash::HashMap::default(),
        };
        let mut calls: Vec<&str> = Vec::new();
        for (f, facts) in files.iter().enumerate() {
            for (t, test) in facts.tests.iter().enumerate() {
                let at = (f as u32, t as u32);
                distinct_calls(test, &mut calls);
                for call in &calls {
                    reach.by_call.entry(call).or_default().push(at);
                }
                for fixture in closures.get(f).and_then(|c| c.get(t)).into_iter().flatten() {
                    reach.by_fixture.entry(*fixture).or_default().push(at);
                }
            }
        }
        for tests in reach.by_call.values_mut() {
            tests.shrink_to_fit();
        }
        reach
    }

    /// Tests that call a function of this name, in any file, in file and test order.
    fn callers(&self, function: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.by_call
            .get(function)
            .into_iter()
            .flatten()
            .map(widened)
    }

    /// The tests of one file that call a function of this name, in test order.
    fn callers_in(&self, file: usize, function: &str) -> impl Iterator<Item = usize> + '_ {
        let callers = self.by_call.get(function).map_or(&[][..], Vec::as_slice);
        let start = callers.partition_point(|(f, _)| (*f as usize) < file);
        let end = callers.partition_point(|(f, _)| (*f as usize) <= file);
        callers[start..end].iter().map(|(_, t)| *t as usize)
    }

    /// Tests whose fixture closure holds the fixture, in file and test order.
    fn users(&self, fixture: FixtureRef) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.by_fixture
            .get(&fixture)
            .into_iter()
            .flatten()
            .map(widened)
    }

    /// The node ids of the tests whose fixture closure holds the fixture, in file and test order.
    pub(crate) fn user_ids(&self, fixture: FixtureRef) -> impl Iterator<Item = &'f str> + '_ {
        let files = self.files;
        self.users(fixture)
            .map(move |(f, t)| files[f].tests[t].node_id.as_str())
    }
}

/// One file's tests by node id and by class, so attributing each finding costs a lookup rather
/// than a scan of every test of the file (a file of 40,000 tests).
struct TestIndex<'f> {
    by_id: foldhash::HashMap<&'f str, usize>,
    /// Every class path prefix (`[]`, `[A]`, `[A, B]`) to the tests inside it, in file order.
    by_classes: foldhash::HashMap<&'f [String], Vec<usize>>,
}

impl<'f> TestIndex<'f> {
    fn new(facts: &'f FileFacts) -> Self {
        let mut index = TestIndex {
            by_id: foldhash::HashMap::default(),
            by_classes: foldhash::HashMap::default(),
        };
        for (t, test) in facts.tests.iter().enumerate() {
            index.by_id.entry(test.node_id.as_str()).or_insert(t);
            for depth in 0..=test.classes.len() {
                index
                    .by_classes
                    .entry(&test.classes[..depth])
                    .or_default()
                    .push(t);
            }
        }
        index
    }

    fn position(&self, node_id: &str) -> Option<usize> {
        self.by_id.get(node_id).copied()
    }

    fn in_classes(&self, classes: &[String]) -> &[usize] {
        self.by_classes.get(classes).map_or(&[], Vec::as_slice)
    }
}

/// The project facts rules confirm their findings against.
fn project_view(
    project: &Project,
    closures: &[Vec<BTreeSet<FixtureRef>>],
) -> crate::rules::ProjectView {
    let mut every_test: Option<BTreeSet<String>> = None;
    for tests in closures {
        for closure in tests {
            let resets: BTreeSet<String> = closure
                .iter()
                .flat_map(|f| project.fixture(*f).resets_env.iter().cloned())
                .collect();
            every_test = Some(match every_test {
                None => resets,
                Some(so_far) if resets.contains("*") => so_far,
                Some(so_far) if so_far.contains("*") => resets,
                Some(so_far) => so_far.intersection(&resets).cloned().collect(),
            });
        }
    }
    crate::rules::ProjectView {
        env_reset_before_every_test: every_test.unwrap_or_default(),
        imported_modules: project
            .files
            .iter()
            .flat_map(|f| f.imported_modules.iter().cloned())
            .collect(),
        state_reset_by_autouse: Vec::new(),
    }
}

/// ISO003 for each suppression comment that matched nothing, naming unknown codes.
fn unused_suppressions(outcome: &FileOutcome) -> Vec<Diagnostic> {
    outcome
        .suppressions
        .unused()
        .map(|s| {
            let unknown: Vec<&str> = s
                .codes
                .iter()
                .map(String::as_str)
                .filter(|c| Selector::parse(c).is_err())
                .collect();
            let message = if unknown.is_empty() {
                "this suppression comment suppresses no finding".to_string()
            } else {
                format!(
                    "this suppression comment names no isolint rule: {}",
                    unknown.join(", ")
                )
            };
            let start = outcome.text.line_start(s.line) + s.column_offset;
            let end_byte = start + s.length;
            let position = outcome.text.position(start);
            let end = outcome.text.position(end_byte);
            file_diagnostic(
                &file_errors::UNUSED_SUPPRESSION,
                &outcome.info,
                position,
                end,
                Span::new(start, end_byte),
                message,
                "remove the comment, or correct the rule code",
            )
        })
        .collect()
}

/// Resolves fixture-rooted paths, drops what is isolated, and pairs removals and checks with writes.
fn resolve_effects<'a>(
    effects: &'a [PathEffect],
    (file, tests): (usize, &TestIndex),
    info: &'a FileInfo,
    project: &Project,
    closures: &[Vec<BTreeSet<FixtureRef>>],
    (inheritance, reach): (&Inheritance, &TestsReached),
) -> Vec<ResolvedEffect<'a>> {
    let facts = &project.files[file];
    let mut resolved: Vec<ResolvedEffect> = Vec::new();
    for effect in effects {
        // A path a wider fixture built (`os.path.expanduser("~/.rc")` at module scope) was computed
        // before any function-scoped fixture pointed HOME elsewhere: their isolation misses it.
        let mut computed_before_the_test = false;
        let (value, via_fixture) = match &effect.path.root {
            Root::Fixture(name) => {
                let Some(reference) = project.resolve(file, &effect.owner.classes, name, None)
                else {
                    continue;
                };
                let fixture = project.fixture(reference);
                let value = project.fixture_value(reference);
                let Value::Text(base) = &value else { continue };
                let shown_base = shown_path(&base.root, &base.text, &project.files[reference.file]);
                let related = Related {
                    file: project.files[reference.file].display.clone(),
                    line: fixture.position.line,
                    column: fixture.position.column,
                    message: format!("fixture `{name}` returns the fixed path '{shown_base}'"),
                };
                // `fixture.touch()` needs the fixture to be a path, not a string.
                if effect.callee.starts_with(path_effects::PATH_METHOD_PREFIX)
                    && effect.path.text.is_empty()
                    && !base.path_object
                {
                    continue;
                }
                let joined = value.clone().join(Value::literal(effect.path.text.clone()));
                computed_before_the_test = fixture.scope != "function";
                (joined, Some((name.clone(), related)))
            }
            _ => (Value::Text(effect.path.clone()), None),
        };
        let Value::Text(text) = value else { continue };
        let Some(class) = classify_path(&text.root, &text.text) else {
            continue;
        };
        // Tests the effect reaches, as (file, test): the test itself, or the tests calling a helper
        // (in its own module, or importing it from another).
        let own_fixture = match (effect.owner.role, &effect.owner.fixture) {
            (Role::Fixture, Some(name)) => project.resolve(file, &effect.owner.classes, name, None),
            _ => None,
        };
        let inherited = match (&effect.owner.test, effect.owner.classes.last()) {
            (None, Some(class)) => inheritance.tests_of(file, class, &effect.owner.function),
            _ => Vec::new(),
        };
        let reaching: Vec<(usize, usize)> = match (&effect.owner.test, &effect.helper) {
            _ if !inherited.is_empty() => inherited,
            (Some(id), _) => tests.position(id).map(|t| (file, t)).into_iter().collect(),
            (None, Some(helper)) => reach
                .callers(helper)
                .filter(|(other, _)| {
                    *other == file
                        || effect.owner.classes.is_empty()
                            && project.imports_function(*other, file, helper)
                })
                .collect(),
            (None, None) => own_fixture.map_or(Vec::new(), |own| reach.users(own).collect()),
        };
        let in_helper_class = effect.owner.test.is_none()
            && !effect.owner.classes.is_empty()
            && !facts.is_test_module;
        if (effect.helper.is_some() || in_helper_class) && reaching.is_empty() {
            continue;
        }
        // What isolates a test's body also isolates a fixture when it runs first: an autouse
        // function-scoped fixture (before the test's other function-scoped fixtures), or one the
        // fixture requests. Wider fixtures run before any of them.
        let guards_owner = |guard: &FixtureRef| match own_fixture {
            None => true,
            Some(own) => {
                let (own_facts, guard_facts) = (project.fixture(own), project.fixture(*guard));
                *guard != own
                    && own_facts.scope == "function"
                    && (guard_facts.autouse && guard_facts.scope == "function"
                        || own_facts.requested.contains(&guard_facts.name.as_str()))
            }
        };
        // Every test the effect reaches is isolated by one of its fixtures.
        let all_reaching = |isolated: &dyn Fn(usize, usize) -> bool| {
            !reaching.is_empty() && reaching.iter().all(|(f, t)| isolated(*f, *t))
        };
        let requests_chdir_fixture = |f: usize, t: usize| {
            let direct = project.files[f].tests[t].requested.iter();
            let through_fixtures = closures[f][t]
                .iter()
                .flat_map(|r| project.fixture(*r).requested.iter());
            direct
                .chain(through_fixtures)
                .any(|name| CHDIR_FIXTURES.contains(name))
        };
        let home_by_fixture = all_reaching(&|f, t| {
            closures[f][t]
                .iter()
                .any(|r| guards_owner(r) && project.fixture(*r).isolates_home)
        });
        if class == PathClass::Home
            && !computed_before_the_test
            && (effect.home_isolated || home_by_fixture)
        {
            continue;
        }
        let cwd_isolated = effect.cwd_isolated
            || effect
                .owner
                .classes
                .last()
                .is_some_and(|class| project.class_changes_cwd(file, class))
            || all_reaching(&|f, t| {
                closures[f][t]
                    .iter()
                    .any(|r| guards_owner(r) && project.fixture(*r).changes_cwd)
                    || own_fixture.is_none() && requests_chdir_fixture(f, t)
            });
        // Relative paths of a test in its own working folder land in that private folder.
        if cwd_isolated && class == PathClass::Relative {
            continue;
        }
        let mut reached_tests: Vec<String> = reaching
            .iter()
            .map(|(f, t)| project.files[*f].tests[*t].node_id.clone())
            .collect();
        reached_tests.sort();
        resolved.push(ResolvedEffect {
            effect,
            file: info,
            shown: shown_path(&text.root, &text.text, facts),
            root: text.root.clone(),
            class,
            origin: text.origin.as_deref().cloned(),
            via_fixture,
            paired: Vec::new(),
            reached_tests,
        });
    }
    pair_removals(resolved)
}

/// A removal or check of a path the same file writes is shown with the write; a library call handed
/// a path is a write only when the file also removes or checks that path.
fn pair_removals(effects: Vec<ResolvedEffect>) -> Vec<ResolvedEffect> {
    let covers = |folder: &str, path: &str| {
        path == folder || path.starts_with(&format!("{}/", folder.trim_end_matches('/')))
    };
    let evidence: Vec<(String, Span, &'static str)> = effects
        .iter()
        .filter(|e| matches!(e.effect.op, PathOp::Delete | PathOp::Check))
        .map(|e| {
            (
                e.shown.clone(),
                e.effect.span,
                if e.effect.op == PathOp::Delete {
                    "removed here"
                } else {
                    "checked here"
                },
            )
        })
        .collect();
    // Evidence by folder, so each effect looks up the folders above it instead of scanning all.
    let mut evidence_at: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (path, _, _)) in evidence.iter().enumerate() {
        evidence_at
            .entry(path.trim_end_matches('/'))
            .or_default()
            .push(i);
    }
    let covering = |shown: &str| -> BTreeSet<usize> {
        let folders = shown
            .match_indices('/')
            .map(|(at, _)| &shown[..at])
            .chain(std::iter::once(shown.trim_end_matches('/')));
        folders
            .filter_map(|folder| evidence_at.get(folder))
            .flatten()
            .copied()
            .filter(|i| covers(&evidence[*i].0, shown))
            .collect()
    };
    let mut kept: Vec<ResolvedEffect> = Vec::new();
    for mut effect in effects {
        match effect.effect.op {
            PathOp::Check => continue,
            PathOp::Mention | PathOp::Write | PathOp::CreateDir | PathOp::Database => {
                // A check before the call asserts an input exists; only one after it says the call
                // made the path.
                let pairs: Vec<(Span, String)> = covering(&effect.shown)
                    .into_iter()
                    .map(|i| &evidence[i])
                    .filter(|(_, span, what)| {
                        (*what == "removed here"
                            || effect.effect.op == PathOp::Mention
                                && span.start >= effect.effect.span.end)
                            && *span != effect.effect.span
                    })
                    .map(|(_, span, what)| (*span, what.to_string()))
                    .collect();
                if effect.effect.op == PathOp::Mention && pairs.is_empty() {
                    continue;
                }
                effect.paired = pairs;
                kept.push(effect);
            }
            PathOp::Delete => kept.push(effect),
        }
    }
    // A library call adds nothing when a known sink writes the same path: that write is the finding.
    let sink_written: std::collections::HashSet<String> = kept
        .iter()
        .filter(|e| !matches!(e.effect.op, PathOp::Delete | PathOp::Mention))
        .map(|e| e.shown.clone())
        .collect();
    kept.retain(|e| e.effect.op != PathOp::Mention || !sink_written.contains(&e.shown));
    // A removal is shown with the write it undoes (a written path equal to it or inside it) when
    // the same code writes it; a removal elsewhere (another fixture's finalizer) reaches other
    // tests and stays a finding of its own.
    // A class's setup and teardown run for the same tests: one owner; elsewhere, the function.
    let owner_key = |e: &ResolvedEffect| {
        let owner = &e.effect.owner;
        let classes = owner.classes.join(".");
        match owner.role {
            Role::Setup | Role::Teardown if !owner.classes.is_empty() => (classes, String::new()),
            _ => (classes, owner.function.clone()),
        }
    };
    let written: BTreeSet<(String, String, String)> = kept
        .iter()
        .filter(|e| e.effect.op != PathOp::Delete)
        .map(|e| {
            let (classes, function) = owner_key(e);
            (classes, function, e.shown.clone())
        })
        .collect();
    let writes_inside = |e: &ResolvedEffect| {
        let (classes, function) = owner_key(e);
        let folder = &e.shown;
        let prefix = format!("{}/", folder.trim_end_matches('/'));
        let start = (classes.clone(), function.clone(), folder.clone());
        written.contains(&start)
            || written
                .range((classes.clone(), function.clone(), prefix.clone())..)
                .next()
                .is_some_and(|(c, f, w)| *c == classes && *f == function && w.starts_with(&prefix))
    };
    kept.retain(|e| e.effect.op != PathOp::Delete || !writes_inside(e));
    kept
}

/// The path as users read it, `a/../b` folded to `b` (`Path(__file__).joinpath("../data")`).
fn shown_path(root: &Root, text: &str, facts: &FileFacts) -> String {
    normalize_path(&unnormalized_path(root, text, facts))
}

/// Folds `.` and `name/..` components; leading `..` (above the start) are kept.
fn normalize_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

fn unnormalized_path(root: &Root, text: &str, facts: &FileFacts) -> String {
    let join = |prefix: &str| {
        // `gettempdir() + "/x"` leaves a slash at the start of the part on the root.
        let text = text.trim_start_matches('/');
        if text.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}/{text}")
        }
    };
    match root {
        Root::Literal | Root::Cwd | Root::Fixture(_) | Root::Param(_) => text.to_string(),
        Root::TempDir => join("$TMPDIR"),
        Root::Home => join("~"),
        Root::SourceDir => {
            let folder = facts.folder();
            if folder.is_empty() {
                text.to_string()
            } else {
                join(folder)
            }
        }
    }
}

/// A fix with the editor positions of its edits.
fn locate(fix: &crate::fix::Fix, outcome: &FileOutcome) -> crate::diagnostic::AutoFix {
    let text = &outcome.text;
    crate::diagnostic::AutoFix {
        applicability: fix.applicability,
        edits: fix
            .edits
            .iter()
            .map(|edit| crate::diagnostic::LocatedEdit {
                start: text.position(edit.start),
                end: text.position(edit.end),
                content: edit.content.clone(),
                edit: edit.clone(),
            })
            .collect(),
    }
}

fn to_diagnostic(
    finding: Finding,
    (file, tests): (usize, &TestIndex),
    outcome: &FileOutcome,
    project: &Project,
    users: &TestsReached,
    inheritance: &Inheritance,
) -> Option<Diagnostic> {
    let facts = &project.files[file];
    let owner = &finding.owner;
    let affected: Vec<String> = match &finding.tests {
        Some(tests) => tests.clone(),
        None => owner_tests(owner, (file, tests), project, users, inheritance),
    };
    // A helper no test of its module calls is evidence of nothing.
    if owner.role == Role::Helper && affected.is_empty() {
        return None;
    }
    let text = &outcome.text;
    let start = text.position(finding.span.start);
    let end = text.position(finding.span.end);
    let mut related: Vec<Related> = finding
        .related
        .iter()
        .map(|(span, message)| {
            let at = text.position(span.start);
            Related {
                file: outcome.info.display.clone(),
                line: at.line,
                column: at.column,
                message: message.clone(),
            }
        })
        .collect();
    related.extend(finding.related_elsewhere.iter().cloned());
    let effort = estimate(&EffortFacts {
        base: finding.rule.effort,
        shared: finding.rule.shared_effort,
        site: finding.site,
        tests_sharing: affected.len(),
        fixture_scope: owner.fixture_scope.as_deref(),
        // A helper in a module that is neither a test module nor a conftest is product-side code.
        outside_tests: finding.site == FixSite::Helper
            && !facts.is_test_module
            && !facts.is_conftest,
    });
    Some(Diagnostic {
        rule: finding.rule,
        file: outcome.info.display.clone(),
        span: finding.span,
        start,
        end,
        message: finding.message,
        fix: finding.fix,
        autofix: outcome
            .fixes
            .get(&(finding.span.start, finding.span.end, finding.rule.code))
            .map(|fix| locate(fix, outcome)),
        effort,
        test: owner.test.clone(),
        fixture: owner.fixture.clone(),
        related,
        affected_tests: affected,
        resource: finding.resource,
        site: finding.site,
        owner: (!owner.function.is_empty()).then(|| {
            owner
                .classes
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(owner.function.as_str()))
                .collect::<Vec<_>>()
                .join(".")
        }),
    })
}

/// The tests code of an owner runs for: the test itself, a fixture's users, a class's tests for its
/// setup and teardown, the tests calling a helper (or inheriting a method).
fn owner_tests(
    owner: &crate::context::Owner,
    (file, tests): (usize, &TestIndex),
    project: &Project,
    users: &TestsReached,
    inheritance: &Inheritance,
) -> Vec<String> {
    let facts = &project.files[file];
    let inherited = match (&owner.test, owner.classes.last()) {
        (None, Some(class)) => inheritance.tests_of(file, class, &owner.function),
        _ => Vec::new(),
    };
    let node_ids = |indices: &[usize]| -> Vec<String> {
        indices
            .iter()
            .map(|t| facts.tests[*t].node_id.clone())
            .collect()
    };
    match owner.role {
        _ if !inherited.is_empty() => inherited
            .into_iter()
            .map(|(f, t)| project.files[f].tests[t].node_id.clone())
            .collect(),
        Role::Test => owner.test.iter().cloned().collect(),
        Role::Fixture => {
            let name = owner.fixture.as_deref().unwrap_or(&owner.function);
            project
                .resolve(file, &owner.classes, name, None)
                .map(|r| users.user_ids(r).map(str::to_string).collect())
                .unwrap_or_default()
        }
        Role::Setup | Role::Teardown | Role::ClassBody => {
            node_ids(tests.in_classes(&owner.classes))
        }
        _ => users
            .callers_in(file, &owner.function)
            .map(|t| facts.tests[t].node_id.clone())
            .collect(),
    }
}

/// ISO402: pairs the state each test reads with the unrestored writes of other tests.
fn state_flows(
    outcomes: &[FileOutcome],
    indexes: &[TestIndex],
    project: &Project,
    users: &TestsReached,
    inheritance: &Inheritance,
    resets: &[String],
) -> Vec<(usize, crate::context::Finding)> {
    use crate::rules::order_dependency::cross_test_state_flow::{pair, Polluter};
    let mut polluters = Vec::new();
    let mut reads = Vec::new();
    for (file, outcome) in outcomes.iter().enumerate() {
        // A statement seen with a more precise key too (`sys.modules.pop("pkg")` is a change of
        // `sys.modules` and of its entry `pkg`) pairs under that key only.
        let mut paths_at: HashMap<Span, Vec<&str>> = HashMap::new();
        for write in &outcome.state.writes {
            paths_at.entry(write.span).or_default().push(&write.path);
        }
        for write in &outcome.state.writes {
            if paths_at.get(&write.span).is_some_and(|paths| {
                paths
                    .iter()
                    .any(|p| p.len() > write.path.len() && state::paths_meet(&write.path, p))
            }) {
                continue;
            }
            let leaks = crate::rules::module_state::leaks(write, &outcome.info)
                && !resets
                    .iter()
                    .any(|r| crate::analysis::state::paths_meet(r, &write.path));
            // A restored assignment still sets what its test reads next.
            if !leaks && write.kind != state::WriteKind::Assign {
                continue;
            }
            let tests = owner_tests(
                &write.owner,
                (file, &indexes[file]),
                project,
                users,
                inheritance,
            );
            if !tests.is_empty() {
                polluters.push(Polluter {
                    write,
                    leaks,
                    tests,
                    file: outcome.info.display.clone(),
                    file_index: file,
                });
            }
        }
        reads.extend(outcome.state.reads.iter().map(|r| (file, r)));
    }
    if polluters.is_empty() {
        return Vec::new();
    }
    let files: Vec<&str> = outcomes.iter().map(|o| o.info.display.as_str()).collect();
    pair(&polluters, &reads, &files)
}

/// A module constant or class attribute used by several tests is one root cause: its findings share
/// the effort of changing it.
fn share_effort(diagnostics: &mut [Diagnostic]) {
    let mut sharing: HashMap<(String, FixSite, &'static str), BTreeSet<String>> = HashMap::new();
    for d in diagnostics.iter() {
        if let (Some(resource), FixSite::Module | FixSite::Class) = (&d.resource, d.site) {
            sharing
                .entry((resource.clone(), d.site, d.rule.code))
                .or_default()
                .extend(d.affected_tests.iter().cloned());
        }
    }
    for d in diagnostics.iter_mut() {
        if let (Some(resource), FixSite::Module | FixSite::Class) = (&d.resource, d.site) {
            let count = sharing
                .get(&(resource.clone(), d.site, d.rule.code))
                .map_or(0, BTreeSet::len);
            d.effort = d.effort.max(estimate(&EffortFacts {
                base: d.rule.effort,
                shared: d.rule.shared_effort,
                site: d.site,
                tests_sharing: count,
                fixture_scope: None,
                outside_tests: false,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{file_info, normalize_path, unlinted_file, SourceInput};
    use crate::analysis::state::{StateRead, WrittenPaths};
    use crate::spill::Spill;
    use isolint_python::project::FileFacts;
    use isolint_python::pytest_config::Naming;

    #[test]
    fn parts_that_cannot_be_read_back_are_reported_on_their_file() {
        let input = SourceInput {
            path: "tests/test_x.py".into(),
            display: "tests/test_x.py".into(),
            node_path: "tests/test_x.py".into(),
            explicit: false,
            text: None,
        };
        let info = file_info(&input, &Naming::default());
        let written = Spill::after(0);
        let spilled = |spill: &Spill| {
            let mut outcome = unlinted_file(&info);
            outcome.facts = FileFacts::default();
            outcome.spilled.facts = spill.put(&FileFacts {
                node_path: "tests/test_x.py".into(),
                display: "tests/test_x.py".into(),
                ..FileFacts::default()
            });
            outcome.spilled.reads = spill.put(&Vec::<StateRead>::new());
            outcome
        };
        let nothing_written = WrittenPaths::new([]);

        let mut read_back = spilled(&written);
        read_back.restore_facts(&written);
        read_back.restore_reads(&written, &nothing_written);
        assert!(read_back.file_diagnostics.is_empty());
        assert_eq!(read_back.facts.node_path, "tests/test_x.py");

        // Segments of one spill asked of another, which holds nothing.
        let mut lost = spilled(&written);
        let elsewhere = Spill::in_memory();
        lost.restore_facts(&elsewhere);
        lost.restore_reads(&elsewhere, &nothing_written);
        assert_eq!(lost.file_diagnostics.len(), 2);
        for diagnostic in &lost.file_diagnostics {
            assert_eq!(diagnostic.rule.code, "ISO001");
            assert_eq!(diagnostic.file, "tests/test_x.py");
            assert!(
                diagnostic
                    .message
                    .contains("could not read back from its temporary file"),
                "{}",
                diagnostic.message
            );
        }
        assert_eq!(lost.facts.node_path, "tests/test_x.py");
        assert_eq!(lost.facts.display, "tests/test_x.py");
    }

    #[test]
    fn paths_are_shown_folded() {
        assert_eq!(normalize_path("tests/x/__file__/../../proj"), "tests/proj");
        assert_eq!(normalize_path("./out/./a.txt"), "out/a.txt");
        assert_eq!(normalize_path("../shared/x"), "../shared/x");
        assert_eq!(normalize_path("/tmp/../tmp/x"), "/tmp/x");
        assert_eq!(normalize_path("a/.."), ".");
    }
}
