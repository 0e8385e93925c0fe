//! ISO904: the suite groups tests with `xdist_group` but no configured run uses `--dist loadgroup`
//! (the markers then do nothing), or `--strict-markers` rejects the marker because nothing
//! registers it.

use super::{marker_location, option_at, related, ConfigFinding, ProjectInput};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::project_files::Origin;

pub struct XdistGroupIgnored;

static META: RuleMeta = RuleMeta {
    code: "ISO904",
    name: "xdist-group-ignored",
    category: Category::Config,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "`xdist_group` markers are used but no run passes `--dist loadgroup`, or `--strict-markers` rejects them",
    doc: include_str!("../../../../../rules/ISO904-xdist-group-ignored.md"),
};

impl Rule for XdistGroupIgnored {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, input: &ProjectInput) -> Vec<ConfigFinding> {
        let markers = input.group_markers();
        let Some((first_file, first_marker)) = markers.first() else {
            return Vec::new();
        };
        let first_at = marker_location(first_file, first_marker);
        let count = markers.len();
        let marker_words = if count == 1 {
            "1 `xdist_group` marker".to_string()
        } else {
            format!("{count} `xdist_group` markers")
        };
        let mut findings = Vec::new();
        let xdist_runs: Vec<_> = input.xdist_invocations().collect();
        for invocation in &xdist_runs {
            let mode = input.dist_of(invocation);
            if mode == "loadgroup" {
                continue;
            }
            let index = invocation
                .dist()
                .or_else(|| invocation.workers())
                .map_or(0, |(i, _)| i);
            let (shown, words) = option_at(invocation, index);
            findings.push(ConfigFinding {
                at: invocation.location_of_range(index, index + words),
                message: format!(
                    "this run (`{shown}`, in {}) distributes with `--dist {mode}`, so the suite's {marker_words} are ignored: grouped tests spread over the workers",
                    invocation.origin.describe()
                ),
                fix: "add `--dist loadgroup` to this run (in addopts it applies to every run)".into(),
                related: vec![related(&first_at, "tests are grouped here")],
            });
        }
        if xdist_runs.is_empty() {
            findings.push(ConfigFinding {
                at: first_at.clone(),
                message: format!(
                    "the suite has {marker_words} but no pytest run the project configures (addopts, CI workflows, Makefile, tox, nox, hatch, compose) uses `--dist loadgroup`: the groups are ignored"
                ),
                fix: "run the suite with `-n auto --dist loadgroup` (for example in `addopts`)".into(),
                related: Vec::new(),
            });
        }
        // `--strict-markers` fails collection on a marker nothing registers; pytest-xdist
        // registers `xdist_group` when it is installed.
        let strict = input.files.pytest.strict.clone().or_else(|| {
            input.files.invocations.iter().find_map(|i| {
                let index = i.has_flag("--strict-markers")?;
                (i.origin == Origin::Addopts).then(|| i.location_of(index).clone())
            })
        });
        if let Some(strict) = strict {
            let registered = input
                .files
                .pytest
                .markers
                .iter()
                .any(|m| m == "xdist_group");
            if !registered && !input.files.declares("pytest-xdist") {
                findings.push(ConfigFinding {
                    at: strict,
                    message: format!(
                        "`--strict-markers` is on and the suite uses {marker_words}, a marker only pytest-xdist registers, and pytest-xdist is not declared: collection fails with \"'xdist_group' not found in `markers`\""
                    ),
                    fix: "declare `pytest-xdist` in the test dependencies, or register the marker: `markers = [\"xdist_group: tests that share a worker\"]`".into(),
                    related: vec![related(&first_at, "marker used here")],
                });
            }
        }
        findings
    }
}
