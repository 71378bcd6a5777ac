//! Shared by the integration tests: a scripted fake host behind the `Driver` trait, a
//! single-threaded executor, fixed cards and a fixed clock.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::task::{Context, Poll, Waker};

use iso8583::{Message, Mti, Spec, specs};
use terminal::journal::{Record, scan};
use terminal::{Acceptor, Card, Driver, Journal, Now, RetryPolicy, SendError, Terminal};

/// 2023-11-14T22:13:20Z (`date -u -d @1700000000`).
pub const T0: i64 = 1_700_000_000;

pub fn now_at(unix_s: i64) -> Now {
    Now {
        unix_s,
        utc_offset_min: 0,
    }
}

pub fn acceptor() -> Acceptor {
    Acceptor::new("TERM0001", "MERCHANT0000001", "978").unwrap()
}

/// Mastercard test PAN (EMVCo / Mastercard test card 5413 3300 8901 0434), keyed.
pub fn keyed_card() -> Card {
    Card::keyed("5413330089010434", "2712").unwrap()
}

/// A Visa test track 2 (PAN 4761 7390 0101 0010 of Visa's published test cards).
pub const TRACK2: &str = "4761739001010010=28121011143804400000";

pub fn swiped_card() -> Card {
    Card::swiped(TRACK2).unwrap()
}

/// Polls a future to completion; the fake's futures are always ready, so a few polls suffice.
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("future did not complete");
}

/// What the fake host does with the next request.
#[derive(Clone, Copy)]
pub enum Step {
    /// Answer with this response code (approvals get field 38 `AUTH01`).
    Answer(&'static str),
    /// Answer with a balance in field 54.
    Balance(&'static str),
    /// Take the request, never answer.
    Drop,
    /// Refuse the connection before any byte leaves.
    Unreachable,
    /// Answer, but change field `n` of the answer to `value`.
    Tamper(&'static str, usize, &'static str),
    /// Answer with this code and these bytes in field 55 (chip answers).
    Icc(&'static str, &'static [u8]),
    /// Answer with this code and the field 55 this function makes from the request's.
    IccFrom(&'static str, fn(&[u8]) -> Vec<u8>),
}

/// One request as the fake host received it, with the journal's records at that moment.
pub struct Seen {
    pub msg: Message<'static>,
    pub journal: Vec<Record>,
}

/// A host that runs a script of steps (then approves everything), checks every request
/// packs in the posnet dialect, and notes what the journal held when each request arrived.
pub struct FakeHost {
    pub spec: Spec,
    pub journal_path: PathBuf,
    pub script: VecDeque<Step>,
    pub seen: Vec<Seen>,
    pub now: Now,
    pub slept_ms: Vec<u64>,
}

impl FakeHost {
    pub fn new(journal_path: &Path, script: Vec<Step>) -> FakeHost {
        FakeHost {
            spec: specs::iso87_ascii_bbitmap(),
            journal_path: journal_path.to_path_buf(),
            script: script.into(),
            seen: Vec::new(),
            now: now_at(T0),
            slept_ms: Vec::new(),
        }
    }

    pub fn mtis(&self) -> Vec<String> {
        self.seen
            .iter()
            .map(|s| s.msg.mti().as_str().to_string())
            .collect()
    }

    fn answer(&self, req: &Message<'_>, code: &str) -> Message<'static> {
        let mut resp = Message::new(req.mti().response().unwrap());
        for n in [2, 3, 4, 7, 11, 37, 41, 42, 49, 70] {
            if let Some(v) = req.get(n) {
                resp.set_owned(n, v).unwrap();
            }
        }
        resp.set_owned(39, code).unwrap();
        let financial = matches!(req.mti().class(), 1 | 2);
        if code == "00" && financial && req.mti() != Mti::parse("0400").unwrap() {
            resp.set_owned(38, "AUTH01").unwrap();
        }
        resp
    }
}

impl Driver for FakeHost {
    async fn send(&mut self, request: &Message<'_>) -> Result<Message<'static>, SendError> {
        // The wire check: the request must pack in the dialect and read back the same.
        let bytes = self
            .spec
            .pack(request)
            .expect("request packs in iso87-ascii-bbitmap");
        let msg = self
            .spec
            .unpack(&bytes)
            .expect("request unpacks")
            .into_owned();
        assert_eq!(&msg, request);
        let journal = scan(&std::fs::read(&self.journal_path).unwrap())
            .unwrap()
            .records
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        let step = self.script.pop_front().unwrap_or(Step::Answer("00"));
        let resp = match step {
            Step::Unreachable => return Err(SendError::Unreachable),
            Step::Drop => {
                self.seen.push(Seen { msg, journal });
                return Err(SendError::Timeout);
            }
            Step::Answer(code) => self.answer(&msg, code),
            Step::Balance(f54) => {
                let mut r = self.answer(&msg, "00");
                r.set_owned(54, f54).unwrap();
                r
            }
            Step::Icc(code, icc) => {
                let mut r = self.answer(&msg, code);
                r.set_owned(55, icc).unwrap();
                r
            }
            Step::IccFrom(code, make) => {
                let mut r = self.answer(&msg, code);
                r.set_owned(55, make(msg.get(55).unwrap_or_default()))
                    .unwrap();
                r
            }
            Step::Tamper(code, n, v) => {
                let mut r = self.answer(&msg, code);
                r.set_owned(n, v).unwrap();
                r
            }
        };
        self.seen.push(Seen { msg, journal });
        let bytes = self.spec.pack(&resp).expect("answer packs");
        Ok(self.spec.unpack(&bytes).unwrap().into_owned())
    }

    fn now(&mut self) -> Now {
        // Each reading is one second after the last.
        self.now.unix_s += 1;
        self.now
    }

    async fn sleep_ms(&mut self, ms: u64) {
        self.slept_ms.push(ms);
    }
}

pub const RETRY: RetryPolicy = RetryPolicy {
    interval_ms: 250,
    retries_max: 2,
};

pub fn terminal(dir: &Path, script: Vec<Step>) -> Terminal<FakeHost> {
    let path = dir.join("journal.bin");
    let journal = Journal::open(&path).unwrap();
    Terminal::new(acceptor(), RETRY, journal, FakeHost::new(&path, script))
}

/// The message's fields as text, in number order.
pub fn fields(msg: &Message<'_>) -> Vec<(usize, String)> {
    msg.fields()
        .map(|(n, v)| (n, String::from_utf8_lossy(v).into_owned()))
        .collect()
}
