//! Silence from an issuer: 91 to the terminal, a 0420 with a correct field 90 retried until
//! its 0430, surviving a restart through the journal; late responses dropped.

mod common;

use common::*;
use gateway::journal::{decode, encode_all};
use gateway::reversal::AdviceOutcome;
use gateway::{Action, Gateway, Level, Record};
use iso8583::Message;

/// TERM0001's purchase forwarded to issuer-b at T0; returns the forwarded request.
fn forwarded(gw: &mut Gateway, stan: &str) -> Message<'static> {
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase(stan, PAN_B)), T0);
    issuer_msgs(&acts)[0].1.clone()
}

fn answer_0430(advice: &Message<'_>) -> Message<'static> {
    let mut r = msg("0430", &[(39, "00")]);
    for n in [2, 3, 4, 7, 11, 32, 37, 41, 42, 49, 90] {
        r.set_owned(n, advice.get(n).unwrap()).unwrap();
    }
    r
}

const EXPECTED_0420: &[(usize, &str)] = &[
    (2, PAN_B),
    (3, "000000"),
    (4, "000000001250"),
    // The advice's own transmission time: T0 + 5 s.
    (7, "1114221325"),
    (11, "000001"),
    (12, "231320"),
    (13, "1114"),
    (22, "022"),
    (25, "00"),
    (32, "1234"),
    (37, "331822000001"),
    (41, TERM1),
    (42, MERCH1),
    (49, "978"),
    // Original MTI 0200, STAN 000001, its 7 1114221320, acquirer 1234 (n11), forwarder 0.
    (90, "020000000111142213200000000123400000000000"),
];

#[test]
fn timeout_answers_91_and_sends_a_0420() {
    let mut gw = gateway();
    forwarded(&mut gw, "000001");
    assert_eq!(gw.next_wakeup(), Some(T0 + 5000));
    assert!(gw.on_tick(T0 + 4999).is_empty());
    let acts = gw.on_tick(T0 + 5000);
    // Journal first, then the 91, then the advice's first attempt.
    let kinds: Vec<&str> = acts
        .iter()
        .map(|a| match a {
            Action::Journal(Record::AdviceQueued { .. }) => "queued",
            Action::Journal(Record::AdviceAttempted { .. }) => "attempted",
            Action::ToTerminal { .. } => "reply",
            Action::ToIssuer { .. } => "advice",
            Action::Log { .. } => "log",
            _ => "other",
        })
        .filter(|k| *k != "log")
        .collect();
    assert_eq!(kinds, ["queued", "reply", "attempted", "advice"]);
    assert_eq!(code(&acts), "91");
    let reply = &replies(&acts)[0].1;
    assert_eq!(reply.mti().as_str(), "0210");
    assert_eq!(reply.text(11), Some("000001"));
    let sent = issuer_msgs(&acts);
    assert_eq!(sent[0].0, "issuer-b");
    assert_eq!(sent[0].1.mti().as_str(), "0420");
    let expected: Vec<(usize, String)> = EXPECTED_0420
        .iter()
        .map(|(n, v)| (*n, v.to_string()))
        .collect();
    assert_eq!(fields(&sent[0].1), expected);
    assert_eq!(
        journal(&acts)[1],
        Record::AdviceAttempted {
            id: 0,
            attempts: 1,
            // Sent at T0+5000; its own timeout 5000, then the first backoff 1000.
            next_attempt_ms: T0 + 11_000
        }
    );
    assert_eq!(gw.pending_len(), 0);
}

#[test]
fn advice_is_retried_until_its_0430() {
    let mut gw = gateway();
    forwarded(&mut gw, "000001");
    let first = gw.on_tick(T0 + 5000);
    let advice = issuer_msgs(&first)[0].1.clone();
    assert!(gw.on_tick(T0 + 10_999).is_empty());
    let second = gw.on_tick(T0 + 11_000);
    let sent = issuer_msgs(&second);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].1, advice,
        "a retry repeats the advice byte for byte"
    );
    assert_eq!(
        journal(&second),
        vec![Record::AdviceAttempted {
            id: 0,
            attempts: 2,
            // 11 000 + 5 000 + 1 500 (backoff doubled, capped at 1 500).
            next_attempt_ms: T0 + 17_500
        }]
    );
    let done = gw.on_issuer_message("issuer-b", &answer_0430(&advice), T0 + 12_000);
    assert_eq!(
        journal(&done),
        vec![Record::AdviceClosed {
            id: 0,
            outcome: AdviceOutcome::Acknowledged
        }]
    );
    assert_eq!(gw.advices_len(), 0);
    assert!(issuer_msgs(&gw.on_tick(T0 + 17_500)).is_empty());
    // A second 0430 finds nothing.
    let again = gw.on_issuer_message("issuer-b", &answer_0430(&advice), T0 + 12_001);
    assert!(logs(&again)[0].1.contains("matches no queued 0420"));
}

#[test]
fn unanswered_advice_is_given_up_after_its_attempts() {
    let mut gw = gateway();
    forwarded(&mut gw, "000001");
    let mut sends = issuer_msgs(&gw.on_tick(T0 + 5000)).len();
    let mut closed = Vec::new();
    let mut t = T0 + 5000;
    while t < T0 + 60_000 {
        t += 500;
        let acts = gw.on_tick(t);
        sends += issuer_msgs(&acts)
            .iter()
            .filter(|(_, m)| m.mti().as_str() == "0420")
            .count();
        closed.extend(
            journal(&acts)
                .into_iter()
                .filter(|r| matches!(r, Record::AdviceClosed { .. })),
        );
        if logs(&acts).iter().any(|(l, _)| *l == Level::Error) {
            assert!(
                logs(&acts)[0]
                    .1
                    .contains("given up: 3 attempts went unanswered")
            );
        }
    }
    assert_eq!(sends, 3, "reversal_attempts_max = 3");
    assert_eq!(
        closed,
        vec![Record::AdviceClosed {
            id: 0,
            outcome: AdviceOutcome::GaveUp
        }]
    );
    assert_eq!(gw.advices_len(), 0);
}

#[test]
fn late_response_is_dropped_with_a_log_line() {
    let mut gw = gateway();
    let fwd = forwarded(&mut gw, "000001");
    gw.on_tick(T0 + 5000);
    let late = issuer_answer(&fwd, "00", Some("A1B2C3"));
    let acts = gw.on_issuer_message("issuer-b", &late, T0 + 6000);
    assert!(replies(&acts).is_empty());
    assert!(journal(&acts).is_empty(), "a late approval is not counted");
    let l = logs(&acts);
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].0, Level::Warn);
    assert!(
        l[0].1.contains("late 0210") && l[0].1.contains("reversal advice #0 undoes it"),
        "{}",
        l[0].1
    );
    assert_eq!(gw.batch_totals(TERM1, "978"), gateway::Totals::default());
}

#[test]
fn queue_survives_a_restart_through_the_journal() {
    let mut gw = gateway();
    forwarded(&mut gw, "000001");
    forwarded(&mut gw, "000002");
    let mut records = journal(&gw.on_tick(T0 + 5000));
    records.extend(journal(&gw.on_tick(T0 + 11_000)));
    let advice_1 = issuer_msgs(&gw.on_tick(T0 + 11_000)).len();
    assert_eq!(advice_1, 0);
    assert_eq!(gw.advices_len(), 2);

    // The adapter's file: header and records, then a crash tears a half-written record.
    let mut file = encode_all(&records).unwrap();
    let whole = file.len();
    file.extend_from_slice(&[0, 0, 0, 40, 1, 2]);
    let replay = decode(&file).unwrap();
    assert_eq!(replay.valid_len, whole);
    assert_eq!(replay.records, records);

    let mut restarted = Gateway::new(&config());
    for r in &replay.records {
        restarted.replay(r).unwrap();
    }
    assert_eq!(restarted.advices_len(), 2);
    assert_eq!(restarted.snapshot(), gw.snapshot());
    // Links come up after the restart: the sign-on, then the advices that are due.
    let up = restarted.on_link_up("issuer-b", T0 + 20_000);
    let sent: Vec<Message<'static>> = issuer_msgs(&up)
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| m.mti().as_str() == "0420")
        .collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].text(11), Some("000001"));
    assert_eq!(sent[1].text(11), Some("000002"));
    let expected: Vec<(usize, String)> = EXPECTED_0420
        .iter()
        .map(|(n, v)| (*n, v.to_string()))
        .collect();
    assert_eq!(fields(&sent[0]), expected);
    // Advice 1 is acknowledged; the sign-on is answered.
    let done = restarted.on_issuer_message("issuer-b", &answer_0430(&sent[1]), T0 + 21_000);
    assert_eq!(
        journal(&done),
        vec![Record::AdviceClosed {
            id: 1,
            outcome: AdviceOutcome::Acknowledged
        }]
    );
    let signon = &issuer_msgs(&up)[0].1;
    let ok = msg(
        "0810",
        &[(11, signon.text(11).unwrap()), (39, "00"), (70, "001")],
    );
    assert!(
        restarted
            .on_issuer_message("issuer-b", &ok, T0 + 21_000)
            .is_empty()
    );
    // Attempt counts carried over: advice 0 had 2 sends before the restart, this was its
    // third and last, so with no 0430 it is given up when its wait is over.
    assert!(journal(&up).contains(&Record::AdviceAttempted {
        id: 0,
        attempts: 3,
        next_attempt_ms: T0 + 26_500
    }));
    assert!(journal(&restarted.on_tick(T0 + 26_499)).is_empty());
    let later = restarted.on_tick(T0 + 26_500);
    assert_eq!(
        journal(&later),
        vec![Record::AdviceClosed {
            id: 0,
            outcome: AdviceOutcome::GaveUp
        }]
    );
    // New advices take fresh ids.
    let fwd = restarted.on_terminal_request(
        C1,
        Some(TERM1),
        &wire(&purchase("000003", PAN_B)),
        T0 + 30_000,
    );
    assert_eq!(issuer_msgs(&fwd).len(), 1);
    let acts = restarted.on_tick(T0 + 35_000);
    assert!(matches!(
        journal(&acts)[0],
        Record::AdviceQueued { id: 2, .. }
    ));
}

#[test]
fn replay_refuses_records_that_do_not_fit() {
    let mut gw = Gateway::new(&config());
    assert_eq!(
        gw.replay(&Record::AdviceClosed {
            id: 5,
            outcome: AdviceOutcome::Acknowledged
        }),
        Err(gateway::ReplayError::UnknownAdvice(5))
    );
}

#[test]
fn link_down_answers_91_and_holds_the_advice_until_up() {
    let mut gw = gateway();
    forwarded(&mut gw, "000001");
    let acts = gw.on_link_down("issuer-b", T0 + 100);
    assert_eq!(code(&acts), "91");
    assert!(issuer_msgs(&acts).is_empty(), "nothing goes to a down link");
    assert!(matches!(
        journal(&acts)[0],
        Record::AdviceQueued { id: 0, .. }
    ));
    // New requests for the down link: 91 at once, not forwarded, no advice.
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase("000002", PAN_B)), T0 + 200);
    assert_eq!(code(&acts), "91");
    assert!(journal(&acts).is_empty());
    // The other link still works.
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase("000003", PAN_A)), T0 + 200);
    assert_eq!(issuer_msgs(&acts)[0].0, "issuer-a");
    assert!(
        issuer_msgs(&gw.on_tick(T0 + 1000))
            .iter()
            .all(|(l, _)| l != "issuer-b")
    );
    let up = gw.on_link_up("issuer-b", T0 + 2000);
    let mtis: Vec<String> = issuer_msgs(&up)
        .iter()
        .map(|(_, m)| m.mti().to_string())
        .collect();
    assert_eq!(mtis, ["0800", "0420"]);
}

#[test]
fn a_link_that_comes_back_gets_its_owed_advices_at_once() {
    let mut gw = gateway();
    forwarded(&mut gw, "000001");
    let first = gw.on_tick(T0 + 5000);
    assert_eq!(issuer_msgs(&first).len(), 1, "the 0420, first attempt");
    // The link drops before the 0430: the next attempt would be due after the backoff.
    gw.on_link_down("issuer-b", T0 + 5100);
    let up = gw.on_link_up("issuer-b", T0 + 5200);
    let mtis: Vec<String> = issuer_msgs(&up)
        .iter()
        .map(|(_, m)| m.mti().to_string())
        .collect();
    assert_eq!(
        mtis,
        ["0800", "0420"],
        "resent on reconnect, not after the backoff"
    );
}
