//! The journal's own thread: group commit off the core's thread.
//!
//! The core's thread submits each event's records and goes on with the next event; this thread
//! takes every submission that queued up while its previous sync ran, writes them in one go,
//! syncs once, and publishes how far the journal is durable. The core's thread holds back
//! whatever follows a record until that point has passed it.
//!
//! Submissions are numbered 1, 2, 3… in the order they were made, and are written in that
//! order, so "durable up to n" means every record of submissions 1..=n is on disk (or, after a
//! write failure, was given up on and logged: the state in memory goes on, as before).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use tracing::error;

use crate::journal::Record;
use crate::journal_file::{JournalFile, JournalFileError};

/// Where the journal thread writes: the journal file, or a stand-in in tests.
pub trait JournalSink: Send + 'static {
    /// Appends `records` and makes them durable (one sync for all of them).
    fn append(&mut self, records: &[Record]) -> Result<(), JournalFileError>;
    /// Replaces the whole journal by `snapshot`, durably.
    fn compact(&mut self, snapshot: &[Record]) -> Result<(), JournalFileError>;
    /// The journal's size in bytes.
    fn len_bytes(&self) -> u64;
}

impl JournalSink for JournalFile {
    fn append(&mut self, records: &[Record]) -> Result<(), JournalFileError> {
        JournalFile::append(self, records)
    }

    fn compact(&mut self, snapshot: &[Record]) -> Result<(), JournalFileError> {
        JournalFile::compact(self, snapshot)
    }

    fn len_bytes(&self) -> u64 {
        self.len()
    }
}

enum Job {
    Records { seq: u64, records: Vec<Record> },
    Compact { seq: u64, snapshot: Vec<Record> },
    Stop,
}

/// What the journal thread publishes.
#[derive(Debug, Default)]
struct Shared {
    /// Every submission up to this number is durable (or given up on after a logged failure).
    durable_seq: AtomicU64,
    len_bytes: AtomicU64,
    /// How many syncs (appends) the thread has made: group commit shows as fewer syncs than
    /// submissions.
    syncs: AtomicU64,
}

/// The handle the core's thread keeps: submits records and reads how far they are durable.
pub struct JournalWriter {
    jobs: mpsc::Sender<Job>,
    shared: Arc<Shared>,
    submitted_seq: u64,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for JournalWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalWriter")
            .field("submitted_seq", &self.submitted_seq)
            .field("durable_seq", &self.durable_seq())
            .finish_non_exhaustive()
    }
}

impl JournalWriter {
    /// Starts the journal thread over `sink`; `woken` is called on that thread after each
    /// sync, so the core's thread can release what waited for it.
    pub fn start(
        sink: Box<dyn JournalSink>,
        woken: Box<dyn Fn() + Send>,
    ) -> std::io::Result<JournalWriter> {
        let shared = Arc::new(Shared::default());
        shared.len_bytes.store(sink.len_bytes(), Ordering::Release);
        let (jobs, rx) = mpsc::channel();
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("gateway-journal".into())
                .spawn(move || run(sink, rx, &shared, woken.as_ref()))?
        };
        Ok(JournalWriter {
            jobs,
            shared,
            submitted_seq: 0,
            thread: Some(thread),
        })
    }

    /// Queues `records` (in order, after everything submitted before) and returns their
    /// submission number.
    pub fn submit(&mut self, records: Vec<Record>) -> u64 {
        self.submitted_seq += 1;
        let seq = self.submitted_seq;
        self.send(seq, Job::Records { seq, records });
        seq
    }

    /// Queues a rewrite of the journal as `snapshot`, which must hold the effect of every
    /// record submitted before it; returns its submission number.
    pub fn compact(&mut self, snapshot: Vec<Record>) -> u64 {
        self.submitted_seq += 1;
        let seq = self.submitted_seq;
        self.send(seq, Job::Compact { seq, snapshot });
        seq
    }

    fn send(&self, seq: u64, job: Job) {
        if self.jobs.send(job).is_err() {
            // The thread is gone (it cannot be, short of a bug): as with a write failure, the
            // state goes on rather than holding every answer back for ever.
            error!("journal thread gone: submission {seq} not durable");
            self.shared.durable_seq.fetch_max(seq, Ordering::AcqRel);
        }
    }

    /// The last submission number handed out (0 before the first).
    pub fn submitted_seq(&self) -> u64 {
        self.submitted_seq
    }

    /// Every submission up to this number is durable.
    pub fn durable_seq(&self) -> u64 {
        self.shared.durable_seq.load(Ordering::Acquire)
    }

    /// The journal's size after the last write.
    pub fn len_bytes(&self) -> u64 {
        self.shared.len_bytes.load(Ordering::Acquire)
    }

    /// How many appends (each one sync) the thread has made.
    pub fn syncs(&self) -> u64 {
        self.shared.syncs.load(Ordering::Acquire)
    }

    /// Writes and syncs everything queued, then ends the thread; afterwards
    /// [`JournalWriter::durable_seq`] equals [`JournalWriter::submitted_seq`].
    pub fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        let _ = self.jobs.send(Job::Stop);
        if thread.join().is_err() {
            error!("journal thread panicked");
        }
        self.shared
            .durable_seq
            .fetch_max(self.submitted_seq, Ordering::AcqRel);
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(
    mut sink: Box<dyn JournalSink>,
    jobs: mpsc::Receiver<Job>,
    shared: &Shared,
    woken: &dyn Fn(),
) {
    let mut records: Vec<Record> = Vec::new();
    while let Ok(first) = jobs.recv() {
        // Group commit: everything that queued while the last sync ran goes in this one.
        let mut upto = None;
        let mut stop = false;
        for job in std::iter::once(first).chain(jobs.try_iter()) {
            match job {
                Job::Records { seq, records: r } => {
                    records.extend(r);
                    upto = Some(seq);
                }
                Job::Compact { seq, snapshot } => {
                    append(sink.as_mut(), &mut records, shared);
                    if let Err(e) = sink.compact(&snapshot) {
                        error!("journal compaction failed: {e}");
                    }
                    upto = Some(seq);
                }
                Job::Stop => stop = true,
            }
        }
        append(sink.as_mut(), &mut records, shared);
        shared.len_bytes.store(sink.len_bytes(), Ordering::Release);
        if let Some(seq) = upto {
            shared.durable_seq.fetch_max(seq, Ordering::AcqRel);
            woken();
        }
        if stop {
            break;
        }
    }
}

fn append(sink: &mut dyn JournalSink, records: &mut Vec<Record>, shared: &Shared) {
    if records.is_empty() {
        return;
    }
    let result = sink.append(records);
    shared.syncs.fetch_add(1, Ordering::AcqRel);
    if let Err(e) = result {
        // The state in memory goes on; what was not made durable is lost on a crash.
        error!(
            "journal write failed, {} records not durable: {e}",
            records.len()
        );
    }
    records.clear();
}
