//! ANSI X9 TR-31 (ASC X9.143) key blocks, versions B (TDES key derivation binding) and D (AES
//! key derivation binding).
//!
//! A key block is ASCII: a 16-character header, optional blocks, the encrypted key data in
//! hex and the MAC in hex. The key block protection key (KBPK) yields an encryption key (KBEK)
//! and an authentication key (KBAK) by CMAC; the MAC covers the header and the clear key data
//! and is the CBC IV of the encryption.

mod block;
mod derive;
mod header;

pub use block::{Unwrapped, unwrap, wrap};
pub use header::{
    Algorithm, Exportability, Header, KeyUsage, KeyVersion, ModeOfUse, OptionalBlock, Version,
};

use crate::cipher::CipherError;
use crate::key::KeyAlgorithm;

/// Why a key block could not be built or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tr31Error {
    /// Shorter than the 16-character header.
    #[error("key block is {len} characters; the header alone is 16")]
    TooShort {
        /// Length given.
        len: usize,
    },
    /// A byte that is not printable ASCII where text is required.
    #[error("byte at offset {offset} is not printable ASCII")]
    NotAscii {
        /// Offset of the byte.
        offset: usize,
    },
    /// Only versions B and D are supported.
    #[error("key block version '{found}' is not supported (B and D are)")]
    UnsupportedVersion {
        /// The version character.
        found: char,
    },
    /// A header field holds a value the standard does not define.
    #[error("header field {field} at offset {offset} is '{found}'; expected {expected}")]
    Field {
        /// The field name.
        field: &'static str,
        /// Offset in the key block.
        offset: usize,
        /// What was there.
        found: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// The length field disagrees with the data.
    #[error("key block length field says {declared} but the block is {actual} characters")]
    LengthMismatch {
        /// The header's length field.
        declared: usize,
        /// The actual length.
        actual: usize,
    },
    /// An optional block is malformed.
    #[error("optional block {index} ('{id}') at offset {offset}: {reason}")]
    OptionalBlock {
        /// Position (0-based) among the optional blocks.
        index: usize,
        /// Its ID, as far as it could be read.
        id: String,
        /// Offset of the block in the key block.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Encrypted key data and MAC must be hex.
    #[error("non-hex character at offset {offset} in the key data or MAC")]
    Hex {
        /// Offset in the key block.
        offset: usize,
    },
    /// Key data is not a whole number of cipher blocks, or leaves no room for the MAC.
    #[error(
        "key data is {len_bytes} bytes; version {version} needs a non-empty multiple of {block_len_bytes}"
    )]
    KeyDataLength {
        /// Version.
        version: char,
        /// Key data length.
        len_bytes: usize,
        /// Cipher block length.
        block_len_bytes: usize,
    },
    /// The KBPK does not fit the version.
    #[error("version {version} needs {expected} as KBPK; got a {len_bytes}-byte {algorithm:?} key")]
    Kbpk {
        /// Version.
        version: char,
        /// What it needs.
        expected: &'static str,
        /// The KBPK's algorithm.
        algorithm: KeyAlgorithm,
        /// Its length.
        len_bytes: usize,
    },
    /// The MAC does not verify: wrong KBPK, or the block was altered.
    #[error("key block MAC does not verify (wrong KBPK or altered block)")]
    MacMismatch,
    /// The decrypted key length field is impossible.
    #[error("decrypted key length is {bits} bits; {reason}")]
    KeyLength {
        /// Length field in bits.
        bits: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The block would exceed 9999 characters, or a field overflows its encoding.
    #[error("{what} is too long ({len})")]
    TooLong {
        /// What overflowed.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// A cipher step failed.
    #[error("TR-31 cipher step: {0}")]
    Cipher(#[from] CipherError),
}
