//! The warm cache end to end: the real binary on real files, each run compared with a run that
//! does not use the cache. (The other CLI tests run with `ISOLINT_NO_CACHE=1`, so they write no
//! cache into the repository's fixtures.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use tempfile::TempDir;

/// isolint in `dir`, cache settings from `args` only (none from the environment).
fn run(dir: &Path, args: &[&str]) -> Output {
    run_with_stdin(dir, args, None)
}

fn run_with_stdin(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_isolint"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("ISOLINT_NO_CACHE")
        .env_remove("ISOLINT_CACHE_DIR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("isolint starts");
    if let Some(text) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    let output = child.wait_with_output().expect("isolint finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "isolint {args:?} failed: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// The concise findings of `tests/` (quiet), with `extra` arguments.
fn concise_findings(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["tests/", "--output-format", "concise", "--quiet"];
    args.extend(extra);
    stdout(&run(dir, &args))
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().expect("a parent")).expect("folders");
    std::fs::write(full, text).expect("write");
}

/// A copy of one of the repository's fixture suites, so runs can write a cache and edit files.
fn copy_of(fixture: &str) -> TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(fixture);
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&from, dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("fixture folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            if entry.file_name() == ".isolint_cache" {
                continue;
            }
            std::fs::create_dir_all(&target).expect("folder");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The entries of a cache folder (every version's).
fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for version in std::fs::read_dir(cache).expect("cache folder").flatten() {
        if version.path().is_dir() {
            found.extend(
                std::fs::read_dir(version.path())
                    .expect("version folder")
                    .flatten()
                    .map(|e| e.path()),
            );
        }
    }
    found.sort();
    found
}

const FORMATS: [&str; 3] = ["concise", "json", "full"];

/// The same bytes, cold or warm, for any thread count, as without the cache.
#[test]
fn a_warm_run_prints_what_a_run_without_cache_prints() {
    let suite = copy_of("fixtures/example-suite");
    let dir = suite.path();
    for format in FORMATS {
        let expected = stdout(&run(dir, &["--no-cache", "--output-format", format]));
        assert!(expected.len() > 100, "the example suite has findings");
        for threads in ["1", "2", "4"] {
            let got = run(dir, &["--output-format", format, "--threads", threads]);
            assert_eq!(stdout(&got), expected, "{format}, --threads {threads}");
        }
    }
    let cache = dir.join(".isolint_cache");
    assert!(std::fs::read_to_string(cache.join("CACHEDIR.TAG"))
        .expect("a tag")
        .starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
    assert_eq!(
        std::fs::read_to_string(cache.join(".gitignore")).expect("an ignore file"),
        "*\n"
    );
    assert!(!entries(&cache).is_empty());
    // The cache folder is never linted, and `--no-cache` leaves no cache behind.
    let fresh = copy_of("fixtures/example-suite");
    run(fresh.path(), &["--no-cache"]);
    assert!(!fresh.path().join(".isolint_cache").exists());
}

#[test]
fn the_audit_report_is_the_same_from_the_cache() {
    let suite = copy_of("fixtures/example-suite");
    let dir = suite.path();
    let report = |args: &[&str]| {
        let mut all = vec!["audit", "-o", "-"];
        all.extend(args);
        stdout(&run(dir, &all))
    };
    let expected = report(&["--no-cache"]);
    assert_eq!(report(&[]), expected, "cold");
    assert_eq!(report(&[]), expected, "warm");
    assert_eq!(
        report(&["--format", "json"]),
        report(&["--format", "json", "--no-cache"])
    );
}

/// Cut, altered or foreign entries are misses: never trusted, and written again.
#[test]
fn damaged_entries_are_ignored_and_rewritten() {
    let suite = copy_of("fixtures/example-suite");
    let dir = suite.path();
    let expected = stdout(&run(dir, &["--no-cache", "--output-format", "json"]));
    run(dir, &["--output-format", "json"]);
    let cache = dir.join(".isolint_cache");
    let whole: Vec<(PathBuf, Vec<u8>)> = entries(&cache)
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("entry");
            (path, bytes)
        })
        .collect();
    assert!(whole.len() >= 4, "one entry per file");
    for (i, (path, bytes)) in whole.iter().enumerate() {
        let damaged: Vec<u8> = match i % 4 {
            0 => bytes[..bytes.len() / 2].to_vec(),
            1 => {
                let mut changed = bytes.clone();
                let last = changed.len() - 1;
                changed[last] ^= 0xff;
                changed
            }
            2 => b"not an isolint cache entry".to_vec(),
            _ => Vec::new(),
        };
        std::fs::write(path, damaged).expect("damage");
    }
    for threads in ["1", "2"] {
        let got = run(dir, &["--output-format", "json", "--threads", threads]);
        assert_eq!(stdout(&got), expected, "--threads {threads}");
    }
    for (path, bytes) in &whole {
        assert_eq!(
            &std::fs::read(path).expect("entry"),
            bytes,
            "{} was written again",
            path.display()
        );
    }
    // A cache written by another version sits in its own folder and is left alone.
    let other = cache.join("0.0.0-other");
    std::fs::create_dir_all(&other).expect("folder");
    for (path, bytes) in &whole {
        std::fs::write(other.join(path.file_name().expect("name")), bytes).expect("copy");
    }
    assert_eq!(stdout(&run(dir, &["--output-format", "json"])), expected);
}

/// A changed file is read again even when its size and modification time stay the same.
#[test]
fn a_changed_file_is_seen() {
    let project = tempfile::tempdir().expect("temp dir");
    let dir = project.path();
    write(dir, "pyproject.toml", "[tool.pytest.ini_options]\n");
    write(
        dir,
        "tests/test_out.py",
        "def test_writes(tmp_path):\n    open(tmp_path / \"a.txt\", \"w\")\n",
    );
    write(
        dir,
        "tests/test_other.py",
        "def test_nothing():\n    pass\n",
    );
    let first = run(dir, &["--output-format", "concise", "tests"]);
    assert_eq!(first.status.code(), Some(0), "{}", stdout(&first));
    let file = dir.join("tests/test_out.py");
    let modified = std::fs::metadata(&file)
        .and_then(|m| m.modified())
        .expect("mtime");
    // Same length: `tmp_path / "a.txt"` becomes a fixed path.
    let changed = "def test_writes(tmp_path):\n    open(\"/tmp/xx/a.txt\",    \"w\")\n";
    assert_eq!(
        changed.len() as u64,
        std::fs::metadata(&file).expect("size").len()
    );
    std::fs::write(&file, changed).expect("write");
    std::fs::File::options()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_modified(modified))
        .expect("keep the modification time");
    let second = run(dir, &["--output-format", "concise", "tests"]);
    assert_eq!(second.status.code(), Some(1));
    assert!(
        stdout(&second).contains("test_out.py:2:5: ISO101"),
        "{}",
        stdout(&second)
    );
    assert_eq!(
        stdout(&second),
        stdout(&run(
            dir,
            &["--output-format", "concise", "tests", "--no-cache"]
        ))
    );
    // Added and removed files too.
    write(
        dir,
        "tests/test_new.py",
        "def test_new():\n    open(\"/tmp/new.txt\", \"w\")\n",
    );
    std::fs::remove_file(&file).expect("remove");
    let third = stdout(&run(dir, &["--output-format", "concise", "tests"]));
    assert!(third.contains("test_new.py:2:5: ISO101"), "{third}");
    assert!(!third.contains("test_out.py"), "{third}");
}

/// Settings that shape the per-file step are part of the key: selection, pytest's naming of test
/// files, extra sinks.
#[test]
fn a_changed_setting_is_seen() {
    let project = tempfile::tempdir().expect("temp dir");
    let dir = project.path();
    write(dir, "pyproject.toml", "[tool.pytest.ini_options]\n");
    write(
        dir,
        "tests/check_export.py",
        "import mylib\n\n\ndef test_export():\n    mylib.save(\"/tmp/report.csv\")\n    open(\"/tmp/out.txt\", \"w\")\n",
    );
    let concise = |extra: &[&str]| concise_findings(dir, extra);
    assert_eq!(
        concise(&[]),
        "",
        "not a test module by pytest's default naming"
    );
    write(
        dir,
        "pyproject.toml",
        "[tool.pytest.ini_options]\npython_files = [\"check_*.py\"]\n",
    );
    let named = concise(&[]);
    assert!(named.contains("check_export.py:6:5: ISO101"), "{named}");
    assert!(!named.contains(":5:5:"), "{named}");
    write(
        dir,
        "pyproject.toml",
        "[tool.pytest.ini_options]\npython_files = [\"check_*.py\"]\n\n[tool.isolint.rules]\nwrite-sinks = [\"mylib.save\"]\n",
    );
    let sinks = concise(&[]);
    assert!(sinks.contains("check_export.py:5:5: ISO101"), "{sinks}");
    assert_eq!(sinks, concise(&["--no-cache"]));
    assert_eq!(concise(&["--select", "ISO5"]), "");
    assert_eq!(concise(&[]), sinks, "back to the first selection");
}

/// A test module's calls into the project's own code depend on which modules are first-party: a
/// module added beside the tests changes what an unchanged test file does.
#[test]
fn a_new_first_party_module_is_seen_from_unchanged_tests() {
    let project = tempfile::tempdir().expect("temp dir");
    let dir = project.path();
    write(
        dir,
        "pyproject.toml",
        "[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\n",
    );
    write(
        dir,
        "tests/test_wipe.py",
        "from cleanup import wipe\n\n\ndef test_wipes():\n    wipe(\"/tmp/shared-out\")\n",
    );
    assert_eq!(run(dir, &[]).status.code(), Some(0));
    write(
        dir,
        "cleanup.py",
        "import shutil\n\n\ndef wipe(path):\n    shutil.rmtree(path)\n",
    );
    let found = stdout(&run(dir, &["--output-format", "concise", "--quiet"]));
    assert!(found.contains("test_wipe.py:5:5: ISO103"), "{found}");
    // The first-party module's own entry follows its content too.
    write(dir, "cleanup.py", "def wipe(path):\n    return path\n");
    assert_eq!(
        stdout(&run(dir, &["--output-format", "concise", "--quiet"])),
        ""
    );
}

/// Two hooks at once on the same cache: each prints the right findings, and the cache they leave
/// is whole.
#[test]
fn concurrent_runs_share_the_cache_safely() {
    let suite = copy_of("fixtures/example-suite");
    let dir = suite.path();
    let expected = stdout(&run(dir, &["--no-cache", "--output-format", "json"]));
    for round in 0..3 {
        let children: Vec<_> = (0..4)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_isolint"))
                    .args(["--output-format", "json", "--threads", "2"])
                    .current_dir(dir)
                    .env_remove("ISOLINT_NO_CACHE")
                    .env_remove("ISOLINT_CACHE_DIR")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("isolint starts")
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().expect("isolint finishes");
            assert_eq!(stdout(&output), expected, "round {round}");
            assert!(
                output.stderr.is_empty(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    let cache = dir.join(".isolint_cache");
    let leftovers: Vec<PathBuf> = entries(&cache)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".tmp"))
        })
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert_eq!(stdout(&run(dir, &["--output-format", "json"])), expected);
}

#[test]
fn where_the_cache_lives() {
    let suite = copy_of("fixtures/example-suite");
    let dir = suite.path();
    run(dir, &["--cache-dir", "elsewhere"]);
    assert!(dir.join("elsewhere/CACHEDIR.TAG").is_file());
    assert!(!dir.join(".isolint_cache").exists());

    let mut command = Command::new(env!("CARGO_BIN_EXE_isolint"));
    let status = command
        .current_dir(dir)
        .env_remove("ISOLINT_NO_CACHE")
        .env("ISOLINT_CACHE_DIR", dir.join("from-env"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("isolint runs");
    assert_eq!(status.code(), Some(1));
    assert!(dir.join("from-env/CACHEDIR.TAG").is_file());

    // `cache-dir` in the configuration is relative to the configuration file.
    let project = tempfile::tempdir().expect("temp dir");
    write(
        project.path(),
        "pyproject.toml",
        "[tool.isolint]\ncache-dir = \"build/isolint-cache\"\n",
    );
    write(
        project.path(),
        "tests/test_x.py",
        "def test_x():\n    pass\n",
    );
    write(project.path(), "tests/sub/keep.txt", "");
    run(&project.path().join("tests/sub"), &["..", "--quiet"]);
    assert!(project
        .path()
        .join("build/isolint-cache/CACHEDIR.TAG")
        .is_file());
}

/// Standard input is an editor's buffer: linted without the cache, and no cache is created.
#[test]
fn standard_input_does_not_use_the_cache() {
    let project = tempfile::tempdir().expect("temp dir");
    let dir = project.path();
    write(dir, "pyproject.toml", "[tool.pytest.ini_options]\n");
    let text = "def test_writes():\n    open(\"/tmp/shared.txt\", \"w\")\n";
    let output = run_with_stdin(
        dir,
        &[
            "-",
            "--stdin-filename",
            "tests/test_x.py",
            "--output-format",
            "concise",
        ],
        Some(text),
    );
    assert!(stdout(&output).contains("tests/test_x.py:2:5: ISO101"));
    assert!(!dir.join(".isolint_cache").exists());
}

/// A cache that cannot be written costs speed, never findings.
#[test]
fn an_unwritable_cache_is_a_warning() {
    let suite = copy_of("fixtures/example-suite");
    let dir = suite.path();
    std::fs::write(dir.join("blocker"), "").expect("a file");
    let expected = stdout(&run(dir, &["--no-cache", "--output-format", "json"]));
    let output = run(
        dir,
        &["--output-format", "json", "--cache-dir", "blocker/cache"],
    );
    assert_eq!(stdout(&output), expected);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: cannot write the cache"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one warning: {stderr}");
}

/// Settings read only after the per-file step (`per-file-ignores`, `--warn-unused-ignores`) and the
/// project's configuration files change the output of an unchanged suite: the cached run must not
/// hide that.
#[test]
fn project_stage_settings_are_seen() {
    let project = tempfile::tempdir().expect("temp dir");
    let dir = project.path();
    write(dir, "pyproject.toml", "[tool.pytest.ini_options]\n");
    write(
        dir,
        "tests/test_out.py",
        "def test_writes():\n    open(\"/tmp/out.txt\", \"w\")  # isolint: ignore[ISO501]\n",
    );
    let concise = |extra: &[&str]| concise_findings(dir, extra);
    let found = concise(&[]);
    assert!(found.contains("test_out.py:2:5: ISO101"), "{found}");
    assert_eq!(concise(&[]), found, "warm");
    let unused = concise(&["--warn-unused-ignores"]);
    assert!(unused.contains("ISO003"), "{unused}");
    assert_eq!(concise(&[]), found, "back again");
    write(
        dir,
        "pyproject.toml",
        "[tool.pytest.ini_options]\n\n[tool.isolint]\nper-file-ignores = { \"tests/*\" = [\"ISO101\"] }\n",
    );
    assert_eq!(concise(&[]), "", "per-file-ignores");
    write(dir, "pyproject.toml", "[tool.pytest.ini_options]\n");
    assert_eq!(concise(&[]), found, "and back");
}

#[test]
fn fixes_survive_the_cache() {
    let suite = copy_of("fixtures/fix");
    let args = ["--output-format", "json", "--exit-zero", "."];
    let cold = stdout(&run(suite.path(), &args));
    assert!(cold.contains("\"safe\""), "{cold}");
    // A new file misses the whole-run entry: every other file comes from its own entry.
    write(
        suite.path(),
        "test_added.py",
        "def test_added():\n    pass\n",
    );
    let warm = stdout(&run(suite.path(), &args));
    let uncached = stdout(&run(
        suite.path(),
        &["--no-cache", "--output-format", "json", "--exit-zero", "."],
    ));
    assert_eq!(warm, uncached);
}
