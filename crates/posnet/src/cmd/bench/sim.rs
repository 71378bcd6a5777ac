//! The audit's terminals: each is the real terminal core (`terminal::flow::Terminal` over its
//! mutual-TLS `LinkDriver`, with its own durable journal), one transaction at a time as a POS
//! terminal works. A lost answer becomes a reversal on disk, sent until acknowledged, by the
//! terminal crate's own code; this module only picks the transactions and notes what the
//! terminal was told.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use terminal::journal::Outcome;
use terminal::{Card, Origin, Stan, TxnKind};
use tokio::time::Instant;

use super::mix::{Mix, Op};
use crate::cmd::setup;

/// Requests per terminal before it stops taking new ones: the journal's batch holds
/// [`terminal::journal::TXN_PER_BATCH_MAX`], and the audit never settles (settling would drop
/// the records it checks).
const REQUESTS_PER_TERMINAL_MAX: usize = terminal::journal::TXN_PER_BATCH_MAX - 100;
/// Final recovery: passes over what a terminal owes, and the pause between passes.
const RECOVERY_PASSES_MAX: u32 = 120;
const RECOVERY_PAUSE_MS: u64 = 500;

/// How the audit's terminals talk to the gateway.
#[derive(Clone)]
pub struct Setup {
    pub data: PathBuf,
    pub gateway: String,
    pub response_timeout_ms: u64,
    pub connect_timeout_ms: u64,
}

/// One card transaction as the terminal saw it.
#[derive(Clone, Debug)]
pub struct Record {
    pub terminal: String,
    pub kind: TxnKind,
    pub stan: Stan,
    /// Field 7 as sent.
    pub transmission: String,
    pub amount_minor: u64,
    pub pan: String,
    /// The answer the terminal showed: approved by the host.
    pub approved: bool,
    pub origin: &'static str,
    /// Field 39 as the terminal showed it (its own 68/91/96 when the host did not answer).
    pub response_code: String,
}

/// What a terminal's journal says at the end about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Approved and not reversed: the card must be charged (or credited) exactly once.
    Charged,
    /// Declined by the host: nothing may move.
    Declined,
    /// Never left the terminal: nothing may move.
    NotSent,
    /// The terminal gave up on it (or reversed it on purpose) and its reversal was
    /// acknowledged: nothing may remain.
    Voided,
    /// The terminal still owes a reversal or an answer: the run did not finish recovery.
    Owed,
}

/// What one terminal did.
pub struct Done {
    pub records: Vec<(Record, Fate)>,
    /// Reversals the terminal journaled (lost answers and reversal transactions).
    pub reversals: u64,
    pub balance_inquiries: u64,
}

/// What the terminals share: the mix, the cards and the transaction counter.
pub struct Shared {
    pub mix: Mix,
    pub cards: Vec<(String, Card)>,
    pub next_seq: AtomicU64,
    pub count_max: Option<u64>,
    pub load_until: Instant,
}

/// The terminal's config, through the same TOML reader a real terminal's file goes through
/// (so fields the terminal gains later take their defaults here too).
fn config(s: &Setup, id: &str) -> Result<terminal::Config> {
    let pki = link::PkiDir::new(&s.data.join("pki"));
    let path = |p: PathBuf| {
        p.display()
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    };
    let text = format!(
        "terminal_id = \"{id}\"\nmerchant_id = \"{}\"\nmerchant_name = \"posnet audit\"\n\
         currency = \"978\"\ndata_dir = \"{}\"\nprinter = \"none\"\n\n\
         [gateway]\nprimary = \"{}\"\n\n\
         [tls]\nca = \"{}\"\nclient_cert = \"{}\"\nclient_key = \"{}\"\n\n\
         [timeouts]\nconnect_ms = {}\nresponse_ms = {}\n\n\
         [reversal]\nretry_interval_ms = 200\nretries_max = 3\n\n\
         [pinpad]\ndir = \"{}\"\ninitial_ksn = \"{}\"\n",
        setup::MERCHANT_ID,
        path(terminal_dir(&s.data, id)),
        s.gateway,
        path(pki.ca_cert()),
        path(pki.terminals().join(format!("{id}.pem"))),
        path(pki.terminals().join(format!("{id}.key"))),
        s.connect_timeout_ms,
        s.response_timeout_ms,
        path(s.data.join(crate::cmd::keys::pinpad_dir(id))),
        paysec::hex::encode_upper(&crate::cmd::keys::initial_ksn(id)),
    );
    terminal::Config::from_toml(&text).with_context(|| format!("audit terminal {id}'s config"))
}

pub fn terminal_dir(data: &Path, id: &str) -> PathBuf {
    data.join("audit-terminals").join(id)
}

fn origin_name(o: &Origin) -> &'static str {
    match o {
        Origin::Host => "host",
        Origin::NoAnswer => "no_answer",
        Origin::Unreachable => "unreachable",
        Origin::BadAnswer(_) => "bad_answer",
    }
}

/// Runs one terminal until the load ends, then until it owes nothing (bounded).
pub async fn run(s: Setup, id: String, shared: Arc<Shared>) -> Result<Done> {
    let mut t = terminal::net::open(&config(&s, &id)?)
        .with_context(|| format!("opening audit terminal {id}"))?;
    let mut records = Vec::new();
    let mut balance_inquiries = 0u64;
    while Instant::now() < shared.load_until
        && t.journal().state().entries().len() < REQUESTS_PER_TERMINAL_MAX
    {
        let seq = shared.next_seq.fetch_add(1, Ordering::Relaxed);
        if shared.count_max.is_some_and(|c| seq >= c) {
            break;
        }
        let Some((_, card)) = shared.cards.get((seq % shared.cards.len() as u64) as usize) else {
            break;
        };
        let amount_minor = 100 + seq % 900;
        let op = shared.mix.pick(seq);
        let result = match op {
            Op::Purchase | Op::Reversal => t.pay(card, amount_minor).await,
            Op::Refund => t.refund(card, amount_minor).await,
            Op::Balance => {
                t.balance(card).await?;
                balance_inquiries += 1;
                continue;
            }
        }
        .with_context(|| format!("terminal {id}"))?;
        let record = Record {
            terminal: id.clone(),
            kind: result.kind,
            stan: result.stan,
            transmission: result.stamp.transmission.clone(),
            amount_minor,
            pan: card_pan(card),
            approved: result.approved,
            origin: origin_name(&result.origin),
            response_code: result.response_code.as_str().to_string(),
        };
        if op == Op::Reversal && result.approved {
            // The merchant cancels the sale: the terminal's own "reverse" of that STAN.
            t.reverse(result.stan)
                .await
                .with_context(|| format!("terminal {id} reversing STAN {}", result.stan))?;
        }
        records.push(record);
    }
    // What is owed goes out until the host has acknowledged all of it (or we give up).
    for pass in 0..RECOVERY_PASSES_MAX {
        if t.journal().state().recovery_count() == 0 {
            break;
        }
        if pass > 0 {
            tokio::time::sleep(Duration::from_millis(RECOVERY_PAUSE_MS)).await;
        }
        t.recover()
            .await
            .with_context(|| format!("terminal {id} recovering"))?;
    }
    t.driver().close().await;
    let state = t.journal().state();
    let reversals = state
        .entries()
        .iter()
        .filter(|e| e.reversal.is_some())
        .count() as u64;
    let records = records
        .into_iter()
        .map(|r| {
            let fate = match state
                .entry(r.stan)
                .filter(|e| e.request.stamp.transmission == r.transmission)
            {
                None => Fate::Owed,
                Some(e) => match (&e.reversal, &e.reversal_done, &e.outcome) {
                    (Some(_), Some(_), _) => Fate::Voided,
                    (Some(_), None, _) => Fate::Owed,
                    (None, _, Outcome::Answered { .. }) if e.is_approved() => Fate::Charged,
                    (None, _, Outcome::Answered { .. }) => Fate::Declined,
                    (None, _, Outcome::Unsent) => Fate::NotSent,
                    (None, _, Outcome::InFlight) => Fate::Owed,
                },
            };
            (r, fate)
        })
        .collect();
    Ok(Done {
        records,
        reversals,
        balance_inquiries,
    })
}

fn card_pan(card: &Card) -> String {
    card.pan()
        .map(|p| p.reveal().to_string())
        .unwrap_or_default()
}
