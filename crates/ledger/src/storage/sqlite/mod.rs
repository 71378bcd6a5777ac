//! SQLite storage: WAL, `synchronous = FULL`, one transaction (one fsync) per batch, and WAL
//! checkpoints on a thread of their own ([`checkpoint`]).

mod checkpoint;
mod codec;
mod schema;

use std::fs::File;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rusqlite::{Connection, Row, TransactionBehavior, params};

use self::codec::{
    ACCOUNT_COLUMNS, DECISION_COLUMNS, HOLD_COLUMNS, TRANSFER_COLUMNS, id_bytes, int, pack_ids,
};
use super::{ChangeSet, Storage};
use crate::core::account::Account;
use crate::core::hold::Hold;
use crate::core::transfer::Transfer;
use crate::decision::{Decision, RequestKey};
use crate::error::StorageError;

pub use checkpoint::{CHECKPOINT_INTERVAL, WAL_TRUNCATE_ABOVE_BYTES};
pub use schema::SCHEMA_VERSION;

/// How long a connection waits for a lock another connection holds (the checkpointer's
/// `TRUNCATE`, the committer's write).
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// Maps a rusqlite error to a storage error naming the step.
pub(crate) fn backend(op: &'static str) -> impl FnOnce(rusqlite::Error) -> StorageError {
    move |e| StorageError::Backend {
        op,
        source: Box::new(e),
    }
}

/// A ledger database file. Opening creates the schema if the file is new.
#[derive(Debug)]
pub struct SqliteStorage {
    // Dropped in this order: the checkpoint thread stops, the connection closes (SQLite's last
    // checkpoint), then the owner lock goes.
    checkpointer: Option<checkpoint::Checkpointer>,
    conn: Connection,
    _owner: File,
}

impl SqliteStorage {
    /// Opens (or creates) the database at `path`, exclusively for this process, and starts
    /// its checkpoint thread.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        Self::open_with(path.as_ref(), Some(CHECKPOINT_INTERVAL))
    }

    /// `checkpoint_every: None` leaves the WAL unchecked until the database closes: tests only.
    fn open_with(path: &Path, checkpoint_every: Option<Duration>) -> Result<Self, StorageError> {
        let owner = checkpoint::lock_owner(path)?;
        let mut conn = Connection::open(path).map_err(backend("open: connect"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(backend("open: set busy_timeout"))?;
        schema::configure(&conn)?;
        schema::ensure(&mut conn)?;
        let checkpointer = checkpoint_every
            .map(|every| checkpoint::Checkpointer::start(path, every))
            .transpose()?;
        Ok(Self {
            checkpointer,
            conn,
            _owner: owner,
        })
    }

    /// How many checkpoints the checkpoint thread has run that copied WAL frames back into
    /// the database file.
    pub fn checkpoints_copied(&self) -> u64 {
        self.checkpointer
            .as_ref()
            .map_or(0, |c| c.counts.copied.load(Ordering::Acquire))
    }

    fn one<T>(
        &self,
        sql: &str,
        key: &[u8],
        op: &'static str,
        decode: fn(&Row<'_>) -> Result<T, StorageError>,
    ) -> Result<Option<T>, StorageError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend(op))?;
        let mut rows = stmt.query([key]).map_err(backend(op))?;
        match rows.next().map_err(backend(op))? {
            Some(row) => decode(row).map(Some),
            None => Ok(None),
        }
    }

    fn many<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        op: &'static str,
        decode: fn(&Row<'_>) -> Result<T, StorageError>,
        visit: &mut dyn FnMut(T),
    ) -> Result<(), StorageError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend(op))?;
        let mut rows = stmt.query(params).map_err(backend(op))?;
        while let Some(row) = rows.next().map_err(backend(op))? {
            visit(decode(row)?);
        }
        Ok(())
    }

    /// Writes `changes` inside an open transaction and then kills the process before COMMIT:
    /// what a power cut in the middle of a batch leaves behind.
    #[cfg(test)]
    pub(crate) fn write_then_abort(&mut self, changes: &ChangeSet) -> ! {
        if let Ok(tx) = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
        {
            let _ = write_changes(&tx, changes);
            std::mem::forget(tx);
        }
        std::process::abort()
    }
}

fn write_changes(tx: &rusqlite::Transaction<'_>, changes: &ChangeSet) -> Result<(), StorageError> {
    let op = "commit: upsert account";
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO accounts (id, ledger, code, flags, debits_pending, debits_posted, credits_pending, credits_posted)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET debits_pending = ?5, debits_posted = ?6, credits_pending = ?7, credits_posted = ?8",
        )
        .map_err(backend(op))?;
    for a in changes.accounts.values() {
        stmt.execute(params![
            &id_bytes(a.id)[..],
            a.ledger,
            a.code,
            a.flags.0,
            int(a.debits_pending),
            int(a.debits_posted),
            int(a.credits_pending),
            int(a.credits_posted)
        ])
        .map_err(backend(op))?;
    }
    let op = "commit: insert transfer";
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO transfers (id, debit_account_id, credit_account_id, amount_minor, pending_id, ledger, code, flags, timeout_s, timestamp_ns)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .map_err(backend(op))?;
    for t in changes.transfers.values() {
        stmt.execute(params![
            &id_bytes(t.id)[..],
            &id_bytes(t.debit_account_id)[..],
            &id_bytes(t.credit_account_id)[..],
            int(t.amount_minor),
            &id_bytes(t.pending_id)[..],
            t.ledger,
            t.code,
            t.flags.0,
            t.timeout_s,
            int(t.timestamp_ns)
        ])
        .map_err(backend(op))?;
    }
    let op = "commit: upsert hold";
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO holds (id, debit_account_id, credit_account_id, amount_minor, expires_at_ns, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET status = ?6",
        )
        .map_err(backend(op))?;
    for h in changes.holds.values() {
        stmt.execute(params![
            &id_bytes(h.id)[..],
            &id_bytes(h.debit_account_id)[..],
            &id_bytes(h.credit_account_id)[..],
            int(h.amount_minor),
            int(h.expires_at_ns),
            h.status.to_u8()
        ])
        .map_err(backend(op))?;
    }
    let op = "commit: insert decision";
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO decisions (request_key, response, transfer_ids, timestamp_ns) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(backend(op))?;
    for d in changes.decisions.values() {
        stmt.execute(params![
            &d.request_key[..],
            &d.response,
            pack_ids(&d.transfer_ids),
            int(d.timestamp_ns)
        ])
        .map_err(backend(op))?;
    }
    Ok(())
}

impl Storage for SqliteStorage {
    fn account(&self, id: u128) -> Result<Option<Account>, StorageError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1");
        self.one(&sql, &id_bytes(id), "read account", codec::account)
    }

    fn transfer(&self, id: u128) -> Result<Option<Transfer>, StorageError> {
        let sql = format!("SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = ?1");
        self.one(&sql, &id_bytes(id), "read transfer", codec::transfer)
    }

    fn hold(&self, id: u128) -> Result<Option<Hold>, StorageError> {
        let sql = format!("SELECT {HOLD_COLUMNS} FROM holds WHERE id = ?1");
        self.one(&sql, &id_bytes(id), "read hold", codec::hold)
    }

    fn decision(&self, key: &RequestKey) -> Result<Option<Decision>, StorageError> {
        let sql = format!("SELECT {DECISION_COLUMNS} FROM decisions WHERE request_key = ?1");
        self.one(&sql, key, "read decision", codec::decision)
    }

    fn pending_holds(&self, account_id: u128, limit: usize) -> Result<Vec<Hold>, StorageError> {
        let sql = format!(
            "SELECT {HOLD_COLUMNS} FROM holds WHERE status = 0 AND debit_account_id = ?1
             UNION ALL
             SELECT {HOLD_COLUMNS} FROM holds WHERE status = 0 AND credit_account_id = ?1
             ORDER BY id LIMIT ?2"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        self.many(
            &sql,
            params![&id_bytes(account_id)[..], limit],
            "list pending holds",
            codec::hold,
            &mut |h| out.push(h),
        )?;
        Ok(out)
    }

    fn expiring_holds(&self, now_ns: u64, limit: usize) -> Result<Vec<Hold>, StorageError> {
        let sql = format!(
            "SELECT {HOLD_COLUMNS} FROM holds WHERE status = 0 AND expires_at_ns > 0 AND expires_at_ns <= ?1
             ORDER BY expires_at_ns, id LIMIT ?2"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        self.many(
            &sql,
            params![int(now_ns), limit],
            "list expiring holds",
            codec::hold,
            &mut |h| out.push(h),
        )?;
        Ok(out)
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StorageError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend("commit: begin"))?;
        // On any error `tx` is dropped, which rolls the whole batch back.
        write_changes(&tx, changes)?;
        tx.commit().map_err(backend("commit: commit (fsync)"))
    }

    fn visit_accounts(&self, visit: &mut dyn FnMut(&Account)) -> Result<(), StorageError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id");
        self.many(&sql, [], "scan accounts", codec::account, &mut |a| {
            visit(&a)
        })
    }

    fn visit_transfers(&self, visit: &mut dyn FnMut(&Transfer)) -> Result<(), StorageError> {
        let sql = format!("SELECT {TRANSFER_COLUMNS} FROM transfers ORDER BY id");
        self.many(&sql, [], "scan transfers", codec::transfer, &mut |t| {
            visit(&t)
        })
    }

    fn visit_holds(&self, visit: &mut dyn FnMut(&Hold)) -> Result<(), StorageError> {
        let sql = format!("SELECT {HOLD_COLUMNS} FROM holds ORDER BY id");
        self.many(&sql, [], "scan holds", codec::hold, &mut |h| visit(&h))
    }
}

#[cfg(test)]
mod tests;
