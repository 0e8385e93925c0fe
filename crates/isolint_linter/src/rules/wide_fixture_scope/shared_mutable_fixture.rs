use crate::context::FileContext;
use crate::diagnostic::{Effort, Severity};
use crate::fix::Fix;
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::model::ScopeId;
use isolint_python::project::{FixtureRef, Project, SharedValue};
use isolint_python::syntax::kind;
use tree_sitter::Node;

/// ISO601: a test changes the mutable value of a class-, module-, package- or session-scoped
/// fixture. Found in the project stage (`shared_value::findings`), where fixtures are resolved
/// through the conftest hierarchy.
pub struct SharedMutableFixture;

pub static META: RuleMeta = RuleMeta {
    code: "ISO601",
    name: "shared-mutable-fixture",
    category: Category::WideFixtureScope,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "A test changes a mutable object that a wide-scoped fixture shares between tests",
    doc: include_str!("../../../../../rules/ISO601-shared-mutable-fixture.md"),
};

impl Rule for SharedMutableFixture {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::DECORATED_DEFINITION]
    }

    /// The findings come in the project stage, after the tree is gone: the edit that narrows each
    /// wide fixture with a mutable value is made here, keyed by the fixture's name, and
    /// [`narrowing_fix`] hands it to the findings on that fixture.
    fn check_node(&self, node: Node, _scope: ScopeId, ctx: &mut FileContext) {
        let model = ctx.model;
        let Some(fixture) = model
            .fixtures
            .iter()
            .find(|f| f.decorator.parent().is_some_and(|p| p.id() == node.id()))
        else {
            return;
        };
        if matches!(fixture.scope_name.as_str(), "function" | "")
            || !matches!(
                super::shared_value(model, fixture.scope),
                Some(SharedValue::Mutable(_))
            )
        {
            return;
        }
        let edit =
            crate::fix::edits::narrow_fixture_scope(fixture.decorator, ctx.source(), "function");
        let fix = edit.and_then(|e| Fix::unsafe_(vec![e]));
        ctx.offer_fix(&META, model.span_of_name(fixture.scope), fix);
    }
}

/// Whether the fixture of an ISO601 finding may be narrowed to function scope: it is defined in
/// the finding's file (a fix edits one file) and no fixture of a wider scope requests a fixture of
/// that name anywhere (pytest refuses a wide fixture that requests a narrower one).
pub fn narrowable(file: usize, fixture: FixtureRef, project: &Project) -> bool {
    if fixture.file != file {
        return false;
    }
    let name = &project.fixture(fixture).name;
    !project.files.iter().any(|facts| {
        facts.fixtures.iter().any(|other| {
            !matches!(other.scope.as_str(), "function" | "")
                && other.requested.contains(&name.as_str())
        })
    })
}

/// Among a file's offered fixes, the narrowing fix of the fixture whose name sits at `at` (the
/// fixture's position in the project's facts; `position_of` turns a byte offset into one).
pub fn narrowing_fix<'f>(
    offered: &'f std::collections::HashMap<(usize, usize, &'static str), Fix>,
    at: isolint_python::source::Position,
    position_of: impl Fn(usize) -> isolint_python::source::Position,
) -> Option<&'f Fix> {
    offered
        .iter()
        .filter(|((_, _, code), _)| *code == META.code)
        .find(|((start, _, _), _)| position_of(*start) == at)
        .map(|(_, fix)| fix)
}
