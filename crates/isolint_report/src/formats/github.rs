//! `github`: GitHub Actions workflow commands, which show each finding as an annotation on the pull
//! request's diff:
//! `::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=isolint (CODE)::message — fix: fix`.

use super::{message_and_fix, with_fix_available};
use isolint_linter::{Diagnostic, Severity};

pub(crate) fn render(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.rule.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut properties = vec![("file", d.file.clone()), ("line", d.start.line.to_string())];
        if d.start.line == d.end.line {
            properties.push(("col", d.start.column.to_string()));
            properties.push(("endLine", d.end.line.to_string()));
            properties.push(("endColumn", d.end.column.to_string()));
        } else {
            // GitHub ignores columns on an annotation that spans several lines.
            properties.push(("endLine", d.end.line.to_string()));
        }
        properties.push(("title", format!("isolint ({})", d.rule.code)));
        let properties: Vec<String> = properties
            .iter()
            .map(|(key, value)| format!("{key}={}", escape_property(value)))
            .collect();
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            escape_data(&with_fix_available(message_and_fix(d, " — fix: "), d))
        ));
    }
    out
}

/// Escapes a command's message: `%`, `\r` and `\n`.
pub(crate) fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a property value: the message's escapes plus `:` and `,`, which end a property.
pub(crate) fn escape_property(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape_data(text).chars() {
        match c {
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{diagnostic, samples, CONFTEST};
    use isolint_linter::registry::{Category, RuleMeta};
    use isolint_linter::Effort;

    #[test]
    fn github() {
        let (diagnostics, _) = samples();
        insta::assert_snapshot!(render(&diagnostics));
    }

    #[test]
    fn data_escapes_percent_and_line_breaks_only() {
        assert_eq!(
            escape_data("100% done\r\nnext: a, b"),
            "100%25 done%0D%0Anext: a, b"
        );
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("tests/a,b:c%.py"), "tests/a%2Cb%3Ac%25.py");
        assert_eq!(escape_property("line\nbreak"), "line%0Abreak");
        assert_eq!(escape_property("isolint (ISO101)"), "isolint (ISO101)");
    }

    #[test]
    fn odd_paths_and_messages_are_escaped() {
        let mut d = diagnostic("ISO501", "tests/a,b:c.py", CONFTEST, "os.environ");
        d.message = "50% of runs\nfail".to_string();
        d.fix = String::new();
        assert_eq!(
            render(&[d]),
            "::error file=tests/a%2Cb%3Ac.py,line=13,col=5,endLine=13,endColumn=15,title=isolint (ISO501)::50%25 of runs%0Afail\n"
        );
    }

    #[test]
    fn warnings_use_the_warning_command() {
        static WARN: RuleMeta = RuleMeta {
            code: "ISO999",
            name: "sample-warning",
            category: Category::Config,
            severity: Severity::Warning,
            effort: Effort::Lines,
            shared_effort: Effort::Lines,
            summary: "A sample warning",
            doc: "",
        };
        let mut d = diagnostic("ISO501", "tests/conftest.py", CONFTEST, "os.environ");
        d.rule = &WARN;
        d.message = "careful".to_string();
        d.fix = "do better".to_string();
        assert_eq!(
            render(&[d]),
            "::warning file=tests/conftest.py,line=13,col=5,endLine=13,endColumn=15,title=isolint (ISO999)::careful — fix: do better\n"
        );
    }
}
