//! `pylint`: `path:line: [CODE] message`, the format of pylint's `parseable` output.

use super::{fix_marker, one_line};
use isolint_linter::Diagnostic;

pub(crate) fn render(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&format!(
            "{}:{}: [{}] {}{}\n",
            d.file,
            d.start.line,
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
    fn pylint() {
        let (diagnostics, _) = samples();
        insta::assert_snapshot!(render(&diagnostics));
    }
}
