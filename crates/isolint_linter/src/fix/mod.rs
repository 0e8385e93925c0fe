//! Machine-applicable fixes: edits on byte ranges of one file, computed in the per-file step while
//! the tree is alive, carried by findings to the output, applied together per file by `--fix`.
//!
//! A fix is either safe (`--fix` applies it: the test keeps its meaning, only its files or
//! environment become private) or unsafe (`--unsafe-fixes`: the change is mechanical but may change
//! what other code sees, such as a resource name another test looks up).

pub mod edits;
pub mod environ;
pub mod session;
pub mod shared_path;
pub mod temp_dir;
pub mod tmp_path;

use serde::Serialize;

/// Whether `--fix` may apply a fix on its own.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// Replace the bytes `start..end` of the file with `content` (an insertion when they are equal).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub content: String,
}

impl Edit {
    pub fn insert(at: usize, content: impl Into<String>) -> Self {
        Edit {
            start: at,
            end: at,
            content: content.into(),
        }
    }

    pub fn replace(start: usize, end: usize, content: impl Into<String>) -> Self {
        Edit {
            start,
            end,
            content: content.into(),
        }
    }

    /// Two edits that cannot both be applied: overlapping ranges, a range that swallows an
    /// insertion, or two different insertions at one place (their order would be a guess).
    fn conflicts_with(&self, other: &Edit) -> bool {
        if self == other {
            return false;
        }
        let self_insert = self.start == self.end;
        let other_insert = other.start == other.end;
        match (self_insert, other_insert) {
            (true, true) => self.start == other.start,
            (true, false) => other.start < self.start && self.start < other.end,
            (false, true) => self.start < other.start && other.start < self.end,
            (false, false) => self.start < other.end && other.start < self.end,
        }
    }
}

/// The edits of one finding, applied all or none.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Fix {
    pub applicability: Applicability,
    /// Sorted by position, never overlapping each other.
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn new(applicability: Applicability, mut edits: Vec<Edit>) -> Option<Fix> {
        edits.sort();
        edits.dedup();
        if edits.is_empty() || edits.windows(2).any(|w| w[0].conflicts_with(&w[1])) {
            return None;
        }
        Some(Fix {
            applicability,
            edits,
        })
    }

    pub fn safe(edits: Vec<Edit>) -> Option<Fix> {
        Fix::new(Applicability::Safe, edits)
    }

    pub fn unsafe_(edits: Vec<Edit>) -> Option<Fix> {
        Fix::new(Applicability::Unsafe, edits)
    }

    fn start(&self) -> usize {
        self.edits.first().map_or(0, |e| e.start)
    }
}

/// The text after applying fixes, and how many were applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub text: String,
    pub applied: usize,
}

/// Applies every fix that does not conflict with one applied before it (in source order), all of
/// a fix's edits or none. An edit equal to one already taken is shared, not applied twice: two
/// findings in one test both add the same `tmp_path` parameter. A fix left out conflicts with an
/// applied one and is tried again after the file is linted anew.
pub fn apply<'f>(source: &str, fixes: impl IntoIterator<Item = &'f Fix>) -> Applied {
    let mut fixes: Vec<&Fix> = fixes.into_iter().collect();
    fixes.sort_by(|a, b| {
        a.start()
            .cmp(&b.start())
            .then_with(|| a.edits.cmp(&b.edits))
    });
    fixes.dedup();
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    for fix in fixes {
        let in_range = fix.edits.iter().all(|e| {
            e.start <= e.end
                && e.end <= source.len()
                && source.is_char_boundary(e.start)
                && source.is_char_boundary(e.end)
        });
        if !in_range
            || fix
                .edits
                .iter()
                .any(|e| taken.iter().any(|t| e.conflicts_with(t)))
        {
            continue;
        }
        for edit in &fix.edits {
            if !taken.contains(&edit) {
                taken.push(edit);
            }
        }
        applied += 1;
    }
    taken.sort();
    let mut text = String::with_capacity(source.len());
    let mut at = 0;
    for edit in taken {
        text.push_str(&source[at..edit.start]);
        text.push_str(&edit.content);
        at = edit.end;
    }
    text.push_str(&source[at..]);
    Applied { text, applied }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(edits: Vec<Edit>) -> Fix {
        Fix::safe(edits).unwrap()
    }

    #[test]
    fn applies_non_overlapping_fixes_together() {
        let source = "abc def ghi";
        let a = safe(vec![Edit::replace(0, 3, "ABC")]);
        let b = safe(vec![Edit::replace(8, 11, "GHI"), Edit::insert(3, "!")]);
        let out = apply(source, [&a, &b]);
        assert_eq!(out.text, "ABC! def GHI");
        assert_eq!(out.applied, 2);
    }

    #[test]
    fn an_overlapping_fix_waits_for_the_next_round() {
        let source = "abc def";
        let a = safe(vec![Edit::replace(0, 5, "X")]);
        let b = safe(vec![
            Edit::replace(4, 7, "Y"),
            Edit::insert(7, "never half"),
        ]);
        let out = apply(source, [&b, &a]);
        assert_eq!(out.text, "Xef");
        assert_eq!(out.applied, 1);
    }

    #[test]
    fn identical_edits_are_shared() {
        let source = "def t():\n    a\n    b\n";
        let param = Edit::insert(6, "tmp_path");
        let a = safe(vec![param.clone(), Edit::replace(13, 14, "A")]);
        let b = safe(vec![param, Edit::replace(19, 20, "B")]);
        let out = apply(source, [&a, &b]);
        assert_eq!(out.text, "def t(tmp_path):\n    A\n    B\n");
        assert_eq!(out.applied, 2);
    }

    #[test]
    fn different_insertions_at_one_place_conflict() {
        let a = safe(vec![Edit::insert(0, "import os\n")]);
        let b = safe(vec![Edit::insert(0, "import sys\n")]);
        assert_eq!(apply("x\n", [&a, &b]).applied, 1);
        // An insertion at the edge of a replacement is fine; inside it is not.
        let c = safe(vec![Edit::replace(0, 1, "y")]);
        assert_eq!(apply("x\n", [&a, &c]).text, "import os\ny\n");
        let d = safe(vec![Edit::insert(1, "z")]);
        let e = safe(vec![Edit::replace(0, 2, "w")]);
        assert_eq!(apply("xx\n", [&d, &e]).applied, 1);
    }

    #[test]
    fn edits_off_the_text_are_never_applied() {
        let a = safe(vec![Edit::replace(3, 99, "x")]);
        let b = safe(vec![Edit::replace(1, 2, "x")]);
        // Inside a multi-byte character.
        assert_eq!(apply("é", [&a, &b]).applied, 0);
    }

    #[test]
    fn a_fix_whose_own_edits_overlap_is_refused() {
        assert!(Fix::safe(vec![Edit::replace(0, 3, "a"), Edit::replace(2, 4, "b")]).is_none());
        assert!(Fix::safe(Vec::new()).is_none());
    }
}
