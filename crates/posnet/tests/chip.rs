//! Chip payments through the real network: `posnet up` (issuer with the card TEST keys in its
//! HSM, gateway) in a child process, and `posnet terminal pay --chip PROFILE` with each
//! shipped card profile in the in-process reader. Each profile's expected result, exactly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

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

/// `posnet up`, killed when dropped.
struct Up {
    child: Child,
}

impl Drop for Up {
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

fn up(data: &std::path::Path) -> Up {
    let mut child = posnet()
        .args(["up", "--data", data.to_str().unwrap()])
        .args(["--issuer-port", &free_port().to_string()])
        .args(["--gateway-port", &free_port().to_string()])
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
            Ok(line) if line.contains("gateway serving terminals") => break,
            Ok(_) => {}
            Err(_) => panic!("posnet up did not start within 30 s"),
        }
    }
    // Keep draining so the child never blocks on a full pipe.
    std::thread::spawn(move || while rx.recv().is_ok() {});
    Up { child }
}

fn pay(config: &std::path::Path, args: &[&str]) -> (Value, Output) {
    let out = posnet()
        .args([
            "terminal",
            "--config",
            config.to_str().unwrap(),
            "--json",
            "pay",
        ])
        .args(args)
        .output()
        .unwrap();
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    (v, out)
}

/// TVR byte `byte` (1-based) as a number.
fn tvr_byte(v: &Value, byte: usize) -> u8 {
    let tvr = v["tvr"].as_str().unwrap();
    u8::from_str_radix(&tvr[(byte - 1) * 2..byte * 2], 16).unwrap()
}

#[test]
fn each_profile_through_gateway_and_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let _up = up(dir.path());
    let t = dir.path().join("terminal-TERM0001.toml");

    // online-debit (alice): online PIN through the PIN pad, ARQC verified by the issuer's
    // HSM, ARPC verified by the card.
    let (v, out) = pay(&t, &["25.00", "--chip", "online-debit", "--pin", "1234"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["entry_mode"], "chip");
    assert_eq!(v["response_code"], "00");
    assert_eq!(v["chip_result"], "ApprovedOnline");
    assert_eq!(v["arqc_verified"], true);
    assert_eq!(v["pan"], "476173******0010");
    // TVR byte 3 bit 3: online PIN entered; byte 5 bit 7 (issuer authentication failed) clear.
    assert_eq!(tvr_byte(&v, 3) & 0x04, 0x04);
    assert_eq!(tvr_byte(&v, 5) & 0x40, 0);

    // A wrong online PIN: the issuer answers 55 with an ARPC for 55; the card declines.
    let (v, out) = pay(&t, &["25.00", "--chip", "online-debit", "--pin", "8642"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(v["response_code"], "55");
    assert_eq!(v["chip_result"], "DeclinedOnline");
    assert_eq!(v["arqc_verified"], true);

    // offline-credit (erin) under the floor limit: TC offline, advice queued, nothing online.
    let (v, out) = pay(&t, &["10.00", "--chip", "offline-credit"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["chip_result"], "ApprovedOffline");
    assert_eq!(v["reversal"], "advice queued");
    assert_eq!(v["host_code"], Value::Null);
    assert_eq!(v["arqc_verified"], false);

    // offline-pin (bob): the card checks PIN 1234 itself (VERIFY), approves offline.
    let (v, out) = pay(&t, &["15.00", "--chip", "offline-pin", "--pin", "1234"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["chip_result"], "ApprovedOffline");
    assert_eq!(
        tvr_byte(&v, 3) & 0x80,
        0,
        "cardholder verification succeeded"
    );

    // expired (carol-expired): TVR expired application, online, the issuer answers 54.
    let (v, out) = pay(&t, &["15.00", "--chip", "expired"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(v["response_code"], "54");
    assert_eq!(tvr_byte(&v, 2) & 0x40, 0x40, "expired application");

    // blocked (dave-stolen): the application refuses selection; declined, nothing sent.
    let (v, out) = pay(&t, &["15.00", "--chip", "blocked"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(v["chip_result"], "Terminated");
    assert_eq!(v["host_code"], Value::Null);
    assert!(
        v["chip_reason"]
            .as_str()
            .unwrap()
            .contains("no mutually supported application"),
        "{v}"
    );

    // tampered-cert (alice, PSN 02): DDA fails (TVR byte 1 bit 4), so it goes online, where
    // the issuer still verifies the ARQC (the card keys are sound, only the certificate is
    // spoiled) and approves.
    let (v, out) = pay(&t, &["25.00", "--chip", "tampered-cert"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(tvr_byte(&v, 1) & 0x08, 0x08, "DDA failed");
    assert_eq!(v["chip_result"], "ApprovedOnline");
    assert_eq!(v["arqc_verified"], true);

    // Without the pcsc feature, --reader says how to get it (exit 2, no transaction).
    if !cfg!(feature = "pcsc") {
        let out = posnet()
            .args(["terminal", "--config", t.to_str().unwrap()])
            .args(["pay", "1.00", "--reader", "Virtual PCD 00 00"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("--features pcsc"), "{}", text(&out));
    }

    // Alice's stripe, service code 201 (a chip card): swiped, the terminal asks for the
    // chip and sends nothing; with --fallback (the chip failed) it goes online as 801.
    let mut toml = std::fs::read_to_string(&t).unwrap();
    toml.push_str(
        "\n[[card]]\nname = \"alice-stripe\"\npan = \"4761739001010010\"\nexpiry = \"3012\"\n\
         track2 = \"4761739001010010=30122011000000000000\"\n",
    );
    std::fs::write(&t, toml).unwrap();
    let out = posnet()
        .args(["terminal", "--config", t.to_str().unwrap(), "--json"])
        .args(["pay", "12.00", "--card", "alice-stripe"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("insert it"), "{}", text(&out));
    assert!(out.stdout.is_empty(), "no transaction: {}", text(&out));
    let (v, out) = pay(&t, &["12.00", "--card", "alice-stripe", "--fallback"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["entry_mode"], "fallback");
    assert_eq!(v["response_code"], "00");
    // A stripe-only card cannot fall back.
    let out = posnet()
        .args(["terminal", "--config", t.to_str().unwrap()])
        .args(["pay", "1.00", "--card", "alice", "--fallback"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("has no chip"), "{}", text(&out));
}
