//! The state-effect analysis behind the `module-state` family and ISO402: which module- and
//! class-level objects test code changes (mutating methods, item and attribute assignment,
//! augmented assignment, `del`, `global` rebinding, `setattr`), whether the same code undoes the
//! change, and which tests read that state.
//!
//! State is named by a dotted path from a module: `tests.test_init.gpc.progress_bar`,
//! `pkg.registry._REGISTRY`, `tests.test_api.TestApi._client._mode`. A write conflicts with a read
//! when one path is a prefix of the other (changing `gpc.progress_bar` matters to a test calling
//! `gpc.download()`, not to one reading `gpc.verbose`).
//!
//! Collected per file from the nodes the model gathered in its one walk; paired across files by
//! the project stage (`rules::order_dependency::cross_test_state_flow`).

use crate::context::{FileContext, Owner};
use foldhash::{HashMap, HashMapExt};
use isolint_python::knowledge::{
    last_component, IMMUTABLE_FACTORIES, MUTATING_METHODS, REMOVING_METHODS, SINGLETON_ACCESSORS,
};
use isolint_python::model::{string_value, Binding, BindingValue, Role, Scope, ScopeId, ScopeKind};
use isolint_python::source::{Position, Span};
use isolint_python::syntax::{field, kind, kind_of, named_children, unparenthesize};
use std::sync::Arc;
use tree_sitter::Node;

/// The node kinds the analysis reads.
pub const WRITE_KINDS: &[&str] = &[
    kind::ASSIGNMENT,
    kind::AUGMENTED_ASSIGNMENT,
    kind::DELETE_STATEMENT,
    kind::CALL,
    // tree-sitter-python reads `type(self).x = v` at the start of a statement as a type alias.
    TYPE_ALIAS,
];

const TYPE_ALIAS: &str = "type_alias_statement";

/// Who holds the state a write changes: it decides which rule reports the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Holder {
    /// A mutable object bound at module level in this file (ISO301).
    ModuleObject,
    /// A name declared `global` and assigned in a function (ISO302).
    GlobalName,
    /// An attribute of a test class, shared by its tests (ISO303).
    TestClass,
    /// An imported module or class, a fixture's class, a process-wide singleton (ISO306).
    Imported,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WriteKind {
    /// Sets a value (`x.a = v`, `d[k] = v`, `global x; x = v`, `setattr`).
    Assign,
    /// Adds to or changes a container in place (`append`, `update`, `+=`).
    Mutate,
    /// Removes (`del`, `pop`, `clear`, `remove`).
    Remove,
}

/// A verb of the knowledge tables, read back from the cache through the interner (an alias, so
/// serde's derive does not ask to borrow it from the entry).
pub type Verb = &'static str;

/// One change to module or class state.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StateWrite {
    /// Dotted path; a leading `{module}` stands for the file's own module until the project stage
    /// knows it (first-party modules learn their names late).
    pub path: String,
    pub holder: Holder,
    pub kind: WriteKind,
    /// How the code reads (`appends to`, `sets`, `removes an item of`).
    #[serde(deserialize_with = "isolint_python::intern::deserialize")]
    pub verb: Verb,
    pub span: Span,
    pub position: Position,
    pub owner: Owner,
    /// The function's scope, for restores in the same function.
    pub function: ScopeId,
    /// Undone by the same code: in `finally`, after a fixture's `yield`, in teardown, by a later
    /// restore, a registered cleanup or inside a patch of the same object.
    pub restored: bool,
    /// Where a module-level object was defined, for ISO301's related location.
    pub definition: Option<(Span, Position)>,
    /// For a call into the project's code that changes the state: the callee as written and the
    /// change inside it.
    pub through: Option<(String, crate::diagnostic::Related)>,
    /// Fills a module cache that is unset (`if _client is None: _client = make()`): the same
    /// value whichever test fills it first, unless that test has something patched meanwhile.
    #[serde(default)]
    pub lazy_fill: bool,
}

/// One read of module or class state by a test.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StateRead {
    pub path: String,
    /// For an attribute of a module-level instance (`gpc.verbose`): the instance, since a property
    /// or method may read any of its state.
    pub instance: Option<String>,
    /// The object is used as a whole (`gpc.download()`, `Plot()`), not one of its attributes.
    pub whole: bool,
    /// Read inside a first-party function the test calls: evidence for every test calling it, so
    /// its victims are counted like whole uses.
    #[serde(default)]
    pub through_call: bool,
    pub span: Span,
    pub position: Position,
    /// One per function, shared by its reads: a test reads many paths, and every file's reads
    /// live until the project stage.
    pub owner: Arc<Owner>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileState {
    pub writes: Vec<StateWrite>,
    pub reads: Vec<StateRead>,
    /// Paths whose writes in this file are resets (autouse fixtures, restores), for the
    /// project-wide "reset before every test" check.
    pub autouse_resets: Vec<String>,
    /// Per function, the argument text of its patches and registered cleanups: a call into the
    /// project's code that changes a key they name is undone too.
    pub restoring: Vec<(ScopeId, String)>,
}

/// One part of an access chain below its base name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Attr(String),
    /// A literal subscript, or `[]` for any other.
    Item(String),
    /// `type(x)`, `x.__class__`.
    Class,
    /// `X.get_instance()`: the process-wide instance a known accessor returns.
    Accessor(String),
    /// `x.method(...)`: the object is used as a whole.
    Call,
}

/// A resolved access: the dotted path and who holds it.
struct Resolved {
    path: String,
    /// The module-level instance the path starts from, if it does.
    instance: Option<String>,
    holder: Holder,
    definition: Option<Span>,
}

const MAX_ALIAS_DEPTH: usize = 4;

/// Marks a write target whose object is `type(...)` of the expression (see [`TYPE_ALIAS`]).
const CLASS_OF: &str = "\0type";

/// Collects the state writes (and, for ISO402, the reads of tests) of one file.
pub fn collect(ctx: &FileContext, reads: bool, position: impl Fn(usize) -> Position) -> FileState {
    let model = ctx.model;
    let mut state = FileState::default();
    let write_kinds: Vec<u16> = WRITE_KINDS
        .iter()
        .map(|k| isolint_python::syntax::kind_id(k))
        .collect();
    let identifier = isolint_python::syntax::kind_id(kind::IDENTIFIER);
    let mut owners: HashMap<ScopeId, Owner> = HashMap::new();
    let mut read_owners: HashMap<ScopeId, Arc<Owner>> = HashMap::new();
    let mut read_seen: foldhash::HashSet<(ScopeId, String)> = foldhash::HashSet::default();
    // Cleanups registered per function (their argument text), and patches a function sets up
    // (`monkeypatch.setattr(obj, "attr", v)`: undone after the test, whatever the function does
    // to the attribute meanwhile).
    let mut cleanups: HashMap<ScopeId, Vec<String>> = HashMap::new();
    let mut patches: HashMap<ScopeId, Vec<String>> = HashMap::new();
    for ((node, scope), &kind_id) in model.wanted_nodes.iter().zip(&model.wanted_kind_ids) {
        if kind_id == identifier {
            if !reads {
                continue;
            }
            let function = model.owner(*scope);
            if model.scopes[function].role != Role::Test {
                continue;
            }
            if let Some((path, instance, whole)) = read_path(ctx, *node, *scope) {
                // A setting the test overrides around the read is its own value.
                if in_settings(&path)
                    && settings_override_at(ctx, function, *node)
                        .is_some_and(|names| names_setting(&names, &path))
                {
                    continue;
                }
                if read_seen.insert((function, path.clone())) {
                    let owner = read_owners
                        .entry(function)
                        .or_insert_with(|| ctx.shared_owner(*scope))
                        .clone();
                    state.reads.push(StateRead {
                        path,
                        instance,
                        whole,
                        through_call: false,
                        span: Span::of(*node),
                        position: position(node.start_byte()),
                        owner,
                    });
                }
            }
            continue;
        }
        if !write_kinds.contains(&kind_id) {
            continue;
        }
        let function = model.owner(*scope);
        if model.scopes[function].kind != ScopeKind::Function {
            continue;
        }
        if kind_of(*node) == kind::CALL {
            if let Some(text) = cleanup_arguments(ctx, *node) {
                cleanups.entry(function).or_default().push(text);
            }
            if let Some(text) = patch_arguments(ctx, *node) {
                patches.entry(function).or_default().push(text);
            }
        }
        let in_place = kind_of(*node) == kind::CALL;
        let targets = write_targets(ctx, *node);
        // Looking up the enclosing statements costs a walk up the tree: only for real changes.
        if targets.is_empty()
            || in_place && in_assert(ctx, *node)
            // A change inside `pytest.raises(...)` is expected to be refused.
            || crate::analysis::path_effects::expected_to_fail(ctx, *node)
        {
            continue;
        }
        for (target, write_kind, verb, member) in targets {
            let Some(resolved) = resolve_target(ctx, target, *scope, &member, write_kind, in_place)
            else {
                continue;
            };
            let owner = owners
                .entry(function)
                .or_insert_with(|| ctx.owner_of(*scope).1)
                .clone();
            // A class's own class-level setup builds its shared attributes: their definition.
            if owner.role == Role::Setup
                && class_setup(ctx, function)
                && model.class_of_method(function).is_some_and(|class| {
                    resolved
                        .path
                        .starts_with(&format!("{{module}}.{}", class_path(ctx, class)))
                })
            {
                continue;
            }
            if not_state(&resolved.path) {
                continue;
            }
            let after_yield = model.scopes[function]
                .yield_at
                .is_some_and(|y| node.start_byte() > y);
            let restores = after_yield
                || owner.role == Role::Teardown
                || in_finally(ctx, *node)
                || inside_patch_of(ctx, *node, target)
                || assigns_saved_value(ctx, *node, target, *scope)
                || under_override(ctx, function, target)
                || drops_cached_value(ctx, *node, target);
            let lazy_fill = resolved.holder == Holder::GlobalName
                && write_kind == WriteKind::Assign
                && fills_cache_when_unset(ctx, *node, target)
                || fills_itself(ctx, *node, target)
                // The module's own memo; `sys.modules` caches what importing ran, once.
                || resolved.holder != Holder::Imported && memoizes(ctx, *node, target, function)
                || numbers_instances(ctx, *node, function);
            state.writes.push(StateWrite {
                lazy_fill,
                path: resolved.path,
                holder: resolved.holder,
                kind: write_kind,
                verb,
                span: Span::of(*node),
                position: position(node.start_byte()),
                owner,
                function,
                restored: restores,
                definition: resolved.definition.map(|span| (span, position(span.start))),
                through: None,
            });
        }
    }
    // `_load()`, called only under `if not _registry:`, fills `_registry` as a fill in place would.
    for write in state
        .writes
        .iter_mut()
        .filter(|w| !w.lazy_fill && w.holder == Holder::GlobalName && w.kind == WriteKind::Assign)
    {
        if let Some(name) = write.path.strip_prefix("{module}.") {
            write.lazy_fill = called_only_when_unset(ctx, write.function, name);
        }
    }
    // Filling the cache's items (`_engines = {}` then `_engines[k] = v`) is part of the fill.
    let fills: Vec<(ScopeId, String)> = state
        .writes
        .iter()
        .filter(|w| w.lazy_fill)
        .map(|w| (w.function, format!("{}.", w.path)))
        .collect();
    for write in &mut state.writes {
        write.lazy_fill |= fills.iter().any(|(function, prefix)| {
            *function == write.function && write.path.starts_with(prefix)
        });
    }
    mark_restored(ctx, &mut state.writes, &cleanups);
    let guarded = autouse_guards(ctx, &patches);
    for write in state.writes.iter_mut().filter(|w| !w.restored) {
        let (object, attribute) = object_and_attribute(&write.path);
        let names = |t: &String| t.contains(object) && t.contains(attribute);
        write.restored = patches
            .get(&write.function)
            .is_some_and(|texts| texts.iter().any(names))
            || guarded
                .iter()
                .any(|(test, t)| *test == write.function && names(t));
    }
    state.restoring = patches
        .into_iter()
        .chain(cleanups)
        .flat_map(|(function, texts)| texts.into_iter().map(move |t| (function, t)))
        .chain(guarded)
        .collect();
    state.restoring.sort();
    state.autouse_resets = state
        .writes
        .iter()
        .filter(|w| w.owner.role == Role::Fixture && w.owner.fixture_autouse)
        .map(|w| w.path.clone())
        .collect();
    state
}

/// A write is undone when the same function (or its class's or module's teardown) later writes a
/// path covering it again in a restoring way, or registers a cleanup naming it.
fn mark_restored(
    ctx: &FileContext,
    writes: &mut [StateWrite],
    cleanups: &HashMap<ScopeId, Vec<String>>,
) {
    let model = ctx.model;
    let related = |a: &str, b: &str| {
        a == b || a.starts_with(&format!("{b}.")) || b.starts_with(&format!("{a}."))
    };
    // Paths undone per container scope (class or module) by teardown or after-yield code.
    let mut teardown_paths: HashMap<Option<ScopeId>, Vec<String>> = HashMap::new();
    for w in writes.iter().filter(|w| w.restored) {
        let container = model.class_of_method(w.function);
        teardown_paths
            .entry(container)
            .or_default()
            .push(w.path.clone());
    }
    let snapshot: Vec<(ScopeId, String, WriteKind, usize, bool)> = writes
        .iter()
        .map(|w| (w.function, w.path.clone(), w.kind, w.span.start, w.restored))
        .collect();
    for w in writes.iter_mut().filter(|w| !w.restored) {
        let class = model.class_of_method(w.function);
        let by_teardown = model.scopes[w.function].role != Role::Teardown
            && (teardown_paths
                .get(&class)
                .is_some_and(|paths| paths.iter().any(|p| related(p, &w.path)))
                || class.is_some()
                    && teardown_paths
                        .get(&None)
                        .is_some_and(|paths| paths.iter().any(|p| related(p, &w.path))));
        let later_restore = snapshot.iter().any(|(function, path, kind, start, _)| {
            *function == w.function
                && *start > w.span.start
                && related(path, &w.path)
                && match w.kind {
                    // An added item taken out again, a set value set back.
                    WriteKind::Mutate | WriteKind::Assign => {
                        *kind == WriteKind::Remove || *kind == WriteKind::Assign && path == &w.path
                    }
                    // Put back where it was taken out (not a change below it).
                    WriteKind::Remove => *kind != WriteKind::Remove && path == &w.path,
                }
        });
        // Taking out what the same function put in is the undoing, not a change of its own.
        let undoes_earlier = w.kind == WriteKind::Remove
            && snapshot.iter().any(|(function, path, kind, start, _)| {
                *function == w.function
                    && *start < w.span.start
                    && *kind != WriteKind::Remove
                    && related(path, &w.path)
            });
        let last_name = w.path.rsplit('.').next().unwrap_or("");
        let base_name = base_name_of(&w.path);
        let by_cleanup = cleanups.get(&w.function).is_some_and(|texts| {
            texts
                .iter()
                .any(|t| t.contains(last_name) || !base_name.is_empty() && t.contains(base_name))
        }) || class.is_some_and(|c| {
            model
                .subtree(c)
                .filter(|id| model.scopes[*id].role == Role::Setup)
                .any(|id| {
                    cleanups
                        .get(&id)
                        .is_some_and(|texts| texts.iter().any(|t| t.contains(last_name)))
                })
        });
        w.restored = by_teardown || later_restore || by_cleanup || undoes_earlier;
    }
}

/// Whether a patch or cleanup's argument text names the path (its object and attribute).
pub fn names_path(text: &str, path: &str) -> bool {
    let (object, attribute) = object_and_attribute(path);
    text.contains(object) && text.contains(attribute)
}

/// The last two names of a path (`Plot`, `path_resolvers`), as patches spell them.
fn object_and_attribute(path: &str) -> (&str, &str) {
    let mut parts = path.rsplit('.');
    let attribute = parts.next().unwrap_or("");
    let object = parts.next().unwrap_or("");
    let attribute = attribute.trim_start_matches('[').trim_end_matches(']');
    (object, attribute)
}

/// `monkeypatch.setattr(...)`, `m.setitem(...)`, `mock.patch.object(...)` called as a method: the
/// argument text.
fn patch_arguments(ctx: &FileContext, call: Node) -> Option<String> {
    let callee = ctx.model.callee(call)?;
    if kind_of(callee) != kind::ATTRIBUTE {
        return None;
    }
    let last = last_component(ctx.text(callee));
    if !matches!(
        last,
        "setattr" | "setitem" | "delattr" | "delitem" | "object" | "patch" | "dict"
    ) {
        return None;
    }
    Some(ctx.text(ctx.model.arguments(call)?).to_string())
}

/// `setUpClass`, `setup_class`, `setUpTestData` or another class method of the setup role.
fn class_setup(ctx: &FileContext, function: ScopeId) -> bool {
    let s = &ctx.model.scopes[function];
    matches!(s.name, "setUpClass" | "setup_class" | "setUpTestData")
        || s.decorators
            .iter()
            .any(|d| ctx.text(*d).contains("classmethod"))
}

/// Paths that name no in-process state: ORM managers write to the database (rolled back by the
/// test case), and state the test framework resets before every test.
fn not_state(path: &str) -> bool {
    path.split('.')
        .any(|part| isolint_python::knowledge::NOT_STATE_ATTRIBUTES.contains(&part))
        || isolint_python::knowledge::RESET_BY_FRAMEWORK
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}.")))
}

/// The last plain name of a path's object part (`gpc` in `tests.test_init.gpc.progress_bar`).
fn base_name_of(path: &str) -> &str {
    path.split('.').rev().nth(1).unwrap_or("")
}

/// `self.addCleanup(...)`, `request.addfinalizer(...)`, `stack.callback(...)`: the argument text.
fn cleanup_arguments(ctx: &FileContext, call: Node) -> Option<String> {
    let callee = ctx.model.callee(call)?;
    let last = last_component(ctx.text(callee));
    if !matches!(
        last,
        "addCleanup" | "addClassCleanup" | "addfinalizer" | "callback" | "addModuleCleanup"
    ) {
        return None;
    }
    let arguments = ctx.model.arguments(call)?;
    let mut text = ctx.text(arguments).to_string();
    // A local function registered as the cleanup: what it touches counts.
    for arg in named_children(arguments) {
        if kind_of(arg) == kind::IDENTIFIER {
            for id in ctx.functions_named(ctx.text(arg)) {
                text.push_str(ctx.text(ctx.model.scopes[*id].node));
            }
        }
    }
    Some(text)
}

/// Inside a `finally:` block of the function.
pub(crate) fn in_finally(ctx: &FileContext, node: Node) -> bool {
    for n in ctx.model.ancestors(node) {
        match kind_of(n) {
            kind::FINALLY_CLAUSE => return true,
            kind::FUNCTION_DEFINITION | kind::LAMBDA => return false,
            _ => {}
        }
    }
    false
}

/// Inside `with mock.patch.object(X, ...)`/`patch.dict(X)`/`patch("...X...")` where X is the
/// changed object: the patch puts it back.
fn inside_patch_of(ctx: &FileContext, node: Node, target: Node) -> bool {
    let target_text = ctx.text(base_expression(target));
    // `patch.object(obj, "other")` guards another attribute of the same object.
    let attribute = match kind_of(unparenthesize(target)) {
        kind::ATTRIBUTE => ctx.model.attribute_parts(target).1.map(|a| ctx.text(a)),
        _ => None,
    };
    ctx.model
        .enclosing_with_contexts(node)
        .into_iter()
        .any(|context| {
            kind_of(context) == kind::CALL
                && ctx.model.callee(context).is_some_and(|callee| {
                    let name = ctx.text(callee);
                    // A patch of the object, or any context manager handed the object and the
                    // attribute (`ensure_removed(pd.Series, "fake")`), puts it back.
                    let patch = name.contains("patch") || name.ends_with("swap_attr");
                    // `with self.settings(...)`, `with override_settings(...)` put every setting
                    // back.
                    if name.contains(target_text)
                        && ["override", "settings", "modify"]
                            .iter()
                            .any(|w| name.contains(w))
                    {
                        return true;
                    }
                    ctx.model.arguments(context).is_some_and(|args| {
                        let args = ctx.text(args);
                        args.contains(target_text)
                            && match attribute {
                                Some(a) => args.contains(a),
                                None => patch,
                            }
                            && (patch || attribute.is_some())
                            || patch && name.ends_with("dict") && args.contains(target_text)
                    })
                })
        })
}

/// `x.a = saved` where `saved = x.a` earlier: the old value put back.
fn assigns_saved_value(ctx: &FileContext, node: Node, target: Node, scope: ScopeId) -> bool {
    if kind_of(node) != kind::ASSIGNMENT {
        return false;
    }
    let Some(right) = node
        .child_by_field_id(field::RIGHT.id())
        .map(unparenthesize)
    else {
        return false;
    };
    if kind_of(right) != kind::IDENTIFIER {
        return false;
    }
    let target_text = ctx.text(target);
    ctx.model
        .lookup(ctx.text(right), scope, right.start_byte())
        .is_some_and(|(_, binding)| match binding.value {
            BindingValue::Expr(value) => ctx.text(unparenthesize(value)) == target_text,
            _ => false,
        })
}

/// The function or its class is decorated with something that overrides and restores the
/// changed object (`@override_settings(...)` for `settings`, `@mock.patch.object(X, ...)`).
fn under_override(ctx: &FileContext, function: ScopeId, target: Node) -> bool {
    let model = ctx.model;
    let base = ctx.text(base_expression(target));
    let attribute = match kind_of(unparenthesize(target)) {
        kind::ATTRIBUTE => ctx.model.attribute_parts(target).1.map(|a| ctx.text(a)),
        _ => None,
    };
    let mut scopes = vec![function];
    if let Some(class) = model.class_of_method(function) {
        scopes.push(class);
    }
    scopes.iter().any(|s| {
        model.scopes[*s].decorators.iter().any(|d| {
            let text = ctx.text(*d);
            let name = text
                .trim_start_matches('@')
                .split('(')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            // `@override_settings(...)` restores every setting; a patch restores what it names.
            (name.contains("override") || name.contains("modify"))
                && name.contains(&base.to_ascii_lowercase())
                || name.contains("patch")
                    && text.contains(base)
                    && attribute.is_none_or(|a| text.contains(a))
        })
    })
}

/// The patches of autouse fixtures (`with patch.dict(sys.modules): yield`) as patches of every test
/// they run around: the tests of their class, or of the module for a module-level one.
fn autouse_guards(
    ctx: &FileContext,
    patches: &HashMap<ScopeId, Vec<String>>,
) -> Vec<(ScopeId, String)> {
    let model = ctx.model;
    let mut out = Vec::new();
    for fixture in model.fixtures.iter().filter(|f| f.autouse) {
        let Some(texts) = patches.get(&fixture.scope) else {
            continue;
        };
        let class = model.class_of_method(fixture.scope);
        let tests = model.scopes.iter().enumerate().filter(|(id, scope)| {
            scope.role == Role::Test && (class.is_none() || model.class_of_method(*id) == class)
        });
        for (test, _) in tests {
            out.extend(texts.iter().map(|t| (test, t.clone())));
        }
    }
    out
}

/// The Django settings overrides that put every setting back when they end: `self.settings(...)`,
/// `override_settings(...)`, `modify_settings(...)`, as a `with` context or a decorator.
const SETTINGS_OVERRIDES: &[&str] = &["settings", "override_settings", "modify_settings"];

/// The settings overridden while `node`, in `function`, runs (a `with` around it, or a decorator
/// of the function or its class), joined by `,`: `None` when no override is active. Whatever the
/// code changes in `settings` meanwhile goes with the override, and what it reads of a setting
/// the override names is the test's own value.
pub(crate) fn settings_override_at(
    ctx: &FileContext,
    function: ScopeId,
    node: Node,
) -> Option<String> {
    let model = ctx.model;
    let overrides = |expr: &Node| {
        kind_of(*expr) == kind::CALL
            && model
                .callee(*expr)
                .is_some_and(|c| SETTINGS_OVERRIDES.contains(&last_component(ctx.text(c))))
    };
    let found: Vec<Node> = model
        .wrapping(node, function)
        .into_iter()
        .filter(overrides)
        .collect();
    if found.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    for call in found {
        names.extend(model.call_args(call).keywords.iter().map(|(k, _)| *k));
    }
    Some(names.join(","))
}

/// A change a test's call makes under state that its class puts back around every test (`setUp`
/// saves `serializers._serializers`, `tearDown` assigns it back; an autouse fixture's code after
/// `yield`): restored, as the same change made directly in the test is (`state::collect`).
pub(crate) fn restored_by_class(direct: &[StateWrite], write: &StateWrite) -> bool {
    !write.owner.classes.is_empty()
        && direct.iter().any(|w| {
            w.restored
                && w.function != write.function
                && w.owner.classes == write.owner.classes
                && (matches!(w.owner.role, Role::Teardown | Role::Setup) || w.owner.fixture_autouse)
                && paths_meet(&w.path, &write.path)
        })
}

/// Django's settings object, as state paths name it.
const DJANGO_SETTINGS: &str = "django.conf.settings";

/// The setting a state path is in (`django.conf.settings.ALLOWED_HOSTS`, or an item below it
/// gives `ALLOWED_HOSTS`); `Some("")` for the settings object itself. A project module that
/// happens to be called `settings` is not what the overrides replace.
fn setting_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(DJANGO_SETTINGS)?;
    match rest.strip_prefix('.') {
        Some(rest) => Some(rest.split('.').next().unwrap_or(rest)),
        None => rest.is_empty().then_some(""),
    }
}

/// Whether a state path lies in Django's settings object.
pub(crate) fn in_settings(path: &str) -> bool {
    setting_of(path).is_some()
}

/// Whether `overridden` (as [`settings_override_at`] gives it) names the setting `path` is in.
pub(crate) fn names_setting(overridden: &str, path: &str) -> bool {
    setting_of(path)
        .filter(|setting| !setting.is_empty())
        .is_some_and(|setting| overridden.split(',').any(|name| name == setting))
}

/// Inside an `assert` statement: `assert calls == [mock.call.clear()]` builds values, it changes
/// nothing.
fn in_assert(ctx: &FileContext, node: Node) -> bool {
    for n in ctx.model.ancestors(node) {
        match kind_of(n) {
            "assert_statement" => return true,
            kind::CALL
                if ctx
                    .model
                    .callee(n)
                    .is_some_and(|f| last_component(ctx.text(f)).starts_with("assert")) =>
            {
                return true
            }
            kind::FUNCTION_DEFINITION | kind::LAMBDA | kind::BLOCK => return false,
            _ => {}
        }
    }
    false
}

/// The base name of an access chain (`gpc` in `gpc.a[1].b`).
fn base_expression(mut node: Node) -> Node {
    loop {
        node = unparenthesize(node);
        let next = match kind_of(node) {
            kind::ATTRIBUTE => node.child_by_field_id(field::OBJECT.id()),
            kind::SUBSCRIPT => node.child_by_field_id(field::VALUE.id()),
            kind::CALL => node.child_by_field_id(field::FUNCTION.id()),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => return node,
        }
    }
}

/// The objects a node changes: (the changed expression, how, verb, a member named apart from the
/// expression: `setattr(obj, "name", v)`).
fn write_targets<'t>(
    ctx: &FileContext<'_, 't>,
    node: Node<'t>,
) -> Vec<(Node<'t>, WriteKind, &'static str, Option<String>)> {
    match kind_of(node) {
        TYPE_ALIAS => {
            // `type(x).attr = v` as the grammar reads it: `type` wrapping `(x).attr`.
            let left = node
                .child_by_field_id(field::LEFT.id())
                .and_then(|l| named_children(l).next());
            match left {
                Some(attribute)
                    if kind_of(attribute) == kind::ATTRIBUTE
                        && ctx.text(node).starts_with("type")
                        && ctx
                            .model
                            .attribute_parts(attribute)
                            .0
                            .is_some_and(|o| kind_of(o) == kind::PARENTHESIZED_EXPRESSION) =>
                {
                    vec![(
                        attribute,
                        WriteKind::Assign,
                        "sets",
                        Some(CLASS_OF.to_string()),
                    )]
                }
                _ => Vec::new(),
            }
        }
        kind::ASSIGNMENT | kind::AUGMENTED_ASSIGNMENT => {
            let Some(left) = node.child_by_field_id(field::LEFT.id()) else {
                return Vec::new();
            };
            let augmented = kind_of(node) == kind::AUGMENTED_ASSIGNMENT;
            let targets: Vec<Node> = match kind_of(left) {
                kind::PATTERN_LIST | kind::TUPLE => named_children(left).collect(),
                _ => vec![left],
            };
            targets
                .into_iter()
                .filter(|t| {
                    matches!(
                        kind_of(t),
                        kind::ATTRIBUTE | kind::SUBSCRIPT | kind::IDENTIFIER
                    )
                })
                .map(|t| {
                    let (how, verb) = if augmented {
                        (WriteKind::Mutate, "changes")
                    } else if kind_of(t) == kind::SUBSCRIPT {
                        (WriteKind::Assign, "sets an item of")
                    } else {
                        (WriteKind::Assign, "sets")
                    };
                    (t, how, verb, None)
                })
                .collect()
        }
        kind::DELETE_STATEMENT => named_children(node)
            .flat_map(|c| {
                if kind_of(c) == kind::EXPRESSION_LIST {
                    named_children(c).collect()
                } else {
                    vec![c]
                }
            })
            .filter(|t| matches!(kind_of(t), kind::ATTRIBUTE | kind::SUBSCRIPT))
            .map(|t| (t, WriteKind::Remove, "deletes", None))
            .collect(),
        kind::CALL => {
            let Some(callee) = ctx.model.callee(node) else {
                return Vec::new();
            };
            if kind_of(callee) == kind::ATTRIBUTE {
                let Some(method) = ctx.model.attribute_parts(callee).1 else {
                    return Vec::new();
                };
                let method = ctx.text(method);
                let Some(object) = ctx.model.attribute_parts(callee).0 else {
                    return Vec::new();
                };
                if REMOVING_METHODS.contains(&method) {
                    return vec![(object, WriteKind::Remove, "removes items of", None)];
                }
                if MUTATING_METHODS.contains(&method) {
                    return vec![(object, WriteKind::Mutate, "changes", None)];
                }
                return Vec::new();
            }
            let name = ctx.text(callee);
            if !matches!(name, "setattr" | "delattr") {
                return Vec::new();
            }
            let Some(arguments) = ctx.model.arguments(node) else {
                return Vec::new();
            };
            let args: Vec<Node> = named_children(arguments).collect();
            let (Some(object), Some(member)) = (
                args.first(),
                args.get(1).and_then(|a| string_value(*a, ctx.source())),
            ) else {
                return Vec::new();
            };
            let (how, verb) = if name == "setattr" {
                (WriteKind::Assign, "sets")
            } else {
                (WriteKind::Remove, "deletes")
            };
            vec![(*object, how, verb, Some(member))]
        }
        _ => Vec::new(),
    }
}

/// The parts of an access chain below its base identifier, outermost last, and the base.
fn chain<'t>(ctx: &FileContext<'_, 't>, expr: Node<'t>) -> Option<(Node<'t>, Vec<Part>)> {
    let mut parts = Vec::new();
    let mut node = unparenthesize(expr);
    loop {
        match kind_of(node) {
            kind::IDENTIFIER => break,
            kind::ATTRIBUTE => {
                let attribute = ctx.text(ctx.model.attribute_parts(node).1?);
                if attribute == "__class__" {
                    parts.push(Part::Class);
                } else {
                    parts.push(Part::Attr(attribute.to_string()));
                }
                node = unparenthesize(ctx.model.attribute_parts(node).0?);
            }
            kind::SUBSCRIPT => {
                let index = node
                    .child_by_field_id(field::SUBSCRIPT.id())
                    .and_then(|i| string_value(i, ctx.source()))
                    .map_or("[]".to_string(), |k| format!("[{}]", k.replace('.', "_")));
                parts.push(Part::Item(index));
                node = unparenthesize(node.child_by_field_id(field::VALUE.id())?);
            }
            kind::CALL => {
                let callee = unparenthesize(ctx.model.callee(node)?);
                // (`type` is a soft keyword: its node kind varies with the grammar version.)
                if ctx.text(callee) == "type" {
                    let arguments = ctx.model.arguments(node)?;
                    let mut args = named_children(arguments);
                    let (Some(only), None) = (args.next(), args.next()) else {
                        return None;
                    };
                    parts.push(Part::Class);
                    node = unparenthesize(only);
                } else if kind_of(callee) == kind::ATTRIBUTE {
                    let method = ctx.text(ctx.model.attribute_parts(callee).1?);
                    if !SINGLETON_ACCESSORS.contains(&method) {
                        return None;
                    }
                    parts.push(Part::Accessor(method.to_string()));
                    node = unparenthesize(ctx.model.attribute_parts(callee).0?);
                } else {
                    return None;
                }
            }
            _ => return None,
        }
        if parts.len() > 12 {
            return None;
        }
    }
    parts.reverse();
    Some((node, parts))
}

fn push_parts(path: &mut String, parts: &[Part]) {
    for part in parts {
        match part {
            Part::Attr(name) => {
                path.push('.');
                path.push_str(name);
            }
            Part::Item(key) => {
                path.push('.');
                path.push_str(key);
            }
            Part::Accessor(method) => {
                path.push('.');
                path.push_str(method);
                path.push_str("()");
            }
            Part::Class | Part::Call => {}
        }
    }
}

/// What a written expression names, when it is shared state.
fn resolve_target(
    ctx: &FileContext,
    target: Node,
    scope: ScopeId,
    member: &Option<String>,
    kind: WriteKind,
    in_place: bool,
) -> Option<Resolved> {
    // `x.append(v)` changes x; `x.a = v`, `x.n += 1`, `del x[k]`, `setattr(x, "a", v)` set a part.
    let access = if in_place && member.is_none() {
        Access::Mutate
    } else {
        Access::Assign
    };
    let _ = kind;
    let model = ctx.model;
    // `global x` then `x = ...`/`x += ...`: the module's name itself is rebound.
    if kind_of(target) == kind::IDENTIFIER && !in_place {
        let name = ctx.text(target);
        let function = model.owner(scope);
        let declared = (scope..=scope)
            .chain(std::iter::once(function))
            .any(|s| model.scopes[s].globals.contains(&name));
        if !declared {
            return None;
        }
        return Some(Resolved {
            path: format!("{{module}}.{name}"),
            holder: Holder::GlobalName,
            instance: None,
            definition: None,
        });
    }
    let (base, mut parts) = chain(ctx, target)?;
    match member.as_deref() {
        Some(CLASS_OF) => parts.insert(0, Part::Class),
        Some(member) => parts.push(Part::Attr(member.to_string())),
        None => {}
    }
    resolve(ctx, base, parts, scope, access, 0)
}

/// `global _client` then `if _client is None: _client = make()` (or `if _client: return
/// _client` before it): a module cache filled with a value built on first use. (A literal is a
/// flag that turns later calls into no-ops, not a cache: `_has_run = True`.)
fn fills_cache_when_unset(ctx: &FileContext, assignment: Node, target: Node) -> bool {
    let builds = assignment
        .child_by_field_id(field::RIGHT.id())
        .map(unparenthesize)
        .is_some_and(|v| {
            !matches!(
                kind_of(v),
                "true"
                    | "false"
                    | "none"
                    | "integer"
                    | "float"
                    | kind::STRING
                    | "concatenated_string"
                    | "unary_operator"
            )
        });
    if !builds || kind_of(target) != kind::IDENTIFIER {
        return false;
    }
    let name = ctx.text(target);
    let names_it = |node: Node| {
        node.child_by_field_id(field::CONDITION.id())
            .is_some_and(|c| mentions(ctx, c, name))
    };
    let mut inner = assignment;
    for ancestor in ctx.model.ancestors(assignment) {
        match kind_of(ancestor) {
            kind::FUNCTION_DEFINITION => return false,
            "if_statement" if names_it(ancestor) => return true,
            kind::BLOCK => {
                // An earlier `if _client: return _client` in the same block.
                let mut sibling = ancestor.named_child(0);
                while let Some(statement) = sibling {
                    if statement.start_byte() >= inner.start_byte() {
                        break;
                    }
                    if kind_of(statement) == "if_statement"
                        && names_it(statement)
                        && ctx.text(statement).contains("return")
                    {
                        return true;
                    }
                    sibling = statement.next_named_sibling();
                }
            }
            _ => {}
        }
        inner = ancestor;
    }
    false
}

/// `x.reader = x.reader or Reader()`: the value is built once and kept, whichever test asks
/// first.
fn fills_itself(ctx: &FileContext, assignment: Node, target: Node) -> bool {
    if kind_of(assignment) != kind::ASSIGNMENT {
        return false;
    }
    assignment
        .child_by_field_id(field::RIGHT.id())
        .map(unparenthesize)
        .filter(|right| kind_of(right) == "boolean_operator")
        .and_then(|right| right.child_by_field_id(field::LEFT.id()))
        .is_some_and(|kept| ctx.text(unparenthesize(kept)) == ctx.text(target))
}

/// `cache[key] = value` in a function that returns `cache[key]` (`try: return cache[key]` before,
/// `if key not in cache: cache[key] = …` then `return cache[key]`): a memo, which holds for each
/// key what any test asking for it would compute. A registry that refuses a second entry is no
/// memo: it never returns the entry it holds.
fn memoizes(ctx: &FileContext, assignment: Node, target: Node, function: ScopeId) -> bool {
    if kind_of(assignment) != kind::ASSIGNMENT || kind_of(unparenthesize(target)) != kind::SUBSCRIPT
    {
        return false;
    }
    let target = unparenthesize(target);
    let (Some(cache), Some(key)) = (
        target.child_by_field_id(field::VALUE.id()),
        target.child_by_field_id(field::SUBSCRIPT.id()),
    ) else {
        return false;
    };
    let body = ctx.model.scopes[function].node;
    let returned = format!("return {}[{}]", ctx.text(cache), ctx.text(key));
    ctx.text(body).contains(&returned)
}

/// `Field.creation_counter += 1` in a constructor: every instance takes the next number, so no
/// test can count on the value it sees.
fn numbers_instances(ctx: &FileContext, statement: Node, function: ScopeId) -> bool {
    kind_of(statement) == kind::AUGMENTED_ASSIGNMENT
        && matches!(ctx.model.scopes[function].name, "__init__" | "__new__")
        && statement
            .child_by_field_id(field::RIGHT.id())
            .is_some_and(|step| kind_of(step) == "integer")
}

/// `if hasattr(x, "mode"): del x.mode`: dropping a value computed on first use (a
/// `cached_property`) makes the next reader compute it again, as if nothing had run before.
fn drops_cached_value(ctx: &FileContext, statement: Node, target: Node) -> bool {
    let target = unparenthesize(target);
    if kind_of(statement) != kind::DELETE_STATEMENT || kind_of(target) != kind::ATTRIBUTE {
        return false;
    }
    let (Some(object), Some(attribute)) = ctx.model.attribute_parts(target) else {
        return false;
    };
    let (object, attribute) = (ctx.text(object), ctx.text(attribute));
    ctx.model.ancestors(statement).any(|above| {
        kind_of(above) == "if_statement"
            && above
                .child_by_field_id(field::CONDITION.id())
                .map(unparenthesize)
                .filter(|c| kind_of(*c) == kind::CALL)
                .and_then(|c| probe(ctx, c, &["hasattr"]))
                .is_some_and(|(probed, name)| ctx.text(probed) == object && name == attribute)
    })
}

/// `saved = x.debug` (or `self.saved = x.debug`) in a function that then sets `x.debug` itself,
/// and uses `saved` for nothing but putting it back: what the function does does not depend on
/// the old value.
fn saved_to_set(ctx: &FileContext, statement: Node, read: Node, scope: ScopeId) -> bool {
    let stores_the_read = kind_of(statement) == kind::ASSIGNMENT
        && statement
            .child_by_field_id(field::RIGHT.id())
            .is_some_and(|r| r.id() == read.id());
    if !stores_the_read || !matches!(kind_of(read), kind::ATTRIBUTE | kind::SUBSCRIPT) {
        return false;
    }
    let Some(saved) = statement.child_by_field_id(field::LEFT.id()) else {
        return false;
    };
    let (read_text, saved) = (ctx.text(read), ctx.text(saved));
    let function = ctx.model.owner(scope);
    let sets_it = assigned_after(ctx, function, statement.start_byte(), read_text);
    let body = ctx.model.scopes[function].node;
    let after = ctx
        .model
        .source
        .get(statement.end_byte()..body.end_byte())
        .unwrap_or("");
    sets_it && uses_only_to_put_back(after, saved, read_text)
}

/// Whether every use of `saved` in `code` is `key = saved`.
fn uses_only_to_put_back(code: &str, saved: &str, key: &str) -> bool {
    let is_name = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    code.match_indices(saved).all(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + saved.len()..].chars().next();
        if before.is_some_and(is_name) || after.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return true;
        }
        code[..at]
            .trim_end()
            .strip_suffix('=')
            .is_some_and(|left| left.trim_end().ends_with(key))
    })
}

/// `return cache[key]` in a function that sets `cache[key]` too: a memo's look-up, which answers
/// what the function would compute anyway.
fn returns_memo(ctx: &FileContext, statement: Node, read: Node, scope: ScopeId) -> bool {
    if kind_of(statement) != "return_statement" || kind_of(read) != kind::SUBSCRIPT {
        return false;
    }
    assigned_after(ctx, ctx.model.owner(scope), 0, ctx.text(read))
}

/// `key in cache` (or `not in`) in a function that sets `cache[key]`: a memo asking whether it
/// has computed the key yet.
fn checks_memo(ctx: &FileContext, comparison: Node, read: Node, scope: ScopeId) -> bool {
    if kind_of(comparison) != "comparison_operator" {
        return false;
    }
    let mut operands = named_children(comparison);
    let (Some(key), Some(cache)) = (operands.next(), operands.next()) else {
        return false;
    };
    let between = ctx
        .model
        .source
        .get(key.end_byte()..cache.start_byte())
        .unwrap_or("");
    cache.id() == read.id()
        && operands.next().is_none()
        && matches!(between.trim(), "in" | "not in")
        && assigned_after(
            ctx,
            ctx.model.owner(scope),
            0,
            &format!("{}[{}]", ctx.text(read), ctx.text(key)),
        )
}

/// Whether `function` assigns to `target` (as written) past byte `offset`.
fn assigned_after(ctx: &FileContext, function: ScopeId, offset: usize, target: &str) -> bool {
    ctx.model.scopes[function]
        .object_writes
        .iter()
        .any(|write| {
            write.start_byte() > offset
                && kind_of(*write) == kind::ASSIGNMENT
                && write
                    .child_by_field_id(field::LEFT.id())
                    .is_some_and(|left| ctx.text(left) == target)
        })
}

/// Whether every call of `function` in the file (there is one at least) runs only when the module
/// global `name` is unset: under `if not name:`, `if name is None:`.
fn called_only_when_unset(ctx: &FileContext, function: ScopeId, name: &str) -> bool {
    let model = ctx.model;
    let called = model.scopes[function].name;
    if name.contains('.') || model.scopes[function].kind != ScopeKind::Function {
        return false;
    }
    let mut calls = model
        .scopes
        .iter()
        .flat_map(|scope| scope.calls.iter())
        .filter(|call| {
            model
                .callee(**call)
                .is_some_and(|c| kind_of(c) == kind::IDENTIFIER && ctx.text(c) == called)
        })
        .peekable();
    calls.peek().is_some()
        && calls.all(|call| {
            model
                .ancestors(*call)
                .take_while(|a| kind_of(a) != kind::FUNCTION_DEFINITION)
                .any(|a| {
                    kind_of(a) == "if_statement"
                        && a.child_by_field_id(field::CONDITION.id()).is_some_and(|c| {
                            let condition = ctx.text(c);
                            mentions(ctx, c, name)
                                && (condition.starts_with("not ") || condition.contains("is None"))
                        })
                })
        })
}

/// The attribute `hasattr(x, "a")` or `getattr(x, "a"[, default])` looks up on `x`, when `object`
/// is that `x`, `arguments` the argument list holding it and `call` the node above that.
fn probed_attribute(
    ctx: &FileContext,
    object: Node,
    arguments: Option<Node>,
    call: Option<Node>,
) -> Option<String> {
    arguments.filter(|a| kind_of(*a) == kind::ARGUMENT_LIST)?;
    let call = call.filter(|c| kind_of(*c) == kind::CALL)?;
    let (probed, attribute) = probe(ctx, call, &["hasattr", "getattr"])?;
    (probed.id() == object.id()).then_some(attribute)
}

/// The object and the attribute named by a string that a call to one of `functions`
/// (`hasattr(x, "a")`) looks up.
fn probe<'t>(
    ctx: &FileContext<'_, 't>,
    call: Node<'t>,
    functions: &[&str],
) -> Option<(Node<'t>, String)> {
    if !ctx
        .model
        .callee(call)
        .is_some_and(|c| functions.contains(&ctx.text(c)))
    {
        return None;
    }
    let mut given = named_children(ctx.model.arguments(call)?);
    let object = given.next()?;
    Some((object, string_value(given.next()?, ctx.source())?))
}

/// Whether an expression names `name` as an identifier.
fn mentions(ctx: &FileContext, node: Node, name: &str) -> bool {
    let mut pending = vec![node];
    while let Some(n) = pending.pop() {
        if kind_of(n) == kind::IDENTIFIER && ctx.text(n) == name {
            return true;
        }
        if pending.len() < 64 {
            pending.extend(named_children(n));
        }
    }
    false
}

/// How an access chain is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    /// Its last part is set or deleted (`x.a = v`, `del x[k]`).
    Assign,
    /// The object it names changes in place (`x.append(v)`).
    Mutate,
}

/// Paths other rules own (`os.environ`: ISO501) or that are not state (`sys.argv` is read-only
/// here).
fn owned_elsewhere(path: &str) -> bool {
    [
        "os.environ",
        "sys.path",
        "os.path",
        "unittest.mock",
        "mock",
        "pytest",
    ]
    .iter()
    .any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

/// Resolves an access chain from its base name.
fn resolve(
    ctx: &FileContext,
    base: Node,
    parts: Vec<Part>,
    scope: ScopeId,
    access: Access,
    depth: usize,
) -> Option<Resolved> {
    let model = ctx.model;
    let name = ctx.text(base);
    let write = access != Access::Read;
    let class_part = parts.first() == Some(&Part::Class);
    let rest: &[Part] = if class_part { &parts[1..] } else { &parts[..] };
    if matches!(name, "self" | "cls") {
        let method = enclosing_method(ctx, scope)?;
        let class = model.class_of_method(method)?;
        let holder = if model.test_classes.contains(&class) {
            Holder::TestClass
        } else {
            Holder::ModuleObject
        };
        if name == "cls" || class_part {
            // `cls.x = v`, `type(self).x = v`: the class itself changes.
            if rest.is_empty() {
                return None;
            }
        } else {
            // `self.x...`: shared only when `x` lives on the class, and `self.x = v` rebinds it on
            // the instance.
            let Some(Part::Attr(attribute)) = rest.first() else {
                return None;
            };
            if access == Access::Assign && rest.len() == 1
                || !class_level_attribute(ctx, class, attribute)
                || set_per_instance(ctx, class, attribute)
                || immutable_default(ctx, class, attribute)
            {
                return None;
            }
        }
        // Built only for a shared attribute: most `self.x` are the instance's own.
        let mut path = ["{module}.", &class_path(ctx, class)].concat();
        push_parts(&mut path, rest);
        return Some(Resolved {
            path,
            holder,
            instance: None,
            definition: None,
        });
    }
    let (binding_scope, binding) = model.lookup(name, scope, base.start_byte())?;
    let module_level = binding_scope == isolint_python::model::MODULE_SCOPE;
    match binding.value {
        BindingValue::Import(module, member) => {
            if member.is_none() && rest.is_empty() {
                return None;
            }
            // A relative import is made absolute by the project stage, which knows the package.
            let module = if module.starts_with('.') {
                ["{rel:", module, "}"].concat()
            } else {
                module.to_string()
            };
            let mut path = match member {
                Some(member) => [&module, ".", member].concat(),
                None => module,
            };
            push_parts(&mut path, rest);
            if owned_elsewhere(&path) {
                return None;
            }
            Some(Resolved {
                path,
                holder: Holder::Imported,
                instance: None,
                definition: None,
            })
        }
        BindingValue::Def(def) if module_level => {
            let class = kind_of(def) == kind::CLASS_DEFINITION;
            if !class && write {
                return None;
            }
            let holder = match model.scope_defined_by(def) {
                Some(id) if class && model.test_classes.contains(&id) => Holder::TestClass,
                _ => Holder::ModuleObject,
            };
            let mut path = ["{module}.", name].concat();
            push_parts(&mut path, rest);
            Some(Resolved {
                path,
                holder,
                instance: None,
                definition: Some(binding.span),
            })
        }
        BindingValue::Expr(value) if module_level => {
            if scope == isolint_python::model::MODULE_SCOPE || write && !mutable_value(ctx, value) {
                return None;
            }
            let object = ["{module}.", name].concat();
            let mut path = object.clone();
            push_parts(&mut path, rest);
            let instance = constructs_class(ctx, value, scope).then_some(object);
            Some(Resolved {
                path,
                holder: Holder::ModuleObject,
                instance,
                definition: Some(binding.span),
            })
        }
        BindingValue::Expr(value) if depth < MAX_ALIAS_DEPTH => {
            // A local name for shared state: `targets = dataset.targets`, `s = Single.instance()`,
            // `o = Plot()` (an instance reads, and `o.__class__` writes, its class's attributes).
            let value = unparenthesize(value);
            if kind_of(value) == kind::CALL {
                let callee = unparenthesize(ctx.model.callee(value)?);
                let accessor = kind_of(callee) == kind::ATTRIBUTE
                    && ctx
                        .model
                        .attribute_parts(callee)
                        .1
                        .is_some_and(|m| SINGLETON_ACCESSORS.contains(&ctx.text(m)));
                if !accessor {
                    // An instance's own attributes are private to it.
                    if write && !class_part || !constructs_class(ctx, callee, scope) {
                        return None;
                    }
                    let (inner_base, mut inner_parts) = chain(ctx, callee)?;
                    inner_parts.extend(rest.iter().cloned());
                    let inner_access = if write { Access::Mutate } else { Access::Read };
                    return resolve(ctx, inner_base, inner_parts, scope, inner_access, depth + 1);
                }
            } else if !matches!(
                kind_of(value),
                kind::IDENTIFIER | kind::ATTRIBUTE | kind::SUBSCRIPT
            ) {
                return None;
            }
            let (inner_base, mut inner_parts) = chain(ctx, value)?;
            // `x = np.c_[a, b]` builds a new value: items of imported objects are not followed.
            let item_of_import = inner_parts.iter().any(|p| matches!(p, Part::Item(_)))
                && ctx
                    .model
                    .lookup(ctx.text(inner_base), scope, inner_base.start_byte())
                    .is_some_and(|(_, b)| matches!(b.value, BindingValue::Import(..)));
            if item_of_import {
                return None;
            }
            inner_parts.extend(parts.iter().cloned());
            resolve(ctx, inner_base, inner_parts, scope, access, depth + 1)
        }
        BindingValue::Param(_) if class_part || !write => {
            // A fixture's value: `type(instagram).x = v` changes its class for every later test.
            let function = model.owner(scope);
            if rest.is_empty() || !matches!(model.scopes[function].role, Role::Test | Role::Fixture)
            {
                return None;
            }
            let mut path = format!("@{name}");
            push_parts(&mut path, rest);
            Some(Resolved {
                path,
                holder: Holder::Imported,
                instance: None,
                definition: None,
            })
        }
        _ => None,
    }
}

/// The method a scope belongs to (a nested function inside a method counts for it).
fn enclosing_method(ctx: &FileContext, scope: ScopeId) -> Option<ScopeId> {
    let model = ctx.model;
    let mut current = scope;
    loop {
        let s = &model.scopes[current];
        let parent = s.parent?;
        if s.kind == ScopeKind::Function && model.scopes[parent].kind == ScopeKind::Class {
            return Some(current);
        }
        current = parent;
    }
}

/// Dotted names of the classes around and including `class`.
fn class_path(ctx: &FileContext, class: ScopeId) -> String {
    let model = ctx.model;
    let mut names: Vec<&str> = model.class_path(class);
    names.push(model.scopes[class].name);
    names.join(".")
}

/// An attribute defined on the class itself: in its body, or through `cls.x = ...` in a class
/// method (`setUpClass`).
fn class_level_attribute(ctx: &FileContext, class: ScopeId, attribute: &str) -> bool {
    let model = ctx.model;
    if let Some(bindings) = model.scopes[class].bindings.get(attribute) {
        // A method or property (`self.header.parts = v` changes what the property returns).
        return !bindings.iter().all(
            |b| matches!(b.value, BindingValue::Def(def) if kind_of(def) != kind::CLASS_DEFINITION),
        );
    }
    set_by_a_method(ctx, class, attribute, |s| {
        // (Django copies what `setUpTestData` sets for every test.)
        s.name != "setUpTestData"
            && (matches!(s.name, "setUpClass" | "setup_class")
                || s.decorators
                    .iter()
                    .any(|d| ctx.text(*d).contains("classmethod"))
                || s.parameters().first().is_some_and(|(p, _)| *p == "cls"))
    })
}

/// An attribute every instance sets for itself before use (`self.items = []` in `__init__` or
/// `setUp`): the class-level value is only a default, and changes reach the instance's own.
fn set_per_instance(ctx: &FileContext, class: ScopeId, attribute: &str) -> bool {
    set_by_a_method(ctx, class, attribute, |s| {
        s.parent == Some(class)
            && matches!(s.name, "__init__" | "setUp" | "setup_method" | "setup")
            && s.parameters().first().is_some_and(|(p, _)| *p == "self")
    })
}

/// `selected = None` in the class body: nothing can change that value in place, so an item or
/// attribute written through `self.selected`, or read from it, is of a value the instance set for
/// itself.
fn immutable_default(ctx: &FileContext, class: ScopeId, attribute: &str) -> bool {
    ctx.model.scopes[class]
        .bindings
        .get(attribute)
        .is_some_and(|bindings| {
            bindings.iter().all(|b| match b.value {
                BindingValue::Expr(value) => !mutable_value(ctx, value),
                _ => false,
            })
        })
}

/// Whether one of the class's attribute assignments (`cls.x = …`, `self.x = …`) is made in a
/// scope that `setter` accepts.
fn set_by_a_method(
    ctx: &FileContext,
    class: ScopeId,
    attribute: &str,
    setter: impl Fn(&Scope) -> bool,
) -> bool {
    let model = ctx.model;
    model.scopes[class]
        .attributes
        .get(attribute)
        .is_some_and(|bindings| {
            bindings
                .iter()
                .any(|b: &Binding| setter(&model.scopes[model.scope_at(b.span.start, class)]))
        })
}

/// Whether a module-level value can change in place: containers, comprehensions, instances.
fn mutable_value(ctx: &FileContext, value: Node) -> bool {
    let value = unparenthesize(value);
    match kind_of(value) {
        kind::LIST | kind::DICTIONARY | kind::SET => true,
        "list_comprehension" | "dictionary_comprehension" | "set_comprehension" => true,
        kind::CALL => ctx.model.callee(value).is_some_and(|callee| {
            let name = last_component(ctx.text(callee));
            !IMMUTABLE_FACTORIES.contains(&name)
        }),
        kind::IDENTIFIER | kind::ATTRIBUTE => true,
        _ => false,
    }
}

/// `Plot(...)` where `Plot` is a class: defined here, or an imported capitalised name (given the
/// callee, or the call).
fn constructs_class(ctx: &FileContext, callee: Node, scope: ScopeId) -> bool {
    let callee = match kind_of(unparenthesize(callee)) {
        kind::CALL => match ctx.model.callee(callee) {
            Some(c) => c,
            None => return false,
        },
        kind::IDENTIFIER | kind::ATTRIBUTE => callee,
        _ => return false,
    };
    let last = last_component(ctx.text(callee));
    if !last.starts_with(|c: char| c.is_ascii_uppercase()) {
        return false;
    }
    let base = base_expression(callee);
    match ctx.model.lookup(ctx.text(base), scope, base.start_byte()) {
        Some((_, binding)) => match binding.value {
            BindingValue::Def(def) => kind_of(def) == kind::CLASS_DEFINITION,
            BindingValue::Import(..) => true,
            _ => false,
        },
        None => false,
    }
}

/// The state a name read in a test reaches, as a path: `gpc.verbose` reads
/// `{module}.gpc.verbose`; `gpc.download()` reads all of `gpc`.
fn read_path(
    ctx: &FileContext,
    identifier: Node,
    scope: ScopeId,
) -> Option<(String, Option<String>, bool)> {
    // Most names (builtins, attribute names, unbound names) name no state: a lookup is cheaper
    // than the climb below.
    let name = ctx.text(identifier);
    if !matches!(name, "self" | "cls") {
        // A function's own local variables are its own: only module-level names, imports and
        // parameters (fixtures) can reach shared state.
        let (bound_in, binding) = ctx.model.lookup(name, scope, identifier.start_byte())?;
        let local = ctx.model.scopes[bound_in].kind == isolint_python::model::ScopeKind::Function
            && !matches!(
                binding.value,
                isolint_python::model::BindingValue::Param(_)
                    | isolint_python::model::BindingValue::Import(..)
            );
        if local {
            return None;
        }
    }
    let mut above = ctx.model.ancestors(identifier);
    let parent = above.clone().next()?;
    // Attribute names, keyword names, parameters and definitions are not reads of a name.
    match kind_of(parent) {
        kind::ATTRIBUTE
            if ctx
                .model
                .attribute_parts(parent)
                .0
                .is_none_or(|o| o.id() != identifier.id()) =>
        {
            return None
        }
        kind::KEYWORD_ARGUMENT
            if parent
                .child_by_field_id(field::NAME.id())
                .is_some_and(|n| n.id() == identifier.id()) =>
        {
            return None
        }
        kind::FUNCTION_DEFINITION
        | kind::CLASS_DEFINITION
        | kind::PARAMETERS
        | kind::DEFAULT_PARAMETER
        | kind::TYPED_PARAMETER
        | kind::TYPED_DEFAULT_PARAMETER
        | kind::DOTTED_NAME
        | kind::ALIASED_IMPORT
        | kind::GLOBAL_STATEMENT => return None,
        _ => {}
    }
    // Climb the chain the name starts: `gpc.a.b`, `d["k"]`; a call on it uses it whole.
    let mut top = identifier;
    let mut whole = false;
    let mut above_top = None;
    for up in above.by_ref() {
        let continues = match kind_of(up) {
            kind::ATTRIBUTE => ctx
                .model
                .attribute_parts(up)
                .0
                .is_some_and(|o| o.id() == top.id()),
            kind::SUBSCRIPT => up
                .child_by_field_id(field::VALUE.id())
                .is_some_and(|o| o.id() == top.id()),
            kind::CALL => {
                if ctx.model.callee(up).is_some_and(|f| f.id() == top.id()) {
                    whole = true;
                }
                false
            }
            _ => false,
        };
        if !continues {
            above_top = Some(up);
            break;
        }
        top = up;
    }
    // The target of an assignment or `del` is written, not read.
    if let Some(up) = above_top {
        let is_target = match kind_of(up) {
            kind::ASSIGNMENT | kind::AUGMENTED_ASSIGNMENT => up
                .child_by_field_id(field::LEFT.id())
                .is_some_and(|l| l.id() == top.id()),
            kind::DELETE_STATEMENT | kind::PATTERN_LIST => true,
            _ => false,
        };
        if is_target
            || saved_to_set(ctx, up, top, scope)
            || returns_memo(ctx, up, top, scope)
            || checks_memo(ctx, up, top, scope)
        {
            return None;
        }
    }
    let (base, mut parts) = chain(ctx, top)?;
    if base.id() != identifier.id() {
        return None;
    }
    // `hasattr(x, "mode")`, `getattr(x, "mode")` read `x.mode`.
    if parts.is_empty() {
        if let Some(attribute) = probed_attribute(ctx, top, above_top, above.next()) {
            parts.push(Part::Attr(attribute));
        }
    }
    // A name passed along as it is (`CaptureQueriesContext(connection)`) is used as a whole too.
    let whole = whole || parts.is_empty();
    if whole {
        // `x.method()` uses `x`; `Plot()` uses `Plot`.
        if let Some(Part::Attr(_)) = parts.last() {
            parts.pop();
        }
        parts.push(Part::Call);
    }
    let resolved = resolve(ctx, base, parts, scope, Access::Read, 0)?;
    // A bare module-level binding path with nothing below a module import (`os`) is too wide.
    if !resolved.path.contains('.') {
        return None;
    }
    Some((resolved.path, resolved.instance, whole))
}

/// The module and class state each function of a first-party module reads (tests excluded), as
/// (function, path relative to the module, byte offset of the first read): the summaries bind
/// them at the calls of test code, so a test reading through a call meets the tests that change
/// the state.
pub fn function_reads(ctx: &FileContext) -> Vec<(ScopeId, String, usize)> {
    let model = ctx.model;
    let identifier = isolint_python::syntax::kind_id(kind::IDENTIFIER);
    let mut seen: std::collections::HashSet<(ScopeId, String)> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for ((node, scope), &kind_id) in model.wanted_nodes.iter().zip(&model.wanted_kind_ids) {
        if kind_id != identifier {
            continue;
        }
        let function = model.owner(*scope);
        let owner = &model.scopes[function];
        if owner.kind != ScopeKind::Function || owner.role == Role::Test {
            continue;
        }
        let Some((path, _, whole)) = read_path(ctx, *node, *scope) else {
            continue;
        };
        // `@…` keys name a parameter's object, not state every test shares. Using an imported
        // module or class as a whole (`http.get(...)`) reads nothing in particular; using a
        // global of the module itself (`key in _REGISTRY`) reads it.
        if path.starts_with('@') || whole && !path.starts_with("{module}.") {
            continue;
        }
        if seen.insert((function, path.clone())) {
            out.push((function, path, node.start_byte()));
        }
    }
    out
}

/// Whether state written at `written` matters to a read of `read`: one covers the other.
pub fn paths_meet(written: &str, read: &str) -> bool {
    written == read
        || written.starts_with(read) && written.as_bytes().get(read.len()) == Some(&b'.')
        || read.starts_with(written) && read.as_bytes().get(written.len()) == Some(&b'.')
}

/// The paths some test code writes. A test's read that meets none of them cannot be a victim in
/// ISO402's pairing (`cross_test_state_flow::pair`), which looks at no other read: the project
/// stage keeps only the reads this lets through.
pub struct WrittenPaths {
    /// Each written path.
    exact: foldhash::HashSet<String>,
    /// Each written path and every dotted prefix of it.
    above: foldhash::HashSet<String>,
}

impl WrittenPaths {
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a str>) -> Self {
        let mut written = WrittenPaths {
            exact: foldhash::HashSet::default(),
            above: foldhash::HashSet::default(),
        };
        for path in paths {
            written.exact.insert(path.to_string());
            written.above.insert(path.to_string());
            for (cut, _) in path.match_indices('.') {
                written.above.insert(path[..cut].to_string());
            }
        }
        written
    }

    /// Whether some written path meets `path` (as [`paths_meet`] says): the same, below it
    /// or above it.
    fn meet(&self, path: &str) -> bool {
        self.above.contains(path)
            || path
                .match_indices('.')
                .any(|(cut, _)| self.exact.contains(&path[..cut]))
    }

    /// Whether a test's read may pair with a write: the pairing looks no further.
    pub fn may_meet(&self, read: &StateRead) -> bool {
        read.owner.test.is_some()
            && (self.meet(&read.path) || read.instance.as_deref().is_some_and(|i| self.meet(i)))
    }
}

/// The path with the file's module and package filled in.
pub fn absolute_path(path: &str, module: &str, package: &str) -> String {
    if let Some(rest) = path.strip_prefix("{module}") {
        return format!("{module}{rest}");
    }
    if let Some(rest) = path.strip_prefix("{rel:") {
        if let Some((relative, tail)) = rest.split_once('}') {
            let base =
                crate::analysis::summaries::absolute_module(package, relative).unwrap_or_default();
            return format!("{base}{tail}");
        }
    }
    path.to_string()
}

/// How a path reads to users: without the module prefix of the file's own state.
pub fn shown(path: &str) -> String {
    path.replace(".[", "[")
        .replace("[]", "[…]")
        .replace('[', "[\"")
        .replace(']', "\"]")
        .replace("[\"…\"]", "[…]")
}

#[cfg(test)]
mod tests {
    use super::{absolute_path, paths_meet, WrittenPaths};

    #[test]
    fn a_read_is_kept_exactly_when_a_written_path_meets_it() {
        let written = [
            "pkg.settings.DEBUG",
            "pkg.cache",
            "sys.modules.[x]",
            "os.environ.HOME",
        ];
        let index = WrittenPaths::new(written);
        let reads = [
            "pkg",
            "pkg.settings",
            "pkg.settings.DEBUG",
            "pkg.settings.DEBUG.x",
            "pkg.settings.DEBUGGER",
            "pkg.cache",
            "pkg.cache.size",
            "pkg.cached",
            "pkg.other",
            "sys.modules",
            "sys.modules.[x]",
            "sys.modules.[x].y",
            "sys.modules.[xy]",
            "os.environ",
            "os.environ.PATH",
            "other",
            "",
        ];
        for read in reads {
            let expected = written.iter().any(|w| paths_meet(w, read));
            assert_eq!(index.meet(read), expected, "read of `{read}`");
        }
    }

    #[test]
    fn paths_meet_when_one_covers_the_other() {
        assert!(paths_meet("m.gpc.progress_bar", "m.gpc"));
        assert!(paths_meet("m.gpc", "m.gpc.verbose"));
        assert!(!paths_meet("m.gpc.progress_bar", "m.gpc.verbose"));
        assert!(!paths_meet("m.gpc2", "m.gpc"));
    }

    #[test]
    fn relative_paths_are_made_absolute() {
        assert_eq!(absolute_path("{module}.x", "pkg.mod", "pkg"), "pkg.mod.x");
        assert_eq!(
            absolute_path("{rel:.globals}.g.debug", "pkg", "pkg"),
            "pkg.globals.g.debug"
        );
    }
}
