//! Byte spans and their translation into the 1-based line/column positions users see.

/// A half-open byte range into one file's source.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub fn of(node: tree_sitter::Node) -> Self {
        Span::new(node.start_byte(), node.end_byte())
    }

    pub fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// A position as editors count it: 1-based line, 1-based column in characters.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Line starts of one source, to turn byte offsets into positions without rescanning the text.
/// Every linted file keeps one until the project stage, so starts are stored in 32 bits (tree-sitter
/// counts bytes in 32 bits too), without the spare room of a growing vector.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    /// Lines end at `\n`, `\r\n` or a lone `\r`, as in Python.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            // A `\r\n` pair ends its line at the `\n`.
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                continue;
            }
            starts.push(offset_u32(i + 1));
        }
        starts.shrink_to_fit();
        LineIndex { starts }
    }

    /// The 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset_u32(offset)) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).map_or(0, |start| *start as usize)
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let column = text[start..offset].chars().count() + 1;
        Position {
            line: line + 1,
            column,
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

/// A byte offset as the index stores it; past 4 GiB (which tree-sitter cannot parse either) every
/// offset falls on the last line that starts below it.
fn offset_u32(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "a = 1\né = open('x')\n";
        let index = LineIndex::new(text);
        let offset = text.find("open").unwrap();
        assert_eq!(
            index.position(text, offset),
            Position { line: 2, column: 5 }
        );
        assert_eq!(index.position(text, 0), Position { line: 1, column: 1 });
    }

    #[test]
    fn lone_carriage_returns_end_lines() {
        let text = "a = 1\rb = 2\r\nc = 3\n";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(text, text.find('b').unwrap()),
            Position { line: 2, column: 1 }
        );
        assert_eq!(
            index.position(text, text.find('c').unwrap()),
            Position { line: 3, column: 1 }
        );
        // `\r\n` ends one line, not two; a text ending in a lone `\r` has an empty last line.
        assert_eq!(index.line_count(), 4);
        assert_eq!(LineIndex::new("a\r\n\r\nb\r").line_count(), 4);
    }
}
