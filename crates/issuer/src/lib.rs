//! posnet's issuer: the authorization host's decisions over the two-phase ledger, sans-I/O.
//!
//! - [`Config`]: the TOML config (listener, TLS paths, BIN ranges, test cards, merchants).
//! - [`Issuer`]: requests (ISO 8583 frames) in, answers out; every decision is recorded in the
//!   ledger batch it is made in, and a repeat of a request gets the first answer byte for byte.
//! - [`audit`]: the ledger's audit plus the issuer's own: every movement of money backed by an
//!   approval, every hold matching the approval that made it.
//! - [`security`]: the issuer's HSM ([`Security`]): PIN verification (field 52 under the zone
//!   PIN key generation of field 53), the zone key change (0800, 161), and the set-up helpers
//!   that provision the HSM and personalise cards.
//!
//! The TLS server is an adapter around this crate; it owns sockets, clock and the ledger thread.
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

pub mod audit;
pub mod auth_code;
mod book;
pub mod chart;
pub mod config;
mod decide;
mod error;
mod issuer;
pub mod key;
pub mod pan;
mod request;
mod respond;
pub mod security;
pub mod server;
pub mod time;

pub use audit::{IssuerAudit, IssuerViolation};
pub use book::{Book, SetUpReport};
pub use config::{
    CardConfig, CardStatus, Config, ConfigError, MerchantConfig, PinCheck, SecurityConfig, TxnKind,
};
pub use error::IssuerError;
pub use issuer::{Answer, Disposition, Issuer};
pub use pan::Pan;
pub use security::Security;
pub use time::{Expiry, UnixTime};
