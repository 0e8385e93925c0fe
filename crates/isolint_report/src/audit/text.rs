//! Markdown helpers for the audit: escaping for GitHub-flavoured Markdown, code spans, heading anchors
//! as GitHub computes them, and links relative to the report's folder.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// Characters that could start Markdown syntax (emphasis, links, HTML, strikethrough, entities, table
/// cells) in text that comes from the user's code.
const SPECIAL: &[char] = &['\\', '*', '_', '[', ']', '<', '>', '~', '|', '&', '`'];

/// Text from the linter (plain words with `code spans`) made safe for Markdown: code spans are kept,
/// everything else is escaped. In a table cell, `|` is escaped inside code spans too (GitHub splits
/// cells on it before it reads code spans). Line breaks become spaces.
pub fn inline(text: &str, in_table: bool) -> String {
    let text = text.replace(['\r', '\n'], " ");
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            let run = chars[i..].iter().take_while(|&&c| c == '`').count();
            if let Some(close) = closing_run(&chars, i + run, run) {
                for &c in &chars[i..close + run] {
                    if c == '|' && in_table {
                        out.push('\\');
                    }
                    out.push(c);
                }
                i = close + run;
                continue;
            }
            for _ in 0..run {
                out.push_str("\\`");
            }
            i += run;
            continue;
        }
        // `_` inside a word (`test_x.py`) never starts emphasis: leave it readable.
        let inside_word = c == '_'
            && i > 0
            && i + 1 < chars.len()
            && chars[i - 1].is_alphanumeric()
            && chars[i + 1].is_alphanumeric();
        if SPECIAL.contains(&c) && !inside_word {
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Where a backtick run of exactly `run` characters starts at or after `from`.
fn closing_run(chars: &[char], from: usize, run: usize) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == '`' {
            let len = chars[i..].iter().take_while(|&&c| c == '`').count();
            if len == run {
                return Some(i);
            }
            i += len;
        } else {
            i += 1;
        }
    }
    None
}

/// A code span holding `text` verbatim, whatever backticks it contains.
pub fn code(text: &str, in_table: bool) -> String {
    let text = text.replace(['\r', '\n'], " ");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    let body = if in_table {
        text.replace('|', "\\|")
    } else {
        text
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// Heading anchors the way GitHub makes them (lower case; letters, digits, `-` and `_` kept; spaces
/// become `-`; other characters dropped; a repeated anchor gets `-1`, `-2`, ...).
#[derive(Default)]
pub struct Anchors {
    seen: BTreeMap<String, usize>,
}

impl Anchors {
    /// The anchors with `heading` taken back (it was added, then not written).
    pub fn without(mut self, heading: &str) -> Anchors {
        let base = github_slug(heading);
        if let Some(count) = self.seen.get_mut(&base) {
            if *count <= 1 {
                self.seen.remove(&base);
            } else {
                *count -= 1;
            }
        }
        self
    }

    pub fn add(&mut self, heading: &str) -> String {
        let base = github_slug(heading);
        let count = self.seen.entry(base.clone()).or_insert(0);
        let anchor = if *count == 0 {
            base.clone()
        } else {
            format!("{base}-{count}")
        };
        *count += 1;
        anchor
    }
}

pub fn github_slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// A name for `@pytest.mark.xdist_group`: lower-case ASCII letters and digits joined by single `-`.
pub fn group_slug(resource: &str) -> String {
    let resource = resource.replace("~/", "home/").replace('~', "home");
    let mut out = String::new();
    for c in resource.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "shared".into()
    } else {
        out
    }
}

/// `path` made absolute (against the current folder) and with `.` and `..` resolved lexically.
pub fn normalize(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The relative URL from folder `from` to file `to` (both absolute), `/`-separated and percent-encoded
/// where Markdown or URLs need it. `None` when no relative path exists (another drive).
pub fn relative_link(from: &Path, to: &Path) -> Option<String> {
    let from = normalize(from);
    let to = normalize(to);
    let from_parts: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    if from_parts.first() != to_parts.first() {
        return None;
    }
    let common = from_parts
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = vec!["..".to_string(); from_parts.len() - common];
    parts.extend(
        to_parts[common..]
            .iter()
            .map(|c| percent_encode(&c.as_os_str().to_string_lossy())),
    );
    Some(parts.join("/"))
}

fn percent_encode(segment: &str) -> String {
    let mut out = String::new();
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A word with `s` when `count` is not one: `plural(3, "test")` is "3 tests".
pub fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}

/// Rule codes as a short list: `ISO101–ISO105` for runs of three or more consecutive codes.
pub fn code_list(codes: &[&str]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    let number = |code: &str| -> Option<(String, u32)> {
        let split = code.find(|c: char| c.is_ascii_digit())?;
        Some((code[..split].to_string(), code[split..].parse().ok()?))
    };
    while i < codes.len() {
        let mut j = i;
        while j + 1 < codes.len() {
            match (number(codes[j]), number(codes[j + 1])) {
                (Some((pa, a)), Some((pb, b)))
                    if pa == pb && b == a + 1 && codes[j].len() == codes[j + 1].len() =>
                {
                    j += 1
                }
                _ => break,
            }
        }
        if j - i >= 2 {
            parts.push(format!("{}–{}", codes[i], codes[j]));
        } else {
            parts.extend(codes[i..=j].iter().map(|c| c.to_string()));
        }
        i = j + 1;
    }
    parts.join(", ")
}

/// An argument for a shell command line, quoted when it needs to be.
pub fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_outside_code_spans_only() {
        assert_eq!(
            inline("writes `a_b` to '~/x_y' <b>", false),
            "writes `a_b` to '\\~/x_y' \\<b\\>"
        );
        assert_eq!(
            inline("__init__.py and _private", false),
            "\\_\\_init\\_\\_.py and \\_private"
        );
        assert_eq!(inline("a | `b|c`", true), "a \\| `b\\|c`");
        assert_eq!(inline("a | `b|c`", false), "a \\| `b|c`");
        assert_eq!(inline("lone ` tick", false), "lone \\` tick");
        assert_eq!(code("a`b", false), "``a`b``");
        assert_eq!(code("`x", false), "`` `x ``");
    }

    #[test]
    fn slugs_match_github() {
        assert_eq!(
            github_slug("2. Tests that require isolation fixes"),
            "2-tests-that-require-isolation-fixes"
        );
        assert_eq!(
            github_slug("R1. ISO104 fixed-sqlite-file: `cache.db` (4 tests)"),
            "r1-iso104-fixed-sqlite-file-cachedb-4-tests"
        );
        let mut anchors = Anchors::default();
        assert_eq!(anchors.add("Notes"), "notes");
        assert_eq!(anchors.add("Notes"), "notes-1");
        assert_eq!(
            group_slug("path:/tmp/pipeline.lock"),
            "path-tmp-pipeline-lock"
        );
        assert_eq!(group_slug("path:~/.cache/app"), "path-home-cache-app");
    }

    #[test]
    fn relative_links() {
        let link =
            relative_link(Path::new("/repo/docs"), Path::new("/repo/tests/test x.py")).unwrap();
        assert_eq!(link, "../tests/test%20x.py");
        assert_eq!(
            relative_link(Path::new("/repo"), Path::new("/repo/a/../b.py")).unwrap(),
            "b.py"
        );
        assert_eq!(code_list(&["ISO001", "ISO002"]), "ISO001, ISO002");
        assert_eq!(
            code_list(&["ISO101", "ISO102", "ISO103", "ISO105"]),
            "ISO101–ISO103, ISO105"
        );
        assert_eq!(shell_word("tests/"), "tests/");
        assert_eq!(shell_word("my tests"), "'my tests'");
    }
}
