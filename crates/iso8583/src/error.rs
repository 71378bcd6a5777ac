//! Typed errors: each names the part of the message, the byte offset and what was expected.

use std::fmt;

/// A dialect that cannot be used as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("field {number}: {why}")]
    Field { number: u8, why: String },
    #[error("spec file: {0}")]
    File(String),
    #[error("no built-in spec named {name:?} (known: {known})")]
    Unknown { name: String, known: String },
}

/// The part of a message an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The message type indicator.
    Mti,
    /// The primary (1), secondary (2) or tertiary (3) bitmap.
    Bitmap(u8),
    /// A data element.
    Field(u8),
    /// The message as a whole.
    Message,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Mti => f.write_str("MTI"),
            Location::Bitmap(1) => f.write_str("primary bitmap"),
            Location::Bitmap(2) => f.write_str("secondary bitmap"),
            Location::Bitmap(_) => f.write_str("tertiary bitmap"),
            Location::Field(n) => write!(f, "field {n}"),
            Location::Message => f.write_str("message"),
        }
    }
}

/// What was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input ended early.
    Truncated { needed: usize, available: usize },
    /// A length prefix that is not a number in its encoding.
    BadLengthPrefix { raw_hex: String },
    /// A variable length above the field's maximum.
    TooLong {
        len: usize,
        max: usize,
        unit: &'static str,
    },
    /// A fixed field of the wrong length.
    WrongLength {
        len: usize,
        expected: usize,
        unit: &'static str,
    },
    /// A character the field's class does not allow.
    BadChar {
        position: usize,
        byte: u8,
        expected: &'static str,
    },
    /// A nibble above 9 where a BCD digit was expected.
    BadBcd { position: usize, byte: u8 },
    /// A character that is not a hexadecimal digit.
    BadHex { position: usize, byte: u8 },
    /// Hex text with an odd number of digits for a whole-byte field.
    OddHex { len: usize },
    /// The bitmap announces a field the dialect does not define.
    UndefinedField,
    /// Bytes left over after the last field.
    TrailingData { count: usize },
    /// A field number outside what the dialect's bitmaps can carry.
    OutOfRange { limit: usize },
    /// Fields 1 and 65 are bitmaps, computed when packing; they cannot be set.
    BitmapField,
    /// A value that cannot be written in this encoding (e.g. a non-ASCII character for EBCDIC).
    Unencodable { position: usize, byte: u8 },
    /// The message is larger than its framing or prefix allows.
    TooLarge { len: usize, max: usize },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Truncated { needed, available } => {
                write!(f, "needs {needed} more bytes but only {available} are left")
            }
            ErrorKind::BadLengthPrefix { raw_hex } => {
                write!(f, "length prefix {raw_hex} (hex) is not a valid length")
            }
            ErrorKind::TooLong { len, max, unit } => {
                write!(f, "length {len} {unit} is more than the maximum {max}")
            }
            ErrorKind::WrongLength {
                len,
                expected,
                unit,
            } => {
                write!(
                    f,
                    "value is {len} {unit} but the field is fixed at {expected}"
                )
            }
            ErrorKind::BadChar {
                position,
                byte,
                expected,
            } => {
                write!(
                    f,
                    "character {} at position {position} is not allowed (expected {expected})",
                    show_byte(*byte)
                )
            }
            ErrorKind::BadBcd { position, byte } => {
                write!(
                    f,
                    "byte {byte:#04x} at position {position} is not packed BCD"
                )
            }
            ErrorKind::BadHex { position, byte } => {
                write!(
                    f,
                    "character {} at position {position} is not a hex digit",
                    show_byte(*byte)
                )
            }
            ErrorKind::OddHex { len } => write!(f, "hex value has an odd number of digits ({len})"),
            ErrorKind::UndefinedField => {
                f.write_str("present in the bitmap but not defined by the spec")
            }
            ErrorKind::TrailingData { count } => {
                write!(f, "{count} bytes left after the last field")
            }
            ErrorKind::OutOfRange { limit } => {
                write!(f, "not a data element of this spec (1..={limit})")
            }
            ErrorKind::BitmapField => {
                f.write_str("is a bitmap, computed when packing; do not set it")
            }
            ErrorKind::Unencodable { position, byte } => {
                write!(
                    f,
                    "character {} at position {position} cannot be encoded",
                    show_byte(*byte)
                )
            }
            ErrorKind::TooLarge { len, max } => {
                write!(f, "{len} bytes is more than the maximum {max}")
            }
        }
    }
}

fn show_byte(b: u8) -> String {
    if (0x20..0x7F).contains(&b) {
        format!("'{}'", b as char)
    } else {
        format!("{b:#04x}")
    }
}

/// An error packing or unpacking a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError {
    pub location: Location,
    /// The field's name from the spec (empty when not a field).
    pub name: String,
    /// Byte offset in the message where the faulty part starts.
    pub offset: usize,
    pub kind: ErrorKind,
}

impl CodecError {
    pub(crate) fn new(location: Location, offset: usize, kind: ErrorKind) -> CodecError {
        CodecError {
            location,
            name: String::new(),
            offset,
            kind,
        }
    }

    pub(crate) fn named(mut self, name: &str) -> CodecError {
        self.name = name.to_string();
        self
    }

    /// The data element concerned, if any.
    pub fn field(&self) -> Option<u8> {
        match self.location {
            Location::Field(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.location)?;
        if !self.name.is_empty() {
            write!(f, " ({})", self.name)?;
        }
        write!(f, " at byte {}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for CodecError {}
