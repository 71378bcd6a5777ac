//! The journal on disk (adapter side): open and replay at start, append with fsync, and
//! compact by writing the live state to a new file renamed over the old one.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::gateway::Gateway;
use crate::journal::{self, JournalError, Record};

/// Above this size the journal is rewritten from the live state.
pub const COMPACT_ABOVE_BYTES: u64 = 64 * 1024 * 1024;

/// Why the journal file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalFileError {
    #[error("journal {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal {path}: {source}")]
    Format { path: PathBuf, source: JournalError },
}

/// An open journal, positioned at its end.
#[derive(Debug)]
pub struct JournalFile {
    path: PathBuf,
    file: File,
    len: u64,
    buf: Vec<u8>,
}

/// What opening found, for the log.
#[derive(Debug, Default)]
pub struct Opened {
    pub records: usize,
    /// Records that did not fit the state before them (logged, skipped).
    pub rejected: Vec<String>,
    /// Why the tail was cut, when it was (a torn last write after a crash).
    pub torn: Option<JournalError>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> JournalFileError + '_ {
    move |source| JournalFileError::Io {
        path: path.to_owned(),
        source,
    }
}

impl JournalFile {
    /// Opens (or creates) the journal at `path`, replays it into `gateway`, and rewrites it
    /// compacted. A file that is not a gateway journal is refused, never overwritten.
    pub fn open(
        path: &Path,
        gateway: &mut Gateway,
    ) -> Result<(JournalFile, Opened), JournalFileError> {
        let mut bytes = Vec::new();
        match File::open(path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes).map_err(io(path))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(path)(e)),
        }
        let replay = journal::decode(&bytes).map_err(|source| JournalFileError::Format {
            path: path.to_owned(),
            source,
        })?;
        let mut opened = Opened {
            records: replay.records.len(),
            torn: replay.stopped,
            ..Opened::default()
        };
        for r in &replay.records {
            if let Err(e) = gateway.replay(r) {
                opened.rejected.push(e.to_string());
            }
        }
        let file = write_compacted(path, &gateway.snapshot())?;
        let len = file.metadata().map_err(io(path))?.len();
        Ok((
            JournalFile {
                path: path.to_owned(),
                file,
                len,
                buf: Vec::with_capacity(4096),
            },
            opened,
        ))
    }

    /// Appends `records` and makes them durable (one fsync for all of them).
    pub fn append(&mut self, records: &[Record]) -> Result<(), JournalFileError> {
        self.buf.clear();
        for r in records {
            journal::encode(r, &mut self.buf).map_err(|source| JournalFileError::Format {
                path: self.path.clone(),
                source,
            })?;
        }
        let written = self
            .file
            .write_all(&self.buf)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // Cut what may have been half written: a torn record in the middle of the file
            // would end the replay there and lose every record appended after it.
            let _ = self.file.set_len(self.len);
            return Err(io(&self.path)(e));
        }
        self.len += self.buf.len() as u64;
        Ok(())
    }

    /// Rewrites the journal from `gateway`'s live state once it has grown past the limit.
    pub fn compact_if_large(&mut self, gateway: &Gateway) -> Result<(), JournalFileError> {
        if self.len <= COMPACT_ABOVE_BYTES {
            return Ok(());
        }
        self.compact(&gateway.snapshot())
    }

    /// Rewrites the journal as `snapshot` (the live state's records).
    pub fn compact(&mut self, snapshot: &[Record]) -> Result<(), JournalFileError> {
        self.file = write_compacted(&self.path, snapshot)?;
        self.len = self.file.metadata().map_err(io(&self.path))?.len();
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Writes `records` to `<path>.tmp`, fsyncs it, renames it over `path`, fsyncs the
/// directory, and returns the new file opened for appending.
fn write_compacted(path: &Path, records: &[Record]) -> Result<File, JournalFileError> {
    let bytes = journal::encode_all(records).map_err(|source| JournalFileError::Format {
        path: path.to_owned(),
        source,
    })?;
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    {
        let mut f = options()
            .truncate(true)
            .write(true)
            .create(true)
            .open(&tmp)
            .map_err(io(&tmp))?;
        f.write_all(&bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io(path))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // The rename is only durable once the directory entry is.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    options().append(true).open(path).map_err(io(path))
}

/// The journal holds PANs (the 0420s carry field 2): owner-only permissions.
fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}
