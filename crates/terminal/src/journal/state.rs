//! What the journal's records add up to: each request's fate, the reversals owed, the batch
//! totals and the last STAN. Pure; rebuilt by replaying the file on open.

use std::collections::HashMap;

use iso8583::ResponseCode;

use crate::stan::Stan;
use crate::totals::BatchTotals;
use crate::txn::{PendingReversal, RequestRecord, TxnKind};

use super::record::Record;

/// Financial requests one batch may hold; beyond it the terminal must settle first.
pub const TXN_PER_BATCH_MAX: usize = 10_000;

/// What became of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Sent (or about to be); no answer recorded.
    InFlight,
    /// Never left the terminal: no connection could be made.
    Unsent,
    Answered {
        response_code: ResponseCode,
        auth_code: Option<String>,
    },
}

/// One financial request and everything recorded about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub request: RequestRecord,
    pub outcome: Outcome,
    /// The reversal written for it, if any.
    pub reversal: Option<PendingReversal>,
    /// The response code of the 0410 that acknowledged the reversal.
    pub reversal_done: Option<ResponseCode>,
}

impl Entry {
    pub fn is_approved(&self) -> bool {
        matches!(&self.outcome, Outcome::Answered { response_code, .. } if response_code.is_approved())
    }

    pub fn auth_code(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Answered { auth_code, .. } => auth_code.as_deref(),
            _ => None,
        }
    }

    /// Counts in the batch: approved and neither reversed nor being reversed.
    pub fn counts(&self) -> bool {
        self.is_approved() && self.reversal.is_none()
    }

    pub fn reversal_owed(&self) -> bool {
        self.reversal.is_some() && self.reversal_done.is_none()
    }
}

/// Why a record cannot follow the ones before it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("the journal must begin with a checkpoint")]
    NoCheckpoint,
    #[error("a checkpoint may only begin the journal")]
    LateCheckpoint,
    #[error("STAN {0} is already used by a request of this batch")]
    StanInUse(Stan),
    #[error("no request with STAN {0} in this batch")]
    UnknownStan(Stan),
    #[error("request STAN {stan} is {state}, so a {record} record cannot follow")]
    WrongState {
        stan: Stan,
        state: &'static str,
        record: &'static str,
    },
    #[error("a reversal's copy of request {0} differs from the request sent")]
    ReversalMismatch(Stan),
    #[error("batch holds {TXN_PER_BATCH_MAX} requests already: settle first")]
    BatchFull,
    #[error("{0} requests are not journaled")]
    NotJournaled(&'static str),
    #[error("settled batch {got} but the journal is in batch {current}")]
    WrongBatch { got: u32, current: u32 },
}

/// The journal replayed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JournalState {
    started: bool,
    batch: u32,
    last_stan: Option<Stan>,
    entries: Vec<Entry>,
    by_stan: HashMap<Stan, usize>,
}

fn state_name(e: &Entry) -> &'static str {
    match (&e.outcome, &e.reversal, &e.reversal_done) {
        (_, Some(_), Some(_)) => "reversed",
        (_, Some(_), None) => "being reversed",
        (Outcome::InFlight, None, _) => "in flight",
        (Outcome::Unsent, None, _) => "unsent",
        (Outcome::Answered { .. }, None, _) => "answered",
    }
}

impl JournalState {
    /// The batch being filled (the first is 1).
    pub fn batch(&self) -> u32 {
        self.batch
    }

    /// The last STAN issued, if any.
    pub fn last_stan(&self) -> Option<Stan> {
        self.last_stan
    }

    /// This batch's requests in the order they were sent.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn entry(&self, stan: Stan) -> Option<&Entry> {
        self.by_stan.get(&stan).and_then(|&i| self.entries.get(i))
    }

    fn entry_mut(&mut self, stan: Stan) -> Option<&mut Entry> {
        let i = *self.by_stan.get(&stan)?;
        self.entries.get_mut(i)
    }

    /// The STAN to issue next: after the last one, wrapping, skipping any still held by a
    /// request or reversal of this batch.
    pub fn next_stan(&self) -> Stan {
        let mut stan = self.last_stan.map_or(Stan::FIRST, Stan::next);
        // At most two STANs per entry are held, so this ends within that many steps.
        for _ in 0..=2 * self.entries.len() {
            if !self.stan_held(stan) {
                break;
            }
            stan = stan.next();
        }
        stan
    }

    fn stan_held(&self, stan: Stan) -> bool {
        self.by_stan.contains_key(&stan)
            || self
                .entries
                .iter()
                .any(|e| e.reversal.as_ref().is_some_and(|r| r.stan == stan))
    }

    /// Requests sent with no answer and no reversal yet: each must be reversed.
    pub fn unanswered_requests(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| {
            e.outcome == Outcome::InFlight && e.reversal.is_none() && !e.request.kind.is_advice()
        })
    }

    /// Advices (completions) sent with no answer: each is repeated until answered.
    pub fn unanswered_advices(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| {
            e.outcome == Outcome::InFlight && e.reversal.is_none() && e.request.kind.is_advice()
        })
    }

    /// Reversals written but not acknowledged by a 0410.
    pub fn pending_reversals(&self) -> impl Iterator<Item = &PendingReversal> {
        self.entries
            .iter()
            .filter(|e| e.reversal_done.is_none())
            .filter_map(|e| e.reversal.as_ref())
    }

    /// Whether anything still needs the host before the batch can be settled.
    pub fn recovery_count(&self) -> usize {
        self.unanswered_requests().count()
            + self.unanswered_advices().count()
            + self.pending_reversals().count()
    }

    /// Settlement totals: approved requests neither reversed nor being reversed.
    pub fn totals(&self) -> BatchTotals {
        let mut t = BatchTotals::default();
        for e in self.entries.iter().filter(|e| e.counts()) {
            t.add(&e.request);
        }
        t
    }

    /// The latest approved request that has not been reversed: what "reverse last" undoes.
    pub fn last_reversible(&self) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.counts())
    }

    /// An approved pre-authorization not yet completed or reversed, by its RRN (12
    /// characters) or STAN (6 digits).
    pub fn open_preauth(&self, reference: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| {
            e.request.kind == TxnKind::PreAuth
                && (e.request.rrn == reference || e.request.stan.field() == reference)
                && self.preauth_open(e)
        })
    }

    fn preauth_open(&self, preauth: &Entry) -> bool {
        preauth.counts()
            && !self.entries.iter().any(|c| {
                c.request.kind == TxnKind::Completion
                    && c.request
                        .original
                        .as_ref()
                        .is_some_and(|o| o.stan == preauth.request.stan)
                    && c.reversal.is_none()
                    && (c.outcome == Outcome::InFlight || c.is_approved())
            })
    }

    /// Checks that `record` may follow the records applied so far, changing nothing.
    pub fn check(&self, record: &Record) -> Result<(), StateError> {
        if !self.started {
            return match record {
                Record::Checkpoint { .. } => Ok(()),
                _ => Err(StateError::NoCheckpoint),
            };
        }
        let in_flight = |stan: Stan, name: &'static str| -> Result<(), StateError> {
            let e = self.entry(stan).ok_or(StateError::UnknownStan(stan))?;
            if e.outcome != Outcome::InFlight || e.reversal.is_some() {
                return Err(StateError::WrongState {
                    stan,
                    state: state_name(e),
                    record: name,
                });
            }
            Ok(())
        };
        match record {
            Record::Checkpoint { .. } => Err(StateError::LateCheckpoint),
            Record::StanIssued(_) => Ok(()),
            Record::Sent(r) => {
                if r.kind == TxnKind::Balance {
                    return Err(StateError::NotJournaled("balance inquiry"));
                }
                if self.by_stan.contains_key(&r.stan) {
                    return Err(StateError::StanInUse(r.stan));
                }
                if self.entries.len() >= TXN_PER_BATCH_MAX {
                    return Err(StateError::BatchFull);
                }
                Ok(())
            }
            Record::Unsent(stan) => in_flight(*stan, "unsent"),
            Record::Completed { stan, .. } => in_flight(*stan, "completed"),
            Record::ReversalPending(p) => {
                let stan = p.original.stan;
                let e = self.entry(stan).ok_or(StateError::UnknownStan(stan))?;
                if e.reversal.is_some() || e.outcome == Outcome::Unsent {
                    return Err(StateError::WrongState {
                        stan,
                        state: state_name(e),
                        record: "reversal pending",
                    });
                }
                if e.request != p.original {
                    return Err(StateError::ReversalMismatch(stan));
                }
                Ok(())
            }
            Record::ReversalDone { original_stan, .. } => {
                let stan = *original_stan;
                let e = self.entry(stan).ok_or(StateError::UnknownStan(stan))?;
                if !e.reversal_owed() {
                    return Err(StateError::WrongState {
                        stan,
                        state: state_name(e),
                        record: "reversal done",
                    });
                }
                Ok(())
            }
            Record::Settled { batch } => {
                if *batch != self.batch {
                    return Err(StateError::WrongBatch {
                        got: *batch,
                        current: self.batch,
                    });
                }
                Ok(())
            }
        }
    }

    /// Applies `record` after [`JournalState::check`]; on error nothing changes.
    pub fn apply(&mut self, record: &Record) -> Result<(), StateError> {
        self.check(record)?;
        match record {
            Record::Checkpoint { batch, last_stan } => {
                self.started = true;
                self.batch = *batch;
                self.last_stan = *last_stan;
            }
            Record::StanIssued(stan) => self.last_stan = Some(*stan),
            Record::Sent(r) => {
                self.last_stan = Some(r.stan);
                self.by_stan.insert(r.stan, self.entries.len());
                self.entries.push(Entry {
                    request: r.clone(),
                    outcome: Outcome::InFlight,
                    reversal: None,
                    reversal_done: None,
                });
            }
            Record::Unsent(stan) => {
                if let Some(e) = self.entry_mut(*stan) {
                    e.outcome = Outcome::Unsent;
                }
            }
            Record::Completed {
                stan,
                response_code,
                auth_code,
            } => {
                if let Some(e) = self.entry_mut(*stan) {
                    e.outcome = Outcome::Answered {
                        response_code: *response_code,
                        auth_code: auth_code.clone(),
                    };
                }
            }
            Record::ReversalPending(p) => {
                self.last_stan = Some(p.stan);
                if let Some(e) = self.entry_mut(p.original.stan) {
                    e.reversal = Some(p.clone());
                }
            }
            Record::ReversalDone {
                original_stan,
                response_code,
            } => {
                if let Some(e) = self.entry_mut(*original_stan) {
                    e.reversal_done = Some(*response_code);
                }
            }
            Record::Settled { .. } => self.start_next_batch(),
        }
        Ok(())
    }

    /// Keeps what the next batch still needs: reversals and answers owed, and approved
    /// pre-authorizations not yet completed (their holds outlive the batch).
    fn start_next_batch(&mut self) {
        let keep: Vec<Entry> = self
            .entries
            .iter()
            .filter(|e| {
                e.reversal_owed()
                    || (e.outcome == Outcome::InFlight && e.reversal.is_none())
                    || (e.request.kind == TxnKind::PreAuth && self.preauth_open(e))
            })
            .cloned()
            .collect();
        self.entries = keep;
        self.by_stan = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.request.stan, i))
            .collect();
        self.batch = self.batch.wrapping_add(1);
    }

    /// The records that rebuild this state from nothing: what a compacted file holds.
    pub fn snapshot(&self) -> Vec<Record> {
        let mut out = vec![Record::Checkpoint {
            batch: self.batch,
            last_stan: self.last_stan,
        }];
        for e in &self.entries {
            out.push(Record::Sent(e.request.clone()));
            match &e.outcome {
                Outcome::InFlight => {}
                Outcome::Unsent => out.push(Record::Unsent(e.request.stan)),
                Outcome::Answered {
                    response_code,
                    auth_code,
                } => out.push(Record::Completed {
                    stan: e.request.stan,
                    response_code: *response_code,
                    auth_code: auth_code.clone(),
                }),
            }
            if let Some(r) = &e.reversal {
                out.push(Record::ReversalPending(r.clone()));
            }
            if let Some(code) = e.reversal_done {
                out.push(Record::ReversalDone {
                    original_stan: e.request.stan,
                    response_code: code,
                });
            }
        }
        // Replaying a snapshot must not move the last STAN back to an entry's.
        if let Some(last) = self.last_stan {
            out.push(Record::StanIssued(last));
        }
        out
    }
}
