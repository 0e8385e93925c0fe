use crate::analysis::process_state::{is_process_state, test_tree, ENVIRON, WORKING_FOLDER};
use crate::analysis::state::{paths_meet, shown, StateRead, StateWrite, WriteKind};
use crate::context::Finding;
use crate::diagnostic::{Effort, FixSite, Related, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::BTreeSet;

/// ISO402: a test reads module or class state that another test changes and does not restore.
pub struct CrossTestStateFlow;

pub static META: RuleMeta = RuleMeta {
    code: "ISO402",
    name: "cross-test-state-flow",
    category: Category::OrderDependency,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "A test reads state another test changes without restoring it",
    doc: include_str!("../../../../../rules/ISO402-cross-test-state-flow.md"),
};

/// Polluters named per finding.
const MAX_POLLUTERS: usize = 3;

/// Victims reported per polluting change and per victim module when they only use the object as a
/// whole (a class built or passed around in every test of a module): the first ones make the point.
const MAX_WHOLE_VICTIMS: usize = 20;

impl Rule for CrossTestStateFlow {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[
            isolint_python::syntax::kind::ASSIGNMENT,
            isolint_python::syntax::kind::AUGMENTED_ASSIGNMENT,
            isolint_python::syntax::kind::DELETE_STATEMENT,
            isolint_python::syntax::kind::CALL,
            isolint_python::syntax::kind::IDENTIFIER,
        ]
    }

    fn uses_state(&self) -> bool {
        true
    }

    fn holds_in_project(&self, finding: &Finding, project: &crate::rules::ProjectView) -> bool {
        crate::rules::module_state::not_reset(finding, project)
    }
}

/// How messages name a piece of state.
fn named(path: &str) -> String {
    match path {
        WORKING_FOLDER => "the working folder".to_string(),
        ENVIRON => "the environment (`os.environ`)".to_string(),
        _ => format!("`{}`", shown(path)),
    }
}

/// A write to an attribute of the object a test reads (`conn = connections[alias]` against
/// `connections[alias].force_debug_cursor = True`): what the test does with the object may never
/// touch that attribute, so, like using an object whole, it is evidence only next to the change.
/// An item of a container read whole (`REGISTRY["x"]` against `"x" in REGISTRY`) is read.
fn sets_attribute_below(written: &str, read: &str) -> bool {
    written
        .strip_prefix(read)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|rest| !rest.starts_with('['))
}

/// A leaking write with the tests it runs in and where to point at it.
pub struct Polluter<'a> {
    pub write: &'a StateWrite,
    /// Left in place for later tests; a restored assignment only tells that its tests set the
    /// state they read.
    pub leaks: bool,
    /// Node ids of the tests the write runs for.
    pub tests: Vec<String>,
    pub file: String,
    pub file_index: usize,
}

/// The victims of every polluter: one finding per test and state it reads, at its first read,
/// with up to three polluting writes as related locations. `reads` are (file index, read);
/// `files` the files as shown, by index.
pub fn pair(
    polluters: &[Polluter],
    reads: &[(usize, &StateRead)],
    files: &[&str],
) -> Vec<(usize, Finding)> {
    // Writers by their exact path, and by every path above theirs.
    let mut at: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut below: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in polluters.iter().enumerate().filter(|(_, p)| p.leaks) {
        let path = p.write.path.as_str();
        at.entry(path).or_default().push(i);
        for (cut, _) in path.match_indices('.') {
            below.entry(&path[..cut]).or_default().push(i);
        }
        below.entry(path).or_default().push(i);
    }
    // A test that sets the state itself does not depend on what an earlier test left.
    let assigned: HashSet<(&str, &str)> = polluters
        .iter()
        .filter(|p| p.write.kind == WriteKind::Assign)
        .flat_map(|p| {
            p.tests
                .iter()
                .map(move |t| (t.as_str(), p.write.path.as_str()))
        })
        .collect();
    let mut out = Vec::new();
    let mut reported: HashSet<(String, String)> = HashSet::new();
    let mut whole_victims: HashMap<(usize, usize), usize> = HashMap::new();
    for (file, read) in reads {
        let Some(victim) = read.owner.test.as_deref() else {
            continue;
        };
        let path = read.path.as_str();
        let meeting = |path: &str| -> BTreeSet<usize> {
            let mut found: BTreeSet<usize> =
                below.get(path).into_iter().flatten().copied().collect();
            for (cut, _) in path.match_indices('.') {
                found.extend(at.get(&path[..cut]).into_iter().flatten().copied());
            }
            found
        };
        // Writes meeting what the test reads first, then those anywhere in an instance it reads
        // an attribute of (a property may read them).
        // Using a whole object (a method call, building an instance) meets every change to it:
        // that is only evidence next to the change, in the same module; reading the changed
        // attribute itself is evidence anywhere.
        let direct = meeting(path);
        // A test whose own calls change the state they read sets up what it relies on.
        if read.through_call
            && direct
                .iter()
                .any(|i| polluters[*i].tests.iter().any(|t| t == victim))
        {
            continue;
        }
        let mut candidates: Vec<(usize, &str)> = direct
            .iter()
            .filter(|i| {
                !(read.whole || sets_attribute_below(&polluters[**i].write.path, path))
                    || polluters[**i].file_index == *file
            })
            .map(|i| (*i, path))
            .collect();
        if let Some(instance) = read.instance.as_deref() {
            candidates.extend(
                meeting(instance)
                    .into_iter()
                    .filter(|i| !direct.contains(i) && polluters[*i].file_index == *file)
                    .map(|i| (i, instance)),
            );
        }
        let mut chosen: Vec<&Polluter> = Vec::new();
        let mut names: BTreeSet<&str> = BTreeSet::new();
        let loose = read.whole || read.instance.is_some() || read.through_call;
        for (i, through) in candidates {
            let p = &polluters[i];
            if !paths_meet(&p.write.path, through)
                || is_process_state(&p.write.path)
                    && files.get(*file).map(|f| test_tree(f))
                        != files.get(p.file_index).map(|f| test_tree(f))
                || p.tests.iter().any(|t| t == victim)
                || assigned.contains(&(victim, p.write.path.as_str()))
                || loose
                    && whole_victims
                        .get(&(i, *file))
                        .is_some_and(|n| *n >= MAX_WHOLE_VICTIMS)
            {
                continue;
            }
            if loose {
                *whole_victims.entry((i, *file)).or_default() += 1;
            }
            let Some(first) = p.tests.first() else {
                continue;
            };
            if names.len() < MAX_POLLUTERS && names.insert(first.as_str()) {
                chosen.push(p);
            }
        }
        if chosen.is_empty() {
            continue;
        }
        let key = chosen[0].write.path.clone();
        // What a test reads through its calls is one dependency, however many calls and keys
        // reach changed state: one finding, at the first such call.
        let seen_as = if read.through_call {
            "\0call".to_string()
        } else {
            key.clone()
        };
        if !reported.insert((victim.to_string(), seen_as)) {
            continue;
        }
        let name_of = |id: &str| id.rsplit("::").next().unwrap_or(id).to_string();
        let polluter_names: Vec<String> =
            names.iter().map(|n| format!("`{}`", name_of(n))).collect();
        let verb = if polluter_names.len() > 1 {
            "change"
        } else {
            "changes"
        };
        let reads = if path == WORKING_FOLDER {
            "uses relative paths, which resolve against the working folder that".to_string()
        } else if path.starts_with("sys.modules.[") {
            format!(
                "pickles objects whose classes pickle looks up in {}, which",
                named(path)
            )
        } else {
            format!("reads {}, which", named(path))
        };
        let message = format!(
            "this test {reads} {} {verb} without restoring it; whether it passes depends on which test ran first in the worker",
            polluter_names.join(", "),
        );
        let related = chosen
            .iter()
            .map(|p| Related {
                file: p.file.clone(),
                line: p.write.position.line,
                column: p.write.position.column,
                message: format!(
                    "`{}` {} {} here (polluter: {})",
                    p.write.owner.function,
                    p.write.verb,
                    named(&p.write.path),
                    p.tests.first().map(|t| t.as_str()).unwrap_or("")
                ),
            })
            .collect();
        out.push((
            *file,
            Finding {
                rule: &META,
                span: read.span,
                message,
                fix: "make the polluter restore what it changes (`monkeypatch`, `mock.patch.object`, a yield fixture), or have this test set the state it needs itself".to_string(),
                owner: (*read.owner).clone(),
                related: Vec::new(),
                related_elsewhere: related,
                resource: Some(format!("state:{key}")),
                site: FixSite::Test,
                tests: None,
            },
        ));
    }
    out
}
