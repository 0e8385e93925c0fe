//! The abstract values rules ask about: "what is this expression?".
//!
//! One small lattice serves every rule family. A value is either known text (a string or path built only
//! from literals on a known root), something unique per test or worker (safe to share nothing), a small
//! constant, or unknown. Anything partly unknown is unknown: rules stay silent rather than guess.

use crate::source::Span;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    Unknown,
    /// Derived from a source unique per test or per worker (`tmp_path`, `uuid4()`, `worker_id`, ...).
    Unique(#[serde(deserialize_with = "crate::intern::deserialize")] SourceName),
    /// A string or path whose every part is known.
    Text(Text),
    Int(i64),
    Bool(bool),
    None,
    /// One of the values a loop steps through (`for key, rows in sheets.items()`): not known, but
    /// the same in every run and every worker, so a name built from it and a fixed part is shared.
    Enumerated,
}

/// What a unique value derives from (`tmp_path`, `uuid4()`). Named by an alias because serde
/// would otherwise borrow a `&str` field from the decoder's input, which a cache entry outlives.
pub type SourceName = &'static str;

/// Known text on a root. `root` says where a relative `text` hangs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Text {
    pub root: Root,
    /// The literal part: the whole string for [`Root::Literal`], else the part joined onto the root.
    pub text: String,
    /// Where the text came from when it was bound to a name (a module constant, a fixture, ...).
    /// Boxed, as most values have none and every file keeps its calls' values until the project
    /// stage.
    pub origin: Option<Box<Origin>>,
    /// A `pathlib` object rather than a `str`: only paths have `.touch()`, `.unlink()`, ... (a
    /// `str` has `.replace()` too, with another meaning).
    pub path_object: bool,
}

/// What a path hangs from, when that is not part of the literal text itself.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Root {
    /// The text alone says where it is (`"/tmp/x"`, `"out.json"`).
    Literal,
    /// `tempfile.gettempdir()`, `$TMPDIR`.
    TempDir,
    /// `Path.home()`, `expanduser("~")`, `$HOME`.
    Home,
    /// The folder of the source file (`Path(__file__).parent`, `os.path.dirname(__file__)`).
    SourceDir,
    /// `os.getcwd()`, `Path.cwd()`.
    Cwd,
    /// The value of a fixture, resolved later by the project model.
    Fixture(String),
    /// A parameter of the function (or, through `self`, of its class's `__init__`) defined by
    /// the scope numbered `scope` of this file: bound later to the argument each call site passes,
    /// which is how a helper's effects are stated in terms of its inputs. Boxed: it is the
    /// largest root and the rarest.
    Param(Box<ParamRoot>),
}

impl Root {
    pub fn is_param(&self) -> bool {
        matches!(self, Root::Param(_))
    }
}

/// Which parameter a [`Root::Param`] value hangs from.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ParamRoot {
    pub owner: ParamOwner,
    pub name: String,
    /// The value is one item of the parameter (`for path in paths: os.remove(path)`).
    pub each: bool,
}

/// Whose parameter: while a file is modelled, a function scope of that file; in an effect summary,
/// the summarised function itself or its class's constructor (`self.base = base` in `__init__`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ParamOwner {
    Scope(usize),
    Function,
    Constructor,
}

/// The binding a value was read through, for "defined here" notes and effort.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    pub name: String,
    pub span: Span,
    pub level: OriginLevel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OriginLevel {
    /// A module-level constant: shared by every test of the module.
    Module,
    /// A class attribute or an attribute set in `setUp`: shared by the class's tests.
    Class,
    /// A variable local to one function.
    Local,
    /// A fixture's return value.
    Fixture,
    /// A parameter default of a helper.
    Default,
}

impl Value {
    pub fn literal(text: impl Into<String>) -> Value {
        Value::Text(Text {
            root: Root::Literal,
            text: text.into(),
            origin: None,
            path_object: false,
        })
    }

    pub fn rooted(root: Root, text: impl Into<String>) -> Value {
        Value::Text(Text {
            root,
            text: text.into(),
            origin: None,
            path_object: false,
        })
    }

    pub fn as_text(&self) -> Option<&Text> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(Text {
                root: Root::Literal,
                text,
                ..
            }) => Some(text),
            _ => None,
        }
    }

    /// Known text that does not wait for a call site's argument.
    pub fn concrete_text(&self) -> Option<&Text> {
        self.as_text().filter(|t| !t.root.is_param())
    }

    pub fn is_unique(&self) -> bool {
        matches!(self, Value::Unique(_))
    }

    /// Marks a value as a `pathlib` object (`true`) or a plain string (`false`).
    pub fn as_path_object(self, path_object: bool) -> Value {
        match self {
            Value::Text(mut text) => {
                text.path_object = path_object;
                Value::Text(text)
            }
            other => other,
        }
    }

    /// Records the binding a value came through, keeping the first (innermost) one.
    pub fn with_origin(self, origin: Origin) -> Value {
        match self {
            Value::Text(mut text) => {
                if text.origin.is_none() {
                    text.origin = Some(Box::new(origin));
                }
                Value::Text(text)
            }
            other => other,
        }
    }

    /// Plain concatenation, as `+` and f-strings do.
    pub fn concat(self, other: Value) -> Value {
        match (self, other) {
            (Value::Unique(source), _) | (_, Value::Unique(source)) => Value::Unique(source),
            // A suffix on a folder's own name (`f"{template_name}.json"` with a fixture's value)
            // is no path under it, and the folder's name is not known here.
            (Value::Text(left), Value::Text(right))
                if left.root != Root::Literal
                    && left.text.is_empty()
                    && !right.text.is_empty()
                    && !right.text.starts_with('/') =>
            {
                Value::Unknown
            }
            (Value::Text(mut left), Value::Text(right)) if right.root == Root::Literal => {
                left.text.push_str(&right.text);
                left.origin = left.origin.or(right.origin);
                Value::Text(left)
            }
            (Value::Text(mut left), Value::Int(number)) => {
                left.text.push_str(&number.to_string());
                Value::Text(left)
            }
            (Value::Text(mut left), Value::Enumerated) if takes_enumerated_part(&left.text) => {
                left.text.push(ENUMERATED_PART);
                Value::Text(left)
            }
            _ => Value::Unknown,
        }
    }

    /// Path joining, as `os.path.join` and pathlib's `/` do: an absolute right side replaces the left.
    pub fn join(self, other: Value) -> Value {
        match (self, other) {
            (Value::Unique(source), _) | (_, Value::Unique(source)) => Value::Unique(source),
            (Value::Text(left), Value::Text(right)) => {
                if right.root != Root::Literal || right.text.starts_with('/') {
                    return Value::Text(right);
                }
                let text = join_text(&left.text, &right.text);
                Value::Text(Text {
                    root: left.root,
                    text,
                    origin: left.origin.or(right.origin),
                    path_object: left.path_object,
                })
            }
            _ => Value::Unknown,
        }
    }

    /// The folder holding a path (`os.path.dirname`, `.parent`).
    pub fn parent(self) -> Value {
        match self {
            Value::Text(mut text) => {
                let trimmed = text.text.trim_end_matches('/');
                match trimmed.rfind('/') {
                    Some(0) => text.text = "/".into(),
                    Some(index) => text.text.truncate(index),
                    None if text.root == Root::Literal => text.text = ".".into(),
                    None => text.text.clear(),
                }
                Value::Text(text)
            }
            other => other,
        }
    }

    /// Replaces the last component (`with_name`), or its suffix (`with_suffix`).
    pub fn map_last_component(self, replace: impl FnOnce(&str) -> String) -> Value {
        match self {
            Value::Text(mut text) => {
                let start = text.text.rfind('/').map_or(0, |i| i + 1);
                let last = replace(&text.text[start..]);
                text.text.truncate(start);
                text.text.push_str(&last);
                Value::Text(text)
            }
            other => other,
        }
    }
}

/// How a part stepped through by a loop is written in a known name: `csv_multiple__…__0.csv`. Not
/// `*`, which a literal glob pattern holds and which is no file's name.
pub const ENUMERATED_PART: char = '…';

/// Whether a loop's value may fill the next part of `text`: only after a fixed stem of at least two
/// characters in the same path component. The fixed stem is what makes the name shared; a component
/// that is all loop value (`f"{d}/out.txt"`) could be a unique folder a helper returned.
pub fn takes_enumerated_part(text: &str) -> bool {
    let component = text.rsplit('/').next().unwrap_or(text);
    component
        .chars()
        .filter(|c| *c != ENUMERATED_PART)
        .nth(1)
        .is_some()
}

fn join_text(left: &str, right: &str) -> String {
    if left.is_empty() {
        return right.to_string();
    }
    if right.is_empty() {
        return left.to_string();
    }
    if left.ends_with('/') {
        format!("{left}{right}")
    } else {
        format!("{left}/{right}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_follows_os_path_join() {
        let joined = Value::literal("/tmp").join(Value::literal("out.json"));
        assert_eq!(joined.as_str(), Some("/tmp/out.json"));
        let absolute = Value::literal("data").join(Value::literal("/tmp/x"));
        assert_eq!(absolute.as_str(), Some("/tmp/x"));
        let unique = Value::literal("/tmp").join(Value::Unique("uuid"));
        assert!(unique.is_unique());
        assert_eq!(Value::literal("a").join(Value::Unknown), Value::Unknown);
    }

    /// Every file keeps the values of its calls' arguments until the project stage: a field that
    /// makes a value larger multiplies by hundreds of thousands.
    #[test]
    fn values_stay_small() {
        assert!(std::mem::size_of::<Value>() <= 64);
        assert!(std::mem::size_of::<Root>() <= 24);
    }

    #[test]
    fn parent_and_suffix() {
        assert_eq!(
            Value::literal("/tmp/a/b.txt").parent().as_str(),
            Some("/tmp/a")
        );
        assert_eq!(Value::literal("b.txt").parent().as_str(), Some("."));
        let renamed = Value::literal("/tmp/a/b.txt").map_last_component(|_| "c.csv".into());
        assert_eq!(renamed.as_str(), Some("/tmp/a/c.csv"));
    }
}
