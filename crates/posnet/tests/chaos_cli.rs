//! `posnet chaos` as a user runs it: a real proxy process between a client and an echo server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

/// An echo server on 127.0.0.1 in a thread, for one connection.
fn echo_server() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            let mut b = [0u8; 4096];
            while let Ok(n) = s.read(&mut b) {
                if n == 0 || s.write_all(&b[..n]).is_err() {
                    break;
                }
            }
        }
    });
    addr
}

#[test]
fn corrupts_upstream_frames_and_reports_counts() {
    let upstream = echo_server();
    let mut child = Command::new(env!("CARGO_BIN_EXE_posnet"))
        .args(["chaos", "--listen", "127.0.0.1:0", "--upstream", &upstream])
        .args([
            "--corrupt",
            "1.0",
            "--direction",
            "upstream",
            "--seed",
            "3",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first line on stderr names the address it listens on.
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut banner = String::new();
    err.read_line(&mut banner).unwrap();
    assert!(
        banner.contains("seed 3") && banner.contains("corrupt 1"),
        "{banner}"
    );
    let addr = banner.split_whitespace().nth(2).unwrap().to_string();

    let mut c = TcpStream::connect(&addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let frame = [&[0u8, 8][..], b"08000000"].concat();
    c.write_all(&frame).unwrap();
    let mut back = vec![0u8; frame.len()];
    c.read_exact(&mut back).unwrap();
    assert_eq!(back[..2], frame[..2]);
    assert_eq!(
        back.iter().zip(&frame).filter(|(a, b)| a != b).count(),
        1,
        "one byte flipped"
    );
    drop(c);

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["corrupted"], 1);
    assert_eq!(stats["frames"], 2);
    assert_eq!(stats["connections"], 1);
}

#[test]
fn bad_flags_are_refused_with_the_reason() {
    let out = Command::new(env!("CARGO_BIN_EXE_posnet"))
        .args([
            "chaos",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "127.0.0.1:1",
            "--drop",
            "1.5",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not between 0.0 and 1.0"));
    let out = Command::new(env!("CARGO_BIN_EXE_posnet"))
        .args([
            "chaos",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "127.0.0.1:1",
            "--partition",
            "500..100",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("the end must be after the start"));
}
