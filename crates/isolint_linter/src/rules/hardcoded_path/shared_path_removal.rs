use super::{doer, finding};
use crate::analysis::path_effects::ResolvedEffect;
use crate::context::Finding;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::knowledge::PathOp;

/// ISO103: deleting a fixed shared path that another worker may be using.
pub struct SharedPathRemoval;

static META: RuleMeta = RuleMeta {
    code: "ISO103",
    name: "shared-path-removal",
    category: Category::HardcodedPath,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code removes a fixed path that other workers may be using",
    doc: include_str!("../../../../../rules/ISO103-shared-path-removal.md"),
};

impl Rule for SharedPathRemoval {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn uses_path_effects(&self) -> bool {
        true
    }

    fn check_path_effect(&self, effect: &ResolvedEffect) -> Option<Finding> {
        if effect.effect.op != PathOp::Delete {
            return None;
        }
        let message = format!(
            "{} removes the fixed path '{}', which tests on other workers may be using",
            doer(effect),
            effect.shown
        );
        let fix = "create what is removed under `tmp_path` (pytest removes it), so no worker deletes another's files".to_string();
        Some(finding(&META, effect, message, fix))
    }
}
