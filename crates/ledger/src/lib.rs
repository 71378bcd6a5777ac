//! posnet's issuer ledger: two-phase, double-entry, durable and idempotent, modelled on
//! TigerBeetle's accounts and transfers.
//!
//! - [`core`]: records and rules, no I/O. Time is always an input (`now_ns`).
//! - [`Ledger`] + [`Batch`]: the rules over a [`Storage`] ([`MemoryStorage`] or SQLite), with
//!   idempotent [`Decision`]s keyed by request.
//! - [`Committer`]: a thread owning the ledger that group-commits decisions (one fsync per batch).
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

mod batch;
pub mod committer;
pub mod core;
mod decision;
mod error;
mod ledger;
pub mod storage;

pub use batch::{Batch, CommitSummary};
pub use committer::{
    Clock, Committer, CommitterConfig, CommitterError, CommitterStats, DecisionError,
    DecisionReply, NoAnswer, Reply, Request, Respond, SubmitError, SystemClock,
};
pub use core::account::{Account, AccountFlags};
pub use core::audit::{AuditReport, Auditor, LedgerTotals, Phase, VIOLATIONS_MAX, Violation};
pub use core::hold::{Hold, HoldStatus};
pub use core::reject::{
    AccountError, AccountOutcome, AccountRejected, Applied, AppliedTransfer, TransferError,
    TransferOutcome, TransferRejected,
};
pub use core::transfer::{AMOUNT_POST_FULL, Transfer, TransferFlags, TransferKind};
pub use core::transfer_rules::Inconsistency;
pub use decision::{
    COUNT_MAX_CEILING, Decision, DecisionOutcome, Limits, RESPONSE_MAX_BYTES_CEILING, RequestKey,
};
pub use error::{LedgerError, StorageError};
pub use ledger::Ledger;
pub use storage::memory::MemoryStorage;
pub use storage::sqlite::SqliteStorage;
pub use storage::{ChangeSet, Storage};
