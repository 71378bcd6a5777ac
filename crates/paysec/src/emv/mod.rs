//! EMV card cryptography, issuer side (EMV 4.4 Book 2 Annex A1 and sections 8-9):
//! ICC master key derivation (options A and B), common session key derivation, application
//! cryptograms (ARQC, TC, AAC), ARPC methods 1 and 2, and the issuer script MAC.

pub mod cryptogram;
pub mod master_key;
pub mod session_key;

pub use cryptogram::{
    CryptogramPadding, generate_ac, generate_arpc_method1, generate_arpc_method2,
    issuer_script_mac, verify_ac,
};
pub use master_key::{derive_icc_master_key_a, derive_icc_master_key_b};
pub use session_key::{ac_diversification, derive_common_session_key};

use crate::cipher::CipherError;
use crate::digits::PanError;
use crate::mac::MacError;

/// Why an EMV computation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmvError {
    /// The key is not a double-length TDES key.
    #[error("{step} needs a 16-byte TDES key; got a {len_bytes}-byte {algorithm:?} key")]
    KeyKind {
        /// The step.
        step: &'static str,
        /// The key's algorithm.
        algorithm: crate::key::KeyAlgorithm,
        /// The key's length.
        len_bytes: usize,
    },
    /// The PAN sequence number is not 0-99.
    #[error("PAN sequence number {0} is not 00-99")]
    PanSequenceNumber(u8),
    /// The PAN is unusable.
    #[error("PAN: {0}")]
    Pan(#[from] PanError),
    /// A field has the wrong length.
    #[error("{field} is {len_bytes} bytes; expected {expected}")]
    FieldLength {
        /// The field.
        field: &'static str,
        /// Its length.
        len_bytes: usize,
        /// What it must be.
        expected: &'static str,
    },
    /// A cipher step failed.
    #[error("EMV cipher step: {0}")]
    Cipher(#[from] CipherError),
    /// A MAC step failed (includes a cryptogram that does not verify).
    #[error("EMV MAC: {0}")]
    Mac(#[from] MacError),
}

/// Returns the 16 key bytes, or the error naming the step.
pub(crate) fn double_length(
    step: &'static str,
    key: &crate::key::SecretKey,
) -> Result<[u8; 16], EmvError> {
    match (key.algorithm(), <[u8; 16]>::try_from(key.as_bytes())) {
        (crate::key::KeyAlgorithm::Tdes, Ok(b)) => Ok(b),
        _ => Err(EmvError::KeyKind {
            step,
            algorithm: key.algorithm(),
            len_bytes: key.len(),
        }),
    }
}
