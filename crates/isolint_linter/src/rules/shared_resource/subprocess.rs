//! Command lines launched by `subprocess`: a server's `--port`, `docker run --name`/`-p`,
//! `docker compose -p`.

use super::container::named;
use super::ports::listens;
use super::{Call, ServiceOp};
use isolint_python::knowledge::SUBPROCESS_CALLS;
use isolint_python::model::string_value;
use isolint_python::services::{PORT_FLAGS, SERVER_PROGRAMS};
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{kind, named_children, unparenthesize};

pub(super) fn operations(call: &Call, ops: &mut Vec<ServiceOp>) {
    if !SUBPROCESS_CALLS
        .iter()
        .any(|s| s.rsplit('.').next() == Some(call.last))
    {
        return;
    }
    let Some(qualified) = call.qualified() else {
        return;
    };
    if !SUBPROCESS_CALLS.contains(&qualified.as_str()) {
        return;
    }
    let Some(command) = call.args().get(0, "args") else {
        return;
    };
    let command = unparenthesize(command);
    let argv: Vec<Option<String>> = match kind_of(command) {
        kind::LIST | kind::TUPLE => named_children(command)
            .map(|item| {
                call.value(item)
                    .as_str()
                    .map(String::from)
                    .or_else(|| string_value(item, call.ctx.source()))
            })
            .collect(),
        _ => match call.value(command).as_str() {
            Some(line) => line
                .split_whitespace()
                .map(|w| Some(w.to_string()))
                .collect(),
            None => return,
        },
    };
    ops.extend(command_line(&argv));
}

/// The shared resources a command line names; unknown words are `None`.
fn command_line(argv: &[Option<String>]) -> Vec<ServiceOp> {
    let mut ops = Vec::new();
    let word = |i: usize| argv.get(i).and_then(|w| w.as_deref());
    let docker = word(0).is_some_and(|w| w == "docker" || w.ends_with("/docker"))
        || word(0) == Some("docker-compose");
    let compose = word(0) == Some("docker-compose") || word(1) == Some("compose");
    let launches_server = argv.iter().flatten().any(|w| {
        let program = w.rsplit('/').next().unwrap_or(w);
        SERVER_PROGRAMS.contains(&program) || program.contains("server")
    });
    for i in 0..argv.len() {
        let Some(arg) = word(i) else { continue };
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value)),
            None => (arg, None),
        };
        let value = || inline.or_else(|| word(i + 1));
        if launches_server && PORT_FLAGS.contains(&flag) {
            if let Some(port) = value()
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|p| *p > 0)
            {
                ops.push(listens(port));
            }
        }
        if !docker {
            continue;
        }
        match flag {
            "--name" if !compose => {
                if let Some(name) = value() {
                    ops.push(named("container", name));
                }
            }
            "-p" | "--project-name" if compose => {
                if let Some(name) = value() {
                    ops.push(named("project", name));
                }
            }
            "-p" | "--publish" => {
                let host_port = value()
                    .and_then(|v| v.rsplit_once(':'))
                    .and_then(|(host, _)| host.rsplit(':').next())
                    .and_then(|p| p.parse::<i64>().ok())
                    .filter(|p| *p > 0);
                if let Some(port) = host_port {
                    ops.push(listens(port));
                }
            }
            _ => {}
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<Option<String>> {
        line.split_whitespace()
            .map(|w| Some(w.to_string()))
            .collect()
    }

    #[test]
    fn command_lines() {
        let keys = |line: &str| -> Vec<String> {
            command_line(&argv(line))
                .into_iter()
                .map(|op| op.resource)
                .collect()
        };
        assert_eq!(keys("python -m http.server --port 8000"), vec!["port:8000"]);
        assert_eq!(keys("uvicorn app:app --port=0"), Vec::<String>::new());
        assert_eq!(
            keys("docker run --name neo4j-test -p 7474:7474 neo4j"),
            vec!["container:neo4j-test", "port:7474"]
        );
        assert_eq!(
            keys("docker compose -p tests up -d"),
            vec!["container:project/tests"]
        );
        assert_eq!(keys("docker run -p 7687 neo4j"), Vec::<String>::new());
        // A client's --port says where to connect.
        assert_eq!(keys("psql --port 5432 -c select"), Vec::<String>::new());
        assert_eq!(keys("gunicorn app:app --port=8001"), vec!["port:8001"]);
    }
}
