//! The Neo4j inventory of a file for the audit: drivers (where created, URI, pool settings),
//! databases chosen (fixed or read from the environment), labels written, schema objects and users
//! created, waits for the server (`neo4j_waits`). Findings say what is wrong; this says what is there, the safe uses included.

use isolint_python::cypher::{self, CypherOp, SchemaAction};
use isolint_python::eval::Evaluator;
use isolint_python::knowledge::last_component;
use isolint_python::model::{BindingValue, FileModel, Role, ScopeKind};
use isolint_python::project::{Neo4jFact, Neo4jFactKind};
use isolint_python::query_tokens::Name;
use isolint_python::services::{
    QueryLanguage, NEO4J_DATABASE_KEYWORDS, NEO4J_DRIVER_CONSTRUCTORS, NEO4J_DRIVER_SETTINGS,
    NEO4J_SYSTEM_DATABASE, NEOMODEL_CLASS_WRITES, NEOMODEL_INSTANCE_WRITES, NEOMODEL_NODE_BASES,
    QUERY_METHODS,
};
use isolint_python::source::LineIndex;
use isolint_python::syntax::{field, kind, kind_of, text, unparenthesize};
use isolint_python::template::template;
use std::collections::HashMap;
use tree_sitter::Node;

pub fn extract(model: &FileModel, eval: &Evaluator, index: &LineIndex) -> Vec<Neo4jFact> {
    let source = model.source;
    let mut facts = Vec::new();
    let node_classes = neomodel_classes(model, eval);
    let imports_neomodel = model.scopes.iter().any(|s| {
        s.bindings.values().flatten().any(|b| {
            matches!(b.value, BindingValue::Import(m, _) if m == "neomodel" || m.starts_with("neomodel."))
        })
    });
    let neomodel = imports_neomodel || !node_classes.is_empty();
    let imports_client = crate::neo4j_waits::imports_client(model);
    // A constructor's qualified name starts with its package's name, which the file then says
    // somewhere: most files do not, and their calls' qualified names are not needed.
    let may_construct_driver = NEO4J_DRIVER_CONSTRUCTORS.iter().any(|constructor| {
        let package = constructor.split_once('.').map_or(*constructor, |(p, _)| p);
        source.contains(package)
    });
    // Whether any call can probe the server: most files have none, and no wait then.
    let mut may_probe = false;
    for (scope, s) in model.scopes.iter().enumerate() {
        for call in &s.calls {
            let Some(callee) = model.callee(*call) else {
                continue;
            };
            let last = match kind_of(callee) {
                kind::ATTRIBUTE => model
                    .attribute_parts(callee)
                    .1
                    .map_or("", |a| text(a, source)),
                _ => last_component(text(callee, source)),
            };
            may_probe = may_probe || crate::neo4j_waits::may_probe(callee, last, imports_client);
            // Most calls are none of these: decide from the names before anything is computed.
            // A driver constructor may be imported under another name (`from py2neo import
            // Graph as G`): a plain name is resolved; the other facts need their own names.
            let known_name = isolint_python::services::names_neo4j_wrapper(last)
                || names_driver_constructor(last)
                || NEO4J_DATABASE_KEYWORDS
                    .iter()
                    .any(|(name, _)| *name == last)
                || QUERY_METHODS.iter().any(|m| m.method == last);
            let may_matter = kind_of(callee) == kind::IDENTIFIER || known_name;
            let neomodel_write = neomodel
                && (NEOMODEL_CLASS_WRITES.contains(&last)
                    || NEOMODEL_INSTANCE_WRITES.contains(&last));
            if !may_matter && !neomodel_write {
                continue;
            }
            let fact = |kind, name: Option<String>, configured_by, settings| {
                let (owner, fixture_scope) = owner(model, scope);
                Neo4jFact {
                    kind,
                    name,
                    configured_by,
                    settings,
                    owner,
                    fixture_scope,
                    line: index.position(source, call.start_byte()).line,
                }
            };
            if neomodel_write {
                if let Some((label, imported)) =
                    neomodel_label(model, callee, last, scope, &node_classes)
                {
                    let settings = imported.map_or(Vec::new(), |(module, class)| {
                        vec![
                            (IMPORTED_FROM.to_string(), module),
                            (IMPORTED_CLASS.to_string(), class),
                        ]
                    });
                    facts.push(fact(Neo4jFactKind::Label, Some(label), None, settings));
                    continue;
                }
            }
            if !may_matter {
                continue;
            }
            let constructor = may_construct_driver
                && model
                    .qualified_name(callee, scope)
                    .is_some_and(|q| NEO4J_DRIVER_CONSTRUCTORS.contains(&q.as_str()));
            if !constructor && !known_name {
                continue;
            }
            let args = model.call_args(*call);
            if constructor {
                let uri = args.get(0, "uri");
                let settings = args
                    .keywords
                    .iter()
                    .filter(|(k, _)| NEO4J_DRIVER_SETTINGS.contains(k))
                    .map(|(k, v)| (k.to_string(), text(*v, source).to_string()))
                    .collect();
                facts.push(fact(
                    Neo4jFactKind::Driver,
                    uri.and_then(|u| eval.eval(u, scope).as_str().map(String::from)),
                    uri.and_then(|u| eval.env_source(u, scope)),
                    settings,
                ));
                continue;
            }
            let wrapper = [(last, "database")];
            let database = NEO4J_DATABASE_KEYWORDS
                .iter()
                .chain(
                    wrapper
                        .iter()
                        .filter(|(name, _)| isolint_python::services::names_neo4j_wrapper(name)),
                )
                .filter(|(name, _)| *name == last)
                .find_map(|(_, keyword)| {
                    if keyword.is_empty() {
                        args.positional.first().copied()
                    } else {
                        args.keyword(keyword)
                    }
                });
            if let Some(database) = database {
                let configured_by = eval.env_source(database, scope);
                let name = template(eval, database, scope)
                    .map(|t| Name::of_text(&t))
                    .and_then(|n| n.fixed().map(String::from))
                    .filter(|n| n != NEO4J_SYSTEM_DATABASE);
                if configured_by.is_some() || name.is_some() {
                    facts.push(fact(
                        Neo4jFactKind::Database,
                        name,
                        configured_by,
                        Vec::new(),
                    ));
                }
            }
            let Some(method) = QUERY_METHODS
                .iter()
                .find(|m| m.method == last && m.language == QueryLanguage::Cypher)
            else {
                continue;
            };
            let query = args
                .positional
                .first()
                .copied()
                .or_else(|| method.keywords.iter().find_map(|k| args.keyword(k)));
            let Some(query) = query.and_then(|q| template(eval, q, scope)) else {
                continue;
            };
            let scan = cypher::scan(&query);
            for label in scan.labels_written.iter().filter_map(Name::fixed) {
                facts.push(fact(
                    Neo4jFactKind::Label,
                    Some(label.to_string()),
                    None,
                    Vec::new(),
                ));
            }
            for op in scan.ops {
                match op {
                    CypherOp::Schema {
                        action,
                        name,
                        label,
                        ..
                    } => {
                        let shown = match (name, label) {
                            (Some(Name::Fixed(name)), _) => name,
                            (None, Some(Name::Fixed(label))) => format!(":{label}"),
                            _ => continue,
                        };
                        let action = match action {
                            SchemaAction::Create => "create",
                            SchemaAction::CreateIfNotExists => "create if not exists",
                            SchemaAction::Drop => "drop",
                        };
                        facts.push(fact(
                            Neo4jFactKind::Schema,
                            Some(shown),
                            None,
                            vec![("action".into(), action.into())],
                        ));
                    }
                    CypherOp::Principal {
                        name: Name::Fixed(name),
                        ..
                    } => facts.push(fact(Neo4jFactKind::User, Some(name), None, Vec::new())),
                    _ => {}
                }
            }
        }
    }
    if may_probe {
        facts.extend(crate::neo4j_waits::extract(model, eval, index, |scope| {
            owner(model, scope)
        }));
    }
    facts.sort();
    facts.dedup();
    facts
}

/// Whether a call's last name is the last component of a Neo4j driver constructor (`driver` of
/// `neo4j.GraphDatabase.driver`); `last` is one name, without dots, as every caller reads it.
pub(crate) fn names_driver_constructor(last: &str) -> bool {
    // Asked of every call: the constructors' last names are split once.
    static LAST_NAMES: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        NEO4J_DRIVER_CONSTRUCTORS
            .iter()
            .filter_map(|q| q.rsplit_once('.').map(|(_, name)| name))
            .collect()
    });
    LAST_NAMES.contains(&last)
}

/// The neomodel node classes a file defines (`class Person(StructuredNode)`, and their subclasses
/// in the file), with their labels: `__label__` when the class sets it, else the class name.
fn neomodel_classes<'t>(model: &FileModel<'t>, eval: &Evaluator) -> HashMap<&'t str, String> {
    let mut classes: HashMap<&'t str, String> = HashMap::new();
    // Bases come before subclasses in a file; a second pass catches the rest.
    for _ in 0..2 {
        for (id, scope) in model.scopes.iter().enumerate() {
            if scope.kind != ScopeKind::Class || classes.contains_key(scope.name) {
                continue;
            }
            let is_node = scope.bases.iter().any(|base| {
                let base = last_component(text(*base, model.source));
                NEOMODEL_NODE_BASES.contains(&base) || classes.contains_key(base)
            });
            if !is_node {
                continue;
            }
            let label = scope
                .bindings
                .get("__label__")
                .and_then(|b| b.last())
                .and_then(|b| match b.value {
                    BindingValue::Expr(value) => eval.eval(value, id).as_str().map(String::from),
                    _ => None,
                })
                .unwrap_or_else(|| scope.name.to_string());
            classes.insert(scope.name, label);
        }
    }
    classes
}

/// Settings of a label fact whose class is imported: the module, and the class's name there. The
/// project stage puts in the label that module's class declares and drops both.
const IMPORTED_FROM: &str = "imported from";
const IMPORTED_CLASS: &str = "imported class";

/// The neomodel node classes a file defines, with their labels, for files that import them.
pub(crate) fn neomodel_labels(model: &FileModel, eval: &Evaluator) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = neomodel_classes(model, eval)
        .into_iter()
        .map(|(class, label)| (class.to_string(), label))
        .collect();
    labels.sort();
    labels
}

/// Puts the label an imported node class declares (`__label__` in the package's module) in
/// place of its class name, from `labels` (module → its node classes and their labels).
pub(crate) fn resolve_imported_labels(
    facts: &mut [Neo4jFact],
    package: &str,
    labels: &HashMap<String, Vec<(String, String)>>,
) {
    for fact in facts.iter_mut().filter(|f| f.kind == Neo4jFactKind::Label) {
        let setting = |key: &str| {
            fact.settings
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let (Some(module), Some(class)) = (setting(IMPORTED_FROM), setting(IMPORTED_CLASS)) else {
            continue;
        };
        fact.settings
            .retain(|(k, _)| k != IMPORTED_FROM && k != IMPORTED_CLASS);
        let declared = crate::analysis::summaries::absolute_module(package, &module)
            .and_then(|module| labels.get(&module))
            .and_then(|classes| classes.iter().find(|(c, _)| *c == class));
        if let Some((_, label)) = declared {
            fact.name = Some(label.clone());
        }
    }
}

/// The label a neomodel write stores nodes under: `Person.create(...)`, `Person(...).save()`,
/// `ada.save()` for `ada = Person(...)`, `Person.nodes.filter(...).delete()`. The class is one of
/// the file's node classes, or a capitalised name imported into a file that uses neomodel: its
/// class name stands for the label, with the module and name it is imported as, for the project
/// stage to read the `__label__` the module declares.
fn neomodel_label(
    model: &FileModel,
    callee: Node,
    method: &str,
    scope: usize,
    node_classes: &HashMap<&str, String>,
) -> Option<(String, Option<(String, String)>)> {
    let source = model.source;
    let object = unparenthesize(model.attribute_parts(callee).0?);
    let class_node = if NEOMODEL_CLASS_WRITES.contains(&method) {
        object
    } else {
        instance_class(model, object, scope)?
    };
    if kind_of(class_node) != kind::IDENTIFIER {
        return None;
    }
    let class = text(class_node, source);
    if let Some(label) = node_classes.get(class) {
        return Some((label.clone(), None));
    }
    let imported = match model.lookup(class, scope, class_node.start_byte()) {
        Some((_, b)) => match b.value {
            BindingValue::Import(module, Some(member)) => {
                Some((module.to_string(), member.to_string()))
            }
            BindingValue::Import(..) => None,
            _ => return None,
        },
        None => return None,
    };
    class
        .starts_with(|c: char| c.is_ascii_uppercase())
        .then(|| (class.to_string(), imported))
}

/// The class node an instance or node set comes from: `Person(...)`, a name bound to it, or
/// `Person.nodes...` (a node set's query chain).
fn instance_class<'t>(model: &FileModel<'t>, object: Node<'t>, scope: usize) -> Option<Node<'t>> {
    let mut node = object;
    for _ in 0..8 {
        node = unparenthesize(node);
        match kind_of(node) {
            kind::CALL => node = model.callee(node)?,
            kind::ATTRIBUTE => {
                let inner = model.attribute_parts(node).0?;
                let attribute = model.attribute_parts(node).1?;
                if text(attribute, model.source) == "nodes" {
                    return Some(unparenthesize(inner));
                }
                node = inner;
            }
            kind::IDENTIFIER => {
                // `Person(...)` itself, or a name bound to one.
                if kind_of(object) == kind::CALL && node.parent() == Some(object) {
                    return Some(node);
                }
                let (_, binding) =
                    model.lookup(text(node, model.source), scope, node.start_byte())?;
                return match binding.value {
                    BindingValue::Expr(value) if kind_of(unparenthesize(value)) == kind::CALL => {
                        unparenthesize(value).child_by_field_id(field::FUNCTION.id())
                    }
                    _ => None,
                };
            }
            _ => return None,
        }
    }
    None
}

/// "fixture `driver`", "test `test_x`", "helper `load`", "module level", and a fixture's scope.
fn owner(model: &FileModel, scope: usize) -> (String, Option<String>) {
    let id = model.owner(scope);
    let s = &model.scopes[id];
    match s.role {
        Role::Fixture => match model.fixtures.iter().find(|f| f.scope == id) {
            Some(fixture) => (
                format!("fixture `{}`", fixture.name),
                Some(fixture.scope_name.clone()),
            ),
            None => (format!("fixture `{}`", s.name), None),
        },
        Role::Test => (format!("test `{}`", s.name), None),
        Role::Module | Role::ClassBody => ("module level".to_string(), None),
        _ => (format!("`{}`", s.name), None),
    }
}

/// The Neo4j facts of a snippet of Python (`pytest_module`: read it as a test module), for tests.
#[cfg(test)]
pub(crate) fn snippet_facts(source: &str, pytest_module: bool) -> Vec<Neo4jFact> {
    use isolint_python::model::{build, BuildOptions};
    use isolint_python::parse::{parse, python_parser};
    use isolint_python::pytest_config::Naming;
    let mut parser = python_parser();
    let Ok(tree) = parse(&mut parser, source) else {
        panic!("the snippet parses");
    };
    let naming = Naming::default();
    let wanted = vec![false; isolint_python::syntax::kind_count()];
    let options = BuildOptions {
        naming: &naming,
        wanted_kinds: &wanted,
        pytest_module,
    };
    let model = build(&tree, source, &options);
    let eval = Evaluator::new(&model, &[]);
    let index = LineIndex::new(source);
    extract(&model, &eval, &index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_constructors_are_known_by_their_last_name() {
        for yes in [
            "driver",
            "bolt_driver",
            "neo4j_driver",
            "Graph",
            "GraphDataScience",
        ] {
            assert!(names_driver_constructor(yes), "{yes}");
        }
        for no in ["", "GraphDatabase", "neo4j", "drive", "Driver", "graph"] {
            assert!(!names_driver_constructor(no), "{no}");
        }
    }

    fn labels(source: &str) -> Vec<(String, usize)> {
        snippet_facts(source, true)
            .into_iter()
            .filter(|f| f.kind == Neo4jFactKind::Label)
            .filter_map(|f| Some((f.name?, f.line)))
            .collect()
    }

    #[test]
    fn neomodel_writes_name_their_class_label() {
        let source = r#"
from neomodel import StructuredNode, StringProperty
from app.models import Movie


class Person(StructuredNode):
    name = StringProperty()


class Actor(Person):
    __label__ = "Performer"


def test_writes():
    Person(name="ada").save()
    Actor.create({"name": "bob"})
    movie = Movie(title="Heat")
    movie.save()
    Person.nodes.filter(name="ada").delete()


def test_reads_only():
    assert Person.nodes.get(name="ada")
    assert Movie.nodes.all()
"#;
        let mut found = labels(source);
        found.sort();
        assert_eq!(
            found,
            vec![
                ("Movie".to_string(), 18),
                ("Performer".to_string(), 16),
                ("Person".to_string(), 15),
                ("Person".to_string(), 19),
            ]
        );
    }

    #[test]
    fn save_without_neomodel_is_no_label() {
        let source = r#"
from app.forms import Form


def test_saves_a_form():
    form = Form()
    form.save()
"#;
        assert!(labels(source).is_empty());
    }
}
