//! What the project already has for running in parallel (pytest-xdist declared, the `--dist` mode,
//! where the worker count comes from) and the exact lines to add, for the audit's "Running in
//! parallel" section. The facts come from the project's files; the Markdown is one function so the
//! section's other parts stay where they are.

use isolint_python::project_files::{Invocation, Location, Origin, ProjectFiles};
use serde::Serialize;

/// Where the project's pytest settings live, which decides how a line to add is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SettingsFile {
    /// `[tool.pytest.ini_options]` (or `[tool.pytest]`) in `pyproject.toml`.
    Pyproject(String),
    /// An INI section: the file and its section (`pytest.ini` `[pytest]`, `setup.cfg` `[tool:pytest]`).
    Ini(String, String),
    /// No pytest settings yet: the lines go into a new `[tool.pytest.ini_options]`.
    None,
}

/// A fact and where it was found (`pyproject.toml:12`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sourced {
    pub value: String,
    pub at: String,
}

/// The parallel-run facts of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParallelSetup {
    /// Where pytest-xdist is declared, with its locked version when known.
    pub xdist_declared: Option<Sourced>,
    pub xdist_version: Option<String>,
    /// Where pytest is declared (the new dependency goes beside it).
    pub pytest_declared: Option<Sourced>,
    /// `--dist` modes the project's runs use.
    pub dist: Vec<Sourced>,
    /// Worker counts (`-n auto`, `-n 4`) the project's runs use.
    pub workers: Vec<Sourced>,
    pub settings: SettingsFile,
    /// The existing `addopts`, as written.
    pub addopts: Option<Sourced>,
    /// Database services of the compose files, for the Neo4j section's health-check advice.
    #[serde(skip)]
    pub compose: Vec<isolint_python::project_files::ComposeService>,
}

fn place(at: &Location) -> String {
    format!("{}:{}", at.file, at.start.line)
}

fn described(invocation: &Invocation) -> String {
    match invocation.origin {
        Origin::Addopts => format!("addopts, {}", place(&invocation.at)),
        other => format!("{}, {}", other.describe(), place(&invocation.at)),
    }
}

impl ParallelSetup {
    pub fn from_project(files: &ProjectFiles) -> ParallelSetup {
        let xdist = files.requirements.iter().find(|r| r.name == "pytest-xdist");
        let pytest = files.requirements.iter().find(|r| r.name == "pytest");
        let mut dist = Vec::new();
        let mut workers = Vec::new();
        for invocation in &files.invocations {
            if let Some((_, mode)) = invocation.dist() {
                dist.push(Sourced {
                    value: mode,
                    at: described(invocation),
                });
            }
            if let Some((_, count)) = invocation.workers() {
                workers.push(Sourced {
                    value: count,
                    at: described(invocation),
                });
            }
        }
        let addopts = files
            .invocations
            .iter()
            .find(|i| i.origin == Origin::Addopts);
        let settings = match &files.pytest.at {
            Some(at) if at.file.ends_with("pyproject.toml") => {
                SettingsFile::Pyproject(at.file.clone())
            }
            Some(at) => {
                let section = if at.file.ends_with("setup.cfg") {
                    "tool:pytest"
                } else {
                    "pytest"
                };
                SettingsFile::Ini(at.file.clone(), section.to_string())
            }
            None => SettingsFile::None,
        };
        ParallelSetup {
            xdist_declared: xdist.map(|r| Sourced {
                value: r.spec.clone(),
                at: place(&r.at),
            }),
            xdist_version: files.version_of("pytest-xdist").map(|p| p.version.clone()),
            pytest_declared: pytest.map(|r| Sourced {
                value: r.spec.clone(),
                at: place(&r.at),
            }),
            dist,
            workers,
            compose: files.compose_services.clone(),
            settings,
            addopts: addopts.map(|a| Sourced {
                value: a
                    .args
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                at: place(&a.at),
            }),
        }
    }
}

/// The dependency line for pytest-xdist in the style of the file that declares pytest.
fn dependency_line(pytest: Option<&Sourced>) -> (String, String) {
    let Some(pytest) = pytest else {
        return (
            "pyproject.toml".into(),
            "[dependency-groups]\ntest = [\"pytest>=8\", \"pytest-xdist>=3.5\"]".into(),
        );
    };
    let file = pytest.at.split(':').next().unwrap_or_default().to_string();
    let line = if file.ends_with(".toml")
        && !pytest.value.contains(['>', '<', '=', '~', '^'])
        && pytest.value == "pytest"
    {
        // Poetry's tables name the package as the key.
        "pytest-xdist = \"^3.5\"".to_string()
    } else if file.ends_with(".toml") {
        "\"pytest-xdist>=3.5\",".to_string()
    } else {
        "pytest-xdist>=3.5".to_string()
    };
    (pytest.at.clone(), line)
}

/// The `addopts` line that runs in parallel with `options`, in the settings file's syntax, and
/// whether it leaves out an option that turned random ordering off.
fn addopts_line(setup: &ParallelSetup, options: &str) -> (String, String, bool) {
    // The existing options stay, less the ones the new ones replace.
    let replaced = |word: &str| {
        ["-n", "--numprocesses", "--dist"]
            .iter()
            .any(|o| word == *o || word.starts_with(&format!("{o}=")))
            || (word.starts_with("-n") && word.len() > 2 && !word.starts_with("--"))
    };
    // Turning off random ordering hides order dependencies (ISO903): the new line drops it.
    let order_off = |word: &str| {
        ["no:randomly", "no:random_order", "no:random-order"]
            .iter()
            .any(|p| word == *p || word == format!("-p{p}"))
            || word == "--randomly-dont-reorganize"
    };
    let mut kept: Vec<&str> = Vec::new();
    let mut dropped_order = false;
    if let Some(existing) = &setup.addopts {
        let words: Vec<&str> = existing.value.split_whitespace().collect();
        let mut index = 0;
        while index < words.len() {
            let word = words[index];
            let next = words.get(index + 1).copied().unwrap_or("");
            let takes_value = matches!(word, "-n" | "--numprocesses" | "--dist");
            let ordering = order_off(word) || (word == "-p" && order_off(next));
            dropped_order |= ordering;
            if replaced(word) || ordering {
                index += if takes_value || word == "-p" { 2 } else { 1 };
                continue;
            }
            kept.push(word);
            index += 1;
        }
    }
    kept.push(options);
    let merged = kept.join(" ");
    let (place, line) = match &setup.settings {
        SettingsFile::Pyproject(file) => (
            format!("`[tool.pytest.ini_options]` of {file}"),
            format!("addopts = \"{merged}\""),
        ),
        SettingsFile::Ini(file, section) => (
            format!("`[{section}]` of {file}"),
            format!("addopts = {merged}"),
        ),
        SettingsFile::None => (
            "pyproject.toml (a new section)".into(),
            format!("[tool.pytest.ini_options]\naddopts = \"{options}\""),
        ),
    };
    (place, line, dropped_order)
}

/// The Markdown of "what the project has, and the lines to add" for running with `--dist mode`.
pub fn markdown(setup: &ParallelSetup, mode: &str) -> String {
    let mut out = String::new();
    out.push_str("What the project has now:\n\n");
    match (&setup.xdist_declared, &setup.xdist_version) {
        (Some(declared), Some(version)) => out.push_str(&format!(
            "- pytest-xdist: declared as `{}` ({}), locked at {version}.\n",
            declared.value, declared.at
        )),
        (Some(declared), None) => out.push_str(&format!(
            "- pytest-xdist: declared as `{}` ({}).\n",
            declared.value, declared.at
        )),
        (None, _) => {
            out.push_str("- pytest-xdist: **not declared** in the project's dependencies.\n")
        }
    }
    if setup.workers.is_empty() {
        out.push_str("- Worker count: not set in any configured run (pytest runs serially).\n");
    } else {
        let list: Vec<String> = setup
            .workers
            .iter()
            .map(|w| format!("`-n {}` ({})", w.value, w.at))
            .collect();
        out.push_str(&format!("- Worker count: {}.", list.join("; ")));
        if setup.workers.iter().any(|w| w.value == "auto") {
            out.push_str(" `auto` starts one worker per CPU core (physical cores when psutil is installed); `PYTEST_XDIST_AUTO_NUM_WORKERS` overrides it.");
        }
        out.push('\n');
    }
    if setup.dist.is_empty() {
        out.push_str("- `--dist`: not set, so runs with `-n` use `load`.\n");
    } else {
        let list: Vec<String> = setup
            .dist
            .iter()
            .map(|d| format!("`{}` ({})", d.value, d.at))
            .collect();
        out.push_str(&format!("- `--dist`: {}.\n", list.join("; ")));
    }
    out.push('\n');

    let mut steps: Vec<String> = Vec::new();
    if setup.xdist_declared.is_none() {
        let (beside, line) = dependency_line(setup.pytest_declared.as_ref());
        steps.push(format!(
            "Declare pytest-xdist (beside pytest, {beside}):\n\n   ```\n{}\n   ```",
            indent(&line)
        ));
    }
    // Every mode keeps at least as much together as `load`; `loadfile` keeps whole modules, which
    // covers `loadscope`'s classes.
    let satisfies = |value: &str| {
        mode == "load" || value == mode || (mode == "loadscope" && value == "loadfile")
    };
    let dist_ok = if setup.dist.is_empty() {
        mode == "load"
    } else {
        setup.dist.iter().all(|d| satisfies(&d.value))
    };
    let has_workers = !setup.workers.is_empty();
    if !dist_ok || !has_workers {
        let wanted = match (has_workers, mode) {
            (true, _) => format!("--dist {mode}"),
            (false, "load") => "-n auto".to_string(),
            (false, _) => format!("-n auto --dist {mode}"),
        };
        let (where_, line, dropped_order) = addopts_line(setup, &wanted);
        let replacing = setup
            .addopts
            .as_ref()
            .map(|a| format!(" (replacing the `addopts` at {})", a.at))
            .unwrap_or_default();
        let conflicting: Vec<String> = setup
            .dist
            .iter()
            .filter(|d| !satisfies(&d.value) && !d.at.starts_with("addopts,"))
            .map(|d| format!("`--dist {}` ({})", d.value, d.at))
            .collect();
        let mut step = format!(
            "Set the options in {where_}{replacing}:\n\n   ```\n{}\n   ```",
            indent(&line)
        );
        if !conflicting.is_empty() {
            step.push_str(&format!(
                "\n\n   and remove {}, which would override it.",
                conflicting.join(", ")
            ));
        }
        if dropped_order {
            step.push_str("\n\n   The line leaves out the option that turned random ordering off (ISO903): shuffled runs find the order dependencies that workers would hit.");
        }
        if !has_workers {
            step.push_str("\n\n   `-n 0` on the command line turns the workers off again for one run (debugging).");
        }
        steps.push(step);
    }
    if steps.is_empty() {
        out.push_str(&format!(
            "Nothing to add: the project's runs already start workers, with a `--dist` mode that keeps together what `--dist {mode}` needs.\n\n"
        ));
    } else {
        out.push_str("Lines to add:\n\n");
        for (n, step) in steps.iter().enumerate() {
            out.push_str(&format!("{}. {step}\n\n", n + 1));
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("   {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(addopts: Option<&str>, dist: &[&str], workers: &[&str], xdist: bool) -> ParallelSetup {
        let sourced = |value: &str| Sourced {
            value: value.into(),
            at: "pyproject.toml:9".into(),
        };
        ParallelSetup {
            xdist_declared: xdist.then(|| sourced("pytest-xdist>=3.6")),
            xdist_version: None,
            pytest_declared: Some(sourced("pytest>=8")),
            dist: dist.iter().map(|d| sourced(d)).collect(),
            workers: workers.iter().map(|w| sourced(w)).collect(),
            settings: SettingsFile::Pyproject("pyproject.toml".into()),
            addopts: addopts.map(sourced),
            compose: Vec::new(),
        }
    }

    #[test]
    fn nothing_to_add_when_the_mode_is_already_set() {
        let text = markdown(
            &setup(
                Some("-n auto --dist loadgroup"),
                &["loadgroup"],
                &["auto"],
                true,
            ),
            "loadgroup",
        );
        assert!(text.contains("Nothing to add"), "{text}");
    }

    #[test]
    fn missing_dependency_and_options_are_spelled_out() {
        let text = markdown(
            &setup(Some("--strict-markers"), &[], &[], false),
            "loadgroup",
        );
        assert!(text.contains("**not declared**"), "{text}");
        assert!(text.contains("\"pytest-xdist>=3.5\","), "{text}");
        assert!(
            text.contains("addopts = \"--strict-markers -n auto --dist loadgroup\""),
            "{text}"
        );
    }

    #[test]
    fn a_conflicting_mode_is_named() {
        let mut project = setup(Some("-n 4 --dist loadfile"), &["loadfile"], &["4"], true);
        let text = markdown(&project, "loadgroup");
        assert!(
            text.contains("addopts = \"-n 4 --dist loadgroup\"")
                || text.contains("addopts = \"--dist loadgroup\""),
            "{text}"
        );
        project.dist[0].at = "a GitHub workflow, .github/workflows/ci.yml:12".into();
        let text = markdown(&project, "loadgroup");
        assert!(text.contains("remove `--dist loadfile`"), "{text}");
        assert!(!text.contains("-n auto"), "{text}");
    }
}
