//! One module per output format; all render the same sorted diagnostics.
//!
//! Every format is deterministic: the output depends only on the diagnostics (in the order given), the
//! sources and the options — no timestamps, no hash-map iteration order. Line-oriented formats end every
//! line with `\n` and render nothing for no diagnostics; document formats (JSON, GitLab, SARIF, JUnit)
//! always render a whole document ending with `\n`.

mod concise;
mod fingerprint;
mod full;
mod github;
mod gitlab;
mod json;
mod json_lines;
mod junit;
mod pylint;
mod sarif;
#[cfg(test)]
mod testing;

use isolint_linter::{Applicability, Diagnostic};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Full,
    Concise,
    Json,
    JsonLines,
    Github,
    Gitlab,
    Sarif,
    Junit,
    Pylint,
}

pub struct RenderOptions {
    /// Colour and Unicode in the `full` format.
    pub color: bool,
    /// isolint's version, for SARIF's tool.driver.
    pub version: &'static str,
}

/// Renders diagnostics (already sorted) in a format. `sources` holds the text of every file with a
/// diagnostic, keyed by the diagnostic's `file`.
pub fn render(
    format: OutputFormat,
    diagnostics: &[Diagnostic],
    sources: &HashMap<String, Arc<str>>,
    options: &RenderOptions,
) -> String {
    match format {
        OutputFormat::Full => full::render(diagnostics, sources, options),
        OutputFormat::Concise => concise::render(diagnostics),
        OutputFormat::Json => json::render(diagnostics),
        OutputFormat::JsonLines => json_lines::render(diagnostics),
        OutputFormat::Github => github::render(diagnostics),
        OutputFormat::Gitlab => gitlab::render(diagnostics, sources),
        OutputFormat::Sarif => sarif::render(diagnostics, sources, options),
        OutputFormat::Junit => junit::render(diagnostics),
        OutputFormat::Pylint => pylint::render(diagnostics),
    }
}

/// `--statistics`: one line per rule with its count, most frequent first.
///
/// Each line is `COUNT\tCODE\tname`; ties are ordered by code.
pub fn statistics(diagnostics: &[Diagnostic]) -> String {
    let mut counts: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for d in diagnostics {
        counts.entry(d.rule.code).or_insert((0, d.rule.name)).0 += 1;
    }
    let mut rows: Vec<(&str, usize, &str)> = counts
        .into_iter()
        .map(|(code, (count, name))| (code, count, name))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    rows.iter()
        .map(|(code, count, name)| format!("{count}\t{code}\t{name}\n"))
        .collect()
}

/// A text on one line, for the line-oriented formats: line breaks become spaces.
pub(crate) fn one_line(text: &str) -> String {
    if text.contains(['\n', '\r']) {
        text.replace("\r\n", " ").replace(['\n', '\r'], " ")
    } else {
        text.to_string()
    }
}

/// The message followed by the fix (`message{separator}fix`), for the formats that have a single text
/// field; the message alone when there is no fix.
/// `[*] ` before the message of a finding `--fix` fixes, `[*unsafe] ` for one only `--fix
/// --unsafe-fixes` fixes (concise and pylint lines, like Ruff's marker).
pub(crate) fn fix_marker(d: &Diagnostic) -> &'static str {
    match d.autofix.as_ref().map(|f| f.applicability) {
        Some(Applicability::Safe) => "[*] ",
        Some(Applicability::Unsafe) => "[*unsafe] ",
        None => "",
    }
}

/// "fix available (safe)" or "fix available (unsafe: --unsafe-fixes)" when the finding has one.
pub(crate) fn fix_available(d: &Diagnostic) -> Option<&'static str> {
    d.autofix.as_ref().map(|f| match f.applicability {
        Applicability::Safe => "fix available (safe): isolint --fix",
        Applicability::Unsafe => "fix available (unsafe): isolint --fix --unsafe-fixes",
    })
}

/// `text`, then ` [fix available (safe): isolint --fix]` when the finding has a fix.
pub(crate) fn with_fix_available(mut text: String, d: &Diagnostic) -> String {
    if let Some(available) = fix_available(d) {
        text.push_str(&format!(" [{available}]"));
    }
    text
}

pub(crate) fn message_and_fix(d: &Diagnostic, separator: &str) -> String {
    if d.fix.trim().is_empty() {
        d.message.clone()
    } else {
        format!("{}{separator}{}", d.message, d.fix)
    }
}

/// The message and the fix as two sentences: `message. Fix: fix` (no second full stop when the
/// message already ends a sentence).
pub(crate) fn message_and_fix_sentences(d: &Diagnostic) -> String {
    let separator = if d.message.trim_end().ends_with(['.', '!', '?']) {
        " Fix: "
    } else {
        ". Fix: "
    };
    message_and_fix(d, separator)
}

#[cfg(test)]
mod tests {
    use super::testing::{samples, ISO101};
    use super::*;

    #[test]
    fn statistics_are_sorted_by_count_then_code() {
        let (mut diagnostics, _) = samples();
        let extra = diagnostics
            .iter()
            .find(|d| d.rule.code == ISO101)
            .unwrap()
            .clone();
        diagnostics.push(extra);
        insta::assert_snapshot!(statistics(&diagnostics), @r"
        2	ISO101	hardcoded-tmp-path
        1	ISO002	syntax-error
        1	ISO501	environ-leak
        ");
        assert_eq!(statistics(&[]), "");
    }

    #[test]
    fn one_line_replaces_line_breaks() {
        assert_eq!(one_line("a\nb\r\nc\rd"), "a b c d");
        assert_eq!(one_line("plain"), "plain");
    }

    #[test]
    fn fix_follows_the_message() {
        let (diagnostics, _) = samples();
        let mut d = diagnostics[0].clone();
        d.message = "it leaks".to_string();
        d.fix = "restore it".to_string();
        assert_eq!(message_and_fix_sentences(&d), "it leaks. Fix: restore it");
        d.message = "it leaks.".to_string();
        assert_eq!(message_and_fix_sentences(&d), "it leaks. Fix: restore it");
        assert_eq!(
            message_and_fix(&d, " — fix: "),
            "it leaks. — fix: restore it"
        );
        d.fix = " ".to_string();
        assert_eq!(message_and_fix_sentences(&d), "it leaks.");
    }

    #[test]
    fn every_format_renders_without_sources() {
        let (diagnostics, _) = samples();
        let empty = HashMap::new();
        let options = RenderOptions {
            color: false,
            version: "0.0.0",
        };
        for format in [
            OutputFormat::Full,
            OutputFormat::Concise,
            OutputFormat::Json,
            OutputFormat::JsonLines,
            OutputFormat::Github,
            OutputFormat::Gitlab,
            OutputFormat::Sarif,
            OutputFormat::Junit,
            OutputFormat::Pylint,
        ] {
            let with_nothing = render(format, &[], &empty, &options);
            let again = render(format, &[], &empty, &options);
            assert_eq!(with_nothing, again);
            let out = render(format, &diagnostics, &empty, &options);
            assert!(!out.is_empty(), "{format:?}");
            assert_eq!(
                out,
                render(format, &diagnostics, &empty, &options),
                "{format:?} is not deterministic"
            );
        }
    }
}
