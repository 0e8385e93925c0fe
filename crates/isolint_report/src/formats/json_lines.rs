//! `json-lines`: the `json` format's objects, compact, one per line.

use super::json::JsonDiagnostic;
use isolint_linter::Diagnostic;

pub(crate) fn render(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(
            &serde_json::to_string(&JsonDiagnostic::from(d))
                .expect("diagnostics serialise to JSON"),
        );
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::samples;

    #[test]
    fn json_lines() {
        let (diagnostics, _) = samples();
        insta::assert_snapshot!(render(&diagnostics));
    }

    #[test]
    fn each_line_is_the_json_object() {
        let (diagnostics, _) = samples();
        let array: serde_json::Value =
            serde_json::from_str(&crate::formats::json::render(&diagnostics)).unwrap();
        let lines: Vec<serde_json::Value> = render(&diagnostics)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(array, serde_json::Value::Array(lines));
    }
}
