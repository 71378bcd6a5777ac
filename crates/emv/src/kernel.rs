//! The terminal's EMV contact kernel (EMV Book 3 sections 10–11 and Book 4), sans-I/O.
//!
//! [`Kernel`] is a state machine: [`Kernel::start`] gives the first [`Step`]; each step is a
//! command APDU to send to the card, a question for the caller (which application, a PIN, the
//! host's answer to an authorisation request) or the final [`Outcome`]. The caller answers
//! with [`Kernel::card_response`], [`Kernel::application_chosen`], [`Kernel::pin_entered`] or
//! [`Kernel::online_response`]. Nothing here blocks, sleeps or does I/O; T=0 procedure bytes
//! (61xx, 6Cxx) are handled inside.

mod completion;
mod config;
mod cvm_flow;
mod data;
mod machine;
pub mod oda;
mod outcome;
mod processing;
mod risk;
mod rsa_raw;
mod selection;
mod step;

pub use config::{
    AidConfig, Capk, Date, RandomSource, TerminalConfig, Transaction, TransactionType,
};
pub use machine::{Kernel, KernelError};
pub use oda::OdaError;
pub use outcome::{Outcome, Reason, TransactionResult};
pub use step::{Candidate, HostResponse, OnlineRequest, PinEntry, PinRequest, Step};
