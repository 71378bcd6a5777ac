//! Retries get the first answer byte for byte; a reused STAN with other content is 94.

mod common;

use common::*;
use issuer::Disposition;

#[test]
fn a_retried_approval_gets_the_first_answer_and_no_second_hold() {
    let mut b = bank();
    let pre = preauth(ALICE, 10_000, 1);
    let first = b.answer(&pre);
    assert_eq!(first.disposition, Disposition::Decided);
    b.advance(30);
    let again = b.answer(&pre);
    assert_eq!(again.disposition, Disposition::Replayed);
    assert_eq!(again.response, first.response);
    assert_eq!(again.code, first.code);
    assert_eq!(b.card(ALICE).debits_pending, 10_000);
    // Even across a batch of many, the retry inside the batch is replayed.
    let frames = [pre.pack(), purchase(ALICE, 500, 2).pack(), pre.pack()];
    let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    let answers = b.issuer.handle_batch(&mut b.ledger, &refs, b.now).unwrap();
    assert_eq!(answers[0].response, first.response);
    assert_eq!(answers[2].response, first.response);
    assert_eq!(answers[1].disposition, Disposition::Decided);
    assert_eq!(b.card(ALICE).debits_pending, 10_000);
    assert_eq!(b.card(ALICE).debits_posted, 500);
    b.assert_audit_clean();
}

#[test]
fn a_retried_decline_stays_a_decline_even_when_funds_arrive() {
    let mut b = bank();
    let big = purchase(HANA_POOR, 3_000, 1);
    let first = b.answer(&big);
    assert_eq!(read(&first).code(), "51");
    // Funds arrive: a refund of 20.00.
    assert_eq!(b.send(&refund(HANA_POOR, 2_000, 2)).code(), "00");
    let again = b.answer(&big);
    assert_eq!(again.disposition, Disposition::Replayed);
    assert_eq!(again.response, first.response);
    assert_eq!(b.available(HANA_POOR), 4_000);
    // A new request (new STAN) for the same amount is decided afresh.
    assert_eq!(b.send(&purchase(HANA_POOR, 3_000, 3)).code(), "00");
}

#[test]
fn a_retried_balance_inquiry_returns_the_first_balance() {
    let mut b = bank();
    let q = balance(ALICE, 1);
    let first = b.send(&q);
    assert_eq!(first.fields[&54], "0002978C000000100000");
    assert_eq!(b.send(&purchase(ALICE, 100, 2)).code(), "00");
    assert_eq!(b.send(&q).bytes, first.bytes);
    assert_eq!(
        b.send(&balance(ALICE, 3)).fields[&54],
        "0002978C000000099900"
    );
}

#[test]
fn same_stan_new_time_same_content_is_a_retry() {
    let mut b = bank();
    let sale = purchase(ALICE, 2_000, 7);
    let first = b.answer(&sale);
    let resent = sale.clone().set(7, "0615100105");
    let again = b.answer(&resent);
    assert_eq!(again.disposition, Disposition::Replayed);
    assert_eq!(again.response, first.response);
    assert_eq!(b.card(ALICE).debits_posted, 2_000);
}

#[test]
fn same_stan_new_time_other_content_is_94_and_recorded() {
    let mut b = bank();
    assert_eq!(b.send(&purchase(ALICE, 2_000, 7)).code(), "00");
    let other = purchase(ALICE, 3_000, 7).set(7, "0615100200");
    let dup = b.answer(&other);
    assert_eq!(read(&dup).code(), "94");
    assert_eq!(dup.disposition, Disposition::Decided);
    assert_eq!(b.answer(&other).response, dup.response);
    assert_eq!(b.card(ALICE).debits_posted, 2_000);
    // The same STAN on another terminal, on the next day, or in another class is no duplicate.
    assert_eq!(
        b.send(
            &purchase(ALICE, 3_000, 7)
                .set(41, "TERM0002")
                .set(7, "0615100300")
        )
        .code(),
        "00"
    );
    assert_eq!(
        b.send(&preauth(ALICE, 100, 7).set(7, "0615100400")).code(),
        "00"
    );
    b.advance(24 * 3600);
    assert_eq!(
        b.send(&purchase(ALICE, 100, 7).set(7, "0616100000")).code(),
        "00"
    );
    b.assert_audit_clean();
}

#[test]
fn unrecorded_answers_are_deterministic() {
    let mut b = bank();
    let bad = purchase(ALICE, 100, 1).without(42);
    let a = b.answer(&bad);
    assert_eq!(a.disposition, Disposition::Unrecorded);
    assert_eq!(b.answer(&bad).response, a.response);
    // Once corrected, the same identity is decided.
    assert_eq!(b.send(&purchase(ALICE, 100, 1)).code(), "00");
}

/// Same terminal, STAN and field 7 as an answered request, but another amount, card or kind:
/// not a retry. It gets 94 (not recorded: the identity keeps its first answer), nothing moves,
/// and the true retry still gets the first answer; a reversal advice (0420) of an answered
/// 0400 is the same reversal.
#[test]
fn same_identity_other_content_is_94_never_the_first_answer() {
    let mut b = bank();
    let sale = purchase(ALICE, 2_000, 9);
    let first = b.answer(&sale);
    assert_eq!(read(&first).code(), "00");
    for (other, why) in [
        (purchase(ALICE, 9_000, 9), "field 4 (amount) differs"),
        (purchase(HANA_POOR, 2_000, 9), "field 2 (PAN) differs"),
        (refund(ALICE, 2_000, 9), "field 3 (processing code) differs"),
        (
            preauth(ALICE, 2_000, 9),
            "it is a 0100, the first was answered 0210",
        ),
    ] {
        let other = other.set(7, sale.fields[&7].clone());
        let answer = b.answer(&other);
        assert_eq!(read(&answer).code(), "94", "{why}");
        assert_eq!(answer.disposition, Disposition::Unrecorded);
        assert!(answer.reason.contains(why), "{}", answer.reason);
    }
    assert_eq!(b.answer(&sale).response, first.response);
    assert_eq!(b.card(ALICE).debits_posted, 2_000);
    assert_eq!(b.available(HANA_POOR), 2_000);
    let undo = reversal(&sale, 10);
    assert_eq!(read(&b.answer(&undo)).code(), "00");
    let mut advice = undo.clone();
    advice.mti = "0420";
    let again = b.answer(&advice);
    assert_eq!(again.disposition, Disposition::Replayed, "{}", again.reason);
    assert_eq!(b.available(ALICE), 100_000);
    b.assert_audit_clean();
}
