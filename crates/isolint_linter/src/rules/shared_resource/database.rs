//! SQL, document and key-value databases: whole databases created or dropped under a fixed
//! name, Redis emptied. (SQL statements run through `execute` are scanned in [`super::neo4j`]'s
//! query pass, which reads both languages.)

use super::{quoted, Call, ResourceKind, ServiceOp, WORKER_SUFFIX};
use isolint_python::model::{BindingValue, ScopeId};
use isolint_python::query_tokens::Name;
use isolint_python::services::{
    url_database, DATABASE_CALLS, IN_PROCESS_REDIS, REDIS_CLIENT_CONSTRUCTORS, REDIS_KEY_WRITES,
    REDIS_WIPES,
};
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, unparenthesize};
use isolint_python::template::template;
use isolint_python::value::Value;
use tree_sitter::Node;

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
        if in_process || !call.args().positional.is_empty() {
            return;
        }
        let fix = "give each worker its own Redis database (`db=` from the worker number) or key prefix and delete only those keys, or use `fakeredis`".to_string();
        if call.last == "flushall" {
            ops.push(ServiceOp {
                kind: ResourceKind::Database,
                resource: "redis:server".to_string(),
                what: format!("{what}, which other workers use"),
                fix,
                connects_only: false,
            });
            return;
        }
        let (resource, what) = match redis_client(call).map(|client| redis_db(call, client)) {
            // A database chosen per worker is this worker's to empty.
            Some(RedisDb::Unique) => return,
            Some(RedisDb::Fixed(n)) => (
                format!("redis:db/{n}"),
                format!("empties Redis database {n}, which every worker's client opens too"),
            ),
            Some(RedisDb::Unknown) | None => (
                "redis:db".to_string(),
                format!("{what}, which other workers use"),
            ),
        };
        ops.push(ServiceOp {
            kind: ResourceKind::Database,
            resource,
            what,
            fix,
            connects_only: false,
        });
    }
}

/// The Redis database a client opens.
enum RedisDb {
    /// A number written in the code, or none (database 0).
    Fixed(i64),
    /// Derived from the worker or test (`db=worker_number`, a URL ending in `/{n}` from `worker_id`).
    Unique,
    Unknown,
}

/// The call that built the Redis client a method is called on: `redis.Redis(...).flushdb()`, a
/// name bound to one, or a fixture of the same file that returns one. Clients of unknown origin
/// (an application's, a fixture of another file) give `None`.
fn redis_client<'t>(call: &Call<'_, '_, 't>) -> Option<Node<'t>> {
    let receiver = unparenthesize(call.callee.child_by_field_id(field::OBJECT.id())?);
    let model = call.ctx.model;
    let built_by = match kind_of(receiver) {
        kind::CALL => Some(receiver),
        kind::IDENTIFIER => {
            let name = call.ctx.text(receiver);
            match model
                .lookup(name, call.scope, receiver.start_byte())?
                .1
                .value
            {
                BindingValue::Expr(value) | BindingValue::WithItem(value) => {
                    Some(unparenthesize(value))
                }
                BindingValue::Param(_) => fixture_client(call, name),
                _ => None,
            }
        }
        _ => None,
    }
    .filter(|value| kind_of(value) == kind::CALL)?;
    let callee = built_by.child_by_field_id(field::FUNCTION.id())?;
    model
        .qualified_name(callee, call.scope)
        .is_some_and(|q| REDIS_CLIENT_CONSTRUCTORS.contains(&q.as_str()))
        .then_some(built_by)
}

/// What a fixture of this file named `name` returns or yields, when that is a call (or a name
/// bound to one).
fn fixture_client<'t>(call: &Call<'_, '_, 't>, name: &str) -> Option<Node<'t>> {
    let model = call.ctx.model;
    let fixture = model.fixtures.iter().find(|f| f.name == name)?;
    let returned = unparenthesize(model.scopes[fixture.scope].returned?);
    match kind_of(returned) {
        kind::CALL => Some(returned),
        kind::IDENTIFIER => match model
            .lookup(
                call.ctx.text(returned),
                fixture.scope,
                returned.start_byte(),
            )?
            .1
            .value
        {
            BindingValue::Expr(value) | BindingValue::WithItem(value) => {
                Some(unparenthesize(value))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The database a Redis client's constructor chooses: `db=`, else the number at the end of a
/// `redis://host:6379/2` URL, else 0. Evaluated where the client is built.
fn redis_db(call: &Call, client: Node) -> RedisDb {
    let ctx = call.ctx;
    let model = ctx.model;
    let scope = model.scope_at(client.start_byte(), isolint_python::model::MODULE_SCOPE);
    let args = isolint_python::syntax::CallArgs::of(client, ctx.source());
    if let Some(db) = args.keyword("db") {
        return match ctx.eval.eval(db, scope) {
            Value::Int(n) => RedisDb::Fixed(n),
            _ if derives_from_unique(ctx, db, scope) => RedisDb::Unique,
            _ => RedisDb::Unknown,
        };
    }
    let Some(callee) = client.child_by_field_id(field::FUNCTION.id()) else {
        return RedisDb::Unknown;
    };
    if !ctx.text(callee).ends_with("from_url") {
        return RedisDb::Fixed(0);
    }
    let Some(url_node) = args.get(0, "url") else {
        return RedisDb::Unknown;
    };
    let Some(url) = template(&ctx.eval, url_node, scope) else {
        return RedisDb::Unknown;
    };
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map_or("", |(_, path)| path);
    let path = path.split(['?', '#']).next().unwrap_or("");
    if path.is_empty() {
        return RedisDb::Fixed(0);
    }
    match Name::of_text(path) {
        Name::Unique => RedisDb::Unique,
        Name::Fixed(digits) => digits.parse().map_or(RedisDb::Unknown, RedisDb::Fixed),
        Name::Unknown if derives_from_unique(ctx, url_node, scope) => RedisDb::Unique,
        Name::Unknown => RedisDb::Unknown,
    }
}

/// Whether any name or call in an expression is unique per worker or test
/// (`int(worker_id.removeprefix("gw"))`, `worker_number + 1`).
fn derives_from_unique(ctx: &crate::context::FileContext, node: Node, scope: ScopeId) -> bool {
    let mut stack = vec![node];
    let mut visited = 0;
    while let Some(node) = stack.pop() {
        visited += 1;
        if visited > 64 {
            return false;
        }
        if matches!(
            kind_of(node),
            kind::IDENTIFIER | kind::CALL | kind::SUBSCRIPT | kind::ATTRIBUTE
        ) && matches!(ctx.eval.eval(node, scope), Value::Unique(_))
        {
            return true;
        }
        // `number = int(worker_id[2:]) if ... else 0`, then `f".../{number}"`.
        if kind_of(node) == kind::IDENTIFIER {
            if let Some((_, binding)) = ctx.model.lookup(ctx.text(node), scope, node.start_byte()) {
                if let BindingValue::Expr(value) = binding.value {
                    stack.push(value);
                }
            }
        }
        stack.extend(isolint_python::syntax::named_children(node));
    }
    false
}

/// A write to a fixed key through a client of a Redis server the code built itself
/// (`r = redis.Redis(...)`, then `r.set("session", ...)`): every worker writes the same key.
/// Clients of unknown origin (a fixture's, an application's) are not judged.
fn key_write(call: &Call, ops: &mut Vec<ServiceOp>) {
    let Some(client) = redis_client(call) else {
        return;
    };
    let Some(Name::Fixed(key)) = call.args().positional.first().map(|k| call.name(*k)) else {
        return;
    };
    let (resource, place) = match redis_db(call, client) {
        // Every worker has a database of its own: the same key in each is no collision.
        RedisDb::Unique => return,
        RedisDb::Fixed(n) if n != 0 => (
            format!("redis:db/{n}/key/{key}"),
            format!(" in database {n}"),
        ),
        _ => (format!("redis:key/{key}"), String::new()),
    };
    ops.push(ServiceOp {
        kind: ResourceKind::Database,
        resource,
        what: format!(
            "writes the fixed Redis key {}{place}, which every worker writes too",
            quoted(&key)
        ),
        fix: "prefix the test's keys with the worker id (`f\"{worker_id}:...\"`) or a `uuid4()`, or give each worker its own `db=`".to_string(),
        connects_only: false,
    });
}
