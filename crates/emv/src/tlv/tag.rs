//! BER-TLV tags: 1 to 4 bytes, kept as the big-endian number of their wire bytes.

use core::fmt;
use core::str::FromStr;

use super::error::{TlvError, TlvErrorKind};

/// Longest tag EMV allows, in bytes.
const TAG_BYTES_MAX: usize = 4;

/// A BER-TLV tag as it appears on the wire (1 to 4 bytes), e.g. 0x9F26.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(u32);

/// The class of a tag: bits 8 and 7 of its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagClass {
    /// `00xxxxxx`, defined by ISO/IEC 8825 (e.g. `04` octet string).
    Universal,
    /// `01xxxxxx`, defined by ISO/IEC 7816 and EMV (e.g. `5A` PAN).
    Application,
    /// `10xxxxxx`, meaning depends on the enclosing template (e.g. `9F26` ARQC).
    ContextSpecific,
    /// `11xxxxxx`, proprietary (e.g. `DF01`).
    Private,
}

impl Tag {
    /// Wraps the raw wire value, e.g. `Tag::new(0x9F26)`; not checked (see [`Tag::is_valid`]).
    pub const fn new(raw: u32) -> Tag {
        Tag(raw)
    }

    /// Reads a tag that must fill `b` exactly.
    pub fn from_bytes(b: &[u8]) -> Result<Tag, TlvError> {
        let (tag, used) = Tag::read(b, 0)?;
        match b.len().checked_sub(used) {
            Some(0) => Ok(tag),
            Some(count) => Err(TlvError::at(used, TlvErrorKind::TrailingTagBytes { count })),
            None => Err(TlvError::at(
                0,
                TlvErrorKind::TagTruncated { read: b.len() },
            )),
        }
    }

    /// Reads the tag at the start of `b`; returns it and how many bytes it took.
    /// `base` is added to error offsets.
    pub fn read(b: &[u8], base: usize) -> Result<(Tag, usize), TlvError> {
        let Some(&first) = b.first() else {
            return Err(TlvError::at(base, TlvErrorKind::TagTruncated { read: 0 }));
        };
        if first == 0x00 || first == 0xFF {
            return Err(TlvError::at(
                base,
                TlvErrorKind::InvalidFirstTagByte { byte: first },
            ));
        }
        let mut raw = u32::from(first);
        if first & 0x1F != 0x1F {
            return Ok((Tag(raw), 1));
        }
        // Subsequent bytes: bit 8 set means another byte follows.
        let mut used = 1;
        loop {
            let Some(&next) = b.get(used) else {
                return Err(TlvError::at(
                    base,
                    TlvErrorKind::TagTruncated { read: used },
                ));
            };
            raw = (raw << 8) | u32::from(next);
            used += 1;
            if next & 0x80 == 0 {
                return Ok((Tag(raw), used));
            }
            if used == TAG_BYTES_MAX {
                return Err(TlvError::at(base, TlvErrorKind::TagTooLong));
            }
        }
    }

    /// The raw wire value, e.g. `0x9F26`.
    pub fn raw(self) -> u32 {
        self.0
    }

    /// Bytes on the wire (a raw value of 0 counts as one byte).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(self) -> usize {
        match self.0 {
            0..=0xFF => 1,
            0x100..=0xFFFF => 2,
            0x1_0000..=0xFF_FFFF => 3,
            _ => 4,
        }
    }

    /// The wire bytes, most significant first.
    pub fn to_bytes(self) -> ([u8; 4], usize) {
        let len = self.len();
        let mut bytes = [0u8; 4];
        let all = self.0.to_be_bytes();
        for (dst, src) in bytes.iter_mut().zip(all.iter().skip(4 - len)) {
            *dst = *src;
        }
        (bytes, len)
    }

    /// Appends the wire bytes to `out`.
    pub fn write(self, out: &mut Vec<u8>) {
        let (bytes, len) = self.to_bytes();
        out.extend(bytes.iter().take(len));
    }

    /// True when the bytes form exactly one well-formed tag (so it survives write → parse).
    pub fn is_valid(self) -> bool {
        let (bytes, len) = self.to_bytes();
        bytes.get(..len).is_some_and(|b| Tag::from_bytes(b).is_ok())
    }

    fn first_byte(self) -> u8 {
        let ([first, ..], _) = self.to_bytes();
        first
    }

    /// Bit 6 of the first byte: the value is itself a series of TLV objects.
    pub fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }

    /// Bits 8 and 7 of the first byte.
    pub fn class(self) -> TagClass {
        match self.first_byte() >> 6 {
            0 => TagClass::Universal,
            1 => TagClass::Application,
            2 => TagClass::ContextSpecific,
            _ => TagClass::Private,
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (bytes, len) = self.to_bytes();
        for b in bytes.iter().take(len) {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Tag {
    type Err = TlvError;

    /// Parses `"9F26"` or `"9f26"`; the bytes must form one well-formed tag.
    fn from_str(s: &str) -> Result<Tag, TlvError> {
        let len = s.chars().count();
        if len == 0 || !len.is_multiple_of(2) || len > 2 * TAG_BYTES_MAX {
            return Err(TlvError::at(0, TlvErrorKind::TagTextLength { len }));
        }
        let mut bytes = [0u8; TAG_BYTES_MAX];
        let mut byte_count = 0;
        let mut chars = s.chars().enumerate();
        while let (Some((i, hi)), Some((j, lo))) = (chars.next(), chars.next()) {
            let hi_val =
                hex_digit(hi).ok_or(TlvError::at(i, TlvErrorKind::TagTextNotHex { found: hi }))?;
            let lo_val =
                hex_digit(lo).ok_or(TlvError::at(j, TlvErrorKind::TagTextNotHex { found: lo }))?;
            if let Some(slot) = bytes.get_mut(byte_count) {
                *slot = (hi_val << 4) | lo_val;
            }
            byte_count += 1;
        }
        let used = bytes.get(..byte_count).unwrap_or(&[]);
        // Report tag-level errors at the character where the offending byte starts.
        Tag::from_bytes(used).map_err(|e| TlvError::at(e.offset * 2, e.kind))
    }
}

fn hex_digit(c: char) -> Option<u8> {
    c.to_digit(16).and_then(|d| u8::try_from(d).ok())
}
