//! The table of requests waiting for their response on a link, matched as jPOS QMUX does:
//! by terminal id (field 41), STAN (field 11) and MTI class, so responses may arrive in any
//! order. Pure: the caller passes the time in and acts on what comes out; the table is
//! bounded by `in_flight_max`.

use std::collections::{BTreeSet, HashMap};

use iso8583::Message;
use thiserror::Error;

/// What pairs a response with its request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatchKey {
    /// Field 41, card acceptor terminal id; absent on host-to-host network messages.
    pub terminal_id: Option<String>,
    /// Field 11, STAN (systems trace audit number).
    pub stan: String,
    /// MTI class, its second digit: `1` authorization, `2` financial, `4` reversal, `8` network…
    pub class: u8,
}

/// Why a message cannot be matched.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error("MTI {mti} has no field 11 (STAN) to match a response on")]
    NoStan { mti: String },
}

impl MatchKey {
    /// The key of a request or of a response (both give the same key).
    pub fn of(message: &Message<'_>) -> Result<MatchKey, KeyError> {
        let stan = message.text(11).ok_or_else(|| KeyError::NoStan {
            mti: message.mti().to_string(),
        })?;
        Ok(MatchKey {
            terminal_id: message.text(41).map(str::to_owned),
            stan: stan.to_owned(),
            class: message.mti().class(),
        })
    }
}

impl std::fmt::Display for MatchKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "terminal {} STAN {} class {}",
            self.terminal_id.as_deref().unwrap_or("-"),
            self.stan,
            self.class
        )
    }
}

/// Why a request was not put in the table.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error("{in_flight_max} requests already in flight")]
    Busy { in_flight_max: usize },
    #[error("a request with {key} is already in flight")]
    Duplicate { key: MatchKey },
}

#[derive(Debug)]
struct Entry<T, I> {
    token: T,
    deadline: I,
    seq: u64,
}

/// Requests in flight, each with a token (who to tell) and a deadline of type `I`.
#[derive(Debug)]
pub struct Matcher<T, I> {
    pending: HashMap<MatchKey, Entry<T, I>>,
    /// Deadlines in order; `seq` breaks ties so equal deadlines stay distinct.
    deadlines: BTreeSet<(I, u64, MatchKey)>,
    in_flight_max: usize,
    next_seq: u64,
}

impl<T, I: Ord + Copy> Matcher<T, I> {
    pub fn new(in_flight_max: usize) -> Matcher<T, I> {
        Matcher {
            pending: HashMap::new(),
            deadlines: BTreeSet::new(),
            in_flight_max,
            next_seq: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    pub fn in_flight_max(&self) -> usize {
        self.in_flight_max
    }

    /// Adds a request; on refusal the token comes back with the reason.
    pub fn insert(&mut self, key: MatchKey, token: T, deadline: I) -> Result<(), (Refusal, T)> {
        if self.pending.contains_key(&key) {
            return Err((Refusal::Duplicate { key }, token));
        }
        if self.pending.len() >= self.in_flight_max {
            return Err((
                Refusal::Busy {
                    in_flight_max: self.in_flight_max,
                },
                token,
            ));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.deadlines.insert((deadline, seq, key.clone()));
        self.pending.insert(
            key,
            Entry {
                token,
                deadline,
                seq,
            },
        );
        Ok(())
    }

    /// Takes the request a response with `key` answers, if one is waiting.
    pub fn resolve(&mut self, key: &MatchKey) -> Option<T> {
        let entry = self.pending.remove(key)?;
        self.deadlines
            .remove(&(entry.deadline, entry.seq, key.clone()));
        Some(entry.token)
    }

    /// The earliest deadline in the table.
    pub fn next_deadline(&self) -> Option<I> {
        self.deadlines.first().map(|(deadline, _, _)| *deadline)
    }

    /// Takes every request whose deadline is at or before `now`, earliest first.
    pub fn expire(&mut self, now: I) -> Vec<(MatchKey, T)> {
        let mut out = Vec::new();
        while let Some((deadline, _, _)) = self.deadlines.first() {
            if *deadline > now {
                break;
            }
            let Some((_, _, key)) = self.deadlines.pop_first() else {
                break;
            };
            if let Some(entry) = self.pending.remove(&key) {
                out.push((key, entry.token));
            }
        }
        out
    }

    /// Takes every request (the link went down).
    pub fn drain(&mut self) -> Vec<(MatchKey, T)> {
        self.deadlines.clear();
        let mut out: Vec<(MatchKey, Entry<T, I>)> = self.pending.drain().collect();
        out.sort_by_key(|(_, entry)| entry.seq);
        out.into_iter().map(|(key, e)| (key, e.token)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iso8583::Mti;
    use proptest::prelude::*;

    fn key(terminal: &str, stan: &str, class: u8) -> MatchKey {
        MatchKey {
            terminal_id: Some(terminal.to_owned()),
            stan: stan.to_owned(),
            class,
        }
    }

    #[test]
    fn request_and_response_give_the_same_key() {
        let mut request = Message::new(Mti::parse("0200").unwrap());
        request.set(11, "000123").unwrap();
        request.set(41, "TERM0001").unwrap();
        let mut response = Message::new(Mti::parse("0210").unwrap());
        response.set(11, "000123").unwrap();
        response.set(41, "TERM0001").unwrap();
        response.set(39, "00").unwrap();
        assert_eq!(MatchKey::of(&request), MatchKey::of(&response));
        assert_eq!(
            MatchKey::of(&request).unwrap(),
            key("TERM0001", "000123", b'2' - b'0')
        );
        // Same STAN, other class (a reversal of it): a different key.
        let mut reversal = Message::new(Mti::parse("0410").unwrap());
        reversal.set(11, "000123").unwrap();
        reversal.set(41, "TERM0001").unwrap();
        assert_ne!(MatchKey::of(&reversal), MatchKey::of(&request));
        let echo = Message::new(Mti::parse("0800").unwrap());
        assert_eq!(
            MatchKey::of(&echo),
            Err(KeyError::NoStan { mti: "0800".into() })
        );
    }

    #[test]
    fn out_of_order_responses_find_their_requests() {
        let mut m: Matcher<&str, u64> = Matcher::new(3);
        m.insert(key("T1", "000001", 2), "a", 100).unwrap();
        m.insert(key("T1", "000002", 2), "b", 100).unwrap();
        m.insert(key("T2", "000001", 2), "c", 100).unwrap();
        assert_eq!(m.resolve(&key("T2", "000001", 2)), Some("c"));
        assert_eq!(m.resolve(&key("T1", "000002", 2)), Some("b"));
        assert_eq!(m.resolve(&key("T1", "000002", 2)), None);
        assert_eq!(m.resolve(&key("T1", "000001", 2)), Some("a"));
        assert!(m.is_empty());
        assert_eq!(m.next_deadline(), None);
    }

    #[test]
    fn busy_and_duplicate_are_refused_with_the_token_back() {
        let mut m: Matcher<u32, u64> = Matcher::new(2);
        m.insert(key("T1", "1", 2), 1, 10).unwrap();
        assert_eq!(
            m.insert(key("T1", "1", 2), 9, 10),
            Err((
                Refusal::Duplicate {
                    key: key("T1", "1", 2)
                },
                9
            ))
        );
        m.insert(key("T1", "2", 2), 2, 10).unwrap();
        assert_eq!(
            m.insert(key("T1", "3", 2), 3, 10),
            Err((Refusal::Busy { in_flight_max: 2 }, 3))
        );
        assert_eq!(m.resolve(&key("T1", "1", 2)), Some(1));
        m.insert(key("T1", "3", 2), 3, 10).unwrap();
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn deadlines_expire_in_order_and_equal_deadlines_all_go() {
        let mut m: Matcher<u32, u64> = Matcher::new(10);
        m.insert(key("T", "1", 2), 1, 30).unwrap();
        m.insert(key("T", "2", 2), 2, 10).unwrap();
        m.insert(key("T", "3", 2), 3, 10).unwrap();
        m.insert(key("T", "4", 2), 4, 20).unwrap();
        assert_eq!(m.next_deadline(), Some(10));
        assert_eq!(m.expire(9), vec![]);
        let tokens: Vec<u32> = m.expire(20).into_iter().map(|(_, t)| t).collect();
        assert_eq!(tokens, vec![2, 3, 4]);
        assert_eq!(m.next_deadline(), Some(30));
        assert_eq!(m.resolve(&key("T", "2", 2)), None, "expired is gone");
        let drained: Vec<u32> = m.drain().into_iter().map(|(_, t)| t).collect();
        assert_eq!(drained, vec![1]);
        assert_eq!(m.next_deadline(), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, u64),
        Resolve(u8),
        Expire(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..12, 0u64..50).prop_map(|(s, d)| Op::Insert(s, d)),
            (0u8..12).prop_map(Op::Resolve),
            (0u64..50).prop_map(Op::Expire),
        ]
    }

    proptest! {
        // The table against a list that does the same thing the slow way.
        #[test]
        fn behaves_like_a_plain_list(ops in proptest::collection::vec(op(), 0..80), max in 1usize..6) {
            let mut m: Matcher<u8, u64> = Matcher::new(max);
            let mut model: Vec<(u8, u64)> = Vec::new();
            let k = |s: u8| key("T", &s.to_string(), 2);
            for op in ops {
                match op {
                    Op::Insert(s, d) => {
                        let got = m.insert(k(s), s, d).is_ok();
                        let ok = !model.iter().any(|(x, _)| *x == s) && model.len() < max;
                        prop_assert_eq!(got, ok);
                        if ok { model.push((s, d)); }
                    }
                    Op::Resolve(s) => {
                        let got = m.resolve(&k(s));
                        let pos = model.iter().position(|(x, _)| *x == s);
                        let want = pos.map(|p| model.remove(p).0);
                        prop_assert_eq!(got, want);
                    }
                    Op::Expire(now) => {
                        let mut got: Vec<u8> = m.expire(now).into_iter().map(|(_, t)| t).collect();
                        let mut want: Vec<u8> = model.iter().filter(|(_, d)| *d <= now).map(|(s, _)| *s).collect();
                        model.retain(|(_, d)| *d > now);
                        got.sort_unstable();
                        want.sort_unstable();
                        prop_assert_eq!(got, want);
                    }
                }
                prop_assert_eq!(m.len(), model.len());
                prop_assert_eq!(m.next_deadline(), model.iter().map(|(_, d)| *d).min());
            }
        }
    }
}
