use super::{is_write, shared_write};
use crate::analysis::path_effects::ResolvedEffect;
use crate::context::Finding;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::knowledge::PathClass;

/// ISO105: writes under the user's home folder.
pub struct HomeDirPath;

static META: RuleMeta = RuleMeta {
    code: "ISO105",
    name: "home-dir-path",
    category: Category::HardcodedPath,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code writes under the user's home folder",
    doc: include_str!("../../../../../rules/ISO105-home-dir-path.md"),
};

impl Rule for HomeDirPath {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn uses_path_effects(&self) -> bool {
        true
    }

    fn check_path_effect(&self, effect: &ResolvedEffect) -> Option<Finding> {
        if effect.class != PathClass::Home || !is_write(effect.effect.op) {
            return None;
        }
        let fix = if effect.effect.owner.unittest {
            "point HOME at a private folder for the test: `self.enterContext(mock.patch.dict(os.environ, {\"HOME\": tempfile.mkdtemp()}))`, and build the path from `Path.home()`".to_string()
        } else {
            "point HOME at a private folder with `monkeypatch.setenv(\"HOME\", str(tmp_path))` (the code then writes under `tmp_path`), or write to `tmp_path` directly".to_string()
        };
        Some(shared_write(
            &META,
            effect,
            ", in the home folder every worker and the user share",
            fix,
        ))
    }
}
