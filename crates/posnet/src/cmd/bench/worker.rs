//! One worker: a loop that takes the next transaction number, waits for its turn (with a
//! rate), builds its messages and sends them on its terminal's link. A terminal has as many
//! workers as requests it may keep in flight.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use iso8583::Message;
use link::{Link, LinkError};
use terminal::txn::{PendingReversal, RequestRecord, Stamp, TxnKind};
use terminal::{Acceptor, BatchTotals, Now, Stan};
use tokio::time::Instant;

use super::mix::{Mix, Op};
use super::stats::{Stats, message_name};
use crate::cmd::setup;

/// How long the run goes on.
pub struct Plan {
    pub count: Option<u64>,
    pub duration: Option<Duration>,
    pub rate_per_s: Option<f64>,
}

/// A bench card as a terminal reads it (swiped, track 2 equivalent data).
pub struct Card(terminal::Card);

impl Card {
    pub fn new(pan: &str, expiry_yymm: &str) -> Result<Card> {
        let track2 = format!("{pan}={expiry_yymm}1011000000000000");
        Ok(Card(
            terminal::Card::swiped(&track2).context("a bench card's track 2")?,
        ))
    }
}

/// What every worker shares: the plan, the next transaction number and the cards.
pub struct Shared {
    pub plan: Plan,
    pub start: Instant,
    mix: Mix,
    cards: Arc<[Card]>,
    next_seq: AtomicU64,
    /// Transactions finished (answered or failed), for the progress bar.
    pub finished: AtomicU64,
}

impl Shared {
    pub fn new(plan: Plan, mix: Mix, cards: Arc<[Card]>) -> Shared {
        Shared {
            plan,
            start: Instant::now(),
            mix,
            cards,
            next_seq: AtomicU64::new(0),
            finished: AtomicU64::new(0),
        }
    }

    /// The next transaction number and when it is due, or `None` when the run is over.
    async fn next(&self) -> Option<(u64, Instant)> {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        if self.plan.count.is_some_and(|c| seq >= c) {
            return None;
        }
        let due = match self.plan.rate_per_s {
            Some(r) => self.start + Duration::from_secs_f64(seq as f64 / r),
            None => Instant::now(),
        };
        if let Some(d) = self.plan.duration
            && due >= self.start + d
        {
            return None;
        }
        tokio::time::sleep_until(due).await;
        Some((seq, due))
    }
}

/// One simulated terminal: its link, field 41/42/49, its STANs and its batch totals.
pub struct Terminal {
    link: Link,
    acceptor: Acceptor,
    stans: AtomicU32,
    /// Approved purchases and refunds not reversed: what the 0500 at the end states.
    totals: Mutex<BatchTotals>,
}

impl Terminal {
    /// `stans_used`: how many STANs earlier runs used (the next is one more, modulo 999 999).
    pub fn new(id: &str, link: Link, stans_used: u32) -> Result<Terminal> {
        Ok(Terminal {
            link,
            acceptor: Acceptor::new(id, setup::MERCHANT_ID, "978")?,
            stans: AtomicU32::new(stans_used % Stan::LAST.get()),
            totals: Mutex::new(BatchTotals::default()),
        })
    }

    fn count(&self, record: &RequestRecord) {
        self.totals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .add(record);
    }

    /// Closes the terminal's batch at the gateway (0500 with the totals it counted), as a
    /// terminal does at the end of the day: the gateway holds at most 10 000 transactions a
    /// batch and answers 96 beyond, so a bench that never settled stopped working there.
    /// Returns field 39 of the 0510 (95 when lost answers made the totals disagree; the
    /// gateway opens a new batch either way), or why there was none.
    pub async fn settle(&self) -> String {
        let totals = *self.totals.lock().unwrap_or_else(|p| p.into_inner());
        let msg = match terminal::request::settlement(
            &self.acceptor,
            &totals,
            self.next_stan(),
            &now(),
        ) {
            Ok(m) => m,
            Err(e) => return format!("not sent: {e}"),
        };
        match self.link.request(&msg).await {
            Ok(answer) => answer.text(39).unwrap_or("--").to_string(),
            Err(e) => failure_kind(&e).to_string(),
        }
    }

    /// What to save for the next run (see [`Terminal::new`]).
    pub fn stans_used(&self) -> u32 {
        self.stans.load(Ordering::Relaxed) % Stan::LAST.get()
    }

    /// STANs 000001…999999, then again from 1.
    fn next_stan(&self) -> Stan {
        let n = self
            .stans
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some((u + 1) % Stan::LAST.get())
            })
            .unwrap_or(0)
            + 1;
        Stan::new(n).unwrap_or(Stan::FIRST)
    }
}

fn now() -> Now {
    let unix_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Now {
        unix_s: i64::try_from(unix_s).unwrap_or(i64::MAX),
        utc_offset_min: 0,
    }
}

fn failure_kind(e: &LinkError) -> &'static str {
    match e {
        LinkError::Busy { .. } => "busy",
        LinkError::Timeout { .. } => "timeout",
        LinkError::Down { .. } => "down",
        LinkError::Disconnected { .. } => "disconnected",
        LinkError::Closed => "closed",
        _ => "refused",
    }
}

/// An answer, or why there was none and whether the host may have acted on the request.
enum Sent {
    Answer(Message<'static>),
    Lost { maybe_processed: bool },
}

async fn send(
    t: &Terminal,
    stats: &mut Stats,
    name: &'static str,
    msg: &Message<'_>,
    since: Instant,
) -> Sent {
    stats.requests += 1;
    match t.link.request(msg).await {
        Ok(answer) => {
            let latency_us = u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX);
            let code = answer.text(39).unwrap_or("--").to_string();
            stats.answer(name, &code, latency_us);
            Sent::Answer(answer)
        }
        Err(e) => {
            stats.failure(failure_kind(&e));
            Sent::Lost {
                maybe_processed: matches!(
                    e,
                    LinkError::Timeout { .. } | LinkError::Disconnected { .. }
                ),
            }
        }
    }
}

/// Sends the reversal (0400) of `original`: on purpose (a reversal transaction) or because
/// its answer was lost and the host may have acted on it.
async fn reverse(
    t: &Terminal,
    stats: &mut Stats,
    original: RequestRecord,
    auth_code: Option<String>,
) -> Result<bool> {
    let pending = PendingReversal {
        original,
        original_auth_code: auth_code,
        stan: t.next_stan(),
        stamp: Stamp::at(&now()),
        final_icc: None,
    };
    let msg = terminal::request::reversal(&t.acceptor, &pending)?;
    let acknowledged = match send(t, stats, "reversal", &msg, Instant::now()).await {
        Sent::Answer(a) => matches!(a.text(39), Some("00" | "25")),
        Sent::Lost { .. } => false,
    };
    Ok(acknowledged)
}

async fn one(
    t: &Terminal,
    shared: &Shared,
    stats: &mut Stats,
    seq: u64,
    due: Instant,
) -> Result<()> {
    let op = shared.mix.pick(seq);
    let card = shared
        .cards
        .get((seq % shared.cards.len().max(1) as u64) as usize)
        .context("no bench card")?;
    let kind = match op {
        Op::Purchase | Op::Reversal => TxnKind::Purchase,
        Op::Refund => TxnKind::Refund,
        Op::Balance => TxnKind::Balance,
    };
    // 1.00 to 9.99 euro, varied so equal amounts do not hide mistakes.
    let amount_minor = if kind == TxnKind::Balance {
        0
    } else {
        100 + seq % 900
    };
    let (msg, record) = terminal::request::card_request(
        &t.acceptor,
        kind,
        &card.0,
        amount_minor,
        t.next_stan(),
        &now(),
    )?;
    stats.transactions += 1;
    match send(t, stats, message_name(op, false), &msg, due).await {
        Sent::Answer(answer) => {
            let approved = answer.text(39) == Some("00");
            if op == Op::Reversal && approved {
                let auth_code = answer.text(38).map(str::to_string);
                if !reverse(t, stats, record.clone(), auth_code).await? {
                    // Not taken out at the gateway: it stays in the batch.
                    t.count(&record);
                }
            } else if approved {
                t.count(&record);
            }
        }
        Sent::Lost { maybe_processed } => {
            // Like a real terminal: a request that may have been processed is reversed.
            if maybe_processed && kind != TxnKind::Balance {
                reverse(t, stats, record, None).await?;
            }
        }
    }
    Ok(())
}

/// Runs transactions until the plan is done; returns what it measured.
pub async fn run(t: Arc<Terminal>, shared: Arc<Shared>) -> Result<Stats> {
    let mut stats = Stats::new()?;
    while let Some((seq, due)) = shared.next().await {
        one(&t, &shared, &mut stats, seq, due).await?;
        shared.finished.fetch_add(1, Ordering::Relaxed);
    }
    Ok(stats)
}
