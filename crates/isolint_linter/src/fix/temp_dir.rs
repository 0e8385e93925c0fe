//! The fix of ISO101 for a fixed path under the temp folder named through `tempfile` or the
//! environment rather than as `/tmp`: `os.path.join(tempfile.gettempdir(), "x")`,
//! `os.environ["TMPDIR"] + "/x"`, `os.path.join(os.environ.get("TMPDIR", "/tmp"), "x")`,
//! `Path(tempfile.gettempdir()) / "x"`, `f"{tempfile.gettempdir()}/x"`. Each such expression
//! becomes `tmp_path / "x"` (or `str(...)` where a string was), as the literal fix does.
//!
//! The fix is offered only when every mention of the temp folder in the function is one of those
//! expressions with a fixed tail (no local name holding the folder, no other use of it), and the
//! path's first name under the folder appears nowhere else in the file.

use super::edits::{add_parameter, can_take_fixture, function_node};
use super::tmp_path::{
    is_plain, rewrite, unittest_edits, used_as_path, FileString, Namespace, Sink,
};
use super::{Edit, Fix};
use crate::context::Owner;
use isolint_python::eval::Evaluator;
use isolint_python::model::{FileModel, Role, ScopeId};
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, named_children, text, CallArgs};
use isolint_python::value::{Root, Text, Value};
use tree_sitter::Node;

/// Words in an expression's text that may name the temp folder; other nodes are not evaluated.
const TEMP_WORDS: &[&str] = &["gettempdir", "TMP", "TEMP", "tempdir"];

/// One expression naming a path under the temp folder, and that path's part under it.
struct TempPath<'t> {
    node: Node<'t>,
    tail: String,
    path_object: bool,
}

/// The safe fix for a write to a fixed path under the temp folder, or `None`.
pub fn fix<'t>(
    model: &FileModel<'t>,
    eval: &Evaluator<'_, 't>,
    strings: &[FileString<'t>],
    (owner_id, owner): (ScopeId, &Owner),
    path: &Text,
    sink: &Sink<'t, '_>,
) -> Option<Fix> {
    if path.root != Root::TempDir {
        return None;
    }
    let source = model.source;
    let wanted = Namespace::of(path.text.trim_start_matches('/'))?;
    let function = function_node(model, owner_id)?;
    let mut matches: Vec<TempPath> = Vec::new();
    for folder in temp_folders(model, eval, function, owner_id) {
        let found = climb(model, folder, owner_id)?;
        let top = Namespace::of(&found.tail)?.top;
        if top == wanted.top {
            let as_path = used_as_path(found.node, function, source)
                || found.path_object && is_sink_receiver(found.node, sink);
            if !as_path {
                return None;
            }
            matches.push(found);
        }
    }
    // The effect's path comes from one of them: a folder held elsewhere (a module constant) would
    // leave no expression here, or its name would show below.
    if matches.is_empty() {
        return None;
    }
    // The same name elsewhere: another test or a helper may use the same file.
    let inside_match = |n: Node| {
        matches
            .iter()
            .any(|m| m.node.byte_range().contains(&n.start_byte()))
    };
    for FileString {
        node: string,
        plain_value,
        ..
    } in strings
    {
        if inside_match(*string) {
            continue;
        }
        let mentions = match plain_value {
            Some(value) => value.split(['/', '\\']).any(|part| part == wanted.top),
            None => text(*string, source).contains(wanted.top),
        };
        if mentions {
            return None;
        }
    }
    if owner.unittest {
        if matches.iter().any(|m| m.path_object) {
            return None;
        }
        let pairs: Vec<(Node, &str)> = matches.iter().map(|m| (m.node, m.tail.as_str())).collect();
        return Fix::safe(unittest_edits(model, owner_id, owner, function, &pairs)?);
    }
    let pytest_owner = owner.role == Role::Test
        || owner.role == Role::Fixture && owner.fixture_scope.as_deref() == Some("function");
    if !pytest_owner || !can_take_fixture(model, owner_id, "tmp_path") {
        return None;
    }
    let mut edits: Vec<Edit> = add_parameter(function, source, "tmp_path")?
        .edit()
        .into_iter()
        .collect();
    for found in &matches {
        edits.push(if found.path_object {
            let joined = format!("tmp_path / \"{}\"", found.tail);
            let needs_parens = found.node.parent().is_some_and(|p| {
                matches!(
                    kind_of(p),
                    kind::ATTRIBUTE | kind::SUBSCRIPT | kind::CALL | kind::BINARY_OPERATOR
                )
            });
            let content = if needs_parens {
                format!("({joined})")
            } else {
                joined
            };
            Edit::replace(found.node.start_byte(), found.node.end_byte(), content)
        } else {
            rewrite(model, owner_id, found.node, &found.tail, sink)
        });
    }
    Fix::safe(edits)
}

/// The expressions of `function` whose value is the temp folder itself, outermost first
/// (`Path(tempfile.gettempdir())` rather than the call inside it).
fn temp_folders<'t>(
    model: &FileModel<'t>,
    eval: &Evaluator<'_, 't>,
    function: Node<'t>,
    owner_id: ScopeId,
) -> Vec<Node<'t>> {
    let source = model.source;
    let mut found = Vec::new();
    let mut stack = vec![function];
    while let Some(node) = stack.pop() {
        let raw = text(node, source);
        if !TEMP_WORDS.iter().any(|w| raw.contains(w)) {
            continue;
        }
        if matches!(
            kind_of(node),
            kind::CALL | kind::SUBSCRIPT | kind::ATTRIBUTE | kind::IDENTIFIER
        ) {
            let scope = model.scope_at(node.start_byte(), owner_id);
            if let Value::Text(t) = eval.eval(node, scope) {
                if t.root == Root::TempDir && t.text.trim_matches('/').is_empty() {
                    found.push(node);
                    continue;
                }
            }
        }
        stack.extend(named_children(node));
    }
    found.sort_by_key(|n| n.start_byte());
    found
}

/// From the temp folder up to the whole path expression: `os.path.join(folder, "a", "b")`,
/// `folder + "/a"`, `Path(folder) / "a"`, `f"{folder}/a"`, chained. `None` when the folder is used
/// any other way (held in a name, joined with something not a plain string).
fn climb<'t>(model: &FileModel<'t>, folder: Node<'t>, scope: ScopeId) -> Option<TempPath<'t>> {
    let source = model.source;
    if kind_of(folder) == kind::IDENTIFIER {
        return None;
    }
    let mut current = folder;
    let mut tail = String::new();
    let mut path_object = is_path_call(model, folder, scope);
    while let Some(parent) = current.parent() {
        match kind_of(parent) {
            kind::ARGUMENT_LIST => {
                let Some(call) = parent.parent().filter(|c| kind_of(c) == kind::CALL) else {
                    break;
                };
                let args = CallArgs::of(call, source);
                let joins = call
                    .child_by_field_id(field::FUNCTION.id())
                    .and_then(|f| model.qualified_name(f, scope))
                    .is_some_and(|q| q == "os.path.join" || q == "posixpath.join");
                if joins && args.keywords.is_empty() && args.positional.first() == Some(&current) {
                    for part in &args.positional[1..] {
                        push_part(&mut tail, plain_text(*part, source)?);
                    }
                    current = call;
                    path_object = false;
                } else if tail.is_empty()
                    && args.positional.len() == 1
                    && is_path_call(model, call, scope)
                {
                    current = call;
                    path_object = true;
                } else {
                    break;
                }
            }
            kind::BINARY_OPERATOR => {
                let operator = parent
                    .child_by_field_id(field::OPERATOR.id())
                    .map(|o| text(o, source));
                let left = parent.child_by_field_id(field::LEFT.id());
                let right = parent.child_by_field_id(field::RIGHT.id());
                let (Some(left), Some(right)) = (left, right) else {
                    break;
                };
                if left.id() != current.id() {
                    break;
                }
                let part = plain_text(right, source)?;
                match operator {
                    Some("/") if path_object => push_part(&mut tail, part),
                    Some("+") if !path_object && part.starts_with('/') => {
                        push_part(&mut tail, part)
                    }
                    _ => return None,
                }
                current = parent;
            }
            "interpolation" => {
                let string = parent.parent().filter(|s| kind_of(s) == kind::STRING)?;
                let rest = fstring_tail(string, parent, source)?;
                push_part(&mut tail, rest);
                current = string;
                path_object = false;
            }
            "parenthesized_expression" => current = parent,
            _ => break,
        }
    }
    let tail = tail.trim_matches('/').to_string();
    (!tail.is_empty() && !tail.contains("//")).then_some(TempPath {
        node: current,
        tail,
        path_object,
    })
}

/// `Path(x)` or `PurePath(x)`.
fn is_path_call(model: &FileModel, node: Node, scope: ScopeId) -> bool {
    kind_of(node) == kind::CALL
        && node
            .child_by_field_id(field::FUNCTION.id())
            .and_then(|f| model.qualified_name(f, scope))
            .is_some_and(|q| q == "pathlib.Path" || q == "pathlib.PurePath")
}

/// The text of a plain string literal.
fn plain_text<'s>(node: Node, source: &'s str) -> Option<&'s str> {
    if kind_of(node) != kind::STRING || !is_plain(node, source) {
        return None;
    }
    let whole = text(node, source);
    let quote = if whole.ends_with("\"\"\"") || whole.ends_with("'''") {
        3
    } else {
        1
    };
    let start = whole.find(['"', '\''])? + quote;
    let body = whole.get(start..whole.len().checked_sub(quote)?)?;
    (!body.contains('\\')).then_some(body)
}

/// `f"{folder}/a/b"`: the folder first, then fixed text starting with `/`, nothing else.
fn fstring_tail<'s>(string: Node, interpolation: Node, source: &'s str) -> Option<&'s str> {
    let whole = text(string, source);
    let prefix_len = whole.find(['"', '\''])?;
    if !whole[..prefix_len].eq_ignore_ascii_case("f")
        || interpolation
            .child_by_field_id(field::FORMAT_SPECIFIER.id())
            .is_some()
        || named_children(interpolation).count() != 1
    {
        return None;
    }
    let parts: Vec<Node> = named_children(string)
        .filter(|c| !matches!(kind_of(c), "string_start" | "string_end"))
        .collect();
    match parts.as_slice() {
        [first, rest] if first.id() == interpolation.id() && kind_of(rest) == "string_content" => {
            let tail = text(*rest, source);
            (tail.starts_with('/') && !tail.contains(['{', '}', '\\'])).then_some(tail)
        }
        _ => None,
    }
}

fn push_part(tail: &mut String, part: &str) {
    if !tail.is_empty() && !part.starts_with('/') {
        tail.push('/');
    }
    tail.push_str(part);
}

/// `(path).write_text(...)`: the path object is what the sink method is called on.
fn is_sink_receiver(node: Node, sink: &Sink) -> bool {
    node.parent().is_some_and(|attribute| {
        kind_of(attribute) == kind::ATTRIBUTE
            && attribute
                .child_by_field_id(field::OBJECT.id())
                .is_some_and(|o| o.id() == node.id())
            && sink
                .call
                .child_by_field_id(field::FUNCTION.id())
                .is_some_and(|f| f.id() == attribute.id())
    })
}
