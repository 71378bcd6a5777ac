//! Settlement (0500): the gateway's per-terminal totals of approved debits and credits, 00
//! when the terminal agrees, 95 when not, a new batch either way.

mod common;

use common::*;
use gateway::batch::{Entry, Side, TxnKey};
use gateway::{Action, Gateway, Record, Totals};
use iso8583::{Message, Mti};

/// Sends `req` from TERM0001 and answers it `code` from its issuer; the actions of the answer.
fn through(gw: &mut Gateway, req: &Message<'_>, code: &str) -> Vec<Action> {
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(req), T0);
    let (link, fwd) = issuer_msgs(&acts).remove(0);
    let acts = gw.on_issuer_message(&link, &issuer_answer(&fwd, code, Some("AUTH01")), T0 + 100);
    assert_eq!(replies(&acts)[0].1.text(39), Some(code));
    acts
}

fn with(mut m: Message<'static>, mti: &str, fields: &[(usize, &str)]) -> Message<'static> {
    m.set_mti(Mti::parse(mti).unwrap());
    for (n, v) in fields {
        m.set_owned(*n, v).unwrap();
    }
    m
}

fn keyed(stan: &str) -> Message<'static> {
    let mut m = purchase(stan, PAN_B);
    m.remove(35);
    m.set_owned(2, PAN_B).unwrap();
    m
}

fn settlement(stan: &str, t: &Totals) -> Message<'static> {
    msg(
        "0500",
        &[
            (3, "920000"),
            (7, "1114235900"),
            (11, stan),
            (12, "235900"),
            (13, "1114"),
            (41, TERM1),
            (42, MERCH1),
            (49, "978"),
            (74, &format!("{:010}", t.credits_count)),
            (76, &format!("{:010}", t.debits_count)),
            (86, &format!("{:016}", t.credits_amount_minor)),
            (88, &format!("{:016}", t.debits_amount_minor)),
        ],
    )
}

fn settle(gw: &mut Gateway, stan: &str, t: &Totals) -> Vec<Action> {
    gw.on_terminal_request(C1, Some(TERM1), &wire(&settlement(stan, t)), T0 + 1000)
}

#[test]
fn a_day_of_transactions_settles_00_with_exact_totals() {
    let mut gw = gateway();
    let purchase1 = purchase("000001", PAN_B);
    let acts = through(&mut gw, &purchase1, "00");
    assert_eq!(
        journal(&acts),
        vec![Record::BatchAdded {
            terminal: TERM1.into(),
            key: TxnKey {
                stan: "000001".into(),
                transmission: "1114221320".into()
            },
            entry: Entry {
                mti: "0200".into(),
                currency: "978".into(),
                side: Side::Debit,
                amount_minor: 1250
            }
        }]
    );
    // A retransmission the issuer answers again from its first decision: counted once.
    assert!(journal(&through(&mut gw, &purchase1, "00")).is_empty());

    let refund = with(
        purchase("000002", PAN_B),
        "0200",
        &[(3, "200000"), (4, "000000000300")],
    );
    let acts = through(&mut gw, &refund, "00");
    assert!(matches!(
        &journal(&acts)[0],
        Record::BatchAdded {
            entry: Entry {
                side: Side::Credit,
                amount_minor: 300,
                ..
            },
            ..
        }
    ));

    // A pre-authorization holds; it is not in the totals. Its completion is a debit.
    let preauth = with(
        purchase("000003", PAN_B),
        "0100",
        &[(4, "000000005000"), (25, "06")],
    );
    assert!(journal(&through(&mut gw, &preauth, "00")).is_empty());

    // The terminal reverses the first purchase.
    let reversal = with(
        keyed("000007"),
        "0400",
        &[(90, "020000000111142213200000000123400000000000")],
    );
    let acts = through(&mut gw, &reversal, "00");
    assert_eq!(
        journal(&acts),
        vec![Record::BatchRemoved {
            terminal: TERM1.into(),
            key: TxnKey {
                stan: "000001".into(),
                transmission: "1114221320".into()
            },
            mti: "0200".into()
        }]
    );
    // Its retransmission takes nothing more out.
    assert!(journal(&through(&mut gw, &reversal, "00")).is_empty());

    let completion = with(
        keyed("000004"),
        "0220",
        &[
            (4, "000000004000"),
            (38, "AUTH01"),
            (90, "010000000311142213200000000123400000000000"),
        ],
    );
    through(&mut gw, &completion, "00");

    // A decline and a balance inquiry count for nothing.
    through(&mut gw, &purchase("000005", PAN_B), "51");
    let balance = with(
        purchase("000006", PAN_B),
        "0200",
        &[(3, "310000"), (4, "000000000000")],
    );
    through(&mut gw, &balance, "00");
    through(&mut gw, &purchase("000008", PAN_B), "00");

    let expected = Totals {
        credits_count: 1,
        debits_count: 2,
        credits_amount_minor: 300,
        debits_amount_minor: 5250,
    };
    assert_eq!(gw.batch_totals(TERM1, "978"), expected);
    // Another terminal's batch is its own.
    assert_eq!(gw.batch_totals(TERM2, "978"), Totals::default());

    let acts = settle(&mut gw, "000009", &expected);
    let r = replies(&acts);
    assert_eq!(r[0].1.mti().as_str(), "0510");
    assert_eq!(
        fields(&r[0].1),
        vec![
            (3, "920000".into()),
            (7, "1114235900".into()),
            (11, "000009".into()),
            (12, "235900".into()),
            (13, "1114".into()),
            (39, "00".into()),
            (41, TERM1.into()),
            (42, MERCH1.into()),
            (49, "978".into()),
            (74, "0000000001".into()),
            (76, "0000000002".into()),
            (86, "0000000000000300".into()),
            (88, "0000000000005250".into()),
        ]
    );
    assert_eq!(
        journal(&acts),
        vec![Record::BatchSettled {
            terminal: TERM1.into(),
            currency: "978".into()
        }]
    );
    // A new batch begins.
    assert_eq!(gw.batch_totals(TERM1, "978"), Totals::default());
    assert_eq!(code(&settle(&mut gw, "000010", &Totals::default())), "00");
}

#[test]
fn disagreeing_totals_are_95_and_start_a_new_batch() {
    let mut gw = gateway();
    through(&mut gw, &purchase("000001", PAN_B), "00");
    through(&mut gw, &purchase("000002", PAN_B), "00");
    // The terminal lost one purchase: one debit of 12.50 instead of two.
    let claimed = Totals {
        credits_count: 0,
        debits_count: 1,
        credits_amount_minor: 0,
        debits_amount_minor: 1250,
    };
    let acts = settle(&mut gw, "000003", &claimed);
    assert_eq!(code(&acts), "95");
    let l = logs(&acts);
    assert!(
        l[0].1
            .contains("terminal says debits 1 for 1250 minor units")
            && l[0].1.contains("gateway has debits 2 for 2500 minor units"),
        "{}",
        l[0].1
    );
    assert_eq!(gw.batch_totals(TERM1, "978"), Totals::default());
    // Amount right, count wrong: still 95.
    through(&mut gw, &purchase("000004", PAN_B), "00");
    let wrong_count = Totals {
        debits_count: 2,
        ..claimed
    };
    assert_eq!(code(&settle(&mut gw, "000005", &wrong_count)), "95");
}

#[test]
fn settlement_fields_are_checked() {
    let mut gw = gateway();
    let mut m = settlement("000001", &Totals::default());
    m.remove(88);
    assert_eq!(
        code(&gw.on_terminal_request(C1, Some(TERM1), &wire(&m), T0)),
        "30"
    );
    let mut m = settlement("000002", &Totals::default());
    m.set_owned(3, "000000").unwrap();
    assert_eq!(
        code(&gw.on_terminal_request(C1, Some(TERM1), &wire(&m), T0)),
        "12"
    );
    let mut m = settlement("000003", &Totals::default());
    m.set_owned(42, MERCH2).unwrap();
    assert_eq!(
        code(&gw.on_terminal_request(C1, Some(TERM1), &wire(&m), T0)),
        "03"
    );
}

#[test]
fn batch_survives_a_restart_through_the_journal() {
    let mut gw = gateway();
    let mut records = Vec::new();
    records.extend(journal(&through(&mut gw, &purchase("000001", PAN_B), "00")));
    let refund = with(
        purchase("000002", PAN_B),
        "0200",
        &[(3, "200000"), (4, "000000000300")],
    );
    records.extend(journal(&through(&mut gw, &refund, "00")));
    let file = gateway::journal::encode_all(&records).unwrap();
    let mut restarted = Gateway::new(&config());
    for r in gateway::journal::decode(&file).unwrap().records {
        restarted.replay(&r).unwrap();
    }
    let t = gw.batch_totals(TERM1, "978");
    assert_eq!(restarted.batch_totals(TERM1, "978"), t);
    assert_eq!(code(&settle(&mut restarted, "000003", &t)), "00");
}
