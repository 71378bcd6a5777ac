//! Time and links: request deadlines (91 and a 0420), reversal advice retries, issuer links
//! going up and down, sign-on and echo on idle links.

use iso8583::{Message, Mti, ResponseCode};

use crate::action::{Action, Level, MatchKey};
use crate::clock::{UnixMs, transmission_time};
use crate::gateway::{Gateway, NetworkOutstanding, Pending, log};
use crate::journal::Record;
use crate::reply::answer;
use crate::reversal::{AdviceOutcome, backoff_ms, reversal_advice};

/// Gateway STANs on issuer links run 000001..=999999 and wrap.
const STAN_MAX: u32 = 999_999;

impl Gateway {
    /// Everything due at `now_ms`: expired requests, advice retries, link echoes. Call it at
    /// [`Gateway::next_wakeup`] (or on a steady tick).
    pub fn on_tick(&mut self, now_ms: UnixMs) -> Vec<Action> {
        let mut out = Vec::new();
        let mut expired: Vec<MatchKey> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline_ms <= now_ms)
            .map(|(k, _)| k.clone())
            .collect();
        expired.sort();
        for key in expired {
            self.expire(&key, "no answer in time", now_ms, &mut out);
        }
        let silent: Vec<String> = self
            .links
            .iter()
            .filter(|(_, l)| l.network.as_ref().is_some_and(|n| n.deadline_ms <= now_ms))
            .map(|(name, _)| name.clone())
            .collect();
        for name in silent {
            log(
                &mut out,
                Level::Warn,
                format!("issuer link {name:?} did not answer its 0800: reconnecting"),
            );
            out.push(Action::ResetLink { link: name.clone() });
            self.link_down(&name, now_ms, &mut out);
        }
        let idle: Vec<String> = self
            .links
            .iter()
            .filter(|(_, l)| {
                l.has_room()
                    && l.network.is_none()
                    && now_ms.saturating_sub(l.last_activity_ms)
                        >= l.config.echo_interval_s.saturating_mul(1000)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in idle {
            self.send_network(&name, "301", now_ms, &mut out);
        }
        self.send_due_advices(now_ms, &mut out);
        self.seal_answers(&mut out);
        out
    }

    /// The adapter learned that the request `key` will get no answer (its link failed to send
    /// it, or the link's own timer fired): the terminal gets 91 at once.
    pub fn on_timeout(&mut self, key: &MatchKey, now_ms: UnixMs) -> Vec<Action> {
        let mut out = Vec::new();
        self.expire(key, "the link reported no answer", now_ms, &mut out);
        self.seal_answers(&mut out);
        out
    }

    /// Issuer link `link` is connected (again): sign on, then send what waits for it.
    pub fn on_link_up(&mut self, link: &str, now_ms: UnixMs) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(state) = self.links.get_mut(link) else {
            log(
                &mut out,
                Level::Error,
                format!("unknown issuer link {link:?} reported up"),
            );
            return out;
        };
        state.up = true;
        state.last_activity_ms = now_ms;
        log(&mut out, Level::Info, format!("issuer link {link:?} is up"));
        // The backoff was for a link that did not answer; one that is back gets its owed
        // reversal advices now, not minutes later (the issuer holds the money meanwhile).
        for a in self.advices.iter_mut().filter(|a| a.link == link) {
            a.next_attempt_ms = a.next_attempt_ms.min(now_ms);
        }
        self.send_network(link, "001", now_ms, &mut out);
        self.send_due_advices(now_ms, &mut out);
        self.seal_answers(&mut out);
        out
    }

    /// Issuer link `link` is disconnected: its waiting requests are answered 91 (with 0420s
    /// queued where needed) and nothing is sent to it until it is up again.
    pub fn on_link_down(&mut self, link: &str, now_ms: UnixMs) -> Vec<Action> {
        let mut out = Vec::new();
        log(
            &mut out,
            Level::Warn,
            format!("issuer link {link:?} is down"),
        );
        self.link_down(link, now_ms, &mut out);
        self.seal_answers(&mut out);
        out
    }

    /// The earliest time [`Gateway::on_tick`] has something to do.
    pub fn next_wakeup(&self) -> Option<UnixMs> {
        let requests = self.pending.values().map(|p| p.deadline_ms);
        let links = self
            .links
            .values()
            .filter(|l| l.up)
            .map(|l| match &l.network {
                Some(n) => n.deadline_ms,
                None => l
                    .last_activity_ms
                    .saturating_add(l.config.echo_interval_s.saturating_mul(1000)),
            });
        let advices = self
            .advices
            .iter()
            .map(|a| a.in_flight_until.unwrap_or(a.next_attempt_ms));
        requests.chain(links).chain(advices).min()
    }

    fn link_down(&mut self, link: &str, now_ms: UnixMs, out: &mut Vec<Action>) {
        if let Some(state) = self.links.get_mut(link) {
            state.up = false;
            state.network = None;
        }
        for a in self.advices.iter_mut().filter(|a| a.link == link) {
            a.in_flight_until = None;
        }
        let mut waiting: Vec<MatchKey> = self
            .pending
            .iter()
            .filter(|(_, p)| p.link == link)
            .map(|(k, _)| k.clone())
            .collect();
        waiting.sort();
        for key in waiting {
            self.expire(&key, "the issuer link went down", now_ms, out);
        }
        if let Some(state) = self.links.get_mut(link) {
            // Every request, advice and 0800 on the link has been released above.
            state.in_flight = 0;
        }
    }

    fn expire(&mut self, key: &MatchKey, why: &str, now_ms: UnixMs, out: &mut Vec<Action>) {
        let Some(p) = self.take_pending(key) else {
            return;
        };
        log(
            out,
            Level::Warn,
            format!(
                "{} for {key} on issuer link {:?}: {why}: terminal answered 91",
                p.forwarded.mti(),
                p.link
            ),
        );
        self.fail(key, p, ResponseCode::ISSUER_INOPERATIVE, now_ms, out);
    }

    /// Answers the terminal `code` for a request whose issuer decision is unknown and, where
    /// that decision could have held money, queues a 0420 (journaled before the answer).
    pub(crate) fn fail(
        &mut self,
        key: &MatchKey,
        p: Pending,
        code: ResponseCode,
        now_ms: UnixMs,
        out: &mut Vec<Action>,
    ) {
        let mut queued = None;
        if p.reversible {
            match reversal_advice(&p.forwarded, now_ms) {
                Ok(advice) => {
                    let id = self.advices.push(&p.link, now_ms, advice.clone());
                    out.push(Action::Journal(Record::AdviceQueued {
                        id,
                        link: p.link.clone(),
                        created_ms: now_ms,
                        advice,
                    }));
                    log(
                        out,
                        Level::Info,
                        format!("reversal advice #{id} queued for {key}"),
                    );
                    queued = Some(id);
                }
                Err(e) => log(
                    out,
                    Level::Error,
                    format!("no reversal advice can be built for {key}: {e}"),
                ),
            }
        }
        let mut message = answer(&p.forwarded, Some(p.flow), code);
        if let Some(k) = &p.ksn {
            let _ = message.set_owned(62, k);
        }
        out.push(Action::ToTerminal {
            conn: p.conn,
            message,
        });
        if let Some(id) = queued {
            self.try_send_advice(id, now_ms, out);
        }
    }

    fn send_due_advices(&mut self, now_ms: UnixMs, out: &mut Vec<Action>) {
        let ids: Vec<u64> = self.advices.iter().map(|a| a.id).collect();
        for id in ids {
            self.try_send_advice(id, now_ms, out);
        }
    }

    /// Sends advice `id` if it is due and its link can take it, or gives it up when its
    /// attempts are spent.
    fn try_send_advice(&mut self, id: u64, now_ms: UnixMs, out: &mut Vec<Action>) {
        let limits = self.config.limits;
        let Some(a) = self.advices.get_mut(id) else {
            return;
        };
        if let Some(until) = a.in_flight_until {
            if until > now_ms {
                return;
            }
            a.in_flight_until = None;
            if let Some(state) = self.links.get_mut(&a.link) {
                state.in_flight = state.in_flight.saturating_sub(1);
            }
        }
        if a.next_attempt_ms > now_ms {
            return;
        }
        let link_known = self.links.contains_key(&a.link);
        if a.attempts >= limits.reversal_attempts_max || !link_known {
            let why = if link_known {
                format!("{} attempts went unanswered", a.attempts)
            } else {
                format!("issuer link {:?} is no longer configured", a.link)
            };
            log(
                out,
                Level::Error,
                format!(
                    "reversal advice #{id} for terminal {:?} STAN {} given up: {why}; \
                     the issuer may hold funds until its hold expires",
                    a.message.text(41).unwrap_or(""),
                    a.message.text(11).unwrap_or("")
                ),
            );
            self.advices.remove(id);
            out.push(Action::Journal(Record::AdviceClosed {
                id,
                outcome: AdviceOutcome::GaveUp,
            }));
            return;
        }
        let Some(state) = self.links.get_mut(&a.link) else {
            return;
        };
        if !state.has_room() {
            return;
        }
        let timeout_ms = state.config.request_timeout_ms;
        state.in_flight += 1;
        state.last_activity_ms = now_ms;
        a.attempts += 1;
        a.in_flight_until = Some(now_ms.saturating_add(timeout_ms));
        a.next_attempt_ms = now_ms.saturating_add(timeout_ms).saturating_add(backoff_ms(
            a.attempts,
            limits.reversal_backoff_initial_ms,
            limits.reversal_backoff_max_ms,
        ));
        out.push(Action::Journal(Record::AdviceAttempted {
            id,
            attempts: a.attempts,
            next_attempt_ms: a.next_attempt_ms,
        }));
        out.push(Action::ToIssuer {
            link: a.link.clone(),
            message: a.message.clone(),
        });
    }

    /// Sends a gateway 0800 (`code` in field 70) on `link` and awaits its 0810.
    pub(crate) fn send_network(
        &mut self,
        link: &str,
        code: &str,
        now_ms: UnixMs,
        out: &mut Vec<Action>,
    ) {
        let Some(state) = self.links.get_mut(link) else {
            return;
        };
        if !state.has_room() || state.network.is_some() {
            return;
        }
        self.network_stan = self.network_stan % STAN_MAX + 1;
        let stan = format!("{:06}", self.network_stan);
        let mut m = Message::new(Mti::new(*b"0800").unwrap_or(Mti::ZERO));
        let _ = m.set_owned(7, transmission_time(now_ms));
        let _ = m.set_owned(11, &stan);
        let _ = m.set_owned(70, code);
        state.in_flight += 1;
        state.last_activity_ms = now_ms;
        state.network = Some(NetworkOutstanding {
            stan,
            code: code.to_string(),
            deadline_ms: now_ms.saturating_add(state.config.request_timeout_ms),
        });
        out.push(Action::ToIssuer {
            link: link.to_string(),
            message: m,
        });
    }
}
