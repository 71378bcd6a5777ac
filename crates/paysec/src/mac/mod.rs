//! Message authentication codes: ISO/IEC 9797-1 MAC algorithms 1 and 3 and CMAC.

pub mod cmac;
pub mod iso9797;

use crate::cipher::CipherError;

/// Why a MAC could not be computed or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacError {
    /// The key cannot drive this MAC.
    #[error("MAC key: {0}")]
    Cipher(#[from] CipherError),
    /// Algorithm 3 needs a double-length key K || K'.
    #[error(
        "{algorithm} needs a {expected_len_bytes}-byte TDES key (K || K'); this key is {len_bytes} bytes"
    )]
    KeyLength {
        /// The MAC algorithm.
        algorithm: &'static str,
        /// What it needs.
        expected_len_bytes: usize,
        /// What was given.
        len_bytes: usize,
    },
    /// Truncation outside what the algorithm allows.
    #[error("MAC length {len_bytes} bytes is outside {min_bytes}..={max_bytes}")]
    MacLength {
        /// Length asked for.
        len_bytes: usize,
        /// Shortest allowed.
        min_bytes: usize,
        /// Longest allowed (the block length).
        max_bytes: usize,
    },
    /// The MAC received differs from the one computed.
    #[error("MAC does not verify")]
    Mismatch,
}

/// Compares without an early exit, so timing does not reveal how many leading bytes match.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a truncation length against 4..=block.
pub(crate) fn check_mac_len(len_bytes: usize, block_len: usize) -> Result<(), MacError> {
    if !(4..=block_len).contains(&len_bytes) {
        return Err(MacError::MacLength {
            len_bytes,
            min_bytes: 4,
            max_bytes: block_len,
        });
    }
    Ok(())
}
