use super::{report_kind, ResourceKind};
use crate::context::FileContext;
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::model::ScopeId;
use isolint_python::syntax::kind;
use tree_sitter::Node;

/// ISO206: Test code creates Docker containers, networks or volumes under fixed names.
pub struct FixedContainerName;

static META: RuleMeta = RuleMeta {
    code: "ISO206",
    name: "fixed-container-name",
    category: Category::SharedResourceName,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code creates Docker containers, networks or volumes under fixed names",
    doc: include_str!("../../../../../rules/ISO206-fixed-container-name.md"),
};

impl Rule for FixedContainerName {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        report_kind(&META, ResourceKind::Container, node, scope, ctx);
    }
}
