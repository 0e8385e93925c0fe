//! Neo4j operations of a call: queries (scanned as Cypher), database choices, the clients' own
//! wiping and schema calls.

use super::{quoted, Call, ResourceKind, ServiceOp, WORKER_SUFFIX};
use isolint_python::cypher::{self, CypherOp, DatabaseAction, GraphWide, SchemaAction, SchemaKind};
use isolint_python::query_tokens::Name;
use isolint_python::services::{
    QueryLanguage, NEO4J_DATABASE_KEYWORDS, NEO4J_DEFAULT_DATABASE, NEO4J_SCHEMA_CALLS,
    NEO4J_SYSTEM_DATABASE, NEO4J_WIPE_CALLS, PER_WORKER_TEST_DATABASES, QUERY_METHODS,
};
use isolint_python::sql;
use isolint_python::value::{Root, Text, Value};

/// The resource of a database named by a fixture's value, until the project stage knows the value.
pub(crate) const NAMED_BY_FIXTURE: &str = "neo4j:db/@fixture:";
/// Where the fixture's value goes in the message, once known.
pub(crate) const FIXTURE_VALUE: &str = "\u{1}";

/// The resource of a database a helper opens under one of its parameters
/// (`def make_session(driver, db="testdb")`), until a call binds the argument.
pub(crate) const NAMED_BY_PARAMETER: &str = "neo4j:db/@parameter:";

/// The parameter a helper's database choice waits for.
pub(crate) fn database_parameter(op: &ServiceOp) -> Option<&str> {
    op.resource.strip_prefix(NAMED_BY_PARAMETER)
}

/// A helper's database choice with the argument a call passes (or the parameter's default) put
/// in: a fixed name becomes the database it opens; a parameter of the caller waits for the
/// caller's callers; anything else (per worker, from the environment, unknown) is no finding.
pub(crate) fn with_database_argument(op: &ServiceOp, argument: &Value) -> Option<ServiceOp> {
    let Value::Text(text) = argument else {
        return None;
    };
    match &text.root {
        Root::Literal => {
            let Name::Fixed(database) = Name::of_text(&text.text) else {
                return None;
            };
            if database == NEO4J_SYSTEM_DATABASE || database == NEO4J_DEFAULT_DATABASE {
                return None;
            }
            Some(ServiceOp {
                resource: format!("neo4j:db/{database}"),
                what: fixed_database_what(&database),
                fix: fixed_database_fix(),
                ..op.clone()
            })
        }
        Root::Param(param) if text.text.is_empty() && !param.each => Some(ServiceOp {
            resource: format!("{NAMED_BY_PARAMETER}{}", param.name),
            ..op.clone()
        }),
        _ => None,
    }
}

fn fixed_database_what(database: &str) -> String {
    format!(
        "opens the fixed Neo4j database {}, shared by every worker",
        quoted(database)
    )
}

fn fixed_database_fix() -> String {
    format!("read the name from the environment, or {WORKER_SUFFIX} (one database per worker needs Enterprise; on Community run one Neo4j per worker or scope the data by a per-worker label)")
}

pub(super) fn operations(call: &Call, ops: &mut Vec<ServiceOp>) {
    queries(call, ops);
    database_choice(call, ops);
    client_calls(call, ops);
}

fn queries(call: &Call, ops: &mut Vec<ServiceOp>) {
    let Some(method) = QUERY_METHODS.iter().find(|m| m.method == call.last) else {
        return;
    };
    let args = call.args();
    let query = args.positional.first().copied().or_else(|| {
        method
            .keywords
            .iter()
            .find_map(|keyword| args.keyword(keyword))
    });
    let Some(template) = query.and_then(|q| call.template(q)) else {
        return;
    };
    match method.language {
        QueryLanguage::Cypher => {
            for op in cypher::scan(&template).ops {
                ops.extend(cypher_operation(op));
            }
        }
        QueryLanguage::Sql => {
            for op in sql::scan(&template) {
                // A schema lives inside a database; the runner's per-worker test database keeps it private.
                let per_worker_database = op.object == "SCHEMA"
                    && PER_WORKER_TEST_DATABASES
                        .iter()
                        .any(|m| call.file_imports(m));
                if per_worker_database {
                    continue;
                }
                if let Name::Fixed(name) = op.name {
                    let object = op.object.to_ascii_lowercase();
                    let key = if op.object == "DATABASE" {
                        "db"
                    } else {
                        "schema"
                    };
                    ops.push(ServiceOp {
                        kind: ResourceKind::Database,
                        resource: format!("sql:{key}/{name}"),
                        what: format!(
                            "{} the SQL {object} {} that every worker shares",
                            if op.create { "creates" } else { "drops" },
                            quoted(&name)
                        ),
                        fix: format!(
                            "{WORKER_SUFFIX}, or create it once per run behind a file lock"
                        ),
                        connects_only: false,
                    });
                }
            }
        }
    }
}

fn cypher_operation(op: CypherOp) -> Option<ServiceOp> {
    let per_test_data = "delete only what this test created: label its nodes with a label unique to the test or worker (`f\"Test_{worker_id}\"`) and `MATCH (n:Test_...) DETACH DELETE n`, or give each worker its own database";
    Some(match op {
        CypherOp::GraphWide(wide) => ServiceOp {
            kind: ResourceKind::Neo4jWipe,
            resource: match wide {
                GraphWide::SchemaAssert => "neo4j:schema".to_string(),
                _ => "neo4j:graph".to_string(),
            },
            what: format!("runs Cypher that {}, shared by every worker", wide.describe()),
            fix: match wide {
                GraphWide::SchemaAssert => "create the indexes and constraints once with `IF NOT EXISTS` and leave them in place during the run".to_string(),
                GraphWide::ClearQueryCaches => "leave the caches alone during a parallel run (measure cold queries in a serial job)".to_string(),
                _ => per_test_data.to_string(),
            },
            connects_only: false,
        },
        CypherOp::Database {
            action,
            name: Name::Fixed(name),
        } => {
            let verb = match action {
                DatabaseAction::Create => "creates",
                DatabaseAction::Drop => "drops",
                DatabaseAction::Start => "starts",
                DatabaseAction::Stop => "stops",
                DatabaseAction::Alter => "alters",
                DatabaseAction::Use => "runs its query in (`USE`)",
            };
            ServiceOp {
                kind: ResourceKind::Neo4jDatabase,
                resource: format!("neo4j:db/{name}"),
                what: format!("{verb} the fixed Neo4j database {}", quoted(&name)),
                fix: format!("{WORKER_SUFFIX} (one database per worker needs Enterprise), or run one Neo4j per worker"),
                connects_only: action == DatabaseAction::Use,
            }
        }
        CypherOp::Schema {
            action: action @ (SchemaAction::Create | SchemaAction::Drop),
            kind,
            name,
            label,
        } => {
            let object = match kind {
                SchemaKind::Constraint => "constraint",
                SchemaKind::Index => "index",
            };
            let (key, shown) = match (name, label) {
                (Some(Name::Fixed(name)), _) => (name.clone(), format!("{object} {}", quoted(&name))),
                (None, Some(Name::Fixed(label))) => {
                    (format!(":{label}"), format!("unnamed {object} on `:{label}`"))
                }
                _ => return None,
            };
            let (verb, fix) = if action == SchemaAction::Drop {
                ("drops", "leave shared schema in place during the run; drop only objects named with the worker id")
            } else {
                ("creates", "add `IF NOT EXISTS` and create it once per run (a session fixture behind a file lock), or name it with the worker id")
            };
            ServiceOp {
                kind: ResourceKind::Neo4jSchema,
                resource: format!("neo4j:schema/{key}"),
                what: format!("{verb} the {shown} in the shared database"),
                fix: fix.to_string(),
                connects_only: false,
            }
        }
        CypherOp::Principal {
            kind,
            create,
            name: Name::Fixed(name),
        } => {
            let object = match kind {
                cypher::PrincipalKind::User => "user",
                cypher::PrincipalKind::Role => "role",
            };
            ServiceOp {
                kind: ResourceKind::Neo4jSchema,
                resource: format!("neo4j:{object}/{name}"),
                what: format!(
                    "{} the DBMS {object} {} that every worker shares",
                    if create { "creates" } else { "drops" },
                    quoted(&name)
                ),
                fix: WORKER_SUFFIX.to_string(),
                connects_only: false,
            }
        }
        CypherOp::GdsGraph {
            drop,
            name: Name::Fixed(name),
        } => gds(drop, &name),
        _ => return None,
    })
}

fn gds(drop: bool, name: &str) -> ServiceOp {
    ServiceOp {
        kind: if drop {
            ResourceKind::Neo4jWipe
        } else {
            ResourceKind::Neo4jSchema
        },
        resource: format!("neo4j:gds/{name}"),
        what: format!(
            "{} the GDS graph projection {}, a name every worker shares",
            if drop { "drops" } else { "creates" },
            quoted(name)
        ),
        fix: format!("{WORKER_SUFFIX} for the projection"),
        connects_only: false,
    }
}

fn database_choice(call: &Call, ops: &mut Vec<ServiceOp>) {
    let args = call.args();
    // The suite's own wrappers (a Dagster `Neo4jResource`, a `Neo4jClient`) take the same keyword.
    let own_wrapper = [(call.last, "database")];
    let known = NEO4J_DATABASE_KEYWORDS.iter().chain(
        own_wrapper
            .iter()
            .filter(|(name, _)| isolint_python::services::names_neo4j_wrapper(name)),
    );
    for (name, keyword) in known {
        if *name != call.last {
            continue;
        }
        let node = if keyword.is_empty() {
            args.positional.first().copied()
        } else {
            args.keyword(keyword)
        };
        if let Some(fixture) = node.and_then(|n| fixture_value_of(call, n)) {
            ops.push(ServiceOp {
                kind: ResourceKind::Neo4jDatabase,
                resource: format!("{NAMED_BY_FIXTURE}{fixture}"),
                what: format!("opens the fixed Neo4j database {} (the value of fixture `{fixture}`), shared by every worker", quoted(FIXTURE_VALUE)),
                fix: format!("return the name from the environment in fixture `{fixture}`, or {WORKER_SUFFIX} there (one database per worker needs Enterprise; on Community run one Neo4j per worker or scope the data by a per-worker label)"),
                connects_only: true,
            });
            continue;
        }
        if let Some(parameter) = node.and_then(|n| own_parameter(call, n)) {
            ops.push(ServiceOp {
                kind: ResourceKind::Neo4jDatabase,
                resource: format!("{NAMED_BY_PARAMETER}{parameter}"),
                what: String::new(),
                fix: String::new(),
                connects_only: true,
            });
            continue;
        }
        if let Some(Name::Fixed(database)) = node.map(|n| call.name(n)).filter(|n| {
            n.fixed()
                .is_none_or(|d| d != NEO4J_SYSTEM_DATABASE && d != NEO4J_DEFAULT_DATABASE)
        }) {
            ops.push(ServiceOp {
                kind: ResourceKind::Neo4jDatabase,
                resource: format!("neo4j:db/{database}"),
                what: fixed_database_what(&database),
                fix: fixed_database_fix(),
                connects_only: true,
            });
        }
    }
}

/// The parameter of the calling function an argument is, as it is (`database=db` in
/// `def make_session(driver, db="testdb")`); test code's parameters are fixtures instead.
fn own_parameter(call: &Call, node: tree_sitter::Node) -> Option<String> {
    let scope = &call.ctx.model.scopes[call.scope];
    if scope.role != isolint_python::model::Role::Helper {
        return None;
    }
    match call.value(node) {
        Value::Text(Text {
            root: Root::Param(param),
            text,
            ..
        }) if text.is_empty() && !param.each => Some(param.name),
        _ => None,
    }
}

/// The fixture whose value an argument is, as it is (`database=db_name` in a test taking `db_name`).
fn fixture_value_of(call: &Call, node: tree_sitter::Node) -> Option<String> {
    match call.value(node) {
        Value::Text(Text {
            root: Root::Fixture(name),
            text,
            ..
        }) if text.is_empty() => Some(name),
        _ => None,
    }
}

fn client_calls(call: &Call, ops: &mut Vec<ServiceOp>) {
    if let Some(wipe) = NEO4J_WIPE_CALLS.iter().find(|w| w.name == call.last) {
        if wipe.module.is_none_or(|m| call.file_imports(m)) {
            ops.push(ServiceOp {
                kind: ResourceKind::Neo4jWipe,
                resource: if wipe.what.contains("node") {
                    "neo4j:graph".to_string()
                } else {
                    "neo4j:schema".to_string()
                },
                what: format!("{}, shared by every worker", wipe.what),
                fix: "delete only the nodes this test created (a label or property unique to the test or worker), or give each worker its own database".to_string(),
                connects_only: false,
            });
        }
    }
    for schema in NEO4J_SCHEMA_CALLS {
        let matches = call.callee_text == schema.suffix
            || call
                .callee_text
                .strip_suffix(schema.suffix)
                .is_some_and(|rest| rest.ends_with('.'));
        if !matches {
            continue;
        }
        let args = call.args();
        let node = schema
            .position
            .and_then(|p| args.positional.get(p).copied())
            .or_else(|| args.keyword(schema.keyword));
        let name = match node {
            Some(node) => call.name(node),
            None if args.has_splat => Name::Unknown,
            None => schema
                .default
                .map_or(Name::Unknown, |d| Name::Fixed(d.to_string())),
        };
        let Name::Fixed(name) = name else { continue };
        if schema.what == "GDS graph projection" {
            ops.push(gds(schema.drop, &name));
            continue;
        }
        let on_label = schema.what.ends_with("on label");
        ops.push(ServiceOp {
            kind: ResourceKind::Neo4jSchema,
            resource: if on_label {
                format!("neo4j:schema/:{name}")
            } else {
                format!("neo4j:schema/{name}")
            },
            what: if on_label {
                format!("creates a {} `:{name}` in the shared database", schema.what)
            } else {
                format!(
                    "creates the {} {} in the shared database",
                    schema.what,
                    quoted(&name)
                )
            },
            fix: format!("create it once per run behind a file lock, or {WORKER_SUFFIX}"),
            connects_only: false,
        });
    }
}
