//! Receipts for posnet: what the terminal prints after step 6 of the flow.
//!
//! - [`escpos`]: a builder of ESC/POS bytes (Epson's command set for receipt printers).
//! - [`decode`]: ESC/POS bytes back into lines of text with their alignment and style.
//!
//! No I/O here.

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

pub mod decode;
pub mod escpos;

pub use decode::{DecodeError, Decoded, Line};
pub use escpos::{Align, EscPos, EscPosError};
