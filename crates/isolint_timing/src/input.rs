//! Reading measured durations: JUnit XML (`pytest --junitxml`) with quick-xml, or the text of
//! `pytest --durations=0` (its `0.52s call tests/test_x.py::test_a` lines). Anything else is an
//! error that says what was expected.

use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::BTreeMap;

/// One test's measured time (set-up, call and tear-down together).
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// pytest's node id (`tests/test_x.py::TestA::test_b[1]`), or JUnit's
    /// `classname`/`name` pair turned into one (see [`junit_node_id`]).
    pub node_id: String,
    pub seconds: f64,
}

/// What a timing file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Timings {
    /// Tests in the order the file lists them (pytest's run order for JUnit).
    pub tests: Vec<Measured>,
    /// The whole session's wall time when the file gives it (JUnit's `testsuite time`, the
    /// `N passed in 12.34s` line).
    pub session_seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimingError(pub String);

impl std::fmt::Display for TimingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses JUnit XML (text starting with `<`) or `--durations` text.
pub fn parse(text: &str) -> Result<Timings, TimingError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') {
        parse_junit(trimmed)
    } else {
        parse_durations(trimmed)
    }
}

fn attribute(
    element: &quick_xml::events::BytesStart,
    name: &[u8],
) -> Result<Option<String>, TimingError> {
    for attr in element.attributes() {
        let attr = attr.map_err(|e| TimingError(format!("malformed XML attribute: {e}")))?;
        if attr.key.as_ref() == name {
            let value = attr
                .unescape_value()
                .map_err(|e| TimingError(format!("malformed XML attribute value: {e}")))?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

fn seconds(value: Option<String>, what: &str) -> Result<Option<f64>, TimingError> {
    match value {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Some)
            .ok_or_else(|| {
                TimingError(format!(
                    "{what} has the time `{v}`, not a number of seconds"
                ))
            }),
    }
}

fn parse_junit(text: &str) -> Result<Timings, TimingError> {
    let mut reader = Reader::from_str(text);
    let mut tests = Vec::new();
    let mut session: Option<f64> = None;
    let mut depth = 0usize;
    let mut saw_root = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            TimingError(format!(
                "not well-formed JUnit XML (at byte {}): {e}",
                reader.error_position()
            ))
        })?;
        match event {
            Event::Start(ref element) | Event::Empty(ref element) => {
                let opens = matches!(event, Event::Start(_));
                saw_root = true;
                match element.name().as_ref() {
                    b"testsuite" => {
                        let time = seconds(attribute(element, b"time")?, "a <testsuite>")?;
                        if let Some(time) = time {
                            *session.get_or_insert(0.0) += time;
                        }
                    }
                    b"testcase" => {
                        let name = attribute(element, b"name")?.ok_or_else(|| {
                            TimingError("a <testcase> has no `name` attribute".into())
                        })?;
                        let classname = attribute(element, b"classname")?.unwrap_or_default();
                        let file = attribute(element, b"file")?;
                        let time =
                            seconds(attribute(element, b"time")?, &format!("test `{name}`"))?
                                .unwrap_or(0.0);
                        tests.push(Measured {
                            node_id: junit_node_id(file.as_deref(), &classname, &name),
                            seconds: time,
                        });
                    }
                    _ => {}
                }
                if opens {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof if depth > 0 => {
                return Err(TimingError(
                    "the JUnit XML ends before its elements are closed (a truncated file?)".into(),
                ))
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(TimingError("the file holds no XML element".into()));
    }
    if tests.is_empty() {
        return Err(TimingError(
            "the JUnit XML has no <testcase>: give the file `pytest --junitxml=PATH` wrote".into(),
        ));
    }
    Ok(Timings {
        tests,
        session_seconds: session,
    })
}

/// A node id from JUnit's fields. pytest writes `classname="tests.test_x.TestA"` and
/// `name="test_b[1]"`; the split between module and class is not in the file, so the parts are
/// kept dotted (`tests.test_x.TestA::test_b[1]`) and resolved against the suite's files later.
pub fn junit_node_id(file: Option<&str>, classname: &str, name: &str) -> String {
    match (file, classname) {
        (_, "") => name.to_string(),
        _ => format!("{classname}::{name}"),
    }
}

fn parse_durations(text: &str) -> Result<Timings, TimingError> {
    // Set-up, call and tear-down lines of one test add up; the order is first appearance.
    let mut order: Vec<String> = Vec::new();
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    let mut session = None;
    for line in text.lines() {
        let line = line.trim();
        let mut parts = line.split_whitespace();
        let (Some(time), Some(phase), Some(node)) = (parts.next(), parts.next(), parts.next())
        else {
            if let Some(s) = session_line(line) {
                session = Some(s);
            }
            continue;
        };
        let Some(value) = time.strip_suffix('s').and_then(|t| t.parse::<f64>().ok()) else {
            if let Some(s) = session_line(line) {
                session = Some(s);
            }
            continue;
        };
        if !matches!(phase, "setup" | "call" | "teardown") || !node.contains("::") {
            continue;
        }
        if !totals.contains_key(node) {
            order.push(node.to_string());
        }
        *totals.entry(node.to_string()).or_default() += value;
    }
    if order.is_empty() {
        return Err(TimingError(
            "no test durations found: give JUnit XML (`pytest --junitxml=PATH`) or the output of `pytest --durations=0 -vv`".into(),
        ));
    }
    Ok(Timings {
        tests: order
            .into_iter()
            .map(|node_id| {
                let seconds = totals.get(&node_id).copied().unwrap_or(0.0);
                Measured { node_id, seconds }
            })
            .collect(),
        session_seconds: session,
    })
}

/// `==== 12 passed, 1 skipped in 3.21s (0:00:03) ====` → 3.21.
fn session_line(line: &str) -> Option<f64> {
    let line = line.trim_matches('=').trim();
    let (_, after) = line.rsplit_once(" in ")?;
    let number = after.split_whitespace().next()?.strip_suffix('s')?;
    number.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_testcases_and_session_time() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="2" time="3.5"><testcase classname="tests.test_a.TestX" name="test_one[1]" time="1.25" /><testcase classname="tests.test_a" name="test_two" time="0.5"><skipped message="x"/></testcase></testsuite></testsuites>"#;
        let timings = parse(xml).unwrap();
        assert_eq!(timings.session_seconds, Some(3.5));
        assert_eq!(timings.tests.len(), 2);
        assert_eq!(timings.tests[0].node_id, "tests.test_a.TestX::test_one[1]");
        assert_eq!(timings.tests[0].seconds, 1.25);
    }

    #[test]
    fn durations_text_adds_phases() {
        let text = "============ slowest durations ============\n0.50s call     tests/test_a.py::test_one\n0.25s setup    tests/test_a.py::test_one\n0.10s call     tests/test_b.py::TestB::test_two\n(3 durations < 0.005s hidden.)\n======= 2 passed in 1.02s =======\n";
        let timings = parse(text).unwrap();
        assert_eq!(timings.tests[0].node_id, "tests/test_a.py::test_one");
        assert_eq!(timings.tests[0].seconds, 0.75);
        assert_eq!(timings.session_seconds, Some(1.02));
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert!(parse("<testsuite><testcase name='a' time='x'/></testsuite>").is_err());
        assert!(parse("<testsuite><testcase name='a'></testsuite>").is_err());
        assert!(parse("<testsuite></testsuite>").is_err());
        assert!(parse("hello world\n").is_err());
        assert!(parse("").is_err());
    }
}
