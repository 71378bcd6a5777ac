//! Flat, lazy parsing of a series of TLV objects.

use super::error::{TlvError, TlvErrorKind};
use super::tag::Tag;
use core::fmt;

/// Longest long-form length field EMV allows after its `8x` byte.
const LENGTH_BYTES_MAX: usize = 4;

/// One data object, borrowed from the input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The value bytes (for a constructed tag: its encoded children).
    pub value: &'a [u8],
    /// Offset of the first tag byte.
    pub offset: usize,
}

impl fmt::Debug for Tlv<'_> {
    /// Leaves the value out: it may be a PAN, track data or PIN data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tlv")
            .field("tag", &self.tag)
            .field("offset", &self.offset)
            .field("len", &self.value.len())
            .finish()
    }
}

/// Iterator over the TLV objects of one level; yields nothing more after the first error.
#[derive(Debug, Clone)]
pub struct TlvIter<'a> {
    input: &'a [u8],
    pos: usize,
    base: usize,
    done: bool,
}

/// Parses a series of TLV objects lazily; padding bytes `00`/`FF` between objects are skipped.
pub fn parse(input: &[u8]) -> TlvIter<'_> {
    TlvIter::with_base(input, 0)
}

/// Parses a whole series of TLV objects, failing on the first error.
pub fn parse_all(input: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    parse(input).collect()
}

impl<'a> TlvIter<'a> {
    /// Iterates `input`, reporting offsets as `base + position in input`.
    pub(crate) fn with_base(input: &'a [u8], base: usize) -> TlvIter<'a> {
        TlvIter {
            input,
            pos: 0,
            base,
            done: false,
        }
    }

    fn at(&self, pos: usize) -> usize {
        self.base.saturating_add(pos)
    }

    /// Next object and the offset of its first value byte (where its children start).
    pub(crate) fn next_located(&mut self) -> Option<Result<(Tlv<'a>, usize), TlvError>> {
        if self.done {
            return None;
        }
        let item = self.next_object();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }

    fn next_object(&mut self) -> Option<Result<(Tlv<'a>, usize), TlvError>> {
        // EMV Book 3, Annex B: meaningless 00 (and, per ISO/IEC 7816-4, FF) bytes may sit
        // before, between or after data objects.
        while matches!(self.input.get(self.pos), Some(0x00 | 0xFF)) {
            self.pos += 1;
        }
        let rest = self.input.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let tag_pos = self.pos;
        let (tag, tag_len) = match Tag::read(rest, self.at(tag_pos)) {
            Ok(read) => read,
            Err(e) => return Some(Err(e)),
        };
        let len_pos = tag_pos + tag_len;
        let after_tag = self.input.get(len_pos..).unwrap_or(&[]);
        let (value_len, len_len) = match read_length(after_tag, self.at(len_pos)) {
            Ok(read) => read,
            Err(e) => return Some(Err(e)),
        };
        let value_pos = len_pos + len_len;
        let after_len = self.input.get(value_pos..).unwrap_or(&[]);
        let value = usize::try_from(value_len)
            .ok()
            .and_then(|n| after_len.get(..n));
        let Some(value) = value else {
            return Some(Err(TlvError::at(
                self.at(len_pos),
                TlvErrorKind::ValueTruncated {
                    needed: u64::from(value_len),
                    left: after_len.len(),
                },
            )));
        };
        self.pos = value_pos + value.len();
        let tlv = Tlv {
            tag,
            value,
            offset: self.at(tag_pos),
        };
        Some(Ok((tlv, self.at(value_pos))))
    }
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<Tlv<'a>, TlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_located().map(|item| item.map(|(tlv, _)| tlv))
    }
}

/// Reads a definite length (short form, or long form `81`..`84`); returns it and the bytes used.
pub(crate) fn read_length(b: &[u8], offset: usize) -> Result<(u32, usize), TlvError> {
    let Some((&first, rest)) = b.split_first() else {
        return Err(TlvError::at(offset, TlvErrorKind::LengthMissing));
    };
    if first < 0x80 {
        return Ok((u32::from(first), 1));
    }
    let count = usize::from(first & 0x7F);
    if count == 0 {
        return Err(TlvError::at(offset, TlvErrorKind::IndefiniteLength));
    }
    if count > LENGTH_BYTES_MAX {
        return Err(TlvError::at(
            offset,
            TlvErrorKind::LengthTooManyBytes { count },
        ));
    }
    let Some(len_bytes) = rest.get(..count) else {
        return Err(TlvError::at(
            offset,
            TlvErrorKind::LengthTruncated {
                needed: count,
                left: rest.len(),
            },
        ));
    };
    let len = len_bytes
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    Ok((len, 1 + count))
}
