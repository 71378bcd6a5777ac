//! `posnet card` as a user runs it: the profile list, `show` with its CAPK, and `insert`
//! answering a stand-in vpcd (its 2-byte-length framing) until SIGINT, keeping its state file.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn posnet(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_posnet"))
        .args(args)
        .output()
        .unwrap()
}

fn frame(s: &mut TcpStream, payload: &[u8]) {
    let mut f = (payload.len() as u16).to_be_bytes().to_vec();
    f.extend_from_slice(payload);
    s.write_all(&f).unwrap();
}

fn answer(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap();
    let mut out = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut out).unwrap();
    out
}

fn h(s: &str) -> Vec<u8> {
    paysec::hex::decode(s.as_bytes()).unwrap()
}

/// Sends SIGINT (Ctrl-C) and waits, bounded, for the exit status.
fn interrupt(child: &mut Child) -> std::process::ExitStatus {
    Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    panic!("posnet card insert did not stop on SIGINT");
}

#[test]
fn profiles_lists_the_shipped_cards_with_masked_pans() {
    let out = posnet(&["card", "profiles"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "online-debit",
        "offline-credit",
        "offline-pin",
        "expired",
        "blocked",
        "tampered-cert",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    assert!(text.contains("476173******0010"), "{text}");
    assert!(
        !text.contains("4761739001010010"),
        "a full PAN printed:\n{text}"
    );
    assert!(text.contains("T=0") && text.contains("T=1"));
}

#[test]
fn show_gives_the_capk_a_terminal_needs() {
    let out = posnet(&["card", "show", "--profile", "offline-pin", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pan"], "476173******0028");
    assert_eq!(v["aid"], "F0000000011010");
    assert_eq!(v["transport"], "T0");
    assert_eq!(v["offline_pin"], true);
    let keys = card::keys::KeySet::test_keys().unwrap();
    assert_eq!(v["capk"]["rid"], "F000000001");
    assert_eq!(v["capk"]["index"], "F1");
    assert_eq!(v["capk"]["exponent"], "03");
    assert_eq!(
        v["capk"]["modulus"],
        paysec::hex::encode_upper(&keys.ca.modulus())
    );
    let capk = card::capk::Capk::new([0xF0, 0, 0, 0, 1], 0xF1, keys.ca.modulus(), vec![3]);
    assert_eq!(
        v["capk"]["checksum"],
        paysec::hex::encode_upper(&capk.checksum)
    );
    let text = String::from_utf8(posnet(&["card", "show", "--profile", "expired"]).stdout).unwrap();
    assert!(
        text.contains("476173******0036") && text.contains("240131"),
        "{text}"
    );
    let bad = posnet(&["card", "show", "--profile", "no-such-card"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8(bad.stderr).unwrap();
    assert!(
        err.contains("no-such-card") && err.contains("online-debit"),
        "{err}"
    );
}

#[test]
fn insert_answers_vpcd_until_sigint_and_keeps_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("card-state.toml");
    let state_arg = state.to_str().unwrap();
    for expected_atc in [1u16, 2] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_posnet"))
            .args([
                "card",
                "insert",
                "--profile",
                "online-debit",
                "--vpcd",
                &addr,
            ])
            .args(["--state", state_arg, "--max-attempts", "20"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        frame(&mut s, &[0x04]);
        assert_eq!(answer(&mut s), h("3BE000008131FE45EB"));
        frame(&mut s, &[0x01]);
        frame(&mut s, &h("00A4040007F000000001101000"));
        assert_eq!(answer(&mut s)[..2], [0x6F, 0x27]);
        frame(&mut s, &h("80A80000048302097800"));
        assert_eq!(&answer(&mut s)[..2], &[0x77, 0x12]);
        frame(&mut s, &h("80CA9F3600"));
        let mut atc = h("9F3602");
        atc.extend_from_slice(&expected_atc.to_be_bytes());
        atc.extend_from_slice(&[0x90, 0x00]);
        assert_eq!(answer(&mut s), atc);
        let status = interrupt(&mut child);
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(status.success(), "{status}: {err}");
        assert!(
            err.contains("476173******0010") && !err.contains("4761739001010010"),
            "{err}"
        );
        assert!(err.contains("removed"), "{err}");
        let saved =
            card::state::CardState::from_toml(&std::fs::read_to_string(&state).unwrap()).unwrap();
        assert_eq!(saved.atc, expected_atc);
    }
}

#[test]
fn insert_gives_up_when_no_vpcd_listens() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = posnet(&[
        "card",
        "insert",
        "--profile",
        "blocked",
        "--vpcd",
        &format!("127.0.0.1:{port}"),
        "--max-attempts",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("gave up after 2 attempts"), "{err}");
}
