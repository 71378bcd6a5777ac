//! Every response code the issuer gives, with the exact balances behind it.

mod common;

use common::*;
use issuer::Disposition;

#[test]
fn purchase_approved_moves_money_and_echoes_fields() {
    let mut b = bank();
    assert_eq!(b.available(ALICE), 100_000);
    let req = purchase(ALICE, 12_345, 1);
    let reply = b.send(&req);
    assert_eq!(reply.mti, "0210");
    assert_eq!(reply.code(), "00");
    assert_eq!(reply.auth().len(), 6);
    for f in [2, 3, 4, 7, 11, 37, 41, 42, 49] {
        assert_eq!(reply.fields[&f], req.fields[&f], "field {f} echoed");
    }
    // Never echoed: expiry, entry mode, local time, acquirer.
    for f in [12, 13, 14, 22, 25, 32, 54] {
        assert!(!reply.fields.contains_key(&f), "field {f}");
    }
    let card = b.card(ALICE);
    assert_eq!(card.debits_posted, 12_345);
    assert_eq!(card.debits_pending, 0);
    assert_eq!(b.available(ALICE), 100_000 - 12_345);
    assert_eq!(b.merchant_net(), 12_345);
    b.assert_audit_clean();
}

#[test]
fn authorization_codes_are_distinct() {
    let mut b = bank();
    let a = b.send(&purchase(ALICE, 100, 1));
    let p = b.send(&preauth(ALICE, 100, 2));
    let r = b.send(&refund(ALICE, 100, 3));
    let q = b.send(&balance(ALICE, 4));
    let codes = [a.auth(), p.auth(), r.auth(), q.auth()];
    assert!(codes.iter().all(|c| c.len() == 6));
    let unique: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), 4, "{codes:?}");
    // The codes follow the sequence: 1st, 2nd, 3rd and 4th approval of this issuer.
    assert_eq!(a.auth(), issuer::auth_code::auth_code(1));
    assert_eq!(q.auth(), issuer::auth_code::auth_code(4));
}

#[test]
fn card_number_declines_are_14() {
    let mut b = bank();
    // Luhn failure.
    assert_eq!(b.send(&purchase("4761739001010011", 100, 1)).code(), "14");
    // Valid Luhn, in our BIN, no such card.
    assert_eq!(b.send(&purchase("4761730000000011", 100, 2)).code(), "14");
    // Outside our BIN ranges.
    assert_eq!(b.send(&purchase("5555550000000010", 100, 3)).code(), "14");
    b.assert_audit_clean();
}

#[test]
fn card_status_declines() {
    let mut b = bank();
    assert_eq!(b.send(&purchase(BOB_LOST, 100, 1)).code(), "41");
    assert_eq!(b.send(&purchase(CAROL_STOLEN, 100, 2)).code(), "43");
    assert_eq!(b.send(&purchase(ERIN_BLOCKED, 100, 3)).code(), "05");
    assert_eq!(b.card(BOB_LOST).debits_posted, 0);
    assert_eq!(b.card(CAROL_STOLEN).debits_posted, 0);
}

#[test]
fn expired_card_is_54() {
    let mut b = bank();
    // Dave's card ends 2025-05; now is 2025-06-15.
    let reply = b.send(&purchase(DAVE_EXPIRED, 100, 1).set(14, "2505"));
    assert_eq!(reply.code(), "54");
    assert!(!reply.fields.contains_key(&38));
    // A presented expiry that is not the card's is also 54.
    assert_eq!(
        b.send(&purchase(ALICE, 100, 2).set(14, "2912")).code(),
        "54"
    );
    // Track 2 carries the expiry for a swiped card.
    let swiped = purchase(ALICE, 100, 3)
        .without(2)
        .without(14)
        .set(22, "022")
        .set(35, format!("{ALICE}=30121010000012300000"));
    assert_eq!(b.send(&swiped).code(), "00");
    let wrong = purchase(ALICE, 100, 4)
        .without(2)
        .without(14)
        .set(22, "022")
        .set(35, format!("{ALICE}=28121010000012300000"));
    assert_eq!(b.send(&wrong).code(), "54");
    assert_eq!(b.card(ALICE).debits_posted, 100);
    assert_eq!(b.card(DAVE_EXPIRED).debits_posted, 0);
}

#[test]
fn kind_not_allowed_is_57() {
    let mut b = bank();
    assert_eq!(b.send(&purchase(FRANK_BALANCE_ONLY, 100, 1)).code(), "57");
    assert_eq!(b.send(&preauth(FRANK_BALANCE_ONLY, 100, 2)).code(), "57");
    assert_eq!(b.send(&refund(FRANK_BALANCE_ONLY, 100, 3)).code(), "57");
    assert_eq!(b.send(&balance(FRANK_BALANCE_ONLY, 4)).code(), "00");
    assert_eq!(b.available(FRANK_BALANCE_ONLY), 1000);
}

#[test]
fn insufficient_funds_is_51_and_moves_nothing() {
    let mut b = bank();
    assert_eq!(b.send(&purchase(HANA_POOR, 2001, 1)).code(), "51");
    assert_eq!(b.send(&preauth(HANA_POOR, 2001, 2)).code(), "51");
    assert_eq!(b.available(HANA_POOR), 2000);
    assert_eq!(b.send(&purchase(HANA_POOR, 2000, 3)).code(), "00");
    assert_eq!(b.available(HANA_POOR), 0);
    assert_eq!(b.send(&purchase(HANA_POOR, 1, 4)).code(), "51");
    b.assert_audit_clean();
}

#[test]
fn daily_limit_is_61_across_purchases_and_holds() {
    let mut b = bank();
    // Alice: 1000.00 balance, 500.00 a day.
    assert_eq!(b.send(&purchase(ALICE, 20_000, 1)).code(), "00");
    assert_eq!(b.send(&preauth(ALICE, 20_000, 2)).code(), "00");
    // 400.00 used today: 100.01 more is over, 100.00 is exactly the limit.
    assert_eq!(b.send(&purchase(ALICE, 10_001, 3)).code(), "61");
    assert_eq!(b.send(&purchase(ALICE, 10_000, 4)).code(), "00");
    assert_eq!(b.send(&purchase(ALICE, 1, 5)).code(), "61");
    // Refunds are credits: not limited.
    assert_eq!(b.send(&refund(ALICE, 5_000, 6)).code(), "00");
    assert_eq!(
        b.available(ALICE),
        100_000 - 20_000 - 20_000 - 10_000 + 5_000
    );
    // A new UTC day opens a new limit.
    b.advance(24 * 3600);
    assert_eq!(b.send(&purchase(ALICE, 10_000, 7)).code(), "00");
    b.assert_audit_clean();
}

#[test]
fn insufficient_funds_wins_over_the_limit() {
    let mut b = bank();
    // 1500.00 is both over the balance and over the daily limit: the money leg goes first.
    assert_eq!(b.send(&purchase(ALICE, 150_000, 1)).code(), "51");
}

#[test]
fn zero_amount_is_13() {
    let mut b = bank();
    assert_eq!(b.send(&purchase(ALICE, 0, 1)).code(), "13");
    assert_eq!(b.send(&preauth(ALICE, 0, 2)).code(), "13");
    assert_eq!(b.send(&refund(ALICE, 0, 3)).code(), "13");
    // A balance inquiry must carry zero.
    assert_eq!(
        b.send(&balance(ALICE, 4).set(4, "000000000001")).code(),
        "13"
    );
}

#[test]
fn unknown_processing_code_and_mti_are_12() {
    let mut b = bank();
    let cash = purchase(ALICE, 100, 1).set(3, "010000");
    let reply = b.send(&cash);
    assert_eq!((reply.mti.as_str(), reply.code()), ("0210", "12"));
    assert_eq!(
        b.send(&preauth(ALICE, 100, 2).set(3, "200000")).code(),
        "12"
    );
    let a = b.answer(&purchase(ALICE, 100, 3).set(3, "000000"));
    assert_eq!(a.disposition, Disposition::Decided);
    let mut odd = purchase(ALICE, 100, 4);
    odd.mti = "0300";
    let a = b.answer(&odd);
    assert_eq!(a.disposition, Disposition::Unrecorded);
    let reply = read(&a);
    assert_eq!((reply.mti.as_str(), reply.code()), ("0310", "12"));
    // Currency other than the card's.
    assert_eq!(b.send(&purchase(ALICE, 100, 5).set(49, "840")).code(), "12");
    assert_eq!(b.card(ALICE).debits_posted, 100);
}

#[test]
fn unknown_merchant_is_03() {
    let mut b = bank();
    assert_eq!(
        b.send(&purchase(ALICE, 100, 1).set(42, "NOSUCHSHOP     "))
            .code(),
        "03"
    );
    // Field 42 is fixed 15: trailing spaces are padding.
    assert_eq!(
        b.send(&purchase(ALICE, 100, 2).set(42, "MERCHANT0000001"))
            .code(),
        "00"
    );
}

#[test]
fn missing_mandatory_field_is_30_naming_it() {
    let mut b = bank();
    for field in [3, 4, 7, 11, 12, 13, 22, 25, 32, 37, 41, 42, 49] {
        let a = b.answer(&purchase(ALICE, 100, 1).without(field));
        assert_eq!(a.disposition, Disposition::Unrecorded, "field {field}");
        let reply = read(&a);
        assert_eq!(reply.code(), "30", "field {field}");
        assert_eq!(reply.mti, "0210");
        assert_eq!(
            a.reason,
            format!("0200: mandatory field {field} missing"),
            "field {field}"
        );
    }
    let a = b.answer(&purchase(ALICE, 100, 2).without(2));
    assert_eq!(a.reason, "field 2 or 35 missing: no card number");
    let a = b.answer(&purchase(ALICE, 100, 3).without(14));
    assert_eq!(a.reason, "field 14 missing: entry mode 012 is keyed");
    let a = b.answer(&purchase(ALICE, 100, 4).set(22, "022"));
    assert_eq!(
        a.reason,
        "field 35 missing: entry mode 022 is a magnetic stripe read"
    );
    let a = b.answer(&Req::new("0800").set(7, "0615100000").set(11, "000001"));
    assert_eq!(read(&a).code(), "30");
    assert_eq!(a.reason, "0800: mandatory field 70 missing");
    let a = b.answer(&reversal(&purchase(ALICE, 100, 5), 6).without(90));
    assert_eq!(a.reason, "0400: mandatory field 90 missing");
    // Nothing was recorded or moved.
    assert_eq!(b.card(ALICE).debits_posted, 0);
    b.assert_audit_clean();
}

#[test]
fn unreadable_fields_are_30_and_unreadable_mti_is_dropped() {
    let mut b = bank();
    let mut frame = purchase(ALICE, 100, 1).pack();
    // Field 4 is fixed n12: cut the frame inside it.
    frame.truncate(4 + 8 + 2 + 16 + 6 + 5);
    let a = b.issuer.handle(&mut b.ledger, &frame, b.now).unwrap();
    let reply = read(&a);
    assert_eq!((reply.mti.as_str(), reply.code()), ("0210", "30"));
    assert_eq!(reply.fields.len(), 1);
    assert!(a.reason.starts_with("0200: "), "{}", a.reason);
    let a = b.issuer.handle(&mut b.ledger, b"02x0", b.now).unwrap();
    assert_eq!(a.disposition, Disposition::Dropped);
    assert_eq!(a.response, None);
    // A response sent to the issuer is not answered.
    let mut resp = purchase(ALICE, 100, 2);
    resp.mti = "0210";
    assert_eq!(b.answer(&resp).disposition, Disposition::Dropped);
}

#[test]
fn balance_inquiry_answers_field_54() {
    let mut b = bank();
    assert_eq!(b.send(&purchase(ALICE, 2_500, 1)).code(), "00");
    assert_eq!(b.send(&preauth(ALICE, 1_000, 2)).code(), "00");
    let reply = b.send(&balance(ALICE, 3));
    assert_eq!(reply.code(), "00");
    // 1000.00 - 25.00 - 10.00 held = 965.00 available.
    assert_eq!(reply.fields[&54], "0002978C000000096500");
    assert_eq!(reply.fields[&4], "000000000000");
    let usd = b.send(&balance(GUS_USD, 4).set(49, "840"));
    assert_eq!(usd.fields[&54], "0002840C000000005000");
    b.assert_audit_clean();
}

#[test]
fn network_management() {
    let mut b = bank();
    for (code, expected) in [("001", "00"), ("002", "00"), ("301", "00"), ("161", "12")] {
        let a = b.answer(
            &Req::new("0800")
                .set(7, "0615100000")
                .set(11, "000001")
                .set(70, code),
        );
        assert_eq!(a.disposition, Disposition::Unrecorded);
        let reply = read(&a);
        assert_eq!(reply.mti, "0810");
        assert_eq!(reply.code(), expected, "70 = {code}");
        assert_eq!(reply.fields[&70], code);
        assert_eq!(reply.fields[&11], "000001");
    }
}
