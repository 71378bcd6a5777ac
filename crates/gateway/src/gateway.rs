//! The gateway's state and the requests terminals send it.
//!
//! The core decides and the adapter acts: every entry point takes the time (`now_ms`) and
//! returns the [`Action`]s to carry out. The other entry points live beside this file:
//! `issuer.rs` (messages from issuers), `timers.rs` (deadlines, links, reversal advices),
//! `restore.rs` (journal replay and compaction).

use std::collections::{BTreeMap, HashMap};

use iso8583::composite::original_data::OriginalData;
use iso8583::composite::track2::Track2;
use iso8583::mask::mask_pan;
use iso8583::{Message, Mti, ResponseCode};

use crate::action::{Action, ConnId, Level, MatchKey};
use crate::batch::{Batches, Totals};
use crate::clock::UnixMs;
use crate::config::{Config, IssuerLink};
use crate::flow::{Flow, first_missing};
use crate::journal::Record;
use crate::reply::{answer, format_error};
use crate::reversal::{AdviceQueue, needs_reversal};
use crate::routing::RoutingTable;
use crate::security::{Security, security_control, zone_key_name};

/// A request forwarded to an issuer, awaiting its response.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) conn: ConnId,
    pub(crate) flow: Flow,
    pub(crate) link: String,
    /// The request as forwarded (with field 32).
    pub(crate) forwarded: Message<'static>,
    pub(crate) deadline_ms: UnixMs,
    /// Whether a timeout would queue a 0420 (its room in the queue is reserved).
    pub(crate) reversible: bool,
    /// The terminal's KSN (field 62), kept off the issuer hop and put back on the answer so
    /// the answer can be MACed under it.
    pub(crate) ksn: Option<String>,
}

/// A gateway-originated 0800 awaiting its 0810.
#[derive(Debug, Clone)]
pub(crate) struct NetworkOutstanding {
    pub(crate) stan: String,
    /// Field 70 of the 0800: what the 0810 answers.
    pub(crate) code: String,
    pub(crate) deadline_ms: UnixMs,
}

/// One issuer link as the core sees it.
#[derive(Debug, Clone)]
pub(crate) struct LinkState {
    pub(crate) config: IssuerLink,
    pub(crate) up: bool,
    /// Requests, advice attempts and network messages awaiting an answer on the link.
    pub(crate) in_flight: usize,
    pub(crate) last_activity_ms: UnixMs,
    pub(crate) network: Option<NetworkOutstanding>,
    /// Generation of the zone PIN key in use on this link (`zpk.LINK.NNNNNN` in the HSM).
    pub(crate) zone: Option<u32>,
}

impl LinkState {
    pub(crate) fn has_room(&self) -> bool {
        self.up && self.in_flight < self.config.in_flight_max
    }
}

/// The payment gateway's core: no sockets, no files, no clock.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub(crate) config: Config,
    pub(crate) routes: RoutingTable,
    pub(crate) links: BTreeMap<String, LinkState>,
    pub(crate) pending: HashMap<MatchKey, Pending>,
    pub(crate) pending_per_terminal: HashMap<String, usize>,
    /// Pending requests that would need a 0420 on timeout: room kept for them in the queue.
    pub(crate) reversible_pending: usize,
    pub(crate) advices: AdviceQueue,
    pub(crate) batches: Batches,
    /// STAN of the gateway's own 0800s on issuer links.
    pub(crate) network_stan: u32,
    /// MAC checks and PIN translation; `None` when the configuration has no `[security]`.
    pub(crate) security: Option<Security>,
}

/// Why a request is answered by the gateway instead of the issuer.
pub(crate) struct Refusal {
    pub(crate) code: ResponseCode,
    pub(crate) reason: String,
}

fn refuse(code: ResponseCode, reason: impl Into<String>) -> Refusal {
    Refusal {
        code,
        reason: reason.into(),
    }
}

pub(crate) fn log(out: &mut Vec<Action>, level: Level, text: impl Into<String>) {
    out.push(Action::Log {
        level,
        text: text.into(),
    });
}

/// Processing codes (field 3) a flow accepts; `None`: any six digits (a reversal repeats its
/// original's).
fn processing_codes(flow: Flow) -> Option<&'static [&'static str]> {
    match flow {
        Flow::Authorization | Flow::Completion | Flow::OfflineAdvice => Some(&["000000"]),
        Flow::Financial => Some(&["000000", "200000", "310000"]),
        Flow::Settlement => Some(&["920000"]),
        Flow::Reversal | Flow::Network => None,
    }
}

/// The PAN a request carries: field 2, else the PAN of track 2 (35).
pub(crate) fn pan_of<'m>(msg: &'m Message<'_>) -> Result<&'m str, String> {
    let pan = match msg.text(2) {
        Some(p) => p,
        None => {
            let t2 = msg.text(35).ok_or("no PAN: neither field 2 nor 35")?;
            Track2::parse(t2).map_err(|e| format!("field 35: {e}"))?.pan
        }
    };
    if !(12..=19).contains(&pan.len()) || !pan.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "the PAN has {} characters; 12 to 19 digits expected",
            pan.len()
        ));
    }
    Ok(pan)
}

impl Gateway {
    /// A gateway with empty queues and every issuer link down until
    /// [`Gateway::on_link_up`] says otherwise.
    pub fn new(config: &Config) -> Gateway {
        let links = config
            .issuers
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    LinkState {
                        config: l.clone(),
                        up: false,
                        in_flight: 0,
                        last_activity_ms: 0,
                        network: None,
                        zone: None,
                    },
                )
            })
            .collect();
        Gateway {
            config: config.clone(),
            routes: RoutingTable::new(&config.routes),
            links,
            pending: HashMap::new(),
            pending_per_terminal: HashMap::new(),
            reversible_pending: 0,
            advices: AdviceQueue::default(),
            batches: Batches::new(config.limits.batch_transactions_max),
            network_stan: 0,
            security: None,
        }
    }

    /// Turns on MAC checks and PIN translation with this HSM; each issuer link starts with
    /// the newest zone PIN key the HSM holds for it.
    pub fn set_security(&mut self, mut security: Security) {
        for t in &self.config.terminals {
            if let Some(bdk) = &t.bdk {
                security.set_terminal_bdk(&t.id, bdk);
            }
        }
        for (name, link) in self.links.iter_mut() {
            link.zone = security.zone_generation(name);
        }
        self.security = Some(security);
    }

    /// MACs every answer to a terminal that carries a KSN. Runs last in each entry point, so
    /// no path can send an answer unsealed.
    pub(crate) fn seal_answers(&self, out: &mut Vec<Action>) {
        let Some(security) = &self.security else {
            return;
        };
        let mut failures = Vec::new();
        for action in out.iter_mut() {
            if let Action::ToTerminal { message, .. } = action
                && let Err(e) = security.seal_answer(message)
            {
                failures.push(format!(
                    "answer {} to terminal {:?} STAN {} could not be MACed: {e}",
                    message.mti(),
                    message.text(41).unwrap_or(""),
                    message.text(11).unwrap_or("")
                ));
            }
        }
        for f in failures {
            log(out, Level::Error, f);
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Requests awaiting an issuer.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Reversal advices awaiting their 0430.
    pub fn advices_len(&self) -> usize {
        self.advices.len()
    }

    /// The gateway's open batch totals for a terminal (padded id) in a currency.
    pub fn batch_totals(&self, terminal_id: &str, currency: &str) -> Totals {
        self.batches.totals(terminal_id, currency)
    }

    /// A request from a terminal on connection `conn` whose client certificate is bound to
    /// `peer_terminal_id` (see [`Config::terminal_for_certificate`]; `None` if it is bound to
    /// no terminal).
    pub fn on_terminal_request(
        &mut self,
        conn: ConnId,
        peer_terminal_id: Option<&str>,
        msg: &Message<'_>,
        now_ms: UnixMs,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        let flow = Flow::classify(msg);
        let result = match flow {
            None => Err(refuse(
                ResponseCode::FORMAT_ERROR,
                format!("MTI {} is not a request a terminal may send", msg.mti()),
            )),
            Some(flow) => self.handle(conn, peer_terminal_id, flow, msg, now_ms, &mut out),
        };

        if let Err(r) = result {
            let who = msg.text(41).unwrap_or("(no field 41)");
            let stan = msg.text(11).unwrap_or("(no field 11)");
            log(
                &mut out,
                Level::Warn,
                format!(
                    "{} from terminal {who:?} STAN {stan} answered {}: {}",
                    msg.mti(),
                    r.code,
                    r.reason
                ),
            );
            out.push(Action::ToTerminal {
                conn,
                message: answer(msg, flow, r.code),
            });
        }
        self.seal_answers(&mut out);
        out
    }

    /// A frame from a terminal that could not be unpacked. With a readable MTI it is answered
    /// 30; without one the connection is closed. Either way the reason is logged.
    pub fn on_terminal_garbage(
        &mut self,
        conn: ConnId,
        mti: Option<Mti>,
        reason: &str,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        match mti {
            Some(mti) => {
                log(
                    &mut out,
                    Level::Warn,
                    format!(
                        "unreadable {mti} on connection {}: answered 30: {reason}",
                        conn.0
                    ),
                );
                out.push(Action::ToTerminal {
                    conn,
                    message: format_error(mti),
                });
            }
            None => {
                log(
                    &mut out,
                    Level::Warn,
                    format!(
                        "unreadable frame on connection {}: closed: {reason}",
                        conn.0
                    ),
                );
                out.push(Action::CloseTerminal { conn });
            }
        }
        out
    }

    /// Checks a request in the order the brief and protocol.md give (fields 30, terminal 58,
    /// merchant 03, transaction 12), then answers it locally or forwards it.
    fn handle(
        &mut self,
        conn: ConnId,
        peer_terminal_id: Option<&str>,
        flow: Flow,
        msg: &Message<'_>,
        now_ms: UnixMs,
        out: &mut Vec<Action>,
    ) -> Result<(), Refusal> {
        if let Some(n) = first_missing(msg, flow.mandatory()) {
            return Err(refuse(
                ResponseCode::FORMAT_ERROR,
                format!("mandatory field {n} is missing"),
            ));
        }
        if matches!(flow, Flow::Authorization | Flow::Financial)
            && !(msg.has(35) || (msg.has(2) && msg.has(14)))
        {
            return Err(refuse(
                ResponseCode::FORMAT_ERROR,
                "no card data: field 35 (swiped) or fields 2 and 14 (keyed) are required",
            ));
        }
        // An offline advice names its card by PAN; the card itself checked its dates and
        // signed the amount (the TC in 55).
        if flow == Flow::OfflineAdvice && !(msg.has(2) || msg.has(35)) {
            return Err(refuse(
                ResponseCode::FORMAT_ERROR,
                "no card data: an offline advice needs field 2 or 35",
            ));
        }
        let terminal_id = msg.text(41).unwrap_or_default();
        let Some(terminal) = self.config.terminal(terminal_id) else {
            return Err(refuse(
                ResponseCode::NOT_PERMITTED_TERMINAL,
                "terminal id is not on the allow-list",
            ));
        };
        if peer_terminal_id != Some(terminal_id) {
            return Err(refuse(
                ResponseCode::NOT_PERMITTED_TERMINAL,
                format!(
                    "field 41 does not match the client certificate (bound to {})",
                    peer_terminal_id.map_or("no terminal".to_string(), |p| format!("{p:?}"))
                ),
            ));
        }
        // Nothing else is looked at before the MAC holds: a message changed on the way is
        // answered 63 and never processed.
        if let Some(security) = &self.security
            && let Err(why) = security.check_mac(msg)
        {
            return Err(refuse(ResponseCode::SECURITY_VIOLATION, why));
        }
        if flow != Flow::Network && msg.text(42) != Some(terminal.merchant_id.as_str()) {
            return Err(refuse(
                ResponseCode::INVALID_MERCHANT,
                format!(
                    "merchant id {:?} is not the terminal's",
                    msg.text(42).unwrap_or_default()
                ),
            ));
        }
        if let Some(codes) = processing_codes(flow) {
            let code = msg.text(3).unwrap_or_default();
            if !codes.contains(&code) {
                return Err(refuse(
                    ResponseCode::INVALID_TRANSACTION,
                    format!("processing code {code:?} is not one a {} takes", msg.mti()),
                ));
            }
        }
        if matches!(flow, Flow::Completion | Flow::Reversal) {
            let f90 = msg.text(90).unwrap_or_default();
            OriginalData::parse(f90)
                .map_err(|e| refuse(ResponseCode::FORMAT_ERROR, e.to_string()))?;
        }
        if self.config.maintenance {
            return Err(refuse(
                ResponseCode::CUTOFF_IN_PROGRESS,
                "the gateway is in maintenance",
            ));
        }
        match flow {
            Flow::Network => self.network(conn, msg, out),
            Flow::Settlement => self.settle(conn, terminal_id, msg, out),
            _ => self.forward(conn, flow, msg, now_ms, out),
        }
    }

    /// 0800 from a terminal: sign-off and echo are answered 00 here (the terminal's link to the
    /// gateway works); a sign-on is answered 91 while no issuer link is up, because the
    /// terminal could not pay anything yet.
    fn network(
        &mut self,
        conn: ConnId,
        msg: &Message<'_>,
        out: &mut Vec<Action>,
    ) -> Result<(), Refusal> {
        let code = msg.text(70).unwrap_or_default();
        match code {
            "001" if !self.links.values().any(|l| l.up) => Err(refuse(
                ResponseCode::ISSUER_INOPERATIVE,
                "sign-on while no issuer link is up",
            )),
            "001" | "002" | "301" => {
                out.push(Action::ToTerminal {
                    conn,
                    message: answer(msg, Some(Flow::Network), ResponseCode::APPROVED),
                });
                Ok(())
            }
            "161" => Err(refuse(
                ResponseCode::INVALID_TRANSACTION,
                "key change (70 = 161) is not offered by this gateway",
            )),
            other => Err(refuse(
                ResponseCode::FORMAT_ERROR,
                format!("network management code {other:?} is not 001, 002, 161 or 301"),
            )),
        }
    }

    /// 0500: compares the terminal's totals with the gateway's, answers 00 or 95, and opens a
    /// new batch either way.
    fn settle(
        &mut self,
        conn: ConnId,
        terminal_id: &str,
        msg: &Message<'_>,
        out: &mut Vec<Action>,
    ) -> Result<(), Refusal> {
        let stated = Totals::from_settlement(msg).map_err(|n| {
            refuse(
                ResponseCode::FORMAT_ERROR,
                format!("field {n} is not a number"),
            )
        })?;
        let currency = msg.text(49).unwrap_or_default().to_string();
        let ours = self.batches.totals(terminal_id, &currency);
        let code = if ours == stated {
            log(
                out,
                Level::Info,
                format!("terminal {terminal_id:?} settled in {currency}: {ours}"),
            );
            ResponseCode::APPROVED
        } else {
            log(
                out,
                Level::Warn,
                format!(
                    "terminal {terminal_id:?} settlement in {currency} does not reconcile: \
                     terminal says {stated}; gateway has {ours}"
                ),
            );
            ResponseCode::RECONCILE_ERROR
        };
        self.batches.settle(terminal_id, &currency);
        out.push(Action::Journal(Record::BatchSettled {
            terminal: terminal_id.to_string(),
            currency,
        }));
        out.push(Action::ToTerminal {
            conn,
            message: answer(msg, Some(Flow::Settlement), code),
        });
        Ok(())
    }

    /// Routes a request by its BIN and sends it to the issuer, within every bound.
    fn forward(
        &mut self,
        conn: ConnId,
        flow: Flow,
        msg: &Message<'_>,
        now_ms: UnixMs,
        out: &mut Vec<Action>,
    ) -> Result<(), Refusal> {
        let pan = pan_of(msg).map_err(|e| refuse(ResponseCode::FORMAT_ERROR, e))?;
        let key =
            MatchKey::of(msg).ok_or_else(|| refuse(ResponseCode::FORMAT_ERROR, "no 41 or 11"))?;
        if let Some(p) = self.pending.get_mut(&key) {
            if p.forwarded.text(7) == msg.text(7) {
                // A retransmission: the issuer's one answer goes to the newest connection.
                p.conn = conn;
                log(
                    out,
                    Level::Info,
                    format!(
                        "retransmission of {key} while it awaits the issuer: not forwarded again"
                    ),
                );
                return Ok(());
            }
            return Err(refuse(
                ResponseCode::DUPLICATE_TRANSMISSION,
                format!("{key} is already awaiting the issuer with another transmission time"),
            ));
        }
        let link_name = self
            .routes
            .route(pan)
            .ok_or_else(|| {
                refuse(
                    ResponseCode::INVALID_CARD_NUMBER,
                    format!("no route for card {}", mask_pan(pan)),
                )
            })?
            .to_string();
        let limits = self.config.limits;
        let counts_in_batch = match flow {
            Flow::Completion | Flow::OfflineAdvice => true,
            Flow::Financial => !msg.text(3).is_some_and(|p| p.starts_with("31")),
            _ => false,
        };
        if counts_in_batch && self.batches.is_full(&key.terminal_id) {
            return Err(refuse(
                ResponseCode::SYSTEM_MALFUNCTION,
                format!(
                    "the terminal's batch holds {} transactions, its limit: settle first",
                    limits.batch_transactions_max
                ),
            ));
        }
        let terminal_pending = self
            .pending_per_terminal
            .get(&key.terminal_id)
            .copied()
            .unwrap_or(0);
        if terminal_pending >= limits.pending_per_terminal_max {
            return Err(refuse(
                ResponseCode::SYSTEM_MALFUNCTION,
                format!(
                    "the terminal already has {terminal_pending} requests awaiting issuers, its limit"
                ),
            ));
        }
        if self.pending.len() >= limits.pending_total_max {
            return Err(refuse(
                ResponseCode::SYSTEM_MALFUNCTION,
                format!(
                    "{} requests await issuers, the gateway's limit",
                    self.pending.len()
                ),
            ));
        }
        let reversible = needs_reversal(flow, msg);
        if reversible && self.advices.len() + self.reversible_pending >= limits.reversal_queue_max {
            return Err(refuse(
                ResponseCode::SYSTEM_MALFUNCTION,
                "no room left in the reversal queue for this request's possible reversal",
            ));
        }
        let Some(link) = self.links.get_mut(&link_name) else {
            return Err(refuse(
                ResponseCode::SYSTEM_MALFUNCTION,
                format!("route names issuer link {link_name:?}, which does not exist"),
            ));
        };
        if !link.up {
            return Err(refuse(
                ResponseCode::ISSUER_INOPERATIVE,
                format!("issuer link {link_name:?} is down"),
            ));
        }
        if link.in_flight >= link.config.in_flight_max {
            return Err(refuse(
                ResponseCode::SYSTEM_MALFUNCTION,
                format!(
                    "issuer link {link_name:?} has {} messages in flight, its limit",
                    link.in_flight
                ),
            ));
        }
        let mut forwarded = msg.clone().into_owned();
        forwarded
            .set_owned(32, &self.config.acquirer_id)
            .map_err(|e| refuse(ResponseCode::SYSTEM_MALFUNCTION, e.to_string()))?;
        // The terminal hop's security fields stay on the terminal hop; a PIN block crosses
        // only translated to the issuer zone's key.
        for n in [52, 53, 62, 64, 110, 128] {
            forwarded.remove(n);
        }
        let ksn = msg.text(62).map(str::to_string);
        match (&self.security, msg.has(52) || msg.has(110)) {
            (_, false) => {}
            // Never forwarded untranslated, never dropped: a PIN the issuer does not see
            // would let the payment through without it.
            (None, true) => {
                return Err(refuse(
                    ResponseCode::SYSTEM_MALFUNCTION,
                    "a PIN block, but this gateway has no HSM ([security]) to translate it",
                ));
            }
            (Some(security), true) => {
                let generation = link.zone.ok_or_else(|| {
                    refuse(
                        ResponseCode::SYSTEM_MALFUNCTION,
                        format!("no zone PIN key for issuer link {link_name:?}"),
                    )
                })?;
                let block = security
                    .translate_pin(msg, &zone_key_name(&link_name, generation))
                    .map_err(|e| refuse(ResponseCode::SYSTEM_MALFUNCTION, e))?;
                if let Some(block) = block {
                    forwarded
                        .set_owned(52, block)
                        .and_then(|()| forwarded.set_owned(53, security_control(generation)))
                        .map_err(|e| refuse(ResponseCode::SYSTEM_MALFUNCTION, e.to_string()))?;
                }
            }
        }
        link.in_flight += 1;
        link.last_activity_ms = now_ms;
        let deadline_ms = now_ms.saturating_add(link.config.request_timeout_ms);
        *self
            .pending_per_terminal
            .entry(key.terminal_id.clone())
            .or_insert(0) += 1;
        if reversible {
            self.reversible_pending += 1;
        }
        out.push(Action::ToIssuer {
            link: link_name.clone(),
            message: forwarded.clone(),
        });
        self.pending.insert(
            key,
            Pending {
                conn,
                flow,
                link: link_name,
                forwarded,
                deadline_ms,
                reversible,
                ksn,
            },
        );
        Ok(())
    }

    /// Recounts what the gateway keeps as running counts and checks every bound; says which
    /// one is off. For tests and debugging: the counts are never trusted blindly.
    pub fn audit(&self) -> Result<(), String> {
        let limits = &self.config.limits;
        for (name, link) in &self.links {
            let requests = self.pending.values().filter(|p| &p.link == name).count();
            let advices = self
                .advices
                .iter()
                .filter(|a| &a.link == name && a.in_flight_until.is_some())
                .count();
            let counted = requests + advices + usize::from(link.network.is_some());
            if link.in_flight != counted {
                return Err(format!(
                    "link {name:?}: in_flight {} but {requests} requests, {advices} advices, {} 0800",
                    link.in_flight,
                    usize::from(link.network.is_some())
                ));
            }
            if link.in_flight > link.config.in_flight_max {
                return Err(format!("link {name:?}: {} in flight", link.in_flight));
            }
            if !link.up && counted != 0 {
                return Err(format!("link {name:?} is down with {counted} in flight"));
            }
        }
        let mut per_terminal: HashMap<&str, usize> = HashMap::new();
        for k in self.pending.keys() {
            *per_terminal.entry(k.terminal_id.as_str()).or_insert(0) += 1;
        }
        for (t, n) in &per_terminal {
            if self.pending_per_terminal.get(*t) != Some(n) || *n > limits.pending_per_terminal_max
            {
                return Err(format!(
                    "terminal {t:?}: {n} pending, count says {:?}",
                    self.pending_per_terminal.get(*t)
                ));
            }
        }
        if per_terminal.len() != self.pending_per_terminal.len() {
            return Err("a terminal with no pending request is still counted".into());
        }
        let reversible = self.pending.values().filter(|p| p.reversible).count();
        if reversible != self.reversible_pending {
            return Err(format!(
                "{reversible} reversible requests pending, count says {}",
                self.reversible_pending
            ));
        }
        if self.pending.len() > limits.pending_total_max {
            return Err(format!("{} requests pending", self.pending.len()));
        }
        if self.advices.len() + reversible > limits.reversal_queue_max {
            return Err(format!(
                "{} advices and {reversible} possible ones exceed the queue",
                self.advices.len()
            ));
        }
        Ok(())
    }

    /// Takes a request out of the pending set, releasing what it held.
    pub(crate) fn take_pending(&mut self, key: &MatchKey) -> Option<Pending> {
        let p = self.pending.remove(key)?;
        if let Some(n) = self.pending_per_terminal.get_mut(&key.terminal_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.pending_per_terminal.remove(&key.terminal_id);
            }
        }
        if p.reversible {
            self.reversible_pending = self.reversible_pending.saturating_sub(1);
        }
        if let Some(link) = self.links.get_mut(&p.link) {
            link.in_flight = link.in_flight.saturating_sub(1);
        }
        Some(p)
    }
}
