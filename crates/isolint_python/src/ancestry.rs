//! The ancestors of the nodes analyses climb from, kept from the model's cursor walk.
//!
//! tree-sitter has no parent links: `Node::parent` walks down from the root again, so a climb from
//! a deep node costs its depth times the siblings passed on the way, at every step. The walk has the
//! path from the root in hand anyway; it keeps the part above the nodes that analyses climb from
//! (the nodes rules asked for, and calls), each ancestor stored once however many nodes share it.

use foldhash::HashMap;
use tree_sitter::Node;

/// Recorded nodes and their ancestors, as a tree of indices.
#[derive(Default)]
pub struct Ancestry<'t> {
    /// Each stored ancestor with the index of its own parent (`None` for the root).
    nodes: Vec<(Node<'t>, Option<usize>)>,
    /// The index of a recorded node's parent in `nodes`, by node id.
    parent_of: HashMap<usize, Option<usize>>,
}

/// The nodes from the root down to the walk's current node (excluded), each with its index in
/// [`Ancestry::nodes`] once stored. Stored entries always form a prefix: storing one stores all
/// above it.
#[derive(Default)]
pub(crate) struct WalkPath<'t> {
    stack: Vec<(Node<'t>, Option<usize>)>,
}

impl<'t> WalkPath<'t> {
    pub(crate) fn push(&mut self, node: Node<'t>) {
        self.stack.push((node, None));
    }

    pub(crate) fn pop(&mut self) -> Option<Node<'t>> {
        self.stack.pop().map(|(node, _)| node)
    }

    /// The current node's parent.
    pub(crate) fn grandparent(&self) -> Option<Node<'t>> {
        let below = self.stack.len().checked_sub(2)?;
        self.stack.get(below).map(|(node, _)| *node)
    }

    pub(crate) fn parent(&self) -> Option<Node<'t>> {
        self.stack.last().map(|(node, _)| *node)
    }
}

impl<'t> Ancestry<'t> {
    /// Room for `expected` recorded nodes, so the walk rarely grows the table.
    pub(crate) fn with_capacity(expected: usize) -> Self {
        Ancestry {
            nodes: Vec::with_capacity(expected),
            parent_of: HashMap::with_capacity_and_hasher(expected, Default::default()),
        }
    }

    /// Keeps the ancestors of the walk's current node `node`.
    pub(crate) fn record(&mut self, node: Node<'t>, path: &mut WalkPath<'t>) {
        let first_unstored = path
            .stack
            .iter()
            .rposition(|(_, index)| index.is_some())
            .map_or(0, |last| last + 1);
        for at in first_unstored..path.stack.len() {
            let parent = at.checked_sub(1).and_then(|above| path.stack[above].1);
            path.stack[at].1 = Some(self.nodes.len());
            self.nodes.push((path.stack[at].0, parent));
        }
        let parent = path.stack.last().and_then(|(_, index)| *index);
        self.parent_of.insert(node.id(), parent);
    }

    /// The ancestors of `node`, innermost first (`root` is the tree's root). For a node the walk
    /// did not record, the path is found by one descent from the root: what a single
    /// `Node::parent` costs, where climbing would pay that again at every level.
    pub fn ancestors(&self, node: Node<'t>, root: Node<'t>) -> Ancestors<'_, 't> {
        match self.parent_of.get(&node.id()) {
            Some(parent) => Ancestors::Stored {
                nodes: &self.nodes,
                next: *parent,
            },
            None => Ancestors::Descended(path_from_root(node, root)),
        }
    }
}

/// The nodes from `root` down to `node`'s parent, outermost first: the steps `Node::parent`
/// takes, kept instead of taken again for each level.
fn path_from_root<'t>(node: Node<'t>, root: Node<'t>) -> Vec<Node<'t>> {
    let mut path = Vec::new();
    if node.id() == root.id() {
        return path;
    }
    let mut current = root;
    loop {
        path.push(current);
        match current.child_with_descendant(node) {
            Some(next) if next.id() != node.id() => current = next,
            _ => return path,
        }
    }
}

/// The iterator of [`Ancestry::ancestors`].
#[derive(Clone)]
pub enum Ancestors<'a, 't> {
    Stored {
        nodes: &'a [(Node<'t>, Option<usize>)],
        next: Option<usize>,
    },
    /// The path from the root, innermost last.
    Descended(Vec<Node<'t>>),
}

impl<'t> Iterator for Ancestors<'_, 't> {
    type Item = Node<'t>;

    fn next(&mut self) -> Option<Node<'t>> {
        match self {
            Ancestors::Stored { nodes, next } => {
                let (node, parent) = *nodes.get((*next)?)?;
                *next = parent;
                Some(node)
            }
            Ancestors::Descended(path) => path.pop(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::{parse, python_parser};

    /// Every node's recorded ancestors are the ones `Node::parent` finds.
    #[test]
    fn recorded_ancestors_are_the_parents() {
        let source = "import os\n\nclass T:\n    def test_a(self, x):\n        with pytest.raises(E):\n            os.environ['A'] = f(x.y[1].z)\n        try:\n            g()\n        finally:\n            del os.environ['A']\n";
        let mut parser = python_parser();
        let Ok(tree) = parse(&mut parser, source) else {
            panic!("the source parses")
        };
        let kinds = vec![true; crate::syntax::kind_count()];
        let model = crate::model::build(
            &tree,
            source,
            &crate::model::BuildOptions {
                naming: &crate::pytest_config::Naming::default(),
                wanted_kinds: &kinds,
                pytest_module: true,
            },
        );
        let mut checked = 0;
        for (node, _) in &model.wanted_nodes {
            let climbed: Vec<usize> = std::iter::successors(node.parent(), |n| n.parent())
                .map(|n| n.id())
                .collect();
            let recorded: Vec<usize> = model.ancestors(*node).map(|n| n.id()).collect();
            assert!(matches!(
                model.ancestors(*node),
                super::Ancestors::Stored { .. }
            ));
            assert_eq!(recorded, climbed, "{}", node.kind());
            checked += 1;
        }
        assert!(checked > 50);
    }

    /// A node the walk did not record gets the same ancestors from the descent as from climbing.
    #[test]
    fn descended_ancestors_are_the_parents() {
        let source = "import os\n\n@d(k=[1, (2, 3)])\nclass T(B):\n    def test_a(self, x=lambda y: y):\n        if x:\n            os.environ['A'] = f'{x.y[1].z!r}'\n        return [a for a in b if a]\n";
        let mut parser = python_parser();
        let Ok(tree) = parse(&mut parser, source) else {
            panic!("the source parses")
        };
        let root = tree.root_node();
        let ancestry = super::Ancestry::default();
        let mut stack = vec![root];
        let mut cursor = root.walk();
        let mut checked = 0;
        while let Some(node) = stack.pop() {
            stack.extend(node.children(&mut cursor));
            let climbed: Vec<usize> = std::iter::successors(node.parent(), |n| n.parent())
                .map(|n| n.id())
                .collect();
            let descended: Vec<usize> = ancestry.ancestors(node, root).map(|n| n.id()).collect();
            assert_eq!(descended, climbed, "{}", node.kind());
            checked += 1;
        }
        assert!(checked > 100);
    }
}
