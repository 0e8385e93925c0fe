use super::{doer, finding};
use crate::analysis::path_effects::ResolvedEffect;
use crate::context::Finding;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::knowledge::PathOp;

/// ISO104: a SQLite (or dbm/shelve) database in a fixed file.
pub struct FixedSqliteFile;

static META: RuleMeta = RuleMeta {
    code: "ISO104",
    name: "fixed-sqlite-file",
    category: Category::HardcodedPath,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code opens a database file with a fixed name",
    doc: include_str!("../../../../../rules/ISO104-fixed-sqlite-file.md"),
};

impl Rule for FixedSqliteFile {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn uses_path_effects(&self) -> bool {
        true
    }

    fn check_path_effect(&self, effect: &ResolvedEffect) -> Option<Finding> {
        if effect.effect.op != PathOp::Database {
            return None;
        }
        let message = format!(
            "{} opens the database file '{}', shared by every worker",
            doer(effect),
            effect.shown
        );
        let name = super::file_name(&effect.shown);
        let fix = if effect.effect.owner.unittest {
            format!("use `\":memory:\"`, or a file in a folder from `tempfile.mkdtemp()` made in `setUp` (e.g. `os.path.join(self.tmpdir, \"{name}\")`)")
        } else {
            format!("use `\":memory:\"`, or `tmp_path / \"{name}\"` for a file per test")
        };
        Some(finding(&META, effect, message, fix))
    }
}
