//! The POS terminal's core, sans I/O: builds each ISO 8583 request exactly as
//! `docs/protocol.md` lists it, checks and reads the answers, and runs each transaction against
//! a [`Driver`] (the adapter's link, clock and timer). Beside it, the one piece that touches
//! files: the [`journal`], which makes the terminal own the recovery of its requests across
//! crashes and restarts. Chip cards: [`chip`] drives the EMV kernel (`emv::kernel`) against a
//! [`reader::CardReader`] — the in-process virtual card, or PC/SC with the `pcsc` feature.

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

pub mod card;
pub mod chip;
pub mod clock;
pub mod config;
pub mod driver;
pub mod flow;
pub mod journal;
pub mod net;
#[cfg(feature = "pcsc")]
pub mod pcsc_reader;
pub mod pinpad;
pub mod print;
pub mod reader;
pub mod request;
pub mod response;
pub mod result;
pub mod stan;
pub mod totals;
pub mod txn;

pub use card::{Card, EntryMode, Pan};
pub use chip::{Cardholder, ChipResult};
pub use clock::Now;
pub use config::Config;
/// CRC-32 (ISO-HDLC, as zlib) of the journal records.
pub use crc32fast::hash as crc32;
pub use driver::{Driver, SendError};
pub use flow::{FlowError, RetryPolicy, Terminal};
pub use journal::{Journal, JournalError, Record};
pub use reader::{CardReader, InProcessReader, ReaderError};
pub use request::Acceptor;
pub use result::{Origin, Recovery, TransactionResult};
pub use stan::Stan;
pub use totals::BatchTotals;
pub use txn::{RequestRecord, TxnKind};
