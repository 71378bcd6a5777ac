//! 0500 settlement: the terminal's totals against the issuer's since the last settlement.

mod common;

use common::*;

fn day_of_trading<S: ledger::Storage>(b: &mut Bank<S>) {
    let sale = purchase(ALICE, 1_000, 1);
    assert_eq!(b.send(&sale).code(), "00");
    assert_eq!(b.send(&purchase(ALICE, 2_500, 2)).code(), "00");
    assert_eq!(b.send(&purchase(HANA_POOR, 9_999, 3)).code(), "51");
    assert_eq!(b.send(&refund(ALICE, 300, 4)).code(), "00");
    let pre = preauth(ALICE, 5_000, 5);
    let auth = b.send(&pre).auth().to_owned();
    assert_eq!(b.send(&completion(&pre, 4_200, &auth, 6)).code(), "00");
    // A reversed purchase leaves the batch.
    let gone = purchase(ALICE, 700, 7);
    assert_eq!(b.send(&gone).code(), "00");
    assert_eq!(b.send(&reversal(&gone, 8)).code(), "00");
    assert_eq!(b.send(&balance(ALICE, 9)).code(), "00");
}

#[test]
fn agreeing_totals_are_00_and_start_a_new_period() {
    let mut b = bank();
    day_of_trading(&mut b);
    // Debits: 10.00 + 25.00 + 42.00 (completion) = 77.00 in 3; credits: 3.00 in 1.
    let reply = b.send(&settlement(10, (1, 300), (3, 7_700)));
    assert_eq!((reply.mti.as_str(), reply.code()), ("0510", "00"));
    // The next period starts from zero.
    assert_eq!(b.send(&settlement(11, (0, 0), (0, 0))).code(), "00");
    assert_eq!(b.send(&purchase(ALICE, 100, 12)).code(), "00");
    assert_eq!(b.send(&settlement(13, (0, 0), (1, 100))).code(), "00");
    b.assert_audit_clean();
}

#[test]
fn disagreeing_totals_are_95_and_keep_the_period_open() {
    let mut b = bank();
    day_of_trading(&mut b);
    for (stan, credits, debits) in [
        (10, (1, 300), (3, 7_701)),
        (11, (1, 300), (4, 7_700)),
        (12, (0, 300), (3, 7_700)),
        (13, (1, 299), (3, 7_700)),
    ] {
        let a = b.answer(&settlement(stan, credits, debits));
        assert_eq!(read(&a).code(), "95", "{credits:?} {debits:?}");
        assert!(
            a.reason
                .ends_with("issuer has credits 1 for 300, debits 3 for 7700"),
            "{}",
            a.reason
        );
    }
    // Still open: the right totals now agree.
    assert_eq!(b.send(&settlement(14, (1, 300), (3, 7_700))).code(), "00");
    // Another terminal's totals are its own.
    assert_eq!(
        b.send(&settlement(15, (0, 0), (0, 0)).set(41, "TERM0002"))
            .code(),
        "00"
    );
}

#[test]
fn settlement_format_and_code_checks() {
    let mut b = bank();
    assert_eq!(
        b.send(&settlement(1, (0, 0), (0, 0)).set(3, "900000"))
            .code(),
        "12"
    );
    assert_eq!(
        b.send(&settlement(2, (0, 0), (0, 0)).without(88)).code(),
        "30"
    );
}
