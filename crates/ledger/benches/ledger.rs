//! Group-committed decisions per second on SQLite (WAL, synchronous=FULL) in a temp dir.
//!
//! `sqlite_batch/N`: one batch of N decisions (each a 1-unit hold on a funded card) and one
//! commit, straight on the ledger. `committer/N`: N requests queued to a `Committer` with
//! `batch_max = N`, then all answers awaited (the committer may cut smaller batches).
//! Throughput is in decisions (elements) per second.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ledger::{
    Account, AccountFlags, Committer, CommitterConfig, Ledger, Limits, Request, SqliteStorage,
    Transfer,
};

const EUR: u32 = 978;
const FUNDING: u128 = 1;
const CARD: u128 = 2;
const MERCHANT: u128 = 3;
const T0: u64 = 1_704_067_200_000_000_000;

fn funded_ledger(path: &std::path::Path) -> Ledger<SqliteStorage> {
    let mut ledger = Ledger::new(SqliteStorage::open(path).unwrap(), Limits::default()).unwrap();
    let mut batch = ledger.begin(T0).unwrap();
    batch
        .create_accounts(&[
            Account::new(FUNDING, EUR, 1, AccountFlags::NONE),
            Account::new(CARD, EUR, 10, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS),
            Account::new(MERCHANT, EUR, 2, AccountFlags::NONE),
        ])
        .unwrap()
        .unwrap();
    batch
        .try_apply(&[Transfer::single(1, FUNDING, CARD, 1 << 50, EUR, 9)])
        .unwrap()
        .unwrap();
    batch.commit().unwrap();
    ledger
}

fn key(n: u128) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..16].copy_from_slice(&n.to_be_bytes());
    k
}

fn respond(result: &Result<ledger::Applied, ledger::TransferError>) -> Vec<u8> {
    if result.is_ok() {
        b"00".to_vec()
    } else {
        b"51".to_vec()
    }
}

fn sqlite_batch(c: &mut Criterion) {
    let mut group = c.benchmark_group("sqlite_batch");
    for n in [1u64, 16, 256] {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = funded_ledger(&dir.path().join("bench.db"));
        let mut next_id = 1_000u128;
        let mut now_ns = T0;
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                now_ns += 1;
                let mut batch = ledger.begin(now_ns).unwrap();
                for _ in 0..n {
                    next_id += 1;
                    let hold = [Transfer::pending(next_id, CARD, MERCHANT, 1, EUR, 1, 600)];
                    black_box(batch.decide(key(next_id), &hold, respond).unwrap());
                }
                batch.commit().unwrap()
            })
        });
    }
    group.finish();
}

fn committer(c: &mut Criterion) {
    let mut group = c.benchmark_group("committer");
    for n in [1u64, 16, 256] {
        let dir = tempfile::tempdir().unwrap();
        let ledger = funded_ledger(&dir.path().join("bench.db"));
        let config = CommitterConfig {
            queue_max: 1024,
            batch_max: n as usize,
        };
        let mut now_ns = T0;
        let committer = Committer::spawn(
            ledger,
            move || {
                now_ns += 1;
                now_ns
            },
            config,
        )
        .unwrap();
        let mut next_id = 1_000u128;
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                let replies: Vec<_> = (0..n)
                    .map(|_| {
                        next_id += 1;
                        committer
                            .submit(Request {
                                request_key: key(next_id),
                                transfers: vec![Transfer::pending(
                                    next_id, CARD, MERCHANT, 1, EUR, 1, 600,
                                )],
                                respond: Box::new(respond),
                            })
                            .unwrap()
                    })
                    .collect();
                for reply in replies {
                    black_box(reply.wait().unwrap());
                }
            })
        });
        let stats = committer.stats();
        eprintln!(
            "committer/{n}: {} decisions in {} commits",
            stats.decisions, stats.batches
        );
    }
    group.finish();
}

criterion_group!(benches, sqlite_batch, committer);
criterion_main!(benches);
