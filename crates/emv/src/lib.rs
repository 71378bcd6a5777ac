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
//! EMV building blocks for posnet: BER-TLV coding (EMV Book 3, Annex B) and the
//! data element dictionary (Annex A), and DOLs (section 5.4).
//!
//! Everything here is pure: bytes in, values out, no I/O.

pub mod dol;
pub mod tags;
pub mod tlv;

pub use tlv::{Tag, TagClass, Tlv, TlvError, TlvErrorKind};
