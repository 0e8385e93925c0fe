//! ISO901: `coverage run` wraps an xdist run but coverage.py is not set up to measure and combine
//! the workers.

use super::{related, ConfigFinding, ProjectInput};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;

pub struct CoverageNotParallel;

static META: RuleMeta = RuleMeta {
    code: "ISO901",
    name: "coverage-not-parallel",
    category: Category::Config,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary:
        "`coverage run` measures an xdist run without `parallel = true` and `coverage combine`",
    doc: include_str!("../../../../../rules/ISO901-coverage-not-parallel.md"),
};

impl Rule for CoverageNotParallel {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, input: &ProjectInput) -> Vec<ConfigFinding> {
        let files = input.files;
        let parallel_on = files.coverage_parallel.iter().find(|p| p.value);
        let parallel_off = files.coverage_parallel.iter().find(|p| !p.value);
        let mut findings = Vec::new();
        for invocation in input.xdist_invocations().filter(|i| i.under_coverage) {
            let (message, fix, related) = match (parallel_on, files.coverage_combines.first()) {
                (None, _) => (
                    "`coverage run` measures this pytest-xdist run, but coverage's `parallel` is not on: the workers are separate processes whose data is lost or overwritten, so the report misses what the workers ran".to_string(),
                    "set `parallel = true` and `patch = [\"subprocess\"]` under `[tool.coverage.run]` and run `coverage combine` after the tests; or drop `coverage run` and use pytest-cov's `--cov`, which combines the workers itself".to_string(),
                    parallel_off
                        .map(|p| vec![related(&p.at, "`parallel` is off here")])
                        .unwrap_or_default(),
                ),
                (Some(on), None) => (
                    "`coverage run` measures this pytest-xdist run with `parallel = true`, but nothing runs `coverage combine`: the report reads one worker's data file, not all of them".to_string(),
                    "run `coverage combine` after the tests, before `coverage report`".to_string(),
                    vec![related(&on.at, "`parallel` is on here")],
                ),
                (Some(_), Some(_)) => continue,
            };
            findings.push(ConfigFinding {
                at: invocation.at.clone(),
                message,
                fix,
                related,
            });
        }
        findings
    }
}
