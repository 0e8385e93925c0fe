//! Waits for the Neo4j server written in the suite: a loop that probes the server and sleeps
//! between attempts (`for _ in range(30): try: driver.verify_connectivity() ... time.sleep(1)`,
//! `while time.time() < deadline`), or a function under a retry decorator (tenacity, backoff)
//! that probes it. Under `-n auto` every worker runs such a wait at the same moment, so the audit
//! reports each one with its attempts, delay and longest total wait.

use isolint_python::eval::Evaluator;
use isolint_python::knowledge::{is_neo4j_client, last_component};
use isolint_python::model::{BindingValue, FileModel, Role, ScopeId, ScopeKind, MODULE_SCOPE};
use isolint_python::project::{Neo4jFact, Neo4jFactKind};
use isolint_python::services::{
    QueryLanguage, CLOCK_CALLS, NEO4J_DRIVER_CONSTRUCTORS, NEO4J_PROBE_METHODS, QUERY_METHODS,
    RETRY_DECORATORS, SLEEP_CALLS,
};
use isolint_python::source::LineIndex;
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, named_children, text, unparenthesize};
use isolint_python::value::Value;
use std::collections::HashSet;
use tree_sitter::Node;

/// What one wait does, before it becomes a fact's settings.
struct Wait<'t> {
    /// The statement or decorated function the wait is, for its line.
    at: Node<'t>,
    scope: ScopeId,
    probe: Node<'t>,
    how: &'static str,
    attempts: Option<f64>,
    delay: Option<String>,
    total: Option<f64>,
}

/// The waits of a file, as inventory facts (kind `wait`).
pub fn extract(
    model: &FileModel,
    eval: &Evaluator,
    index: &LineIndex,
    owner: impl Fn(ScopeId) -> (String, Option<String>),
) -> Vec<Neo4jFact> {
    let source = model.source;
    let probes = Probes::of(model);
    if !probes.any {
        return Vec::new();
    }
    let numbers = Numbers { model, eval };
    let mut waits = Vec::new();
    let mut loops_seen: HashSet<usize> = HashSet::new();
    for (scope, s) in model.scopes.iter().enumerate() {
        for call in &s.calls {
            if !probes.is_probe(*call, scope) {
                continue;
            }
            if let Some(wait) = loop_wait(model, &numbers, *call, scope) {
                if loops_seen.insert(wait.at.id()) {
                    waits.push(wait);
                }
            }
        }
        if s.kind == ScopeKind::Function && !s.decorators.is_empty() {
            waits.extend(decorator_wait(model, &numbers, &probes, scope));
        }
    }
    waits
        .into_iter()
        .map(|wait| {
            let (owner, fixture_scope) = owner(wait.scope);
            let mut settings = vec![
                ("how".to_string(), wait.how.to_string()),
                ("probe".to_string(), probe_text(wait.probe, source)),
            ];
            if let Some(attempts) = wait.attempts {
                settings.push(("attempts".into(), number_text(attempts)));
            }
            if let Some(delay) = wait.delay {
                settings.push(("delay".into(), delay));
            }
            if let Some(total) = wait.total {
                settings.push(("total".into(), number_text(total)));
            }
            for caller in fixture_callers(model, wait.scope, &owner) {
                settings.push(("called by".into(), caller));
            }
            Neo4jFact {
                kind: Neo4jFactKind::Wait,
                name: None,
                configured_by: None,
                settings,
                owner,
                fixture_scope,
                line: index.position(source, wait.at.start_byte()).line,
            }
        })
        .collect()
}

/// Which calls ask the Neo4j server whether it answers: the probe methods, a driver's creation,
/// a Cypher query in a file that imports a Neo4j client, and the file's own functions that make
/// one of those (`if _neo4j_up(driver): break`).
struct Probes<'m, 't> {
    model: &'m FileModel<'t>,
    imports_client: bool,
    /// Names of the file's functions whose body probes directly.
    probing_functions: HashSet<&'t str>,
    any: bool,
}

impl<'m, 't> Probes<'m, 't> {
    fn of(model: &'m FileModel<'t>) -> Self {
        let mut probes = Probes {
            model,
            imports_client: imports_client(model),
            probing_functions: HashSet::new(),
            any: false,
        };
        for (id, s) in model.scopes.iter().enumerate() {
            if s.kind != ScopeKind::Function {
                continue;
            }
            if s.calls.iter().any(|call| probes.is_direct_probe(*call, id)) {
                probes.any = true;
                probes.probing_functions.insert(s.name);
            }
        }
        probes.any |= model.scopes[MODULE_SCOPE]
            .calls
            .iter()
            .any(|call| probes.is_direct_probe(*call, MODULE_SCOPE));
        probes
    }

    fn is_probe(&self, call: Node<'t>, scope: ScopeId) -> bool {
        if self.is_direct_probe(call, scope) {
            return true;
        }
        let Some(callee) = self.model.callee(call) else {
            return false;
        };
        kind_of(callee) == kind::IDENTIFIER
            && self
                .probing_functions
                .contains(text(callee, self.model.source))
    }

    fn is_direct_probe(&self, call: Node<'t>, scope: ScopeId) -> bool {
        let source = self.model.source;
        let Some(callee) = self.model.callee(call) else {
            return false;
        };
        let last = match kind_of(callee) {
            kind::ATTRIBUTE => self
                .model
                .attribute_parts(callee)
                .1
                .map_or("", |a| text(a, source)),
            _ => last_component(text(callee, source)),
        };
        if is_probe_method(callee, last) {
            return true;
        }
        let cypher_method = is_query_through_client(callee, last, self.imports_client);
        let constructor = crate::neo4j_facts::names_driver_constructor(last);
        if !cypher_method && !constructor {
            return false;
        }
        let qualified = self.model.qualified_name(callee, scope);
        if constructor
            && qualified
                .as_deref()
                .is_some_and(|q| NEO4J_DRIVER_CONSTRUCTORS.contains(&q))
        {
            return true;
        }
        // `subprocess.run`, `asyncio.run`: a method named like a query on a module is not one.
        let on_module = self
            .model
            .attribute_parts(callee)
            .0
            .filter(|object| kind_of(object) == kind::IDENTIFIER)
            .and_then(|object| {
                self.model
                    .lookup(text(object, source), scope, object.start_byte())
            })
            .is_some_and(|(_, binding)| matches!(binding.value, BindingValue::Import(_, None)));
        cypher_method && !on_module
    }
}

/// Whether the file imports a Neo4j client, whose objects' queries can probe the server.
pub(crate) fn imports_client(model: &FileModel) -> bool {
    model.scopes.iter().any(|s| {
        s.bindings
            .values()
            .flatten()
            .any(|b| matches!(b.value, BindingValue::Import(m, _) if is_neo4j_client(m)))
    })
}

/// A method that only asks the server whether it answers (`driver.verify_connectivity()`).
fn is_probe_method(callee: Node, last: &str) -> bool {
    NEO4J_PROBE_METHODS.contains(&last) && kind_of(callee) == kind::ATTRIBUTE
}

/// A Cypher query method called on an object, in a file importing a Neo4j client: the names
/// and the imports decide most calls before any name is resolved.
fn is_query_through_client(callee: Node, last: &str, imports_client: bool) -> bool {
    imports_client
        && kind_of(callee) == kind::ATTRIBUTE
        && QUERY_METHODS
            .iter()
            .any(|m| m.method == last && m.language == QueryLanguage::Cypher)
}

/// Whether a call can probe the server directly, by its callee's kind and last name (`last` as
/// the probes read it): a file without one has no wait to find.
pub(crate) fn may_probe(callee: Node, last: &str, imports_client: bool) -> bool {
    is_probe_method(callee, last)
        || is_query_through_client(callee, last, imports_client)
        || crate::neo4j_facts::names_driver_constructor(last)
}

/// A probe inside a loop that sleeps, where the probe decides whether to go round again: in the
/// body of a `try` (an exception means "not yet"), in the loop's condition, or in an `if`.
fn loop_wait<'t>(
    model: &FileModel<'t>,
    numbers: &Numbers<'_, 't>,
    probe: Node<'t>,
    scope: ScopeId,
) -> Option<Wait<'t>> {
    let mut decides = false;
    let mut below = probe;
    let mut found = None;
    for ancestor in model.ancestors(probe) {
        match kind_of(ancestor) {
            kind::FUNCTION_DEFINITION | kind::LAMBDA | kind::CLASS_DEFINITION => break,
            kind::TRY_STATEMENT => {
                decides |= ancestor.child_by_field_id(field::BODY.id()) == Some(below);
            }
            kind::IF_STATEMENT | kind::WHILE_STATEMENT
                if ancestor.child_by_field_id(field::CONDITION.id()) == Some(below) =>
            {
                decides = true;
            }
            _ => {}
        }
        if kind_of(ancestor) == kind::WHILE_STATEMENT && decides
            || kind_of(ancestor) == kind::FOR_STATEMENT
                && decides
                && counts_attempts(model, ancestor)
        {
            found = Some(ancestor);
            break;
        }
        below = ancestor;
    }
    let found = found?;
    let within = |node: Node<'t>| model.ancestors(node).any(|a| a.id() == found.id());
    let calls = &model.scopes[scope].calls;
    let sleep = calls
        .iter()
        .find(|call| within(**call) && resolves_to(model, **call, scope, SLEEP_CALLS))?;
    let delay = model
        .call_args(*sleep)
        .get(0, "delay")
        .and_then(|d| numbers.of(d, scope))
        .map(|d| format!("{} s", number_text(d)));
    let delay_seconds = delay
        .as_deref()
        .and_then(|d| d.trim_end_matches(" s").parse::<f64>().ok());
    let (attempts, total) = match kind_of(found) {
        kind::FOR_STATEMENT => {
            let attempts = found
                .child_by_field_id(field::RIGHT.id())
                .and_then(|r| range_length(model, numbers, r, scope));
            let total = attempts.zip(delay_seconds).map(|(a, d)| a * d);
            (attempts, total)
        }
        _ => {
            let deadline = calls
                .iter()
                .filter(|call| within(**call) && resolves_to(model, **call, scope, CLOCK_CALLS))
                .find_map(|clock| deadline_seconds(model, numbers, *clock, scope));
            let attempts = match deadline {
                Some(_) => None,
                None => found
                    .child_by_field_id(field::CONDITION.id())
                    .and_then(|c| counter_bound(numbers, c, scope)),
            };
            let total = deadline.or_else(|| attempts.zip(delay_seconds).map(|(a, d)| a * d));
            (attempts, total)
        }
    };
    Some(Wait {
        at: found,
        scope,
        probe,
        how: if kind_of(found) == kind::FOR_STATEMENT {
            "for loop"
        } else {
            "while loop"
        },
        attempts,
        delay,
        total,
    })
}

/// Whether a `for` loop counts attempts (`for _ in range(30)`, `for attempt in
/// itertools.count()`) rather than stepping through data (`for batch in batches:` with a retry
/// on a transient error is a write, not a wait for the server).
fn counts_attempts(model: &FileModel, for_loop: Node) -> bool {
    let Some(iterable) = for_loop
        .child_by_field_id(field::RIGHT.id())
        .map(unparenthesize)
    else {
        return false;
    };
    kind_of(iterable) == kind::CALL
        && model
            .callee(iterable)
            .is_some_and(|f| matches!(last_component(text(f, model.source)), "range" | "count"))
}

/// A retry decorator on a function that probes the server: its stop and wait settings.
fn decorator_wait<'t>(
    model: &FileModel<'t>,
    numbers: &Numbers<'_, 't>,
    probes: &Probes<'_, 't>,
    function: ScopeId,
) -> Option<Wait<'t>> {
    let source = model.source;
    for decorator in &model.scopes[function].decorators {
        let Some(expression) = named_children(*decorator).next().map(unparenthesize) else {
            continue;
        };
        let (callee, call) = match kind_of(expression) {
            kind::CALL => match model.callee(expression) {
                Some(callee) => (callee, Some(expression)),
                None => continue,
            },
            _ => (expression, None),
        };
        let Some(qualified) = model.qualified_name(callee, MODULE_SCOPE) else {
            continue;
        };
        let Some((_, library)) = RETRY_DECORATORS.iter().find(|(q, _)| *q == qualified) else {
            continue;
        };
        // A retried function that never asks the server (a model download) waits for something else.
        let (_, probe) = model
            .calls_under(function)
            .find(|(inner, call)| probes.is_probe(*call, *inner))?;
        let mut wait = Wait {
            at: *decorator,
            scope: function,
            probe,
            how: library,
            attempts: None,
            delay: None,
            total: None,
        };
        let Some(call) = call else {
            return Some(wait);
        };
        let args = model.call_args(call);
        match *library {
            "backoff" => {
                wait.attempts = args
                    .keyword("max_tries")
                    .and_then(|n| numbers.of(n, MODULE_SCOPE));
                wait.total = args
                    .keyword("max_time")
                    .and_then(|n| numbers.of(n, MODULE_SCOPE));
                wait.delay = args
                    .positional
                    .first()
                    .map(|w| last_component(text(*w, source)).to_string());
            }
            "retrying" => {
                wait.attempts = args
                    .keyword("stop_max_attempt_number")
                    .and_then(|n| numbers.of(n, MODULE_SCOPE));
                wait.total = args
                    .keyword("stop_max_delay")
                    .and_then(|n| numbers.of(n, MODULE_SCOPE))
                    .map(|ms| ms / 1000.0);
                wait.delay = args
                    .keyword("wait_fixed")
                    .and_then(|n| numbers.of(n, MODULE_SCOPE))
                    .map(|ms| format!("{} s", number_text(ms / 1000.0)));
            }
            _ => {
                for stop in args.keyword("stop").into_iter().flat_map(tenacity_parts) {
                    let Some((name, value)) = tenacity_call(model, numbers, stop) else {
                        continue;
                    };
                    match name {
                        "stop_after_attempt" => wait.attempts = value,
                        "stop_after_delay" => wait.total = value,
                        _ => {}
                    }
                }
                if let Some(strategy) = args.keyword("wait") {
                    wait.delay = match tenacity_call(model, numbers, strategy) {
                        Some(("wait_fixed", Some(seconds))) => {
                            Some(format!("{} s", number_text(seconds)))
                        }
                        Some((name, _)) => Some(name.to_string()),
                        None => None,
                    };
                }
                if wait.total.is_none() {
                    let fixed = wait
                        .delay
                        .as_deref()
                        .and_then(|d| d.strip_suffix(" s"))
                        .and_then(|d| d.parse::<f64>().ok());
                    wait.total = wait.attempts.zip(fixed).map(|(a, d)| a * d);
                }
            }
        }
        return Some(wait);
    }
    None
}

/// `stop_after_attempt(5) | stop_after_delay(60)`: each side of the `|`.
fn tenacity_parts(node: Node) -> Vec<Node> {
    let node = unparenthesize(node);
    if kind_of(node) == kind::BINARY_OPERATOR {
        let left = node.child_by_field_id(field::LEFT.id());
        let right = node.child_by_field_id(field::RIGHT.id());
        return left
            .into_iter()
            .chain(right)
            .flat_map(tenacity_parts)
            .collect();
    }
    vec![node]
}

/// A tenacity strategy call: its function's last name and its first argument as a number.
fn tenacity_call<'t>(
    model: &FileModel<'t>,
    numbers: &Numbers<'_, 't>,
    node: Node<'t>,
) -> Option<(&'t str, Option<f64>)> {
    let node = unparenthesize(node);
    if kind_of(node) != kind::CALL {
        return None;
    }
    let callee = model.callee(node)?;
    let name = last_component(text(callee, model.source));
    let first = model
        .call_args(node)
        .positional
        .first()
        .and_then(|n| numbers.of(*n, MODULE_SCOPE));
    Some((name, first))
}

fn resolves_to(model: &FileModel, call: Node, scope: ScopeId, names: &[&str]) -> bool {
    model
        .callee(call)
        .and_then(|callee| model.qualified_name(callee, scope))
        .is_some_and(|q| names.contains(&q.as_str()))
}

/// `range(30)` → 30, `range(1, 31)` → 30.
fn range_length<'t>(
    model: &FileModel<'t>,
    numbers: &Numbers<'_, 't>,
    iterable: Node<'t>,
    scope: ScopeId,
) -> Option<f64> {
    let iterable = unparenthesize(iterable);
    if kind_of(iterable) != kind::CALL {
        return None;
    }
    let callee = model.callee(iterable)?;
    if text(callee, model.source) != "range" {
        return None;
    }
    let args = model.call_args(iterable);
    match args.positional.as_slice() {
        [stop] => numbers.of(*stop, scope),
        [start, stop] => Some(numbers.of(*stop, scope)? - numbers.of(*start, scope)?),
        _ => None,
    }
}

/// The seconds a clock comparison allows: `time.time() - start < 60`, `time.monotonic() <
/// deadline` with `deadline = time.monotonic() + TIMEOUT`, `if time.time() > deadline: raise`.
fn deadline_seconds<'t>(
    model: &FileModel<'t>,
    numbers: &Numbers<'_, 't>,
    clock: Node<'t>,
    scope: ScopeId,
) -> Option<f64> {
    let comparison = model
        .ancestors(clock)
        .take(4)
        .find(|a| kind_of(a) == kind::COMPARISON_OPERATOR)?;
    named_children(comparison)
        .filter(|side| side.byte_range() != clock.byte_range())
        .filter(|side| !side.byte_range().contains(&clock.start_byte()))
        .find_map(|side| {
            numbers
                .of(side, scope)
                .or_else(|| deadline_of(model, numbers, side, scope))
        })
}

/// `deadline` bound to `time.monotonic() + 60` (or `60 + time.time()`): 60.
fn deadline_of<'t>(
    model: &FileModel<'t>,
    numbers: &Numbers<'_, 't>,
    name: Node<'t>,
    scope: ScopeId,
) -> Option<f64> {
    let name = unparenthesize(name);
    if kind_of(name) != kind::IDENTIFIER {
        return None;
    }
    let (_, binding) = model.lookup(text(name, model.source), scope, name.start_byte())?;
    let BindingValue::Expr(value) = binding.value else {
        return None;
    };
    let value = unparenthesize(value);
    if kind_of(value) != kind::BINARY_OPERATOR {
        return None;
    }
    let left = value.child_by_field_id(field::LEFT.id())?;
    let right = value.child_by_field_id(field::RIGHT.id())?;
    let is_clock = |n: Node<'t>| {
        let n = unparenthesize(n);
        kind_of(n) == kind::CALL && resolves_to(model, n, scope, CLOCK_CALLS)
    };
    if is_clock(left) {
        numbers.of(right, scope)
    } else if is_clock(right) {
        numbers.of(left, scope)
    } else {
        None
    }
}

/// `while attempts < 30`: the bound of a counter.
fn counter_bound<'t>(
    numbers: &Numbers<'_, 't>,
    condition: Node<'t>,
    scope: ScopeId,
) -> Option<f64> {
    let condition = unparenthesize(condition);
    if kind_of(condition) != kind::COMPARISON_OPERATOR {
        return None;
    }
    let sides: Vec<Node<'t>> = named_children(condition).collect();
    match sides.as_slice() {
        [left, right] if kind_of(left) == kind::IDENTIFIER => numbers.of(*right, scope),
        _ => None,
    }
}

/// Numbers written in the code: literals, module constants, products and sums of them.
struct Numbers<'m, 't> {
    model: &'m FileModel<'t>,
    eval: &'m Evaluator<'m, 't>,
}

impl<'t> Numbers<'_, 't> {
    fn of(&self, node: Node<'t>, scope: ScopeId) -> Option<f64> {
        self.within(node, scope, 4)
    }

    fn within(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> Option<f64> {
        if depth == 0 {
            return None;
        }
        let node = unparenthesize(node);
        let source = self.model.source;
        match kind_of(node) {
            kind::INTEGER | kind::FLOAT => text(node, source).replace('_', "").parse().ok(),
            kind::IDENTIFIER => {
                if let Value::Int(n) = self.eval.eval(node, scope) {
                    #[allow(clippy::cast_precision_loss)]
                    return Some(n as f64);
                }
                let (_, binding) =
                    self.model
                        .lookup(text(node, source), scope, node.start_byte())?;
                // A parameter's default stands for it: `def wait(driver, attempts=10)`.
                match binding.value {
                    BindingValue::Expr(value) | BindingValue::Param(Some(value)) => {
                        self.within(value, scope, depth - 1)
                    }
                    _ => None,
                }
            }
            kind::BINARY_OPERATOR => {
                let left =
                    self.within(node.child_by_field_id(field::LEFT.id())?, scope, depth - 1)?;
                let right =
                    self.within(node.child_by_field_id(field::RIGHT.id())?, scope, depth - 1)?;
                let operator = node.child_by_field_id(field::OPERATOR.id())?;
                match text(operator, source) {
                    "*" => Some(left * right),
                    "+" => Some(left + right),
                    "-" => Some(left - right),
                    "/" if right != 0.0 => Some(left / right),
                    _ => None,
                }
            }
            _ => None,
        }
        .filter(|n: &f64| n.is_finite() && *n >= 0.0)
    }
}

/// `30`, `0.5`, `1.5`: whole numbers without a fraction.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        let shown = format!("{n:.3}");
        shown
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// The probe as written, without its arguments: `driver.verify_connectivity()`.
fn probe_text(call: Node, source: &str) -> String {
    let callee = call
        .child_by_field_id(field::FUNCTION.id())
        .map_or("", |c| text(c, source));
    let callee: String = callee.split_whitespace().collect();
    format!("{callee}()")
}

/// The fixtures of the file that call a helper that waits: "fixture `neo4j_driver` (session)".
fn fixture_callers(model: &FileModel, helper: ScopeId, owner: &str) -> Vec<String> {
    let s = &model.scopes[helper];
    if s.role != Role::Helper || !owner.starts_with('`') {
        return Vec::new();
    }
    let mut callers: Vec<String> = model
        .fixtures
        .iter()
        .filter(|fixture| {
            model.calls_under(fixture.scope).any(|(_, call)| {
                model.callee(call).is_some_and(|c| {
                    kind_of(c) == kind::IDENTIFIER && text(c, model.source) == s.name
                })
            })
        })
        .map(|fixture| format!("fixture `{}` ({})", fixture.name, fixture.scope_name))
        .collect();
    callers.sort();
    callers.dedup();
    callers
}

#[cfg(test)]
mod tests {
    use crate::neo4j_facts;
    use isolint_python::project::Neo4jFactKind;

    /// Each wait as `line: owner, settings`.
    fn waits(source: &str) -> Vec<String> {
        let mut facts = neo4j_facts::snippet_facts(source, false);
        facts.sort_by_key(|f| f.line);
        facts
            .into_iter()
            .filter(|f| f.kind == Neo4jFactKind::Wait)
            .map(|f| {
                let settings: Vec<String> =
                    f.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let scope = f.fixture_scope.map_or(String::new(), |s| format!(" ({s})"));
                format!("{}: {}{scope}, {}", f.line, f.owner, settings.join(", "))
            })
            .collect()
    }

    #[test]
    fn loops_that_probe_and_sleep_are_waits() {
        let source = r#"
import time
import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import ServiceUnavailable

ATTEMPTS = 30
TIMEOUT = 2 * 60


@pytest.fixture(scope="session")
def neo4j_driver():
    driver = GraphDatabase.driver("bolt://localhost:7687")
    for _ in range(ATTEMPTS):
        try:
            driver.verify_connectivity()
            break
        except ServiceUnavailable:
            time.sleep(0.5)
    yield driver


def wait_for_neo4j(driver):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            with driver.session() as session:
                session.run("RETURN 1")
            return
        except Exception:
            time.sleep(2)


@pytest.fixture(scope="session")
def graph(neo4j_driver):
    wait_for_neo4j(neo4j_driver)
    return neo4j_driver


def _up(driver):
    try:
        driver.verify_connectivity()
        return True
    except Exception:
        return False


@pytest.fixture
def polled(neo4j_driver):
    tries = 0
    while tries < 10:
        if _up(neo4j_driver):
            break
        tries += 1
        time.sleep(1)
"#;
        assert_eq!(
            waits(source),
            vec![
                "14: fixture `neo4j_driver` (session), how=for loop, probe=driver.verify_connectivity(), attempts=30, delay=0.5 s, total=15",
                "25: `wait_for_neo4j`, how=while loop, probe=session.run(), delay=2 s, total=120, called by=fixture `graph` (session)",
                "51: fixture `polled` (function), how=while loop, probe=_up(), attempts=10, delay=1 s, total=10",
            ]
        );
    }

    #[test]
    fn retry_decorators_on_probes_are_waits() {
        let source = r#"
import backoff
from neo4j import GraphDatabase
from neo4j.exceptions import ServiceUnavailable
from tenacity import retry, stop_after_attempt, stop_after_delay, wait_fixed


@retry(stop=stop_after_attempt(20) | stop_after_delay(90), wait=wait_fixed(3))
def connect(uri):
    driver = GraphDatabase.driver(uri)
    driver.verify_connectivity()
    return driver


@backoff.on_exception(backoff.expo, ServiceUnavailable, max_time=60)
def ping(driver):
    driver.verify_connectivity()
"#;
        assert_eq!(
            waits(source),
            vec![
                "8: `connect`, how=tenacity, probe=GraphDatabase.driver(), attempts=20, delay=3 s, total=90",
                "15: `ping`, how=backoff, probe=driver.verify_connectivity(), delay=expo, total=60",
            ]
        );
    }

    #[test]
    fn loops_and_retries_that_do_not_wait_for_the_server_are_not_waits() {
        let source = r#"
import subprocess
import time
from neo4j import GraphDatabase
from neo4j.exceptions import TransientError
from tenacity import retry, stop_after_attempt
from sentence_transformers import SentenceTransformer


@retry(stop=stop_after_attempt(5))
def load_model(name):
    return SentenceTransformer(name)


def load_batches(session, batches):
    for batch in batches:
        session.run("UNWIND $rows AS row CREATE (:Item {id: row})", rows=batch)
        time.sleep(0.1)


def poll_without_pause(driver):
    for _ in range(3):
        try:
            driver.verify_connectivity()
            return
        except Exception:
            pass


def load_with_retries(session, batches):
    for batch in batches:
        try:
            session.run("UNWIND $rows AS row CREATE (:Item {id: row})", rows=batch)
        except TransientError:
            time.sleep(1)


def restart(tries):
    for _ in range(tries):
        try:
            subprocess.run(["neo4j", "start"], check=True)
        except subprocess.CalledProcessError:
            time.sleep(1)
"#;
        assert_eq!(waits(source), Vec::<String>::new());
    }
}
