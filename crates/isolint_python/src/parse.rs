//! Parsing with tree-sitter-python, and the parts of a tree that did not parse.

use crate::source::Span;
use tree_sitter::{Parser, Tree};

/// Creates a parser for Python. One per thread: tree-sitter parsers are not shared.
pub fn python_parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("the bundled tree-sitter-python grammar matches the tree-sitter ABI");
    parser
}

#[derive(Debug)]
pub enum ParseError {
    /// tree-sitter gave up (it only does so when cancelled or out of memory).
    NoTree,
}

pub fn parse(parser: &mut Parser, source: &str) -> Result<Tree, ParseError> {
    parser.parse(source, None).ok_or(ParseError::NoTree)
}

/// The outermost ERROR and MISSING nodes of a tree, in source order. Iterative: a deeply nested file
/// cannot overflow the stack here.
pub fn syntax_errors(tree: &Tree) -> Vec<Span> {
    let mut errors = Vec::new();
    if !tree.root_node().has_error() {
        return errors;
    }
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            errors.push(Span::of(node));
        } else if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_error_spans_and_keeps_the_rest() {
        let mut parser = python_parser();
        let source = "def ok():\n    pass\n\ndef broken(:\n    pass\n";
        let tree = parse(&mut parser, source).unwrap();
        let errors = syntax_errors(&tree);
        assert!(!errors.is_empty());
        assert!(errors[0].start >= source.find("def broken").unwrap());
    }

    #[test]
    fn clean_file_has_no_errors() {
        let mut parser = python_parser();
        let tree = parse(&mut parser, "x = 1\n").unwrap();
        assert!(syntax_errors(&tree).is_empty());
    }
}
