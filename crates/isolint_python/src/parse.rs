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

#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    /// tree-sitter gave up (it only does so when cancelled or out of memory).
    NoTree,
    /// More nested blocks than the parser can hold: tree-sitter-python's scanner keeps its
    /// indentation stack in a 1 KiB buffer and aborts the whole process past ~500 levels. CPython
    /// itself refuses more than 100, so such a file is not valid Python anyway.
    TooDeeplyIndented { line: usize, levels: usize },
}

/// The most indentation levels isolint hands to the parser (CPython accepts 100).
pub const MAX_INDENT_LEVELS: usize = 256;

pub fn parse(parser: &mut Parser, source: &str) -> Result<Tree, ParseError> {
    if let Some((line, levels)) = too_deep_indentation(source) {
        return Err(ParseError::TooDeeplyIndented { line, levels });
    }
    parser.parse(source, None).ok_or(ParseError::NoTree)
}

/// The first line (1-based) where the stack of indentation levels passes [`MAX_INDENT_LEVELS`].
/// Continuation lines are counted too, which can only overcount: the guard stays on the safe side.
fn too_deep_indentation(source: &str) -> Option<(usize, usize)> {
    // Most files are nowhere near: skip the stack unless some line is indented that far. The
    // stack cannot pass the limit without a line that deep, nor such a line exist without a run of
    // that many blanks somewhere, and a run that long covers a probe every half its length.
    if !has_blank_run(source.as_bytes(), MAX_INDENT_LEVELS) {
        return None;
    }
    let mut stack: Vec<usize> = vec![0];
    for (index, line) in source.lines().enumerate() {
        let content = line.trim_start_matches([' ', '\t']);
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let width = line.len() - content.len();
        while stack.last().is_some_and(|top| *top > width) {
            stack.pop();
        }
        if stack.last().is_some_and(|top| *top < width) {
            stack.push(width);
        }
        let levels = stack.len() - 1;
        if levels > MAX_INDENT_LEVELS {
            return Some((index + 1, levels));
        }
    }
    None
}

/// Whether `bytes` hold `length` spaces or tabs in a row: only the blanks at every
/// `length / 2`-th byte are looked around, not every byte.
fn has_blank_run(bytes: &[u8], length: usize) -> bool {
    let blank = |b: &u8| matches!(b, b' ' | b'\t');
    let step = (length / 2).max(1);
    let mut probe = 0;
    while probe < bytes.len() {
        if blank(&bytes[probe]) {
            let before = bytes[..probe].iter().rev().take_while(|b| blank(b)).count();
            let after = bytes[probe..].iter().take_while(|b| blank(b)).count();
            if before + after >= length {
                return true;
            }
        }
        probe += step;
    }
    false
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
    fn blank_runs_are_found_wherever_they_start() {
        for start in 0..300 {
            let mut text = "x".repeat(start);
            text.push_str(&" \t".repeat(128));
            text.push('y');
            assert!(has_blank_run(text.as_bytes(), 256), "{start}");
            text.remove(start);
            assert!(!has_blank_run(text.as_bytes(), 256), "{start}");
        }
    }

    #[test]
    fn refuses_indentation_the_scanner_cannot_hold() {
        let mut parser = python_parser();
        let mut source = String::new();
        for level in 0..600 {
            source.push_str(&" ".repeat(level));
            source.push_str("if x:\n");
        }
        source.push_str(&" ".repeat(600));
        source.push_str("f('a')\n");
        match parse(&mut parser, &source) {
            Err(ParseError::TooDeeplyIndented { line, levels }) => {
                assert_eq!(line, MAX_INDENT_LEVELS + 2);
                assert_eq!(levels, MAX_INDENT_LEVELS + 1);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Deep but legal nesting still parses.
        let legal: String = (0..50)
            .map(|l| format!("{}if x:\n", " ".repeat(l)))
            .collect::<String>()
            + &" ".repeat(50)
            + "f('a')\n";
        assert!(parse(&mut parser, &legal).is_ok());
    }

    #[test]
    fn clean_file_has_no_errors() {
        let mut parser = python_parser();
        let tree = parse(&mut parser, "x = 1\n").unwrap();
        assert!(syntax_errors(&tree).is_empty());
    }
}
