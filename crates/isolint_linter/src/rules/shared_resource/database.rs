//! SQL, document and key-value databases: whole databases created or dropped under a fixed
//! name, Redis emptied. (SQL statements run through `execute` are scanned in [`super::neo4j`]'s
//! query pass, which reads both languages.)

use super::{quoted, Call, ResourceKind, ServiceOp, WORKER_SUFFIX};
use isolint_python::model::BindingValue;
use isolint_python::query_tokens::Name;
use isolint_python::services::{
    url_database, DATABASE_CALLS, IN_PROCESS_REDIS, REDIS_CLIENT_CONSTRUCTORS, REDIS_KEY_WRITES,
    REDIS_WIPES,
};
use isolint_python::syntax::{field, kind, unparenthesize};

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
    if REDIS_KEY_WRITES.contains(&call.last) {
        key_write(call, ops);
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

/// A write to a fixed key through a client of a Redis server the code built itself
/// (`r = redis.Redis(...)`, then `r.set("session", ...)`): every worker writes the same key.
/// Clients of unknown origin (a fixture's, an application's) are not judged.
fn key_write(call: &Call, ops: &mut Vec<ServiceOp>) {
    let Some(receiver) = call.callee.child_by_field_id(field::OBJECT.id()) else {
        return;
    };
    let receiver = unparenthesize(receiver);
    let built_by = match receiver.kind() {
        kind::CALL => Some(receiver),
        kind::IDENTIFIER => call
            .ctx
            .model
            .lookup(call.ctx.text(receiver), call.scope, receiver.start_byte())
            .and_then(|(_, binding)| match binding.value {
                BindingValue::Expr(value) | BindingValue::WithItem(value) => {
                    Some(unparenthesize(value))
                }
                _ => None,
            })
            .filter(|value| value.kind() == kind::CALL),
        _ => None,
    };
    let redis_client = built_by
        .and_then(|c| c.child_by_field_id(field::FUNCTION.id()))
        .and_then(|callee| call.ctx.model.qualified_name(callee, call.scope))
        .is_some_and(|q| REDIS_CLIENT_CONSTRUCTORS.contains(&q.as_str()));
    if !redis_client {
        return;
    }
    let Some(Name::Fixed(key)) = call.args().positional.first().map(|k| call.name(*k)) else {
        return;
    };
    ops.push(ServiceOp {
        kind: ResourceKind::Database,
        resource: format!("redis:key/{key}"),
        what: format!(
            "writes the fixed Redis key {}, which every worker writes too",
            quoted(&key)
        ),
        fix: "prefix the test's keys with the worker id (`f\"{worker_id}:...\"`) or a `uuid4()`, or give each worker its own `db=`".to_string(),
        connects_only: false,
    });
}
