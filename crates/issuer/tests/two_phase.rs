//! Pre-authorization, completion, reversal, refund and hold expiry, to the minor unit.

mod common;

use common::*;
use ledger::HoldStatus;

#[test]
fn preauth_then_partial_completion_releases_the_rest() {
    let mut b = bank();
    let pre = preauth(ALICE, 30_000, 1);
    let held = b.send(&pre);
    assert_eq!((held.mti.as_str(), held.code()), ("0110", "00"));
    let card = b.card(ALICE);
    assert_eq!((card.debits_pending, card.debits_posted), (30_000, 0));
    assert_eq!(b.available(ALICE), 70_000);
    assert_eq!(b.merchant().credits_pending, 30_000);

    let done = b.send(&completion(&pre, 21_050, held.auth(), 2));
    assert_eq!((done.mti.as_str(), done.code()), ("0230", "00"));
    assert_eq!(done.auth(), held.auth(), "0230 carries the hold's code");
    let card = b.card(ALICE);
    assert_eq!((card.debits_pending, card.debits_posted), (0, 21_050));
    assert_eq!(b.available(ALICE), 100_000 - 21_050);
    assert_eq!(b.merchant_net(), 21_050);
    assert_eq!(b.merchant().credits_pending, 0);
    // The released 89.50 counts again against the daily limit: 500 - 210.50 = 289.50 left.
    assert_eq!(b.send(&purchase(ALICE, 28_951, 3)).code(), "61");
    assert_eq!(b.send(&purchase(ALICE, 28_950, 4)).code(), "00");
    b.assert_audit_clean();
}

#[test]
fn completion_errors() {
    let mut b = bank();
    let pre = preauth(ALICE, 10_000, 1);
    let auth = b.send(&pre).auth().to_owned();
    // Above the hold.
    assert_eq!(b.send(&completion(&pre, 10_001, &auth, 2)).code(), "13");
    // Zero.
    assert_eq!(b.send(&completion(&pre, 0, &auth, 3)).code(), "13");
    // No such hold: an unknown original.
    let ghost = preauth(ALICE, 10_000, 99);
    assert_eq!(b.send(&completion(&ghost, 5_000, &auth, 4)).code(), "25");
    // Another card's completion of this hold.
    let mut other = completion(&pre, 5_000, &auth, 5);
    other.fields.insert(2, HANA_POOR.into());
    assert_eq!(b.send(&other).code(), "25");
    // A completion naming a purchase, not a 0100.
    let sale = purchase(ALICE, 1_000, 6);
    assert_eq!(b.send(&sale).code(), "00");
    assert_eq!(b.send(&completion(&sale, 1_000, &auth, 7)).code(), "12");
    // Still held in full.
    assert_eq!(b.card(ALICE).debits_pending, 10_000);
    // The real one, then a second completion for the same amount (new STAN): 00, nothing moves.
    assert_eq!(b.send(&completion(&pre, 10_000, &auth, 8)).code(), "00");
    assert_eq!(b.send(&completion(&pre, 10_000, &auth, 9)).code(), "00");
    assert_eq!(b.send(&completion(&pre, 9_000, &auth, 10)).code(), "12");
    assert_eq!(b.card(ALICE).debits_posted, 11_000);
    assert_eq!(b.card(ALICE).debits_pending, 0);
    b.assert_audit_clean();
}

#[test]
fn reversal_voids_a_hold_and_a_second_reversal_is_00_again() {
    let mut b = bank();
    let pre = preauth(ALICE, 40_000, 1);
    let auth = b.send(&pre).auth().to_owned();
    let rev = reversal(&pre, 2);
    let first = b.send(&rev);
    assert_eq!((first.mti.as_str(), first.code()), ("0410", "00"));
    let card = b.card(ALICE);
    assert_eq!((card.debits_pending, card.debits_posted), (0, 0));
    assert_eq!(b.available(ALICE), 100_000);
    let card_id = b.issuer.book().chart().card(ALICE);
    assert_eq!(
        b.ledger.pending_holds(card_id, 10).unwrap(),
        vec![],
        "no hold left"
    );
    // Same reversal again (a retry): byte-identical answer.
    assert_eq!(b.send(&rev).bytes, first.bytes);
    // The gateway's 0420 for the same original, other STAN: 00 again, nothing moves.
    let mut advice = reversal(&pre, 3);
    advice.mti = "0420";
    let again = b.send(&advice);
    assert_eq!((again.mti.as_str(), again.code()), ("0430", "00"));
    assert_eq!(b.available(ALICE), 100_000);
    // Completing a voided hold: 25.
    assert_eq!(b.send(&completion(&pre, 100, &auth, 4)).code(), "25");
    b.assert_audit_clean();
}

#[test]
fn an_original_that_arrives_after_its_reversal_moves_no_money() {
    // Found by the crash audit: a 0420 overtook its 0200 (held on an older connection); the
    // reversal was answered 25, then the late 0200 was approved and the money stayed.
    let mut b = bank();
    let sale = purchase(ALICE, 12_000, 1);
    let mut advice = reversal(&sale, 2);
    advice.mti = "0420";
    let rev = b.send(&advice);
    assert_eq!((rev.mti.as_str(), rev.code()), ("0430", "25"));
    let late = b.send(&sale);
    assert_eq!((late.mti.as_str(), late.code()), ("0210", "12"));
    assert_eq!(b.available(ALICE), 100_000);
    assert_eq!(b.merchant_net(), 0);
    // Its retry gets the same answer, byte for byte; the card still pays later sales.
    assert_eq!(b.send(&sale).bytes, late.bytes);
    assert_eq!(b.send(&purchase(ALICE, 12_000, 3)).code(), "00");
    assert_eq!(b.available(ALICE), 100_000 - 12_000);
    b.assert_audit_clean();
}

#[test]
fn reversal_of_a_purchase_gives_the_money_and_the_limit_back() {
    let mut b = bank();
    let sale = purchase(ALICE, 45_000, 1);
    assert_eq!(b.send(&sale).code(), "00");
    assert_eq!(b.send(&purchase(ALICE, 6_000, 2)).code(), "61");
    assert_eq!(b.send(&reversal(&sale, 3)).code(), "00");
    let card = b.card(ALICE);
    assert_eq!((card.debits_posted, card.credits_posted), (45_000, 145_000));
    assert_eq!(b.available(ALICE), 100_000);
    assert_eq!(b.merchant_net(), 0);
    // The limit is back too: 500.00 may be spent again today.
    assert_eq!(b.send(&purchase(ALICE, 50_000, 4)).code(), "00");
    // Double reversal with another identity: 00, money moves once.
    assert_eq!(b.send(&reversal(&sale, 5)).code(), "00");
    assert_eq!(b.available(ALICE), 50_000);
    b.assert_audit_clean();
}

#[test]
fn reversal_of_a_completion_and_of_a_completed_preauth() {
    let mut b = bank();
    let pre = preauth(ALICE, 20_000, 1);
    let auth = b.send(&pre).auth().to_owned();
    let done = completion(&pre, 15_000, &auth, 2);
    assert_eq!(b.send(&done).code(), "00");
    // Reversing the pre-authorization after its completion: 12, reverse the completion.
    assert_eq!(b.send(&reversal(&pre, 3)).code(), "12");
    assert_eq!(b.send(&reversal(&done, 4)).code(), "00");
    assert_eq!(b.available(ALICE), 100_000);
    assert_eq!(b.merchant_net(), 0);
    b.assert_audit_clean();
}

#[test]
fn reversal_errors() {
    let mut b = bank();
    // Unknown original: 25, and recorded (a retry gets the same bytes).
    let ghost = purchase(ALICE, 100, 50);
    let rev = reversal(&ghost, 1);
    let first = b.answer(&rev);
    assert_eq!(read(&first).code(), "25");
    assert_eq!(first.disposition, issuer::Disposition::Decided);
    let again = b.answer(&rev);
    assert_eq!(again.disposition, issuer::Disposition::Replayed);
    assert_eq!(again.response, first.response);
    // A declined original: nothing to undo, 00.
    let declined = purchase(HANA_POOR, 5_000, 2);
    assert_eq!(b.send(&declined).code(), "51");
    assert_eq!(b.send(&reversal(&declined, 3)).code(), "00");
    // Amount differing from the original's: 13.
    let sale = purchase(ALICE, 1_000, 4);
    assert_eq!(b.send(&sale).code(), "00");
    assert_eq!(
        b.send(&reversal(&sale, 5).set(4, "000000000999")).code(),
        "13"
    );
    assert_eq!(b.available(ALICE), 99_000);
    b.assert_audit_clean();
}

#[test]
fn refund_credits_the_card_and_its_reversal_takes_it_back() {
    let mut b = bank();
    let back = refund(HANA_POOR, 700, 1);
    assert_eq!(b.send(&back).code(), "00");
    assert_eq!(b.available(HANA_POOR), 2_700);
    assert_eq!(b.merchant_net(), -700);
    assert_eq!(b.send(&purchase(HANA_POOR, 2_500, 2)).code(), "00");
    // Now the refund cannot be taken back in full: 51.
    assert_eq!(b.send(&reversal(&back, 3)).code(), "51");
    assert_eq!(b.available(HANA_POOR), 200);
    b.assert_audit_clean();
}

#[test]
fn unposted_holds_expire() {
    let mut b = bank();
    let pre = preauth(ALICE, 50_000, 1);
    let auth = b.send(&pre).auth().to_owned();
    // The whole daily limit is held.
    assert_eq!(b.send(&purchase(ALICE, 1, 2)).code(), "61");
    // One second before expiry the hold still stands.
    b.advance(HOLD_S - 3);
    assert_eq!(b.card(ALICE).debits_pending, 50_000);
    assert_eq!(b.send(&purchase(ALICE, 1, 3)).code(), "61");
    b.advance(1);
    // The next batch releases it before deciding: money and limit are free again.
    assert_eq!(b.send(&purchase(ALICE, 1, 4)).code(), "00");
    let card = b.card(ALICE);
    assert_eq!((card.debits_pending, card.debits_posted), (0, 1));
    let pending_id = issuer::key::transfer_id(
        issuer::key::base(
            &issuer::key::Identity::new("1234", TERMINAL, "000001", "0615100000").key(),
        ),
        issuer::key::Leg::Money,
    );
    assert_eq!(
        b.ledger.hold(pending_id).unwrap().unwrap().status,
        HoldStatus::Expired
    );
    assert_eq!(b.send(&completion(&pre, 100, &auth, 5)).code(), "25");
    // A reversal of an expired hold has nothing left to release: 00.
    assert_eq!(b.send(&reversal(&pre, 6)).code(), "00");
    b.assert_audit_clean();
}

#[test]
fn expire_holds_without_traffic() {
    let mut b = bank();
    assert_eq!(b.send(&preauth(ALICE, 1_000, 1)).code(), "00");
    assert_eq!(b.issuer.expire_holds(&mut b.ledger, b.now).unwrap(), 0);
    b.advance(HOLD_S);
    assert_eq!(b.issuer.expire_holds(&mut b.ledger, b.now).unwrap(), 2);
    assert_eq!(b.available(ALICE), 100_000);
    b.assert_audit_clean();
}
