//! What wide fixtures give their tests and what the tests do with it (ISO601, ISO602): the value a
//! fixture returns (a mutable object, a connection), the fixtures a fixture resets, the changes a
//! test makes through its fixture parameters, and, in the project stage, the findings where a test
//! changes a class-, module-, package- or session-scoped value that no function fixture resets.

use crate::context::{Finding, Owner};
use crate::diagnostic::{FixSite, Related};
use isolint_python::knowledge::{
    changes_in_place, last_component, CONNECTION_FACTORIES, CONNECTION_WRITE_METHODS,
    CONNECTION_WRITE_WORDS, IMMUTABLE_CLASSES, MUTABLE_FACTORIES, RESET_METHODS,
};
use isolint_python::model::{BindingValue, FileModel, ScopeId};
use isolint_python::project::{FileFacts, FixtureRef, FixtureWrite, Project, SharedValue};
use isolint_python::source::{LineIndex, Span};
use isolint_python::syntax::{field, kind, kind_of, named_children, text, unparenthesize};
use std::collections::BTreeSet;
use tree_sitter::Node;

/// How many names are followed from a returned name to the expression that made it.
const MAX_DEPTH: usize = 4;

/// What a fixture returns or yields, when tests could change it or write through it.
pub fn shared_value(model: &FileModel, fixture: ScopeId) -> Option<SharedValue> {
    let mut expr = unparenthesize(model.scopes[fixture].returned?);
    for _ in 0..MAX_DEPTH {
        if kind_of(expr) != kind::IDENTIFIER {
            break;
        }
        let (_, binding) = model.lookup(text(expr, model.source), fixture, expr.start_byte())?;
        match binding.value {
            BindingValue::Expr(value) | BindingValue::WithItem(value) => {
                expr = unparenthesize(value)
            }
            _ => return None,
        }
    }
    let source = model.source;
    match kind_of(expr) {
        kind::LIST | "list_comprehension" => Some(SharedValue::Mutable("a list".into())),
        kind::DICTIONARY | "dictionary_comprehension" => {
            Some(SharedValue::Mutable("a dict".into()))
        }
        kind::SET | kind::SET_COMPREHENSION => Some(SharedValue::Mutable("a set".into())),
        kind::CALL => {
            let callee = text(model.callee(expr)?, source);
            let last = last_component(callee);
            if CONNECTION_FACTORIES.contains(&last) {
                return Some(SharedValue::Connection(format!("`{callee}(...)`")));
            }
            if MUTABLE_FACTORIES.contains(&last) {
                return Some(SharedValue::Mutable(format!("a `{last}`")));
            }
            let class_like = last.chars().next().is_some_and(char::is_uppercase)
                && !last.chars().all(|c| c.is_uppercase() || c == '_');
            (class_like && !IMMUTABLE_CLASSES.contains(&last))
                .then(|| SharedValue::Mutable(format!("a `{last}` instance")))
        }
        _ => None,
    }
}

/// The identifier a chain of attributes, subscripts and calls starts from: `layout.entities["x"]`
/// → `layout`.
fn root_name(mut expr: Node) -> Option<Node> {
    loop {
        expr = unparenthesize(expr);
        match kind_of(expr) {
            kind::IDENTIFIER => return Some(expr),
            kind::ATTRIBUTE => expr = expr.child_by_field_id(field::OBJECT.id())?,
            kind::SUBSCRIPT => expr = expr.child_by_field_id(field::VALUE.id())?,
            _ => return None,
        }
    }
}

/// The parameter among `names` that `expr` starts from, when the name still holds the fixture's
/// value there (not rebound in the function).
fn parameter_root<'n>(
    model: &FileModel,
    expr: Node,
    scope: ScopeId,
    names: &'n [String],
) -> Option<&'n String> {
    let root = root_name(expr)?;
    let name = text(root, model.source);
    let parameter = names.iter().find(|n| *n == name)?;
    let (_, binding) = model.lookup(name, scope, root.start_byte())?;
    matches!(binding.value, BindingValue::Param(_)).then_some(parameter)
}

/// Fixtures a fixture requests and resets for its test (`clear()`, `rollback()`,
/// `begin_nested()`).
pub fn resets(model: &FileModel, fixture: ScopeId) -> Vec<String> {
    let requested: Vec<String> = model.scopes[fixture]
        .parameters()
        .into_iter()
        .map(|(name, _)| name.to_string())
        .collect();
    let mut found: BTreeSet<String> = BTreeSet::new();
    for (scope, call) in model.calls_under(fixture) {
        let Some(callee) = model.callee(call) else {
            continue;
        };
        if kind_of(callee) != kind::ATTRIBUTE
            || !RESET_METHODS.contains(&last_component(text(callee, model.source)))
        {
            continue;
        }
        if let Some(object) = model.attribute_parts(callee).0 {
            if let Some(name) = parameter_root(model, object, scope, &requested) {
                found.insert(name.clone());
            }
        }
    }
    found.into_iter().collect()
}

/// What a test does to the values of the fixtures it requests: changes them in place, or writes
/// through them to a database. One entry per fixture and kind, at the first statement, located
/// here: the project stage pairs them across files without the text.
pub fn fixture_writes(
    model: &FileModel,
    index: &LineIndex,
    test: ScopeId,
    requested: &[String],
) -> Vec<FixtureWrite> {
    if requested.is_empty() {
        return Vec::new();
    }
    let source = model.source;
    let mut writes: Vec<FixtureWrite> = Vec::new();
    let mut push = |fixture: &String, node: Node, what: String, through_connection: bool| {
        writes.push(FixtureWrite {
            fixture: fixture.clone(),
            span: Span::of(node),
            position: index.position(source, node.start_byte()),
            what,
            through_connection,
        });
    };
    // What the model's walk recorded under the test, nested scopes included: no second walk.
    let statements = model.subtree(test).flat_map(|scope| {
        model.scopes[scope]
            .object_writes
            .iter()
            .map(move |node| (scope, *node))
    });
    for (scope, node) in statements {
        if kind_of(node) == kind::DELETE_STATEMENT {
            for target in named_children(node) {
                if matches!(kind_of(target), kind::ATTRIBUTE | kind::SUBSCRIPT) {
                    if let Some(name) = parameter_root(model, target, scope, requested) {
                        push(
                            name,
                            node,
                            format!("deletes `{}`", text(target, source)),
                            false,
                        );
                    }
                }
            }
        } else if let Some(left) = node.child_by_field_id(field::LEFT.id()) {
            if let Some(name) = parameter_root(model, left, scope, requested) {
                push(
                    name,
                    node,
                    format!("assigns `{}`", text(left, source)),
                    false,
                );
            }
        }
    }
    for (scope, call) in model.calls_under(test) {
        let Some(callee) = model
            .callee(call)
            .filter(|c| kind_of(*c) == kind::ATTRIBUTE)
        else {
            continue;
        };
        // Most calls change nothing by their method's name: decide that before the receiver.
        let method = last_component(text(callee, source));
        let in_place = changes_in_place(method);
        if !(in_place || CONNECTION_WRITE_METHODS.contains(&method) || runs_query(method)) {
            continue;
        }
        let Some(name) = model
            .attribute_parts(callee)
            .0
            .and_then(|o| parameter_root(model, o, scope, requested))
        else {
            continue;
        };
        if CONNECTION_WRITE_METHODS.contains(&method) || writes_data(call, method, source) {
            push(
                name,
                call,
                format!("writes through it with `{}(...)`", text(callee, source)),
                true,
            );
        }
        if in_place {
            push(
                name,
                call,
                format!("calls `{}(...)`", text(callee, source)),
                false,
            );
        }
    }
    // The first statement of each kind per fixture, in source order.
    writes.sort_by_key(|w| w.span.start);
    let mut first: Vec<FixtureWrite> = Vec::new();
    for write in writes {
        if !first
            .iter()
            .any(|w| w.fixture == write.fixture && w.through_connection == write.through_connection)
        {
            first.push(write);
        }
    }
    first
}

/// Methods that run a query given as their first argument.
fn runs_query(method: &str) -> bool {
    matches!(
        method,
        "execute" | "executemany" | "executescript" | "run" | "query" | "execute_write"
    )
}

/// `execute("INSERT ...")`, `run("CREATE ...")`: a query that writes.
fn writes_data(call: Node, method: &str, source: &str) -> bool {
    if !runs_query(method) {
        return false;
    }
    let Some(first) = call
        .child_by_field_id(field::ARGUMENTS.id())
        .and_then(|a| named_children(a).next())
    else {
        return false;
    };
    let query = text(first, source).to_ascii_uppercase();
    CONNECTION_WRITE_WORDS.iter().any(|w| {
        query
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|word| word == *w)
    })
}

/// A test's change to the value of a class-, module-, package- or session-scoped fixture that no
/// function fixture of the test resets: what ISO601/ISO602 report and ISO402 pairs with the
/// fixture's other users.
pub struct UnresetWrite<'p> {
    /// Index of the test in its file.
    pub test: usize,
    pub write: &'p FixtureWrite,
    pub fixture: FixtureRef,
    /// What the fixture gives: a mutable object or a connection.
    pub value: &'p SharedValue,
}

/// The unreset changes the tests of one file make to wide fixtures' values.
pub fn unreset_writes<'p>(
    file: usize,
    project: &'p Project,
    closures: &[Vec<BTreeSet<FixtureRef>>],
) -> Vec<UnresetWrite<'p>> {
    let files: &'p [FileFacts] = project.files;
    let mut found = Vec::new();
    for (index, test) in files[file].tests.iter().enumerate() {
        for write in &test.fixture_writes {
            let Some(reference) = project.resolve(file, &test.classes, &write.fixture, None) else {
                continue;
            };
            let fixture = project.fixture(reference);
            if matches!(fixture.scope.as_str(), "function" | "") {
                continue;
            }
            let Some(value) = &fixture.shared_value else {
                continue;
            };
            let reset = closures
                .get(file)
                .and_then(|c| c.get(index))
                .is_some_and(|closure| {
                    closure.iter().any(|other| {
                        let other = project.fixture(*other);
                        other.scope == "function" && other.resets.contains(&fixture.name)
                    })
                });
            if !reset {
                found.push(UnresetWrite {
                    test: index,
                    write,
                    fixture: reference,
                    value,
                });
            }
        }
    }
    found
}

/// The ISO601/ISO602 findings of one file, each with the fixture it is about: each test that changes, or writes through, the value of
/// a class-, module-, package- or session-scoped fixture that no function fixture of the test
/// resets.
pub fn findings(
    file: usize,
    project: &Project,
    closures: &[Vec<BTreeSet<FixtureRef>>],
    (mutable, connection): (
        &'static crate::registry::RuleMeta,
        &'static crate::registry::RuleMeta,
    ),
) -> Vec<(Finding, Option<FixtureRef>)> {
    let files: &[FileFacts] = project.files;
    let mut found = Vec::new();
    for unreset in unreset_writes(file, project, closures) {
        let (test, write, reference) = (
            &files[file].tests[unreset.test],
            unreset.write,
            unreset.fixture,
        );
        let fixture = project.fixture(reference);
        let (rule, value) = match (unreset.value, write.through_connection) {
            (SharedValue::Mutable(value), false) => (mutable, value),
            (SharedValue::Connection(value), true) => (connection, value),
            _ => continue,
        };
        let scope = &fixture.scope;
        let (message, fix) = if rule.code == mutable.code {
            (
                    format!(
                        "test `{}` {}, changing `{}`, {value} that the {scope}-scoped fixture shares with every test of its {scope}; the tests after it on the same worker see the change",
                        test.name, write.what, write.fixture
                    ),
                    format!("give `{}` function scope, return a fresh copy per test (a function fixture that deep-copies it), or reset it in an autouse function fixture", write.fixture),
                )
        } else {
            (
                    format!(
                        "test `{}` {}: `{}` is {value} that the {scope}-scoped fixture shares with every test of its {scope}, and no fixture rolls back or cleans up between tests",
                        test.name, write.what, write.fixture
                    ),
                    format!("wrap each test in a transaction that a function fixture rolls back (`{}.begin_nested()` … `rollback()`), or give `{}` function scope", write.fixture, write.fixture),
                )
        };
        let defined_in = &files[reference.file];
        let finding = Finding {
            rule,
            span: write.span,
            message,
            fix,
            owner: Owner::of_test(test),
            related: Vec::new(),
            related_elsewhere: vec![Related {
                file: defined_in.display.clone(),
                line: fixture.position.line,
                column: fixture.position.column,
                message: format!("`{}` is {scope}-scoped and returns {value}", fixture.name),
            }],
            resource: Some(format!("fixture:{}", fixture.name)),
            site: FixSite::Fixture,
            tests: None,
        };
        found.push((finding, Some(reference)));
    }
    found
}
