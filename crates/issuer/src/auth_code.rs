//! Authorization codes (field 38): six characters, unique for the first 36^6 approvals.
//!
//! The n-th approval's code is `(n·A + B) mod 36^6` written in base 36. With A coprime to 36
//! the map is a bijection on 0..36^6, so codes never repeat until the sequence wraps, yet they
//! do not read as a counter on a receipt.

/// Number of distinct codes: 36^6.
pub const CODES: u64 = 2_176_782_336;
/// Multiplier, a prime coprime to 36.
const A: u64 = 1_299_709;
/// Offset.
const B: u64 = 1_000_003;
const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The authorization code of the `sequence`-th approval.
pub fn auth_code(sequence: u64) -> String {
    let n = u128::from(sequence % CODES);
    let mut x = ((n * u128::from(A) + u128::from(B)) % u128::from(CODES)) as u64;
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET.get((x % 36) as usize).copied().unwrap_or(b'0');
        x /= 36;
    }
    out.iter().map(|b| char::from(*b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        // Computed independently: (n*1299709 + 1000003) mod 36**6 in base 36, in Python.
        assert_eq!(auth_code(1), "01DAGW");
        assert_eq!(auth_code(2), "0255BX");
        assert_eq!(auth_code(CODES), "00LFLV");
    }

    #[test]
    fn no_repeats_in_a_long_run() {
        let mut seen = std::collections::HashSet::new();
        for n in 1..=200_000u64 {
            let code = auth_code(n);
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_alphanumeric()));
            assert!(seen.insert(code), "repeat at {n}");
        }
    }
}
