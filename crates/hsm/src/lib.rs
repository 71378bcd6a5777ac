//! posnet's HSM (hardware security module) boundary: the [`Hsm`] trait, the commands a
//! gateway and an issuer send to an HSM, and [`SoftHsm`], a software implementation.
//!
//! Keys are named, never handed out: callers send PIN blocks, MACs and cryptograms and get
//! back translated blocks and verdicts. `SoftHsm` keeps its keys in a store file sealed under a
//! local master key kept in its own file (mode 0600); see [`store`] for the
//! format and why it was chosen. The cryptography itself is `paysec`'s.
//!
//! - [`api`]: the trait and its request types.
//! - [`usage`]: which TR-31 key usages and modes of use each command accepts.
//! - [`SoftHsm`]: the implementation; [`MasterKey`]: the local master key.
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

pub mod api;
mod error;
mod files;
#[doc(hidden)]
pub mod fuzzing;
mod master;
mod pinpad;
mod random;
mod soft;
pub mod store;
pub mod usage;

pub use api::{
    AesWorkingKey, ArpcMethod, CardKeyRef, CheckValue, Direction, DukptRef, Hsm,
    IccMasterKeyOption, KeyInfo, MacAlgorithm, MacKeyRef, PinBlockRef, PinKeyRef, PinZoneRef,
    ScriptKeyRef, SessionKeyDerivation,
};
pub use error::HsmError;
pub use files::{MASTER_KEY_FILE, STORE_FILE};
pub use master::MasterKey;
pub use random::os_random;
pub use soft::SoftHsm;
pub use usage::{KeyAttributes, parse_usage, usage_code, usage_name};
