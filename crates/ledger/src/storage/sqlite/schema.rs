//! Opening the database: pragmas and the versioned schema.

use rusqlite::{Connection, OptionalExtension};

use super::backend;
use crate::error::StorageError;

/// The schema this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

// u128 ids are 16-byte big-endian blobs (so byte order is numeric order); u64 amounts and times
// are stored bit-for-bit in SQLite's signed 64-bit integers. Rules are not in SQL: the CHECKs
// only guard the encoding.
const DDL: &str = "
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE accounts (
    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    ledger INTEGER NOT NULL,
    code INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    debits_pending INTEGER NOT NULL,
    debits_posted INTEGER NOT NULL,
    credits_pending INTEGER NOT NULL,
    credits_posted INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE transfers (
    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    debit_account_id BLOB NOT NULL,
    credit_account_id BLOB NOT NULL,
    amount_minor INTEGER NOT NULL,
    pending_id BLOB NOT NULL,
    ledger INTEGER NOT NULL,
    code INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    timeout_s INTEGER NOT NULL,
    timestamp_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE holds (
    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    debit_account_id BLOB NOT NULL,
    credit_account_id BLOB NOT NULL,
    amount_minor INTEGER NOT NULL,
    expires_at_ns INTEGER NOT NULL,
    status INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX holds_pending_by_expiry ON holds (expires_at_ns, id) WHERE status = 0 AND expires_at_ns > 0;
CREATE INDEX holds_pending_by_debit ON holds (debit_account_id, id) WHERE status = 0;
CREATE INDEX holds_pending_by_credit ON holds (credit_account_id, id) WHERE status = 0;
CREATE TABLE decisions (
    request_key BLOB PRIMARY KEY NOT NULL CHECK (length(request_key) = 32),
    response BLOB NOT NULL,
    transfer_ids BLOB NOT NULL CHECK (length(transfer_ids) % 16 = 0),
    timestamp_ns INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Sets the durability pragmas and checks that SQLite accepted them.
pub(crate) fn configure(conn: &Connection) -> Result<(), StorageError> {
    // One owner per process (see `checkpoint::lock_owner`), but two connections: the committer
    // and the checkpointer, so the locking mode stays NORMAL (WAL index in shared memory).
    let mode: String = conn
        .query_row("PRAGMA locking_mode = NORMAL", [], |r| r.get(0))
        .map_err(backend("open: set locking_mode"))?;
    expect_pragma("locking_mode", &mode, "normal")?;
    let journal: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(backend(
            "open: set journal_mode (is another process using the database?)",
        ))?;
    expect_pragma("journal_mode", &journal, "wal")?;
    // FULL: every commit syncs the WAL, so nothing is answered before it is on disk.
    conn.execute_batch("PRAGMA synchronous = FULL")
        .map_err(backend("open: set synchronous"))?;
    let synchronous: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .map_err(backend("open: read synchronous"))?;
    expect_pragma("synchronous", &synchronous.to_string(), "2")?;
    // No checkpoint inside a commit: the checkpoint thread does them.
    let autocheckpoint: i64 = conn
        .query_row("PRAGMA wal_autocheckpoint = 0", [], |r| r.get(0))
        .map_err(backend("open: set wal_autocheckpoint"))?;
    expect_pragma("wal_autocheckpoint", &autocheckpoint.to_string(), "0")?;
    Ok(())
}

fn expect_pragma(name: &'static str, got: &str, want: &str) -> Result<(), StorageError> {
    if got.eq_ignore_ascii_case(want) {
        return Ok(());
    }
    Err(StorageError::Corrupt {
        table: "pragma",
        column: name,
        detail: format!("SQLite answered {got:?}, expected {want:?}"),
    })
}

/// Creates the schema in a fresh database, or checks the version of an existing one.
pub(crate) fn ensure(conn: &mut Connection) -> Result<(), StorageError> {
    let tx = conn
        .transaction()
        .map_err(backend("open: begin schema transaction"))?;
    let exists: Option<String> = tx
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend("open: look for schema_version"))?;
    if exists.is_none() {
        tx.execute_batch(DDL)
            .map_err(backend("open: create schema"))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [SCHEMA_VERSION],
        )
        .map_err(backend("open: write schema_version"))?;
    } else {
        let found: Option<i64> = tx
            .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
            .optional()
            .map_err(backend("open: read schema_version"))?;
        let found = found.unwrap_or(0);
        if found != SCHEMA_VERSION {
            return Err(StorageError::SchemaVersion {
                found,
                expected: SCHEMA_VERSION,
            });
        }
    }
    tx.commit().map_err(backend("open: commit schema"))
}
