//! Hex text for the few places the standards carry binary as ASCII hex (TR-31, KCV display).

/// Upper-case hex of `bytes`.
pub fn encode_upper(bytes: &[u8]) -> String {
    let digit = |n: u8| char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 });
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0F));
    }
    out
}

/// Value of one ASCII hex digit (either case).
pub fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes hex text; on failure returns the offset of the first bad character (or the length
/// when it is odd).
pub fn decode(text: &[u8]) -> Result<Vec<u8>, usize> {
    if !text.len().is_multiple_of(2) {
        return Err(text.len());
    }
    let (pairs, _) = text.as_chunks::<2>();
    let mut out = Vec::with_capacity(pairs.len());
    for (i, [hi, lo]) in pairs.iter().enumerate() {
        let h = nibble(*hi).ok_or(i * 2)?;
        let l = nibble(*lo).ok_or(i * 2 + 1)?;
        out.push((h << 4) | l);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        assert_eq!(encode_upper(&[0x00, 0xAB, 0x7f]), "00AB7F");
        assert_eq!(decode(b"00ab7F"), Ok(vec![0x00, 0xAB, 0x7F]));
        assert_eq!(decode(b"0G"), Err(1));
        assert_eq!(decode(b"ABC"), Err(3));
    }
}
