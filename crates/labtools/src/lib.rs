//! Helpers for posnet's network lab (`lab/run`). Each binary does one job inside a lab
//! namespace and is bounded in time and work:
//!
//! - `labpki DIR`: the lab's CA, the gateway's and issuer's server certificate (for the lab
//!   names), the terminal's and the gateway's client certificates, and three rogue server
//!   certificates (self-signed, wrong name, expired) for the TLS scenarios.
//! - `portal --listen IP:PORT --seconds N`: a captive portal: answers anything with a plain
//!   HTTP redirect, as a suspended line's operator does.
//! - `blast --to IP:PORT --kbit N --seconds S`: a bulk UDP flow at a fixed rate (congestion).
//! - `nfqdelay --queue N --delay-ms D --jitter-ms J`: delay and jitter through an NFQUEUE
//!   (this kernel has no netem).
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

pub mod args;
pub mod rogue;
