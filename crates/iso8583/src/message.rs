//! The message model: an MTI and data elements whose values borrow from the frame.
//!
//! Values are logical: text for character fields (digits of a BCD field, ASCII of an EBCDIC
//! field) and raw bytes for binary fields. When the wire form is already the logical form (ASCII
//! and binary, the common case) a value borrows from the frame; otherwise it is decoded once into
//! the message's single scratch buffer, so unpacking never allocates per field.

use std::fmt;

use crate::error::{CodecError, ErrorKind, Location};
use crate::mask;
use crate::mti::Mti;
use crate::spec::{FIELD_MAX, Spec};

/// Where a value's bytes live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot<'a> {
    Borrowed(&'a [u8]),
    Scratch { start: u32, len: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    pub(crate) number: u8,
    pub(crate) slot: Slot<'a>,
}

/// An ISO 8583 message. `'a` is the lifetime of the frame (or values) it borrows from.
#[derive(Clone)]
pub struct Message<'a> {
    pub(crate) mti: Mti,
    /// Present data elements, ordered by number, never 1 or 65 (the bitmaps are derived).
    pub(crate) entries: Vec<Entry<'a>>,
    pub(crate) scratch: Vec<u8>,
}

impl<'a> Message<'a> {
    /// An empty message of type `mti`.
    pub fn new(mti: Mti) -> Message<'a> {
        Message {
            mti,
            entries: Vec::with_capacity(24),
            scratch: Vec::new(),
        }
    }

    pub fn mti(&self) -> Mti {
        self.mti
    }

    pub fn set_mti(&mut self, mti: Mti) {
        self.mti = mti;
    }

    /// The value of data element `number`: text bytes for character fields, raw bytes for
    /// binary fields.
    #[inline]
    pub fn get(&self, number: usize) -> Option<&[u8]> {
        let number = u8::try_from(number).ok()?;
        let i = self
            .entries
            .binary_search_by_key(&number, |e| e.number)
            .ok()?;
        self.entries.get(i).map(|e| self.resolve(e.slot))
    }

    /// The value of a character field as text. `None` when absent or not valid UTF-8 (a binary
    /// field).
    pub fn text(&self, number: usize) -> Option<&str> {
        self.get(number).and_then(|b| std::str::from_utf8(b).ok())
    }

    /// Whether data element `number` is present.
    pub fn has(&self, number: usize) -> bool {
        self.get(number).is_some()
    }

    #[inline]
    fn resolve(&self, slot: Slot<'a>) -> &[u8] {
        match slot {
            Slot::Borrowed(b) => b,
            Slot::Scratch { start, len } => {
                let start = start as usize;
                self.scratch.get(start..start + len as usize).unwrap_or(&[])
            }
        }
    }

    /// Present data elements in number order, with their values.
    pub fn fields(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        self.entries
            .iter()
            .map(|e| (usize::from(e.number), self.resolve(e.slot)))
    }

    /// Number of present data elements (bitmaps not counted).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn check_number(number: usize) -> Result<u8, CodecError> {
        let n = u8::try_from(number)
            .ok()
            .filter(|n| usize::from(*n) <= FIELD_MAX && *n >= 1);
        match n {
            None => Err(CodecError::new(
                Location::Field(u8::try_from(number).unwrap_or(u8::MAX)),
                0,
                ErrorKind::OutOfRange { limit: FIELD_MAX },
            )),
            Some(1 | 65) => Err(CodecError::new(
                Location::Field(number as u8),
                0,
                ErrorKind::BitmapField,
            )),
            Some(n) => Ok(n),
        }
    }

    fn put(&mut self, number: u8, slot: Slot<'a>) {
        match self.entries.binary_search_by_key(&number, |e| e.number) {
            Ok(i) => {
                if let Some(e) = self.entries.get_mut(i) {
                    e.slot = slot;
                }
            }
            Err(i) => self.entries.insert(i, Entry { number, slot }),
        }
    }

    /// Sets data element `number` to a value borrowed for `'a` (no copy).
    /// Values are checked against the spec when the message is packed.
    pub fn set(
        &mut self,
        number: usize,
        value: &'a (impl AsRef<[u8]> + ?Sized),
    ) -> Result<(), CodecError> {
        let n = Self::check_number(number)?;
        self.put(n, Slot::Borrowed(value.as_ref()));
        Ok(())
    }

    /// Sets data element `number` to a copy of `value`.
    pub fn set_owned(&mut self, number: usize, value: impl AsRef<[u8]>) -> Result<(), CodecError> {
        let n = Self::check_number(number)?;
        let slot = self.push_scratch(value.as_ref());
        self.put(n, slot);
        Ok(())
    }

    pub(crate) fn push_scratch(&mut self, value: &[u8]) -> Slot<'a> {
        let start = self.scratch.len() as u32;
        self.scratch.extend_from_slice(value);
        Slot::Scratch {
            start,
            len: value.len() as u32,
        }
    }

    /// Removes data element `number`; returns whether it was present.
    pub fn remove(&mut self, number: usize) -> bool {
        let Ok(n) = u8::try_from(number) else {
            return false;
        };
        match self.entries.binary_search_by_key(&n, |e| e.number) {
            Ok(i) => {
                self.entries.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Empties the message for reuse, keeping its allocations.
    pub fn clear(&mut self, mti: Mti) {
        self.mti = mti;
        self.entries.clear();
        self.scratch.clear();
    }

    /// The same message emptied, with a new lifetime: keeps its allocations for the next frame,
    /// so a connection can unpack into one message for ever without allocating.
    pub fn recycle<'b>(self) -> Message<'b> {
        let mut entries = self.entries;
        entries.clear();
        let mut scratch = self.scratch;
        scratch.clear();
        Message {
            mti: self.mti,
            // An empty map-and-collect between same-sized types reuses the allocation.
            entries: entries
                .into_iter()
                .map(|e| Entry {
                    number: e.number,
                    slot: Slot::Scratch { start: 0, len: 0 },
                })
                .collect(),
            scratch,
        }
    }

    /// A copy that owns all of its values, free of the frame's lifetime.
    pub fn into_owned(self) -> Message<'static> {
        let mut out = Message {
            mti: self.mti,
            entries: Vec::with_capacity(self.entries.len()),
            scratch: Vec::with_capacity(self.scratch.len() + 256),
        };
        for (n, v) in self.fields() {
            let slot = out.push_scratch(v);
            out.entries.push(Entry {
                number: n as u8,
                slot,
            });
        }
        out
    }

    /// A masked, human-readable dump using the spec's field names and sensitivities.
    pub fn dump(&self, spec: &Spec) -> String {
        let mut s = format!("MTI {}\n", self.mti);
        for (n, v) in self.fields() {
            let name = spec
                .field(n)
                .map(|f| f.name.as_str())
                .unwrap_or("(not in spec)");
            s.push_str(&format!("{n:>4} {name}: {}\n", mask::show(spec, n, v)));
        }
        s
    }
}

/// Shows every field masked by the default sensitivities: PANs cut to first 6 and last 4
/// digits, PIN blocks, MACs and keys hidden. Safe for logs.
impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        m.entry(&"mti", &self.mti.as_str());
        for (n, v) in self.fields() {
            m.entry(&n, &mask::show_default(n, v));
        }
        m.finish()
    }
}

impl PartialEq for Message<'_> {
    /// Equal when the MTI and every field's value are equal, wherever the bytes live.
    fn eq(&self, other: &Self) -> bool {
        self.mti == other.mti && self.len() == other.len() && self.fields().eq(other.fields())
    }
}

impl Eq for Message<'_> {}
