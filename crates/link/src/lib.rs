//! posnet's network adapter: ISO 8583 frames over TLS 1.3 with tokio.
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

pub mod civil;
pub mod der;
pub mod echo;
pub mod frame_buf;
pub mod identity;
pub mod matcher;
pub mod shutdown;

pub use identity::IdentityError;
pub use matcher::{MatchKey, Matcher};
pub use shutdown::{Shutdown, ShutdownTrigger, shutdown_pair};
