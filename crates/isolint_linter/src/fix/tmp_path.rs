//! The fix of ISO101/ISO102 for a fixed path written by one test or function-scoped fixture: the
//! test takes `tmp_path` and every literal of that path (and of paths under it) in the function
//! becomes one under `tmp_path`; a `unittest.TestCase` method, which takes no fixtures, makes a
//! private folder with `tempfile.mkdtemp()` and removes it with `self.addCleanup`.
//!
//! The rewrite is offered only when it surely keeps the test's meaning: every literal naming the
//! path lies in that one function and is a plain string (no f-string, no concatenation, no
//! docstring), and nothing there builds the same folder some other way.

use super::edits::{
    add_imports, add_parameter, can_take_fixture, function_node, insert_at_body_start,
    parameter_names,
};
use super::shared_path::{self_contained, Sharing, WriteSite};
use super::{Applicability, Edit, Fix};
use crate::context::Owner;
use isolint_python::knowledge::{PathOp, PATH_OBJECT_SINKS};
use isolint_python::model::{string_value, FileModel, Role, ScopeId};
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, named_children, text};
use isolint_python::value::{Root, Text};
use tree_sitter::Node;

/// The folder a unittest method makes for itself.
const PRIVATE_DIR: &str = "tmp_dir";

/// Folders every worker shares whose fixed children a test may take privately.
const SHARED_TEMP_DIRS: &[&str] = &["/tmp", "/var/tmp"];

/// A fixed path split into the shared folder and the part under it (`/tmp` + `app/out.json`; the
/// working folder is the empty base).
pub(super) struct Namespace<'p> {
    base: &'static str,
    /// The first component under the base: every literal under it moves together.
    pub(super) top: &'p str,
}

impl<'p> Namespace<'p> {
    pub(super) fn of(path: &'p str) -> Option<Namespace<'p>> {
        let (base, rest) = match SHARED_TEMP_DIRS
            .iter()
            .find_map(|dir| path.strip_prefix(dir)?.strip_prefix('/').map(|r| (*dir, r)))
        {
            Some(found) => found,
            None if !path.starts_with(['/', '~', '$', '.', '\\']) && !path.contains(':') => {
                ("", path)
            }
            None => return None,
        };
        let top = rest.split('/').next()?;
        let safe = |s: &str| {
            !s.is_empty()
                && !s
                    .chars()
                    .any(|c| matches!(c, '"' | '\'' | '\\' | '{' | '}' | '%' | '\n' | '\r' | '*'))
                && s.split('/').all(|part| part != ".." && part != ".")
        };
        (safe(top) && safe(rest.trim_end_matches('/'))).then_some(Namespace { base, top })
    }

    /// The part under the base when `value` lies in this namespace.
    fn under<'v>(&self, value: &'v str) -> Option<&'v str> {
        let rest = if self.base.is_empty() {
            value
        } else {
            value.strip_prefix(self.base)?.strip_prefix('/')?
        };
        let after = rest.strip_prefix(self.top)?;
        (after.is_empty() || after.starts_with('/')).then(|| rest.trim_end_matches('/'))
    }

    /// Literal text that would name the namespace in a string isolint cannot read whole.
    fn needle(&self) -> String {
        if self.base.is_empty() {
            self.top.to_string()
        } else {
            format!("{}/{}", self.base, self.top)
        }
    }
}

/// A string literal of the file, with its value when it is plain (decoded once per file, not once
/// per candidate).
pub struct FileString<'t> {
    pub(super) node: Node<'t>,
    pub(super) plain_value: Option<String>,
    /// Whether the literal can be replaced (see [`rewritable`]), found once: every write of the
    /// same path in the file asks it again, and the answer climbs the tree from the root.
    rewritable: std::cell::OnceCell<bool>,
}

/// Every string literal of the file that is not inside another string, in source order.
pub fn strings_of<'t>(model: &FileModel<'t>) -> Vec<FileString<'t>> {
    model
        .strings
        .iter()
        .map(|node| FileString {
            rewritable: std::cell::OnceCell::new(),
            node: *node,
            plain_value: is_plain(*node, model.source)
                .then(|| {
                    unescaped_body(text(*node, model.source))
                        .map(str::to_string)
                        .or_else(|| string_value(*node, model.source))
                })
                .flatten(),
        })
        .collect()
}

/// The text between the quotes of a plain literal written without a backslash: its value, read
/// without visiting the literal's children (a file's docstrings are many and long).
fn unescaped_body(whole: &str) -> Option<&str> {
    if whole.contains('\\') {
        return None;
    }
    let body = &whole[whole.find(['"', '\''])?..];
    let quote = if body.starts_with("\"\"\"") || body.starts_with("'''") {
        &body[..3]
    } else {
        &body[..1]
    };
    (body.len() >= 2 * quote.len() && body.ends_with(quote))
        .then(|| &body[quote.len()..body.len() - quote.len()])
}

/// What the effect's call is, for the form of the rewrite.
pub struct Sink<'t, 'c> {
    pub call: Node<'t>,
    /// How the effect names the callee (`open`, `os.makedirs`, `Path.write_text`).
    pub callee: &'c str,
    pub op: PathOp,
    /// Inferred from how the call is written, not from the sink table.
    pub guessed: bool,
}

/// The fix for a write to a fixed path, or `None`: safe, or unsafe when the path comes from a
/// module constant that module-level code also reads. `writes` are the file's writes of literal
/// paths, for whether the other tests naming the same path are self-contained.
pub fn fix<'t>(
    model: &FileModel<'t>,
    strings: &[FileString<'t>],
    writes: &[WriteSite],
    (owner_id, owner): (ScopeId, &Owner),
    path: &Text,
    sink: &Sink<'t, '_>,
) -> Option<Fix> {
    if path.root != Root::Literal {
        return None;
    }
    let source = model.source;
    let namespace = Namespace::of(path.text.trim())?;
    let function = function_node(model, owner_id)?;
    // Decided before the literals are read: an owner that cannot take the fix needs no scan.
    let pytest_owner = owner.role == Role::Test
        || owner.role == Role::Fixture && owner.fixture_scope.as_deref() == Some("function");
    if !owner.unittest && (!pytest_owner || !can_take_fixture(model, owner_id, "tmp_path")) {
        return None;
    }
    let range = function.byte_range();
    let owner_text = text(function, source);
    if namespace.base.is_empty() && owner_text.contains("chdir")
        || owner_text.contains("gettempdir")
    {
        return None;
    }
    let needle = namespace.needle();
    let mut matches: Vec<(Node, String)> = Vec::new();
    let mut literals_here: Vec<Node> = Vec::new();
    let mut sharing = Sharing::default();
    let mut constant_rest: Option<String> = None;
    for FileString {
        node: string,
        plain_value,
        rewritable: can_rewrite,
    } in strings
    {
        let inside = range.contains(&string.start_byte());
        match plain_value {
            Some(value) => {
                let value_ref = value.as_str();
                if let Some(rest) = namespace.under(value_ref) {
                    if !*can_rewrite.get_or_init(|| rewritable(*string)) {
                        return None;
                    }
                    // Keep a copy of the part under the base as the source writes it.
                    let whole = text(*string, source);
                    let rest_in_source = whole.find(rest).map(|at| &whole[at..at + rest.len()])?;
                    if !inside {
                        let constants = sharing.constants.len();
                        sharing.add_literal(model, *string, |s, f| used_as_path(s, f, source))?;
                        if sharing.constants.len() > constants {
                            // Uses of one constant all become the same path.
                            if constant_rest.is_some() {
                                return None;
                            }
                            constant_rest = Some(rest_in_source.to_string());
                        }
                        continue;
                    }
                    if !used_as_path(*string, function, source) {
                        return None;
                    }
                    matches.push((*string, rest_in_source.to_string()));
                    literals_here.push(*string);
                } else if namespace.base.is_empty()
                    && value_ref
                        .strip_prefix("./")
                        .is_some_and(|v| namespace.under(v).is_some())
                {
                    // The same file written another way.
                    return None;
                } else if inside
                    && SHARED_TEMP_DIRS
                        .iter()
                        .any(|d| value_ref.trim_end_matches('/') == *d)
                {
                    // The test builds paths in the shared folder some other way too.
                    return None;
                }
            }
            None => {
                let raw = text(*string, source);
                if raw.contains(needle.as_str())
                    && (!namespace.base.is_empty() || mentions_at_start(raw, &needle))
                {
                    return None;
                }
            }
        }
    }
    sharing.add_constant_reads(model, owner_id)?;
    if let Some(rest) = &constant_rest {
        for used in &sharing.uses_here {
            if !argument_like(*used) {
                return None;
            }
            matches.push((*used, rest.clone()));
        }
    }
    if matches.is_empty() {
        return None;
    }
    if sharing.is_shared() {
        let under = |p: &str| namespace.under(p).is_some();
        let mut uses: Vec<Node> = literals_here.clone();
        uses.extend(sharing.uses_here.iter().copied());
        if !self_contained(model, owner_id, &uses, writes, under) {
            return None;
        }
        for other in &sharing.tests {
            let other_function = function_node(model, *other)?;
            let mut uses: Vec<Node> = super::edits::strings_in(other_function)
                .into_iter()
                .filter(|s| {
                    is_plain(*s, source) && string_value(*s, source).is_some_and(|v| under(&v))
                })
                .collect();
            uses.extend(constant_reads_in(model, &sharing.constants, other_function));
            if !self_contained(model, *other, &uses, writes, under) {
                return None;
            }
        }
    }
    let applicability = if sharing.read_by_module_code {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    if owner.unittest {
        let edits = unittest_edits(model, owner_id, owner, function, &matches)?;
        return Fix::new(applicability, edits);
    }
    let mut edits: Vec<Edit> = add_parameter(function, source, "tmp_path")?
        .edit()
        .into_iter()
        .collect();
    for (node, rest) in &matches {
        edits.push(rewrite(model, owner_id, *node, rest, sink));
    }
    Fix::new(applicability, edits)
}

/// A name passed to a call (positionally or as a keyword's value): where a path is accepted.
fn argument_like(node: Node) -> bool {
    node.parent().is_some_and(|p| {
        kind_of(p) == kind::ARGUMENT_LIST
            || kind_of(p) == kind::KEYWORD_ARGUMENT
                && p.child_by_field_id(field::VALUE.id())
                    .is_some_and(|v| v.id() == node.id())
    })
}

/// The reads of module constants `names` inside `function`.
fn constant_reads_in<'t>(
    model: &FileModel<'t>,
    names: &[&str],
    function: Node<'t>,
) -> Vec<Node<'t>> {
    if names.is_empty() {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut stack = vec![function];
    let mut cursor = function.walk();
    while let Some(node) = stack.pop() {
        stack.extend(node.children(&mut cursor));
        if kind_of(node) == kind::IDENTIFIER
            && names.contains(&text(node, model.source))
            && !super::edits::is_member_or_keyword(node)
        {
            found.push(node);
        }
    }
    found
}

/// A non-interpolated, non-bytes, non-raw string: its value is its text.
pub(super) fn is_plain(string: Node, source: &str) -> bool {
    let whole = text(string, source);
    let prefix = &whole[..whole.find(['"', '\'']).unwrap_or(0)];
    // An interpolation starts with a `{`: most strings have none and need no visit.
    prefix.chars().all(|c| matches!(c, 'u' | 'U'))
        && (!whole.contains('{')
            || !named_children(string).any(|c| kind_of(c) == kind::INTERPOLATION))
}

/// `"out..."` or `'out...'` at the start of a string the model cannot read whole (an f-string).
fn mentions_at_start(raw: &str, needle: &str) -> bool {
    let body = raw.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    body.trim_start_matches(['"', '\'']).starts_with(needle)
}

/// A literal that can be replaced by an expression: not a docstring, not part of an implicit
/// concatenation.
fn rewritable(string: Node) -> bool {
    match string.parent() {
        Some(parent) if kind_of(parent) == kind::CONCATENATED_STRING => false,
        Some(parent) if kind_of(parent) == kind::EXPRESSION_STATEMENT => false,
        _ => true,
    }
}

/// The literal is used only where a path is: a call's argument (an argument list of a command
/// included), or the value of a local name that is itself only passed to calls. Anything else (a
/// dictionary key, a comparison, a message) reads the text, which the fix changes: the library
/// under test may key its result by the name it was given.
pub(super) fn used_as_path(string: Node, function: Node, source: &str) -> bool {
    let Some(parent) = string.parent() else {
        return false;
    };
    match kind_of(parent) {
        kind::ARGUMENT_LIST => true,
        kind::KEYWORD_ARGUMENT => parent
            .child_by_field_id(field::VALUE.id())
            .is_some_and(|v| v.id() == string.id()),
        kind::LIST | kind::TUPLE => parent
            .parent()
            .is_some_and(|p| kind_of(p) == kind::ARGUMENT_LIST),
        kind::ASSIGNMENT => {
            let Some(left) = parent.child_by_field_id(field::LEFT.id()) else {
                return false;
            };
            kind_of(left) == kind::IDENTIFIER
                && parent
                    .child_by_field_id(field::RIGHT.id())
                    .is_some_and(|r| r.id() == string.id())
                && name_only_passed_to_calls(text(left, source), parent, function, source)
        }
        _ => false,
    }
}

/// Every other mention of `name` in the function is a call's argument (and nothing rebinds it).
fn name_only_passed_to_calls(name: &str, assignment: Node, function: Node, source: &str) -> bool {
    let mut cursor = function.walk();
    let mut stack = vec![function];
    while let Some(node) = stack.pop() {
        if kind_of(node) == kind::IDENTIFIER && text(node, source) == name {
            let Some(parent) = node.parent() else {
                return false;
            };
            let is_target = parent.id() == assignment.id()
                && parent
                    .child_by_field_id(field::LEFT.id())
                    .is_some_and(|l| l.id() == node.id());
            let is_argument = kind_of(parent) == kind::ARGUMENT_LIST
                || kind_of(parent) == kind::KEYWORD_ARGUMENT
                    && parent
                        .child_by_field_id(field::VALUE.id())
                        .is_some_and(|v| v.id() == node.id());
            if !is_target && !is_argument {
                return false;
            }
        }
        stack.extend(node.children(&mut cursor));
    }
    true
}

/// The replacement of one literal: the sink's own path argument becomes `tmp_path / "rest"` when
/// the sink takes path objects, `Path("...")` becomes the path object, and any
/// other use keeps a `str`.
pub(super) fn rewrite(
    model: &FileModel,
    scope: ScopeId,
    string: Node,
    rest: &str,
    sink: &Sink,
) -> Edit {
    let takes_path_objects = PATH_OBJECT_SINKS.contains(&sink.callee);
    let joined = format!("tmp_path / \"{rest}\"");
    let parent = string.parent();
    let direct_argument = parent.is_some_and(|p| {
        p.parent().is_some_and(|c| c.id() == sink.call.id()) && kind_of(p) == kind::ARGUMENT_LIST
            || kind_of(p) == kind::KEYWORD_ARGUMENT
                && p.parent()
                    .and_then(|l| l.parent())
                    .is_some_and(|c| c.id() == sink.call.id())
    });
    if direct_argument
        && takes_path_objects
        && !sink.guessed
        && matches!(sink.op, PathOp::Write | PathOp::CreateDir)
    {
        return Edit::replace(string.start_byte(), string.end_byte(), joined);
    }
    if let Some(call) = parent
        .filter(|p| kind_of(p) == kind::ARGUMENT_LIST && named_children(*p).count() == 1)
        .and_then(|p| p.parent())
        .filter(|c| kind_of(c) == kind::CALL)
    {
        let is_path = call
            .child_by_field_id(field::FUNCTION.id())
            .and_then(|f| model.qualified_name(f, scope))
            .is_some_and(|q| q == "pathlib.Path" || q == "pathlib.PurePath");
        if is_path {
            // A path object stays one; parenthesised where an attribute or call follows.
            let needs_parens = call.parent().is_some_and(|p| {
                matches!(kind_of(p), kind::ATTRIBUTE | kind::SUBSCRIPT | kind::CALL)
                    || kind_of(p) == kind::BINARY_OPERATOR
            });
            let content = if needs_parens {
                format!("({joined})")
            } else {
                joined
            };
            return Edit::replace(call.start_byte(), call.end_byte(), content);
        }
    }
    Edit::replace(
        string.start_byte(),
        string.end_byte(),
        format!("str({joined})"),
    )
}

/// A unittest method makes its own folder first and removes it when the test ends; every literal
/// becomes a path in it (a `str`, as the literal was).
pub(super) fn unittest_edits<S: AsRef<str>>(
    model: &FileModel,
    owner_id: ScopeId,
    owner: &Owner,
    function: Node,
    matches: &[(Node, S)],
) -> Option<Vec<Edit>> {
    let source = model.source;
    if !matches!(owner.role, Role::Test | Role::Setup)
        || parameter_names(function, source).first() != Some(&"self")
        || model.scopes[owner_id].name.ends_with("Class")
        || model
            .subtree(owner_id)
            .any(|s| model.scopes[s].bindings.contains_key(PRIVATE_DIR))
    {
        return None;
    }
    let mut edits: Vec<Edit> = add_imports(
        model,
        &[
            ("os", "os", "import os"),
            ("shutil", "shutil", "import shutil"),
            ("tempfile", "tempfile", "import tempfile"),
        ],
    )?
    .into_iter()
    .collect();
    edits.push(insert_at_body_start(
        function,
        source,
        &[
            format!("{PRIVATE_DIR} = tempfile.mkdtemp()"),
            format!("self.addCleanup(shutil.rmtree, {PRIVATE_DIR}, ignore_errors=True)"),
        ],
    )?);
    for (string, rest) in matches {
        edits.push(Edit::replace(
            string.start_byte(),
            string.end_byte(),
            format!("os.path.join({PRIVATE_DIR}, \"{}\")", rest.as_ref()),
        ));
    }
    Some(edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_of_paths() {
        let ns = Namespace::of("/tmp/app/out.json").unwrap();
        assert_eq!((ns.base, ns.top), ("/tmp", "app"));
        assert_eq!(ns.under("/tmp/app"), Some("app"));
        assert_eq!(ns.under("/tmp/app/"), Some("app"));
        assert_eq!(ns.under("/tmp/app/x/y"), Some("app/x/y"));
        assert_eq!(ns.under("/tmp/apple"), None);
        let rel = Namespace::of("out/report.txt").unwrap();
        assert_eq!(rel.under("out"), Some("out"));
        assert_eq!(rel.under("/tmp/out"), None);
        for refused in [
            "/tmp/",
            "/tmp",
            "~/x",
            "$TMPDIR/x",
            "../x",
            "/etc/x",
            "C:\\x",
            "a\"b",
            "/tmp/{x}",
        ] {
            assert!(Namespace::of(refused).is_none(), "{refused}");
        }
    }
}
