//! Process-wide state that is not a module's attribute — the environment and the working folder —
//! named like module state (`os.environ.[HOME]`, `os.environ`, [`WORKING_FOLDER`]), so ISO402 pairs a
//! test that leaves it changed with the tests that read it, through the same matching and the same
//! summaries as module state.
//!
//! Changes come from the restore analysis ISO501 and ISO502 share: a change that leaks is a
//! polluter; a change that is undone (`monkeypatch.setenv`, a restore in `finally`) still tells
//! that its test sets what it reads. Reads are the environment's lookups (`os.environ[...]`,
//! `.get`, `os.getenv`, `in os.environ`) and the libraries that read it for their caller
//! (`environs.Env`, `decouple.config`).

use crate::analysis::state::{StateWrite, WriteKind};
use crate::context::{FileContext, Owner};
use crate::rules::missing_cleanup::restore::{last_names, leak_at, ChangeKind, ProcessState};
use crate::rules::missing_cleanup::{Environ, ImportState, WorkingFolder};
use isolint_python::knowledge::{
    last_component, CHDIR_FIXTURES, CLASS_BY_MODULE_NAME, ENVIRONMENT_READERS, PATH_READERS,
};
use isolint_python::model::{
    string_value, Binding, BindingValue, Role, ScopeId, ScopeKind, MODULE_SCOPE,
};
use isolint_python::source::{Position, Span};
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, unparenthesize};
use std::collections::HashSet;
use std::sync::LazyLock;
use tree_sitter::Node;

/// The whole process environment; one variable hangs below it as `os.environ.[NAME]`.
pub const ENVIRON: &str = "os.environ";

/// The process's working folder, which every relative path is resolved against.
pub const WORKING_FOLDER: &str = "os.getcwd()";

/// Whether a state path is process-wide state of this module rather than a module's attribute.
pub fn is_process_state(path: &str) -> bool {
    path == WORKING_FOLDER
        || path == ENVIRON
        || path
            .strip_prefix(ENVIRON)
            .is_some_and(|rest| rest.starts_with(".["))
        || path.starts_with("sys.modules.[")
}

/// The test tree a file belongs to: the folder above its first `tests`/`test`/`testing` folder,
/// else its own folder. One pytest run collects one project's tests, so the environment and the
/// working folder are shared within a tree and not between the projects of a folder of projects.
pub fn test_tree(display: &str) -> &str {
    let mut start = 0;
    for part in display.split('/') {
        if matches!(part, "tests" | "test" | "testing") {
            return &display[..start];
        }
        start += part.len() + 1;
    }
    display.rsplit_once('/').map_or("", |(folder, _)| folder)
}

/// The state path of a module's entry in `sys.modules`.
pub fn module_entry_path(module: &str) -> String {
    format!("sys.modules.[{}]", module.replace('.', "_"))
}

/// The state path of one environment variable.
pub fn env_path(name: &str) -> String {
    format!("{ENVIRON}.[{}]", name.replace('.', "_"))
}

/// Which process state a restore analysis judges.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Environment,
    WorkingFolder,
    /// Modules removed from `sys.modules` or reloaded: the next import makes new classes.
    ModuleEntries,
}

/// The state path an effect key of the restore analysis names (`env:HOME`, `cwd`,
/// `sysmodules:pkg`); `None` for the keys ISO402 does not pair (`syspath`, `argv`).
fn key_path(key: Option<&str>, part: Part) -> Option<String> {
    match part {
        Part::Environment => Some(
            key.and_then(|k| k.strip_prefix("env:"))
                .map_or_else(|| ENVIRON.to_string(), env_path),
        ),
        Part::WorkingFolder => Some(WORKING_FOLDER.to_string()),
        Part::ModuleEntries => key
            .and_then(|k| {
                k.strip_prefix("sysmodules:")
                    .or_else(|| k.strip_prefix("reload:"))
            })
            .map(module_entry_path),
    }
}

/// The changes test code makes to the environment and the working folder, as state writes:
/// leaking ones, and undone sets (which say the test sets what it reads itself).
pub fn writes(ctx: &FileContext, position: impl Fn(usize) -> Position) -> Vec<StateWrite> {
    let model = ctx.model;
    let call = isolint_python::syntax::kind_id(kind::CALL);
    let changing = [
        isolint_python::syntax::kind_id(kind::ASSIGNMENT),
        isolint_python::syntax::kind_id(kind::AUGMENTED_ASSIGNMENT),
        isolint_python::syntax::kind_id(kind::DELETE_STATEMENT),
        call,
    ];
    let mut out = Vec::new();
    // `pytester` moves its test into a folder of its own (and back after).
    for (id, scope) in model.scopes.iter().enumerate() {
        if scope.kind == ScopeKind::Function
            && matches!(scope.role, Role::Test | Role::Fixture)
            && scope
                .parameters()
                .iter()
                .any(|(name, _)| CHDIR_FIXTURES.contains(name))
        {
            out.push(write(
                scope.node,
                id,
                ctx.owner_of(id).1,
                WORKING_FOLDER.to_string(),
                (WriteKind::Assign, "changes"),
                true,
                &position,
            ));
        }
    }
    for ((node, scope), node_kind) in model.wanted_nodes.iter().zip(&model.wanted_kind_ids) {
        if !changing.contains(node_kind) {
            continue;
        }
        let function = model.owner(*scope);
        if model.scopes[function].kind != ScopeKind::Function {
            continue;
        }
        let states: [(&dyn ProcessState, Part); 3] = [
            (&Environ, Part::Environment),
            (&WorkingFolder, Part::WorkingFolder),
            (&ImportState, Part::ModuleEntries),
        ];
        for (state, part) in states {
            let Some(change) = state.change(*node, *scope, ctx) else {
                continue;
            };
            if change.kind == ChangeKind::Restore {
                continue;
            }
            let Some(path) = key_path(change.key.as_deref(), part) else {
                continue;
            };
            let leak = leak_at(*node, *scope, ctx, state);
            let owner = leak
                .as_ref()
                .map_or_else(|| ctx.owner_of(*scope).1, |l| l.owner.clone());
            // A fixture removing a variable before its test guards the test (as ISO501 says).
            let guard = owner.role == Role::Fixture && change.kind == ChangeKind::Remove;
            let (kind, verb) = match (change.kind, part) {
                (ChangeKind::Remove, _) => (WriteKind::Remove, "removes"),
                (_, Part::Environment) => (WriteKind::Assign, "sets"),
                (_, Part::ModuleEntries) => (WriteKind::Assign, "reloads"),
                _ => (WriteKind::Assign, "changes"),
            };
            out.push(write(
                *node,
                function,
                owner,
                path,
                (kind, verb),
                leak.is_none() || guard,
                &position,
            ));
        }
        if node.kind_id() == call {
            if let Some(path) = patched_by_fixture(ctx, *node, *scope) {
                let owner = ctx.owner_of(*scope).1;
                let verb = if path == WORKING_FOLDER {
                    "changes"
                } else {
                    "sets"
                };
                out.push(write(
                    *node,
                    function,
                    owner,
                    path,
                    (WriteKind::Assign, verb),
                    true,
                    &position,
                ));
            }
        }
    }
    out
}

/// A change as the state analysis records it.
fn write(
    node: Node,
    function: ScopeId,
    owner: Owner,
    path: String,
    (kind, verb): (WriteKind, &'static str),
    restored: bool,
    position: &impl Fn(usize) -> Position,
) -> StateWrite {
    StateWrite {
        path,
        holder: crate::analysis::state::Holder::Imported,
        kind,
        verb,
        span: Span::of(node),
        position: position(node.start_byte()),
        owner,
        function,
        restored,
        definition: None,
        through: None,
        lazy_fill: false,
    }
}

/// `monkeypatch.setenv("K", v)`, `monkeypatch.delenv("K")`, `monkeypatch.chdir(p)`: a change the
/// fixture undoes after the test, which still means the test sets what it reads.
fn patched_by_fixture(ctx: &FileContext, call: Node, scope: ScopeId) -> Option<String> {
    let (callee_kind, last) = ctx.callee_name(call)?;
    if callee_kind != kind::ATTRIBUTE || !matches!(last, "chdir" | "setenv" | "delenv") {
        return None;
    }
    let callee = ctx.model.callee(call)?;
    let receiver = ctx.model.attribute_parts(callee).0?;
    if ctx.text(receiver) != "monkeypatch" {
        return None;
    }
    match last {
        "chdir" => Some(WORKING_FOLDER.to_string()),
        "setenv" | "delenv" => {
            let args = ctx.model.call_args(call);
            Some(
                env_key(args.positional.first().copied(), scope, ctx)
                    .map_or_else(|| ENVIRON.to_string(), |k| env_path(&k)),
            )
        }
        _ => None,
    }
}

/// The variable a key expression names: a literal, or a name bound to one.
fn env_key(node: Option<Node>, scope: ScopeId, ctx: &FileContext) -> Option<String> {
    let node = node?;
    string_value(node, ctx.source())
        .or_else(|| ctx.eval.eval(node, scope).as_str().map(String::from))
}

/// One read of the environment: the state path it reads and the node to point at.
pub struct EnvRead<'t> {
    pub path: String,
    pub node: Node<'t>,
    pub scope: ScopeId,
}

/// Every read of the environment among the model's wanted identifiers (the first name of each
/// `os.environ…`/`os.getenv…` chain) and calls (the readers of [`ENVIRONMENT_READERS`]), and every
/// read of a relative path (which reads the working folder).
pub fn env_reads<'t>(ctx: &FileContext<'_, 't>) -> Vec<EnvRead<'t>> {
    let model = ctx.model;
    let identifier = isolint_python::syntax::kind_id(kind::IDENTIFIER);
    let call = isolint_python::syntax::kind_id(kind::CALL);
    let mut out = Vec::new();
    let mut imported: Option<Vec<String>> = None;
    for ((node, scope), &node_kind) in model.wanted_nodes.iter().zip(&model.wanted_kind_ids) {
        // Most calls name none of the readers: one look at the callee settles it.
        if node_kind == call && !may_read_process_state(ctx, *node) {
            continue;
        }
        if node_kind == call && finds_classes_by_module(ctx, *node, *scope) {
            let modules = imported.get_or_insert_with(|| imported_modules(ctx));
            out.extend(modules.iter().map(|module| EnvRead {
                path: module_entry_path(module),
                node: *node,
                scope: *scope,
            }));
            continue;
        }
        let path = if node_kind == identifier {
            lookup(ctx, *node, *scope)
        } else if node_kind == call {
            library_read(ctx, *node, *scope).or_else(|| relative_read(ctx, *node, *scope))
        } else {
            None
        };
        if let Some(path) = path {
            out.push(EnvRead {
                path,
                node: *node,
                scope: *scope,
            });
        }
    }
    out
}

/// Whether the call's last name is one of a reader's (`getenv`, `open`, `dumps`).
fn may_read_process_state(ctx: &FileContext, call: Node) -> bool {
    // The readers' last names, split once: this is asked of every call.
    static READER_NAMES: LazyLock<Vec<&str>> = LazyLock::new(|| {
        last_names(
            [CLASS_BY_MODULE_NAME, ENVIRONMENT_READERS, PATH_READERS]
                .iter()
                .flat_map(|table| table.iter().copied()),
        )
    });
    ctx.callee_name(call)
        .is_some_and(|(_, written)| READER_NAMES.contains(&written))
}

/// Whether a dotted name of `table` ends with the component `written` (compared in place, as
/// this runs for every call).
fn ends_with_component(table: &[&str], written: &str) -> bool {
    table.iter().any(|name| {
        name.strip_suffix(written)
            .is_some_and(|head| head.is_empty() || head.ends_with('.'))
    })
}

/// A call that looks classes up in `sys.modules` by their module's name (`pickle.dumps`).
fn finds_classes_by_module(ctx: &FileContext, call: Node, scope: ScopeId) -> bool {
    let Some(callee) = ctx.model.callee(call) else {
        return false;
    };
    let written = last_component(ctx.text(callee));
    ends_with_component(CLASS_BY_MODULE_NAME, written)
        && ctx
            .model
            .qualified_name(callee, scope)
            .is_some_and(|q| CLASS_BY_MODULE_NAME.contains(&q.as_str()))
}

/// The modules the file imports at module level (`import pkg`, `from pkg.sub import Thing`): its
/// names keep pointing at the copy imported then.
fn imported_modules(ctx: &FileContext) -> Vec<String> {
    let mut modules: Vec<String> = ctx.model.scopes[MODULE_SCOPE]
        .bindings
        .values()
        .flatten()
        .filter_map(|b| match b.value {
            BindingValue::Import(module, _) if !module.starts_with('.') => Some(module.to_string()),
            _ => None,
        })
        .collect();
    modules.sort();
    modules.dedup();
    modules
}

/// A call that reads a relative path (`open("setup.cfg")`, `Path(name or ".app.yml").is_file()`):
/// it reads [`WORKING_FOLDER`].
fn relative_read(ctx: &FileContext, call: Node, scope: ScopeId) -> Option<String> {
    let callee = ctx.model.callee(call)?;
    let written = last_component(ctx.text(callee));
    if !ends_with_component(PATH_READERS, written) {
        return None;
    }
    let qualified = ctx.model.qualified_name(callee, scope)?;
    if !PATH_READERS.contains(&qualified.as_str()) {
        return None;
    }
    // Writing (`open(p, "w")`) does not read what the folder holds.
    let args = ctx.model.call_args(call);
    let mode = args
        .positional
        .get(1)
        .copied()
        .or_else(|| {
            args.keywords
                .iter()
                .find(|(k, _)| *k == "mode")
                .map(|(_, v)| *v)
        })
        .and_then(|m| string_value(m, ctx.source()));
    if mode.is_some_and(|m| m.contains(['w', 'a', 'x'])) {
        return None;
    }
    let first = *args.positional.first()?;
    names_relative_path(ctx, first, scope, 0).then(|| WORKING_FOLDER.to_string())
}

/// Whether an argument is, or falls back to, a relative file path written in the code: a literal
/// (`"setup.cfg"`), an `or` default (`name or ".app.yml"`), or a local name bound to one.
fn names_relative_path(ctx: &FileContext, node: Node, scope: ScopeId, depth: usize) -> bool {
    let node = unparenthesize(node);
    match kind_of(node) {
        kind::STRING => string_value(node, ctx.source()).is_some_and(|s| is_relative_file(&s)),
        kind::BOOLEAN_OPERATOR if depth < 3 => {
            let mut cursor = node.walk();
            let named: Vec<Node> = node.named_children(&mut cursor).collect();
            named
                .into_iter()
                .any(|operand| names_relative_path(ctx, operand, scope, depth + 1))
        }
        kind::IDENTIFIER if depth < 3 => {
            match ctx.model.lookup(ctx.text(node), scope, node.start_byte()) {
                Some((
                    bound_in,
                    Binding {
                        value: BindingValue::Expr(value),
                        ..
                    },
                )) if bound_in == scope => names_relative_path(ctx, *value, scope, depth + 1),
                _ => false,
            }
        }
        _ => false,
    }
}

/// A relative path to a file as code writes it: `setup.cfg`, `.app.yml`, `data/input.csv`; not a
/// bare word (which may be anything), an absolute path, a URL or `.`.
fn is_relative_file(text: &str) -> bool {
    let name = text.rsplit('/').next().unwrap_or(text);
    let extension = name.rsplit_once('.').map(|(_, e)| e);
    !text.starts_with(['/', '~', '\\'])
        && !text.contains("://")
        && !text.contains("..")
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        && extension.is_some_and(|e| {
            (1..=5).contains(&e.len()) && e.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

/// A call of a library that reads the environment for its caller: building `environs.Env()`,
/// `decouple.config("K")`.
fn library_read(ctx: &FileContext, call: Node, scope: ScopeId) -> Option<String> {
    let callee = ctx.model.callee(call)?;
    let written = last_component(ctx.text(callee));
    if !ends_with_component(ENVIRONMENT_READERS, written) {
        return None;
    }
    let qualified = ctx.model.qualified_name(callee, scope)?;
    ENVIRONMENT_READERS
        .contains(&qualified.as_str())
        .then(|| ENVIRON.to_string())
}

/// The environment lookup an identifier starts, if any: `os.environ["K"]`, `os.environ.get("K")`,
/// `os.getenv("K")`, `"K" in os.environ`.
fn lookup(ctx: &FileContext, identifier: Node, scope: ScopeId) -> Option<String> {
    let name = ctx.text(identifier);
    if !matches!(name, "os" | "environ" | "getenv") {
        return None;
    }
    let mut above = ctx.model.ancestors(identifier);
    let mut expr = identifier;
    let mut parent = above.next()?;
    if kind_of(parent) == kind::ATTRIBUTE
        && parent
            .child_by_field_id(field::OBJECT.id())
            .is_some_and(|o| o.id() == identifier.id())
    {
        expr = parent;
        parent = above.next()?;
    }
    let qualified = ctx.model.qualified_name(expr, scope)?;
    let key_of = |node: Option<Node>| {
        Some(env_key(node, scope, ctx).map_or_else(|| ENVIRON.to_string(), |k| env_path(&k)))
    };
    let is = |node: Option<Node>, of: Node| node.is_some_and(|n| unparenthesize(n).id() == of.id());
    match qualified.as_str() {
        "os.getenv" if kind_of(parent) == kind::CALL && is(ctx.model.callee(parent), expr) => {
            key_of(ctx.model.call_args(parent).positional.first().copied())
        }
        "os.environ" => match kind_of(parent) {
            kind::SUBSCRIPT if is(parent.child_by_field_id(field::VALUE.id()), expr) => {
                // `os.environ["K"] = v` and `del os.environ["K"]` change it.
                let changed = above.next().is_some_and(|up| match kind_of(up) {
                    kind::ASSIGNMENT | kind::AUGMENTED_ASSIGNMENT => {
                        is(up.child_by_field_id(field::LEFT.id()), parent)
                    }
                    kind::DELETE_STATEMENT | kind::EXPRESSION_LIST => true,
                    _ => false,
                });
                (!changed).then(|| key_of(parent.child_by_field_id(field::SUBSCRIPT.id())))?
            }
            kind::ATTRIBUTE if is(parent.child_by_field_id(field::OBJECT.id()), expr) => {
                let method = parent
                    .child_by_field_id(field::ATTRIBUTE.id())
                    .map(|a| ctx.text(a))?;
                let called = above
                    .next()
                    .filter(|c| kind_of(c) == kind::CALL && is(ctx.model.callee(*c), parent))?;
                match method {
                    "get" | "__getitem__" | "__contains__" => {
                        key_of(ctx.model.call_args(called).positional.first().copied())
                    }
                    // A copy of the whole mapping (`os.environ.copy()` for a subprocess)
                    // depends on a changed variable only if the child reads it: too weak.
                    _ => None,
                }
            }
            kind::COMPARISON_OPERATOR => {
                let left = parent.named_child(0)?;
                let mut cursor = parent.walk();
                let membership = parent
                    .children(&mut cursor)
                    .any(|c| matches!(kind_of(c), "in" | "not in"));
                (left.id() != expr.id() && membership).then(|| key_of(Some(left)))?
            }
            _ => None,
        },
        _ => None,
    }
}

/// The environment and working-folder reads of the project's functions, each under every function around it (a
/// decorator factory's inner function reads for the factory's caller too), as
/// `(function, path, byte)` like `state::function_reads`.
pub fn function_reads(ctx: &FileContext) -> Vec<(ScopeId, String, usize)> {
    let model = ctx.model;
    let mut seen: HashSet<(ScopeId, String)> = HashSet::new();
    let mut out = Vec::new();
    for read in env_reads(ctx) {
        let mut current = Some(read.scope);
        while let Some(scope) = current {
            let s = &model.scopes[scope];
            if s.kind == ScopeKind::Function
                && s.role != Role::Test
                && seen.insert((scope, read.path.clone()))
            {
                out.push((scope, read.path.clone(), read.node.start_byte()));
            }
            current = s.parent;
        }
    }
    out
}

/// The environment and working-folder reads written in tests' own bodies, one per test and path,
/// at the first.
pub fn test_reads(
    ctx: &FileContext,
    position: impl Fn(usize) -> Position,
) -> Vec<crate::analysis::state::StateRead> {
    let model = ctx.model;
    let mut seen: HashSet<(ScopeId, String)> = HashSet::new();
    let mut out = Vec::new();
    for read in env_reads(ctx) {
        let function = model.owner(read.scope);
        if model.scopes[function].role != Role::Test || !seen.insert((function, read.path.clone()))
        {
            continue;
        }
        out.push(crate::analysis::state::StateRead {
            path: read.path,
            instance: None,
            whole: false,
            through_call: false,
            span: Span::of(read.node),
            position: position(read.node.start_byte()),
            owner: ctx.owner_of(read.scope).1.into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{env_path, is_process_state, is_relative_file, module_entry_path, test_tree};

    #[test]
    fn test_trees_are_the_folder_above_the_tests() {
        assert_eq!(test_tree("tests/test_a.py"), "");
        assert_eq!(test_tree("proj/tests/unit/test_a.py"), "proj/");
        assert_eq!(test_tree("a/b/test/test_x.py"), "a/b/");
        assert_eq!(test_tree("pkg/test_flat.py"), "pkg");
        assert_eq!(test_tree("test_top.py"), "");
        assert_ne!(
            test_tree("one/tests/test_a.py"),
            test_tree("two/tests/test_a.py")
        );
    }

    #[test]
    fn relative_files_are_named_paths_with_an_extension() {
        assert!(is_relative_file("setup.cfg"));
        assert!(is_relative_file(".mythx.yml"));
        assert!(is_relative_file("data/input.csv"));
        assert!(!is_relative_file("/etc/app.cfg"));
        assert!(!is_relative_file("~/.app.yml"));
        assert!(!is_relative_file("https://example.com/a.json"));
        assert!(!is_relative_file("README"));
        assert!(!is_relative_file("."));
        assert!(!is_relative_file("../x.txt"));
        assert!(!is_relative_file("hello world.txt"));
    }

    #[test]
    fn process_state_paths_are_told_from_module_state() {
        assert!(is_process_state(&env_path("HOME")));
        assert!(is_process_state("os.environ"));
        assert!(is_process_state("os.getcwd()"));
        assert!(is_process_state(&module_entry_path("pkg.sub")));
        assert_eq!(module_entry_path("pkg.sub"), "sys.modules.[pkg_sub]");
        assert!(!is_process_state("os.environment_cache"));
        assert!(!is_process_state("app.settings.DEBUG"));
    }
}
