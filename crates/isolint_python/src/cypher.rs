//! A keyword scanner for Cypher: tells what in a query touches state every worker shares (the whole
//! graph, a database, a schema object, a DBMS user) from work scoped to data of one test.
//!
//! Queries arrive as templates ([`crate::query_tokens`]): a part built from a unique value is a
//! unique hole, an unknown part an unknown hole. A name with a unique hole is per test or worker; a
//! name with an unknown hole is not judged.

use crate::query_tokens::{
    find_word, name_at, procedure_at, statements, tokenize, words_at, Dialect, Name, Tok, Token,
};

/// Something a query does to state beyond the test's own data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CypherOp {
    /// Deletes or resets what every worker shares.
    GraphWide(GraphWide),
    Database {
        action: DatabaseAction,
        name: Name,
    },
    Schema {
        action: SchemaAction,
        kind: SchemaKind,
        /// `None` for an unnamed index or constraint (Neo4j makes up a name).
        name: Option<Name>,
        label: Option<Name>,
    },
    Principal {
        kind: PrincipalKind,
        create: bool,
        name: Name,
    },
    /// A Graph Data Science in-memory projection.
    GdsGraph {
        drop: bool,
        name: Name,
    },
    /// Deletes every node of one label, with no other condition.
    LabelDelete {
        label: Name,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphWide {
    DeleteAllNodes,
    DeleteAllRelationships,
    /// `apoc.schema.assert` drops every index and constraint it is not given.
    SchemaAssert,
    ClearQueryCaches,
}

impl GraphWide {
    pub fn describe(self) -> &'static str {
        match self {
            GraphWide::DeleteAllNodes => "deletes every node of the graph",
            GraphWide::DeleteAllRelationships => "deletes every relationship of the graph",
            GraphWide::SchemaAssert => {
                "drops every index and constraint it is not given (`apoc.schema.assert`)"
            }
            GraphWide::ClearQueryCaches => "clears the query caches of the whole database",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseAction {
    Create,
    Drop,
    Start,
    Stop,
    Alter,
    /// `USE name` before a query.
    Use,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaAction {
    Create,
    /// `CREATE ... IF NOT EXISTS`: idempotent, so two workers creating it do not fail.
    CreateIfNotExists,
    Drop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    Constraint,
    Index,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    Role,
}

/// What one query does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CypherScan {
    pub ops: Vec<CypherOp>,
    /// Labels the query creates or merges nodes with.
    pub labels_written: Vec<Name>,
}

/// Scans a query template (every statement of it).
pub fn scan(query: &str) -> CypherScan {
    let tokens = tokenize(query, Dialect::Cypher);
    let mut scan = CypherScan::default();
    for statement in statements(&tokens) {
        scan_statement(statement, &mut scan, 0);
    }
    scan
}

const SCHEMA_MODIFIERS: &[&str] = &[
    "UNIQUE",
    "RANGE",
    "TEXT",
    "POINT",
    "LOOKUP",
    "FULLTEXT",
    "VECTOR",
    "BTREE",
    "OR",
    "REPLACE",
    "NODE",
    "RELATIONSHIP",
    "PROPERTY",
    "KEY",
    "EXISTENCE",
];

/// Procedures that create or drop a named index: the name is their first argument.
const INDEX_PROCEDURES: &[(&str, SchemaAction)] = &[
    ("db.index.fulltext.createNodeIndex", SchemaAction::Create),
    (
        "db.index.fulltext.createRelationshipIndex",
        SchemaAction::Create,
    ),
    ("db.index.vector.createNodeIndex", SchemaAction::Create),
    ("db.index.fulltext.drop", SchemaAction::Drop),
    ("db.createIndex", SchemaAction::Create),
];

const GDS_PROCEDURES: &[(&str, bool)] = &[
    ("gds.graph.project.cypher", false),
    ("gds.graph.project", false),
    ("gds.graph.create.cypher", false),
    ("gds.graph.create", false),
    ("gds.graph.drop", true),
];

fn scan_statement(tokens: &[Token], scan: &mut CypherScan, depth: usize) {
    if tokens.first().is_some_and(|t| t.is_word("USE")) {
        if let Some((name, _)) = name_at(tokens, 1) {
            scan.ops.push(CypherOp::Database {
                action: DatabaseAction::Use,
                name,
            });
        }
    }
    for (i, token) in tokens.iter().enumerate() {
        let Some(word) = token.word() else { continue };
        let previous = i.checked_sub(1).and_then(|p| tokens.get(p));
        if previous.is_some_and(|p| p.is_sym('.') || p.is_sym(':')) {
            continue;
        }
        match word.to_ascii_uppercase().as_str() {
            "DATABASE" => database(tokens, i, scan),
            "INDEX" | "CONSTRAINT" => schema(tokens, i, scan),
            "USER" | "ROLE" => principal(tokens, i, scan),
            "DELETE" => deletion(tokens, i, scan),
            "CREATE" | "MERGE" if tokens.get(i + 1).is_some_and(|t| t.is_sym('(')) => {
                labels_written(tokens, i, scan)
            }
            _ => procedure(tokens, i, scan, depth),
        }
    }
}

/// The keyword before `at`, skipping modifiers.
fn verb_before(tokens: &[Token], at: usize, modifiers: &[&str]) -> Option<String> {
    let mut i = at;
    while i > 0 {
        i -= 1;
        let word = tokens[i].word()?;
        if modifiers.iter().any(|m| m.eq_ignore_ascii_case(word)) {
            continue;
        }
        return Some(word.to_ascii_uppercase());
    }
    None
}

fn database(tokens: &[Token], at: usize, scan: &mut CypherScan) {
    let action = match verb_before(tokens, at, &["OR", "REPLACE", "COMPOSITE"]).as_deref() {
        Some("CREATE") => DatabaseAction::Create,
        Some("DROP") => DatabaseAction::Drop,
        Some("START") => DatabaseAction::Start,
        Some("STOP") => DatabaseAction::Stop,
        Some("ALTER") => DatabaseAction::Alter,
        _ => return,
    };
    if let Some((name, _)) = name_at(tokens, at + 1) {
        scan.ops.push(CypherOp::Database { action, name });
    }
}

fn schema(tokens: &[Token], at: usize, scan: &mut CypherScan) {
    let kind = if tokens[at].is_word("INDEX") {
        SchemaKind::Index
    } else {
        SchemaKind::Constraint
    };
    let drop = match verb_before(tokens, at, SCHEMA_MODIFIERS).as_deref() {
        Some("CREATE") => false,
        Some("DROP") => true,
        _ => return,
    };
    let mut next = at + 1;
    let name = match tokens.get(next) {
        Some(t) if t.is_word("FOR") || t.is_word("ON") || t.is_word("IF") => None,
        Some(_) => name_at(tokens, next).map(|(name, after)| {
            next = after;
            name
        }),
        None => None,
    };
    let if_not_exists = words_at(tokens, next, &["IF", "NOT", "EXISTS"]);
    let label = (next..tokens.len())
        .find(|k| tokens[*k].is_sym(':'))
        .and_then(|k| name_at(tokens, k + 1))
        .map(|(label, _)| label);
    let action = match (drop, if_not_exists) {
        (true, _) => SchemaAction::Drop,
        (false, true) => SchemaAction::CreateIfNotExists,
        (false, false) => SchemaAction::Create,
    };
    scan.ops.push(CypherOp::Schema {
        action,
        kind,
        name,
        label,
    });
}

fn principal(tokens: &[Token], at: usize, scan: &mut CypherScan) {
    let kind = if tokens[at].is_word("USER") {
        PrincipalKind::User
    } else {
        PrincipalKind::Role
    };
    let create = match verb_before(tokens, at, &["OR", "REPLACE"]).as_deref() {
        Some("CREATE") => true,
        Some("DROP") => false,
        _ => return,
    };
    if let Some((name, _)) = name_at(tokens, at + 1) {
        scan.ops.push(CypherOp::Principal { kind, create, name });
    }
}

/// The first argument of a procedure call whose name ends at `name_end`.
fn first_argument(tokens: &[Token], name_end: usize) -> Option<Name> {
    if !tokens.get(name_end)?.is_sym('(') {
        return None;
    }
    name_at(tokens, name_end + 1).map(|(name, _)| name)
}

fn procedure(tokens: &[Token], at: usize, scan: &mut CypherScan, depth: usize) {
    let parts = |dotted: &str| at + 2 * dotted.split('.').count() - 1;
    if procedure_at(tokens, at, "apoc.schema.assert") {
        scan.ops.push(CypherOp::GraphWide(GraphWide::SchemaAssert));
    } else if procedure_at(tokens, at, "db.clearQueryCaches") {
        scan.ops
            .push(CypherOp::GraphWide(GraphWide::ClearQueryCaches));
    } else if depth == 0
        && (procedure_at(tokens, at, "apoc.periodic.iterate")
            || procedure_at(tokens, at, "apoc.periodic.commit"))
    {
        // The work is in the string arguments: read them as one query.
        let inner: Vec<&str> = tokens[at..]
            .iter()
            .filter_map(|t| match &t.tok {
                Tok::Str(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        let inner = inner.join(" ");
        let inner_tokens = tokenize(&inner, Dialect::Cypher);
        for statement in statements(&inner_tokens) {
            scan_statement(statement, scan, depth + 1);
        }
    } else if let Some((dotted, action)) = INDEX_PROCEDURES
        .iter()
        .find(|(dotted, _)| procedure_at(tokens, at, dotted))
    {
        if let Some(name) = first_argument(tokens, parts(dotted)) {
            scan.ops.push(CypherOp::Schema {
                action: *action,
                kind: SchemaKind::Index,
                name: Some(name),
                label: None,
            });
        }
    } else if let Some((dotted, drop)) = GDS_PROCEDURES
        .iter()
        .find(|(dotted, _)| procedure_at(tokens, at, dotted))
    {
        if let Some(name) = first_argument(tokens, parts(dotted)) {
            scan.ops.push(CypherOp::GdsGraph { drop: *drop, name });
        }
    }
}

/// `DELETE a, b`: for each deleted variable, whether its pattern limits it to some data.
fn deletion(tokens: &[Token], at: usize, scan: &mut CypherScan) {
    let mut i = at + 1;
    let mut variables = Vec::new();
    while let Some(variable) = tokens.get(i).and_then(Token::word) {
        variables.push(variable);
        if !tokens.get(i + 1).is_some_and(|t| t.is_sym(',')) {
            break;
        }
        i += 2;
    }
    let before = &tokens[..at];
    for variable in variables {
        let filtered = find_word(before, 0, "WHERE")
            .is_some_and(|w| before[w..].iter().any(|t| t.word() == Some(variable)));
        if filtered {
            continue;
        }
        match pattern_of(before, variable) {
            Pattern::Bare {
                relationship: false,
            } => scan
                .ops
                .push(CypherOp::GraphWide(GraphWide::DeleteAllNodes)),
            Pattern::Bare { relationship: true } => {
                // `()-[r]->()` is every relationship unless a node of the path is labelled.
                if !before.iter().any(|t| t.is_sym(':') || t.is_sym('{')) {
                    scan.ops
                        .push(CypherOp::GraphWide(GraphWide::DeleteAllRelationships));
                }
            }
            Pattern::Labelled(label) => scan.ops.push(CypherOp::LabelDelete { label }),
            Pattern::Scoped => {}
        }
    }
}

enum Pattern {
    /// `(n)` alone, or `[r]` with no type.
    Bare { relationship: bool },
    /// `(n:Label)` with nothing else limiting it.
    Labelled(Name),
    /// Limited by properties, a path to other nodes, or defined in a way the scanner does not read.
    Scoped,
}

fn pattern_of(tokens: &[Token], variable: &str) -> Pattern {
    // The first pattern binds the variable; later ones (`OPTIONAL MATCH (n)-[r]-()`) only widen.
    let Some(k) = (0..tokens.len()).find(|k| {
        (tokens[*k].is_sym('(') || tokens[*k].is_sym('['))
            && tokens.get(k + 1).and_then(Token::word) == Some(variable)
    }) else {
        return Pattern::Scoped;
    };
    let relationship = tokens[k].is_sym('[');
    let continues_path = |at: usize| {
        tokens
            .get(at)
            .is_some_and(|t| matches!(t.tok, Tok::Sym('-' | '<')))
    };
    let after = tokens.get(k + 2);
    if after.is_some_and(|t| t.is_sym(')') || t.is_sym(']')) {
        let in_path = k
            .checked_sub(1)
            .is_some_and(|p| matches!(tokens[p].tok, Tok::Sym('-' | '>' | '<')))
            || continues_path(k + 3);
        if in_path && !relationship {
            Pattern::Scoped
        } else {
            Pattern::Bare { relationship }
        }
    } else if after.is_some_and(|t| t.is_sym(':')) && !relationship {
        match name_at(tokens, k + 3) {
            Some((label, end))
                if tokens.get(end).is_some_and(|t| t.is_sym(')')) && !continues_path(end + 1) =>
            {
                Pattern::Labelled(label)
            }
            _ => Pattern::Scoped,
        }
    } else {
        Pattern::Scoped
    }
}

/// Labels of the node patterns after `CREATE (` / `MERGE (`.
fn labels_written(tokens: &[Token], at: usize, scan: &mut CypherScan) {
    let mut depth = 0usize;
    for k in at + 1..tokens.len() {
        match &tokens[k].tok {
            Tok::Sym('(') => depth += 1,
            Tok::Sym(')') => depth = depth.saturating_sub(1),
            Tok::Sym(':') if depth == 1 => {
                let opens_node = tokens[k - 1].is_sym('(')
                    || (tokens[k - 1].word().is_some() && tokens[k - 2].is_sym('('));
                if opens_node {
                    if let Some((label, _)) = name_at(tokens, k + 1) {
                        if !scan.labels_written.contains(&label) {
                            scan.labels_written.push(label);
                        }
                    }
                }
            }
            Tok::Word(w)
                if depth == 0
                    && ["MATCH", "RETURN", "WITH", "CREATE", "MERGE"]
                        .iter()
                        .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                break
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query_tokens::{UNIQUE_HOLE, UNKNOWN_HOLE};

    fn ops(query: &str) -> Vec<CypherOp> {
        scan(query).ops
    }

    fn wipes(query: &str) -> bool {
        ops(query)
            .iter()
            .any(|op| matches!(op, CypherOp::GraphWide(_)))
    }

    #[test]
    fn graph_wide_deletes() {
        assert!(wipes("MATCH (n) DETACH DELETE n"));
        assert!(wipes("match (n) optional match (n)-[r]-() delete n, r"));
        assert!(wipes("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n"));
        assert!(wipes("MATCH ()-[r]->() DELETE r"));
        assert!(wipes("CALL apoc.schema.assert({}, {})"));
        assert!(wipes("CALL db.clearQueryCaches()"));
        assert!(wipes(
            "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DETACH DELETE n', {batchSize: 1000})"
        ));
        assert!(wipes("CREATE (a:A); MATCH (x) DETACH DELETE x;"));
    }

    #[test]
    fn scoped_deletes_are_not_graph_wide() {
        assert!(!wipes("MATCH (n:Person {run: $run}) DETACH DELETE n"));
        assert!(!wipes("MATCH (n) WHERE n.test_id = $id DETACH DELETE n"));
        assert!(!wipes("MATCH (n) WHERE id(n) = $id DELETE n"));
        assert!(!wipes("MATCH (t:Test)-[r]->(n) DELETE r, n"));
        assert!(!wipes("MATCH (:Run {id: $id})-[r]->() DELETE r"));
        assert!(!wipes(&format!(
            "MATCH (n:Test_{UNIQUE_HOLE}) DETACH DELETE n"
        )));
        assert!(!wipes("MATCH (n) RETURN count(n)"));
        assert!(!wipes(
            "CALL apoc.periodic.iterate('MATCH (n:Tmp) RETURN n', 'DETACH DELETE n', {})"
        ));
        assert_eq!(
            ops("MATCH (n:Person) DETACH DELETE n"),
            vec![CypherOp::LabelDelete {
                label: Name::Fixed("Person".into())
            }]
        );
        assert_eq!(
            ops(&format!("MATCH (n:T{UNIQUE_HOLE}) DETACH DELETE n")),
            vec![CypherOp::LabelDelete {
                label: Name::Unique
            }]
        );
    }

    #[test]
    fn databases_users_and_projections() {
        assert_eq!(
            ops("CREATE DATABASE testdb IF NOT EXISTS"),
            vec![CypherOp::Database {
                action: DatabaseAction::Create,
                name: Name::Fixed("testdb".into())
            }]
        );
        assert_eq!(
            ops(&format!("DROP DATABASE test_{UNIQUE_HOLE}")),
            vec![CypherOp::Database {
                action: DatabaseAction::Drop,
                name: Name::Unique
            }]
        );
        assert_eq!(
            ops(&format!("CREATE OR REPLACE DATABASE {UNKNOWN_HOLE}")),
            vec![CypherOp::Database {
                action: DatabaseAction::Create,
                name: Name::Unknown
            }]
        );
        assert!(ops("SHOW DATABASES").is_empty());
        assert_eq!(
            ops("CREATE USER alice SET PASSWORD 'x'"),
            vec![CypherOp::Principal {
                kind: PrincipalKind::User,
                create: true,
                name: Name::Fixed("alice".into())
            }]
        );
        assert!(ops("CREATE (u:User {name: 'a'})")
            .iter()
            .all(|op| !matches!(op, CypherOp::Principal { .. })));
        assert_eq!(
            ops("CALL gds.graph.project('people', 'Person', 'KNOWS')"),
            vec![CypherOp::GdsGraph {
                drop: false,
                name: Name::Fixed("people".into())
            }]
        );
        assert_eq!(
            ops("USE movies MATCH (n) RETURN n")[0],
            CypherOp::Database {
                action: DatabaseAction::Use,
                name: Name::Fixed("movies".into())
            }
        );
    }

    #[test]
    fn schema_objects() {
        assert_eq!(
            ops("CREATE CONSTRAINT person_id FOR (p:Person) REQUIRE p.id IS UNIQUE"),
            vec![CypherOp::Schema {
                action: SchemaAction::Create,
                kind: SchemaKind::Constraint,
                name: Some(Name::Fixed("person_id".into())),
                label: Some(Name::Fixed("Person".into())),
            }]
        );
        assert_eq!(
            ops("CREATE INDEX idx IF NOT EXISTS FOR (n:Doc) ON (n.title)")[0],
            CypherOp::Schema {
                action: SchemaAction::CreateIfNotExists,
                kind: SchemaKind::Index,
                name: Some(Name::Fixed("idx".into())),
                label: Some(Name::Fixed("Doc".into())),
            }
        );
        assert_eq!(
            ops("CREATE INDEX ON :Person(name)")[0],
            CypherOp::Schema {
                action: SchemaAction::Create,
                kind: SchemaKind::Index,
                name: None,
                label: Some(Name::Fixed("Person".into())),
            }
        );
        assert_eq!(
            ops("CREATE VECTOR INDEX chunks FOR (c:Chunk) ON c.embedding")[0],
            CypherOp::Schema {
                action: SchemaAction::Create,
                kind: SchemaKind::Index,
                name: Some(Name::Fixed("chunks".into())),
                label: Some(Name::Fixed("Chunk".into())),
            }
        );
        assert_eq!(
            ops("CALL db.index.fulltext.createNodeIndex('search', ['Doc'], ['text'])")[0],
            CypherOp::Schema {
                action: SchemaAction::Create,
                kind: SchemaKind::Index,
                name: Some(Name::Fixed("search".into())),
                label: None,
            }
        );
        assert!(matches!(
            ops("DROP CONSTRAINT person_id IF EXISTS")[0],
            CypherOp::Schema {
                action: SchemaAction::Drop,
                ..
            }
        ));
        assert!(ops("SHOW INDEXES").is_empty());
    }

    #[test]
    fn labels_of_created_nodes() {
        let scan = scan(&format!(
            "CREATE (a:Person {{name: 'x'}})-[:KNOWS]->(b:Run_{UNIQUE_HOLE}) RETURN a"
        ));
        assert_eq!(
            scan.labels_written,
            vec![Name::Fixed("Person".into()), Name::Unique]
        );
        assert!(scan.ops.is_empty());
    }
}
