//! Data Object Lists (PDOL, CDOL1, CDOL2, DDOL, TDOL): the card's list of tag + length that
//! tells the terminal which values to send, and in which order (EMV Book 3, section 5.4).

use thiserror::Error;

use crate::tags::{self, Format};
use crate::tlv::{Tag, TlvError, TlvErrorKind};

/// One DOL entry: a tag and the number of bytes the card wants for its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DolEntry {
    /// The data object asked for.
    pub tag: Tag,
    /// Bytes of value wanted (a DOL length is always one byte).
    pub len: u8,
}

/// What went wrong reading a DOL or the data built from one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DolError {
    /// A DOL entry is malformed (offsets count from the start of the DOL).
    #[error("DOL entry {0}")]
    Entry(#[from] TlvError),
    /// DOL data whose size is not the sum of the DOL's lengths.
    #[error("DOL data is {actual_len} bytes, the DOL asks for {expected_len}")]
    DataLength {
        /// Sum of the entries' lengths.
        expected_len: usize,
        /// Bytes received.
        actual_len: usize,
    },
}

/// Reads a DOL: each entry is a BER tag followed by a one-byte length (Book 3, 5.4).
pub fn parse_dol(dol: &[u8]) -> Result<Vec<DolEntry>, DolError> {
    let mut entries = Vec::new();
    let mut pos = 0;
    while let Some(rest) = dol.get(pos..).filter(|rest| !rest.is_empty()) {
        let (tag, tag_len) = Tag::read(rest, pos)?;
        let len_pos = pos + tag_len;
        let Some(&len) = dol.get(len_pos) else {
            return Err(TlvError {
                offset: len_pos,
                kind: TlvErrorKind::LengthMissing,
            }
            .into());
        };
        entries.push(DolEntry { tag, len });
        pos = len_pos + 1;
    }
    Ok(entries)
}

/// Encodes entries back into a DOL.
pub fn write_dol(entries: &[DolEntry], out: &mut Vec<u8>) {
    for entry in entries {
        entry.tag.write(out);
        out.push(entry.len);
    }
}

/// Bytes of data the DOL asks for.
pub fn data_len(entries: &[DolEntry]) -> usize {
    entries.iter().map(|e| usize::from(e.len)).sum()
}

/// Builds the DOL data (e.g. the GET PROCESSING OPTIONS or GENERATE AC command data) from
/// `values`, with formats from the tag dictionary; see [`build_dol_data_with`].
pub fn build_dol_data<'v>(
    entries: &[DolEntry],
    values: impl Fn(Tag) -> Option<&'v [u8]>,
) -> Vec<u8> {
    build_dol_data_with(entries, values, |tag| tags::lookup(tag).map(|i| i.format))
}

/// Builds the DOL data following EMV Book 3, section 5.4, step 2:
/// - a constructed tag, a tag the terminal does not know (`format_of` gives `None`) or a
///   value that is not available: as many `00` bytes as the entry's length;
/// - a value longer than the entry: `n` loses its leftmost bytes, every other format its
///   rightmost bytes;
/// - a value shorter than the entry: `n` gets leading `00` bytes, `cn` trailing `FF` bytes,
///   every other format (`a`, `an`, `ans`, `b`) trailing `00` bytes.
pub fn build_dol_data_with<'v>(
    entries: &[DolEntry],
    values: impl Fn(Tag) -> Option<&'v [u8]>,
    format_of: impl Fn(Tag) -> Option<Format>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(data_len(entries));
    for entry in entries {
        let len = usize::from(entry.len);
        let known = if entry.tag.is_constructed() {
            None
        } else {
            format_of(entry.tag).zip(values(entry.tag))
        };
        match known {
            Some((format, value)) => fit_value(value, len, format, &mut out),
            None => out.resize(out.len() + len, 0x00),
        }
    }
    out
}

/// Appends `value` fitted to exactly `len` bytes by the Book 3, 5.4 rules for `format`.
pub fn fit_value(value: &[u8], len: usize, format: Format, out: &mut Vec<u8>) {
    let numeric = format == Format::N;
    if value.len() >= len {
        let kept = if numeric {
            value.get(value.len() - len..)
        } else {
            value.get(..len)
        };
        out.extend_from_slice(kept.unwrap_or(&[]));
        return;
    }
    let pad_len = len - value.len();
    match format {
        Format::N => {
            out.resize(out.len() + pad_len, 0x00);
            out.extend_from_slice(value);
        }
        Format::Cn => {
            out.extend_from_slice(value);
            out.resize(out.len() + pad_len, 0xFF);
        }
        Format::A | Format::An | Format::Ans | Format::B => {
            out.extend_from_slice(value);
            out.resize(out.len() + pad_len, 0x00);
        }
    }
}

/// Splits DOL data back into one value per entry (what the card does with it).
pub fn split_dol_data<'d>(
    entries: &[DolEntry],
    data: &'d [u8],
) -> Result<Vec<(Tag, &'d [u8])>, DolError> {
    let expected_len = data_len(entries);
    if data.len() != expected_len {
        return Err(DolError::DataLength {
            expected_len,
            actual_len: data.len(),
        });
    }
    let mut rest = data;
    let mut values = Vec::with_capacity(entries.len());
    for entry in entries {
        let (value, tail) =
            rest.split_at_checked(usize::from(entry.len))
                .ok_or(DolError::DataLength {
                    expected_len,
                    actual_len: data.len(),
                })?;
        values.push((entry.tag, value));
        rest = tail;
    }
    Ok(values)
}
