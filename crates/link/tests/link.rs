//! The client link against real servers on loopback: matching out of order, timeouts,
//! the in-flight bound, reconnection and echoes.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use link::echo::StanCounter;
use link::{
    EchoOptions, Link, LinkError, LinkOptions, LinkState, PeerInfo, ServerOptions, Target,
    Transport,
};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::Instant;

fn plain_options(addr: std::net::SocketAddr) -> LinkOptions {
    let mut options = LinkOptions::new(vec![Target::from(addr)], spec());
    options.reconnect_min_ms = 20;
    options.reconnect_max_ms = 200;
    options
}

/// Waits (at most 10 s) until the link's state satisfies `pred`.
async fn wait_state(link: &Link, pred: impl Fn(&LinkState) -> bool) -> LinkState {
    let mut rx = link.watch_state();
    let state = tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|s| pred(s)))
        .await
        .expect("state reached within 10 s")
        .expect("link task alive");
    state.clone()
}

/// A handler that answers 00 to everything.
fn approve_all() -> impl Fn(PeerInfo, Vec<u8>) -> std::future::Ready<Option<Vec<u8>>> + Send + Sync
{
    let spec = spec();
    move |_peer, frame| std::future::ready(answer(&spec, &frame, "00"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_answered_out_of_order_all_match() {
    const TOTAL: u32 = 1_000;
    const BATCH: usize = 50;
    let dir = TempDir::new("thousand");
    let pki = demo_pki(&dir, "posnet test CA");

    // The handler hands each request to a shuffler that answers every batch of 50 in
    // reverse order of arrival.
    let (to_shuffler, mut shuffler_inbox) =
        mpsc::channel::<(Vec<u8>, oneshot::Sender<Option<Vec<u8>>>)>(BATCH * 2);
    let shuffler = tokio::spawn(async move {
        let spec = spec();
        let mut batch = Vec::with_capacity(BATCH);
        let mut answered = 0u32;
        while let Some(item) = shuffler_inbox.recv().await {
            batch.push(item);
            if batch.len() == BATCH {
                while let Some((frame, reply)) = batch.pop() {
                    let _ = reply.send(answer(&spec, &frame, "00"));
                    answered += 1;
                }
            }
        }
        answered
    });
    let handler = move |_peer: PeerInfo, frame: Vec<u8>| {
        let to_shuffler = to_shuffler.clone();
        async move {
            let (reply, answer) = oneshot::channel();
            to_shuffler.send((frame, reply)).await.ok()?;
            answer.await.ok().flatten()
        }
    };
    let server = start(
        "127.0.0.1:0",
        mtls_transport(&pki, &pki),
        ServerOptions::default(),
        handler,
    )
    .await;
    let identity = pki.terminal_identity("TERM0001").unwrap();
    let mut options = tls_link_options(server.addr, &pki, Some(&identity));
    options.in_flight_max = 64;
    let link = Link::start(options).unwrap();
    link.wait_up(5_000).await.unwrap();

    let window = Arc::new(Semaphore::new(64));
    let completed = Arc::new(Mutex::new(Vec::with_capacity(TOTAL as usize)));
    let mut tasks = tokio::task::JoinSet::new();
    for stan in 1..=TOTAL {
        let permit = window.clone().acquire_owned().await.unwrap();
        let link = link.clone();
        let completed = completed.clone();
        tasks.spawn(async move {
            let amount_minor = u64::from(stan) * 7;
            let response = link
                .request(&purchase("TERM0001", stan, amount_minor))
                .await
                .unwrap();
            assert_eq!(response.mti().as_str(), "0210");
            assert_eq!(response.text(11), Some(format!("{stan:06}").as_str()));
            assert_eq!(
                response.text(4),
                Some(format!("{amount_minor:012}").as_str())
            );
            assert_eq!(response.text(39), Some("00"));
            completed.lock().unwrap().push(stan);
            drop(permit);
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let completed = completed.lock().unwrap().clone();
    assert_eq!(completed.len(), TOTAL as usize);
    let mut sorted = completed.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), TOTAL as usize, "every STAN answered once");
    assert_ne!(completed, sorted, "responses came back out of order");
    link.close();
    server.stop().await;
    assert_eq!(shuffler.await.unwrap(), TOTAL);
}

#[tokio::test]
async fn a_request_never_answered_times_out_and_the_link_keeps_working() {
    let release_late = Arc::new(Semaphore::new(0));
    let handler = {
        let spec = spec();
        let release_late = release_late.clone();
        move |_peer: PeerInfo, frame: Vec<u8>| {
            let spec = spec.clone();
            let release_late = release_late.clone();
            async move {
                let stan = spec.unpack(&frame).ok()?.text(11)?.to_owned();
                match stan.as_str() {
                    "000013" => None,
                    "000015" => {
                        // Answered, but only after the client has given up.
                        let _ = release_late.acquire().await;
                        answer(&spec, &frame, "00")
                    }
                    _ => answer(&spec, &frame, "00"),
                }
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
    let mut options = plain_options(server.addr);
    options.request_timeout_ms = 300;
    let link = Link::start(options).unwrap();
    link.wait_up(5_000).await.unwrap();

    let started = Instant::now();
    match link.request(&purchase("TERM0001", 13, 100)).await {
        Err(LinkError::Timeout { key, timeout_ms }) => {
            assert_eq!(timeout_ms, 300);
            assert_eq!(key.stan, "000013");
            assert_eq!(key.terminal_id.as_deref(), Some("TERM0001"));
            assert_eq!(key.class, 2);
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    let next = link.request(&purchase("TERM0001", 14, 100)).await.unwrap();
    assert_eq!(next.text(11), Some("000014"));

    // A late answer (after the timeout) is dropped and does not confuse the next request.
    assert!(matches!(
        link.request(&purchase("TERM0001", 15, 100)).await,
        Err(LinkError::Timeout { .. })
    ));
    release_late.add_permits(1);
    let after = link.request(&purchase("TERM0001", 16, 200)).await.unwrap();
    assert_eq!(
        (after.text(11), after.text(4)),
        (Some("000016"), Some("000000000200"))
    );
    assert!(matches!(link.state(), LinkState::Up { connection: 1, .. }));
    link.close();
    server.stop().await;
}

#[tokio::test]
async fn past_the_in_flight_bound_a_request_is_busy_at_once() {
    let gate = Arc::new(Semaphore::new(0));
    let (arrived_tx, mut arrived) = mpsc::unbounded_channel::<()>();
    let handler = {
        let spec = spec();
        let gate = gate.clone();
        move |_peer: PeerInfo, frame: Vec<u8>| {
            let spec = spec.clone();
            let gate = gate.clone();
            let arrived_tx = arrived_tx.clone();
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
    let mut options = plain_options(server.addr);
    options.in_flight_max = 2;
    let link = Link::start(options).unwrap();
    link.wait_up(5_000).await.unwrap();

    let first = tokio::spawn({
        let link = link.clone();
        async move { link.request(&purchase("TERM0001", 1, 100)).await }
    });
    let second = tokio::spawn({
        let link = link.clone();
        async move { link.request(&purchase("TERM0001", 2, 100)).await }
    });
    arrived.recv().await.unwrap();
    arrived.recv().await.unwrap();
    let started = Instant::now();
    assert!(matches!(
        link.request(&purchase("TERM0001", 3, 100)).await,
        Err(LinkError::Busy { in_flight_max: 2 })
    ));
    assert!(started.elapsed() < Duration::from_millis(100));

    gate.add_permits(100);
    assert_eq!(first.await.unwrap().unwrap().text(11), Some("000001"));
    assert_eq!(second.await.unwrap().unwrap().text(11), Some("000002"));
    assert_eq!(
        link.request(&purchase("TERM0001", 3, 100))
            .await
            .unwrap()
            .text(11),
        Some("000003")
    );
    link.close();
    server.stop().await;
}

#[tokio::test]
async fn the_link_reconnects_after_the_server_restarts() {
    let server = start(
        "127.0.0.1:0",
        Transport::Plain,
        ServerOptions::default(),
        approve_all(),
    )
    .await;
    let addr = server.addr;
    let link = Link::start(plain_options(addr)).unwrap();
    link.wait_up(5_000).await.unwrap();
    assert_eq!(
        link.request(&purchase("TERM0001", 1, 100))
            .await
            .unwrap()
            .text(39),
        Some("00")
    );

    server.stop().await;
    let down = wait_state(&link, |s| matches!(s, LinkState::Down { .. })).await;
    assert!(matches!(down, LinkState::Down { .. }));
    // While down, a request is refused at once rather than queued.
    assert!(matches!(
        link.request(&purchase("TERM0001", 2, 100)).await,
        Err(LinkError::Down { .. })
    ));

    let again = start(
        &addr.to_string(),
        Transport::Plain,
        ServerOptions::default(),
        approve_all(),
    )
    .await;
    let up = wait_state(&link, |s| matches!(s, LinkState::Up { connection: 2, .. })).await;
    assert_eq!(
        up,
        LinkState::Up {
            peer: addr,
            connection: 2
        }
    );
    let answer = link.request(&purchase("TERM0001", 3, 100)).await.unwrap();
    assert_eq!(answer.text(11), Some("000003"));
    link.close();
    again.stop().await;
}

#[tokio::test]
async fn a_dead_primary_fails_over_to_the_secondary() {
    // A port with nothing listening: bind, note it, close it.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let server = start(
        "127.0.0.1:0",
        Transport::Plain,
        ServerOptions::default(),
        approve_all(),
    )
    .await;
    let mut options = plain_options(server.addr);
    options.targets = vec![Target::from(dead), Target::from(server.addr)];
    let link = Link::start(options).unwrap();
    link.wait_up(5_000).await.unwrap();
    assert!(
        matches!(link.state(), LinkState::Up { peer, .. } if peer == server.addr),
        "{:?}",
        link.state()
    );
    assert!(link.request(&purchase("TERM0001", 1, 1)).await.is_ok());
    link.close();
    server.stop().await;
}

#[tokio::test]
async fn a_request_in_flight_when_the_server_goes_away_is_disconnected() {
    let (arrived_tx, mut arrived) = mpsc::unbounded_channel::<()>();
    let handler = move |_peer: PeerInfo, _frame: Vec<u8>| {
        let arrived_tx = arrived_tx.clone();
        async move {
            let _ = arrived_tx.send(());
            std::future::pending::<Option<Vec<u8>>>().await
        }
    };
    let options = ServerOptions {
        drain_timeout_ms: 50,
        ..ServerOptions::default()
    };
    let server = start("127.0.0.1:0", Transport::Plain, options, handler).await;
    let link = Link::start(plain_options(server.addr)).unwrap();
    link.wait_up(5_000).await.unwrap();
    let pending = tokio::spawn({
        let link = link.clone();
        async move { link.request(&purchase("TERM0001", 9, 100)).await }
    });
    // Stop only once the server holds the request.
    arrived.recv().await.unwrap();
    assert_eq!(link.in_flight(), 1);
    server.stop().await;
    match pending.await.unwrap() {
        Err(LinkError::Disconnected { key, reason }) => {
            assert_eq!(key.stan, "000009");
            assert!(reason.contains("closed"), "{reason}");
        }
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert_eq!(link.in_flight(), 0);
    link.close();
}

#[tokio::test]
async fn an_idle_link_sends_echoes_and_a_silent_host_gets_the_link_dropped() {
    let (echo_tx, mut echoes) = mpsc::unbounded_channel::<(String, String, String, usize)>();
    let answer_echoes = Arc::new(AtomicUsize::new(1));
    let handler = {
        let spec = spec();
        let answer_echoes = answer_echoes.clone();
        move |_peer: PeerInfo, frame: Vec<u8>| {
            if let Ok(m) = spec.unpack(&frame) {
                let _ = echo_tx.send((
                    m.mti().to_string(),
                    m.text(70).unwrap_or_default().to_owned(),
                    m.text(41).unwrap_or_default().to_owned(),
                    m.text(7).map_or(0, str::len),
                ));
            }
            let reply = if answer_echoes.load(Ordering::SeqCst) == 1 {
                answer(&spec, &frame, "00")
            } else {
                None
            };
            std::future::ready(reply)
        }
    };
    let server = start(
        "127.0.0.1:0",
        Transport::Plain,
        ServerOptions::default(),
        handler,
    )
    .await;
    let mut options = plain_options(server.addr);
    options.request_timeout_ms = 300;
    options.echo = Some(EchoOptions {
        idle_ms: 50,
        terminal_id: Some("TERM0001".into()),
        stans: StanCounter::new(500),
    });
    let link = Link::start(options).unwrap();
    link.wait_up(5_000).await.unwrap();
    for _ in 0..2 {
        let (mti, code, terminal, field_7_len) =
            tokio::time::timeout(Duration::from_secs(5), echoes.recv())
                .await
                .unwrap()
                .unwrap();
        assert_eq!(
            (mti.as_str(), code.as_str(), terminal.as_str(), field_7_len),
            ("0800", "301", "TERM0001", 10)
        );
    }
    assert!(matches!(link.state(), LinkState::Up { connection: 1, .. }));

    // The host stops answering echoes: the link notices and reconnects.
    answer_echoes.store(0, Ordering::SeqCst);
    let down = wait_state(&link, |s| matches!(s, LinkState::Down { .. })).await;
    match down {
        LinkState::Down { reason } => assert!(reason.contains("echo not answered"), "{reason}"),
        other => panic!("{other:?}"),
    }
    answer_echoes.store(1, Ordering::SeqCst);
    wait_state(&link, |s| matches!(s, LinkState::Up { connection: 2, .. })).await;
    link.close();
    server.stop().await;
}
