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

/// `#[serde(deserialize_with)]` for a `&'static str` field.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<&'static str, D::Error> {
    let name = String::deserialize(deserializer)?;
    Ok(intern(&name))
}

/// [`deserialize`] for an optional text.
pub fn deserialize_option<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<&'static str>, D::Error> {
    let name = Option::<String>::deserialize(deserializer)?;
    Ok(name.as_deref().map(intern))
}

/// `#[serde(deserialize_with)]` for a list of `&'static str`.
pub fn deserialize_many<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<&'static str>, D::Error> {
    let names = Vec::<String>::deserialize(deserializer)?;
    Ok(names.iter().map(|name| intern(name)).collect())
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
}
