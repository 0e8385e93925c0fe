use crate::context::{FileContext, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::shared_resource::{cached_operations, seeded_labels};
use crate::rules::Rule;
use isolint_python::model::{Role, ScopeId};
use isolint_python::source::Span;
use isolint_python::syntax::kind;
use isolint_python::syntax::kind_of;
use tree_sitter::Node;

/// ISO603: a session fixture that creates a fixed-name resource, listens on a fixed port or seeds
/// a shared database, as if it ran once per run: under xdist it runs once per worker.
pub struct SessionFixturePerWorker;

pub(crate) static META: RuleMeta = RuleMeta {
    code: "ISO603",
    name: "session-fixture-per-worker",
    category: Category::WideFixtureScope,
    severity: Severity::Error,
    effort: Effort::Moderate,
    shared_effort: Effort::Moderate,
    summary: "A session fixture sets up a shared resource as if it ran once per run",
    doc: include_str!("../../../../../rules/ISO603-session-fixture-per-worker.md"),
};

/// What ISO603 asks for, wherever the fixture's work happens.
pub(crate) const FIX: &str = "name what it creates per worker (take the `worker_id` fixture), or do the once-per-run work behind a file lock under `tmp_path_factory.getbasetemp().parent` as the pytest-xdist docs show";

/// Parameters that show the fixture already knows it runs once per worker.
const PER_WORKER_PARAMETERS: &[&str] = &["worker_id", "testrun_uid"];

impl Rule for SessionFixturePerWorker {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::CALL]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        // Most calls are outside fixtures: the owner (names, node id) is built only for those in one.
        if ctx.model.scopes[ctx.model.owner(scope)].role != Role::Fixture {
            return;
        }
        let (fixture_scope, owner) = ctx.owner_of(scope);
        if owner.role != Role::Fixture
            || !matches!(owner.fixture_scope.as_deref(), Some("session" | "package"))
            || aware_of_workers(fixture_scope, ctx)
        {
            return;
        }
        let name = owner
            .fixture
            .clone()
            .unwrap_or_else(|| owner.function.clone());
        let mut found: Vec<(String, String)> = cached_operations(node, scope, ctx)
            .into_iter()
            .filter(|f| !f.op.connects_only)
            .map(|f| (f.op.what, f.op.resource))
            .collect();
        let labels = seeded_labels(node, scope, ctx);
        if !labels.is_empty() {
            let shown: Vec<String> = labels.iter().map(|l| format!("`:{l}`")).collect();
            found.push((
                format!("seeds the shared graph with {} nodes", shown.join(", ")),
                format!("neo4j:label/{}", labels.join(",")),
            ));
        }
        for (what, resource) in found {
            let fix = per_worker_fix(fixture_scope, &resource, ctx);
            ctx.offer_fix(&META, Span::of(node), fix);
            ctx.report(Finding {
                rule: &META,
                span: Span::of(node),
                message: format!(
                    "session fixture `{name}` runs once per xdist worker, not once per run, and {what}"
                ),
                fix: FIX.to_string(),
                owner: owner.clone(),
                related: Vec::new(),
                related_elsewhere: Vec::new(),
                resource: Some(resource),
                site: owner.site(),
                tests: None,
            });
        }
    }
}

/// The fixture takes `worker_id`/`testrun_uid`, or takes a file lock: it was written for xdist.
pub(crate) fn aware_of_workers(fixture: ScopeId, ctx: &FileContext) -> bool {
    let model = ctx.model;
    model.scopes[fixture]
        .parameters()
        .iter()
        .any(|(name, _)| PER_WORKER_PARAMETERS.contains(name))
        || model.calls_under(fixture).any(|(_, call)| {
            call.child_by_field_id(isolint_python::syntax::field::FUNCTION.id())
                .is_some_and(|callee| ctx.text(callee).ends_with("FileLock"))
        })
}

/// The unsafe fix: the fixture takes `worker_id` and every literal naming the resource in it gets
/// the worker's suffix. Unsafe because tests and other fixtures may look the resource up under its
/// old name.
fn per_worker_fix(fixture: ScopeId, resource: &str, ctx: &FileContext) -> Option<crate::fix::Fix> {
    use crate::fix::edits::{
        add_parameter, can_take_fixture, function_node, strings_in, suffix_with_worker_id,
    };
    let model = ctx.model;
    if resource.starts_with("port:") || !can_take_fixture(model, fixture, "worker_id") {
        return None;
    }
    let names: Vec<&str> = resource
        .rsplit('/')
        .next()?
        .split(',')
        .filter(|n| {
            n.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        })
        .collect();
    let function = function_node(model, fixture)?;
    let mut edits: Vec<crate::fix::Edit> = strings_in(function)
        .into_iter()
        .filter(|s| {
            s.parent()
                .is_some_and(|p| kind_of(p) != kind::EXPRESSION_STATEMENT)
        })
        .filter_map(|s| suffix_with_worker_id(s, ctx.source(), &names))
        .collect();
    if edits.is_empty() {
        return None;
    }
    edits.extend(add_parameter(function, ctx.source(), "worker_id")?.edit());
    crate::fix::Fix::unsafe_(edits)
}
