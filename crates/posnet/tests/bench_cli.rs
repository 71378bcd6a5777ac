//! `posnet bench` against a real `posnet up` with bench cards and terminals on loopback: every
//! transaction answered and approved, quantiles in order, STANs carried between runs, and the
//! ledger audit balanced afterwards. No timing is asserted (speed belongs in BENCHMARKS.md).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `posnet up` in the background; its stderr lines arrive on a channel.
struct Up {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line read so far.
    seen: Vec<String>,
}

impl Up {
    fn start(data: &Path, bench_cards: u32, bench_terminals: u32) -> Up {
        let mut child = posnet()
            .args(["up", "--data"])
            .arg(data)
            .args([
                "--issuer-port",
                &free_port().to_string(),
                "--gateway-port",
                &free_port().to_string(),
                "--bench-cards",
                &bench_cards.to_string(),
                "--bench-terminals",
                &bench_terminals.to_string(),
            ])
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
        let mut up = Up {
            child,
            lines,
            seen: Vec::new(),
        };
        up.wait_for("gateway serving terminals");
        up
    }

    fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => panic!("no line with {needle:?} within 30 s"),
            }
        }
    }

    fn stop(mut self) {
        let ok = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "posnet up ended with {status}");
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("posnet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn bench(data: &Path, args: &[&str]) -> Value {
    let out = posnet()
        .args(["bench", "--data"])
        .arg(data)
        .args(args)
        .args(["--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        out.stderr.is_empty(),
        "no progress bar when stderr is not a terminal: {}",
        text(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
}

fn all_approved(report: &Value) {
    let codes = report["response_codes"].as_object().unwrap();
    assert!(codes.contains_key("purchase"), "{report}");
    for (message, by_code) in codes {
        let by_code = by_code.as_object().unwrap();
        assert_eq!(
            by_code.keys().collect::<Vec<_>>(),
            ["00"],
            "{message}: {report}"
        );
    }
    assert_eq!(
        report["errors"]["by_kind"],
        serde_json::json!({}),
        "{report}"
    );
    assert_eq!(
        report["errors"]["by_response_code"],
        serde_json::json!({}),
        "{report}"
    );
}

#[test]
fn two_hundred_transactions_all_answered_and_the_ledger_balances() {
    let dir = temp_dir("bench");
    let up = Up::start(&dir, 8, 2);
    assert!(
        !up.seen.iter().any(|l| l.contains("bench cards")),
        "a new folder gets its bench cards: {:?}",
        up.seen
    );
    let bench_terminals = std::fs::read_to_string(dir.join("gateway.toml")).unwrap();
    assert!(bench_terminals.contains("id = \"BENCH002\""));
    let issuer_toml = std::fs::read_to_string(dir.join("issuer.toml")).unwrap();
    // Bench card 1: 4761738, 00000001 and its Luhn check digit 4.
    assert!(
        issuer_toml.contains("pan = \"4761738000000014\""),
        "{issuer_toml}"
    );

    let report = bench(&dir, &["--count", "200", "--terminals", "2"]);
    assert_eq!(report["transactions"], 200, "{report}");
    let requests = report["requests"].as_u64().unwrap();
    // A reversal transaction is a purchase and its 0400.
    assert!(requests >= 200, "{report}");
    assert_eq!(report["answered"].as_u64(), Some(requests), "{report}");
    assert!(report["response_codes"]["purchase"]["00"].as_u64().unwrap() > 0);
    all_approved(&report);
    // Each terminal closed its batch with a 0500 whose totals the gateway agreed with.
    assert_eq!(
        report["settlements"],
        serde_json::json!({"00": 2}),
        "{report}"
    );
    let l = &report["latency_ms"];
    let q = |k: &str| l[k].as_f64().unwrap();
    assert!(q("p50") > 0.0, "{report}");
    assert!(q("p50") <= q("p90") && q("p90") <= q("p99"), "{report}");
    assert!(q("p99") <= q("p99_9") && q("p99_9") <= q("max"), "{report}");

    // A second run goes on from the saved STANs: no 94 (STAN used today) from the issuer.
    let stans: u64 = std::fs::read_to_string(dir.join("bench-data/BENCH001.stan"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(stans >= 1, "BENCH001 used {stans} STANs");
    let again = bench(
        &dir,
        &[
            "--count",
            "20",
            "--terminals",
            "2",
            "--in-flight",
            "2",
            "--mix",
            "purchase=1,refund=1",
        ],
    );
    assert_eq!(again["answered"], 20, "{again}");
    all_approved(&again);

    // --ceiling: the same plan through a bare TLS echo server first, then the real run.
    let with_ceiling = bench(&dir, &["--count", "30", "--terminals", "2", "--ceiling"]);
    all_approved(&with_ceiling);
    let ceiling = &with_ceiling["ceiling"];
    assert_eq!(ceiling["answered"], 30, "{with_ceiling}");
    assert_eq!(ceiling["errors"]["by_kind"], serde_json::json!({}));
    let c = |k: &str| ceiling["latency_ms"][k].as_f64().unwrap();
    assert!(
        c("p50") <= c("p99") && c("p99") <= c("max"),
        "{with_ceiling}"
    );
    let ratio = with_ceiling["ceiling_ratio"].as_f64().unwrap();
    let expected = with_ceiling["throughput_per_s"].as_f64().unwrap()
        / ceiling["throughput_per_s"].as_f64().unwrap();
    assert!(
        ratio > 0.0 && (ratio - expected).abs() < 1e-9,
        "{with_ceiling}"
    );
    up.stop();

    let audit = posnet()
        .args(["issuer", "audit", "--config"])
        .arg(dir.join("issuer.toml"))
        .arg("--json")
        .output()
        .unwrap();
    assert!(audit.status.success(), "{}", text(&audit));
    let audit: Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert_eq!(audit["balanced"], true, "{audit}");
    assert_eq!(audit["holds_pending"], 0, "{audit}");
    assert_eq!(audit["violations"], serde_json::json!([]), "{audit}");

    // The folder's issuer.toml is kept: asking for more bench cards now only warns.
    let again = Up::start(&dir, 9, 2);
    assert!(
        again
            .seen
            .iter()
            .any(|l| l.contains("without 9 bench cards")),
        "{:?}",
        again.seen
    );
    again.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_mix_is_refused_before_connecting() {
    let out = posnet()
        .args([
            "bench",
            "--gateway",
            "127.0.0.1:1",
            "--ca",
            "x",
            "--cert-dir",
            "y",
        ])
        .args(["--mix", "sale=5", "--count", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("unknown kind \"sale\""),
        "{}",
        text(&out)
    );
}
