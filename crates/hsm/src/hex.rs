//! Hex text for check values, the master key file and the store's MAC line.

/// Upper-case hex of `bytes`.
pub(crate) fn encode_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for n in [b >> 4, b & 0x0F] {
            out.push(char::from(
                DIGITS.get(usize::from(n)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes hex text; on failure, the offset of the first bad character (the length when odd).
pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, usize> {
    if !text.len().is_multiple_of(2) {
        return Err(text.len());
    }
    let (pairs, _) = text.as_chunks::<2>();
    pairs
        .iter()
        .enumerate()
        .map(|(i, [h, l])| match (nibble(*h), nibble(*l)) {
            (Some(h), Some(l)) => Ok((h << 4) | l),
            (None, _) => Err(2 * i),
            (_, None) => Err(2 * i + 1),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        assert_eq!(encode_upper(&[0x0A, 0xFF, 0x10]), "0AFF10");
        assert_eq!(decode(b"0aff10").unwrap(), vec![0x0A, 0xFF, 0x10]);
        assert_eq!(decode(b"0G"), Err(1));
        assert_eq!(decode(b"abc"), Err(3));
    }
}
