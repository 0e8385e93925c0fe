//! The path-effect analysis behind the `hardcoded-path` family: every call in test code that writes,
//! creates, deletes or opens as a database a path whose value is known, found through the sink table.
//!
//! Collected per file from the calls the model already gathered (no extra walk); resolved by the
//! project stage, which knows fixture values and which fixtures move a test into a private folder.

use crate::context::{FileContext, FileInfo, Owner};
use foldhash::{HashMap, HashMapExt};
use isolint_python::knowledge::{
    self, classify_path, Callee, Mode, PathArg, PathClass, PathOp, CHECKS,
    FAKE_FILESYSTEM_FIXTURES, OUTPUT_FLAGS, SINKS, SUBPROCESS_CALLS,
};
use isolint_python::model::{string_value, Binding, BindingValue, Role, ScopeId, ScopeKind};
use isolint_python::source::Span;
use isolint_python::syntax::{kind, kind_of, named_children, text, unparenthesize, CallArgs};
use isolint_python::value::{Origin, Root, Text, Value};
use tree_sitter::Node;

/// One write, creation, deletion, database open, existence check or library call of a known path.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PathEffect {
    pub op: PathOp,
    /// The path; its root may still be a fixture the project stage resolves.
    pub path: Text,
    /// The whole call.
    pub span: Span,
    /// How the call reads in the source, for messages (`open`, `Path.write_text`, `shutil.rmtree`).
    pub callee: String,
    pub owner: Owner,
    /// Names of the functions the owner's test could reach the effect through (for helpers).
    pub helper: Option<String>,
    /// The owner moves into a private working folder first (`monkeypatch.chdir`, `os.chdir(tmp)`).
    pub cwd_isolated: bool,
    /// The owner points HOME at a private folder first (`monkeypatch.setenv("HOME", ...)`).
    pub home_isolated: bool,
    /// The effect happens inside a function this call reaches (a helper, the project's own code).
    pub through: Option<Through>,
    /// Inferred from how the call is written (a library call handed a fixed path, a keyword named
    /// like an output), not from what the callee does: dropped when the callee is the project's
    /// own and its summary says what it does.
    pub guessed: bool,
}

/// How a call reaches an effect: the function called and the sink inside it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Through {
    /// The function as the call names it (`utils.rmtree`).
    pub function: String,
    /// The sink call where the effect happens, in the callee's file.
    pub sink: crate::diagnostic::Related,
}

/// A sink call of a function whose path is one of the function's parameters (or, in a first-party
/// module, any known path): what the function does, to be bound at each call site.
#[derive(Debug, Clone)]
pub struct SummaryEffect {
    /// The function the effect belongs to (its owner: nested functions count for the enclosing one).
    pub function: ScopeId,
    pub op: PathOp,
    pub path: Text,
    pub span: Span,
    pub callee: String,
}

/// How path-method sinks are named in [`PathEffect::callee`]; the project stage checks their
/// receivers are `pathlib` objects once fixture values are known.
pub const PATH_METHOD_PREFIX: &str = "Path.";

/// A path effect with fixture values resolved, ready for the rules.
#[derive(Debug, Clone)]
pub struct ResolvedEffect<'a> {
    pub effect: &'a PathEffect,
    pub file: &'a FileInfo,
    pub root: Root,
    /// The path as users should read it (`/tmp/out.json`, `$TMPDIR/out.json`, `~/.cache/x`).
    pub shown: String,
    pub class: PathClass,
    /// The binding the path was defined through, if any.
    pub origin: Option<Origin>,
    /// A fixture whose value the path came from: (fixture name, where it is defined).
    pub via_fixture: Option<(String, crate::diagnostic::Related)>,
    /// A removal or check of the same path that makes a library call a write, or that a write pairs with.
    pub paired: Vec<(Span, String)>,
    /// For an effect in a helper: the node ids of the tests that call it, in any file.
    pub reached_tests: Vec<String>,
}

/// Collects the path effects of one file into the context.
pub fn collect(ctx: &mut FileContext) {
    let model = ctx.model;
    // Pass 1: the calls of test code that hit a sink (cheap: most calls are skipped by name), and
    // the library calls that may matter later.
    let mut found: Vec<(Node, ScopeId, PathOp, Text, String, bool)> = Vec::new();
    let mut mention_calls: Vec<(Node, ScopeId)> = Vec::new();
    let mut summary: Vec<(Node, ScopeId, PathOp, Text, String)> = Vec::new();
    for (scope_id, scope) in model.scopes.iter().enumerate() {
        if scope.kind != ScopeKind::Function
            || scope.calls.is_empty()
            || !is_followed(ctx, scope_id)
        {
            continue;
        }
        for call in &scope.calls {
            let (effects, guessed) = match effects_of_call(ctx, *call, scope_id) {
                CallEffects::Known(effects) => (effects, false),
                CallEffects::Guessed(effects) => (effects, true),
                CallEffects::MaybeMention if !ctx.file.first_party => {
                    mention_calls.push((*call, scope_id));
                    continue;
                }
                CallEffects::MaybeMention => continue,
            };
            {
                {
                    if effects.is_empty() || expected_to_fail(ctx, *call) {
                        continue;
                    }
                    for (op, path, callee) in effects {
                        // A parameter's effect happens where the argument is chosen: the call site.
                        if path.root.is_param() || ctx.file.first_party {
                            summary.push((*call, scope_id, op, path, callee));
                        } else {
                            found.push((*call, scope_id, op, path, callee, guessed));
                        }
                    }
                }
            }
        }
    }
    collect_summary_effects(ctx, summary);
    // Pass 2: a library call handed a fixed path only matters when the file also removes or checks
    // a path, directly or through a call: evaluate those arguments only then.
    if ctx.may_remove_through_calls
        || found
            .iter()
            .any(|(_, _, op, _, _, _)| matches!(op, PathOp::Delete | PathOp::Check))
    {
        for (call, scope) in mention_calls {
            for (path, callee) in mentions_of_call(ctx, call, scope) {
                found.push((call, scope, PathOp::Mention, path, callee, true));
            }
        }
    }
    // Pass 3: who owns each effect, and what protects it (computed only for owners with effects).
    let mut class_guards: HashMap<ScopeId, OwnerGuards> = HashMap::new();
    let mut owners: HashMap<ScopeId, (Owner, Option<String>, OwnerGuards)> = HashMap::new();
    let mut effects = Vec::new();
    // The file's string literals, read once when a fix is first looked for.
    let mut strings: Option<Vec<crate::fix::tmp_path::FileString>> = None;
    // Where literal paths are written, for fixes of a path several tests name.
    let writes: Vec<crate::fix::shared_path::WriteSite> = found
        .iter()
        .filter(|(_, _, op, path, _, _)| {
            matches!(op, PathOp::Write | PathOp::CreateDir) && path.root == Root::Literal
        })
        .map(
            |(call, scope, _, path, _, _)| crate::fix::shared_path::WriteSite {
                owner: model.owner(*scope),
                start: call.start_byte(),
                path: path.text.clone(),
            },
        )
        .collect();
    for (call, scope, op, path, callee, guessed) in found {
        let owner_id = model.owner(scope);
        let (owner, helper, guard) = owners.entry(owner_id).or_insert_with(|| {
            let (_, owner) = ctx.owner_of(scope);
            let helper = (owner.role == Role::Helper).then(|| owner.function.clone());
            (owner, helper, guards_of(ctx, owner_id, &mut class_guards))
        });
        if guard.fake_filesystem || guard.mocked.iter().any(|m| callee.ends_with(m.as_str())) {
            continue;
        }
        if is_write(op) && matches!(owner.role, Role::Test | Role::Fixture | Role::Setup) {
            let strings = strings.get_or_insert_with(|| crate::fix::tmp_path::strings_of(model));
            let sink = crate::fix::tmp_path::Sink {
                call,
                callee: &callee,
                op,
                guessed,
            };
            let fix =
                crate::fix::tmp_path::fix(model, strings, &writes, (owner_id, owner), &path, &sink)
                    .or_else(|| {
                        crate::fix::temp_dir::fix(
                            model,
                            &ctx.eval,
                            strings,
                            (owner_id, owner),
                            &path,
                            &sink,
                        )
                    });
            if let Some(fix) = fix {
                ctx.path_fixes
                    .entry((call.start_byte(), call.end_byte()))
                    .or_insert(fix);
            }
        }
        effects.push(PathEffect {
            op,
            path,
            span: Span::of(call),
            callee,
            owner: owner.clone(),
            helper: helper.clone(),
            cwd_isolated: guard.cwd_isolated,
            home_isolated: guard.home_isolated,
            through: None,
            guessed,
        });
    }
    ctx.path_effects = effects;
}

/// What protects an owner's calls: its own guards and its class's (`setUp`, class decorators).
pub(crate) fn guards_of(
    ctx: &FileContext,
    owner: ScopeId,
    class_guards: &mut HashMap<ScopeId, OwnerGuards>,
) -> OwnerGuards {
    let mut guards = OwnerGuards::of_function(ctx, owner);
    if let Some(class) = ctx.model.class_of_method(owner) {
        guards.merge(
            class_guards
                .entry(class)
                .or_insert_with(|| OwnerGuards::of_class(ctx, class)),
        );
    }
    guards
}

fn is_write(op: PathOp) -> bool {
    matches!(op, PathOp::Write | PathOp::CreateDir | PathOp::Mention)
}

/// Whether the calls of a scope are followed: test code, and helpers and methods, which count
/// through the tests that call or inherit them (resolved by the project stage). In a first-party
/// module every function is summarised.
fn is_followed(ctx: &FileContext, scope: ScopeId) -> bool {
    let model = ctx.model;
    let owner = model.owner(scope);
    ctx.file.first_party
        || matches!(
            model.scopes[owner].role,
            Role::Test | Role::Fixture | Role::Setup | Role::Teardown | Role::Helper
        )
}

/// Keeps the effects a function states in terms of its parameters (and, in first-party modules,
/// every effect), unless the function fakes the filesystem or patches the sink.
fn collect_summary_effects(
    ctx: &mut FileContext,
    effects: Vec<(Node, ScopeId, PathOp, Text, String)>,
) {
    let model = ctx.model;
    let mut guards: HashMap<ScopeId, OwnerGuards> = HashMap::new();
    for (call, scope, op, path, callee) in effects {
        let function = model.owner(scope);
        let guard = guards
            .entry(function)
            .or_insert_with(|| OwnerGuards::of_function(ctx, function));
        if guard.fake_filesystem || guard.mocked.iter().any(|m| callee.ends_with(m.as_str())) {
            continue;
        }
        ctx.summary_effects.push(SummaryEffect {
            function,
            op,
            path,
            span: Span::of(call),
            callee,
        });
    }
}

/// What protects an owner's calls: a fake filesystem, patched functions, a private working folder
/// or home.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct OwnerGuards {
    pub fake_filesystem: bool,
    /// Last components of patched targets (`open`, `remove`).
    pub mocked: Vec<String>,
    pub cwd_isolated: bool,
    pub home_isolated: bool,
}

impl OwnerGuards {
    /// Guards a function sets up for itself: decorators, patches and folder changes in its body,
    /// a pyfakefs `fs` parameter.
    pub(crate) fn of_function(ctx: &FileContext, id: ScopeId) -> OwnerGuards {
        let model = ctx.model;
        let mut guards = OwnerGuards::default();
        if model.scopes[id]
            .parameters()
            .iter()
            .any(|(name, _)| FAKE_FILESYSTEM_FIXTURES.contains(name))
        {
            guards.fake_filesystem = true;
        }
        guards.note_scope(ctx, id);
        guards
    }

    /// Guards a class sets up for every test: class decorators, `setUp` patches and folder changes,
    /// `setUpPyfakefs`.
    pub(crate) fn of_class(ctx: &FileContext, class: ScopeId) -> OwnerGuards {
        let model = ctx.model;
        let mut guards = OwnerGuards::default();
        for decorator in &model.scopes[class].decorators {
            if let Some(expr) = named_children(*decorator).next() {
                guards.note_patch(ctx, expr);
            }
        }
        let setups = model.subtree(class).filter(|id| {
            model.scopes[*id].parent == Some(class) && model.scopes[*id].role == Role::Setup
        });
        for setup in setups.collect::<Vec<_>>() {
            guards.note_scope(ctx, setup);
        }
        guards
    }

    fn note_scope(&mut self, ctx: &FileContext, id: ScopeId) {
        let model = ctx.model;
        for decorator in &model.scopes[id].decorators {
            if let Some(expr) = named_children(*decorator).next() {
                self.note_patch(ctx, expr);
            }
        }
        for (_, call) in model.calls_under(id) {
            self.note_patch(ctx, call);
            if let Some(callee) = ctx.model.callee(call) {
                let name = ctx.text(callee);
                if name.ends_with("setUpPyfakefs") || name.ends_with("Patcher") {
                    self.fake_filesystem = true;
                }
            }
        }
        let (cwd, home) = crate::facts::isolation_of(model, &ctx.eval, id);
        self.cwd_isolated |= cwd;
        self.home_isolated |= home;
    }

    pub(crate) fn merge(&mut self, other: &OwnerGuards) {
        self.fake_filesystem |= other.fake_filesystem;
        self.mocked.extend(other.mocked.iter().cloned());
        self.cwd_isolated |= other.cwd_isolated;
        self.home_isolated |= other.home_isolated;
    }

    fn note_patch(&mut self, ctx: &FileContext, expr: Node) {
        if let Some(target) = patched_target(ctx, expr) {
            self.mocked
                .push(knowledge::last_component(&target).to_string());
        }
    }
}

/// What a patching call replaces, as written: `patch("builtins.open")`,
/// `mock.patch.object(os, "remove")`, `mocker.patch(...)`, `monkeypatch.setattr("os.remove", ...)`.
fn patched_target(ctx: &FileContext, expr: Node) -> Option<String> {
    if kind_of(expr) != kind::CALL {
        return None;
    }
    let name = ctx.text(ctx.model.callee(expr)?);
    let last = knowledge::last_component(name);
    if !matches!(last, "patch" | "setattr" | "object") {
        return None;
    }
    let args = ctx.model.call_args(expr);
    let string_arg = |i: usize| {
        args.positional
            .get(i)
            .and_then(|a| string_value(*a, ctx.source()))
    };
    match last {
        // `monkeypatch.setattr(os, "remove", fake)` names the attribute second.
        "patch" | "setattr" => string_arg(0).or_else(|| string_arg(1)),
        "object" if name.contains("patch") => string_arg(1),
        _ => None,
    }
}

/// Whether something is patched while `call` runs in `function`: by a decorator of the function,
/// by its class (decorators, `setUp`), by a `with patch(...)` around the call, or by a patch
/// started earlier in the function (`mocker.patch(...)`, `patcher.start()`,
/// `monkeypatch.setattr`). A `with patch(...)` that ended before the call does not count.
pub(crate) fn patched_at(
    ctx: &FileContext,
    function: ScopeId,
    call: Node,
    class_guards: &mut HashMap<ScopeId, OwnerGuards>,
) -> bool {
    let model = ctx.model;
    if model
        .wrapping(call, function)
        .into_iter()
        .any(|expr| patched_target(ctx, expr).is_some())
    {
        return true;
    }
    // `setUp` patches hold for every test of the class.
    if let Some(class) = model.class_of_method(function) {
        if !class_guards
            .entry(class)
            .or_insert_with(|| OwnerGuards::of_class(ctx, class))
            .mocked
            .is_empty()
        {
            return true;
        }
    }
    model.calls_under(function).any(|(_, earlier)| {
        earlier.start_byte() < call.start_byte()
            && !model
                .ancestors(earlier)
                .take(2)
                .any(|a| kind_of(a) == kind::WITH_ITEM)
            && patched_target(ctx, earlier).is_some()
    })
}

/// Inside `with pytest.raises(...)` or `with self.assertRaises(...)`: the test expects the call to
/// fail, so nothing is written.
pub(crate) fn expected_to_fail(ctx: &FileContext, call: Node) -> bool {
    ctx.model
        .enclosing_with_contexts(call)
        .into_iter()
        .any(|context| {
            kind_of(context) == kind::CALL
                && ctx.model.callee(context).is_some_and(|callee| {
                    let last = knowledge::last_component(ctx.text(callee));
                    last == "raises" || last.starts_with("assertRaises")
                })
        })
}

enum CallEffects {
    /// A sink, check or subprocess call, with the effects of known paths (possibly none).
    Known(Vec<(PathOp, Text, String)>),
    /// A call outside the tables whose keyword names say it writes a fixed file.
    Guessed(Vec<(PathOp, Text, String)>),
    /// Any other call: a library write if the file also removes or checks what it is given.
    MaybeMention,
}

/// The path effects of one call: usually none, one for a sink, one per output flag of a subprocess.
fn effects_of_call(ctx: &FileContext, call: Node, scope: ScopeId) -> CallEffects {
    let model = ctx.model;
    let source = ctx.source();
    let Some(callee) = ctx.model.callee(call) else {
        return CallEffects::Known(Vec::new());
    };
    let method = (kind_of(callee) == kind::ATTRIBUTE)
        .then(|| ctx.model.attribute_parts(callee).1.map(|a| text(a, source)))
        .flatten();
    if !could_be_sink(ctx, callee, method, scope) {
        return output_keyword(ctx, call, scope);
    }
    let args = ctx.model.call_args(call);
    let qualified = model.qualified_name(callee, scope);
    let receiver = ctx.model.attribute_parts(callee).0;
    let known_path = |node: Node| -> Option<Text> {
        match ctx.eval.eval(node, scope) {
            Value::Text(t) if is_path_like(&t) => Some(t),
            _ => None,
        }
    };

    if let Some(q) = qualified.as_deref() {
        if SUBPROCESS_CALLS.contains(&q) {
            return CallEffects::Known(
                subprocess_outputs(ctx, &args, scope)
                    .into_iter()
                    .map(|t| (PathOp::Write, t, q.to_string()))
                    .collect(),
            );
        }
    }
    for sink in SINKS.iter() {
        let shown = match sink.callee {
            Callee::Function(name) if qualified.as_deref() == Some(name) => short_name(name),
            Callee::PathMethod(name) if method == Some(name) => {
                format!("{PATH_METHOD_PREFIX}{name}")
            }
            Callee::AnyMethod(name) if method == Some(name) => format!(".{name}"),
            _ => continue,
        };
        let path_node = match sink.path {
            PathArg::Receiver => receiver,
            PathArg::Arg { position, keyword } => args.get(position, keyword),
        };
        let Some(path_node) = path_node else { continue };
        // A path method needs a `pathlib` receiver: `os.unlink` is a function, `p.unlink()` a
        // method, and `"a,b".replace(",", ";")` no path at all.
        // A bare fixture receiver is checked once the project stage knows the fixture's value.
        if matches!(sink.callee, Callee::PathMethod(_)) {
            let receiver_value = receiver.map(|r| ctx.eval.eval(r, scope));
            let is_path = match &receiver_value {
                Some(Value::Text(t)) => {
                    t.path_object
                        || matches!(t.root, Root::Fixture(_) | Root::Param(_))
                            && sink.path == PathArg::Receiver
                }
                _ => false,
            };
            if !is_path {
                continue;
            }
        }
        if !writes(ctx, sink.mode, &args, scope) {
            return CallEffects::Known(Vec::new());
        }
        if sink.sqlite_url {
            return CallEffects::Known(match ctx.eval.eval(path_node, scope) {
                Value::Text(url) if url.root == Root::Literal => {
                    knowledge::sqlite_url_file(&url.text)
                        .map(|file| {
                            vec![(
                                sink.op,
                                Text {
                                    root: Root::Literal,
                                    text: file.to_string(),
                                    origin: url.origin.clone(),
                                    path_object: false,
                                },
                                shown,
                            )]
                        })
                        .unwrap_or_default()
                }
                _ => Vec::new(),
            });
        }
        // `for name in ("a.txt", "b.txt"): os.remove(name)` removes each.
        return CallEffects::Known(
            ctx.eval
                .eval_each(path_node, scope)
                .into_iter()
                .filter_map(|value| match value {
                    Value::Text(t) if is_path_like(&t) => Some((sink.op, t, shown.clone())),
                    _ => None,
                })
                .collect(),
        );
    }
    if let Some(q) = qualified.as_deref() {
        for extra in &ctx.settings.write_sinks {
            if q == extra.call || method == Some(extra.call.as_str()) {
                let node = match &extra.keyword {
                    Some(k) => args.keyword(k),
                    None => args.positional.first().copied(),
                };
                return CallEffects::Known(
                    node.and_then(known_path)
                        .map(|p| vec![(PathOp::Write, p, extra.call.clone())])
                        .unwrap_or_default(),
                );
            }
        }
    }
    for check in CHECKS {
        let matched = match check {
            Callee::Function(name) => qualified.as_deref() == Some(*name),
            Callee::PathMethod(name) => method == Some(*name),
            Callee::AnyMethod(_) => false,
        };
        if matched {
            let node = match check {
                Callee::PathMethod(_) => receiver,
                _ => args.positional.first().copied(),
            };
            return CallEffects::Known(
                node.and_then(known_path)
                    .map(|p| vec![(PathOp::Check, p, ctx.text(callee).to_string())])
                    .unwrap_or_default(),
            );
        }
    }
    output_keyword(ctx, call, scope)
}

/// A call outside the tables handed a fixed file through a keyword that says it writes there
/// (`export(records, dest_file_name="out.csv")`) writes it; any other call may be a library
/// write, decided later by the file's removals and checks.
fn output_keyword(ctx: &FileContext, call: Node, scope: ScopeId) -> CallEffects {
    // The model took the arguments apart in its walk: most calls have no such keyword.
    let args = ctx.model.call_args(call);
    if !args
        .keywords
        .iter()
        .any(|(keyword, _)| knowledge::keyword_names_output(keyword))
    {
        return CallEffects::MaybeMention;
    }
    let mut effects = Vec::new();
    for (keyword, value) in &args.keywords {
        if !knowledge::keyword_names_output(keyword) {
            continue;
        }
        let Value::Text(path) = ctx.eval.eval(*value, scope) else {
            continue;
        };
        if !is_path_like(&path) || !(path.root.is_param() || looks_like_file(&path)) {
            continue;
        }
        let Some(callee) = library_callee(ctx, call, scope) else {
            continue;
        };
        effects.push((PathOp::Write, path, ctx.text(callee).to_string()));
    }
    if effects.is_empty() {
        CallEffects::MaybeMention
    } else {
        CallEffects::Guessed(effects)
    }
}

/// A cheap test on the callee's last name (through `from x import y as z` aliases) before its
/// qualified name is resolved.
fn could_be_sink(ctx: &FileContext, callee: Node, method: Option<&str>, scope: ScopeId) -> bool {
    let last = match method {
        Some(m) => m,
        None if kind_of(callee) == kind::IDENTIFIER => {
            let name = ctx.text(callee);
            match ctx.model.lookup(name, scope, callee.start_byte()) {
                Some((
                    _,
                    Binding {
                        value: BindingValue::Import(module, member),
                        ..
                    },
                )) => member.unwrap_or(module),
                _ => name,
            }
        }
        None => return false,
    };
    knowledge::may_touch_paths(last)
        || ctx
            .settings
            .write_sinks
            .iter()
            .any(|s| knowledge::last_component(&s.call) == last)
}

/// The fixed file paths a library call is handed.
/// The callee of a call that may be a library writer (not the standard library, a mock or an
/// assertion), if it is one.
fn library_callee<'t>(
    ctx: &FileContext<'_, 't>,
    call: Node<'t>,
    scope: ScopeId,
) -> Option<Node<'t>> {
    let callee = ctx.model.callee(call)?;
    let method = (kind_of(callee) == kind::ATTRIBUTE)
        .then(|| ctx.model.attribute_parts(callee).1.map(|a| ctx.text(a)))
        .flatten();
    // The method's name rules out most calls (`self.assertEqual`) before the qualified name is
    // built.
    if method.is_some_and(is_excluded_method) {
        return None;
    }
    is_mention_candidate(ctx.model.qualified_name(callee, scope).as_deref(), method)
        .then_some(callee)
}

fn mentions_of_call(ctx: &FileContext, call: Node, scope: ScopeId) -> Vec<(Text, String)> {
    let args = ctx.model.call_args(call);
    let candidates = || {
        args.positional
            .iter()
            .copied()
            .chain(args.keywords.iter().map(|(_, v)| *v))
            .filter(|node| {
                matches!(
                    kind_of(unparenthesize(*node)),
                    kind::IDENTIFIER
                        | kind::ATTRIBUTE
                        | kind::STRING
                        | kind::CALL
                        | kind::BINARY_OPERATOR
                )
            })
    };
    // Most calls take no argument that could name a file: the callee's name is not needed then.
    if candidates().next().is_none() {
        return Vec::new();
    }
    let Some(callee) = library_callee(ctx, call, scope) else {
        return Vec::new();
    };
    candidates()
        .filter_map(|node| match ctx.eval.eval(node, scope) {
            Value::Text(path) if is_path_like(&path) && looks_like_file(&path) => {
                Some((path, ctx.text(callee).to_string()))
            }
            _ => None,
        })
        .collect()
}

fn short_name(qualified: &str) -> String {
    qualified
        .strip_prefix("builtins.")
        .unwrap_or(qualified)
        .to_string()
}

fn is_path_like(text: &Text) -> bool {
    classify_path(&text.root, &text.text).is_some()
        || matches!(text.root, Root::Fixture(_) | Root::Param(_))
}

/// A fixed name that reads as a file: a folder separator or an extension, no spaces.
fn looks_like_file(path: &Text) -> bool {
    let t = &path.text;
    !t.contains(' ')
        && (t.contains('/')
            || t.rsplit_once('.').is_some_and(|(stem, ext)| {
                !stem.is_empty()
                    && (1..=5).contains(&ext.len())
                    && ext.chars().all(|c| c.is_ascii_alphanumeric())
            }))
        && (path.root != Root::Literal || !t.starts_with('.'))
}

/// Methods that write no file whatever they are called on: assertions, private helpers, string and
/// container methods.
fn is_excluded_method(m: &str) -> bool {
    m.starts_with("assert")
        || m.starts_with('_')
        || matches!(
            m,
            "format"
                | "join"
                | "get"
                | "append"
                | "startswith"
                | "endswith"
                | "replace"
                | "split"
                | "encode"
                | "called_with"
        )
}

fn is_mention_candidate(qualified: Option<&str>, method: Option<&str>) -> bool {
    if method.is_some_and(is_excluded_method) {
        return false;
    }
    match qualified {
        Some(q) => {
            !(q.starts_with("builtins.")
                || q.starts_with("os.")
                || q.starts_with("pathlib.")
                || q.starts_with("shutil.")
                || q.contains("mock")
                || q.starts_with("pytest.")
                || q.contains("assert")
                || q.starts_with("self.assert")
                || q.starts_with("re.")
                || q.starts_with("logging.")
                || q.starts_with("urllib")
                || q.starts_with("posixpath."))
        }
        None => method.is_some(),
    }
}

/// Whether a sink call writes, given its mode argument.
fn writes(ctx: &FileContext, mode: Mode, args: &CallArgs, scope: ScopeId) -> bool {
    match mode {
        Mode::Always => true,
        Mode::Arg {
            position,
            keyword,
            default,
        } => match args.get(position, keyword) {
            None => knowledge::mode_writes(default),
            Some(node) => match ctx.eval.eval(node, scope).as_str() {
                Some(mode) => knowledge::mode_writes(mode),
                None => false,
            },
        },
        Mode::OsFlags => args
            .get(1, "flags")
            .is_some_and(|flags| knowledge::os_flags_write(ctx.text(flags))),
    }
}

/// `subprocess.run(["tool", "-o", "/tmp/out"])`, `--output=/tmp/out`.
fn subprocess_outputs(ctx: &FileContext, args: &CallArgs, scope: ScopeId) -> Vec<Text> {
    let Some(command) = args.get(0, "args").map(unparenthesize) else {
        return Vec::new();
    };
    if !matches!(kind_of(command), kind::LIST | kind::TUPLE) {
        return Vec::new();
    }
    // `cwd=tmp_path`: relative outputs land in the private folder.
    let private_cwd = args
        .keyword("cwd")
        .is_some_and(|cwd| ctx.eval.eval(cwd, scope).concrete_text().is_none());
    let items: Vec<Node> = named_children(command).collect();
    let mut outputs = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Some(flag) = string_value(*item, ctx.source()) else {
            continue;
        };
        let value = if OUTPUT_FLAGS.contains(&flag.as_str()) {
            items.get(index + 1).map(|next| ctx.eval.eval(*next, scope))
        } else if let Some((name, value)) = flag.split_once('=') {
            OUTPUT_FLAGS.contains(&name).then(|| Value::literal(value))
        } else {
            None
        };
        if let Some(Value::Text(path)) = value {
            let relative = classify_path(&path.root, &path.text) == Some(PathClass::Relative);
            if is_path_like(&path) && !(private_cwd && relative) {
                outputs.push(path);
            }
        }
    }
    outputs
}
