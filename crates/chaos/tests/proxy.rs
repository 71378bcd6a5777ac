//! The proxy on loopback between a client and an echo server: each fault does what it says.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chaos::{Config, Cut, Direction, Fault, Plan, Rule, Stats};
use iso8583::frame::Framing;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// An upstream that echoes every byte back.
async fn echo_server() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut b = vec![0u8; 4096];
                while let Ok(n) = s.read(&mut b).await {
                    if n == 0 || s.write_all(&b[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

struct Proxy {
    addr: String,
    stats: Arc<Stats>,
    control: Arc<chaos::Control>,
    _stop: watch::Sender<bool>,
}

async fn proxy(rules: Vec<Rule>, seed: u64) -> Proxy {
    let upstream = echo_server().await;
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let stats = Arc::new(Stats::default());
    let (tx, rx) = watch::channel(false);
    let control = Arc::new(chaos::Control::default());
    let config = Config {
        upstream,
        cut: Cut::Frames(Framing::default()),
        plan: Plan { seed, rules },
        connect_timeout_ms: 2000,
        control: control.clone(),
    };
    tokio::spawn(chaos::run(l, config, stats.clone(), rx));
    Proxy {
        addr,
        stats,
        control,
        _stop: tx,
    }
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Framing::default().encode(None, payload, &mut out).unwrap();
    out
}

/// Reads until `want` bytes, EOF, an error, or 5 s (a bound, not an expectation).
async fn read_up_to(s: &mut TcpStream, want: usize) -> std::io::Result<Vec<u8>> {
    let mut got = Vec::new();
    let mut b = vec![0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < want {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut b)).await {
            Err(_) => break,
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&b[..n]),
            Ok(Err(e)) => return Err(e),
        }
    }
    Ok(got)
}

const MSG: &[u8] =
    b"0800\x82\x20\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x0011241530450000013 01";

#[tokio::test]
async fn clean_passthrough_keeps_every_byte() {
    let p = proxy(vec![], 1).await;
    let mut c = TcpStream::connect(&p.addr).await.unwrap();
    let mut sent = Vec::new();
    for i in 0..100u8 {
        let f = frame(&[MSG, &[i]].concat());
        c.write_all(&f).await.unwrap();
        sent.extend_from_slice(&f);
    }
    assert_eq!(read_up_to(&mut c, sent.len()).await.unwrap(), sent);
    assert_eq!(p.stats.snapshot().frames, 200, "100 frames each way");
    assert_eq!(p.stats.snapshot().faults(), 0);
}

#[tokio::test]
async fn corruption_flips_one_message_byte_upstream_only() {
    let rule = Rule {
        direction: Direction::Upstream,
        ..Rule::always(Fault::Corrupt { probability: 1.0 })
    };
    let p = proxy(vec![rule], 2).await;
    let mut c = TcpStream::connect(&p.addr).await.unwrap();
    let f = frame(MSG);
    c.write_all(&f).await.unwrap();
    let back = read_up_to(&mut c, f.len()).await.unwrap();
    assert_eq!(back.len(), f.len());
    assert_eq!(back[..2], f[..2], "the length header is left alone");
    let diffs = back.iter().zip(&f).filter(|(a, b)| a != b).count();
    assert_eq!(diffs, 1);
    assert_eq!(p.stats.snapshot().corrupted, 1);
}

#[tokio::test]
async fn truncation_forwards_part_then_closes() {
    let p = proxy(vec![Rule::always(Fault::Truncate { probability: 1.0 })], 3).await;
    let mut c = TcpStream::connect(&p.addr).await.unwrap();
    let f = frame(MSG);
    c.write_all(&f).await.unwrap();
    let back = read_up_to(&mut c, f.len()).await.unwrap_or_default();
    assert!(back.len() < f.len(), "got {} of {}", back.len(), f.len());
    assert_eq!(back[..], f[..back.len()]);
    assert_eq!(p.stats.snapshot().truncated, 1);
}

#[tokio::test]
async fn reset_and_drop_end_the_connection() {
    let p = proxy(vec![Rule::always(Fault::Reset { probability: 1.0 })], 4).await;
    let mut c = TcpStream::connect(&p.addr).await.unwrap();
    c.write_all(&frame(MSG)).await.unwrap();
    let r = read_up_to(&mut c, 1).await;
    assert!(
        matches!(&r, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "expected a reset, got {r:?}"
    );
    assert_eq!(p.stats.snapshot().reset, 1);

    let p = proxy(vec![Rule::always(Fault::Drop { probability: 1.0 })], 4).await;
    let mut c = TcpStream::connect(&p.addr).await.unwrap();
    c.write_all(&frame(MSG)).await.unwrap();
    assert_eq!(
        read_up_to(&mut c, 1).await.unwrap(),
        Vec::<u8>::new(),
        "closed without an answer"
    );
    assert_eq!(p.stats.snapshot().dropped, 1);
}

#[tokio::test]
async fn blackhole_accepts_and_never_answers() {
    let p = proxy(vec![Rule::always(Fault::Blackhole)], 5).await;
    let mut c = TcpStream::connect(&p.addr).await.unwrap();
    c.write_all(&frame(MSG)).await.unwrap();
    let mut b = [0u8; 16];
    let waited = tokio::time::timeout(Duration::from_millis(300), c.read(&mut b)).await;
    assert!(waited.is_err(), "a blackhole must not answer: {waited:?}");
    assert_eq!(p.stats.snapshot().blackholed, 1);
    assert_eq!(p.stats.snapshot().frames, 0);
}

#[tokio::test]
async fn latency_partition_and_slow_reads_hold_traffic_back() {
    // Lower bounds only: the proxy must not deliver earlier than the fault allows.
    let p = proxy(
        vec![Rule::always(Fault::Latency {
            latency_ms: 150,
            jitter_ms: 0,
        })],
        6,
    )
    .await;
    let mut c = TcpStream::connect(&p.addr).await.unwrap();
    let f = frame(MSG);
    let t = Instant::now();
    c.write_all(&f).await.unwrap();
    assert_eq!(read_up_to(&mut c, f.len()).await.unwrap(), f);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "150 ms each way: {:?}",
        t.elapsed()
    );

    let partition = Rule {
        fault: Fault::Partition,
        direction: Direction::Both,
        from_ms: 0,
        to_ms: 400,
    };
    let p = proxy(vec![partition], 6).await;
    let t = Instant::now();
    let mut c = TcpStream::connect(&p.addr).await.unwrap();
    c.write_all(&f).await.unwrap();
    assert_eq!(
        read_up_to(&mut c, f.len()).await.unwrap(),
        f,
        "traffic resumes after the partition"
    );
    assert!(
        t.elapsed() >= Duration::from_millis(350),
        "{:?}",
        t.elapsed()
    );
    assert!(p.stats.snapshot().partitioned >= 1);

    let p = proxy(
        vec![Rule::always(Fault::SlowRead { bytes_per_s: 2_000 })],
        6,
    )
    .await;
    let mut c = TcpStream::connect(&p.addr).await.unwrap();
    let big = frame(&vec![b'7'; 400]);
    let t = Instant::now();
    c.write_all(&big).await.unwrap();
    c.write_all(&big).await.unwrap();
    assert_eq!(
        read_up_to(&mut c, 2 * big.len()).await.unwrap().len(),
        2 * big.len()
    );
    // The first frame's 402 bytes at 2,000 B/s hold the second back by about 200 ms.
    assert!(
        t.elapsed() >= Duration::from_millis(190),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn the_same_seed_corrupts_the_same_bytes() {
    /// Sends 50 frames one at a time, each after the previous echo came back, so both
    /// directions' decisions come in the same order on every run.
    async fn run(seed: u64) -> Vec<u8> {
        let p = proxy(
            vec![Rule::always(Fault::Corrupt { probability: 0.5 })],
            seed,
        )
        .await;
        let mut c = TcpStream::connect(&p.addr).await.unwrap();
        let mut received = Vec::new();
        for i in 0..50u8 {
            let f = frame(&[MSG, &[i]].concat());
            c.write_all(&f).await.unwrap();
            received.extend(read_up_to(&mut c, f.len()).await.unwrap());
        }
        assert!(p.stats.snapshot().corrupted > 10);
        received
    }
    let first = run(11).await;
    assert_eq!(first, run(11).await);
    assert_ne!(first, run(12).await);
}

#[tokio::test]
async fn swallowed_answers_are_lost_until_the_switch_is_off() {
    let p = proxy(vec![], 9).await;
    let mut c = TcpStream::connect(&p.addr).await.unwrap();
    p.control.swallow(Direction::Downstream, true);
    let first = frame(&[MSG, b"1"].concat());
    c.write_all(&first).await.unwrap();
    let mut b = [0u8; 64];
    let waited = tokio::time::timeout(Duration::from_millis(300), c.read(&mut b)).await;
    assert!(
        waited.is_err(),
        "the echo of the first frame must be lost: {waited:?}"
    );
    assert_eq!(p.stats.snapshot().swallowed, 1);
    p.control.swallow(Direction::Downstream, false);
    let second = frame(&[MSG, b"2"].concat());
    c.write_all(&second).await.unwrap();
    assert_eq!(
        read_up_to(&mut c, second.len()).await.unwrap(),
        second,
        "same connection, next answer"
    );
}
