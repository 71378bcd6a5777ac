//! Group commit: one thread owns the ledger, takes every decision waiting (up to `batch_max`),
//! applies them in one batch, commits once (one fsync), then answers each caller.
//!
//! Nothing is answered before its batch is durable; if the commit fails, every caller in the
//! batch gets [`DecisionError::BatchFailed`], never an approval.
//!
//! From async code (tokio or any other runtime): use [`Committer::try_submit`] (never blocks;
//! [`SubmitError::QueueFull`] is back-pressure, e.g. answer "91 issuer unavailable") and `.await`
//! the returned [`DecisionReply`], which is a plain `Future`. [`Committer::submit`] blocks while
//! the queue is full, so call it from threads (or `spawn_blocking`).

mod clock;
mod reply;

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::task::{Context, Poll};
use std::thread::JoinHandle;

pub use clock::{Clock, SystemClock};
pub use reply::{NoAnswer, Reply};

use crate::core::reject::{Applied, TransferError};
use crate::core::transfer::Transfer;
use crate::decision::{COUNT_MAX_CEILING, DecisionOutcome, RequestKey};
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::storage::Storage;

/// Makes the answer from the result of the transfers. Runs on the committer thread, inside the
/// batch: keep it short and pure (encode a response message, nothing more).
pub type Respond = Box<dyn FnOnce(&Result<Applied, TransferError>) -> Vec<u8> + Send>;

/// One request to decide.
pub struct Request {
    /// Identity of the request (see [`RequestKey`]).
    pub request_key: RequestKey,
    /// Transfers to apply, all or none, if the key is new.
    pub transfers: Vec<Transfer>,
    /// Makes the stored answer from whether the transfers applied.
    pub respond: Respond,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("request_key", &crate::error::key_prefix(&self.request_key))
            .field("transfers", &self.transfers)
            .finish_non_exhaustive()
    }
}

/// Bounds of the committer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitterConfig {
    /// Most requests waiting for the committer.
    pub queue_max: usize,
    /// Most decisions in one batch (one commit).
    pub batch_max: usize,
}

impl Default for CommitterConfig {
    fn default() -> Self {
        Self {
            queue_max: 4096,
            batch_max: 256,
        }
    }
}

/// Why a request was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The queue holds [`CommitterConfig::queue_max`] requests already.
    #[error("ledger committer queue is full")]
    QueueFull,
    /// The committer thread is gone.
    #[error("ledger committer has stopped")]
    Stopped,
    /// More transfers than [`crate::Limits::transfers_per_call_max`].
    #[error("request has {count} transfers, the limit is {max}")]
    TooManyTransfers {
        /// Given.
        count: usize,
        /// The limit.
        max: usize,
    },
}

/// Why a queued request got no decision. None of these stored anything for the request.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// The batch could not be started or committed; no decision of the batch is stored.
    #[error("ledger batch failed, nothing was stored: {detail}")]
    BatchFailed {
        /// The error, with its causes.
        detail: String,
    },
    /// The ledger refused this request (e.g. response too large, storage read failed).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The `respond` closure panicked.
    #[error("the respond closure panicked; the request was abandoned")]
    RespondPanicked,
    /// The committer stopped before answering.
    #[error("ledger committer stopped before answering")]
    Stopped,
}

/// Why the committer could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum CommitterError {
    /// A config value is zero or above [`COUNT_MAX_CEILING`].
    #[error("committer config {name} = {value} is out of range 1..={max}")]
    InvalidConfig {
        /// Field name.
        name: &'static str,
        /// Its value.
        value: usize,
        /// The ceiling.
        max: usize,
    },
    /// The thread could not be spawned.
    #[error("cannot spawn the ledger committer thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// The thread panicked; the ledger is lost (the storage is intact up to the last commit).
    #[error("the ledger committer thread panicked")]
    Panicked,
}

/// Counters, updated by the committer thread.
#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    decisions: AtomicU64,
    failed_batches: AtomicU64,
}

/// A snapshot of the committer's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommitterStats {
    /// Batches committed.
    pub batches: u64,
    /// Decisions answered from committed batches (new and replayed).
    pub decisions: u64,
    /// Batches that failed to start or commit.
    pub failed_batches: u64,
}

type Exclusive<S> = Box<dyn FnOnce(&mut Ledger<S>, u64) + Send>;

enum Job<S> {
    Decide(
        Request,
        reply::Responder<Result<DecisionOutcome, DecisionError>>,
    ),
    Exclusive(Exclusive<S>),
}

/// The answer to a submitted request: `.wait()` from a thread, `.await` from async code.
#[derive(Debug)]
pub struct DecisionReply(Reply<Result<DecisionOutcome, DecisionError>>);

impl DecisionReply {
    /// Blocks until the batch with this request is committed (or failed).
    pub fn wait(self) -> Result<DecisionOutcome, DecisionError> {
        self.0.wait().unwrap_or(Err(DecisionError::Stopped))
    }
}

impl Future for DecisionReply {
    type Output = Result<DecisionOutcome, DecisionError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(DecisionError::Stopped)))
    }
}

/// Owns a ledger on its own thread and group-commits decisions.
pub struct Committer<S: Storage + Send + 'static> {
    queue: Option<SyncSender<Job<S>>>,
    thread: Option<JoinHandle<Ledger<S>>>,
    transfers_max: usize,
    counters: Arc<Counters>,
}

impl<S: Storage + Send + 'static> Committer<S> {
    /// Starts the committer thread. `clock` gives each batch its time.
    pub fn spawn(
        ledger: Ledger<S>,
        clock: impl Clock,
        config: CommitterConfig,
    ) -> Result<Self, CommitterError> {
        for (name, value) in [
            ("queue_max", config.queue_max),
            ("batch_max", config.batch_max),
        ] {
            if value == 0 || value > COUNT_MAX_CEILING {
                return Err(CommitterError::InvalidConfig {
                    name,
                    value,
                    max: COUNT_MAX_CEILING,
                });
            }
        }
        let transfers_max = ledger.limits().transfers_per_call_max;
        let (queue, jobs) = sync_channel(config.queue_max);
        let counters = Arc::new(Counters::default());
        let thread_counters = Arc::clone(&counters);
        let thread = std::thread::Builder::new()
            .name("ledger-committer".into())
            .spawn(move || run(ledger, clock, &jobs, config.batch_max, &thread_counters))
            .map_err(CommitterError::Spawn)?;
        Ok(Self {
            queue: Some(queue),
            thread: Some(thread),
            transfers_max,
            counters,
        })
    }

    fn check(&self, request: &Request) -> Result<(), SubmitError> {
        let count = request.transfers.len();
        if count > self.transfers_max {
            return Err(SubmitError::TooManyTransfers {
                count,
                max: self.transfers_max,
            });
        }
        Ok(())
    }

    /// Queues a request, blocking while the queue is full.
    pub fn submit(&self, request: Request) -> Result<DecisionReply, SubmitError> {
        self.check(&request)?;
        let queue = self.queue.as_ref().ok_or(SubmitError::Stopped)?;
        let (responder, reply) = reply::channel();
        queue
            .send(Job::Decide(request, responder))
            .map_err(|_| SubmitError::Stopped)?;
        Ok(DecisionReply(reply))
    }

    /// Queues a request, or fails at once with [`SubmitError::QueueFull`]. Never blocks.
    pub fn try_submit(&self, request: Request) -> Result<DecisionReply, SubmitError> {
        self.check(&request)?;
        let queue = self.queue.as_ref().ok_or(SubmitError::Stopped)?;
        let (responder, reply) = reply::channel();
        queue
            .try_send(Job::Decide(request, responder))
            .map_err(|e| match e {
                TrySendError::Full(_) => SubmitError::QueueFull,
                TrySendError::Disconnected(_) => SubmitError::Stopped,
            })?;
        Ok(DecisionReply(reply))
    }

    /// Runs `f` on the committer thread between batches, with exclusive use of the ledger and the
    /// current clock time: for queries, account creation, funding (open and commit a batch in
    /// `f`). Blocks while the queue is full.
    pub fn with_ledger<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Ledger<S>, u64) -> T + Send + 'static,
    ) -> Result<Reply<T>, SubmitError> {
        let queue = self.queue.as_ref().ok_or(SubmitError::Stopped)?;
        let (responder, reply) = reply::channel();
        let job: Exclusive<S> = Box::new(move |ledger, now_ns| {
            // A panic drops the responder, so the caller sees NoAnswer; the ledger is untouched
            // because any batch `f` had open is dropped uncommitted.
            if let Ok(value) = catch_unwind(AssertUnwindSafe(|| f(ledger, now_ns))) {
                responder.send(value);
            }
        });
        queue
            .send(Job::Exclusive(job))
            .map_err(|_| SubmitError::Stopped)?;
        Ok(reply)
    }

    /// Counters so far.
    pub fn stats(&self) -> CommitterStats {
        CommitterStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            decisions: self.counters.decisions.load(Ordering::Relaxed),
            failed_batches: self.counters.failed_batches.load(Ordering::Relaxed),
        }
    }

    /// Stops taking requests, finishes the queued ones, and gives the ledger back.
    pub fn shutdown(mut self) -> Result<Ledger<S>, CommitterError> {
        self.queue = None;
        let thread = self.thread.take().ok_or(CommitterError::Panicked)?;
        thread.join().map_err(|_| CommitterError::Panicked)
    }
}

impl<S: Storage + Send + 'static> Drop for Committer<S> {
    fn drop(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            // Queued requests are still answered; a panic was already reported to each waiter.
            let _ = thread.join();
        }
    }
}

fn run<S: Storage>(
    mut ledger: Ledger<S>,
    mut clock: impl Clock,
    jobs: &Receiver<Job<S>>,
    batch_max: usize,
    counters: &Counters,
) -> Ledger<S> {
    let mut deferred = None;
    loop {
        let job = match deferred.take() {
            Some(job) => job,
            None => match jobs.recv() {
                Ok(job) => job,
                Err(_) => break,
            },
        };
        match job {
            Job::Exclusive(f) => f(&mut ledger, clock.now_ns()),
            Job::Decide(request, responder) => {
                let mut batch = vec![(request, responder)];
                while batch.len() < batch_max {
                    match jobs.try_recv() {
                        Ok(Job::Decide(request, responder)) => batch.push((request, responder)),
                        Ok(other) => {
                            deferred = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                commit_batch(&mut ledger, clock.now_ns(), batch, counters);
            }
        }
    }
    ledger
}

type Waiting = Vec<(
    Request,
    reply::Responder<Result<DecisionOutcome, DecisionError>>,
)>;

fn commit_batch<S: Storage>(
    ledger: &mut Ledger<S>,
    now_ns: u64,
    jobs: Waiting,
    counters: &Counters,
) {
    let fail_all = |jobs: Vec<reply::Responder<_>>, error: &LedgerError| {
        counters.failed_batches.fetch_add(1, Ordering::Relaxed);
        let detail = error_chain(error);
        for responder in jobs {
            responder.send(Err(DecisionError::BatchFailed {
                detail: detail.clone(),
            }));
        }
    };
    let mut batch = match ledger.begin(now_ns) {
        Ok(batch) => batch,
        Err(e) => return fail_all(jobs.into_iter().map(|(_, r)| r).collect(), &e),
    };
    // Holds past their timeout are released first, so that funds they held count again.
    if let Err(e) = batch.expire() {
        return fail_all(jobs.into_iter().map(|(_, r)| r).collect(), &e);
    }
    let mut decided = Vec::with_capacity(jobs.len());
    for (request, responder) in jobs {
        let Request {
            request_key,
            transfers,
            respond,
        } = request;
        let result = batch.decide_with(request_key, &transfers, |r| {
            catch_unwind(AssertUnwindSafe(|| respond(r)))
                .map_err(|_| DecisionError::RespondPanicked)
        });
        match result {
            Ok(Ok(outcome)) => decided.push((responder, outcome)),
            // Nothing was staged for this request, so it can be answered now.
            Ok(Err(e)) => responder.send(Err(e)),
            Err(e) => responder.send(Err(DecisionError::Ledger(e))),
        }
    }
    match batch.commit() {
        Ok(_) => {
            counters.batches.fetch_add(1, Ordering::Relaxed);
            counters
                .decisions
                .fetch_add(decided.len() as u64, Ordering::Relaxed);
            for (responder, outcome) in decided {
                responder.send(Ok(outcome));
            }
        }
        Err(e) => fail_all(decided.into_iter().map(|(r, _)| r).collect(), &e),
    }
}

/// An error and its sources, for one message shared by every caller of a failed batch.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
