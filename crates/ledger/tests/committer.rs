//! Group commit: batching, answers after commit, failures, bounds, async use, crash safety.

mod common;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use common::*;
use ledger::{
    Account, ChangeSet, Committer, CommitterConfig, DecisionError, Hold, Ledger, MemoryStorage,
    Request, SqliteStorage, Storage, StorageError, SubmitError, Transfer, TransferRejected,
};

fn respond(result: &Result<ledger::Applied, ledger::TransferError>) -> Vec<u8> {
    match result {
        Ok(_) => b"00".to_vec(),
        Err(e) if e.reason == TransferRejected::ExceedsCredits => b"51".to_vec(),
        Err(_) => b"05".to_vec(),
    }
}

fn hold_request(key_n: u8, transfer_id: u128, amount: u64) -> Request {
    Request {
        request_key: key(key_n),
        transfers: vec![Transfer::pending(
            transfer_id,
            CARD,
            MERCHANT,
            amount,
            EUR,
            PURCHASE,
            0,
        )],
        respond: Box::new(respond),
    }
}

/// A clock the test moves by hand.
fn manual_clock() -> (Arc<AtomicU64>, impl FnMut() -> u64 + Send + 'static) {
    let now = Arc::new(AtomicU64::new(T0));
    let reader = Arc::clone(&now);
    (now, move || reader.load(Ordering::SeqCst))
}

/// Parks the committer thread until the returned sender is used (or dropped), so that requests
/// pile up in the queue and the next batch takes them together.
fn hold_the_thread<S: Storage + Send + 'static>(c: &Committer<S>) -> mpsc::Sender<()> {
    let (release, gate) = mpsc::channel::<()>();
    let (entered_tx, entered) = mpsc::channel::<()>();
    let gate = Mutex::new(gate);
    c.with_ledger(move |_, _| {
        let _ = entered_tx.send(());
        let _ = gate.lock().map(|g| g.recv());
    })
    .unwrap();
    entered.recv().unwrap();
    release
}

#[test]
fn queued_decisions_are_committed_in_groups_and_all_answered() {
    let (_, clock) = manual_clock();
    let config = CommitterConfig {
        queue_max: 64,
        batch_max: 16,
    };
    let c = Committer::spawn(bank(MemoryStorage::new(), 10_000), clock, config).unwrap();
    let release = hold_the_thread(&c);
    let replies: Vec<_> = (0..40u8)
        .map(|n| {
            c.try_submit(hold_request(n, 1_000 + u128::from(n), 10))
                .unwrap()
        })
        .collect();
    assert_eq!(
        c.stats().batches,
        0,
        "nothing is committed while the thread is held"
    );
    drop(release);
    for reply in replies {
        assert_eq!(reply.wait().unwrap().response(), b"00");
    }
    let stats = c.stats();
    assert_eq!(
        (stats.batches, stats.decisions, stats.failed_batches),
        (3, 40, 0),
        "16 + 16 + 8"
    );
    let ledger = c.shutdown().unwrap();
    assert_eq!(balances(&ledger, CARD), (400, 0, 0, 10_000));
}

#[test]
fn many_threads_one_hold_per_request_key() {
    let (_, clock) = manual_clock();
    let c = Arc::new(
        Committer::spawn(
            bank(MemoryStorage::new(), 1_000),
            clock,
            CommitterConfig::default(),
        )
        .unwrap(),
    );
    // 8 threads each send the same 10 requests (keys 0..10): a retransmission storm.
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let c = Arc::clone(&c);
            std::thread::spawn(move || {
                (0..10u8)
                    .map(|n| {
                        // Each retransmission carries its own transfer id; the key decides.
                        let id = 10_000 + u128::from(n) * 100 + t;
                        c.submit(hold_request(n, id, 150))
                            .unwrap()
                            .wait()
                            .unwrap()
                            .response()
                            .to_vec()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let answers: Vec<Vec<Vec<u8>>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    // Every thread got the same answer for each key.
    for other in &answers[1..] {
        assert_eq!(other, &answers[0]);
    }
    let approved = answers[0].iter().filter(|a| a.as_slice() == b"00").count();
    let declined = answers[0].iter().filter(|a| a.as_slice() == b"51").count();
    assert_eq!((approved, declined), (6, 4), "1_000 funds six holds of 150");
    let ledger = Arc::into_inner(c).unwrap().shutdown().unwrap();
    assert_eq!(balances(&ledger, CARD), (900, 0, 0, 1_000));
    assert!(ledger.audit().unwrap().is_clean());
}

/// Memory storage whose commits fail while `failing` is set.
struct FlakyStorage {
    inner: MemoryStorage,
    failing: Arc<AtomicBool>,
}

impl Storage for FlakyStorage {
    fn account(&self, id: u128) -> Result<Option<Account>, StorageError> {
        self.inner.account(id)
    }
    fn transfer(&self, id: u128) -> Result<Option<Transfer>, StorageError> {
        self.inner.transfer(id)
    }
    fn hold(&self, id: u128) -> Result<Option<Hold>, StorageError> {
        self.inner.hold(id)
    }
    fn decision(&self, key: &ledger::RequestKey) -> Result<Option<ledger::Decision>, StorageError> {
        self.inner.decision(key)
    }
    fn pending_holds(&self, account_id: u128, limit: usize) -> Result<Vec<Hold>, StorageError> {
        self.inner.pending_holds(account_id, limit)
    }
    fn expiring_holds(&self, now_ns: u64, limit: usize) -> Result<Vec<Hold>, StorageError> {
        self.inner.expiring_holds(now_ns, limit)
    }
    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StorageError> {
        if self.failing.load(Ordering::SeqCst) {
            let source = std::io::Error::other("disk full");
            return Err(StorageError::Backend {
                op: "commit: fsync",
                source: Box::new(source),
            });
        }
        self.inner.commit(changes)
    }
    fn visit_accounts(&self, visit: &mut dyn FnMut(&Account)) -> Result<(), StorageError> {
        self.inner.visit_accounts(visit)
    }
    fn visit_transfers(&self, visit: &mut dyn FnMut(&Transfer)) -> Result<(), StorageError> {
        self.inner.visit_transfers(visit)
    }
    fn visit_holds(&self, visit: &mut dyn FnMut(&Hold)) -> Result<(), StorageError> {
        self.inner.visit_holds(visit)
    }
}

#[test]
fn a_failed_commit_answers_every_caller_with_an_error() {
    let failing = Arc::new(AtomicBool::new(false));
    let ledger = bank(
        FlakyStorage {
            inner: MemoryStorage::new(),
            failing: Arc::clone(&failing),
        },
        10_000,
    );
    let (_, clock) = manual_clock();
    let c = Committer::spawn(ledger, clock, CommitterConfig::default()).unwrap();
    failing.store(true, Ordering::SeqCst);
    let release = hold_the_thread(&c);
    let replies: Vec<_> = (0..5u8)
        .map(|n| {
            c.try_submit(hold_request(n, 200 + u128::from(n), 10))
                .unwrap()
        })
        .collect();
    drop(release);
    for reply in replies {
        match reply.wait() {
            Err(DecisionError::BatchFailed { detail }) => {
                assert!(detail.contains("disk full"), "{detail}")
            }
            other => panic!("expected BatchFailed, got {other:?}"),
        }
    }
    assert_eq!(c.stats().failed_batches, 1);
    // Nothing of the failed batch exists: the same keys are decided afresh once the disk is back.
    failing.store(false, Ordering::SeqCst);
    let again = c.submit(hold_request(0, 200, 10)).unwrap().wait().unwrap();
    assert!(!again.is_replay());
    assert_eq!(again.response(), b"00");
    let card = c
        .with_ledger(|l, _| l.account(CARD).unwrap().unwrap())
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(card.debits_pending, 10);
}

#[test]
fn the_queue_is_bounded() {
    let (_, clock) = manual_clock();
    let c = Committer::spawn(
        bank(MemoryStorage::new(), 10_000),
        clock,
        CommitterConfig {
            queue_max: 4,
            batch_max: 16,
        },
    )
    .unwrap();
    let release = hold_the_thread(&c);
    let replies: Vec<_> = (0..4u8)
        .map(|n| {
            c.try_submit(hold_request(n, 200 + u128::from(n), 1))
                .unwrap()
        })
        .collect();
    assert_eq!(
        c.try_submit(hold_request(9, 999, 1)).unwrap_err(),
        SubmitError::QueueFull
    );
    drop(release);
    for reply in replies {
        assert_eq!(reply.wait().unwrap().response(), b"00");
    }
    let too_many = Request {
        request_key: key(50),
        transfers: (0..17)
            .map(|i| Transfer::single(500 + i, CARD, MERCHANT, 1, EUR, PURCHASE))
            .collect(),
        respond: Box::new(respond),
    };
    assert_eq!(
        c.try_submit(too_many).unwrap_err(),
        SubmitError::TooManyTransfers { count: 17, max: 16 }
    );
    assert!(
        Committer::spawn(
            bank(MemoryStorage::new(), 0),
            || T0,
            CommitterConfig {
                queue_max: 0,
                batch_max: 1
            }
        )
        .is_err()
    );
}

#[test]
fn a_panicking_responder_loses_only_its_own_request() {
    let (_, clock) = manual_clock();
    let c = Committer::spawn(
        bank(MemoryStorage::new(), 10_000),
        clock,
        CommitterConfig::default(),
    )
    .unwrap();
    let release = hold_the_thread(&c);
    let good = c.try_submit(hold_request(1, 101, 10)).unwrap();
    let bad = c
        .try_submit(Request {
            request_key: key(2),
            transfers: vec![Transfer::pending(102, CARD, MERCHANT, 10, EUR, PURCHASE, 0)],
            respond: Box::new(|_| panic!("encoder bug")),
        })
        .unwrap();
    let big = c
        .try_submit(Request {
            request_key: key(3),
            transfers: vec![Transfer::pending(103, CARD, MERCHANT, 10, EUR, PURCHASE, 0)],
            respond: Box::new(|_| vec![0; 2048]),
        })
        .unwrap();
    drop(release);
    assert_eq!(good.wait().unwrap().response(), b"00");
    assert!(matches!(bad.wait(), Err(DecisionError::RespondPanicked)));
    assert!(matches!(
        big.wait(),
        Err(DecisionError::Ledger(
            ledger::LedgerError::ResponseTooLarge { .. }
        ))
    ));
    let ledger = c.shutdown().unwrap();
    assert_eq!(balances(&ledger, CARD), (10, 0, 0, 10_000));
    assert!(ledger.decision(&key(2)).unwrap().is_none());
    assert!(ledger.transfer(103).unwrap().is_none());
}

#[test]
fn each_batch_expires_due_holds_first() {
    let (now, clock) = manual_clock();
    let c = Committer::spawn(
        bank(MemoryStorage::new(), 100),
        clock,
        CommitterConfig::default(),
    )
    .unwrap();
    let first = Request {
        request_key: key(1),
        transfers: vec![Transfer::pending(1, CARD, MERCHANT, 100, EUR, PURCHASE, 30)],
        respond: Box::new(respond),
    };
    assert_eq!(c.submit(first).unwrap().wait().unwrap().response(), b"00");
    assert_eq!(
        c.submit(hold_request(2, 2, 100))
            .unwrap()
            .wait()
            .unwrap()
            .response(),
        b"51"
    );
    now.store(T0 + 30 * S, Ordering::SeqCst);
    // The expired hold is released in the same batch, before this request is decided.
    assert_eq!(
        c.submit(hold_request(3, 3, 100))
            .unwrap()
            .wait()
            .unwrap()
            .response(),
        b"00"
    );
    let ledger = c.shutdown().unwrap();
    assert_eq!(
        ledger.hold(1).unwrap().unwrap().status,
        ledger::HoldStatus::Expired
    );
    assert_eq!(balances(&ledger, CARD), (100, 0, 0, 100));
}

/// Drives a future on this thread: no runtime needed, because replies wake their waker.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        std::thread::park();
    }
}

#[test]
fn replies_can_be_awaited() {
    let (_, clock) = manual_clock();
    let c = Committer::spawn(
        bank(MemoryStorage::new(), 100),
        clock,
        CommitterConfig::default(),
    )
    .unwrap();
    let answers = block_on(async {
        let a = c.try_submit(hold_request(1, 1, 60)).unwrap();
        let b = c.try_submit(hold_request(2, 2, 60)).unwrap();
        (
            a.await.unwrap().response().to_vec(),
            b.await.unwrap().response().to_vec(),
        )
    });
    assert_eq!(answers, (b"00".to_vec(), b"51".to_vec()));
    let holds = block_on(
        c.with_ledger(|l, _| l.pending_holds(CARD, 10).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(holds.len(), 1);
}

#[test]
fn stopped_committer_refuses_work() {
    let (_, clock) = manual_clock();
    let c = Committer::spawn(
        bank(MemoryStorage::new(), 100),
        clock,
        CommitterConfig::default(),
    )
    .unwrap();
    let queued = c.try_submit(hold_request(1, 1, 10)).unwrap();
    let ledger = c.shutdown().unwrap();
    assert_eq!(
        queued.wait().unwrap().response(),
        b"00",
        "queued work is finished before shutdown"
    );
    assert_eq!(balances(&ledger, CARD), (10, 0, 0, 100));
}

const CRASH_ENV: &str = "LEDGER_COMMITTER_CRASH_DB";

/// Child process: answers 24 requests, prints each answer, queues 8 more, then dies.
fn crash_child(path: &str) -> ! {
    use std::io::Write;
    let ledger: Ledger<SqliteStorage> = bank(SqliteStorage::open(path).unwrap(), 10_000);
    let c = Committer::spawn(
        ledger,
        ledger::SystemClock,
        CommitterConfig {
            queue_max: 64,
            batch_max: 8,
        },
    )
    .unwrap();
    let replies: Vec<_> = (0..24u8)
        .map(|n| {
            (
                n,
                c.submit(hold_request(n, 1_000 + u128::from(n), 100))
                    .unwrap(),
            )
        })
        .collect();
    let mut out = std::io::stdout().lock();
    for (n, reply) in replies {
        let answer = reply.wait().unwrap();
        writeln!(
            out,
            "ANSWERED {n} {}",
            String::from_utf8_lossy(answer.response())
        )
        .unwrap();
    }
    out.flush().unwrap();
    for n in 24..32u8 {
        let _ = c.try_submit(hold_request(n, 1_000 + u128::from(n), 100));
    }
    std::process::abort();
}

#[test]
fn answered_decisions_survive_a_crash() {
    if let Ok(path) = std::env::var(CRASH_ENV) {
        crash_child(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("committer.db");
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "answered_decisions_survive_a_crash",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_ENV, &path)
        .output()
        .unwrap();
    assert!(!output.status.success(), "the child must die");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let answered: Vec<(u8, String)> = stdout
        .lines()
        // The test harness may print its own text before ours on the same line.
        .filter_map(|l| l.find("ANSWERED ").map(|at| &l[at + "ANSWERED ".len()..]))
        .filter_map(|l| l.split_once(' '))
        .map(|(n, r)| (n.parse().unwrap(), r.to_string()))
        .collect();
    assert_eq!(answered.len(), 24, "child output: {stdout}");

    let ledger = Ledger::new(
        SqliteStorage::open(&path).unwrap(),
        ledger::Limits::default(),
    )
    .unwrap();
    for (n, response) in &answered {
        let decision = ledger
            .decision(&key(*n))
            .unwrap()
            .expect("an answered decision is on disk");
        assert_eq!(String::from_utf8_lossy(&decision.response), *response);
        assert_eq!(decision.transfer_ids, vec![1_000 + u128::from(*n)]);
    }
    // The 8 unanswered ones may or may not have been committed, but never half.
    let mut holds = 0u64;
    for n in 0..32u8 {
        let decided = ledger.decision(&key(n)).unwrap().is_some();
        let held = ledger.transfer(1_000 + u128::from(n)).unwrap().is_some();
        assert_eq!(
            decided, held,
            "decision and hold of request {n} are committed together"
        );
        holds += u64::from(held);
    }
    assert_eq!(balances(&ledger, CARD), (holds * 100, 0, 0, 10_000));
    let report = ledger.audit().unwrap();
    assert!(report.is_clean(), "{:?}", report.violations);
    assert_eq!(report.holds_pending, holds);
}
