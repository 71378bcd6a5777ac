//! DES odd parity: each key byte's low bit makes its count of 1 bits odd.

use crate::key::SecretKey;

/// A key byte without odd parity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key byte at offset {offset} (0x{byte:02X}) does not have odd parity")]
pub struct ParityError {
    /// Offset of the first offending byte.
    pub offset: usize,
    /// Its value.
    pub byte: u8,
}

/// True when `byte` has an odd number of 1 bits.
pub const fn has_odd_parity(byte: u8) -> bool {
    byte.count_ones() % 2 == 1
}

/// Checks every byte; names the first one that fails.
pub fn check_odd_parity(bytes: &[u8]) -> Result<(), ParityError> {
    match bytes.iter().position(|b| !has_odd_parity(*b)) {
        Some(offset) => Err(ParityError {
            offset,
            byte: bytes.get(offset).copied().unwrap_or_default(),
        }),
        None => Ok(()),
    }
}

/// Flips the low bit of every byte that lacks odd parity.
pub fn fix_odd_parity(bytes: &mut [u8]) {
    for b in bytes {
        if !has_odd_parity(*b) {
            *b ^= 1;
        }
    }
}

impl SecretKey {
    /// A copy of this key with odd parity forced on every byte.
    pub fn with_odd_parity(&self) -> SecretKey {
        self.map_bytes(fix_odd_parity)
    }

    /// Checks that every byte of the key has odd parity.
    pub fn check_odd_parity(&self) -> Result<(), ParityError> {
        check_odd_parity(self.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixes_parity_like_psec_docs() {
        // psec.des.adjust_key_parity docs: 1A2B3C4D5F0A1B2C4D5F6A7B8C9D0F1A → 1A2A3D4C5E0B1A2C4C5E6B7A8C9D0E1A.
        let mut k = hex::decode("1A2B3C4D5F0A1B2C4D5F6A7B8C9D0F1A").unwrap();
        assert_eq!(
            check_odd_parity(&k),
            Err(ParityError {
                offset: 1,
                byte: 0x2B
            })
        );
        fix_odd_parity(&mut k);
        assert_eq!(hex::encode_upper(&k), "1A2A3D4C5E0B1A2C4C5E6B7A8C9D0E1A");
        assert_eq!(check_odd_parity(&k), Ok(()));
    }

    #[test]
    fn every_byte_value() {
        for b in 0..=255u8 {
            let mut x = [b];
            fix_odd_parity(&mut x);
            assert!(has_odd_parity(x[0]));
            assert_eq!(x[0] & 0xFE, b & 0xFE, "only the low bit may change");
        }
    }
}
