//! The audit as GitHub-flavoured Markdown, laid out as a plan: the first screen says what to decide
//! (verdict, top fixes, the command to use meanwhile), the rest gives each root cause once and the
//! single-test fixes as short lists, with long lists folded in `<details>`. Tables hold short cells
//! only (numbers, effort classes, short links), so they fit GitHub's width; long names stay in lists.
//! The full (test, finding) matrix is in the JSON.

use super::model::{
    join_words, node_file, Audit, Autofix, Location, Neo4jItem, Resource, RootCause, SingleTestFix,
};
use super::similar;
use super::text::{code, code_list, github_slug, inline, plural, shell_word, Anchors};
use super::{NOTES_END, NOTES_START};
use isolint_linter::registry::find_rule;
use isolint_linter::{Category, Effort};
use isolint_python::project::Neo4jFactKind;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Tests named inline before a list is folded into `<details>`.
const INLINE_TESTS: usize = 6;
/// List entries shown before the rest is folded into `<details>`.
const INLINE_ITEMS: usize = 4;
/// xdist groups shown before the rest is folded.
const SHOWN_GROUPS: usize = 4;
/// Findings or fixes written in one sentence rather than a list.
const SHORT_LIST: usize = 2;
/// Characters of a name in a table cell before it is shortened (the full name is in the lists).
const CELL_NAME: usize = 36;

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
    /// Sections (by index in `SECTIONS`) that say one thing and so read as a paragraph with a bold
    /// lead rather than under a heading of their own.
    quiet: [bool; SECTIONS.len()],
}

/// A section's renderer: writes its heading (`SECTIONS[i]`) and body.
type Section = fn(&mut Doc, &Audit);

/// Sections 2 to 7, in order.
const BODY: [Section; 6] = [tests_section, inventory, neo4j, order, effort, xdist];

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

    /// A bullet list: the first `INLINE_ITEMS` entries shown, the rest folded under `more`.
    fn list(&mut self, items: &[String], more: impl Fn(usize) -> String) {
        self.blank();
        let shown = if items.len() > INLINE_ITEMS + 2 {
            INLINE_ITEMS
        } else {
            items.len()
        };
        for item in &items[..shown] {
            self.line(&format!("- {item}"));
        }
        if shown < items.len() {
            self.out.push('\n');
            self.folded(&more(items.len() - shown), &items[shown..]);
        }
        self.out.push('\n');
    }

    /// A collapsible list: GitHub renders Markdown inside `<details>` when blank lines surround it.
    fn folded(&mut self, summary: &str, items: &[String]) {
        self.blank();
        let _ = writeln!(
            self.out,
            "<details><summary>{}</summary>\n",
            html_text(summary)
        );
        for item in items {
            self.line(&format!("- {item}"));
        }
        self.out.push_str("\n</details>\n\n");
    }
}

/// Plain text for an HTML element (`<summary>`), where Markdown is not read.
fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A location as a short link: `unit/test_x.py:12`, the file and its folder (the link holds the
/// full path; many suites have a `tests.py` per folder).
pub(super) fn link(location: &Location) -> String {
    link_as(
        location,
        &format!("{}:{}", short_path(&location.path), location.line),
    )
}

/// The last two components of a `/`-separated path.
fn short_path(path: &str) -> &str {
    match path.rmatch_indices('/').nth(1) {
        Some((i, _)) => &path[i + 1..],
        None => path,
    }
}

/// A location inside the file a list is about: `L12`.
fn line_link(location: &Location, file: &str) -> String {
    if location.path == file {
        link_as(location, &format!("L{}", location.line))
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

/// A name for a table cell: kept whole up to `CELL_NAME` characters, otherwise its end (the part
/// that tells paths and test names apart) after an ellipsis.
fn cell_name(name: &str) -> String {
    let count = name.chars().count();
    if count <= CELL_NAME {
        return code(name, true);
    }
    let tail: String = name.chars().skip(count - (CELL_NAME - 1)).collect();
    // A path is cut between its folders, so what is left reads as a path.
    match tail.split_once('/') {
        Some((_, rest)) if !rest.is_empty() => format!("…/{}", code(rest, true)),
        _ => format!("…{}", code(&tail, true)),
    }
}

/// A test within its file (`TestA::test_b`).
fn test_name(node_id: &str) -> &str {
    node_id.split_once("::").map_or(node_id, |(_, rest)| rest)
}

/// The resource's name without its kind (`path:/tmp/x` is `/tmp/x`).
fn resource_name(resource: &str) -> &str {
    resource.split_once(':').map_or(resource, |(_, name)| name)
}

/// `2 paths`, `3 environment variables`: what a list of resources holds.
fn resource_count(resources: &[String]) -> String {
    let kinds: BTreeSet<&str> = resources
        .iter()
        .map(|r| r.split_once(':').map_or("other", |(kind, _)| kind))
        .collect();
    let word = match (kinds.len(), kinds.iter().next().copied()) {
        (1, Some("path")) => "path",
        (1, Some("env")) => "environment variable",
        _ => "resource",
    };
    plural(resources.len(), word)
}

/// A finding's message without the reason every finding of its rule gives (`, shared by every
/// worker`, `; later tests in the same worker see the change`): the rule's page says it once. The
/// message is cut at the first `, ` or `; ` outside quotes and code spans.
fn short_message(message: &str) -> String {
    let mut quote: Option<char> = None;
    let chars: Vec<char> = message.chars().collect();
    let mut cut = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '`' => {
                // An apostrophe inside a word (`fixture's`) opens no quote.
                let in_word = c == '\''
                    && i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
                if !in_word {
                    quote = Some(c);
                }
            }
            None if (c == ',' || c == ';') && chars.get(i + 1) == Some(&' ') => {
                cut = i;
                break;
            }
            None => {}
        }
    }
    let mut short: String = chars[..cut].iter().collect();
    // A cut before a clause of its own (`..., and`, `... or, when`) leaves no dangling word.
    while let Some(rest) = [" and", " or", " but"]
        .iter()
        .find_map(|word| short.strip_suffix(word))
    {
        short = rest.to_string();
    }
    ["this test ", "test "]
        .iter()
        .find_map(|prefix| short.strip_prefix(prefix))
        .map(str::to_string)
        .unwrap_or(short)
}

/// Tests grouped by file: `test_x.py: \`a\`, \`b\`` per file, or `test_x.py: all 12 tests` when the
/// list holds every test of the file.
fn tests_by_file(tests: &[String], file_tests: &BTreeMap<String, usize>) -> Vec<String> {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for test in tests {
        let file = node_file(test);
        let name = code(test_name(test), false);
        match groups.iter_mut().find(|(f, _)| *f == file) {
            Some((_, names)) => names.push(name),
            None => groups.push((file, vec![name])),
        }
    }
    groups
        .into_iter()
        .map(|(file, names)| {
            let whole = file_tests.get(file).copied();
            if names.len() > 2 && whole == Some(names.len()) {
                format!("{}: all {} tests", inline(file, false), names.len())
            } else {
                format!("{}: {}", inline(file, false), names.join(", "))
            }
        })
        .collect()
}

/// The tests a fix affects, inline when they are few, otherwise folded by file.
fn tests_block(doc: &mut Doc, tests: &[String], file_tests: &BTreeMap<String, usize>) {
    let by_file = tests_by_file(tests, file_tests);
    let whole_file =
        by_file.len() == 1 && by_file[0].ends_with(" tests") && by_file[0].contains(": all ");
    if tests.len() <= INLINE_TESTS || whole_file {
        doc.paragraph(&format!("**Tests:** {}", by_file.join("; ")));
    } else {
        let files = by_file.len();
        doc.folded(
            &format!(
                "{} in {}",
                plural(tests.len(), "test"),
                plural(files, "file")
            ),
            &by_file,
        );
    }
}

/// A family's name in a short list.
fn category_short(category: Category) -> &'static str {
    match category {
        Category::HardcodedPath => "hard-coded paths",
        Category::SharedResourceName => "shared resource names",
        Category::ModuleState => "module state",
        Category::OrderDependency => "order",
        Category::MissingCleanup => "missing cleanup",
        Category::WideFixtureScope => "fixture scopes",
        Category::Collection => "collection side effects",
        Category::Config => "configuration",
    }
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

/// `7 × 1-2 lines and 3 × moderate refactor`.
fn by_effort(counts: &[(Effort, usize)]) -> String {
    let parts: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(e, n)| format!("{n} × {}", effort_word(*e)))
        .collect();
    join_words(&parts)
}

/// Where a fix is explained: a root cause's heading, or its test file's list of single-test fixes.
fn fix_anchor(audit: &Audit, id: &str) -> Option<String> {
    if let Some(root) = audit.root_causes.iter().find(|r| r.id == id) {
        return Some(root.anchor.clone());
    }
    audit
        .single_test_fixes
        .iter()
        .find(|f| f.id == id)
        .map(|f| github_slug(&single_heading(node_file(&f.test))))
}

fn single_heading(file: &str) -> String {
    inline(file, false)
}

fn fix_ref(audit: &Audit, id: &str) -> String {
    match fix_anchor(audit, id) {
        Some(anchor) => format!("[{id}](#{anchor})"),
        None => id.to_string(),
    }
}

/// What a root cause is, briefly: `fixture \`cache\`: \`cache.db\``.
fn root_what(root: &RootCause) -> String {
    let name = match root.resources.as_slice() {
        [] => root.rule.to_string(),
        [one] => cell_name(resource_name(one)),
        many => resource_count(many),
    };
    format!("{}: {name}", short_lives_in(&root.lives_in))
}

/// `fixture \`name\`` with a long name shortened for a table cell.
fn short_lives_in(lives_in: &str) -> String {
    match lives_in
        .split_once(" `")
        .and_then(|(kind, rest)| Some((kind, rest.strip_suffix('`')?)))
    {
        Some((kind, name)) if !name.contains('`') => format!("{kind} {}", cell_name(name)),
        _ => match lives_in.strip_prefix('`').and_then(|l| l.strip_suffix('`')) {
            Some(name) => cell_name(name),
            None => inline(lives_in, true),
        },
    }
}

fn single_what(fix: &SingleTestFix) -> String {
    let resources: BTreeSet<&str> = fix
        .findings
        .iter()
        .flat_map(|f| f.resources.iter().map(String::as_str))
        .collect();
    let resources: Vec<String> = resources.into_iter().map(String::from).collect();
    let name = match resources.as_slice() {
        [] => fix.findings[0].rule.to_string(),
        [one] => cell_name(resource_name(one)),
        many => resource_count(many),
    };
    format!("test {}: {name}", cell_name(test_name(&fix.test)))
}

pub fn render(audit: &Audit) -> String {
    let mut quiet = [false; SECTIONS.len()];
    for (i, section) in BODY.iter().enumerate() {
        let mut part = Doc {
            out: String::new(),
            anchors: Anchors::default(),
            quiet,
        };
        section(&mut part, audit);
        quiet[i + 1] = quiet_body(&part.out).is_some();
    }
    let mut doc = Doc {
        out: String::new(),
        anchors: Anchors::default(),
        quiet,
    };
    doc.line("# Test isolation audit");
    if let Some(time) = &audit.generated_at {
        doc.paragraph(&format!("Generated {}.", inline(time, false)));
    }
    summary(&mut doc, audit);
    for section in BODY {
        let mut part = Doc {
            out: String::new(),
            anchors: std::mem::take(&mut doc.anchors),
            quiet,
        };
        section(&mut part, audit);
        match quiet_body(&part.out) {
            // Its heading is not written, so its anchor is not taken either.
            Some((title, first, rest)) => {
                doc.anchors = part.anchors.without(title);
                doc.paragraph(&format!("**{title}.** {first}"));
                doc.out.push_str(rest);
            }
            None => {
                doc.anchors = part.anchors;
                doc.blank();
                doc.out.push_str(&part.out);
            }
        }
    }
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

/// A section that says one thing: its heading, then one paragraph, then nothing but folded
/// `<details>`. Returns the title, the paragraph and what follows it.
fn quiet_body(section: &str) -> Option<(&str, &str, &str)> {
    let (heading, body) = section.trim_start().split_once("\n\n")?;
    let title = heading.strip_prefix("## ")?;
    let body = body.trim_start();
    let (first, rest) = body.split_once("\n\n").unwrap_or((body, ""));
    let plain = !first.is_empty()
        && !first.contains('\n')
        && !first.starts_with(['-', '|', '<', '#', '`', ' '])
        && !first.starts_with(|c: char| c.is_ascii_digit());
    let folded = rest.trim().is_empty()
        || (rest.trim_start().starts_with("<details>")
            && rest.trim_end().ends_with("</details>")
            && !rest.contains("\n#"));
    (plain && folded).then_some((title, first, rest))
}

fn summary(doc: &mut Doc, audit: &Audit) {
    let s = &audit.summary;
    doc.heading(2, SECTIONS[0]);
    let unchecked = audit.families_checked.iter().any(|f| !f.checked);
    // A clean result over some families only is not a headline.
    let verdict = if s.clean && unchecked {
        inline(&s.verdict, false)
    } else {
        format!("**{}**", inline(&s.verdict, false))
    };
    let missing: Vec<String> = audit
        .families_checked
        .iter()
        .filter(|f| !f.implemented)
        .map(|f| category_short(f.category).to_string())
        .collect();
    let off: Vec<String> = audit
        .families_checked
        .iter()
        .filter(|f| f.implemented && !f.checked)
        .map(|f| category_short(f.category).to_string())
        .collect();
    let mut not_checked = Vec::new();
    if !missing.is_empty() {
        // A clean verdict has already counted them.
        let count = if s.clean && s.tests > 0 {
            "Not checked yet".to_string()
        } else {
            format!(
                "{} of {} families are not checked yet",
                missing.len(),
                audit.families_checked.len()
            )
        };
        not_checked.push(format!(
            "{count} (no rules in this version): {}.",
            join_words(&missing)
        ));
    }
    if !off.is_empty() {
        not_checked.push(format!("Turned off for this run: {}.", join_words(&off)));
    }
    if !not_checked.is_empty() && !s.clean && s.tests > 0 {
        not_checked.push("Their problems are not counted.".into());
    }
    doc.paragraph(format!("{verdict} {}", not_checked.join(" ")).trim_end());

    top_fixes(doc, audit);
    if s.tests > 0 {
        meanwhile(doc, audit);
    }

    let mut kinds = vec![plural(s.test_modules, "test module")];
    if s.conftest_files > 0 {
        kinds.push(format!("{} `conftest.py`", s.conftest_files));
    }
    if s.other_files > 0 {
        kinds.push(format!("{} other", s.other_files));
    }
    let paths: Vec<String> = audit.audited_paths.iter().map(|p| code(p, false)).collect();
    let cases = if s.parametrized_tests == 0 {
        String::new()
    } else {
        let at_least = if s.test_cases_exact { "" } else { "at least " };
        format!(
            "; {} parametrized, {at_least}{} cases in all",
            s.parametrized_tests, s.test_cases
        )
    };
    doc.blank();
    doc.line(&format!(
        "- **Read, not run:** {} in {} ({}); {} as pytest collects them{cases}",
        plural(s.files, "Python file"),
        if paths.is_empty() {
            "the project".to_string()
        } else {
            paths.join(", ")
        },
        kinds.join(", "),
        plural(s.tests, "test")
    ));
    if !s.clean {
        let via = if s.tests_via_root_causes > 0 {
            format!(
                ", {} through a [root cause](#root-causes)",
                s.tests_via_root_causes
            )
        } else {
            String::new()
        };
        let counts: Vec<(Effort, usize)> = audit
            .effort
            .classes
            .iter()
            .map(|c| (c.effort, c.fixes))
            .collect();
        let by_tool = if s.fixes_by_fix + s.fixes_by_unsafe_fix > 0 {
            let unsafe_part = if s.fixes_by_unsafe_fix > 0 {
                format!(" ({} more with `--unsafe-fixes`)", s.fixes_by_unsafe_fix)
            } else {
                String::new()
            };
            format!(
                "; `isolint --fix` makes {} of them{unsafe_part}, {} {} left by hand",
                s.fixes_by_fix,
                s.fixes_by_hand,
                if s.fixes_by_hand == 1 { "is" } else { "are" }
            )
        } else {
            String::new()
        };
        doc.line(&format!(
            "- **To fix:** {} {} a fix{via}; {} {} down to {} ({}){by_tool}",
            plural(s.tests_needing_fix, "test"),
            if s.tests_needing_fix == 1 {
                "needs"
            } else {
                "need"
            },
            plural(s.findings, "finding"),
            if s.findings == 1 { "comes" } else { "come" },
            fixes(s.fixes),
            by_effort(&counts)
        ));
    }
    if s.files_not_fully_checked > 0 {
        doc.line(&format!(
            "- **Not fully checked:** {} could not be read or parsed ([listed](#findings-not-tied-to-a-test)); {} tests may be missing from these counts",
            plural(s.files_not_fully_checked, "file"),
            if s.files_not_fully_checked == 1 { "its" } else { "their" }
        ));
    }
    if !s.clean {
        // With nothing found, the verdict has named the checked families already.
        doc.line(&format!("- **By family:** {}", by_family(audit)));
    }
    doc.out.push('\n');
    let mut contents = Anchors::default();
    let short = [
        "Summary",
        "Fixes",
        "Shared resources",
        "Neo4j",
        "Order",
        "Effort",
        "Meanwhile",
    ];
    let links: Vec<String> = SECTIONS
        .iter()
        .zip(short)
        .zip(doc.quiet)
        .skip(1)
        .filter(|(_, quiet)| !quiet)
        .map(|((title, label), _)| format!("[{}. {label}](#{})", &title[..1], contents.add(title)))
        .collect();
    if links.len() > 1 {
        doc.paragraph(&format!("Contents: {}", links.join(" · ")));
    }
}

/// The checked families' findings as one line (a table of two to eight rows would take a screen):
/// `hard-coded paths 54 findings, 65 tests; none in missing cleanup`.
fn by_family(audit: &Audit) -> String {
    let mut found = Vec::new();
    let mut quiet = Vec::new();
    for f in audit.families_checked.iter().filter(|f| f.checked) {
        // A family can be partly built: say which of its catalogue rules did not run. Its other
        // codes are on its rules' pages.
        let unbuilt: Vec<&str> = isolint_linter::registry::unbuilt_codes()
            .into_iter()
            .filter(|code| code.starts_with(f.category.code_prefix()))
            .collect();
        let name = if !unbuilt.is_empty() && f.implemented {
            format!(
                "{} (not yet {})",
                category_short(f.category),
                isolint_linter::registry::code_ranges(&unbuilt)
            )
        } else {
            category_short(f.category).to_string()
        };
        if f.findings == 0 {
            quiet.push(name);
        } else {
            let tests = match f.tests_affected {
                0 => "no test".to_string(),
                n => plural(n, "test"),
            };
            found.push(format!("{name} {}, {tests}", plural(f.findings, "finding")));
        }
    }
    if !quiet.is_empty() {
        found.push(format!("none in {}", join_words(&quiet)));
    }
    found.join("; ")
}

/// The fixes that unblock the most tests, as a short table.
fn top_fixes(doc: &mut Doc, audit: &Audit) {
    let s = &audit.summary;
    if audit.effort.top_fixes.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = audit
        .effort
        .top_fixes
        .iter()
        .filter_map(|id| {
            if let Some(root) = audit.root_causes.iter().find(|r| &r.id == id) {
                Some(vec![
                    fix_ref(audit, id),
                    root_what(root),
                    effort_word(root.effort).to_string(),
                    root.affected_tests.len().to_string(),
                    link(&root.locations[0]),
                ])
            } else {
                audit
                    .single_test_fixes
                    .iter()
                    .find(|f| &f.id == id)
                    .map(|fix| {
                        vec![
                            fix_ref(audit, id),
                            single_what(fix),
                            effort_word(fix.effort).to_string(),
                            "1".into(),
                            link(&fix.findings[0].location),
                        ]
                    })
            }
        })
        .collect();
    let top = audit.effort.top_fixes.len();
    let after = audit.effort.parallel_safe_after_top_fixes;
    let intro = if top == s.fixes {
        format!(
            "**{}** all {} parallel-safe (for the checked families):",
            if top == 1 {
                "This fix makes".to_string()
            } else {
                format!("These {top} fixes make")
            },
            plural(s.tests, "test")
        )
    } else {
        format!(
            "**Top fixes**, most tests first. These {top} make {after} of {} ({} %) parallel-safe; all {} make all {}:",
            plural(s.tests, "test"),
            percent(after, s.tests),
            s.fixes,
            s.tests
        )
    };
    doc.paragraph(&intro);
    doc.table(&["Fix", "What", "Effort", "Tests", "Where"], &rows);
}

fn meanwhile(doc: &mut Doc, audit: &Audit) {
    let x = &audit.xdist;
    let section = if doc.quiet[6] {
        "§7"
    } else {
        "[§7](#7-running-in-parallel-meanwhile)"
    };
    let command = code(&x.command, false);
    let text = if x.safe_today {
        format!("**Meanwhile:** {command} is safe today for the checked families ({section}).")
    } else {
        let efforts = effort_of_fixes(audit, &x.state_leak_fixes);
        format!(
            "**Meanwhile:** {command}, once {} that {} are fixed ({}, {}: {}); no `--dist` mode keeps such a change from reaching the next test in the same worker ({section}).",
            plural(x.state_leaks.len(), "test"),
            x.state_leak_what,
            fixes(x.state_leak_fixes.len()),
            efforts,
            fix_refs(audit, &x.state_leak_fixes)
        )
    };
    doc.paragraph(&text);
}

/// Fix ids as links: all of them when few, otherwise the first ones and a count.
fn fix_refs(audit: &Audit, ids: &[String]) -> String {
    const SHOWN: usize = 4;
    let links: Vec<String> = ids
        .iter()
        .take(SHOWN)
        .map(|id| fix_ref(audit, id))
        .collect();
    if ids.len() <= SHOWN {
        join_words(&links)
    } else {
        format!("{} and {} more", links.join(", "), ids.len() - SHOWN)
    }
}

/// `all 1-2 lines`, or `2 × 1-2 lines and 1 × moderate refactor`.
fn effort_of_fixes(audit: &Audit, ids: &[String]) -> String {
    let mut counts: BTreeMap<Effort, usize> = BTreeMap::new();
    for id in ids {
        let effort = audit
            .root_causes
            .iter()
            .find(|r| &r.id == id)
            .map(|r| r.effort)
            .or_else(|| {
                audit
                    .single_test_fixes
                    .iter()
                    .find(|f| &f.id == id)
                    .map(|f| f.effort)
            });
        if let Some(effort) = effort {
            *counts.entry(effort).or_default() += 1;
        }
    }
    match counts.len() {
        1 if ids.len() == 1 => {
            effort_word(*counts.keys().next().unwrap_or(&Effort::Lines)).to_string()
        }
        1 if ids.len() > 1 => format!(
            "all {}",
            effort_word(*counts.keys().next().unwrap_or(&Effort::Lines))
        ),
        _ => by_effort(&counts.into_iter().collect::<Vec<_>>()),
    }
}

fn tests_section(doc: &mut Doc, audit: &Audit) {
    doc.heading(2, SECTIONS[1]);
    // Otherwise the sub-headings say how the section is laid out; the footer points to the JSON.
    if audit.root_causes.is_empty() && audit.single_test_fixes.is_empty() {
        doc.paragraph("No test needs an isolation fix for the checked rule families.");
    }
    if !audit.root_causes.is_empty() {
        doc.heading(3, "Root causes");
        for root in &audit.root_causes {
            root_cause(doc, root, &audit.file_tests);
        }
    }
    if !audit.single_test_fixes.is_empty() {
        doc.heading(3, "Fixes inside single tests");
        let files = singles_by_file(&audit.single_test_fixes);
        let recurring = recurring_fixes(&files);
        if !recurring.is_empty() {
            // Said once here rather than on every line that needs them.
            doc.paragraph("Fixes that recur below, by letter:");
            // Never folded: the lines below refer to every one of them.
            for (i, text) in recurring.iter().enumerate() {
                doc.line(&format!("- **{}** {text}.", recurring_label(i)));
            }
            doc.out.push('\n');
        }
        // Each of these unblocks one test: beyond a few files they are detail, opened on demand
        // (a link to a file's heading opens the fold in the browser).
        let shown = if files.len() > INLINE_ITEMS + 2 {
            INLINE_ITEMS
        } else {
            files.len()
        };
        for (index, (file, kinds)) in files.iter().enumerate() {
            if index == shown {
                let rest: Vec<&SingleTestFix> = files[shown..]
                    .iter()
                    .flat_map(|(_, kinds)| kinds.iter().flatten().copied())
                    .collect();
                doc.blank();
                let _ = writeln!(
                    doc.out,
                    "<details><summary>{} more files, {}</summary>\n",
                    files.len() - shown,
                    html_text(&id_span(&rest))
                );
            }
            doc.heading(4, &single_heading(file));
            let items: Vec<String> = kinds
                .iter()
                .map(|members| single_fix_line(members, file, &recurring))
                .collect();
            doc.list(&items, |n| format!("{n} more in {file}"));
        }
        if shown < files.len() {
            doc.out.push_str("</details>\n\n");
        }
    }
    if !audit.other_findings.is_empty() {
        doc.heading(3, "Findings not tied to a test");
        doc.paragraph("They reach no collected test (a file isolint could not read or parse, a fixture no test uses), so they are not counted above.");
        let items: Vec<String> = audit
            .other_findings
            .iter()
            .map(|f| {
                format!(
                    "{} {} ({}): {}",
                    rule_link(f.code),
                    inline(&f.message, false),
                    link(&f.location),
                    inline(&f.fix, false)
                )
            })
            .collect();
        doc.list(&items, |n| format!("{n} more"));
    }
}

fn root_cause(doc: &mut Doc, root: &RootCause, file_tests: &BTreeMap<String, usize>) {
    doc.heading(4, &root.heading);
    let file = root.locations[0].path.as_str();
    let owner_prefix = format!("{} ", root.lives_in);
    let mut said_owner = false;
    // Findings that differ only by line, or only by the name of the path they write, read as one.
    let findings: Vec<(String, Vec<String>)> = root
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            // The rule's reason is on its page; under the root's heading the owner is said once.
            let message = short_message(&f.message);
            let message = match message.strip_prefix(&owner_prefix) {
                Some(rest) => {
                    if i == 0 {
                        said_owner = true;
                    }
                    rest.to_string()
                }
                None => message,
            };
            (
                format!("{}\u{0}{message}", f.code),
                vec![line_link(&f.location, file)],
            )
        })
        .collect();
    let merged = similar::merge(findings, &['\'']);
    let mut previous_code = "";
    let problems: Vec<String> = merged
        .iter()
        .enumerate()
        .map(|(i, (text, places))| {
            let (code_text, message) = text.split_once('\u{0}').unwrap_or(("", text.as_str()));
            let rule = if code_text == previous_code {
                String::new()
            } else {
                format!("{} ", rule_link(code_text))
            };
            previous_code = code_text;
            let owner = if i == 0 && said_owner {
                owner_prefix.as_str()
            } else {
                ""
            };
            format!(
                "{rule}{}{} ({})",
                inline(owner, false),
                inline(message, false),
                places.join(", ")
            )
        })
        .collect();
    let origin = root
        .origin
        .as_ref()
        .map(|o| {
            format!(
                " From {}: {}.",
                link(&o.location),
                inline(o.message.trim_end_matches(" defined here"), false)
            )
        })
        .unwrap_or_default();
    let fixes: Vec<String> = similar::merge(
        root.fixes
            .iter()
            .map(|f| (f.trim_end_matches('.').to_string(), Vec::<()>::new()))
            .collect(),
        &['`'],
    )
    .into_iter()
    .map(|(f, _)| inline(&f, false))
    .collect();
    let fix_head = format!(
        "**Fix** ({}, {}):",
        effort_word(root.effort),
        plural(root.affected_tests.len(), "test")
    );
    let tests_text = tests_by_file(&root.affected_tests, file_tests);
    let tests_inline = root.affected_tests.len() <= INLINE_TESTS
        || (tests_text.len() == 1 && tests_text[0].contains(": all "));
    if problems.len() <= SHORT_LIST && fixes.len() <= SHORT_LIST {
        // The common case reads as one paragraph: problem, fix, tests.
        let tests = if tests_inline {
            format!(" **Tests:** {}.", tests_text.join("; "))
        } else {
            String::new()
        };
        doc.paragraph(&format!(
            "{}.{origin} {fix_head} {}.{}{tests}",
            problems.join("; "),
            fixes.join("; and "),
            autofix_note(root.autofix)
        ));
        if !tests_inline {
            tests_block(doc, &root.affected_tests, file_tests);
        }
        return;
    }
    if problems.len() <= SHORT_LIST {
        doc.paragraph(&format!("{}.{origin}", problems.join("; ")));
    } else {
        doc.list(&problems, |n| format!("{n} more findings"));
        if !origin.is_empty() {
            doc.paragraph(origin.trim_start());
        }
    }
    if fixes.len() <= SHORT_LIST {
        doc.paragraph(&format!(
            "{fix_head} {}.{}",
            fixes.join("; and "),
            autofix_note(root.autofix)
        ));
    } else {
        doc.paragraph(&format!(
            "{fix_head} one change:{}",
            autofix_note(root.autofix)
        ));
        doc.list(&fixes, |n| format!("{n} more"));
    }
    tests_block(doc, &root.affected_tests, file_tests);
}

/// Fix texts that recur on at least this many lines of single-test fixes are written once, above
/// the lines, and the lines refer to them by letter.
const RECURRING_FIX: usize = 3;

/// The single-test fixes of one file grouped by kind: fixes with the same rules, effort and fix (up
/// to the names in it) share a line that names each fix and its test once.
fn single_fix_kinds(singles: &[SingleTestFix]) -> Vec<Vec<&SingleTestFix>> {
    let mut kinds: Vec<(String, Vec<&SingleTestFix>)> = Vec::new();
    for fix in singles {
        let codes: Vec<&str> = fix.findings.iter().map(|f| f.code).collect();
        let key = format!(
            "{}|{}|{:?}|{}",
            codes.join(","),
            effort_word(fix.effort),
            fix.autofix,
            similar::shape_key(&fix.fix, &['`'])
        );
        match kinds.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(fix),
            None => kinds.push((key, vec![fix])),
        }
    }
    kinds.into_iter().map(|(_, members)| members).collect()
}

/// The single-test fixes of each file, in file order.
fn singles_by_file(singles: &[SingleTestFix]) -> Vec<(&str, Vec<Vec<&SingleTestFix>>)> {
    let mut files = Vec::new();
    let mut start = 0;
    while start < singles.len() {
        let file = node_file(&singles[start].test);
        let end = start
            + singles[start..]
                .iter()
                .take_while(|f| node_file(&f.test) == file)
                .count();
        files.push((file, single_fix_kinds(&singles[start..end])));
        start = end;
    }
    files
}

/// What one line's fixes say to do: their fix texts, said once each.
fn single_fix_text(members: &[&SingleTestFix]) -> String {
    let texts: Vec<String> = similar::merge(
        members
            .iter()
            .map(|f| (f.fix.trim_end_matches('.').to_string(), Vec::<()>::new()))
            .collect(),
        &['`'],
    )
    .into_iter()
    .map(|(f, _)| inline(&f, false))
    .collect();
    texts.join("; ")
}

/// The fix texts that recur on `RECURRING_FIX` lines or more, in order of first use.
fn recurring_fixes(files: &[(&str, Vec<Vec<&SingleTestFix>>)]) -> Vec<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for members in files.iter().flat_map(|(_, kinds)| kinds) {
        let text = single_fix_text(members);
        match counts.iter_mut().find(|(t, _)| *t == text) {
            Some((_, n)) => *n += 1,
            None => counts.push((text, 1)),
        }
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n >= RECURRING_FIX)
        .map(|(text, _)| text)
        .take(26)
        .collect()
}

/// `F30 to F142 (113 fixes)`, or `F7 and F9`: the fixes a fold holds.
fn id_span(fixes: &[&SingleTestFix]) -> String {
    // Ids are numbered in file order, but a line lists the fixes of one kind together.
    let number = |fix: &&&SingleTestFix| fix.id.trim_start_matches('F').parse::<usize>().ok();
    let first = fixes.iter().min_by_key(number);
    let last = fixes.iter().max_by_key(number);
    match (fixes.len(), first, last) {
        (1, Some(one), _) => one.id.clone(),
        (2, Some(first), Some(last)) => format!("{} and {}", first.id, last.id),
        (n, Some(first), Some(last)) => {
            format!("{} to {} ({})", first.id, last.id, self::fixes(n))
        }
        _ => "no fix".to_string(),
    }
}

/// The letter a recurring fix is referred to by: `(a)`, `(b)`, ...
fn recurring_label(index: usize) -> String {
    let letter = char::from(b'a' + (index % 26) as u8);
    format!("({letter})")
}

fn single_fix_line(members: &[&SingleTestFix], file: &str, recurring: &[String]) -> String {
    let first = members[0];
    let who: Vec<String> = members
        .iter()
        .map(|fix| format!("**{}** {}", fix.id, code(test_name(&fix.test), false)))
        .collect();
    let findings: Vec<(String, Vec<String>)> = members
        .iter()
        .flat_map(|fix| fix.findings.iter())
        .map(|f| {
            (
                format!("{}\u{0}{}", f.code, short_message(&f.message)),
                vec![line_link(&f.location, file)],
            )
        })
        .collect();
    // The rule is named once for findings of one rule in a row.
    let mut previous_code = String::new();
    let what: Vec<String> = similar::merge(findings, &['\'', '`'])
        .into_iter()
        .map(|(text, places)| {
            let (code_text, message) = text.split_once('\u{0}').unwrap_or(("", text.as_str()));
            let rule = if code_text == previous_code {
                String::new()
            } else {
                format!("{} ", rule_link(code_text))
            };
            previous_code = code_text.to_string();
            format!("{rule}{} ({})", inline(message, false), places.join(", "))
        })
        .collect();
    let mut from = String::new();
    if let Some(origin) = first
        .origin
        .as_ref()
        .filter(|o| o.location.path != first.findings[0].location.path)
    {
        from = format!(", from {}", link(&origin.location));
    }
    let text = single_fix_text(members);
    let fix = match recurring.iter().position(|r| *r == text) {
        Some(index) => recurring_label(index),
        None => text,
    };
    let each = if members.len() > 1 { " each" } else { "" };
    format!(
        "{}: {}{from}. **Fix** ({}{each}): {fix}.{}",
        who.join(", "),
        what.join("; "),
        effort_word(first.effort),
        autofix_note(first.autofix)
    )
}

/// Whether `isolint --fix` makes a fix, as a sentence after it (nothing when it is by hand).
fn autofix_note(autofix: Autofix) -> &'static str {
    match autofix {
        Autofix::Safe => " `isolint --fix` makes this change.",
        Autofix::Unsafe => {
            " `isolint --fix --unsafe-fixes` makes this change (review the diff: other code may rely on what it changes)."
        }
        Autofix::Partial => " `isolint --fix` makes part of it; the rest is by hand.",
        Autofix::None => "",
    }
}

/// Who touches a resource: `` `test_x` `` for one test, otherwise a count and the root causes.
fn touched_by(audit: &Audit, r: &Resource) -> String {
    let roots: Vec<String> = audit
        .root_causes
        .iter()
        .filter(|root| root.resources.contains(&r.id))
        .map(|root| format!("[{}](#{})", root.id, root.anchor))
        .collect();
    let tests = match r.tests.as_slice() {
        [] => "no collected test".to_string(),
        [one] => code(one, false),
        many => plural(many.len(), "test"),
    };
    if roots.is_empty() {
        tests
    } else {
        format!("{tests} ({})", join_words(&roots))
    }
}

fn resource_items(audit: &Audit, resources: &[&Resource]) -> Vec<String> {
    resources
        .iter()
        .map(|r| {
            let places: Vec<String> = r.locations.iter().take(2).map(link).collect();
            let more = if r.locations.len() > 2 {
                format!(" and {}", plural(r.locations.len() - 2, "more place"))
            } else {
                String::new()
            };
            format!(
                "{}: {} · {} · {}{more}",
                code(&r.name, false),
                touched_by(audit, r),
                r.codes.join(", "),
                places.join(", ")
            )
        })
        .collect()
}

/// Why a family's results are missing: `the ISO4xx rules are not in this version of isolint`.
fn not_checked_reason(audit: &Audit, family: Category) -> String {
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
    format!("the {} rules {why}", code_list(&codes))
}

/// What a family's rules would have put in the inventory, in a few words.
fn unchecked_kind(family: Category) -> &'static str {
    match family {
        Category::SharedResourceName => "shared services",
        Category::ModuleState => "module state",
        Category::WideFixtureScope => "what wide-scope fixtures hold",
        other => category_short(other),
    }
}

fn inventory(doc: &mut Doc, audit: &Audit) {
    let inv = &audit.inventory;
    doc.heading(2, SECTIONS[2]);
    let mut absent = Vec::new();
    if inv.resources.is_empty() {
        absent.push("None found by the rules that ran.".to_string());
    } else {
        // One list for every kind, the resources most tests share first: those need a plan.
        let total: usize = inv.resources.iter().map(|k| k.resources.len()).sum();
        doc.paragraph(&format!(
            "{}, the most shared first:",
            plural(total, "shared resource")
        ));
        let mut shared: Vec<(&str, &Resource)> = inv
            .resources
            .iter()
            .flat_map(|kind| kind.resources.iter().map(|r| (kind.kind.as_str(), r)))
            .collect();
        shared.sort_by_key(|(_, r)| std::cmp::Reverse(r.tests.len()));
        let (kinds, resources): (Vec<&str>, Vec<&Resource>) = shared.into_iter().unzip();
        let items: Vec<String> = resource_items(audit, &resources)
            .into_iter()
            .zip(kinds)
            .map(|(item, kind)| match kind {
                "path" => item,
                "env" => format!("env {item}"),
                other => format!("{} {item}", inline(other, false)),
            })
            .collect();
        doc.list(&items, |n| format!("{n} more"));
    }
    // The verdict has said which families did not run: here their kinds are named briefly.
    let others: Vec<String> = inv
        .not_checked
        .iter()
        .map(|n| unchecked_kind(n.family).to_string())
        .collect();
    // What is absent or unchecked reads as one short paragraph.
    if !others.is_empty() {
        absent.push(format!(
            "Not inventoried (rules not run): {}.",
            join_words(&others)
        ));
    }
    if inv.wide_scope_fixtures.is_empty() {
        absent.push("No wide-scope fixture.".to_string());
    }
    if !inv.module_state.checked
        && !inv
            .not_checked
            .iter()
            .any(|n| n.family == Category::ModuleState)
    {
        absent.push(format!(
            "**Module-level state:** not checked ({}).",
            not_checked_reason(audit, Category::ModuleState)
        ));
    }
    if inv.module_state.checked && inv.module_state.items.is_empty() {
        absent.push("No test changes module-level or class-level state.".to_string());
    }
    if !absent.is_empty() {
        doc.paragraph(&absent.join(" "));
    }
    if !inv.wide_scope_fixtures.is_empty() {
        let items: Vec<String> = inv
            .wide_scope_fixtures
            .iter()
            .map(|f| {
                format!(
                    "{} ({}{}): {} · {}",
                    code(&f.name, false),
                    inline(&f.scope, false),
                    if f.autouse { ", autouse" } else { "" },
                    plural(f.used_by.len(), "test"),
                    link(&f.location)
                )
            })
            .collect();
        // An inventory, not a fix: what they hold is checked by ISO601–ISO603, whose findings are
        // fixes in section 2.
        doc.folded(
            &format!(
                "{}: one value per worker, shared by its tests (safe when read-only or per-worker)",
                plural(items.len(), "wide-scope fixture")
            ),
            &items,
        );
    }
    // Unchecked or empty, module state was said with the other absent kinds above.
    if inv.module_state.checked && !inv.module_state.items.is_empty() {
        let items: Vec<String> = inv
            .module_state
            .items
            .iter()
            .map(|f| {
                format!(
                    "{} {}: {} · {}",
                    rule_link(f.code),
                    inline(&short_message(&f.message), false),
                    plural(f.tests.len(), "test"),
                    link(&f.location)
                )
            })
            .collect();
        // Each change is a fix in section 2 already: here it is an inventory, opened on demand.
        doc.folded(
            &format!(
                "Module-level state: {} not undone (each a fix in section 2)",
                plural(items.len(), "change")
            ),
            &items,
        );
    }
}

fn neo4j(doc: &mut Doc, audit: &Audit) {
    let n = &audit.neo4j;
    doc.heading(2, SECTIONS[3]);
    let files: Vec<String> = n.importing_files.iter().map(|f| code(f, false)).collect();
    let importers = if files.len() > 2 {
        plural(files.len(), "file")
    } else {
        join_words(&files)
    };
    if !n.client_imported && n.resources.is_empty() {
        doc.paragraph(
            "Not needed: no file imports a Neo4j client (`neo4j`, `py2neo`, `neomodel`).",
        );
        return;
    }
    if !n.checked {
        doc.paragraph(&format!(
            "A Neo4j client is imported ({importers}), but {}: review by hand for database names every worker shares, \
             queries over the whole graph (`MATCH (n) DETACH DELETE n`) and drivers shared beyond one test.",
            not_checked_reason(audit, Category::SharedResourceName)
        ));
        return;
    }
    if n.resources.is_empty() {
        doc.paragraph(&format!(
            "A Neo4j client is imported ({importers}); the shared-resource-name rules found no database or graph-wide operation that tests share."
        ));
    } else {
        doc.paragraph("The tests share these Neo4j databases and graph-wide operations:");
        let items = resource_items(audit, &n.resources.iter().collect::<Vec<_>>());
        doc.list(&items, |n| format!("{n} more"));
    }
    let mut lines = neo4j_inventory(&n.inventory);
    lines.push(pool_note(&n.inventory));
    if !n.resources.is_empty() {
        lines.push("**Per-worker databases:** give each xdist worker its own database, named from the `worker_id` fixture (`neo4j_test_gw0`, `neo4j_test_gw1`, ...). `CREATE DATABASE` needs Neo4j Enterprise (multi-database); on Community Edition run one Neo4j container per worker instead (a port per worker), or scope every test's data by a unique label or property and delete only that.".to_string());
    }
    let compose = audit
        .setup
        .as_ref()
        .map_or(&[][..], |s| s.compose.as_slice());
    lines.extend(compose_notes(compose));
    lines.push(super::service_waits::note(&n.inventory, compose));
    if !n.resources.is_empty() {
        let wipes = n.resources.iter().any(|r| r.name == "graph");
        lines.push(if wipes {
            "**Recommended strategy:** scope the graph-wide deletes to data each test owns first (every test that shares the graph is exposed to them); until then, and until each worker has its own database, keep the tests that share one on a single worker with the `xdist_group` in section 7.".to_string()
        } else {
            "**Recommended strategy:** until each worker has its own database, keep the tests that share one on a single worker with the `xdist_group` in section 7.".to_string()
        });
    }
    // What to decide stays in view; the inventory and the service notes behind it are opened on
    // demand.
    let (plan, details): (Vec<String>, Vec<String>) = lines.into_iter().partition(|line| {
        line.starts_with("**Per-worker databases:**")
            || line.starts_with("**Recommended strategy:**")
    });
    for line in plan {
        doc.line(&format!("- {line}"));
    }
    doc.folded(
        &format!(
            "What the suite's code names, its drivers and services, and what -n auto changes ({})",
            plural(details.len(), "note")
        ),
        &details,
    );
}

/// The inventory lines: databases, labels, schema objects and users, each with where it is named.
fn neo4j_inventory(items: &[Neo4jItem]) -> Vec<String> {
    let mut lines = Vec::new();
    let group = |kind: Neo4jFactKind| {
        let mut by_name: std::collections::BTreeMap<String, Vec<&Neo4jItem>> = Default::default();
        for item in items.iter().filter(|i| i.fact.kind == kind) {
            let key = match (&item.fact.name, &item.fact.configured_by) {
                (_, Some(var)) => format!("from ${var}"),
                (Some(name), None) => name.clone(),
                (None, None) => continue,
            };
            by_name.entry(key).or_default().push(item);
        }
        by_name
    };
    let places = |list: &[&Neo4jItem]| {
        let shown: Vec<String> = list
            .iter()
            .take(3)
            .map(|i| format!("{} at {}", i.fact.owner, link(&i.at)))
            .collect();
        let more = match list.len() {
            n if n > 3 => format!(" and {} more", n - 3),
            _ => String::new(),
        };
        format!("{}{more}", shown.join(", "))
    };
    let named = |key: &str| match key.strip_prefix("from $") {
        Some(var) => format!("read from `{var}` (configuration, not a fixed name)"),
        None => code(key, false),
    };
    let databases = group(Neo4jFactKind::Database);
    if !databases.is_empty() {
        let parts: Vec<String> = databases
            .iter()
            .map(|(key, list)| format!("{} ({})", named(key), places(list)))
            .collect();
        lines.push(format!("**Databases:** {}", parts.join("; ")));
    }
    let labels = group(Neo4jFactKind::Label);
    if !labels.is_empty() {
        let parts: Vec<String> = labels
            .iter()
            .map(|(label, list)| {
                format!("{} ({})", code(&format!(":{label}"), false), places(list))
            })
            .collect();
        lines.push(format!(
            "**Labels written:** {}. Nodes under these labels are shared by every worker unless each test adds a label or property of its own.",
            parts.join("; ")
        ));
    }
    let schema = group(Neo4jFactKind::Schema);
    if !schema.is_empty() {
        let parts: Vec<String> = schema
            .iter()
            .map(|(name, list)| {
                let actions: std::collections::BTreeSet<&str> = list
                    .iter()
                    .flat_map(|i| i.fact.settings.iter())
                    .filter(|(k, _)| k == "action")
                    .map(|(_, v)| v.as_str())
                    .collect();
                let actions: Vec<&str> = actions.into_iter().collect();
                format!(
                    "{} ({}: {})",
                    code(name, false),
                    actions.join(", "),
                    places(list)
                )
            })
            .collect();
        lines.push(format!("**Indexes and constraints:** {}", parts.join("; ")));
    }
    let users = group(Neo4jFactKind::User);
    if !users.is_empty() {
        let parts: Vec<String> = users
            .iter()
            .map(|(name, list)| format!("{} ({})", code(name, false), places(list)))
            .collect();
        lines.push(format!("**DBMS users and roles:** {}", parts.join("; ")));
    }
    lines
}

/// The compose files' database services: how each is checked for health and published, and what
/// `-n auto` changes (every worker connects at once, and Community Edition has one database).
fn compose_notes(services: &[isolint_python::project_files::ComposeService]) -> Vec<String> {
    services
        .iter()
        .map(|s| {
            let ports = if s.ports.is_empty() {
                "no published port".to_string()
            } else {
                let shown: Vec<String> = s.ports.iter().map(|p| code(p, false)).collect();
                format!("ports {}", shown.join(", "))
            };
            let probe = match s.kind {
                "neo4j" => "`wget` on port 7474 or `cypher-shell \"RETURN 1\"`",
                "postgres" => "`pg_isready`",
                "mysql" => "`mysqladmin ping`",
                _ => "`redis-cli ping`",
            };
            let setting = |key: &str| {
                s.healthcheck
                    .iter()
                    .flatten()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.as_str())
            };
            let mut notes = Vec::new();
            match &s.healthcheck {
                None => notes.push(format!(
                    "no health check, so `depends_on: condition: service_healthy` cannot wait for it and workers may connect before it answers: add one ({probe})"
                )),
                Some(settings) => {
                    let shown: Vec<String> = settings
                        .iter()
                        .map(|(k, v)| code(&format!("{k}: {v}"), false))
                        .collect();
                    notes.push(if shown.is_empty() {
                        "a health check with Docker's default timing".to_string()
                    } else {
                        format!("health check {}", shown.join(", "))
                    });
                    if s.kind == "neo4j" && setting("start_period").is_none() {
                        notes.push("no `start_period`: checks that fail while Neo4j starts (often 10 to 30 s) use up `retries`; set `start_period: 30s`".to_string());
                    }
                }
            }
            if s.kind == "neo4j" {
                notes.push(if s.enterprise {
                    "Enterprise edition: a database per worker (`CREATE DATABASE test_gw0`, ...) is possible".to_string()
                } else {
                    "Community edition has one user database: per-worker databases need Enterprise, so scope each test's data by a per-worker label, or run one container per worker (a port per worker, from `PYTEST_XDIST_WORKER`)".to_string()
                });
                if !s.auth_set {
                    notes.push("`NEO4J_AUTH` is not set: the image's default password must be changed at first login, and every worker's connection fails until it is".to_string());
                }
            } else if s.kind == "redis" {
                notes.push("every worker shares its 16 databases: give each worker its own `db=` (from `PYTEST_XDIST_WORKER`) or key prefix".to_string());
            } else {
                notes.push("every worker shares its databases: create one per worker (a `worker_id` suffix), as pytest-django does".to_string());
            }
            format!(
                "**Compose service {}** ({}, {}, {}): {}.",
                code(&s.name, false),
                code(&s.image, false),
                s.at,
                ports,
                notes.join("; ")
            )
        })
        .collect()
}

/// What the drivers the suite creates mean for connections under `-n auto`.
fn pool_note(items: &[Neo4jItem]) -> String {
    let drivers: Vec<&Neo4jItem> = items
        .iter()
        .filter(|i| i.fact.kind == Neo4jFactKind::Driver)
        .collect();
    if drivers.is_empty() {
        return "**Connection pool:** the suite's code creates no driver (`GraphDatabase.driver`, `py2neo.Graph`, ...); the application under test does, once per worker process at least.".to_string();
    }
    let described: Vec<String> = drivers
        .iter()
        .map(|d| {
            let uri = match (&d.fact.configured_by, &d.fact.name) {
                (Some(var), _) => format!(", URI from `{var}`"),
                (None, Some(uri)) => format!(", URI {}", code(uri, false)),
                _ => String::new(),
            };
            let settings = if d.fact.settings.is_empty() {
                ", default pool (`max_connection_pool_size` 100)".to_string()
            } else {
                let given: Vec<String> = d
                    .fact
                    .settings
                    .iter()
                    .map(|(k, v)| code(&format!("{k}={v}"), false))
                    .collect();
                format!(", {}", given.join(", "))
            };
            let scope = d
                .fact
                .fixture_scope
                .as_deref()
                .map_or(String::new(), |s| format!(" ({s})"));
            format!("{}{scope} at {}{uri}{settings}", d.fact.owner, link(&d.at))
        })
        .collect();
    let per_test = drivers.iter().any(|d| {
        d.fact.owner.starts_with("test ") || d.fact.fixture_scope.as_deref() == Some("function")
    });
    let advice = if per_test {
        "A driver made per test opens and closes a pool for every test, and `-n auto` multiplies that by the workers: create it once in a session fixture and hand out sessions per test."
    } else {
        "A session-scoped driver is created once per worker process, so `-n 8` opens 8 pools: size `max_connection_pool_size` times the worker count against the server's connection limit."
    };
    format!(
        "**Connection pool:** drivers created by {}. {advice}",
        described.join("; ")
    )
}

fn order(doc: &mut Doc, audit: &Audit) {
    let order = &audit.order_dependencies;
    doc.heading(2, SECTIONS[4]);
    let mut lines = Vec::new();
    if !order.checked {
        lines.push(format!(
            "Not checked ({}); a few runs in random order (pytest-randomly) find them meanwhile.",
            not_checked_reason(audit, Category::OrderDependency)
        ));
    } else if order.pairs.is_empty() && !order.pairs_checked {
        lines.push("Pairs of tests linked through shared state are not listed: the ISO402 rule is not in this version; a few runs in random order (pytest-randomly) find them meanwhile.".to_string());
    } else if order.pairs.is_empty() {
        lines.push("No test depends on another test having run first.".to_string());
    } else {
        order_pairs(doc, audit);
    }
    if !order.state_leaks.is_empty() {
        lines.push(format!(
            "**Candidate polluters:** {} {} for the next test in the same worker (the {} under **Meanwhile** in the summary).",
            plural(order.state_leaks.len(), "test"),
            audit.xdist.state_leak_what,
            fixes(audit.xdist.state_leak_fixes.len()),
        ));
    }
    if order.ordering_markers.is_empty() {
        lines.push("No test is pinned in order by a plugin marker.".to_string());
    }
    if !lines.is_empty() {
        doc.paragraph(&lines.join(" "));
    }
    if !order.ordering_markers.is_empty() {
        doc.paragraph("**Explicit ordering:** these tests are pinned in order by a plugin marker; under xdist the order holds only within one worker, so tests that depend on one another must share an `xdist_group` or stop depending on each other.");
        let items: Vec<String> = order
            .ordering_markers
            .iter()
            .map(|m| {
                let markers: Vec<String> = m.markers.iter().map(|x| code(x, false)).collect();
                format!(
                    "{} {} ({})",
                    code(&m.node_id, false),
                    markers.join(", "),
                    link(&m.location)
                )
            })
            .collect();
        doc.list(&items, |n| format!("{n} more tests"));
    }
}

/// Polluter → victim pairs as a plan: the pairs that meet in one piece of state are one line (the
/// state named once, its polluters, the tests that read it), since one change to the polluters
/// breaks them all; the fix every pair shares is said once above them.
fn order_pairs(doc: &mut Doc, audit: &Audit) {
    let pairs = &audit.order_dependencies.pairs;
    let mut groups: Vec<(Option<&str>, &str, Vec<&super::model::OrderPair>)> = Vec::new();
    for p in pairs {
        let key = p.resource.as_deref();
        match groups
            .iter_mut()
            .find(|(k, fix, _)| key.is_some() && *k == key && *fix == p.fix)
        {
            Some((_, _, members)) => members.push(p),
            None => groups.push((key, p.fix.as_str(), vec![p])),
        }
    }
    // The state most tests depend on first.
    groups.sort_by_key(|(_, _, members)| {
        std::cmp::Reverse(
            members
                .iter()
                .flat_map(|p| p.victims.iter())
                .collect::<BTreeSet<_>>()
                .len(),
        )
    });
    let fixes: BTreeSet<&str> = pairs.iter().map(|p| p.fix.as_str()).collect();
    let shared_fix = match fixes.iter().collect::<Vec<_>>().as_slice() {
        [one] => Some(**one),
        _ => None,
    };
    let codes: BTreeSet<&str> = pairs.iter().map(|p| p.code).collect();
    let codes: Vec<String> = codes.into_iter().map(rule_link).collect();
    let break_text = shared_fix
        .map(|fix| {
            format!(
                " **Break each:** {}.",
                inline(fix.trim_end_matches('.'), false)
            )
        })
        .unwrap_or_default();
    doc.paragraph(&format!(
        "{} between tests ({}), by the state they meet in.{break_text}",
        plural(pairs.len(), "pair"),
        join_words(&codes)
    ));
    doc.blank();
    for (index, (key, fix, members)) in groups.iter().enumerate() {
        if index == INLINE_ITEMS && groups.len() > INLINE_ITEMS + 2 {
            let _ = writeln!(
                doc.out,
                "\n<details><summary>{} more</summary>\n",
                groups.len() - INLINE_ITEMS
            );
        }
        let mut polluters: Vec<String> = Vec::new();
        for p in members {
            for o in &p.polluters {
                let what = o
                    .message
                    .split_once(" here (polluter:")
                    .map_or(o.message.as_str(), |(what, _)| what);
                let text = format!("{} ({})", inline(what, false), link(&o.location));
                if !polluters.contains(&text) {
                    polluters.push(text);
                }
            }
        }
        let victims: Vec<String> = members
            .iter()
            .flat_map(|p| p.victims.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let shown_polluters = match polluters.len() {
            0 => "?".to_string(),
            n if n > 3 => format!("{} and {} more", polluters[..3].join("; "), n - 3),
            _ => polluters.join("; "),
        };
        let read_by = if victims.len() <= SHORT_LIST + 1 {
            let names: Vec<String> = victims.iter().map(|v| code(v, false)).collect();
            join_words(&names)
        } else {
            plural(victims.len(), "test")
        };
        let subject = match key {
            Some(key) => format!("{}: ", code(resource_name(key), false)),
            None => String::new(),
        };
        let what = if key.is_none() {
            format!(
                " ({} {})",
                rule_link(members[0].code),
                inline(&short_message(&members[0].message), false)
            )
        } else {
            String::new()
        };
        let fix = if shared_fix.is_some() {
            String::new()
        } else {
            format!(
                " **Break it:** {}.",
                inline(fix.trim_end_matches('.'), false)
            )
        };
        doc.line(&format!(
            "- {subject}{shown_polluters} → {read_by}{what}.{fix}"
        ));
        if victims.len() > SHORT_LIST + 1 {
            let _ = writeln!(
                doc.out,
                "\n  <details><summary>the {} that read it</summary>\n",
                plural(victims.len(), "test")
            );
            for line in tests_by_file(&victims, &audit.file_tests) {
                let _ = writeln!(doc.out, "  - {line}");
            }
            doc.out.push_str("\n  </details>\n\n");
        }
    }
    if groups.len() > INLINE_ITEMS + 2 {
        doc.out.push_str("\n</details>\n");
    }
    doc.out.push('\n');
}

fn effort(doc: &mut Doc, audit: &Audit) {
    let s = &audit.summary;
    doc.heading(2, SECTIONS[5]);
    if s.clean {
        doc.paragraph("Nothing to fix for the checked rule families.");
        return;
    }
    // Three classes at most: a sentence reads as well as a table and takes a third of the room.
    let classes: Vec<String> = audit
        .effort
        .classes
        .iter()
        .filter(|c| c.fixes > 0)
        .map(|c| {
            format!(
                "**{}:** {}, {} unblocked, {} parallel-safe after ({} %)",
                effort_word(c.effort),
                fixes(c.fixes),
                plural(c.tests_unblocked, "test"),
                c.parallel_safe_after,
                percent(c.parallel_safe_after, s.tests)
            )
        })
        .collect();
    doc.paragraph(&format!(
        "{}. A fix counts at its hardest finding's effort ([effort model]({EFFORT_MODEL_URL})), a test at its hardest fix's: \
         the classes' fixes add up to {} and their unblocked tests to {}.",
        classes.join("; "),
        s.fixes,
        s.tests_needing_fix
    ));
}

fn xdist(doc: &mut Doc, audit: &Audit) {
    let x = &audit.xdist;
    doc.heading(2, SECTIONS[6]);
    let command = format!("**{}**", code(&x.command, false));
    let mut text = match x.strategy {
        "load" => format!("{command}: no two tests share a fixed path or other resource."),
        "loadscope" => format!("{command}: every group of tests that shares a resource lies within one module or class, and `loadscope` runs each module, or each class of test methods, on one worker; no test changes."),
        _ => {
            let spanning: Vec<String> = x
                .groups
                .iter()
                .filter(|g| !g.within_one_scope)
                .map(|g| code(&g.name, false))
                .collect();
            format!(
                "{command} with the `xdist_group` markers below, which keep the tests that share a resource on one worker; `--dist loadscope` is not enough, as {} spans several modules or classes.",
                join_words(&spanning)
            )
        }
    };
    // Whether it is safe today, and after which fixes, the summary's **Meanwhile** says once.
    if !x.safe_today {
        text.push_str(&format!(
            " Safe once the {} under **Meanwhile** in the summary {} done.",
            fixes(x.state_leak_fixes.len()),
            if x.state_leak_fixes.len() == 1 {
                "is"
            } else {
                "are"
            }
        ));
    }
    doc.paragraph(&text);
    if let Some(setup) = &audit.setup {
        // How to turn it on in the project's files: what a lead needs to know is the command above.
        doc.blank();
        doc.out.push_str(
            "<details><summary>Setting it up: what the project has now and the lines to add</summary>\n\n",
        );
        doc.out
            .push_str(super::parallel_setup::markdown(setup, x.strategy).trim_end());
        doc.out.push_str("\n\n</details>\n\n");
    }
    if !x.groups.is_empty() {
        let intro = if x.strategy == "loadscope" {
            "**Or, better balanced:** `pytest -n auto --dist loadgroup` (pytest-xdist 2.5 or later) with these groups"
        } else {
            "**The groups** (pytest-xdist 2.5 or later)"
        };
        doc.paragraph(&format!(
            "{intro}, each named after the resource its tests share. Mark a module with \
             `pytestmark = pytest.mark.xdist_group(name=\"NAME\")`, a class or a test with \
             `@pytest.mark.xdist_group(name=\"NAME\")`; the JSON (`xdist.groups`) lists every test."
        ));
        for (index, g) in x.groups.iter().enumerate() {
            if index == SHOWN_GROUPS && x.groups.len() > SHOWN_GROUPS + 1 {
                doc.out.push('\n');
                let _ = writeln!(
                    doc.out,
                    "<details><summary>{} more groups</summary>\n",
                    x.groups.len() - SHOWN_GROUPS
                );
            }
            let mut resources: Vec<String> = g
                .resources
                .iter()
                .map(|r| code(resource_name(r), false))
                .collect();
            // The resource the group is named after comes first, so the name is always explained.
            if let Some(i) = g
                .resources
                .iter()
                .position(|r| super::text::group_slug(r) == g.name)
            {
                let named = resources.remove(i);
                resources.insert(0, named);
            }
            let shared = if resources.len() > 3 {
                format!(
                    "{} and {} other {}",
                    resources[..2].join(", "),
                    resources.len() - 2,
                    if g.resources.iter().all(|r| r.starts_with("path:")) {
                        "paths"
                    } else {
                        "resources"
                    }
                )
            } else {
                join_words(&resources)
            };
            let cases = if g.cases != g.tests.len() {
                format!(", {} cases", g.cases)
            } else {
                String::new()
            };
            let mut modules = Vec::new();
            let mut classes = Vec::new();
            let mut tests = Vec::new();
            for p in &g.placements {
                match p.on {
                    "module" => modules.push(code(&p.file, false)),
                    "class" => classes.push(code(
                        &format!("{}::{}", p.file, p.class.as_deref().unwrap_or_default()),
                        false,
                    )),
                    _ => tests.extend(p.tests.iter().cloned()),
                }
            }
            let mut folded_places: Vec<String> = Vec::new();
            if modules.len() + classes.len() > INLINE_TESTS {
                folded_places.extend(modules.drain(..).map(|m| format!("module {m}")));
                folded_places.extend(classes.drain(..).map(|c| format!("class {c}")));
            }
            let mut on = Vec::new();
            if !folded_places.is_empty() {
                on.push(format!("{} modules and classes", folded_places.len()));
            }
            if !modules.is_empty() {
                on.push(format!(
                    "{} {}",
                    if modules.len() == 1 {
                        "module"
                    } else {
                        "modules"
                    },
                    join_words(&modules)
                ));
            }
            if !classes.is_empty() {
                on.push(format!(
                    "{} {}",
                    if classes.len() == 1 {
                        "class"
                    } else {
                        "classes"
                    },
                    join_words(&classes)
                ));
            }
            let inline_tests = !tests.is_empty() && tests.len() <= SHORT_LIST + 1;
            if inline_tests {
                on.push(format!(
                    "{} {}",
                    if tests.len() == 1 { "test" } else { "tests" },
                    tests_by_file(&tests, &audit.file_tests).join("; ")
                ));
            } else if !tests.is_empty() {
                on.push(plural(tests.len(), "test"));
            }
            doc.line(&format!(
                "- {}: {}{cases}, sharing {shared}; mark {}",
                code(&g.name, false),
                plural(g.tests.len(), "test"),
                join_words(&on)
            ));
            if !folded_places.is_empty() {
                doc.out.push('\n');
                let mut folded = String::new();
                let _ = writeln!(
                    folded,
                    "  <details><summary>the {} modules and classes to mark</summary>\n",
                    folded_places.len()
                );
                for line in &folded_places {
                    let _ = writeln!(folded, "  - {line}");
                }
                folded.push_str("\n  </details>\n\n");
                doc.out.push_str(&folded);
            }
            if !inline_tests && !tests.is_empty() {
                let by_file = tests_by_file(&tests, &audit.file_tests);
                doc.out.push('\n');
                let mut folded = String::new();
                let _ = writeln!(
                    folded,
                    "  <details><summary>the {} to mark</summary>\n",
                    plural(tests.len(), "test")
                );
                for line in by_file {
                    let _ = writeln!(folded, "  - {line}");
                }
                folded.push_str("\n  </details>\n\n");
                doc.out.push_str(&folded);
            }
        }
        if x.groups.len() > SHOWN_GROUPS + 1 {
            doc.out.push_str("\n</details>\n");
        }
        doc.out.push('\n');
    }
    if !x.unshared.is_empty() {
        doc.paragraph(&format!(
            "**Fixed paths only one test uses** ({}): safe under xdist, but two pytest runs on one machine (parallel CI jobs) still collide on them; their fixes are in section 2.",
            plural(x.unshared.len(), "test")
        ));
    }
}

/// The hint earlier versions wrote between the notes markers: isolint's text, not the team's, so a
/// report regenerated from one of them does not keep it.
const OLD_NOTES_HINT: &str =
    "_Owners, decisions, accepted risks: isolint keeps what is written between these comments._";

/// The team's notes: one line above the markers, and what the team wrote between them.
fn notes(doc: &mut Doc, audit: &Audit) {
    let kept = audit
        .notes
        .as_deref()
        .filter(|text| text.trim() != OLD_NOTES_HINT);
    // The same lead whatever the notes hold, so a regenerated report differs only in them.
    doc.paragraph(
        "**Team notes** (owners, decisions, accepted risks) go between the `isolint:notes` comments below, which regeneration keeps.",
    );
    doc.blank();
    doc.out.push_str(NOTES_START);
    doc.out.push_str(kept.unwrap_or("\n"));
    doc.out.push_str(NOTES_END);
    doc.out.push_str("\n\n");
}

fn about(doc: &mut Doc, audit: &Audit) {
    let paths: Vec<String> = audit.audited_paths.iter().map(|p| shell_word(p)).collect();
    let command = if paths.is_empty() {
        "isolint audit".to_string()
    } else {
        format!("isolint audit {}", paths.join(" "))
    };
    doc.paragraph(&format!(
        "<sub>{} read the code and ran no test. {} regenerates this (same code, same bytes); \
         `--format json` lists each test's findings. [About this report]({AUDIT_DOC_URL})</sub>",
        audit.generated_by,
        code(&command, false)
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_keep_their_end_in_cells() {
        assert_eq!(cell_name("cache.db"), "`cache.db`");
        let long = "test_reads_the_configuration_through_every_layer_of_the_loader_12";
        let cell = cell_name(long);
        assert!(
            cell.starts_with("…`") && cell.ends_with("loader_12`"),
            "{cell}"
        );
        assert_eq!(cell.chars().filter(|c| *c != '`').count(), CELL_NAME);
        assert_eq!(
            cell_name("gis_tests/data/rasters/raster.tif.aux.xml"),
            "…/`data/rasters/raster.tif.aux.xml`"
        );
    }

    fn single(id: usize, file: &str, code: &'static str, fix: &str) -> SingleTestFix {
        let location = Location {
            path: file.to_string(),
            line: id,
            column: 1,
            href: None,
        };
        SingleTestFix {
            id: format!("F{id}"),
            test: format!("{file}::test_{id}"),
            fix: fix.to_string(),
            autofix: Autofix::None,
            effort: Effort::Lines,
            findings: vec![super::super::model::FixFinding {
                code,
                rule: "rule",
                message: format!("reads `state_{id}`"),
                fix: fix.to_string(),
                autofix: None,
                effort: Effort::Lines,
                location,
                resources: Vec::new(),
            }],
            origin: None,
        }
    }

    #[test]
    fn a_fix_said_on_three_lines_is_said_once_by_letter() {
        let restore = "make the polluter restore what it changes.";
        // One kind per file, so each file's line carries the same text.
        let singles: Vec<SingleTestFix> = (1..=3)
            .map(|i| single(i, &format!("test_{i}.py"), "ISO402", restore))
            .chain([single(4, "test_4.py", "ISO101", "use `tmp_path`.")])
            .collect();
        let files = singles_by_file(&singles);
        let recurring = recurring_fixes(&files);
        assert_eq!(recurring, vec!["make the polluter restore what it changes"]);
        let line = single_fix_line(&files[0].1[0], "test_1.py", &recurring);
        assert!(line.ends_with("**Fix** (1-2 lines): (a)."), "{line}");
        let once = single_fix_line(&files[3].1[0], "test_4.py", &recurring);
        assert!(once.ends_with("use `tmp_path`."), "{once}");
        // Twice is not enough to be named apart.
        let two = singles_by_file(&singles[1..]);
        assert!(recurring_fixes(&two).is_empty());
    }

    #[test]
    fn a_fold_of_fixes_names_their_first_and_last_id() {
        let fixes: Vec<SingleTestFix> = [12, 9, 30]
            .into_iter()
            .map(|i| single(i, "test_x.py", "ISO402", "x."))
            .collect();
        let refs: Vec<&SingleTestFix> = fixes.iter().collect();
        assert_eq!(id_span(&refs), "F9 to F30 (3 fixes)");
        assert_eq!(id_span(&refs[..2]), "F9 and F12");
        assert_eq!(id_span(&refs[..1]), "F12");
    }

    #[test]
    fn messages_lose_the_reason_their_rule_gives() {
        assert_eq!(
            short_message("test writes to the fixed path '/tmp/a, b.txt', shared by every worker"),
            "writes to the fixed path '/tmp/a, b.txt'"
        );
        assert_eq!(
            short_message(
                "test sets the environment variable 'X' and never restores it; later tests see it"
            ),
            "sets the environment variable 'X' and never restores it"
        );
        assert_eq!(
            short_message("the fixture's value is fixed, so every worker shares it"),
            "the fixture's value is fixed"
        );
        assert_eq!(
            short_message("`a` calls test `b`: it repeats that test's steps and, when it fails, b"),
            "`a` calls test `b`: it repeats that test's steps"
        );
        assert_eq!(short_path("a/b/c/test_x.py"), "c/test_x.py");
        assert_eq!(short_path("test_x.py"), "test_x.py");
    }
}
