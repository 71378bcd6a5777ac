//! `portal --listen IP:PORT [--seconds N]`: a captive portal, as the operator of a
//! suspended line runs one: whatever a client sends, it answers a plain HTTP redirect to
//! the operator's page and closes. Bounded: N seconds (default 120), 1000 clients.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use labtools::args;

const CLIENTS_MAX: u32 = 1000;
const ANSWER: &[u8] = b"HTTP/1.1 302 Found\r\nLocation: http://portal.posnet.test/suspended\r\n\
Content-Length: 0\r\nConnection: close\r\n\r\n";

fn main() -> ExitCode {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let Some(addr) = args::value(&a, "--listen").and_then(|v| v.parse::<SocketAddr>().ok()) else {
        eprintln!("usage: portal --listen IP:PORT [--seconds N]");
        return ExitCode::from(2);
    };
    let seconds = match args::number(&a, "--seconds", 120) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("portal: {e}");
            return ExitCode::from(2);
        }
    };
    let l = match TcpListener::bind(addr).and_then(|l| l.set_nonblocking(true).map(|()| l)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("portal: {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut served = 0;
    while Instant::now() < end && served < CLIENTS_MAX {
        match l.accept() {
            Ok((mut s, _)) => {
                served += 1;
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf);
                let _ = s.write_all(ANSWER);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => {
                eprintln!("portal: accept: {e}");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    ExitCode::SUCCESS
}
