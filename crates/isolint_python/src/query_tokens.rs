//! Query text (Cypher, SQL) as isolint reads it: a template whose unknown parts are marked, cut into
//! words, strings, parameters and symbols. The scanners in [`crate::cypher`] and [`crate::sql`] look
//! for the few keyword sequences that matter; there is no grammar.

/// Marks a part of a query built from a value unique per test or worker (`worker_id`, `uuid4()`).
pub const UNIQUE_HOLE: char = '\u{E000}';
/// Marks a part of a query whose value isolint does not know.
pub const UNKNOWN_HOLE: char = '\u{E001}';

/// A name in a query: fixed text every worker shares, a name unique per test or worker, or unknown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Name {
    Fixed(String),
    Unique,
    Unknown,
}

impl Name {
    pub fn fixed(&self) -> Option<&str> {
        match self {
            Name::Fixed(name) => Some(name),
            _ => None,
        }
    }

    /// The name of a run of text with holes: unique wins over unknown, which wins over text.
    pub fn of_text(text: &str) -> Name {
        if text.contains(UNIQUE_HOLE) {
            Name::Unique
        } else if text.contains(UNKNOWN_HOLE) || text.starts_with('$') || text.is_empty() {
            Name::Unknown
        } else {
            Name::Fixed(text.to_string())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A keyword or identifier (backquoted identifiers unquoted).
    Word(String),
    /// A string literal's content.
    Str(String),
    /// `$name`: a query parameter, whose value the driver passes separately.
    Param,
    Hole(char),
    Sym(char),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn is_word(&self, keyword: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    pub fn is_sym(&self, symbol: char) -> bool {
        self.tok == Tok::Sym(symbol)
    }

    pub fn word(&self) -> Option<&str> {
        match &self.tok {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }
}

/// The comment syntax of a query language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `//` and `/* */` (`--` is a relationship).
    Cypher,
    /// `--` and `/* */`.
    Sql,
}

/// Cuts a query into tokens, skipping comments.
pub fn tokenize(query: &str, dialect: Dialect) -> Vec<Token> {
    let chars: Vec<(usize, char)> = query.char_indices().collect();
    let end_of = |i: usize| chars.get(i).map_or(query.len(), |(at, _)| *at);
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&(start, c)) = chars.get(i) {
        let next = chars.get(i + 1).map(|(_, c)| *c);
        if c.is_whitespace() {
            i += 1;
        } else if (dialect == Dialect::Cypher && c == '/' && next == Some('/'))
            || (dialect == Dialect::Sql && c == '-' && next == Some('-'))
        {
            while chars.get(i).is_some_and(|(_, c)| *c != '\n') {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len()
                && !(chars[i].1 == '*' && chars.get(i + 1).map(|c| c.1) == Some('/'))
            {
                i += 1;
            }
            i += 2;
        } else if c == '\'' || c == '"' || c == '`' {
            let mut content = String::new();
            i += 1;
            while let Some(&(_, d)) = chars.get(i) {
                i += 1;
                if d == '\\' {
                    if let Some(&(_, escaped)) = chars.get(i) {
                        content.push(escaped);
                        i += 1;
                    }
                } else if d == c {
                    break;
                } else {
                    content.push(d);
                }
            }
            let tok = if c == '`' {
                Tok::Word(content)
            } else {
                Tok::Str(content)
            };
            tokens.push(Token {
                tok,
                start,
                end: end_of(i),
            });
        } else if c == UNIQUE_HOLE || c == UNKNOWN_HOLE {
            i += 1;
            tokens.push(Token {
                tok: Tok::Hole(c),
                start,
                end: end_of(i),
            });
        } else if c == '$' {
            i += 1;
            while chars
                .get(i)
                .is_some_and(|(_, c)| c.is_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            tokens.push(Token {
                tok: Tok::Param,
                start,
                end: end_of(i),
            });
        } else if c.is_alphanumeric() || c == '_' {
            let mut word = String::new();
            while let Some(&(_, d)) = chars.get(i) {
                if !(d.is_alphanumeric() || d == '_') {
                    break;
                }
                word.push(d);
                i += 1;
            }
            tokens.push(Token {
                tok: Tok::Word(word),
                start,
                end: end_of(i),
            });
        } else {
            i += 1;
            tokens.push(Token {
                tok: Tok::Sym(c),
                start,
                end: end_of(i),
            });
        }
    }
    tokens
}

/// The statements of a query: the tokens between `;`.
pub fn statements(tokens: &[Token]) -> impl Iterator<Item = &[Token]> {
    tokens
        .split(|t| t.is_sym(';'))
        .filter(|statement| !statement.is_empty())
}

/// The name starting at `tokens[at]`: adjacent words, strings, holes, parameters and `-`/`.`
/// (`test-db`, `db_` followed by a worker id), as one name. Returns it and the index after it.
pub fn name_at(tokens: &[Token], at: usize) -> Option<(Name, usize)> {
    let first = tokens.get(at)?;
    if matches!(first.tok, Tok::Sym(_)) {
        return None;
    }
    let mut text = String::new();
    let mut end = first.start;
    let mut i = at;
    while let Some(token) = tokens.get(i) {
        if token.start != end && i != at {
            break;
        }
        match &token.tok {
            Tok::Word(w) | Tok::Str(w) => text.push_str(w),
            Tok::Hole(h) => text.push(*h),
            Tok::Param => text.push(UNKNOWN_HOLE),
            Tok::Sym(c @ ('-' | '.')) if i != at => text.push(*c),
            Tok::Sym(_) => break,
        }
        end = token.end;
        i += 1;
    }
    // A trailing `.` or `-` belongs to what follows, not to the name.
    while text.ends_with(['.', '-']) {
        text.pop();
        i -= 1;
    }
    Some((Name::of_text(&text), i))
}

/// Index of the first token at or after `from` that is the keyword.
pub fn find_word(tokens: &[Token], from: usize, keyword: &str) -> Option<usize> {
    (from..tokens.len()).find(|i| tokens[*i].is_word(keyword))
}

/// Whether the words of `sequence` appear in order at `at` (case-insensitive).
pub fn words_at(tokens: &[Token], at: usize, sequence: &[&str]) -> bool {
    sequence
        .iter()
        .enumerate()
        .all(|(k, word)| tokens.get(at + k).is_some_and(|t| t.is_word(word)))
}

/// Whether a dotted procedure name (`apoc.schema.assert`) starts at `at`.
pub fn procedure_at(tokens: &[Token], at: usize, dotted: &str) -> bool {
    dotted.split('.').enumerate().all(|(k, part)| {
        tokens.get(at + 2 * k).is_some_and(|t| t.is_word(part))
            && (k == 0 || tokens.get(at + 2 * k - 1).is_some_and(|t| t.is_sym('.')))
    }) && !tokens
        .get(at + 2 * dotted.split('.').count() - 1)
        .is_some_and(|t| t.is_sym('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_skip_comments_and_unquote() {
        let tokens = tokenize(
            "MATCH (n:`My Label`)-->(m) // gone\nRETURN 'it' /* x */ $p",
            Dialect::Cypher,
        );
        let kinds: Vec<&Tok> = tokens.iter().map(|t| &t.tok).collect();
        assert_eq!(kinds[0], &Tok::Word("MATCH".into()));
        assert_eq!(kinds[4], &Tok::Word("My Label".into()));
        assert!(kinds.contains(&&Tok::Param));
        assert!(!kinds.iter().any(|k| **k == Tok::Word("gone".into())));
    }

    #[test]
    fn names_glue_adjacent_parts() {
        let query = format!("CREATE DATABASE test-{UNIQUE_HOLE} IF NOT EXISTS");
        let tokens = tokenize(&query, Dialect::Cypher);
        assert_eq!(name_at(&tokens, 2).map(|n| n.0), Some(Name::Unique));
        let tokens = tokenize("DROP DATABASE `app.test`;", Dialect::Cypher);
        assert_eq!(
            name_at(&tokens, 2).map(|n| n.0),
            Some(Name::Fixed("app.test".into()))
        );
        let tokens = tokenize("CREATE DATABASE $name", Dialect::Cypher);
        assert_eq!(name_at(&tokens, 2).map(|n| n.0), Some(Name::Unknown));
    }

    #[test]
    fn procedures_match_whole_names() {
        let tokens = tokenize("CALL apoc.schema.assert({}, {})", Dialect::Cypher);
        assert!(procedure_at(&tokens, 1, "apoc.schema.assert"));
        assert!(!procedure_at(&tokens, 1, "apoc.schema"));
        assert!(!procedure_at(&tokens, 1, "apoc.schema.assert.more"));
    }
}
