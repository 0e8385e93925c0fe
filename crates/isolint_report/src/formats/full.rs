//! `full`: a miette graphical report per finding — the rule, the message, the source with the span
//! underlined and the related locations marked, the fix, and the effort with the test or fixture.

use super::RenderOptions;
use isolint_linter::{Diagnostic, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Fixed, so the output does not depend on the terminal.
const WIDTH: usize = 100;

pub(crate) fn render(
    diagnostics: &[Diagnostic],
    sources: &HashMap<String, Arc<str>>,
    options: &RenderOptions,
) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false);
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let source = sources.get(&d.file);
        let shown = source.filter(|text| snippet_fits(text, d));
        let mut report = Report::new(d, shown);
        if source.is_some() && shown.is_none() {
            report.help.push_str(&format!(
                "\nat {}:{}:{} (the line is too long to show)",
                d.file, d.start.line, d.start.column
            ));
        }
        let mut text = String::new();
        if handler.render_report(&mut text, &report).is_err() {
            // Writing to a String fails only if miette reports an error of its own; fall back to the
            // report without a snippet, and to the bare message if even that fails.
            text.clear();
            if handler
                .render_report(&mut text, &Report::new(d, None))
                .is_err()
            {
                text = format!("{} {}\n\n  {}\n", d.rule.code, d.rule.name, d.message);
            }
        }
        out.push_str(text.trim_end_matches('\n'));
        out.push('\n');
        out.push_str(&footer(d));
        out.push('\n');
    }
    out
}

/// Lines longer than this are not shown: miette cannot place a label past column 65,535, and a
/// minified line is unreadable in a terminal anyway.
const MAX_SHOWN_LINE_BYTES: usize = 10_000;

/// Whether every line the snippet would show (the finding's lines, the related lines of the same
/// file, and one line of context around each) is short enough to show.
fn snippet_fits(text: &str, d: &Diagnostic) -> bool {
    let mut places = vec![(d.span.start, d.span.end)];
    for related in d.related.iter().filter(|r| r.file == d.file) {
        if let Some(start) = offset_of(text, related.line, related.column) {
            places.push((start, start));
        }
    }
    places.into_iter().all(|(start, end)| {
        let start = floor_boundary(text, start.min(text.len()));
        let end = floor_boundary(text, end.min(text.len())).max(start);
        // One line of context before and after, as miette shows.
        let from = text[..start]
            .rfind('\n')
            .and_then(|i| text[..i].rfind('\n').map(|j| j + 1).or(Some(0)))
            .unwrap_or(0);
        let to = text[end..]
            .find('\n')
            .and_then(|i| {
                let after = end + i + 1;
                text[after..]
                    .find('\n')
                    .map(|j| after + j)
                    .or(Some(text.len()))
            })
            .unwrap_or(text.len());
        text[from..to]
            .split('\n')
            .all(|line| line.len() <= MAX_SHOWN_LINE_BYTES)
    })
}

/// `effort: …`, then the test node id or the fixture when the finding has one.
fn footer(d: &Diagnostic) -> String {
    let mut line = format!("  effort: {}", d.effort.as_str());
    if let Some(test) = &d.test {
        line.push_str(&format!(", test: {test}"));
    }
    if let Some(fixture) = &d.fixture {
        line.push_str(&format!(", fixture: {fixture}"));
    }
    if let Some(available) = super::fix_available(d) {
        line.push_str(&format!("\n  {available}"));
    }
    line
}

/// One finding as a miette diagnostic.
struct Report<'a> {
    d: &'a Diagnostic,
    code: String,
    source: Option<NamedSource<Arc<str>>>,
    labels: Vec<LabeledSpan>,
    help: String,
}

impl<'a> Report<'a> {
    fn new(d: &'a Diagnostic, source: Option<&Arc<str>>) -> Self {
        // An empty source (an unreadable file) has nothing to show.
        let source = source.filter(|text| !text.is_empty());
        let mut labels = Vec::new();
        let mut elsewhere = Vec::new();
        if let Some(text) = source {
            let start = floor_boundary(text, d.span.start);
            let end = floor_boundary(text, d.span.end).max(start);
            labels.push(LabeledSpan::new_primary_with_span(
                Some(d.rule.summary.to_string()),
                (start, end - start),
            ));
        }
        for related in &d.related {
            let offset = source.filter(|_| related.file == d.file).and_then(|text| {
                let start = offset_of(text, related.line, related.column)?;
                let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                let end = start + text[start..line_end].trim_end().len();
                Some((start, end - start))
            });
            match offset {
                Some(span) => labels.push(LabeledSpan::new_with_span(
                    Some(related.message.clone()),
                    span,
                )),
                None => elsewhere.push(format!(
                    "related: {}:{}:{}: {}",
                    related.file, related.line, related.column, related.message
                )),
            }
        }
        let mut help = d.fix.clone();
        for line in elsewhere {
            if !help.is_empty() {
                help.push('\n');
            }
            help.push_str(&line);
        }
        Report {
            d,
            code: format!("{} {}", d.rule.code, d.rule.name),
            source: source.map(|text| NamedSource::new(&d.file, Arc::clone(text))),
            labels,
            help,
        }
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("code", &self.code)
            .field("message", &self.d.message)
            .finish()
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.rule.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        (!self.help.is_empty()).then(|| Box::new(&self.help) as Box<dyn fmt::Display + 'b>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.source.is_none() || self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// The largest char boundary of `text` at or before `offset`.
fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The byte offset of a 1-based line and a 1-based column counted in characters.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)?
    };
    let line_text = &text[line_start..];
    let line_text = &line_text[..line_text.find('\n').unwrap_or(line_text.len())];
    let column = column.max(1) - 1;
    let within = line_text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(line_text.len()))
        .nth(column)?;
    Some(line_start + within)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{diagnostic, samples, TEST_REPORT};

    fn options(color: bool) -> RenderOptions {
        RenderOptions {
            color,
            version: "0.0.0",
        }
    }

    #[test]
    fn full() {
        let (diagnostics, sources) = samples();
        insta::assert_snapshot!(render(&diagnostics, &sources, &options(false)));
    }

    #[test]
    fn full_without_sources() {
        let (diagnostics, _) = samples();
        insta::assert_snapshot!(render(&diagnostics, &HashMap::new(), &options(false)));
    }

    #[test]
    fn colour_only_when_asked() {
        let (diagnostics, sources) = samples();
        assert!(render(&diagnostics, &sources, &options(true)).contains("\u{1b}["));
        assert!(!render(&diagnostics, &sources, &options(false)).contains('\u{1b}'));
    }

    #[test]
    fn a_finding_past_column_65535_renders_without_its_line() {
        let (diagnostics, _) = samples();
        let mut d = diagnostics[2].clone();
        let text = format!("x = [{}]; open('/tmp/x', 'w')\n", "1, ".repeat(30_000));
        let at = text.find("open").unwrap();
        d.span = isolint_python::source::Span::new(at, at + 4);
        d.start.column = at + 1;
        d.related.clear();
        let sources = HashMap::from([(d.file.clone(), Arc::from(text.as_str()))]);
        let out = render(&[d.clone()], &sources, &options(false));
        assert!(out.contains("ISO101 hardcoded-tmp-path"), "{out}");
        assert!(
            out.contains(&format!(":{}: (the line is too long to show)", at + 1))
                || out.contains(&format!(":{} (the line is too long to show)", at + 1)),
            "{out}"
        );
        assert!(out.len() < 5_000, "the long line is not printed");
    }

    #[test]
    fn spans_past_the_end_or_inside_a_character_do_not_panic() {
        let (diagnostics, _) = samples();
        let mut d = diagnostics[2].clone();
        let text = "é = open('/tmp/x', 'w')\n";
        let sources = HashMap::from([(d.file.clone(), Arc::from(text))]);
        d.span = isolint_python::source::Span::new(1, 500);
        d.related[0].line = 40;
        let out = render(&[d.clone()], &sources, &options(false));
        assert!(out.contains("ISO101 hardcoded-tmp-path"));
        // An empty source (an unreadable file) renders without a snippet.
        let empty = HashMap::from([(d.file.clone(), Arc::from(""))]);
        let out = render(&[d], &empty, &options(false));
        assert!(!out.contains('╭'));
    }

    #[test]
    fn offsets_count_characters() {
        let text = "aé\nxéz = 1\n";
        assert_eq!(offset_of(text, 1, 1), Some(0));
        assert_eq!(offset_of(text, 2, 3), Some(text.find('z').unwrap()));
        assert_eq!(offset_of(text, 2, 8), Some(text.len() - 1));
        assert_eq!(offset_of(text, 2, 9), None);
        assert_eq!(offset_of(text, 9, 1), None);
        let d = diagnostic("ISO101", "tests/test_report.py", TEST_REPORT, "os.remove");
        assert_eq!(
            offset_of(TEST_REPORT, d.start.line, d.start.column),
            Some(d.span.start)
        );
    }
}
