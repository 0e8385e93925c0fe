//! The fix of ISO501: an environment change a test makes by hand becomes one pytest undoes
//! (`monkeypatch.setenv`/`delenv`); in a `unittest.TestCase`, which takes no fixtures, the method
//! snapshots `os.environ` first and registers its restore with `self.addCleanup`.

use super::edits::{
    add_imports, add_parameter, can_take_fixture, function_node, insert_at_body_start,
    is_statement, parameter_names,
};
use super::{Edit, Fix};
use crate::context::Owner;
use isolint_python::knowledge::last_component;
use isolint_python::model::{FileModel, Role, ScopeId};
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, named_children, text, CallArgs};
use tree_sitter::Node;

/// The name of the snapshot a unittest method takes of the environment.
const SNAPSHOT: &str = "env_patch";

/// The safe fix of one environment change, when it is one of the plain forms and the owner can
/// take `monkeypatch` (or is a unittest method).
pub fn fix(node: Node, owner_id: ScopeId, owner: &Owner, model: &FileModel) -> Option<Fix> {
    let source = model.source;
    let function = function_node(model, owner_id)?;
    if owner.unittest {
        if !matches!(owner.role, Role::Test | Role::Setup) {
            return None;
        }
        return unittest_fix(function, owner_id, model);
    }
    let pytest_owner = owner.role == Role::Test
        || owner.role == Role::Fixture && owner.fixture_scope.as_deref() == Some("function");
    if !pytest_owner || !can_take_fixture(model, owner_id, "monkeypatch") {
        return None;
    }
    let replacement = monkeypatch_call(node, source)?;
    let mut edits = vec![replacement];
    edits.extend(add_parameter(function, source, "monkeypatch")?.edit());
    Fix::safe(edits)
}

/// The safe fix that replaces one statement of a test or function-scoped fixture by its
/// `monkeypatch` counterpart (`os.chdir` → `monkeypatch.chdir`), taking the fixture if needed.
pub fn monkeypatch_rewrite(
    replacement: Option<Edit>,
    owner_id: ScopeId,
    owner: &Owner,
    model: &FileModel,
) -> Option<Fix> {
    let pytest_owner = owner.role == Role::Test
        || owner.role == Role::Fixture && owner.fixture_scope.as_deref() == Some("function");
    if owner.unittest || !pytest_owner || !can_take_fixture(model, owner_id, "monkeypatch") {
        return None;
    }
    let function = function_node(model, owner_id)?;
    let mut edits = vec![replacement?];
    edits.extend(add_parameter(function, model.source, "monkeypatch")?.edit());
    Fix::safe(edits)
}

/// `os.environ[K] = v` → `monkeypatch.setenv(K, v)`, `os.putenv(K, v)` likewise, `del
/// os.environ[K]` → `monkeypatch.delenv(K)`, `os.environ.pop(K)` and `os.unsetenv(K)` →
/// `monkeypatch.delenv(K, raising=False)`; each only as a statement of its own.
fn monkeypatch_call(node: Node, source: &str) -> Option<Edit> {
    let replace =
        |content: String| Some(Edit::replace(node.start_byte(), node.end_byte(), content));
    match kind_of(node) {
        kind::ASSIGNMENT => {
            let statement = node.parent()?;
            if kind_of(statement) != kind::EXPRESSION_STATEMENT
                || named_children(statement).count() != 1
                || node.child_by_field_name("type").is_some()
            {
                return None;
            }
            let left = node.child_by_field_id(field::LEFT.id())?;
            let right = node.child_by_field_id(field::RIGHT.id())?;
            if kind_of(left) != kind::SUBSCRIPT || kind_of(right) == kind::ASSIGNMENT {
                return None;
            }
            let key = left.child_by_field_id(field::SUBSCRIPT.id())?;
            replace(format!(
                "monkeypatch.setenv({}, {})",
                text(key, source),
                text(right, source)
            ))
        }
        kind::DELETE_STATEMENT => {
            let targets: Vec<Node> = named_children(node).collect();
            let [target] = targets.as_slice() else {
                return None;
            };
            let key = target
                .child_by_field_id(field::SUBSCRIPT.id())
                .filter(|_| kind_of(target) == kind::SUBSCRIPT)?;
            replace(format!("monkeypatch.delenv({})", text(key, source)))
        }
        kind::CALL => {
            if !is_statement(node) {
                return None;
            }
            let callee = node.child_by_field_id(field::FUNCTION.id())?;
            let args = CallArgs::of(node, source);
            if !args.keywords.is_empty() || args.positional.is_empty() {
                return None;
            }
            let arg = |i: usize| args.positional.get(i).map(|a| text(*a, source));
            match (last_component(text(callee, source)), args.positional.len()) {
                ("putenv", 2) => replace(format!("monkeypatch.setenv({}, {})", arg(0)?, arg(1)?)),
                ("pop", 1 | 2) | ("unsetenv", 1) => {
                    replace(format!("monkeypatch.delenv({}, raising=False)", arg(0)?))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The method snapshots `os.environ` at its start and restores it when the test ends; the change
/// itself stays. All changes of one method share the same edits.
fn unittest_fix(function: Node, owner_id: ScopeId, model: &FileModel) -> Option<Fix> {
    let source = model.source;
    let name = model.scopes[owner_id].name;
    if parameter_names(function, source).first() != Some(&"self")
        || name.ends_with("Class")
        || model
            .subtree(owner_id)
            .any(|s| model.scopes[s].bindings.contains_key(SNAPSHOT))
    {
        return None;
    }
    let mock = match super::edits::imported(model, "mock", "unittest.mock") {
        super::edits::Imported::Taken => {
            if !matches!(
                super::edits::imported(model, "mock", "mock"),
                super::edits::Imported::Yes
            ) {
                return None;
            }
            None
        }
        _ => Some(("mock", "unittest.mock", "from unittest import mock")),
    };
    let mut wanted = vec![("os", "os", "import os")];
    wanted.extend(mock);
    let mut edits: Vec<Edit> = add_imports(model, &wanted)?.into_iter().collect();
    edits.push(insert_at_body_start(
        function,
        source,
        &[
            format!("{SNAPSHOT} = mock.patch.dict(os.environ)"),
            format!("{SNAPSHOT}.start()"),
            format!("self.addCleanup({SNAPSHOT}.stop)"),
        ],
    )?);
    Fix::safe(edits)
}
