//! ISO902: pytest is run with `-n`/`--dist` but pytest-xdist is not among the packages the project
//! declares.

use super::{option_at, related, ConfigFinding, ProjectInput};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::project_files::Origin;

pub struct XdistNotDeclared;

static META: RuleMeta = RuleMeta {
    code: "ISO902",
    name: "xdist-not-declared",
    category: Category::Config,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "`-n`/`--dist` is passed to pytest while pytest-xdist is not declared",
    doc: include_str!("../../../../../rules/ISO902-xdist-not-declared.md"),
};

impl Rule for XdistNotDeclared {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, input: &ProjectInput) -> Vec<ConfigFinding> {
        let files = input.files;
        // Without pytest itself among the declared packages isolint cannot tell where the test
        // tools come from (a base image, a script it does not read): no finding rather than a
        // false one.
        let Some(pytest) = files.requirements.iter().find(|r| r.name == "pytest") else {
            return Vec::new();
        };
        if files.declares("pytest-xdist") {
            return Vec::new();
        }
        let mut findings = Vec::new();
        for invocation in input.xdist_invocations() {
            let index = invocation
                .workers()
                .or_else(|| invocation.dist())
                .map_or(0, |(i, _)| i);
            let (shown, words) = option_at(invocation, index);
            let consequence = if invocation.origin == Origin::Addopts {
                "every pytest run"
            } else {
                "this run"
            };
            findings.push(ConfigFinding {
                at: invocation.location_of_range(index, index + words),
                message: format!(
                    "`{shown}` needs pytest-xdist, which the project does not declare: {consequence} stops with \"unrecognized arguments\" where it is not installed by hand"
                ),
                fix: format!(
                    "declare `pytest-xdist` beside pytest ({}, line {})",
                    pytest.at.file, pytest.at.start.line
                ),
                related: vec![related(&pytest.at, "pytest is declared here")],
            });
        }
        findings
    }
}
