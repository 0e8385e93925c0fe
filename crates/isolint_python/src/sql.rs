//! A keyword scanner for SQL: the databases and schemas a statement creates or drops. Tables are
//! left alone: whether a table is shared depends on where the connection points, which a statement
//! does not say.

use crate::query_tokens::{name_at, statements, tokenize, words_at, Dialect, Name, Token};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlOp {
    /// `DATABASE` or `SCHEMA`.
    pub object: &'static str,
    pub create: bool,
    pub name: Name,
}

/// The `CREATE|DROP DATABASE|SCHEMA name` statements of a query template.
pub fn scan(query: &str) -> Vec<SqlOp> {
    let tokens = tokenize(query, Dialect::Sql);
    statements(&tokens).filter_map(statement).collect()
}

fn statement(tokens: &[Token]) -> Option<SqlOp> {
    let create = if tokens.first()?.is_word("CREATE") {
        true
    } else if tokens.first()?.is_word("DROP") {
        false
    } else {
        return None;
    };
    let object = ["DATABASE", "SCHEMA"]
        .into_iter()
        .find(|o| tokens.get(1).is_some_and(|t| t.is_word(o)))?;
    let mut at = 2;
    for guard in [&["IF", "NOT", "EXISTS"][..], &["IF", "EXISTS"]] {
        if words_at(tokens, at, guard) {
            at += guard.len();
        }
    }
    let (name, _) = name_at(tokens, at)?;
    Some(SqlOp {
        object,
        create,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query_tokens::UNIQUE_HOLE;

    #[test]
    fn databases_and_schemas() {
        assert_eq!(
            scan("CREATE DATABASE IF NOT EXISTS test_db"),
            vec![SqlOp {
                object: "DATABASE",
                create: true,
                name: Name::Fixed("test_db".into())
            }]
        );
        assert_eq!(
            scan(&format!(
                "drop schema if exists s_{UNIQUE_HOLE} cascade; select 1"
            )),
            vec![SqlOp {
                object: "SCHEMA",
                create: false,
                name: Name::Unique
            }]
        );
        assert!(scan("CREATE TABLE users (id int)").is_empty());
        assert!(scan("-- CREATE DATABASE x\nSELECT 1").is_empty());
        assert_eq!(
            scan("DROP DATABASE \"app-test\"")[0].name,
            Name::Fixed("app-test".into())
        );
    }
}
