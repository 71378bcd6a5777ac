//! Sinks: a raw TCP printer on loopback, files, standard output, nowhere.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use receipt::sink::{Capture, StdoutFormat};
use receipt::{Printer, Sink, SinkError, Target, Width};

fn sink(target: &str) -> Sink {
    Sink::new(target.parse::<Target>().unwrap())
}

#[test]
fn tcp_printer_receives_the_escpos_bytes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut s = sink(&format!("tcp:127.0.0.1:{port}"));
    let receipt = common::approved();
    // The job is small enough to sit in the socket buffers, so printing completes before the
    // accept; the accept then returns at once and reading ends at the sink's shutdown.
    s.print(&receipt).unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    conn.read_to_end(&mut got).unwrap();
    assert_eq!(got, receipt.to_escpos());
}

#[test]
fn tcp_printer_that_refuses_is_named_in_the_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut s = sink(&format!("tcp:127.0.0.1:{port}"));
    s.timeouts.connect_ms = 2_000;
    let err = s.print(&common::approved()).unwrap_err();
    match &err {
        SinkError::Connect {
            address,
            tried,
            timeout_ms,
            source,
        } => {
            assert_eq!(address, &format!("127.0.0.1:{port}"));
            assert_eq!(tried, &format!("127.0.0.1:{port}"));
            assert_eq!(*timeout_ms, 2_000);
            assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused);
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
    assert!(
        err.to_string().starts_with(&format!(
            "cannot connect to the printer at 127.0.0.1:{port}"
        )),
        "{err}"
    );
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("receipt-sink-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("printer.bin")
}

#[test]
fn file_target_appends_each_receipt() {
    let path = temp_path("append");
    let _ = std::fs::remove_file(&path);
    let mut s = Sink::new(Target::File(path.clone()));
    s.print(&common::approved()).unwrap();
    s.print(&common::declined()).unwrap();
    let mut expected = common::approved().to_escpos();
    expected.extend(common::declined().to_escpos());
    assert_eq!(std::fs::read(&path).unwrap(), expected);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn file_target_errors_name_the_path() {
    let path = temp_path("missing")
        .with_file_name("no-such-dir")
        .join("r.bin");
    let mut s = Sink::new(Target::File(path.clone()));
    match s.print(&common::approved()) {
        Err(SinkError::File { path: p, source }) => {
            assert_eq!(p, path);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected a file error, got {other:?}"),
    }
}

#[test]
fn stdout_targets_write_text_or_bytes() {
    let receipt = common::declined();
    let mut out = Vec::new();
    sink("stdout").print_to(&receipt, &mut out).unwrap();
    assert_eq!(out, receipt.to_text(Width::W42).into_bytes());

    let mut out = Vec::new();
    sink("stdout:text:32").print_to(&receipt, &mut out).unwrap();
    assert_eq!(out, receipt.to_text(Width::W32).into_bytes());

    let mut out = Vec::new();
    sink("stdout:escpos").print_to(&receipt, &mut out).unwrap();
    assert_eq!(out, receipt.to_escpos());

    let mut s = sink("stdout:escpos");
    s.escpos_width = Width::W32;
    let mut out = Vec::new();
    s.print_to(&receipt, &mut out).unwrap();
    assert_eq!(out, receipt.to_escpos_width(Width::W32));
    assert_eq!(s.target, Target::Stdout(StdoutFormat::Escpos));

    let mut out = Vec::new();
    sink("none").print_to(&receipt, &mut out).unwrap();
    assert!(out.is_empty());
}

#[test]
fn capture_keeps_receipts_in_order() {
    let mut c = Capture::default();
    c.print(&common::approved()).unwrap();
    c.print(&common::declined()).unwrap();
    assert_eq!(c.receipts, [common::approved(), common::declined()]);
}
