//! PIN verification at the issuer: field 52 (format 0 under the zone PIN key) checked in the
//! HSM against the card's PVV or IBM 3624 offset, the consecutive wrong-PIN count kept in the
//! ledger with the answers, 55 then 75, and the cases that must not touch the count.

mod common;
mod pin_common;

use common::*;
use issuer::security::pvv_for;
use issuer::{Disposition, Issuer, UnixTime};
use pin_common::*;

fn tries(b: &Bank<ledger::SqliteStorage>, pan: &str) -> u64 {
    b.issuer.pin_tries(&b.ledger, pan).unwrap()
}

fn pin_purchase(pan: &str, pin: &str, amount: u64, stan: u32) -> Req {
    with_pin(
        purchase(pan, amount, stan),
        &pin_block(&zpk0(), pin, pan),
        0,
    )
}

#[test]
fn set_up_helper_gives_the_pvv_paysec_computes() {
    assert_eq!(pvv_for(&pvk(), ALICE, ALICE_PIN, 1).unwrap(), alice_pvv());
    assert_ne!(pvv_for(&pvk(), ALICE, ALICE_PIN, 2).unwrap(), alice_pvv());
    assert_eq!(
        issuer::security::ibm_offset_for(&pvk_ibm(), IVY, IVY_PIN).unwrap(),
        ivy_offset()
    );
    assert!(pvv_for(&pvk(), ALICE, "12", 1).is_err());
}

#[test]
fn correct_pin_is_approved_and_wrong_pin_is_55() {
    let site = Site::new();
    let mut b = site.bank();
    let ok = b.send(&pin_purchase(ALICE, ALICE_PIN, 1_000, 1));
    assert_eq!(ok.code(), "00");
    assert_eq!(b.available(ALICE), 99_000);
    assert_eq!(tries(&b, ALICE), 0);
    let wrong = b.answer(&pin_purchase(ALICE, "1235", 1_000, 2));
    assert_eq!(read(&wrong).code(), "55");
    assert!(!wrong.reason.contains("1235"), "{}", wrong.reason);
    assert_eq!(tries(&b, ALICE), 1);
    assert_eq!(b.available(ALICE), 99_000, "a 55 moves no money");
    // The IBM 3624 card.
    assert_eq!(b.send(&pin_purchase(IVY, IVY_PIN, 500, 3)).code(), "00");
    assert_eq!(b.send(&pin_purchase(IVY, "9875", 500, 4)).code(), "55");
    assert_eq!(tries(&b, IVY), 1);
    // A PIN of another length than the offset is simply wrong.
    assert_eq!(b.send(&pin_purchase(IVY, "98765", 500, 5)).code(), "55");
    assert_eq!(tries(&b, IVY), 2);
    // The same card without field 52 is not PIN-checked (chip and signature, no CVM).
    assert_eq!(b.send(&purchase(ALICE, 100, 6)).code(), "00");
    assert_eq!(tries(&b, ALICE), 1);
    b.assert_audit_clean();
}

#[test]
fn three_wrong_pins_block_until_reset_even_for_the_right_pin() {
    let site = Site::new();
    let mut b = site.bank();
    let codes: Vec<String> = (1..=3)
        .map(|stan| {
            b.send(&pin_purchase(ALICE, "0000", 100, stan))
                .code()
                .to_owned()
        })
        .collect();
    assert_eq!(codes, ["55", "55", "75"]);
    assert_eq!(tries(&b, ALICE), 3);
    // Blocked: the right PIN is 75 too, and nothing more is counted.
    assert_eq!(b.send(&pin_purchase(ALICE, ALICE_PIN, 100, 4)).code(), "75");
    assert_eq!(b.send(&pin_purchase(ALICE, "0000", 100, 5)).code(), "75");
    assert_eq!(tries(&b, ALICE), 3);
    // Pre-authorizations and balance inquiries with a PIN alike.
    let pre = with_pin(
        preauth(ALICE, 100, 6),
        &pin_block(&zpk0(), ALICE_PIN, ALICE),
        0,
    );
    assert_eq!(b.send(&pre).code(), "75");
    assert_eq!(b.available(ALICE), 100_000);
    // An operator's reset clears it; then the right PIN works again.
    let now = b.now;
    assert_eq!(
        b.issuer
            .reset_pin_tries(&mut b.ledger, "alice", now)
            .unwrap(),
        3
    );
    assert_eq!(tries(&b, ALICE), 0);
    assert_eq!(b.send(&pin_purchase(ALICE, ALICE_PIN, 100, 7)).code(), "00");
    assert!(matches!(
        b.issuer.reset_pin_tries(&mut b.ledger, "nobody", now),
        Err(issuer::IssuerError::UnknownCard { .. })
    ));
    b.assert_audit_clean();
}

#[test]
fn a_correct_pin_below_the_limit_clears_the_count() {
    let site = Site::new();
    let mut b = site.bank();
    assert_eq!(b.send(&pin_purchase(ALICE, "1111", 100, 1)).code(), "55");
    assert_eq!(b.send(&pin_purchase(ALICE, "2222", 100, 2)).code(), "55");
    assert_eq!(tries(&b, ALICE), 2);
    assert_eq!(b.send(&pin_purchase(ALICE, ALICE_PIN, 100, 3)).code(), "00");
    assert_eq!(tries(&b, ALICE), 0);
    // Cleared, so three more wrong ones are needed to block.
    assert_eq!(b.send(&pin_purchase(ALICE, "1111", 100, 4)).code(), "55");
    assert_eq!(b.send(&pin_purchase(ALICE, "1111", 100, 5)).code(), "55");
    assert_eq!(b.send(&pin_purchase(ALICE, "1111", 100, 6)).code(), "75");
    // A correct PIN declined later for funds (51) still proved the PIN: the count clears.
    assert_eq!(b.send(&pin_purchase(IVY, "0000", 100, 7)).code(), "55");
    assert_eq!(b.send(&pin_purchase(IVY, IVY_PIN, 50_000, 8)).code(), "51");
    assert_eq!(tries(&b, IVY), 0);
    b.assert_audit_clean();
}

#[test]
fn the_count_survives_a_restart() {
    let site = Site::new();
    let now = {
        let mut b = site.bank();
        assert_eq!(b.send(&pin_purchase(ALICE, "0000", 100, 1)).code(), "55");
        assert_eq!(b.send(&pin_purchase(ALICE, "0001", 100, 2)).code(), "55");
        b.now
    };
    let mut b = site.open(now);
    assert_eq!(tries(&b, ALICE), 2);
    assert_eq!(b.send(&pin_purchase(ALICE, "0002", 100, 3)).code(), "75");
    drop(b);
    let mut b = site.open(now.plus_secs(60));
    assert_eq!(tries(&b, ALICE), 3);
    assert_eq!(b.send(&pin_purchase(ALICE, ALICE_PIN, 100, 4)).code(), "75");
    b.assert_audit_clean();
}

#[test]
fn a_repeat_gets_the_first_answer_and_counts_once() {
    let site = Site::new();
    let mut b = site.bank();
    let wrong = pin_purchase(ALICE, "4321", 100, 1);
    let first = b.answer(&wrong);
    assert_eq!(read(&first).code(), "55");
    let again = b.answer(&wrong);
    assert_eq!(again.disposition, Disposition::Replayed);
    assert_eq!(again.response, first.response);
    // A retry with a new transmission time (field 7) is the same request too.
    let retried = b.answer(&wrong.clone().set(7, "0615100005"));
    assert_eq!(retried.disposition, Disposition::Replayed);
    assert_eq!(retried.response, first.response);
    assert_eq!(tries(&b, ALICE), 1);
    // A repeat of the blocking answer stays 75, and of an approval stays the approval.
    let right = pin_purchase(ALICE, ALICE_PIN, 100, 2);
    let approved = b.answer(&right);
    assert_eq!(read(&approved).code(), "00");
    assert_eq!(b.answer(&right).response, approved.response);
    assert_eq!(b.available(ALICE), 99_900);
    b.assert_audit_clean();
}

#[test]
fn generations_not_held_are_96_and_count_nothing() {
    let site = Site::new();
    let mut b = site.bank();
    assert_eq!(b.send(&pin_purchase(ALICE, "0000", 100, 1)).code(), "55");
    let block = pin_block(&zpk0(), "0000", ALICE);
    for (stan, generation) in [(2, 1), (3, 7), (4, 999_999)] {
        let answer = b.answer(&with_pin(purchase(ALICE, 100, stan), &block, generation));
        assert_eq!(read(&answer).code(), "96", "generation {generation}");
        assert!(answer.reason.contains("generation"), "{}", answer.reason);
    }
    assert_eq!(tries(&b, ALICE), 1);
    // A block that does not decipher to a format 0 block (here a format 1 block, control
    // nibble 1) is no verdict on the PIN: 96, and the count stays.
    let format1 = paysec::pinblock::encipher(
        paysec::pinblock::PinBlockFormat::Iso1,
        &zpk0(),
        &paysec::Pin::new(ALICE_PIN).unwrap(),
        None,
        &mut paysec::rng::Replay::new(&[]),
    )
    .unwrap();
    let answer = b.answer(&with_pin(purchase(ALICE, 100, 5), &format1, 0));
    assert_eq!(read(&answer).code(), "96");
    assert!(answer.reason.contains("zpk.000000"), "{}", answer.reason);
    // Nothing of the deciphered block (nibble values) reaches the reason, which is logged.
    assert!(!answer.reason.contains("nibble"), "{}", answer.reason);
    assert_eq!(tries(&b, ALICE), 1);
    b.assert_audit_clean();
}

#[test]
fn cards_without_a_pin_and_issuers_without_an_hsm() {
    let site = Site::new();
    let mut b = site.bank();
    // Hana has no PVV or offset: a PIN transaction is not permitted to her (57).
    let hana = with_pin(
        purchase(HANA_POOR, 100, 1),
        &pin_block(&zpk0(), "1234", HANA_POOR),
        0,
    );
    assert_eq!(b.send(&hana).code(), "57");
    // Card status and expiry come before the PIN.
    let lost = with_pin(
        purchase(BOB_LOST, 100, 2),
        &pin_block(&zpk0(), "1234", BOB_LOST),
        0,
    );
    assert_eq!(b.send(&lost).code(), "41");
    // An issuer with the same config but no HSM cannot verify: 96.
    let mut bare = Bank {
        issuer: Issuer::new(&site.config),
        ledger: ledger::Ledger::new(ledger::MemoryStorage::new(), ledger::Limits::default())
            .unwrap(),
        now: UnixTime::from_secs(T0_S),
    };
    let now = bare.now;
    bare.issuer.set_up(&mut bare.ledger, now).unwrap();
    assert_eq!(
        bare.send(&pin_purchase(ALICE, ALICE_PIN, 100, 3)).code(),
        "96"
    );
}

#[test]
fn malformed_pin_fields_are_format_errors() {
    let site = Site::new();
    let mut b = site.bank();
    let block = pin_block(&zpk0(), ALICE_PIN, ALICE);
    let no_53 = purchase(ALICE, 100, 1).set_bytes(52, &block);
    let answer = b.answer(&no_53);
    assert_eq!(read(&answer).code(), "30");
    assert!(answer.reason.contains("field 53"), "{}", answer.reason);
    for (stan, control) in [(2, "0100000000000000"), (3, "0000000000000001")] {
        let req = purchase(ALICE, 100, stan)
            .set_bytes(52, &block)
            .set(53, control);
        let answer = b.answer(&req);
        assert_eq!(read(&answer).code(), "30", "{control}");
        assert!(answer.reason.contains("field 53"), "{}", answer.reason);
    }
    assert_eq!(tries(&b, ALICE), 0);
}

#[test]
fn one_group_commit_counts_in_order_and_a_repeat_inside_it_once() {
    let site = Site::new();
    let mut b = site.bank();
    let first = pin_purchase(ALICE, "1111", 100, 1).pack();
    let second = pin_purchase(ALICE, "2222", 100, 2).pack();
    let third = pin_purchase(ALICE, "3333", 100, 3).pack();
    let right = pin_purchase(ALICE, ALICE_PIN, 100, 4).pack();
    let frames: Vec<&[u8]> = vec![&first, &second, &first, &third, &right];
    let now = b.now.plus_secs(1);
    let answers = b.issuer.handle_batch(&mut b.ledger, &frames, now).unwrap();
    let codes: Vec<String> = answers.iter().map(|a| read(a).code().to_owned()).collect();
    assert_eq!(codes, ["55", "55", "55", "75", "75"]);
    assert_eq!(answers[2].disposition, Disposition::Replayed);
    assert_eq!(answers[2].response, answers[0].response);
    assert_eq!(tries(&b, ALICE), 3);
    b.assert_audit_clean();
}
