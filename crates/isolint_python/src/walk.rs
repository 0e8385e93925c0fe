//! A pre-order walk of the syntax tree at a constant cost per step.
//!
//! It visits exactly the nodes `tree_sitter::TreeCursor` visits, in the same order and with the
//! same field ids, but keeps each level's iteration state (the parent's children, alias sequence,
//! field map, position, structural index), so a sibling step moves one child on instead of
//! rebuilding the parent's iterator as tree-sitter's cursor does on every step. The stepping is in
//! `c/walk.c`, which reads tree-sitter's private layouts (hence the exact version pin). The current
//! node, its field id and its kind id are computed by each step and read here without a call; the field id, which few nodes are asked
//! for, on demand.

use std::marker::PhantomData;
use std::num::NonZeroU16;
use std::os::raw::c_void;

use tree_sitter::ffi::TSNode;
use tree_sitter::Node;

/// The walk's state, laid out as `IsolintWalk` in `c/walk.c`.
#[repr(C)]
struct RawWalk {
    node: TSNode,
    kind_id: u16,
    has_children: bool,
    tree: *const c_void,
    language: *const c_void,
    frames: *mut c_void,
    depth: u32,
    capacity: u32,
}

extern "C" {
    fn isolint_walk_size() -> usize;
    fn isolint_walk_init(walk: *mut RawWalk, start: TSNode);
    fn isolint_walk_free(walk: *mut RawWalk);
    fn isolint_walk_first_child(walk: *mut RawWalk) -> bool;
    fn isolint_walk_next_sibling(walk: *mut RawWalk) -> bool;
    fn isolint_walk_parent(walk: *mut RawWalk) -> bool;
    fn isolint_walk_field_id(walk: *const RawWalk) -> u16;
}

/// A walk of the subtree under one node, starting on that node; the `TreeCursor` methods the
/// model's walk uses.
pub struct Walk<'t> {
    raw: RawWalk,
    tree: PhantomData<Node<'t>>,
}

impl<'t> Walk<'t> {
    pub fn new(start: Node<'t>) -> Self {
        let mut raw = RawWalk {
            node: start.into_raw(),
            kind_id: 0,
            has_children: false,
            tree: std::ptr::null(),
            language: std::ptr::null(),
            frames: std::ptr::null_mut(),
            depth: 0,
            capacity: 0,
        };
        // SAFETY: `raw` is a valid `IsolintWalk` (same layout), and `start` is a node of a tree
        // that outlives `'t`, which the returned walk borrows.
        unsafe { isolint_walk_init(&mut raw, start.into_raw()) };
        Walk {
            raw,
            tree: PhantomData,
        }
    }

    /// The node the walk is on.
    #[inline]
    pub fn node(&self) -> Node<'t> {
        // SAFETY: the C side built this node of the tree borrowed for `'t`.
        unsafe { Node::from_raw(self.raw.node) }
    }

    /// The field of the current node in its parent, as `TreeCursor::field_id` gives it.
    pub fn field_id(&self) -> Option<NonZeroU16> {
        // SAFETY: `raw` was initialised by `isolint_walk_init` and not freed.
        NonZeroU16::new(unsafe { isolint_walk_field_id(&self.raw) })
    }

    /// The current node's kind id (`Node::kind_id`), without a call into tree-sitter.
    #[inline]
    pub fn kind_id(&self) -> u16 {
        self.raw.kind_id
    }

    #[inline]
    pub fn goto_first_child(&mut self) -> bool {
        // Most nodes are leaves, answered here without a call.
        // SAFETY: `raw` was initialised by `isolint_walk_init` and not freed.
        self.raw.has_children && unsafe { isolint_walk_first_child(&mut self.raw) }
    }

    pub fn goto_next_sibling(&mut self) -> bool {
        // SAFETY: as in `goto_first_child`.
        unsafe { isolint_walk_next_sibling(&mut self.raw) }
    }

    pub fn goto_parent(&mut self) -> bool {
        // SAFETY: as in `goto_first_child`.
        unsafe { isolint_walk_parent(&mut self.raw) }
    }
}

impl Drop for Walk<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` was initialised by `isolint_walk_init`; this is its only release.
        unsafe { isolint_walk_free(&mut self.raw) }
    }
}

// SAFETY: the walk owns its frames and only reads the tree, which tree-sitter allows from several
// threads (`Node` is `Send` and `Sync`).
unsafe impl Send for Walk<'_> {}
// SAFETY: as above; `&Walk` only reads.
unsafe impl Sync for Walk<'_> {}

/// One step of a pre-order walk as the tests compare it: the node landed on (id, kind id, start
/// byte and point), its field id, its depth below the start, and whether a step to the parent
/// led there.
pub type Step = (
    usize,
    u16,
    usize,
    (usize, usize),
    Option<NonZeroU16>,
    usize,
    bool,
);

/// Every step of a pre-order walk from `start` with [`Walk`]; equal to [`cursor_steps`] unless the
/// walk is wrong.
pub fn walk_steps(start: Node<'_>) -> Vec<Step> {
    let mut walk = Walk::new(start);
    steps(
        &mut walk,
        |w| (w.node(), w.field_id()),
        Walk::goto_first_child,
        Walk::goto_next_sibling,
        Walk::goto_parent,
    )
}

/// Every step of a pre-order walk from `start` with tree-sitter's `TreeCursor`.
pub fn cursor_steps(start: Node<'_>) -> Vec<Step> {
    let mut cursor = start.walk();
    steps(
        &mut cursor,
        |c| (c.node(), c.field_id()),
        tree_sitter::TreeCursor::goto_first_child,
        tree_sitter::TreeCursor::goto_next_sibling,
        tree_sitter::TreeCursor::goto_parent,
    )
}

fn steps<'t, W>(
    walker: &mut W,
    current: impl Fn(&W) -> (Node<'t>, Option<NonZeroU16>),
    first_child: impl Fn(&mut W) -> bool,
    next_sibling: impl Fn(&mut W) -> bool,
    parent: impl Fn(&mut W) -> bool,
) -> Vec<Step> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut record = |walker: &W, depth: usize, upward: bool| {
        let (node, field) = current(walker);
        let point = node.start_position();
        out.push((
            node.id(),
            node.kind_id(),
            node.start_byte(),
            (point.row, point.column),
            field,
            depth,
            upward,
        ));
    };
    'walk: loop {
        record(walker, depth, false);
        if first_child(walker) {
            depth += 1;
            continue;
        }
        while !next_sibling(walker) {
            if !parent(walker) {
                break 'walk;
            }
            depth = depth.saturating_sub(1);
            record(walker, depth, true);
        }
    }
    out
}

/// Whether `RawWalk` has the size of the C struct it mirrors (checked by a test).
pub fn layout_matches() -> bool {
    // SAFETY: a pure function without arguments.
    std::mem::size_of::<RawWalk>() == unsafe { isolint_walk_size() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse, python_parser};

    const TRICKY: &[&str] = &[
        "",
        "# only a comment\n# and another\n",
        "\n\n   \n",
        // Syntax errors: ERROR nodes and MISSING tokens.
        "def f(:\n    return\n",
        "x = (1, 2\ny = 3\n",
        "foo(a, b\n",
        "if x\n    pass\n",
        "class C(\n",
        "a = [1, 2,, 3]\n@@@\n",
        "for in range(3): pass\n",
        "print 'hello'\n",
        "print >> sys.stderr, 'x', y\nprint\nexec 'code' in ns\n",
        // Comments and other extras between siblings and at the ends.
        "# head\nx = 1  # tail\n# between\ny = f(  # in the call\n    a,  # after a\n    # alone\n    b,\n)  # end\n# foot\n",
        "x = [\n    1,\n    # inside\n]\n\\\n    y = 2\n",
        "def f(\n    a,  # one\n    b=2,  # two\n    *args,\n    **kwargs  # last\n):  # colon\n    # body comment\n    pass\n",
        // Aliased nodes: keyword identifiers, patterns, dotted names.
        "match = 1\nprint(match)\nexec = 2\ntype = 3\nasync def g(): await x\n",
        "from a.b import (c as d, e)\nimport f.g as h\nfrom . import i\nfrom .. x import *\n",
        "type Alias[T] = list[T]\n",
        // f-strings with nested strings and format specs.
        "s = f\"{a['k']!r:>{width}} {f'{b!s}'} {{literal}} {c:%Y-%m-%d}\"\n",
        "t = f'''{x\n+ y}''' rb'raw' 'a' 'b' \"c\"\n",
        // Decorators.
        "@pytest.mark.parametrize('a', [1, 2])\n@fixture(scope='module')\n@x\nclass T:\n    @property\n    def p(self): return 1\n",
        // Lambdas.
        "f = lambda: 0\ng = lambda a, *b, c=1, **d: (a, b, c, d)\nh = lambda x: lambda y: x + y\n",
        // Match statements.
        "match cmd:\n    case [\"go\", direction] if direction:\n        pass\n    case {\"k\": v, **rest}:\n        pass\n    case Point(x=0, y=_) | None:\n        pass\n    case str() as s:\n        pass\n    case _:\n        pass\n",
        // Comprehensions, walrus, slices, star expressions, conditional expressions.
        "r = [y for x in xs if (y := f(x)) for z in x]\nd = {k: v for k, v in items}\ng = (a[1:2:3], *b, c if d else e)\n",
        "try:\n    pass\nexcept* (A, B) as e:\n    raise X from e\nelse:\n    pass\nfinally:\n    del a[0], b.c\n",
        "with (open(a) as f, open(b) as g):\n    global q\n    nonlocal r\n    assert x, 'm'\n",
        "async def h():\n    async with a as b:\n        async for c in d:\n            yield c\n    return [await e async for e in f]\n",
        "x: int = 1\ny: list[int]\ndef f(a: int = 1, /, b: str = '', *, c) -> None: ...\n",
        "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\nwhile c:\n    break\nelse:\n    continue\n",
        "x = 1; y = 2; z = 3;\n",
        "\tx = 1\n",
        "a = b = c = d\na += 1\na @= m\nprint(*args, sep='', **kw)\n",
    ];

    fn assert_same(source: &str) -> usize {
        let mut parser = python_parser();
        let tree = parse(&mut parser, source).expect("parses");
        let root = tree.root_node();
        let expected = cursor_steps(root);
        assert_eq!(walk_steps(root), expected, "from the root of {source:?}");
        // From every node too: `named_children` starts a walk on inner nodes.
        for step in expected.iter().filter(|step| !step.6) {
            let node = node_with_id(root, step.0);
            assert_eq!(
                walk_steps(node),
                cursor_steps(node),
                "from {} at byte {} of {source:?}",
                node.kind(),
                node.start_byte()
            );
        }
        expected.len()
    }

    fn node_with_id(root: Node<'_>, id: usize) -> Node<'_> {
        let mut cursor = root.walk();
        loop {
            if cursor.node().id() == id {
                return cursor.node();
            }
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                assert!(cursor.goto_parent(), "node {id} not found");
            }
        }
    }

    #[test]
    fn the_rust_struct_has_the_layout_of_the_c_one() {
        assert!(layout_matches());
    }

    #[test]
    fn tricky_sources_are_walked_as_the_cursor_walks_them() {
        for source in TRICKY {
            assert_same(source);
        }
    }

    #[test]
    fn the_tricky_sources_hold_what_they_are_meant_to() {
        let (mut missing, mut errors, mut extras, mut aliased) = (0, 0, 0, 0);
        let mut parser = python_parser();
        for source in TRICKY {
            let tree = parse(&mut parser, source).expect("parses");
            let mut cursor = tree.walk();
            'walk: loop {
                let node = cursor.node();
                missing += usize::from(node.is_missing());
                errors += usize::from(node.is_error());
                extras += usize::from(node.is_extra());
                // A keyword used as a name is an aliased `keyword_identifier`.
                aliased +=
                    usize::from(node.kind() == "identifier" && node.grammar_name() != "identifier");
                if cursor.goto_first_child() {
                    continue;
                }
                while !cursor.goto_next_sibling() {
                    if !cursor.goto_parent() {
                        break 'walk;
                    }
                }
            }
        }
        assert!(missing > 0 && errors > 0 && extras > 5 && aliased > 0);
    }

    #[test]
    fn deep_nesting_is_walked_as_the_cursor_walks_it() {
        let depth = 60;
        let expression = format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
        let mut blocks = String::new();
        for level in 0..40 {
            blocks.push_str(&"    ".repeat(level));
            blocks.push_str(&format!("if a{level}:\n"));
        }
        blocks.push_str(&"    ".repeat(40));
        blocks.push_str("pass\n");
        let calls = format!("y = {}z{}\n", "f(".repeat(depth), ")".repeat(depth));
        for source in [expression, blocks, calls] {
            assert!(assert_same(&source) > 100);
        }
    }

    #[test]
    fn a_wide_module_is_walked_as_the_cursor_walks_it() {
        let source: String = (0..2000)
            .map(|i| format!("v{i} = f({i}, k={i})  # c\n"))
            .collect();
        let mut parser = python_parser();
        let tree = parse(&mut parser, &source).expect("parses");
        assert_eq!(walk_steps(tree.root_node()), cursor_steps(tree.root_node()));
    }

    #[test]
    fn every_fixture_is_walked_as_the_cursor_walks_it() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut parser = python_parser();
        let mut files = 0;
        for entry in ignore::WalkBuilder::new(&fixtures)
            .standard_filters(false)
            .build()
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_none_or(|ext| ext != "py") {
                continue;
            }
            let Ok(source) = std::fs::read_to_string(path) else {
                continue;
            };
            let Ok(tree) = parse(&mut parser, &source) else {
                continue;
            };
            assert_eq!(
                walk_steps(tree.root_node()),
                cursor_steps(tree.root_node()),
                "{}",
                path.display()
            );
            files += 1;
        }
        assert!(files > 100, "{files} fixture files");
    }
}
