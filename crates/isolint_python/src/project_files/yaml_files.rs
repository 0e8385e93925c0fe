//! YAML files: GitHub workflows, `.gitlab-ci.yml`, compose files. `yaml-rust2`'s event parser gives
//! each scalar with the line it starts on; the pytest commands are the values of `run`, `script`,
//! `before_script`, `after_script`, `command` and `entrypoint`, and `PYTEST_ADDOPTS` in any
//! environment mapping.

use super::{ComposeService, Invocation, Origin, Problem, ProjectFiles, TextFile, Word};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A YAML node with the 1-based line it starts on.
#[derive(Debug)]
enum Node {
    Scalar(String, usize),
    Sequence(Vec<Node>),
    Mapping(Vec<(Node, Node)>),
    /// Aliases and anything else isolint does not read.
    Other,
}

/// Builds documents from parser events; nesting is kept on an explicit stack (no recursion).
#[derive(Default)]
struct Builder {
    stack: Vec<Partial>,
    documents: Vec<Node>,
}

enum Partial {
    Sequence(Vec<Node>),
    Mapping(Vec<(Node, Node)>, Option<Node>),
}

impl Builder {
    fn push(&mut self, node: Node) {
        match self.stack.last_mut() {
            Some(Partial::Sequence(items)) => items.push(node),
            Some(Partial::Mapping(entries, key)) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => *key = Some(node),
            },
            None => self.documents.push(node),
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(text, ..) => self.push(Node::Scalar(text, mark.line())),
            Event::SequenceStart(..) => self.stack.push(Partial::Sequence(Vec::new())),
            Event::MappingStart(..) => self.stack.push(Partial::Mapping(Vec::new(), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Partial::Sequence(items)) => Node::Sequence(items),
                    Some(Partial::Mapping(entries, _)) => Node::Mapping(entries),
                    None => Node::Other,
                };
                self.push(node);
            }
            Event::Alias(_) => self.push(Node::Other),
            _ => {}
        }
    }
}

/// Parses with the leniency GitHub and GitLab (libyaml) show and yaml-rust2 does not: a flow
/// collection's closing `]` or `}` on its own line, indented no deeper than its key. Such a line is
/// re-indented like the line above it and the text parsed again; only line numbers are used
/// afterwards, and they do not change.
fn parse(text: &str) -> Result<Builder, yaml_rust2::ScanError> {
    let mut text = std::borrow::Cow::Borrowed(text);
    loop {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(&text);
        let error = match parser.load(&mut builder, true) {
            Ok(()) => return Ok(builder),
            Err(error) => error,
        };
        let at = error.marker().line().saturating_sub(1);
        let lines: Vec<&str> = text.split('\n').collect();
        let closing = lines
            .get(at)
            .is_some_and(|l| matches!(l.trim(), "]" | "}" | "]," | "},"));
        let above = lines[..at.min(lines.len())]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start().len());
        let current = lines.get(at).map_or(0, |l| l.len() - l.trim_start().len());
        match above {
            Some(indent) if closing && error.info().contains("indentation") && indent > current => {
                let mut fixed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                fixed[at] = format!("{}{}", " ".repeat(indent), lines[at].trim_start());
                text = std::borrow::Cow::Owned(fixed.join("\n"));
            }
            _ => return Err(error),
        }
    }
}

pub(super) fn read(files: &mut ProjectFiles, origin: Origin, file: &TextFile) {
    let builder = match parse(file.text) {
        Ok(builder) => builder,
        Err(error) => {
            files.problems.push(yaml_problem(file, &error));
            return;
        }
    };
    if origin == Origin::Compose {
        read_compose_services(files, file, &builder);
    }
    read_documents(files, origin, file, builder);
}

/// Images of database services, by the words their name contains.
const DATABASE_IMAGES: &[(&str, &str)] = &[
    ("neo4j", "neo4j"),
    ("postgres", "postgres"),
    ("postgis", "postgres"),
    ("mysql", "mysql"),
    ("mariadb", "mysql"),
    ("redis", "redis"),
];

/// The database services of a compose file's `services:` mapping.
fn read_compose_services(files: &mut ProjectFiles, file: &TextFile, builder: &Builder) {
    for document in &builder.documents {
        let Node::Mapping(top) = document else {
            continue;
        };
        let Some(Node::Mapping(services)) = get(top, "services") else {
            continue;
        };
        for (name, service) in services {
            let (Node::Scalar(name, line), Node::Mapping(entries)) = (name, service) else {
                continue;
            };
            let Some(Node::Scalar(image, _)) = get(entries, "image") else {
                continue;
            };
            let repository = image
                .rsplit('/')
                .next()
                .unwrap_or(image)
                .to_ascii_lowercase();
            let Some((_, kind)) = DATABASE_IMAGES
                .iter()
                .find(|(word, _)| repository.starts_with(word))
            else {
                continue;
            };
            let ports = match get(entries, "ports") {
                Some(Node::Sequence(items)) => items
                    .iter()
                    .filter_map(|p| match p {
                        Node::Scalar(text, _) => Some(text.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let healthcheck = match get(entries, "healthcheck") {
                Some(Node::Mapping(check)) => Some(
                    ["interval", "timeout", "retries", "start_period"]
                        .iter()
                        .filter_map(|key| match get(check, key) {
                            Some(Node::Scalar(value, _)) => Some((key.to_string(), value.clone())),
                            _ => None,
                        })
                        .collect(),
                ),
                _ => None,
            };
            let environment = environment(entries);
            files.compose_services.push(ComposeService {
                at: format!("{}:{line}", file.display),
                name: name.clone(),
                image: image.clone(),
                kind,
                ports,
                healthcheck,
                auth_set: environment.iter().any(|(k, _)| k == "NEO4J_AUTH"),
                enterprise: repository.contains("enterprise")
                    || environment
                        .iter()
                        .any(|(k, _)| k == "NEO4J_ACCEPT_LICENSE_AGREEMENT"),
            });
        }
    }
}

/// A service's environment, as a mapping or as a list of `NAME=value`.
fn environment(entries: &[(Node, Node)]) -> Vec<(String, String)> {
    match get(entries, "environment") {
        Some(Node::Mapping(pairs)) => pairs
            .iter()
            .filter_map(|(k, v)| match (k, v) {
                (Node::Scalar(k, _), Node::Scalar(v, _)) => Some((k.clone(), v.clone())),
                (Node::Scalar(k, _), _) => Some((k.clone(), String::new())),
                _ => None,
            })
            .collect(),
        Some(Node::Sequence(items)) => items
            .iter()
            .filter_map(|item| match item {
                Node::Scalar(text, _) => {
                    let (k, v) = text.split_once('=').unwrap_or((text, ""));
                    Some((k.to_string(), v.to_string()))
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn yaml_problem(file: &TextFile, error: &yaml_rust2::ScanError) -> Problem {
    let line = error.marker().line().max(1) - 1;
    let start = file.line_start(line.min(file.line_count().saturating_sub(1)));
    Problem {
        at: file.at(start, start),
        message: format!(
            "this file is not valid YAML ({}); isolint could not read its commands",
            error.info()
        ),
    }
}

fn read_documents(files: &mut ProjectFiles, origin: Origin, file: &TextFile, builder: Builder) {
    // Depth-first over an explicit stack, entries in file order.
    let mut pending: Vec<&Node> = builder.documents.iter().rev().collect();
    while let Some(node) = pending.pop() {
        match node {
            Node::Mapping(entries)
                if origin == Origin::GithubWorkflow && tests_elsewhere(entries) => {}
            Node::Mapping(entries) => {
                for (key, value) in entries {
                    if let Node::Scalar(name, _) = key {
                        read_entry(files, origin, file, name, value);
                    }
                }
                pending.extend(entries.iter().rev().map(|(_, v)| v));
            }
            Node::Sequence(items) => {
                for item in items {
                    // `environment: ["PYTEST_ADDOPTS=-n 4"]` in compose files.
                    if let Node::Scalar(text, line) = item {
                        if let Some(value) = text.strip_prefix("PYTEST_ADDOPTS=") {
                            addopts_env(files, file, value, *line);
                        }
                    }
                }
                pending.extend(items.iter().rev());
            }
            _ => {}
        }
    }
}

fn get<'n>(entries: &'n [(Node, Node)], name: &str) -> Option<&'n Node> {
    entries.iter().find_map(|(k, v)| match k {
        Node::Scalar(key, _) if key == name => Some(v),
        _ => None,
    })
}

/// A GitHub step or job whose commands run in another project: a step with its own
/// `working-directory`, a job whose `defaults.run.working-directory` points elsewhere, or a job that
/// checks out another repository into the workspace. The project's own files say nothing about
/// that project's dependencies and options.
fn tests_elsewhere(entries: &[(Node, Node)]) -> bool {
    if get(entries, "working-directory").is_some() {
        return true;
    }
    let defaults_elsewhere = matches!(get(entries, "defaults"), Some(Node::Mapping(d))
        if matches!(get(d, "run"), Some(Node::Mapping(r)) if get(r, "working-directory").is_some()));
    let other_checkout = match get(entries, "steps") {
        Some(Node::Sequence(steps)) => steps.iter().any(|step| {
            let Node::Mapping(step) = step else { return false };
            let checkout = matches!(get(step, "uses"), Some(Node::Scalar(u, _)) if u.starts_with("actions/checkout"));
            let into_root_from_elsewhere = matches!(get(step, "with"), Some(Node::Mapping(with))
                if get(with, "repository").is_some() && get(with, "path").is_none());
            checkout && into_root_from_elsewhere
        }),
        _ => false,
    };
    defaults_elsewhere || other_checkout
}

fn read_entry(files: &mut ProjectFiles, origin: Origin, file: &TextFile, key: &str, value: &Node) {
    match (key, value) {
        (
            "run" | "script" | "before_script" | "after_script" | "command" | "entrypoint",
            Node::Scalar(text, line),
        ) => shell_text(files, origin, file, text, *line),
        ("script" | "before_script" | "after_script", Node::Sequence(items)) => {
            for item in items {
                if let Node::Scalar(text, line) = item {
                    shell_text(files, origin, file, text, *line);
                }
            }
        }
        // Compose's exec form: each item is one word.
        ("command" | "entrypoint", Node::Sequence(items)) => {
            let mut words = Vec::new();
            let mut ats = Vec::new();
            let mut line_after = 0;
            for item in items {
                if let Node::Scalar(text, line) = item {
                    if let Some((start, _)) = find_in_lines(file, text, *line, line_after) {
                        line_after = file.index.line_of(start);
                        ats.push(file.at(start, start + text.len()));
                        words.push(Word {
                            text: text.clone(),
                            offset: start,
                        });
                    }
                }
            }
            if let Some(call) = super::pytest_call(&words) {
                let skip = words.len() - call.args.len();
                let at = ats.get(skip - 1).cloned().unwrap_or_else(|| file.at(0, 0));
                files.invocations.push(Invocation {
                    origin,
                    args: call.args,
                    at,
                    arg_at: ats[skip..].to_vec(),
                    under_coverage: call.under_coverage,
                });
            }
        }
        ("PYTEST_ADDOPTS", Node::Scalar(text, line)) => addopts_env(files, file, text, *line),
        _ => {}
    }
}

/// A script: each of its lines located in the file (block scalars start a line below their key);
/// a line ending in `\` continues its last command on the next line.
fn shell_text(files: &mut ProjectFiles, origin: Origin, file: &TextFile, text: &str, line: usize) {
    let mut after = line.saturating_sub(1);
    let mut all: Vec<Vec<Word>> = Vec::new();
    let mut continuing = false;
    for part in text.lines() {
        let trimmed = part.trim();
        if trimmed.is_empty() {
            continue;
        }
        let Some((start, line_index)) = find_in_lines(file, trimmed, line, after) else {
            continue;
        };
        after = line_index;
        super::command::append_line_commands(&mut all, trimmed, start, continuing);
        continuing = trimmed.ends_with('\\');
    }
    files.read_commands(origin, file, all);
}

/// Finds `text` on a line at or after 0-based `after` (and not before the scalar's own line),
/// returning its byte offset and line.
fn find_in_lines(
    file: &TextFile,
    text: &str,
    scalar_line: usize,
    after: usize,
) -> Option<(usize, usize)> {
    let first = after.max(scalar_line.saturating_sub(1));
    (first..file.line_count()).find_map(|l| {
        file.line(l)
            .find(text)
            .map(|column| (file.line_start(l) + column, l))
    })
}

fn addopts_env(files: &mut ProjectFiles, file: &TextFile, value: &str, line: usize) {
    let Some((start, _)) = find_in_lines(file, value.trim(), line, 0) else {
        return;
    };
    let words: Vec<Word> = super::commands(value.trim())
        .into_iter()
        .flatten()
        .map(|w| Word {
            offset: start + w.offset,
            text: w.text,
        })
        .collect();
    files.invocations.push(Invocation {
        origin: Origin::AddoptsEnv,
        arg_at: words
            .iter()
            .map(|w| file.at(w.offset, w.offset + w.text.len()))
            .collect(),
        args: words,
        at: file.at(start, start + value.trim().len()),
        under_coverage: false,
    });
}
