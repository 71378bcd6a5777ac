//! Idempotent decisions: a repeated request gets the first answer, and never a second hold.

mod common;

use common::*;
use ledger::{DecisionOutcome, LedgerError, Limits, MemoryStorage, Transfer, TransferRejected};

/// What an issuer would answer: ISO 8583 response code 00 (approved) or 51 (insufficient funds).
fn respond(result: &Result<ledger::Applied, ledger::TransferError>) -> Vec<u8> {
    match result {
        Ok(_) => b"00".to_vec(),
        Err(e) if e.reason == TransferRejected::ExceedsCredits => b"51".to_vec(),
        Err(_) => b"05".to_vec(),
    }
}

#[test]
fn a_repeat_gets_the_first_answer_and_no_second_hold() {
    let mut l = bank(MemoryStorage::new(), 1_000);
    let hold = [Transfer::pending(1, CARD, MERCHANT, 600, EUR, PURCHASE, 0)];
    let mut b = l.begin(T0).unwrap();
    let first = b.decide(key(1), &hold, respond).unwrap();
    b.commit().unwrap();
    assert_eq!(first.response(), b"00");
    assert!(!first.is_replay());

    // The retransmission carries a fresh transfer id (the issuer makes ids per message): still
    // no second hold, because the request key decides.
    let retry = [Transfer::pending(2, CARD, MERCHANT, 600, EUR, PURCHASE, 0)];
    let mut b = l.begin(T0 + S).unwrap();
    let again = b
        .decide(key(1), &retry, |_| b"should not be asked".to_vec())
        .unwrap();
    b.commit().unwrap();
    assert_eq!(
        again,
        DecisionOutcome::Replayed {
            response: b"00".to_vec(),
            decided_at_ns: T0
        }
    );
    assert_eq!(balances(&l, CARD), (600, 0, 0, 1_000));
    assert!(l.transfer(2).unwrap().is_none());
    let stored = l.decision(&key(1)).unwrap().unwrap();
    assert_eq!((stored.transfer_ids, stored.timestamp_ns), (vec![1], T0));
}

#[test]
fn a_decline_is_stored_and_stays_a_decline() {
    let mut l = bank(MemoryStorage::new(), 500);
    let hold = [Transfer::pending(1, CARD, MERCHANT, 600, EUR, PURCHASE, 0)];
    let mut b = l.begin(T0).unwrap();
    let first = b.decide(key(2), &hold, respond).unwrap();
    b.commit().unwrap();
    match &first {
        DecisionOutcome::Decided {
            response,
            result: Err(e),
        } => {
            assert_eq!(response, b"51");
            assert_eq!(e.reason, TransferRejected::ExceedsCredits);
        }
        other => panic!("expected a decline, got {other:?}"),
    }
    // The card is topped up; the repeat is still the first answer.
    apply(
        &mut l,
        T0,
        &[Transfer::single(50, FUNDING, CARD, 1_000, EUR, 9)],
    )
    .unwrap();
    let mut b = l.begin(T0 + S).unwrap();
    let again = b.decide(key(2), &hold, respond).unwrap();
    b.commit().unwrap();
    assert_eq!(again.response(), b"51");
    assert!(again.is_replay());
    assert_eq!(balances(&l, CARD), (0, 0, 0, 1_500));
    assert_eq!(
        l.decision(&key(2)).unwrap().unwrap().transfer_ids,
        Vec::<u128>::new()
    );
}

#[test]
fn a_repeat_in_the_same_batch_is_a_replay() {
    let mut l = bank(MemoryStorage::new(), 1_000);
    let hold = [Transfer::pending(1, CARD, MERCHANT, 600, EUR, PURCHASE, 0)];
    let mut b = l.begin(T0).unwrap();
    b.decide(key(3), &hold, respond).unwrap();
    let again = b.decide(key(3), &hold, respond).unwrap();
    b.commit().unwrap();
    assert!(again.is_replay());
    assert_eq!(balances(&l, CARD), (600, 0, 0, 1_000));
}

#[test]
fn low_level_try_apply_then_record() {
    let mut l = bank(MemoryStorage::new(), 1_000);
    let mut b = l.begin(T0).unwrap();
    assert!(b.decision(&key(4)).unwrap().is_none());
    let result = b
        .try_apply(&[Transfer::pending(1, CARD, MERCHANT, 100, EUR, PURCHASE, 0)])
        .unwrap();
    b.record(key(4), respond(&result), result.as_ref().ok())
        .unwrap();
    assert!(matches!(
        b.record(key(4), b"00".to_vec(), None),
        Err(LedgerError::DecisionExists { .. })
    ));
    b.commit().unwrap();
    let mut b = l.begin(T0).unwrap();
    assert!(matches!(
        b.record(key(4), b"00".to_vec(), None),
        Err(LedgerError::DecisionExists { .. })
    ));
    assert_eq!(l.decision(&key(4)).unwrap().unwrap().transfer_ids, vec![1]);
}

#[test]
fn an_oversized_response_stores_nothing() {
    let limits = Limits {
        response_max_bytes: 4,
        ..Limits::default()
    };
    let mut l = ledger::Ledger::new(MemoryStorage::new(), limits).unwrap();
    let mut b = l.begin(T0).unwrap();
    b.create_accounts(&accounts()).unwrap().unwrap();
    b.try_apply(&[Transfer::single(100, FUNDING, CARD, 1_000, EUR, 9)])
        .unwrap()
        .unwrap();
    let hold = [Transfer::pending(1, CARD, MERCHANT, 100, EUR, PURCHASE, 0)];
    let err = b.decide(key(5), &hold, |_| vec![0u8; 5]).unwrap_err();
    assert!(matches!(
        err,
        LedgerError::ResponseTooLarge { len: 5, max: 4 }
    ));
    assert!(b.transfer(1).unwrap().is_none());
    assert!(b.decision(&key(5)).unwrap().is_none());
    b.decide(key(5), &hold, |_| vec![0u8; 4]).unwrap();
    b.commit().unwrap();
    assert_eq!(balances(&l, CARD), (100, 0, 0, 1_000));
}

#[test]
fn a_failing_responder_abandons_the_request() {
    let mut l = bank(MemoryStorage::new(), 1_000);
    let mut b = l.begin(T0).unwrap();
    let hold = [Transfer::pending(1, CARD, MERCHANT, 100, EUR, PURCHASE, 0)];
    let out = b
        .decide_with(key(6), &hold, |_| Err::<Vec<u8>, _>("encoder failed"))
        .unwrap();
    assert_eq!(out, Err("encoder failed"));
    b.commit().unwrap();
    assert!(l.decision(&key(6)).unwrap().is_none());
    assert!(l.transfer(1).unwrap().is_none());
}

#[test]
fn limits_are_validated() {
    for limits in [
        Limits {
            response_max_bytes: 0,
            ..Limits::default()
        },
        Limits {
            response_max_bytes: 64 * 1024 + 1,
            ..Limits::default()
        },
        Limits {
            transfers_per_call_max: 0,
            ..Limits::default()
        },
        Limits {
            holds_list_max: (1 << 20) + 1,
            ..Limits::default()
        },
    ] {
        assert!(matches!(
            ledger::Ledger::new(MemoryStorage::new(), limits),
            Err(LedgerError::InvalidLimit { .. })
        ));
    }
}
