//! Names that live as long as the program, for values read back from isolint's cache:
//! [`crate::value::Value::Unique`] names its source with a `&'static str` of the knowledge tables,
//! and a value decoded from a cache entry needs the same kind of reference. Each distinct name is
//! allocated once per process, so reading many entries does not grow memory. The recorded calls
//! every file keeps until the project stage intern their callees, targets and keyword names the
//! same way: a suite repeats a few thousand of them across hundreds of thousands of calls.

use serde::Deserialize;
use std::hash::Hash;
use std::sync::{Mutex, OnceLock};

/// One `'static` copy of each distinct value of `T` ever asked for, shared by every thread.
pub struct Interner<T: ?Sized + 'static>(OnceLock<Mutex<foldhash::HashSet<&'static T>>>);

impl<T: ?Sized + Hash + Eq + 'static> Interner<T> {
    pub const fn new() -> Self {
        Interner(OnceLock::new())
    }

    /// The one `'static` copy of `value`; `owned` makes it the first time.
    pub fn intern(&self, value: &T, owned: impl FnOnce(&T) -> Box<T>) -> &'static T {
        let mut values = self
            .0
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(known) = values.get(value) {
            return known;
        }
        let leaked: &'static T = Box::leak(owned(value));
        values.insert(leaked);
        leaked
    }
}

impl<T: ?Sized + Hash + Eq + 'static> Default for Interner<T> {
    fn default() -> Self {
        Self::new()
    }
}

static NAMES: Interner<str> = Interner::new();

/// The one `'static` copy of `name`.
pub fn intern(name: &str) -> &'static str {
    NAMES.intern(name, |name| Box::from(name))
}

/// Interns a text as it is decoded: a name borrowed from the entry's bytes (or handed over as a
/// string) is looked up without a `String` of its own.
struct NameVisitor;

impl serde::de::Visitor<'_> for NameVisitor {
    type Value = &'static str;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<&'static str, E> {
        Ok(intern(name))
    }
}

/// A name decoded straight into its interned copy.
struct InternedName(&'static str);

impl<'de> Deserialize<'de> for InternedName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor).map(InternedName)
    }
}

/// `#[serde(deserialize_with)]` for a `&'static str` field.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<&'static str, D::Error> {
    deserializer.deserialize_str(NameVisitor)
}

/// [`deserialize`] for an optional text.
pub fn deserialize_option<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<&'static str>, D::Error> {
    let name = Option::<InternedName>::deserialize(deserializer)?;
    Ok(name.map(|n| n.0))
}

/// `#[serde(deserialize_with)]` for a list of `&'static str`.
pub fn deserialize_many<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<&'static str>, D::Error> {
    let names = Vec::<InternedName>::deserialize(deserializer)?;
    Ok(names.into_iter().map(|n| n.0).collect())
}

#[cfg(test)]
mod tests {
    use super::intern;

    #[test]
    fn one_copy_per_name() {
        let first = intern("tempfile/uuid");
        let second = intern(&String::from("tempfile/uuid"));
        assert!(std::ptr::eq(first, second));
        assert_ne!(intern("a"), intern("b"));
    }

    #[derive(serde::Deserialize)]
    struct Names {
        #[serde(deserialize_with = "super::deserialize")]
        one: &'static str,
        #[serde(deserialize_with = "super::deserialize_option")]
        maybe: Option<&'static str>,
        #[serde(deserialize_with = "super::deserialize_many")]
        many: Vec<&'static str>,
    }

    #[test]
    fn decoded_names_are_the_interned_copies_borrowed_or_not() {
        let here = intern("decoded/name");
        // serde_json hands over borrowed texts from a slice, owned ones where it unescapes.
        for json in [
            r#"{"one":"decoded/name","maybe":"decoded/name","many":["decoded/name","x"]}"#,
            r#"{"one":"decoded\/name","maybe":null,"many":[]}"#,
        ] {
            let names: Names = serde_json::from_str(json).expect("decodes");
            assert!(std::ptr::eq(names.one, here));
            assert!(names.maybe.is_none_or(|m| std::ptr::eq(m, here)));
            assert!(names.many.first().is_none_or(|m| std::ptr::eq(*m, here)));
        }
    }
}
