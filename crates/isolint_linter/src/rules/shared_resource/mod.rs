//! The `shared-resource-name` family (ISO2xx): services every worker reaches under one name (a
//! Neo4j database or graph, a schema object, a port, a SQL database, a container). One classifier
//! turns a call into the shared-service operations it performs ([`operations`]); each rule keeps
//! its kind. ISO603 reads the same operations in session fixtures.

mod callers;
mod container;
mod dagster;
mod database;
mod fixture_names;
mod neo4j;
mod ports;
mod subprocess;
mod through_calls;

mod fixed_container_name;
mod fixed_database_name;
mod fixed_port;
mod neo4j_fixed_database;
mod neo4j_fixed_schema;
mod neo4j_global_wipe;

pub(crate) use callers::attribute_to_callers;
pub use fixed_container_name::FixedContainerName;
pub use fixed_database_name::FixedDatabaseName;
pub use fixed_port::FixedPort;
pub use fixture_names::resolve_fixture_names;
pub(crate) use neo4j::{database_parameter, with_database_argument};
pub use neo4j_fixed_database::Neo4jFixedDatabase;
pub use neo4j_fixed_schema::Neo4jFixedSchema;
pub use neo4j_global_wipe::Neo4jGlobalWipe;
pub use through_calls::{drop_reached_helper_findings, findings_through_calls};

use crate::context::{FileContext, Finding};
use crate::diagnostic::FixSite;
use crate::registry::RuleMeta;
use crate::rules::hardcoded_path::actor;
use isolint_python::knowledge::last_component;
use isolint_python::model::{BindingValue, Role, ScopeId, ScopeKind};
use isolint_python::query_tokens::Name;
use isolint_python::services::{QueryLanguage, QUERY_METHODS};
use isolint_python::source::Span;
use isolint_python::syntax::{field, kind, kind_of, unparenthesize};
use isolint_python::template::template;
use isolint_python::value::{Root, Value};
use tree_sitter::Node;

/// Which rule an operation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ResourceKind {
    Neo4jDatabase,
    Neo4jWipe,
    Neo4jSchema,
    Port,
    Database,
    Container,
}

/// One thing a call does to a service under a name every worker shares.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ServiceOp {
    pub kind: ResourceKind,
    /// `neo4j:db/movies`, `neo4j:graph`, `port:8080`, `container:neo4j-test`, ...
    pub resource: String,
    /// What the code does, for the message: "opens the fixed database 'movies'".
    pub what: String,
    pub fix: String,
    /// Only chooses what to talk to (a session on a database), creating and changing nothing.
    pub connects_only: bool,
}

/// An operation found at a call, perhaps inside a helper of the same file that the call runs.
#[derive(Debug, Clone)]
pub(crate) struct FoundOp {
    pub op: ServiceOp,
    /// The call inside the helper, and the helper's name, when the operation is not at the call.
    pub inside: Option<(Span, String)>,
}

/// The shared-service operations a call performs, directly or (for a call in test code of a
/// helper defined in the same file) through the helper's own calls.
pub(crate) fn operations(call: Node, scope: ScopeId, ctx: &FileContext) -> Vec<FoundOp> {
    let Some(callee) = ctx.model.callee(call) else {
        return Vec::new();
    };
    if !may_matter(callee, ctx) {
        return Vec::new();
    }
    let model = ctx.model;
    let owner = model.owner(scope);
    let role = model.scopes[owner].role;
    // Module-level code of a module pytest does not collect (an example, a script) is no test's.
    let collected = ctx.file.pytest_module || ctx.file.is_conftest;
    let module_level = matches!(role, Role::Module | Role::ClassBody);
    if module_level && !collected {
        return Vec::new();
    }
    // A test's own calls of a helper of its file already reach it through the helper's findings
    // (attributed to the tests that call it); fixtures and setup are not attributed that way.
    let helper = if role.is_test_code() && role != Role::Test {
        local_helper(callee, scope, ctx)
    } else {
        None
    };
    // The callee's name rules most calls out before the owner's parameters are read.
    let direct = may_be_classified(classified_name(callee, ctx));
    if (!direct && helper.is_none()) || talks_to_mocks(owner, ctx) {
        return Vec::new();
    }
    let mut found: Vec<FoundOp> = Vec::new();
    if direct {
        found.extend(
            direct_operations(call, scope, ctx)
                .into_iter()
                .map(|op| FoundOp { op, inside: None }),
        );
    }
    if let Some(helper) = helper {
        for (inner_scope, inner) in model.calls_under(helper) {
            for op in direct_operations(inner, inner_scope, ctx) {
                found.push(FoundOp {
                    op,
                    inside: Some((Span::of(inner), model.scopes[helper].name.to_string())),
                });
            }
        }
    }
    found
}

/// The shared-service operations each helper of the file performs at its own calls (not through
/// other helpers: the summaries compose those), for the effect summaries to carry to the test
/// code that calls it.
pub(crate) fn helper_operations(ctx: &mut FileContext) -> Vec<(ScopeId, Span, ServiceOp)> {
    let model = ctx.model;
    let mut found = Vec::new();
    for (scope_id, scope) in model.scopes.iter().enumerate() {
        if scope.calls.is_empty() {
            continue;
        }
        let function = model.owner(scope_id);
        let owner = &model.scopes[function];
        if owner.kind != ScopeKind::Function
            || !matches!(owner.role, Role::Helper | Role::ContextManager)
        {
            continue;
        }
        for call in &scope.calls {
            for found_op in operations_at(*call, scope_id, ctx) {
                if found_op.inside.is_none() {
                    found.push((function, Span::of(*call), found_op.op.clone()));
                }
            }
        }
    }
    found
}

/// Whether a call can be one the classifiers know or a helper of the file, by its callee's text
/// alone.
fn may_matter(callee: Node, ctx: &FileContext) -> bool {
    kind_of(callee) == kind::IDENTIFIER || may_be_classified(last_component(ctx.text(callee)))
}

/// Whether a call's last name component can be one the classifiers know: lets most calls go
/// without evaluating anything. Every classifier matches on this name (or on a dotted suffix
/// ending in it), so a call with another name does nothing they report.
fn may_be_classified(last: &str) -> bool {
    static NAMES: std::sync::LazyLock<foldhash::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| isolint_python::services::call_names().into_iter().collect());
    // The suite's own Neo4j wrappers (`resources.Neo4jResource(database=...)`) too.
    NAMES.contains(last) || isolint_python::services::names_neo4j_wrapper(last)
}

/// The method or function name the classifiers match a call on (`run` in `session.run`).
fn classified_name<'t>(callee: Node<'t>, ctx: &FileContext<'_, 't>) -> &'t str {
    match kind_of(callee) {
        kind::ATTRIBUTE => ctx
            .model
            .attribute_parts(callee)
            .1
            .map_or("", |a| ctx.text(a)),
        _ => last_component(ctx.text(callee)),
    }
}

/// Whether a function works against test doubles: it takes a parameter annotated as a mock or
/// named for one (`driver: MagicMock`, `mock_neo4j_driver`), or is decorated with `patch(...)`.
/// Queries it runs reach no server.
pub(crate) fn talks_to_mocks(function: ScopeId, ctx: &FileContext) -> bool {
    let model = ctx.model;
    let scope = &model.scopes[function];
    if scope.kind != ScopeKind::Function {
        return false;
    }
    let mock_decorator = scope.decorators.iter().any(|d| {
        let text = ctx.text(*d);
        text.contains("patch(") || text.contains("patch.object(")
    });
    let mock_parameter = scope
        .node
        .child_by_field_id(field::PARAMETERS.id())
        .is_some_and(|parameters| {
            isolint_python::syntax::named_children(parameters).any(|p| {
                let text = ctx.text(p);
                text.contains("Mock") || text.to_ascii_lowercase().contains("mock")
            })
        });
    mock_decorator || mock_parameter
}

/// The helper function of this file a call runs (`clear_graph(driver)`).
fn local_helper(callee: Node, scope: ScopeId, ctx: &FileContext) -> Option<ScopeId> {
    let model = ctx.model;
    if kind_of(callee) != kind::IDENTIFIER {
        return None;
    }
    let (_, binding) = model.lookup(ctx.text(callee), scope, callee.start_byte())?;
    let BindingValue::Def(def) = binding.value else {
        return None;
    };
    model.scope_defined_by(def).filter(|s| {
        let helper = &model.scopes[*s];
        helper.kind == ScopeKind::Function && helper.role == Role::Helper
    })
}

/// What one call does, by itself.
fn direct_operations(call: Node, scope: ScopeId, ctx: &FileContext) -> Vec<ServiceOp> {
    let Some(callee) = ctx.model.callee(call) else {
        return Vec::new();
    };
    let last = classified_name(callee, ctx);
    if !may_be_classified(last) {
        return Vec::new();
    }
    let call = Call {
        node: call,
        callee,
        callee_text: ctx.text(callee),
        last,
        scope,
        ctx,
    };
    let mut ops = Vec::new();
    neo4j::operations(&call, &mut ops);
    database::operations(&call, &mut ops);
    dagster::operations(&call, &mut ops);
    container::operations(&call, &mut ops);
    ports::operations(&call, &mut ops);
    subprocess::operations(&call, &mut ops);
    ops
}

/// A call under classification.
pub(crate) struct Call<'c, 'a, 't> {
    pub node: Node<'t>,
    pub callee: Node<'t>,
    pub callee_text: &'t str,
    /// The method or function name (`run` in `session.run`).
    pub last: &'t str,
    pub scope: ScopeId,
    pub ctx: &'c FileContext<'a, 't>,
}

impl<'c, 't> Call<'c, '_, 't> {
    /// The call's arguments as the model's walk took them apart (not again per classifier).
    pub fn args(&self) -> std::borrow::Cow<'c, isolint_python::syntax::CallArgs<'t>> {
        self.ctx.model.call_args(self.node)
    }

    /// The name an argument gives: fixed, unique per test or worker, or unknown.
    pub fn name(&self, node: Node<'t>) -> Name {
        template(&self.ctx.eval, node, self.scope).map_or(Name::Unknown, |t| Name::of_text(&t))
    }

    /// The query template of an argument.
    pub fn template(&self, node: Node<'t>) -> Option<String> {
        template(&self.ctx.eval, node, self.scope)
    }

    pub fn value(&self, node: Node<'t>) -> Value {
        self.ctx.eval.eval(node, self.scope)
    }

    pub fn qualified(&self) -> Option<String> {
        self.ctx.model.qualified_name(self.callee, self.scope)
    }

    /// The receiver's text (`client.containers` in `client.containers.run`).
    pub fn receiver_text(&self) -> Option<&'t str> {
        let object = self.ctx.model.attribute_parts(self.callee).0?;
        Some(self.ctx.text(object))
    }

    /// Whether the file imports `module` (or a submodule of it) anywhere.
    pub fn file_imports(&self, module: &str) -> bool {
        self.ctx.model.scopes.iter().any(|s| {
            s.bindings.values().flatten().any(|b| match b.value {
                BindingValue::Import(m, _) => {
                    m == module || m.strip_prefix(module).is_some_and(|r| r.starts_with('.'))
                }
                _ => false,
            })
        })
    }
}

/// A fixed port number: a positive integer, or a string of digits.
pub(crate) fn fixed_port(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) if *n > 0 => Some(*n),
        Value::Text(t) if t.root == Root::Literal => t.text.parse().ok().filter(|n| *n > 0),
        _ => None,
    }
}

/// The port of an address tuple `(host, port)`.
pub(crate) fn address_port(call: &Call, address: Node) -> Option<i64> {
    let address = unparenthesize(address);
    if kind_of(address) != kind::TUPLE {
        return None;
    }
    let mut items = isolint_python::syntax::named_children(address);
    items.next()?;
    fixed_port(&call.value(items.next()?))
}

/// Who does an operation, for the message: "test `t`", "fixture `f`", "method `C.m`".
pub(crate) fn doer(owner: &crate::context::Owner) -> String {
    match owner.role {
        Role::Module | Role::ClassBody => "module-level code".to_string(),
        Role::Hook => format!("hook `{}`", owner.function),
        Role::Helper if !owner.classes.is_empty() => {
            format!("method `{}.{}`", owner.classes.join("."), owner.function)
        }
        _ => actor(owner),
    }
}

/// The finding of a shared-service operation at a call.
pub(crate) fn finding(
    rule: &'static RuleMeta,
    call: Node,
    scope: ScopeId,
    ctx: &FileContext,
    found: FoundOp,
) -> Finding {
    let (_, owner) = ctx.owner_of(scope);
    let doer = doer(&owner);
    let mut related = Vec::new();
    let (message, site) = match &found.inside {
        Some((span, helper)) => {
            related.push((*span, format!("`{helper}` does it here")));
            (
                format!("{doer} calls `{helper}`, which {}", found.op.what),
                FixSite::Helper,
            )
        }
        None => (format!("{doer} {}", found.op.what), owner.site()),
    };
    Finding {
        rule,
        span: Span::of(call),
        message,
        fix: found.op.fix,
        owner,
        related,
        related_elsewhere: Vec::new(),
        resource: Some(found.op.resource),
        site,
        tests: None,
    }
}

/// The operations of a call, computed once per file and call whichever rule asks first.
fn operations_at<'c>(call: Node, scope: ScopeId, ctx: &'c mut FileContext) -> &'c [FoundOp] {
    // The node's id, not its span: no call into tree-sitter, and a call and the call it is made
    // on (`f(x)(y)`) differ.
    let key = call.id();
    if ctx.no_service_ops == Some(key) {
        return &[];
    }
    if !ctx.service_ops.contains_key(&key) {
        let found = operations(call, scope, ctx);
        if found.is_empty() {
            ctx.no_service_ops = Some(key);
            return &[];
        }
        ctx.service_ops.insert(key, found);
    }
    ctx.service_ops.get(&key).map_or(&[], Vec::as_slice)
}

/// The operations of a call (see [`operations_at`]), for a rule to keep.
pub(crate) fn cached_operations(call: Node, scope: ScopeId, ctx: &mut FileContext) -> Vec<FoundOp> {
    operations_at(call, scope, ctx).to_vec()
}

/// Reports the operations of one kind found at a call.
pub(crate) fn report_kind(
    rule: &'static RuleMeta,
    kind: ResourceKind,
    call: Node,
    scope: ScopeId,
    ctx: &mut FileContext,
) {
    // A database named by a helper's parameter is known only where a call binds it.
    let mut found: Vec<FoundOp> = operations_at(call, scope, ctx)
        .iter()
        .filter(|f| f.op.kind == kind && neo4j::database_parameter(&f.op).is_none())
        .cloned()
        .collect();
    if found.is_empty() {
        return;
    }
    // One finding per shared thing a call touches (a delete of nodes and their relationships).
    let mut seen = std::collections::HashSet::new();
    found.retain(|f| seen.insert(f.op.resource.clone()));
    for f in found {
        let finding = finding(rule, call, scope, ctx, f);
        ctx.report(finding);
    }
}

/// Fixed labels a Cypher query run by this call creates or merges nodes with (none when any label
/// of the query is unique to the test or worker).
pub(crate) fn seeded_labels(call: Node, scope: ScopeId, ctx: &FileContext) -> Vec<String> {
    let Some(callee) = ctx.model.callee(call) else {
        return Vec::new();
    };
    let Some(method) = ctx.model.attribute_parts(callee).1 else {
        return Vec::new();
    };
    let Some(known) = QUERY_METHODS
        .iter()
        .find(|m| m.method == ctx.text(method) && m.language == QueryLanguage::Cypher)
    else {
        return Vec::new();
    };
    let args = ctx.model.call_args(call);
    let query = args
        .positional
        .first()
        .copied()
        .or_else(|| known.keywords.iter().find_map(|k| args.keyword(k)));
    let Some(query) = query.and_then(|q| template(&ctx.eval, q, scope)) else {
        return Vec::new();
    };
    let labels = isolint_python::cypher::scan(&query).labels_written;
    if labels
        .iter()
        .any(|l| *l != Name::Unknown && l.fixed().is_none())
    {
        return Vec::new();
    }
    labels
        .into_iter()
        .filter_map(|l| l.fixed().map(String::from))
        .collect()
}

/// "the fixed database 'x'" etc.: a name in a message.
pub(crate) fn quoted(name: &str) -> String {
    format!("'{name}'")
}

/// The suffix advice every fixed-name fix shares.
pub(crate) const WORKER_SUFFIX: &str =
    "derive the name from the `worker_id` fixture (`f\"test_{worker_id}\"`) or a `uuid4()`";
