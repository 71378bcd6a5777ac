//! The one error type of the TLV layer: what went wrong, and at which byte.

use thiserror::Error;

/// A TLV coding error and the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("at byte {offset}: {kind}")]
pub struct TlvError {
    /// Offset of the offending tag or length field (or character, for tag text).
    pub offset: usize,
    /// What was wrong there.
    pub kind: TlvErrorKind,
}

impl TlvError {
    pub(crate) fn at(offset: usize, kind: TlvErrorKind) -> TlvError {
        TlvError { offset, kind }
    }
}

/// What was wrong with a TLV encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TlvErrorKind {
    /// The input ended inside a multi-byte tag.
    #[error("tag runs past the end (after {read} tag bytes)")]
    TagTruncated {
        /// Tag bytes that were present.
        read: usize,
    },
    /// A tag kept announcing more bytes past the fourth.
    #[error("tag longer than 4 bytes")]
    TagTooLong,
    /// `00` and `FF` cannot start a tag (ISO/IEC 7816-4 uses them as padding).
    #[error("{byte:02X} cannot be the first byte of a tag")]
    InvalidFirstTagByte {
        /// The byte found.
        byte: u8,
    },
    /// A tag value whose bytes do not form exactly one well-formed tag.
    #[error("tag {raw:X} is not a well-formed BER tag")]
    MalformedTag {
        /// The raw tag value.
        raw: u32,
    },
    /// Bytes left over after a complete tag where only a tag was expected.
    #[error("{count} bytes after the end of the tag")]
    TrailingTagBytes {
        /// How many extra bytes.
        count: usize,
    },
    /// Tag text was empty or had an odd number of hex digits.
    #[error("tag text must be 2, 4, 6 or 8 hex digits, got {len} characters")]
    TagTextLength {
        /// Characters found.
        len: usize,
    },
    /// Tag text contained a character that is not a hex digit.
    #[error("{found:?} is not a hex digit")]
    TagTextNotHex {
        /// The character found.
        found: char,
    },
    /// The input ended right after a tag, before its length.
    #[error("length missing after the tag")]
    LengthMissing,
    /// `80`: indefinite length, which EMV does not allow.
    #[error("indefinite length (80) is not allowed")]
    IndefiniteLength,
    /// A long-form length announcing more than 4 length bytes.
    #[error("length field announces {count} length bytes (at most 4)")]
    LengthTooManyBytes {
        /// Length bytes announced by the first length byte.
        count: usize,
    },
    /// The input ended inside a long-form length.
    #[error("length field runs past the end (needs {needed} bytes, {left} left)")]
    LengthTruncated {
        /// Length bytes announced.
        needed: usize,
        /// Bytes that were left.
        left: usize,
    },
    /// The value is longer than the bytes left in the input.
    #[error("length runs past the end (needs {needed} bytes, {left} left)")]
    ValueTruncated {
        /// Value length announced by the length field.
        needed: u64,
        /// Bytes that were left after the length field.
        left: usize,
    },
    /// Objects nested deeper than [`super::MAX_DEPTH`] levels.
    #[error("objects nested deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// A value too long for a 4-byte length field.
    #[error("value of {len} bytes is too long for a BER length (at most 4294967295)")]
    ValueTooLong {
        /// The value length.
        len: usize,
    },
}
