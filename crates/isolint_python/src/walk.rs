//! A pre-order walk of the syntax tree at a constant cost per step.
//!
//! It visits exactly the nodes `tree_sitter::TreeCursor` visits, in the same order and with the
//! same field ids, but keeps each level's iteration state (the parent's children, alias sequence,
//! field map, position, structural index), so a sibling step moves one child on instead of
//! rebuilding the parent's iterator as tree-sitter's cursor does on every step. The stepping is in
//! `c/walk.c`, which reads tree-sitter's private layouts (hence the exact version pin). The current
//! node, its field id and its kind id are computed by each step and read here without a call.

use std::marker::PhantomData;
use std::num::NonZeroU16;
use std::os::raw::c_void;

use tree_sitter::ffi::TSNode;
use tree_sitter::Node;

/// The walk's state, laid out as `IsolintWalk` in `c/walk.c`.
#[repr(C)]
struct RawWalk {
    node: TSNode,
    field_id: u16,
    kind_id: u16,
    tree: *const c_void,
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
            field_id: 0,
            kind_id: 0,
            tree: std::ptr::null(),
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
    #[inline]
    pub fn field_id(&self) -> Option<NonZeroU16> {
        NonZeroU16::new(self.raw.field_id)
    }

    /// The current node's kind id (`Node::kind_id`), without a call into tree-sitter.
    #[inline]
    pub fn kind_id(&self) -> u16 {
        self.raw.kind_id
    }

    pub fn goto_first_child(&mut self) -> bool {
        // SAFETY: `raw` was initialised by `isolint_walk_init` and not freed.
        unsafe { isolint_walk_first_child(&mut self.raw) }
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
pub type Step = (usize, u16, usize, (usize, usize), Option<NonZeroU16>, usize, bool);

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
