//! Crashes for real: a child process of this test binary runs the terminal and aborts at the
//! worst moments; the parent opens the journal and must find what the child owes.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use iso8583::Message;
use terminal::journal::{Journal, Record, scan};
use terminal::{Driver, Now, SendError, Stan, Terminal};

const CHILD_ENV: &str = "POSNET_TERMINAL_CRASH_CHILD";

/// A driver that aborts the process when the `abort_at`-th request (from 1) is on the wire,
/// dropping the answers before it.
struct AbortingHost {
    sends: u32,
    abort_at: u32,
    now: Now,
}

impl Driver for AbortingHost {
    async fn send(&mut self, _request: &Message<'_>) -> Result<Message<'static>, SendError> {
        self.sends += 1;
        if self.sends == self.abort_at {
            std::process::abort();
        }
        Err(SendError::Timeout)
    }
    fn now(&mut self) -> Now {
        self.now.unix_s += 1;
        self.now
    }
    async fn sleep_ms(&mut self, _ms: u64) {}
}

/// Child side: a purchase whose request is on the wire when the process dies.
fn child(path: &str, abort_at: u32) {
    let journal = Journal::open(path).unwrap();
    let host = AbortingHost {
        sends: 0,
        abort_at,
        now: now_at(T0),
    };
    let mut t = Terminal::new(acceptor(), RETRY, journal, host);
    let _ = block_on(t.pay(&keyed_card(), 4_321));
    // Not reached: the driver aborts.
    std::process::exit(3);
}

/// Runs `test` of this binary in a child that crashes, and checks it died by SIGABRT.
fn run_child(test: &str, path: &Path, abort_at: u32) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, format!("{}|{abort_at}", path.display()))
        .status()
        .unwrap();
    assert!(
        !status.success(),
        "the child must crash, not finish: {status}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(6), "SIGABRT: {status}");
    }
}

fn child_args() -> Option<(String, u32)> {
    let v = std::env::var(CHILD_ENV).ok()?;
    let (path, n) = v.rsplit_once('|')?;
    Some((path.to_string(), n.parse().ok()?))
}

#[test]
fn crash_with_the_request_on_the_wire_leaves_a_reversal_owed() {
    if let Some((path, n)) = child_args() {
        child(&path, n);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    run_child(
        "crash_with_the_request_on_the_wire_leaves_a_reversal_owed",
        &path,
        1,
    );

    // The parent (the restarted terminal) finds the Sent without an answer …
    let journal = Journal::open(&path).unwrap();
    let owed: Vec<Stan> = journal
        .state()
        .unanswered_requests()
        .map(|e| e.request.stan)
        .collect();
    assert_eq!(owed, [Stan::new(1).unwrap()]);
    assert_eq!(journal.state().entries()[0].request.amount_minor, 4_321);

    // … and recovery writes the reversal before its 0400 leaves, then gets it acknowledged.
    let mut t = Terminal::new(acceptor(), RETRY, journal, FakeHost::new(&path, vec![]));
    let report = block_on(t.recover()).unwrap();
    assert_eq!(report.reversals_acknowledged, 1);
    let host = t.driver();
    assert_eq!(host.mtis(), ["0400"]);
    assert!(host.seen[0].journal.iter().any(
        |r| matches!(r, Record::ReversalPending(p) if p.original.stan == Stan::new(1).unwrap())
    ));
    assert_eq!(host.seen[0].msg.text(4), Some("000000004321"));
    assert_eq!(t.journal().state().recovery_count(), 0);
}

#[test]
fn crash_with_the_reversal_on_the_wire_resends_the_same_reversal() {
    if let Some((path, n)) = child_args() {
        child(&path, n);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    // The 0200 goes unanswered; the process dies while the first 0400 is out.
    run_child(
        "crash_with_the_reversal_on_the_wire_resends_the_same_reversal",
        &path,
        2,
    );

    let records: Vec<Record> = scan(&std::fs::read(&path).unwrap())
        .unwrap()
        .records
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    let Some(Record::ReversalPending(written)) = records.last() else {
        panic!("the reversal is the last record on disk: {records:?}");
    };
    let journal = Journal::open(&path).unwrap();
    let pending: Vec<_> = journal.state().pending_reversals().cloned().collect();
    assert_eq!(pending, std::slice::from_ref(written));

    let mut t = Terminal::new(acceptor(), RETRY, journal, FakeHost::new(&path, vec![]));
    let report = block_on(t.recover()).unwrap();
    assert_eq!(report.reversals_acknowledged, 1);
    // The repeat carries the STAN and time the child wrote, so the host sees one reversal.
    let sent = &t.driver().seen[0].msg;
    assert_eq!(sent.text(11), Some(written.stan.field().as_str()));
    assert_eq!(sent.text(7), Some(written.stamp.transmission.as_str()));
    let e = t.journal().state().entry(Stan::new(1).unwrap()).unwrap();
    assert!(e.reversal_done.is_some());
}
