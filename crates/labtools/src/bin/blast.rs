//! `blast --to IP:PORT --kbit N --seconds S`: a bulk UDP flow at a fixed rate (1000-byte
//! datagrams, paced every millisecond), the "large transfer" that fills a queue in the
//! congestion scenario. Bounded by S seconds (at most 60).

use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use labtools::args;

const DATAGRAM_BYTES: u64 = 1000;
const SECONDS_MAX: u64 = 60;

fn run(a: &[String]) -> Result<(), String> {
    let to: SocketAddr = args::value(a, "--to")
        .ok_or("--to IP:PORT is required")?
        .parse()
        .map_err(|e| format!("--to: {e}"))?;
    let kbit = args::number(a, "--kbit", 1000)?;
    let seconds = args::number(a, "--seconds", 5)?.min(SECONDS_MAX);
    let sock = UdpSocket::bind("0.0.0.0:0").map_err(|e| format!("bind: {e}"))?;
    let payload = vec![0x5a_u8; DATAGRAM_BYTES as usize];
    let bytes_per_s = kbit * 1000 / 8;
    let started = Instant::now();
    let end = Duration::from_secs(seconds);
    let mut sent_bytes: u64 = 0;
    while started.elapsed() < end {
        // Send what the rate allows so far, then wait a millisecond.
        let due = bytes_per_s * started.elapsed().as_millis() as u64 / 1000;
        while sent_bytes < due {
            // A full queue or an ICMP error from the sink is the point; keep going.
            let _ = sock.send_to(&payload, to);
            sent_bytes += DATAGRAM_BYTES;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

fn main() -> ExitCode {
    let a: Vec<String> = std::env::args().skip(1).collect();
    match run(&a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("blast: {e}");
            ExitCode::from(2)
        }
    }
}
