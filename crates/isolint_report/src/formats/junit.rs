//! `junit`: JUnit XML for CI test-report views: one testcase per file with findings, one failure per
//! finding.

use isolint_linter::Diagnostic;
use std::collections::HashMap;

pub(crate) fn render(diagnostics: &[Diagnostic]) -> String {
    // Files in order of first appearance (the diagnostics are sorted by file already).
    let mut files: Vec<(&str, Vec<&Diagnostic>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for d in diagnostics {
        let slot = *index.entry(d.file.as_str()).or_insert_with(|| {
            files.push((d.file.as_str(), Vec::new()));
            files.len() - 1
        });
        files[slot].1.push(d);
    }
    // JUnit counts testcases: every file listed has failed.
    let tests = files.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"isolint\" tests=\"{tests}\" failures=\"{tests}\" errors=\"0\">\n"
    ));
    out.push_str(&format!("  <testsuite name=\"isolint\" tests=\"{tests}\" failures=\"{tests}\" errors=\"0\" skipped=\"0\">\n"));
    for (file, findings) in &files {
        out.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"isolint\">\n",
            escape_xml(file)
        ));
        for d in findings {
            let mut body = format!("{}:{}: {}", d.start.line, d.start.column, d.message);
            if !d.fix.trim().is_empty() {
                body.push_str(&format!("\nfix: {}", d.fix));
            }
            if let Some(available) = super::fix_available(d) {
                body.push_str(&format!("\n{available}"));
            }
            out.push_str(&format!(
                "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                escape_xml(&d.message),
                escape_xml(d.rule.code),
                escape_xml_text(&body)
            ));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Escapes text for an XML attribute value: the five markup characters, line breaks and tabs (which
/// parsers would otherwise turn into spaces), and characters XML 1.0 does not allow at all.
pub(crate) fn escape_xml(text: &str) -> String {
    escape(text, true)
}

/// Escapes text for element content: line breaks and tabs stay as they are.
pub(crate) fn escape_xml_text(text: &str) -> String {
    escape(text, false)
}

fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            // Not allowed in XML 1.0, not even as a character reference.
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::samples;

    #[test]
    fn junit() {
        let (diagnostics, _) = samples();
        insta::assert_snapshot!(render(&diagnostics));
    }

    #[test]
    fn empty_is_an_empty_suite() {
        insta::assert_snapshot!(render(&[]), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="isolint" tests="0" failures="0" errors="0">
          <testsuite name="isolint" tests="0" failures="0" errors="0" skipped="0">
          </testsuite>
        </testsuites>
        "#);
    }

    #[test]
    fn xml_escaping() {
        assert_eq!(
            escape_xml(r#"a & b < c > d "e" 'f'"#),
            "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;"
        );
        assert_eq!(escape_xml("one\ntwo\r\tthree"), "one&#10;two&#13;&#9;three");
        assert_eq!(
            escape_xml_text("one\ntwo\tthree <x>"),
            "one\ntwo\tthree &lt;x&gt;"
        );
        assert_eq!(escape_xml("bell\u{7}nul\u{0}"), "bell\u{fffd}nul\u{fffd}");
        assert_eq!(escape_xml("é ✓"), "é ✓");
        // Already-escaped text is escaped again, not passed through.
        assert_eq!(escape_xml("&amp;"), "&amp;amp;");
    }

    #[test]
    fn one_testcase_per_file_and_one_failure_per_finding() {
        let (mut diagnostics, _) = samples();
        diagnostics.push(diagnostics[2].clone());
        let xml = render(&diagnostics);
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert_eq!(xml.matches("<failure ").count(), 4);
        assert!(xml.contains("tests=\"3\" failures=\"3\""));
    }
}
