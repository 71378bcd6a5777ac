//! Messages arriving from issuer links: responses to forwarded requests, 0430s for reversal
//! advices, 0810s for the gateway's own 0800s, and 0800s the issuer sends.

use iso8583::composite::original_data::OriginalData;
use iso8583::{Message, Mti, ResponseCode};

use crate::action::{Action, Level, MatchKey};
use crate::batch::{Added, Entry, Side, TxnKey};
use crate::clock::UnixMs;
use crate::flow::Flow;
use crate::gateway::{Gateway, Pending, log};
use crate::journal::Record;
use crate::reply::answer;
use crate::reversal::AdviceOutcome;

impl Gateway {
    /// A message that arrived on issuer link `link`.
    pub fn on_issuer_message(
        &mut self,
        link: &str,
        msg: &Message<'_>,
        now_ms: UnixMs,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(state) = self.links.get_mut(link) else {
            log(
                &mut out,
                Level::Error,
                format!("message from unknown issuer link {link:?} dropped"),
            );
            return out;
        };
        state.last_activity_ms = now_ms;
        let mti = msg.mti();
        if mti.is_request() {
            self.issuer_request(link, msg, &mut out);
        } else if mti.class() == 8 {
            self.network_response(link, msg, now_ms, &mut out);
        } else if mti.as_bytes() == b"0430" {
            self.advice_response(link, msg, &mut out);
        } else {
            self.response(link, msg, now_ms, &mut out);
        }
        self.seal_answers(&mut out);
        out
    }

    /// An issuer's 0800 is answered 0810 00; it may send nothing else unasked.
    fn issuer_request(&mut self, link: &str, msg: &Message<'_>, out: &mut Vec<Action>) {
        if msg.mti().as_bytes() == b"0800" {
            out.push(Action::ToIssuer {
                link: link.to_string(),
                message: answer(msg, Some(Flow::Network), ResponseCode::APPROVED),
            });
        } else {
            log(
                out,
                Level::Warn,
                format!("issuer link {link:?} sent a {} request: dropped", msg.mti()),
            );
        }
    }

    /// The issuer's answer to a key change: field 48 holds the new zone PIN key as a TR-31
    /// block under the zone KEK, field 53 its generation.
    fn zone_key_arrived(
        &mut self,
        link: &str,
        zmk: &str,
        msg: &Message<'_>,
        out: &mut Vec<Action>,
    ) {
        let Some(security) = &self.security else {
            return;
        };
        let generation = msg
            .text(53)
            .and_then(|t| t.get(2..8))
            .and_then(|g| g.parse::<u32>().ok());
        let (Some(generation), Some(block)) = (generation, msg.text(48)) else {
            log(
                out,
                Level::Error,
                format!(
                    "issuer link {link:?}: key change answer without field 48 or 53: zone key kept"
                ),
            );
            return;
        };
        match security.import_zone_key(link, zmk, generation, block) {
            Ok(kcv) => {
                if let Some(state) = self.links.get_mut(link) {
                    state.zone = Some(generation);
                }
                log(
                    out,
                    Level::Info,
                    format!(
                        "issuer link {link:?}: zone PIN key generation {generation} in use (KCV {kcv})"
                    ),
                );
            }
            Err(e) => log(
                out,
                Level::Error,
                format!(
                    "issuer link {link:?}: {e}: zone key generation {generation} refused, old key kept"
                ),
            ),
        }
    }

    fn network_response(
        &mut self,
        link: &str,
        msg: &Message<'_>,
        now_ms: UnixMs,
        out: &mut Vec<Action>,
    ) {
        let Some(state) = self.links.get_mut(link) else {
            return;
        };
        let matched = state
            .network
            .as_ref()
            .is_some_and(|n| msg.text(11) == Some(n.stan.as_str()));
        if !matched {
            log(
                out,
                Level::Warn,
                format!(
                    "issuer link {link:?}: {} STAN {} matches no 0800: dropped",
                    msg.mti(),
                    msg.text(11).unwrap_or("(none)")
                ),
            );
            return;
        }
        let sent = state.network.take().map(|n| n.code).unwrap_or_default();
        state.in_flight = state.in_flight.saturating_sub(1);
        let zmk = state.config.zmk.clone();
        if msg.text(39) == Some("00") {
            match (sent.as_str(), zmk) {
                // Signed on: ask for a fresh zone PIN key.
                ("001", Some(_)) if self.security.is_some() => {
                    self.send_network(link, "161", now_ms, out);
                }
                ("161", Some(zmk)) => self.zone_key_arrived(link, &zmk, msg, out),
                _ => {}
            }
        }
        if msg.text(39) != Some("00") {
            log(
                out,
                Level::Warn,
                format!(
                    "issuer link {link:?} answered network management {} with {:?}",
                    msg.text(70).unwrap_or("(no 70)"),
                    msg.text(39).unwrap_or("(no 39)")
                ),
            );
        }
    }

    fn advice_response(&mut self, link: &str, msg: &Message<'_>, out: &mut Vec<Action>) {
        let (terminal, stan) = (msg.text(41).unwrap_or(""), msg.text(11).unwrap_or(""));
        let Some(id) = self
            .advices
            .iter()
            .find(|a| a.link == link && a.matches(terminal, stan))
            .map(|a| a.id)
        else {
            log(
                out,
                Level::Warn,
                format!(
                    "0430 for terminal {terminal:?} STAN {stan} matches no queued 0420: dropped"
                ),
            );
            return;
        };
        if let Some(a) = self.advices.remove(id)
            && a.in_flight_until.is_some()
            && let Some(state) = self.links.get_mut(link)
        {
            state.in_flight = state.in_flight.saturating_sub(1);
        }
        out.push(Action::Journal(Record::AdviceClosed {
            id,
            outcome: AdviceOutcome::Acknowledged,
        }));
        log(
            out,
            Level::Info,
            format!(
                "0430 ({}) for reversal advice #{id} of terminal {terminal:?} STAN {stan}: done",
                msg.text(39).unwrap_or("no 39")
            ),
        );
    }

    fn response(&mut self, link: &str, msg: &Message<'_>, now_ms: UnixMs, out: &mut Vec<Action>) {
        let Some(key) = MatchKey::of(msg) else {
            log(
                out,
                Level::Warn,
                format!(
                    "{} from issuer link {link:?} without 41 or 11: dropped",
                    msg.mti()
                ),
            );
            return;
        };
        let expected = self.pending.get(&key).map(|p| {
            (
                p.link == link,
                p.forwarded.mti().response() == Some(msg.mti()),
            )
        });
        match expected {
            Some((true, true)) => {}
            Some(_) => {
                log(
                    out,
                    Level::Warn,
                    format!(
                        "{} for {key} from issuer link {link:?} does not answer the request awaiting it: dropped",
                        msg.mti()
                    ),
                );
                return;
            }
            None => {
                let late = self.advices.iter().find(|a| {
                    a.matches(&key.terminal_id, &key.stan)
                        && a.original_mti()
                            .and_then(|m| Mti::parse(&m))
                            .is_some_and(|m| m.class() == key.class)
                });
                let text = match late {
                    Some(a) => format!(
                        "late {} for {key} (code {}), already answered 91: dropped; reversal advice #{} undoes it",
                        msg.mti(),
                        msg.text(39).unwrap_or("none"),
                        a.id
                    ),
                    None => format!("{} for {key} matches no request: dropped", msg.mti()),
                };
                log(out, Level::Warn, text);
                return;
            }
        }
        let Some(p) = self.take_pending(&key) else {
            return;
        };
        let Some(code) = msg.text(39).and_then(ResponseCode::parse) else {
            // The issuer's decision is unknown, so it is undone where it could have held money.
            log(
                out,
                Level::Error,
                format!(
                    "{} for {key} has no readable field 39: terminal answered 96",
                    msg.mti()
                ),
            );
            self.fail(&key, p, ResponseCode::SYSTEM_MALFUNCTION, now_ms, out);
            return;
        };
        let mut reply = msg.clone().into_owned();
        for n in p.flow.echoed() {
            if !reply.has(n)
                && let Some(v) = p.forwarded.get(n)
            {
                let _ = reply.set_owned(n, v);
            }
        }
        if let Some(k) = &p.ksn {
            let _ = reply.set_owned(62, k);
        }
        // The issuer hop's PIN fields never go back to the terminal.
        reply.remove(52);
        reply.remove(53);
        if code.is_approved() {
            self.account(&key, &p, msg, out);
        }
        out.push(Action::ToTerminal {
            conn: p.conn,
            message: reply,
        });
    }

    /// Keeps the batch totals in step with an approval passed to the terminal.
    fn account(
        &mut self,
        key: &MatchKey,
        p: &Pending,
        response: &Message<'_>,
        out: &mut Vec<Action>,
    ) {
        let request = &p.forwarded;
        let side = match (p.flow, request.text(3)) {
            (Flow::Financial, Some(c)) if c.starts_with("00") => Some(Side::Debit),
            (Flow::Financial, Some(c)) if c.starts_with("20") => Some(Side::Credit),
            (Flow::Completion | Flow::OfflineAdvice, _) => Some(Side::Debit),
            _ => None,
        };
        if let Some(side) = side {
            let amount = response
                .text(4)
                .or(request.text(4))
                .and_then(|a| a.parse::<u64>().ok());
            let (Some(amount_minor), Some(transmission)) = (amount, request.text(7)) else {
                log(
                    out,
                    Level::Error,
                    format!("approved {key} has no readable amount: not in the batch"),
                );
                return;
            };
            let txn = TxnKey {
                stan: key.stan.clone(),
                transmission: transmission.to_string(),
            };
            let entry = Entry {
                mti: request.mti().as_str().to_string(),
                currency: request.text(49).unwrap_or_default().to_string(),
                side,
                amount_minor,
            };
            match self
                .batches
                .add(&key.terminal_id, txn.clone(), entry.clone())
            {
                Added::Added => out.push(Action::Journal(Record::BatchAdded {
                    terminal: key.terminal_id.clone(),
                    key: txn,
                    entry,
                })),
                Added::AlreadyCounted => {}
                Added::Full => log(
                    out,
                    Level::Error,
                    format!(
                        "batch of terminal {:?} is full: approved {key} not counted",
                        key.terminal_id
                    ),
                ),
            }
        } else if p.flow == Flow::Reversal
            && let Some(od) = request.text(90).and_then(|f| OriginalData::parse(f).ok())
        {
            let txn = TxnKey {
                stan: od.stan,
                transmission: od.transmission,
            };
            if self
                .batches
                .remove(&key.terminal_id, &txn, &od.mti)
                .is_some()
            {
                out.push(Action::Journal(Record::BatchRemoved {
                    terminal: key.terminal_id.clone(),
                    key: txn,
                    mti: od.mti,
                }));
            }
        }
    }
}
