//! DUKPT (Derived Unique Key Per Transaction): every transaction of a PIN pad uses a key no
//! other transaction uses, derivable by the host from a base derivation key (BDK) and the
//! key serial number (KSN) sent with the transaction.
//!
//! - [`tdes`]: ANSI X9.24-1:2009 (2-key TDES, 10-byte KSN, 21-bit counter).
//! - [`aes`]: ANSI X9.24-3:2017 (AES BDK, 12-byte KSN, 32-bit counter).

pub mod aes;
pub mod tdes;

use crate::cipher::CipherError;

/// Why a DUKPT operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DukptError {
    /// The KSN is not the standard's length.
    #[error("KSN is {len_bytes} bytes; {scheme} uses {expected_bytes}")]
    KsnLength {
        /// Which DUKPT.
        scheme: &'static str,
        /// Length given.
        len_bytes: usize,
        /// Length required.
        expected_bytes: usize,
    },
    /// The key is not the kind or length this step needs.
    #[error("{step}: key must be {expected}; got a {len_bytes}-byte {algorithm:?} key")]
    KeyKind {
        /// The derivation step.
        step: &'static str,
        /// What it needs.
        expected: &'static str,
        /// The key's algorithm.
        algorithm: crate::key::KeyAlgorithm,
        /// The key's length.
        len_bytes: usize,
    },
    /// The counter cannot be used (zero, too many 1 bits, out of range).
    #[error("transaction counter 0x{counter:X} is not valid: {reason}")]
    Counter {
        /// The counter.
        counter: u64,
        /// Why.
        reason: &'static str,
    },
    /// No further counter exists: the device must be re-injected.
    #[error("KSN counter exhausted at 0x{counter:X}; the device needs a new initial key")]
    Exhausted {
        /// The last counter.
        counter: u64,
    },
    /// A working key of this type cannot be derived from this initial key (it would be
    /// stronger than its parent).
    #[error("a {requested} working key cannot be derived from a {parent_bits}-bit derivation key")]
    TooStrong {
        /// The requested key type.
        requested: &'static str,
        /// The derivation key's size.
        parent_bits: usize,
    },
    /// A cipher step failed.
    #[error("DUKPT cipher step: {0}")]
    Cipher(#[from] CipherError),
    /// A PIN block step failed.
    #[error("DUKPT PIN block: {0}")]
    PinBlock(#[from] crate::pinblock::PinBlockError),
    /// A MAC step failed.
    #[error("DUKPT MAC: {0}")]
    Mac(#[from] crate::mac::MacError),
}
