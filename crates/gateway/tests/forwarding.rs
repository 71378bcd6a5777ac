//! Routing by BIN, field 32, response matching and pass-through.

mod common;

use common::*;
use gateway::{Action, Level, MatchKey};
use iso8583::Mti;

#[test]
fn overlapping_prefixes_route_to_the_longest() {
    let mut gw = gateway();
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase("000001", PAN_B)), T0);
    let sent = issuer_msgs(&acts);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "issuer-b");
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase("000002", PAN_A)), T0);
    assert_eq!(issuer_msgs(&acts)[0].0, "issuer-a");
    assert_eq!(gw.pending_len(), 2);
}

#[test]
fn forwarded_request_gains_field_32_and_nothing_else() {
    let mut gw = gateway();
    let req = wire(&purchase("000001", PAN_B));
    let acts = gw.on_terminal_request(C1, Some(TERM1), &req, T0);
    assert_eq!(acts.len(), 1, "{acts:?}");
    let fwd = &issuer_msgs(&acts)[0].1;
    let mut expected = fields(&req);
    expected.push((32, "1234".into()));
    expected.sort();
    assert_eq!(fields(fwd), expected);
    assert_eq!(fwd.mti().as_str(), "0200");
}

#[test]
fn approval_passes_through_with_echoes() {
    let mut gw = gateway();
    let req = wire(&purchase("000001", PAN_B));
    let acts = gw.on_terminal_request(C1, Some(TERM1), &req, T0);
    let fwd = issuer_msgs(&acts)[0].1.clone();
    let mut resp = issuer_answer(&fwd, "00", Some("A1B2C3"));
    // An issuer that forgets 42 and 37: the gateway restores the terminal's echoes.
    resp.remove(42);
    resp.remove(37);
    let acts = gw.on_issuer_message("issuer-b", &wire(&resp), T0 + 900);
    let r = replies(&acts);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, C1);
    assert_eq!(r[0].1.mti().as_str(), "0210");
    let expected: Vec<(usize, String)> = [
        (3, "000000"),
        (4, "000000001250"),
        (7, "1114221320"),
        (11, "000001"),
        (12, "231320"),
        (13, "1114"),
        (32, "1234"),
        (37, "331822000001"),
        (38, "A1B2C3"),
        (39, "00"),
        (41, TERM1),
        (42, MERCH1),
        (49, "978"),
    ]
    .into_iter()
    .map(|(n, v)| (n, v.to_string()))
    .collect();
    assert_eq!(fields(&r[0].1), expected);
    assert_eq!(gw.pending_len(), 0);
    // The approval is in the batch, journaled before the reply.
    let j = acts
        .iter()
        .position(|a| matches!(a, Action::Journal(_)))
        .unwrap();
    let t = acts
        .iter()
        .position(|a| matches!(a, Action::ToTerminal { .. }))
        .unwrap();
    assert!(j < t);
    assert_eq!(gw.batch_totals(TERM1, "978").debits_amount_minor, 1250);
}

#[test]
fn decline_passes_through_and_is_not_counted() {
    let mut gw = gateway();
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase("000001", PAN_B)), T0);
    let fwd = issuer_msgs(&acts)[0].1.clone();
    let acts = gw.on_issuer_message("issuer-b", &issuer_answer(&fwd, "51", None), T0 + 10);
    assert_eq!(code(&acts), "51");
    assert!(journal(&acts).is_empty());
    assert_eq!(gw.batch_totals(TERM1, "978"), gateway::Totals::default());
}

#[test]
fn matching_uses_terminal_stan_and_class() {
    let mut gw = gateway();
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase("000001", PAN_B)), T0);
    let fwd = issuer_msgs(&acts)[0].1.clone();
    // Same STAN from another link, another STAN, another class, a wrong function: all dropped.
    let right = issuer_answer(&fwd, "00", Some("A1B2C3"));
    let acts = gw.on_issuer_message("issuer-a", &right, T0);
    assert!(replies(&acts).is_empty());
    assert!(
        logs(&acts)[0]
            .1
            .contains("does not answer the request awaiting it")
    );
    let mut other_stan = right.clone();
    other_stan.set_owned(11, "000002").unwrap();
    assert!(replies(&gw.on_issuer_message("issuer-b", &other_stan, T0)).is_empty());
    let mut other_class = right.clone();
    other_class.set_mti(Mti::parse("0110").unwrap());
    let acts = gw.on_issuer_message("issuer-b", &other_class, T0);
    assert!(replies(&acts).is_empty());
    assert!(logs(&acts)[0].1.contains("matches no request"));
    let mut advice_resp = right.clone();
    advice_resp.set_mti(Mti::parse("0230").unwrap());
    assert!(replies(&gw.on_issuer_message("issuer-b", &advice_resp, T0)).is_empty());
    assert_eq!(gw.pending_len(), 1);
    // And the right one is delivered.
    assert_eq!(code(&gw.on_issuer_message("issuer-b", &right, T0)), "00");
}

#[test]
fn retransmission_while_pending_is_not_forwarded_twice() {
    let mut gw = gateway();
    let req = wire(&purchase("000001", PAN_B));
    let first = gw.on_terminal_request(C1, Some(TERM1), &req, T0);
    let fwd = issuer_msgs(&first)[0].1.clone();
    // The terminal reconnected (C2) and sent the same request again.
    let again = gw.on_terminal_request(C2, Some(TERM1), &req, T0 + 2000);
    assert!(issuer_msgs(&again).is_empty() && replies(&again).is_empty());
    assert_eq!(logs(&again)[0].0, Level::Info);
    // The same STAN with another transmission time is a duplicate: 94.
    let mut dup = req.clone();
    dup.set_owned(7, "1114221400").unwrap();
    assert_eq!(
        code(&gw.on_terminal_request(C2, Some(TERM1), &dup, T0 + 2100)),
        "94"
    );
    // The answer goes to the newest connection.
    let acts = gw.on_issuer_message(
        "issuer-b",
        &issuer_answer(&fwd, "00", Some("A1B2C3")),
        T0 + 3000,
    );
    assert_eq!(replies(&acts)[0].0, C2);
}

#[test]
fn reversal_and_completion_are_forwarded_by_their_pan() {
    let mut gw = gateway();
    let mut rev = purchase("000009", PAN_A);
    rev.set_mti(Mti::parse("0400").unwrap());
    rev.remove(35);
    rev.set_owned(2, PAN_A).unwrap();
    rev.set_owned(90, "020000000111142213200000000123400000000000")
        .unwrap();
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&rev), T0);
    let sent = issuer_msgs(&acts);
    assert_eq!(sent[0].0, "issuer-a");
    assert_eq!(sent[0].1.mti().as_str(), "0400");
    assert!(
        gw.on_timeout(&MatchKey::of(&rev).unwrap(), T0 + 1)
            .iter()
            .all(|a| {
                // A reversal that gets no answer is the terminal's to retry: 91, no 0420.
                !matches!(a, Action::Journal(_) | Action::ToIssuer { .. })
            })
    );
}

#[test]
fn response_without_a_readable_39_is_96_and_reversed() {
    let mut gw = gateway();
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase("000001", PAN_B)), T0);
    let fwd = issuer_msgs(&acts)[0].1.clone();
    let mut resp = issuer_answer(&fwd, "00", None);
    resp.remove(39);
    let acts = gw.on_issuer_message("issuer-b", &resp, T0 + 10);
    assert_eq!(code(&acts), "96");
    let sent = issuer_msgs(&acts);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.mti().as_str(), "0420");
    assert_eq!(gw.advices_len(), 1);
}

#[test]
fn an_offline_advice_is_forwarded_and_counted_a_completion_without_90_is_30() {
    let mut gw = gateway();
    // A chip purchase the card approved offline: 0220 with 55, no 90, no 38.
    let mut advice = purchase("000031", PAN_B);
    advice.set_mti(Mti::parse("0220").unwrap());
    // Named by PAN alone, as the terminal's queue keeps it.
    advice.remove(35);
    advice.set_owned(2, PAN_B).unwrap();
    advice.set_owned(22, "051").unwrap();
    advice.set_owned(55, [0x9F, 0x27, 0x01, 0x40]).unwrap();
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&advice), T0);
    let fwd = issuer_msgs(&acts)[0].1.clone();
    assert_eq!(fwd.mti().as_str(), "0220");
    assert_eq!(fwd.get(55), Some(&[0x9F, 0x27, 0x01, 0x40][..]));
    let acts = gw.on_issuer_message("issuer-b", &issuer_answer(&fwd, "00", None), T0);
    assert_eq!(code(&acts), "00");
    let totals = gw.batch_totals(TERM1, "978");
    assert_eq!((totals.debits_count, totals.debits_amount_minor), (1, 1250));
    // Without chip data it is a completion, and a completion names its original.
    let mut bare = purchase("000032", PAN_B);
    bare.set_mti(Mti::parse("0220").unwrap());
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&bare), T0);
    assert_eq!(code(&acts), "30");
    assert!(issuer_msgs(&acts).is_empty());
}
