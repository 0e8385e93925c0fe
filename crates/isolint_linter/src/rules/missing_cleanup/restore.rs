//! Whether a change to process-wide state (the environment, the working folder, `sys.path`, a
//! logger, a patch) is undone on every path out of the test: one analysis that ISO501–ISO505 share,
//! each rule saying only which statements change its state and what puts it back.
//!
//! A change counts as undone when a `with` block or decorator around it restores the state, when a
//! fixture the owner takes restores it itself, when the same function undoes it in `finally` or
//! after a fixture's `yield`, in a teardown of the class or module, or through a registered cleanup
//! (`addCleanup`, `addfinalizer`, `ExitStack.callback`). A restore later in the same body that an
//! assertion comes before runs only when the test passes: that is a leak on failure.

use crate::context::{FileContext, Owner};
use isolint_python::knowledge::{last_component, SAVED_VALUE_WORDS};
use isolint_python::model::{Role, ScopeId, ScopeKind, MODULE_SCOPE};
use isolint_python::source::Span;
use isolint_python::syntax::{field, kind, kind_of, named_children};
use tree_sitter::Node;

/// What one statement does to a piece of process state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// The effect key (`cwd`, `syspath`, `env:HOME`, `logger:app`, `mock:app.api.fetch`); `None`
    /// when the statement's key is not known, which matches any key of the same state.
    pub key: Option<String>,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Changes the state.
    Set,
    /// Removes an entry: a leak of its own, or the undoing of a set.
    Remove,
    /// Puts back a saved value or snapshot.
    Restore,
}

/// One kind of process-wide state, as the shared analysis needs to know it.
pub trait ProcessState {
    /// The change a node makes to this state, if any.
    fn change(&self, node: Node, scope: ScopeId, ctx: &FileContext) -> Option<StateChange>;

    /// A `with` context or decorator call that restores this state when it exits.
    fn is_guard(&self, call: Node, scope: ScopeId, ctx: &FileContext) -> bool;

    /// Whether the text of a registered cleanup (its arguments, or the body of the local function
    /// it registers) restores this state.
    fn cleanup_restores(&self, text: &str) -> bool;

    /// Whether `later` (after `change` in the same function, or in a teardown) undoes `change`.
    fn undoes(&self, change: &StateChange, later: &StateChange) -> bool {
        later.kind != ChangeKind::Set && keys_match(&change.key, &later.key)
    }

    /// Fixtures that put this state back themselves when their test ends (`pytester` restores the
    /// working folder).
    fn restoring_fixtures(&self) -> &'static [&'static str] {
        &[]
    }
}

/// Whether a change is undone, and on which paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restoration {
    /// On every path out of the test.
    Always,
    /// Later in the same body, not in `finally`, with an assertion before it: a failing test
    /// leaves the state changed.
    OnlyIfPasses {
        restore: Span,
    },
    Never,
}

/// A change that leaks out of the code that made it.
pub struct Leak {
    pub change: StateChange,
    pub owner: Owner,
    pub restoration: Restoration,
}

/// The leak a node makes, if it changes `state` in test code and nothing undoes it on every path.
pub fn leak_at(
    node: Node,
    scope: ScopeId,
    ctx: &FileContext,
    state: &dyn ProcessState,
) -> Option<Leak> {
    let change = state.change(node, scope, ctx)?;
    if change.kind == ChangeKind::Restore {
        return None;
    }
    let (owner_id, owner) = ctx.owner_of(scope);
    if !reported_role(&owner, ctx) {
        return None;
    }
    let model = ctx.model;
    // What a fixture does after `yield` is its teardown.
    if model.scopes[owner_id]
        .yield_at
        .is_some_and(|y| node.start_byte() > y && !in_yield(node))
    {
        return None;
    }
    if earlier_change(node, owner_id, ctx, state, |earlier| match change.kind {
        // A removal that undoes an earlier set of the same key, or a second set (the first one
        // is the finding).
        ChangeKind::Remove => earlier.kind == ChangeKind::Set && state.undoes(earlier, &change),
        _ => earlier.kind == ChangeKind::Set && change.key.is_some() && earlier.key == change.key,
    }) {
        return None;
    }
    if guarded(node, scope, owner_id, ctx, state) {
        return None;
    }
    let restoration = restoration(node, &change, owner_id, ctx, state);
    (restoration != Restoration::Always).then_some(Leak {
        change,
        owner,
        restoration,
    })
}

/// Code whose changes the rules report: tests, setup, fixtures (a session-wide autouse fixture
/// applies to every test alike), and helpers of test modules (the project stage keeps them only
/// when a test calls them). Module level, hooks and context managers are not.
pub fn reported_role(owner: &Owner, ctx: &FileContext) -> bool {
    match owner.role {
        Role::Test | Role::Setup => true,
        Role::Fixture => {
            !(owner.fixture_autouse && owner.fixture_scope.as_deref() == Some("session"))
        }
        Role::Helper => ctx.file.pytest_module || !ctx.model.unittest_classes.is_empty(),
        _ => false,
    }
}

/// Who made a change, for messages: `test`, `fixture \`x\``, `helper \`y\``, `\`setUp\``.
pub fn who(owner: &Owner) -> String {
    match owner.role {
        Role::Test => "test".to_string(),
        Role::Helper => format!("helper `{}`", owner.function),
        Role::Fixture => format!("fixture `{}`", owner.fixture.as_deref().unwrap_or("")),
        _ => format!("`{}`", owner.function),
    }
}

/// The end of a finding's message: what happens to later tests.
pub fn consequence(restoration: Restoration, what: &str) -> String {
    match restoration {
        Restoration::OnlyIfPasses { .. } => format!(
            "restores {what} only when the test passes (not in `finally`): after a failure, later tests in the same worker see the change"
        ),
        _ => format!("never restores {what}; later tests in the same worker see the change"),
    }
}

/// The related location of a restore that runs only when the test passes.
pub fn related_restore(restoration: Restoration) -> Vec<(Span, String)> {
    match restoration {
        Restoration::OnlyIfPasses { restore } => vec![(
            restore,
            "restored here, but an assertion before it skips this line when it fails".to_string(),
        )],
        _ => Vec::new(),
    }
}

/// A `with` block or a decorator of the owner (or its class) that restores the state, or a fixture
/// the owner takes that does.
fn guarded(
    node: Node,
    scope: ScopeId,
    owner: ScopeId,
    ctx: &FileContext,
    state: &dyn ProcessState,
) -> bool {
    if ctx
        .model
        .enclosing_with_contexts(node)
        .into_iter()
        .any(|context| kind_of(context) == kind::CALL && state.is_guard(context, scope, ctx))
    {
        return true;
    }
    let model = ctx.model;
    let fixtures = state.restoring_fixtures();
    if !fixtures.is_empty()
        && model.scopes[owner]
            .parameters()
            .iter()
            .any(|(name, _)| fixtures.contains(name))
    {
        return true;
    }
    let mut scopes = vec![owner];
    if let Some(class) = model.class_of_method(owner) {
        scopes.push(class);
    }
    scopes.iter().any(|s| {
        model.scopes[*s].decorators.iter().any(|d| {
            named_children(*d).next().is_some_and(|expr| {
                kind_of(expr) == kind::CALL && state.is_guard(expr, MODULE_SCOPE, ctx)
            })
        })
    })
}

/// Whether a change of the owner before `node` satisfies `wanted`.
fn earlier_change(
    node: Node,
    owner: ScopeId,
    ctx: &FileContext,
    state: &dyn ProcessState,
    wanted: impl Fn(&StateChange) -> bool,
) -> bool {
    let mut stack = vec![ctx.model.scopes[owner].node];
    while let Some(current) = stack.pop() {
        if current.end_byte() <= node.start_byte() {
            if let Some(other) = state.change(current, scope_of(current, owner, ctx), ctx) {
                if wanted(&other) {
                    return true;
                }
            }
        }
        if current.start_byte() < node.start_byte() {
            stack.extend(named_children(current));
        }
    }
    false
}

/// Where a change is undone: later in the owner, anywhere in the teardowns of its class and module,
/// or by a cleanup registered in the owner.
fn restoration(
    node: Node,
    change: &StateChange,
    owner: ScopeId,
    ctx: &FileContext,
    state: &dyn ProcessState,
) -> Restoration {
    let model = ctx.model;
    let mut places: Vec<(ScopeId, bool)> = vec![(owner, false)];
    let class = model.class_of_method(owner);
    let container = class.unwrap_or(MODULE_SCOPE);
    let teardowns_of = |parent: ScopeId| ctx.teardowns_in(parent).iter().map(|id| (*id, true));
    places.extend(teardowns_of(container));
    if class.is_some() {
        places.extend(teardowns_of(MODULE_SCOPE));
    }
    let owner_node = model.scopes[owner].node;
    let yield_at = model.scopes[owner].yield_at;
    // Restores in the owner's own body that no `finally` protects, and the assertions after the
    // change: a restore with an assertion before it runs only when the test passes.
    let mut unprotected: Vec<Node> = Vec::new();
    let mut assertions: Vec<usize> = Vec::new();
    for (place, anywhere) in places {
        let root = model.scopes[place].node;
        let mut stack = vec![root];
        while let Some(current) = stack.pop() {
            let after = current.start_byte() > node.end_byte();
            if current.id() != node.id() && (anywhere || after) {
                if let Some(other) = state.change(current, scope_of(current, place, ctx), ctx) {
                    if state.undoes(change, &other) {
                        let protected = anywhere
                            || yield_at.is_some_and(|y| {
                                (node.start_byte() < y || in_yield(node))
                                    && current.start_byte() > y
                            })
                            || in_finally(current, owner_node);
                        if protected {
                            return Restoration::Always;
                        }
                        unprotected.push(current);
                    }
                }
                if !anywhere && is_assertion(current, ctx) {
                    assertions.push(current.start_byte());
                }
            }
            if kind_of(current) == kind::CALL
                && (anywhere || current.start_byte() < node.start_byte() || after)
                && registers_cleanup(current, place, ctx, state)
            {
                return Restoration::Always;
            }
            stack.extend(named_children(current));
        }
    }
    unprotected.sort_by_key(|n| n.start_byte());
    match unprotected.first() {
        None => Restoration::Never,
        Some(first)
            if assertions
                .iter()
                .any(|a| *a > node.end_byte() && *a < first.start_byte()) =>
        {
            Restoration::OnlyIfPasses {
                restore: Span::of(*first),
            }
        }
        // Restored before anything checks the result: what could fail in between is not a test's
        // verdict, and calling it a leak would be guesswork.
        Some(_) => Restoration::Always,
    }
}

/// Part of the value a fixture yields (`yield patcher.start()`): it runs before the test.
fn in_yield(node: Node) -> bool {
    let mut current = node.parent();
    while let Some(ancestor) = current {
        match kind_of(ancestor) {
            kind::YIELD => return true,
            kind::EXPRESSION_STATEMENT | kind::BLOCK => return false,
            _ => current = ancestor.parent(),
        }
    }
    false
}

/// Inside a `finally:` of the function `within`.
fn in_finally(node: Node, within: Node) -> bool {
    let mut current = node.parent();
    while let Some(ancestor) = current {
        if ancestor.id() == within.id() {
            return false;
        }
        if kind_of(ancestor) == kind::FINALLY_CLAUSE {
            return true;
        }
        current = ancestor.parent();
    }
    false
}

/// An `assert` statement, or a call of `self.assert*`/`pytest.fail`/`pytest.raises`.
fn is_assertion(node: Node, ctx: &FileContext) -> bool {
    match kind_of(node) {
        kind::ASSERT_STATEMENT => true,
        kind::CALL => ctx.model.callee(node).is_some_and(|callee| {
            let last = last_component(ctx.text(callee));
            last.starts_with("assert") || matches!(last, "fail" | "raises")
        }),
        _ => false,
    }
}

/// The innermost function around `node`, looked for only among the scopes nested in `place`
/// (which holds `node`): searching the whole file per node made a file of many tests quadratic.
pub fn scope_of(node: Node, place: ScopeId, ctx: &FileContext) -> ScopeId {
    let model = ctx.model;
    model
        .subtree(place)
        .rev()
        .find(|id| {
            let s = &model.scopes[*id];
            s.kind == ScopeKind::Function && s.node.byte_range().contains(&node.start_byte())
        })
        .unwrap_or(place)
}

/// Whether the dotted name `qualified` is `name` or ends with `.name` (`mock.patch` ends with
/// `patch`, `responses.start` with `start`): compared in place, as the states ask it of every call.
pub fn ends_with_name(qualified: &str, name: &str) -> bool {
    qualified
        .strip_suffix(name)
        .is_some_and(|head| head.is_empty() || head.ends_with('.'))
}

/// The distinct last names of a table of dotted names (`Popen` of `subprocess.Popen`): split once,
/// so that a call is ruled out by its callee's last name without splitting the table per call.
pub fn last_names(names: impl IntoIterator<Item = &'static str>) -> Vec<&'static str> {
    let mut lasts: Vec<&'static str> = names.into_iter().map(last_component).collect();
    lasts.sort_unstable();
    lasts.dedup();
    lasts
}

pub fn keys_match(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// The functions that register a cleanup to run at the end of the test (or class, or module).
const CLEANUP_REGISTRARS: &[&str] = &[
    "addCleanup",
    "addClassCleanup",
    "addModuleCleanup",
    "addfinalizer",
    "callback",
    "push",
    "enterContext",
    "enter_context",
    "enterClassContext",
];

/// `self.addCleanup(os.chdir, old)`, `request.addfinalizer(restore)`, `stack.callback(...)` whose
/// arguments, or the body of the local function they register, restore the state.
fn registers_cleanup(
    call: Node,
    scope: ScopeId,
    ctx: &FileContext,
    state: &dyn ProcessState,
) -> bool {
    let Some(callee) = ctx.model.callee(call) else {
        return false;
    };
    if !CLEANUP_REGISTRARS.contains(&last_component(ctx.text(callee))) {
        return false;
    }
    let Some(args) = ctx.model.arguments(call) else {
        return false;
    };
    if state.cleanup_restores(ctx.text(args)) {
        return true;
    }
    ctx.model.call_args(call).positional.iter().any(|arg| {
        kind_of(arg) == kind::IDENTIFIER
            && ctx.functions_named(ctx.text(*arg)).iter().any(|id| {
                let s = &ctx.model.scopes[*id];
                state.cleanup_restores(ctx.text(s.node))
                    && s.node.start_byte() >= ctx.model.scopes[scope].node.start_byte()
            })
    })
}

/// Whether an expression is a value saved before a change, to be put back: `old`, `saved_cwd`,
/// `self._orig_path`, or a name bound to one of `getters` (`os.getcwd()`, `sys.path[:]`).
pub fn is_saved_value(expr: Node, scope: ScopeId, ctx: &FileContext, getters: &[&str]) -> bool {
    let expr = isolint_python::syntax::unparenthesize(expr);
    let text = ctx.text(expr);
    let lower = text.to_ascii_lowercase();
    if SAVED_VALUE_WORDS.iter().any(|w| lower.contains(w))
        || getters.iter().any(|g| text.contains(g))
    {
        return true;
    }
    let bound_to_getter = |value: Node| {
        let value_text = ctx.text(value);
        getters.iter().any(|g| value_text.contains(g))
    };
    // `self._argv`, saved in setUp as `self._argv = sys.argv`.
    if kind_of(expr) == kind::ATTRIBUTE {
        let model = ctx.model;
        let (Some(object), Some(attribute), Some(class)) = (
            ctx.model.attribute_parts(expr).0,
            ctx.model.attribute_parts(expr).1,
            model.class_of_method(scope),
        ) else {
            return false;
        };
        return matches!(ctx.text(object), "self" | "cls")
            && model.scopes[class]
                .attributes
                .get(ctx.text(attribute))
                .is_some_and(|bindings| {
                    bindings.iter().any(|b| match b.value {
                        isolint_python::model::BindingValue::Expr(value) => bound_to_getter(value),
                        _ => false,
                    })
                });
    }
    if kind_of(expr) != kind::IDENTIFIER {
        return false;
    }
    if from_saved_loop(expr, text, ctx) {
        return true;
    }
    match ctx.model.lookup(text, scope, expr.start_byte()) {
        Some((_, binding)) => match binding.value {
            isolint_python::model::BindingValue::Expr(value) => bound_to_getter(value),
            // `for name, module in saved_modules:` — an item of a saved collection.
            isolint_python::model::BindingValue::LoopItem(iterable) => {
                let lower = ctx.text(iterable).to_ascii_lowercase();
                SAVED_VALUE_WORDS.iter().any(|w| lower.contains(w)) || bound_to_getter(iterable)
            }
            _ => false,
        },
        None => false,
    }
}

/// Reports a leak at `node`, the key as the finding's resource.
pub fn report_leak(
    ctx: &mut FileContext,
    rule: &'static crate::registry::RuleMeta,
    node: Node,
    leak: Leak,
    message: String,
    fix: String,
) {
    let site = leak.owner.site();
    ctx.report(crate::context::Finding {
        rule,
        span: Span::of(node),
        message,
        fix,
        related: related_restore(leak.restoration),
        owner: leak.owner,
        related_elsewhere: Vec::new(),
        resource: leak.change.key,
        site,
        tests: None,
    });
}

/// The qualified name of a call's callee, resolved only when its last component is one of `lasts`
/// (aliases are looked up for calls that can matter, not for every call).
pub fn callee_named(
    call: Node,
    scope: ScopeId,
    ctx: &FileContext,
    lasts: impl Fn(&str) -> bool,
) -> Option<String> {
    if kind_of(call) != kind::CALL {
        return None;
    }
    let callee = ctx.model.callee(call)?;
    let written = last_component(ctx.text(callee));
    if !lasts(written) {
        return None;
    }
    ctx.model.qualified_name(callee, scope)
}

/// A target of an enclosing `for` over a saved collection: `for name, module in saved:`.
fn from_saved_loop(expr: Node, name: &str, ctx: &FileContext) -> bool {
    let mut current = expr.parent();
    while let Some(ancestor) = current {
        match kind_of(ancestor) {
            kind::FUNCTION_DEFINITION | kind::LAMBDA => return false,
            kind::FOR_STATEMENT => {
                let binds = ancestor
                    .child_by_field_id(field::LEFT.id())
                    .is_some_and(|left| {
                        ctx.text(left)
                            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .any(|word| word == name)
                    });
                if binds {
                    return ancestor
                        .child_by_field_id(field::RIGHT.id())
                        .is_some_and(|items| {
                            let lower = ctx.text(items).to_ascii_lowercase();
                            SAVED_VALUE_WORDS.iter().any(|w| lower.contains(w))
                        });
                }
            }
            _ => {}
        }
        current = ancestor.parent();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{ends_with_name, last_names};

    #[test]
    fn names_end_at_a_dot_boundary() {
        assert!(ends_with_name("unittest.mock.patch", "mock.patch"));
        assert!(ends_with_name("patch", "patch"));
        assert!(ends_with_name("responses.start", "start"));
        assert!(!ends_with_name("unittest.mock.dispatch", "patch"));
        assert!(!ends_with_name("mock.patch.object", "patch"));
        assert!(!ends_with_name("os.chdir", ""));
    }

    #[test]
    fn last_names_are_split_once_and_distinct() {
        assert_eq!(
            last_names(["pook.off", "pook.disable", "httpretty.disable", "start"]),
            vec!["disable", "off", "start"]
        );
    }
}
