//! Property tests over bad and odd input, on stable Rust (`cargo fuzz` needs nightly).
//!
//! Two kinds of generators feed the per-file analysis (parse, model, rules, facts) and the whole
//! pipeline (`lint` on in-memory files, project stage included):
//! - grammar-aware: Python-ish suites assembled from the pieces the rules look at (tests, fixtures,
//!   classes with setup/teardown, `with`/`try` nesting, path literals, environment writes, cleanups,
//!   suppression comments), then damaged now and then (a cut, a stray byte, CR line endings);
//! - byte-level: arbitrary text and arbitrary bytes made into text.
//!
//! Each case asserts that no file made isolint fail (a caught panic is an ISO001 "isolint failed on
//! this file") and that the output is the same on one thread and on four.
//!
//! `ISOLINT_FUZZ_CASES` sets the number of cases per property (default 64, a few seconds in CI); a
//! long run: `ISOLINT_FUZZ_CASES=20000 cargo test --release -p isolint_linter --test fuzz`.
//! Every crash found is kept: proptest records its seed in `proptest-regressions/fuzz.txt` (replayed
//! first on every run), and the minimal input goes into `tests/fuzz-regressions/` as a file, which
//! `fuzz_regressions_stay_fixed` lints on every run.

use isolint_linter::{lint, Diagnostic, LintOptions, LintResult, RuleSet, Settings, SourceInput};
use isolint_python::pytest_config::Naming;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use std::path::{Path, PathBuf};

fn cases() -> u32 {
    std::env::var("ISOLINT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        // Shrinking a whole suite is slow; the regression file keeps the seed anyway.
        max_shrink_iters: 2_000,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Running the pipeline
// ---------------------------------------------------------------------------------------------

fn inputs(files: &[(String, String)]) -> Vec<SourceInput> {
    files
        .iter()
        .map(|(name, text)| SourceInput {
            path: PathBuf::from(name),
            display: name.clone(),
            node_path: name.clone(),
            explicit: false,
            text: Some(text.clone()),
        })
        .collect()
}

fn lint_on(threads: usize, files: &[(String, String)]) -> LintResult {
    let rules = RuleSet::default();
    let naming = Naming::default();
    let settings = Settings::default();
    let inputs = inputs(files);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    pool.install(|| {
        lint(
            &inputs,
            &LintOptions {
                rules: &rules,
                naming: &naming,
                settings: &settings,
                per_file_ignores: &[],
                warn_unused_suppressions: true,
                project_files: None,
            },
        )
    })
}

/// Everything a reporter prints of a diagnostic.
fn shown(d: &Diagnostic) -> String {
    format!(
        "{}:{}:{}-{}:{} {} {} | {} | {:?} {:?} {:?} {:?} {:?} {:?}",
        d.file,
        d.start.line,
        d.start.column,
        d.end.line,
        d.end.column,
        d.rule.code,
        d.message,
        d.fix,
        d.effort,
        d.test,
        d.fixture,
        d.related,
        d.affected_tests,
        d.resource
    )
}

/// No file made isolint fail, and one thread and four give the same diagnostics.
fn check_suite(files: &[(String, String)]) -> Result<(), TestCaseError> {
    let one = lint_on(1, files);
    for d in &one.diagnostics {
        prop_assert!(
            !d.message.contains("isolint failed on this file"),
            "internal failure: {}\nfiles: {files:#?}",
            shown(d)
        );
        prop_assert!(d.start.line >= 1 && d.start.column >= 1, "{}", shown(d));
    }
    let four = lint_on(4, files);
    let a: Vec<String> = one.diagnostics.iter().map(shown).collect();
    let b: Vec<String> = four.diagnostics.iter().map(shown).collect();
    prop_assert_eq!(a, b, "output depends on the thread count");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Grammar-aware generators
// ---------------------------------------------------------------------------------------------

fn path_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("'/tmp/out.txt'".to_string()),
        Just("'/tmp/'".to_string()),
        Just("\"~/.cache/app\"".to_string()),
        Just("'report.json'".to_string()),
        Just("'db.sqlite'".to_string()),
        Just("':memory:'".to_string()),
        Just("f'/tmp/{name}'".to_string()),
        Just("r'C:\\temp\\x'".to_string()),
        Just("'''/tmp/multi\nline'''".to_string()),
        Just("b'/tmp/bytes'".to_string()),
        Just("os.path.join(tempfile.gettempdir(), 'x')".to_string()),
        Just("Path.home() / '.config'".to_string()),
        Just("tmp_path / 'ok'".to_string()),
        Just("BASE + '/sub'".to_string()),
        Just("'é/ünï/😀'".to_string()),
        "[a-z/._~]{0,12}".prop_map(|s| format!("'{s}'")),
    ]
}

fn env_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("'APP_MODE'".to_string()),
        Just("'HOME'".to_string()),
        Just("KEY".to_string()),
        Just("f'V_{i}'".to_string()),
        "[A-Z_]{1,6}".prop_map(|s| format!("'{s}'")),
    ]
}

/// One statement a test, fixture or helper might hold.
fn statement() -> impl Strategy<Value = String> {
    prop_oneof![
        path_literal().prop_map(|p| format!("open({p}, 'w').write('x')")),
        path_literal().prop_map(|p| format!("with open({p}, 'a') as f:\n    f.write('y')")),
        path_literal().prop_map(|p| format!("shutil.rmtree({p}, ignore_errors=True)")),
        path_literal().prop_map(|p| format!("os.makedirs({p}, exist_ok=True)")),
        path_literal().prop_map(|p| format!("sqlite3.connect({p})")),
        path_literal().prop_map(|p| format!("Path({p}).write_text('z')")),
        path_literal().prop_map(|p| format!("os.remove({p})")),
        path_literal().prop_map(|p| format!("assert os.path.exists({p})")),
        path_literal().prop_map(|p| format!("BASE = {p}")),
        path_literal().prop_map(|p| format!("os.chdir({p})")),
        env_key().prop_map(|k| format!("os.environ[{k}] = '1'")),
        env_key().prop_map(|k| format!("os.environ.pop({k}, None)")),
        env_key().prop_map(|k| format!("del os.environ[{k}]")),
        env_key().prop_map(|k| format!("os.environ.update({{{k}: 'x'}})")),
        env_key().prop_map(|k| format!("os.environ.setdefault({k}, 'y')")),
        env_key().prop_map(|k| format!("old = os.environ.get({k})")),
        env_key().prop_map(|k| format!("monkeypatch.setenv({k}, 'v')")),
        env_key().prop_map(|k| format!("self.addCleanup(os.environ.pop, {k})")),
        Just("os.environ.clear()".to_string()),
        Just("os.environ = saved".to_string()),
        Just("request.addfinalizer(restore_env)".to_string()),
        Just("global STATE\nSTATE = []".to_string()),
        Just("yield".to_string()),
        Just("yield BASE".to_string()),
        Just("return helper()".to_string()),
        Just("helper()".to_string()),
        Just("pass".to_string()),
        Just("x = lambda: open('/tmp/l', 'w')".to_string()),
        Just("items = [open(p, 'w') for p in ['/tmp/a', '/tmp/b']]".to_string()),
        Just("# isolint: ignore[ISO101]".to_string()),
        Just("open('/tmp/s', 'w')  # isolint: ignore[ISO101, ISO999]".to_string()),
        Just("async with lock:\n    await thing()".to_string()),
        Just("match x:\n    case 1:\n        pass".to_string()),
        "[ -~]{0,20}",
    ]
}

/// A block of statements, nested in `with`, `try`, `if`, `for` up to `depth`.
fn block(depth: u32) -> BoxedStrategy<Vec<String>> {
    let leaf = prop::collection::vec(statement(), 1..4).boxed();
    leaf.prop_recursive(depth, 24, 4, |inner| {
        (
            prop_oneof![
                Just("with mock.patch.dict(os.environ, {'A': '1'}):".to_string()),
                Just("with open('/tmp/w', 'w') as f:".to_string()),
                Just("try:".to_string()),
                Just("if flag:".to_string()),
                Just("for i in range(3):".to_string()),
                Just("while False:".to_string()),
                Just("def inner():".to_string()),
                Just("class Inner:".to_string()),
            ],
            inner.clone(),
            prop::collection::vec(statement(), 0..3),
        )
            .prop_map(|(head, body, after)| {
                let mut lines = vec![head.clone()];
                lines.extend(body.iter().flat_map(|s| indent(s)));
                if head == "try:" {
                    lines.push("finally:".into());
                    lines.push("    os.environ.pop('A', None)".into());
                }
                lines.extend(after);
                lines
            })
            .boxed()
    })
    .boxed()
}

fn indent(text: &str) -> Vec<String> {
    text.lines().map(|l| format!("    {l}")).collect()
}

/// A top-level definition: a test, a fixture, a helper, a test class, a unittest class, a hook.
fn definition() -> impl Strategy<Value = String> {
    let name = "[a-z]{1,6}";
    (0u8..9, name, block(3), any::<bool>()).prop_map(|(kind, name, body, flag)| {
        let body: Vec<String> = body.iter().flat_map(|s| indent(s)).collect();
        let body = body.join("\n");
        match kind {
            0 | 1 => format!("def test_{name}(monkeypatch, tmp_path, env_fixture):\n{body}\n"),
            2 => format!(
                "@pytest.fixture(scope='{}', autouse={flag})\ndef {name}_fixture(request):\n{body}\n",
                if flag { "session" } else { "function" }
            ),
            3 => format!("def {name}():\n{body}\n"),
            4 => format!(
                "class Test{name}:\n    def setup_method(self):\n        os.environ['S'] = '1'\n\n    def teardown_method(self):\n        os.environ.pop('S', None)\n\n    def test_{name}(self):\n{}\n",
                body.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
            ),
            5 => format!(
                "class {name}Case(unittest.TestCase):\n    def setUp(self):\n{}\n\n    def test_x(self):\n        pass\n",
                body.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
            ),
            6 => format!(
                "@pytest.mark.parametrize('n', [1, 2])\n@mock.patch.dict(os.environ, {{'Q': '1'}})\ndef test_{name}(n):\n{body}\n"
            ),
            7 => format!("def pytest_configure(config):\n{body}\n"),
            _ => format!("async def test_{name}():\n{body}\n"),
        }
    })
}

const PRELUDE: &str = "import os\nimport shutil\nimport sqlite3\nimport tempfile\nimport unittest\nfrom pathlib import Path\nfrom unittest import mock\n\nimport pytest\n\n";

fn module() -> impl Strategy<Value = String> {
    (prop::collection::vec(definition(), 0..6), any::<bool>()).prop_map(|(defs, prelude)| {
        let mut text = if prelude {
            PRELUDE.to_string()
        } else {
            String::new()
        };
        text.push_str(&defs.join("\n\n"));
        text
    })
}

/// Damage that real files have: a cut, a stray character, other line endings, a BOM, tabs.
fn damaged(text: String) -> impl Strategy<Value = String> {
    let len = text.len();
    (0u8..8, 0..=len, "[\\x00-\\x7f\u{80}-\u{10ffff}]{0,3}").prop_map(move |(how, at, junk)| {
        let at = floor_char_boundary(&text, at);
        match how {
            0 => text[..at].to_string(),
            1 => format!("{}{junk}{}", &text[..at], &text[at..]),
            2 => text.replace('\n', "\r"),
            3 => text.replace('\n', "\r\n"),
            4 => format!("\u{feff}{text}"),
            5 => text.replace("    ", "\t"),
            _ => text.clone(),
        }
    })
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A small suite: a root conftest, a test module, a nested module, a helper module.
fn suite() -> impl Strategy<Value = Vec<(String, String)>> {
    let file = || module().prop_flat_map(damaged);
    (file(), file(), file(), file()).prop_map(|(conftest, a, b, helpers)| {
        vec![
            ("conftest.py".to_string(), conftest),
            ("tests/test_a.py".to_string(), a),
            ("tests/sub/test_b.py".to_string(), b),
            ("tests/helpers.py".to_string(), helpers),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_suites_never_fail_and_are_deterministic(files in suite()) {
        check_suite(&files)?;
    }

    #[test]
    fn arbitrary_text_never_fails(text in "\\PC{0,400}", more in "[\\x00-\\x7f]{0,200}") {
        check_suite(&[
            ("tests/test_any.py".to_string(), text),
            ("conftest.py".to_string(), more),
        ])?;
    }

    #[test]
    fn arbitrary_bytes_never_fail(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        // Standard input reaches the pipeline as text: bytes become text the lossy way here.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        check_suite(&[("tests/test_bytes.py".to_string(), text)])?;
    }
}

// ---------------------------------------------------------------------------------------------
// Kept crashes
// ---------------------------------------------------------------------------------------------

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions")
}

/// Every input a fuzz run ever broke isolint with, linted as a test module next to a conftest.
#[test]
fn fuzz_regressions_stay_fixed() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(regressions_dir())
        .expect("tests/fuzz-regressions exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "the kept crashes are missing");
    for path in paths {
        let bytes = std::fs::read(&path).expect("read a regression");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let files = vec![
            ("tests/test_regression.py".to_string(), text.clone()),
            ("conftest.py".to_string(), text),
        ];
        if let Err(error) = check_suite(&files) {
            panic!("{}: {error}", path.display());
        }
    }
}

/// The grammar-aware generator reaches the rules: a generator that only made syntax errors (or only
/// clean code) would test nothing but the parser.
#[test]
fn generated_suites_reach_the_rules() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = suite();
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let files = strategy
            .new_tree(&mut runner)
            .expect("a generated suite")
            .current();
        codes.extend(lint_on(1, &files).diagnostics.iter().map(|d| d.rule.code));
    }
    for code in ["ISO002", "ISO101", "ISO103", "ISO501"] {
        assert!(
            codes.contains(code),
            "{code} never found in 40 suites: {codes:?}"
        );
    }
}
