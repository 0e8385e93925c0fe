//! The content of the audit, computed once from the lint result and rendered as Markdown or JSON (so
//! both formats say the same thing).

use super::text::{group_slug, relative_link};
use isolint_linter::diagnostic::FixSite;
use isolint_linter::registry::all_rules;
use isolint_linter::{Applicability, Category, Diagnostic, Effort, LintResult, Related};
use isolint_python::project::Project;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Version of the JSON layout.
pub const FORMAT_VERSION: u32 = 1;

/// Fixes shown on the report's first screen.
pub const TOP_FIXES: usize = 5;

/// Markers of plugins that fix the order of tests (pytest-order, pytest-ordering, pytest-dependency).
const ORDERING_MARKERS: &[&str] = &[
    "order",
    "run",
    "first",
    "second",
    "last",
    "second_to_last",
    "dependency",
];

#[derive(Debug, Serialize)]
pub struct Audit {
    pub format_version: u32,
    pub generated_by: String,
    pub generated_at: Option<String>,
    pub audited_paths: Vec<String>,
    pub families_checked: Vec<Family>,
    pub summary: Summary,
    /// Tests that need at least one fix, in file and source order.
    pub tests: Vec<TestEntry>,
    /// Findings rooted in something several tests share (fixture, class setup, module state, helper),
    /// the fixes that unblock the most tests first.
    pub root_causes: Vec<RootCause>,
    /// Fixes that belong to one test (`F1`, ...), in file and source order: findings of one rule in
    /// one test that share a fix or a definition are one fix.
    pub single_test_fixes: Vec<SingleTestFix>,
    /// Findings that no collected test reaches (unreadable files, fixtures nothing uses).
    pub other_findings: Vec<Finding>,
    pub inventory: Inventory,
    pub neo4j: Neo4j,
    pub order_dependencies: OrderDependencies,
    pub effort: EffortSection,
    pub xdist: Xdist,
    /// What the project already has for parallel runs (from its files), when they were read.
    pub setup: Option<super::parallel_setup::ParallelSetup>,
    /// The expected speedup from measured durations, when given.
    pub speedup: Option<super::speedup::Speedup>,
    /// The team's notes section, carried over from the previous report.
    pub notes: Option<String>,
    /// Tests per test file (node path), so a list holding all of a file's tests can say so.
    #[serde(skip)]
    pub file_tests: BTreeMap<String, usize>,
}

#[derive(Debug, Serialize)]
pub struct Family {
    pub category: Category,
    pub label: &'static str,
    /// The family's rules in this version (`ISO2xx` when it has none yet).
    pub codes: Vec<&'static str>,
    /// This version of isolint has rules for the family.
    pub implemented: bool,
    /// The family's rules ran.
    pub checked: bool,
    pub findings: usize,
    pub tests_affected: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Relative to pytest's rootdir, `/`-separated.
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// Link relative to the report's folder (Markdown only).
    #[serde(skip)]
    pub href: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub files: usize,
    pub test_modules: usize,
    pub conftest_files: usize,
    pub other_files: usize,
    /// Tests as pytest would collect them, each parametrized test counted once.
    pub tests: usize,
    pub parametrized_tests: usize,
    /// Test cases once parametrize is expanded (a lower bound when `test_cases_exact` is false).
    pub test_cases: usize,
    pub test_cases_exact: bool,
    pub tests_needing_fix: usize,
    pub tests_via_root_causes: usize,
    pub parallel_safe_tests: usize,
    /// Rounded down, so a suite with one test to fix never shows 100.
    pub parallel_safe_percent: usize,
    pub findings: usize,
    pub fixes: usize,
    /// Fixes (root causes and single-test fixes) `isolint --fix` makes whole.
    pub fixes_by_fix: usize,
    /// Fixes only `isolint --fix --unsafe-fixes` makes whole.
    pub fixes_by_unsafe_fix: usize,
    /// Fixes left to do by hand, in whole or in part.
    pub fixes_by_hand: usize,
    /// Files isolint could not read or parse (ISO001, ISO002): their tests may be missing.
    pub files_not_fully_checked: usize,
    pub clean: bool,
    pub verdict: String,
}

#[derive(Debug, Serialize)]
pub struct TestEntry {
    pub node_id: String,
    #[serde(skip)]
    pub known: bool,
    pub parametrized: bool,
    pub parameter_count: Option<usize>,
    pub location: Option<Location>,
    pub findings: Vec<TestFinding>,
}

#[derive(Debug, Serialize)]
pub struct TestFinding {
    pub code: &'static str,
    pub rule: &'static str,
    pub message: String,
    pub fix: String,
    pub effort: Effort,
    pub location: Location,
    /// The definition the finding comes from (a constant, a fixture's return value).
    pub origin: Option<Origin>,
    /// The shared root cause this finding comes from (`R1`), if any.
    pub root_cause: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RootCause {
    pub id: String,
    #[serde(skip)]
    pub heading: String,
    #[serde(skip)]
    pub anchor: String,
    /// The rule of the main finding (the one that affects the most tests).
    pub code: &'static str,
    pub rule: &'static str,
    /// Every rule among its findings: one fixture that writes a path and removes it is one fix.
    pub codes: Vec<&'static str>,
    pub category: Category,
    pub site: FixSite,
    /// Where the shared code lives, in words (`fixture \`cache\``, `class \`TestLock\``).
    pub lives_in: String,
    pub resources: Vec<String>,
    pub message: String,
    /// The main finding's fix.
    pub fix: String,
    /// Every distinct fix among its findings, the main one first: one change applies them all.
    pub fixes: Vec<String>,
    /// Whether `isolint --fix` makes the change.
    pub autofix: Autofix,
    /// Its findings, the main one first.
    pub findings: Vec<FixFinding>,
    pub effort: Effort,
    /// Every finding of this root cause, the main one first.
    pub locations: Vec<Location>,
    /// The definition the findings share (the constant, the fixture's return value).
    pub origin: Option<Origin>,
    pub affected_tests: Vec<String>,
}

/// One finding of a fix (a root cause or a single-test fix).
#[derive(Debug, Serialize)]
pub struct FixFinding {
    pub code: &'static str,
    pub rule: &'static str,
    pub message: String,
    pub fix: String,
    /// `safe` when `isolint --fix` makes this change, `unsafe` when only `--unsafe-fixes` does.
    pub autofix: Option<Applicability>,
    pub effort: Effort,
    pub location: Location,
    pub resources: Vec<String>,
}

/// How much of a fix `isolint --fix` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Autofix {
    /// `--fix` fixes every finding.
    Safe,
    /// Every finding has a fix, some only with `--unsafe-fixes`.
    Unsafe,
    /// Some findings have a fix, the rest is left by hand.
    Partial,
    /// By hand.
    None,
}

impl Autofix {
    pub fn of(findings: &[FixFinding]) -> Autofix {
        let fixed = findings.iter().filter(|f| f.autofix.is_some()).count();
        if fixed == 0 {
            Autofix::None
        } else if fixed < findings.len() {
            Autofix::Partial
        } else if findings
            .iter()
            .all(|f| f.autofix == Some(Applicability::Safe))
        {
            Autofix::Safe
        } else {
            Autofix::Unsafe
        }
    }
}

/// A fix that belongs to one test.
#[derive(Debug, Serialize)]
pub struct SingleTestFix {
    /// `F1`, `F2`, ... in file and source order.
    pub id: String,
    pub test: String,
    /// The fix, once for all its findings.
    pub fix: String,
    /// Whether `isolint --fix` makes the change.
    pub autofix: Autofix,
    /// The effort of its hardest finding.
    pub effort: Effort,
    pub findings: Vec<FixFinding>,
    /// The definition the findings come from (a constant, a fixture's return value).
    pub origin: Option<Origin>,
}

#[derive(Debug, Serialize)]
pub struct Origin {
    pub location: Location,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub rule: &'static str,
    pub message: String,
    pub fix: String,
    pub effort: Effort,
    pub location: Location,
    pub tests: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Inventory {
    /// Shared resources found by the rules that ran, grouped by kind.
    pub resources: Vec<ResourceKind>,
    /// Kinds of shared resources whose rules did not run.
    pub not_checked: Vec<NotChecked>,
    pub wide_scope_fixtures: Vec<WideFixture>,
    pub module_state: Checked<Vec<Finding>>,
}

#[derive(Debug, Serialize)]
pub struct ResourceKind {
    /// The resource prefix (`path`, `env`).
    pub kind: String,
    pub label: String,
    pub resources: Vec<Resource>,
}

#[derive(Debug, Serialize)]
pub struct Resource {
    /// The normalised identity (`path:/tmp/x`).
    pub id: String,
    /// Without the kind prefix.
    pub name: String,
    pub codes: Vec<&'static str>,
    pub tests: Vec<String>,
    pub locations: Vec<Location>,
}

#[derive(Debug, Serialize)]
pub struct NotChecked {
    pub what: &'static str,
    pub family: Category,
}

#[derive(Debug, Serialize)]
pub struct WideFixture {
    pub name: String,
    pub scope: String,
    pub autouse: bool,
    pub location: Location,
    pub used_by: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Checked<T> {
    pub checked: bool,
    pub items: T,
}

#[derive(Debug, Serialize)]
pub struct Neo4j {
    pub checked: bool,
    /// Some file imports a Neo4j client (`neo4j`, `py2neo`, `neomodel`, ...), anywhere in it.
    pub client_imported: bool,
    /// The files that import one, relative to the rootdir.
    pub importing_files: Vec<String>,
    pub resources: Vec<Resource>,
    /// What the suite's code does with Neo4j, safe uses included: drivers, databases, labels,
    /// schema objects, users (in file order).
    pub inventory: Vec<Neo4jItem>,
}

#[derive(Debug, Serialize)]
pub struct Neo4jItem {
    pub at: Location,
    #[serde(flatten)]
    pub fact: isolint_python::project::Neo4jFact,
}

#[derive(Debug, Serialize)]
pub struct OrderDependencies {
    pub checked: bool,
    /// The cross-test state flow (ISO402) ran: an empty list of pairs then means none was found.
    pub pairs_checked: bool,
    pub pairs: Vec<OrderPair>,
    /// Tests pinned in order by a plugin marker (a fact, whatever rules ran).
    pub ordering_markers: Vec<MarkedTest>,
    /// Tests that change process state without restoring it: candidate polluters.
    pub state_leaks: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct OrderPair {
    pub code: &'static str,
    /// The state the tests meet in (`state:pkg.module.NAME`), when the rule names one.
    pub resource: Option<String>,
    pub victims: Vec<String>,
    pub polluters: Vec<Origin>,
    pub message: String,
    pub fix: String,
    pub location: Location,
}

#[derive(Debug, Serialize)]
pub struct MarkedTest {
    pub node_id: String,
    pub markers: Vec<String>,
    pub location: Location,
}

#[derive(Debug, Serialize)]
pub struct EffortSection {
    pub classes: Vec<EffortClass>,
    /// Root cause ids, the fixes that unblock the most tests first.
    pub ranked_root_causes: Vec<String>,
    /// Every fix id (root causes, then single-test fixes from the cheapest), most tests first.
    pub ranked_fixes: Vec<String>,
    /// The first fixes of `ranked_fixes`, shown on the report's first screen.
    pub top_fixes: Vec<String>,
    /// Parallel-safe tests once the top fixes are done (the checked families only).
    pub parallel_safe_after_top_fixes: usize,
    pub single_test_fixes: Vec<EffortCount>,
}

#[derive(Debug, Serialize)]
pub struct EffortClass {
    pub effort: Effort,
    /// Root causes and single-test fixes of this class: the classes' fixes add up to the summary's.
    pub fixes: usize,
    pub findings: usize,
    /// Tests some fix of this class touches; a test with fixes of two classes counts in both, so
    /// these do not add up (`tests_unblocked` does).
    pub tests_affected: usize,
    /// Tests whose hardest fix is of this class: they become parallel-safe once this class (and the
    /// cheaper ones) is done.
    pub tests_unblocked: usize,
    pub parallel_safe_after: usize,
}

#[derive(Debug, Serialize)]
pub struct EffortCount {
    pub effort: Effort,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct Xdist {
    /// `load` (plain `-n auto`), `loadscope` or `loadgroup`.
    pub strategy: &'static str,
    pub command: String,
    /// Whether `--dist loadscope` alone keeps every group on one worker.
    pub loadscope_sufficient: bool,
    pub groups: Vec<XdistGroup>,
    /// Tests that write a fixed resource no other test touches: safe under xdist, not across runs.
    pub unshared: Vec<String>,
    /// Tests that leak process state (environment): no `--dist` mode helps.
    pub state_leaks: Vec<String>,
    /// The fixes (ids) that stop those leaks.
    pub state_leak_fixes: Vec<String>,
    /// `command` is safe as it stands: no test leaks process state.
    pub safe_today: bool,
    /// What the leaking tests do, as words after "tests that".
    #[serde(skip)]
    pub state_leak_what: &'static str,
}

#[derive(Debug, Serialize)]
pub struct XdistGroup {
    pub name: String,
    pub resources: Vec<String>,
    pub tests: Vec<String>,
    /// Test cases in the group (parametrize expanded, unknown counts taken as 2).
    pub cases: usize,
    /// Where the marker goes, file by file.
    pub placements: Vec<Placement>,
    /// All its tests share one `loadscope` scope (module, or class for methods).
    pub within_one_scope: bool,
}

#[derive(Debug, Serialize)]
pub struct Placement {
    /// The test module, relative to the rootdir.
    pub file: String,
    /// `module` (`pytestmark` for the whole file), `class` (decorate the class) or `tests` (decorate
    /// each test).
    pub on: &'static str,
    /// The class path for `class` (`TestOuter::TestInner`).
    pub class: Option<String>,
    pub tests: Vec<String>,
}

/// What the renderers need besides the lint result.
pub struct Inputs<'a> {
    pub result: &'a LintResult,
    pub rootdir: &'a Path,
    pub report_dir: &'a Path,
    pub timestamp: Option<String>,
    pub audited_paths: Vec<String>,
    pub notes: Option<String>,
}

pub fn category_label(category: Category) -> &'static str {
    match category {
        Category::HardcodedPath => "Hard-coded paths",
        Category::SharedResourceName => "Shared resource names (Neo4j, SQL, ports)",
        Category::ModuleState => "Module-level and class-level state",
        Category::OrderDependency => "Order dependencies",
        Category::MissingCleanup => "Missing cleanup",
        Category::WideFixtureScope => "Wide fixture scopes",
        Category::Collection => "Collection-time side effects",
        Category::Config => "pytest and xdist configuration",
    }
}

/// The family's name inside a sentence.
pub fn category_phrase(category: Category) -> &'static str {
    match category {
        Category::HardcodedPath => "hard-coded paths",
        Category::SharedResourceName => "shared resource names (Neo4j, SQL, ports)",
        Category::ModuleState => "module-level and class-level state",
        Category::OrderDependency => "order dependencies",
        Category::MissingCleanup => "missing cleanup",
        Category::WideFixtureScope => "wide fixture scopes",
        Category::Collection => "collection-time side effects",
        Category::Config => "pytest and xdist configuration",
    }
}

/// Rules about isolint's own input (unreadable files, suppression comments), not about isolation:
/// `ISO0xx`, whatever category they are filed under.
pub fn is_tool_rule(code: &str) -> bool {
    code.starts_with("ISO0")
}

pub fn site_label(site: FixSite) -> &'static str {
    match site {
        FixSite::Test => "the test",
        FixSite::Fixture => "a fixture",
        FixSite::Class => "class setup",
        FixSite::Module => "module-level code",
        FixSite::Helper => "a helper function",
    }
}

impl Family {
    /// The rules of a family in this version, or its code prefix (`ISO2xx`) when it has none yet.
    pub fn codes_of(category: Category) -> Vec<&'static str> {
        family_codes(category)
    }
}

fn family_codes(category: Category) -> Vec<&'static str> {
    let codes: Vec<&'static str> = all_rules()
        .iter()
        .map(|r| r.meta())
        .filter(|m| m.category == category && !is_tool_rule(m.code))
        .map(|m| m.code)
        .collect();
    if codes.is_empty() {
        vec![match category.code_prefix() {
            "ISO1" => "ISO1xx",
            "ISO2" => "ISO2xx",
            "ISO3" => "ISO3xx",
            "ISO4" => "ISO4xx",
            "ISO5" => "ISO5xx",
            "ISO6" => "ISO6xx",
            "ISO7" => "ISO7xx",
            _ => "ISO9xx",
        }]
    } else {
        codes
    }
}

/// Resources that live in the worker process: grouping tests on one worker does not help them.
fn in_process(resource: &str) -> bool {
    matches!(
        resource.split_once(':').map(|(kind, _)| kind),
        Some("env" | "module" | "state" | "global")
    )
}

fn is_neo4j(resource: &str) -> bool {
    resource.starts_with("neo4j")
}

/// The resources of a finding: `env:A,B` (one statement changing two variables) is `env:A` and `env:B`.
fn resources_of(d: &Diagnostic) -> Vec<String> {
    match d.resource.as_deref() {
        Some(resource) => match resource.strip_prefix("env:") {
            Some(names) => names
                .split(',')
                .map(|name| format!("env:{}", name.trim()))
                .collect(),
            None => vec![resource.to_string()],
        },
        None => Vec::new(),
    }
}

/// The definition the findings of a shared root share: the constant or the fixture's value.
fn origin_of(d: &Diagnostic) -> Option<&Related> {
    d.related
        .iter()
        .find(|r| r.message.ends_with("defined here") || r.message.starts_with("fixture `"))
}

/// The tests a finding affects: its test and every user of its fixture, class or module state.
fn tests_of(d: &Diagnostic) -> BTreeSet<&str> {
    d.affected_tests
        .iter()
        .map(String::as_str)
        .chain(d.test.as_deref())
        .collect()
}

/// What a single change repairs: the fixture, the class's setup, the helper or module function the
/// finding sits in; otherwise the definition the findings share (a constant, a fixture's value), the
/// resource in that file, or the finding's own place.
fn fix_site_key(d: &Diagnostic) -> String {
    match (d.site, &d.fixture, &d.owner) {
        // Whatever the rule calls the site (the fixture, or a module constant only it uses), a
        // finding in a fixture's body is repaired by changing that fixture.
        (_, Some(name), _) => return format!("fixture:{}:{name}", d.file),
        // A finding in a test whose fix is in the fixture that gave it the value.
        (FixSite::Fixture, None, _) => {
            if let Some(key) = fixture_value_key(d) {
                return key;
            }
        }
        (FixSite::Class, _, Some(owner)) => {
            let class = owner.rsplit_once('.').map_or(owner.as_str(), |(c, _)| c);
            return format!("class:{}:{class}", d.file);
        }
        (FixSite::Helper | FixSite::Module, _, Some(owner)) => {
            return format!("function:{}:{owner}", d.file)
        }
        _ => {}
    }
    match (origin_of(d), &d.resource) {
        (Some(origin), _) => format!("origin:{}:{}", origin.file, origin.line),
        (None, Some(resource)) => format!("resource:{}:{}", d.file, resource),
        (None, None) => format!("at:{}:{}:{}", d.file, d.start.line, d.start.column),
    }
}

/// The fixture key (as `fix_site_key` makes it) of the fixture whose value a finding in a test
/// comes from (`fixture \`out\` returns ...`), if any.
fn fixture_value_key(d: &Diagnostic) -> Option<String> {
    d.related.iter().find_map(|r| {
        let name = r.message.strip_prefix("fixture `")?.split('`').next()?;
        Some(format!("fixture:{}:{name}", r.file))
    })
}

/// Where a root cause's code lives, in words: `fixture \`cache\``, `class \`TestLock\``.
fn lives_in(d: &Diagnostic) -> String {
    let code = |name: &str| super::text::code(name, false);
    let through_fixture = d
        .related
        .iter()
        .find_map(|r| r.message.strip_prefix("fixture `")?.split('`').next());
    match (d.site, &d.fixture, &d.owner) {
        (_, Some(name), _) => format!("fixture {}", code(name)),
        (FixSite::Fixture, None, _) => match through_fixture {
            Some(name) => format!("fixture {}", code(name)),
            None => site_label(FixSite::Fixture).to_string(),
        },
        (FixSite::Class, _, Some(owner)) => {
            let class = owner.rsplit_once('.').map_or(owner.as_str(), |(c, _)| c);
            format!("class {}", code(class))
        }
        (FixSite::Helper, _, Some(owner)) => format!("helper {}", code(owner)),
        (FixSite::Module, _, Some(owner)) => code(owner),
        (site, _, _) => site_label(site).to_string(),
    }
}

fn is_root(d: &Diagnostic) -> bool {
    d.site != FixSite::Test || tests_of(d).len() > 1
}

struct Builder<'a> {
    inputs: &'a Inputs<'a>,
    /// Shown path → (path relative to the rootdir, link to the file from the report's folder).
    by_display: HashMap<&'a str, (&'a str, Option<String>)>,
    /// Node id → (file index, test index).
    test_index: HashMap<&'a str, (usize, usize)>,
}

impl<'a> Builder<'a> {
    fn location(&self, display: &str, line: usize, column: usize) -> Location {
        let (path, href) = match self.by_display.get(display) {
            Some((node_path, link)) => (
                node_path.to_string(),
                link.as_ref().map(|l| format!("{l}#L{line}")),
            ),
            None => (display.to_string(), None),
        };
        Location {
            path,
            line,
            column,
            href,
        }
    }

    fn diag_location(&self, d: &Diagnostic) -> Location {
        self.location(&d.file, d.start.line, d.start.column)
    }

    /// Sort key of a test: file order, then source order; unknown ids last.
    fn test_key(&self, node_id: &str) -> (usize, usize, String) {
        match self.test_index.get(node_id) {
            Some(&(file, test)) => (
                file,
                self.inputs.result.files[file].tests[test].position.line,
                node_id.to_string(),
            ),
            None => (usize::MAX, 0, node_id.to_string()),
        }
    }

    fn sort_tests<'s>(&self, tests: impl IntoIterator<Item = &'s str>) -> Vec<String> {
        let mut list: Vec<String> = tests
            .into_iter()
            .map(String::from)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        list.sort_by_cached_key(|t| self.test_key(t));
        list
    }

    fn cases(&self, node_id: &str) -> usize {
        match self.test_index.get(node_id) {
            Some(&(file, test)) => {
                let facts = &self.inputs.result.files[file].tests[test];
                if facts.parametrized {
                    facts.parameter_count.unwrap_or(2)
                } else {
                    1
                }
            }
            None => 1,
        }
    }

    fn fix_finding(&self, d: &Diagnostic) -> FixFinding {
        FixFinding {
            code: d.rule.code,
            rule: d.rule.name,
            message: d.message.clone(),
            fix: d.fix.clone(),
            autofix: d.autofix.as_ref().map(|f| f.applicability),
            effort: d.effort,
            location: self.diag_location(d),
            resources: resources_of(d),
        }
    }

    fn finding(&self, d: &Diagnostic) -> Finding {
        Finding {
            code: d.rule.code,
            rule: d.rule.name,
            message: d.message.clone(),
            fix: d.fix.clone(),
            effort: d.effort,
            location: self.diag_location(d),
            tests: self.sort_tests(tests_of(d)),
        }
    }
}

/// A unit of work: a shared root cause, or a fix inside one test.
struct FixItem<'a> {
    id: String,
    effort: Effort,
    tests: BTreeSet<&'a str>,
    /// Indices of its findings in the lint result.
    diagnostics: Vec<usize>,
    single: bool,
}

pub fn build(inputs: &Inputs) -> Audit {
    let result = inputs.result;
    let files = &result.files;
    let builder = Builder {
        inputs,
        by_display: files
            .iter()
            .map(|f| {
                let link = relative_link(inputs.report_dir, &inputs.rootdir.join(&f.node_path));
                (f.display.as_str(), (f.node_path.as_str(), link))
            })
            .collect(),
        test_index: files
            .iter()
            .enumerate()
            .flat_map(|(fi, f)| {
                f.tests
                    .iter()
                    .enumerate()
                    .map(move |(ti, t)| (t.node_id.as_str(), (fi, ti)))
            })
            .collect(),
    };
    let checked = |c: Category| result.categories_checked.contains(&c);
    let known_tests: BTreeSet<&str> = files
        .iter()
        .flat_map(|f| f.tests.iter().map(|t| t.node_id.as_str()))
        .collect();

    // Root causes: findings in shared code, grouped by the code a single change repairs (one fixture,
    // one class's setup, one helper), whatever rules they come from, that affect more than one test
    // (one test's findings read best in its own list).
    let mut groups: BTreeMap<String, Vec<(usize, &Diagnostic)>> = BTreeMap::new();
    let mut through_fixture = Vec::new();
    for (index, d) in result
        .diagnostics
        .iter()
        .enumerate()
        .filter(|(_, d)| !tests_of(d).is_empty())
    {
        if is_root(d) {
            groups.entry(fix_site_key(d)).or_default().push((index, d));
        } else if let Some(key) = fixture_value_key(d) {
            through_fixture.push((index, d, key));
        }
    }
    // A helper method of a class that is itself a root cause (a `tearDown` helper removing what
    // `setUp` wrote) is part of the same change to that class.
    let methods: Vec<(String, String)> = groups
        .keys()
        .filter_map(|key| {
            let (file, owner) = key.strip_prefix("function:")?.rsplit_once(':')?;
            let (class, _) = owner.rsplit_once('.')?;
            let class_key = format!("class:{file}:{class}");
            groups
                .contains_key(&class_key)
                .then(|| (key.clone(), class_key))
        })
        .collect();
    for (method, class) in methods {
        if let Some(members) = groups.remove(&method) {
            groups.entry(class).or_default().extend(members);
        }
    }
    // A test that writes under the value of a fixture that is itself a root cause is repaired by the
    // same change to that fixture: one fix, not one per test.
    for (index, d, key) in through_fixture {
        if let Some(group) = groups.get_mut(&key) {
            group.push((index, d));
        }
    }
    let mut roots: Vec<(RootCause, BTreeSet<&str>, Vec<usize>)> = groups
        .into_values()
        .map(|indexed| {
            let indices: Vec<usize> = indexed.iter().map(|(i, _)| *i).collect();
            let mut members: Vec<&Diagnostic> = indexed.into_iter().map(|(_, d)| d).collect();
            members.sort_by(|a, b| {
                tests_of(b)
                    .len()
                    .cmp(&tests_of(a).len())
                    .then_with(|| a.sort_key().cmp(&b.sort_key()))
            });
            let main = members[0];
            let tests: BTreeSet<&str> = members.iter().flat_map(|d| tests_of(d)).collect();
            let mut fixes: Vec<String> = Vec::new();
            for d in &members {
                if !fixes.contains(&d.fix) {
                    fixes.push(d.fix.clone());
                }
            }
            let findings: Vec<FixFinding> =
                members.iter().map(|d| builder.fix_finding(d)).collect();
            let root = RootCause {
                autofix: Autofix::of(&findings),
                id: String::new(),
                heading: String::new(),
                anchor: String::new(),
                code: main.rule.code,
                rule: main.rule.name,
                codes: members
                    .iter()
                    .map(|d| d.rule.code)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                category: main.rule.category,
                site: main.site,
                lives_in: lives_in(main),
                resources: members
                    .iter()
                    .flat_map(|d| resources_of(d))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                message: main.message.clone(),
                fix: main.fix.clone(),
                fixes,
                findings,
                effort: members
                    .iter()
                    .map(|d| d.effort)
                    .max()
                    .unwrap_or(main.effort),
                locations: {
                    let mut rest: Vec<Location> = members[1..]
                        .iter()
                        .map(|d| builder.diag_location(d))
                        .collect();
                    rest.sort();
                    rest.dedup();
                    std::iter::once(builder.diag_location(main))
                        .chain(rest)
                        .collect()
                },
                origin: origin_of(main).map(|r| Origin {
                    location: builder.location(&r.file, r.line, r.column),
                    message: r.message.clone(),
                }),
                affected_tests: builder.sort_tests(tests.iter().copied()),
            };
            (root, tests, indices)
        })
        .filter(|(_, tests, _)| tests.len() > 1)
        .collect();
    // The fixes that unblock the most tests first, then the cheapest, then by place.
    roots.sort_by(|(a, ta, _), (b, tb, _)| {
        tb.len()
            .cmp(&ta.len())
            .then(a.effort.cmp(&b.effort))
            .then_with(|| a.locations[0].cmp(&b.locations[0]))
    });
    let mut root_of_diagnostic: HashMap<usize, usize> = HashMap::new();
    for (i, (root, tests, indices)) in roots.iter_mut().enumerate() {
        root_of_diagnostic.extend(indices.iter().map(|&d| (d, i)));
        root.id = format!("R{}", i + 1);
        root.heading = format!(
            "{}. {} in {} ({})",
            root.id,
            root.lives_in,
            root.locations[0].path,
            plural_tests(tests.len())
        );
        root.anchor = super::text::github_slug(&root.heading);
    }

    // Single-test fixes: the findings of one rule in one test that share the fix or the definition
    // (a constant used on two lines) are one fix.
    let mut singles: Vec<(BTreeSet<&str>, Vec<usize>)> = Vec::new();
    let mut single_keys: HashMap<(BTreeSet<&str>, &str, String), usize> = HashMap::new();
    let mut per_test: BTreeMap<String, Vec<TestFinding>> = BTreeMap::new();
    let mut other_findings = Vec::new();
    for (index, d) in result.diagnostics.iter().enumerate() {
        let tests = tests_of(d);
        if tests.is_empty() {
            other_findings.push(builder.finding(d));
            continue;
        }
        let root = root_of_diagnostic.get(&index).copied();
        if root.is_none() {
            let by_fix = (tests.clone(), d.rule.code, format!("fix:{}", d.fix));
            let by_origin = origin_of(d).map(|o| {
                (
                    tests.clone(),
                    d.rule.code,
                    format!("origin:{}:{}", o.file, o.line),
                )
            });
            let known = single_keys
                .get(&by_fix)
                .copied()
                .or_else(|| by_origin.as_ref().and_then(|k| single_keys.get(k).copied()));
            let item = match known {
                Some(item) => {
                    singles[item].1.push(index);
                    item
                }
                None => {
                    singles.push((tests.clone(), vec![index]));
                    singles.len() - 1
                }
            };
            single_keys.insert(by_fix, item);
            if let Some(key) = by_origin {
                single_keys.insert(key, item);
            }
        }
        for test in tests {
            let entry = per_test.entry(test.to_string()).or_default();
            let finding = match root {
                Some(r) => {
                    let root = &roots[r].0;
                    if entry
                        .iter()
                        .any(|f| f.root_cause.as_deref() == Some(root.id.as_str()))
                    {
                        continue;
                    }
                    TestFinding {
                        code: root.code,
                        rule: root.rule,
                        message: root.message.clone(),
                        fix: root.fix.clone(),
                        effort: root.effort,
                        location: root.locations[0].clone(),
                        origin: None,
                        root_cause: Some(root.id.clone()),
                    }
                }
                None => TestFinding {
                    code: d.rule.code,
                    rule: d.rule.name,
                    message: d.message.clone(),
                    fix: d.fix.clone(),
                    effort: d.effort,
                    location: builder.diag_location(d),
                    origin: origin_of(d).map(|r| Origin {
                        location: builder.location(&r.file, r.line, r.column),
                        message: r.message.clone(),
                    }),
                    root_cause: None,
                },
            };
            entry.push(finding);
        }
    }
    let mut single_test_fixes: Vec<(SingleTestFix, BTreeSet<&str>, Vec<usize>)> = singles
        .into_iter()
        .map(|(tests, indices)| {
            let members: Vec<&Diagnostic> =
                indices.iter().map(|&i| &result.diagnostics[i]).collect();
            let main = members[0];
            let findings: Vec<FixFinding> =
                members.iter().map(|d| builder.fix_finding(d)).collect();
            let fix = SingleTestFix {
                id: String::new(),
                test: tests
                    .iter()
                    .next()
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                fix: main.fix.clone(),
                effort: members
                    .iter()
                    .map(|d| d.effort)
                    .max()
                    .unwrap_or(main.effort),
                autofix: Autofix::of(&findings),
                findings,
                origin: origin_of(main).map(|r| Origin {
                    location: builder.location(&r.file, r.line, r.column),
                    message: r.message.clone(),
                }),
            };
            (fix, tests, indices)
        })
        .collect();
    single_test_fixes.sort_by_cached_key(|(fix, _, _)| {
        (
            builder.test_key(&fix.test),
            fix.findings[0].location.clone(),
        )
    });
    for (i, (fix, _, _)) in single_test_fixes.iter_mut().enumerate() {
        fix.id = format!("F{}", i + 1);
    }

    // Fix items: each root cause once, each single-test fix once.
    let autofix_kinds: Vec<Autofix> = roots
        .iter()
        .map(|(root, _, _)| root.autofix)
        .chain(single_test_fixes.iter().map(|(fix, _, _)| fix.autofix))
        .collect();
    let items: Vec<FixItem> = roots
        .iter()
        .map(|(root, tests, indices)| FixItem {
            id: root.id.clone(),
            effort: root.effort,
            tests: tests.clone(),
            diagnostics: indices.clone(),
            single: false,
        })
        .chain(
            single_test_fixes
                .iter()
                .map(|(fix, tests, indices)| FixItem {
                    id: fix.id.clone(),
                    effort: fix.effort,
                    tests: tests.clone(),
                    diagnostics: indices.clone(),
                    single: true,
                }),
        )
        .collect();
    let mut tests: Vec<TestEntry> = per_test
        .into_iter()
        .map(|(node_id, mut findings)| {
            findings.sort_by(|a, b| {
                a.location
                    .cmp(&b.location)
                    .then(a.code.cmp(b.code))
                    .then_with(|| a.message.cmp(&b.message))
            });
            let facts = builder
                .test_index
                .get(node_id.as_str())
                .map(|&(f, t)| (&files[f], &files[f].tests[t]));
            TestEntry {
                known: facts.is_some(),
                parametrized: facts.is_some_and(|(_, t)| t.parametrized),
                parameter_count: facts.and_then(|(_, t)| t.parameter_count),
                location: facts
                    .map(|(f, t)| builder.location(&f.display, t.position.line, t.position.column)),
                findings,
                node_id,
            }
        })
        .collect();
    tests.sort_by_cached_key(|t| builder.test_key(&t.node_id));

    let needing_fix: BTreeSet<&str> = tests
        .iter()
        .map(|t| t.node_id.as_str())
        .filter(|t| known_tests.contains(t))
        .collect();
    let via_roots: BTreeSet<&str> = roots
        .iter()
        .flat_map(|(_, t, _)| t.iter().copied())
        .filter(|t| known_tests.contains(t))
        .collect();
    let total = known_tests.len();
    let safe = total - needing_fix.len();

    // Families.
    let families_checked: Vec<Family> = Category::ALL
        .iter()
        .map(|&category| {
            let in_family: Vec<&Diagnostic> = result
                .diagnostics
                .iter()
                .filter(|d| d.rule.category == category && !is_tool_rule(d.rule.code))
                .collect();
            // A finding of the family also proves that it exists and ran.
            let implemented = !in_family.is_empty()
                || all_rules()
                    .iter()
                    .any(|r| r.meta().category == category && !is_tool_rule(r.meta().code));
            Family {
                category,
                label: category_label(category),
                codes: family_codes(category),
                implemented,
                checked: implemented && checked(category),
                findings: in_family.len(),
                tests_affected: in_family
                    .iter()
                    .flat_map(|d| tests_of(d))
                    .collect::<BTreeSet<_>>()
                    .len(),
            }
        })
        .collect();

    // Summary.
    let all_tests = files.iter().flat_map(|f| f.tests.iter());
    let parametrized_tests = all_tests.clone().filter(|t| t.parametrized).count();
    let test_cases: usize = all_tests
        .clone()
        .map(|t| {
            if t.parametrized {
                t.parameter_count.unwrap_or(1)
            } else {
                1
            }
        })
        .sum();
    let test_cases_exact = all_tests
        .clone()
        .all(|t| !t.parametrized || t.parameter_count.is_some());
    let percent = (safe * 100).checked_div(total).unwrap_or(100);
    let checked_phrases: Vec<String> = families_checked
        .iter()
        .filter(|f| f.checked)
        .map(|f| category_phrase(f.category).to_string())
        .collect();
    let unchecked = families_checked.len() - checked_phrases.len();
    let families_word = |n: usize| if n == 1 { "family" } else { "families" };
    let scope = match checked_phrases.len() {
        0 => "but no isolation rule ran, so nothing was checked".to_string(),
        n => format!(
            "as far as the {n} checked {} go ({})",
            families_word(n),
            join_words(&checked_phrases)
        ),
    };
    let files_not_fully_checked = result
        .diagnostics
        .iter()
        .filter(|d| matches!(d.rule.code, "ISO001" | "ISO002"))
        .map(|d| d.file.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    let clean = result.diagnostics.is_empty();
    // Worded by what was checked: a clean run of a few families is no clean bill of health.
    let verdict = if total == 0 {
        format!("No tests were found, {scope}.")
    } else if checked_phrases.is_empty() {
        format!("{} found, {scope}.", plural_tests(total))
    } else if clean && unchecked == 0 {
        format!(
            "No isolation problem found: all {} (100 %) are parallel-safe as far as isolint's rules can tell.",
            plural_tests(total)
        )
    } else if clean {
        format!(
            "No problem found in the {} checked {} ({}), so all {} pass them; {unchecked} of {} families are not checked.",
            checked_phrases.len(),
            families_word(checked_phrases.len()),
            join_words(&checked_phrases),
            plural_tests(total),
            families_checked.len()
        )
    } else {
        format!(
            "{safe} of {} ({percent} %) are parallel-safe as they stand, {scope}.",
            plural_tests(total)
        )
    };
    let summary = Summary {
        files: files.len(),
        test_modules: files.iter().filter(|f| f.is_test_module).count(),
        conftest_files: files.iter().filter(|f| f.is_conftest).count(),
        other_files: files
            .iter()
            .filter(|f| !f.is_test_module && !f.is_conftest)
            .count(),
        tests: total,
        parametrized_tests,
        test_cases,
        test_cases_exact,
        tests_needing_fix: needing_fix.len(),
        tests_via_root_causes: via_roots.len(),
        parallel_safe_tests: safe,
        parallel_safe_percent: percent,
        findings: result.diagnostics.len(),
        fixes: items.len(),
        fixes_by_fix: autofix_kinds
            .iter()
            .filter(|a| **a == Autofix::Safe)
            .count(),
        fixes_by_unsafe_fix: autofix_kinds
            .iter()
            .filter(|a| **a == Autofix::Unsafe)
            .count(),
        fixes_by_hand: autofix_kinds
            .iter()
            .filter(|a| matches!(a, Autofix::Partial | Autofix::None))
            .count(),
        files_not_fully_checked,
        clean,
        verdict,
    };

    // Inventory.
    let project = Project::new(files);
    let users = project.fixture_users();
    let mut wide_scope_fixtures: Vec<WideFixture> = Vec::new();
    for (fi, file) in files.iter().enumerate() {
        for (xi, fixture) in file.fixtures.iter().enumerate() {
            if fixture.scope == "function" {
                continue;
            }
            let reference = isolint_python::project::FixtureRef {
                file: fi,
                index: xi,
            };
            let used: Vec<&str> = users
                .get(&reference)
                .map(|u| u.iter().map(String::as_str).collect())
                .unwrap_or_default();
            wide_scope_fixtures.push(WideFixture {
                name: fixture.name.clone(),
                scope: fixture.scope.clone(),
                autouse: fixture.autouse,
                location: builder.location(
                    &file.display,
                    fixture.position.line,
                    fixture.position.column,
                ),
                used_by: builder.sort_tests(used),
            });
        }
    }
    let mut by_resource: BTreeMap<String, Vec<&Diagnostic>> = BTreeMap::new();
    for d in &result.diagnostics {
        for resource in resources_of(d) {
            by_resource.entry(resource).or_default().push(d);
        }
    }
    let resource_of = |id: &str, list: &[&Diagnostic]| -> Resource {
        let mut locations: Vec<Location> = list.iter().map(|d| builder.diag_location(d)).collect();
        locations.sort();
        locations.dedup();
        Resource {
            id: id.to_string(),
            name: id.split_once(':').map_or(id, |(_, name)| name).to_string(),
            codes: list
                .iter()
                .map(|d| d.rule.code)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            tests: builder.sort_tests(list.iter().flat_map(|d| tests_of(d))),
            locations,
        }
    };
    let mut kinds: BTreeMap<String, Vec<Resource>> = BTreeMap::new();
    for (id, list) in &by_resource {
        if is_neo4j(id) {
            continue;
        }
        let kind = id
            .split_once(':')
            .map_or("other", |(kind, _)| kind)
            .to_string();
        kinds.entry(kind).or_default().push(resource_of(id, list));
    }
    let kind_order = |kind: &str| match kind {
        "path" => 0,
        "env" => 1,
        _ => 2,
    };
    let mut resources: Vec<ResourceKind> = kinds
        .into_iter()
        .map(|(kind, resources)| ResourceKind {
            label: match kind.as_str() {
                "path" => "Fixed paths written or removed".to_string(),
                "env" => "Environment variables changed and not restored".to_string(),
                "port" => "Network ports".to_string(),
                "sql" | "db" | "database" => "SQL databases".to_string(),
                other => format!("Other shared resources (`{other}:`)"),
            },
            kind,
            resources,
        })
        .collect();
    resources.sort_by(|a, b| {
        kind_order(&a.kind)
            .cmp(&kind_order(&b.kind))
            .then(a.kind.cmp(&b.kind))
    });
    let family_checked = |c: Category| {
        families_checked
            .iter()
            .any(|f| f.category == c && f.checked)
    };
    let mut not_checked = Vec::new();
    if !family_checked(Category::SharedResourceName) {
        not_checked.push(NotChecked {
            what: "Neo4j databases and graph-wide operations, SQL databases, network ports",
            family: Category::SharedResourceName,
        });
    }
    if !family_checked(Category::ModuleState) {
        not_checked.push(NotChecked {
            what: "module-level and class-level mutable state",
            family: Category::ModuleState,
        });
    }
    if !family_checked(Category::WideFixtureScope) {
        not_checked.push(NotChecked {
            what: "whether wide-scope fixtures hold mutable state",
            family: Category::WideFixtureScope,
        });
    }
    let module_state = Checked {
        checked: family_checked(Category::ModuleState),
        items: result
            .diagnostics
            .iter()
            .filter(|d| d.rule.category == Category::ModuleState)
            .map(|d| builder.finding(d))
            .collect(),
    };
    let inventory = Inventory {
        resources,
        not_checked,
        wide_scope_fixtures,
        module_state,
    };

    // Neo4j.
    let importing_files: Vec<String> = files
        .iter()
        .filter(|f| {
            f.imported_modules
                .iter()
                .any(|m| isolint_python::knowledge::is_neo4j_client(m))
        })
        .map(|f| f.node_path.clone())
        .collect();
    let neo4j = Neo4j {
        checked: family_checked(Category::SharedResourceName),
        client_imported: !importing_files.is_empty(),
        importing_files,
        resources: by_resource
            .iter()
            .filter(|(id, _)| is_neo4j(id))
            .map(|(id, list)| resource_of(id, list))
            .collect(),
        inventory: files
            .iter()
            .flat_map(|f| {
                f.neo4j.iter().map(|fact| Neo4jItem {
                    at: builder.location(&f.display, fact.line, 1),
                    fact: fact.clone(),
                })
            })
            .collect(),
    };

    // Order dependencies.
    let pairs = result
        .diagnostics
        .iter()
        .filter(|d| d.rule.category == Category::OrderDependency)
        .map(|d| OrderPair {
            code: d.rule.code,
            resource: d.resource.clone(),
            victims: builder.sort_tests(tests_of(d)),
            polluters: d
                .related
                .iter()
                .map(|r| Origin {
                    location: builder.location(&r.file, r.line, r.column),
                    message: r.message.clone(),
                })
                .collect(),
            message: d.message.clone(),
            fix: d.fix.clone(),
            location: builder.diag_location(d),
        })
        .collect();
    let mut ordering_markers = Vec::new();
    for file in files {
        for test in &file.tests {
            let markers: Vec<String> = test
                .markers
                .iter()
                .filter(|m| ORDERING_MARKERS.contains(&m.as_str()))
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if !markers.is_empty() {
                ordering_markers.push(MarkedTest {
                    node_id: test.node_id.clone(),
                    markers,
                    location: builder.location(
                        &file.display,
                        test.position.line,
                        test.position.column,
                    ),
                });
            }
        }
    }
    let leaking: Vec<&Diagnostic> = result
        .diagnostics
        .iter()
        .filter(|d| {
            d.resource.as_deref().is_some_and(in_process)
                || d.rule.category == Category::ModuleState
        })
        .collect();
    let leaks_env = leaking
        .iter()
        .any(|d| d.resource.as_deref().is_some_and(|r| r.starts_with("env:")));
    let leaks_state = leaking
        .iter()
        .any(|d| !d.resource.as_deref().is_some_and(|r| r.starts_with("env:")));
    let state_leak_what = match (leaks_env, leaks_state) {
        (true, true) => "leave environment variables or module state changed",
        (false, true) => "leave module or class state changed",
        _ => "leave environment variables set",
    };
    let state_leaks = builder.sort_tests(
        result
            .diagnostics
            .iter()
            .filter(|d| {
                d.resource.as_deref().is_some_and(in_process)
                    || d.rule.category == Category::ModuleState
            })
            .flat_map(|d| tests_of(d)),
    );
    let order_dependencies = OrderDependencies {
        checked: family_checked(Category::OrderDependency),
        pairs_checked: result.codes_checked.contains(&"ISO402"),
        pairs,
        ordering_markers,
        state_leaks: state_leaks.clone(),
    };

    // Effort.
    let mut hardest: BTreeMap<&str, Effort> = BTreeMap::new();
    for item in &items {
        for test in &item.tests {
            let entry = hardest.entry(test).or_insert(item.effort);
            *entry = (*entry).max(item.effort);
        }
    }
    let mut parallel_safe_after = safe;
    let classes = Effort::ALL
        .iter()
        .map(|&effort| {
            let of_class: Vec<&FixItem> = items.iter().filter(|i| i.effort == effort).collect();
            let unblocked = hardest
                .iter()
                .filter(|(t, e)| **e == effort && known_tests.contains(*t))
                .count();
            parallel_safe_after += unblocked;
            EffortClass {
                effort,
                fixes: of_class.len(),
                findings: result
                    .diagnostics
                    .iter()
                    .filter(|d| d.effort == effort)
                    .count(),
                tests_affected: of_class
                    .iter()
                    .flat_map(|i| i.tests.iter())
                    .collect::<BTreeSet<_>>()
                    .len(),
                tests_unblocked: unblocked,
                parallel_safe_after,
            }
        })
        .collect();
    let single_counts = Effort::ALL
        .iter()
        .map(|&effort| EffortCount {
            effort,
            count: items
                .iter()
                .filter(|i| i.single && i.effort == effort)
                .count(),
        })
        .collect();
    // Root causes as ranked; then single-test fixes, the cheapest first (each unblocks one test).
    let mut ranked: Vec<&FixItem> = items.iter().collect();
    ranked.sort_by_key(|i| (i.single, if i.single { i.effort } else { Effort::Lines }));
    let top: BTreeSet<&str> = ranked
        .iter()
        .take(TOP_FIXES)
        .map(|i| i.id.as_str())
        .collect();
    let mut fixes_of_test: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for item in &items {
        for test in &item.tests {
            fixes_of_test.entry(test).or_default().push(&item.id);
        }
    }
    let safe_after_top = safe
        + fixes_of_test
            .iter()
            .filter(|(test, ids)| {
                known_tests.contains(*test) && ids.iter().all(|id| top.contains(id))
            })
            .count();
    let effort = EffortSection {
        classes,
        ranked_root_causes: roots.iter().map(|(r, _, _)| r.id.clone()).collect(),
        ranked_fixes: ranked.iter().map(|i| i.id.clone()).collect(),
        top_fixes: ranked
            .iter()
            .take(TOP_FIXES)
            .map(|i| i.id.clone())
            .collect(),
        parallel_safe_after_top_fixes: safe_after_top,
        single_test_fixes: single_counts,
    };

    let state_leak_fixes: Vec<String> = items
        .iter()
        .filter(|i| {
            i.diagnostics.iter().any(|&d| {
                let d = &result.diagnostics[d];
                d.resource.as_deref().is_some_and(in_process)
                    || d.rule.category == Category::ModuleState
            })
        })
        .map(|i| i.id.clone())
        .collect();
    let mut xdist = xdist(&builder, &by_resource, state_leaks, state_leak_fixes);
    xdist.state_leak_what = state_leak_what;

    Audit {
        format_version: FORMAT_VERSION,
        generated_by: format!("isolint {}", env!("CARGO_PKG_VERSION")),
        generated_at: inputs.timestamp.clone(),
        audited_paths: inputs.audited_paths.clone(),
        families_checked,
        summary,
        tests,
        root_causes: roots.into_iter().map(|(r, _, _)| r).collect(),
        single_test_fixes: single_test_fixes.into_iter().map(|(f, _, _)| f).collect(),
        other_findings,
        inventory,
        neo4j,
        order_dependencies,
        effort,
        xdist,
        setup: None,
        speedup: None,
        notes: inputs.notes.clone(),
        file_tests: files
            .iter()
            .filter(|f| !f.tests.is_empty())
            .map(|f| (f.node_path.clone(), f.tests.len()))
            .collect(),
    }
}

fn plural_tests(count: usize) -> String {
    if count == 1 {
        "1 test".into()
    } else {
        format!("{count} tests")
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_words(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// One path is the other or inside it (`/tmp/out` and `/tmp/out/a.csv`).
fn nested(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_end_matches('/'), b.trim_end_matches('/'));
    a == b || b.starts_with(&format!("{a}/")) || a.starts_with(&format!("{b}/"))
}

/// The `loadscope` scope of a test: its module, or its class for methods.
fn loadscope_scope(node_id: &str) -> &str {
    node_id
        .rsplit_once("::")
        .map_or(node_id, |(scope, _)| scope)
}

fn xdist(
    builder: &Builder,
    by_resource: &BTreeMap<String, Vec<&Diagnostic>>,
    state_leaks: Vec<String>,
    state_leak_fixes: Vec<String>,
) -> Xdist {
    // Resources other processes can see, with the tests touching each.
    let shared: Vec<(&str, BTreeSet<&str>)> = by_resource
        .iter()
        .filter(|(id, _)| !in_process(id))
        .map(|(id, list)| {
            (
                id.as_str(),
                list.iter()
                    .flat_map(|d| tests_of(d))
                    .collect::<BTreeSet<_>>(),
            )
        })
        .filter(|(_, tests)| !tests.is_empty())
        .collect();
    // Union resources that share a test or are nested paths.
    let mut parent: Vec<usize> = (0..shared.len()).collect();
    fn find(parent: &mut [usize], i: usize) -> usize {
        let mut root = i;
        while parent[root] != root {
            root = parent[root];
        }
        parent[i] = root;
        root
    }
    for i in 0..shared.len() {
        for j in i + 1..shared.len() {
            let (a, ta) = &shared[i];
            let (b, tb) = &shared[j];
            let paths_nest = match (a.strip_prefix("path:"), b.strip_prefix("path:")) {
                (Some(pa), Some(pb)) => nested(pa, pb),
                _ => false,
            };
            if paths_nest || !ta.is_disjoint(tb) {
                let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..shared.len() {
        let root = find(&mut parent, i);
        components.entry(root).or_default().push(i);
    }
    let mut groups = Vec::new();
    let mut unshared: BTreeSet<&str> = BTreeSet::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    for members in components.values() {
        let tests: BTreeSet<&str> = members
            .iter()
            .flat_map(|&i| shared[i].1.iter().copied())
            .collect();
        let cases: usize = tests.iter().map(|t| builder.cases(t)).sum();
        if cases < 2 {
            unshared.extend(tests);
            continue;
        }
        // Named after the resource most tests touch (the outermost path on a tie).
        let primary = members
            .iter()
            .map(|&i| &shared[i])
            .min_by(|(a, ta), (b, tb)| tb.len().cmp(&ta.len()).then(a.cmp(b)))
            .map(|(id, _)| *id)
            .unwrap_or("shared");
        let base = group_slug(primary);
        let mut name = base.clone();
        let mut n = 2;
        while !names.insert(name.clone()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        let test_list = builder.sort_tests(tests.iter().copied());
        let scopes: BTreeSet<&str> = tests.iter().map(|t| loadscope_scope(t)).collect();
        groups.push(XdistGroup {
            name,
            resources: members.iter().map(|&i| shared[i].0.to_string()).collect(),
            placements: placements(builder, &test_list),
            tests: test_list,
            cases,
            within_one_scope: scopes.len() == 1,
        });
    }
    groups.sort_by(|a, b| {
        builder
            .test_key(&a.tests[0])
            .cmp(&builder.test_key(&b.tests[0]))
            .then(a.name.cmp(&b.name))
    });
    let loadscope_sufficient = groups.iter().all(|g| g.within_one_scope);
    let (strategy, command) = if groups.is_empty() {
        ("load", "pytest -n auto".to_string())
    } else if loadscope_sufficient {
        ("loadscope", "pytest -n auto --dist loadscope".to_string())
    } else {
        ("loadgroup", "pytest -n auto --dist loadgroup".to_string())
    };
    Xdist {
        strategy,
        command,
        loadscope_sufficient,
        groups,
        unshared: builder.sort_tests(unshared),
        safe_today: state_leaks.is_empty(),
        state_leaks,
        state_leak_fixes,
        state_leak_what: "leave environment variables set",
    }
}

/// The file part of a node id (`test_x.py` of `test_x.py::TestA::test_b`).
pub fn node_file(node_id: &str) -> &str {
    node_id.split_once("::").map_or(node_id, |(file, _)| file)
}

/// Where a group's marker goes, file by file: on the module when the group holds all of the module's
/// tests, on the class when it holds all of a class's tests, otherwise on each test.
fn placements(builder: &Builder, tests: &[String]) -> Vec<Placement> {
    let files = &builder.inputs.result.files;
    let mut by_file: Vec<(&str, Vec<&String>)> = Vec::new();
    for test in tests {
        let file = node_file(test);
        match by_file.iter_mut().find(|(f, _)| *f == file) {
            Some((_, list)) => list.push(test),
            None => by_file.push((file, vec![test])),
        }
    }
    by_file
        .into_iter()
        .map(|(file, list)| {
            let tests: Vec<String> = list.iter().map(|t| t.to_string()).collect();
            let positions: Vec<(usize, usize)> = list
                .iter()
                .filter_map(|t| builder.test_index.get(t.as_str()).copied())
                .collect();
            let mut placement = Placement {
                file: file.to_string(),
                on: "tests",
                class: None,
                tests,
            };
            if positions.len() == list.len() {
                let facts = &files[positions[0].0];
                let classes = &facts.tests[positions[0].1].classes;
                if facts.tests.len() == list.len() {
                    placement.on = "module";
                } else if !classes.is_empty()
                    && positions
                        .iter()
                        .all(|(_, t)| facts.tests[*t].classes == *classes)
                {
                    // A class marker also reaches nested classes' tests.
                    let in_class = facts
                        .tests
                        .iter()
                        .filter(|t| t.classes.starts_with(classes))
                        .count();
                    if in_class == list.len() {
                        placement.on = "class";
                        placement.class = Some(classes.join("::"));
                    }
                }
            }
            placement
        })
        .collect()
}
