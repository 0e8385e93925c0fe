use super::{report_kind, ResourceKind};
use crate::context::FileContext;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::model::ScopeId;
use isolint_python::syntax::kind;
use tree_sitter::Node;

/// ISO201: Test code uses a Neo4j database under a fixed name.
pub struct Neo4jFixedDatabase;

static META: RuleMeta = RuleMeta {
    code: "ISO201",
    name: "neo4j-fixed-database",
    category: Category::SharedResourceName,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code uses a Neo4j database under a fixed name",
    doc: include_str!("../../../../../rules/ISO201-neo4j-fixed-database.md"),
};

impl Rule for Neo4jFixedDatabase {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        report_kind(&META, ResourceKind::Neo4jDatabase, node, scope, ctx);
    }
}
