//! Small encoding helpers for personalisation: TLV building, BCD and hex fields.

use emv::Tag;

use crate::error::PersoError;

/// Appends `tag` + length + `value` to `out`.
pub(crate) fn put(out: &mut Vec<u8>, tag: u32, value: &[u8]) -> Result<(), PersoError> {
    emv::tlv::write(Tag::new(tag), value, out).map_err(|e| PersoError::Encode {
        what: "TLV",
        reason: format!("tag {tag:X}: {e}"),
    })
}

/// `tag` wrapped around `value` as a new vector.
pub(crate) fn wrap(tag: u32, value: &[u8]) -> Result<Vec<u8>, PersoError> {
    let mut out = Vec::with_capacity(value.len() + 4);
    put(&mut out, tag, value)?;
    Ok(out)
}

/// Packs a string of hex nibbles (digits, `D`, `F`) into bytes, padding with `F`.
pub(crate) fn nibbles(field: &'static str, text: &str) -> Result<Vec<u8>, PersoError> {
    let mut t = text.to_string();
    if t.len() % 2 == 1 {
        t.push('F');
    }
    paysec::hex::decode(t.as_bytes()).map_err(|offset| PersoError::Encode {
        what: field,
        reason: format!("not hex/BCD at offset {offset}"),
    })
}

/// Decodes a hex profile field.
pub(crate) fn hex_field(field: &'static str, text: &str) -> Result<Vec<u8>, PersoError> {
    paysec::hex::decode(text.trim().as_bytes()).map_err(|offset| {
        PersoError::Profile(crate::error::ProfileError::Field {
            field,
            reason: format!("bad hex digit at offset {offset}"),
        })
    })
}

/// A number as `len` bytes of BCD (n format), e.g. 978 → 09 78.
pub(crate) fn bcd(value: u64, len: usize) -> Vec<u8> {
    let digits = format!("{value:0width$}", width = len * 2);
    let tail = digits
        .get(digits.len().saturating_sub(len * 2)..)
        .unwrap_or("");
    paysec::hex::decode(tail.as_bytes()).unwrap_or_default()
}
