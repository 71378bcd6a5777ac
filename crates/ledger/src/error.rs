//! Errors of the ledger and its storages.

use crate::core::transfer_rules::Inconsistency;

/// A storage could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The backend failed (I/O, SQL, lock); `op` names the step.
    #[error("storage step `{op}` failed: {source}")]
    Backend {
        /// The step, e.g. "commit: insert transfer".
        op: &'static str,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A stored value cannot be decoded.
    #[error("stored {table}.{column} is corrupt: {detail}")]
    Corrupt {
        /// Table (or map) name.
        table: &'static str,
        /// Column (or field) name.
        column: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The database was made by a different schema version.
    #[error("database schema version {found}, this build reads version {expected}")]
    SchemaVersion {
        /// Version found in the database.
        found: i64,
        /// Version this build writes.
        expected: i64,
    },
}

/// A ledger operation failed for a reason other than a business rule (those are
/// [`crate::TransferError`] and [`crate::AccountError`], returned as values).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The storage failed; the batch must be abandoned.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Stored state contradicts itself; run the audit.
    #[error(transparent)]
    Inconsistent(#[from] Inconsistency),
    /// The batch time is beyond what the stores can hold (i64 nanoseconds).
    #[error("now_ns {now_ns} is beyond the supported clock range (i64::MAX ns)")]
    ClockOutOfRange {
        /// The rejected time.
        now_ns: u64,
    },
    /// A response is larger than [`crate::Limits::response_max_bytes`].
    #[error("response is {len} bytes, the limit is {max}")]
    ResponseTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Too many items in one call.
    #[error("{what}: {count} items, the limit is {max}")]
    TooMany {
        /// What was counted.
        what: &'static str,
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// `record` was called for a key that already has a decision.
    #[error("a decision already exists for request key {key_prefix}…")]
    DecisionExists {
        /// First 8 bytes of the key, hex.
        key_prefix: String,
    },
    /// A limit is zero or above its ceiling.
    #[error("limit {name} = {value} is out of range 1..={max}")]
    InvalidLimit {
        /// The field of [`crate::Limits`].
        name: &'static str,
        /// Its value.
        value: usize,
        /// The ceiling.
        max: usize,
    },
}

/// First bytes of a request key in hex, for error messages.
pub(crate) fn key_prefix(key: &[u8; 32]) -> String {
    key.iter().take(8).map(|b| format!("{b:02x}")).collect()
}
