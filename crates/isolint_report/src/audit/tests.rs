use super::*;
use isolint_linter::{lint, LintOptions, LintResult, RuleSet, Settings, SourceInput};
use isolint_python::pytest_config::Naming;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

fn slash(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Lints `fixtures/<name>` with every rule, as `isolint audit` run from the repository root would.
fn lint_suite(name: &str) -> (LintResult, PathBuf) {
    let repo = workspace_root();
    let rootdir = repo.join("fixtures").join(name);
    let mut paths = Vec::new();
    collect(&rootdir, &mut paths);
    let inputs: Vec<SourceInput> = paths
        .iter()
        .map(|p| SourceInput {
            path: p.clone(),
            display: slash(p.strip_prefix(&repo).unwrap()),
            node_path: slash(p.strip_prefix(&rootdir).unwrap()),
            explicit: false,
            text: None,
        })
        .collect();
    let rules = RuleSet::default();
    let naming = Naming::default();
    let settings = Settings::default();
    // The suite's own configuration files, as the command reads them from the project root.
    let project_files = isolint_python::project_files::ProjectFiles::read(&rootdir, &repo);
    let result = lint(
        &inputs,
        &LintOptions {
            rules: &rules,
            naming: &naming,
            settings: &settings,
            per_file_ignores: &[],
            warn_unused_suppressions: false,
            project_files: Some(&project_files),
        },
    );
    (result, rootdir)
}

fn request<'a>(
    result: &'a LintResult,
    rootdir: &Path,
    output: PathBuf,
    format: AuditFormat,
) -> AuditRequest<'a> {
    AuditRequest {
        result,
        rootdir: rootdir.to_path_buf(),
        output,
        format,
        timestamp: None,
        audited_paths: vec![".".into()],
        // The fixture suites' own pyproject.toml and pytest.ini; none for synthetic suites.
        setup: rootdir.is_dir().then(|| {
            let files =
                isolint_python::project_files::ProjectFiles::read(rootdir, &workspace_root());
            super::parallel_setup::ParallelSetup::from_project(&files)
        }),
        speedup: None,
    }
}

/// The report as it would be written to `<suite>/docs/test-isolation-audit.md`, version-independent.
fn report(name: &str, format: AuditFormat) -> String {
    let (result, rootdir) = lint_suite(name);
    let output = rootdir.join("docs").join(if format == AuditFormat::Json {
        "test-isolation-audit.json"
    } else {
        "test-isolation-audit.md"
    });
    render(&request(&result, &rootdir, output, format), None)
        .replace(env!("CARGO_PKG_VERSION"), "[version]")
}

#[test]
fn example_suite_report() {
    insta::assert_snapshot!(
        "example_suite_markdown",
        report("example-suite", AuditFormat::Markdown)
    );
}

#[test]
fn example_suite_json() {
    insta::assert_snapshot!(
        "example_suite_json",
        report("example-suite", AuditFormat::Json)
    );
}

#[test]
fn clean_suite_report() {
    let text = report("clean-suite", AuditFormat::Markdown);
    // Every family ran: the suite is clean as far as isolint's rules can tell.
    assert!(
        text.contains("No isolation problem found: all 27 tests (100 %) are parallel-safe"),
        "{text}"
    );
    insta::assert_snapshot!("clean_suite_markdown", text);
}

#[test]
fn clean_suite_json() {
    insta::assert_snapshot!("clean_suite_json", report("clean-suite", AuditFormat::Json));
}

#[test]
fn same_input_same_bytes() {
    let first = report("example-suite", AuditFormat::Markdown);
    for _ in 0..3 {
        assert_eq!(report("example-suite", AuditFormat::Markdown), first);
    }
    assert!(
        !first.contains("Generated 2"),
        "no timestamp unless asked for"
    );
    let (result, rootdir) = lint_suite("clean-suite");
    let mut with_time = request(
        &result,
        &rootdir,
        rootdir.join("docs/audit.md"),
        AuditFormat::Markdown,
    );
    with_time.timestamp = Some("2024-05-01T12:00:00Z".into());
    assert!(render(&with_time, None).contains("Generated 2024-05-01T12:00:00Z."));
}

#[test]
fn the_claims_stay_within_the_checked_families() {
    let text = report("example-suite", AuditFormat::Markdown);
    assert!(
        text.contains("as far as the 8 checked families go"),
        "{text}"
    );
    // The Neo4j rules ran: the section names what the tests share.
    let neo4j = section(&text, "4. Neo4j", "5. Order");
    assert!(
        neo4j.contains("`db/neo4j_test`") && !neo4j.contains("not in this version"),
        "{neo4j}"
    );
    // ISO402 ran: the section lists each polluter with its victim.
    let order = section(&text, "5. Order", "6. Effort");
    assert!(
        order.contains("`test_cache_can_be_disabled` sets `graphflow.settings.CACHE_ENABLED`")
            && order.contains("`test_profile_from_env`"),
        "{order}"
    );
    assert!(!order.contains("No test depends"), "{order}");
}

#[test]
fn links_are_relative_to_the_report_folder() {
    let text = report("example-suite", AuditFormat::Markdown);
    assert!(
        text.contains("[test_reports.py:27](../test_reports.py#L27)"),
        "{text}"
    );
    let (result, rootdir) = lint_suite("example-suite");
    let deeper = render(
        &request(
            &result,
            &rootdir,
            rootdir.join("docs/audit/report.md"),
            AuditFormat::Markdown,
        ),
        None,
    );
    assert!(deeper.contains("[test_reports.py:27](../../test_reports.py#L27)"));
    let beside = render(
        &request(
            &result,
            &rootdir,
            rootdir.join("report.md"),
            AuditFormat::Markdown,
        ),
        None,
    );
    assert!(beside.contains("[test_reports.py:27](test_reports.py#L27)"));
}

#[test]
fn every_anchor_link_has_a_heading() {
    for text in [
        report("example-suite", AuditFormat::Markdown),
        generated::render_as(AuditFormat::Markdown),
    ] {
        anchor_links_resolve(&text);
    }
}

fn anchor_links_resolve(text: &str) {
    let mut anchors = text::Anchors::default();
    let headings: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| anchors.add(l.trim_start_matches('#').trim()))
        .collect();
    let mut rest = text;
    let mut checked = 0;
    while let Some(at) = rest.find("](#") {
        let tail = &rest[at + 3..];
        let end = tail.find(')').unwrap();
        let anchor = &tail[..end];
        assert!(
            headings.iter().any(|h| h == anchor),
            "no heading for #{anchor}; headings: {headings:?}"
        );
        checked += 1;
        rest = &tail[end..];
    }
    assert!(checked > 10);
}

#[test]
fn notes_survive_regeneration() {
    let (result, rootdir) = lint_suite("example-suite");
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("docs").join("test-isolation-audit.md");
    let request = request(&result, &rootdir, output.clone(), AuditFormat::Markdown);
    let first = write_report(&request).unwrap();
    assert_eq!(fs::read_to_string(&output).unwrap(), first);
    assert!(first.contains(NOTES_START) && first.contains(NOTES_END));

    let notes = "\n## Decisions\n\n- Owner: @data-platform | reviewed 2024-05-01\r\n- `test_graph.py` stays serial until Neo4j has per-worker databases.\n\n";
    let default_notes = extract_notes(&first).unwrap().unwrap();
    let edited = first.replacen(
        &format!("{NOTES_START}{default_notes}{NOTES_END}"),
        &format!("{NOTES_START}{notes}{NOTES_END}"),
        1,
    );
    assert_ne!(edited, first);
    fs::write(&output, &edited).unwrap();

    let second = write_report(&request).unwrap();
    assert_eq!(
        second, edited,
        "only the notes differ from a fresh report, and they are kept verbatim"
    );
    assert_eq!(
        extract_notes(&fs::read_to_string(&output).unwrap())
            .unwrap()
            .as_deref(),
        Some(notes)
    );
    // And again: regeneration is stable.
    assert_eq!(write_report(&request).unwrap(), edited);
}

#[test]
fn the_hint_of_earlier_versions_is_not_kept_as_notes() {
    let (result, rootdir) = lint_suite("clean-suite");
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("audit.md");
    let request = request(&result, &rootdir, output.clone(), AuditFormat::Markdown);
    let fresh = write_report(&request).unwrap();
    let hint = "_Owners, decisions, accepted risks: isolint keeps what is written between these comments._";
    let old = fresh.replacen(
        &format!("{NOTES_START}\n{NOTES_END}"),
        &format!("{NOTES_START}\n{hint}\n{NOTES_END}"),
        1,
    );
    assert_ne!(old, fresh);
    fs::write(&output, &old).unwrap();
    assert_eq!(write_report(&request).unwrap(), fresh);
}

#[test]
fn json_notes_survive_regeneration() {
    let (result, rootdir) = lint_suite("clean-suite");
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("audit.json");
    let request = request(&result, &rootdir, output.clone(), AuditFormat::Json);
    let first = write_report(&request).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&first).unwrap();
    value["notes"] = serde_json::Value::String("kept".into());
    fs::write(&output, serde_json::to_string(&value).unwrap()).unwrap();
    let second = write_report(&request).unwrap();
    let value: serde_json::Value = serde_json::from_str(&second).unwrap();
    assert_eq!(value["notes"], "kept");
}

#[test]
fn a_damaged_notes_section_is_never_overwritten() {
    let (result, rootdir) = lint_suite("clean-suite");
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("audit.md");
    let damaged =
        format!("# old report\n\n{NOTES_START}\nprecious notes, end marker deleted by mistake\n");
    fs::write(&output, &damaged).unwrap();
    let error = write_report(&request(
        &result,
        &rootdir,
        output.clone(),
        AuditFormat::Markdown,
    ))
    .unwrap_err();
    assert!(error.to_string().contains(NOTES_END), "{error}");
    assert_eq!(fs::read_to_string(&output).unwrap(), damaged);
}

fn leftovers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn an_interrupted_write_never_leaves_a_half_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("test-isolation-audit.md");
    let old = "# the previous report\n\nwhole and intact\n";
    fs::write(&output, old).unwrap();
    let new = "# the new report\n".repeat(1000);
    // The write fails half-way (disk full, killed writer): the old report stays whole.
    let error = write_atomically_with(&output, |file| {
        file.write_all(&new.as_bytes()[..new.len() / 2])?;
        Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
    })
    .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    assert_eq!(fs::read_to_string(&output).unwrap(), old);
    assert_eq!(
        leftovers(dir.path()),
        vec!["test-isolation-audit.md"],
        "the temporary file is removed"
    );

    // With no previous report, a failed write leaves no report at all rather than part of one.
    let fresh = dir.path().join("sub").join("fresh.md");
    let _ = write_atomically_with(&fresh, |file| {
        file.write_all(b"# half")?;
        Err(io::Error::other("interrupted"))
    });
    assert!(!fresh.exists());
    assert!(leftovers(&dir.path().join("sub")).is_empty());

    // A successful write replaces the report whole, creating the folder if needed.
    write_atomically(&fresh, new.as_bytes()).unwrap();
    assert_eq!(fs::read_to_string(&fresh).unwrap(), new);
    assert_eq!(leftovers(&dir.path().join("sub")), vec!["fresh.md"]);
}

#[test]
fn a_crash_before_the_rename_keeps_the_old_report() {
    // A writer killed after filling its temporary file but before renaming it: readers still see the
    // old report; the stray temporary file is hidden and never mistaken for the report.
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("audit.md");
    fs::write(&output, "old\n").unwrap();
    let stray = dir.path().join(".audit.md.99999.0.tmp");
    fs::write(&stray, "# half a rep").unwrap();
    write_atomically(&output, b"new\n").unwrap();
    assert_eq!(fs::read_to_string(&output).unwrap(), "new\n");
}

#[cfg(unix)]
#[test]
fn regeneration_keeps_the_file_mode_and_symlinks() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.md");
    fs::write(&target, "old\n").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("link.md");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    write_atomically(&link, b"new\n").unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_to_string(&target).unwrap(), "new\n");
    assert_eq!(
        fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

mod synthetic {
    //! A hand-made lint result exercising what the example suite cannot yet: families that ran and
    //! found Neo4j databases and order dependencies, a group spanning two modules, an unparsable file
    //! and a family turned off for the run. The facts come from real (in-memory) sources; the
    //! findings of the families that do not exist yet are made up.
    use super::*;
    use isolint_linter::diagnostic::FixSite;
    use isolint_linter::{Category, Diagnostic, Effort, Related, RuleMeta, Severity};
    use isolint_python::source::{Position, Span};

    static NEO4J: RuleMeta = RuleMeta {
        code: "ISO201",
        name: "shared-neo4j-database",
        category: Category::SharedResourceName,
        severity: Severity::Error,
        effort: Effort::Moderate,
        shared_effort: Effort::Moderate,
        summary: "Tests share one Neo4j database",
        doc: "",
    };
    static ORDER: RuleMeta = RuleMeta {
        code: "ISO401",
        name: "reads-other-tests-data",
        category: Category::OrderDependency,
        severity: Severity::Error,
        effort: Effort::Moderate,
        shared_effort: Effort::Moderate,
        summary: "A test reads what another test wrote",
        doc: "",
    };

    const SOURCES: [(&str, &str); 4] = [
        ("tests/test_broken.py", "def f(:\n    pass\n"),
        (
            "tests/conftest.py",
            "import pytest\n\n\n\n\n@pytest.fixture(scope=\"session\")\ndef neo4j_db():\n    return \"neo4j_test\"\n",
        ),
        (
            "tests/test_a.py",
            "import pytest\n\n\ndef test_one(neo4j_db):\n    pass\n\n\n@pytest.mark.parametrize(\"n\", [1, 2, 3, 4])\ndef test_two(neo4j_db, n):\n    pass\n",
        ),
        (
            "tests/test_b.py",
            "import pytest\n\n\n@pytest.mark.order(1)\ndef test_three(neo4j_db):\n    pass\n\n\ndef test_pure():\n    pass\n",
        ),
    ];

    fn rule(code: &str) -> &'static RuleMeta {
        isolint_linter::registry::find_rule(code).unwrap()
    }

    #[allow(clippy::too_many_arguments)]
    fn diagnostic(
        rule: &'static RuleMeta,
        file: &str,
        line: usize,
        message: &str,
        fix: &str,
        effort: Effort,
        test: Option<&str>,
        affected: &[&str],
        resource: Option<&str>,
        site: FixSite,
        related: Vec<Related>,
    ) -> Diagnostic {
        Diagnostic {
            rule,
            file: format!("suite/{file}"),
            span: Span::default(),
            start: Position { line, column: 5 },
            end: Position { line, column: 20 },
            message: message.into(),
            fix: fix.into(),
            autofix: None,
            effort,
            test: test.map(String::from),
            fixture: None,
            related,
            affected_tests: affected.iter().map(|s| s.to_string()).collect(),
            owner: None,
            resource: resource.map(String::from),
            site,
        }
    }

    fn result() -> LintResult {
        let inputs: Vec<SourceInput> = SOURCES
            .iter()
            .map(|(path, text)| SourceInput {
                path: PathBuf::from("/repo/suite").join(path),
                display: format!("suite/{path}"),
                node_path: path.to_string(),
                explicit: false,
                text: Some(text.to_string()),
            })
            .collect();
        let rules = RuleSet::default();
        let naming = Naming::default();
        let settings = Settings::default();
        let options = LintOptions {
            rules: &rules,
            naming: &naming,
            settings: &settings,
            per_file_ignores: &[],
            warn_unused_suppressions: false,
            project_files: None,
        };
        let mut result = lint(&inputs, &options);
        assert_eq!(result.files.iter().map(|f| f.tests.len()).sum::<usize>(), 4);
        let mut diagnostics: Vec<Diagnostic> = result
            .diagnostics
            .drain(..)
            .filter(|d| d.rule.code == "ISO002")
            .collect();
        assert_eq!(diagnostics.len(), 1);
        let all = [
            "tests/test_a.py::test_one",
            "tests/test_a.py::test_two",
            "tests/test_b.py::test_three",
        ];
        diagnostics.extend([
            diagnostic(
                &NEO4J,
                "tests/conftest.py",
                8,
                "fixture `neo4j_db` gives every test the database 'neo4j_test'",
                "name the database after `worker_id`",
                Effort::Moderate,
                None,
                &all,
                Some("neo4j:db:neo4j_test"),
                FixSite::Fixture,
                Vec::new(),
            ),
            diagnostic(
                rule("ISO101"),
                "tests/test_a.py",
                10,
                "test writes to the fixed path '/tmp/shared|out.txt'",
                "use `tmp_path`",
                Effort::Lines,
                Some("tests/test_a.py::test_two"),
                &["tests/test_a.py::test_two"],
                Some("path:/tmp/shared|out.txt"),
                FixSite::Test,
                Vec::new(),
            ),
            diagnostic(
                rule("ISO101"),
                "tests/test_b.py",
                6,
                "test writes to the fixed path '/tmp/shared|out.txt'",
                "use `tmp_path`",
                Effort::Lines,
                Some("tests/test_b.py::test_three"),
                &["tests/test_b.py::test_three"],
                Some("path:/tmp/shared|out.txt"),
                FixSite::Test,
                Vec::new(),
            ),
            diagnostic(
                &ORDER,
                "tests/test_b.py",
                7,
                "test reads the `Order` nodes that `test_one` creates",
                "create the nodes in this test",
                Effort::Moderate,
                Some("tests/test_b.py::test_three"),
                &["tests/test_b.py::test_three"],
                None,
                FixSite::Test,
                vec![Related {
                    file: "suite/tests/test_a.py".into(),
                    line: 4,
                    column: 5,
                    message: "`test_one` creates them here".into(),
                }],
            ),
        ]);
        diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        result.diagnostics = diagnostics;
        // Missing cleanup (which exists) was turned off; two families that do not exist yet "ran".
        result.categories_checked = [
            Category::HardcodedPath,
            Category::SharedResourceName,
            Category::OrderDependency,
            Category::Collection,
        ]
        .into();
        result
    }

    #[test]
    fn families_that_ran_are_reported_in_full() {
        let result = result();
        let rootdir = PathBuf::from("/repo/suite");
        let output = PathBuf::from("/repo/suite/docs/test-isolation-audit.md");
        let text = render(
            &request(&result, &rootdir, output, AuditFormat::Markdown),
            None,
        )
        .replace(env!("CARGO_PKG_VERSION"), "[version]");
        // The Neo4j family ran: its section gives requirements, not "not checked".
        let neo4j = section(&text, "4. Neo4j", "5. Order");
        assert!(
            neo4j.contains("db:neo4j_test") && neo4j.contains("Enterprise"),
            "{neo4j}"
        );
        let order = section(&text, "5. Order", "6. Effort");
        assert!(
            order.contains("`test_one` creates them") && order.contains("`order`"),
            "{order}"
        );
        // A resource shared across modules needs loadgroup: loadscope would split it.
        assert!(
            text.contains("**`pytest -n auto --dist loadgroup`**"),
            "{text}"
        );
        // Missing cleanup has rules but was turned off: say so.
        assert!(
            text.contains("Turned off for this run: module state, missing cleanup"),
            "{text}"
        );
        assert!(text.contains("could not be read or parsed"), "{text}");
        // `|` in a path cannot break a table row.
        assert!(text.contains("`/tmp/shared\\|out.txt`"), "{text}");
        insta::assert_snapshot!("synthetic_markdown", text);
    }
}

#[test]
fn an_empty_run_renders_plainly() {
    let result = LintResult {
        diagnostics: Vec::new(),
        files: Vec::new(),
        sources: Default::default(),
        categories_checked: Default::default(),
        codes_checked: Vec::new(),
    };
    let rootdir = PathBuf::from("/repo");
    for format in [AuditFormat::Markdown, AuditFormat::Json] {
        let text = render(
            &request(&result, &rootdir, rootdir.join("docs/audit.md"), format),
            None,
        );
        assert!(
            text.contains("No tests were found, but no isolation rule ran"),
            "{text}"
        );
    }
}

/// A large suite written by the test: many modules sharing fixtures from one `conftest.py` (one that
/// backs up and restores two files in the home folder, one that hands out a fixed folder, one that
/// opens a fixed database), classes whose setup leaks environment variables, module teardowns that
/// remove a fixed folder, and findings inside single tests; with long test names.
mod generated {
    use super::*;

    pub const MODULES: usize = 24;

    const CONFTEST: &str = r#"import os
import shutil
import sqlite3

import pytest

SHARED_OUT = "/tmp/gen-shared-out"


@pytest.fixture
def home_backup():
    rc = os.path.expanduser("~/.genrc")
    cfg = os.path.expanduser("~/.gen/config.toml")
    shutil.copy(rc, rc + ".bak")
    shutil.copy(cfg, cfg + ".bak")
    yield
    shutil.move(rc + ".bak", rc)
    shutil.move(cfg + ".bak", cfg)


@pytest.fixture
def shared_out():
    os.makedirs(SHARED_OUT, exist_ok=True)
    return SHARED_OUT


@pytest.fixture
def scratch_db():
    conn = sqlite3.connect("scratch.db")
    yield conn
    conn.close()
"#;

    fn module(i: usize) -> String {
        let mut text = format!(
            "import os\nimport shutil\n\nimport pytest\n\n\ndef teardown_module(module):\n    shutil.rmtree(\"build/gen-{i}\", ignore_errors=True)\n\n\n"
        );
        text.push_str(&format!(
            "def test_reads_the_configuration_through_every_layer_of_the_loader_{i}(home_backup):\n    assert True\n\n\n"
        ));
        text.push_str(&format!(
            "def test_writes_into_shared_folder_{i}(shared_out):\n    with open(os.path.join(shared_out, \"out-{i}.txt\"), \"w\") as fh:\n        fh.write(\"x\")\n\n\n"
        ));
        if i.is_multiple_of(2) {
            text.push_str(&format!(
                "def test_caches_results_{i}(scratch_db):\n    scratch_db.execute(\"select 1\")\n\n\n"
            ));
        }
        text.push_str(&format!(
            "def test_renders_report_{i}():\n    with open(\"/tmp/gen-report-{i}.html\", \"w\") as fh:\n        fh.write(\"<p>\")\n\n\n"
        ));
        text.push_str(&format!(
            "@pytest.mark.parametrize(\"n\", [1, 2, 3])\ndef test_pure_{i}(n):\n    assert n > 0\n\n\n"
        ));
        if i.is_multiple_of(3) {
            text.push_str(&format!(
                "def test_sets_two_flags_{i}():\n    os.environ.update({{\"GEN_A_{i}\": \"1\", \"GEN_B_{i}\": \"2\"}})\n\n\n"
            ));
        }
        text.push_str(&format!(
            "class TestBatch{i}:\n    def setup_method(self):\n        os.environ[\"GEN_BATCH_{i}\"] = \"5\"\n\n    def test_parsed(self):\n        assert True\n\n    def test_capped(self):\n        assert True\n"
        ));
        text
    }

    pub fn result() -> LintResult {
        let mut sources: Vec<(String, String)> = vec![("conftest.py".into(), CONFTEST.into())];
        for i in 0..MODULES {
            let folder = if i < MODULES / 2 {
                "unit"
            } else {
                "integration/pipelines"
            };
            sources.push((
                format!("{folder}/test_generated_module_{i:02}.py"),
                module(i),
            ));
        }
        let inputs: Vec<SourceInput> = sources
            .iter()
            .map(|(path, text)| SourceInput {
                path: PathBuf::from("/repo/gen").join(path),
                display: format!("gen/{path}"),
                node_path: path.clone(),
                explicit: false,
                text: Some(text.clone()),
            })
            .collect();
        let rules = RuleSet::default();
        let naming = Naming::default();
        let settings = Settings::default();
        lint(
            &inputs,
            &LintOptions {
                rules: &rules,
                naming: &naming,
                settings: &settings,
                per_file_ignores: &[],
                warn_unused_suppressions: false,
                project_files: None,
            },
        )
    }

    pub fn render_as(format: AuditFormat) -> String {
        let result = result();
        let rootdir = PathBuf::from("/repo/gen");
        render(
            &request(
                &result,
                &rootdir,
                rootdir.join("docs/test-isolation-audit.md"),
                format,
            ),
            None,
        )
        .replace(env!("CARGO_PKG_VERSION"), "[version]")
    }

    #[test]
    fn large_suite_report() {
        let text = render_as(AuditFormat::Markdown);
        // The fixture that backs up two home-folder files is one fix, not one per file.
        assert_eq!(
            text.matches("fixture `home_backup` in").count(),
            1,
            "{text}"
        );
        // Tests that write under a fixture's value are repaired by that fixture's one change.
        assert_eq!(text.matches("fixture `shared_out` in").count(), 1, "{text}");
        // Long lists are folded.
        assert!(text.contains("<details><summary>"), "{text}");
        // The per-test matrix stays in the JSON.
        assert!(!text.contains("| Test |"), "{text}");
        // Table cells hold no long unbreakable name (it would push the table past the page's width).
        for row in text.lines().filter(|l| l.starts_with('|')) {
            for span in row.split('`').skip(1).step_by(2) {
                assert!(span.chars().count() <= 36, "{span} in {row}");
            }
        }
        insta::assert_snapshot!("large_generated_markdown", text);
    }
}

/// A section's text, from its start to the next section's: under a heading (`## 4. Neo4j ...`), or
/// as a paragraph led by its name in bold when it has one thing to say.
fn section<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = |name: &str| {
        text.find(&format!("\n## {name}"))
            .or_else(|| text.find(&format!("\n**{name}")))
            .unwrap_or_else(|| panic!("no section {name} in\n{text}"))
    };
    &text[start(from)..start(to)]
}

/// The numbers a reader adds up: from the JSON, and as the Markdown prints them.
fn check_totals(json: &str, markdown: &str) {
    let audit: serde_json::Value = serde_json::from_str(json).unwrap();
    let n = |v: &serde_json::Value| v.as_u64().unwrap() as usize;
    let s = &audit["summary"];
    let tests = n(&s["tests"]);
    let needing = n(&s["tests_needing_fix"]);
    let safe = n(&s["parallel_safe_tests"]);
    let fixes = n(&s["fixes"]);
    assert_eq!(safe + needing, tests);
    // Every test that needs a fix is in the matrix, and each of its findings names a fix.
    let matrix = audit["tests"].as_array().unwrap();
    assert_eq!(matrix.len(), needing);
    let roots = audit["root_causes"].as_array().unwrap();
    let singles = audit["single_test_fixes"].as_array().unwrap();
    assert_eq!(roots.len() + singles.len(), fixes);
    let classes = audit["effort"]["classes"].as_array().unwrap();
    assert_eq!(classes.iter().map(|c| n(&c["fixes"])).sum::<usize>(), fixes);
    assert_eq!(
        classes
            .iter()
            .map(|c| n(&c["tests_unblocked"]))
            .sum::<usize>(),
        needing
    );
    assert_eq!(
        classes.iter().map(|c| n(&c["findings"])).sum::<usize>(),
        n(&s["findings"])
    );
    assert_eq!(n(&classes.last().unwrap()["parallel_safe_after"]), tests);
    let singles_by_effort: usize = audit["effort"]["single_test_fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| n(&c["count"]))
        .sum();
    assert_eq!(singles_by_effort, singles.len());
    // Tests through a root cause are the union of the roots' tests.
    let via: BTreeSet<&str> = roots
        .iter()
        .flat_map(|r| r["affected_tests"].as_array().unwrap())
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(via.len(), n(&s["tests_via_root_causes"]));
    // Every test needing a fix is covered by some fix, and nothing else is.
    let covered: BTreeSet<&str> = via
        .iter()
        .copied()
        .chain(singles.iter().map(|f| f["test"].as_str().unwrap()))
        .collect();
    let listed: BTreeSet<&str> = matrix
        .iter()
        .map(|t| t["node_id"].as_str().unwrap())
        .collect();
    assert_eq!(covered, listed);
    // Fix ids are unique and the ranking holds each once.
    let ranked: Vec<&str> = audit["effort"]["ranked_fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ranked.len(), fixes);
    assert_eq!(ranked.iter().collect::<BTreeSet<_>>().len(), fixes);
    // xdist groups: names and node ids for the plugin, every grouped test a known one.
    for group in audit["xdist"]["groups"].as_array().unwrap() {
        assert!(!group["name"].as_str().unwrap().is_empty());
        assert!(!group["tests"].as_array().unwrap().is_empty());
    }

    // The Markdown says the same numbers.
    if fixes > 0 {
        let percent = (safe * 100).checked_div(tests).unwrap_or(100);
        assert!(
            markdown.contains(&format!("{safe} of {tests} tests ({percent} %)")),
            "{markdown}"
        );
        let fixes_word = if fixes == 1 { "fix" } else { "fixes" };
        let need = if needing == 1 {
            "1 test needs a fix".to_string()
        } else {
            format!("{needing} tests need a fix")
        };
        assert!(markdown.contains(&need), "{markdown}");
        assert!(
            markdown.contains(&format!("down to {fixes} {fixes_word}")),
            "{markdown}"
        );
        assert!(
            markdown.contains(&format!(
                "the classes' fixes add up to {fixes} and their unblocked tests to {needing}"
            )),
            "{markdown}"
        );
        let top = audit["effort"]["top_fixes"].as_array().unwrap().len();
        let after = n(&audit["effort"]["parallel_safe_after_top_fixes"]);
        if top < fixes {
            assert!(
                markdown.contains(&format!("These {top} make {after} of {tests} tests")),
                "{markdown}"
            );
        }
        // Each effort class: fixes and unblocked tests as in the JSON.
        for c in classes.iter().filter(|c| n(&c["fixes"]) > 0) {
            let count = |k: usize, word: &str| {
                if k == 1 {
                    format!("1 {word}")
                } else if word == "fix" {
                    format!("{k} fixes")
                } else {
                    format!("{k} {word}s")
                }
            };
            let row = format!(
                "**{}:** {}, {} unblocked, {} parallel-safe after (",
                c["effort"].as_str().unwrap(),
                count(n(&c["fixes"]), "fix"),
                count(n(&c["tests_unblocked"]), "test"),
                n(&c["parallel_safe_after"])
            );
            assert!(markdown.contains(&row), "{row}\n{markdown}");
        }
        // Each checked family with findings: its findings and tests as in the JSON.
        for f in audit["families_checked"].as_array().unwrap() {
            let found = n(&f["findings"]);
            if !f["checked"].as_bool().unwrap() || found == 0 {
                continue;
            }
            let tests = match n(&f["tests_affected"]) {
                0 => "no test".to_string(),
                1 => "1 test".to_string(),
                k => format!("{k} tests"),
            };
            let findings = if found == 1 {
                "1 finding".to_string()
            } else {
                format!("{found} findings")
            };
            assert!(
                markdown.contains(&format!("{findings}, {tests}")),
                "{findings}, {tests}\n{markdown}"
            );
        }
        // Each root cause's heading counts its tests.
        for r in roots {
            let id = r["id"].as_str().unwrap();
            let count = r["affected_tests"].as_array().unwrap().len();
            assert!(
                markdown
                    .lines()
                    .any(|l| l.starts_with(&format!("#### {id}. "))
                        && l.ends_with(&format!("({count} tests)"))),
                "{id}\n{markdown}"
            );
        }
        // Each single-test fix appears once.
        for f in singles {
            let id = f["id"].as_str().unwrap();
            assert_eq!(markdown.matches(&format!("**{id}** ")).count(), 1, "{id}");
        }
    }
}

#[test]
fn totals_agree_across_the_report_and_the_json() {
    check_totals(
        &report("example-suite", AuditFormat::Json),
        &report("example-suite", AuditFormat::Markdown),
    );
    check_totals(
        &report("clean-suite", AuditFormat::Json),
        &report("clean-suite", AuditFormat::Markdown),
    );
    check_totals(
        &generated::render_as(AuditFormat::Json),
        &generated::render_as(AuditFormat::Markdown),
    );
}

#[test]
fn a_fix_names_every_variable_its_test_sets() {
    let text = report("example-suite", AuditFormat::Markdown);
    assert!(
        text.contains("`monkeypatch.setenv(\"CI\", ...)` and `monkeypatch.setenv(\"GRAPHFLOW_LOG_FORMAT\", ...)`"),
        "{text}"
    );
    // Never "safe today" while a test leaks environment variables.
    assert!(!text.contains("safe today"), "{text}");
}

#[test]
fn the_neo4j_section_is_one_line_unless_a_client_is_imported() {
    let render_sources = |sources: &[(&str, &str)]| {
        let inputs: Vec<SourceInput> = sources
            .iter()
            .map(|(path, text)| SourceInput {
                path: PathBuf::from("/repo/s").join(path),
                display: format!("s/{path}"),
                node_path: path.to_string(),
                explicit: false,
                text: Some(text.to_string()),
            })
            .collect();
        let rules = RuleSet::default();
        let naming = Naming::default();
        let settings = Settings::default();
        let result = lint(
            &inputs,
            &LintOptions {
                rules: &rules,
                naming: &naming,
                settings: &settings,
                per_file_ignores: &[],
                warn_unused_suppressions: false,
                project_files: None,
            },
        );
        let rootdir = PathBuf::from("/repo/s");
        let text = render(
            &request(
                &result,
                &rootdir,
                rootdir.join("docs/a.md"),
                AuditFormat::Markdown,
            ),
            None,
        );
        section(&text, "4. Neo4j", "5. Order").to_string()
    };
    let none = render_sources(&[("test_a.py", "import neo4jish\n\ndef test_a():\n    pass\n")]);
    assert!(
        none.contains("Not needed: no file imports a Neo4j client"),
        "{none}"
    );
    // An import inside a fixture's body counts.
    let inside = render_sources(&[
        (
            "conftest.py",
            "import pytest\n\n@pytest.fixture\ndef driver():\n    from neo4j import GraphDatabase\n    return GraphDatabase\n",
        ),
        ("test_a.py", "def test_a(driver):\n    pass\n"),
    ]);
    assert!(
        inside.contains("A Neo4j client is imported (`conftest.py`)"),
        "{inside}"
    );
}

#[cfg(unix)]
#[test]
fn only_a_writable_regular_file_is_read_and_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let (result, rootdir) = lint_suite("clean-suite");
    let dir = tempfile::tempdir().unwrap();
    let write =
        |output: PathBuf| write_report(&request(&result, &rootdir, output, AuditFormat::Markdown));
    // A folder, and a FIFO (opening it to read the old notes would block).
    let error = write(dir.path().to_path_buf()).unwrap_err();
    assert!(error.to_string().contains("not a regular file"), "{error}");
    let fifo = dir.path().join("report.fifo");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let error = write(fifo.clone()).unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
    }
    let protected = dir.path().join("audit.md");
    fs::write(&protected, "protected\n").unwrap();
    fs::set_permissions(&protected, fs::Permissions::from_mode(0o444)).unwrap();
    let error = write(protected.clone()).unwrap_err();
    assert!(error.to_string().contains("read-only"), "{error}");
    assert_eq!(fs::read_to_string(&protected).unwrap(), "protected\n");
    assert!(leftovers(dir.path()).iter().all(|n| !n.ends_with(".tmp")));
}
