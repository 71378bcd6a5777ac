//! WAL checkpoints off the commit path, and the file lock that keeps one owner per database.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so one
//! authorization batch in every few pays for copying the WAL back into the database file. The
//! committing connection has it turned off (`wal_autocheckpoint = 0`, see `schema`); this
//! thread, on a connection of its own, runs `PRAGMA wal_checkpoint(PASSIVE)` on a timer, which
//! never waits for the committer and never makes it wait. Only when the WAL file has grown
//! past [`WAL_TRUNCATE_ABOVE_BYTES`] (a committer so busy that passive checkpoints never
//! catch up to its last frame, so SQLite cannot restart the WAL from its start) does it run a
//! `TRUNCATE` checkpoint, which holds commits back for that one checkpoint.
//!
//! Durability does not depend on any of this: a commit is durable once its WAL frames are
//! synced (`synchronous = FULL`); a checkpoint only moves committed pages into the main file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::{BUSY_TIMEOUT, backend};
use crate::error::StorageError;

/// How often the checkpointer looks at the WAL.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(200);
/// Above this WAL file size the checkpointer makes the committer wait once to cut it back.
pub const WAL_TRUNCATE_ABOVE_BYTES: u64 = 64 * 1024 * 1024;

/// What the checkpointer has done, for tests and the curious.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// Checkpoints that copied frames back into the database file.
    pub(crate) copied: AtomicU64,
    /// Checkpoints that failed (the next tick tries again).
    pub(crate) failed: AtomicU64,
}

/// The checkpoint thread; dropping it stops and joins the thread.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    pub(crate) counts: Arc<Counts>,
}

impl Checkpointer {
    /// Opens a second connection to the database at `path` and starts checkpointing it every
    /// `every`.
    pub(crate) fn start(path: &Path, every: Duration) -> Result<Checkpointer, StorageError> {
        let conn = Connection::open(path).map_err(backend("open: checkpoint connection"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(backend("open: checkpoint busy_timeout"))?;
        // FULL: the database file is synced after the pages are copied, before the WAL may be
        // reused.
        conn.execute_batch("PRAGMA synchronous = FULL")
            .map_err(backend("open: checkpoint synchronous"))?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let counts = Arc::new(Counts::default());
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = {
            let counts = counts.clone();
            std::thread::Builder::new()
                .name("ledger-checkpoint".into())
                .spawn(move || run(&conn, &wal, every, &stopped, &counts))
                .map_err(|e| StorageError::Backend {
                    op: "open: start the checkpoint thread",
                    source: Box::new(e),
                })?
        };
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
            counts,
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Closing the channel wakes the thread at once.
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    conn: &Connection,
    wal: &Path,
    every: Duration,
    stopped: &mpsc::Receiver<()>,
    counts: &Counts,
) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
        let wal_bytes = std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0);
        let sql = if wal_bytes > WAL_TRUNCATE_ABOVE_BYTES {
            "PRAGMA wal_checkpoint(TRUNCATE)"
        } else {
            "PRAGMA wal_checkpoint(PASSIVE)"
        };
        // (busy, frames in the WAL, frames checkpointed); -1 when not in WAL mode.
        let result = conn.query_row(sql, [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        });
        match result {
            Ok((_, _, checkpointed)) if checkpointed > 0 => {
                counts.copied.fetch_add(1, Ordering::AcqRel);
            }
            Ok(_) => {}
            Err(_) => {
                counts.failed.fetch_add(1, Ordering::AcqRel);
            }
        }
    }
}

/// Takes the database's owner lock (`<path>.lock`, an OS file lock released when the process
/// ends), so a second opener is refused instead of committing beside the first.
pub(crate) fn lock_owner(path: &Path) -> Result<File, StorageError> {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(PathBuf::from(name))
        .map_err(|e| StorageError::Backend {
            op: "open: create the owner lock file",
            source: Box::new(e),
        })?;
    file.try_lock().map_err(|e| StorageError::Backend {
        op: "open: take the owner lock (is another process using the database?)",
        source: Box::new(e),
    })?;
    Ok(file)
}
