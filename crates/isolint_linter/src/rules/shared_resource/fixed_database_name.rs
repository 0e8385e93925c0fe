use super::{report_kind, ResourceKind};
use crate::context::{FileContext, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::{ProjectView, Rule};
use isolint_python::model::ScopeId;
use isolint_python::services::IN_PROCESS_REDIS;
use isolint_python::syntax::kind;
use tree_sitter::Node;

/// ISO205: Test code creates, drops or empties a database under a fixed name.
pub struct FixedDatabaseName;

static META: RuleMeta = RuleMeta {
    code: "ISO205",
    name: "fixed-database-name",
    category: Category::SharedResourceName,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code creates, drops or empties a database under a fixed name",
    doc: include_str!("../../../../../rules/ISO205-fixed-database-name.md"),
};

impl Rule for FixedDatabaseName {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    /// A Redis fake imported anywhere in the suite (a conftest fixture returning
    /// `fakeredis.FakeRedis()`) is what the tests flush, not a shared server.
    fn holds_in_project(&self, finding: &Finding, project: &ProjectView) -> bool {
        let redis = finding
            .resource
            .as_deref()
            .is_some_and(|r| r.starts_with("redis:"));
        !redis
            || !project.imported_modules.iter().any(|m| {
                IN_PROCESS_REDIS
                    .iter()
                    .any(|fake| m == fake || m.starts_with(&format!("{fake}.")))
            })
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        report_kind(&META, ResourceKind::Database, node, scope, ctx);
    }
}
