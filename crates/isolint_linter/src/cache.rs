//! The warm cache: what the per-file step found in each file (facts, effect summaries, findings,
//! suppression comments), stored under `.isolint_cache/` and reused while the file's content, its
//! path and the settings that shape the per-file step are the same. The project stage always runs:
//! it joins every file's facts, so it is as fresh as the files are.
//!
//! An entry is trusted only when everything about it checks out: a header with this build's
//! schema and version, the full key it was written for, and a hash of its body. Anything else
//! (a truncated write from a killed run, bytes from another version, a file someone put there) is
//! a miss: the file is analysed again and the entry rewritten. Entries are written to a temporary
//! file in the same folder and renamed over the old one, so two runs at once (two pre-commit hooks)
//! each see a whole entry or none.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

/// Changes whenever what an entry means changes without its types changing (a rule's per-file step
/// reading something new that the key does not cover yet). Types are checked by the decoder.
pub const SCHEMA: u32 = 10;

/// The name of the cache folder in the project root.
pub const DEFAULT_DIR: &str = ".isolint_cache";

const MAGIC: &[u8; 8] = b"isolint\x01";
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// No entry is this big; a larger file in the folder is not read.
const MAX_ENTRY_BYTES: u64 = 256 * 1024 * 1024;

const TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by isolint.\n\
# For information about cache directory tags see https://bford.info/cachedir/\n";

/// A 128-bit hash of everything that must match for an entry to be reused.
pub type Key = u128;

/// Builds a [`Key`] from parts; each part is length-prefixed so `("ab", "c")` and `("a", "bc")`
/// differ.
pub struct Fingerprint(Xxh3);

impl Default for Fingerprint {
    fn default() -> Self {
        let mut hasher = Xxh3::new();
        hasher.update(MAGIC);
        hasher.update(&SCHEMA.to_le_bytes());
        hasher.update(VERSION.as_bytes());
        Fingerprint(hasher)
    }
}

impl Fingerprint {
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    pub fn str(&mut self, text: &str) -> &mut Self {
        self.bytes(text.as_bytes())
    }

    pub fn strs<'a>(&mut self, texts: impl IntoIterator<Item = &'a str>) -> &mut Self {
        let mut count = 0u64;
        for text in texts {
            self.str(text);
            count += 1;
        }
        self.u64(count)
    }

    pub fn u64(&mut self, n: u64) -> &mut Self {
        self.0.update(&n.to_le_bytes());
        self
    }

    pub fn bool(&mut self, b: bool) -> &mut Self {
        self.0.update(&[u8::from(b)]);
        self
    }

    pub fn key(&mut self, key: Key) -> &mut Self {
        self.0.update(&key.to_le_bytes());
        self
    }

    pub fn finish(&self) -> Key {
        self.0.digest128()
    }
}

/// The content hash of a file's bytes.
pub fn content_hash(bytes: &[u8]) -> Key {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

/// The cache folder of one project. Nothing is created until the first entry is written.
pub struct Cache {
    root: PathBuf,
    /// Mixed into every key: which build of isolint wrote the entries (see [`Cache::for_build`]).
    build: Key,
    /// `root/<version>`: a new version starts afresh, and removing an old one is one `rm -r`.
    entries: PathBuf,
    created: OnceLock<Result<(), String>>,
    /// The first write that failed (a read-only checkout), for one warning per run.
    write_error: Mutex<Option<String>>,
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        let root = root.into();
        Cache {
            entries: root.join(VERSION),
            root,
            build: 0,
            created: OnceLock::new(),
            write_error: Mutex::new(None),
        }
    }

    /// Entries of this build only: two builds of one version (a developer's, a fork's) may find
    /// different things in the same file. `build` is, for instance, the hash of the executable.
    pub fn for_build(mut self, build: Key) -> Cache {
        self.build = build;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Why entries could not be written, if any could not.
    pub fn write_error(&self) -> Option<String> {
        self.write_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The body of the entry in `slot` if it was written for `key` by this build and is whole.
    pub fn read(&self, slot: Key, key: Key) -> Option<Vec<u8>> {
        let file = std::fs::File::open(self.path_of(slot)).ok()?;
        // A folder or a FIFO under an entry's name is not an entry.
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        let mut bytes = Vec::new();
        file.take(MAX_ENTRY_BYTES).read_to_end(&mut bytes).ok()?;
        let body = check_header(&bytes, self.salted(key))?;
        Some(body.to_vec())
    }

    /// Stores `body` in `slot` for `key`; a failure leaves the cache as it was and is remembered
    /// for [`Cache::write_error`].
    pub fn write(&self, slot: Key, key: Key, body: &[u8]) {
        if let Err(error) = self.try_write(slot, key, body) {
            let mut first = self
                .write_error
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            first.get_or_insert(format!("{}: {error}", self.root.display()));
        }
    }

    fn try_write(&self, slot: Key, key: Key, body: &[u8]) -> Result<(), String> {
        self.created
            .get_or_init(|| self.create().map_err(|e| e.to_string()))
            .clone()?;
        let mut header = Vec::with_capacity(64);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&SCHEMA.to_le_bytes());
        header.push(VERSION.len() as u8);
        header.extend_from_slice(VERSION.as_bytes());
        header.extend_from_slice(&self.salted(key).to_le_bytes());
        header.extend_from_slice(&(body.len() as u64).to_le_bytes());
        header.extend_from_slice(&xxh3_64(body).to_le_bytes());
        let mut file = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&self.entries)
            .map_err(|e| e.to_string())?;
        file.write_all(&header)
            .and_then(|_| file.write_all(body))
            .map_err(|e| e.to_string())?;
        file.persist(self.path_of(slot))
            .map(drop)
            .map_err(|e| e.error.to_string())
    }

    /// The folder, its `CACHEDIR.TAG` (backup tools skip it) and a `.gitignore` that ignores it
    /// all, each written whole.
    fn create(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.entries)?;
        for (name, text) in [("CACHEDIR.TAG", TAG), (".gitignore", "*\n")] {
            let path = self.root.join(name);
            if path.exists() {
                continue;
            }
            let mut file = tempfile::Builder::new()
                .prefix(".tmp-")
                .tempfile_in(&self.root)?;
            file.write_all(text.as_bytes())?;
            file.persist(&path).map_err(|e| e.error)?;
        }
        Ok(())
    }

    fn salted(&self, key: Key) -> Key {
        Fingerprint::default().key(self.build).key(key).finish()
    }

    fn path_of(&self, slot: Key) -> PathBuf {
        self.entries.join(format!("{slot:032x}"))
    }
}

/// The body after a header that matches this build and `key`, if the body is whole.
fn check_header(bytes: &[u8], key: Key) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (schema, rest) = rest.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*schema) != SCHEMA {
        return None;
    }
    let (&version_len, rest) = rest.split_first()?;
    let (version, rest) = rest.split_at_checked(usize::from(version_len))?;
    if version != VERSION.as_bytes() {
        return None;
    }
    let (stored_key, rest) = rest.split_first_chunk::<16>()?;
    if u128::from_le_bytes(*stored_key) != key {
        return None;
    }
    let (len, rest) = rest.split_first_chunk::<8>()?;
    let (hash, body) = rest.split_first_chunk::<8>()?;
    if u64::try_from(body.len()).ok()? != u64::from_le_bytes(*len)
        || xxh3_64(body) != u64::from_le_bytes(*hash)
    {
        return None;
    }
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join(DEFAULT_DIR));
        (dir, cache)
    }

    #[test]
    fn an_entry_is_read_back_for_its_key_only() {
        let (_dir, cache) = cache();
        assert_eq!(cache.read(1, 2), None);
        cache.write(1, 2, b"body");
        assert_eq!(cache.read(1, 2).as_deref(), Some(&b"body"[..]));
        assert_eq!(cache.read(1, 3), None, "another key is another content");
        cache.write(1, 3, b"new");
        assert_eq!(cache.read(1, 3).as_deref(), Some(&b"new"[..]));
        assert_eq!(cache.read(1, 2), None, "the slot was rewritten");
        assert_eq!(cache.write_error(), None);
    }

    #[test]
    fn another_build_does_not_read_the_entries() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(DEFAULT_DIR);
        Cache::new(&root).for_build(1).write(5, 6, b"body");
        assert_eq!(Cache::new(&root).for_build(2).read(5, 6), None);
        assert_eq!(
            Cache::new(&root).for_build(1).read(5, 6).as_deref(),
            Some(&b"body"[..])
        );
    }

    #[test]
    fn the_folder_is_tagged_and_ignored() {
        let (_dir, cache) = cache();
        cache.write(7, 7, b"x");
        let tag = std::fs::read_to_string(cache.root().join("CACHEDIR.TAG")).unwrap();
        assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
        let ignore = std::fs::read_to_string(cache.root().join(".gitignore")).unwrap();
        assert_eq!(ignore, "*\n");
    }

    #[test]
    fn damaged_entries_are_misses() {
        let (_dir, cache) = cache();
        cache.write(1, 2, b"a body long enough to cut");
        let path = cache.path_of(1);
        let whole = std::fs::read(&path).unwrap();
        // Cut anywhere, one byte changed anywhere, or another version: never read.
        for cut in 0..whole.len() {
            std::fs::write(&path, &whole[..cut]).unwrap();
            assert_eq!(cache.read(1, 2), None, "cut at {cut}");
        }
        for at in 0..whole.len() {
            let mut changed = whole.clone();
            changed[at] ^= 0x20;
            std::fs::write(&path, &changed).unwrap();
            assert_eq!(cache.read(1, 2), None, "byte {at} changed");
        }
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        assert_eq!(cache.read(1, 2), None, "a folder is not an entry");
    }

    #[test]
    fn an_unwritable_folder_is_a_remembered_error_not_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let cache = Cache::new(blocker.join("cache"));
        cache.write(1, 1, b"x");
        assert_eq!(cache.read(1, 1), None);
        assert!(cache.write_error().is_some());
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        let key = |parts: &[&str]| Fingerprint::default().strs(parts.iter().copied()).finish();
        assert_ne!(key(&["ab", "c"]), key(&["a", "bc"]));
        assert_eq!(key(&["a", "b"]), key(&["a", "b"]));
    }
}
