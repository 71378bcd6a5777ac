//! Hexadecimal text, as dumps and hex-encoded fields use it.

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// The uppercase hex digit of the low nibble of `n`.
#[inline(always)]
fn digit(n: u8) -> u8 {
    DIGITS.get(usize::from(n & 0xF)).copied().unwrap_or(b'0')
}

/// Uppercase hex of `bytes`.
pub fn encode_upper(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(digit(b >> 4) as char);
        s.push(digit(*b) as char);
    }
    s
}

/// Appends the uppercase hex of `bytes` to `out`.
#[inline]
pub(crate) fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    for b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(*b));
    }
}

/// The value of one hex digit (either case).
#[inline]
pub(crate) fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Why hex text could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HexError {
    /// An odd number of digits.
    OddLength(usize),
    /// A character that is not a hex digit, at this position.
    BadDigit { position: usize, byte: u8 },
}

impl std::fmt::Display for HexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HexError::OddLength(n) => write!(f, "hex text has an odd number of digits ({n})"),
            HexError::BadDigit { position, byte } => {
                write!(
                    f,
                    "byte {byte:#04x} at position {position} is not a hex digit"
                )
            }
        }
    }
}

impl std::error::Error for HexError {}

/// Decodes hex text (either case), appending to `out`.
pub fn decode_into(text: &[u8], out: &mut Vec<u8>) -> Result<(), HexError> {
    if !text.len().is_multiple_of(2) {
        return Err(HexError::OddLength(text.len()));
    }
    for (i, pair) in text.chunks_exact(2).enumerate() {
        let &[h, l] = pair else { continue };
        let hi = nibble(h).ok_or(HexError::BadDigit {
            position: 2 * i,
            byte: h,
        })?;
        let lo = nibble(l).ok_or(HexError::BadDigit {
            position: 2 * i + 1,
            byte: l,
        })?;
        out.push(hi << 4 | lo);
    }
    Ok(())
}

/// Decodes hex text, ignoring ASCII white space (for text users paste).
pub fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(compact.len() / 2);
    decode_into(&compact, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        assert_eq!(encode_upper(&[0x00, 0xAB, 0x7f]), "00AB7F");
        assert_eq!(decode("00ab 7F").unwrap(), vec![0x00, 0xAB, 0x7F]);
        assert_eq!(decode("ABC"), Err(HexError::OddLength(3)));
        assert_eq!(
            decode("0G"),
            Err(HexError::BadDigit {
                position: 1,
                byte: b'G'
            })
        );
    }
}
