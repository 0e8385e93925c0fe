//! Names that live as long as the program, for values read back from isolint's cache:
//! [`crate::value::Value::Unique`] names its source with a `&'static str` of the knowledge tables,
//! and a value decoded from a cache entry needs the same kind of reference. Each distinct name is
//! allocated once per process, so reading many entries does not grow memory. The recorded calls
//! every file keeps until the project stage intern their callees, targets and keyword names the
//! same way: a suite repeats a few thousand of them across hundreds of thousands of calls.

use serde::Deserialize;
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();

/// The one `'static` copy of `name`.
pub fn intern(name: &str) -> &'static str {
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = names.get(name) {
        return known;
    }
    let owned: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(owned);
    owned
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
