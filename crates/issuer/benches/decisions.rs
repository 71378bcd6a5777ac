//! Decisions per second: purchases decided and group-committed in batches, on SQLite (WAL,
//! fsync per commit) and in memory. Run: `cargo bench -p issuer --bench decisions`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use iso8583::{Message, Mti};
use issuer::{Config, Issuer, UnixTime};
use ledger::{Ledger, Limits, MemoryStorage, SqliteStorage, Storage};

const CONFIG: &str = r#"
institution_id = "476173"
bin_ranges = ["476173"]
[[card]]
name = "bench"
pan = "4761739001010010"
expiry = "3012"
currency = 978
opening_balance_minor = 1000000000000000
[[merchant]]
id = "MERCHANT0000001"
"#;

/// 2025-06-15T10:00:00Z.
const T0_S: u64 = 1_749_981_600;

/// The n-th purchase: a fresh identity every time (terminal changes when the STAN wraps).
fn purchase(n: u64) -> Vec<u8> {
    let spec = iso8583::specs::iso87_ascii_bbitmap();
    let stan = format!("{:06}", n % 1_000_000);
    let fields: [(usize, String); 15] = [
        (2, "4761739001010010".into()),
        (3, "000000".into()),
        (4, "000000000001".into()),
        (7, "0615100000".into()),
        (11, stan.clone()),
        (12, "100000".into()),
        (13, "0615".into()),
        (14, "3012".into()),
        (22, "012".into()),
        (25, "00".into()),
        (32, "1234".into()),
        (37, format!("516610{stan}")),
        (41, format!("T{:07}", n / 1_000_000)),
        (42, "MERCHANT0000001".into()),
        (49, "978".into()),
    ];
    let mut m = Message::new(Mti::parse("0200").unwrap_or(Mti::ZERO));
    for (f, v) in &fields {
        m.set_owned(*f, v.as_bytes()).unwrap();
    }
    spec.pack(&m).unwrap()
}

fn run<S: Storage>(c: &mut Criterion, name: &str, storage: S, batch: u64) {
    let issuer = Issuer::new(&Config::parse(CONFIG).unwrap());
    let mut ledger = Ledger::new(storage, Limits::default()).unwrap();
    let now = UnixTime::from_secs(T0_S);
    issuer.set_up(&mut ledger, now).unwrap();
    let mut next = 0u64;
    let mut group = c.benchmark_group("issuer");
    group.throughput(Throughput::Elements(batch));
    group.sample_size(20);
    group.bench_function(format!("{name}, {batch} purchases per commit"), |bench| {
        bench.iter_batched(
            || {
                let frames: Vec<Vec<u8>> = (next..next + batch).map(purchase).collect();
                next += batch;
                frames
            },
            |frames| {
                let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
                let answers = issuer.handle_batch(&mut ledger, &refs, now).unwrap();
                black_box(answers)
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    run(
        c,
        "SQLite",
        SqliteStorage::open(dir.path().join("a.db")).unwrap(),
        1,
    );
    run(
        c,
        "SQLite",
        SqliteStorage::open(dir.path().join("b.db")).unwrap(),
        64,
    );
    run(c, "memory", MemoryStorage::new(), 64);
}

criterion_group!(decisions, benches);
criterion_main!(decisions);
