//! ISO903: `addopts` (or `PYTEST_ADDOPTS`) turns off random ordering for every run, hiding the
//! order dependencies a random order would reveal.

use super::{ConfigFinding, ProjectInput};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::project_files::{disabled_plugins, Origin};

pub struct AddoptsOrderPlugins;

static META: RuleMeta = RuleMeta {
    code: "ISO903",
    name: "addopts-order-plugins",
    category: Category::Config,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "`addopts` disables random ordering or forces an order for every run",
    doc: include_str!("../../../../../rules/ISO903-addopts-order-plugins.md"),
};

/// Plugins that shuffle the test order.
const RANDOM_ORDER_PLUGINS: &[&str] = &["randomly", "random_order", "random-order"];

/// Options that keep the written order under a shuffling plugin.
const ORDER_KEEPING_OPTIONS: &[&str] =
    &["--randomly-dont-reorganize", "--random-order-bucket=none"];

impl Rule for AddoptsOrderPlugins {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, input: &ProjectInput) -> Vec<ConfigFinding> {
        let mut findings = Vec::new();
        let forced = input
            .files
            .invocations
            .iter()
            .filter(|i| matches!(i.origin, Origin::Addopts | Origin::AddoptsEnv));
        for invocation in forced {
            let place = if invocation.origin == Origin::Addopts {
                "addopts"
            } else {
                "PYTEST_ADDOPTS"
            };
            for (word, plugin) in disabled_plugins(&invocation.args) {
                if !RANDOM_ORDER_PLUGINS.contains(&plugin.as_str()) {
                    continue;
                }
                let index = invocation
                    .args
                    .iter()
                    .position(|w| std::ptr::eq(w, word))
                    .unwrap_or(0);
                // `-p no:x` is two words, `-pno:x` one.
                let last = if word.text == "-p" { index + 1 } else { index };
                findings.push(finding(
                    invocation.location_of_range(index, last),
                    format!("`{place}` turns off the `{plugin}` plugin for every run: the suite always runs in file order, so tests that depend on that order stay hidden until they run in parallel"),
                ));
            }
            for (index, word) in invocation.args.iter().enumerate() {
                if ORDER_KEEPING_OPTIONS.contains(&word.text.as_str()) {
                    findings.push(finding(
                        invocation.location_of(index).clone(),
                        format!("`{place}` passes `{}` to every run: tests keep their written order, so order dependencies stay hidden", word.text),
                    ));
                }
            }
        }
        findings
    }
}

fn finding(at: isolint_python::project_files::Location, message: String) -> ConfigFinding {
    ConfigFinding {
        at,
        message,
        fix: "remove it from addopts and let every run shuffle; to replay one order, pass `--randomly-seed=N` (or the option) on that run's command line".into(),
        related: Vec::new(),
    }
}
