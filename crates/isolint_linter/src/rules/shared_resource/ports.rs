//! Servers and sockets that listen on a fixed port.

use super::{address_port, fixed_port, Call, ResourceKind, ServiceOp};
use isolint_python::services::{endpoint_port, ADDRESS_SERVERS, PORT_CALLS};

pub(super) fn operations(call: &Call, ops: &mut Vec<ServiceOp>) {
    let args = call.args();
    let mut port = None;
    if ADDRESS_SERVERS.contains(&call.last) {
        port = args
            .get(0, "server_address")
            .and_then(|a| address_port(call, a));
    }
    for known in PORT_CALLS.iter().filter(|p| p.name == call.last) {
        if !known.modules.is_empty() {
            let qualified = call.qualified().unwrap_or_default();
            if !known.modules.iter().any(|m| qualified.starts_with(m)) {
                continue;
            }
        }
        if let Some(address) = known.address.and_then(|a| args.positional.get(a)) {
            port = port.or_else(|| address_port(call, *address)).or_else(|| {
                call.value(*address)
                    .as_str()
                    .and_then(endpoint_port)
                    .filter(|p| *p > 0)
            });
        }
        let node = known
            .position
            .and_then(|p| args.positional.get(p).copied())
            .or_else(|| {
                args.keyword(known.keyword)
                    .filter(|_| !known.keyword.is_empty())
            });
        port = port.or_else(|| node.and_then(|n| fixed_port(&call.value(n))));
    }
    if let Some(port) = port {
        ops.push(listens(port));
    }
}

pub(super) fn listens(port: i64) -> ServiceOp {
    ServiceOp {
        kind: ResourceKind::Port,
        resource: format!("port:{port}"),
        what: format!("listens on the fixed port {port}: a second worker gets \"address already in use\""),
        fix: "listen on port 0 and read the port the system picked (`server.server_address[1]`, `sock.getsockname()[1]`), or derive the port from `worker_id`".to_string(),
        connects_only: false,
    }
}
