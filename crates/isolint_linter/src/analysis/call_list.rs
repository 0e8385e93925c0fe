//! The calls a function makes, packed: every file keeps its functions' calls until the project
//! stage binds them, a large suite records hundreds of thousands, and as structures they were
//! half of everything the run held at its peak. Packed, a call is a dozen bytes: flags, then
//! varints for its numbers and for indexes into the list's tables of the distinct targets and
//! texts it names; the few calls with arguments a summary can bind, or with something they put
//! back, keep those parts as they are, on the side.
//!
//! Reading a list unpacks each call into a [`CallFacts`] as it goes; unpacking copies integers
//! and pointers (targets are interned, the rare parts on the side are shared), and allocates
//! nothing.

use super::calls::{BoundArgs, CallFacts, CallTarget, PutsBack, RecordedArgs};
use foldhash::HashMap;
use isolint_python::intern::{intern, Interner};
use isolint_python::source::{Position, Span};
use std::sync::Arc;

/// The calls of one function (`None` when it makes none, as most functions of a package).
#[derive(Clone, Default)]
pub struct CallList(Option<Box<Packed>>);

#[derive(Clone)]
struct Packed {
    len: u32,
    bytes: Box<[u8]>,
    targets: Box<[&'static CallTarget]>,
    names: Box<[&'static str]>,
    extras: Box<[Extra]>,
}

/// What few calls have: arguments a summary can bind, something they put back.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Extra {
    bound: Option<BoundArgs>,
    puts_back: Option<Arc<PutsBack>>,
}

const HAS_SPLAT: u8 = 1;
const RESTORING: u8 = 1 << 1;
const EXPECTED_TO_FAIL: u8 = 1 << 2;
const PATCHED: u8 = 1 << 3;
const EXTRA: u8 = 1 << 4;

impl CallList {
    pub fn new(calls: Vec<CallFacts>) -> Self {
        if calls.is_empty() {
            return CallList(None);
        }
        let mut packer = Packer::default();
        let len = calls.len() as u32;
        for call in calls {
            packer.push(call);
        }
        CallList(Some(Box::new(Packed {
            len,
            bytes: packer.bytes.into_boxed_slice(),
            targets: packer.targets.into_boxed_slice(),
            names: packer.names.into_boxed_slice(),
            extras: packer.extras.into_boxed_slice(),
        })))
    }

    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |p| p.len as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The calls in the order they were recorded, unpacked one by one.
    pub fn iter(&self) -> Calls<'_> {
        Calls {
            packed: self.0.as_deref(),
            at: 0,
            left: self.len(),
        }
    }
}

#[derive(Default)]
struct Packer {
    bytes: Vec<u8>,
    targets: Vec<&'static CallTarget>,
    names: Vec<&'static str>,
    extras: Vec<Extra>,
    /// Table indexes by address: targets and most texts are interned, so one address is one
    /// value (a text that is not interned may take two entries, which is harmless).
    target_index: HashMap<usize, u32>,
    name_index: HashMap<(usize, usize), u32>,
}

impl Packer {
    fn push(&mut self, call: CallFacts) {
        let CallFacts {
            target,
            args,
            has_splat,
            span,
            position,
            callee,
            restoring,
            puts_back,
            expected_to_fail,
            patched,
        } = call;
        let RecordedArgs {
            positional,
            keywords,
            bound,
        } = args;
        let extra = bound.is_some() || puts_back.is_some();
        let flags = [
            (has_splat, HAS_SPLAT),
            (restoring, RESTORING),
            (expected_to_fail, EXPECTED_TO_FAIL),
            (patched, PATCHED),
            (extra, EXTRA),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .fold(0, |flags, (_, bit)| flags | bit);
        self.bytes.push(flags);
        let target = self.target(target);
        self.varint(target as u64);
        let callee = self.name(callee);
        self.varint(callee as u64);
        let keywords = self.name(keywords);
        self.varint(keywords as u64);
        self.varint(positional as u64);
        self.varint(span.start as u64);
        self.varint(span.end.saturating_sub(span.start) as u64);
        self.varint(position.line as u64);
        self.varint(position.column as u64);
        if extra {
            self.varint(self.extras.len() as u64);
            self.extras.push(Extra { bound, puts_back });
        }
    }

    fn target(&mut self, target: &'static CallTarget) -> u32 {
        let next = self.targets.len() as u32;
        let index = *self
            .target_index
            .entry(std::ptr::from_ref(target) as usize)
            .or_insert(next);
        if index == next {
            self.targets.push(target);
        }
        index
    }

    fn name(&mut self, name: &'static str) -> u32 {
        let next = self.names.len() as u32;
        let index = *self
            .name_index
            .entry((name.as_ptr() as usize, name.len()))
            .or_insert(next);
        if index == next {
            self.names.push(name);
        }
        index
    }

    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.bytes.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.bytes.push(value as u8);
    }
}

/// The calls of a [`CallList`], unpacked as they are read.
pub struct Calls<'l> {
    packed: Option<&'l Packed>,
    at: usize,
    left: usize,
}

impl Calls<'_> {
    fn varint(&mut self, bytes: &[u8]) -> u64 {
        read_varint(bytes, &mut self.at).unwrap_or(0)
    }
}

/// The LEB128 number at `*at`, moving `at` past it; `None` when the bytes end first or it runs
/// past ten bytes (more than 64 bits).
#[inline]
fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

impl Iterator for Calls<'_> {
    type Item = CallFacts;

    fn next(&mut self) -> Option<CallFacts> {
        if self.left == 0 {
            return None;
        }
        let packed = self.packed?;
        self.left -= 1;
        let bytes = &packed.bytes[..];
        let flags = *bytes.get(self.at)?;
        self.at += 1;
        let target = packed.targets[self.varint(bytes) as usize];
        let callee = packed.names[self.varint(bytes) as usize];
        let keywords = packed.names[self.varint(bytes) as usize];
        let positional = self.varint(bytes) as u32;
        let start = self.varint(bytes) as usize;
        let end = start + self.varint(bytes) as usize;
        let line = self.varint(bytes) as usize;
        let column = self.varint(bytes) as usize;
        let (bound, puts_back) = if flags & EXTRA != 0 {
            let extra = &packed.extras[self.varint(bytes) as usize];
            (extra.bound.clone(), extra.puts_back.clone())
        } else {
            (None, None)
        };
        Some(CallFacts {
            target,
            args: RecordedArgs {
                positional,
                keywords,
                bound,
            },
            has_splat: flags & HAS_SPLAT != 0,
            span: Span::new(start, end),
            position: Position { line, column },
            callee,
            restoring: flags & RESTORING != 0,
            puts_back,
            expected_to_fail: flags & EXPECTED_TO_FAIL != 0,
            patched: flags & PATCHED != 0,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Calls<'_> {}

impl<'l> IntoIterator for &'l CallList {
    type Item = CallFacts;
    type IntoIter = Calls<'l>;

    fn into_iter(self) -> Calls<'l> {
        self.iter()
    }
}

impl std::fmt::Debug for CallList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// In a cache entry or the spill, a list is its packed bytes with its tables written out in full
/// (the tables in memory point into this process's interned values): writing and reading it back
/// copies the bytes instead of taking every call apart and packing it again.
impl serde::Serialize for CallList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let packed = self.0.as_deref().map(|p| WrittenPacked {
            len: p.len,
            bytes: serde_bytes::Bytes::new(&p.bytes),
            targets: &p.targets,
            names: &p.names,
            extras: &p.extras,
        });
        packed.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for CallList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Some(read) = Option::<ReadPacked>::deserialize(deserializer)? else {
            return Ok(CallList(None));
        };
        let packed = Packed {
            len: read.len,
            bytes: read.bytes.into_vec().into_boxed_slice(),
            targets: read.targets.into_iter().map(intern_target).collect(),
            names: read.names.iter().map(|n| intern(n)).collect(),
            extras: read.extras.into_boxed_slice(),
        };
        if !packed.is_whole() {
            return Err(serde::de::Error::custom("a damaged list of calls"));
        }
        Ok(CallList(Some(Box::new(packed))))
    }
}

#[derive(serde::Serialize)]
struct WrittenPacked<'p> {
    len: u32,
    bytes: &'p serde_bytes::Bytes,
    targets: &'p [&'static CallTarget],
    names: &'p [&'static str],
    extras: &'p [Extra],
}

#[derive(serde::Deserialize)]
struct ReadPacked {
    len: u32,
    bytes: serde_bytes::ByteBuf,
    targets: Vec<CallTarget>,
    names: Vec<String>,
    extras: Vec<Extra>,
}

impl Packed {
    /// Whether every call's numbers are complete and its indexes within the tables: reading the
    /// calls then never goes out of bounds, whatever bytes a damaged entry held.
    fn is_whole(&self) -> bool {
        let bytes = &self.bytes[..];
        let mut at = 0;
        let within = |index: Option<u64>, len: usize| index.is_some_and(|i| i < len as u64);
        const KNOWN: u8 = HAS_SPLAT | RESTORING | EXPECTED_TO_FAIL | PATCHED | EXTRA;
        for _ in 0..self.len {
            // The flags are one byte, as `Calls::next` reads them.
            let Some(&flags) = bytes.get(at).filter(|f| **f & !KNOWN == 0) else {
                return false;
            };
            at += 1;
            let mut varint = || read_varint(bytes, &mut at);
            let tables = within(varint(), self.targets.len())
                && within(varint(), self.names.len())
                && within(varint(), self.names.len());
            let positional = varint().is_some();
            let span = match (varint(), varint()) {
                (Some(start), Some(len)) => start
                    .checked_add(len)
                    .is_some_and(|end| usize::try_from(end).is_ok()),
                _ => false,
            };
            let position = varint().is_some() && varint().is_some();
            let extra = flags & EXTRA == 0 || within(varint(), self.extras.len());
            if !(tables && positional && span && position && extra) {
                return false;
            }
        }
        at == bytes.len()
    }
}

/// The one `'static` copy of `target`: a suite calls the same few helpers from everywhere, and
/// each packed list then names them by address.
pub fn intern_target(target: CallTarget) -> &'static CallTarget {
    static TARGETS: Interner<CallTarget> = Interner::new();
    TARGETS.intern(&target, |t| Box::new(t.clone()))
}

/// `#[serde(deserialize_with)]` for an interned [`CallTarget`].
pub fn deserialize_target<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<&'static CallTarget, D::Error> {
    <CallTarget as serde::Deserialize>::deserialize(deserializer).map(intern_target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::calls::ArgFacts;
    use isolint_python::intern::intern;
    use isolint_python::value::Value;

    fn call(n: usize, target: CallTarget, bound: bool) -> CallFacts {
        CallFacts {
            target: intern_target(target),
            args: RecordedArgs {
                positional: n as u32 % 3,
                keywords: if n.is_multiple_of(2) {
                    ""
                } else {
                    intern("dest,mode")
                },
                bound: bound.then(|| Arc::from([(0, ArgFacts::for_test(Value::Unknown))])),
            },
            has_splat: n.is_multiple_of(5),
            span: Span::new(n * 1000, n * 1000 + n),
            position: Position {
                line: n * 7,
                column: n % 300,
            },
            callee: intern(&format!("helper_{}", n % 4)),
            restoring: n.is_multiple_of(3),
            puts_back: n.is_multiple_of(7).then(|| {
                Arc::new(PutsBack {
                    saved: Box::new(["HOST".to_string()]),
                    settings_override: None,
                })
            }),
            expected_to_fail: n.is_multiple_of(11),
            patched: n.is_multiple_of(13),
        }
    }

    fn calls() -> Vec<CallFacts> {
        (0..200)
            .map(|n| {
                let target = match n % 3 {
                    0 => CallTarget::Local(intern("make_repo")),
                    1 => CallTarget::Imported {
                        module: intern("pkg.utils"),
                        path: Box::new([intern("rmtree")]),
                    },
                    _ => CallTarget::SelfMethod {
                        class: intern("TestX"),
                        method: intern(&format!("m{}", n % 5)),
                    },
                };
                call(n, target, n % 17 == 0)
            })
            .collect()
    }

    #[test]
    fn unpacks_what_was_packed() {
        let list = CallList::new(calls());
        assert_eq!(list.len(), 200);
        assert_eq!(list.iter().len(), 200);
        let expected = format!("{:?}", calls());
        assert_eq!(format!("{list:?}"), expected);
    }

    #[test]
    fn an_empty_list_holds_nothing() {
        let list = CallList::new(Vec::new());
        assert!(list.is_empty());
        assert_eq!(list.iter().count(), 0);
        assert_eq!(size_of::<CallList>(), size_of::<usize>());
    }

    #[test]
    fn a_packed_call_is_small() {
        let calls: Vec<CallFacts> = (0..1000)
            .map(|n| call(n, CallTarget::Local(intern("make_repo")), false))
            .collect();
        let list = CallList::new(calls);
        let Some(packed) = list.0.as_deref() else {
            panic!("a list of calls packs");
        };
        // Spans of a few hundred kilobytes and lines in the thousands: about a dozen bytes.
        assert!(packed.bytes.len() < 16 * 1000, "{}", packed.bytes.len());
        assert_eq!(packed.targets.len(), 1);
    }

    #[test]
    fn a_list_written_out_reads_back_the_same_and_packed() {
        let list = CallList::new(calls());
        let bytes = postcard::to_allocvec(&list).expect("serializes");
        let back: CallList = postcard::from_bytes(&bytes).expect("deserializes");
        assert_eq!(format!("{back:?}"), format!("{list:?}"));
        let plain = postcard::to_allocvec(&calls()).expect("serializes");
        assert!(
            bytes.len() < plain.len(),
            "{} bytes against {}",
            bytes.len(),
            plain.len()
        );
        let empty = postcard::to_allocvec(&CallList::default()).expect("serializes");
        let back: CallList = postcard::from_bytes(&empty).expect("deserializes");
        assert!(back.is_empty());
    }

    #[test]
    fn damaged_bytes_are_an_error_never_a_panic() {
        let bytes = postcard::to_allocvec(&CallList::new(calls())).expect("serializes");
        for cut in 0..bytes.len() {
            let read = postcard::from_bytes::<CallList>(&bytes[..cut]);
            if let Ok(list) = read {
                list.iter().for_each(drop);
            }
        }
        for at in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[at] ^= flip;
                if let Ok(list) = postcard::from_bytes::<CallList>(&damaged) {
                    // Whatever it decodes to, reading it stays in bounds.
                    list.iter().for_each(drop);
                }
            }
        }
    }

    #[test]
    fn targets_are_interned_once() {
        let a = intern_target(CallTarget::Local(intern("same_helper")));
        let b = intern_target(CallTarget::Local(intern("same_helper")));
        assert!(std::ptr::eq(a, b));
    }
}
