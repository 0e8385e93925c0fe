use super::{report_kind, ResourceKind};
use crate::context::FileContext;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::model::ScopeId;
use isolint_python::syntax::kind;
use tree_sitter::Node;

/// ISO202: Test code wipes or resets the whole shared Neo4j graph.
pub struct Neo4jGlobalWipe;

static META: RuleMeta = RuleMeta {
    code: "ISO202",
    name: "neo4j-global-wipe",
    category: Category::SharedResourceName,
    severity: Severity::Error,
    effort: Effort::Moderate,
    shared_effort: Effort::Major,
    summary: "Test code wipes or resets the whole shared Neo4j graph",
    doc: include_str!("../../../../../rules/ISO202-neo4j-global-wipe.md"),
};

impl Rule for Neo4jGlobalWipe {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        report_kind(&META, ResourceKind::Neo4jWipe, node, scope, ctx);
    }
}
