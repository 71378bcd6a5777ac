//! The ledger: rules from the core over one storage.

use crate::batch::Batch;
use crate::core::account::Account;
use crate::core::audit::{AuditReport, Auditor};
use crate::core::hold::Hold;
use crate::core::transfer::Transfer;
use crate::core::transfer_rules::TIME_MAX_NS;
use crate::decision::{
    COUNT_MAX_CEILING, Decision, Limits, RESPONSE_MAX_BYTES_CEILING, RequestKey,
};
use crate::error::LedgerError;
use crate::storage::Storage;

/// A two-phase, double-entry ledger over storage `S`. Single owner: wrap it in a
/// [`crate::Committer`] to share it between threads and to group commits.
#[derive(Debug)]
pub struct Ledger<S> {
    storage: S,
    limits: Limits,
}

impl<S: Storage> Ledger<S> {
    /// A ledger over `storage` with bounds `limits`.
    pub fn new(storage: S, limits: Limits) -> Result<Self, LedgerError> {
        let counts = [
            ("transfers_per_call_max", limits.transfers_per_call_max),
            ("accounts_per_call_max", limits.accounts_per_call_max),
            ("expire_per_call_max", limits.expire_per_call_max),
            ("holds_list_max", limits.holds_list_max),
        ];
        for (name, value) in counts {
            if value == 0 || value > COUNT_MAX_CEILING {
                return Err(LedgerError::InvalidLimit {
                    name,
                    value,
                    max: COUNT_MAX_CEILING,
                });
            }
        }
        let value = limits.response_max_bytes;
        if value == 0 || value > RESPONSE_MAX_BYTES_CEILING {
            return Err(LedgerError::InvalidLimit {
                name: "response_max_bytes",
                value,
                max: RESPONSE_MAX_BYTES_CEILING,
            });
        }
        Ok(Self { storage, limits })
    }

    /// Starts a batch at time `now_ns` (ns since the Unix epoch). Callers should pass a clock
    /// that does not run backwards, or holds may expire late.
    pub fn begin(&mut self, now_ns: u64) -> Result<Batch<'_, S>, LedgerError> {
        if now_ns > TIME_MAX_NS {
            return Err(LedgerError::ClockOutOfRange { now_ns });
        }
        Ok(Batch::new(&mut self.storage, self.limits, now_ns))
    }

    /// The bounds in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The committed account.
    pub fn account(&self, id: u128) -> Result<Option<Account>, LedgerError> {
        Ok(self.storage.account(id)?)
    }

    /// The committed transfer.
    pub fn transfer(&self, id: u128) -> Result<Option<Transfer>, LedgerError> {
        Ok(self.storage.transfer(id)?)
    }

    /// The committed hold of pending transfer `id`.
    pub fn hold(&self, id: u128) -> Result<Option<Hold>, LedgerError> {
        Ok(self.storage.hold(id)?)
    }

    /// The committed decision for a request.
    pub fn decision(&self, key: &RequestKey) -> Result<Option<Decision>, LedgerError> {
        Ok(self.storage.decision(key)?)
    }

    /// Pending holds debiting or crediting the account, by ascending id, at most `limit`
    /// (which may not exceed [`Limits::holds_list_max`]).
    pub fn pending_holds(&self, account_id: u128, limit: usize) -> Result<Vec<Hold>, LedgerError> {
        let max = self.limits.holds_list_max;
        if limit > max {
            return Err(LedgerError::TooMany {
                what: "holds in pending_holds",
                count: limit,
                max,
            });
        }
        Ok(self.storage.pending_holds(account_id, limit)?)
    }

    /// Reads every committed record and checks the books: per ledger, debits equal credits
    /// (pending and posted apart); every balance equals the sum of its transfers; each hold is
    /// resolved at most once and its status agrees; no account breaks its must-not-exceed flag.
    /// Reads everything: run it offline or between batches, not on the authorization path.
    pub fn audit(&self) -> Result<AuditReport, LedgerError> {
        let mut auditor = Auditor::new();
        self.storage
            .visit_accounts(&mut |a| auditor.add_account(a))?;
        self.storage.visit_holds(&mut |h| auditor.add_hold(h))?;
        self.storage
            .visit_transfers(&mut |t| auditor.add_transfer(t))?;
        Ok(auditor.finish())
    }

    /// The storage, for read-only inspection.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The storage, for tests that damage it on purpose.
    #[cfg(test)]
    pub(crate) fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    /// Gives the storage back.
    pub fn into_storage(self) -> S {
        self.storage
    }
}
