//! Suppression comments: `# isolint: ignore[ISO101]` on the line or alone on the line above, bare
//! `# isolint: ignore` for every rule on that line, `# isolint: ignore-file[ISO3]` anywhere, and
//! `# noqa: ISO101` for flake8 and Ruff habits. Codes may be codes, prefixes or rule names.

use crate::registry::RuleMeta;
use std::cell::Cell;
use std::collections::BTreeMap;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Suppression {
    /// 0-based line of the comment.
    pub line: usize,
    /// Byte offset of the comment in its line, and its length.
    pub column_offset: usize,
    pub length: usize,
    /// Empty means every rule.
    pub codes: Vec<String>,
    pub file_wide: bool,
    /// Whether this comment stands alone on its line (then it also covers the next line).
    pub own_line: bool,
    used: Cell<bool>,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Suppressions {
    all: Vec<Suppression>,
    /// Ordered, so a cache entry holding it is the same bytes on every run.
    by_line: BTreeMap<usize, Vec<usize>>,
}

impl Suppressions {
    /// Parses one comment. `line_text` is the whole source line, to tell own-line comments apart.
    pub fn add_comment(&mut self, comment: &str, line: usize, line_text: &str) {
        let own_line = line_text.trim_start().starts_with('#');
        let column_offset = line_text.len().saturating_sub(comment.len());
        for parsed in parse_comment(comment) {
            let (codes, file_wide) = parsed;
            let index = self.all.len();
            self.all.push(Suppression {
                line,
                column_offset,
                length: comment.len(),
                codes,
                file_wide,
                own_line,
                used: Cell::new(false),
            });
            if !file_wide {
                self.by_line.entry(line).or_default().push(index);
                if own_line {
                    self.by_line.entry(line + 1).or_default().push(index);
                }
            }
        }
    }

    /// Whether a finding of `rule` starting on 0-based `line` is suppressed; marks the comment used.
    pub fn suppresses(&self, rule: &RuleMeta, line: usize) -> bool {
        let candidates = self
            .by_line
            .get(&line)
            .into_iter()
            .flatten()
            .map(|i| &self.all[*i])
            .chain(self.all.iter().filter(|s| s.file_wide));
        let mut hit = false;
        for suppression in candidates {
            if suppression.codes.is_empty()
                || suppression.codes.iter().any(|c| code_matches(c, rule))
            {
                suppression.used.set(true);
                hit = true;
            }
        }
        hit
    }

    pub fn reset_usage(&self) {
        for s in &self.all {
            s.used.set(false);
        }
    }

    /// Suppressions that matched nothing (unknown codes never match).
    pub fn unused(&self) -> impl Iterator<Item = &Suppression> {
        self.all.iter().filter(|s| !s.used.get())
    }
}

fn code_matches(code: &str, rule: &RuleMeta) -> bool {
    code.eq_ignore_ascii_case(rule.name)
        || (code.len() >= 3
            && rule.code.len() >= code.len()
            && rule.code[..code.len()].eq_ignore_ascii_case(code))
}

/// The suppressions one comment holds: `(codes, file_wide)`.
fn parse_comment(comment: &str) -> Vec<(Vec<String>, bool)> {
    let mut found = Vec::new();
    // A comment may hold several directives: `# noqa: E501  # isolint: ignore[ISO101]`.
    for part in comment.split('#').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some(rest) = part.strip_prefix("isolint:") {
            let rest = rest.trim();
            let (file_wide, rest) = if let Some(r) = rest.strip_prefix("ignore-file") {
                (true, r)
            } else if let Some(r) = rest.strip_prefix("ignore") {
                (false, r)
            } else {
                continue;
            };
            let rest = rest.trim_start();
            let codes = if let Some(list) = rest.strip_prefix('[') {
                let list = list.split(']').next().unwrap_or("");
                split_codes(list)
            } else {
                Vec::new()
            };
            found.push((codes, file_wide));
        } else if let Some(rest) = strip_prefix_ignore_case(part, "noqa") {
            // Only `# noqa: ISO...`: a bare noqa was written for other linters.
            let Some(list) = rest.trim_start().strip_prefix(':') else {
                continue;
            };
            let codes: Vec<String> = split_codes(list)
                .into_iter()
                .filter(|c| c.to_ascii_uppercase().starts_with("ISO"))
                .collect();
            if !codes.is_empty() {
                found.push((codes, false));
            }
        }
    }
    found
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn split_codes(list: &str) -> Vec<String> {
    list.split([',', ' '])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::find_rule;

    #[test]
    fn line_above_and_same_line() {
        let mut s = Suppressions::default();
        s.add_comment(
            "# isolint: ignore[ISO101]",
            3,
            "    # isolint: ignore[ISO101]",
        );
        s.add_comment("# noqa: ISO501", 10, "x = 1  # noqa: ISO501");
        let iso101 = find_rule("ISO101").unwrap();
        let iso501 = find_rule("ISO501").unwrap();
        assert!(s.suppresses(iso101, 3));
        assert!(s.suppresses(iso101, 4));
        assert!(!s.suppresses(iso101, 5));
        assert!(!s.suppresses(iso501, 4));
        assert!(s.suppresses(iso501, 10));
        assert!(!s.suppresses(iso501, 11));
    }

    #[test]
    fn comments_with_multibyte_text_do_not_panic() {
        let mut s = Suppressions::default();
        s.add_comment("# ├── hello", 0, "# ├── hello");
        s.add_comment("#’", 1, "x = 1  #’");
        assert!(!s.suppresses(find_rule("ISO101").unwrap(), 0));
    }

    #[test]
    fn file_wide_prefixes_names_and_bare() {
        let mut s = Suppressions::default();
        s.add_comment(
            "# isolint: ignore-file[ISO1]",
            0,
            "# isolint: ignore-file[ISO1]",
        );
        assert!(s.suppresses(find_rule("ISO102").unwrap(), 40));
        assert!(!s.suppresses(find_rule("ISO501").unwrap(), 40));
        let mut s = Suppressions::default();
        s.add_comment("# isolint: ignore", 2, "x()  # isolint: ignore");
        assert!(s.suppresses(find_rule("ISO501").unwrap(), 2));
        let mut s = Suppressions::default();
        s.add_comment(
            "# isolint: ignore[environ-leak]",
            2,
            "x()  # isolint: ignore[environ-leak]",
        );
        assert!(s.suppresses(find_rule("ISO501").unwrap(), 2));
        let mut s = Suppressions::default();
        s.add_comment("# noqa", 2, "x()  # noqa");
        assert!(!s.suppresses(find_rule("ISO501").unwrap(), 2));
    }
}
