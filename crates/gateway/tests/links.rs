//! Issuer links: sign-on when up, echo when idle, reset when an 0800 goes unanswered, and the
//! issuer's own 0800s answered.

mod common;

use common::*;
use gateway::{Action, Gateway};

#[test]
fn sign_on_echo_and_reset() {
    let mut gw = Gateway::new(&config());
    // Links start down.
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase("000001", PAN_B)), T0);
    assert_eq!(code(&acts), "91");

    let up = gw.on_link_up("issuer-b", T0);
    let sent = issuer_msgs(&up);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        fields(&sent[0].1),
        vec![
            (7, "1114221320".into()),
            (11, "000001".into()),
            (70, "001".into())
        ]
    );
    let ok = msg(
        "0810",
        &[(7, "1114221320"), (11, "000001"), (39, "00"), (70, "001")],
    );
    assert!(gw.on_issuer_message("issuer-b", &ok, T0 + 10).is_empty());

    // Idle for echo_interval_s = 30: an echo with the next gateway STAN.
    assert!(issuer_msgs(&gw.on_tick(T0 + 30_009)).is_empty());
    let acts = gw.on_tick(T0 + 30_010);
    let echo = &issuer_msgs(&acts)[0];
    assert_eq!(echo.0, "issuer-b");
    assert_eq!(echo.1.text(70), Some("301"));
    assert_eq!(echo.1.text(11), Some("000002"));
    // No answer within request_timeout_ms: the link is reset and counts as down.
    assert!(gw.on_tick(T0 + 35_009).is_empty());
    let acts = gw.on_tick(T0 + 35_010);
    assert!(acts.contains(&Action::ResetLink {
        link: "issuer-b".into()
    }));
    let acts = gw.on_terminal_request(
        C1,
        Some(TERM1),
        &wire(&purchase("000002", PAN_B)),
        T0 + 35_011,
    );
    assert_eq!(code(&acts), "91");
}

#[test]
fn traffic_postpones_the_echo() {
    let mut gw = gateway();
    let acts = gw.on_terminal_request(
        C1,
        Some(TERM1),
        &wire(&purchase("000001", PAN_B)),
        T0 + 20_000,
    );
    let fwd = issuer_msgs(&acts)[0].1.clone();
    gw.on_issuer_message(
        "issuer-b",
        &issuer_answer(&fwd, "00", Some("A1B2C3")),
        T0 + 20_100,
    );
    let acts = gw.on_tick(T0 + 30_000);
    let echoed: Vec<String> = issuer_msgs(&acts).into_iter().map(|(l, _)| l).collect();
    // issuer-a was idle since T0; issuer-b saw traffic at T0 + 20.1 s.
    assert_eq!(echoed, ["issuer-a"]);
    assert_eq!(gw.next_wakeup(), Some(T0 + 35_000));
}

#[test]
fn issuer_echo_is_answered() {
    let mut gw = gateway();
    let echo = msg("0800", &[(7, "1114221320"), (11, "000077"), (70, "301")]);
    let acts = gw.on_issuer_message("issuer-a", &echo, T0);
    let sent = issuer_msgs(&acts);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "issuer-a");
    assert_eq!(sent[0].1.mti().as_str(), "0810");
    assert_eq!(
        fields(&sent[0].1),
        vec![
            (7, "1114221320".into()),
            (11, "000077".into()),
            (39, "00".into()),
            (70, "301".into())
        ]
    );
    // Anything else unasked is dropped with a log line.
    let stray = msg("0200", &[(11, "000001")]);
    let acts = gw.on_issuer_message("issuer-a", &stray, T0);
    assert_eq!(acts.len(), 1);
    assert!(logs(&acts)[0].1.contains("sent a 0200 request: dropped"));
}
