//! The audit as GitHub-flavoured Markdown: plain tables, headings with stable anchors, links relative
//! to the report's folder, and no HTML but the notes markers.

use super::model::{
    category_phrase, join_words, node_file, Audit, Location, Resource, RootCause, TestEntry,
};
use super::text::{code, code_list, inline, plural, shell_word, Anchors};
use super::{NOTES_END, NOTES_START};
use isolint_linter::registry::find_rule;
use isolint_linter::{Category, Effort};
use std::fmt::Write;

/// Test names shown before a list is collapsed to "and N more".
const LIST_LIMIT: usize = 5;
/// Entries shown in a table cell before "and N more".
const CELL_LIMIT: usize = 3;

const EFFORT_MODEL_URL: &str = "https://github.com/isolint/isolint/blob/main/docs/effort-model.md";
const AUDIT_DOC_URL: &str = "https://github.com/isolint/isolint/blob/main/docs/audit-report.md";

const SECTIONS: [&str; 7] = [
    "1. Summary",
    "2. Tests that require isolation fixes",
    "3. Shared resources and dependencies",
    "4. Neo4j concurrency requirements",
    "5. Order dependencies",
    "6. Effort estimate",
    "7. Running in parallel meanwhile",
];

struct Doc {
    out: String,
    anchors: Anchors,
}

impl Doc {
    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        if !self.out.ends_with("\n\n") && !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn heading(&mut self, level: usize, text: &str) -> String {
        self.blank();
        let anchor = self.anchors.add(text);
        let _ = writeln!(self.out, "{} {text}", "#".repeat(level));
        self.out.push('\n');
        anchor
    }

    fn paragraph(&mut self, text: &str) {
        self.blank();
        self.line(text);
        self.out.push('\n');
    }

    fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        self.blank();
        let _ = writeln!(self.out, "| {} |", header.join(" | "));
        let _ = writeln!(
            self.out,
            "|{}",
            header.iter().map(|_| "---|").collect::<String>()
        );
        for row in rows {
            let _ = writeln!(self.out, "| {} |", row.join(" | "));
        }
        self.out.push('\n');
    }
}

fn link(location: &Location) -> String {
    link_as(location, &format!("{}:{}", location.path, location.line))
}

/// A location inside the file a table is about: `line 12`.
fn line_link(location: &Location, file: &str) -> String {
    if location.path == file {
        link_as(location, &format!("line {}", location.line))
    } else {
        link(location)
    }
}

fn link_as(location: &Location, text: &str) -> String {
    let text = inline(text, true);
    match &location.href {
        Some(href) => format!("[{text}]({href})"),
        None => text,
    }
}

fn rule_link(code_text: &str) -> String {
    match find_rule(code_text) {
        Some(rule) => format!("[{code_text}]({})", rule.help_uri()),
        None => code_text.to_string(),
    }
}

fn root_anchor(root: &RootCause) -> &str {
    &root.anchor
}

/// Up to `limit` items, then "and N more".
fn collapsed(items: &[String], limit: usize) -> String {
    if items.len() <= limit {
        return join_words(items);
    }
    let shown = items[..limit].join(", ");
    format!("{shown} and {} more", items.len() - limit)
}

fn test_codes(tests: &[String], limit: usize, in_table: bool) -> String {
    let items: Vec<String> = tests.iter().map(|t| code(t, in_table)).collect();
    collapsed(&items, limit)
}

fn fixes(count: usize) -> String {
    if count == 1 {
        "1 fix".into()
    } else {
        format!("{count} fixes")
    }
}

fn percent(part: usize, total: usize) -> usize {
    (part * 100).checked_div(total).unwrap_or(100)
}

fn effort_word(effort: Effort) -> &'static str {
    effort.as_str()
}

pub fn render(audit: &Audit) -> String {
    let mut doc = Doc {
        out: String::new(),
        anchors: Anchors::default(),
    };
    let s = &audit.summary;
    doc.line("# Test isolation audit");
    doc.paragraph(
        "What stops this test suite from running in parallel (`pytest -n auto` with pytest-xdist) or in random \
         order, how to fix each problem, and how much work it is. Written by isolint from a static reading of \
         the code: no test was run.",
    );
    doc.paragraph(&format!("**{}**", inline(&s.verdict, false)));
    let missing: Vec<String> = audit
        .families_checked
        .iter()
        .filter(|f| !f.implemented)
        .map(|f| category_phrase(f.category).to_string())
        .collect();
    let off: Vec<String> = audit
        .families_checked
        .iter()
        .filter(|f| f.implemented && !f.checked)
        .map(|f| category_phrase(f.category).to_string())
        .collect();
    if !missing.is_empty() || !off.is_empty() {
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!(
                "Not checked, because this version of isolint has no rules for them yet: {}.",
                join_words(&missing)
            ));
        }
        if !off.is_empty() {
            parts.push(format!(
                "Not checked, because their rules were turned off for this run: {}.",
                join_words(&off)
            ));
        }
        let tail = if s.clean || s.tests == 0 {
            "Problems of those kinds would not show up in this report."
        } else {
            "Problems of those kinds are not counted, so the real number of parallel-safe tests may be lower."
        };
        doc.paragraph(&format!("{} {tail}", parts.join(" ")));
    }
    if let Some(time) = &audit.generated_at {
        doc.paragraph(&format!("Generated {}.", inline(time, false)));
    }
    let mut contents = Anchors::default();
    let links: Vec<String> = SECTIONS
        .iter()
        .map(|title| format!("[{title}](#{})", contents.add(title)))
        .collect();
    doc.paragraph(&format!("Contents: {}", links.join(" · ")));

    summary(&mut doc, audit);
    tests_section(&mut doc, audit);
    inventory(&mut doc, audit);
    neo4j(&mut doc, audit);
    order(&mut doc, audit);
    effort(&mut doc, audit);
    xdist(&mut doc, audit);
    if let Some(speedup) = &audit.speedup {
        doc.out
            .push_str(&super::speedup::markdown(speedup, audit.xdist.strategy));
    }
    notes(&mut doc, audit);
    about(&mut doc, audit);
    let mut out = doc.out.trim_end().to_string();
    out.push('\n');
    out
}

fn summary(doc: &mut Doc, audit: &Audit) {
    let s = &audit.summary;
    doc.heading(2, SECTIONS[0]);
    if !audit.audited_paths.is_empty() {
        let paths: Vec<String> = audit.audited_paths.iter().map(|p| code(p, false)).collect();
        doc.line(&format!("- **Audited:** {}", paths.join(", ")));
    }
    let mut kinds = vec![plural(s.test_modules, "test module")];
    if s.conftest_files > 0 {
        kinds.push(format!("{} `conftest.py`", s.conftest_files));
    }
    if s.other_files > 0 {
        kinds.push(format!("{} other", s.other_files));
    }
    doc.line(&format!(
        "- **Files:** {} ({})",
        plural(s.files, "Python file"),
        kinds.join(", ")
    ));
    let parametrized = if s.parametrized_tests == 0 {
        String::new()
    } else {
        let at_least = if s.test_cases_exact { "" } else { "at least " };
        format!(
            "; {} parametrized, so pytest runs {at_least}{} test cases",
            s.parametrized_tests, s.test_cases
        )
    };
    doc.line(&format!(
        "- **Tests:** {} as pytest would collect them, each parametrized test counted once{parametrized}",
        s.tests
    ));
    if s.clean {
        doc.line("- **Tests needing a fix:** none");
    } else {
        let via = if s.tests_via_root_causes == s.tests_needing_fix {
            " (all of them through a shared root cause)".to_string()
        } else if s.tests_via_root_causes > 0 {
            format!(
                " ({} of them through a shared root cause)",
                s.tests_via_root_causes
            )
        } else {
            String::new()
        };
        doc.line(&format!(
            "- **Tests needing a fix:** {}{via}",
            s.tests_needing_fix
        ));
        let by_effort: Vec<String> = audit
            .effort
            .classes
            .iter()
            .filter(|c| c.fixes > 0)
            .map(|c| format!("{} × {}", c.fixes, effort_word(c.effort)))
            .collect();
        doc.line(&format!(
            "- **Findings:** {}, which come down to {}: {} ([6. Effort estimate](#6-effort-estimate))",
            s.findings,
            fixes(s.fixes),
            join_words(&by_effort)
        ));
    }
    if s.tests > 0 {
        doc.line(&format!(
            "- **Meanwhile:** {} ([7. Running in parallel meanwhile](#7-running-in-parallel-meanwhile))",
            code(&audit.xdist.command, false)
        ));
    }
    if s.files_not_fully_checked > 0 {
        doc.line(&format!(
            "- **Files not fully checked:** {} could not be read or parsed (listed under [Findings not tied to a test](#findings-not-tied-to-a-test)); {} tests may be missing from these counts",
            plural(s.files_not_fully_checked, "file"),
            if s.files_not_fully_checked == 1 { "its" } else { "their" }
        ));
    }
    doc.out.push('\n');
    let rows: Vec<Vec<String>> = audit
        .families_checked
        .iter()
        .map(|f| {
            let codes = code_list(&f.codes);
            // A family can be partly built: say which of its catalogue rules did not run.
            let unbuilt: Vec<&str> = isolint_linter::registry::unbuilt_codes()
                .into_iter()
                .filter(|code| code.starts_with(f.category.code_prefix()))
                .collect();
            if f.checked {
                let checked = if unbuilt.is_empty() || !f.implemented {
                    "yes".to_string()
                } else {
                    format!(
                        "partly ({} not in this version)",
                        isolint_linter::registry::code_ranges(&unbuilt)
                    )
                };
                vec![
                    f.label.to_string(),
                    codes,
                    checked,
                    f.findings.to_string(),
                    f.tests_affected.to_string(),
                ]
            } else if f.implemented {
                vec![
                    f.label.to_string(),
                    codes,
                    "**no** (turned off for this run)".into(),
                    "–".into(),
                    "–".into(),
                ]
            } else {
                vec![
                    f.label.to_string(),
                    codes,
                    "**no** (not in this version)".into(),
                    "–".into(),
                    "–".into(),
                ]
            }
        })
        .collect();
    doc.table(
        &[
            "Rule family",
            "Rules",
            "Checked",
            "Findings",
            "Tests affected",
        ],
        &rows,
    );
}

/// A test within its file (`TestA::test_b`), with its parameter count.
fn test_label(test: &TestEntry) -> String {
    let name = test
        .node_id
        .split_once("::")
        .map_or(test.node_id.as_str(), |(_, rest)| rest);
    let mut label = code(name, true);
    match (test.parametrized, test.parameter_count) {
        (true, Some(n)) => label.push_str(&format!(" ({n} cases)")),
        (true, None) => label.push_str(" (parametrized)"),
        _ => {}
    }
    label
}

/// Tests grouped by file, `limit` names at most: `test_x.py: \`test_a\`, \`test_b\`; test_y.py: ...`.
fn tests_by_file(tests: &[String], limit: usize, in_table: bool) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for test in tests.iter().take(limit) {
        let (file, name) = test
            .split_once("::")
            .unwrap_or((test.as_str(), test.as_str()));
        match groups.last_mut() {
            Some((f, names)) if *f == file => names.push(code(name, in_table)),
            _ => groups.push((file, vec![code(name, in_table)])),
        }
    }
    let mut text = groups
        .iter()
        .map(|(file, names)| format!("{}: {}", inline(file, in_table), names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    if tests.len() > limit {
        text.push_str(&format!(" and {} more", tests.len() - limit));
    }
    text
}

fn tests_section(doc: &mut Doc, audit: &Audit) {
    doc.heading(2, SECTIONS[1]);
    if audit.tests.is_empty() {
        doc.paragraph("No test needs an isolation fix for the checked rule families.");
    } else {
        let shared = if audit.root_causes.is_empty() {
            String::new()
        } else {
            " A problem in code several tests share (a fixture, class setup or module-level code) is a *root cause*: it is \
             described once below and listed under every test it affects."
                .to_string()
        };
        doc.paragraph(&format!(
            "One row per test and problem, file by file. Locations link to the code.{shared}"
        ));
    }
    let roots = &audit.root_causes;
    if !roots.is_empty() {
        doc.heading(3, "Root causes shared by several tests");
        doc.paragraph("Fixing one of these fixes it for every test listed under it. `R1` affects the most tests.");
        for root in roots {
            doc.heading(4, &root.heading);
            doc.line(&format!("- **Problem:** {}", inline(&root.message, false)));
            let mut places = format!(
                "{}, {}",
                inline(&root.lives_in, false),
                link(&root.locations[0])
            );
            if root.locations.len() > 1 {
                let more: Vec<String> = root.locations[1..].iter().map(link).collect();
                places.push_str(&format!("; also {}", join_words(&more)));
            }
            doc.line(&format!("- **Where:** {places}"));
            if let Some(origin) = &root.origin {
                doc.line(&format!(
                    "- **Defined at:** {}: {}",
                    link(&origin.location),
                    inline(&origin.message, false)
                ));
            }
            doc.line(&format!("- **Required fix:** {}", inline(&root.fix, false)));
            let once = match root.affected_tests.len() {
                0 | 1 => String::new(),
                2 => ", once for both tests".to_string(),
                n => format!(", once for all {n} tests"),
            };
            doc.line(&format!("- **Effort:** {}{once}", effort_word(root.effort)));
            doc.line(&format!(
                "- **Tests affected ({}):** {}",
                root.affected_tests.len(),
                tests_by_file(&root.affected_tests, LIST_LIMIT, false)
            ));
            doc.out.push('\n');
        }
    }
    let mut start = 0;
    while start < audit.tests.len() {
        let file = node_file(&audit.tests[start].node_id);
        let end = start
            + audit.tests[start..]
                .iter()
                .take_while(|t| node_file(&t.node_id) == file)
                .count();
        doc.heading(3, &inline(file, false));
        let mut rows = Vec::new();
        for test in &audit.tests[start..end] {
            for f in &test.findings {
                let root = f
                    .root_cause
                    .as_ref()
                    .and_then(|id| roots.iter().find(|r| &r.id == id));
                let (issue, fix, effort) = match root {
                    Some(root) => (
                        format!(
                            "{} {} in {}: root cause [{}](#{})",
                            rule_link(f.code),
                            resource_phrase(root),
                            inline(&root.lives_in, true),
                            root.id,
                            root_anchor(root)
                        ),
                        format!(
                            "fix [{}](#{}), once for its {}",
                            root.id,
                            root_anchor(root),
                            plural(root.affected_tests.len(), "test")
                        ),
                        format!("{} (shared)", effort_word(f.effort)),
                    ),
                    None => (
                        format!("{} {}", rule_link(f.code), inline(&f.message, true)),
                        inline(&f.fix, true),
                        effort_word(f.effort).to_string(),
                    ),
                };
                let mut place = line_link(&f.location, file);
                // The fix is in another file (a conftest.py fixture): show where.
                if let Some(origin) = f
                    .origin
                    .as_ref()
                    .filter(|o| o.location.path != f.location.path)
                {
                    place.push_str(&format!(", from {}", link(&origin.location)));
                }
                rows.push(vec![test_label(test), issue, fix, effort, place]);
            }
        }
        doc.table(
            &["Test", "Issue", "Required fix", "Effort", "Location"],
            &rows,
        );
        start = end;
    }
    if !audit.other_findings.is_empty() {
        doc.heading(3, "Findings not tied to a test");
        doc.paragraph("These findings reach no collected test (a file isolint could not read or parse, or a fixture no test uses), so they are not counted above.");
        let rows: Vec<Vec<String>> = audit
            .other_findings
            .iter()
            .map(|f| {
                vec![
                    format!("{} {}", rule_link(f.code), inline(&f.message, true)),
                    inline(&f.fix, true),
                    effort_word(f.effort).to_string(),
                    link(&f.location),
                ]
            })
            .collect();
        doc.table(&["Issue", "Required fix", "Effort", "Location"], &rows);
    }
}

fn resource_rows(resources: &[Resource]) -> Vec<Vec<String>> {
    resources
        .iter()
        .map(|r| {
            let tests = if r.tests.is_empty() {
                "none".to_string()
            } else {
                format!(
                    "{} ({})",
                    r.tests.len(),
                    tests_by_file(&r.tests, CELL_LIMIT, true)
                )
            };
            let places: Vec<String> = r.locations.iter().map(link).collect();
            vec![
                code(&r.name, true),
                r.codes.join(", "),
                collapsed(&places, CELL_LIMIT),
                tests,
            ]
        })
        .collect()
}

/// Why a family's results are missing: `the ISO4xx rules, for order dependencies, are not in this
/// version of isolint`.
fn not_checked_sentence(audit: &Audit, family: Category) -> String {
    let codes = super::model::Family::codes_of(family);
    let implemented = audit
        .families_checked
        .iter()
        .any(|f| f.category == family && f.implemented);
    let why = if implemented {
        "were turned off for this run"
    } else {
        "are not in this version of isolint"
    };
    format!(
        "the {} rules, for {}, {why}",
        code_list(&codes),
        category_phrase(family)
    )
}

fn inventory(doc: &mut Doc, audit: &Audit) {
    let inv = &audit.inventory;
    doc.heading(2, SECTIONS[2]);
    doc.paragraph(
        "What the tests share with each other (and with other processes on the machine), as found by the rules that ran: \
         each entry lists the tests that touch it.",
    );
    let others: Vec<String> = inv
        .not_checked
        .iter()
        .filter(|n| n.family != Category::ModuleState)
        .map(|n| {
            format!(
                "{} ({})",
                n.what,
                code_list(&super::model::Family::codes_of(n.family))
            )
        })
        .collect();
    if !others.is_empty() {
        doc.paragraph(&format!(
            "Not inventoried, because their rules did not run: {}.",
            others.join("; ")
        ));
    }
    for kind in &inv.resources {
        doc.heading(3, &kind.label);
        let first = match kind.kind.as_str() {
            "path" => "Path",
            "env" => "Variable",
            _ => "Resource",
        };
        doc.table(
            &[first, "Rules", "Where", "Tests"],
            &resource_rows(&kind.resources),
        );
    }
    if inv.resources.is_empty() {
        doc.paragraph("The rules that ran found no fixed path, environment variable or other resource shared between tests.");
    }
    doc.heading(3, "Wide-scope fixtures");
    if inv.wide_scope_fixtures.is_empty() {
        doc.paragraph("No fixture has a scope wider than `function`.");
    } else {
        doc.paragraph(
            "Created once and reused by many tests; under xdist each worker creates its own copy. Safe when what they \
             hold is read-only or per-worker.",
        );
        let rows: Vec<Vec<String>> = inv
            .wide_scope_fixtures
            .iter()
            .map(|f| {
                let scope = if f.autouse {
                    format!("{} (autouse)", inline(&f.scope, true))
                } else {
                    inline(&f.scope, true)
                };
                vec![
                    code(&f.name, true),
                    scope,
                    link(&f.location),
                    plural(f.used_by.len(), "test"),
                ]
            })
            .collect();
        doc.table(&["Fixture", "Scope", "Defined at", "Used by"], &rows);
    }
    doc.heading(3, "Module-level state");
    if !inv.module_state.checked {
        doc.paragraph(&format!(
            "Not checked: {}, so module-level and class-level variables that tests change (caches, singletons, counters) are not listed.",
            not_checked_sentence(audit, Category::ModuleState)
        ));
    } else if inv.module_state.items.is_empty() {
        doc.paragraph("No test changes module-level or class-level state.");
    } else {
        let rows: Vec<Vec<String>> = inv
            .module_state
            .items
            .iter()
            .map(|f| {
                vec![
                    format!("{} {}", rule_link(f.code), inline(&f.message, true)),
                    format!(
                        "{}: {}",
                        f.tests.len(),
                        test_codes(&f.tests, CELL_LIMIT, true)
                    ),
                    link(&f.location),
                ]
            })
            .collect();
        doc.table(&["State", "Tests", "Where"], &rows);
    }
}

fn neo4j(doc: &mut Doc, audit: &Audit) {
    doc.heading(2, SECTIONS[3]);
    if !audit.neo4j.checked {
        doc.paragraph(&format!(
            "**Not checked:** {}. This report says nothing either way about whether or how the suite uses Neo4j. \
             Until these rules run, review the Neo4j fixtures by hand for a database name every worker shares, queries that \
             touch the whole graph (`MATCH (n) DETACH DELETE n`), and drivers or sessions shared beyond one test.",
            not_checked_sentence(audit, Category::SharedResourceName)
        ));
        return;
    }
    if audit.neo4j.resources.is_empty() {
        doc.paragraph("The shared-resource-name rules found no Neo4j database or graph-wide operation used by the tests.");
        return;
    }
    doc.paragraph("The tests use these Neo4j databases and graph-wide operations:");
    doc.table(
        &["Database or operation", "Rules", "Where", "Tests"],
        &resource_rows(&audit.neo4j.resources),
    );
    doc.line("- **Per-worker databases:** give each xdist worker its own database, named from the `worker_id` fixture (`neo4j_test_gw0`, `neo4j_test_gw1`, ...). `CREATE DATABASE` needs Neo4j Enterprise (multi-database); on Community Edition run one Neo4j container per worker instead (a port per worker), or scope every test's data by a unique label or property and delete only that.");
    doc.line("- **Connection pool:** a session-scoped driver is created once per worker process, so `-n 8` opens 8 pools; size `max_connection_pool_size` and the server's connection limit for that.");
    doc.line("- **Health checks:** every worker connects at start-up; wait for the server with retries (`driver.verify_connectivity()` in the driver fixture) rather than assuming it is ready.");
    doc.line("- **Recommended strategy:** until each worker has its own database, keep the tests that share one on a single worker with the `xdist_group` in section 7.");
    doc.out.push('\n');
}

fn order(doc: &mut Doc, audit: &Audit) {
    let order = &audit.order_dependencies;
    doc.heading(2, SECTIONS[4]);
    if !order.checked {
        doc.paragraph(&format!(
            "**Not checked:** {}, so no polluter → victim pairs are reported. Running the suite in random \
             order a few times (pytest-randomly) is the quickest way to find them meanwhile.",
            not_checked_sentence(audit, Category::OrderDependency)
        ));
    } else if order.pairs.is_empty() {
        doc.paragraph("No test depends on another test having run first.");
    } else {
        let rows: Vec<Vec<String>> = order
            .pairs
            .iter()
            .map(|p| {
                let polluters: Vec<String> = p
                    .polluters
                    .iter()
                    .map(|o| format!("{}: {}", link(&o.location), inline(&o.message, true)))
                    .collect();
                vec![
                    test_codes(&p.victims, CELL_LIMIT, true),
                    if polluters.is_empty() {
                        "–".into()
                    } else {
                        polluters.join("; ")
                    },
                    format!("{} {}", rule_link(p.code), inline(&p.message, true)),
                    inline(&p.fix, true),
                    link(&p.location),
                ]
            })
            .collect();
        doc.table(
            &["Victim", "Polluter", "Issue", "How to break it", "Location"],
            &rows,
        );
    }
    if !order.state_leaks.is_empty() {
        doc.paragraph(&format!(
            "Candidate polluters: {} change process state (environment variables) without restoring it, so the test that \
             runs next in the same worker sees the change ({}). They are in section 2.",
            plural(order.state_leaks.len(), "test"),
            tests_by_file(&order.state_leaks, LIST_LIMIT, false)
        ));
    }
    if order.ordering_markers.is_empty() {
        doc.paragraph("Explicit ordering: no test is pinned in order with an `order`, `run`, `first`, `last` or `dependency` marker.");
    } else {
        let rows: Vec<Vec<String>> = order
            .ordering_markers
            .iter()
            .map(|m| {
                vec![
                    code(&m.node_id, true),
                    m.markers
                        .iter()
                        .map(|x| code(x, true))
                        .collect::<Vec<_>>()
                        .join(", "),
                    link(&m.location),
                ]
            })
            .collect();
        doc.paragraph("Explicit ordering: these tests are pinned in order by a plugin marker. Under xdist the order only holds within one worker, so tests that depend on one another must share an `xdist_group` or stop depending on each other.");
        doc.table(&["Test", "Markers", "Location"], &rows);
    }
}

fn effort(doc: &mut Doc, audit: &Audit) {
    let s = &audit.summary;
    doc.heading(2, SECTIONS[5]);
    if s.clean {
        doc.paragraph("Nothing to fix for the checked rule families.");
        return;
    }
    doc.paragraph(
        "A *fix* is a shared root cause (counted once, however many tests it affects) or a finding in a single test. \
         A test is *unblocked* by the effort class of its hardest fix: it becomes parallel-safe once that class and the \
         cheaper ones are done.",
    );
    let rows: Vec<Vec<String>> = audit
        .effort
        .classes
        .iter()
        .map(|c| {
            vec![
                effort_word(c.effort).to_string(),
                c.fixes.to_string(),
                c.tests_affected.to_string(),
                c.tests_unblocked.to_string(),
                format!(
                    "{} of {} ({} %)",
                    c.parallel_safe_after,
                    s.tests,
                    percent(c.parallel_safe_after, s.tests)
                ),
            ]
        })
        .collect();
    doc.table(
        &[
            "Effort",
            "Fixes",
            "Tests affected",
            "Tests unblocked",
            "Parallel-safe after this and the cheaper classes",
        ],
        &rows,
    );
    doc.paragraph("Parallel-safe counts cover the checked rule families only (see the summary).");
    if !audit.root_causes.is_empty() {
        doc.heading(3, "Fixes that unblock the most tests first");
        for (i, root) in audit.root_causes.iter().enumerate() {
            doc.line(&format!(
                "{}. [{}](#{}) {} {} in {} ({}): {}, {}",
                i + 1,
                root.id,
                root_anchor(root),
                root.code,
                resource_phrase(root),
                inline(&root.lives_in, false),
                link(&root.locations[0]),
                plural(root.affected_tests.len(), "test"),
                effort_word(root.effort),
            ));
        }
        doc.out.push('\n');
    }
    let singles: Vec<String> = audit
        .effort
        .single_test_fixes
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| format!("{} × {}", c.count, effort_word(c.effort)))
        .collect();
    if !singles.is_empty() {
        let then = if audit.root_causes.is_empty() {
            "The fixes"
        } else {
            "Then the"
        };
        let count: usize = audit.effort.single_test_fixes.iter().map(|c| c.count).sum();
        let kinds = if singles.len() == 1 {
            let effort = audit
                .effort
                .single_test_fixes
                .iter()
                .find(|c| c.count > 0)
                .map_or("", |c| effort_word(c.effort));
            if count == 1 {
                effort.to_string()
            } else {
                format!("all {effort}")
            }
        } else {
            join_words(&singles)
        };
        doc.paragraph(&format!(
            "{then} {} inside single tests, {kinds} (section 2).",
            fixes(count)
        ));
    }
}

fn resource_phrase(root: &RootCause) -> String {
    match root.resources.first() {
        Some(first) => {
            let name = first.split_once(':').map_or(first.as_str(), |(_, n)| n);
            let more = if root.resources.len() > 1 {
                format!(" (+{})", root.resources.len() - 1)
            } else {
                String::new()
            };
            format!("{}{more}", code(name, false))
        }
        None => root.rule.to_string(),
    }
}

fn xdist(doc: &mut Doc, audit: &Audit) {
    let x = &audit.xdist;
    doc.heading(2, SECTIONS[6]);
    let caveat = "as far as the checked rule families go";
    match x.strategy {
        "load" => doc.paragraph(&format!(
            "**`{}`** (the default `--dist load`) is safe {caveat}: no two tests share a fixed path or other resource.",
            x.command
        )),
        "loadscope" => doc.paragraph(&format!(
            "**`{}`** is safe today {caveat}, with no change to the tests: every group of tests that shares a resource \
             below lies within one module or one class, and `loadscope` runs each module (each class, for test methods) on one worker.",
            x.command
        )),
        _ => {
            let spanning: Vec<String> = x.groups.iter().filter(|g| !g.within_one_scope).map(|g| code(&g.name, false)).collect();
            doc.paragraph(&format!(
                "**`{}`** with the `xdist_group` markers below is safe today {caveat}. `--dist loadscope` is not enough: \
                 {} spans several modules or classes.",
                x.command,
                join_words(&spanning)
            ))
        }
    }
    if let Some(setup) = &audit.setup {
        doc.out
            .push_str(&super::parallel_setup::markdown(setup, x.strategy));
    }
    if !x.groups.is_empty() {
        doc.heading(3, "xdist groups");
        let intro = if x.strategy == "loadscope" {
            "Alternatively, run `pytest -n auto --dist loadgroup` with these markers: each group runs on one worker and every \
             other test is spread on its own, which balances the workers better than `loadscope`."
        } else {
            "Add these markers and run with `--dist loadgroup`: each group runs on one worker and every other test is spread on its own."
        };
        doc.paragraph(&format!(
            "{intro} Each group holds the tests that share a resource, and is named after it. `loadgroup` needs pytest-xdist 2.5 or later."
        ));
        for g in &x.groups {
            let marker = format!("pytest.mark.xdist_group(name=\"{}\")", g.name);
            let resources: Vec<String> = g
                .resources
                .iter()
                .map(|r| code(r.split_once(':').map_or(r.as_str(), |(_, n)| n), false))
                .collect();
            let cases = if g.cases != g.tests.len() {
                format!(", {} cases", g.cases)
            } else {
                String::new()
            };
            doc.line(&format!(
                "- {}: {}{cases}, sharing {}.",
                code(&g.name, false),
                plural(g.tests.len(), "test"),
                collapsed(&resources, LIST_LIMIT)
            ));
            for p in &g.placements {
                let file = code(&p.file, false);
                let line = match p.on {
                    "module" => format!(
                        "all of {file}: add {} at its top (or add the marker to its existing `pytestmark` list)",
                        code(&format!("pytestmark = {marker}"), false)
                    ),
                    "class" => format!(
                        "class {} in {file}: decorate it with {}",
                        code(p.class.as_deref().unwrap_or_default(), false),
                        code(&format!("@{marker}"), false)
                    ),
                    _ => {
                        let names: Vec<String> = p.tests.iter().map(|t| code(t.split_once("::").map_or(t.as_str(), |(_, n)| n), false)).collect();
                        format!("in {file}, decorate {} with {}", join_words(&names), code(&format!("@{marker}"), false))
                    }
                };
                doc.line(&format!("  - {line}"));
            }
        }
        doc.out.push('\n');
    }
    let mut notes = Vec::new();
    if !x.state_leaks.is_empty() {
        notes.push(format!(
            "- **No `--dist` mode helps** the {} that change environment variables without restoring them: the change stays in \
             the worker process and reaches whichever test that worker runs next. Fix these first ({}).",
            plural(x.state_leaks.len(), "test"),
            tests_by_file(&x.state_leaks, LIST_LIMIT, false)
        ));
    }
    if !x.unshared.is_empty() {
        notes.push(format!(
            "- **Fixed paths only one test uses** ({}): safe under xdist as they stand, but two pytest runs on one machine \
             (parallel CI jobs, a developer running tests twice) still collide on them; fix them as section 2 says.",
            tests_by_file(&x.unshared, LIST_LIMIT, false)
        ));
    }
    if !notes.is_empty() {
        doc.paragraph("Whatever the `--dist` mode:");
        for n in notes {
            doc.line(&n);
        }
        doc.out.push('\n');
    }
}

fn notes(doc: &mut Doc, audit: &Audit) {
    doc.heading(2, "Team notes");
    doc.blank();
    doc.out.push_str(NOTES_START);
    match &audit.notes {
        Some(text) => doc.out.push_str(text),
        None => doc.out.push_str(
            "\n_The team's notes go here (owners, decisions, accepted risks). Edit the Markdown source: isolint keeps everything between the two `isolint:notes` comments when it regenerates the report._\n",
        ),
    }
    doc.out.push_str(NOTES_END);
    doc.out.push_str("\n\n");
}

fn about(doc: &mut Doc, audit: &Audit) {
    doc.heading(2, "About this report");
    doc.paragraph(&format!(
        "**How effort is estimated.** Each finding starts from its rule's effort, the cost of the simplest fix (usually \
         `1-2 lines`, such as taking the `tmp_path` fixture). When the fix is in code that tests share (a fixture, class \
         setup or module-level value used by two or more tests, or a helper function the tests call) it takes the rule's \
         shared effort: `moderate refactor` for a fixed path, whose shared value changes shape so every user has to be \
         checked again, but still `1-2 lines` for an environment change, which one restore in the shared place undoes \
         for every test. A fixture with a scope wider than `function` is at least a `moderate refactor`. It is a \
         `major redesign` when the fix is in code outside the test suite. A root cause is \
         counted once, at the effort of its hardest finding. The full model: [docs/effort-model.md]({EFFORT_MODEL_URL})."
    ));
    doc.paragraph(
        "**How tests are counted.** Statically, the way pytest would collect them: test functions and methods in test \
         modules and test classes (`unittest.TestCase` included), a parametrized test counted once. A test needs a fix when a \
         finding affects it: a finding in the test itself, or in a fixture it uses (resolved through `conftest.py` files as \
         pytest does, autouse fixtures included), its class setup, or module-level code it uses.",
    );
    let paths: Vec<String> = audit.audited_paths.iter().map(|p| shell_word(p)).collect();
    let command = if paths.is_empty() {
        "isolint audit".to_string()
    } else {
        format!("isolint audit {}", paths.join(" "))
    };
    doc.paragraph(&format!(
        "**Regenerating.** Run {} again (with the same `--output`, if one was given): the same code gives the same file, byte \
         for byte (`--timestamp` adds the date), and the Team notes section is kept. `--format json` writes the same content \
         for tools. What each section means: [docs/audit-report.md]({AUDIT_DOC_URL}).",
        code(&command, false)
    ));
    doc.paragraph(&format!("Generated by {}.", audit.generated_by));
}
