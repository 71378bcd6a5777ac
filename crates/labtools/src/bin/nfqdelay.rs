//! `nfqdelay --queue N --delay-ms D [--jitter-ms J] [--seconds S]`: holds every packet of
//! netfilter queue N for D ms plus up to J ms, in arrival order, then lets it go: delay and
//! jitter on a path, for kernels without netem. Bounded: S seconds (default 60, at most
//! 600), at most 10000 packets held (beyond that a packet goes at once).

use std::collections::VecDeque;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use labtools::args;
use nfq::{Queue, Verdict};

const HELD_MAX: usize = 10_000;
const SECONDS_MAX: u64 = 600;

/// xorshift64: jitter needs no more than a cheap, varied sequence.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn run(a: &[String]) -> Result<(), String> {
    let queue_num = u16::try_from(args::number(a, "--queue", 0)?)
        .map_err(|_| "--queue must be 0..=65535".to_string())?;
    let delay_ms = args::number(a, "--delay-ms", 500)?;
    let jitter_ms = args::number(a, "--jitter-ms", 0)?;
    let seconds = args::number(a, "--seconds", 60)?.min(SECONDS_MAX);
    let mut q = Queue::open().map_err(|e| format!("netfilter queue: {e}"))?;
    q.bind(queue_num)
        .map_err(|e| format!("bind queue {queue_num}: {e}"))?;
    q.set_nonblocking(true);
    eprintln!("nfqdelay: queue {queue_num} bound, delay {delay_ms} ms + up to {jitter_ms} ms");
    let mut rng = u64::from(std::process::id()) | 1;
    let mut held: VecDeque<(Instant, nfq::Message)> = VecDeque::new();
    let started = Instant::now();
    let end = Duration::from_secs(seconds);
    while started.elapsed() < end {
        let now = Instant::now();
        while held.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, mut msg)) = held.pop_front() {
                msg.set_verdict(Verdict::Accept);
                q.verdict(msg).map_err(|e| format!("verdict: {e}"))?;
            }
        }
        match q.recv() {
            Ok(mut msg) => {
                if held.len() >= HELD_MAX {
                    msg.set_verdict(Verdict::Accept);
                    q.verdict(msg).map_err(|e| format!("verdict: {e}"))?;
                    continue;
                }
                let extra = if jitter_ms > 0 {
                    next(&mut rng) % (jitter_ms + 1)
                } else {
                    0
                };
                let due = now + Duration::from_millis(delay_ms + extra);
                // Keep arrival order: a packet never overtakes the one before it.
                let due = held.back().map_or(due, |(last, _)| due.max(*last));
                held.push_back((due, msg));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(format!("receive: {e}")),
        }
    }
    for (_, mut msg) in held {
        msg.set_verdict(Verdict::Accept);
        let _ = q.verdict(msg);
    }
    Ok(())
}

fn main() -> ExitCode {
    let a: Vec<String> = std::env::args().skip(1).collect();
    match run(&a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nfqdelay: {e}");
            ExitCode::FAILURE
        }
    }
}
