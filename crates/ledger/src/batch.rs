//! A batch: many operations at one time `now_ns`, staged in memory, committed together.

use std::convert::Infallible;

use crate::core::account::Account;
use crate::core::account_rules::check_account;
use crate::core::hold::{Hold, HoldStatus};
use crate::core::reject::{
    AccountError, AccountOutcome, Applied, AppliedTransfer, TransferError, TransferOutcome,
    TransferRejected,
};
use crate::core::transfer::{Transfer, TransferKind};
use crate::core::transfer_rules::{
    Fail, Inconsistency, PendingContext, PendingLookup, check_header, check_new_fields,
    check_resolve_fields, compare_existing, plan_expire, plan_new, plan_resolve,
};
use crate::decision::{Decision, DecisionOutcome, Limits, RequestKey};
use crate::error::{LedgerError, StorageError, key_prefix};
use crate::storage::{ChangeSet, Storage};

/// One step failed: a rule said no, or the ledger could not decide.
enum StepError {
    Rejected(TransferRejected),
    Ledger(LedgerError),
}

impl From<TransferRejected> for StepError {
    fn from(r: TransferRejected) -> Self {
        Self::Rejected(r)
    }
}

impl From<StorageError> for StepError {
    fn from(e: StorageError) -> Self {
        Self::Ledger(e.into())
    }
}

impl From<Inconsistency> for StepError {
    fn from(i: Inconsistency) -> Self {
        Self::Ledger(i.into())
    }
}

impl From<Fail> for StepError {
    fn from(f: Fail) -> Self {
        match f {
            Fail::Rejected(r) => Self::Rejected(r),
            Fail::Inconsistent(i) => i.into(),
        }
    }
}

/// What a successful commit wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommitSummary {
    /// Accounts created or updated.
    pub accounts: usize,
    /// Transfers created.
    pub transfers: usize,
    /// Holds created or resolved.
    pub holds: usize,
    /// Decisions recorded.
    pub decisions: usize,
}

/// Operations staged at one time `now_ns`. Nothing is visible to storage until [`Batch::commit`];
/// dropping the batch discards everything. Reads inside the batch see its staged changes.
pub struct Batch<'l, S: Storage> {
    storage: &'l mut S,
    limits: Limits,
    now_ns: u64,
    staged: ChangeSet,
}

impl<'l, S: Storage> Batch<'l, S> {
    pub(crate) fn new(storage: &'l mut S, limits: Limits, now_ns: u64) -> Self {
        Self {
            storage,
            limits,
            now_ns,
            staged: ChangeSet::default(),
        }
    }

    /// The batch time: every transfer and decision in it carries this timestamp.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// Changes staged so far.
    pub fn staged(&self) -> &ChangeSet {
        &self.staged
    }

    // Lookups see the trial changes of the call in progress, then the batch's, then storage.

    fn account_in(&self, trial: &ChangeSet, id: u128) -> Result<Option<Account>, StorageError> {
        match trial
            .accounts
            .get(&id)
            .or_else(|| self.staged.accounts.get(&id))
        {
            Some(found) => Ok(Some(*found)),
            None => self.storage.account(id),
        }
    }

    fn transfer_in(&self, trial: &ChangeSet, id: u128) -> Result<Option<Transfer>, StorageError> {
        match trial
            .transfers
            .get(&id)
            .or_else(|| self.staged.transfers.get(&id))
        {
            Some(found) => Ok(Some(*found)),
            None => self.storage.transfer(id),
        }
    }

    fn hold_in(&self, trial: &ChangeSet, id: u128) -> Result<Option<Hold>, StorageError> {
        match trial.holds.get(&id).or_else(|| self.staged.holds.get(&id)) {
            Some(found) => Ok(Some(*found)),
            None => self.storage.hold(id),
        }
    }

    /// The account as this batch would leave it.
    pub fn account(&self, id: u128) -> Result<Option<Account>, LedgerError> {
        Ok(self.account_in(&ChangeSet::default(), id)?)
    }

    /// The transfer, staged or stored.
    pub fn transfer(&self, id: u128) -> Result<Option<Transfer>, LedgerError> {
        Ok(self.transfer_in(&ChangeSet::default(), id)?)
    }

    /// The decision, staged or stored.
    pub fn decision(&self, key: &RequestKey) -> Result<Option<Decision>, LedgerError> {
        match self.staged.decisions.get(key) {
            Some(d) => Ok(Some(d.clone())),
            None => Ok(self.storage.decision(key)?),
        }
    }

    /// Creates accounts, all or none. `Ok(Err(_))` names the first rejected account.
    pub fn create_accounts(
        &mut self,
        accounts: &[Account],
    ) -> Result<Result<Vec<AccountOutcome>, AccountError>, LedgerError> {
        let max = self.limits.accounts_per_call_max;
        if accounts.len() > max {
            return Err(LedgerError::TooMany {
                what: "accounts in create_accounts",
                count: accounts.len(),
                max,
            });
        }
        let mut trial = ChangeSet::default();
        let mut outcomes = Vec::with_capacity(accounts.len());
        for (index, event) in accounts.iter().enumerate() {
            let existing = self.account_in(&trial, event.id)?;
            match check_account(event, existing.as_ref()) {
                Ok(outcome) => {
                    if outcome == AccountOutcome::Created {
                        trial.accounts.insert(event.id, *event);
                    }
                    outcomes.push(outcome);
                }
                Err(reason) => {
                    return Ok(Err(AccountError {
                        index,
                        account_id: event.id,
                        reason,
                    }));
                }
            }
        }
        self.staged.absorb(trial);
        Ok(Ok(outcomes))
    }

    /// Applies transfers in order, all or none. `Ok(Err(_))` is a business rejection (e.g.
    /// insufficient funds) naming the first rejected transfer; `Err(_)` means the ledger could not
    /// decide (storage failure, damaged state) and the batch should be abandoned.
    pub fn try_apply(
        &mut self,
        transfers: &[Transfer],
    ) -> Result<Result<Applied, TransferError>, LedgerError> {
        let (trial, result) = self.stage(transfers)?;
        if result.is_ok() {
            self.staged.absorb(trial);
        }
        Ok(result)
    }

    /// Works out what `transfers` would do, without keeping it.
    fn stage(
        &self,
        transfers: &[Transfer],
    ) -> Result<(ChangeSet, Result<Applied, TransferError>), LedgerError> {
        let max = self.limits.transfers_per_call_max;
        if transfers.len() > max {
            return Err(LedgerError::TooMany {
                what: "transfers in one call",
                count: transfers.len(),
                max,
            });
        }
        let mut trial = ChangeSet::default();
        let mut applied = Applied {
            transfers: Vec::with_capacity(transfers.len()),
        };
        for (index, event) in transfers.iter().enumerate() {
            match self.apply_one(&mut trial, event) {
                Ok(done) => applied.transfers.push(done),
                Err(StepError::Rejected(reason)) => {
                    let error = TransferError {
                        index,
                        transfer_id: event.id,
                        reason,
                    };
                    return Ok((ChangeSet::default(), Err(error)));
                }
                Err(StepError::Ledger(e)) => return Err(e),
            }
        }
        Ok((trial, Ok(applied)))
    }

    fn apply_one(&self, trial: &mut ChangeSet, e: &Transfer) -> Result<AppliedTransfer, StepError> {
        check_header(e)?;
        if let Some(stored) = self.transfer_in(trial, e.id)? {
            let pending_amount = match stored.kind() {
                Some(TransferKind::Post) => Some(self.pending_amount(trial, stored.pending_id)?),
                _ => None,
            };
            compare_existing(e, &stored, pending_amount)?;
            return Ok(AppliedTransfer {
                transfer: stored,
                outcome: TransferOutcome::Exists,
            });
        }
        let kind = e
            .kind()
            .ok_or(TransferRejected::FlagsAreMutuallyExclusive)?;
        let effect = match kind {
            TransferKind::Single | TransferKind::Pending => {
                check_new_fields(e, kind)?;
                let debit = self.account_in(trial, e.debit_account_id)?;
                let credit = self.account_in(trial, e.credit_account_id)?;
                plan_new(e, kind, debit, credit, self.now_ns)?
            }
            TransferKind::Post | TransferKind::Void => {
                check_resolve_fields(e)?;
                let lookup = self.pending_lookup(trial, e.pending_id)?;
                plan_resolve(e, kind, lookup, self.now_ns)?
            }
        };
        trial.accounts.insert(effect.debit.id, effect.debit);
        trial.accounts.insert(effect.credit.id, effect.credit);
        if let Some(hold) = effect.hold {
            trial.holds.insert(hold.id, hold);
        }
        trial.transfers.insert(effect.transfer.id, effect.transfer);
        Ok(AppliedTransfer {
            transfer: effect.transfer,
            outcome: TransferOutcome::Created,
        })
    }

    fn pending_amount(&self, trial: &ChangeSet, pending_id: u128) -> Result<u64, StepError> {
        let pending = self.transfer_in(trial, pending_id)?.ok_or(Inconsistency {
            what: "a stored post names a missing pending transfer",
            id: pending_id,
        })?;
        Ok(pending.amount_minor)
    }

    fn pending_lookup(
        &self,
        trial: &ChangeSet,
        pending_id: u128,
    ) -> Result<PendingLookup, StepError> {
        let Some(transfer) = self.transfer_in(trial, pending_id)? else {
            return Ok(PendingLookup::NotFound);
        };
        if transfer.kind() != Some(TransferKind::Pending) {
            return Ok(PendingLookup::NotPending);
        }
        let hold = self.hold_in(trial, pending_id)?.ok_or(Inconsistency {
            what: "pending transfer without a hold",
            id: pending_id,
        })?;
        let debit = self
            .account_in(trial, transfer.debit_account_id)?
            .ok_or(Inconsistency {
                what: "pending transfer names a missing debit account",
                id: pending_id,
            })?;
        let credit = self
            .account_in(trial, transfer.credit_account_id)?
            .ok_or(Inconsistency {
                what: "pending transfer names a missing credit account",
                id: pending_id,
            })?;
        Ok(PendingLookup::Found(PendingContext {
            transfer,
            hold,
            debit,
            credit,
        }))
    }

    /// Stores the answer to `request_key`, linked to the transfers of `applied` (none for a
    /// decline). Fails if the key already has a decision: look it up first, or use [`Self::decide`].
    pub fn record(
        &mut self,
        request_key: RequestKey,
        response: Vec<u8>,
        applied: Option<&Applied>,
    ) -> Result<(), LedgerError> {
        let max = self.limits.response_max_bytes;
        if response.len() > max {
            return Err(LedgerError::ResponseTooLarge {
                len: response.len(),
                max,
            });
        }
        if self.decision(&request_key)?.is_some() {
            return Err(LedgerError::DecisionExists {
                key_prefix: key_prefix(&request_key),
            });
        }
        let decision = Decision {
            request_key,
            response,
            transfer_ids: applied.map(Applied::ids).unwrap_or_default(),
            timestamp_ns: self.now_ns,
        };
        self.staged.decisions.insert(request_key, decision);
        Ok(())
    }

    /// Decides a request exactly once. If `request_key` is already decided, nothing changes and
    /// the stored response comes back. Otherwise the transfers are tried (all or none), `respond`
    /// makes the answer from the result (approval or decline alike), and the answer is stored
    /// with the transfers.
    pub fn decide(
        &mut self,
        request_key: RequestKey,
        transfers: &[Transfer],
        respond: impl FnOnce(&Result<Applied, TransferError>) -> Vec<u8>,
    ) -> Result<DecisionOutcome, LedgerError> {
        match self.decide_with(request_key, transfers, |result| {
            Ok::<_, Infallible>(respond(result))
        })? {
            Ok(outcome) => Ok(outcome),
            Err(never) => match never {},
        }
    }

    /// As [`Self::decide`], but `respond` may fail; then the request is abandoned (nothing is
    /// staged for it) and its error is returned inside `Ok`.
    pub fn decide_with<E>(
        &mut self,
        request_key: RequestKey,
        transfers: &[Transfer],
        respond: impl FnOnce(&Result<Applied, TransferError>) -> Result<Vec<u8>, E>,
    ) -> Result<Result<DecisionOutcome, E>, LedgerError> {
        if let Some(first) = self.decision(&request_key)? {
            return Ok(Ok(DecisionOutcome::Replayed {
                response: first.response,
                decided_at_ns: first.timestamp_ns,
            }));
        }
        let (trial, result) = self.stage(transfers)?;
        let response = match respond(&result) {
            Ok(response) => response,
            Err(e) => return Ok(Err(e)),
        };
        let max = self.limits.response_max_bytes;
        if response.len() > max {
            return Err(LedgerError::ResponseTooLarge {
                len: response.len(),
                max,
            });
        }
        // Nothing below can fail: the transfers and the answer are staged together or not at all.
        let transfer_ids = result.as_ref().map(Applied::ids).unwrap_or_default();
        if result.is_ok() {
            self.staged.absorb(trial);
        }
        let decision = Decision {
            request_key,
            response: response.clone(),
            transfer_ids,
            timestamp_ns: self.now_ns,
        };
        self.staged.decisions.insert(request_key, decision);
        Ok(Ok(DecisionOutcome::Decided { response, result }))
    }

    /// Releases pending holds whose timeout has passed at the batch time, earliest first, at most
    /// [`Limits::expire_per_call_max`] of them. Returns the expired holds' ids.
    pub fn expire(&mut self) -> Result<Vec<u128>, LedgerError> {
        let candidates = self
            .storage
            .expiring_holds(self.now_ns, self.limits.expire_per_call_max)?;
        let mut expired = Vec::with_capacity(candidates.len());
        for stored in candidates {
            let empty = ChangeSet::default();
            // The batch may already have resolved this hold; then it is not ours to expire.
            let Some(hold) = self.hold_in(&empty, stored.id)? else {
                continue;
            };
            if hold.status != HoldStatus::Pending || !hold.is_expired_at(self.now_ns) {
                continue;
            }
            let debit = self
                .account_in(&empty, hold.debit_account_id)?
                .ok_or(Inconsistency {
                    what: "hold names a missing debit account",
                    id: hold.id,
                })?;
            let credit = self
                .account_in(&empty, hold.credit_account_id)?
                .ok_or(Inconsistency {
                    what: "hold names a missing credit account",
                    id: hold.id,
                })?;
            let (hold, debit, credit) = plan_expire(&hold, debit, credit)?;
            self.staged.accounts.insert(debit.id, debit);
            self.staged.accounts.insert(credit.id, credit);
            self.staged.holds.insert(hold.id, hold);
            expired.push(hold.id);
        }
        Ok(expired)
    }

    /// Gives up the batch, returning what it had staged (for crash tests).
    #[cfg(test)]
    pub(crate) fn into_changes(self) -> ChangeSet {
        self.staged
    }

    /// Writes everything staged in one atomic, durable commit. On error nothing was written.
    pub fn commit(self) -> Result<CommitSummary, LedgerError> {
        let summary = CommitSummary {
            accounts: self.staged.accounts.len(),
            transfers: self.staged.transfers.len(),
            holds: self.staged.holds.len(),
            decisions: self.staged.decisions.len(),
        };
        if !self.staged.is_empty() {
            self.storage.commit(&self.staged)?;
        }
        Ok(summary)
    }
}
