//! The issuer's audit finds books that disagree with the decisions (damage made on purpose
//! through the ledger's own API, behind the issuer's back).

mod common;

use common::*;
use issuer::IssuerViolation;
use issuer::chart::transfer_code;
use issuer::key::{Identity, Leg, base, transfer_id};
use ledger::{HoldStatus, Transfer};

fn violations<S: ledger::Storage>(b: &Bank<S>) -> Vec<IssuerViolation> {
    let audit = b.issuer.audit(&b.ledger).unwrap();
    assert!(audit.ledger.is_clean(), "the ledger itself stays balanced");
    audit.violations
}

fn key_base(stan: &str) -> u128 {
    base(&Identity::new("1234", TERMINAL, stan, "0615100000").key())
}

#[test]
fn a_clean_day_is_clean_and_counted() {
    let mut b = bank();
    assert_eq!(b.send(&purchase(ALICE, 100, 1)).code(), "00");
    assert_eq!(b.send(&preauth(ALICE, 100, 2)).code(), "00");
    let audit = b.issuer.audit(&b.ledger).unwrap();
    assert!(audit.is_clean());
    // Purchase: money, limit, 2 totals, sequence; pre-auth: money, limit, sequence.
    assert_eq!(audit.transfers_checked, 8);
    assert_eq!(audit.holds_checked, 1);
}

#[test]
fn money_moved_without_a_decision_is_found() {
    let mut b = bank();
    let chart = b.issuer.book().chart().clone();
    let id = transfer_id(key_base("000077"), Leg::Money);
    let mut batch = b.ledger.begin(b.now.as_ns()).unwrap();
    let t = Transfer::single(
        id,
        chart.card(ALICE),
        chart.merchant(MERCHANT, 978),
        500,
        978,
        transfer_code::PURCHASE,
    );
    batch.try_apply(&[t]).unwrap().unwrap();
    batch.commit().unwrap();
    assert_eq!(
        violations(&b),
        vec![IssuerViolation::TransferWithoutDecision { transfer_id: id }]
    );
}

#[test]
fn money_moved_under_a_decline_is_found() {
    let mut b = bank();
    assert_eq!(b.send(&purchase(HANA_POOR, 9_000, 1)).code(), "51");
    let chart = b.issuer.book().chart().clone();
    let declined = transfer_id(key_base("000001"), Leg::Money);
    let mut batch = b.ledger.begin(b.now.as_ns()).unwrap();
    let t = Transfer::single(
        declined,
        chart.card(HANA_POOR),
        chart.merchant(MERCHANT, 978),
        100,
        978,
        transfer_code::PURCHASE,
    );
    batch.try_apply(&[t]).unwrap().unwrap();
    batch.commit().unwrap();
    assert_eq!(
        violations(&b),
        vec![IssuerViolation::TransferOfDecline {
            transfer_id: declined,
            response_code: "51".into(),
        }]
    );
}

#[test]
fn money_moved_for_another_amount_than_approved_is_found() {
    let mut b = bank();
    let chart = b.issuer.book().chart().clone();
    let key = Identity::new("1234", TERMINAL, "000088", "0615100000").key();
    let id = transfer_id(base(&key), Leg::Money);
    // An approval of 3.00 stored with a movement of 2.50.
    let mut answer = iso8583::Message::new(iso8583::Mti::parse("0210").unwrap());
    answer.set_owned(4, "000000000300").unwrap();
    answer.set_owned(39, "00").unwrap();
    let bytes = b.issuer.spec().pack(&answer).unwrap();
    let t = Transfer::single(
        id,
        chart.card(ALICE),
        chart.merchant(MERCHANT, 978),
        250,
        978,
        transfer_code::PURCHASE,
    );
    let mut batch = b.ledger.begin(b.now.as_ns()).unwrap();
    batch.decide(key, &[t], |_| bytes).unwrap();
    batch.commit().unwrap();
    assert_eq!(
        violations(&b),
        vec![IssuerViolation::AmountDiffersFromApproval {
            transfer_id: id,
            transfer_minor: 250,
            approved_minor: 300,
        }]
    );
}

#[test]
fn a_limit_hold_resolved_apart_from_its_money_hold_is_found() {
    let mut b = bank();
    assert_eq!(b.send(&preauth(ALICE, 4_000, 1)).code(), "00");
    let hold = key_base("000001");
    let mut batch = b.ledger.begin(b.now.as_ns()).unwrap();
    batch
        .try_apply(&[Transfer::void(
            transfer_id(hold, Leg::UndoLimit),
            transfer_id(hold, Leg::Limit),
        )])
        .unwrap()
        .unwrap();
    batch.commit().unwrap();
    let found = violations(&b);
    assert!(
        found.contains(&IssuerViolation::LimitHoldDiffers {
            pending_id: transfer_id(hold, Leg::Money),
            money: Some(HoldStatus::Pending),
            limit: Some(HoldStatus::Voided),
        }),
        "{found:#?}"
    );
}

#[test]
fn a_missing_opening_balance_is_found() {
    let changed = CONFIG.replace(
        "opening_balance_minor = 1000\n",
        "opening_balance_minor = 1001\n",
    );
    let mut b = bank();
    b.issuer = issuer::Issuer::new(&issuer::Config::parse(&changed).unwrap());
    assert_eq!(
        violations(&b),
        vec![IssuerViolation::OpeningBalanceWrong {
            card: "frank".into(),
            configured_minor: 1001,
            posted_minor: 1000,
        }]
    );
}
