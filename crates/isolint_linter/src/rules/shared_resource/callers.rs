//! Operations in a helper module (`tests/helpers/graph.py: def reset_graph(session): ...`) reach
//! the tests through the fixtures and tests of other files that import and call the helper, and
//! operations in a wrapper class's methods (`GraphHelper.clear`) reach the tests that use a fixture
//! building the class and call the method: the project stage gives such findings those tests (a
//! finding in a helper no test reaches is dropped).

use crate::context::Finding;
use crate::lint::TestsReached;
use crate::registry::Category;
use isolint_python::model::Role;
use isolint_python::project::{FileFacts, FixtureRef};
use std::collections::{BTreeSet, HashMap};

/// Sets the tests of shared-resource findings made in a module-level helper of `files[file]`
/// (module `module`) that no test of its own file calls, from the callers in other files.
pub(crate) fn attribute_to_callers(
    findings: &mut [Finding],
    file: usize,
    module: &str,
    files: &[FileFacts],
    users: &TestsReached,
) {
    for finding in findings.iter_mut() {
        let shared_resource =
            finding.rule.category == Category::SharedResourceName || finding.rule.code == "ISO603";
        let function = finding.owner.function.as_str();
        if shared_resource
            && finding.owner.role == Role::Helper
            && finding.tests.is_none()
            && finding.owner.classes.len() == 1
        {
            let tests = wrapper_method_tests(
                &finding.owner.classes[0],
                function,
                &files[file],
                file,
                files,
                users,
            );
            if !tests.is_empty() {
                finding.tests = Some(tests);
            }
            continue;
        }
        if !shared_resource
            || finding.owner.role != Role::Helper
            || !finding.owner.classes.is_empty()
            || finding.tests.is_some()
            || function.is_empty()
            || files[file]
                .tests
                .iter()
                .any(|t| t.calls.contains(&function))
        {
            continue;
        }
        let mut tests = BTreeSet::new();
        for (index, caller) in files.iter().enumerate().filter(|(i, _)| *i != file) {
            // The names the helper goes by in the caller: `from module import f [as g]`, or
            // `import module [as m]` (calls are recorded by their last name).
            let local_names: Vec<&str> = caller
                .imports
                .iter()
                .filter(|i| same_module(&i.module, module))
                .filter_map(|i| match &i.member {
                    Some(member) if member == function => Some(i.local.as_str()),
                    None => Some(function),
                    Some(_) => None,
                })
                .collect();
            if local_names.is_empty() {
                continue;
            }
            let calls_it = |calls: &[&str]| calls.iter().any(|c| local_names.contains(c));
            tests.extend(
                caller
                    .tests
                    .iter()
                    .filter(|t| calls_it(&t.calls))
                    .map(|t| t.node_id.clone()),
            );
            for (fixture_index, fixture) in caller.fixtures.iter().enumerate() {
                if calls_it(&fixture.calls) {
                    let reference = FixtureRef {
                        file: index,
                        index: fixture_index,
                    };
                    tests.extend(users.user_ids(reference).map(str::to_string));
                }
            }
        }
        if !tests.is_empty() {
            finding.tests = Some(tests.into_iter().collect());
        }
    }
}

/// The tests that run a method of a wrapper class (`GraphHelper.clear`) defined in a conftest or
/// test module: the users of the file's fixtures that build the class (`return GraphHelper(driver)`)
/// and call the method themselves or whose test calls it; for `__init__`, every user of such a
/// fixture and every test of the file that builds the class.
fn wrapper_method_tests(
    class: &str,
    method: &str,
    home: &FileFacts,
    file: usize,
    files: &[FileFacts],
    users: &TestsReached,
) -> Vec<String> {
    let constructor = method == "__init__";
    let test_calls: HashMap<&str, &[&str]> = files
        .iter()
        .flat_map(|f| f.tests.iter())
        .map(|t| (t.node_id.as_str(), t.calls.as_slice()))
        .collect();
    let calls_method = |calls: &[&str]| calls.contains(&method);
    let mut tests = BTreeSet::new();
    for (index, fixture) in home.fixtures.iter().enumerate() {
        if !fixture.calls.contains(&class) {
            continue;
        }
        let reference = FixtureRef { file, index };
        for test in users.user_ids(reference) {
            let runs_it = constructor
                || calls_method(&fixture.calls)
                || test_calls.get(test).is_some_and(|c| calls_method(c));
            if runs_it {
                tests.insert(test.to_string());
            }
        }
    }
    for test in &home.tests {
        let builds = test.calls.contains(&class);
        if builds && (constructor || calls_method(&test.calls)) {
            tests.insert(test.node_id.clone());
        }
    }
    tests.into_iter().collect()
}

/// `helpers.graph` imported as written, or from a rootdir above or below the one pytest uses.
fn same_module(imported: &str, module: &str) -> bool {
    imported == module
        || imported.ends_with(&format!(".{module}"))
        || module.ends_with(&format!(".{imported}"))
}
