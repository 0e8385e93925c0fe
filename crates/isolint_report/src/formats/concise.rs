//! `concise`: `path:line:col: CODE message`, one finding per line — the format of
//! `.github/isolint-matcher.json` and of editors' "compiler" matchers.

use super::{fix_marker, one_line};
use isolint_linter::Diagnostic;

pub(crate) fn render(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&format!(
            "{}:{}:{}: {} {}{}\n",
            d.file,
            d.start.line,
            d.start.column,
            d.rule.code,
            fix_marker(d),
            one_line(&d.message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::samples;

    #[test]
    fn concise() {
        let (diagnostics, _) = samples();
        insta::assert_snapshot!(render(&diagnostics));
    }

    /// The problem matcher shipped in `.github/` must match every line of this format.
    #[test]
    fn matcher_regexp_fits_the_format() {
        let matcher: serde_json::Value =
            serde_json::from_str(include_str!("../../../../.github/isolint-matcher.json"))
                .expect("matcher is JSON");
        let pattern = &matcher["problemMatcher"][0]["pattern"][0];
        assert_eq!(matcher["problemMatcher"][0]["owner"], "isolint");
        assert_eq!(
            pattern["regexp"],
            r"^(.+?):(\d+):(\d+): ([A-Z]+[0-9]+) (.*)$"
        );
        assert_eq!(
            (
                &pattern["file"],
                &pattern["line"],
                &pattern["column"],
                &pattern["code"],
                &pattern["message"]
            ),
            (&1.into(), &2.into(), &3.into(), &4.into(), &5.into())
        );
        // Without a regex crate, check the shape by hand: path, line, column, code, message.
        let (diagnostics, _) = samples();
        for line in render(&diagnostics).lines() {
            let (path, rest) = line.split_once(':').unwrap();
            assert!(!path.is_empty());
            let mut parts = rest.splitn(3, ':');
            assert!(parts.next().unwrap().parse::<usize>().is_ok());
            assert!(parts.next().unwrap().parse::<usize>().is_ok());
            let tail = parts.next().unwrap().strip_prefix(' ').unwrap();
            let (code, message) = tail.split_once(' ').unwrap();
            assert!(code.starts_with("ISO") && code[3..].chars().all(|c| c.is_ascii_digit()));
            assert!(!message.is_empty());
        }
    }
}
