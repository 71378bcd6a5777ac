//! The audit: recomputes every balance from the transfers and checks the ledger's invariants.
//! A pure fold: feed it every account, transfer and hold (in any order), then `finish`.

use std::collections::{BTreeMap, HashMap};

use super::account::{Account, AccountFlags};
use super::hold::{Hold, HoldStatus};
use super::transfer::{Transfer, TransferKind};

/// Most violations a report lists; the rest are only counted.
pub const VIOLATIONS_MAX: usize = 1000;

/// Pending or posted side of the books.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Holds.
    Pending,
    /// Completed transfers.
    Posted,
}

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Sum of debits differs from sum of credits on one ledger.
    LedgerUnbalanced {
        /// ISO 4217 numeric code.
        ledger: u32,
        /// Which balances.
        phase: Phase,
        /// Sum of the accounts' debits.
        debits: u128,
        /// Sum of the accounts' credits.
        credits: u128,
    },
    /// A stored balance differs from the sum of the account's transfers.
    BalanceMismatch {
        /// The account.
        account_id: u128,
        /// Which of the four balances.
        field: &'static str,
        /// As stored.
        stored: u64,
        /// As recomputed.
        from_transfers: u128,
    },
    /// An account breaks its must-not-exceed flag.
    LimitBroken {
        /// The account.
        account_id: u128,
        /// The flag.
        flag: &'static str,
        /// Pending + posted debits (or posted debits, for credits-must-not-exceed-debits).
        debits: u128,
        /// Posted credits (or pending + posted credits).
        credits: u128,
    },
    /// More than one post/void names the same pending transfer.
    PendingResolvedMoreThanOnce {
        /// The pending transfer.
        pending_id: u128,
        /// How many posts and voids name it.
        resolutions: u64,
    },
    /// A hold's status disagrees with the posts/voids that name it.
    HoldStatusMismatch {
        /// The pending transfer.
        pending_id: u128,
        /// Stored status.
        status: HoldStatus,
        /// Posts naming it.
        posts: u64,
        /// Voids naming it.
        voids: u64,
    },
    /// A pending transfer has no hold record.
    HoldMissing {
        /// The pending transfer.
        pending_id: u128,
    },
    /// A hold record has no pending transfer.
    HoldWithoutPendingTransfer {
        /// The hold.
        hold_id: u128,
    },
    /// A hold's copy of a pending transfer's field differs from the transfer.
    HoldDiffersFromTransfer {
        /// The pending transfer.
        pending_id: u128,
        /// The field.
        field: &'static str,
    },
    /// A post/void names a transfer that does not exist or is not pending.
    ResolvesNoPendingTransfer {
        /// The post/void.
        transfer_id: u128,
        /// What it names.
        pending_id: u128,
    },
    /// A post/void disagrees with its pending transfer (accounts, ledger, or an amount too large).
    ResolutionDiffersFromPending {
        /// The post/void.
        transfer_id: u128,
        /// The field.
        field: &'static str,
    },
    /// A transfer names an account that does not exist.
    UnknownAccount {
        /// The transfer.
        transfer_id: u128,
        /// The missing account.
        account_id: u128,
    },
    /// A transfer's ledger differs from one of its accounts'.
    LedgerMismatch {
        /// The transfer.
        transfer_id: u128,
        /// The account.
        account_id: u128,
    },
    /// A stored transfer has more than one phase flag, or a transfer names the same account twice.
    MalformedTransfer {
        /// The transfer.
        transfer_id: u128,
    },
}

/// Totals of one ledger (currency), from the accounts' stored balances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerTotals {
    /// ISO 4217 numeric code.
    pub ledger: u32,
    /// Accounts on it.
    pub accounts: u64,
    /// Sum of debits_pending.
    pub debits_pending: u128,
    /// Sum of debits_posted.
    pub debits_posted: u128,
    /// Sum of credits_pending.
    pub credits_pending: u128,
    /// Sum of credits_posted.
    pub credits_posted: u128,
}

/// What the audit found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditReport {
    /// Accounts read.
    pub accounts: u64,
    /// Transfers read.
    pub transfers: u64,
    /// Holds read.
    pub holds: u64,
    /// Holds still pending.
    pub holds_pending: u64,
    /// Per-ledger totals, by ledger code.
    pub ledgers: Vec<LedgerTotals>,
    /// Broken invariants, at most [`VIOLATIONS_MAX`].
    pub violations: Vec<Violation>,
    /// Violations found beyond [`VIOLATIONS_MAX`].
    pub violations_dropped: u64,
}

impl AuditReport {
    /// True when no invariant is broken.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty() && self.violations_dropped == 0
    }
}

/// Debits/credits recomputed from transfers.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    debits_pending: u128,
    debits_posted: u128,
    credits_pending: u128,
    credits_posted: u128,
}

/// A post/void, kept until its pending transfer is known.
#[derive(Clone, Copy, Debug)]
struct Resolution {
    transfer: Transfer,
    kind: TransferKind,
}

/// Accumulates records, then checks them all.
#[derive(Debug, Default)]
pub struct Auditor {
    accounts: BTreeMap<u128, Account>,
    sums: HashMap<u128, Sums>,
    pendings: BTreeMap<u128, Transfer>,
    holds: BTreeMap<u128, Hold>,
    resolutions: Vec<Resolution>,
    /// (id, debit, credit, ledger) of single-phase transfers, checked once all accounts are in.
    singles: Vec<(u128, u128, u128, u32)>,
    transfers: u64,
    report: AuditReport,
}

impl Auditor {
    /// An empty audit.
    pub fn new() -> Self {
        Self::default()
    }

    fn flag(&mut self, violation: Violation) {
        if self.report.violations.len() < VIOLATIONS_MAX {
            self.report.violations.push(violation);
        } else {
            self.report.violations_dropped += 1;
        }
    }

    /// Adds an account.
    pub fn add_account(&mut self, account: &Account) {
        self.accounts.insert(account.id, *account);
    }

    /// Adds a hold.
    pub fn add_hold(&mut self, hold: &Hold) {
        self.holds.insert(hold.id, *hold);
    }

    /// Adds a transfer.
    pub fn add_transfer(&mut self, t: &Transfer) {
        self.transfers += 1;
        let Some(kind) = t.kind() else {
            return self.flag(Violation::MalformedTransfer { transfer_id: t.id });
        };
        if t.debit_account_id == t.credit_account_id {
            return self.flag(Violation::MalformedTransfer { transfer_id: t.id });
        }
        match kind {
            TransferKind::Single => {
                self.singles
                    .push((t.id, t.debit_account_id, t.credit_account_id, t.ledger));
                self.post_amount(t, u128::from(t.amount_minor));
            }
            TransferKind::Pending => {
                self.pendings.insert(t.id, *t);
            }
            TransferKind::Post | TransferKind::Void => {
                self.resolutions.push(Resolution { transfer: *t, kind });
                if kind == TransferKind::Post {
                    self.post_amount(t, u128::from(t.amount_minor));
                }
            }
        }
    }

    fn post_amount(&mut self, t: &Transfer, amount: u128) {
        self.sums
            .entry(t.debit_account_id)
            .or_default()
            .debits_posted += amount;
        self.sums
            .entry(t.credit_account_id)
            .or_default()
            .credits_posted += amount;
    }

    /// Runs every check and returns the report.
    pub fn finish(mut self) -> AuditReport {
        self.check_accounts_named();
        self.check_holds();
        self.check_resolutions();
        self.check_balances();
        self.report.accounts = self.accounts.len() as u64;
        self.report.transfers = self.transfers;
        self.report.holds = self.holds.len() as u64;
        self.report.holds_pending = self
            .holds
            .values()
            .filter(|h| h.status == HoldStatus::Pending)
            .count() as u64;
        self.report
    }

    fn check_accounts_named(&mut self) {
        let mut found = Vec::new();
        let named = self
            .pendings
            .values()
            .chain(self.resolutions.iter().map(|r| &r.transfer))
            .map(|t| (t.id, t.debit_account_id, t.credit_account_id, t.ledger))
            .chain(self.singles.iter().copied());
        for (transfer_id, debit, credit, ledger) in named {
            for account_id in [debit, credit] {
                match self.accounts.get(&account_id) {
                    None => found.push(Violation::UnknownAccount {
                        transfer_id,
                        account_id,
                    }),
                    Some(a) if a.ledger != ledger => found.push(Violation::LedgerMismatch {
                        transfer_id,
                        account_id,
                    }),
                    Some(_) => {}
                }
            }
        }
        found.into_iter().for_each(|v| self.flag(v));
    }

    fn check_holds(&mut self) {
        let mut found = Vec::new();
        let mut resolved: HashMap<u128, (u64, u64)> = HashMap::new();
        for r in &self.resolutions {
            let entry = resolved.entry(r.transfer.pending_id).or_default();
            match r.kind {
                TransferKind::Post => entry.0 += 1,
                _ => entry.1 += 1,
            }
        }
        for (id, p) in &self.pendings {
            let (posts, voids) = resolved.get(id).copied().unwrap_or_default();
            if posts + voids > 1 {
                found.push(Violation::PendingResolvedMoreThanOnce {
                    pending_id: *id,
                    resolutions: posts + voids,
                });
            }
            let Some(hold) = self.holds.get(id) else {
                found.push(Violation::HoldMissing { pending_id: *id });
                continue;
            };
            let consistent = match hold.status {
                HoldStatus::Pending | HoldStatus::Expired => posts == 0 && voids == 0,
                HoldStatus::Posted => posts == 1 && voids == 0,
                HoldStatus::Voided => posts == 0 && voids == 1,
            };
            if !consistent {
                found.push(Violation::HoldStatusMismatch {
                    pending_id: *id,
                    status: hold.status,
                    posts,
                    voids,
                });
            }
            for (field, same) in [
                (
                    "debit_account_id",
                    hold.debit_account_id == p.debit_account_id,
                ),
                (
                    "credit_account_id",
                    hold.credit_account_id == p.credit_account_id,
                ),
                ("amount_minor", hold.amount_minor == p.amount_minor),
            ] {
                if !same {
                    found.push(Violation::HoldDiffersFromTransfer {
                        pending_id: *id,
                        field,
                    });
                }
            }
            if hold.status == HoldStatus::Pending {
                let amount = u128::from(p.amount_minor);
                self.sums
                    .entry(p.debit_account_id)
                    .or_default()
                    .debits_pending += amount;
                self.sums
                    .entry(p.credit_account_id)
                    .or_default()
                    .credits_pending += amount;
            }
        }
        for id in self.holds.keys() {
            if !self.pendings.contains_key(id) {
                found.push(Violation::HoldWithoutPendingTransfer { hold_id: *id });
            }
        }
        found.into_iter().for_each(|v| self.flag(v));
    }

    fn check_resolutions(&mut self) {
        let mut found = Vec::new();
        for r in &self.resolutions {
            let t = &r.transfer;
            let Some(p) = self.pendings.get(&t.pending_id) else {
                found.push(Violation::ResolvesNoPendingTransfer {
                    transfer_id: t.id,
                    pending_id: t.pending_id,
                });
                continue;
            };
            let amount_ok = match r.kind {
                TransferKind::Post => t.amount_minor <= p.amount_minor,
                _ => t.amount_minor == p.amount_minor,
            };
            for (field, same) in [
                ("debit_account_id", t.debit_account_id == p.debit_account_id),
                (
                    "credit_account_id",
                    t.credit_account_id == p.credit_account_id,
                ),
                ("ledger", t.ledger == p.ledger),
                ("amount_minor", amount_ok),
            ] {
                if !same {
                    found.push(Violation::ResolutionDiffersFromPending {
                        transfer_id: t.id,
                        field,
                    });
                }
            }
        }
        found.into_iter().for_each(|v| self.flag(v));
    }

    fn check_balances(&mut self) {
        let mut found = Vec::new();
        let mut totals: BTreeMap<u32, LedgerTotals> = BTreeMap::new();
        for a in self.accounts.values() {
            let s = self.sums.get(&a.id).copied().unwrap_or_default();
            for (field, stored, from_transfers) in [
                ("debits_pending", a.debits_pending, s.debits_pending),
                ("debits_posted", a.debits_posted, s.debits_posted),
                ("credits_pending", a.credits_pending, s.credits_pending),
                ("credits_posted", a.credits_posted, s.credits_posted),
            ] {
                if u128::from(stored) != from_transfers {
                    found.push(Violation::BalanceMismatch {
                        account_id: a.id,
                        field,
                        stored,
                        from_transfers,
                    });
                }
            }
            let debits = u128::from(a.debits_pending) + u128::from(a.debits_posted);
            let credits = u128::from(a.credits_pending) + u128::from(a.credits_posted);
            if a.flags
                .contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
                && debits > u128::from(a.credits_posted)
            {
                found.push(Violation::LimitBroken {
                    account_id: a.id,
                    flag: "DEBITS_MUST_NOT_EXCEED_CREDITS",
                    debits,
                    credits: u128::from(a.credits_posted),
                });
            }
            if a.flags
                .contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
                && credits > u128::from(a.debits_posted)
            {
                found.push(Violation::LimitBroken {
                    account_id: a.id,
                    flag: "CREDITS_MUST_NOT_EXCEED_DEBITS",
                    debits: u128::from(a.debits_posted),
                    credits,
                });
            }
            let t = totals.entry(a.ledger).or_insert(LedgerTotals {
                ledger: a.ledger,
                ..LedgerTotals::default()
            });
            t.accounts += 1;
            t.debits_pending += u128::from(a.debits_pending);
            t.debits_posted += u128::from(a.debits_posted);
            t.credits_pending += u128::from(a.credits_pending);
            t.credits_posted += u128::from(a.credits_posted);
        }
        for t in totals.values() {
            if t.debits_pending != t.credits_pending {
                found.push(Violation::LedgerUnbalanced {
                    ledger: t.ledger,
                    phase: Phase::Pending,
                    debits: t.debits_pending,
                    credits: t.credits_pending,
                });
            }
            if t.debits_posted != t.credits_posted {
                found.push(Violation::LedgerUnbalanced {
                    ledger: t.ledger,
                    phase: Phase::Posted,
                    debits: t.debits_posted,
                    credits: t.credits_posted,
                });
            }
        }
        found.into_iter().for_each(|v| self.flag(v));
        self.report.ledgers = totals.into_values().collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::transfer::TransferFlags;

    const EUR: u32 = 978;

    fn account(id: u128, ledger: u32) -> Account {
        Account::new(id, ledger, 1, AccountFlags::NONE)
    }

    #[test]
    fn empty_books_are_clean() {
        let report = Auditor::new().finish();
        assert!(report.is_clean());
        assert_eq!(report, AuditReport::default());
    }

    #[test]
    fn dangling_records_are_named() {
        let mut a = Auditor::new();
        a.add_account(&Account {
            debits_posted: 5,
            ..account(1, EUR)
        });
        a.add_account(&Account {
            credits_posted: 5,
            ..account(2, 840)
        });
        // Ledger mismatch on the credit side, and an orphan hold and an orphan void.
        a.add_transfer(&Transfer {
            timestamp_ns: 1,
            ..Transfer::single(10, 1, 2, 5, EUR, 1)
        });
        a.add_hold(&Hold {
            id: 11,
            debit_account_id: 1,
            credit_account_id: 2,
            amount_minor: 1,
            expires_at_ns: 0,
            status: HoldStatus::Pending,
        });
        a.add_transfer(&Transfer {
            debit_account_id: 1,
            credit_account_id: 2,
            ..Transfer::void(12, 99)
        });
        a.add_transfer(&Transfer {
            flags: TransferFlags(3),
            ..Transfer::single(13, 1, 2, 1, EUR, 1)
        });
        a.add_transfer(&Transfer::pending(14, 1, 3, 1, EUR, 1, 0));
        let report = a.finish();
        assert_eq!(
            report.violations,
            vec![
                Violation::MalformedTransfer { transfer_id: 13 },
                Violation::UnknownAccount {
                    transfer_id: 14,
                    account_id: 3
                },
                // The void was stored with ledger 0, matching neither account.
                Violation::LedgerMismatch {
                    transfer_id: 12,
                    account_id: 1
                },
                Violation::LedgerMismatch {
                    transfer_id: 12,
                    account_id: 2
                },
                Violation::LedgerMismatch {
                    transfer_id: 10,
                    account_id: 2
                },
                Violation::HoldMissing { pending_id: 14 },
                Violation::HoldWithoutPendingTransfer { hold_id: 11 },
                Violation::ResolvesNoPendingTransfer {
                    transfer_id: 12,
                    pending_id: 99
                },
                // The cross-ledger transfer leaves each ledger one-sided.
                Violation::LedgerUnbalanced {
                    ledger: 840,
                    phase: Phase::Posted,
                    debits: 0,
                    credits: 5
                },
                Violation::LedgerUnbalanced {
                    ledger: EUR,
                    phase: Phase::Posted,
                    debits: 5,
                    credits: 0
                },
            ]
        );
        assert_eq!(report.transfers, 4);
    }

    #[test]
    fn the_violation_list_is_bounded() {
        let mut a = Auditor::new();
        for id in 1..=(VIOLATIONS_MAX as u128 + 5) {
            a.add_account(&Account {
                debits_posted: 1,
                ..account(id, EUR)
            });
        }
        let report = a.finish();
        assert_eq!(report.violations.len(), VIOLATIONS_MAX);
        // Each account is off by one (1005), plus the unbalanced ledger.
        assert_eq!(report.violations_dropped, 6);
        assert!(!report.is_clean());
    }
}
