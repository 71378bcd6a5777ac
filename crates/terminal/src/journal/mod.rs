//! The durable journal: an append-only file of CRC-checked records, each synced to disk before
//! the network step it announces. The only file I/O of the crate lives here.
//!
//! The file is locked while open, so two terminal processes never share one journal.

pub mod record;
pub mod scan;
pub mod state;

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub use record::{Record, RecordError};
pub use scan::{Scan, ScanError, scan};
pub use state::{Entry, JournalState, Outcome, StateError, TXN_PER_BATCH_MAX};

use record::MAGIC;

/// The journal's file name inside the terminal's data directory.
pub const FILE_NAME: &str = "journal.bin";
/// A journal never grows beyond this; a bigger file is refused rather than read.
pub const FILE_LEN_MAX: u64 = 16 * 1024 * 1024;

/// Why the journal could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {step}: {source}")]
    Io {
        path: PathBuf,
        step: &'static str,
        source: io::Error,
    },
    #[error("journal {path} is in use by another process")]
    Locked { path: PathBuf },
    #[error("journal {path} is {len} bytes; at most {FILE_LEN_MAX}")]
    TooLarge { path: PathBuf, len: u64 },
    #[error("journal {path}: {source}")]
    Scan { path: PathBuf, source: ScanError },
    #[error("journal {path}, record at byte {offset}: {source}")]
    Replay {
        path: PathBuf,
        offset: usize,
        source: StateError,
    },
    #[error("journal record refused: {0}")]
    Refused(#[from] StateError),
    #[error("journal record cannot be encoded: {0}")]
    Encode(#[from] RecordError),
    #[error("journal {path} is full ({FILE_LEN_MAX} bytes): settle to compact it")]
    Full { path: PathBuf },
}

/// An open journal: the file, locked, and its replayed state.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    len: u64,
    state: JournalState,
    torn_len: usize,
}

impl Journal {
    /// Opens (or creates) the journal at `path`, replays it, and cuts off a torn last record.
    pub fn open(path: impl AsRef<Path>) -> Result<Journal, JournalError> {
        let path = path.as_ref().to_path_buf();
        let io_err = |step: &'static str| {
            let path = path.clone();
            move |source| JournalError::Io { path, step, source }
        };
        let file = match OpenOptions::new().read(true).append(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Journal::create(&path, &fresh_records());
            }
            Err(e) => return Err(io_err("open")(e)),
        };
        lock(&file, &path)?;
        let len = file.metadata().map_err(io_err("stat"))?.len();
        if len > FILE_LEN_MAX {
            return Err(JournalError::TooLarge { path, len });
        }
        let mut bytes = Vec::with_capacity(len as usize);
        (&file)
            .take(FILE_LEN_MAX + 1)
            .read_to_end(&mut bytes)
            .map_err(io_err("read"))?;
        let scanned = scan(&bytes).map_err(|source| JournalError::Scan {
            path: path.clone(),
            source,
        })?;
        if scanned.valid_len == 0 {
            // Creation was cut short before the magic was complete: start afresh.
            drop(file);
            return Journal::create(&path, &fresh_records());
        }
        let mut state = JournalState::default();
        for (offset, record) in &scanned.records {
            state.apply(record).map_err(|source| JournalError::Replay {
                path: path.clone(),
                offset: *offset,
                source,
            })?;
        }
        if scanned.records.is_empty() {
            return Err(JournalError::Replay {
                path,
                offset: MAGIC.len(),
                source: StateError::NoCheckpoint,
            });
        }
        if scanned.torn_len > 0 {
            // New records must not follow the torn bytes, or the next replay would stop there.
            file.set_len(scanned.valid_len as u64)
                .map_err(io_err("cut the torn tail"))?;
            file.sync_all().map_err(io_err("sync"))?;
        }
        Ok(Journal {
            path,
            file,
            len: scanned.valid_len as u64,
            state,
            torn_len: scanned.torn_len,
        })
    }

    /// Writes `records` to a new file beside `path`, syncs it and renames it over `path`, so
    /// the journal is always either the old file or the complete new one.
    fn create(path: &Path, records: &[Record]) -> Result<Journal, JournalError> {
        let io_err = |step: &'static str| {
            let path = path.to_path_buf();
            move |source| JournalError::Io { path, step, source }
        };
        let mut state = JournalState::default();
        let mut bytes = MAGIC.to_vec();
        for r in records {
            state.apply(r)?;
            bytes.extend_from_slice(&r.frame()?);
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_err("create the data directory"))?;
        }
        let tmp = path.with_extension("tmp");
        // A leftover from a crash during an earlier rewrite is never the journal.
        match std::fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("remove the old temporary file")(e)),
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err("create the temporary file"))?;
        lock(&file, &tmp)?;
        file.write_all(&bytes).map_err(io_err("write"))?;
        file.sync_all().map_err(io_err("sync"))?;
        std::fs::rename(&tmp, path).map_err(io_err("rename into place"))?;
        sync_dir(path).map_err(io_err("sync the directory"))?;
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            len: bytes.len() as u64,
            state,
            torn_len: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn state(&self) -> &JournalState {
        &self.state
    }

    /// Bytes of a torn last record dropped when the journal was opened.
    pub fn torn_len(&self) -> usize {
        self.torn_len
    }

    /// The file's length in bytes.
    pub fn len_bytes(&self) -> u64 {
        self.len
    }

    /// Appends `record` and syncs it to disk before returning; the state follows only once
    /// the record is durable. A record that cannot follow the ones before it is refused.
    pub fn append(&mut self, record: &Record) -> Result<(), JournalError> {
        self.state.check(record)?;
        let frame = record.frame()?;
        if self.len + frame.len() as u64 > FILE_LEN_MAX {
            return Err(JournalError::Full {
                path: self.path.clone(),
            });
        }
        let io_err = |step: &'static str| {
            let path = self.path.clone();
            move |source| JournalError::Io { path, step, source }
        };
        if let Err(e) = self.file.write_all(&frame) {
            // A partial write would leave a torn record mid-file: cut it off again.
            let _ = self.file.set_len(self.len);
            return Err(io_err("append")(e));
        }
        self.file.sync_data().map_err(io_err("sync"))?;
        self.len += frame.len() as u64;
        self.state.apply(record)?;
        Ok(())
    }

    /// Rewrites the file as the smallest record list that replays to the same state (after a
    /// settlement: what the next batch still needs).
    pub fn compact(&mut self) -> Result<(), JournalError> {
        let fresh = Journal::create(&self.path, &self.state.snapshot())?;
        // The old handle (and its lock) go; the new file is locked already.
        *self = fresh;
        Ok(())
    }
}

/// A new terminal's journal: batch 1, no STAN issued yet.
fn fresh_records() -> Vec<Record> {
    vec![Record::Checkpoint {
        batch: 1,
        last_stan: None,
    }]
}

fn lock(file: &File, path: &Path) -> Result<(), JournalError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(JournalError::Locked {
            path: path.to_path_buf(),
        }),
        Err(TryLockError::Error(source)) => Err(JournalError::Io {
            path: path.to_path_buf(),
            step: "lock",
            source,
        }),
    }
}

/// A rename is durable only once its directory is synced.
fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}
