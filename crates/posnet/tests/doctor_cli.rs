//! `posnet doctor` against a real `posnet up` on loopback: `ok` with path figures while the
//! network runs, `gateway_down` (exit 1) once it is stopped, and the same in Chinese.

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

/// `posnet up`, its stderr lines on a channel.
struct Up {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Up {
    fn start(data: &Path, gateway_port: u16, issuer_port: u16) -> Up {
        let mut child = posnet()
            .args(["up", "--data", data.to_str().unwrap()])
            .args(["--gateway-port", &gateway_port.to_string()])
            .args(["--issuer-port", &issuer_port.to_string()])
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
        Up { child, lines }
    }

    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return,
                Ok(_) => {}
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
        assert!(ok, "kill -INT failed");
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

fn doctor(config: &Path, extra: &[&str]) -> Output {
    posnet()
        .args(["doctor", "--config", config.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name:?} in {report}"))
}

#[test]
fn healthy_network_is_ok_with_path_figures_and_a_stopped_gateway_is_down() {
    let dir = temp_dir("doctor");
    let (gateway_port, issuer_port) = (free_port(), free_port());
    let up = Up::start(&dir, gateway_port, issuer_port);
    up.wait_for("gateway serving terminals");
    let config = dir.join("terminal-TERM0001.toml");
    let gateway = format!("127.0.0.1:{gateway_port}");

    let out = doctor(&config, &["--count", "5", "--json"]);
    let report = json(&out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(report["verdict"]["cause"], "ok", "{report}");
    for name in ["tcp primary", "tls", "echo 0800", "path"] {
        assert_eq!(check(&report, name)["status"], "pass", "{name}: {report}");
    }
    // Five echoes over the terminal's own mutual-TLS link, every one answered.
    let samples = report["facts"]["path"]["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 5, "{report}");
    for s in samples {
        assert!(s["rtt_ms"].as_u64().is_some(), "lost echo: {report}");
        assert_eq!(s["reconnected"], false, "{report}");
    }
    assert_eq!(report["facts"]["app"]["echo"]["response_code"], "00");
    assert_eq!(report["facts"]["tcp"][0]["endpoint"], gateway.as_str());
    let path = check(&report, "path")["detail"].as_str().unwrap();
    assert!(
        path.contains("answered: 5/5") && path.contains("p95") && path.contains("loss 0.0%"),
        "{path}"
    );

    // The text report: verdict first, then the evidence; Chinese with --lang zh.
    let out = doctor(&config, &["--count", "3", "--lang", "zh"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(shown.starts_with("诊断结果"), "{shown}");
    assert!(
        shown.contains("网络正常") && shown.contains("[ok / all]"),
        "{shown}"
    );

    up.stop();

    let out = doctor(&config, &["--count", "5", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["verdict"]["cause"], "gateway_down", "{report}");
    assert_eq!(report["verdict"]["layer"], "tcp", "{report}");
    let summary = report["verdict"]["summary"].as_str().unwrap();
    assert!(summary.contains(&gateway), "{summary}");
    assert_eq!(check(&report, "tcp primary")["status"], "fail", "{report}");
    assert!(report["facts"]["path"].is_null(), "{report}");

    let out = doctor(&config, &["--lang", "zh"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    let first = shown.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("诊断结果") && first.contains("[gateway_down / tcp]"),
        "{shown}"
    );
    assert!(
        !first.contains("The payment gateway"),
        "English in the Chinese verdict: {first}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn flags_without_a_gateway_are_a_usage_error_and_help_has_examples() {
    let out = posnet().args(["doctor", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--host"), "{}", text(&out));

    let out = posnet().args(["doctor", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Examples:") && help.contains("posnet doctor --config"),
        "{help}"
    );

    let out = posnet()
        .args([
            "doctor",
            "--host",
            "127.0.0.1",
            "--port",
            "9",
            "--lang",
            "fr",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("unknown language \"fr\""),
        "{}",
        text(&out)
    );
}

#[test]
fn from_the_root_namespace_only_loopback_unless_real_network_is_given() {
    // The refusal is the root namespace's rule; inside a lab namespace it does not apply.
    if doctor::probe::guard::namespace_permit().is_ok() {
        return;
    }
    let out = posnet()
        .args(["doctor", "--host", "198.18.3.20", "--port", "5000"])
        .args(["--timeout-ms", "200", "--count", "1"])
        .env_remove("POSNET_REAL_NETWORK")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to send a probe to 198.18.3.20")
            && err.contains("--real-network")
            && err.contains("root network namespace"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "probed anyway: {}", text(&out));

    // With the switch the doctor runs from the root namespace (kept on loopback here: a
    // closed port, so the verdict is the gateway being down, not a refusal).
    let port = free_port();
    for (flag, env) in [(true, None), (false, Some("1"))] {
        let mut cmd = posnet();
        cmd.args(["doctor", "--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--timeout-ms", "500", "--json"])
            .env_remove("POSNET_REAL_NETWORK");
        if flag {
            cmd.arg("--real-network");
        }
        if let Some(v) = env {
            cmd.env("POSNET_REAL_NETWORK", v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert_eq!(
            json(&out)["verdict"]["cause"],
            "gateway_down",
            "{}",
            text(&out)
        );
    }
    let out = posnet().args(["doctor", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--real-network"));
}

#[test]
fn watch_prints_a_timestamped_line_per_change_until_its_count() {
    let dir = temp_dir("doctor-watch");
    let (gateway_port, issuer_port) = (free_port(), free_port());
    let up = Up::start(&dir, gateway_port, issuer_port);
    up.wait_for("gateway serving terminals");
    let config = dir.join("terminal-TERM0001.toml");
    let mut child = posnet()
        .args(["doctor", "--config", config.to_str().unwrap()])
        .args(["--watch", "--watch-count", "10", "--interval-ms", "200"])
        .args(["--count", "2", "--timeout-ms", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = lines.recv_timeout(Duration::from_secs(30)).unwrap();
    // 2026-11-24T21:40:00Z [ok / all] The network is fine: …
    let (time, rest) = first.split_once(' ').unwrap();
    assert!(
        time.len() == 20 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
        "{first}"
    );
    assert!(rest.starts_with("[ok / all] "), "{first}");
    // A healthy network measured again is no news: nothing more while it runs.
    assert!(
        lines.recv_timeout(Duration::from_millis(1500)).is_err(),
        "a line without a change"
    );

    up.stop();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "watch did not stop after its count"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let rest: Vec<String> = lines.try_iter().collect();
    // The change is reported once (a measurement caught mid-shutdown may add one line).
    assert!(!rest.is_empty() && rest.len() <= 2, "{rest:?}");
    let last = rest.last().unwrap();
    assert!(last.contains(" [gateway_down / tcp] "), "{rest:?}");
    assert!(
        last.contains(&format!("127.0.0.1:{gateway_port}")),
        "{last}"
    );
    // The exit code is the last verdict's.
    assert_eq!(status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}
