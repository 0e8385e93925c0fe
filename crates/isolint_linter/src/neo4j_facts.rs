//! The Neo4j inventory of a file for the audit: drivers (where created, URI, pool settings),
//! databases chosen (fixed or read from the environment), labels written, schema objects and users
//! created. Findings say what is wrong; this says what is there, the safe uses included.

use isolint_python::cypher::{self, CypherOp, SchemaAction};
use isolint_python::eval::Evaluator;
use isolint_python::knowledge::last_component;
use isolint_python::model::{FileModel, Role};
use isolint_python::project::{Neo4jFact, Neo4jFactKind};
use isolint_python::query_tokens::Name;
use isolint_python::services::{
    QueryLanguage, NEO4J_DATABASE_KEYWORDS, NEO4J_DRIVER_CONSTRUCTORS, NEO4J_DRIVER_SETTINGS,
    NEO4J_SYSTEM_DATABASE, QUERY_METHODS,
};
use isolint_python::source::LineIndex;
use isolint_python::syntax::{field, kind, text, CallArgs};
use isolint_python::template::template;

pub fn extract(model: &FileModel, eval: &Evaluator, index: &LineIndex) -> Vec<Neo4jFact> {
    let source = model.source;
    let mut facts = Vec::new();
    for (scope, s) in model.scopes.iter().enumerate() {
        for call in &s.calls {
            let Some(callee) = call.child_by_field_id(field::FUNCTION.id()) else {
                continue;
            };
            let last = match callee.kind() {
                kind::ATTRIBUTE => callee
                    .child_by_field_id(field::ATTRIBUTE.id())
                    .map_or("", |a| text(a, source)),
                _ => last_component(text(callee, source)),
            };
            // Most calls are none of these: decide from the names before anything is computed.
            let may_matter = callee.kind() == kind::IDENTIFIER
                || last.contains("Neo4j")
                || NEO4J_DRIVER_CONSTRUCTORS
                    .iter()
                    .any(|q| last_component(q) == last)
                || NEO4J_DATABASE_KEYWORDS
                    .iter()
                    .any(|(name, _)| *name == last)
                || QUERY_METHODS.iter().any(|m| m.method == last);
            if !may_matter {
                continue;
            }
            let (owner, fixture_scope) = owner(model, scope);
            let fact = |kind, name: Option<String>, configured_by, settings| Neo4jFact {
                kind,
                name,
                configured_by,
                settings,
                owner: owner.clone(),
                fixture_scope: fixture_scope.clone(),
                line: index.position(source, call.start_byte()).line,
            };
            let args = CallArgs::of(*call, source);
            let qualified = model.qualified_name(callee, scope);
            if qualified
                .as_deref()
                .is_some_and(|q| NEO4J_DRIVER_CONSTRUCTORS.contains(&q))
            {
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
                .chain(wrapper.iter().filter(|(name, _)| name.contains("Neo4j")))
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
    facts.sort();
    facts.dedup();
    facts
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
