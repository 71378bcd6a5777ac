//! The server side against raw sockets: hostile frames close only their own connection
//! (with a log line that says why), keep-alives, limits, timeouts and graceful shutdown.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use iso8583::frame::{Framing, LengthHeader};
use link::{ConnConfig, Link, LinkOptions, PeerInfo, Reply, ServerOptions, Target, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};

fn approve_all() -> impl Fn(PeerInfo, Vec<u8>) -> std::future::Ready<Reply> + Send + Sync {
    let spec = spec();
    move |_peer, frame| {
        // A frame whose first four bytes are not digits has no MTI to answer: close.
        if !frame
            .get(..4)
            .is_some_and(|m| m.iter().all(u8::is_ascii_digit))
        {
            return std::future::ready(Reply::Close(format!(
                "unreadable MTI {:02X?}",
                &frame[..frame.len().min(4)]
            )));
        }
        std::future::ready(answer(&spec, &frame, "00").into())
    }
}

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Framing::default().encode(None, payload, &mut out).unwrap();
    out
}

/// Reads until the server closes (bounded): `Ok(bytes before close)`.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    for _ in 0..100 {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("server did not close the connection within 5 s"),
        }
    }
    panic!("connection kept sending");
}

async fn plain_link(addr: std::net::SocketAddr) -> Link {
    let link = Link::start(LinkOptions::new(vec![Target::from(addr)], spec())).unwrap();
    link.wait_up(5_000).await.unwrap();
    link
}

#[tokio::test]
async fn an_oversized_frame_closes_only_its_connection() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let server = start(
        "127.0.0.1:0",
        Transport::Plain,
        ServerOptions::default(),
        approve_all(),
    )
    .await;
    let good = plain_link(server.addr).await;
    assert!(good.request(&purchase("TERM0001", 1, 100)).await.is_ok());

    let mut hostile = TcpStream::connect(server.addr).await.unwrap();
    hostile.write_all(&[0xFF, 0xFF, 0x30, 0x32]).await.unwrap();
    assert_eq!(read_to_close(&mut hostile).await, Vec::<u8>::new());

    let answer = good.request(&purchase("TERM0001", 2, 100)).await.unwrap();
    assert_eq!(answer.text(39), Some("00"));
    let log = logs.text();
    assert!(
        log.contains("frame of 65535 bytes announced, more than the maximum 8192; closing"),
        "{log}"
    );
    good.close();
    server.stop().await;
}

#[tokio::test]
async fn garbage_is_closed_with_the_reason_logged() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let server = start(
        "127.0.0.1:0",
        Transport::Plain,
        ServerOptions::default(),
        approve_all(),
    )
    .await;
    let good = plain_link(server.addr).await;

    // A well-framed message with no MTI: the handler asks for the close.
    let mut garbage = TcpStream::connect(server.addr).await.unwrap();
    garbage
        .write_all(&framed(b"\x01\x02zz hello"))
        .await
        .unwrap();
    assert_eq!(read_to_close(&mut garbage).await, Vec::<u8>::new());
    // A frame cut off by the peer.
    let mut cut = TcpStream::connect(server.addr).await.unwrap();
    cut.write_all(&[0x00, 0x20, b'0', b'2']).await.unwrap();
    cut.shutdown().await.unwrap();
    assert_eq!(read_to_close(&mut cut).await, Vec::<u8>::new());

    assert!(good.request(&purchase("TERM0001", 1, 100)).await.is_ok());
    let log = logs.text();
    assert!(log.contains("unreadable MTI [01, 02, 7A, 7A]"), "{log}");
    assert!(
        log.contains("peer closed the connection inside a frame (4 bytes of it received)"),
        "{log}"
    );
    good.close();
    server.stop().await;
}

#[tokio::test]
async fn a_bad_ascii_length_header_closes_the_connection() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let framing = Framing {
        header: LengthHeader::Ascii4,
        tpdu: false,
        frame_max: 8_192,
    };
    let options = ServerOptions {
        conn: ConnConfig {
            framing,
            ..ConnConfig::default()
        },
        ..ServerOptions::default()
    };
    let server = start("127.0.0.1:0", Transport::Plain, options, approve_all()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"00x1").await.unwrap();
    assert_eq!(read_to_close(&mut stream).await, Vec::<u8>::new());
    let log = logs.text();
    assert!(
        log.contains("frame length header 30307831 (hex) is not a valid length"),
        "{log}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_keepalive_is_answered_with_a_keepalive() {
    let server = start(
        "127.0.0.1:0",
        Transport::Plain,
        ServerOptions::default(),
        approve_all(),
    )
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&[0x00, 0x00]).await.unwrap();
    let mut answer = [0xAAu8; 2];
    stream.read_exact(&mut answer).await.unwrap();
    assert_eq!(answer, [0x00, 0x00]);
    // And the connection still carries messages.
    let spec = spec();
    let request = spec.pack(&purchase("TERM0001", 5, 42)).unwrap();
    stream.write_all(&framed(&request)).await.unwrap();
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await.unwrap();
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut body).await.unwrap();
    let response = spec.unpack(&body).unwrap();
    assert_eq!(
        (response.mti().as_str(), response.text(11)),
        ("0210", Some("000005"))
    );
    server.stop().await;
}

#[tokio::test]
async fn the_reply_carries_the_tpdu_with_addresses_swapped() {
    let framing = Framing {
        header: LengthHeader::Binary2,
        tpdu: true,
        frame_max: 8_192,
    };
    let options = ServerOptions {
        conn: ConnConfig {
            framing,
            ..ConnConfig::default()
        },
        ..ServerOptions::default()
    };
    let server = start("127.0.0.1:0", Transport::Plain, options, approve_all()).await;
    let spec = spec();
    let request = spec.pack(&purchase("TERM0001", 6, 42)).unwrap();
    let mut frame = Vec::new();
    let tpdu = iso8583::frame::Tpdu {
        id: 0x60,
        destination: 0x0001,
        source: 0x0002,
    };
    framing.encode(Some(tpdu), &request, &mut frame).unwrap();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&frame).await.unwrap();
    let mut head = [0u8; 7];
    stream.read_exact(&mut head).await.unwrap();
    assert_eq!(&head[2..], &[0x60, 0x00, 0x02, 0x00, 0x01]);
    server.stop().await;
}

#[tokio::test]
async fn idle_and_handshake_timeouts_close_silent_connections() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let options = ServerOptions {
        conn: ConnConfig {
            idle_timeout_ms: Some(100),
            ..ConnConfig::default()
        },
        handshake_timeout_ms: 100,
        ..ServerOptions::default()
    };
    let plain = start("127.0.0.1:0", Transport::Plain, options, approve_all()).await;
    let mut silent = TcpStream::connect(plain.addr).await.unwrap();
    assert_eq!(read_to_close(&mut silent).await, Vec::<u8>::new());

    let dir = TempDir::new("handshake-timeout");
    let pki = demo_pki(&dir, "posnet test CA");
    let tls = start(
        "127.0.0.1:0",
        mtls_transport(&pki, &pki),
        options,
        approve_all(),
    )
    .await;
    let mut no_hello = TcpStream::connect(tls.addr).await.unwrap();
    assert_eq!(read_to_close(&mut no_hello).await, Vec::<u8>::new());

    let log = logs.text();
    assert!(
        log.contains("nothing received for 100 ms; closing"),
        "{log}"
    );
    assert!(log.contains("TLS handshake not finished in time"), "{log}");
    plain.stop().await;
    tls.stop().await;
}

#[tokio::test]
async fn past_connections_max_a_new_connection_is_closed() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let options = ServerOptions {
        connections_max: 1,
        ..ServerOptions::default()
    };
    let server = start("127.0.0.1:0", Transport::Plain, options, approve_all()).await;
    let mut first = TcpStream::connect(server.addr).await.unwrap();
    // A keep-alive round trip proves the first connection was accepted and is being served.
    first.write_all(&[0, 0]).await.unwrap();
    let mut ka = [9u8; 2];
    first.read_exact(&mut ka).await.unwrap();
    let mut second = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(read_to_close(&mut second).await, Vec::<u8>::new());
    first.write_all(&[0, 0]).await.unwrap();
    first.read_exact(&mut ka).await.unwrap();
    assert_eq!(ka, [0, 0]);
    assert!(logs.text().contains("too many connections"));
    server.stop().await;
}

#[tokio::test]
async fn one_connection_has_at_most_in_flight_max_requests_with_the_handler() {
    let gate = Arc::new(Semaphore::new(0));
    let now_in = Arc::new(AtomicUsize::new(0));
    let most_in = Arc::new(AtomicUsize::new(0));
    let (arrived_tx, mut arrived) = mpsc::unbounded_channel::<()>();
    let handler = {
        let spec = spec();
        let (gate, now_in, most_in) = (gate.clone(), now_in.clone(), most_in.clone());
        move |_peer: PeerInfo, frame: Vec<u8>| {
            let (spec, gate, now_in, most_in) =
                (spec.clone(), gate.clone(), now_in.clone(), most_in.clone());
            let arrived_tx = arrived_tx.clone();
            async move {
                let inside = now_in.fetch_add(1, Ordering::SeqCst) + 1;
                most_in.fetch_max(inside, Ordering::SeqCst);
                let _ = arrived_tx.send(());
                let _ = gate.acquire().await;
                now_in.fetch_sub(1, Ordering::SeqCst);
                answer(&spec, &frame, "00")
            }
        }
    };
    let options = ServerOptions {
        in_flight_max: 2,
        ..ServerOptions::default()
    };
    let server = start("127.0.0.1:0", Transport::Plain, options, handler).await;
    let link = plain_link(server.addr).await;
    let mut requests = tokio::task::JoinSet::new();
    for stan in 1..=5 {
        let link = link.clone();
        requests.spawn(async move { link.request(&purchase("TERM0001", stan, 1)).await });
    }
    arrived.recv().await.unwrap();
    arrived.recv().await.unwrap();
    // Proving that nothing more arrives needs a wait: give the server time to misbehave.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(now_in.load(Ordering::SeqCst), 2);
    gate.add_permits(5);
    while let Some(done) = requests.join_next().await {
        assert_eq!(done.unwrap().unwrap().text(39), Some("00"));
    }
    assert_eq!(most_in.load(Ordering::SeqCst), 2);
    link.close();
    server.stop().await;
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_then_stops() {
    let gate = Arc::new(Semaphore::new(0));
    let (arrived_tx, mut arrived) = mpsc::unbounded_channel::<()>();
    let handler = {
        let spec = spec();
        let gate = gate.clone();
        move |_peer: PeerInfo, frame: Vec<u8>| {
            let (spec, gate, arrived_tx) = (spec.clone(), gate.clone(), arrived_tx.clone());
            async move {
                let _ = arrived_tx.send(());
                let _ = gate.acquire().await;
                answer(&spec, &frame, "00")
            }
        }
    };
    let server = start(
        "127.0.0.1:0",
        Transport::Plain,
        ServerOptions::default(),
        handler,
    )
    .await;
    let addr = server.addr;
    let link = plain_link(addr).await;
    let pending = tokio::spawn({
        let link = link.clone();
        async move { link.request(&purchase("TERM0001", 77, 1)).await }
    });
    arrived.recv().await.unwrap();
    server.trigger.trigger();
    // New connections are no longer accepted once the listener is dropped.
    let mut refused = false;
    for _ in 0..200 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(refused, "listener still accepting after shutdown");
    gate.add_permits(1);
    let answer = pending.await.unwrap().unwrap();
    assert_eq!(answer.text(11), Some("000077"));
    tokio::time::timeout(Duration::from_secs(5), server.task)
        .await
        .unwrap()
        .unwrap();
    link.close();
}
