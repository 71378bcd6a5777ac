//! A deterministic simulation: random sequences of terminal requests, issuer answers and
//! silences, link failures, 0430s and the passing of time. After every step the gateway's
//! running counts must match a recount and every bound must hold; in the end every forwarded
//! request has been answered exactly once, and every 0420 names a request answered 91 or 96.

mod common;

use std::collections::BTreeSet;

use common::*;
use gateway::{Action, MatchKey};
use iso8583::{Message, Mti};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Event {
    Request {
        term2: bool,
        stan: u8,
        pan: u8,
        kind: u8,
    },
    Answer {
        pick: usize,
        approve: bool,
    },
    Ack {
        pick: usize,
    },
    Tick {
        ms: u64,
    },
    Down {
        b: bool,
    },
    Up {
        b: bool,
    },
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => (any::<bool>(), 1u8..8, 0u8..3, 0u8..4)
            .prop_map(|(term2, stan, pan, kind)| Event::Request { term2, stan, pan, kind }),
        3 => (any::<usize>(), any::<bool>()).prop_map(|(pick, approve)| Event::Answer { pick, approve }),
        1 => any::<usize>().prop_map(|pick| Event::Ack { pick }),
        3 => (0u64..7000).prop_map(|ms| Event::Tick { ms }),
        1 => any::<bool>().prop_map(|b| Event::Down { b }),
        1 => any::<bool>().prop_map(|b| Event::Up { b }),
    ]
}

fn request(term2: bool, stan: u8, pan: u8, kind: u8) -> Message<'static> {
    let pan = [PAN_A, PAN_B, "5999990000000011"][usize::from(pan)];
    let mut m = purchase(&format!("{stan:06}"), pan);
    if term2 {
        m.set_owned(41, TERM2).unwrap();
        m.set_owned(42, MERCH2).unwrap();
    }
    match kind {
        1 => m.set_mti(Mti::parse("0100").unwrap()),
        2 => m.set_owned(3, "200000").unwrap(),
        3 => m.set_owned(3, "310000").unwrap(),
        _ => {}
    }
    m
}

#[derive(Default)]
struct World {
    now: u64,
    /// Requests forwarded and not yet answered to the terminal, by key.
    open: BTreeSet<MatchKey>,
    /// Requests awaiting an issuer, as forwarded, per link (what an issuer could answer).
    at_issuer: Vec<(String, Message<'static>)>,
    advices: Vec<(String, Message<'static>)>,
    /// Keys answered 91 or 96 (their 0420s may follow).
    failed: BTreeSet<(String, String)>,
}

impl World {
    fn absorb(&mut self, acts: &[Action]) -> Result<(), TestCaseError> {
        for a in acts {
            match a {
                Action::ToIssuer { link, message } => match message.mti().as_str() {
                    "0420" => {
                        let k = (
                            message.text(41).unwrap().to_string(),
                            message.text(11).unwrap().to_string(),
                        );
                        prop_assert!(
                            self.failed.contains(&k),
                            "0420 for a request never failed: {k:?}"
                        );
                        self.advices.push((link.clone(), message.clone()));
                    }
                    "0800" => {}
                    _ => {
                        let key = MatchKey::of(message).unwrap();
                        prop_assert!(self.open.insert(key.clone()), "forwarded twice: {key}");
                        self.at_issuer.push((link.clone(), message.clone()));
                    }
                },
                Action::ToTerminal { message, .. } => {
                    let key = MatchKey::of(message).unwrap();
                    let code = message.text(39).unwrap();
                    if self.open.remove(&key) {
                        if code == "91" || code == "96" {
                            self.failed
                                .insert((key.terminal_id.clone(), key.stan.clone()));
                        }
                    } else {
                        // Only a refusal may answer a request that was never forwarded.
                        prop_assert!(
                            ["03", "12", "14", "30", "58", "91", "94", "96"].contains(&code),
                            "{code} for {key} that was not forwarded"
                        );
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn counts_and_answers_hold(events in proptest::collection::vec(event(), 1..80)) {
        let mut gw = gateway();
        let mut w = World { now: T0, ..World::default() };
        for e in events {
            let acts = match e {
                Event::Request { term2, stan, pan, kind } => {
                    let (peer, conn) = if term2 { (TERM2, C2) } else { (TERM1, C1) };
                    gw.on_terminal_request(conn, Some(peer), &wire(&request(term2, stan, pan, kind)), w.now)
                }
                Event::Answer { pick, approve } => {
                    if w.at_issuer.is_empty() {
                        continue;
                    }
                    let (link, fwd) = w.at_issuer.remove(pick % w.at_issuer.len());
                    let code = if approve { "00" } else { "51" };
                    gw.on_issuer_message(&link, &issuer_answer(&fwd, code, Some("A1B2C3")), w.now)
                }
                Event::Ack { pick } => {
                    if w.advices.is_empty() {
                        continue;
                    }
                    let (link, adv) = w.advices.remove(pick % w.advices.len());
                    let mut r = Message::new(Mti::parse("0430").unwrap());
                    for n in [11, 41, 90] {
                        r.set_owned(n, adv.get(n).unwrap()).unwrap();
                    }
                    r.set_owned(39, "00").unwrap();
                    gw.on_issuer_message(&link, &r, w.now)
                }
                Event::Tick { ms } => {
                    w.now += ms;
                    gw.on_tick(w.now)
                }
                Event::Down { b } => gw.on_link_down(if b { "issuer-b" } else { "issuer-a" }, w.now),
                Event::Up { b } => gw.on_link_up(if b { "issuer-b" } else { "issuer-a" }, w.now),
            };
            w.absorb(&acts)?;
            if let Err(e) = gw.audit() {
                prop_assert!(false, "{e}");
            }
        }
        // Let every deadline pass: each forwarded request is then answered, exactly once.
        w.now += 10 * 60 * 1000;
        let acts = gw.on_tick(w.now);
        w.absorb(&acts)?;
        prop_assert!(w.open.is_empty(), "never answered: {:?}", w.open);
        prop_assert_eq!(gw.pending_len(), 0);
        if let Err(e) = gw.audit() {
            prop_assert!(false, "{e}");
        }
    }
}
