//! The vpcd link against a stand-in vpcd (a TCP listener speaking its framing): ATR,
//! APDUs, power control, reconnection after the reader goes away, bounded attempts.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use card::vpcd::{VpcdError, VpcdEvent, VpcdOptions, serve};
use common::*;

fn send(s: &mut TcpStream, payload: &[u8]) {
    let mut f = (payload.len() as u16).to_be_bytes().to_vec();
    f.extend_from_slice(payload);
    s.write_all(&f).unwrap();
}

fn recv(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap();
    let mut out = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut out).unwrap();
    out
}

fn opts(addr: String) -> VpcdOptions {
    VpcdOptions {
        addr,
        poll_interval_ms: 20,
        reconnect_delay_ms: 20,
        connect_timeout_ms: 500,
        write_timeout_ms: 500,
        max_attempts: Some(50),
    }
}

#[test]
fn answers_vpcd_messages_and_reconnects() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let events = Arc::new(Mutex::new(Vec::new()));
    let saved = Arc::new(Mutex::new(Vec::new()));
    let (stop2, events2, saved2) = (stop.clone(), events.clone(), saved.clone());
    let mut c = card("online-debit");
    let fci = c.image().app_fci.clone();
    let o = opts(addr);
    let t = std::thread::spawn(move || {
        serve(
            &mut c,
            &o,
            &stop2,
            |e| events2.lock().unwrap().push(e.clone()),
            |s| saved2.lock().unwrap().push(s.atc),
        )
        .map_err(|e| e.to_string())
    });
    let (mut s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    send(&mut s, &[0x04]);
    assert_eq!(recv(&mut s), h("3BE000008131FE45EB"));
    send(&mut s, &[0x01]);
    // Two messages in one write: the card must split them.
    let mut both = Vec::new();
    for m in [h("00A4040007F000000001101000"), h("80A80000048302097800")] {
        both.extend_from_slice(&(m.len() as u16).to_be_bytes());
        both.extend_from_slice(&m);
    }
    s.write_all(&both).unwrap();
    let mut expected = fci.clone();
    expected.extend_from_slice(&[0x90, 0x00]);
    assert_eq!(recv(&mut s), expected);
    assert_eq!(&recv(&mut s)[..2], &[0x77, 0x12]);
    // Power off ends the transaction: GPO again is refused.
    send(&mut s, &[0x00]);
    send(&mut s, &[0x01]);
    send(&mut s, &h("80A80000048302097800"));
    assert_eq!(recv(&mut s), h("6985"));
    // The reader goes away; the card comes back on the next connection.
    drop(s);
    let (mut s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    send(&mut s, &h("00A4040007F000000001101000"));
    assert_eq!(recv(&mut s), expected);
    // An oversized frame is a broken peer: the card hangs up and reconnects.
    s.write_all(&[0xFF, 0xFF]).unwrap();
    let (mut s2, _) = listener.accept().unwrap();
    stop.store(true, Ordering::Relaxed);
    assert_eq!(t.join().unwrap(), Ok(()));
    let mut rest = Vec::new();
    s2.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    assert_eq!(s2.read_to_end(&mut rest).unwrap(), 0, "closed after stop");
    let ev = events.lock().unwrap().clone();
    assert_eq!(ev.iter().filter(|e| **e == VpcdEvent::Connected).count(), 3);
    assert!(ev.contains(&VpcdEvent::Apdu {
        ins: 0xA8,
        sw: 0x6985
    }));
    assert!(
        ev.iter()
            .any(|e| matches!(e, VpcdEvent::Disconnected(w) if w.contains("65535")))
    );
    assert_eq!(
        *saved.lock().unwrap(),
        vec![1],
        "state saved once, when the ATC moved"
    );
}

#[test]
fn gives_up_after_the_attempts_allowed() {
    // A port nobody listens on: bind, learn the port, close.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = card("online-debit");
    let mut o = opts(format!("127.0.0.1:{port}"));
    o.max_attempts = Some(3);
    let stop = AtomicBool::new(false);
    let err = serve(&mut c, &o, &stop, |_| {}, |_| {}).unwrap_err();
    assert!(
        matches!(err, VpcdError::GaveUp { attempts: 3, .. }),
        "{err}"
    );
    let err = serve(
        &mut c,
        &opts("no-such-host.invalid:1".into()),
        &stop,
        |_| {},
        |_| {},
    );
    assert!(matches!(err, Err(VpcdError::Address { .. })));
}
