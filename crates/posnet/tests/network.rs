//! The network as a user runs it: real `posnet` processes on loopback with their own
//! certificates, exact response codes, balances to the minor unit, a terminal killed while
//! waiting for its answer, and the ledger audit at the end.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

fn posnet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posnet"))
}

fn run(args: &[&str]) -> Output {
    posnet().args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} failed");
}

/// A service process whose stderr lines arrive on a channel.
struct Service {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Service {
    fn start(args: &[&str]) -> Service {
        let mut child = posnet()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Service { child, lines }
    }

    /// Waits (at most 20 s) for a line containing `needle`.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("no line with {needle:?} within 20 s"),
            }
        }
    }

    fn stop(mut self) {
        signal(&self.child, "-INT");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "service ended with {status}");
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("posnet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn demo_day_comes_out_as_scripted() {
    // Every log line on, to prove no PIN reaches one.
    let out = Command::new(env!("CARGO_BIN_EXE_posnet"))
        .args(["demo", "--json"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let all = text(&out);
    assert!(
        !all.contains("918273"),
        "the wrong PIN typed in the demo leaked"
    );
    assert!(
        all.contains("zone PIN key generation 1 in use"),
        "no key change at sign-on: {all}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["as_scripted"], true);
    assert_eq!(doc["ledger"]["balanced"], true);
    assert_eq!(
        doc["ledger"]["holds_pending"], 0,
        "the pre-authorization was completed"
    );
    let codes: Vec<(&str, &str)> = doc["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["type"].as_str().unwrap(),
                t["response_code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("echo", "00"),
            ("purchase", "00"),
            ("purchase", "00"),
            ("purchase", "51"),
            ("purchase", "54"),
            ("purchase", "14"),
            ("purchase", "43"),
            ("purchase", "00"),
            ("purchase", "55"),
            ("purchase", "63"),
            ("preauth", "00"),
            ("completion", "00"),
            ("refund", "00"),
            ("purchase", "68"),
            ("reversal", "00"),
            ("balance", "00"),
            ("purchase", "00"),
            ("offline-advice", "00"),
            ("offline-advice", "00"),
            ("purchase", "05"),
            ("offline-advice", "00"),
            ("purchase", "00"),
            ("purchase", "05"),
            ("purchase", "00"),
            ("settlement", "00"),
        ]
    );
    let rows = doc["transactions"].as_array().unwrap();
    let entry_modes: Vec<&str> = rows
        .iter()
        .filter_map(|t| t["entry_mode"].as_str())
        .collect();
    assert_eq!(entry_modes.iter().filter(|m| **m == "chip").count(), 8);
    // The online chip purchase: the issuer verified the ARQC and the card the ARPC.
    assert_eq!(rows[16]["step"], "chip online (ARQC/ARPC)");
    assert_eq!(rows[16]["arqc_verified"], true);
    assert_eq!(rows[16]["tvr"].as_str().unwrap().len(), 10);
    // Offline decline: nothing went online, so no ARPC.
    assert_eq!(rows[19]["arqc_verified"], false);
    // The host approved, the card never confirmed: reversed, not approved.
    assert_eq!(rows[21]["step"], "chip approval reversed");
    assert_eq!(rows[21]["approved"], false);
    assert_eq!(rows[21]["arqc_verified"], false);
    // The issuer's scripts: a 72 APPLICATION BLOCK with a 05 (the card is blocked for the
    // next insert), and a 71 one with a 00 that the card declines, reversed.
    assert_eq!(rows[22]["step"], "chip issuer script block");
    assert_eq!(rows[22]["arqc_verified"], true);
    assert!(
        rows[22]["detail"]
            .as_str()
            .unwrap()
            .contains("script results 20"),
        "{}",
        rows[22]["detail"]
    );
    assert_eq!(rows[23]["step"], "chip card AAC after approval");
    assert_eq!(rows[23]["approved"], false);
    assert_eq!(rows[23]["arqc_verified"], true);
    let balance = &doc["transactions"][15]["detail"];
    assert_eq!(
        balance, "available Some(90266), expected 90266",
        "1000.00 - 25.00 - 12.34 - 65.00 + 5.00"
    );
}

fn terminal(config: &Path, args: &[&str]) -> Output {
    let mut all = vec!["terminal", "--config", config.to_str().unwrap()];
    all.extend_from_slice(args);
    run(&all)
}

fn balance_of(config: &Path, card: &str) -> i64 {
    let out = terminal(config, &["--json", "balance", "--card", card]);
    assert!(out.status.success(), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["response_code"], "00");
    v["balance_minor"].as_i64().unwrap()
}

#[test]
fn separate_processes_and_a_terminal_killed_mid_transaction() {
    let dir = temp_dir("net");
    let (issuer_port, gateway_port) = (free_port(), free_port());
    let data = dir.to_str().unwrap();
    // `posnet up` makes the data folder (CA, certificates, configs, accounts) and runs both.
    let up = Service::start(&[
        "up",
        "--data",
        data,
        "--issuer-port",
        &issuer_port.to_string(),
        "--gateway-port",
        &gateway_port.to_string(),
    ]);
    up.wait_for("gateway serving terminals");
    let t1 = dir.join("terminal-TERM0001.toml");
    let out = terminal(&t1, &["pay", "12.50", "--card", "alice"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("APPROVED 00 Approved"), "{shown}");
    assert!(
        shown.contains("476173******0010") && !shown.contains("4761739001010010"),
        "{shown}"
    );
    assert!(
        shown.contains("EUR 12.50"),
        "the receipt shows the amount: {shown}"
    );

    // PINs through the PIN pad, the gateway's HSM and the issuer's: right, wrong, and the
    // tries limit (3), after which even the right PIN is 75.
    let with_pin = |pin: &str| {
        let mut child = posnet()
            .args(["terminal", "--config", t1.to_str().unwrap(), "--json"])
            .args(["pay", "1.00", "--card", "erin", "--pin-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(child.stdin.take().unwrap(), "{pin}").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            !text(&out).contains(pin),
            "the PIN was shown: {}",
            text(&out)
        );
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
        v["response_code"].as_str().unwrap().to_string()
    };
    assert_eq!(with_pin("1234"), "00");
    assert_eq!(with_pin("864209"), "55");
    assert_eq!(with_pin("1234"), "00", "a right PIN clears the count");
    assert_eq!(with_pin("864209"), "55");
    assert_eq!(with_pin("864209"), "55");
    assert_eq!(with_pin("864209"), "75");
    assert_eq!(with_pin("1234"), "75");
    // TERM0002's PIN pad runs TDES DUKPT (10-byte KSN, retail MAC, format 0 in field 52).
    let t2 = dir.join("terminal-TERM0002.toml");
    let out = terminal(
        &t2,
        &["--json", "pay", "2.00", "--card", "alice", "--pin", "1234"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let wrong = terminal(
        &t2,
        &["--json", "pay", "2.00", "--card", "alice", "--pin", "5555"],
    );
    let v: Value = serde_json::from_slice(&wrong.stdout).unwrap();
    assert_eq!(v["response_code"], "55", "{}", text(&wrong));
    up.stop();

    // Nothing listens now: the terminal's message says which layer failed, from the doctor's
    // own checks, and points to `posnet doctor`.
    let down = terminal(&t1, &["--json", "pay", "1.00", "--card", "alice"]);
    assert_eq!(down.status.code(), Some(1), "{}", text(&down));
    let err = String::from_utf8_lossy(&down.stderr);
    assert!(
        err.contains("network: TCP") && err.contains("posnet doctor"),
        "{err}"
    );
    let v: Value = serde_json::from_slice(&down.stdout).unwrap();
    assert!(
        v["network_diagnosis"]
            .as_str()
            .is_some_and(|d| d.starts_with("network: TCP")),
        "{v}"
    );

    // The same folder, now as two processes.
    let issuer_cfg = dir.join("issuer.toml");
    let issuer = Service::start(&["issuer", "--config", issuer_cfg.to_str().unwrap()]);
    issuer.wait_for("listening on");
    let gateway = Service::start(&[
        "gateway",
        "--config",
        dir.join("gateway.toml").to_str().unwrap(),
    ]);
    gateway.wait_for("is up");

    assert_eq!(balance_of(&t1, "alice"), 100_000 - 1_250 - 200);
    let declined = terminal(&t1, &["pay", "50.00", "--card", "bob"]);
    assert_eq!(declined.status.code(), Some(1), "{}", text(&declined));
    assert!(
        text(&declined).contains("DECLINED 51 Insufficient funds"),
        "{}",
        text(&declined)
    );

    // Freeze the issuer, start a purchase, and kill the terminal once its request is on its
    // way (its journal records the request, fsynced, before sending it).
    let journal = dir.join("terminal-data/TERM0001/journal.bin");
    let before = std::fs::metadata(&journal).unwrap().len();
    signal(&issuer.child, "-STOP");
    let mut buyer = posnet()
        .args([
            "terminal",
            "--config",
            t1.to_str().unwrap(),
            "pay",
            "20.00",
            "--card",
            "alice",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&journal).unwrap().len() == before {
        assert!(
            Instant::now() < deadline,
            "the terminal never journaled its request"
        );
        assert!(
            buyer.try_wait().unwrap().is_none(),
            "the terminal ended before sending"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    buyer.kill().unwrap();
    buyer.wait().unwrap();
    // The issuer wakes up and approves the purchase nobody is waiting for.
    signal(&issuer.child, "-CONT");

    // A new terminal process finds the unanswered request and reverses it.
    let recovered = terminal(&t1, &["recover"]);
    assert!(recovered.status.success(), "{}", text(&recovered));
    assert!(
        text(&recovered).contains("reversals acknowledged 1, pending 0"),
        "{}",
        text(&recovered)
    );
    assert_eq!(
        balance_of(&t1, "alice"),
        100_000 - 1_250 - 200,
        "the killed purchase was reversed"
    );

    gateway.stop();
    issuer.stop();
    let audit = run(&[
        "issuer",
        "audit",
        "--config",
        issuer_cfg.to_str().unwrap(),
        "--json",
    ]);
    assert!(audit.status.success(), "{}", text(&audit));
    let audit: Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert_eq!(audit["balanced"], true, "{audit}");
    assert_eq!(audit["holds_pending"], 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
