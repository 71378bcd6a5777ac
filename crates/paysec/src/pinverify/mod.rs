//! PIN and card verification values: IBM 3624 PIN offsets, Visa PVV, and CVV/CVV2/iCVV.

pub mod cvv;
pub mod ibm3624;
pub mod pvv;

use crate::cipher::CipherError;
use crate::digits::PanError;

/// Why a verification value could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The key cannot be used.
    #[error("verification key: {0}")]
    Cipher(#[from] CipherError),
    /// The key is not the length the algorithm defines.
    #[error("{algorithm} needs a {expected} key; this one is {len_bytes} bytes")]
    KeyLength {
        /// The algorithm.
        algorithm: &'static str,
        /// What it needs.
        expected: &'static str,
        /// What was given.
        len_bytes: usize,
    },
    /// The PAN is unusable for this algorithm.
    #[error("PAN: {0}")]
    Pan(#[from] PanError),
    /// A decimal field has the wrong length or a non-digit.
    #[error("{field} must be {expected}; got {len} characters{}", match .bad_offset { Some(o) => format!(", non-digit at offset {o}"), None => String::new() })]
    Field {
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
        /// Its length.
        len: usize,
        /// First offending character, if any.
        bad_offset: Option<usize>,
    },
    /// The validation data window does not lie inside the PAN.
    #[error("validation data window {start}..{end} is outside the {pan_len}-digit PAN")]
    Window {
        /// Start offset.
        start: usize,
        /// End offset.
        end: usize,
        /// PAN length.
        pan_len: usize,
    },
    /// The value presented does not match.
    #[error("{what} does not verify")]
    Mismatch {
        /// What failed.
        what: &'static str,
    },
}

/// Parses an ASCII decimal field of exactly `lens` digits.
pub(crate) fn decimal_field(
    field: &'static str,
    expected: &'static str,
    text: &str,
    lens: core::ops::RangeInclusive<usize>,
) -> Result<Vec<u8>, VerifyError> {
    let bad_offset = text.bytes().position(|b| !b.is_ascii_digit());
    if !lens.contains(&text.len()) || bad_offset.is_some() {
        return Err(VerifyError::Field {
            field,
            expected,
            len: text.len(),
            bad_offset,
        });
    }
    Ok(text.bytes().map(|b| b - b'0').collect())
}

/// Compares digit strings without an early exit.
pub(crate) fn ct_eq_digits(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn digits_to_string(d: &[u8]) -> String {
    d.iter().map(|x| char::from(b'0' + x)).collect()
}
