use super::{is_write, private_copy_fix, shared_write};
use crate::analysis::path_effects::ResolvedEffect;
use crate::context::Finding;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::knowledge::PathClass;

/// ISO101: a fixed path in the machine's shared temp folder.
pub struct HardcodedTmpPath;

static META: RuleMeta = RuleMeta {
    code: "ISO101",
    name: "hardcoded-tmp-path",
    category: Category::HardcodedPath,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code writes a fixed path in the shared temp folder",
    doc: include_str!("../../../../../rules/ISO101-hardcoded-tmp-path.md"),
};

impl Rule for HardcodedTmpPath {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn uses_path_effects(&self) -> bool {
        true
    }

    fn fixes_path_effect(&self, effect: &ResolvedEffect) -> bool {
        effect.class == PathClass::Temp && super::owner_writes_it(effect)
    }

    fn check_path_effect(&self, effect: &ResolvedEffect) -> Option<Finding> {
        if effect.class != PathClass::Temp || !is_write(effect.effect.op) {
            return None;
        }
        Some(shared_write(
            &META,
            effect,
            ", shared by every worker",
            private_copy_fix(effect),
        ))
    }
}
