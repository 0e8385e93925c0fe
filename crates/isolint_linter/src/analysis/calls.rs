//! What each function of a file does through its calls, as the project stage needs it to build
//! effect summaries: the calls that may reach the project's own code (helpers in the tests tree,
//! the package under test) with the values of their arguments, and the effects each function
//! states in terms of its parameters.
//!
//! Collected per file from the calls the model already gathered; the tree is gone by the time the
//! project stage binds them (`summaries`).

use crate::analysis::call_list::intern_target;
pub use crate::analysis::call_list::CallList;
use crate::analysis::path_effects::{
    expected_to_fail, guards_of, patched_at, OwnerGuards, SummaryEffect,
};
use crate::analysis::state::{Holder, StateWrite, WriteKind};
use crate::context::{FileContext, Owner};
use crate::rules::shared_resource::{self, ServiceOp};
use crate::rules::wide_fixture_scope::aware_of_workers;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use isolint_python::intern::intern;
use isolint_python::knowledge::{classify_path, PathOp};
use isolint_python::model::{Binding, BindingValue, FileModel, ScopeId, ScopeKind, MODULE_SCOPE};
use isolint_python::source::{Position, Span};
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, named_children, unparenthesize};
use isolint_python::value::{ParamOwner, Root, Text, Value};
use std::sync::Arc;
use tree_sitter::Node;

/// The functions of one file that do something through a parameter or call the project's code.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileFunctions {
    pub functions: Vec<FunctionFacts>,
    /// Names of the classes defined at module level, with their bases' last names (constructors
    /// are calls too: `Store(base_dir=...)`).
    pub classes: Vec<(String, Vec<String>)>,
    /// neomodel node classes defined at module level, with their labels (`__label__` or the
    /// class name): a test importing one writes under that label.
    pub neomodel_labels: Vec<(String, String)>,
    /// Names the module takes from the project's other modules at module level and so hands on
    /// to its importers (`from .core import add_parser`, `from .core import *` in a package's
    /// `__init__`): a call through the package reaches the function where it is defined.
    #[serde(default)]
    pub reexports: Vec<Reexport>,
}

/// A module-level `from MODULE import NAME [as ALIAS]` (or `*`) of the project's own code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reexport {
    /// The name importers see (`ALIAS`, or `NAME`); `None` for `*`.
    pub name: Option<String>,
    /// The module as written (relative ones keep their dots).
    pub module: String,
    /// The name in that module; `None` for `*`.
    pub member: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FunctionFacts {
    // Lists are boxed slices, built once at their final size: every file keeps its functions
    // until the summaries are bound, and most lists are empty.
    /// `f`, or `Class.f` for a method.
    pub qualname: String,
    /// The class a method belongs to.
    pub class: Option<String>,
    pub params: Box<[ParamFacts]>,
    /// Takes `self`/`cls` first: call sites through an instance do not pass it.
    pub bound_method: bool,
    pub effects: Box<[SymbolicEffect]>,
    pub calls: CallList,
    /// For test code and test-tree helpers: who makes its calls and what protects them (boxed:
    /// the package's functions, most of them, have none).
    pub caller: Option<Box<Caller>>,
    /// It hands a parameter to code no summary describes: its summary is not the whole story.
    pub opaque: bool,
    /// Module- and class-level state it changes and does not put back (first-party code only).
    pub state_writes: Box<[OwnStateWrite]>,
    /// Module- and class-level state it reads (first-party code only): a test calling it depends
    /// on that state as much as one reading it directly.
    pub state_reads: Box<[OwnStateRead]>,
    /// What a helper does itself to services every worker shares (a graph-wide delete, a fixed
    /// port): the tests that call it do it too.
    pub service_ops: Box<[OwnServiceOp]>,
    /// Calls made inside `pytest.raises(...)`, followed only for the state they read.
    #[serde(default)]
    pub reading_calls: CallList,
}

/// A read of module or class state by a first-party function, its key relative to the module like
/// [`OwnStateWrite`]'s.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OwnStateRead {
    pub path: String,
    pub site: Site,
}

/// A shared-service operation a helper performs at one of its own calls.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OwnServiceOp {
    pub op: ServiceOp,
    /// The call inside the helper; `callee` names the helper (`GraphHelper.wipe`).
    pub site: Site,
}

/// A change a first-party function makes to module or class state, its key relative to the
/// module (`{module}.x`) until the summaries know the module's name.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OwnStateWrite {
    pub path: String,
    pub kind: WriteKind,
    #[serde(deserialize_with = "isolint_python::intern::deserialize")]
    pub verb: crate::analysis::state::Verb,
    pub site: Site,
    /// See [`StateWrite::lazy_fill`].
    #[serde(default)]
    pub lazy_fill: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ParamFacts {
    /// Interned: the same few names (`self`, fixtures) come back in every function.
    #[serde(deserialize_with = "isolint_python::intern::deserialize")]
    pub name: Interned,
    /// The default, as a value (a parameter of the function stays symbolic); boxed, since most
    /// parameters have none.
    pub default: Option<Box<Value>>,
}

/// A path effect of a function, its path possibly hanging from a parameter
/// ([`Root::Param`] with [`ParamOwner::Function`] or [`ParamOwner::Constructor`]).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SymbolicEffect {
    pub op: PathOp,
    pub path: Text,
    /// Where the sink call is.
    pub site: Site,
}

/// A place in a file, for related locations.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Site {
    pub file: String,
    pub position: Position,
    /// The call as written there (`shutil.rmtree`), or the function called on the way.
    pub callee: String,
}

/// A call to a function that may be the project's own.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CallFacts {
    /// Interned: packed lists name targets by address ([`CallList`]).
    #[serde(deserialize_with = "super::call_list::deserialize_target")]
    pub target: &'static CallTarget,
    pub args: RecordedArgs,
    /// `*args`/`**kwargs` present: parameters past them are unknown.
    pub has_splat: bool,
    pub span: Span,
    pub position: Position,
    /// The callee as written (`utils.rmtree`); one copy per distinct text, since a suite calls
    /// the same helpers everywhere.
    #[serde(deserialize_with = "isolint_python::intern::deserialize")]
    pub callee: Interned,
    /// Made where test code puts things back (after a fixture's `yield`, in `finally`).
    pub restoring: bool,
    /// What the call is known to put back, which few calls are (`None` for most; shared by the
    /// copies a packed [`CallList`] hands out).
    #[serde(default)]
    pub puts_back: Option<Arc<PutsBack>>,
    /// Made inside `pytest.raises(...)`: what it changes is expected to be refused, but what it
    /// reads decides whether it raises.
    #[serde(default)]
    pub expected_to_fail: bool,
    /// Something is patched while the call runs (see [`patched_at`]): a cache it fills may keep
    /// the double for later tests.
    #[serde(default)]
    pub patched: bool,
}

/// What a call puts back of what it changes.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PutsBack {
    /// The attributes whose saved values the call hands back (`old = Cls.HOST; …;
    /// Cls.set_host(old)`): a change it makes to a key of that name puts the old value back.
    pub saved: Box<[String]>,
    /// Made while Django's settings are overridden (`with self.settings(...)`,
    /// `@override_settings`): the settings named, joined by `,` (see
    /// [`crate::analysis::state::settings_override_at`]).
    #[serde(
        default,
        deserialize_with = "isolint_python::intern::deserialize_option"
    )]
    pub settings_override: Option<Interned>,
}

impl CallFacts {
    /// Whether the call hands back the saved value of an attribute named like the key's last
    /// part.
    pub fn puts_back_saved(&self, path: &str) -> bool {
        self.puts_back.as_ref().is_some_and(|p| {
            p.saved
                .iter()
                .any(|a| path.rsplit('.').next() == Some(a.as_str()))
        })
    }

    /// The settings overridden while the call runs, if any override is active.
    pub fn settings_override(&self) -> Option<&'static str> {
        self.puts_back.as_ref().and_then(|p| p.settings_override)
    }

    /// An import inside a function: it runs the module's top-level code ([`MODULE_BODY`]), if
    /// nothing imported the module before.
    pub fn imports_module(&self) -> Option<&str> {
        match &self.target {
            CallTarget::Imported { module, path } if path.len() == 1 && path[0] == MODULE_BODY => {
                Some(module)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Caller {
    /// Shared with the function's other facts (its tests' state reads).
    pub owner: std::sync::Arc<Owner>,
    /// The calling function's scope, for restores in the same function.
    pub function: ScopeId,
    /// The helper's name, when the caller is a helper (its tests are found through their calls).
    pub helper: Option<String>,
    pub guards: OwnerGuards,
    /// The function works against test doubles (a `MagicMock` driver): its queries reach no server.
    pub talks_to_mocks: bool,
    /// A session fixture that takes `worker_id` or a file lock: written for xdist's workers.
    pub knows_workers: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ArgFacts {
    pub value: Value,
    /// Items or alternatives, which few arguments have: boxed together.
    more: Option<Box<MoreValues>>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct MoreValues {
    /// The items of a list, tuple or set literal (directly or through a local name).
    items: Option<Vec<Value>>,
    /// The values the argument takes in turn (a loop variable over literal items).
    alternatives: Vec<Value>,
}

/// What an argument no summary can bind stands for: passed, so the parameter's default does not
/// apply, but nothing is known about it.
static UNBOUND: ArgFacts = ArgFacts {
    value: Value::Unknown,
    more: None,
};

/// The arguments of a recorded call. Nearly all of them bind nothing a summary can use (neither a
/// path nor a parameter), and a large suite records millions: those are only counted (by
/// position) or named (by keyword), and cost nothing each.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct RecordedArgs {
    pub(super) positional: u32,
    /// The keywords passed, in order, joined by `,`: one interned text, since calls pass the same
    /// few combinations.
    #[serde(deserialize_with = "isolint_python::intern::deserialize")]
    pub(super) keywords: Interned,
    /// The arguments a summary can bind, by index: positions first, then keywords
    /// (`positional + i`), in increasing order. Shared: a packed call list hands out copies of
    /// its calls ([`CallList`]), and few calls have any.
    #[serde(
        serialize_with = "serialize_bound",
        deserialize_with = "deserialize_bound"
    )]
    pub(super) bound: Option<BoundArgs>,
}

/// The arguments bound to a callee's parameters (by index), shared by the copies of a call.
pub(super) type BoundArgs = Arc<[(u32, ArgFacts)]>;

/// [`RecordedArgs::bound`] in a cache entry: the list, empty for none.
fn serialize_bound<S: serde::Serializer>(
    bound: &Option<BoundArgs>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(bound.as_deref().unwrap_or_default())
}

fn deserialize_bound<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BoundArgs>, D::Error> {
    let bound = <Vec<(u32, ArgFacts)> as serde::Deserialize>::deserialize(deserializer)?;
    Ok((!bound.is_empty()).then(|| Arc::from(bound)))
}

/// Text with one copy per process (`isolint_python::intern`). An alias, because serde would
/// otherwise borrow a `&str` field from the decoder's input, which a cache entry outlives.
pub type Interned = &'static str;

impl RecordedArgs {
    fn new(positional: Vec<ArgFacts>, keywords: Vec<(&str, ArgFacts)>) -> Self {
        let count = positional.len();
        let names = match keywords.as_slice() {
            [] => "",
            [(name, _)] => intern(name),
            _ => intern(
                &keywords
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        };
        let bound = positional
            .into_iter()
            .chain(keywords.into_iter().map(|(_, arg)| arg))
            .enumerate()
            .filter(|(_, arg)| arg.binds_anything())
            .map(|(i, arg)| (i as u32, arg))
            .collect::<Vec<_>>();
        let bound = (!bound.is_empty()).then(|| Arc::from(bound));
        RecordedArgs {
            positional: count as u32,
            keywords: names,
            bound,
        }
    }

    /// The argument passed at `position`, if the call passes that many.
    pub fn positional(&self, position: usize) -> Option<&ArgFacts> {
        (position < self.positional as usize).then(|| self.at(position))
    }

    /// The argument passed as `name=...`.
    pub fn keyword(&self, name: &str) -> Option<&ArgFacts> {
        let index = self.keywords.split(',').position(|k| k == name)?;
        Some(self.at(self.positional as usize + index))
    }

    /// The arguments a summary can bind (every other one is [`UNBOUND`]).
    fn bound(&self) -> impl Iterator<Item = &ArgFacts> {
        self.bound.iter().flat_map(|b| b.iter()).map(|(_, arg)| arg)
    }

    fn at(&self, index: usize) -> &ArgFacts {
        let bound = self.bound.as_deref().unwrap_or_default();
        match bound.binary_search_by_key(&index, |(i, _)| *i as usize) {
            Ok(found) => &bound[found].1,
            Err(_) => &UNBOUND,
        }
    }
}

/// What a call names, before the project stage finds its definition. Its names are interned:
/// a suite calls the same few modules' functions from everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CallTarget {
    /// A function or class of this file, or an attribute of one (`Store.create`).
    Local(#[serde(deserialize_with = "isolint_python::intern::deserialize")] Interned),
    /// A method of the caller's class (or of its bases): `self.make_repo(...)`.
    SelfMethod {
        #[serde(deserialize_with = "isolint_python::intern::deserialize")]
        class: Interned,
        #[serde(deserialize_with = "isolint_python::intern::deserialize")]
        method: Interned,
    },
    /// An imported name: `module` as written in the import (relative ones keep their dots) and the
    /// attribute path below it (`from pkg import utils; utils.rmtree(...)` → `pkg`, `utils.rmtree`).
    Imported {
        #[serde(deserialize_with = "isolint_python::intern::deserialize")]
        module: Interned,
        #[serde(deserialize_with = "interned_parts")]
        path: Box<[Interned]>,
    },
    /// A method called on an instance the function built itself (`helper = GraphHelper(driver)`,
    /// `with GraphHelper(driver) as helper:`, then `helper.wipe()`): the class as a call names it.
    Instance {
        class: Box<CallTarget>,
        #[serde(deserialize_with = "isolint_python::intern::deserialize")]
        method: Interned,
    },
}

/// `#[serde(deserialize_with)]` for interned parts of a dotted name.
fn interned_parts<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Box<[Interned]>, D::Error> {
    let parts = <Vec<String> as serde::Deserialize>::deserialize(deserializer)?;
    Ok(parts.iter().map(|part| intern(part)).collect())
}

/// The top-level names that can be the project's own code: calls into anything else (the standard
/// library, third-party packages) are never recorded.
#[derive(Debug, Clone, Default)]
pub struct FirstPartyNames(pub std::collections::HashSet<String>);

/// The first-party names one file's calls were checked against, with the answers: what the file's
/// cached analysis depends on outside the file (a new test module adds a name).
pub type FirstPartyAnswers = std::collections::BTreeMap<String, bool>;

/// [`FirstPartyNames`] as one file asks it, noting each answer.
pub struct FirstPartyLookup<'a> {
    names: &'a FirstPartyNames,
    answers: std::cell::RefCell<FirstPartyAnswers>,
}

impl<'a> FirstPartyLookup<'a> {
    pub fn new(names: &'a FirstPartyNames) -> Self {
        FirstPartyLookup {
            names,
            answers: Default::default(),
        }
    }

    fn contains_module(&self, module: &str) -> bool {
        if module.starts_with('.') {
            return true;
        }
        let top = module.split('.').next().unwrap_or(module);
        let answer = self.names.0.contains(top);
        self.answers.borrow_mut().insert(top.to_string(), answer);
        answer
    }

    pub fn into_answers(self) -> FirstPartyAnswers {
        self.answers.into_inner()
    }
}

impl FirstPartyNames {
    #[cfg(test)]
    pub(crate) fn contains_module(&self, module: &str) -> bool {
        module.starts_with('.') || self.0.contains(module.split('.').next().unwrap_or(module))
    }

    /// Whether the names give the same answers again.
    pub fn answers_hold(&self, answers: &FirstPartyAnswers) -> bool {
        answers
            .iter()
            .all(|(name, answer)| self.0.contains(name) == *answer)
    }
}

/// Records the calls of every followed function that may reach the project's code, and whether
/// test code hands a known path to one (then library calls given fixed paths are worth a look).
pub fn collect_calls(ctx: &mut FileContext, first_party: &FirstPartyLookup) -> CollectedCalls {
    let model = ctx.model;
    let mut calls = Vec::new();
    let mut class_guards: HashMap<ScopeId, OwnerGuards> = HashMap::new();
    let mut callers: HashMap<ScopeId, Option<Caller>> = HashMap::new();
    let mut hands_known_path = false;
    let mut opaque: HashSet<ScopeId> = HashSet::new();
    let mut method_owners = MethodOwners::new(model, first_party);
    for (scope_id, scope) in model.scopes.iter().enumerate() {
        // The package's module-level code runs on its first import: a test importing the module
        // inside its body runs it then (`MODULE_BODY`).
        let module_body = scope_id == MODULE_SCOPE && ctx.file.package_code;
        if scope.kind != ScopeKind::Function && !module_body || scope.calls.is_empty() {
            continue;
        }
        let function = model.owner(scope_id);
        if model.scopes[function].kind != ScopeKind::Function && !module_body {
            continue;
        }
        for call in &scope.calls {
            if module_body && under_main_guard(model, *call) {
                continue;
            }
            let direct = call_target(model, *call, scope_id, first_party, &mut method_owners);
            // What a test client runs is called with arguments the client makes up.
            let run = if direct.is_none() && !ctx.file.first_party {
                run_target(model, *call, scope_id, first_party, &mut method_owners)
            } else {
                None
            };
            let runs = run.is_some();
            let Some(target) = direct.or(run) else {
                // Handing a parameter to code no summary describes (a library) leaves what the
                // function does with it unknown.
                if ctx.eval.states_effects_by_parameter(function)
                    && !opaque.contains(&function)
                    && passes_a_parameter(ctx, *call, function)
                {
                    opaque.insert(function);
                }
                continue;
            };
            let expected = expected_to_fail(ctx, *call);
            let args = ctx.model.call_args(*call);
            // Only values a summary can bind are kept: most arguments are neither paths nor
            // parameters, and a large suite makes millions of calls.
            let arg = |node: Node| {
                let mut values = ctx.eval.eval_each(node, scope_id);
                // A loop variable over literal items is each of them in turn.
                let (value, alternatives) = match values.len() {
                    1 => (values.pop().unwrap_or(Value::Unknown), Vec::new()),
                    _ => (Value::Unknown, values),
                };
                ArgFacts::new(
                    Some(value)
                        .filter(may_name_a_path)
                        .unwrap_or(Value::Unknown),
                    ctx.eval
                        .literal_items(node, scope_id)
                        .filter(|items| items.iter().any(may_name_a_path)),
                    alternatives.into_iter().filter(may_name_a_path).collect(),
                )
            };
            let recorded = if runs {
                RecordedArgs::default()
            } else {
                RecordedArgs::new(
                    args.positional.iter().map(|n| arg(*n)).collect(),
                    args.keywords.iter().map(|(k, n)| (*k, arg(*n))).collect(),
                )
            };
            let binds_a_path = recorded.bound().next().is_some();
            // `Article(title="x")`: building an imported class with nothing path-like can only
            // matter if its constructor writes a fixed path of its own, which classes in tests
            // rarely do; skipping them keeps a large suite's model objects out of memory.
            if !binds_a_path && constructs_imported_class(&target) {
                continue;
            }
            let caller = callers.entry(function).or_insert_with(|| {
                if module_body {
                    None
                } else {
                    caller_of(ctx, scope_id, function, &mut class_guards)
                }
            });
            let restoring = caller.is_some()
                && (model.scopes[function]
                    .yield_at
                    .is_some_and(|y| call.start_byte() > y)
                    || crate::analysis::state::in_finally(ctx, *call));
            let puts_back: Box<[String]> = if caller.is_some() {
                args.positional
                    .iter()
                    .chain(args.keywords.iter().map(|(_, n)| n))
                    .filter_map(|n| saved_attribute(ctx, *n, scope_id))
                    .collect()
            } else {
                Box::default()
            };
            if caller.is_some() && !expected {
                hands_known_path |= recorded.bound().any(ArgFacts::has_known_path);
            }
            let patched = caller.as_ref().is_some_and(|c| !c.guards.mocked.is_empty())
                && patched_at(ctx, function, *call, &mut class_guards);
            let settings_override = caller
                .is_some()
                .then(|| crate::analysis::state::settings_override_at(ctx, function, *call))
                .flatten()
                .map(|names| intern(&names));
            calls.push((
                function,
                CallFacts {
                    target: intern_target(target),
                    args: recorded,
                    has_splat: args.has_splat || runs,
                    span: Span::of(*call),
                    position: Position::default(),
                    callee: intern(ctx.model.callee(*call).map(|c| ctx.text(c)).unwrap_or("")),
                    restoring,
                    puts_back: (!puts_back.is_empty() || settings_override.is_some()).then(|| {
                        Arc::new(PutsBack {
                            saved: puts_back,
                            settings_override,
                        })
                    }),
                    expected_to_fail: expected,
                    patched,
                },
            ));
        }
    }
    if !ctx.file.package_code {
        for (function, mut import) in local_imports(ctx, first_party) {
            let caller = callers
                .entry(function)
                .or_insert_with(|| caller_of(ctx, function, function, &mut class_guards));
            if let Some(caller) = caller {
                // An import has no call node to place among the patches: any patch counts.
                import.patched = !caller.guards.mocked.is_empty();
                calls.push((function, import));
            }
        }
    }
    ctx.may_remove_through_calls = hands_known_path;
    let service_ops = shared_resource::helper_operations(ctx);
    let reexports = if ctx.file.package_code {
        reexports(ctx, first_party)
    } else {
        Vec::new()
    };
    CollectedCalls {
        calls,
        callers,
        opaque,
        service_ops,
        reexports,
    }
}

/// Who makes the calls of a function of test code (`None` in the project's own modules).
fn caller_of(
    ctx: &FileContext,
    scope: ScopeId,
    function: ScopeId,
    class_guards: &mut HashMap<ScopeId, OwnerGuards>,
) -> Option<Caller> {
    (!ctx.file.first_party).then(|| {
        let owner = ctx.shared_owner(scope);
        let helper =
            (owner.role == isolint_python::model::Role::Helper).then(|| owner.function.clone());
        let guards = guards_of(ctx, function, class_guards);
        let knows_workers =
            owner.role == isolint_python::model::Role::Fixture && aware_of_workers(function, ctx);
        Caller {
            owner,
            function,
            helper,
            guards,
            talks_to_mocks: shared_resource::talks_to_mocks(function, ctx),
            knows_workers,
        }
    })
}

/// The qualified name of a module's own top-level code among its functions: what a first import
/// of the module runs.
pub const MODULE_BODY: &str = "<module>";

/// Imports of the project's modules written inside test functions, fixtures and helpers, as calls
/// of those modules' top-level code ([`MODULE_BODY`]), one per module and function in source
/// order: whichever test imports a module first runs it, so what it changes is that test's doing.
fn local_imports(ctx: &FileContext, first_party: &FirstPartyLookup) -> Vec<(ScopeId, CallFacts)> {
    let model = ctx.model;
    let mut out: Vec<(ScopeId, CallFacts)> = Vec::new();
    for (scope_id, scope) in model.scopes.iter().enumerate() {
        if scope.kind != ScopeKind::Function {
            continue;
        }
        let function = model.owner(scope_id);
        if model.scopes[function].kind != ScopeKind::Function {
            continue;
        }
        let mut imports: Vec<(&Binding, &str)> = scope
            .bindings
            .values()
            .flatten()
            .filter_map(|b| match b.value {
                BindingValue::Import(module, _) if first_party.contains_module(module) => {
                    Some((b, module))
                }
                _ => None,
            })
            .collect();
        imports.sort_by_key(|(b, _)| b.span.start);
        for (binding, module) in imports {
            // `import pkg.sub` binds `pkg` and runs both; `from pkg import sub` may name a module.
            let written = ctx
                .source()
                .get(binding.span.start..binding.span.end)
                .filter(|w| w.starts_with(module) && w.contains('.'));
            let member = match binding.value {
                BindingValue::Import(_, Some(member)) => Some(format!("{module}.{member}")),
                _ => written.map(str::to_string),
            };
            for module in std::iter::once(module.to_string()).chain(member) {
                let target = CallTarget::Imported {
                    module: intern(&module),
                    path: Box::new([MODULE_BODY]),
                };
                if out
                    .iter()
                    .any(|(f, c)| *f == function && *c.target == target)
                {
                    continue;
                }
                out.push((
                    function,
                    CallFacts {
                        target: intern_target(target),
                        args: RecordedArgs::default(),
                        has_splat: false,
                        span: binding.span,
                        position: Position::default(),
                        callee: intern(&format!("import {module}")),
                        restoring: false,
                        puts_back: None,
                        expected_to_fail: false,
                        patched: false,
                    },
                ));
            }
        }
    }
    out
}

/// A call under `if __name__ == "__main__":`, which an import does not run.
fn under_main_guard(model: &FileModel, call: Node) -> bool {
    model.ancestors(call).any(|a| {
        kind_of(a) == "if_statement"
            && a.child_by_field_id(field::CONDITION.id())
                .is_some_and(|c| isolint_python::syntax::text(c, model.source).contains("__main__"))
    })
}

/// Whether a call passes one of the function's parameters on as it is (`write_data(afile, ...)`,
/// `**keywords`).
fn passes_a_parameter(ctx: &FileContext, call: Node, function: ScopeId) -> bool {
    let Some(arguments) = ctx.model.arguments(call) else {
        return false;
    };
    let parameters = ctx.model.scopes[function].parameters();
    let mut cursor = arguments.walk();
    let found = arguments.named_children(&mut cursor).any(|arg| {
        let value = match kind_of(arg) {
            kind::KEYWORD_ARGUMENT => arg.child_by_field_id(field::VALUE.id()),
            "list_splat" | "dictionary_splat" => arg.named_child(0),
            _ => Some(arg),
        };
        value.is_some_and(|v| {
            kind_of(v) == kind::IDENTIFIER
                && parameters
                    .iter()
                    .any(|(name, _)| *name == ctx.text(v) && !matches!(*name, "self" | "cls"))
        })
    });
    // The standard library's calls do nothing the sink table does not already say.
    found
        && !ctx
            .model
            .callee(call)
            .and_then(|callee| ctx.model.qualified_name(callee, function))
            .is_some_and(|q| isolint_python::knowledge::is_described_stdlib(&q))
}

/// Whether a `self.method()` call can reach code a summary describes: the class or one of its
/// bases in the file defines the method, or a base comes from the project's own code. Methods
/// of library bases (`TestCase.assertEqual`, most calls of a unittest suite) have no summary.
struct MethodOwners<'m, 't> {
    model: &'m FileModel<'t>,
    first_party: &'m FirstPartyLookup<'m>,
    /// Methods defined directly in each class.
    methods: HashMap<ScopeId, HashSet<&'t str>>,
    /// Module-level classes by name, for bases defined in the file.
    classes: HashMap<&'t str, ScopeId>,
    answers: HashMap<(ScopeId, &'t str), bool>,
    /// The last project module the file imports with `from MODULE import *`: where names bound
    /// nowhere in the file come from.
    star_module: Option<&'t str>,
}

/// Builtin bases, which define nothing a summary could describe.
const BUILTIN_BASES: &[&str] = &["object", "Exception", "BaseException", "dict", "list"];

impl<'m, 't> MethodOwners<'m, 't> {
    fn new(model: &'m FileModel<'t>, first_party: &'m FirstPartyLookup<'m>) -> Self {
        let mut methods: HashMap<ScopeId, HashSet<&'t str>> = HashMap::new();
        let mut classes = HashMap::new();
        for (id, scope) in model.scopes.iter().enumerate() {
            let Some(parent) = scope.parent else { continue };
            match (scope.kind, model.scopes[parent].kind) {
                (ScopeKind::Function, ScopeKind::Class) => {
                    methods.entry(parent).or_default().insert(scope.name);
                }
                (ScopeKind::Class, _) if parent == MODULE_SCOPE => {
                    classes.entry(scope.name).or_insert(id);
                }
                _ => {}
            }
        }
        let star_module = named_children(model.tree.root_node())
            .filter(|s| {
                kind_of(s) == kind::IMPORT_FROM_STATEMENT
                    && named_children(*s).any(|c| kind_of(c) == "wildcard_import")
            })
            .filter_map(|s| s.child_by_field_id(field::MODULE_NAME.id()))
            .map(|m| isolint_python::syntax::text(m, model.source))
            .filter(|m| first_party.contains_module(m))
            .last();
        MethodOwners {
            model,
            first_party,
            methods,
            classes,
            answers: HashMap::new(),
            star_module,
        }
    }

    fn may_define(&mut self, class: ScopeId, method: &'t str) -> bool {
        if let Some(answer) = self.answers.get(&(class, method)) {
            return *answer;
        }
        let answer = self.search(class, method);
        self.answers.insert((class, method), answer);
        answer
    }

    /// A bounded walk up the class hierarchy; a base isolint cannot place counts as defining it.
    fn search(&self, class: ScopeId, method: &str) -> bool {
        let mut pending = vec![class];
        let mut seen: HashSet<ScopeId> = HashSet::new();
        while let Some(class) = pending.pop() {
            if seen.len() > 32 {
                return true;
            }
            if !seen.insert(class) {
                continue;
            }
            if self.methods.get(&class).is_some_and(|m| m.contains(method)) {
                return true;
            }
            for base in &self.model.scopes[class].bases {
                let mut name_node = unparenthesize(*base);
                while kind_of(name_node) == kind::ATTRIBUTE {
                    match self.model.attribute_parts(name_node).0 {
                        Some(object) => name_node = unparenthesize(object),
                        None => return true,
                    }
                }
                if kind_of(name_node) != kind::IDENTIFIER {
                    return true;
                }
                let name = isolint_python::syntax::text(name_node, self.model.source);
                match self.model.lookup(name, MODULE_SCOPE, base.start_byte()) {
                    Some((_, binding)) => match binding.value {
                        BindingValue::Import(module, _) => {
                            if self.first_party.contains_module(module) {
                                return true;
                            }
                        }
                        BindingValue::Def(_) => match self.classes.get(name) {
                            Some(base_class) => pending.push(*base_class),
                            None => return true,
                        },
                        _ => return true,
                    },
                    None if BUILTIN_BASES.contains(&name) => {}
                    None => return true,
                }
            }
        }
        false
    }
}

/// The calls of a file's functions, and who makes them.
pub struct CollectedCalls {
    calls: Vec<(ScopeId, CallFacts)>,
    callers: HashMap<ScopeId, Option<Caller>>,
    /// Functions that hand a parameter to code no summary describes.
    opaque: HashSet<ScopeId>,
    /// Shared-service operations helpers perform themselves, at which call.
    service_ops: Vec<(ScopeId, Span, ServiceOp)>,
    reexports: Vec<Reexport>,
}

/// A value a path effect can hang from: known text on a root, or a parameter or fixture to bind.
fn may_name_a_path(value: &Value) -> bool {
    value.as_text().is_some_and(|t| {
        matches!(t.root, Root::Param(_) | Root::Fixture(_))
            || classify_path(&t.root, &t.text).is_some()
    })
}

/// `Name(...)` for a capitalised name imported from a module: a class being built.
fn constructs_imported_class(target: &CallTarget) -> bool {
    matches!(target, CallTarget::Imported { path, .. }
        if path.len() == 1 && path[0].starts_with(|c: char| c.is_ascii_uppercase()))
}

impl ArgFacts {
    #[cfg(test)]
    pub(super) fn for_test(value: Value) -> Self {
        ArgFacts::new(value, None, Vec::new())
    }

    fn new(value: Value, items: Option<Vec<Value>>, mut alternatives: Vec<Value>) -> Self {
        let more = (items.is_some() || !alternatives.is_empty()).then(|| {
            alternatives.shrink_to_fit();
            Box::new(MoreValues {
                items: items.map(|mut items| {
                    items.shrink_to_fit();
                    items
                }),
                alternatives,
            })
        });
        ArgFacts { value, more }
    }

    /// The items of a list, tuple or set literal (directly or through a local name).
    pub fn items(&self) -> Option<&[Value]> {
        self.more.as_ref()?.items.as_deref()
    }

    /// The values the argument takes in turn (a loop variable over literal items).
    pub fn alternatives(&self) -> &[Value] {
        self.more.as_ref().map_or(&[], |more| &more.alternatives)
    }

    /// Whether a summary could bind something to this argument.
    fn binds_anything(&self) -> bool {
        self.value != Value::Unknown || self.items().is_some() || !self.alternatives().is_empty()
    }

    fn has_known_path(&self) -> bool {
        let known = |v: &Value| {
            v.concrete_text()
                .is_some_and(|t| classify_path(&t.root, &t.text).is_some())
                || matches!(v.as_text().map(|t| &t.root), Some(Root::Fixture(_)))
        };
        known(&self.value)
            || self.items().into_iter().flatten().any(known)
            || self.alternatives().iter().any(known)
    }
}

/// `items` without the spare capacity its growth left: what the project stage keeps of every
/// file is held all at once.
fn exact<T>(items: Vec<T>) -> Box<[T]> {
    items.into_boxed_slice()
}

/// Reads kept per function: a function reading more is a framework's entry point.
const MAX_OWN_READS: usize = 16;

/// Puts together the functions of a file: their parameters, their symbolic effects and calls.
pub fn assemble(
    ctx: &FileContext,
    collected: CollectedCalls,
    effects: &[SummaryEffect],
    state_writes: &[StateWrite],
    state_reads: &[(ScopeId, String, Position)],
    position: impl Fn(usize) -> Position,
) -> FileFunctions {
    let model = ctx.model;
    let mut by_function: HashMap<ScopeId, (Vec<SymbolicEffect>, Vec<CallFacts>)> = HashMap::new();
    let mut writes_by_function: HashMap<ScopeId, Vec<OwnStateWrite>> = HashMap::new();
    // Only what a key held at module or class level: a test's fixture values are not reached.
    for write in state_writes
        .iter()
        .filter(|w| !w.restored && w.holder != Holder::TestClass && !w.path.starts_with('@'))
    {
        let own = writes_by_function.entry(write.function).or_default();
        if own.len() < 16 && !own.iter().any(|w| w.path == write.path) {
            own.push(OwnStateWrite {
                lazy_fill: write.lazy_fill,
                path: write.path.clone(),
                kind: write.kind,
                verb: write.verb,
                site: Site {
                    file: ctx.file.display.clone(),
                    position: write.position,
                    callee: model.scopes[write.function].name.to_string(),
                },
            });
        }
        by_function.entry(write.function).or_default();
    }
    let mut reads_by_function: HashMap<ScopeId, Vec<OwnStateRead>> = HashMap::new();
    for (function, path, read_at) in state_reads {
        let own = reads_by_function.entry(*function).or_default();
        if own.len() < MAX_OWN_READS {
            own.push(OwnStateRead {
                path: path.clone(),
                site: Site {
                    file: ctx.file.display.clone(),
                    position: *read_at,
                    callee: model.scopes[*function].name.to_string(),
                },
            });
        }
        by_function.entry(*function).or_default();
    }
    for effect in effects {
        let Some(path) = own_path(model, effect.function, &effect.path) else {
            continue;
        };
        by_function
            .entry(effect.function)
            .or_default()
            .0
            .push(SymbolicEffect {
                op: effect.op,
                path,
                site: Site {
                    file: ctx.file.display.clone(),
                    position: position(effect.span.start),
                    callee: effect.callee.clone(),
                },
            });
    }
    let CollectedCalls {
        calls,
        mut callers,
        opaque,
        service_ops,
        reexports,
    } = collected;
    let mut ops_by_function: HashMap<ScopeId, Vec<OwnServiceOp>> = HashMap::new();
    for (function, span, op) in service_ops {
        let own = ops_by_function.entry(function).or_default();
        // A helper that wipes in a loop is one operation on the resource.
        if own.iter().any(|o| o.op.resource == op.resource) {
            continue;
        }
        let class = model.class_of_method(function);
        let name = model.scopes[function].name;
        own.push(OwnServiceOp {
            op,
            site: Site {
                file: ctx.file.display.clone(),
                position: position(span.start),
                callee: match class {
                    Some(class) => format!("{}.{name}", model.scopes[class].name),
                    None => name.to_string(),
                },
            },
        });
        by_function.entry(function).or_default();
    }
    let mut reading_by_function: HashMap<ScopeId, Vec<CallFacts>> = HashMap::new();
    for (function, mut call) in calls {
        call.position = position(call.span.start);
        // Made in this step and not shared yet.
        if let Some(bound) = call.args.bound.as_mut().and_then(Arc::get_mut) {
            for (_, arg) in bound.iter_mut() {
                own_arg(model, function, arg);
            }
        }
        if call.expected_to_fail {
            by_function.entry(function).or_default();
            reading_by_function.entry(function).or_default().push(call);
            continue;
        }
        by_function.entry(function).or_default().1.push(call);
    }
    // Every function and method is listed, even one that does nothing: a call to it is then known
    // to do nothing (rather than guessed from its arguments), and constructors bind what methods
    // do to the values they store.
    // (Tests, fixtures and setup are never called by name: only what can be is listed.)
    for (id, scope) in model.scopes.iter().enumerate() {
        if scope.kind == ScopeKind::Function
            && (ctx.eval.states_effects_by_parameter(id) || scope.name == "__init__")
        {
            by_function.entry(id).or_default();
        }
    }
    // Two definitions of one name (`if WINDOWS: def f(): ... else: def f(): ...`) keep their
    // source order, whatever the map's: the summaries take the last, as Python binds it.
    let mut by_function: Vec<_> = by_function.into_iter().collect();
    by_function.sort_by_key(|(id, _)| *id);
    let mut functions: Vec<FunctionFacts> = by_function
        .into_iter()
        .map(|(id, (effects, calls))| {
            let (effects, calls) = (exact(effects), CallList::new(calls));
            let scope = &model.scopes[id];
            let class = model
                .class_of_method(id)
                .map(|c| model.scopes[c].name.to_string());
            // Parameters matter only to bind effects and calls, and to constructors.
            let names_database = ops_by_function.get(&id).is_some_and(|ops| {
                ops.iter()
                    .any(|o| shared_resource::database_parameter(&o.op).is_some())
            });
            let binds = !effects.is_empty()
                || !calls.is_empty()
                || scope.name == "__init__"
                || names_database;
            let params: Box<[ParamFacts]> = if binds {
                // Collected by reference: reusing the larger `parameters()` buffer would keep it.
                scope
                    .parameters()
                    .iter()
                    .map(|&(name, default)| ParamFacts {
                        name: intern(name),
                        default: default.map(|d| Box::new(ctx.eval.eval(d, id))),
                    })
                    .collect()
            } else {
                Box::default()
            };
            let bound_method = class.is_some()
                && params
                    .first()
                    .is_some_and(|p| matches!(p.name, "self" | "cls"));
            FunctionFacts {
                qualname: match &class {
                    Some(class) => format!("{class}.{}", scope.name),
                    None if id == MODULE_SCOPE => MODULE_BODY.to_string(),
                    None => scope.name.to_string(),
                },
                class,
                params,
                bound_method,
                effects,
                calls,
                caller: callers.remove(&id).flatten().map(Box::new),
                opaque: opaque.contains(&id),
                state_writes: exact(writes_by_function.remove(&id).unwrap_or_default()),
                state_reads: exact(reads_by_function.remove(&id).unwrap_or_default()),
                service_ops: exact(ops_by_function.remove(&id).unwrap_or_default()),
                reading_calls: CallList::new(reading_by_function.remove(&id).unwrap_or_default()),
            }
        })
        .collect();
    functions.sort_by(|a, b| a.qualname.cmp(&b.qualname));
    let classes = model
        .scopes
        .iter()
        .filter(|s| s.kind == ScopeKind::Class && s.parent == Some(MODULE_SCOPE))
        .map(|s| {
            (
                s.name.to_string(),
                s.bases
                    .iter()
                    .map(|b| isolint_python::knowledge::last_component(ctx.text(*b)).to_string())
                    .collect(),
            )
        })
        .collect();
    FileFunctions {
        functions,
        classes,
        neomodel_labels: Vec::new(),
        reexports,
    }
}

/// The module-level `from` imports of the project's own modules, which importers of this module
/// can reach through it.
fn reexports(ctx: &FileContext, first_party: &FirstPartyLookup) -> Vec<Reexport> {
    let mut out = Vec::new();
    let mut statements: Vec<Node> = named_children(ctx.model.tree.root_node()).collect();
    // `try: from .fast import f / except ImportError: from .slow import f`: either one.
    let mut i = 0;
    while i < statements.len() && i < 4096 {
        let statement = statements[i];
        i += 1;
        match kind_of(statement) {
            kind::TRY_STATEMENT
            | kind::BLOCK
            | "if_statement"
            | "except_clause"
            | "else_clause" => {
                statements.extend(named_children(statement));
                continue;
            }
            kind::IMPORT_FROM_STATEMENT => {}
            _ => continue,
        }
        let Some(module) = statement.child_by_field_id(field::MODULE_NAME.id()) else {
            continue;
        };
        let module = ctx.text(module);
        if !first_party.contains_module(module) {
            continue;
        }
        if named_children(statement).any(|c| kind_of(c) == "wildcard_import") {
            out.push(Reexport {
                name: None,
                module: module.to_string(),
                member: None,
            });
            continue;
        }
        let mut names = statement.walk();
        for child in statement.children_by_field_name(field::NAME.name, &mut names) {
            let (name, alias) = match kind_of(child) {
                kind::ALIASED_IMPORT => (
                    child.child_by_field_id(field::NAME.id()),
                    child.child_by_field_id(field::ALIAS.id()),
                ),
                _ => (Some(child), Some(child)),
            };
            if let (Some(name), Some(alias)) = (name, alias) {
                out.push(Reexport {
                    name: Some(ctx.text(alias).to_string()),
                    module: module.to_string(),
                    member: Some(ctx.text(name).to_string()),
                });
            }
        }
    }
    out
}

/// `old` where `old = Cls.NAME` earlier in the scope: the attribute (`NAME`) whose value it saved.
fn saved_attribute(ctx: &FileContext, arg: Node, scope: ScopeId) -> Option<String> {
    let arg = unparenthesize(arg);
    if kind_of(arg) != kind::IDENTIFIER {
        return None;
    }
    let (_, binding) = ctx.model.lookup(ctx.text(arg), scope, arg.start_byte())?;
    let BindingValue::Expr(value) = binding.value else {
        return None;
    };
    let value = unparenthesize(value);
    if kind_of(value) != kind::ATTRIBUTE {
        return None;
    }
    let attribute = ctx.model.attribute_parts(value).1?;
    Some(ctx.text(attribute).to_string())
}

/// A path whose parameter root is the function's own (or its class constructor's), restated as
/// such; `None` for the parameter of another function (a closure's).
fn own_path(model: &FileModel, function: ScopeId, path: &Text) -> Option<Text> {
    let Root::Param(param) = &path.root else {
        return Some(path.clone());
    };
    let ParamOwner::Scope(scope) = param.owner else {
        return None;
    };
    let owner = if scope == function {
        ParamOwner::Function
    } else if model.class_of_method(function).is_some()
        && model.class_of_method(scope) == model.class_of_method(function)
        && model.scopes[scope].name == "__init__"
    {
        ParamOwner::Constructor
    } else {
        return None;
    };
    let mut param = param.clone();
    param.owner = owner;
    Some(Text {
        root: Root::Param(param),
        ..path.clone()
    })
}

fn own_value(model: &FileModel, function: ScopeId, value: Value) -> Value {
    match value {
        Value::Text(text) if text.root.is_param() => match own_path(model, function, &text) {
            Some(text) => Value::Text(text),
            None => Value::Unknown,
        },
        other => other,
    }
}

fn own_arg(model: &FileModel, function: ScopeId, arg: &mut ArgFacts) {
    let own = |v: &mut Value| *v = own_value(model, function, std::mem::replace(v, Value::Unknown));
    own(&mut arg.value);
    if let Some(more) = &mut arg.more {
        more.items.iter_mut().flatten().for_each(own);
        more.alternatives.iter_mut().for_each(own);
    }
}

/// What a call names, if it can be the project's own code.
fn call_target<'t>(
    model: &FileModel<'t>,
    call: Node<'t>,
    scope: ScopeId,
    first_party: &FirstPartyLookup,
    method_owners: &mut MethodOwners<'_, 't>,
) -> Option<CallTarget> {
    let callee = unparenthesize(model.callee(call)?);
    callee_target(
        model,
        callee,
        call.start_byte(),
        scope,
        first_party,
        method_owners,
    )
}

/// The function a test client runs for the call (`runner.invoke(cli, [...])` with `runner =
/// CliRunner()`, see `knowledge::FUNCTION_RUNNERS`): its first argument, when it is the project's.
fn run_target<'t>(
    model: &FileModel<'t>,
    call: Node<'t>,
    scope: ScopeId,
    first_party: &FirstPartyLookup,
    method_owners: &mut MethodOwners<'_, 't>,
) -> Option<CallTarget> {
    let callee = unparenthesize(model.callee(call)?);
    if kind_of(callee) != kind::ATTRIBUTE {
        return None;
    }
    let method = isolint_python::syntax::text(model.attribute_parts(callee).1?, model.source);
    let runners: Vec<&str> = isolint_python::knowledge::FUNCTION_RUNNERS
        .iter()
        .filter(|(_, m)| *m == method)
        .map(|(class, _)| *class)
        .collect();
    if runners.is_empty() {
        return None;
    }
    let mut client = unparenthesize(model.attribute_parts(callee).0?);
    if kind_of(client) == kind::IDENTIFIER {
        client = match model.lookup(
            isolint_python::syntax::text(client, model.source),
            scope,
            client.start_byte(),
        ) {
            Some((
                _,
                Binding {
                    value: BindingValue::Expr(value) | BindingValue::WithItem(value),
                    ..
                },
            )) => unparenthesize(*value),
            _ => return None,
        };
    }
    let class = client
        .kind()
        .eq(kind::CALL)
        .then(|| model.callee(client))
        .flatten()
        .and_then(|c| model.qualified_name(c, scope))?;
    if !runners.contains(&class.as_str()) {
        return None;
    }
    let arguments = model.arguments(call)?;
    let first = unparenthesize(arguments.named_child(0)?);
    if !matches!(kind_of(first), kind::IDENTIFIER | kind::ATTRIBUTE) {
        return None;
    }
    callee_target(
        model,
        first,
        call.start_byte(),
        scope,
        first_party,
        method_owners,
    )
}

/// What a callee expression names, for a call at byte `at`.
fn callee_target<'t>(
    model: &FileModel<'t>,
    callee: Node<'t>,
    at: usize,
    scope: ScopeId,
    first_party: &FirstPartyLookup,
    method_owners: &mut MethodOwners<'_, 't>,
) -> Option<CallTarget> {
    let source = model.source;
    // The dotted chain `a.b.c` as its base name and attributes.
    let mut path: Vec<&str> = Vec::new();
    let mut base = callee;
    while kind_of(base) == kind::ATTRIBUTE {
        let attribute = model.attribute_parts(base).1?;
        path.push(isolint_python::syntax::text(attribute, source));
        base = unparenthesize(model.attribute_parts(base).0?);
        if path.len() > 8 {
            return None;
        }
    }
    if kind_of(base) != kind::IDENTIFIER {
        return None;
    }
    path.reverse();
    let name = isolint_python::syntax::text(base, source);
    if matches!(name, "self" | "cls") {
        let [method] = path.as_slice() else {
            return None;
        };
        let class = model.class_of_method(model.owner(scope))?;
        if !method_owners.may_define(class, method) {
            return None;
        }
        return Some(CallTarget::SelfMethod {
            class: intern(model.scopes[class].name),
            method: intern(method),
        });
    }
    match model.lookup(name, scope, base.start_byte()) {
        Some((
            _,
            Binding {
                value: BindingValue::Expr(value) | BindingValue::WithItem(value),
                ..
            },
        )) if path.len() == 1 => {
            let built = unparenthesize(*value);
            if kind_of(built) != kind::CALL || built.start_byte() >= at {
                return None;
            }
            let class = call_target(model, built, scope, first_party, method_owners)?;
            let builds_class = match &class {
                CallTarget::Local(name) => !name.contains('.'),
                CallTarget::Imported { path, .. } => path.len() == 1,
                _ => false,
            };
            let class_name = match &class {
                CallTarget::Local(name) => name,
                CallTarget::Imported { path, .. } => path.last().copied().unwrap_or(""),
                _ => "",
            };
            if !builds_class || !class_name.starts_with(|c: char| c.is_ascii_uppercase()) {
                return None;
            }
            Some(CallTarget::Instance {
                class: Box::new(class),
                method: intern(path[0]),
            })
        }
        Some((
            binding_scope,
            Binding {
                value: BindingValue::Def(_),
                ..
            },
        )) if binding_scope == MODULE_SCOPE && path.len() <= 1 => {
            let mut qualname = name.to_string();
            for part in &path {
                qualname.push('.');
                qualname.push_str(part);
            }
            Some(CallTarget::Local(intern(&qualname)))
        }
        Some((
            _,
            Binding {
                value: BindingValue::Import(module, member),
                ..
            },
        )) => {
            // `module.function`, `module.Class.method`, `name.method` of an imported name: a longer
            // chain (`Article.objects.create`) goes through attributes no summary describes.
            // An imported class (`Author.objects.create`) has summaries for its own methods only.
            let longest = match member {
                Some(m) if m.starts_with(char::is_uppercase) => 1,
                Some(_) => 2,
                None => 3,
            };
            if !first_party.contains_module(module) || path.len() > longest {
                return None;
            }
            let full: Box<[Interned]> = member.iter().chain(&path).map(|p| intern(p)).collect();
            if full.is_empty() {
                return None;
            }
            Some(CallTarget::Imported {
                module: intern(module),
                path: full,
            })
        }
        // `from pkg import *`: a name bound nowhere else comes from there (builtins aside).
        None if path.len() <= 1 && !isolint_python::model::is_builtin(name) => {
            let module = method_owners.star_module?;
            let full = std::iter::once(name).chain(path).map(intern).collect();
            Some(CallTarget::Imported {
                module: intern(module),
                path: full,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    /// Every file keeps its functions and recorded calls until the summaries are bound: a field
    /// that makes one of these larger multiplies by the hundreds of thousands in a large suite.
    #[test]
    fn kept_items_stay_small() {
        assert!(size_of::<CallFacts>() <= 144, "{}", size_of::<CallFacts>());
        assert!(size_of::<ArgFacts>() <= 72, "{}", size_of::<ArgFacts>());
        assert!(
            size_of::<FunctionFacts>() <= 176,
            "{}",
            size_of::<FunctionFacts>()
        );
        assert!(size_of::<Caller>() <= 80, "{}", size_of::<Caller>());
    }
}
