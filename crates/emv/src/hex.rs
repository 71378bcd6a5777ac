//! Uppercase hex, for dumps and for the bit sets' text form.

use core::fmt::Write as _;

/// Bytes as uppercase hex, two digits each.
pub(crate) fn encode(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for b in value {
        let _ = write!(out, "{b:02X}");
    }
    out
}

/// A hex string (either case) as bytes; on failure, the character offset and the character
/// (`None` for an odd number of digits).
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, (usize, Option<char>)> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    let mut count = 0;
    for (i, c) in text.chars().enumerate() {
        let digit = c
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
            .ok_or((i, Some(c)))?;
        match high.take() {
            None => high = Some(digit),
            Some(h) => out.push((h << 4) | digit),
        }
        count = i + 1;
    }
    if high.is_some() {
        return Err((count, None));
    }
    Ok(out)
}
