use super::{report_kind, ResourceKind};
use crate::context::FileContext;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::model::ScopeId;
use isolint_python::syntax::kind;
use tree_sitter::Node;

/// ISO203: Test code creates or drops Neo4j schema objects, projections or users under fixed names.
pub struct Neo4jFixedSchema;

static META: RuleMeta = RuleMeta {
    code: "ISO203",
    name: "neo4j-fixed-schema",
    category: Category::SharedResourceName,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary:
        "Test code creates or drops Neo4j schema objects, projections or users under fixed names",
    doc: include_str!("../../../../../rules/ISO203-neo4j-fixed-schema.md"),
};

impl Rule for Neo4jFixedSchema {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        report_kind(&META, ResourceKind::Neo4jSchema, node, scope, ctx);
    }
}
