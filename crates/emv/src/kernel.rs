//! The terminal's EMV contact kernel (EMV Book 3 sections 10–11 and Book 4), sans-I/O.
//!
//! [`Kernel`] is a state machine: [`Kernel::start`] gives the first [`Step`]; each step is a
//! command APDU to send to the card, a question for the caller (which application, a PIN, the
//! host's answer to an authorisation request) or the final [`Outcome`]. The caller answers
//! with [`Kernel::card_response`], [`Kernel::application_chosen`], [`Kernel::pin_entered`] or
//! [`Kernel::online_response`]. Nothing here blocks, sleeps or does I/O; T=0 procedure bytes
//! (61xx, 6Cxx) are handled inside.
//!
//! ```
//! use emv::kernel::{Kernel, RandomSource, Step, TerminalConfig, Transaction};
//! # use emv::kernel::{Date, TransactionType, TransactionResult, Reason};
//! struct Fixed;
//! impl RandomSource for Fixed {
//!     fn next_u32(&mut self) -> u32 { 0x1122_3344 }
//! }
//! # let config = TerminalConfig { terminal_type: 0x22, capabilities: [0xE0, 0xF8, 0xC8],
//! #     additional_capabilities: [0x60, 0, 0xF0, 0xA0, 0x01], country_code: [0x08, 0x26],
//! #     ifd_serial: *b"POSNET01", merchant_category_code: [0x59, 0x99], use_pse: true,
//! #     cardholder_selection: false, aids: Vec::new(), capks: Vec::new() };
//! # let transaction = Transaction { amount_minor: 1500, other_amount_minor: 0,
//! #     currency_code: [0x08, 0x26], currency_exponent: 2,
//! #     date: Date { year: 2026, month: 11, day: 24 }, time: [0x12, 0, 0],
//! #     kind: TransactionType::Purchase, sequence_counter: [0, 0, 0, 1], force_online: false };
//! // A "card" that knows no application at all.
//! let card = |_apdu: &[u8]| vec![0x6A, 0x82];
//! let mut kernel = Kernel::new(config, transaction, Box::new(Fixed));
//! let mut step = kernel.start()?;
//! let outcome = loop {
//!     step = match step {
//!         Step::Send(command) => kernel.card_response(&card(&command.to_bytes()?))?,
//!         Step::Done(outcome) => break outcome,
//!         // A real terminal asks the cardholder, the PIN pad or the host here.
//!         Step::ChooseApplication(_) => kernel.application_chosen(0)?,
//!         Step::EnterPin(_) => kernel.pin_entered(emv::kernel::PinEntry::Bypassed)?,
//!         Step::GoOnline(_) => kernel.online_response(None)?,
//!     };
//! };
//! assert_eq!(outcome.result, TransactionResult::Terminated);
//! assert_eq!(outcome.reason, Some(Reason::NoMutualApplication));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod completion;
mod config;
mod cvm_flow;
mod data;
pub mod fallback;
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
