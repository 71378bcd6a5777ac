//! posnet's network doctor: why a terminal cannot reach its gateway.
//!
//! - [`facts`]: what each layer measured (interface, IP settings, DNS, TCP, TLS, the 0800
//!   echo, path quality). Plain data.
//! - [`verdict`]: the ordered reasoning from facts to one [`verdict::Finding`] with a stable
//!   [`cause::Cause`] id; pure, tested from hand-made facts.
//! - [`words`]: the finding in the seed's words with a concrete remedy, English or Chinese.
//! - [`report`]: verdict first, then the evidence per layer, as text or JSON.
//! - [`path`]: latency percentiles, jitter, loss and reconnects from a run of echoes.
//! - [`probe`]: the I/O that measures each layer (interface and routes, DNS through chosen
//!   servers, TCP with ICMP errors, TLS), behind a guard that refuses the root namespace.
//! - [`dns_wire`], [`packet`]: the small wire parsers the probes need, pure and tested.
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

pub mod cause;
pub mod dns_wire;
pub mod facts;
pub mod packet;
pub mod path;
pub mod probe;
pub mod report;
pub mod verdict;
pub mod words;

pub use cause::{Cause, Layer};
pub use facts::Facts;
pub use report::Report;
pub use verdict::{Finding, Thresholds, diagnose};
pub use words::Lang;
