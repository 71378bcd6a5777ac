//! Payment cryptography for posnet: the software HSM's building blocks.
//!
//! Pure functions over bytes, no I/O. Randomness (PIN block fill, TR-31 padding) comes from a
//! caller-supplied [`ByteSource`], so every result is reproducible in tests.
//!
//! - [`key`], [`cipher`], [`kcv`], [`parity`], [`variant`]: keys and primitives (TDES, AES, ECB, CBC).
//! - [`pinblock`]: ISO 9564-1 PIN blocks, formats 0, 1, 3 and 4.
//! - [`dukpt`]: ANSI X9.24-1 TDES DUKPT and ANSI X9.24-3 AES DUKPT.
//! - [`pinverify`]: IBM 3624 PIN offsets, Visa PVV, CVV/CVV2/iCVV.
//! - [`mac`]: ISO 9797-1 MAC algorithms 1 and 3 (ANSI X9.19 retail MAC) and CMAC.
//! - [`tr31`]: ANSI X9 TR-31 key blocks, versions B and D.
//! - [`emv`]: EMV Book 2 Annex A1 key derivations, application cryptograms, ARPC, script MAC.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![forbid(unsafe_code)]

pub mod cipher;
pub mod digits;
pub mod dukpt;
pub mod emv;
pub mod hex;
pub mod hmac;
pub mod kcv;
pub mod key;
pub mod mac;
pub mod parity;
pub mod pinblock;
pub mod pinverify;
pub mod rng;
pub mod tr31;
pub mod variant;

pub use digits::{Pan, PanError, Pin, PinError};
pub use key::{KeyAlgorithm, KeyError, SecretKey};
pub use rng::ByteSource;
