//! The audit over SQLite: clean books, and each kind of damage done with raw SQL is named.

mod common;

use std::path::Path;

use common::*;
use ledger::{HoldStatus, Ledger, LedgerTotals, Limits, Phase, SqliteStorage, Transfer, Violation};
use rusqlite::Connection;

/// A day of business: a partial completion, an open hold, a reversal, a credit-line purchase.
fn busy_day(path: &Path) {
    let mut l = bank(SqliteStorage::open(path).unwrap(), 1_000);
    apply(
        &mut l,
        T0,
        &[Transfer::pending(1, CARD, MERCHANT, 300, EUR, PURCHASE, 0)],
    )
    .unwrap();
    apply(&mut l, T0, &[Transfer::post(2, 1, 250)]).unwrap();
    apply(
        &mut l,
        T0,
        &[Transfer::pending(3, CARD, MERCHANT, 200, EUR, PURCHASE, 0)],
    )
    .unwrap();
    apply(
        &mut l,
        T0,
        &[Transfer::pending(4, CARD, MERCHANT, 100, EUR, PURCHASE, 0)],
    )
    .unwrap();
    apply(&mut l, T0, &[Transfer::void(5, 4)]).unwrap();
    apply(
        &mut l,
        T0,
        &[Transfer::single(6, LINE, MERCHANT, 50, EUR, PURCHASE)],
    )
    .unwrap();
}

fn audit(path: &Path) -> ledger::AuditReport {
    Ledger::new(SqliteStorage::open(path).unwrap(), Limits::default())
        .unwrap()
        .audit()
        .unwrap()
}

fn raw(path: &Path, sql: &str) {
    let conn = Connection::open(path).unwrap();
    assert_eq!(conn.execute(sql, []).unwrap(), 1, "{sql}");
}

fn id(n: u128) -> String {
    format!("x'{n:032x}'")
}

#[test]
fn clean_books_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    busy_day(&path);
    let report = audit(&path);
    assert!(report.is_clean(), "{:?}", report.violations);
    assert_eq!(
        (
            report.accounts,
            report.transfers,
            report.holds,
            report.holds_pending
        ),
        (6, 7, 3, 1)
    );
    assert_eq!(
        report.ledgers,
        vec![
            LedgerTotals {
                ledger: USD,
                accounts: 1,
                ..LedgerTotals::default()
            },
            LedgerTotals {
                ledger: EUR,
                accounts: 5,
                debits_pending: 200,
                debits_posted: 1_300,
                credits_pending: 200,
                credits_posted: 1_300,
            },
        ]
    );
}

#[test]
fn an_edited_balance_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    busy_day(&path);
    raw(
        &path,
        &format!(
            "UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = {}",
            id(CARD)
        ),
    );
    assert_eq!(
        audit(&path).violations,
        vec![
            Violation::BalanceMismatch {
                account_id: CARD,
                field: "credits_posted",
                stored: 1_001,
                from_transfers: 1_000
            },
            Violation::LedgerUnbalanced {
                ledger: EUR,
                phase: Phase::Posted,
                debits: 1_300,
                credits: 1_301
            },
        ]
    );
}

#[test]
fn a_hold_resolved_twice_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    busy_day(&path);
    raw(
        &path,
        &format!(
            "INSERT INTO transfers VALUES ({}, {}, {}, 300, {}, {EUR}, {PURCHASE}, 4, 0, {T0})",
            id(7),
            id(CARD),
            id(MERCHANT),
            id(1)
        ),
    );
    assert_eq!(
        audit(&path).violations,
        vec![
            Violation::PendingResolvedMoreThanOnce {
                pending_id: 1,
                resolutions: 2
            },
            Violation::HoldStatusMismatch {
                pending_id: 1,
                status: HoldStatus::Posted,
                posts: 1,
                voids: 1
            },
        ]
    );
}

#[test]
fn a_broken_limit_is_caught_even_when_the_books_balance() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    busy_day(&path);
    raw(
        &path,
        &format!(
            "UPDATE accounts SET debits_posted = debits_posted + 5000 WHERE id = {}",
            id(CARD)
        ),
    );
    raw(
        &path,
        &format!(
            "UPDATE accounts SET credits_posted = credits_posted + 5000 WHERE id = {}",
            id(MERCHANT)
        ),
    );
    assert_eq!(
        audit(&path).violations,
        vec![
            Violation::BalanceMismatch {
                account_id: CARD,
                field: "debits_posted",
                stored: 5_250,
                from_transfers: 250
            },
            Violation::LimitBroken {
                account_id: CARD,
                flag: "DEBITS_MUST_NOT_EXCEED_CREDITS",
                debits: 5_450,
                credits: 1_000
            },
            Violation::BalanceMismatch {
                account_id: MERCHANT,
                field: "credits_posted",
                stored: 5_300,
                from_transfers: 300
            },
        ]
    );
}

#[test]
fn a_reopened_hold_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    busy_day(&path);
    raw(
        &path,
        &format!("UPDATE holds SET status = 0 WHERE id = {}", id(4)),
    );
    assert_eq!(
        audit(&path).violations,
        vec![
            Violation::HoldStatusMismatch {
                pending_id: 4,
                status: HoldStatus::Pending,
                posts: 0,
                voids: 1
            },
            Violation::BalanceMismatch {
                account_id: CARD,
                field: "debits_pending",
                stored: 200,
                from_transfers: 300
            },
            Violation::BalanceMismatch {
                account_id: MERCHANT,
                field: "credits_pending",
                stored: 200,
                from_transfers: 300
            },
        ]
    );
}

#[test]
fn a_deleted_account_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    busy_day(&path);
    raw(
        &path,
        &format!("DELETE FROM accounts WHERE id = {}", id(LINE)),
    );
    let violations = audit(&path).violations;
    assert_eq!(
        violations,
        vec![
            Violation::UnknownAccount {
                transfer_id: 6,
                account_id: LINE
            },
            Violation::LedgerUnbalanced {
                ledger: EUR,
                phase: Phase::Posted,
                debits: 1_250,
                credits: 1_300
            }
        ]
    );
}
