//! SQL, document and key-value databases: whole databases created or dropped under a fixed
//! name, Redis emptied. (SQL statements run through `execute` are scanned in [`super::neo4j`]'s
//! query pass, which reads both languages.)

use super::{quoted, Call, ResourceKind, ServiceOp, WORKER_SUFFIX};
use isolint_python::query_tokens::Name;
use isolint_python::services::{url_database, DATABASE_CALLS, IN_PROCESS_REDIS, REDIS_WIPES};

pub(super) fn operations(call: &Call, ops: &mut Vec<ServiceOp>) {
    if let Some((_, create)) = DATABASE_CALLS.iter().find(|(name, _)| *name == call.last) {
        let args = call.args();
        let Some(template) = args.positional.first().and_then(|arg| call.template(*arg)) else {
            return;
        };
        let verb = if *create { "creates" } else { "drops" };
        let (resource, shown) = if template.contains("://") {
            match url_database(&template).map(Name::of_text) {
                Some(Name::Fixed(name)) => (format!("sql:db/{name}"), name),
                _ => return,
            }
        } else if !create {
            // pymongo: `client.drop_database("name")`.
            match Name::of_text(&template) {
                Name::Fixed(name) => (format!("mongo:db/{name}"), name),
                _ => return,
            }
        } else {
            return;
        };
        ops.push(ServiceOp {
            kind: ResourceKind::Database,
            resource,
            what: format!(
                "{verb} the database {} that every worker shares",
                quoted(&shown)
            ),
            fix: format!("{WORKER_SUFFIX} in the URL or name"),
            connects_only: false,
        });
    }
    if let Some((_, what)) = REDIS_WIPES.iter().find(|(name, _)| *name == call.last) {
        let in_process = IN_PROCESS_REDIS.iter().any(|m| call.file_imports(m));
        if !in_process && call.args().positional.is_empty() {
            ops.push(ServiceOp {
                kind: ResourceKind::Database,
                resource: if call.last == "flushall" {
                    "redis:server".to_string()
                } else {
                    "redis:db".to_string()
                },
                what: format!("{what}, which other workers use"),
                fix: "give each worker its own Redis database (`db=` from the worker number) or key prefix and delete only those keys, or use `fakeredis`".to_string(),
                connects_only: false,
            });
        }
    }
}
