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
//! The virtual EMV contact chip card (work in progress).

pub mod error;
pub mod keys;
pub mod profile;
pub mod rsa_key;
pub mod state;
mod t0;
pub mod vpcd;

/// A PAN shown as its first 6 and last 4 digits (the rest masked).
pub fn masked_pan(pan: &str) -> String {
    let n = pan.chars().count();
    if n <= 10 {
        return "*".repeat(n);
    }
    pan.chars()
        .enumerate()
        .map(|(i, c)| if i < 6 || i >= n - 4 { c } else { '*' })
        .collect()
}
pub mod app;
pub mod atr;
pub mod capk;
mod encode;
pub mod oda;
pub mod perso;
