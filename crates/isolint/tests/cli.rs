//! End-to-end tests: the real `isolint` binary on real files (the repository's fixture suites and
//! small projects written into temporary folders), checking exit status, stdout and stderr against
//! `../shared/spec/cli.md`.
//!
//! Accept new snapshots with `INSTA_UPDATE=always cargo test -p isolint --test cli`, then read them.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// What one run of the binary did.
struct Run {
    args: Vec<String>,
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Arguments, exit status, stdout and stderr, for a snapshot.
    fn transcript(&self) -> String {
        format!(
            "args: {}\nexit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of `isolint {}` is not JSON ({e}):\n{}",
                self.args.join(" "),
                self.stdout
            )
        })
    }

    /// The lines of stdout that are findings in the concise format (not the summary).
    fn finding_lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            // `path:line:col: CODE ...`; the summary lines name codes too, without a position.
            .filter(|l| {
                l.split_once(": ISO")
                    .is_some_and(|(place, _)| place.ends_with(|c: char| c.is_ascii_digit()))
            })
            .collect()
    }

    /// The codes of the findings of a `--output-format json` run.
    fn codes(&self) -> Vec<String> {
        self.json()
            .as_array()
            .expect("a JSON array")
            .iter()
            .map(|d| d["code"].as_str().expect("code").to_string())
            .collect()
    }

    fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code,
            expected,
            "unexpected exit status\n{}",
            self.transcript()
        );
        self
    }
}

/// The repository root (the workspace), so fixture paths in output are stable.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// Runs isolint in `dir` with `args` exactly as given, feeding `stdin` if any.
fn run_raw(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_isolint"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        // No cache in the repository's fixtures; tests/cache.rs tests it.
        .env("ISOLINT_NO_CACHE", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("isolint starts");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        // isolint may stop (usage error) before reading: a closed pipe is not a failure.
        if let Err(error) = pipe.write_all(input) {
            assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "write stdin");
        }
    }
    let output = child.wait_with_output().expect("isolint finishes");
    let run = Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: output
            .status
            .code()
            .expect("exited, not killed by a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    };
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "isolint panicked\n{}",
        run.transcript()
    );
    assert!(
        [0, 1, 2].contains(&run.code),
        "exit status outside 0-2\n{}",
        run.transcript()
    );
    run
}

/// `isolint ARGS --color never` in `dir` (for `check` and `audit`, which take `--color`).
fn isolint(dir: &Path, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    if !all.contains(&"--color") && all.first() != Some(&"audit") {
        all.extend(["--color", "never"]);
    }
    run_raw(dir, &all, None)
}

/// `isolint ARGS --color never` in the repository root.
fn in_repo(args: &[&str]) -> Run {
    isolint(&repo(), args)
}

/// A temporary project holding `files` (path, contents); folders are created as needed.
fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        write(dir.path(), path, text.as_bytes());
    }
    dir
}

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).expect("create folders");
    }
    std::fs::write(full, bytes).expect("write file");
}

/// Replaces the temporary folder's path by `[TMP]`, so snapshots do not depend on it.
fn redact(text: &str, dir: &Path) -> String {
    let mut out = text.to_string();
    if let Ok(canonical) = dir.canonicalize() {
        out = out.replace(&canonical.display().to_string(), "[TMP]");
    }
    out.replace(&dir.display().to_string(), "[TMP]")
}

/// Replaces the relative link prefix from the folder `dir` (where a report was written) to the
/// repository by `[REPO]/`, so the audit snapshot does not depend on where either lives.
fn redact_links(text: &str, dir: &Path) -> String {
    let from = dir.canonicalize().unwrap();
    let to = repo();
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut prefix = String::new();
    for _ in from.components().skip(common) {
        prefix.push_str("../");
    }
    for part in to.components().skip(common) {
        prefix.push_str(&part.as_os_str().to_string_lossy());
        prefix.push('/');
    }
    text.replace(&format!("]({prefix}"), "]([REPO]/")
}

const EXAMPLE: &str = "fixtures/example-suite";
const CLEAN: &str = "fixtures/clean-suite";

/// A test writing a fixed `/tmp` path: one ISO101 finding on line 2, column 5.
const TMP_WRITER: &str = "def test_writes():\n    open(\"/tmp/shared.txt\", \"w\")\n";

const CATEGORIES: [&str; 8] = [
    "hardcoded-path",
    "shared-resource-name",
    "module-state",
    "missing-cleanup",
    "order-dependency",
    "wide-fixture-scope",
    "collection",
    "config",
];
const EFFORTS: [&str; 3] = ["1-2 lines", "moderate refactor", "major redesign"];

// ---------------------------------------------------------------------------------------------
// 1. The example suite, concise
// ---------------------------------------------------------------------------------------------

#[test]
fn example_suite_concise_when_not_a_terminal() {
    let run = in_repo(&[EXAMPLE]);
    run.assert_code(1);
    assert!(run.stderr.is_empty(), "{}", run.transcript());
    for line in run.finding_lines() {
        assert!(line.starts_with("fixtures/example-suite/"), "{line}");
    }
    insta::assert_snapshot!("example_concise", run.transcript());
}

#[test]
fn concise_lines_follow_the_problem_matcher_format() {
    let run = in_repo(&[EXAMPLE, "--output-format", "concise", "--quiet"]);
    run.assert_code(1);
    assert!(!run.stdout.is_empty());
    for line in run.stdout.lines() {
        // path:line:col: CODE message
        let mut parts = line.splitn(4, ':');
        let path = parts.next().unwrap();
        let line_no: usize = parts.next().unwrap().parse().expect("line number");
        let column: usize = parts.next().unwrap().parse().expect("column number");
        let rest = parts.next().unwrap();
        // Configuration findings point into the project's files (pytest.ini here).
        assert!(
            (path.ends_with(".py") || path.ends_with(".ini")) && !path.contains('\\'),
            "{line}"
        );
        assert!(line_no >= 1 && column >= 1, "{line}");
        assert!(rest.starts_with(" ISO") && rest.len() > 8, "{line}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. JSON
// ---------------------------------------------------------------------------------------------

fn check_json_object(d: &Value) {
    let object = d.as_object().expect("each finding is an object");
    for key in [
        "code",
        "name",
        "category",
        "severity",
        "message",
        "fix",
        "effort",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "test",
        "fixture",
        "related",
    ] {
        assert!(object.contains_key(key), "missing `{key}` in {d}");
    }
    for key in ["code", "name", "severity", "message", "fix", "file"] {
        assert!(d[key].as_str().is_some_and(|s| !s.is_empty()), "{key}: {d}");
    }
    let code = d["code"].as_str().unwrap();
    assert!(
        code.len() == 6 && code.starts_with("ISO") && code[3..].chars().all(|c| c.is_ascii_digit()),
        "{d}"
    );
    assert!(CATEGORIES.contains(&d["category"].as_str().unwrap()), "{d}");
    assert!(EFFORTS.contains(&d["effort"].as_str().unwrap()), "{d}");
    assert!(
        ["error", "warning"].contains(&d["severity"].as_str().unwrap()),
        "{d}"
    );
    for key in ["line", "column", "end_line", "end_column"] {
        assert!(d[key].as_u64().is_some_and(|n| n >= 1), "{key}: {d}");
    }
    let start = (d["line"].as_u64(), d["column"].as_u64());
    let end = (d["end_line"].as_u64(), d["end_column"].as_u64());
    assert!(start <= end, "span ends before it starts: {d}");
    assert!(d["test"].is_null() || d["test"].as_str().is_some_and(|t| t.contains("::")));
    assert!(d["fixture"].is_null() || d["fixture"].is_string(), "{d}");
    for related in d["related"].as_array().expect("related is an array") {
        for key in ["file", "line", "column", "message"] {
            assert!(
                related.get(key).is_some_and(|v| !v.is_null()),
                "related.{key}: {d}"
            );
        }
        assert!(related["line"].as_u64().is_some_and(|n| n >= 1));
        assert!(related["column"].as_u64().is_some_and(|n| n >= 1));
    }
}

#[test]
fn example_suite_json() {
    let run = in_repo(&[EXAMPLE, "--output-format", "json"]);
    run.assert_code(1);
    let json = run.json();
    let list = json.as_array().expect("a JSON array");
    assert!(!list.is_empty());
    list.iter().for_each(check_json_object);
    // Sorted by file, line, column, code.
    let keys: Vec<(String, u64, u64, String)> = list
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "findings are not sorted");
    // Node ids are relative to pytest's rootdir (the folder of the suite's pytest.ini).
    assert!(list
        .iter()
        .any(|d| d["test"] == "test_reports.py::test_html_report_renders"));
    insta::assert_snapshot!("example_json", run.stdout);
}

#[test]
fn json_of_a_clean_suite_is_an_empty_array() {
    let run = in_repo(&[CLEAN, "--output-format", "json", "--select", "ALL"]);
    run.assert_code(0);
    assert_eq!(run.json(), serde_json::json!([]));
}

// ---------------------------------------------------------------------------------------------
// 3. Determinism
// ---------------------------------------------------------------------------------------------

#[test]
fn output_is_identical_across_threads_and_runs() {
    for format in ["json", "concise", "sarif"] {
        let one = in_repo(&[EXAMPLE, "--output-format", format, "--threads", "1"]);
        let two = in_repo(&[EXAMPLE, "--output-format", format, "--threads", "2"]);
        let again = in_repo(&[EXAMPLE, "--output-format", format, "--threads", "2"]);
        let default = in_repo(&[EXAMPLE, "--output-format", format]);
        assert_eq!(one.stdout, two.stdout, "{format}: --threads 1 vs 2");
        assert_eq!(two.stdout, again.stdout, "{format}: two runs");
        assert_eq!(one.stdout, default.stdout, "{format}: default threads");
        assert_eq!((one.code, two.code), (1, 1));
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Exit status
// ---------------------------------------------------------------------------------------------

#[test]
fn clean_suite_exits_zero() {
    let run = in_repo(&[CLEAN]);
    run.assert_code(0);
    assert!(run.finding_lines().is_empty(), "{}", run.transcript());
    assert!(run.stdout.starts_with("No findings in "), "{}", run.stdout);
}

#[test]
fn exit_zero_hides_findings_status_only() {
    let run = in_repo(&[EXAMPLE, "--exit-zero"]);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        in_repo(&[EXAMPLE]).stdout,
        "--exit-zero must not change the output"
    );
}

#[test]
fn missing_path_is_an_error() {
    for args in [
        &["fixtures/no-such-suite"][..],
        &["fixtures/no-such-suite", "--exit-zero"],
        &[EXAMPLE, "fixtures/no-such-suite"],
        &["check", "fixtures/no-such-suite"],
        &["audit", "fixtures/no-such-suite", "--output", "/dev/null"],
    ] {
        let run = in_repo(args);
        run.assert_code(2);
        assert!(
            run.stderr.contains("fixtures/no-such-suite") && run.stderr.contains("no such"),
            "{}",
            run.transcript()
        );
        assert!(run.stdout.is_empty(), "{}", run.transcript());
    }
    insta::assert_snapshot!(
        "missing_path",
        in_repo(&["fixtures/no-such-suite"]).transcript()
    );
}

#[test]
fn unknown_rule_selector_is_an_error() {
    for args in [
        &[EXAMPLE, "--select", "ISO999"][..],
        &[EXAMPLE, "--ignore", "nope"],
        &[EXAMPLE, "--extend-select", "ISO8"],
        &[EXAMPLE, "--select", "ISO999", "--exit-zero"],
    ] {
        let run = in_repo(args);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{}", run.transcript());
        assert!(
            run.stderr.contains("matches no rule"),
            "{}",
            run.transcript()
        );
    }
    insta::assert_snapshot!(
        "unknown_select",
        in_repo(&[EXAMPLE, "--select", "ISO999"]).transcript()
    );
}

#[test]
fn usage_errors_exit_two() {
    for args in [
        &["--output-format", "xml"][..],
        &["--no-such-flag"],
        &["--threads", "many"],
        &["rule"],
    ] {
        run_raw(&repo(), args, None).assert_code(2);
    }
}

#[test]
fn broken_config_is_an_error_that_points_at_the_line() {
    let dir = project(&[
        ("isolint.toml", "select = [\"ISO1\"]\nbogus-key = 1\n"),
        ("tests/test_a.py", TMP_WRITER),
    ]);
    for args in [&[][..], &["tests"], &["--exit-zero"], &["audit", "tests"]] {
        let run = isolint(dir.path(), args);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{}", run.transcript());
        assert!(run.stderr.contains("isolint.toml"), "{}", run.transcript());
        assert!(run.stderr.contains("bogus-key = 1"), "{}", run.transcript());
        assert!(run.stderr.contains("unknown field"), "{}", run.transcript());
        // Line 2, column 1.
        assert!(
            run.stderr.contains("isolint.toml:2:1"),
            "{}",
            run.transcript()
        );
    }
    let run = isolint(dir.path(), &[]);
    // The snippet (the message above it wraps at a width that depends on the temp folder's path).
    let stderr = redact(&run.stderr, dir.path());
    let snippet = &stderr[stderr.find("╭─[").expect("a source snippet")..];
    insta::assert_snapshot!("broken_config", snippet);
    // --isolated ignores the broken file.
    isolint(dir.path(), &["--isolated"]).assert_code(1);
}

#[test]
fn bad_values_in_config_are_errors() {
    let cases = [
        ("isolint.toml", "select = \"ISO1\"\n", "select"),
        ("isolint.toml", "select = [\"ISO777\"]\n", "ISO777"),
        ("isolint.toml", "[rules]\nbogus = []\n", "bogus"),
        ("isolint.toml", "select = [\n", "isolint.toml"),
        (
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.isolint]\nignore = [\"ISO5\"]\ntypo = true\n",
            "typo = true",
        ),
    ];
    for (name, text, expected) in cases {
        let dir = project(&[(name, text), ("tests/test_a.py", TMP_WRITER)]);
        let run = isolint(dir.path(), &[]);
        run.assert_code(2);
        assert!(
            run.stderr.contains(expected),
            "{name}: {}",
            run.transcript()
        );
        assert!(run.stderr.contains(name), "{name}: {}", run.transcript());
    }
}

#[test]
fn explicit_config_file() {
    let dir = project(&[
        ("tests/test_a.py", TMP_WRITER),
        ("other.toml", "ignore = [\"ISO101\"]\n"),
        ("broken.toml", "nope = 1\n"),
    ]);
    isolint(dir.path(), &[]).assert_code(1);
    isolint(dir.path(), &["--config", "other.toml"]).assert_code(0);
    isolint(dir.path(), &["--config", "broken.toml"]).assert_code(2);
    let run = isolint(dir.path(), &["--config", "missing.toml"]);
    run.assert_code(2);
    assert!(run.stderr.contains("missing.toml"), "{}", run.transcript());
}

// ---------------------------------------------------------------------------------------------
// 5. Every format
// ---------------------------------------------------------------------------------------------

#[test]
fn json_lines_format() {
    let run = in_repo(&[EXAMPLE, "--output-format", "json-lines"]);
    run.assert_code(1);
    let objects: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    objects.iter().for_each(check_json_object);
    let array = in_repo(&[EXAMPLE, "--output-format", "json"]).json();
    assert_eq!(Value::Array(objects), array, "json-lines and json disagree");
}

#[test]
fn github_format() {
    let run = in_repo(&[EXAMPLE, "--output-format", "github"]);
    run.assert_code(1);
    assert!(!run.stdout.is_empty());
    for line in run.stdout.lines() {
        assert!(
            line.starts_with("::error file=fixtures/example-suite/")
                || line.starts_with("::warning file=fixtures/example-suite/"),
            "{line}"
        );
        assert!(
            line.contains(",line=") && line.contains(",title=isolint (ISO"),
            "{line}"
        );
    }
    assert_eq!(run.stdout.lines().count(), 35);
    insta::assert_snapshot!("example_github", run.stdout);
}

#[test]
fn github_format_escapes_properties() {
    let dir = project(&[("tests/test_a,b:c.py", TMP_WRITER)]);
    let run = isolint(dir.path(), &["--output-format", "github"]);
    run.assert_code(1);
    assert!(
        run.stdout
            .starts_with("::error file=tests/test_a%2Cb%3Ac.py,line=2,col=5,"),
        "{}",
        run.stdout
    );
}

#[test]
fn gitlab_format() {
    let run = in_repo(&[EXAMPLE, "--output-format", "gitlab"]);
    run.assert_code(1);
    let json = run.json();
    let list = json.as_array().expect("an array");
    assert_eq!(list.len(), 35);
    let mut fingerprints = std::collections::BTreeSet::new();
    for issue in list {
        assert!(issue["description"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(issue["check_name"]
            .as_str()
            .is_some_and(|s| s.starts_with("ISO")));
        assert!(["info", "minor", "major", "critical", "blocker"]
            .contains(&issue["severity"].as_str().unwrap_or("")));
        assert!(issue["location"]["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("fixtures/example-suite/")));
        assert!(issue["location"]["lines"]["begin"]
            .as_u64()
            .is_some_and(|n| n >= 1));
        assert!(fingerprints.insert(
            issue["fingerprint"]
                .as_str()
                .expect("fingerprint")
                .to_string()
        ));
    }
}

#[test]
fn sarif_format() {
    let run = in_repo(&[EXAMPLE, "--output-format", "sarif"]);
    run.assert_code(1);
    let sarif = run.json();
    assert_eq!(sarif["version"], "2.1.0");
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "isolint");
    assert!(driver["version"].is_string() && driver["informationUri"].is_string());
    let rules = driver["rules"].as_array().expect("rules");
    assert!(!rules.is_empty());
    for rule in rules {
        for key in [
            "id",
            "name",
            "shortDescription",
            "fullDescription",
            "helpUri",
        ] {
            assert!(!rule[key].is_null(), "rule.{key}: {rule}");
        }
        assert!(rule["defaultConfiguration"]["level"].is_string(), "{rule}");
    }
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 35);
    for result in results {
        assert!(result["ruleId"]
            .as_str()
            .is_some_and(|s| s.starts_with("ISO")));
        assert!(result["level"].is_string() && result["message"]["text"].is_string());
        let location = &result["locations"][0]["physicalLocation"];
        assert!(location["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("fixtures/example-suite/")));
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(
                location["region"][key].as_u64().is_some(),
                "{key}: {result}"
            );
        }
        assert!(result["partialFingerprints"].is_object(), "{result}");
    }
    // The ISO104 finding points at the constant `CACHE_DB` as a related location.
    assert!(results.iter().any(|r| r["relatedLocations"]
        .as_array()
        .is_some_and(|l| !l.is_empty())));
}

#[test]
fn junit_format() {
    let run = in_repo(&[EXAMPLE, "--output-format", "junit"]);
    run.assert_code(1);
    assert!(run.stdout.starts_with("<?xml"), "{}", run.stdout);
    assert!(run.stdout.trim_end().ends_with("</testsuites>"));
    assert_eq!(run.stdout.matches("<failure ").count(), 35);
    assert_eq!(
        run.stdout.matches("<failure ").count(),
        run.stdout.matches("</failure>").count()
    );
    assert!(run
        .stdout
        .contains("<testcase name=\"fixtures/example-suite/test_cache.py\""));
}

#[test]
fn pylint_format() {
    let run = in_repo(&[EXAMPLE, "--output-format", "pylint"]);
    run.assert_code(1);
    assert_eq!(run.stdout.lines().count(), 35);
    for line in run.stdout.lines() {
        let (location, rest) = line.split_once(": [").expect("path:line: [CODE]");
        let (path, line_no) = location.rsplit_once(':').unwrap();
        assert!(path.ends_with(".py") || path.ends_with(".ini"), "{line}");
        line_no.parse::<usize>().expect("line number");
        assert!(
            rest.starts_with("ISO") && rest[6..].starts_with("] "),
            "{line}"
        );
    }
}

#[test]
fn full_format() {
    let run = in_repo(&[EXAMPLE, "--output-format", "full"]);
    run.assert_code(1);
    for code in ["ISO101", "ISO102", "ISO103", "ISO104", "ISO105", "ISO501"] {
        assert!(run.stdout.contains(code), "{code} missing");
    }
    assert!(run.stdout.contains("help:"), "{}", run.stdout);
    assert!(!run.stdout.contains('\u{1b}'), "colour with --color never");

    // One finding in a small file, whole.
    let dir = project(&[("tests/test_a.py", TMP_WRITER)]);
    let run = isolint(dir.path(), &["--output-format", "full"]);
    run.assert_code(1);
    insta::assert_snapshot!("full_one_finding", run.transcript());
}

#[test]
fn color_always_and_never() {
    let dir = project(&[("tests/test_a.py", TMP_WRITER)]);
    let plain = run_raw(
        dir.path(),
        &["--output-format", "full", "--color", "never"],
        None,
    );
    assert!(!plain.stdout.contains('\u{1b}'));
    let auto = run_raw(dir.path(), &["--output-format", "full"], None);
    assert!(
        !auto.stdout.contains('\u{1b}'),
        "auto on a pipe has no colour"
    );
    let coloured = run_raw(
        dir.path(),
        &["--output-format", "full", "--color", "always"],
        None,
    );
    assert!(coloured.stdout.contains('\u{1b}'), "{}", coloured.stdout);
}

#[test]
fn statistics() {
    let run = in_repo(&[EXAMPLE, "--statistics"]);
    run.assert_code(1);
    insta::assert_snapshot!("example_statistics", run.transcript());
    let total: usize = run
        .stdout
        .lines()
        .map(|l| {
            l.split('\t')
                .next()
                .unwrap()
                .parse::<usize>()
                .expect("count")
        })
        .sum();
    assert_eq!(total, 35);
    in_repo(&[CLEAN, "--statistics"]).assert_code(0);
}

#[test]
fn quiet_drops_the_summary() {
    let run = in_repo(&[EXAMPLE, "--quiet"]);
    run.assert_code(1);
    assert_eq!(run.stdout.lines().count(), 35);
    assert!(!run.stdout.contains("Found "));
    let summary = in_repo(&[EXAMPLE]);
    assert!(summary.stdout.contains("Found 35 findings"));
    // Machine formats never carry the summary.
    assert!(!in_repo(&[EXAMPLE, "--output-format", "pylint"])
        .stdout
        .contains("Found "));
}

// ---------------------------------------------------------------------------------------------
// 6. Selection, per-file-ignores and exclude
// ---------------------------------------------------------------------------------------------

#[test]
fn select_by_prefix() {
    let run = in_repo(&[EXAMPLE, "--select", "ISO5", "--output-format", "json"]);
    run.assert_code(1);
    let codes = run.codes();
    assert!(!codes.is_empty());
    assert!(codes.iter().all(|c| c == "ISO501"), "{codes:?}");
}

#[test]
fn ignore_by_prefix() {
    let run = in_repo(&[EXAMPLE, "--ignore", "ISO1", "--output-format", "json"]);
    run.assert_code(1);
    let codes = run.codes();
    assert!(!codes.is_empty());
    assert!(codes.iter().all(|c| !c.starts_with("ISO1")), "{codes:?}");
}

#[test]
fn select_by_name_and_category() {
    let by_name = in_repo(&[
        EXAMPLE,
        "--select",
        "hardcoded-tmp-path",
        "--output-format",
        "json",
    ]);
    by_name.assert_code(1);
    let codes = by_name.codes();
    assert_eq!(codes.len(), 4);
    assert!(codes.iter().all(|c| c == "ISO101"), "{codes:?}");
    let by_category = in_repo(&[
        EXAMPLE,
        "--select",
        "missing-cleanup",
        "--output-format",
        "json",
    ]);
    assert!(by_category.codes().iter().all(|c| c == "ISO501"));
    let combined = in_repo(&[
        EXAMPLE,
        "--select",
        "ISO101,environ-leak",
        "--output-format",
        "json",
    ]);
    let codes = combined.codes();
    assert_eq!(codes.len(), 7, "{codes:?}");
    assert!(
        codes.iter().all(|c| c == "ISO101" || c == "ISO501"),
        "{codes:?}"
    );
    let extended = in_repo(&[
        EXAMPLE,
        "--select",
        "ISO101",
        "--extend-select",
        "ISO104",
        "--output-format",
        "json",
    ]);
    assert_eq!(extended.codes().len(), 5);
    // Selecting a rule that finds nothing: exit 0, and the summary says what was checked.
    let none = in_repo(&[EXAMPLE, "--select", "ISO003"]);
    none.assert_code(0);
}

#[test]
fn config_selection_per_file_ignores_and_exclude() {
    let config = "\
ignore = [\"ISO105\"]
extend-exclude = [\"tests/legacy/**\"]

[per-file-ignores]
\"tests/integration/*\" = [\"ISO1\"]
";
    let home_writer = "from pathlib import Path\n\n\ndef test_home():\n    (Path.home() / \"x.txt\").write_text(\"x\")\n";
    let files = [
        ("tests/test_a.py", TMP_WRITER),
        ("tests/test_home.py", home_writer),
        ("tests/legacy/test_old.py", TMP_WRITER),
        ("tests/integration/test_int.py", TMP_WRITER),
    ];
    // "file CODE" for each finding of `isolint ARGS` run in `cwd`.
    let check = |cwd: &Path, args: &[&str]| -> Vec<String> {
        let mut all = args.to_vec();
        all.extend(["--output-format", "json"]);
        let run = isolint(cwd, &all);
        run.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{} {}",
                    d["file"].as_str().unwrap(),
                    d["code"].as_str().unwrap()
                )
            })
            .collect()
    };

    // isolint.toml
    let dir = project(&files);
    write(dir.path(), "isolint.toml", config.as_bytes());
    assert_eq!(check(dir.path(), &[]), ["tests/test_a.py ISO101"]);
    // The same from another folder: exclude globs are relative to the project, not the cwd.
    let parent = dir.path().parent().unwrap();
    let name = dir.path().file_name().unwrap().to_str().unwrap();
    let target = format!("{name}/tests");
    assert_eq!(
        check(parent, &[&target]),
        [format!("{name}/tests/test_a.py ISO101")]
    );
    let absolute = dir.path().join("tests").display().to_string();
    assert_eq!(check(parent, &[&absolute]).len(), 1);
    let inside = dir.path().join("tests");
    assert_eq!(check(&inside, &["."]), ["test_a.py ISO101"]);
    // Command-line --select replaces the configured selection; ignore still applies.
    assert_eq!(
        check(dir.path(), &["--select", "ISO105"]),
        Vec::<String>::new()
    );
    // --isolated: everything.
    assert_eq!(check(dir.path(), &["--isolated"]).len(), 4);

    // [tool.isolint] in pyproject.toml, same keys.
    let dir = project(&files);
    let pyproject = format!(
        "[project]\nname = \"demo\"\n\n[tool.isolint]\n{}",
        config.replace("[per-file-ignores]", "[tool.isolint.per-file-ignores]")
    );
    write(dir.path(), "pyproject.toml", pyproject.as_bytes());
    assert_eq!(check(dir.path(), &[]), ["tests/test_a.py ISO101"]);

    // `exclude` (globs or plain names) is honoured too.
    let dir = project(&files);
    write(
        dir.path(),
        "isolint.toml",
        b"exclude = [\"test_a.py\", \"integration\"]\n",
    );
    let found = check(dir.path(), &[]);
    assert_eq!(
        found,
        [
            "tests/legacy/test_old.py ISO101",
            "tests/test_home.py ISO105"
        ]
    );
    // A file named on the command line is linted whatever the exclusions say.
    assert_eq!(
        check(dir.path(), &["tests/test_a.py"]),
        ["tests/test_a.py ISO101"]
    );
}

#[test]
fn ignore_files_and_no_ignore() {
    let dir = project(&[
        ("tests/test_a.py", TMP_WRITER),
        ("tests/generated/test_gen.py", TMP_WRITER),
        ("tests/.hidden/test_h.py", TMP_WRITER),
        (".isolintignore", "tests/generated/\n"),
    ]);
    let run = isolint(dir.path(), &["--quiet"]);
    assert_eq!(run.finding_lines(), ["tests/test_a.py:2:5: ISO101 [*] test writes to the fixed path '/tmp/shared.txt', shared by every worker"]);
    let run = isolint(dir.path(), &["--quiet", "--no-ignore"]);
    let lines = run.finding_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("tests/generated/test_gen.py:"));
}

// ---------------------------------------------------------------------------------------------
// 7. Suppressions
// ---------------------------------------------------------------------------------------------

const SUPPRESSIONS: &str = "\
def test_same_line():
    open(\"/tmp/a\", \"w\")  # isolint: ignore[ISO101]


def test_line_above():
    # isolint: ignore[ISO101]
    open(\"/tmp/b\", \"w\")


def test_noqa():
    open(\"/tmp/c\", \"w\")  # noqa: ISO101


def test_bare_noqa_is_not_honoured():
    open(\"/tmp/d\", \"w\")  # noqa


def test_other_rule_suppressed():
    open(\"/tmp/e\", \"w\")  # isolint: ignore[ISO501]


def test_by_name():
    open(\"/tmp/f\", \"w\")  # isolint: ignore[hardcoded-tmp-path]


def test_nothing_to_suppress():
    x = 1  # isolint: ignore[ISO101]
";

#[test]
fn suppressions() {
    let dir = project(&[("tests/test_s.py", SUPPRESSIONS)]);
    let run = isolint(dir.path(), &["--quiet"]);
    run.assert_code(1);
    assert_eq!(
        run.finding_lines(),
        [
            "tests/test_s.py:15:5: ISO101 [*] test writes to the fixed path '/tmp/d', shared by every worker",
            "tests/test_s.py:19:5: ISO101 [*] test writes to the fixed path '/tmp/e', shared by every worker",
        ]
    );

    let run = isolint(dir.path(), &["--warn-unused-ignores"]);
    run.assert_code(1);
    insta::assert_snapshot!("suppressions_unused", run.transcript());
    let codes: Vec<&str> = run
        .finding_lines()
        .iter()
        .map(|l| l.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        codes,
        // ISO003 points at the comment, after the finding on the same line.
        ["ISO101", "ISO101", "ISO003", "ISO003"],
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("tests/test_s.py:27:"), "{}", run.stdout);

    // ISO003 is never reported without the flag, even when selected.
    let run = isolint(dir.path(), &["--select", "ISO003"]);
    run.assert_code(0);
}

#[test]
fn file_wide_suppression() {
    let text = format!("# isolint: ignore-file[ISO1]\nimport os\n\n\n{}\n\ndef test_env():\n    os.environ[\"X\"] = \"1\"\n", TMP_WRITER);
    let dir = project(&[("tests/test_f.py", &text)]);
    let run = isolint(dir.path(), &["--quiet", "--output-format", "json"]);
    run.assert_code(1);
    assert_eq!(run.codes(), ["ISO501"]);

    // At the end of the file too, and unused: reported with --warn-unused-ignores.
    let text =
        format!("{TMP_WRITER}# isolint: ignore-file[ISO101]\n# isolint: ignore-file[ISO5]\n");
    let dir = project(&[("tests/test_f.py", &text)]);
    isolint(dir.path(), &[]).assert_code(0);
    let run = isolint(dir.path(), &["--warn-unused-ignores", "--quiet"]);
    run.assert_code(1);
    assert_eq!(run.finding_lines().len(), 1, "{}", run.stdout);
    assert!(
        run.stdout.starts_with("tests/test_f.py:4:1: ISO003"),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Standard input
// ---------------------------------------------------------------------------------------------

#[test]
fn stdin_with_filename() {
    let dir = project(&[]);
    let source = "import os\n\n\ndef test_x():\n    os.environ[\"A\"] = \"1\"\n    open(\"/tmp/q\", \"w\")\n";
    let args = [
        "check",
        "--stdin-filename",
        "tests/test_x.py",
        "-",
        "--output-format",
        "json",
    ];
    let run = run_raw(dir.path(), &args, Some(source.as_bytes()));
    run.assert_code(1);
    let json = run.json();
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), 2);
    for d in list {
        check_json_object(d);
        assert_eq!(d["file"], "tests/test_x.py");
        assert_eq!(d["test"], "tests/test_x.py::test_x");
    }
    // Concise, and the file named need not exist.
    let run = run_raw(
        dir.path(),
        &[
            "check",
            "--stdin-filename",
            "tests/test_x.py",
            "-",
            "--output-format",
            "concise",
            "--quiet",
        ],
        Some(source.as_bytes()),
    );
    assert_eq!(run.stdout.lines().count(), 2);
    assert!(
        run.stdout.starts_with("tests/test_x.py:5:5: ISO501"),
        "{}",
        run.stdout
    );
    // Nothing on stdin.
    let run = run_raw(
        dir.path(),
        &["check", "--stdin-filename", "tests/test_x.py", "-"],
        Some(b""),
    );
    run.assert_code(0);
    // The config is found and honoured for stdin too.
    write(dir.path(), "isolint.toml", b"ignore = [\"ISO5\"]\n");
    let run = run_raw(
        dir.path(),
        &[
            "check",
            "--stdin-filename",
            "tests/test_x.py",
            "-",
            "--output-format",
            "json",
        ],
        Some(source.as_bytes()),
    );
    assert_eq!(run.codes(), ["ISO101"]);
}

#[test]
fn stdin_filename_locates_the_project() {
    // An editor runs isolint from anywhere and passes the file's absolute path.
    let dir = project(&[("isolint.toml", "ignore = [\"ISO5\"]\n")]);
    let source = "import os\n\n\ndef test_x():\n    os.environ[\"A\"] = \"1\"\n    open(\"/tmp/q\", \"w\")\n";
    let name = dir.path().join("tests/test_x.py").display().to_string();
    let parent = dir.path().parent().unwrap();
    let folder = dir.path().file_name().unwrap().to_str().unwrap();
    let args = [
        "check",
        "--stdin-filename",
        &name,
        "-",
        "--output-format",
        "json",
    ];
    for cwd in [parent, dir.path(), &dir.path().join("tests")] {
        std::fs::create_dir_all(cwd).unwrap();
        let run = run_raw(cwd, &args, Some(source.as_bytes()));
        run.assert_code(1);
        let json = run.json();
        assert_eq!(run.codes(), ["ISO101"], "the project's config applies");
        assert_eq!(json[0]["test"], "tests/test_x.py::test_x");
        let expected = if cwd == parent {
            format!("{folder}/tests/test_x.py")
        } else if cwd == dir.path() {
            "tests/test_x.py".to_string()
        } else {
            "test_x.py".to_string()
        };
        assert_eq!(json[0]["file"], expected.as_str());
    }
}

#[test]
fn stdin_errors() {
    let dir = project(&[]);
    let run = run_raw(dir.path(), &["check", "-"], Some(b"x = 1\n"));
    run.assert_code(2);
    assert!(
        run.stderr.contains("--stdin-filename"),
        "{}",
        run.transcript()
    );
    let run = run_raw(dir.path(), &["-"], Some(b"x = 1\n"));
    run.assert_code(2);
    let run = run_raw(
        dir.path(),
        &["check", "--stdin-filename", "tests/test_x.py", "."],
        None,
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("--stdin-filename"),
        "{}",
        run.transcript()
    );
    // Non-UTF-8 standard input is not a crash.
    let run = run_raw(
        dir.path(),
        &["check", "--stdin-filename", "test_x.py", "-"],
        Some(b"x = '\xff'\n"),
    );
    assert!(run.code == 1 || run.code == 2, "{}", run.transcript());
}

// ---------------------------------------------------------------------------------------------
// 9. Bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_files_are_diagnostics_and_the_run_goes_on() {
    let dir = project(&[
        ("tests/test_ok.py", TMP_WRITER),
        ("tests/test_empty.py", ""),
        ("tests/test_comments.py", "# only a comment\n# and another\n"),
        (
            "tests/test_syntax.py",
            "def test_broken(:\n    pass\n\n\ndef test_fine():\n    open(\"/tmp/after-error\", \"w\")\n",
        ),
    ]);
    write(dir.path(), "tests/test_latin1.py", b"# caf\xe9\nx = 1\n");
    write(
        dir.path(),
        "tests/test_nul.py",
        b"x = 1\x00\nopen('/tmp/y', 'w')\n",
    );
    let run = isolint(dir.path(), &[]);
    run.assert_code(1);
    insta::assert_snapshot!("bad_files", run.transcript());
    let lines = run.finding_lines();
    assert!(lines
        .iter()
        .any(|l| l.starts_with("tests/test_latin1.py:1:") && l.contains("ISO001")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("tests/test_nul.py:") && l.contains("ISO001")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("tests/test_syntax.py:1:") && l.contains("ISO002")));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tests/test_syntax.py:6:5: ISO101")),
        "a finding after the syntax error is still reported: {lines:?}"
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with("tests/test_ok.py:2:5: ISO101")));
    assert!(!lines
        .iter()
        .any(|l| l.contains("test_empty") || l.contains("test_comments")));

    // ISO001/ISO002 obey --select and --ignore like any rule.
    let run = isolint(dir.path(), &["--ignore", "ISO001,ISO002", "--quiet"]);
    assert!(!run.stdout.contains("ISO00"), "{}", run.stdout);
    // All JSON fields are present for file-level diagnostics too.
    isolint(dir.path(), &["--output-format", "json"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .for_each(check_json_object);
}

#[test]
fn empty_and_comment_only_files_are_clean() {
    let dir = project(&[
        ("tests/test_empty.py", ""),
        ("tests/test_comments.py", "# nothing here\n"),
        ("tests/test_blank.py", "\n\n\n"),
        ("tests/test_docstring.py", "\"\"\"Only a docstring.\"\"\"\n"),
    ]);
    let run = isolint(dir.path(), &[]);
    run.assert_code(0);
    assert!(
        run.stdout.starts_with("No findings in 4 files."),
        "{}",
        run.stdout
    );
}

fn deep_file(name: &str, text: String) {
    let dir = project(&[]);
    write(dir.path(), &format!("tests/{name}"), text.as_bytes());
    write(dir.path(), "tests/test_ok.py", TMP_WRITER.as_bytes());
    let run = isolint(dir.path(), &["--quiet"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("tests/test_ok.py:2:5: ISO101"),
        "the other file is still linted\n{}",
        run.transcript()
    );
}

#[test]
fn deeply_nested_parentheses() {
    deep_file(
        "test_parens.py",
        format!("x = {}1{}\n", "(".repeat(5_000), ")".repeat(5_000)),
    );
}

/// `depth` nested `if` blocks, each indented one more space, around `body`.
fn nested_ifs(depth: usize, body: &str) -> String {
    let mut text = String::new();
    for level in 0..depth {
        text.push_str(&" ".repeat(level));
        text.push_str("if x:\n");
    }
    text.push_str(&" ".repeat(depth));
    text.push_str(body);
    text.push('\n');
    text
}

#[test]
fn deeply_nested_blocks() {
    deep_file("test_ifs.py", nested_ifs(3_000, "pass"));
    deep_file("test_ifs.py", nested_ifs(3_000, "f(1)"));
    deep_file("test_ifs.py", nested_ifs(510, "f('a')"));
}

/// tree-sitter-python's scanner serialises its indent stack into a 1,024-byte buffer; with 511 or
/// more nested blocks and an odd number of open delimiters (a string literal is one) it writes
/// 1,025 bytes and tree-sitter's `length <= 1024` assertion aborts the whole process (SIGABRT, no
/// panic to catch): every other file of the run is lost. CPython refuses more than 100 levels of
/// indentation, so such a file is not valid Python anyway and should be ISO002.
#[test]

fn nested_blocks_with_a_string_do_not_abort() {
    deep_file("test_ifs.py", nested_ifs(511, "f('a')"));
    deep_file("test_ifs.py", nested_ifs(3_000, "open('/tmp/deep', 'w')"));
}

#[test]
fn long_binary_expression() {
    let terms = vec!["\"a\""; 20_000].join(" + ");
    deep_file(
        "test_plus.py",
        format!("x = {terms}\n\n\ndef test_long():\n    open(\"/tmp/\" + {terms}, \"w\")\n"),
    );
}

#[test]
fn deeply_nested_calls_lists_and_lambdas() {
    deep_file(
        "test_calls.py",
        format!(
            "def test_c():\n    open({}'/tmp/x'{}, 'w')\n",
            "str(".repeat(3_000),
            ")".repeat(3_000)
        ),
    );
    deep_file(
        "test_lists.py",
        format!("x = {}{}\n", "[".repeat(5_000), "]".repeat(5_000)),
    );
    deep_file(
        "test_attrs.py",
        format!("def test_a():\n    x = a{}\n", ".b".repeat(20_000)),
    );
    deep_file("test_unclosed.py", format!("x = {}\n", "(".repeat(20_000)));
}

#[cfg(unix)]
#[test]
fn symlink_loop_does_not_trap_the_walk() {
    let dir = project(&[("tests/test_a.py", TMP_WRITER)]);
    std::os::unix::fs::symlink("..", dir.path().join("tests/loop")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("tests/self")).unwrap();
    std::os::unix::fs::symlink("missing.py", dir.path().join("tests/test_dangling.py")).unwrap();
    let run = isolint(dir.path(), &["--quiet"]);
    run.assert_code(1);
    assert_eq!(run.finding_lines().len(), 1, "{}", run.transcript());
    let run = isolint(dir.path(), &["--quiet", "--no-ignore"]);
    assert_eq!(run.finding_lines().len(), 1, "{}", run.transcript());
}

#[cfg(unix)]
#[test]
fn unreadable_file_inside_the_walk_is_iso001() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[
        ("tests/test_a.py", TMP_WRITER),
        ("tests/test_secret.py", "x = 1\n"),
    ]);
    let secret = dir.path().join("tests/test_secret.py");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&secret).is_ok() {
        return; // running as root: permissions do not apply
    }
    let run = isolint(dir.path(), &["--quiet"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("tests/test_secret.py:1:1: ISO001"),
        "{}",
        run.transcript()
    );
    assert!(run.stdout.contains("tests/test_a.py:2:5: ISO101"));
}

#[test]
fn columns_are_counted_in_characters() {
    let dir = project(&[(
        "tests/test_u.py",
        "def test_a():\n    s = \"ééé\"; open(\"/tmp/é\", \"w\")\n",
    )]);
    let run = isolint(dir.path(), &["--output-format", "json"]);
    let d = &run.json()[0];
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(2), Some(16))
    );
    assert_eq!(d["end_column"].as_u64(), Some(35));
}

#[test]
fn crlf_line_endings() {
    let dir = project(&[(
        "tests/test_crlf.py",
        "import os\r\n\r\n\r\ndef test_a():\r\n    open(\"/tmp/x\", \"w\")  # isolint: ignore[ISO101]\r\n    os.environ[\"A\"] = \"1\"\r\n",
    )]);
    let run = isolint(dir.path(), &["--quiet", "--warn-unused-ignores"]);
    run.assert_code(1);
    assert_eq!(
        run.finding_lines(),
        ["tests/test_crlf.py:6:5: ISO501 [*] test sets the environment variable 'A' and never restores it; later tests in the same worker see the change"]
    );
}

// ---------------------------------------------------------------------------------------------
// 10. rule, --version, --help
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_page() {
    let run = run_raw(&repo(), &["rule", "ISO101"], None);
    run.assert_code(0);
    assert!(
        run.stdout.starts_with("# ISO101 hardcoded-tmp-path"),
        "{}",
        run.stdout
    );
    // By name too, and the page is the one in rules/.
    let by_name = run_raw(&repo(), &["rule", "hardcoded-tmp-path"], None);
    assert_eq!(by_name.stdout, run.stdout);
    let json = run_raw(
        &repo(),
        &["rule", "ISO501", "--output-format", "json"],
        None,
    )
    .json();
    assert_eq!(json["code"], "ISO501");
    assert_eq!(json["name"], "environ-leak");
    assert!(json["doc"]
        .as_str()
        .unwrap()
        .starts_with("# ISO501 environ-leak"));
}

#[test]
fn rule_all() {
    let run = run_raw(&repo(), &["rule", "--all"], None);
    run.assert_code(0);
    insta::assert_snapshot!("rule_all", run.stdout);
    let codes = [
        "ISO001", "ISO002", "ISO003", "ISO101", "ISO102", "ISO103", "ISO104", "ISO105", "ISO201",
        "ISO202", "ISO203", "ISO204", "ISO205", "ISO206", "ISO301", "ISO302", "ISO303", "ISO304",
        "ISO305", "ISO306", "ISO401", "ISO402", "ISO403", "ISO404", "ISO501", "ISO502", "ISO503",
        "ISO504", "ISO505", "ISO506", "ISO601", "ISO602", "ISO603", "ISO701", "ISO901", "ISO902",
        "ISO903", "ISO904", "ISO905",
    ];
    for code in codes {
        assert!(run.stdout.contains(code), "{code}");
        // Every listed rule has a page.
        let page = run_raw(&repo(), &["rule", code], None);
        page.assert_code(0);
        assert!(page.stdout.starts_with(&format!("# {code} ")), "{code}");
    }
    let json = run_raw(&repo(), &["rule", "--all", "--output-format", "json"], None).json();
    let list = json.as_array().expect("array");
    assert_eq!(list.len(), codes.len());
    for rule in list {
        for key in [
            "code", "name", "category", "severity", "effort", "summary", "doc",
        ] {
            assert!(rule[key].is_string(), "{key}: {rule}");
        }
        assert!(CATEGORIES.contains(&rule["category"].as_str().unwrap()));
        assert!(EFFORTS.contains(&rule["effort"].as_str().unwrap()));
    }
}

#[test]
fn rule_unknown() {
    let run = run_raw(&repo(), &["rule", "NOPE"], None);
    run.assert_code(2);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("NOPE"), "{}", run.stderr);
    run_raw(&repo(), &["rule", "ISO101", "--all"], None).assert_code(2);
}

#[test]
fn version_and_help() {
    let run = run_raw(&repo(), &["--version"], None);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        format!("isolint {}\n", env!("CARGO_PKG_VERSION"))
    );
    let run = run_raw(&repo(), &["--help"], None);
    run.assert_code(0);
    for word in [
        "check",
        "audit",
        "rule",
        "--select",
        "--output-format",
        "Examples:",
        "Exit status",
    ] {
        assert!(run.stdout.contains(word), "--help lacks {word}");
    }
    for (sub, flag) in [
        ("check", "--stdin-filename"),
        ("audit", "--output"),
        ("rule", "--all"),
    ] {
        let run = run_raw(&repo(), &[sub, "--help"], None);
        run.assert_code(0);
        assert!(run.stdout.contains(flag), "{sub} --help lacks {flag}");
    }
}

// ---------------------------------------------------------------------------------------------
// 11. audit
// ---------------------------------------------------------------------------------------------

#[test]
fn audit_markdown() {
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("audit.md");
    let report_arg = report.display().to_string();
    let run = in_repo(&["audit", EXAMPLE, "--output", &report_arg]);
    run.assert_code(0);
    assert!(run.stdout.is_empty(), "{}", run.transcript());
    assert!(
        run.stderr
            .contains("audit.md (35 findings, 28 tests need a fix)"),
        "{}",
        run.stderr
    );
    let first = std::fs::read_to_string(&report).expect("the report exists");
    // A section with one thing to say is a paragraph led by its bold name instead of a heading.
    let headings: Vec<&str> = first
        .lines()
        .filter(|l| {
            l.starts_with("## ")
                || (l.starts_with("**") && l.chars().nth(2).is_some_and(|c| c.is_ascii_digit()))
        })
        .collect();
    let expected = [
        "Summary",
        "Tests that require isolation fixes",
        "Shared resources",
        "Neo4j",
        "Order dependencies",
        "Effort estimate",
        "Running in parallel",
    ];
    let mut position = 0;
    for title in expected {
        let found = headings[position..]
            .iter()
            .position(|h| h.contains(title))
            .unwrap_or_else(|| panic!("no `{title}` section after {position} in {headings:?}"));
        position += found + 1;
    }
    assert!(first.contains("<!-- isolint:notes -->") && first.contains("<!-- /isolint:notes -->"));
    // Every node id with a finding is in the report.
    assert!(first.contains("`test_html_report_renders`"));
    insta::assert_snapshot!("audit_example_md", redact_links(&first, out.path()));

    // Deterministic.
    in_repo(&["audit", EXAMPLE, "--output", &report_arg]).assert_code(0);
    let second = std::fs::read_to_string(&report).unwrap();
    assert_eq!(first, second, "two runs give different bytes");

    // The team's notes survive regeneration.
    let notes = "<!-- isolint:notes -->\nOwner: @data-platform. Do not enable xdist before Q3.\n\n| a | b |\n|---|---|\n<!-- /isolint:notes -->";
    let start = first.find("<!-- isolint:notes -->").unwrap();
    let end = first.find("<!-- /isolint:notes -->").unwrap() + "<!-- /isolint:notes -->".len();
    let edited = format!("{}{}{}", &first[..start], notes, &first[end..]);
    std::fs::write(&report, &edited).unwrap();
    in_repo(&["audit", EXAMPLE, "--output", &report_arg]).assert_code(0);
    let regenerated = std::fs::read_to_string(&report).unwrap();
    assert!(regenerated.contains(notes), "notes lost:\n{regenerated}");
    assert_eq!(regenerated, edited);
    // No temporary file left behind.
    let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn audit_json() {
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("audit.json");
    let report_arg = report.display().to_string();
    let run = in_repo(&[
        "audit",
        EXAMPLE,
        "--format",
        "json",
        "--output",
        &report_arg,
    ]);
    run.assert_code(0);
    let text = std::fs::read_to_string(&report).expect("report exists");
    let json: Value = serde_json::from_str(&text).expect("the JSON report parses");
    assert!(json.is_object());
    assert!(!json["tests"].is_null(), "{json}");
    in_repo(&[
        "audit",
        EXAMPLE,
        "--format",
        "json",
        "--output",
        &report_arg,
    ])
    .assert_code(0);
    assert_eq!(text, std::fs::read_to_string(&report).unwrap());
}

#[test]
fn audit_default_output_and_clean_suite() {
    let dir = project(&[
        ("pyproject.toml", "[project]\nname = \"demo\"\n"),
        (
            "tests/test_a.py",
            "def test_a(tmp_path):\n    (tmp_path / \"x\").write_text(\"x\")\n",
        ),
    ]);
    let run = isolint(dir.path(), &["audit"]);
    run.assert_code(0);
    assert_eq!(
        run.stderr,
        "isolint: wrote docs/test-isolation-audit.md (0 findings, 0 tests need a fix)\n"
    );
    let report = dir.path().join("docs/test-isolation-audit.md");
    let text = std::fs::read_to_string(&report).expect("docs/test-isolation-audit.md written");
    assert!(text.contains("## 1. Summary"));
    // Every family ran: clean, said plainly.
    assert!(
        text.contains("No isolation problem found: all 1 test (100 %) are parallel-safe"),
        "a clean suite says so:\n{text}"
    );
    // A clean suite's report says so, and gives no timestamp unless asked.
    assert!(!text.contains(" UTC"), "timestamp without --timestamp");
    let stamped = isolint(
        dir.path(),
        &["audit", "--timestamp", "--output", "stamped.md"],
    );
    stamped.assert_code(0);
    let stamped = std::fs::read_to_string(dir.path().join("stamped.md")).unwrap();
    assert!(stamped.contains(" UTC"), "{stamped}");
    // Findings do not make audit fail.
    let dir = project(&[("tests/test_a.py", TMP_WRITER)]);
    isolint(dir.path(), &["audit", "--output", "a.md"]).assert_code(0);
    assert!(dir.path().join("a.md").is_file());
}

// ---------------------------------------------------------------------------------------------
// 12. Default PATH
// ---------------------------------------------------------------------------------------------

#[test]
fn default_path_is_tests_folder() {
    let dir = project(&[
        ("tests/test_t.py", TMP_WRITER),
        ("other/test_o.py", TMP_WRITER),
        ("test_root.py", TMP_WRITER),
    ]);
    let run = isolint(dir.path(), &["--quiet"]);
    run.assert_code(1);
    assert_eq!(run.finding_lines().len(), 1, "{}", run.stdout);
    assert!(
        run.stdout.starts_with("tests/test_t.py:2:5: ISO101"),
        "{}",
        run.stdout
    );
}

#[test]
fn default_path_is_pytest_testpaths() {
    let dir = project(&[
        ("tests/test_t.py", TMP_WRITER),
        ("checks/test_c.py", TMP_WRITER),
        ("pytest.ini", "[pytest]\ntestpaths = checks\n"),
    ]);
    let run = isolint(dir.path(), &["--quiet"]);
    run.assert_code(1);
    assert_eq!(
        run.finding_lines(),
        ["checks/test_c.py:2:5: ISO101 [*] test writes to the fixed path '/tmp/shared.txt', shared by every worker"]
    );
    // From pyproject.toml too, several paths, and also with --isolated (a fact about the suite).
    let dir = project(&[
        ("tests/test_t.py", TMP_WRITER),
        ("a/test_a.py", TMP_WRITER),
        ("b/test_b.py", TMP_WRITER),
        (
            "pyproject.toml",
            "[tool.pytest.ini_options]\ntestpaths = [\"a\", \"b\"]\n",
        ),
    ]);
    for args in [&["--quiet"][..], &["--quiet", "--isolated"]] {
        let run = isolint(dir.path(), args);
        let files: Vec<&str> = run
            .finding_lines()
            .iter()
            .map(|l| l.split(':').next().unwrap())
            .collect();
        assert_eq!(files, ["a/test_a.py", "b/test_b.py"], "{args:?}");
    }
}

#[test]
fn default_path_is_current_folder() {
    let dir = project(&[
        ("test_root.py", TMP_WRITER),
        ("sub/test_sub.py", TMP_WRITER),
    ]);
    let run = isolint(dir.path(), &["--quiet"]);
    assert_eq!(run.finding_lines().len(), 2, "{}", run.stdout);
    assert!(
        run.stdout.starts_with("sub/test_sub.py:2:5:"),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// 13. Baseline
// ---------------------------------------------------------------------------------------------

#[test]
fn baseline_round_trip() {
    let two_tests = "def test_a():\n    open(\"/tmp/a\", \"w\")\n\n\ndef test_b():\n    open(\"/tmp/b\", \"w\")\n";
    let dir = project(&[("tests/test_a.py", two_tests)]);
    let run = isolint(dir.path(), &["--write-baseline", "b.json"]);
    run.assert_code(0);
    assert!(run.stdout.is_empty(), "{}", run.transcript());
    assert_eq!(run.stderr, "isolint: recorded 2 findings in b.json\n");
    let baseline: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("b.json")).unwrap())
            .expect("the baseline is JSON");
    assert!(baseline.is_object());

    let run = isolint(
        dir.path(),
        &["--baseline", "b.json", "--output-format", "json"],
    );
    run.assert_code(0);
    assert_eq!(run.json(), serde_json::json!([]));

    // Blank lines above old findings and a new hazard below: only the new one is reported.
    let edited = format!("\n\n\n{two_tests}\n\ndef test_c():\n    open(\"/tmp/c\", \"w\")\n");
    write(dir.path(), "tests/test_a.py", edited.as_bytes());
    let run = isolint(dir.path(), &["--baseline", "b.json", "--quiet"]);
    run.assert_code(1);
    assert_eq!(
        run.finding_lines(),
        ["tests/test_a.py:13:5: ISO101 [*] test writes to the fixed path '/tmp/c', shared by every worker"]
    );

    // A second copy of a baselined line is new (entries are counted).
    let copied = format!("{two_tests}\n\ndef test_a2():\n    open(\"/tmp/a\", \"w\")\n");
    write(dir.path(), "tests/test_a.py", copied.as_bytes());
    let run = isolint(dir.path(), &["--baseline", "b.json", "--quiet"]);
    run.assert_code(1);
    assert_eq!(run.finding_lines().len(), 1, "{}", run.stdout);

    // The `baseline` key, relative to the config file.
    write(dir.path(), "isolint.toml", b"baseline = \"b.json\"\n");
    let run = isolint(dir.path(), &["--quiet"]);
    assert_eq!(run.finding_lines().len(), 1, "{}", run.stdout);
}

#[test]
fn baseline_matches_from_any_folder() {
    let dir = project(&[
        ("isolint.toml", "baseline = \"b.json\"\n"),
        ("tests/test_a.py", TMP_WRITER),
    ]);
    isolint(dir.path(), &["--write-baseline", "b.json"]).assert_code(0);
    isolint(dir.path(), &[]).assert_code(0);
    // From inside tests/, and from the parent folder: the configured baseline still applies.
    isolint(&dir.path().join("tests"), &["."]).assert_code(0);
    let parent = dir.path().parent().unwrap();
    let name = dir.path().file_name().unwrap().to_str().unwrap();
    isolint(parent, &[&format!("{name}/tests")]).assert_code(0);
    let baseline = format!("{name}/b.json");
    isolint(parent, &[&format!("{name}/tests"), "--baseline", &baseline]).assert_code(0);
}

#[test]
fn baseline_errors() {
    let dir = project(&[("tests/test_a.py", TMP_WRITER), ("bad.json", "{not json")]);
    let run = isolint(dir.path(), &["--baseline", "missing.json"]);
    run.assert_code(2);
    assert!(run.stderr.contains("missing.json"), "{}", run.transcript());
    let run = isolint(dir.path(), &["--baseline", "bad.json", "--exit-zero"]);
    run.assert_code(2);
    assert!(run.stderr.contains("bad.json"), "{}", run.transcript());
}

// ---------------------------------------------------------------------------------------------
// 14. pytest configuration
// ---------------------------------------------------------------------------------------------

#[test]
fn pytest_python_files_decides_test_modules() {
    let dir = project(&[
        ("pytest.ini", "[pytest]\npython_files = check_*.py\n"),
        ("check_a.py", "def test_x():\n    open(\"/tmp/c\", \"w\")\n"),
        (
            "sub/check_b.py",
            "def test_y():\n    open(\"/tmp/d\", \"w\")\n",
        ),
    ]);
    let run = isolint(dir.path(), &["--output-format", "json"]);
    run.assert_code(1);
    let json = run.json();
    let tests: Vec<(&str, &str)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap(),
                d["test"].as_str().unwrap_or("null"),
            )
        })
        .collect();
    assert_eq!(
        tests,
        [
            ("check_a.py", "check_a.py::test_x"),
            ("sub/check_b.py", "sub/check_b.py::test_y")
        ]
    );
    // Run from a subfolder: `file` is relative to the cwd, `test` to pytest's rootdir.
    let run = isolint(&dir.path().join("sub"), &[".", "--output-format", "json"]);
    let d = &run.json()[0];
    assert_eq!(d["file"], "check_b.py");
    assert_eq!(d["test"], "sub/check_b.py::test_y");
}

#[test]
fn test_patterns_config_overrides_python_files() {
    let dir = project(&[
        ("pytest.ini", "[pytest]\npython_files = check_*.py\n"),
        ("isolint.toml", "test-patterns = [\"spec_*.py\"]\n"),
        ("spec_a.py", "def test_x():\n    open(\"/tmp/c\", \"w\")\n"),
    ]);
    let run = isolint(dir.path(), &["--output-format", "json"]);
    run.assert_code(1);
    assert_eq!(run.json()[0]["test"], "spec_a.py::test_x");
}

// ---------------------------------------------------------------------------------------------
// Known bugs outside the CLI (reported; un-ignore once fixed)
// ---------------------------------------------------------------------------------------------

/// A UTF-8 byte order mark is counted as a column: editors do not show it.
#[test]

fn byte_order_mark_is_not_a_column() {
    let dir = project(&[]);
    write(
        dir.path(),
        "tests/test_bom.py",
        b"\xef\xbb\xbfdef test_a(): open(\"/tmp/x\", \"w\")\n",
    );
    let run = isolint(dir.path(), &["--quiet"]);
    assert!(
        run.stdout.starts_with("tests/test_bom.py:1:15: ISO101"),
        "{}",
        run.stdout
    );
}

/// Python accepts a lone `\r` as a line end (old Mac files); lines must be counted the same way.
#[test]

fn lone_carriage_returns_end_lines() {
    let dir = project(&[(
        "tests/test_cr.py",
        "def test_a():\r    open(\"/tmp/cr\", \"w\")\r",
    )]);
    let run = isolint(dir.path(), &["--quiet"]);
    assert!(
        run.stdout.starts_with("tests/test_cr.py:2:5: ISO101"),
        "{}",
        run.stdout
    );
}

/// `isolint ..` from a subfolder: node ids and per-file-ignores must see `tests/x.py`, not
/// `tests/legacy/../x.py`.
#[test]

fn parent_folder_path_gives_clean_node_ids() {
    let dir = project(&[
        (
            "isolint.toml",
            "[per-file-ignores]\n\"tests/integration/*\" = [\"ISO1\"]\n",
        ),
        ("tests/test_a.py", TMP_WRITER),
        ("tests/integration/test_i.py", TMP_WRITER),
        ("tests/legacy/__init__.py", ""),
    ]);
    let run = isolint(
        &dir.path().join("tests/legacy"),
        &["..", "--output-format", "json"],
    );
    let json = run.json();
    let tests: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["test"].as_str().unwrap())
        .collect();
    assert_eq!(tests, ["tests/test_a.py::test_writes"]);
}

/// A PATH outside the current folder is shown absolute, with one leading `/` (it once had two).
#[cfg(unix)]
#[test]
fn absolute_path_outside_the_current_folder() {
    let dir = project(&[("tests/test_a.py", TMP_WRITER)]);
    let tests = dir.path().canonicalize().unwrap().join("tests");
    let run = isolint(&repo(), &[&tests.display().to_string(), "--quiet"]);
    let expected = format!("{}/test_a.py:2:5: ISO101", tests.display());
    assert!(run.stdout.starts_with(&expected), "{}", run.stdout);
}

// ---------------------------------------------------------------------------------------------
// 15. project configuration (ISO9xx)
// ---------------------------------------------------------------------------------------------

#[test]
fn configuration_findings_point_into_project_files_in_every_format() {
    let dir = project(&[
        (
            "pyproject.toml",
            "[dependency-groups]\ntest = [\"pytest>=8\"]\n\n[tool.pytest.ini_options]\naddopts = \"-n auto -p no:randomly\"\n",
        ),
        (
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: coverage run -m pytest -n 2\n",
        ),
        ("tests/test_a.py", "def test_a():\n    pass\n"),
    ]);
    let run = run_raw(dir.path(), &["check", "--output-format", "json"], None);
    run.assert_code(1);
    let json = run.json();
    let found: Vec<(String, String, u64, u64)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert!(d["test"].is_null() && d["fixture"].is_null(), "{d}");
            (
                d["code"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("ISO901", ".github/workflows/ci.yml", 6, 30),
        ("ISO902", ".github/workflows/ci.yml", 6, 37),
        ("ISO902", "pyproject.toml", 5, 12),
        ("ISO903", "pyproject.toml", 5, 20),
    ];
    let expected: Vec<(String, String, u64, u64)> = expected
        .iter()
        .map(|(c, f, l, col)| (c.to_string(), f.to_string(), *l, *col))
        .collect();
    assert_eq!(found, expected);
    for format in [
        "full",
        "concise",
        "github",
        "gitlab",
        "sarif",
        "junit",
        "pylint",
        "json-lines",
    ] {
        let run = run_raw(
            dir.path(),
            &["check", "--output-format", format, "--color", "never"],
            None,
        );
        run.assert_code(1);
        assert!(
            run.stdout.contains("pyproject.toml"),
            "{format}: {}",
            run.stdout
        );
        assert!(run.stdout.contains("ci.yml"), "{format}: {}", run.stdout);
    }
    let full = run_raw(
        dir.path(),
        &["check", "--output-format", "full", "--color", "never"],
        None,
    );
    // The snippet of the config file is shown with the option underlined.
    assert!(
        full.stdout.contains("addopts = \"-n auto -p no:randomly\""),
        "{}",
        full.stdout
    );
    assert!(
        full.stdout
            .contains("Found 4 findings in 2 project files ("),
        "{}",
        full.stdout
    );
}

#[test]
fn broken_project_files_are_reported_not_fatal() {
    let dir = project(&[
        // A broken pyproject.toml is isolint's own configuration error (exit 2, tested above);
        // the other project files are reported and the run goes on.
        ("uv.lock", "[[package]\nname = \"pytest\"\n"),
        (".github/workflows/ci.yml", "jobs:\n  t: [\n"),
        ("tests/test_a.py", "def test_a():\n    pass\n"),
    ]);
    let run = run_raw(dir.path(), &["check", "--output-format", "concise"], None);
    run.assert_code(1);
    let lines = run.finding_lines();
    assert_eq!(lines.len(), 2, "{}", run.transcript());
    assert!(
        lines[0].starts_with(".github/workflows/ci.yml:")
            && lines[0].contains("ISO001")
            && lines[0].contains("not valid YAML"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("uv.lock:1:") && lines[1].contains("not valid TOML"),
        "{}",
        lines[1]
    );
}

// ---------------------------------------------------------------------------------------------
// 16. timing, speedup and shard plan
// ---------------------------------------------------------------------------------------------

/// A copy of a fixture suite in a temporary folder (the timing command writes into the project).
fn copy_of(suite: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut pending = vec![(repo().join(suite), dir.path().to_path_buf())];
    while let Some((from, to)) = pending.pop() {
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(&from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                pending.push((path, target));
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
    dir
}

const MACHINE: [&str; 6] = ["--cpus", "2", "--capacity", "2", "--worker-start", "1"];

#[test]
fn timing_writes_the_baseline_predicts_and_plans_shards() {
    let dir = copy_of(EXAMPLE);
    let junit = repo().join("fixtures/timing/example-suite.junit.xml");
    let junit = junit.display().to_string();
    let mut args = vec!["timing", "--junit", junit.as_str(), "--shards", "2"];
    args.extend(MACHINE);
    let run = run_raw(dir.path(), &args, None);
    run.assert_code(0);
    insta::assert_snapshot!("timing_example", run.stdout);
    let baseline: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reports/test-timing-baseline.json")).unwrap(),
    )
    .unwrap();
    let tests = baseline["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 40);
    let first = &tests[0];
    assert_eq!(first["node_id"], "test_cache.py::test_miss_then_hit");
    assert_eq!(first["findings"], serde_json::json!(["ISO104", "ISO301"]));
    assert!(first["fixtures"]
        .as_array()
        .unwrap()
        .contains(&Value::from("cache")));
    assert_eq!(baseline["unmatched"], 0);
    let durations: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(".test_durations")).unwrap())
            .unwrap();
    assert_eq!(
        durations["test_pipeline.py::TestOrdersAsset::test_materialize_in_process"],
        5.5
    );
    let plan: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reports/shard-plan.json")).unwrap(),
    )
    .unwrap();
    let shards = plan["shards"].as_array().unwrap();
    let planned: usize = shards
        .iter()
        .map(|s| s["tests"].as_array().unwrap().len())
        .sum();
    assert_eq!(planned, 40);
    // The durations text gives the same tests.
    let text = repo().join("fixtures/timing/example-suite.durations.txt");
    let text = text.display().to_string();
    let mut args = vec!["timing", "--junit", text.as_str()];
    args.extend(MACHINE);
    let run = run_raw(dir.path(), &args, None);
    run.assert_code(0);
    assert!(run.stdout.contains("(40 tests,"), "{}", run.stdout);
    assert!(!run.stdout.contains("match no test"), "{}", run.stdout);
}

#[test]
fn malformed_timing_files_exit_2_with_the_reason() {
    let dir = copy_of(EXAMPLE);
    for (file, reason) in [
        ("truncated.junit.xml", "ends before its elements are closed"),
        ("bad-time.junit.xml", "not a number of seconds"),
        ("not-timing.txt", "no test durations found"),
        ("missing.xml", "cannot read"),
    ] {
        let path = repo().join("fixtures/timing").join(file);
        let path = path.display().to_string();
        let run = run_raw(dir.path(), &["timing", "--junit", path.as_str()], None);
        run.assert_code(2);
        assert!(run.stderr.contains(reason), "{file}: {}", run.stderr);
        assert!(!dir
            .path()
            .join("reports/test-timing-baseline.json")
            .exists());
    }
}

#[test]
fn audit_with_timing_adds_the_speedup_section_and_chart() {
    let dir = copy_of(EXAMPLE);
    let junit = repo().join("fixtures/timing/example-suite.junit.xml");
    let junit = junit.display().to_string();
    let mut args = vec!["audit", "--timing", junit.as_str()];
    args.extend(MACHINE);
    let run = run_raw(dir.path(), &args, None);
    run.assert_code(0);
    let report = std::fs::read_to_string(dir.path().join("docs/test-isolation-audit.md")).unwrap();
    let section = &report[report.find("## Expected speedup").expect("speedup section")..];
    assert!(
        section.contains(
            "![Expected speedup by workers and --dist mode](test-isolation-audit-speedup.svg)"
        ),
        "{section}"
    );
    assert!(
        section.contains("| `loadscope` (recommended) |"),
        "{section}"
    );
    // The section runs to the next heading of its level, or to the team notes' line.
    let end = ["\n## ", "\n**Team notes**"]
        .iter()
        .filter_map(|next| section[3..].find(next))
        .min()
        .map_or(section.len(), |i| i + 3);
    insta::assert_snapshot!("audit_speedup_section", &section[..end]);
    let chart =
        std::fs::read_to_string(dir.path().join("docs/test-isolation-audit-speedup.svg")).unwrap();
    assert!(chart.starts_with("<svg") && chart.trim_end().ends_with("</svg>"));
    assert_eq!(chart.matches("<rect x=").count(), 20 + 4);
    insta::assert_snapshot!("audit_speedup_chart", chart);
}

// ---------------------------------------------------------------------------------------------
// 17. The bad-input battery (issue 18): each case ends with the documented exit status and a
//     one-line message, never a panic, a hang or a lost file
// ---------------------------------------------------------------------------------------------

/// Runs isolint with `stdin` as its standard input and stdout piped, and fails (killing it) if it
/// has not finished after a minute: the cases here used to hang or read forever.
fn run_guarded(dir: &Path, args: &[&str], stdin: Stdio, as_user: Option<(u32, u32)>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_isolint"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("ISOLINT_NO_CACHE", "1")
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    if let Some((uid, gid)) = as_user {
        use std::os::unix::process::CommandExt;
        command.uid(uid).gid(gid);
    }
    let child = command.spawn().expect("isolint starts");
    let pid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = match receiver.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(output) => output.expect("isolint finishes"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("`isolint {}` hung (killed after 60 s)", args.join(" "));
        }
    };
    let run = Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "isolint panicked\n{}",
        run.transcript()
    );
    run
}

/// A fatal error is one line on stderr naming what went wrong.
fn assert_one_line_error(run: &Run, needle: &str) {
    run.assert_code(2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.transcript());
    assert!(
        run.stderr.starts_with("isolint: error: ") && run.stderr.contains(needle),
        "{}",
        run.transcript()
    );
}

#[cfg(unix)]
#[test]
fn audit_refuses_devices_pipes_and_terminals() {
    use std::os::unix::fs::FileTypeExt;
    let dir = project(&[("tests/test_a.py", TMP_WRITER)]);
    // As root this once replaced /dev/null with a regular file.
    let run = run_guarded(
        dir.path(),
        &["audit", "tests", "-o", "/dev/null"],
        Stdio::null(),
        None,
    );
    assert_one_line_error(&run, "not a regular file");
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(null.file_type().is_char_device(), "/dev/null was replaced");
    // This one read "the existing report" until the kernel killed the process.
    if Path::new("/dev/full").exists() {
        let run = run_guarded(
            dir.path(),
            &["audit", "tests", "-o", "/dev/full"],
            Stdio::null(),
            None,
        );
        assert_one_line_error(&run, "not a regular file");
    }
    // A FIFO blocked on open; /dev/stdout into a pipe (run_guarded pipes stdout) did too.
    let fifo = dir.path().join("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let run = run_guarded(
            dir.path(),
            &["audit", "tests", "-o", "report.fifo"],
            Stdio::null(),
            None,
        );
        assert_one_line_error(&run, "not a regular file");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }
    let run = run_guarded(
        dir.path(),
        &["audit", "tests", "-o", "/dev/stdout"],
        Stdio::null(),
        None,
    );
    assert_one_line_error(&run, "--output -");
    let run = run_guarded(
        dir.path(),
        &["audit", "tests", "-o", "docs"],
        Stdio::null(),
        None,
    );
    run.assert_code(0);
    let run = run_guarded(
        dir.path(),
        &["audit", "tests", "-o", "docs"],
        Stdio::null(),
        None,
    );
    assert!(
        run.code == 2 || dir.path().join("docs").is_file(),
        "{}",
        run.transcript()
    );
}

#[test]
fn audit_dash_writes_the_report_to_standard_output() {
    let dir = project(&[("tests/test_a.py", TMP_WRITER)]);
    let run = isolint(dir.path(), &["audit", "tests", "-o", "-"]);
    run.assert_code(0);
    assert!(
        run.stdout.starts_with("# Test isolation audit"),
        "{}",
        run.transcript()
    );
    assert!(run.stdout.contains("/tmp/shared.txt"));
    assert!(
        !dir.path().join("-").exists(),
        "a file named `-` was created"
    );
    let run = isolint(
        dir.path(),
        &["audit", "tests", "-o", "-", "--format", "json"],
    );
    run.assert_code(0);
    assert!(run.json().is_object(), "{}", run.transcript());
}

#[cfg(unix)]
#[test]
fn a_read_only_or_huge_report_is_not_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[("tests/test_a.py", TMP_WRITER), ("docs/audit.md", "kept\n")]);
    let report = dir.path().join("docs/audit.md");
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o444)).unwrap();
    let run = isolint(dir.path(), &["audit", "tests", "-o", "docs/audit.md"]);
    assert_one_line_error(&run, "read-only");
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "kept\n");

    // Not read whole (a sparse file: no disk space used).
    let big = dir.path().join("docs/big.md");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(65 * 1024 * 1024)
        .unwrap();
    let run = isolint(dir.path(), &["audit", "tests", "-o", "docs/big.md"]);
    assert_one_line_error(&run, "65 MB");
    assert_eq!(std::fs::metadata(&big).unwrap().len(), 65 * 1024 * 1024);
}

#[test]
fn threads_are_clamped() {
    let dir = project(&[("tests/test_a.py", TMP_WRITER)]);
    let many = run_guarded(
        dir.path(),
        &["tests", "--threads", "20000"],
        Stdio::null(),
        None,
    );
    many.assert_code(1);
    assert!(
        many.stderr.contains("--threads 20000 lowered to"),
        "{}",
        many.transcript()
    );
    let one = isolint(dir.path(), &["tests", "--threads", "1"]);
    assert_eq!(many.stdout, one.stdout);
}

#[test]
fn standard_input_has_the_file_size_limit() {
    let dir = project(&[]);
    let args = ["check", "--stdin-filename", "tests/test_x.py", "-"];
    let huge = vec![b'#'; 33 * 1024 * 1024];
    let run = run_raw(dir.path(), &args, Some(&huge));
    assert_one_line_error(&run, "standard input is larger than 32 MB");
    if let Ok(zero) = std::fs::File::open("/dev/zero") {
        let run = run_guarded(dir.path(), &args, Stdio::from(zero), None);
        assert_one_line_error(&run, "standard input is larger than 32 MB");
    }
}

#[test]
fn full_format_with_a_column_past_65535() {
    let line = format!(
        "    x = [{}0]; open(\"/tmp/far\", \"w\")\n",
        "1, ".repeat(30_000)
    );
    let dir = project(&[("tests/test_long.py", &format!("def test_a():\n{line}"))]);
    let run = isolint(dir.path(), &["tests", "--output-format", "full"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("ISO101 hardcoded-tmp-path"),
        "{}",
        run.transcript()
    );
    assert!(run.stdout.contains("(the line is too long to show)"));
}

#[test]
fn lone_cr_file_is_python_with_cr_newlines() {
    let dir = project(&[(
        "tests/test_cr.py",
        "# settings for the suite\rimport os\r\r\rdef test_a():\r    x = 1  # a note\r    os.environ[\"MODE\"] = \"1\"\r",
    )]);
    let run = isolint(dir.path(), &["tests", "--output-format", "json"]);
    assert_eq!(run.codes(), ["ISO501"], "{}", run.transcript());
    assert_eq!(run.json()[0]["line"].as_u64(), Some(7));
}

/// Runs as an unprivileged user when the tests run as root (where permissions do not apply).
#[cfg(unix)]
fn unprivileged(dir: &Path) -> Option<(u32, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !is_root {
        return None;
    }
    // The unprivileged user must reach the project (a temporary folder is 0700).
    let mut folder = Some(dir);
    while let Some(current) = folder.filter(|f| f.starts_with(std::env::temp_dir())) {
        let _ = std::fs::set_permissions(current, std::fs::Permissions::from_mode(0o755));
        folder = current.parent();
    }
    // The checkout may sit where that user cannot reach the binary (a home folder): then the test
    // cannot drop privileges, and it is skipped.
    use std::os::unix::process::CommandExt;
    let reachable = Command::new(env!("CARGO_BIN_EXE_isolint"))
        .arg("--version")
        .uid(65534)
        .gid(65534)
        .output()
        .is_ok_and(|o| o.status.success());
    reachable.then_some((65534, 65534))
}

#[cfg(unix)]
#[test]
fn unreadable_folders() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[
        ("tests/test_a.py", TMP_WRITER),
        ("tests/secret/test_s.py", TMP_WRITER),
    ]);
    for file in ["tests/test_a.py", "tests/secret/test_s.py"] {
        let path = dir.path().join(file);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let user = unprivileged(dir.path());
    let secret = dir.path().join("tests/secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        dir.path().join("tests"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let run_as = |args: &[&str]| run_guarded(dir.path(), args, Stdio::null(), user);
    // A folder found by the walk is reported like an unreadable file: ISO001, the run goes on.
    let run = run_as(&["tests", "--output-format", "concise", "--quiet"]);
    if run.stdout.contains("tests/secret/test_s.py") {
        return; // permissions do not apply here (root without a way to drop them)
    }
    run.assert_code(1);
    assert!(
        run.stdout
            .contains("tests/secret:1:1: ISO001 cannot read this folder"),
        "{}",
        run.transcript()
    );
    assert!(run.stdout.contains("tests/test_a.py:2:5: ISO101"));
    // A PATH named on the command line that cannot be read is an I/O error.
    let run = run_as(&["tests/secret"]);
    assert_one_line_error(&run, "tests/secret: cannot read it");
    let run = run_as(&["tests/secret/test_s.py"]);
    assert_one_line_error(&run, "tests/secret/test_s.py: cannot read it");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[test]
fn non_utf8_file_names_are_linted_when_walked_and_when_named() {
    use std::os::unix::ffi::OsStrExt;
    let dir = project(&[]);
    let name = std::ffi::OsStr::from_bytes(b"test_caf\xe9.py");
    std::fs::create_dir_all(dir.path().join("tests")).unwrap();
    std::fs::write(dir.path().join("tests").join(name), TMP_WRITER).unwrap();
    let walked = run_guarded(dir.path(), &["tests", "--quiet"], Stdio::null(), None);
    let mut command = Command::new(env!("CARGO_BIN_EXE_isolint"));
    let named = command
        .arg(Path::new("tests").join(name))
        .arg("--quiet")
        .current_dir(dir.path())
        .output()
        .unwrap();
    walked.assert_code(1);
    assert_eq!(named.status.code(), Some(1));
    assert!(
        walked
            .stdout
            .starts_with("tests/test_caf\u{FFFD}.py:2:5: ISO101"),
        "{}",
        walked.transcript()
    );
    assert_eq!(walked.stdout, String::from_utf8_lossy(&named.stdout));
    assert!(walked.stderr.contains("the file name is not valid UTF-8"));
}

#[test]
fn latin1_byte_in_pyproject_is_an_error_at_the_byte() {
    let dir = project(&[("tests/test_a.py", TMP_WRITER)]);
    write(
        dir.path(),
        "pyproject.toml",
        b"[project]\nname = \"caf\xe9\"\n\n[tool.isolint]\nignore = [\"ISO101\"]\n",
    );
    let run = run_guarded(dir.path(), &["tests"], Stdio::null(), None);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("is not valid UTF-8: byte 0xE9 on line 2"),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr.contains("pyproject.toml:2:"),
        "{}",
        run.transcript()
    );
}

#[test]
fn utf16_file_is_named_not_called_binary() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "def test_a():\n    pass\n".encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    let dir = project(&[]);
    write(dir.path(), "tests/test_wide.py", &bytes);
    let run = isolint(dir.path(), &["tests", "--quiet"]);
    run.assert_code(1);
    assert!(
        run.stdout
            .starts_with("tests/test_wide.py:1:1: ISO001 this file is UTF-16 text"),
        "{}",
        run.transcript()
    );
    assert!(!run.stdout.contains("binary"));
}

#[test]
fn every_catalogue_code_is_built_and_selectable() {
    let dir = project(&[("tests/test_a.py", TMP_WRITER)]);
    let run = isolint(dir.path(), &["tests", "--ignore", "ISO701", "--quiet"]);
    run.assert_code(1);
    assert_eq!(run.finding_lines().len(), 1, "{}", run.transcript());
    assert!(!run.stderr.contains("not built"), "{}", run.transcript());
    let run = isolint(
        dir.path(),
        &["tests", "--select", "ISO7,unordered-parametrize"],
    );
    run.assert_code(0);
    // Still an error: a code that is in no catalogue.
    let run = isolint(dir.path(), &["tests", "--ignore", "ISO299"]);
    run.assert_code(2);
    let run = run_raw(
        dir.path(),
        &["rule", "ISO701", "--output-format", "json"],
        None,
    );
    run.assert_code(0);
    assert_eq!(run.json()["code"], "ISO701", "{}", run.transcript());
    assert_ne!(run.json()["built"], Value::Bool(false));
    let run = run_raw(dir.path(), &["rule", "ISO299"], None);
    run.assert_code(2);
}

// ---------------------------------------------------------------------------------------------
// 18. shared services (ISO2xx)
// ---------------------------------------------------------------------------------------------

/// A Neo4j suite configured through the environment: no finding for the configured database, the
/// graph-wide wipe in the autouse fixture reported for every test, and the audit's Neo4j section
/// naming the variables, the driver's pool settings and the labels written.
#[test]
fn neo4j_suite_configured_by_the_environment() {
    let dir = project(&[
        ("pyproject.toml", "[project]\nname = \"graph\"\n"),
        (
            "tests/conftest.py",
            "import os\n\nimport pytest\nfrom neo4j import GraphDatabase\n\n\n@pytest.fixture(scope=\"session\")\ndef driver():\n    with GraphDatabase.driver(os.environ[\"NEO4J_URI\"], max_connection_pool_size=20) as driver:\n        yield driver\n\n\n@pytest.fixture\ndef session(driver):\n    with driver.session(database=os.environ.get(\"NEO4J_DATABASE\")) as session:\n        yield session\n\n\n@pytest.fixture(autouse=True)\ndef wipe(session):\n    yield\n    session.run(\"MATCH (n) DETACH DELETE n\")\n",
        ),
        (
            "tests/test_people.py",
            "def test_create(session):\n    session.run(\"CREATE (:Person {name: 'ada'})\")\n\n\ndef test_count(session):\n    session.run(\"MATCH (p:Person) RETURN count(p)\")\n",
        ),
    ]);
    let run = isolint(dir.path(), &["--output-format", "json"]);
    run.assert_code(1);
    let findings = run.json();
    let findings = findings.as_array().expect("array");
    assert_eq!(findings.len(), 1, "{}", run.transcript());
    assert_eq!(findings[0]["code"], "ISO202");
    assert_eq!(findings[0]["resource"], "neo4j:graph");
    assert_eq!(findings[0]["effort"], "major redesign");
    assert_eq!(
        findings[0]["affected_tests"].as_array().map(Vec::len),
        Some(2)
    );

    isolint(dir.path(), &["audit"]).assert_code(0);
    let text = std::fs::read_to_string(dir.path().join("docs/test-isolation-audit.md"))
        .expect("report written");
    // A section with one thing to say is a paragraph led by its name in bold.
    let start = |name: &str| {
        text.find(&format!("\n## {name}"))
            .or_else(|| text.find(&format!("\n**{name}")))
            .expect("section")
    };
    let neo4j = &text[start("4. Neo4j")..start("5. Order")];
    for expected in [
        "read from `NEO4J_DATABASE` (configuration, not a fixed name)",
        "URI from `NEO4J_URI`",
        "`max_connection_pool_size=20`",
        "`:Person`",
        "`graph`",
    ] {
        assert!(neo4j.contains(expected), "{expected}:\n{neo4j}");
    }
}

/// `flushdb()` empties a Redis every worker shares, unless the suite's client is an in-process fake
/// (a conftest fixture returning `fakeredis.FakeRedis()`, whatever the test module imports).
#[test]
fn redis_flush_unless_the_suite_fakes_redis() {
    let test = (
        "tests/test_cache.py",
        "def test_flush(redis_client):\n    redis_client.flushdb()\n",
    );
    let real = project(&[
        (
            "tests/conftest.py",
            "import pytest\nimport redis\n\n\n@pytest.fixture\ndef redis_client():\n    return redis.Redis()\n",
        ),
        test,
    ]);
    let run = isolint(
        real.path(),
        &["--select", "ISO205", "--output-format", "concise"],
    );
    run.assert_code(1);
    assert_eq!(run.finding_lines().len(), 1, "{}", run.transcript());
    assert!(run.stdout.contains("ISO205"), "{}", run.transcript());
    let fake = project(&[
        (
            "tests/conftest.py",
            "import fakeredis\nimport pytest\n\n\n@pytest.fixture\ndef redis_client():\n    return fakeredis.FakeRedis()\n",
        ),
        test,
    ]);
    isolint(fake.path(), &["--select", "ISO205"]).assert_code(0);
}

// --- `--fix`, `--diff`, `--unsafe-fixes` ---

const FIXABLE: &str = "import os\n\n\ndef test_writes():\n    with open(\"/tmp/report.txt\", \"w\") as fh:\n        fh.write(\"x\")\n    os.environ[\"APP_MODE\"] = \"test\"\n";

const FIXED: &str = "import os\n\n\ndef test_writes(monkeypatch, tmp_path):\n    with open(tmp_path / \"report.txt\", \"w\") as fh:\n        fh.write(\"x\")\n    monkeypatch.setenv(\"APP_MODE\", \"test\")\n";

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn fix_rewrites_the_file_and_exits_zero_when_nothing_is_left() {
    let dir = project(&[("tests/test_fix.py", FIXABLE)]);
    let before = isolint(dir.path(), &["--output-format", "concise"]);
    before.assert_code(1);
    assert!(
        before.stdout.contains("ISO101 [*] test writes"),
        "{}",
        before.stdout
    );
    assert!(
        before.stdout.contains("[*] 2 fixable with --fix."),
        "{}",
        before.stdout
    );

    let run = isolint(dir.path(), &["--fix", "--output-format", "concise"]);
    run.assert_code(0);
    assert!(
        run.stdout
            .starts_with("Fixed 2 findings in 1 file.\nNo findings"),
        "{}",
        run.stdout
    );
    assert_eq!(read(dir.path(), "tests/test_fix.py"), FIXED);

    // Twice: nothing to do, nothing written.
    let again = isolint(dir.path(), &["--fix", "--output-format", "concise"]);
    again.assert_code(0);
    assert!(!again.stdout.contains("Fixed"), "{}", again.stdout);
    assert_eq!(read(dir.path(), "tests/test_fix.py"), FIXED);
}

#[test]
fn fix_exits_one_when_findings_are_left() {
    // The second test reads the first one's file: not fixable; the environment change is.
    let source = "import os\n\n\ndef test_a():\n    open(\"/tmp/handoff.txt\", \"w\")\n    os.environ[\"A\"] = \"1\"\n\n\ndef test_b():\n    assert os.path.exists(\"/tmp/handoff.txt\")\n";
    let dir = project(&[("tests/test_left.py", source)]);
    let run = isolint(
        dir.path(),
        &["--fix", "--quiet", "--output-format", "concise"],
    );
    run.assert_code(1);
    assert_eq!(
        run.finding_lines(),
        ["tests/test_left.py:5:5: ISO101 test writes to the fixed path '/tmp/handoff.txt', shared by every worker"]
    );
    let text = read(dir.path(), "tests/test_left.py");
    assert!(text.contains("def test_a(monkeypatch):\n    open(\"/tmp/handoff.txt\", \"w\")\n    monkeypatch.setenv(\"A\", \"1\")"), "{text}");
    // --exit-zero still wins.
    let run = isolint(dir.path(), &["--fix", "--exit-zero", "--quiet"]);
    run.assert_code(0);
}

#[test]
fn diff_shows_the_fix_and_writes_nothing() {
    let dir = project(&[("tests/test_fix.py", FIXABLE)]);
    let run = isolint(dir.path(), &["--diff"]);
    run.assert_code(1);
    assert_eq!(read(dir.path(), "tests/test_fix.py"), FIXABLE);
    assert!(
        run.stdout
            .starts_with("--- a/tests/test_fix.py\n+++ b/tests/test_fix.py\n@@ -1,7 +1,7 @@\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("-def test_writes():\n-    with open(\"/tmp/report.txt\", \"w\") as fh:\n+def test_writes(monkeypatch, tmp_path):\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("+    monkeypatch.setenv(\"APP_MODE\", \"test\")\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("would fix 2 findings in 1 file"),
        "{}",
        run.stderr
    );
    // Nothing to fix: empty diff, exit 0.
    let clean = project(&[(
        "tests/test_ok.py",
        "def test_ok(tmp_path):\n    (tmp_path / \"x\").write_text(\"x\")\n",
    )]);
    let run = isolint(clean.path(), &["--diff"]);
    run.assert_code(0);
    assert_eq!(run.stdout, "");
}

#[test]
fn unsafe_fixes_only_with_the_flag() {
    let conftest = "import pytest\n\n\n@pytest.fixture(scope=\"session\")\ndef reports_database(driver):\n    driver.execute_query(\"CREATE DATABASE reports IF NOT EXISTS\", database_=\"system\")\n";
    let dir = project(&[
        ("tests/conftest.py", conftest),
        (
            "tests/test_db.py",
            "def test_db(reports_database):\n    pass\n",
        ),
    ]);
    let run = isolint(
        dir.path(),
        &["--output-format", "json", "--select", "ISO603"],
    );
    run.assert_code(1);
    assert_eq!(run.json()[0]["applicability"], "unsafe");
    assert_eq!(
        run.json()[0]["fix"]
            .as_str()
            .map(|f| f.contains("worker_id")),
        Some(true)
    );

    let run = isolint(
        dir.path(),
        &["--fix", "--select", "ISO603", "--output-format", "concise"],
    );
    run.assert_code(1);
    assert_eq!(read(dir.path(), "tests/conftest.py"), conftest);
    assert!(run.stdout.contains("ISO603 [*unsafe] "), "{}", run.stdout);
    assert!(
        run.stdout.contains("1 more with --fix --unsafe-fixes."),
        "{}",
        run.stdout
    );

    let run = isolint(
        dir.path(),
        &["--fix", "--unsafe-fixes", "--select", "ISO603", "--quiet"],
    );
    run.assert_code(0);
    assert!(read(dir.path(), "tests/conftest.py").contains(
        "def reports_database(driver, worker_id):\n    driver.execute_query(f\"CREATE DATABASE reports_{worker_id} IF NOT EXISTS\""
    ));
    // Without --fix or --diff the flag means nothing: a usage error, not a silent no-op.
    isolint(dir.path(), &["--unsafe-fixes"]).assert_code(2);
}

#[test]
fn fix_reads_standard_input_and_prints_the_fixed_text() {
    let dir = project(&[]);
    let run = run_raw(
        dir.path(),
        &["--fix", "--stdin-filename", "tests/test_fix.py", "-"],
        Some(FIXABLE.as_bytes()),
    );
    run.assert_code(0);
    assert_eq!(run.stdout, FIXED);
}

#[test]
fn fix_leaves_files_with_a_byte_order_mark_alone() {
    // Offsets of such a file are not its bytes' offsets: it is reported, never rewritten.
    let with_bom = format!("\u{feff}{FIXABLE}");
    let dir = project(&[("tests/test_bom.py", with_bom.as_str())]);
    let run = isolint(
        dir.path(),
        &["--fix", "--quiet", "--output-format", "concise"],
    );
    run.assert_code(1);
    assert_eq!(read(dir.path(), "tests/test_bom.py"), with_bom);
}

#[test]
fn json_says_which_findings_have_a_fix() {
    let dir = project(&[("tests/test_fix.py", FIXABLE)]);
    let run = isolint(dir.path(), &["--output-format", "json"]);
    let findings = run.json();
    let iso101 = &findings[0];
    assert_eq!(iso101["code"], "ISO101");
    assert_eq!(iso101["applicability"], "safe");
    let edits = iso101["edits"].as_array().unwrap();
    assert_eq!(edits[0]["line"], 4);
    assert_eq!(edits[0]["content"], "tmp_path");
    assert_eq!(edits[1]["content"], "tmp_path / \"report.txt\"");
}

/// A suite where the hazard in `tests/test_uses.py` is visible only with its conftest as context:
/// the fixture returns the fixed path the test writes.
const CHANGED_SUITE: &[(&str, &str)] = &[
    (
        "tests/conftest.py",
        "import pytest\n\n@pytest.fixture\ndef out_file():\n    return \"/tmp/report.csv\"\n",
    ),
    (
        "tests/test_uses.py",
        "def test_export(out_file):\n    open(out_file, \"w\").write(\"x\")\n",
    ),
    (
        "tests/test_other.py",
        "def test_writes():\n    open(\"/tmp/other.txt\", \"w\")\n",
    ),
    (
        "tests/test_clean.py",
        "def test_fine(tmp_path):\n    (tmp_path / \"a\").write_text(\"x\")\n",
    ),
    ("README.md", "# a project\n"),
    ("pkg/__init__.py", "VALUE = 1\n"),
];

#[test]
fn changed_files_reports_only_the_given_files_with_the_suite_as_context() {
    let dir = project(CHANGED_SUITE);
    let run = isolint(
        dir.path(),
        &[
            "check",
            "--changed-files",
            "--output-format",
            "concise",
            "tests/test_uses.py",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.transcript());
    let lines = run.finding_lines();
    assert_eq!(lines.len(), 1, "{}", run.transcript());
    assert!(
        lines[0].starts_with("tests/test_uses.py:2:"),
        "{}",
        run.transcript()
    );
    // tests/test_other.py has a finding too, but was not given.
    assert!(
        !run.stdout.contains("test_other.py"),
        "{}",
        run.transcript()
    );
}

#[test]
fn changed_files_skips_files_that_are_not_test_code_quietly() {
    let dir = project(CHANGED_SUITE);
    for given in [&["README.md", "pkg/__init__.py"][..], &["gone.py"], &[]] {
        let mut args = vec!["check", "--changed-files"];
        args.extend_from_slice(given);
        let run = isolint(dir.path(), &args);
        assert_eq!(run.code, 0, "{}", run.transcript());
        assert_eq!(run.stdout, "", "{}", run.transcript());
        assert_eq!(run.stderr, "", "{}", run.transcript());
    }
    // A clean test module among other files: linted, nothing found, exit 0.
    let run = isolint(
        dir.path(),
        &[
            "check",
            "--changed-files",
            "--output-format",
            "concise",
            "README.md",
            "tests/test_clean.py",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(run.finding_lines().is_empty(), "{}", run.transcript());
    assert!(
        run.stdout.starts_with("No findings in 1 files"),
        "{}",
        run.transcript()
    );
}

#[test]
fn fix_with_changed_files_rewrites_only_the_given_files() {
    // Both modules have a safe fix; only the given one may be rewritten, in --fix and --diff.
    let other = "import os\n\n\ndef test_other():\n    os.environ[\"B\"] = \"2\"\n";
    let dir = project(&[
        ("tests/test_fix.py", FIXABLE),
        ("tests/test_other.py", other),
    ]);
    let diff = isolint(
        dir.path(),
        &["check", "--changed-files", "--diff", "tests/test_fix.py"],
    );
    diff.assert_code(1);
    assert!(
        diff.stdout.contains("+++ b/tests/test_fix.py"),
        "{}",
        diff.transcript()
    );
    assert!(
        !diff.stdout.contains("test_other.py"),
        "{}",
        diff.transcript()
    );

    let run = isolint(
        dir.path(),
        &[
            "check",
            "--changed-files",
            "--fix",
            "--output-format",
            "concise",
            "tests/test_fix.py",
        ],
    );
    run.assert_code(0);
    assert_eq!(read(dir.path(), "tests/test_fix.py"), FIXED);
    assert_eq!(read(dir.path(), "tests/test_other.py"), other);
    // Without --changed-files the other module is fixed too.
    isolint(dir.path(), &["--fix", "--quiet"]).assert_code(0);
    assert!(read(dir.path(), "tests/test_other.py").contains("monkeypatch.setenv(\"B\", \"2\")"));
}

#[test]
fn neomodel_label_declared_in_the_package_names_the_tests_writes() {
    let dir = project(&[
        ("pyproject.toml", "[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\n"),
        ("app/__init__.py", ""),
        (
            "app/models.py",
            "from neomodel import StringProperty, StructuredNode\n\n\nclass Movie(StructuredNode):\n    __label__ = \"Film\"\n    title = StringProperty()\n\n\nclass Person(StructuredNode):\n    name = StringProperty()\n",
        ),
        (
            "tests/test_movies.py",
            "from neomodel import db\n\nfrom app.models import Movie, Person\n\n\ndef test_saves():\n    Movie(title=\"Heat\").save()\n    Person.create({\"name\": \"ada\"})\n",
        ),
    ]);
    let run = isolint(
        dir.path(),
        &["audit", "tests", "-o", "-", "--format", "json"],
    );
    run.assert_code(0);
    let audit: serde_json::Value = serde_json::from_str(&run.stdout).expect("the audit is JSON");
    let mut labels: Vec<String> = audit["neo4j"]["inventory"]
        .as_array()
        .expect("an inventory")
        .iter()
        .filter(|item| item["kind"] == "label")
        .map(|item| format!("{} {}", item["name"], item["settings"]))
        .collect();
    labels.sort();
    assert_eq!(
        labels,
        vec!["\"Film\" []", "\"Person\" []"],
        "{}",
        run.transcript()
    );
}

#[test]
fn redis_databases_and_helper_database_parameters_are_named_in_findings() {
    let run = in_repo(&[
        "check",
        "fixtures/ISO205",
        "fixtures/ISO201",
        "--select",
        "ISO201,ISO205",
        "--output-format",
        "concise",
        "--isolated",
    ]);
    run.assert_code(1);
    for expected in [
        "ISO205 test empties Redis database 2, which every worker's client opens too",
        "ISO205 test empties Redis database 3, which every worker's client opens too",
        "ISO205 test writes the fixed Redis key 'jobs' in database 1, which every worker writes too",
        "ISO201 test calls `make_session`, which opens the fixed Neo4j database 'testdb', shared by every worker",
        "ISO201 test calls `count_in`, which opens the fixed Neo4j database 'archive', shared by every worker (through `run_in`)",
    ] {
        assert!(run.stdout.contains(expected), "{expected}\n{}", run.transcript());
    }
}

/// An environment variable one test file sets and never restores is read by a test of another
/// file: the reader is the victim, the setter's line its related location; with `monkeypatch`
/// nobody is.
#[test]
fn environment_left_set_pairs_tests_across_files() {
    let reader =
        "import os\n\n\ndef test_debug_off():\n    assert os.getenv(\"APP_DEBUG\") is None\n";
    let pair_findings = |setter: &str| {
        let dir = project(&[
            ("tests/test_reader.py", reader),
            ("tests/test_setter.py", setter),
        ]);
        isolint(
            dir.path(),
            &[
                "check",
                "tests",
                "--select",
                "ISO402",
                "--output-format",
                "json",
            ],
        )
    };

    let run = pair_findings(
        "import os\n\n\ndef test_debug_on():\n    os.environ[\"APP_DEBUG\"] = \"1\"\n",
    );
    run.assert_code(1);
    let findings = run.json();
    let findings = findings.as_array().expect("an array of findings");
    assert_eq!(findings.len(), 1, "{}", run.transcript());
    let victim = &findings[0];
    assert_eq!(victim["file"], "tests/test_reader.py", "{victim}");
    assert_eq!(victim["line"], 5, "{victim}");
    let related = &victim["related"][0];
    assert_eq!(related["file"], "tests/test_setter.py", "{victim}");
    assert_eq!(related["line"], 5, "{victim}");

    let run = pair_findings(
        "import os\n\n\ndef test_debug_on(monkeypatch):\n    monkeypatch.setenv(\"APP_DEBUG\", \"1\")\n",
    );
    run.assert_code(0);
    assert_eq!(run.stdout.trim(), "[]", "{}", run.transcript());
}
