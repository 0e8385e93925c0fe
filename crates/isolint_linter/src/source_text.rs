//! A linted file's text as the project stage sees it.
//!
//! Every file's outcome lives until the project stage, but only the files that end with a
//! finding, a fix or a shown source need their text there. Keeping every text would make peak
//! memory grow with the whole suite's source, so a file read from disk keeps only its path and
//! the hash of the bytes it was linted from, and is read again when a position, an edit or the
//! shown source asks for it. A file that changed in between is not read with positions computed
//! from another text: [`SourceText::changed`] says so, and the project stage reports the file
//! instead of its findings.

use crate::cache::Key;
use isolint_python::source::{LineIndex, Position};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

pub(crate) struct SourceText {
    /// Where to read the text again; `None` when it is held (standard input) or there is none.
    disk: Option<(PathBuf, Key)>,
    /// The text and its line starts once read; `None` inside: read again, it differed.
    loaded: OnceLock<Option<(Arc<str>, LineIndex)>>,
}

impl SourceText {
    /// A text that cannot be read again (standard input): held for the whole run.
    pub(crate) fn held(text: Arc<str>) -> Self {
        let index = LineIndex::new(&text);
        SourceText {
            disk: None,
            loaded: OnceLock::from(Some((text, index))),
        }
    }

    /// A file reported as a whole, or one whose text nothing reads later.
    pub(crate) fn none() -> Self {
        SourceText::held(Arc::from(""))
    }

    /// A file read from `path`, whose bytes hashed to `content` when it was linted.
    pub(crate) fn on_disk(path: PathBuf, content: Key) -> Self {
        SourceText {
            disk: Some((path, content)),
            loaded: OnceLock::new(),
        }
    }

    /// Whether the outcome shows any text (a file reported as a whole keeps none).
    pub(crate) fn is_kept(&self) -> bool {
        self.disk.is_some() || self.loaded().is_some_and(|(text, _)| !text.is_empty())
    }

    fn loaded(&self) -> Option<&(Arc<str>, LineIndex)> {
        self.loaded
            .get_or_init(|| {
                let (path, content) = self.disk.as_ref()?;
                let (text, again) = crate::lint::read_path(path).ok()?;
                let index = LineIndex::new(&text);
                (again == *content).then_some((text, index))
            })
            .as_ref()
    }

    /// The text as linted; `None` if the file changed since (or can no longer be read).
    pub(crate) fn text(&self) -> Option<&Arc<str>> {
        self.loaded().map(|(text, _)| text)
    }

    /// The text to show with the file's diagnostics (empty if it changed since).
    pub(crate) fn shown(&self) -> Arc<str> {
        self.text().cloned().unwrap_or_else(|| Arc::from(""))
    }

    /// Whether the file was read again and differed from what was linted: its positions are
    /// unknown.
    pub(crate) fn changed(&self) -> bool {
        self.disk.is_some() && self.loaded.get().is_some_and(Option::is_none)
    }

    /// The editor position of a byte offset (line 1, column 1 if the file changed since: the
    /// project stage then reports the file instead).
    pub(crate) fn position(&self, offset: usize) -> Position {
        match self.loaded() {
            Some((text, index)) => index.position(text, offset),
            None => Position { line: 1, column: 1 },
        }
    }

    /// The byte offset where a 0-based line starts.
    pub(crate) fn line_start(&self, line: usize) -> usize {
        self.loaded().map_or(0, |(_, index)| index.line_start(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(dir: &tempfile::TempDir, text: &str) -> (PathBuf, Key) {
        let path = dir.path().join("test_x.py");
        std::fs::write(&path, text).expect("temporary file");
        let content = crate::lint::read_path(&path).expect("readable").1;
        (path, content)
    }

    #[test]
    fn an_unchanged_file_is_read_again_with_its_positions() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (path, content) = written(&dir, "\u{feff}import os\r\né = 1\n");
        let text = SourceText::on_disk(path, content);
        assert!(text.is_kept());
        assert_eq!(text.text().map(|t| &**t), Some("import os\r\né = 1\n"));
        assert_eq!(text.position(14), Position { line: 2, column: 3 });
        assert_eq!(text.line_start(1), 11);
        assert!(!text.changed());
    }

    #[test]
    fn a_file_changed_since_its_lint_has_no_text_and_says_so() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (path, content) = written(&dir, "import os\nx = 1\n");
        std::fs::write(&path, "import sys\nx = 1\n").expect("temporary file");
        let text = SourceText::on_disk(path, content);
        assert!(!text.changed(), "nothing asked for the text yet");
        assert_eq!(text.position(12), Position { line: 1, column: 1 });
        assert!(text.text().is_none());
        assert!(text.changed());
        assert_eq!(&*text.shown(), "");
    }

    #[test]
    fn a_removed_file_counts_as_changed() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (path, content) = written(&dir, "x = 1\n");
        std::fs::remove_file(&path).expect("removed");
        let text = SourceText::on_disk(path, content);
        assert!(text.text().is_none());
        assert!(text.changed());
    }

    #[test]
    fn held_and_missing_texts_are_never_changed() {
        let held = SourceText::held(Arc::from("a = 1\nb = 2\n"));
        assert_eq!(held.position(6), Position { line: 2, column: 1 });
        assert!(held.is_kept() && !held.changed());
        let none = SourceText::none();
        assert!(!none.is_kept() && !none.changed());
        assert_eq!(&*none.shown(), "");
    }
}
