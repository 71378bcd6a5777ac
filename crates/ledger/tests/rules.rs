//! Every transfer rule and result code, through a ledger on in-memory storage.

mod common;

use common::*;
use ledger::{
    AMOUNT_POST_FULL, HoldStatus, LedgerError, MemoryStorage, Transfer, TransferFlags,
    TransferOutcome, TransferRejected as R,
};

fn ledger_with(card_minor: u64) -> ledger::Ledger<MemoryStorage> {
    bank(MemoryStorage::new(), card_minor)
}

fn rejected(result: Result<ledger::Applied, ledger::TransferError>) -> R {
    result.expect_err("transfer should be rejected").reason
}

#[test]
fn single_phase_moves_posted_balances() {
    let mut l = ledger_with(10_000);
    apply(
        &mut l,
        T0,
        &[Transfer::single(1, CARD, MERCHANT, 2_500, EUR, PURCHASE)],
    )
    .unwrap();
    assert_eq!(balances(&l, CARD), (0, 2_500, 0, 10_000));
    assert_eq!(balances(&l, MERCHANT), (0, 0, 0, 2_500));
    assert_eq!(balances(&l, FUNDING), (0, 10_000, 0, 0));
    let stored = l.transfer(1).unwrap().unwrap();
    assert_eq!(stored.timestamp_ns, T0);
    assert_eq!(l.account(CARD).unwrap().unwrap().available_minor(), 7_500);
}

#[test]
fn pending_reserves_then_full_post_completes() {
    let mut l = ledger_with(10_000);
    apply(
        &mut l,
        T0,
        &[Transfer::pending(
            1, CARD, MERCHANT, 4_000, EUR, PURCHASE, 0,
        )],
    )
    .unwrap();
    assert_eq!(balances(&l, CARD), (4_000, 0, 0, 10_000));
    assert_eq!(balances(&l, MERCHANT), (0, 0, 4_000, 0));
    assert_eq!(l.account(CARD).unwrap().unwrap().available_minor(), 6_000);
    let applied = apply(&mut l, T0 + S, &[Transfer::post(2, 1, AMOUNT_POST_FULL)]).unwrap();
    let post = applied.transfers[0].transfer;
    assert_eq!(
        (
            post.debit_account_id,
            post.credit_account_id,
            post.amount_minor
        ),
        (CARD, MERCHANT, 4_000)
    );
    assert_eq!(
        (post.ledger, post.code, post.timestamp_ns),
        (EUR, PURCHASE, T0 + S)
    );
    assert_eq!(balances(&l, CARD), (0, 4_000, 0, 10_000));
    assert_eq!(balances(&l, MERCHANT), (0, 0, 0, 4_000));
    assert_eq!(l.hold(1).unwrap().unwrap().status, HoldStatus::Posted);
}

#[test]
fn partial_post_releases_the_rest() {
    let mut l = ledger_with(10_000);
    apply(
        &mut l,
        T0,
        &[Transfer::pending(
            1, CARD, MERCHANT, 4_000, EUR, PURCHASE, 60,
        )],
    )
    .unwrap();
    apply(&mut l, T0, &[Transfer::post(2, 1, 3_250)]).unwrap();
    assert_eq!(balances(&l, CARD), (0, 3_250, 0, 10_000));
    assert_eq!(balances(&l, MERCHANT), (0, 0, 0, 3_250));
    assert_eq!(l.account(CARD).unwrap().unwrap().available_minor(), 6_750);
}

#[test]
fn exact_amount_post_equals_full_post() {
    let mut l = ledger_with(10_000);
    apply(
        &mut l,
        T0,
        &[Transfer::pending(
            1, CARD, MERCHANT, 4_000, EUR, PURCHASE, 0,
        )],
    )
    .unwrap();
    apply(&mut l, T0, &[Transfer::post(2, 1, 4_000)]).unwrap();
    assert_eq!(balances(&l, CARD), (0, 4_000, 0, 10_000));
}

#[test]
fn void_restores_both_accounts() {
    for amount in [0, 4_000] {
        let mut l = ledger_with(10_000);
        apply(
            &mut l,
            T0,
            &[Transfer::pending(
                1, CARD, MERCHANT, 4_000, EUR, PURCHASE, 0,
            )],
        )
        .unwrap();
        let void = Transfer {
            amount_minor: amount,
            ..Transfer::void(2, 1)
        };
        let applied = apply(&mut l, T0, &[void]).unwrap();
        assert_eq!(applied.transfers[0].transfer.amount_minor, 4_000);
        assert_eq!(balances(&l, CARD), (0, 0, 0, 10_000));
        assert_eq!(balances(&l, MERCHANT), (0, 0, 0, 0));
        assert_eq!(l.hold(1).unwrap().unwrap().status, HoldStatus::Voided);
    }
}

#[test]
fn a_hold_resolves_exactly_once() {
    let mut l = ledger_with(10_000);
    apply(
        &mut l,
        T0,
        &[Transfer::pending(1, CARD, MERCHANT, 100, EUR, PURCHASE, 0)],
    )
    .unwrap();
    apply(
        &mut l,
        T0,
        &[Transfer::pending(2, CARD, MERCHANT, 100, EUR, PURCHASE, 0)],
    )
    .unwrap();
    apply(&mut l, T0, &[Transfer::post(10, 1, 100)]).unwrap();
    apply(&mut l, T0, &[Transfer::void(11, 2)]).unwrap();
    assert_eq!(
        rejected(apply(&mut l, T0, &[Transfer::post(12, 1, 100)])),
        R::AlreadyPosted
    );
    assert_eq!(
        rejected(apply(&mut l, T0, &[Transfer::void(13, 1)])),
        R::AlreadyPosted
    );
    assert_eq!(
        rejected(apply(&mut l, T0, &[Transfer::post(14, 2, 100)])),
        R::AlreadyVoided
    );
    assert_eq!(
        rejected(apply(&mut l, T0, &[Transfer::void(15, 2)])),
        R::AlreadyVoided
    );
    assert_eq!(
        rejected(apply(&mut l, T0, &[Transfer::void(16, 99)])),
        R::PendingNotFound
    );
    assert_eq!(balances(&l, CARD), (0, 100, 0, 10_000));
}

#[test]
fn expiry_releases_unresolved_holds_at_their_timeout() {
    let mut l = ledger_with(10_000);
    apply(
        &mut l,
        T0,
        &[Transfer::pending(1, CARD, MERCHANT, 700, EUR, PURCHASE, 30)],
    )
    .unwrap();
    apply(
        &mut l,
        T0,
        &[Transfer::pending(2, CARD, MERCHANT, 300, EUR, PURCHASE, 0)],
    )
    .unwrap();
    assert_eq!(l.hold(1).unwrap().unwrap().expires_at_ns, T0 + 30 * S);

    // One nanosecond early: nothing expires, and the hold can still be posted in principle.
    let mut batch = l.begin(T0 + 30 * S - 1).unwrap();
    assert_eq!(batch.expire().unwrap(), Vec::<u128>::new());
    drop(batch);

    // At the timeout, before any sweep, a post is refused.
    assert_eq!(
        rejected(apply(&mut l, T0 + 30 * S, &[Transfer::post(3, 1, 700)])),
        R::Expired
    );
    assert_eq!(balances(&l, CARD), (1_000, 0, 0, 10_000));

    let mut batch = l.begin(T0 + 30 * S).unwrap();
    assert_eq!(batch.expire().unwrap(), vec![1]);
    batch.commit().unwrap();
    assert_eq!(balances(&l, CARD), (300, 0, 0, 10_000));
    assert_eq!(balances(&l, MERCHANT), (0, 0, 300, 0));
    assert_eq!(l.hold(1).unwrap().unwrap().status, HoldStatus::Expired);
    assert_eq!(
        rejected(apply(&mut l, T0 + 31 * S, &[Transfer::void(4, 1)])),
        R::Expired
    );

    // A hold with timeout 0 never expires.
    let mut batch = l.begin(T0 + 1_000_000 * S).unwrap();
    assert_eq!(batch.expire().unwrap(), Vec::<u128>::new());
}

#[test]
fn expire_is_bounded_per_call_and_earliest_first() {
    let storage = MemoryStorage::new();
    let limits = ledger::Limits {
        expire_per_call_max: 2,
        ..ledger::Limits::default()
    };
    let mut l = ledger::Ledger::new(storage, limits).unwrap();
    let mut b = l.begin(T0).unwrap();
    b.create_accounts(&accounts()).unwrap().unwrap();
    b.try_apply(&[Transfer::single(100, FUNDING, CARD, 1_000, EUR, 9)])
        .unwrap()
        .unwrap();
    for (id, timeout_s) in [(1u128, 5u32), (2, 3), (3, 4)] {
        b.try_apply(&[Transfer::pending(
            id, CARD, MERCHANT, 10, EUR, PURCHASE, timeout_s,
        )])
        .unwrap()
        .unwrap();
    }
    b.commit().unwrap();
    let mut b = l.begin(T0 + 10 * S).unwrap();
    assert_eq!(b.expire().unwrap(), vec![2, 3]);
    b.commit().unwrap();
    let mut b = l.begin(T0 + 10 * S).unwrap();
    assert_eq!(b.expire().unwrap(), vec![1]);
    b.commit().unwrap();
    assert_eq!(balances(&l, CARD), (0, 0, 0, 1_000));
}

#[test]
fn debits_must_not_exceed_credits() {
    let mut l = ledger_with(10_000);
    apply(
        &mut l,
        T0,
        &[Transfer::pending(
            1, CARD, MERCHANT, 6_000, EUR, PURCHASE, 0,
        )],
    )
    .unwrap();
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::pending(
                2, CARD, MERCHANT, 4_001, EUR, PURCHASE, 0
            )]
        )),
        R::ExceedsCredits
    );
    apply(
        &mut l,
        T0,
        &[Transfer::single(3, CARD, MERCHANT, 4_000, EUR, PURCHASE)],
    )
    .unwrap();
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::single(4, CARD, MERCHANT, 1, EUR, PURCHASE)]
        )),
        R::ExceedsCredits
    );
    assert_eq!(balances(&l, CARD), (6_000, 4_000, 0, 10_000));
    // Pending credits do not count as funds.
    apply(
        &mut l,
        T0,
        &[Transfer::pending(5, FUNDING, CARD, 500, EUR, 9, 0)],
    )
    .unwrap();
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::single(6, CARD, MERCHANT, 1, EUR, PURCHASE)]
        )),
        R::ExceedsCredits
    );
}

#[test]
fn credits_must_not_exceed_debits() {
    let mut l = ledger_with(0);
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::single(1, FUNDING, LINE, 1, EUR, 9)]
        )),
        R::ExceedsDebits
    );
    apply(
        &mut l,
        T0,
        &[Transfer::single(2, LINE, MERCHANT, 50, EUR, PURCHASE)],
    )
    .unwrap();
    apply(
        &mut l,
        T0,
        &[Transfer::single(3, FUNDING, LINE, 50, EUR, 9)],
    )
    .unwrap();
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::pending(4, FUNDING, LINE, 1, EUR, 9, 0)]
        )),
        R::ExceedsDebits
    );
    assert_eq!(balances(&l, LINE), (0, 50, 0, 50));
}

#[test]
fn field_rules_single_and_pending() {
    let mut l = ledger_with(10_000);
    let ok = Transfer::single(1, CARD, MERCHANT, 10, EUR, PURCHASE);
    let cases = [
        (
            Transfer {
                timestamp_ns: 1,
                ..ok
            },
            R::TimestampMustBeZero,
        ),
        (
            Transfer {
                flags: TransferFlags(1 << 7),
                ..ok
            },
            R::ReservedFlag,
        ),
        (Transfer { id: 0, ..ok }, R::IdMustNotBeZero),
        (
            Transfer {
                id: u128::MAX,
                ..ok
            },
            R::IdMustNotBeIntMax,
        ),
        (
            Transfer {
                flags: TransferFlags(TransferFlags::PENDING.0 | TransferFlags::VOID_PENDING.0),
                ..ok
            },
            R::FlagsAreMutuallyExclusive,
        ),
        (
            Transfer {
                debit_account_id: 0,
                ..ok
            },
            R::DebitAccountIdMustNotBeZero,
        ),
        (
            Transfer {
                debit_account_id: u128::MAX,
                ..ok
            },
            R::DebitAccountIdMustNotBeIntMax,
        ),
        (
            Transfer {
                credit_account_id: 0,
                ..ok
            },
            R::CreditAccountIdMustNotBeZero,
        ),
        (
            Transfer {
                credit_account_id: u128::MAX,
                ..ok
            },
            R::CreditAccountIdMustNotBeIntMax,
        ),
        (
            Transfer {
                credit_account_id: CARD,
                ..ok
            },
            R::AccountsMustBeDifferent,
        ),
        (
            Transfer {
                pending_id: 5,
                ..ok
            },
            R::PendingIdMustBeZero,
        ),
        (
            Transfer { timeout_s: 5, ..ok },
            R::TimeoutReservedForPendingTransfer,
        ),
        (Transfer { ledger: 0, ..ok }, R::LedgerMustNotBeZero),
        (Transfer { code: 0, ..ok }, R::CodeMustNotBeZero),
        (
            Transfer {
                amount_minor: 0,
                ..ok
            },
            R::AmountMustNotBeZero,
        ),
        (
            Transfer {
                debit_account_id: 77,
                ..ok
            },
            R::DebitAccountNotFound,
        ),
        (
            Transfer {
                credit_account_id: 77,
                ..ok
            },
            R::CreditAccountNotFound,
        ),
        (
            Transfer {
                credit_account_id: DOLLARS,
                ..ok
            },
            R::AccountsMustHaveTheSameLedger,
        ),
        (
            Transfer { ledger: USD, ..ok },
            R::TransferMustHaveTheSameLedgerAsAccounts,
        ),
    ];
    for (event, want) in cases {
        assert_eq!(rejected(apply(&mut l, T0, &[event])), want, "{event:?}");
    }
    assert_eq!(
        balances(&l, CARD),
        (0, 0, 0, 10_000),
        "no rejected transfer changed a balance"
    );
    assert!(l.transfer(1).unwrap().is_none());
}

#[test]
fn field_rules_post_and_void() {
    let mut l = ledger_with(10_000);
    apply(
        &mut l,
        T0,
        &[Transfer::pending(1, CARD, MERCHANT, 400, EUR, PURCHASE, 0)],
    )
    .unwrap();
    apply(
        &mut l,
        T0,
        &[Transfer::single(2, CARD, MERCHANT, 5, EUR, PURCHASE)],
    )
    .unwrap();
    let post = Transfer::post(10, 1, 400);
    let cases = [
        (
            Transfer {
                pending_id: 0,
                ..post
            },
            R::PendingIdMustNotBeZero,
        ),
        (
            Transfer {
                pending_id: u128::MAX,
                ..post
            },
            R::PendingIdMustNotBeIntMax,
        ),
        (
            Transfer {
                pending_id: 10,
                ..post
            },
            R::PendingIdMustBeDifferent,
        ),
        (
            Transfer {
                timeout_s: 1,
                ..post
            },
            R::TimeoutReservedForPendingTransfer,
        ),
        (
            Transfer {
                pending_id: 99,
                ..post
            },
            R::PendingNotFound,
        ),
        (
            Transfer {
                pending_id: 2,
                ..post
            },
            R::PendingTransferNotPending,
        ),
        (
            Transfer {
                debit_account_id: FUNDING,
                ..post
            },
            R::PendingTransferHasDifferentDebitAccountId,
        ),
        (
            Transfer {
                credit_account_id: FUNDING,
                ..post
            },
            R::PendingTransferHasDifferentCreditAccountId,
        ),
        (
            Transfer {
                ledger: USD,
                ..post
            },
            R::PendingTransferHasDifferentLedger,
        ),
        (
            Transfer { code: 77, ..post },
            R::PendingTransferHasDifferentCode,
        ),
        (
            Transfer {
                amount_minor: 0,
                ..post
            },
            R::AmountMustNotBeZero,
        ),
        (
            Transfer {
                amount_minor: 401,
                ..post
            },
            R::ExceedsPendingTransferAmount,
        ),
        (
            Transfer {
                amount_minor: 399,
                ..Transfer::void(10, 1)
            },
            R::PendingTransferHasDifferentAmount,
        ),
    ];
    for (event, want) in cases {
        assert_eq!(rejected(apply(&mut l, T0, &[event])), want, "{event:?}");
    }
    // Matching optional fields are accepted.
    let full = Transfer {
        debit_account_id: CARD,
        credit_account_id: MERCHANT,
        ledger: EUR,
        code: PURCHASE,
        ..post
    };
    apply(&mut l, T0, &[full]).unwrap();
    assert_eq!(balances(&l, CARD), (0, 405, 0, 10_000));
}

#[test]
fn same_transfer_twice_is_idempotent_and_different_fields_are_not() {
    let mut l = ledger_with(10_000);
    let hold = Transfer::pending(1, CARD, MERCHANT, 400, EUR, PURCHASE, 60);
    apply(&mut l, T0, &[hold]).unwrap();
    let again = apply(&mut l, T0 + S, &[hold]).unwrap();
    assert_eq!(again.transfers[0].outcome, TransferOutcome::Exists);
    assert_eq!(
        again.transfers[0].transfer.timestamp_ns, T0,
        "the stored record is returned"
    );
    assert_eq!(balances(&l, CARD), (400, 0, 0, 10_000), "no second hold");
    let cases = [
        (
            Transfer {
                flags: TransferFlags::NONE,
                timeout_s: 0,
                ..hold
            },
            R::ExistsWithDifferentFlags,
        ),
        (
            Transfer {
                timeout_s: 61,
                ..hold
            },
            R::ExistsWithDifferentTimeout,
        ),
        (
            Transfer {
                debit_account_id: FUNDING,
                ..hold
            },
            R::ExistsWithDifferentDebitAccountId,
        ),
        (
            Transfer {
                credit_account_id: FUNDING,
                ..hold
            },
            R::ExistsWithDifferentCreditAccountId,
        ),
        (
            Transfer {
                amount_minor: 401,
                ..hold
            },
            R::ExistsWithDifferentAmount,
        ),
        (
            Transfer {
                ledger: USD,
                ..hold
            },
            R::ExistsWithDifferentLedger,
        ),
        (Transfer { code: 2, ..hold }, R::ExistsWithDifferentCode),
    ];
    for (event, want) in cases {
        assert_eq!(rejected(apply(&mut l, T0, &[event])), want, "{event:?}");
    }
    // A post sent as "full" and retried with the explicit amount (or the other way) is the same.
    apply(&mut l, T0, &[Transfer::post(2, 1, AMOUNT_POST_FULL)]).unwrap();
    assert_eq!(
        apply(&mut l, T0, &[Transfer::post(2, 1, 400)])
            .unwrap()
            .transfers[0]
            .outcome,
        TransferOutcome::Exists
    );
    assert_eq!(
        rejected(apply(&mut l, T0, &[Transfer::post(2, 1, 399)])),
        R::ExistsWithDifferentAmount
    );
    assert_eq!(
        rejected(apply(&mut l, T0, &[Transfer::post(2, 7, 400)])),
        R::ExistsWithDifferentPendingId
    );
    assert_eq!(balances(&l, CARD), (0, 400, 0, 10_000));
}

#[test]
fn overflow_is_a_rejection_never_a_wrap() {
    let mut l = ledger_with(0);
    apply(
        &mut l,
        T0,
        &[Transfer::single(1, FUNDING, MERCHANT, u64::MAX, EUR, 9)],
    )
    .unwrap();
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::single(2, FUNDING, CARD, 1, EUR, 9)]
        )),
        R::OverflowsDebitsPosted
    );
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::single(3, FUNDING2, MERCHANT, 1, EUR, 9)]
        )),
        R::OverflowsCreditsPosted
    );
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::pending(4, FUNDING, CARD, 1, EUR, 9, 0)]
        )),
        R::OverflowsDebits
    );
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::pending(5, FUNDING2, MERCHANT, 1, EUR, 9, 0)]
        )),
        R::OverflowsCredits
    );
    apply(
        &mut l,
        T0,
        &[Transfer::pending(6, FUNDING2, CARD, u64::MAX, EUR, 9, 0)],
    )
    .unwrap();
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::pending(7, FUNDING2, LINE, 1, EUR, 9, 0)]
        )),
        R::OverflowsDebitsPending
    );
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::pending(8, FUNDING, CARD, 1, EUR, 9, 0)]
        )),
        R::OverflowsCreditsPending
    );
    assert_eq!(balances(&l, FUNDING), (0, u64::MAX, 0, 0));
    assert_eq!(balances(&l, CARD), (0, 0, u64::MAX, 0));
}

#[test]
fn credits_pending_overflow() {
    let mut l = ledger_with(0);
    apply(
        &mut l,
        T0,
        &[Transfer::pending(1, FUNDING, MERCHANT, u64::MAX, EUR, 9, 0)],
    )
    .unwrap();
    assert_eq!(
        rejected(apply(
            &mut l,
            T0,
            &[Transfer::pending(2, FUNDING2, MERCHANT, 1, EUR, 9, 0)]
        )),
        R::OverflowsCreditsPending
    );
}

#[test]
fn timeout_beyond_the_clock_range_is_rejected() {
    let near_end = i64::MAX as u64 - 10 * S;
    let mut l = ledger_with(10_000);
    assert_eq!(
        rejected(apply(
            &mut l,
            near_end,
            &[Transfer::pending(1, CARD, MERCHANT, 1, EUR, PURCHASE, 11)]
        )),
        R::OverflowsTimeout
    );
    apply(
        &mut l,
        near_end,
        &[Transfer::pending(2, CARD, MERCHANT, 1, EUR, PURCHASE, 10)],
    )
    .unwrap();
    assert!(matches!(
        l.begin(i64::MAX as u64 + 1),
        Err(LedgerError::ClockOutOfRange { .. })
    ));
}

#[test]
fn a_list_is_all_or_nothing() {
    let mut l = ledger_with(1_000);
    let err = apply(
        &mut l,
        T0,
        &[
            Transfer::pending(1, CARD, MERCHANT, 600, EUR, PURCHASE, 0),
            Transfer::pending(2, CARD, MERCHANT, 600, EUR, PURCHASE, 0),
        ],
    )
    .unwrap_err();
    assert_eq!(
        (err.index, err.transfer_id, err.reason),
        (1, 2, R::ExceedsCredits)
    );
    assert!(l.transfer(1).unwrap().is_none());
    assert_eq!(balances(&l, CARD), (0, 0, 0, 1_000));
    // Later transfers see earlier ones of the same list.
    apply(
        &mut l,
        T0,
        &[
            Transfer::pending(1, CARD, MERCHANT, 600, EUR, PURCHASE, 0),
            Transfer::post(2, 1, 250),
            Transfer::single(3, CARD, MERCHANT, 750, EUR, PURCHASE),
        ],
    )
    .unwrap();
    assert_eq!(balances(&l, CARD), (0, 1_000, 0, 1_000));
}

#[test]
fn duplicate_ids_inside_one_list() {
    let mut l = ledger_with(1_000);
    let t = Transfer::single(1, CARD, MERCHANT, 10, EUR, PURCHASE);
    let applied = apply(&mut l, T0, &[t, t]).unwrap();
    assert_eq!(applied.transfers[1].outcome, TransferOutcome::Exists);
    assert_eq!(balances(&l, CARD), (0, 10, 0, 1_000));
}

#[test]
fn an_uncommitted_batch_leaves_no_trace() {
    let mut l = ledger_with(1_000);
    let mut batch = l.begin(T0).unwrap();
    batch
        .try_apply(&[Transfer::single(1, CARD, MERCHANT, 10, EUR, PURCHASE)])
        .unwrap()
        .unwrap();
    assert_eq!(
        batch.account(CARD).unwrap().unwrap().debits_posted,
        10,
        "the batch sees its own work"
    );
    drop(batch);
    assert!(l.transfer(1).unwrap().is_none());
    assert_eq!(balances(&l, CARD), (0, 0, 0, 1_000));
}

#[test]
fn too_many_transfers_in_one_call() {
    let mut l = ledger_with(1_000);
    let list: Vec<_> = (1..=17)
        .map(|i| Transfer::single(i, CARD, MERCHANT, 1, EUR, PURCHASE))
        .collect();
    let mut batch = l.begin(T0).unwrap();
    assert!(matches!(
        batch.try_apply(&list),
        Err(LedgerError::TooMany {
            count: 17,
            max: 16,
            ..
        })
    ));
}

#[test]
fn pending_holds_lists_open_holds_of_either_side() {
    let mut l = ledger_with(10_000);
    for id in [5u128, 3, 9] {
        apply(
            &mut l,
            T0,
            &[Transfer::pending(id, CARD, MERCHANT, 10, EUR, PURCHASE, 0)],
        )
        .unwrap();
    }
    apply(&mut l, T0, &[Transfer::void(20, 3)]).unwrap();
    let ids = |v: Vec<ledger::Hold>| v.into_iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(ids(l.pending_holds(CARD, 10).unwrap()), vec![5, 9]);
    assert_eq!(ids(l.pending_holds(MERCHANT, 1).unwrap()), vec![5]);
    assert_eq!(
        ids(l.pending_holds(FUNDING, 10).unwrap()),
        Vec::<u128>::new()
    );
    assert!(matches!(
        l.pending_holds(CARD, 1025),
        Err(LedgerError::TooMany { .. })
    ));
}

#[test]
fn create_accounts_is_idempotent_and_all_or_nothing() {
    let mut l = ledger_with(0);
    let mut b = l.begin(T0).unwrap();
    let again = b.create_accounts(&accounts()[..2]).unwrap().unwrap();
    assert_eq!(again, vec![ledger::AccountOutcome::Exists; 2]);
    let new = ledger::Account::new(50, EUR, 1, ledger::AccountFlags::NONE);
    let bad = ledger::Account {
        code: 0,
        ..ledger::Account::new(51, EUR, 1, ledger::AccountFlags::NONE)
    };
    let err = b.create_accounts(&[new, bad]).unwrap().unwrap_err();
    assert_eq!(
        (err.index, err.account_id, err.reason),
        (1, 51, ledger::AccountRejected::CodeMustNotBeZero)
    );
    let changed = ledger::Account {
        ledger: USD,
        ..accounts()[0]
    };
    let err = b.create_accounts(&[changed]).unwrap().unwrap_err();
    assert_eq!(
        err.reason,
        ledger::AccountRejected::ExistsWithDifferentLedger
    );
    b.commit().unwrap();
    assert!(
        l.account(50).unwrap().is_none(),
        "the list failed as a whole"
    );
    let many = vec![new; 1025];
    let mut b = l.begin(T0).unwrap();
    assert!(matches!(
        b.create_accounts(&many),
        Err(LedgerError::TooMany {
            count: 1025,
            max: 1024,
            ..
        })
    ));
}
