use super::{is_write, private_copy_fix, shared_write};
use crate::analysis::path_effects::ResolvedEffect;
use crate::context::Finding;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::knowledge::PathClass;

/// ISO102: output written relative to the working folder or next to the tests, in the repository.
pub struct CwdRelativeOutput;

static META: RuleMeta = RuleMeta {
    code: "ISO102",
    name: "cwd-relative-output",
    category: Category::HardcodedPath,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code writes into the working folder or the repository, shared by every worker",
    doc: include_str!("../../../../../rules/ISO102-cwd-relative-output.md"),
};

impl Rule for CwdRelativeOutput {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn uses_path_effects(&self) -> bool {
        true
    }

    fn fixes_path_effect(&self, effect: &ResolvedEffect) -> bool {
        effect.class == PathClass::Relative && super::owner_writes_it(effect)
    }

    fn check_path_effect(&self, effect: &ResolvedEffect) -> Option<Finding> {
        if !is_write(effect.effect.op) {
            return None;
        }
        let place = match effect.class {
            PathClass::Relative => ", relative to the working folder every worker shares",
            PathClass::SourceDir => {
                ", inside the repository next to the tests, shared by every worker"
            }
            _ => return None,
        };
        Some(shared_write(&META, effect, place, private_copy_fix(effect)))
    }
}
