//! Docker SDK and testcontainers objects created under fixed names.

use super::{quoted, Call, ResourceKind, ServiceOp};
use isolint_python::query_tokens::Name;
use isolint_python::services::CONTAINER_CALLS;

pub(super) fn operations(call: &Call, ops: &mut Vec<ServiceOp>) {
    for known in CONTAINER_CALLS.iter().filter(|c| c.method == call.last) {
        if !known.module.is_empty() && !call.file_imports(known.module) {
            continue;
        }
        if !known.receiver.is_empty()
            && !call.receiver_text().is_some_and(|r| {
                r == known.receiver || r.ends_with(&format!(".{}", known.receiver))
            })
        {
            continue;
        }
        let args = call.args();
        let node = args
            .keyword(known.keyword)
            .or_else(|| known.position.and_then(|p| args.positional.get(p).copied()));
        if let Some(Name::Fixed(name)) = node.map(|n| call.name(n)) {
            ops.push(named(known.object, &name));
        }
    }
}

/// A Docker object (`container`, `network`, `volume`, `project`) with a fixed name.
pub(super) fn named(object: &str, name: &str) -> ServiceOp {
    ServiceOp {
        kind: ResourceKind::Container,
        resource: if object == "container" {
            format!("container:{name}")
        } else {
            format!("container:{object}/{name}")
        },
        what: format!(
            "creates the Docker {object} {}: a second worker's fails with \"name already in use\" or removes it",
            quoted(name)
        ),
        fix: format!("let Docker pick the name (drop it), or add the worker id: `f\"{name}-{{worker_id}}\"`"),
        connects_only: false,
    }
}
