//! In-memory storage for tests and the network simulation. Not durable.

use std::collections::{BTreeMap, BTreeSet};

use super::{ChangeSet, Storage};
use crate::core::account::Account;
use crate::core::hold::{Hold, HoldStatus};
use crate::core::transfer::Transfer;
use crate::decision::{Decision, RequestKey};
use crate::error::StorageError;

/// Maps plus two indexes over the pending holds (by account, by expiry).
#[derive(Clone, Debug, Default)]
pub struct MemoryStorage {
    accounts: BTreeMap<u128, Account>,
    transfers: BTreeMap<u128, Transfer>,
    holds: BTreeMap<u128, Hold>,
    decisions: BTreeMap<RequestKey, Decision>,
    pending_by_account: BTreeMap<u128, BTreeSet<u128>>,
    pending_by_expiry: BTreeSet<(u64, u128)>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn unindex(&mut self, hold: &Hold) {
        if hold.status != HoldStatus::Pending {
            return;
        }
        for account in [hold.debit_account_id, hold.credit_account_id] {
            if let Some(set) = self.pending_by_account.get_mut(&account) {
                set.remove(&hold.id);
                if set.is_empty() {
                    self.pending_by_account.remove(&account);
                }
            }
        }
        self.pending_by_expiry
            .remove(&(hold.expires_at_ns, hold.id));
    }

    fn index(&mut self, hold: &Hold) {
        if hold.status != HoldStatus::Pending {
            return;
        }
        for account in [hold.debit_account_id, hold.credit_account_id] {
            self.pending_by_account
                .entry(account)
                .or_default()
                .insert(hold.id);
        }
        if hold.expires_at_ns != 0 {
            self.pending_by_expiry.insert((hold.expires_at_ns, hold.id));
        }
    }
}

impl Storage for MemoryStorage {
    fn account(&self, id: u128) -> Result<Option<Account>, StorageError> {
        Ok(self.accounts.get(&id).copied())
    }

    fn transfer(&self, id: u128) -> Result<Option<Transfer>, StorageError> {
        Ok(self.transfers.get(&id).copied())
    }

    fn hold(&self, id: u128) -> Result<Option<Hold>, StorageError> {
        Ok(self.holds.get(&id).copied())
    }

    fn decision(&self, key: &RequestKey) -> Result<Option<Decision>, StorageError> {
        Ok(self.decisions.get(key).cloned())
    }

    fn pending_holds(&self, account_id: u128, limit: usize) -> Result<Vec<Hold>, StorageError> {
        let Some(ids) = self.pending_by_account.get(&account_id) else {
            return Ok(Vec::new());
        };
        Ok(ids
            .iter()
            .filter_map(|id| self.holds.get(id).copied())
            .take(limit)
            .collect())
    }

    fn expiring_holds(&self, now_ns: u64, limit: usize) -> Result<Vec<Hold>, StorageError> {
        Ok(self
            .pending_by_expiry
            .range(..=(now_ns, u128::MAX))
            .filter_map(|(_, id)| self.holds.get(id).copied())
            .take(limit)
            .collect())
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StorageError> {
        self.accounts
            .extend(changes.accounts.iter().map(|(k, v)| (*k, *v)));
        self.transfers
            .extend(changes.transfers.iter().map(|(k, v)| (*k, *v)));
        for hold in changes.holds.values() {
            if let Some(old) = self.holds.insert(hold.id, *hold) {
                self.unindex(&old);
            }
            self.index(hold);
        }
        self.decisions
            .extend(changes.decisions.iter().map(|(k, v)| (*k, v.clone())));
        Ok(())
    }

    fn visit_accounts(&self, visit: &mut dyn FnMut(&Account)) -> Result<(), StorageError> {
        self.accounts.values().for_each(visit);
        Ok(())
    }

    fn visit_transfers(&self, visit: &mut dyn FnMut(&Transfer)) -> Result<(), StorageError> {
        self.transfers.values().for_each(visit);
        Ok(())
    }

    fn visit_holds(&self, visit: &mut dyn FnMut(&Hold)) -> Result<(), StorageError> {
        self.holds.values().for_each(visit);
        Ok(())
    }
}
