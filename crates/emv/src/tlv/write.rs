//! Encoding TLV objects with definite, shortest-form lengths.

use super::error::{TlvError, TlvErrorKind};
use super::tag::Tag;

/// Appends `tag`, the shortest definite length and `value` to `out`.
///
/// Fails (writing nothing) when the tag is not well-formed or the value is longer than a
/// 4-byte length can say.
pub fn write(tag: Tag, value: &[u8], out: &mut Vec<u8>) -> Result<(), TlvError> {
    if !tag.is_valid() {
        return Err(TlvError::at(
            out.len(),
            TlvErrorKind::MalformedTag { raw: tag.raw() },
        ));
    }
    let mut length = Vec::with_capacity(5);
    write_length(value.len(), &mut length)
        .map_err(|e| TlvError::at(out.len() + tag.len(), e.kind))?;
    tag.write(out);
    out.extend_from_slice(&length);
    out.extend_from_slice(value);
    Ok(())
}

/// Appends a definite length in its shortest form: `00`..`7F`, else `81`..`84` and the bytes.
pub fn write_length(len: usize, out: &mut Vec<u8>) -> Result<(), TlvError> {
    let Ok(len32) = u32::try_from(len) else {
        return Err(TlvError::at(out.len(), TlvErrorKind::ValueTooLong { len }));
    };
    if len32 < 0x80 {
        let [.., low] = len32.to_be_bytes();
        out.push(low);
        return Ok(());
    }
    let bytes = len32.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let used = bytes.len() - skip;
    // `used` is 1..=4 here, so the first byte is 81..84.
    out.push(0x80 | used as u8);
    out.extend(bytes.iter().skip(skip));
    Ok(())
}

/// Bytes that `write` would produce for a tag and a value of `value_len` bytes.
pub fn encoded_len(tag: Tag, value_len: usize) -> Result<usize, TlvError> {
    let mut length = Vec::with_capacity(5);
    write_length(value_len, &mut length)?;
    tag.len()
        .checked_add(length.len())
        .and_then(|n| n.checked_add(value_len))
        .ok_or(TlvError::at(
            0,
            TlvErrorKind::ValueTooLong { len: value_len },
        ))
}
