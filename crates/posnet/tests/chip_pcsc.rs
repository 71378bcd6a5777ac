//! A chip payment across the real PC/SC stack: pcscd with vsmartcard's vpcd driver, the
//! virtual card plugged in by `posnet card insert` (a child process), `posnet terminal pay
//! --reader "Virtual PCD 00 00"` talking to it through pcscd exactly as to a USB reader, and
//! `posnet up`'s gateway and issuer behind. Needs a build with `--features pcsc` and the
//! Debian packages pcscd, vsmartcard-vpcd and libpcsclite-dev; starts pcscd itself (or uses
//! a running one) and fails, not skips, when it cannot.
#![cfg(feature = "pcsc")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const READER: &str = "Virtual PCD 00 00";
/// vpcd's socket for READER.
const VPCD: &str = "127.0.0.1:35963";

fn posnet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posnet"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A child process killed on drop: only the ones this test started.
struct Kid(Option<Child>);

impl Drop for Kid {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            // SIGTERM first so pcscd removes its socket; SIGKILL if it lingers.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start_pcscd() -> Kid {
    let already = std::path::Path::new("/run/pcscd/pcscd.comm").exists()
        && Command::new("pgrep")
            .args(["-x", "pcscd"])
            .status()
            .is_ok_and(|s| s.success());
    if already {
        return Kid(None);
    }
    let child = Command::new("pcscd")
        .args(["--foreground"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pcscd must be installed (apt-get install pcscd vsmartcard-vpcd libpcsclite-dev)");
    Kid(Some(child))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `args` and waits (at most 30 s) for a stderr line with `needle`.
fn start_until(args: &[&str], needle: &str) -> Kid {
    let mut child = posnet()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(needle) => break,
            Ok(_) => {}
            Err(_) => panic!("{args:?}: no line with {needle:?} within 30 s"),
        }
    }
    std::thread::spawn(move || while rx.recv().is_ok() {});
    Kid(Some(child))
}

#[test]
fn chip_payment_through_pcscd_vpcd_gateway_and_issuer() {
    let _pcscd = start_pcscd();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let _up = start_until(
        &[
            "up",
            "--data",
            &data,
            "--issuer-port",
            &free_port().to_string(),
            "--gateway-port",
            &free_port().to_string(),
        ],
        "gateway serving terminals",
    );
    let config = dir.path().join("terminal-TERM0001.toml");
    // Every shipped profile, plugged in through vpcd in turn: what the in-process reader
    // gives (tests/chip.rs) must come out of the real PC/SC stack too.
    // (profile, amount, PIN, chip result, response code)
    let cases: [(&str, &str, Option<&str>, &str, &str); 6] = [
        (
            "online-debit",
            "25.00",
            Some("1234"),
            "ApprovedOnline",
            "00",
        ),
        ("offline-credit", "10.00", None, "ApprovedOffline", "00"),
        (
            "offline-pin",
            "15.00",
            Some("1234"),
            "ApprovedOffline",
            "00",
        ),
        ("expired", "15.00", None, "DeclinedOnline", "54"),
        ("blocked", "15.00", None, "Terminated", "--"),
        ("tampered-cert", "25.00", None, "ApprovedOnline", "00"),
    ];
    for (profile, amount, pin, chip_result, code) in cases {
        let card = start_until(
            &["card", "insert", "--profile", profile, "--vpcd", VPCD],
            "inserted",
        );
        let v = pay_through_reader(&config, amount, pin);
        assert_eq!(v["entry_mode"], "chip", "{profile}: {v}");
        assert_eq!(v["chip_result"], chip_result, "{profile}: {v}");
        if code == "--" {
            assert_eq!(
                v["host_code"],
                Value::Null,
                "{profile}: nothing goes online"
            );
        } else {
            assert_eq!(v["response_code"], code, "{profile}: {v}");
        }
        // Whatever the issuer answered, its ARPC reached the card and passed.
        let online = chip_result.ends_with("Online");
        assert_eq!(v["arqc_verified"], online, "{profile}: {v}");
        if profile == "online-debit" {
            assert_eq!(v["pan"], "476173******0010");
        }
        // Unplugging: the next profile's card is a new card in the same reader, once pcscd
        // has seen this one leave.
        drop(card);
        wait_for_empty_reader(&config);
    }
}

/// Waits (at most 20 s) until a payment through READER finds no card in it.
fn wait_for_empty_reader(config: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = posnet()
            .args(["terminal", "--config", config.to_str().unwrap(), "--json"])
            .args(["pay", "1.00", "--reader", READER])
            .output()
            .unwrap();
        if text(&out).contains("no card in reader") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pcscd still sees a card in {READER} 20 s after it was unplugged: {}",
            text(&out)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Pays `amount` through READER, retrying while pcscd has not seen the card yet (it notices
/// a moment after vpcd connects, and a removal likewise).
fn pay_through_reader(config: &std::path::Path, amount: &str, pin: Option<&str>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut cmd = posnet();
        cmd.args(["terminal", "--config", config.to_str().unwrap(), "--json"])
            .args(["pay", amount, "--reader", READER]);
        if let Some(pin) = pin {
            cmd.args(["--pin", pin]);
        }
        let out = cmd.output().unwrap();
        // The previous card's removal or this one's arrival not yet seen by pcscd: again.
        // No case here pulls a card, so these reasons are never an expected result.
        if let Ok(v) = serde_json::from_slice::<Value>(&out.stdout) {
            let reason = v["chip_reason"].as_str().unwrap_or_default();
            let not_ready =
                reason.contains("card removed from reader") || reason.contains("no card in reader");
            if v["entry_mode"] == "chip" && !not_ready {
                return v;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no chip transaction through {READER} within 20 s: {}",
            text(&out)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}
