//! Compares `isolint_python::walk::Walk` with tree-sitter's `TreeCursor` over every `.py` file
//! under the folders given: the same steps from each file's root, and the same children from
//! every node. Too slow for CI on a whole corpus; run it once after changing `c/walk.c`:
//!
//! `cargo run --release -p isolint_python --example walk_compare -- DIR...`
//!
//! With `--cost cursor|walk|none` first, it compares nothing and only walks each parsed tree the way
//! the model does (node, kind, field, steps), for instruction counts under valgrind (`none`: the
//! parse alone, to subtract).

use std::process::ExitCode;

use isolint_python::parse::{parse, python_parser};
use isolint_python::walk::{cursor_steps, walk_steps};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let cost = match args.first().map(String::as_str) {
        Some("--cost") if args.len() > 1 => {
            let walker = args[1].clone();
            args.drain(..2);
            Some(walker)
        }
        _ => None,
    };
    let mut parser = python_parser();
    let (mut files, mut nodes, mut failures) = (0usize, 0usize, 0usize);
    for dir in &args {
        for entry in ignore::WalkBuilder::new(dir)
            .standard_filters(false)
            .build()
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_none_or(|ext| ext != "py") || !path.is_file() {
                continue;
            }
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            let source = String::from_utf8_lossy(&bytes);
            let Ok(tree) = parse(&mut parser, &source) else {
                continue;
            };
            files += 1;
            if let Some(walker) = &cost {
                nodes += match walker.as_str() {
                    "cursor" => visit_by_cursor(&tree),
                    "walk" => visit_by_walk(&tree),
                    _ => 0,
                };
                continue;
            }
            match compare(&tree) {
                Ok(count) => nodes += count,
                Err(message) => {
                    failures += 1;
                    eprintln!("{}: {message}", path.display());
                }
            }
        }
    }
    println!("{files} files, {nodes} nodes, {failures} files differ");
    if failures == 0 && files > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The whole walk from the root, then the walk from each node it visits (`NamedChildren` starts
/// walks on inner nodes), compared only down to that node's children to stay linear.
fn compare(tree: &tree_sitter::Tree) -> Result<usize, String> {
    let root = tree.root_node();
    let expected = cursor_steps(root);
    let actual = walk_steps(root);
    if expected != actual {
        let at = expected
            .iter()
            .zip(&actual)
            .position(|(a, b)| a != b)
            .unwrap_or(expected.len().min(actual.len()));
        return Err(format!(
            "from the root, step {at}: cursor {:?}, walk {:?}",
            expected.get(at),
            actual.get(at)
        ));
    }
    let mut cursor = root.walk();
    let mut compared = 0usize;
    'nodes: loop {
        let node = cursor.node();
        compared += 1;
        if children(node, true) != children(node, false) {
            return Err(format!(
                "children of the node at byte {}",
                node.start_byte()
            ));
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'nodes;
            }
        }
    }
    Ok(compared)
}

/// A node's children with their field ids, by the cursor or by the walk.
fn children(
    node: tree_sitter::Node<'_>,
    by_cursor: bool,
) -> Vec<(usize, Option<std::num::NonZeroU16>)> {
    let mut out = Vec::new();
    if by_cursor {
        let mut cursor = node.walk();
        if cursor.goto_first_child() {
            loop {
                out.push((cursor.node().id(), cursor.field_id()));
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        out.push((usize::from(cursor.goto_parent()), None));
    } else {
        let mut walk = isolint_python::walk::Walk::new(node);
        if walk.goto_first_child() {
            loop {
                out.push((walk.node().id(), walk.field_id()));
                if !walk.goto_next_sibling() {
                    break;
                }
            }
        }
        out.push((usize::from(walk.goto_parent()), None));
    }
    out
}

fn visit_by_cursor(tree: &tree_sitter::Tree) -> usize {
    let mut cursor = tree.walk();
    let (mut visited, mut sum) = (0usize, 0usize);
    let mut parents: Vec<u16> = Vec::new();
    'walk: loop {
        visited += 1;
        let node = cursor.node();
        sum = sum.wrapping_add(usize::from(node.kind_id()));
        if parents.last().is_some_and(|&kind| asks_fields(kind)) {
            sum = sum.wrapping_add(cursor.field_id().map_or(0, |f| usize::from(f.get())));
        }
        if node.child_count() > 0 && cursor.goto_first_child() {
            parents.push(node.kind_id());
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
            parents.pop();
        }
    }
    std::hint::black_box(sum);
    visited
}

fn visit_by_walk(tree: &tree_sitter::Tree) -> usize {
    let mut walk = isolint_python::walk::Walk::new(tree.root_node());
    let (mut visited, mut sum) = (0usize, 0usize);
    let mut parents: Vec<u16> = Vec::new();
    'walk: loop {
        visited += 1;
        std::hint::black_box(walk.node());
        sum = sum.wrapping_add(usize::from(walk.kind_id()));
        if parents.last().is_some_and(|&kind| asks_fields(kind)) {
            sum = sum.wrapping_add(walk.field_id().map_or(0, |f| usize::from(f.get())));
        }
        let kind = walk.kind_id();
        if walk.goto_first_child() {
            parents.push(kind);
            continue;
        }
        while !walk.goto_next_sibling() {
            if !walk.goto_parent() {
                break 'walk;
            }
            parents.pop();
        }
    }
    std::hint::black_box(sum);
    visited
}

/// Whether the model reads the fields of this kind's children (calls, attributes, keywords).
fn asks_fields(kind: u16) -> bool {
    use isolint_python::syntax::{kind, kind_id};
    static KINDS: std::sync::OnceLock<[u16; 3]> = std::sync::OnceLock::new();
    KINDS
        .get_or_init(|| [kind::CALL, kind::ATTRIBUTE, kind::KEYWORD_ARGUMENT].map(kind_id))
        .contains(&kind)
}
