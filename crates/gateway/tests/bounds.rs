//! Every bound: beyond it the terminal gets 96 (and a log line), nothing is forwarded.

mod common;

use common::*;
use gateway::{Action, Gateway, Level};
use iso8583::Message;

fn send(gw: &mut Gateway, peer: &str, m: &Message<'_>) -> Vec<Action> {
    gw.on_terminal_request(C1, Some(peer), &wire(m), T0)
}

fn refused_96(acts: &[Action], why: &str) {
    assert_eq!(code(acts), "96");
    assert!(issuer_msgs(acts).is_empty());
    assert!(
        logs(acts)
            .iter()
            .any(|(l, t)| *l == Level::Warn && t.contains(why)),
        "no {why:?} in {acts:?}"
    );
}

fn from_term2(stan: &str, pan: &str) -> Message<'static> {
    let mut m = purchase(stan, pan);
    m.set_owned(41, TERM2).unwrap();
    m.set_owned(42, MERCH2).unwrap();
    m
}

#[test]
fn pending_per_terminal() {
    let mut gw = gateway();
    assert_eq!(
        issuer_msgs(&send(&mut gw, TERM1, &purchase("000001", PAN_B))).len(),
        1
    );
    assert_eq!(
        issuer_msgs(&send(&mut gw, TERM1, &purchase("000002", PAN_B))).len(),
        1
    );
    refused_96(
        &send(&mut gw, TERM1, &purchase("000003", PAN_B)),
        "already has 2 requests awaiting issuers",
    );
    // Another terminal is not affected.
    assert_eq!(
        issuer_msgs(&send(&mut gw, TERM2, &from_term2("000001", PAN_B))).len(),
        1
    );
}

#[test]
fn pending_in_total() {
    let mut gw = gateway();
    send(&mut gw, TERM1, &purchase("000001", PAN_B));
    send(&mut gw, TERM1, &purchase("000002", PAN_B));
    send(&mut gw, TERM2, &from_term2("000001", PAN_B));
    assert_eq!(gw.pending_len(), 3);
    refused_96(
        &send(&mut gw, TERM2, &from_term2("000002", PAN_B)),
        "3 requests await issuers, the gateway's limit",
    );
}

#[test]
fn in_flight_per_link_counts_advices() {
    let mut gw = gateway();
    // issuer-a takes 3 in flight: two requests time out into two 0420s in flight, one more
    // request fills the link.
    send(&mut gw, TERM1, &purchase("000001", PAN_A));
    send(&mut gw, TERM1, &purchase("000002", PAN_A));
    let acts = gw.on_tick(T0 + 5000);
    assert_eq!(issuer_msgs(&acts).len(), 2);
    let acts = gw.on_terminal_request(
        C1,
        Some(TERM1),
        &wire(&purchase("000003", PAN_A)),
        T0 + 5001,
    );
    assert_eq!(issuer_msgs(&acts).len(), 1);
    let acts = gw.on_terminal_request(
        C2,
        Some(TERM2),
        &wire(&from_term2("000001", PAN_A)),
        T0 + 5002,
    );
    refused_96(
        &acts,
        "issuer link \"issuer-a\" has 3 messages in flight, its limit",
    );
}

#[test]
fn reversal_queue_room_is_reserved_before_forwarding() {
    let mut gw = gateway();
    // reversal_queue_max = 4: fill it with advices for issuer-b requests that timed out.
    let mut t = T0;
    for stan in ["000001", "000002", "000003", "000004"] {
        let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase(stan, PAN_B)), t);
        assert_eq!(issuer_msgs(&acts).len(), 1, "{stan}");
        t += 5000;
        gw.on_tick(t);
    }
    assert_eq!(gw.advices_len(), 4);
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase("000005", PAN_B)), t);
    refused_96(&acts, "no room left in the reversal queue");
    // A balance inquiry needs no reversal, so it still goes.
    let mut balance = purchase("000006", PAN_B);
    balance.set_owned(3, "310000").unwrap();
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&balance), t);
    assert_eq!(issuer_msgs(&acts).len(), 1);
}

#[test]
fn full_batch_refuses_new_debits_until_settled() {
    let mut gw = gateway();
    for stan in ["000001", "000002", "000003"] {
        let acts = send(&mut gw, TERM1, &purchase(stan, PAN_B));
        let fwd = issuer_msgs(&acts)[0].1.clone();
        let acts = gw.on_issuer_message("issuer-b", &issuer_answer(&fwd, "00", Some("A1B2C3")), T0);
        assert_eq!(journal(&acts).len(), 1);
    }
    refused_96(
        &send(&mut gw, TERM1, &purchase("000004", PAN_B)),
        "batch holds 3 transactions, its limit: settle first",
    );
    // A pre-authorization adds nothing to the batch: it still goes.
    let mut preauth = purchase("000005", PAN_B);
    preauth.set_mti(iso8583::Mti::parse("0100").unwrap());
    assert_eq!(issuer_msgs(&send(&mut gw, TERM1, &preauth)).len(), 1);
}
