//! What the per-file step keeps for the project stage, written out of memory meanwhile.
//!
//! The project stage pairs things across files (a helper's summary with every call to it, a read
//! of module state with a write anywhere), so each file's recorded calls, facts and tests' reads
//! of state must outlive the file's step. Held as structures they made peak memory grow with the
//! suite (about 3.5 bytes of heap per byte of source). Written to an unnamed temporary file as
//! the bytes the cache stores anyway, they cost a few bytes of offsets per file until the stage
//! reads them back, one kind at a time, when it needs them: the calls for the summaries (freed
//! after), then the facts, then the reads, keeping only those some write meets (about one in
//! seven on the corpus). A small run keeps its outcomes in memory (writing and reading them back
//! costs more than they take); past a budget of source, the rest are written out. Where no
//! temporary file can be made or written, they stay in memory: the output is the same either way.

use serde::{de::DeserializeOwned, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// An append-only temporary file of serialized values.
pub(crate) struct Spill {
    /// Made when the first value goes out; `None` inside when it could not be.
    file: OnceLock<Option<Mutex<SpillFile>>>,
    /// Bytes of source whose outcomes may stay in memory.
    budget: u64,
    /// Bytes of source seen so far.
    seen: AtomicU64,
}

struct SpillFile {
    file: File,
    /// Where the next value goes: writes never overlap, whatever the thread order.
    end: u64,
}

/// Where one value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    offset: u64,
    len: u64,
}

impl Spill {
    /// A spill for the outcomes of files past the first `budget` bytes of source, backed by a
    /// temporary file the system deletes when it is closed (or the process ends); one that keeps
    /// everything in memory if there is none to be had. The file is made when first needed.
    pub(crate) fn after(budget: u64) -> Spill {
        Spill {
            file: OnceLock::new(),
            budget,
            seen: AtomicU64::new(0),
        }
    }

    /// A spill that writes nothing: every value stays where it is.
    pub(crate) fn in_memory() -> Spill {
        Spill {
            file: OnceLock::from(None),
            budget: u64::MAX,
            seen: AtomicU64::new(0),
        }
    }

    fn file(&self) -> Option<&Mutex<SpillFile>> {
        self.file
            .get_or_init(|| {
                let file = tempfile::tempfile().ok()?;
                Some(Mutex::new(SpillFile { file, end: 0 }))
            })
            .as_ref()
    }

    /// Counts a file of `bytes` of source; whether its outcome goes out (the budget is spent).
    /// Which files those are depends on the threads' order, what comes back does not.
    pub(crate) fn wants(&self, bytes: u64) -> bool {
        self.seen.fetch_add(bytes, Ordering::Relaxed) >= self.budget && self.file().is_some()
    }

    /// Writes `value` out; `None` when it could not be, and the caller keeps it.
    pub(crate) fn put<T: Serialize>(&self, value: &T) -> Option<Segment> {
        let file = self.file()?;
        let bytes = postcard::to_stdvec(value).ok()?;
        let mut file = file.lock().ok()?;
        let offset = file.end;
        file.file.seek(SeekFrom::Start(offset)).ok()?;
        if file.file.write_all(&bytes).is_err() {
            // The file may hold part of it: the next value goes after that part.
            file.end = file.file.stream_position().unwrap_or(offset);
            return None;
        }
        file.end = offset + bytes.len() as u64;
        Some(Segment {
            offset,
            len: bytes.len() as u64,
        })
    }

    /// Reads back the value written at `segment`.
    pub(crate) fn get<T: DeserializeOwned>(&self, segment: Segment) -> Result<T, String> {
        let Some(file) = self.file.get().and_then(Option::as_ref) else {
            return Err("no temporary file was written".into());
        };
        let len = usize::try_from(segment.len).map_err(|e| e.to_string())?;
        let mut bytes = vec![0; len];
        {
            let mut file = file.lock().map_err(|e| e.to_string())?;
            file.file
                .seek(SeekFrom::Start(segment.offset))
                .and_then(|_| file.file.read_exact(&mut bytes))
                .map_err(|e| e.to_string())?;
        }
        postcard::from_bytes(&bytes).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_as_written_whatever_the_order_they_are_read_in() {
        let spill = Spill::after(0);
        let first = spill.put(&vec!["a".to_string(), "b".to_string()]).unwrap();
        let second = spill.put(&(7u32, Some("c".to_string()))).unwrap();
        assert_ne!(first, second);
        assert_eq!(
            spill.get::<(u32, Option<String>)>(second).unwrap(),
            (7, Some("c".to_string()))
        );
        assert_eq!(
            spill.get::<Vec<String>>(first).unwrap(),
            vec!["a".to_string(), "b".to_string()]
        );
    }

    #[test]
    fn only_what_comes_past_the_budget_goes_out() {
        let spill = Spill::after(100);
        assert!(!spill.wants(60));
        assert!(!spill.wants(60));
        assert!(spill.wants(1));
    }

    #[test]
    fn values_written_from_many_threads_do_not_overlap() {
        use rayon::prelude::*;
        let spill = Spill::after(0);
        let segments: Vec<(u32, Segment)> = (0..500u32)
            .into_par_iter()
            .map(|n| (n, spill.put(&vec![n; n as usize % 17]).unwrap()))
            .collect();
        for (n, segment) in segments {
            assert_eq!(
                spill.get::<Vec<u32>>(segment).unwrap(),
                vec![n; n as usize % 17]
            );
        }
    }

    #[test]
    fn a_spill_in_memory_writes_nothing_and_says_so() {
        let spill = Spill::in_memory();
        assert!(!spill.wants(1 << 40));
        assert_eq!(spill.put(&1u8), None);
        let segment = Spill::after(0).put(&1u8).unwrap();
        assert!(spill.get::<u8>(segment).is_err());
    }
}
