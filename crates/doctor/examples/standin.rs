//! A stand-in gateway service for the network lab until posnet's gateway runs there: accepts
//! TCP connections on `--listen IP:PORT`, holds each open until the peer closes (or 30 s),
//! and exits after `--seconds` (default 600). Bounded: at most 1000 connections in its life.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const CONNECTIONS_MAX: u32 = 1000;
const HOLD_MS: u64 = 30_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut listen: Option<SocketAddr> = None;
    let mut seconds: u64 = 600;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--listen", Some(v)) => listen = v.parse().ok(),
            ("--seconds", Some(v)) => seconds = v.parse().unwrap_or(seconds),
            _ => {
                eprintln!("standin: usage: standin --listen IP:PORT [--seconds N]");
                return ExitCode::from(2);
            }
        }
    }
    let Some(addr) = listen else {
        eprintln!("standin: --listen IP:PORT is required");
        return ExitCode::from(2);
    };
    let l = match TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("standin: bind {addr}: {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = l.set_nonblocking(true) {
        eprintln!("standin: {e}");
        return ExitCode::from(1);
    }
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut accepted = 0u32;
    while Instant::now() < end && accepted < CONNECTIONS_MAX {
        match l.accept() {
            Ok((mut s, _)) => {
                accepted += 1;
                std::thread::spawn(move || {
                    let _ = s.set_nonblocking(false);
                    let _ = s.set_read_timeout(Some(Duration::from_millis(HOLD_MS)));
                    let mut buf = [0u8; 1024];
                    let until = Instant::now() + Duration::from_millis(HOLD_MS);
                    while Instant::now() < until {
                        match s.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                    }
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => {
                eprintln!("standin: accept: {e}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    ExitCode::SUCCESS
}
