//! Query strings as templates: the text of a string expression with the parts isolint cannot know
//! replaced by holes ([`crate::query_tokens`]). Unlike [`crate::eval`], which gives up on a string
//! with any unknown part, a template keeps the fixed parts around an unknown one, which is what
//! tells `f"MATCH (n) DETACH DELETE n {suffix}"` (graph-wide) from `f"MATCH (n:{label}) ..."`.

use crate::eval::Evaluator;
use crate::knowledge::last_component;
use crate::model::{unescape, BindingValue, ScopeId};
use crate::query_tokens::{UNIQUE_HOLE, UNKNOWN_HOLE};
use crate::services::QUERY_WRAPPERS;
use crate::syntax::{field, kind, kind_of, named_children, text, unparenthesize};
use crate::value::{Root, Value};
use tree_sitter::Node;

const MAX_DEPTH: usize = 16;

/// The template of a string expression; `None` when the expression is not known to be a string.
pub fn template(eval: &Evaluator, node: Node, scope: ScopeId) -> Option<String> {
    template_at(eval, node, scope, 0)
}

fn template_at(eval: &Evaluator, node: Node, scope: ScopeId, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    let model = eval.model();
    let source = model.source;
    let node = unparenthesize(node);
    match kind_of(node) {
        kind::STRING => Some(string(eval, node, scope, depth)),
        kind::CONCATENATED_STRING => Some(
            named_children(node)
                .map(|part| piece(eval, part, scope, depth + 1))
                .collect(),
        ),
        kind::BINARY_OPERATOR => {
            let left = node.child_by_field_id(field::LEFT.id())?;
            let right = node.child_by_field_id(field::RIGHT.id())?;
            let op = node.child_by_field_id(field::OPERATOR.id())?;
            match text(op, source) {
                "+" => {
                    let left = template_at(eval, left, scope, depth + 1)?;
                    Some(left + &piece(eval, right, scope, depth + 1))
                }
                "%" => {
                    let format = template_at(eval, left, scope, depth + 1)?;
                    let args: Vec<String> = match kind_of(unparenthesize(right)) {
                        kind::TUPLE => named_children(unparenthesize(right))
                            .map(|a| piece(eval, a, scope, depth + 1))
                            .collect(),
                        _ => vec![piece(eval, right, scope, depth + 1)],
                    };
                    Some(percent_fill(&format, &args))
                }
                _ => value_piece(eval.eval(node, scope)),
            }
        }
        kind::IDENTIFIER => {
            let name = text(node, source);
            match model.lookup(name, scope, node.start_byte()) {
                Some((binding_scope, binding)) => match binding.value {
                    BindingValue::Expr(expr) => template_at(eval, expr, binding_scope, depth + 1)
                        .or_else(|| value_piece(eval.eval(node, scope))),
                    _ => value_piece(eval.eval(node, scope)),
                },
                None => None,
            }
        }
        kind::CALL => {
            let callee = eval.model().callee(node)?;
            let (object, method) = eval.model().attribute_parts(callee);
            match (kind_of(callee), method.map(|m| text(m, source)), object) {
                (kind::ATTRIBUTE, Some("format"), Some(object)) => {
                    let format = template_at(eval, object, scope, depth + 1)?;
                    let args = eval.model().call_args(node);
                    let positional: Vec<String> = args
                        .positional
                        .iter()
                        .map(|a| piece(eval, *a, scope, depth + 1))
                        .collect();
                    let keywords: Vec<(&str, String)> = args
                        .keywords
                        .iter()
                        .map(|(k, v)| (*k, piece(eval, *v, scope, depth + 1)))
                        .collect();
                    Some(brace_fill(&format, &positional, &keywords))
                }
                (kind::ATTRIBUTE, Some("strip" | "lstrip" | "rstrip" | "upper"), Some(object)) => {
                    template_at(eval, object, scope, depth + 1)
                }
                _ if QUERY_WRAPPERS.contains(&last_component(text(callee, source))) => {
                    let args = eval.model().call_args(node);
                    template_at(eval, *args.positional.first()?, scope, depth + 1)
                }
                _ => value_piece(eval.eval(node, scope)),
            }
        }
        _ => value_piece(eval.eval(node, scope)),
    }
}

/// A part of a template: its text, or a hole.
fn piece(eval: &Evaluator, node: Node, scope: ScopeId, depth: usize) -> String {
    template_at(eval, node, scope, depth).unwrap_or_else(|| UNKNOWN_HOLE.to_string())
}

fn value_piece(value: Value) -> Option<String> {
    match value {
        Value::Text(t) if t.root == Root::Literal => Some(t.text),
        Value::Unique(_) => Some(UNIQUE_HOLE.to_string()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

fn string(eval: &Evaluator, node: Node, scope: ScopeId, depth: usize) -> String {
    let source = eval.model().source;
    let formatted = named_children(node)
        .find(|c| kind_of(c) == kind::STRING_START)
        .is_some_and(|start| text(start, source).to_ascii_lowercase().contains('f'));
    let mut out = String::new();
    for child in named_children(node) {
        match kind_of(child) {
            kind::STRING_START | kind::STRING_END => {}
            kind::STRING_CONTENT if formatted => {
                out.push_str(&text(child, source).replace("{{", "{").replace("}}", "}"))
            }
            kind::STRING_CONTENT => out.push_str(text(child, source)),
            kind::ESCAPE_SEQUENCE => out.push_str(&unescape(text(child, source))),
            kind::INTERPOLATION => match child.child_by_field_id(field::EXPRESSION.id()) {
                Some(expr) => out.push_str(&piece(eval, expr, scope, depth + 1)),
                None => out.push(UNKNOWN_HOLE),
            },
            _ => out.push(UNKNOWN_HOLE),
        }
    }
    out
}

/// `"...%s..." % args`, each `%s`/`%d`/`%r` replaced by its argument's piece.
fn percent_fill(format: &str, args: &[String]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'd' | 'r' | 'i') => match args.next() {
                Some(arg) => out.push_str(arg),
                None => out.push(UNKNOWN_HOLE),
            },
            Some(other) => {
                out.push(UNKNOWN_HOLE);
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// `"...{}...{name}...".format(...)`; `{{`/`}}` are literal braces (Cypher maps).
fn brace_fill(format: &str, positional: &[String], keywords: &[(&str, String)]) -> String {
    let mut out = String::new();
    let mut next_index = 0;
    let mut rest = format;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(after) = tail.strip_prefix('}') {
            out.push('}');
            rest = after;
            continue;
        }
        let Some(close) = tail.find('}') else {
            out.push_str(tail);
            return out;
        };
        let field_name = tail[1..close]
            .split([':', '!', '.', '['])
            .next()
            .unwrap_or("");
        let value = if field_name.is_empty() {
            next_index += 1;
            positional.get(next_index - 1)
        } else if let Ok(index) = field_name.parse::<usize>() {
            positional.get(index)
        } else {
            keywords
                .iter()
                .find(|(k, _)| *k == field_name)
                .map(|(_, v)| v)
        };
        match value {
            Some(v) => out.push_str(v),
            None => out.push(UNKNOWN_HOLE),
        }
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assigned, with_model};

    /// The template of the right side of the last `probe = ...` in `source`.
    fn probe(source: &str) -> Option<String> {
        with_model(source, |model| {
            let (scope, expr) = assigned(model, "probe");
            template(&Evaluator::new(model, &[]), expr, scope)
        })
    }

    #[test]
    fn holes_keep_the_fixed_parts() {
        assert_eq!(
            probe("def f(x):\n    probe = f'MATCH (n) DETACH DELETE n {x}'\n"),
            Some(format!("MATCH (n) DETACH DELETE n {UNKNOWN_HOLE}"))
        );
        assert_eq!(
            probe(
                "def test_a(worker_id):\n    probe = f'MATCH (n:T{worker_id} {{a: 1}}) RETURN n'\n"
            ),
            Some(format!("MATCH (n:T{UNIQUE_HOLE} {{a: 1}}) RETURN n"))
        );
        assert_eq!(
            probe("Q = '''\nMATCH (n)\nDETACH DELETE n\n'''\ndef f():\n    probe = Q + ' // ' + 'x'\n"),
            Some("\nMATCH (n)\nDETACH DELETE n\n // x".into())
        );
        assert_eq!(
            probe("import uuid\ndef f(x):\n    probe = 'CREATE DATABASE {}; {y}'.format(uuid.uuid4(), y=x)\n"),
            Some(format!("CREATE DATABASE {UNIQUE_HOLE}; {UNKNOWN_HOLE}"))
        );
        assert_eq!(
            probe("def f():\n    probe = 'DROP DATABASE %s' % 'testdb'\n"),
            Some("DROP DATABASE testdb".into())
        );
        assert_eq!(
            probe("from sqlalchemy import text\ndef f():\n    probe = text('DROP SCHEMA s')\n"),
            Some("DROP SCHEMA s".into())
        );
        assert_eq!(probe("def f(x):\n    probe = x\n"), None);
    }
}
