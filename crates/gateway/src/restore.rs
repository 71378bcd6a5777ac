//! Rebuilding the reversal queue and batch totals from the journal, and writing the live
//! state back as a short journal (compaction).

use crate::batch::Added;
use crate::gateway::Gateway;
use crate::journal::Record;
use crate::reversal::Advice;

/// A journal record that does not fit the state before it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("journal names reversal advice #{0}, which was never queued or is already closed")]
    UnknownAdvice(u64),
    #[error("journal queues reversal advice #{0} twice")]
    DuplicateAdvice(u64),
    #[error("journal adds to terminal {terminal:?}'s batch beyond its limit of {limit}")]
    BatchFull { terminal: String, limit: usize },
}

impl Gateway {
    /// Applies one journal record, in file order. A record that does not fit is reported and
    /// changes nothing; the caller logs it and goes on with the next.
    pub fn replay(&mut self, record: &Record) -> Result<(), ReplayError> {
        match record {
            Record::AdviceQueued {
                id,
                link,
                created_ms,
                advice,
            } => {
                if self.advices.get(*id).is_some() {
                    return Err(ReplayError::DuplicateAdvice(*id));
                }
                self.advices.insert(Advice {
                    id: *id,
                    link: link.clone(),
                    created_ms: *created_ms,
                    message: advice.clone(),
                    attempts: 0,
                    next_attempt_ms: *created_ms,
                    in_flight_until: None,
                });
            }
            Record::AdviceAttempted {
                id,
                attempts,
                next_attempt_ms,
            } => {
                let a = self
                    .advices
                    .get_mut(*id)
                    .ok_or(ReplayError::UnknownAdvice(*id))?;
                a.attempts = *attempts;
                a.next_attempt_ms = *next_attempt_ms;
            }
            Record::AdviceClosed { id, .. } => {
                self.advices
                    .remove(*id)
                    .ok_or(ReplayError::UnknownAdvice(*id))?;
            }
            Record::BatchAdded {
                terminal,
                key,
                entry,
            } => {
                if self.batches.add(terminal, key.clone(), entry.clone()) == Added::Full {
                    return Err(ReplayError::BatchFull {
                        terminal: terminal.clone(),
                        limit: self.config.limits.batch_transactions_max,
                    });
                }
            }
            Record::BatchRemoved { terminal, key, mti } => {
                self.batches.remove(terminal, key, mti);
            }
            Record::BatchSettled { terminal, currency } => {
                self.batches.settle(terminal, currency);
            }
        }
        Ok(())
    }

    /// The live state as records: replayed into a fresh gateway they give the same queue and
    /// totals. Write them to a new file and rename it over the old journal to compact it.
    pub fn snapshot(&self) -> Vec<Record> {
        let mut out = Vec::with_capacity(self.advices.len() * 2);
        for a in self.advices.iter() {
            out.push(Record::AdviceQueued {
                id: a.id,
                link: a.link.clone(),
                created_ms: a.created_ms,
                advice: a.message.clone(),
            });
            if a.attempts > 0 {
                out.push(Record::AdviceAttempted {
                    id: a.id,
                    attempts: a.attempts,
                    next_attempt_ms: a.next_attempt_ms,
                });
            }
        }
        let mut entries: Vec<_> = self.batches.iter().collect();
        // HashMap order would make two snapshots of one state differ byte for byte.
        entries.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (terminal, key, entry) in entries {
            out.push(Record::BatchAdded {
                terminal: terminal.to_string(),
                key: key.clone(),
                entry: entry.clone(),
            });
        }
        out
    }
}
