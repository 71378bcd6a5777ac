//! A fault-injecting TCP proxy for testing posnet (and anything else that speaks TCP): latency
//! and jitter, dropped and reset connections, blackholes, partitions, slow reads, truncated and
//! corrupted frames — by flags or a schedule, and deterministic for a given seed.
//!
//! The decisions ([`decide`]) are pure and tested without a network; [`proxy`] is the tokio
//! adapter that applies them.

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

pub mod decide;
pub mod plan;
pub mod proxy;
pub mod rng;
pub mod stats;

pub use plan::{Direction, Fault, Plan, Rule};
pub use proxy::{Config, Control, Cut, run};
pub use stats::{Snapshot, Stats};
