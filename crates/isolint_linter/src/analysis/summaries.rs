//! Effect summaries through calls: what a function does to paths, stated in terms of its
//! parameters, composed bottom-up over the call graph (tests tree and the project's own package)
//! and bound at each call site in test code. A call whose callee removes, writes or creates a
//! fixed path becomes a path effect at the call, with the sink inside the callee as related
//! location, and flows through the same rules as a direct effect.
//!
//! Third-party code is never read: a call that resolves to no function of the project adds
//! nothing. Summaries are computed on demand from test code's calls, memoised, with recursion
//! cycles cut and call depth bounded.

use crate::analysis::calls::{
    ArgFacts, CallFacts, CallTarget, Caller, FileFunctions, FunctionFacts, OwnServiceOp,
    OwnStateRead, OwnStateWrite, Site,
};
use crate::analysis::path_effects::{PathEffect, Through, PATH_METHOD_PREFIX};
use crate::analysis::state::{
    absolute_path, paths_meet, shown, Holder, StateRead, StateWrite, WriteKind,
};
use crate::diagnostic::Related;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use isolint_python::knowledge::{classify_path, last_component, PathOp};
use isolint_python::source::Span;
use isolint_python::value::{ParamOwner, ParamRoot, Root, Text, Value};
use std::rc::Rc;

/// How deep calls are followed from test code.
const MAX_CALL_DEPTH: usize = 6;

/// How many modules a name is followed through (`pkg` → `pkg.api` → `pkg.api.core`).
const MAX_REEXPORT_DEPTH: usize = 4;

/// A module as the summaries see it.
pub struct ModuleFunctions<'a> {
    /// Dotted module name (`pkg.utils`, `tests.helpers`).
    pub module: String,
    /// The package relative imports start from.
    pub package: String,
    /// The module's folder relative to pytest's rootdir, `/`-separated: where `Path(__file__)`
    /// paths of its functions lie.
    pub folder: String,
    pub functions: &'a FileFunctions,
    /// A module of the package under test: its own fixed paths travel up to the tests that call it.
    pub first_party: bool,
    /// Code of the package under test (read as context or linted): its state changes travel up
    /// to the tests that call it.
    pub package_code: bool,
}

/// One effect of a summary: a path (on a parameter of the summarised function, or concrete), the
/// sink that does it, and the functions called on the way.
#[derive(Debug, Clone)]
struct SummaryEffect {
    op: PathOp,
    path: Text,
    sink: Site,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct FunctionRef {
    file: usize,
    function: usize,
}

/// How a call reaches a function.
#[derive(Clone, Copy)]
enum CallKind {
    /// `f(...)`, `module.f(...)`, `Class.f(...)`: arguments as written.
    Plain,
    /// `self.f(...)`: `self` is passed implicitly.
    Bound,
    /// `Class(...)`: `__init__` with `self` implicit, and every method's effects on what the
    /// constructor stored.
    Constructor,
}

enum Memo<T> {
    InProgress,
    /// Summarised, and it does nothing of the kind: most functions. Kept without a list.
    Nothing,
    Done(Rc<Vec<T>>),
}

impl<T> Memo<T> {
    fn done(found: &Rc<Vec<T>>) -> Self {
        if found.is_empty() {
            Memo::Nothing
        } else {
            Memo::Done(found.clone())
        }
    }
}

/// A shared-service operation test code reaches through one of its calls.
pub struct ServiceOpAtCall<'a> {
    pub call: CallFacts,
    pub caller: &'a Caller,
    /// The operation, at its place inside the helper.
    pub op: OwnServiceOp,
}

/// How many state changes one summary carries: a function reaching more is a framework's entry
/// point, and its first changes already make the point.
const MAX_STATE_WRITES: usize = 32;

pub struct Summaries<'a> {
    modules: &'a [ModuleFunctions<'a>],
    /// Module name → files.
    by_name: HashMap<&'a str, Vec<usize>>,
    /// Every dotted tail of every module name (`helpers`, `tests.helpers`) → files.
    by_tail: HashMap<&'a str, Vec<usize>>,
    /// Class name → files defining it, for method lookups through bases.
    classes: HashMap<&'a str, Vec<usize>>,
    /// Per file: qualified function name → index.
    functions: Vec<HashMap<&'a str, usize>>,
    memo: HashMap<FunctionRef, Memo<SummaryEffect>>,
    state_memo: HashMap<FunctionRef, Memo<OwnStateWrite>>,
    read_memo: HashMap<FunctionRef, Memo<OwnStateRead>>,
    service_memo: HashMap<FunctionRef, Memo<OwnServiceOp>>,
    opaque_memo: HashMap<FunctionRef, bool>,
    /// See [`Self::set_imported_at_collection`].
    imported_at_collection: HashSet<String>,
}

impl<'a> Summaries<'a> {
    pub fn new(modules: &'a [ModuleFunctions<'a>]) -> Self {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_tail: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut classes: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, m) in modules.iter().enumerate() {
            by_name.entry(m.module.as_str()).or_default().push(i);
            let mut tail = m.module.as_str();
            while let Some((_, rest)) = tail.split_once('.') {
                by_tail.entry(rest).or_default().push(i);
                tail = rest;
            }
            for (name, _) in &m.functions.classes {
                classes.entry(name.as_str()).or_default().push(i);
            }
        }
        let functions = modules
            .iter()
            .map(|m| {
                m.functions
                    .functions
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (f.qualname.as_str(), i))
                    .collect()
            })
            .collect();
        Summaries {
            modules,
            by_name,
            by_tail,
            classes,
            functions,
            memo: HashMap::new(),
            state_memo: HashMap::new(),
            read_memo: HashMap::new(),
            service_memo: HashMap::new(),
            opaque_memo: HashMap::new(),
            imported_at_collection: HashSet::new(),
        }
    }

    /// The path effects that the calls of test code in `file` reach, as effects at each call, and
    /// the calls whose callee the summaries know (what they do is known, not guessed).
    pub fn effects_at_calls(&mut self, file: usize) -> (Vec<PathEffect>, Vec<Span>) {
        let module = &self.modules[file];
        let mut out = Vec::new();
        let mut known_calls = Vec::new();
        for function in &module.functions.functions {
            let Some(caller) = &function.caller else {
                continue;
            };
            if caller.guards.fake_filesystem {
                continue;
            }
            for call in &function.calls {
                let call = &call;
                let called = last_component(call.callee);
                if caller.guards.mocked.iter().any(|m| m == called) {
                    continue;
                }
                let callees = self.resolve(file, call.target);
                if !callees.is_empty() && callees.iter().all(|(r, _)| !self.opaque(*r, 0)) {
                    known_calls.push(call.span);
                }
                let reached: Vec<SummaryEffect> = self
                    .reached(file, function, call, 0)
                    .into_iter()
                    .filter(|e| !e.path.root.is_param() && reportable(e))
                    .collect();
                for effect in outermost(reached) {
                    let sink_name = last_component(&effect.sink.callee);
                    if caller.guards.mocked.iter().any(|m| m == sink_name) {
                        continue;
                    }
                    out.push(PathEffect {
                        op: effect.op,
                        path: effect.path,
                        span: call.span,
                        callee: call.callee.to_string(),
                        owner: crate::context::Owner::clone(&caller.owner),
                        helper: caller.helper.clone(),
                        cwd_isolated: caller.guards.cwd_isolated,
                        home_isolated: caller.guards.home_isolated,
                        through: Some(Through {
                            function: call.callee.to_string(),
                            sink: Related {
                                file: effect.sink.file.clone(),
                                line: effect.sink.position.line,
                                column: effect.sink.position.column,
                                message: format!(
                                    "`{}` {} here",
                                    effect.sink.callee.trim_start_matches(PATH_METHOD_PREFIX),
                                    verb(effect.op)
                                ),
                            },
                        }),
                        guessed: false,
                    });
                }
            }
        }
        (out, known_calls)
    }

    /// The module and class state that the calls of test code in `file` change inside the
    /// project's code, as changes at each call with the change in the callee as related location.
    /// A call made where the test puts things back (after a fixture's `yield`, in `finally`)
    /// undoes the keys it reaches in the same function; a mocked callee changes nothing.
    /// Also returns the calls whose callees are all the package's functions: what they change is
    /// known, and replaces guesses from the call's name (`registry.register(...)`).
    pub fn state_writes_at_calls(&mut self, file: usize) -> (Vec<StateWrite>, Vec<Span>) {
        let module = &self.modules[file];
        let mut out = Vec::new();
        let mut known = Vec::new();
        if module.package_code {
            return (out, known);
        }
        for function in &module.functions.functions {
            let Some(caller) = &function.caller else {
                continue;
            };
            let mut reached: Vec<(CallFacts, OwnStateWrite)> = Vec::new();
            let mut undone: HashSet<String> = HashSet::new();
            // Where calls put items in and take them out: `register(x)` then `unregister(x)`
            // leaves the table as it was.
            let mut removals: Vec<(usize, String)> = Vec::new();
            let mut additions: Vec<(usize, String)> = Vec::new();
            for call in &function.calls {
                let call = &call;
                let called = last_component(call.callee);
                if caller.guards.mocked.iter().any(|m| m == called)
                    || self.imported_before_tests(file, call)
                {
                    continue;
                }
                let callees = self.resolve_for_services(file, call.target);
                // A method of a module-level instance changes that shared instance, which its
                // summary (class and module state only) does not say: the guess stays.
                let instance = matches!(call.target, CallTarget::Instance { .. });
                if !callees.is_empty()
                    && !instance
                    && callees
                        .iter()
                        .all(|(r, _)| self.modules[r.file].package_code)
                {
                    known.push(call.span);
                }
                for (callee, _) in callees {
                    for write in self.state_summary(callee, 1).iter() {
                        // A cache filled on first use holds the same value for every test, unless
                        // something is patched while the call fills it (it keeps the double).
                        if write.lazy_fill && !call.patched {
                            continue;
                        }
                        if call.settings_override().is_some()
                            && crate::analysis::state::in_settings(&write.path)
                        {
                            continue;
                        }
                        if write.kind == WriteKind::Remove {
                            removals.push((call.span.start, write.path.clone()));
                        } else {
                            additions.push((call.span.start, write.path.clone()));
                        }
                        if call.restoring || call.puts_back_saved(&write.path) {
                            undone.insert(write.path.clone());
                            // An autouse fixture's reset after `yield` resets the key around
                            // every test: kept (as restored) for the project-wide check.
                            if caller.owner.fixture_autouse
                                && !reached.iter().any(|(_, w)| w.path == write.path)
                            {
                                reached.push((call.clone(), write.clone()));
                            }
                        } else if !reached.iter().any(|(_, w)| w.path == write.path) {
                            reached.push((call.clone(), write.clone()));
                        }
                    }
                }
            }
            for (call, write) in reached {
                // Put back by a later call of the same function: kept as restored, since the test
                // still sets what it reads next (ISO402 does not make it a victim).
                let start = call.span.start;
                let restored = undone.contains(&write.path)
                    || if write.kind == WriteKind::Remove {
                        additions
                            .iter()
                            .any(|(at, added)| *at < start && paths_meet(added, &write.path))
                    } else {
                        write.path.contains(".[")
                            && removals.iter().any(|(at, removed)| {
                                *at > start && paths_meet(removed, &write.path)
                            })
                    };
                let message = format!(
                    "`{}` {} `{}` here",
                    write.site.callee,
                    write.verb,
                    shown(&write.path)
                );
                out.push(StateWrite {
                    lazy_fill: write.lazy_fill,
                    holder: Holder::Imported,
                    kind: write.kind,
                    verb: write.verb,
                    span: call.span,
                    position: call.position,
                    owner: crate::context::Owner::clone(&caller.owner),
                    function: caller.function,
                    restored,
                    definition: None,
                    through: Some((
                        call.callee.to_string(),
                        Related {
                            file: write.site.file.clone(),
                            line: write.site.position.line,
                            column: write.site.position.column,
                            message,
                        },
                    )),
                    path: write.path,
                });
            }
        }
        (out, known)
    }

    /// Modules that the suite's test modules and conftests import at module level, and those
    /// modules' own imports: pytest's collection runs their top-level code before any test.
    pub fn set_imported_at_collection(&mut self, modules: std::collections::HashSet<String>) {
        let mut all: HashSet<String> = HashSet::new();
        let mut pending: Vec<String> = modules.into_iter().collect();
        while let Some(name) = pending.pop() {
            if all.len() > 100_000 || !all.insert(name.clone()) {
                continue;
            }
            for &file in self.modules_named(&name) {
                let m = &self.modules[file];
                for reexport in &m.functions.reexports {
                    if let Some(absolute) = absolute_module(&m.package, &reexport.module) {
                        if let Some(member) = &reexport.member {
                            pending.push(format!("{absolute}.{member}"));
                        }
                        pending.push(absolute);
                    }
                }
            }
        }
        self.imported_at_collection = all;
    }

    /// An import inside test code of a module whose top-level code already ran at collection.
    fn imported_before_tests(&self, file: usize, call: &CallFacts) -> bool {
        let Some(module) = call.imports_module() else {
            return false;
        };
        absolute_module(&self.modules[file].package, module)
            .is_some_and(|m| self.imported_at_collection.contains(&m))
    }

    /// The module and class state test code in `file` reads through calls into the project's
    /// own package, as reads at each call (one per test and key: the first call reaching it).
    pub fn state_reads_at_calls(&mut self, file: usize) -> Vec<StateRead> {
        let module = &self.modules[file];
        let mut out: Vec<StateRead> = Vec::new();
        if module.package_code {
            return out;
        }
        for function in &module.functions.functions {
            let Some(caller) = &function.caller else {
                continue;
            };
            if caller.owner.test.is_none() {
                continue;
            }
            let mut seen: HashSet<String> = HashSet::new();
            let owner = caller.owner.clone();
            for call in function.calls.iter().chain(function.reading_calls.iter()) {
                let call = &call;
                let called = last_component(call.callee);
                if call.restoring
                    || call.imports_module().is_some()
                    || caller.guards.mocked.iter().any(|m| m == called)
                {
                    continue;
                }
                for (callee, _) in self.resolve(file, call.target) {
                    for read in self.read_summary(callee, 1).iter() {
                        if call.settings_override().is_some_and(|names| {
                            crate::analysis::state::names_setting(names, &read.path)
                        }) {
                            continue;
                        }
                        if seen.insert(read.path.clone()) {
                            out.push(StateRead {
                                path: read.path.clone(),
                                instance: None,
                                whole: false,
                                through_call: true,
                                span: call.span,
                                position: call.position,
                                owner: owner.clone(),
                            });
                        }
                    }
                }
            }
        }
        out
    }

    /// The module and class state a function of the project's own package reads, itself or
    /// through the package functions it calls (memoised; cycles cut, depth bounded).
    fn read_summary(&mut self, r: FunctionRef, depth: usize) -> Rc<Vec<OwnStateRead>> {
        match self.read_memo.get(&r) {
            Some(Memo::Done(reads)) => return reads.clone(),
            Some(Memo::InProgress | Memo::Nothing) => return Rc::new(Vec::new()),
            None => {}
        }
        let facts = self.function(r);
        if depth > MAX_CALL_DEPTH || !self.modules[r.file].package_code {
            return Rc::new(Vec::new());
        }
        self.read_memo.insert(r, Memo::InProgress);
        let module = &self.modules[r.file];
        let mut reads: Vec<OwnStateRead> = facts
            .state_reads
            .iter()
            .map(|read| OwnStateRead {
                path: absolute_path(&read.path, &module.module, &module.package),
                ..read.clone()
            })
            .collect();
        'calls: for call in &facts.calls {
            let call = &call;
            for (callee, _) in self.resolve(r.file, call.target) {
                for read in self.read_summary(callee, depth + 1).iter() {
                    if reads.len() >= MAX_STATE_WRITES {
                        break 'calls;
                    }
                    if !reads.iter().any(|known| known.path == read.path) {
                        reads.push(read.clone());
                    }
                }
            }
        }
        let reads = Rc::new(reads);
        self.read_memo.insert(r, Memo::done(&reads));
        reads
    }

    /// The shared-service operations that the calls of test code in `file` reach inside helpers
    /// (of the tests tree or the project's package), one per call and resource.
    pub fn service_ops_at_calls(&mut self, file: usize) -> Vec<ServiceOpAtCall<'a>> {
        let functions: &'a FileFunctions = self.modules[file].functions;
        let mut out: Vec<ServiceOpAtCall<'a>> = Vec::new();
        for function in &functions.functions {
            let Some(caller) = &function.caller else {
                continue;
            };
            // A helper's own calls travel up through its summary to the tests that call it.
            if caller.helper.is_some() || caller.talks_to_mocks || caller.guards.fake_filesystem {
                continue;
            }
            for call in &function.calls {
                let call = &call;
                let called = last_component(call.callee);
                if call.imports_module().is_some()
                    || caller.guards.mocked.iter().any(|m| m == called)
                {
                    continue;
                }
                for (callee, kind) in self.resolve_for_services(file, call.target) {
                    for op in self.service_summary(callee, 1).iter() {
                        let Some(op) = self.bind_service_op(op, call, callee, kind) else {
                            continue;
                        };
                        // Test code's parameters are fixtures: no helper's parameter is left.
                        if crate::rules::shared_resource::database_parameter(&op.op).is_some() {
                            continue;
                        }
                        let seen = out.iter().any(|o| {
                            o.call.span == call.span && o.op.op.resource == op.op.resource
                        });
                        if !seen {
                            out.push(ServiceOpAtCall {
                                call: call.clone(),
                                caller,
                                op,
                            });
                        }
                    }
                }
            }
        }
        out
    }

    /// The shared-service operations a function performs, itself or through the functions it
    /// calls (memoised; cycles cut, depth bounded).
    fn service_summary(&mut self, r: FunctionRef, depth: usize) -> Rc<Vec<OwnServiceOp>> {
        match self.service_memo.get(&r) {
            Some(Memo::Done(ops)) => return ops.clone(),
            Some(Memo::InProgress | Memo::Nothing) => return Rc::new(Vec::new()),
            None => {}
        }
        let facts = self.function(r);
        // Test code is never called by name; what it reaches is reported at its own calls.
        if depth > MAX_CALL_DEPTH || facts.caller.as_ref().is_some_and(|c| c.helper.is_none()) {
            return Rc::new(Vec::new());
        }
        self.service_memo.insert(r, Memo::InProgress);
        let mut ops: Vec<OwnServiceOp> = facts.service_ops.to_vec();
        'calls: for call in facts.calls.iter().filter(|c| c.imports_module().is_none()) {
            let call = &call;
            for (callee, kind) in self.resolve_for_services(r.file, call.target) {
                for op in self.service_summary(callee, depth + 1).iter() {
                    if ops.len() >= MAX_STATE_WRITES {
                        break 'calls;
                    }
                    let Some(op) = self.bind_service_op(op, call, callee, kind) else {
                        continue;
                    };
                    if !ops.iter().any(|o| o.op.resource == op.op.resource) {
                        ops.push(op);
                    }
                }
            }
        }
        let ops = Rc::new(ops);
        self.service_memo.insert(r, Memo::done(&ops));
        ops
    }

    /// A callee's operation as a call sees it: a database named by one of the callee's
    /// parameters takes the argument the call passes, or the parameter's default.
    fn bind_service_op(
        &self,
        op: &OwnServiceOp,
        call: &CallFacts,
        callee: FunctionRef,
        kind: CallKind,
    ) -> Option<OwnServiceOp> {
        let Some(parameter) = crate::rules::shared_resource::database_parameter(&op.op) else {
            return Some(op.clone());
        };
        let facts = self.function(callee);
        let implicit_self = match kind {
            CallKind::Plain => false,
            CallKind::Bound => facts.bound_method,
            // A constructor's parameters are `__init__`'s, not the method's that uses them.
            CallKind::Constructor => return None,
        };
        let value = match argument(call, facts, parameter, implicit_self)? {
            Argument::Passed(arg) => &arg.value,
            Argument::Default(value) => value,
        };
        Some(OwnServiceOp {
            op: crate::rules::shared_resource::with_database_argument(&op.op, value)?,
            site: op.site.clone(),
        })
    }

    /// The state changes a function of the project's own package makes, itself or through the
    /// package functions it calls (memoised; cycles cut, depth bounded). Test code and its
    /// helpers carry none: what they reach is reported at their own calls.
    fn state_summary(&mut self, r: FunctionRef, depth: usize) -> Rc<Vec<OwnStateWrite>> {
        match self.state_memo.get(&r) {
            Some(Memo::Done(writes)) => return writes.clone(),
            Some(Memo::InProgress | Memo::Nothing) => return Rc::new(Vec::new()),
            None => {}
        }
        let facts = self.function(r);
        if depth > MAX_CALL_DEPTH || !self.modules[r.file].package_code {
            return Rc::new(Vec::new());
        }
        self.state_memo.insert(r, Memo::InProgress);
        let module = &self.modules[r.file];
        // `Options.register(fn)` reads as a change to `Options` by its method's name; a call the
        // summaries resolve says what it really changes.
        let known_calls: Vec<_> = facts
            .calls
            .iter()
            .filter(|c| {
                !matches!(c.target, CallTarget::Instance { .. })
                    && !self.resolve_for_services(r.file, c.target).is_empty()
            })
            .map(|c| c.position)
            .collect();
        let mut writes: Vec<OwnStateWrite> = facts
            .state_writes
            .iter()
            .filter(|w| {
                w.kind != crate::analysis::state::WriteKind::Mutate
                    || !known_calls.contains(&w.site.position)
            })
            .map(|w| OwnStateWrite {
                path: absolute_path(&w.path, &module.module, &module.package),
                ..w.clone()
            })
            .collect();
        // A loader that fills a global when it is unset (`_load()` under `if not _registry:`)
        // fills it through its callees too: what they write under that global is the fill.
        let fills: Vec<String> = writes
            .iter()
            .filter(|w| w.lazy_fill)
            .map(|w| format!("{}.", w.path))
            .collect();
        'calls: for call in &facts.calls {
            let call = &call;
            for (callee, _) in self.resolve_for_services(r.file, call.target) {
                for write in self.state_summary(callee, depth + 1).iter() {
                    if writes.len() >= MAX_STATE_WRITES {
                        break 'calls;
                    }
                    if !writes.iter().any(|w| w.path == write.path) {
                        let mut write = write.clone();
                        write.lazy_fill |= fills.iter().any(|f| write.path.starts_with(f.as_str()));
                        writes.push(write);
                    }
                }
            }
        }
        let writes = Rc::new(writes);
        self.state_memo.insert(r, Memo::done(&writes));
        writes
    }

    /// The effects of one call, bound to its arguments: concrete, or on the caller's parameters.
    fn reached(
        &mut self,
        file: usize,
        caller: &FunctionFacts,
        call: &CallFacts,
        depth: usize,
    ) -> Vec<SummaryEffect> {
        let mut out = Vec::new();
        // What a module's top-level code does to paths is left to the rules reading that module.
        if call.imports_module().is_some() {
            return out;
        }
        for (callee, kind) in self.resolve(file, call.target) {
            let effects = self.summary(callee, depth + 1);
            let facts = self.function(callee);
            let init = match kind {
                CallKind::Constructor => Some(callee),
                _ => None,
            };
            for effect in effects.iter() {
                out.extend(self.bind(effect, call, facts, kind, init, caller));
            }
            if let CallKind::Constructor = kind {
                // Methods act on what the constructor stored (`self.base_dir`).
                let class = facts.class.clone().unwrap_or_default();
                let methods: Vec<usize> = self.modules[callee.file]
                    .functions
                    .functions
                    .iter()
                    .enumerate()
                    .filter(|(i, f)| {
                        *i != callee.function && f.class.as_deref() == Some(class.as_str())
                    })
                    .map(|(i, _)| i)
                    .collect();
                for method in methods {
                    let method = FunctionRef {
                        file: callee.file,
                        function: method,
                    };
                    let effects = self.summary(method, depth + 1);
                    for effect in effects.iter().filter(|e| {
                        matches!(&e.path.root, Root::Param(p) if p.owner == ParamOwner::Constructor)
                    }) {
                        out.extend(self.bind(effect, call, facts, kind, init, caller));
                    }
                }
            }
        }
        out
    }

    /// Whether a function, or one it calls, hands an argument to code no summary describes
    /// (memoised; a function still being answered counts as described, cutting cycles).
    fn opaque(&mut self, r: FunctionRef, depth: usize) -> bool {
        if let Some(known) = self.opaque_memo.get(&r) {
            return *known;
        }
        let facts = self.function(r);
        if facts.opaque || depth > MAX_CALL_DEPTH {
            return true;
        }
        self.opaque_memo.insert(r, false);
        let mut opaque = false;
        for call in &facts.calls {
            let call = &call;
            for (callee, _) in self.resolve(r.file, call.target) {
                if callee != r && self.opaque(callee, depth + 1) {
                    opaque = true;
                    break;
                }
            }
            if opaque {
                break;
            }
        }
        self.opaque_memo.insert(r, opaque);
        opaque
    }

    fn function(&self, r: FunctionRef) -> &'a FunctionFacts {
        &self.modules[r.file].functions.functions[r.function]
    }

    /// The summary of a function: its own effects and those of its calls, on its parameters or
    /// concrete.
    fn summary(&mut self, r: FunctionRef, depth: usize) -> Rc<Vec<SummaryEffect>> {
        match self.memo.get(&r) {
            Some(Memo::Done(effects)) => return effects.clone(),
            Some(Memo::InProgress | Memo::Nothing) => return Rc::new(Vec::new()),
            None => {}
        }
        if depth > MAX_CALL_DEPTH {
            return Rc::new(Vec::new());
        }
        self.memo.insert(r, Memo::InProgress);
        let module = &self.modules[r.file];
        let facts = self.function(r);
        let mut effects: Vec<SummaryEffect> = facts
            .effects
            .iter()
            .map(|e| SummaryEffect {
                op: e.op,
                path: concrete_root(&e.path, &module.folder),
                sink: e.site.clone(),
            })
            .collect();
        for call in &facts.calls {
            let call = &call;
            for effect in self.reached(r.file, facts, call, depth) {
                // Test code reports what it reaches at its own call; only what still waits for an
                // argument, and the package's own fixed paths, travel further up.
                if effect.path.root.is_param() || module.first_party && facts.caller.is_none() {
                    effects.push(effect);
                }
            }
        }
        effects.truncate(256);
        let effects = Rc::new(effects);
        self.memo.insert(r, Memo::done(&effects));
        effects
    }

    /// Binds an effect of `callee` to the arguments of `call`.
    fn bind(
        &self,
        effect: &SummaryEffect,
        call: &CallFacts,
        callee: &FunctionFacts,
        kind: CallKind,
        init: Option<FunctionRef>,
        caller: &FunctionFacts,
    ) -> Vec<SummaryEffect> {
        let Root::Param(param) = &effect.path.root else {
            return vec![effect.clone()];
        };
        let bound_by = match (param.owner, kind) {
            (ParamOwner::Function, _) => callee,
            (ParamOwner::Constructor, CallKind::Constructor) => match init {
                Some(init) => self.function(init),
                None => return Vec::new(),
            },
            // A method calling another method of its class: still the constructor's arguments.
            (ParamOwner::Constructor, CallKind::Bound)
                if caller.class.is_some() && caller.class == callee.class =>
            {
                return vec![effect.clone()];
            }
            _ => return Vec::new(),
        };
        let implicit_self = match kind {
            CallKind::Plain => false,
            CallKind::Bound | CallKind::Constructor => bound_by.bound_method,
        };
        let Some(arg) = argument(call, bound_by, &param.name, implicit_self) else {
            return Vec::new();
        };
        let values: Vec<Value> = match (param.each, arg) {
            (false, Argument::Passed(a)) if !a.alternatives().is_empty() => {
                a.alternatives().to_vec()
            }
            (false, Argument::Passed(a)) => vec![a.value.clone()],
            (false, Argument::Default(v)) => vec![v.clone()],
            (true, Argument::Passed(a)) => match (a.items(), &a.value) {
                (Some(items), _) => items.to_vec(),
                (None, Value::Text(t)) if t.text.is_empty() => match &t.root {
                    Root::Param(p) if !p.each => vec![Value::Text(Text {
                        root: Root::Param(Box::new(ParamRoot {
                            each: true,
                            ..(**p).clone()
                        })),
                        ..t.clone()
                    })],
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            },
            (true, Argument::Default(_)) => Vec::new(),
        };
        values
            .into_iter()
            .filter_map(|value| {
                let joined = if effect.path.text.is_empty() {
                    value
                } else {
                    value.join(Value::literal(effect.path.text.clone()))
                };
                let Value::Text(mut text) = joined else {
                    return None;
                };
                text.path_object |= effect.path.path_object;
                Some(SummaryEffect {
                    op: effect.op,
                    path: text,
                    sink: effect.sink.clone(),
                })
            })
            .collect()
    }

    /// The functions a call target names, with how they are called.
    fn resolve(&self, file: usize, target: &CallTarget) -> Vec<(FunctionRef, CallKind)> {
        match target {
            CallTarget::Local(qualname) => self.in_module(file, qualname).into_iter().collect(),
            CallTarget::SelfMethod { class, method } => self
                .method(file, class, method, 0)
                .map(|r| (r, CallKind::Bound))
                .into_iter()
                .collect(),
            // Path summaries stay with calls whose receiver is a name or `self`: what a method does
            // to its instance's paths is bound through the constructor. Shared-service operations
            // and module or class state follow methods of instances (`resolve_for_services`).
            CallTarget::Instance { .. } => Vec::new(),
            // (Started at the depth bound: no re-exports, see `resolve_for_services`.)
            CallTarget::Imported { module, path } => self
                .resolve_imported(file, module, path, MAX_REEXPORT_DEPTH)
                .into_iter()
                .collect(),
        }
    }

    /// The function an imported name reaches: `pkg.utils.rmtree` in the longest module prefix
    /// that names a file, or through a module that takes the name from another one
    /// (`from .core import rmtree` in `pkg/__init__.py`).
    fn resolve_imported<S: AsRef<str>>(
        &self,
        file: usize,
        module: &str,
        path: &[S],
        depth: usize,
    ) -> Option<(FunctionRef, CallKind)> {
        let absolute = absolute_module(&self.modules[file].package, module)?;
        for split in (0..path.len()).rev() {
            let mut name = absolute.clone();
            for part in &path[..split] {
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(part.as_ref());
            }
            let qualname = path[split..]
                .iter()
                .map(AsRef::as_ref)
                .collect::<Vec<&str>>()
                .join(".");
            for &candidate in self.modules_named(&name) {
                if let Some(found) = self.in_module(candidate, &qualname) {
                    return Some(found);
                }
            }
            if depth < MAX_REEXPORT_DEPTH {
                for &candidate in self.modules_named(&name) {
                    if let Some(found) =
                        self.through_reexport(candidate, &path[split..], depth, |home, rest| {
                            self.resolve_imported(home, &rest.0, &rest.1, depth + 1)
                        })
                    {
                        return Some(found);
                    }
                }
            }
        }
        None
    }

    /// Follows the re-exports of module `file` for the name `path` starts with: `found` gets the
    /// module they name and the path in it.
    fn through_reexport<T, S: AsRef<str>>(
        &self,
        file: usize,
        path: &[S],
        depth: usize,
        found: impl Fn(usize, &(String, Vec<String>)) -> Option<T>,
    ) -> Option<T> {
        let (head, rest) = path.split_first()?;
        let head = head.as_ref();
        if depth >= MAX_REEXPORT_DEPTH {
            return None;
        }
        for reexport in &self.modules[file].functions.reexports {
            let inner: Vec<String> = match (&reexport.name, &reexport.member) {
                (Some(name), Some(member)) if name == head => std::iter::once(member.clone())
                    .chain(rest.iter().map(|p| p.as_ref().to_string()))
                    .collect(),
                (None, _) if !head.starts_with('_') => {
                    path.iter().map(|p| p.as_ref().to_string()).collect()
                }
                _ => continue,
            };
            if let Some(answer) = found(file, &(reexport.module.clone(), inner)) {
                return Some(answer);
            }
        }
        None
    }

    /// [`Self::resolve`], and methods called on an instance the caller built (`admin.wipe()`,
    /// `registry.register(view)`) and names a package hands on from its modules
    /// (`from .core import *` in its `__init__`): for what a method does to shared services and to
    /// module or class state, never to its own instance's attributes, which a fresh instance keeps
    /// private. (Path summaries bind every method's effects at a constructor call, called or not:
    /// following re-exports there would report paths the test never touches.)
    fn resolve_for_services(
        &self,
        file: usize,
        target: &CallTarget,
    ) -> Vec<(FunctionRef, CallKind)> {
        match target {
            CallTarget::Instance { class, method } => self
                .class_home(file, class)
                .and_then(|(home, class)| self.method(home, &class, method, 0))
                .map(|r| (r, CallKind::Bound))
                .into_iter()
                .collect(),
            CallTarget::Imported { module, path } => self
                .resolve_imported(file, module, path, 0)
                .into_iter()
                .collect(),
            _ => self.resolve(file, target),
        }
    }

    /// The file defining the class a constructor call names, and the class's name.
    fn class_home(&self, file: usize, target: &CallTarget) -> Option<(usize, String)> {
        match target {
            CallTarget::Local(class) => {
                self.defines(file, class).then(|| (file, class.to_string()))
            }
            CallTarget::Imported { module, path } => {
                self.imported_class_home(file, module, path, 0)
            }
            _ => None,
        }
    }

    fn defines(&self, file: usize, class: &str) -> bool {
        self.modules[file]
            .functions
            .classes
            .iter()
            .any(|(name, _)| name == class)
    }

    /// [`Self::class_home`] of an imported class, through re-exports too.
    fn imported_class_home<S: AsRef<str>>(
        &self,
        file: usize,
        module: &str,
        path: &[S],
        depth: usize,
    ) -> Option<(usize, String)> {
        let absolute = absolute_module(&self.modules[file].package, module)?;
        let (class, parents) = path.split_last()?;
        let mut name = absolute;
        for part in parents {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(part.as_ref());
        }
        let candidates = self.modules_named(&name);
        if let Some(&home) = candidates
            .iter()
            .find(|&&c| self.defines(c, class.as_ref()))
        {
            return Some((home, class.as_ref().to_string()));
        }
        candidates.iter().find_map(|&candidate| {
            self.through_reexport(
                candidate,
                std::slice::from_ref(class),
                depth,
                |home, rest| self.imported_class_home(home, &rest.0, &rest.1, depth + 1),
            )
        })
    }

    /// A function or class (its constructor) of a module by qualified name.
    fn in_module(&self, file: usize, qualname: &str) -> Option<(FunctionRef, CallKind)> {
        if let Some(&function) = self.functions[file].get(qualname) {
            return Some((FunctionRef { file, function }, CallKind::Plain));
        }
        let init = format!("{qualname}.__init__");
        if let Some(&function) = self.functions[file].get(init.as_str()) {
            return Some((FunctionRef { file, function }, CallKind::Constructor));
        }
        None
    }

    /// A method of a class, looked up through its bases (in the same module first).
    fn method(&self, file: usize, class: &str, method: &str, depth: usize) -> Option<FunctionRef> {
        if depth > 4 {
            return None;
        }
        let qualname = [class, ".", method].concat();
        if let Some(&function) = self.functions[file].get(qualname.as_str()) {
            return Some(FunctionRef { file, function });
        }
        let (_, bases) = self.modules[file]
            .functions
            .classes
            .iter()
            .find(|(name, _)| name == class)?;
        for base in bases {
            let elsewhere = self
                .classes
                .get(base.as_str())
                .map_or(&[][..], Vec::as_slice);
            let defined_in =
                std::iter::once(file).chain(elsewhere.iter().copied().filter(|&i| i != file));
            for candidate in defined_in {
                if let Some(found) = self.method(candidate, base, method, depth + 1) {
                    return Some(found);
                }
            }
        }
        None
    }

    /// Files whose module name is `name`, or ends with it, or is its tail (import roots vary:
    /// `tests.helpers` is imported as `helpers` when `tests/` is on `sys.path`).
    fn modules_named(&self, name: &str) -> &[usize] {
        if let Some(files) = self.by_name.get(name).or_else(|| self.by_tail.get(name)) {
            return files;
        }
        let mut tail = name;
        while let Some((_, rest)) = tail.split_once('.') {
            if let Some(files) = self.by_name.get(rest) {
                return files;
            }
            tail = rest;
        }
        &[]
    }
}

/// An import's module as an absolute dotted name: relative imports start from the importing
/// module's package.
pub fn absolute_module(package: &str, module: &str) -> Option<String> {
    let dots = module.len() - module.trim_start_matches('.').len();
    if dots == 0 {
        return Some(module.to_string());
    }
    let mut parts: Vec<&str> = package.split('.').filter(|p| !p.is_empty()).collect();
    for _ in 1..dots {
        parts.pop()?;
    }
    let rest = module.trim_start_matches('.');
    if !rest.is_empty() {
        parts.push(rest);
    }
    Some(parts.join("."))
}

enum Argument<'c> {
    Passed(&'c ArgFacts),
    Default(&'c Value),
}

/// The argument a call passes for a parameter: by position, by keyword, else the default.
fn argument<'c>(
    call: &'c CallFacts,
    callee: &'c FunctionFacts,
    name: &str,
    implicit_self: bool,
) -> Option<Argument<'c>> {
    let index = callee.params.iter().position(|p| p.name == name)?;
    let position = if implicit_self {
        index.checked_sub(1)?
    } else {
        index
    };
    if let Some(arg) = call.args.positional(position) {
        return Some(Argument::Passed(arg));
    }
    if let Some(arg) = call.args.keyword(name) {
        return Some(Argument::Passed(arg));
    }
    if call.has_splat {
        return None;
    }
    callee.params[index]
        .default
        .as_deref()
        .map(Argument::Default)
}

/// One effect per path a call reaches: a helper that creates a folder and fills it is one shared
/// folder at the call, not one finding per file inside it.
fn outermost(effects: Vec<SummaryEffect>) -> Vec<SummaryEffect> {
    let under = |inner: &Text, outer: &Text| {
        inner.root == outer.root
            && inner.text != outer.text
            && inner
                .text
                .strip_prefix(outer.text.trim_end_matches('/'))
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let mut kept: Vec<SummaryEffect> = Vec::new();
    for effect in &effects {
        let covered = effects.iter().any(|other| under(&effect.path, &other.path))
            || kept
                .iter()
                .any(|k| k.path == effect.path && k.op == effect.op);
        if !covered {
            kept.push(effect.clone());
        }
    }
    kept
}

/// `Path(__file__).parent / "out"` inside another module is that module's folder.
fn concrete_root(path: &Text, folder: &str) -> Text {
    if path.root != Root::SourceDir {
        return path.clone();
    }
    let rest = path.text.trim_start_matches('/');
    let text = match (folder.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (false, true) => folder.to_string(),
        (false, false) => format!("{folder}/{rest}"),
    };
    Text {
        root: Root::Literal,
        text,
        ..path.clone()
    }
}

/// A bound effect the path rules can judge: a known shared path (or a fixture's, resolved later).
fn reportable(effect: &SummaryEffect) -> bool {
    let path = &effect.path;
    if effect.sink.callee.starts_with(PATH_METHOD_PREFIX)
        && !path.path_object
        && !matches!(path.root, Root::Fixture(_))
    {
        return false;
    }
    matches!(path.root, Root::Fixture(_)) || classify_path(&path.root, &path.text).is_some()
}

fn verb(op: PathOp) -> &'static str {
    match op {
        PathOp::Write | PathOp::Mention => "writes it",
        PathOp::CreateDir => "creates it",
        PathOp::Delete => "removes it",
        PathOp::Database => "opens it",
        PathOp::Check => "checks it",
    }
}
