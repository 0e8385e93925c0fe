use super::*;

fn read_one(kind: Kind, relative: &str, text: &str) -> ProjectFiles {
    let mut files = ProjectFiles::default();
    files.read_file(kind, relative, TextFile::new(relative.to_string(), text));
    files
}

fn at(location: &Location) -> (usize, usize) {
    (location.start.line, location.start.column)
}

fn args(invocation: &Invocation) -> Vec<&str> {
    invocation.args.iter().map(|w| w.text.as_str()).collect()
}

#[test]
fn pyproject_dependencies_groups_and_addopts() {
    let text = r#"[project]
dependencies = ["requests"]
[project.optional-dependencies]
test = ["pytest>=8"]
[dependency-groups]
dev = ["pytest-xdist[psutil]>=3.5", {include-group = "test"}]
[tool.poetry.group.ci.dependencies]
pytest_randomly = "^3"
[tool.pytest.ini_options]
addopts = "-n auto --dist loadgroup"
markers = ["slow: slow tests"]
strict_markers = true
[tool.coverage.run]
parallel = true
"#;
    let files = read_one(Kind::Pyproject, "pyproject.toml", text);
    assert!(files.declares("pytest_xdist"));
    assert!(files.declares("pytest-randomly"));
    assert!(files.declares("Pytest"));
    let xdist = files
        .requirements
        .iter()
        .find(|r| r.name == "pytest-xdist")
        .unwrap();
    assert_eq!(at(&xdist.at), (6, 9));
    let addopts = &files.invocations[0];
    assert_eq!(addopts.origin, Origin::Addopts);
    assert_eq!(args(addopts), ["-n", "auto", "--dist", "loadgroup"]);
    assert_eq!(addopts.workers().map(|(_, n)| n), Some("auto".into()));
    assert_eq!(at(addopts.location_of(2)), (10, 20));
    assert_eq!(files.pytest.markers, ["slow"]);
    assert_eq!(files.pytest.strict.as_ref().map(at), Some((12, 1)));
    assert!(files.coverage_parallel[0].value);
    assert_eq!(at(&files.coverage_parallel[0].at), (14, 1));
}

#[test]
fn addopts_as_an_array_and_in_tool_pytest() {
    let text = "[tool.pytest]\naddopts = [\"-p\", \"no:randomly\"]\n";
    let files = read_one(Kind::Pyproject, "pyproject.toml", text);
    assert_eq!(args(&files.invocations[0]), ["-p", "no:randomly"]);
    assert_eq!(at(files.invocations[0].location_of(1)), (2, 19));
}

#[test]
fn broken_toml_is_a_problem_with_its_line() {
    let files = read_one(
        Kind::Pyproject,
        "pyproject.toml",
        "[tool.pytest\naddopts = 1\n",
    );
    assert_eq!(files.problems.len(), 1);
    assert_eq!(files.problems[0].at.start.line, 1);
    assert!(files.problems[0].message.contains("not valid TOML"));
}

#[test]
fn lock_files_give_versions() {
    let text = "[[package]]\nname = \"pytest-xdist\"\nversion = \"3.8.0\"\n\n[[package]]\nname = \"pytest\"\nversion = \"9.2.0\"\n";
    let files = read_one(Kind::Lock, "uv.lock", text);
    let pin = files.version_of("pytest_xdist").unwrap();
    assert_eq!(pin.version, "3.8.0");
    assert_eq!(at(&pin.at), (3, 11));
}

#[test]
fn tox_commands_deps_and_pytest_section() {
    let text = "[tox]\nenvlist = py3\n\n[testenv]\ndeps =\n    pytest\n    pytest-cov\ncommands =\n    - coverage run -m pytest -n 2 {posargs}\n    coverage report\n\n[pytest]\naddopts =\n    --strict-markers\n    -p no:randomly\n\n[coverage:run]\nparallel = false\n";
    let files = read_one(Kind::Ini, "tox.ini", text);
    assert!(files.declares("pytest-cov"));
    let tox = files
        .invocations
        .iter()
        .find(|i| i.origin == Origin::Tox)
        .unwrap();
    assert!(tox.under_coverage);
    assert_eq!(at(&tox.at), (9, 23));
    assert_eq!(at(tox.location_of(0)), (9, 30));
    let addopts = files
        .invocations
        .iter()
        .find(|i| i.origin == Origin::Addopts)
        .unwrap();
    assert_eq!(args(addopts), ["--strict-markers", "-p", "no:randomly"]);
    assert_eq!(at(addopts.location_of(2)), (15, 8));
    assert!(!files.coverage_parallel[0].value);
    assert_eq!(at(&files.coverage_parallel[0].at), (18, 1));
}

#[test]
fn setup_cfg_and_coveragerc() {
    let text = "[options]\ninstall_requires =\n    attrs\n[options.extras_require]\ntest =\n    pytest-xdist\n[tool:pytest]\naddopts = -n 4\n";
    let files = read_one(Kind::Ini, "setup.cfg", text);
    assert!(files.declares("pytest-xdist"));
    assert!(files.declares("attrs"));
    assert_eq!(at(files.invocations[0].location_of(1)), (8, 14));
    let files = read_one(Kind::Ini, ".coveragerc", "[run]\nparallel = True\n");
    assert!(files.coverage_parallel[0].value);
}

#[test]
fn workflow_run_blocks_env_and_installs() {
    let text = "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    env:\n      PYTEST_ADDOPTS: \"-p no:randomly\"\n    steps:\n      - run: pip install pytest-xdist\n      - run: |\n          coverage run -m pytest \\\n            -n auto tests/\n          coverage combine\n";
    let files = read_one(Kind::Workflow, ".github/workflows/ci.yml", text);
    assert!(files.declares("pytest-xdist"));
    let env = files
        .invocations
        .iter()
        .find(|i| i.origin == Origin::AddoptsEnv)
        .unwrap();
    assert_eq!(at(env.location_of(1)), (7, 27));
    let run = files
        .invocations
        .iter()
        .find(|i| i.origin == Origin::GithubWorkflow)
        .unwrap();
    assert_eq!(args(run), ["-n", "auto", "tests/"]);
    assert_eq!(at(&run.at), (11, 27));
    assert_eq!(at(run.location_of(0)), (12, 13));
    assert_eq!(files.coverage_combines.len(), 1);
}

#[test]
fn gitlab_scripts_and_compose_exec_form() {
    let text = "test:\n  script:\n    - pytest --dist loadgroup -n 2\n";
    let files = read_one(Kind::GitlabCi, ".gitlab-ci.yml", text);
    assert_eq!(at(&files.invocations[0].at), (3, 7));
    let text = "services:\n  tests:\n    command: [\"pytest\", \"-n\", \"4\"]\n";
    let files = read_one(Kind::Compose, "compose.yaml", text);
    assert_eq!(args(&files.invocations[0]), ["-n", "4"]);
    assert_eq!(at(files.invocations[0].location_of(0)), (3, 26));
}

#[test]
fn broken_yaml_is_a_problem() {
    let files = read_one(
        Kind::Workflow,
        ".github/workflows/ci.yml",
        "jobs:\n  test:\n    steps: [\n",
    );
    assert_eq!(files.problems.len(), 1);
    assert!(files.problems[0].message.contains("not valid YAML"));
}

#[test]
fn makefile_recipes_with_continuations() {
    let text = "PY = python\ntest:\n\t@$(PY) -m pytest \\\n\t\t-n 4 --cov=src\n";
    let files = read_one(Kind::Makefile, "Makefile", text);
    let run = &files.invocations[0];
    assert_eq!(args(run), ["-n", "4", "--cov=src"]);
    assert_eq!(at(run.location_of(0)), (4, 3));
}

#[test]
fn requirements_pins_and_comments() {
    let text = "# test tools\n-r base.txt\npytest==9.2.0  # pinned\npytest-xdist>=3\n";
    let files = read_one(Kind::Requirements, "requirements-dev.txt", text);
    assert_eq!(
        files.version_of("pytest").map(|p| p.version.as_str()),
        Some("9.2.0")
    );
    assert!(files.declares("pytest-xdist"));
    assert_eq!(files.requirements.len(), 2);
}

#[test]
fn noxfile_runs_and_installs() {
    let text = "import nox\n\n@nox.session\ndef tests(session):\n    session.install(\"pytest-xdist\")\n    session.run(\"pytest\", \"-n\", \"auto\", *session.posargs)\n";
    let files = read_one(Kind::Noxfile, "noxfile.py", text);
    assert!(files.declares("pytest-xdist"));
    assert_eq!(args(&files.invocations[0]), ["-n", "auto"]);
    assert_eq!(at(files.invocations[0].location_of(0)), (6, 28));
}

#[test]
fn flow_sequences_closed_at_the_keys_indentation_are_read() {
    // Valid for GitHub (libyaml); yaml-rust2 alone rejects the closing bracket's indentation.
    let text = "jobs:\n  t:\n    strategy:\n      matrix:\n        target: [\n            \"a\",\n        ]\n    steps:\n      - run: pytest -n 2\n";
    let files = read_one(Kind::Workflow, ".github/workflows/ci.yml", text);
    assert!(files.problems.is_empty(), "{:?}", files.problems);
    assert_eq!(at(&files.invocations[0].at), (9, 14));
}

#[test]
fn runs_of_other_projects_in_a_workflow_are_left_out() {
    let text = "jobs:\n  own:\n    steps:\n      - run: pytest -n 2\n  sub:\n    steps:\n      - working-directory: ./server\n        run: pytest -n auto\n  third-party:\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          repository: other/project\n      - uses: actions/checkout@v4\n        with:\n          path: ours\n      - run: pytest -n auto tests/unit\n";
    let files = read_one(Kind::Workflow, ".github/workflows/ci.yml", text);
    assert_eq!(files.invocations.len(), 1, "{:?}", files.invocations);
    assert_eq!(at(&files.invocations[0].at), (4, 14));
}

#[test]
fn compose_files_below_the_root_are_found_and_gitignored_ones_are_not() {
    let root = std::env::temp_dir().join(format!("isolint-compose-walk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let service = "services:\n  neo4j:\n    image: neo4j:5-community\n";
    for (path, text) in [
        (".git/HEAD", "ref: refs/heads/main\n"),
        (".gitignore", "build/\n"),
        ("docker-compose.yml", service),
        ("tests/docker-compose.yml", service),
        ("docker/neo4j/compose.yaml", service),
        (".ci/docker-compose.test.yml", service),
        ("build/docker-compose.yml", service),
        (".venv/lib/compose.yaml", service),
        ("docs/composer.yml", service),
        ("a/b/c/d/compose.yaml", service),
    ] {
        let file = root.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).expect("a folder under the temporary directory");
        }
        std::fs::write(&file, text).expect("a file under the temporary directory");
    }
    let files = ProjectFiles::read(&root, &root);
    let _ = std::fs::remove_dir_all(&root);
    let places: Vec<&str> = files
        .compose_services
        .iter()
        .map(|s| s.at.as_str())
        .collect();
    assert_eq!(
        places,
        vec![
            "docker-compose.yml:2",
            ".ci/docker-compose.test.yml:2",
            "tests/docker-compose.yml:2",
            "docker/neo4j/compose.yaml:2",
        ]
    );
}

#[test]
fn the_listing_before_the_compose_walk_sees_exactly_the_walks_folders() {
    let root = std::env::temp_dir().join(format!("isolint-compose-list-{}", std::process::id()));
    let make = |files: &[&str]| {
        let _ = std::fs::remove_dir_all(&root);
        for path in files {
            let file = root.join(path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).expect("a folder under the temporary directory");
            }
            std::fs::write(&file, "services: {}\n").expect("a file under the temporary directory");
        }
    };
    // Too deep, in a tool's folder, or only named like one: the walk would find nothing.
    make(&[
        "a/b/c/d/compose.yaml",
        ".venv/compose.yaml",
        "node_modules/x/docker-compose.yml",
        "docs/composer.yml",
        "compose.yaml.bak",
    ]);
    assert!(!any_compose_file(&root));
    assert!(compose_files(&root).is_empty());
    // The deepest place the walk reaches.
    make(&["a/b/c/compose.yaml"]);
    assert!(any_compose_file(&root));
    assert_eq!(compose_files(&root), vec!["a/b/c/compose.yaml"]);
    // Only a gitignored one: the listing sees it, the walk drops it.
    make(&[".git/HEAD", ".gitignore", "build/docker-compose.yml"]);
    std::fs::write(root.join(".gitignore"), "build/\n")
        .expect("a file under the temporary directory");
    assert!(any_compose_file(&root));
    assert!(compose_files(&root).is_empty());
    let _ = std::fs::remove_dir_all(&root);
}
