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
//! EMV building blocks for posnet: BER-TLV coding (EMV Book 3, Annex B), the
//! data element dictionary (Annex A), DOLs (section 5.4), and the bit-level data elements of
//! Annex C (TVR, TSI, AIP, AUC, CVM).
//!
//! Everything here is pure: bytes in, values out, no I/O.

pub mod aip;
pub mod apdu;
pub mod auc;
pub mod bits;
pub mod cvm;
pub mod dol;
mod hex;
pub mod kernel;
pub mod tags;
pub mod tlv;
pub mod tvr;

pub use aip::{Aip, AipBit};
pub use auc::{Auc, AucBit};
pub use bits::BitsError;
pub use tlv::{Tag, TagClass, Tlv, TlvError, TlvErrorKind};
pub use tvr::{Tsi, TsiBit, Tvr, TvrBit};
