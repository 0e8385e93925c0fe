//! Shared-service operations that test code reaches through its calls into helpers
//! (`wipe_graph(driver)` in a helper module, `GraphHelper.reset` in the package): the effect
//! summaries (`analysis::summaries`) carry each helper's operations up the call graph; here they
//! become findings at the test code's call, with the helper's own call as related location, under
//! the rule of the operation's kind (and ISO603 when a session fixture makes the call).

use super::{doer, ResourceKind};
use crate::analysis::summaries::ServiceOpAtCall;
use crate::context::Finding;
use crate::diagnostic::{FixSite, Related};
use crate::registry::{Category, RuleMeta, RuleSet};
use crate::rules::wide_fixture_scope::{FIX as PER_WORKER_FIX, SESSION_FIXTURE_PER_WORKER};
use isolint_python::model::Role;
use isolint_python::source::Position;

/// The findings of the operations reached at a file's calls, leaving out what a finding of the
/// file already reports at the same call (a fixture's call of a helper in its own module).
/// Adds the place of each operation reached to `sites` (the helper's own findings there go).
pub fn findings_through_calls(
    reached: Vec<ServiceOpAtCall>,
    existing: &[Finding],
    rules: &RuleSet,
    sites: &mut std::collections::HashSet<(String, Position)>,
) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for at in reached {
        sites.insert((at.op.site.file.clone(), at.op.site.position));
        let caller = at.caller;
        let op = &at.op.op;
        let site = &at.op.site;
        let related = Related {
            file: site.file.clone(),
            line: site.position.line,
            column: site.position.column,
            message: format!("`{}` does it here", site.callee),
        };
        // The helper that does it, when the call reaches it through others.
        let called = isolint_python::knowledge::last_component(at.call.callee);
        let through = match site.callee.rsplit('.').next() {
            Some(last) if last == called => String::new(),
            _ => format!(" (through `{}`)", site.callee),
        };
        let what = format!("calls `{}`, which {}{through}", at.call.callee, op.what);
        let mut findings = Vec::new();
        if let Some(rule) = rule_of(op.kind).filter(|r| rules.contains(r.code)) {
            findings.push(Finding {
                rule,
                span: at.call.span,
                message: format!("{} {what}", doer(&caller.owner)),
                fix: op.fix.clone(),
                owner: crate::context::Owner::clone(&caller.owner),
                related: Vec::new(),
                related_elsewhere: vec![related.clone()],
                resource: Some(op.resource.clone()),
                site: FixSite::Helper,
                tests: None,
            });
        }
        let session_fixture = caller.owner.role == Role::Fixture
            && matches!(
                caller.owner.fixture_scope.as_deref(),
                Some("session" | "package")
            );
        if session_fixture
            && !caller.knows_workers
            && !op.connects_only
            && rules.contains(SESSION_FIXTURE_PER_WORKER.code)
        {
            let name = caller
                .owner
                .fixture
                .clone()
                .unwrap_or_else(|| caller.owner.function.clone());
            findings.push(Finding {
                rule: &SESSION_FIXTURE_PER_WORKER,
                span: at.call.span,
                message: format!(
                    "session fixture `{name}` runs once per xdist worker, not once per run, and {what}"
                ),
                fix: PER_WORKER_FIX.to_string(),
                owner: crate::context::Owner::clone(&caller.owner),
                related: Vec::new(),
                related_elsewhere: vec![related],
                resource: Some(op.resource.clone()),
                site: FixSite::Helper,
                tests: None,
            });
        }
        for finding in findings {
            // One finding per function and resource: a test that builds a wrapper and calls two
            // of its methods on one database shares it once.
            let at_call = existing.iter().any(|f| {
                f.rule.code == finding.rule.code
                    && f.span == finding.span
                    && f.resource == finding.resource
            });
            let in_function = out.iter().any(|f| {
                f.rule.code == finding.rule.code
                    && f.owner.function == finding.owner.function
                    && f.owner.classes == finding.owner.classes
                    && f.resource == finding.resource
            });
            let known = at_call || in_function;
            if !known {
                out.push(finding);
            }
        }
    }
    out
}

/// Drops the findings of a helper's own calls that the tests reach through calls: each is
/// reported at the test code's call instead. `position` places a finding's span in its file.
pub fn drop_reached_helper_findings(
    findings: &mut Vec<Finding>,
    file: &str,
    reached: &std::collections::HashSet<(String, Position)>,
    position: impl Fn(usize) -> Position,
) {
    if reached.is_empty() {
        return;
    }
    findings.retain(|f| {
        let shared_resource =
            f.rule.category == Category::SharedResourceName || f.rule.code == "ISO603";
        let in_helper = matches!(f.owner.role, Role::Helper | Role::ContextManager);
        !(shared_resource
            && in_helper
            && reached.contains(&(file.to_string(), position(f.span.start))))
    });
}

/// The rule reporting operations of a kind.
fn rule_of(kind: ResourceKind) -> Option<&'static RuleMeta> {
    let code = match kind {
        ResourceKind::Neo4jDatabase => "ISO201",
        ResourceKind::Neo4jWipe => "ISO202",
        ResourceKind::Neo4jSchema => "ISO203",
        ResourceKind::Port => "ISO204",
        ResourceKind::Database => "ISO205",
        ResourceKind::Container => "ISO206",
    };
    crate::registry::all_rules()
        .iter()
        .map(|r| r.meta())
        .find(|m| m.code == code)
}
