//! What the per-file step keeps for the project stage, written out of memory meanwhile.
//!
//! The project stage pairs things across files (a helper's summary with every call to it, a read
//! of module state with a write anywhere), so each file's recorded calls, facts and reads of
//! state must outlive the file's step. Held as structures they made peak memory grow with the
//! suite (about 3.5 bytes of heap per byte of source). Written to an unnamed temporary file as
//! the bytes the cache stores anyway, they cost a few bytes of offsets per file until the stage
//! reads them back, one kind at a time, when it needs them. Where no temporary file can be made
//! or written, they stay in memory: the output is the same either way.

use serde::{de::DeserializeOwned, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

/// An append-only temporary file of serialized values.
pub(crate) struct Spill {
    file: Option<Mutex<SpillFile>>,
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
    /// A spill backed by a temporary file the system deletes when it is closed (or the process
    /// ends); one that keeps everything in memory if there is none to be had.
    pub(crate) fn new() -> Spill {
        Spill {
            file: tempfile::tempfile()
                .ok()
                .map(|file| Mutex::new(SpillFile { file, end: 0 })),
        }
    }

    /// A spill that writes nothing: every value stays where it is.
    pub(crate) fn in_memory() -> Spill {
        Spill { file: None }
    }

    /// Writes `value` out; `None` when it could not be, and the caller keeps it.
    pub(crate) fn put<T: Serialize>(&self, value: &T) -> Option<Segment> {
        let file = self.file.as_ref()?;
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
        let Some(file) = self.file.as_ref() else {
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
        let spill = Spill::new();
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
    fn values_written_from_many_threads_do_not_overlap() {
        use rayon::prelude::*;
        let spill = Spill::new();
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
        assert_eq!(spill.put(&1u8), None);
        let segment = Spill::new().put(&1u8).unwrap();
        assert!(spill.get::<u8>(segment).is_err());
    }
}
