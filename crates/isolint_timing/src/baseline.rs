//! The timing baseline: each measured test joined with what isolint knows of it statically
//! (markers, fixtures, its `xdist_group`, findings), and the set-up cost of wide fixtures where the
//! durations show it.

use crate::input::Timings;
use isolint_python::project::{FileFacts, Project};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One test of the baseline (`reports/test-timing-baseline.json`).
#[derive(Debug, Clone, Serialize)]
pub struct TimedTest {
    pub node_id: String,
    /// Seconds: set-up, call and tear-down as measured.
    pub duration: f64,
    pub markers: Vec<String>,
    pub fixtures: Vec<String>,
    /// Codes of isolint's findings that affect the test.
    pub findings: Vec<String>,
    /// The `xdist_group` isolint found on the test.
    pub xdist_group: Option<String>,
    /// The test file (pytest's `loadfile` unit).
    #[serde(skip)]
    pub file: String,
    /// The test's module or class (pytest's `loadscope` unit).
    #[serde(skip)]
    pub scope: String,
    /// Wide fixtures (session, package and module scope) it uses, as set-up keys.
    #[serde(skip)]
    pub wide_fixtures: Vec<String>,
    /// Whether the node id was matched to a file isolint read.
    #[serde(skip)]
    pub matched: bool,
}

/// The measured suite.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub tests: Vec<TimedTest>,
    /// The serial session's wall time (measured, or the sum of the tests).
    pub session_seconds: f64,
    /// Set-up cost of each wide fixture that the durations show (first user minus the median of
    /// the others), by set-up key (`fixture` for session scope, `fixture@file` for module scope).
    pub fixture_setup: BTreeMap<String, f64>,
    /// Tests whose node id matched none of the linted files.
    pub unmatched: usize,
}

impl Baseline {
    pub fn test_seconds(&self) -> f64 {
        self.tests.iter().map(|t| t.duration).sum()
    }

    /// Time outside the tests in the serial session: start-up and collection.
    pub fn overhead_seconds(&self) -> f64 {
        (self.session_seconds - self.test_seconds()).max(0.0)
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// What isolint knows of one test, by its node id without parameters.
struct Known {
    markers: Vec<String>,
    fixtures: Vec<String>,
    wide: Vec<(String, String)>,
    group: Option<String>,
    file: String,
    scope: String,
}

/// Joins measured durations with the suite's facts. `findings` maps node ids (without parameters)
/// to the codes of the findings that affect them.
pub fn build(
    timings: &Timings,
    files: &[FileFacts],
    findings: &HashMap<String, Vec<String>>,
) -> Baseline {
    let project = Project::new(files);
    let mut known: HashMap<String, Known> = HashMap::new();
    // Dotted module names (`tests.unit.test_x`) to node paths, for JUnit's `classname`.
    let mut modules: HashMap<String, String> = HashMap::new();
    for (index, file) in files.iter().enumerate() {
        let dotted = file
            .node_path
            .trim_end_matches(".py")
            .replace(['/', '\\'], ".");
        modules.insert(dotted, file.node_path.clone());
        for test in &file.tests {
            let closure = project.closure(index, test);
            let mut fixtures: BTreeSet<String> =
                test.requested.iter().map(|name| name.to_string()).collect();
            let mut wide = Vec::new();
            for reference in &closure {
                let fixture = project.fixture(*reference);
                fixtures.insert(fixture.name.clone());
                match fixture.scope.as_str() {
                    "session" | "package" => wide.push((fixture.name.clone(), String::new())),
                    "module" => wide.push((fixture.name.clone(), file.node_path.clone())),
                    _ => {}
                }
            }
            let scope = if test.classes.is_empty() {
                file.node_path.clone()
            } else {
                format!("{}::{}", file.node_path, test.classes.join("::"))
            };
            known.insert(
                test.node_id.clone(),
                Known {
                    markers: test.markers.clone(),
                    fixtures: fixtures.into_iter().collect(),
                    wide,
                    group: test.xdist_group.clone(),
                    file: file.node_path.clone(),
                    scope,
                },
            );
        }
    }
    let mut tests = Vec::new();
    let mut unmatched = 0;
    for measured in &timings.tests {
        let node_id = resolve(&measured.node_id, &modules);
        let base = node_id.split('[').next().unwrap_or(&node_id).to_string();
        let (file, scope) = units_of(&node_id);
        let test = match known.get(&base) {
            Some(k) => TimedTest {
                node_id: node_id.clone(),
                duration: measured.seconds,
                markers: k.markers.clone(),
                fixtures: k.fixtures.clone(),
                findings: findings.get(&base).cloned().unwrap_or_default(),
                xdist_group: k.group.clone(),
                file: k.file.clone(),
                scope: k.scope.clone(),
                wide_fixtures: k
                    .wide
                    .iter()
                    .map(|(name, module)| {
                        if module.is_empty() {
                            name.clone()
                        } else {
                            format!("{name}@{module}")
                        }
                    })
                    .collect(),
                matched: true,
            },
            None => {
                unmatched += 1;
                TimedTest {
                    node_id: node_id.clone(),
                    duration: measured.seconds,
                    markers: Vec::new(),
                    fixtures: Vec::new(),
                    findings: Vec::new(),
                    xdist_group: None,
                    file,
                    scope,
                    wide_fixtures: Vec::new(),
                    matched: false,
                }
            }
        };
        tests.push(test);
    }
    let fixture_setup = setup_costs(&tests);
    let test_sum: f64 = tests.iter().map(|t| t.duration).sum();
    Baseline {
        session_seconds: timings.session_seconds.unwrap_or(test_sum).max(test_sum),
        tests,
        fixture_setup,
        unmatched,
    }
}

/// The set-up cost of each wide fixture, where at least three tests use it: the first user's
/// duration minus the median of the others (pytest counts the set-up in the first test).
fn setup_costs(tests: &[TimedTest]) -> BTreeMap<String, f64> {
    let mut users: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for test in tests {
        for key in &test.wide_fixtures {
            users.entry(key).or_default().push(test.duration);
        }
    }
    let mut costs = BTreeMap::new();
    for (key, durations) in users {
        if durations.len() < 3 {
            continue;
        }
        let mut rest: Vec<f64> = durations[1..].to_vec();
        rest.sort_by(f64::total_cmp);
        let median = rest[rest.len() / 2];
        let cost = durations[0] - median;
        // Noise is not a set-up: only a first test clearly slower than the rest counts.
        if cost > 0.05 && cost > median {
            costs.insert(key.to_string(), cost);
        }
    }
    costs
}

/// A JUnit dotted id (`tests.test_x.TestA::test_b`) as pytest's node id, when a linted file matches
/// its module part (trying shorter module paths for `--pyargs` runs, whose names start with the
/// package).
fn resolve(id: &str, modules: &HashMap<String, String>) -> String {
    let Some((classname, name)) = id.split_once("::") else {
        return id.to_string();
    };
    if classname.contains('/') || classname.ends_with(".py") {
        return id.to_string();
    }
    let parts: Vec<&str> = classname.split('.').collect();
    // pytest names modules relative to its rootdir, which may sit below the linted folder
    // (`tests.test_x` for `pkg/tests/test_x.py`): a linted module ending in the name matches when
    // it is the only one.
    let ending_in = |module: &str| {
        let suffix = format!(".{module}");
        let mut found = modules
            .iter()
            .filter(|(key, _)| key.ends_with(&suffix))
            .map(|(_, path)| path);
        match (found.next(), found.next()) {
            (Some(path), None) => Some(path),
            _ => None,
        }
    };
    for start in 0..parts.len() {
        for split in (start + 1..=parts.len()).rev() {
            let module = parts[start..split].join(".");
            if let Some(path) = modules.get(&module).or_else(|| ending_in(&module)) {
                let mut node = vec![path.clone()];
                node.extend(parts[split..].iter().map(|p| p.to_string()));
                node.push(name.to_string());
                return node.join("::");
            }
        }
    }
    // No linted file: module parts are the lower-case ones, classes start upper-case.
    let classes = parts
        .iter()
        .rev()
        .take_while(|p| p.starts_with(|c: char| c.is_ascii_uppercase()))
        .count();
    let module = parts[..parts.len() - classes].join("/");
    let mut node = vec![format!("{module}.py")];
    node.extend(parts[parts.len() - classes..].iter().map(|p| p.to_string()));
    node.push(name.to_string());
    node.join("::")
}

/// The `loadfile` and `loadscope` units of a node id (`a.py`, `a.py::TestX`).
fn units_of(node_id: &str) -> (String, String) {
    let file = node_id.split("::").next().unwrap_or(node_id).to_string();
    let scope = node_id
        .rsplit_once("::")
        .map_or(node_id, |(scope, _)| scope)
        .to_string();
    (file, scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_junit_ids_against_linted_files() {
        let mut modules = HashMap::new();
        modules.insert(
            "algorithms.tests.test_x".to_string(),
            "algorithms/tests/test_x.py".to_string(),
        );
        assert_eq!(
            resolve(
                "networkx.algorithms.tests.test_x.TestA::test_b[1]",
                &modules
            ),
            "algorithms/tests/test_x.py::TestA::test_b[1]"
        );
        assert_eq!(
            resolve("pkg.tests.test_y.TestB::test_c", &modules),
            "pkg/tests/test_y.py::TestB::test_c"
        );
        assert_eq!(
            resolve("tests/test_z.py::test_d", &modules),
            "tests/test_z.py::test_d"
        );
        // Named relative to a rootdir below the linted folder.
        assert_eq!(
            resolve("tests.test_x.TestA::test_b", &modules),
            "algorithms/tests/test_x.py::TestA::test_b"
        );
    }

    #[test]
    fn setup_cost_is_the_first_users_excess() {
        let test = |d: f64| TimedTest {
            node_id: String::new(),
            duration: d,
            markers: Vec::new(),
            fixtures: Vec::new(),
            findings: Vec::new(),
            xdist_group: None,
            file: String::new(),
            scope: String::new(),
            wide_fixtures: vec!["db".into()],
            matched: true,
        };
        let costs = setup_costs(&[test(2.1), test(0.1), test(0.1), test(0.12)]);
        assert!((costs["db"] - 2.0).abs() < 1e-9);
        assert!(setup_costs(&[test(0.11), test(0.1), test(0.1)]).is_empty());
    }
}
