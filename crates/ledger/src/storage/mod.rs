//! Where the ledger keeps its records. Storages hold data only: every rule lives in the core, so
//! two storages fed the same operations give the same answers.

pub mod memory;
pub mod sqlite;

use std::collections::BTreeMap;

use crate::core::account::Account;
use crate::core::hold::Hold;
use crate::core::transfer::Transfer;
use crate::decision::{Decision, RequestKey};
use crate::error::StorageError;

/// Everything one batch changes, written in one atomic, durable commit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// New or updated accounts (final state).
    pub accounts: BTreeMap<u128, Account>,
    /// New transfers (never updated).
    pub transfers: BTreeMap<u128, Transfer>,
    /// New or updated holds (final state).
    pub holds: BTreeMap<u128, Hold>,
    /// New decisions (never updated).
    pub decisions: BTreeMap<RequestKey, Decision>,
}

impl ChangeSet {
    /// True when nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
            && self.transfers.is_empty()
            && self.holds.is_empty()
            && self.decisions.is_empty()
    }

    /// Adds `later` on top of `self`; later states win.
    pub(crate) fn absorb(&mut self, later: ChangeSet) {
        self.accounts.extend(later.accounts);
        self.transfers.extend(later.transfers);
        self.holds.extend(later.holds);
        self.decisions.extend(later.decisions);
    }
}

/// A ledger storage. One owner (the committer thread) reads and writes it.
pub trait Storage {
    /// The account with this id.
    fn account(&self, id: u128) -> Result<Option<Account>, StorageError>;
    /// The transfer with this id.
    fn transfer(&self, id: u128) -> Result<Option<Transfer>, StorageError>;
    /// The hold of the pending transfer with this id.
    fn hold(&self, id: u128) -> Result<Option<Hold>, StorageError>;
    /// The decision stored under this key.
    fn decision(&self, key: &RequestKey) -> Result<Option<Decision>, StorageError>;
    /// Pending holds debiting or crediting `account_id`, by ascending id, at most `limit`.
    fn pending_holds(&self, account_id: u128, limit: usize) -> Result<Vec<Hold>, StorageError>;
    /// Pending holds with `0 < expires_at_ns <= now_ns`, by ascending (expires_at_ns, id), at most `limit`.
    fn expiring_holds(&self, now_ns: u64, limit: usize) -> Result<Vec<Hold>, StorageError>;
    /// Writes `changes` atomically and durably: when this returns `Ok`, all of it survives a
    /// crash; when it returns `Err`, none of it is visible.
    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StorageError>;
    /// Calls `visit` for every account, by ascending id.
    fn visit_accounts(&self, visit: &mut dyn FnMut(&Account)) -> Result<(), StorageError>;
    /// Calls `visit` for every transfer, by ascending id.
    fn visit_transfers(&self, visit: &mut dyn FnMut(&Transfer)) -> Result<(), StorageError>;
    /// Calls `visit` for every hold, by ascending id.
    fn visit_holds(&self, visit: &mut dyn FnMut(&Hold)) -> Result<(), StorageError>;
}
