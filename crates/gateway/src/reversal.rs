//! Reversal advices (0420): what the gateway sends an issuer when it answered a terminal 91
//! for a request the issuer may still have approved, so no hold is left behind. Each advice
//! is retried with growing waits until its 0430 arrives or its attempts run out.

use std::collections::BTreeMap;

use iso8583::composite::original_data::OriginalData;
use iso8583::composite::track2::Track2;
use iso8583::{Message, Mti};

use crate::clock::{UnixMs, transmission_time};
use crate::flow::Flow;

/// How an advice left the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdviceOutcome {
    /// The issuer answered 0430.
    Acknowledged,
    /// Every attempt went unanswered; logged as an error for manual follow-up.
    GaveUp,
}

/// A queued reversal advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub id: u64,
    /// The issuer link it goes to (the one the original went to).
    pub link: String,
    pub created_ms: UnixMs,
    /// The 0420 exactly as sent on every attempt (a retransmission repeats 7, 11 and 37).
    pub message: Message<'static>,
    pub attempts: u32,
    pub next_attempt_ms: UnixMs,
    /// While an attempt awaits its 0430 it holds a slot on the link until this time.
    pub in_flight_until: Option<UnixMs>,
}

impl Advice {
    /// Field 41 and 11: what its 0430 carries back.
    pub fn matches(&self, terminal_id: &str, stan: &str) -> bool {
        self.message.text(41) == Some(terminal_id) && self.message.text(11) == Some(stan)
    }

    /// The original's MTI, from field 90.
    pub fn original_mti(&self) -> Option<String> {
        let f90 = self.message.text(90)?;
        OriginalData::parse(f90).ok().map(|o| o.mti)
    }
}

/// Whether a request the issuer never answered could have left a hold or a posting that a
/// 0420 must undo. Pre-authorizations and purchases/refunds could; a balance inquiry moves
/// nothing; a completion (0220) and a reversal (0400) are retried by the terminal, which owns
/// them, and the issuer answers the retry from its first decision.
pub fn needs_reversal(flow: Flow, request: &Message<'_>) -> bool {
    match flow {
        Flow::Authorization => true,
        Flow::Financial => !request.text(3).is_some_and(|p| p.starts_with("31")),
        _ => false,
    }
}

/// Fields of the original a 0420 repeats (protocol.md's 0420 column), besides 2, 7, 25, 90.
const COPIED: &[usize] = &[3, 4, 11, 12, 13, 22, 32, 37, 41, 42, 49];

/// The 0420 that reverses `original` (the request as forwarded, with field 32 set), made at
/// `now_ms`. Field 90 carries the original's MTI, STAN (11), transmission time (7) and
/// acquirer (32); its own field 7 is the advice's time, so the issuer tells it apart from
/// the original.
pub fn reversal_advice(original: &Message<'_>, now_ms: UnixMs) -> Result<Message<'static>, String> {
    let text = |n: usize| {
        original
            .text(n)
            .ok_or_else(|| format!("the original lacks field {n}"))
    };
    let pan = match original.text(2) {
        Some(p) => p.to_string(),
        None => {
            let t2 = text(35)?;
            Track2::parse(t2)
                .map_err(|e| format!("field 35: {e}"))?
                .pan
                .to_string()
        }
    };
    let od = OriginalData {
        mti: original.mti().as_str().to_string(),
        stan: text(11)?.to_string(),
        transmission: text(7)?.to_string(),
        acquirer: text(32)?.to_string(),
        forwarder: String::new(),
    };
    // The issuer knows a request by (acquirer, 41, 11, 7) and the advice repeats the
    // original's STAN: an advice stamped in the original's own second would be taken for a
    // repeat of the original and answered with its 0210, reversing nothing.
    let mut advice_ms = now_ms;
    if transmission_time(advice_ms) == od.transmission {
        advice_ms = advice_ms.saturating_add(1_000);
    }
    let mut m = Message::new(Mti::new(*b"0420").unwrap_or(Mti::ZERO));
    let set = |m: &mut Message<'static>, n: usize, v: &[u8]| {
        m.set_owned(n, v).map_err(|e| format!("field {n}: {e}"))
    };
    set(&mut m, 2, pan.as_bytes())?;
    set(&mut m, 7, transmission_time(advice_ms).as_bytes())?;
    set(&mut m, 25, b"00")?;
    set(&mut m, 90, od.to_field().as_bytes())?;
    for &n in COPIED {
        set(&mut m, n, text(n)?.as_bytes())?;
    }
    Ok(m)
}

/// Wait before attempt `attempts + 1`: `initial_ms` doubled per attempt made, at most `max_ms`.
pub fn backoff_ms(attempts: u32, initial_ms: u64, max_ms: u64) -> u64 {
    let doublings = attempts.saturating_sub(1).min(63);
    initial_ms
        .checked_mul(1u64 << doublings)
        .unwrap_or(max_ms)
        .min(max_ms)
}

/// The bounded queue, in order of creation.
#[derive(Debug, Clone, Default)]
pub struct AdviceQueue {
    advices: BTreeMap<u64, Advice>,
    next_id: u64,
}

impl AdviceQueue {
    pub fn len(&self) -> usize {
        self.advices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.advices.is_empty()
    }

    /// Queues a new advice, due at once; returns its id.
    pub fn push(&mut self, link: &str, created_ms: UnixMs, message: Message<'static>) -> u64 {
        let id = self.next_id;
        self.insert(Advice {
            id,
            link: link.to_string(),
            created_ms,
            message,
            attempts: 0,
            next_attempt_ms: created_ms,
            in_flight_until: None,
        });
        id
    }

    /// Puts back an advice read from the journal (ids keep increasing past it).
    pub fn insert(&mut self, advice: Advice) {
        self.next_id = self.next_id.max(advice.id.saturating_add(1));
        self.advices.insert(advice.id, advice);
    }

    pub fn get(&self, id: u64) -> Option<&Advice> {
        self.advices.get(&id)
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut Advice> {
        self.advices.get_mut(&id)
    }

    pub fn remove(&mut self, id: u64) -> Option<Advice> {
        self.advices.remove(&id)
    }

    /// The oldest advice for terminal `terminal_id` and STAN `stan`.
    pub fn find(&self, terminal_id: &str, stan: &str) -> Option<&Advice> {
        self.advices.values().find(|a| a.matches(terminal_id, stan))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Advice> {
        self.advices.values()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Advice> {
        self.advices.values_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchase() -> Message<'static> {
        let mut m = Message::new(Mti::parse("0200").unwrap());
        for (n, v) in [
            (3, "000000"),
            (4, "000000001250"),
            (7, "1114221320"),
            (11, "000123"),
            (12, "231320"),
            (13, "1114"),
            (22, "022"),
            (25, "00"),
            (32, "1234"),
            (35, "4761739001010010=25122011143804400000"),
            (37, "331822000123"),
            (41, "TERM0001"),
            (42, "MERCHANT0000001"),
            (49, "978"),
        ] {
            m.set_owned(n, v).unwrap();
        }
        m
    }

    #[test]
    fn advice_fields() {
        // 1_700_000_005_000 ms is 2023-11-14 22:13:25 UTC.
        let a = reversal_advice(&purchase(), 1_700_000_005_000).unwrap();
        assert_eq!(a.mti().as_str(), "0420");
        let fields: Vec<(usize, String)> = a
            .fields()
            .map(|(n, v)| (n, String::from_utf8(v.to_vec()).unwrap()))
            .collect();
        let expected: Vec<(usize, String)> = [
            (2, "4761739001010010"),
            (3, "000000"),
            (4, "000000001250"),
            (7, "1114221325"),
            (11, "000123"),
            (12, "231320"),
            (13, "1114"),
            (22, "022"),
            (25, "00"),
            (32, "1234"),
            (37, "331822000123"),
            (41, "TERM0001"),
            (42, "MERCHANT0000001"),
            (49, "978"),
            // MTI 0200, STAN 000123, time 1114221320, acquirer 00000001234, forwarder zeros.
            (90, "020000012311142213200000000123400000000000"),
        ]
        .into_iter()
        .map(|(n, v)| (n, v.to_string()))
        .collect();
        assert_eq!(fields, expected);

        // Made in the original's own second (22:13:20): stamped a second later, so its
        // identity (acquirer, 41, 11, 7) is never the original's.
        let same_second = reversal_advice(&purchase(), 1_700_000_000_400).unwrap();
        assert_eq!(same_second.text(7), Some("1114221321"));
        assert_eq!(
            same_second.text(90),
            Some("020000012311142213200000000123400000000000")
        );

        let mut no_acquirer = purchase();
        no_acquirer.remove(32);
        assert_eq!(
            reversal_advice(&no_acquirer, 0),
            Err("the original lacks field 32".to_string())
        );
    }

    #[test]
    fn what_needs_a_reversal() {
        let mut m = purchase();
        assert!(needs_reversal(Flow::Financial, &m));
        assert!(needs_reversal(Flow::Authorization, &m));
        assert!(!needs_reversal(Flow::Completion, &m));
        assert!(!needs_reversal(Flow::Reversal, &m));
        m.set_owned(3, "310000").unwrap();
        assert!(!needs_reversal(Flow::Financial, &m));
        m.set_owned(3, "200000").unwrap();
        assert!(needs_reversal(Flow::Financial, &m));
    }

    #[test]
    fn backoff_doubles_to_its_cap() {
        let waits: Vec<u64> = (1..=7).map(|a| backoff_ms(a, 1000, 30_000)).collect();
        assert_eq!(waits, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
        assert_eq!(backoff_ms(200, 1000, 30_000), 30_000);
        assert_eq!(backoff_ms(0, 1000, 30_000), 1000);
    }

    #[test]
    fn queue_ids_and_lookup() {
        let mut q = AdviceQueue::default();
        let a = reversal_advice(&purchase(), 0).unwrap();
        let id0 = q.push("issuer-a", 10, a.clone());
        let id1 = q.push("issuer-a", 20, a);
        assert_eq!((id0, id1), (0, 1));
        assert_eq!(q.find("TERM0001", "000123").unwrap().id, 0);
        assert!(q.find("TERM0001", "000124").is_none());
        assert_eq!(q.get(1).unwrap().original_mti().as_deref(), Some("0200"));
        q.remove(0);
        assert_eq!(q.find("TERM0001", "000123").unwrap().id, 1);
        let mut back = q.get(1).unwrap().clone();
        back.id = 41;
        q.insert(back);
        assert_eq!(
            q.push("issuer-a", 30, reversal_advice(&purchase(), 0).unwrap()),
            42
        );
        assert_eq!(q.len(), 3);
    }
}
