//! The audit's note on waiting for Neo4j: the waits the suite's code makes (loops that probe the
//! server and sleep, retry decorators), how long each can wait against what the compose health
//! check lets the server take, and what `-n auto` changes (every worker waits at once).

use super::markdown::link;
use super::model::Neo4jItem;
use super::text::code;
use isolint_python::project::Neo4jFactKind;
use isolint_python::project_files::ComposeService;

/// One line for the Neo4j section, starting with its bold lead.
pub fn note(items: &[Neo4jItem], compose: &[ComposeService]) -> String {
    let waits: Vec<&Neo4jItem> = items
        .iter()
        .filter(|i| i.fact.kind == Neo4jFactKind::Wait)
        .collect();
    let once_per_run = "to wait once per run instead, let one worker wait: guard the wait with a `filelock.FileLock` on a file under `tmp_path_factory.getbasetemp().parent` (the folder every worker shares) and leave a marker there when the server answers; the other workers find the marker and skip the wait";
    let budget = compose
        .iter()
        .filter(|s| s.kind == "neo4j")
        .find_map(|s| health_budget(s).map(|seconds| (s, seconds)));
    if waits.is_empty() {
        let budget = budget.map_or(String::new(), |(s, seconds)| {
            format!(
                " (the compose service {} may take up to {} to become healthy)",
                code(&s.name, false),
                seconds_text(seconds)
            )
        });
        return format!(
            "**Waiting for the server:** no fixture or helper waits for Neo4j (a loop that probes `driver.verify_connectivity()` and sleeps, or a tenacity or backoff retry), so a worker whose first connection comes before the server is ready fails{budget}. Under `-n auto` all workers connect at once: wait in the session driver fixture, retrying `verify_connectivity()` for longer than the server takes to start; {once_per_run}."
        );
    }
    let described: Vec<String> = waits.iter().map(|w| describe(w)).collect();
    let these = if waits.len() == 1 {
        "this wait"
    } else {
        "these waits"
    };
    let mut advice = vec![format!(
        "under `-n auto` each worker runs {these} itself, all at start-up, so the server sees every worker's probes at once and a worker that gives up fails all its tests"
    )];
    let longest = waits
        .iter()
        .filter_map(|w| setting(w, "total").and_then(|t| t.parse::<f64>().ok()))
        .fold(None, |max: Option<f64>, t| {
            Some(max.map_or(t, |m| m.max(t)))
        });
    if let (Some(longest), Some((service, budget))) = (longest, budget) {
        if longest < budget {
            advice.push(format!(
                "the longest wait ({}) is shorter than the compose service {} may take to become healthy ({}): wait at least that long",
                seconds_text(longest),
                code(&service.name, false),
                seconds_text(budget)
            ));
        }
    }
    let per_test: Vec<String> = waits
        .iter()
        .filter(|w| w.fact.fixture_scope.as_deref() == Some("function"))
        .map(|w| w.fact.owner.clone())
        .collect();
    if !per_test.is_empty() {
        advice.push(format!(
            "{} waits before every test: move the wait into a session-scoped fixture",
            per_test.join(", ")
        ));
    }
    advice.push(once_per_run.to_string());
    format!(
        "**Waiting for the server:** {}. {}{}.",
        described.join("; "),
        capitalised(&advice[0]),
        advice[1..]
            .iter()
            .map(|a| format!("; {a}"))
            .collect::<String>()
    )
}

fn setting<'a>(item: &'a Neo4jItem, key: &str) -> Option<&'a str> {
    item.fact
        .settings
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// "fixture `neo4j_driver` (session) at conftest.py:14 tries `driver.verify_connectivity()` 30
/// times, 0.5 s apart (up to 15 s)".
fn describe(wait: &Neo4jItem) -> String {
    let fact = &wait.fact;
    let scope = fact
        .fixture_scope
        .as_deref()
        .map_or(String::new(), |s| format!(" ({s})"));
    let callers: Vec<&str> = fact
        .settings
        .iter()
        .filter(|(k, _)| k == "called by")
        .map(|(_, v)| v.as_str())
        .collect();
    let called_by = if callers.is_empty() {
        String::new()
    } else {
        format!(", called by {},", callers.join(", "))
    };
    let probe = setting(wait, "probe").map_or(String::new(), |p| code(p, false));
    let how = match setting(wait, "how") {
        Some(library @ ("tenacity" | "backoff" | "retrying")) => {
            format!(" under a `{library}` retry")
        }
        _ => String::new(),
    };
    let attempts = setting(wait, "attempts").map_or(String::new(), |n| format!(" {n} times"));
    let delay = match setting(wait, "delay") {
        Some(d) if d.ends_with(" s") => format!(", {d} apart"),
        Some(strategy) => format!(", waiting by {}", code(strategy, false)),
        None => String::new(),
    };
    let total = match setting(wait, "total").and_then(|t| t.parse::<f64>().ok()) {
        Some(t) => format!(" (up to {})", seconds_text(t)),
        None => " (no limit found)".to_string(),
    };
    format!(
        "{}{scope} at {}{called_by} retries {probe}{how}{attempts}{delay}{total}",
        fact.owner,
        link(&wait.at)
    )
}

/// The longest a compose health check lets a service start before Docker calls it unhealthy:
/// `start_period` + `interval` × `retries` (Docker's defaults: 0 s, 30 s, 3).
fn health_budget(service: &ComposeService) -> Option<f64> {
    let settings = service.healthcheck.as_ref()?;
    let get = |key: &str| {
        settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let interval = get("interval").map_or(Some(30.0), duration_seconds)?;
    let start = get("start_period").map_or(Some(0.0), duration_seconds)?;
    let retries = get("retries").map_or(Some(3.0), |r| r.trim().parse::<f64>().ok())?;
    Some(start + interval * retries)
}

/// A compose duration (`1m30s`, `500ms`, `10s`) in seconds.
fn duration_seconds(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut number = String::new();
    let mut chars = text.trim().chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(next) = chars.peek().filter(|n| n.is_ascii_alphabetic()) {
            unit.push(*next);
            chars.next();
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        total += value
            * match unit.as_str() {
                "h" => 3600.0,
                "m" => 60.0,
                "s" => 1.0,
                "ms" => 0.001,
                "us" | "µs" => 0.000_001,
                "ns" => 0.000_000_001,
                _ => return None,
            };
        any = true;
    }
    if !number.is_empty() {
        return None;
    }
    any.then_some(total)
}

fn seconds_text(seconds: f64) -> String {
    if seconds.fract() == 0.0 {
        format!("{seconds:.0} s")
    } else {
        format!("{seconds:.1} s")
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_durations_read_as_seconds() {
        assert_eq!(duration_seconds("10s"), Some(10.0));
        assert_eq!(duration_seconds("1m30s"), Some(90.0));
        assert_eq!(duration_seconds("500ms"), Some(0.5));
        assert_eq!(duration_seconds("30"), None);
        assert_eq!(duration_seconds("soon"), None);
        assert_eq!(duration_seconds(""), None);
    }
}
