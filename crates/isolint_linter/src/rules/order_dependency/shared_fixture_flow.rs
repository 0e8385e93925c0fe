//! ISO402 through a wide fixture: a test changes the object a class-, module-, package- or
//! session-scoped fixture shares and nothing resets it (what ISO601 reports at the change); every
//! other test taking that fixture as a parameter then runs on whatever the earlier tests left in
//! it. Each such test is a victim, reported at its parameter with the changes as related
//! locations.

use crate::context::{Finding, Owner};
use crate::diagnostic::{FixSite, Related};
use crate::rules::order_dependency::cross_test_state_flow::META;
use crate::rules::wide_fixture_scope::unreset_writes;
use isolint_python::project::{FixtureRef, Project, SharedValue, TestFacts};
use isolint_python::source::{Position, Span};
use std::collections::{BTreeMap, BTreeSet};

/// Polluting changes named per victim.
const MAX_POLLUTERS: usize = 3;

/// Victims reported per fixture: the first ones make the point, the fix is one place.
const MAX_VICTIMS: usize = 20;

/// A test changing the shared value, located.
struct Change {
    test: String,
    name: String,
    file: usize,
    position: Position,
}

/// The ISO402 findings of tests using a wide fixture whose shared object other tests change
/// without a reset. Returns (file index, finding).
pub(crate) fn pair_fixture_users(
    project: &Project,
    closures: &[Vec<BTreeSet<FixtureRef>>],
) -> Vec<(usize, Finding)> {
    // Changes by fixture, in file and line order (BTreeMap: the same output for any run).
    let mut changes: BTreeMap<FixtureRef, Vec<Change>> = BTreeMap::new();
    for file in 0..project.files.len() {
        for unreset in unreset_writes(file, project, closures) {
            // Writing through a connection is ISO602's story (rows, not the object).
            if unreset.write.through_connection || !matches!(unreset.value, SharedValue::Mutable(_))
            {
                continue;
            }
            let test = &project.files[file].tests[unreset.test];
            changes.entry(unreset.fixture).or_default().push(Change {
                test: test.node_id.clone(),
                name: test.name.clone(),
                file,
                position: unreset.write.position,
            });
        }
    }
    let mut out = Vec::new();
    for (fixture, changes) in &changes {
        let name = &project.fixture(*fixture).name;
        let mut victims = 0;
        'files: for (file, facts) in project.files.iter().enumerate() {
            for test in &facts.tests {
                if victims >= MAX_VICTIMS {
                    break 'files;
                }
                let Some(parameter) = test.parameter_span(name) else {
                    continue;
                };
                if project.resolve(file, &test.classes, name, None) != Some(*fixture) {
                    continue;
                }
                // A test that changes the object itself sets up what it relies on (as a test
                // assigning module state does): it is a polluter, not a victim.
                if changes.iter().any(|c| c.test == test.node_id) {
                    continue;
                }
                let mut polluters: Vec<&Change> = Vec::new();
                for change in changes {
                    if polluters.len() < MAX_POLLUTERS
                        && polluters.iter().all(|p| p.test != change.test)
                    {
                        polluters.push(change);
                    }
                }
                if polluters.is_empty() {
                    continue;
                }
                victims += 1;
                out.push((
                    file,
                    victim_finding(test, name, parameter, &polluters, project),
                ));
            }
        }
    }
    out
}

fn victim_finding(
    test: &TestFacts,
    fixture: &str,
    parameter: Span,
    polluters: &[&Change],
    project: &Project,
) -> Finding {
    let names: Vec<String> = polluters.iter().map(|p| format!("`{}`", p.name)).collect();
    Finding {
        rule: &META,
        span: parameter,
        message: format!(
            "this test uses `{fixture}`, a wide fixture's shared object, which {} {} without a reset; whether it passes depends on which test ran first in the worker",
            names.join(", "),
            if names.len() > 1 { "change" } else { "changes" }
        ),
        fix: format!("give `{fixture}` function scope, hand each test a fresh copy, or reset it in an autouse function fixture"),
        owner: Owner::of_test(test),
        related: Vec::new(),
        related_elsewhere: polluters
            .iter()
            .map(|p| Related {
                file: project.files[p.file].display.clone(),
                line: p.position.line,
                column: p.position.column,
                message: format!("`{}` changes `{fixture}` here (polluter: {})", p.name, p.test),
            })
            .collect(),
        resource: Some(format!("fixture:{fixture}")),
        site: FixSite::Fixture,
        tests: None,
    }
}
