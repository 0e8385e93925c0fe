//! When several tests name the same fixed path (the same literal in each, or one module constant
//! they all use), each test can still take a private copy, but only when every one of them is
//! self-contained: it writes the file before anything else it does with it, so no test reads what
//! another left. Then each test's fix rewrites its own uses; the others get theirs from their own
//! findings. A constant that module-level code also reads makes the fix unsafe (that code keeps
//! the shared path); one read by a helper, a fixture or a class body makes it no fix at all.

use super::edits::{function_node, innermost_function, is_member_or_keyword};
use isolint_python::model::{BindingValue, FileModel, Role, ScopeId, ScopeKind, MODULE_SCOPE};
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, text};
use tree_sitter::Node;

/// A write or folder creation of a literal path in the file, by the function that owns it.
#[derive(Debug, Clone)]
pub struct WriteSite {
    pub owner: ScopeId,
    pub start: usize,
    pub path: String,
}

/// Where a path is named outside the function being fixed.
#[derive(Default)]
pub(super) struct Sharing<'t> {
    /// Other tests naming it.
    pub tests: Vec<ScopeId>,
    /// Module constants holding it, by name.
    pub constants: Vec<&'t str>,
    /// Uses of those constants inside the function being fixed.
    pub uses_here: Vec<Node<'t>>,
    /// Module-level code reads one of the constants.
    pub read_by_module_code: bool,
}

/// Tests sharing one path beyond which no fix is looked for: each is checked on its own, and a path
/// that many tests name is a shared resource rather than a slip.
const MAX_SHARING_TESTS: usize = 32;

impl<'t> Sharing<'t> {
    fn add_test(&mut self, test: ScopeId) -> Option<()> {
        if !self.tests.contains(&test) {
            if self.tests.len() == MAX_SHARING_TESTS {
                return None;
            }
            self.tests.push(test);
        }
        Some(())
    }

    pub fn is_shared(&self) -> bool {
        !self.tests.is_empty() || !self.constants.is_empty()
    }

    /// A literal of the path outside `owner`: in another test (which must use it as a path), or
    /// the value of a module constant. `None` for anything else: a helper, a fixture, a class
    /// body, data at module level.
    pub fn add_literal(
        &mut self,
        model: &FileModel<'t>,
        string: Node<'t>,
        used_as_path: impl Fn(Node<'t>, Node<'t>) -> bool,
    ) -> Option<()> {
        match innermost_function(model, string) {
            Some(scope) => {
                let other = model.owner(scope);
                let function = function_node(model, other)?;
                if model.scopes[other].role != Role::Test || !used_as_path(string, function) {
                    return None;
                }
                self.add_test(other)?;
            }
            None => {
                let name = module_constant(model, string)?;
                if !self.constants.contains(&name) {
                    self.constants.push(name);
                }
            }
        }
        Some(())
    }

    /// Every read of the constants: in `owner` (kept to be rewritten), in other tests, at module
    /// level. `None` when a helper, fixture or class reads one, or a function rebinds it.
    pub fn add_constant_reads(&mut self, model: &FileModel<'t>, owner: ScopeId) -> Option<()> {
        if self.constants.is_empty() {
            return Some(());
        }
        let source = model.source;
        let mut stack = vec![model.tree.root_node()];
        let mut cursor = model.tree.root_node().walk();
        while let Some(node) = stack.pop() {
            stack.extend(node.children(&mut cursor));
            if kind_of(node) != kind::IDENTIFIER || is_member_or_keyword(node) {
                continue;
            }
            let name = text(node, source);
            if !self.constants.contains(&name) || is_definition_target(node) {
                continue;
            }
            let Some(scope) = innermost_function(model, node) else {
                let at = model.scope_at(node.start_byte(), MODULE_SCOPE);
                if model.scopes[at].kind != ScopeKind::Module {
                    return None;
                }
                self.read_by_module_code = true;
                continue;
            };
            if model.scopes[scope].bindings.contains_key(name)
                || model.scopes[scope].globals.contains(&name)
            {
                return None;
            }
            let reader = model.owner(scope);
            if reader == owner {
                self.uses_here.push(node);
            } else if model.scopes[reader].role == Role::Test {
                self.add_test(reader)?;
            } else {
                return None;
            }
        }
        self.uses_here.sort_by_key(|n| n.start_byte());
        Some(())
    }
}

/// `NAME = "..."` at the top of the module, the name's only binding there: its name.
fn module_constant<'t>(model: &FileModel<'t>, string: Node<'t>) -> Option<&'t str> {
    let assignment = string.parent().filter(|p| kind_of(p) == kind::ASSIGNMENT)?;
    assignment.parent().filter(|p| {
        kind_of(p) == kind::EXPRESSION_STATEMENT && p.parent() == Some(model.tree.root_node())
    })?;
    let left = assignment
        .child_by_field_id(field::LEFT.id())
        .filter(|l| kind_of(l) == kind::IDENTIFIER)?;
    let right = assignment.child_by_field_id(field::RIGHT.id())?;
    if right.id() != string.id() || assignment.child_by_field_name("type").is_some() {
        return None;
    }
    let name = text(left, model.source);
    let bindings = model.scopes[MODULE_SCOPE].bindings.get(name)?;
    matches!(bindings.as_slice(), [b] if matches!(b.value, BindingValue::Expr(v) if v.id() == string.id()))
        .then_some(name)
}

/// The name bound by a module-level `NAME = ...`.
fn is_definition_target(identifier: Node) -> bool {
    identifier.parent().is_some_and(|p| {
        kind_of(p) == kind::ASSIGNMENT
            && p.parent()
                .and_then(|s| s.parent())
                .is_some_and(|r| kind_of(r) == "module")
            && p.child_by_field_id(field::LEFT.id())
                .is_some_and(|l| l.id() == identifier.id())
    })
}

/// Whether `function` writes the path before doing anything else with it: every use (a literal of
/// the path, a constant holding it, a local name assigned one of those) comes at or after the
/// first write of the path in the function, except the assignment that names it.
pub(super) fn self_contained(
    model: &FileModel,
    function_id: ScopeId,
    uses: &[Node],
    writes: &[WriteSite],
    under_namespace: impl Fn(&str) -> bool,
) -> bool {
    let Some(first_write) = writes
        .iter()
        .filter(|w| w.owner == function_id && under_namespace(&w.path))
        .min_by_key(|w| w.start)
    else {
        return false;
    };
    let Some(function) = function_node(model, function_id) else {
        return false;
    };
    let source = model.source;
    let mut locals: Vec<&str> = Vec::new();
    let mut all: Vec<Node> = Vec::new();
    for used in uses {
        match assigned_name(*used) {
            Some(name) => locals.push(text(name, source)),
            None => all.push(*used),
        }
    }
    if !locals.is_empty() {
        let mut stack = vec![function];
        let mut cursor = function.walk();
        while let Some(node) = stack.pop() {
            stack.extend(node.children(&mut cursor));
            if kind_of(node) == kind::IDENTIFIER
                && locals.contains(&text(node, source))
                && !is_member_or_keyword(node)
                && !node.parent().is_some_and(|p| {
                    kind_of(p) == kind::ASSIGNMENT && assigned_name_of(p) == Some(node)
                })
            {
                all.push(node);
            }
        }
    }
    all.iter().all(|u| u.start_byte() >= first_write.start)
}

/// `p = <use>`: the local name the use is assigned to.
fn assigned_name(used: Node) -> Option<Node> {
    let parent = used.parent().filter(|p| kind_of(p) == kind::ASSIGNMENT)?;
    parent
        .child_by_field_id(field::RIGHT.id())
        .filter(|r| r.id() == used.id())?;
    assigned_name_of(parent)
}

fn assigned_name_of(assignment: Node) -> Option<Node> {
    assignment
        .child_by_field_id(field::LEFT.id())
        .filter(|l| kind_of(l) == kind::IDENTIFIER)
}
