//! Secret keys: a length-checked byte string tagged with the algorithm it is for.
//!
//! The bytes are wiped on drop and never printed: `Debug` shows the algorithm, the length and
//! the key check value (KCV), which is what operators compare when keys are exchanged.

use core::fmt;

use zeroize::Zeroize;

use crate::kcv::{KcvMethod, kcv};

/// Longest key held: AES-256 (and 256-bit HMAC keys).
const MAX_KEY_LEN: usize = 32;

/// The algorithm a key is meant for; it decides the block cipher, the KCV method and which
/// lengths are legal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// TDEA (Triple DES, EDE): 8 bytes (single DES, K1 = K2 = K3), 16 (2-key) or 24 (3-key).
    Tdes,
    /// AES-128, AES-192 or AES-256.
    Aes,
    /// An HMAC key (as derived by AES DUKPT): 16, 24 or 32 bytes.
    Hmac,
}

impl KeyAlgorithm {
    /// Key lengths in bytes this algorithm accepts.
    pub const fn allowed_lengths(self) -> &'static [usize] {
        match self {
            KeyAlgorithm::Tdes => &[8, 16, 24],
            KeyAlgorithm::Aes | KeyAlgorithm::Hmac => &[16, 24, 32],
        }
    }

    /// The cipher's block length in bytes (`None` for HMAC keys, which are not cipher keys).
    pub const fn block_len(self) -> Option<usize> {
        match self {
            KeyAlgorithm::Tdes => Some(8),
            KeyAlgorithm::Aes => Some(16),
            KeyAlgorithm::Hmac => None,
        }
    }
}

/// Why a key could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The byte string has a length the algorithm does not define.
    #[error("{algorithm:?} key is {len_bytes} bytes; allowed lengths are {allowed:?}")]
    BadLength {
        /// The algorithm asked for.
        algorithm: KeyAlgorithm,
        /// The length given.
        len_bytes: usize,
        /// The lengths the algorithm accepts.
        allowed: &'static [usize],
    },
}

/// A symmetric key that zeroizes on drop and whose `Debug` shows only its length and KCV.
pub struct SecretKey {
    algorithm: KeyAlgorithm,
    len: usize,
    bytes: [u8; MAX_KEY_LEN],
}

impl SecretKey {
    /// Builds a key for `algorithm` from `bytes`, checking the length.
    pub fn new(algorithm: KeyAlgorithm, bytes: &[u8]) -> Result<Self, KeyError> {
        let allowed = algorithm.allowed_lengths();
        if !allowed.contains(&bytes.len()) {
            return Err(KeyError::BadLength {
                algorithm,
                len_bytes: bytes.len(),
                allowed,
            });
        }
        let mut buf = [0u8; MAX_KEY_LEN];
        let len = bytes.len();
        if let Some(dst) = buf.get_mut(..len) {
            dst.copy_from_slice(bytes);
        }
        Ok(SecretKey {
            algorithm,
            len,
            bytes: buf,
        })
    }

    /// A TDES key (8, 16 or 24 bytes).
    pub fn tdes(bytes: &[u8]) -> Result<Self, KeyError> {
        Self::new(KeyAlgorithm::Tdes, bytes)
    }

    /// An AES key (16, 24 or 32 bytes).
    pub fn aes(bytes: &[u8]) -> Result<Self, KeyError> {
        Self::new(KeyAlgorithm::Aes, bytes)
    }

    /// An HMAC key (16, 24 or 32 bytes).
    pub fn hmac(bytes: &[u8]) -> Result<Self, KeyError> {
        Self::new(KeyAlgorithm::Hmac, bytes)
    }

    /// The algorithm this key is for.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: no algorithm has empty keys. Present because `len` is.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The raw key bytes. Handle with care: copies are not zeroized by this type.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// The same bytes tagged with another algorithm (e.g. a DUKPT-derived key used for HMAC).
    pub fn retag(&self, algorithm: KeyAlgorithm) -> Result<Self, KeyError> {
        Self::new(algorithm, self.as_bytes())
    }

    /// A copy whose bytes have been changed by `f` (length and algorithm kept).
    pub(crate) fn map_bytes(&self, f: impl FnOnce(&mut [u8])) -> SecretKey {
        let mut out = self.clone();
        if let Some(b) = out.bytes.get_mut(..out.len) {
            f(b);
        }
        out
    }

    /// Constant-time comparison of two keys' algorithm and bytes.
    pub fn ct_eq(&self, other: &SecretKey) -> bool {
        if self.algorithm != other.algorithm || self.len != other.len {
            return false;
        }
        self.as_bytes()
            .iter()
            .zip(other.as_bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl Clone for SecretKey {
    fn clone(&self) -> Self {
        SecretKey {
            algorithm: self.algorithm,
            len: self.len,
            bytes: self.bytes,
        }
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = match self.algorithm {
            KeyAlgorithm::Aes => Some(KcvMethod::Cmac),
            KeyAlgorithm::Tdes => Some(KcvMethod::Legacy),
            KeyAlgorithm::Hmac => None,
        };
        let kcv_text = method
            .and_then(|m| kcv(self, m).ok())
            .map(|k| crate::hex::encode_upper(&k))
            .unwrap_or_else(|| "n/a".to_string());
        f.debug_struct("SecretKey")
            .field("algorithm", &self.algorithm)
            .field("len_bits", &(self.len * 8))
            .field("kcv", &kcv_text)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_lengths_with_the_length_in_the_error() {
        assert_eq!(
            SecretKey::tdes(&[0u8; 15]).unwrap_err(),
            KeyError::BadLength {
                algorithm: KeyAlgorithm::Tdes,
                len_bytes: 15,
                allowed: &[8, 16, 24]
            }
        );
        assert!(SecretKey::aes(&[0u8; 8]).is_err());
        assert!(SecretKey::aes(&[0u8; 32]).is_ok());
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let key =
            SecretKey::tdes(&hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap()).unwrap();
        let text = format!("{key:?}");
        assert!(!text.contains("0123456789"), "{text}");
        assert!(!text.to_lowercase().contains("0123"), "{text}");
        // KCV of this key is 08D7B4 (psec docs give its first two bytes, 08D7).
        assert!(text.contains("08D7B4"), "{text}");
        assert!(text.contains("128"), "{text}");
    }

    #[test]
    fn ct_eq_compares_bytes_and_algorithm() {
        let a = SecretKey::aes(&[1u8; 16]).unwrap();
        let b = SecretKey::tdes(&[1u8; 16]).unwrap();
        assert!(a.ct_eq(&a.clone()));
        assert!(!a.ct_eq(&b));
        assert!(!a.ct_eq(&SecretKey::aes(&[2u8; 16]).unwrap()));
    }
}
