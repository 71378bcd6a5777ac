//! The adapter on loopback: a terminal over mutual TLS, the gateway, and a scripted issuer
//! host over TLS, with certificates made for the test. Checks response codes end to end, a
//! timeout's 91 and 0420, garbage on the wire, and a 0420 that outlives a gateway restart.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gateway::Config;
use gateway::server::{Started, start};
use iso8583::{Message, Mti, specs};
use link::{
    ConnConfig, FramedConn, Link, LinkOptions, PeerInfo, PkiDir, Reply, Server, ServerOptions,
    ShutdownTrigger, Target, Transport, shutdown_pair,
};

/// Amount the scripted issuer never answers (to force a timeout).
const SILENT_AMOUNT: &str = "000000009999";
const PAN: &str = "4761739001010010";

type Seen = Arc<Mutex<Vec<Message<'static>>>>;

/// An issuer host that approves everything, answers 0800s, never answers a 0200 of
/// [`SILENT_AMOUNT`], and answers 0420s only when `acknowledge_advices`.
async fn issuer(pki: &PkiDir, acknowledge_advices: bool) -> (u16, Seen, ShutdownTrigger) {
    let tls = link::tls::server_config(&pki.server_identity().unwrap(), None).unwrap();
    let server = Server::bind("127.0.0.1:0", Transport::tls(tls), ServerOptions::default())
        .await
        .unwrap();
    let port = server.local_addr().port();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let handler = move |_peer: PeerInfo, frame: Vec<u8>| {
        let log = log.clone();
        async move {
            let spec = specs::iso87_ascii_bbitmap();
            let m = spec.unpack(&frame).unwrap().into_owned();
            log.lock().unwrap().push(m.clone());
            let silent = match m.mti().as_str() {
                "0100" | "0200" => m.text(4) == Some(SILENT_AMOUNT),
                "0420" => !acknowledge_advices,
                _ => false,
            };
            if silent {
                return Reply::Nothing;
            }
            let mut r = Message::new(m.mti().response().unwrap());
            for (n, v) in m.fields() {
                if ![35, 52, 55].contains(&n) {
                    r.set_owned(n, v).unwrap();
                }
            }
            if matches!(m.mti().as_str(), "0100" | "0200") {
                r.set_owned(38, "A1B2C3").unwrap();
            }
            r.set_owned(39, "00").unwrap();
            Reply::Answer(spec.pack(&r).unwrap())
        }
    };
    let (trigger, shutdown) = shutdown_pair();
    tokio::spawn(server.serve(Arc::new(handler), shutdown));
    (port, seen, trigger)
}

fn config(dir: &Path, pki: &PkiDir, issuer_port: u16) -> Config {
    let p = |path: std::path::PathBuf| path.display().to_string();
    Config::from_toml(&format!(
        r#"
listen = "127.0.0.1:0"
acquirer_id = "1234"
journal = "{journal}"
[tls]
cert = "{server_cert}"
key = "{server_key}"
terminal_ca = "{ca}"
[[terminal]]
id = "TERM0001"
merchant_id = "MERCHANT0000001"
[[terminal]]
id = "TERM0002"
merchant_id = "MERCHANT0000002"
[[route]]
bin = "476173"
issuer = "issuer-a"
[[issuer]]
name = "issuer-a"
address = "localhost:{issuer_port}"
ca = "{ca}"
client_cert = "{server_cert}"
client_key = "{server_key}"
request_timeout_ms = 400
"#,
        journal = p(dir.join("gateway.journal")),
        server_cert = p(pki.server_cert()),
        server_key = p(pki.server_key()),
        ca = p(pki.ca_cert()),
    ))
    .unwrap()
}

fn terminal(pki: &PkiDir, id: &str, port: u16) -> Link {
    let spec = Arc::new(specs::iso87_ascii_bbitmap());
    let mut options = LinkOptions::new(vec![Target::new("localhost", port)], spec);
    options.tls = Some(
        link::tls::client_config(
            &pki.ca_certs().unwrap(),
            Some(&pki.terminal_identity(id).unwrap()),
        )
        .unwrap(),
    );
    Link::start(options).unwrap()
}

fn purchase(stan: &str, amount: &str, terminal: &str, pan: &str) -> Message<'static> {
    let mut m = Message::new(Mti::parse("0200").unwrap());
    let track2 = format!("{pan}=25122011143804400000");
    for (n, v) in [
        (3, "000000"),
        (4, amount),
        (7, "1114221320"),
        (11, stan),
        (12, "231320"),
        (13, "1114"),
        (22, "022"),
        (25, "00"),
        (35, track2.as_str()),
        (37, &format!("331822{stan}")),
        (41, terminal),
        (42, "MERCHANT0000001"),
        (49, "978"),
    ] {
        m.set_owned(n, v).unwrap();
    }
    m
}

/// Waits (at most 5 s) until the issuer has seen a message `pred` accepts.
async fn seen(log: &Seen, pred: impl Fn(&Message<'static>) -> bool) -> Message<'static> {
    for _ in 0..250 {
        if let Some(m) = log.lock().unwrap().iter().find(|m| pred(m)) {
            return m.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the issuer never saw the message")
}

async fn gateway_up(dir: &Path, pki: &PkiDir, port: u16, log: &Seen) -> (Started, ShutdownTrigger) {
    let (trigger, shutdown) = shutdown_pair();
    let started = start(&config(dir, pki, port), shutdown).await.unwrap();
    // The issuer link is up once its sign-on arrives.
    seen(log, |m| m.text(70) == Some("001")).await;
    (started, trigger)
}

fn test_pki(dir: &Path) -> PkiDir {
    let pki = PkiDir::new(&dir.join("pki"));
    pki.create("posnet test CA", &["localhost"], &["TERM0001", "TERM0002"])
        .unwrap();
    pki
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_over_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    let pki = test_pki(dir.path());
    let (issuer_port, log, _issuer) = issuer(&pki, true).await;
    let (gw, stop) = gateway_up(dir.path(), &pki, issuer_port, &log).await;
    let term = terminal(&pki, "TERM0001", gw.local_addr.port());
    term.wait_up(5000).await.unwrap();

    // Approved, passed through with the issuer's 38 and the gateway's 32.
    let r = term
        .request(&purchase("000001", "000000001250", "TERM0001", PAN))
        .await
        .unwrap();
    assert_eq!(r.mti().as_str(), "0210");
    assert_eq!(r.text(39), Some("00"));
    assert_eq!(r.text(38), Some("A1B2C3"));
    assert_eq!(r.text(11), Some("000001"));
    assert_eq!(r.text(32), Some("1234"));
    let at_issuer = seen(&log, |m| {
        m.text(11) == Some("000001") && m.mti().as_str() == "0200"
    })
    .await;
    assert_eq!(at_issuer.text(32), Some("1234"));

    // No route for the BIN: 14, and the issuer never hears of it.
    let r = term
        .request(&purchase(
            "000002",
            "000000001250",
            "TERM0001",
            "5999990000000011",
        ))
        .await
        .unwrap();
    assert_eq!(r.text(39), Some("14"));
    assert!(
        !log.lock()
            .unwrap()
            .iter()
            .any(|m| m.text(11) == Some("000002"))
    );

    // TERM0001's certificate speaking for TERM0002: 58.
    let r = term
        .request(&purchase("000003", "000000001250", "TERM0002", PAN))
        .await
        .unwrap();
    assert_eq!(r.text(39), Some("58"));

    // The issuer stays silent: 91 after the gateway's 400 ms, then a 0420 with field 90.
    let r = term
        .request(&purchase("000004", SILENT_AMOUNT, "TERM0001", PAN))
        .await
        .unwrap();
    assert_eq!(r.text(39), Some("91"));
    let advice = seen(&log, |m| m.mti().as_str() == "0420").await;
    assert_eq!(
        advice.text(90),
        Some("020000000411142213200000000123400000000000")
    );
    assert_eq!(advice.text(2), Some(PAN));
    assert_eq!(advice.text(4), Some(SILENT_AMOUNT));

    // Echo from the terminal, answered by the gateway.
    let mut echo = Message::new(Mti::parse("0800").unwrap());
    for (n, v) in [
        (7, "1114221320"),
        (11, "000005"),
        (41, "TERM0001"),
        (70, "301"),
    ] {
        echo.set_owned(n, v).unwrap();
    }
    let r = term.request(&echo).await.unwrap();
    assert_eq!((r.mti().as_str(), r.text(39)), ("0810", Some("00")));

    term.close();
    stop.trigger();
    tokio::time::timeout(Duration::from_secs(10), gw.done)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_the_wire() {
    use tokio_rustls::TlsConnector;
    use tokio_rustls::rustls::pki_types::ServerName;

    let dir = tempfile::tempdir().unwrap();
    let pki = test_pki(dir.path());
    let (issuer_port, log, _issuer) = issuer(&pki, true).await;
    let (gw, stop) = gateway_up(dir.path(), &pki, issuer_port, &log).await;
    let tls = link::tls::client_config(
        &pki.ca_certs().unwrap(),
        Some(&pki.terminal_identity("TERM0001").unwrap()),
    )
    .unwrap();
    let connect = || async {
        let tcp = tokio::net::TcpStream::connect(gw.local_addr).await.unwrap();
        let stream = TlsConnector::from(tls.clone())
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        FramedConn::new(
            stream,
            ConnConfig {
                answer_keepalive: false,
                ..ConnConfig::default()
            },
        )
    };
    // A readable MTI with a broken field: 30, naming the MTI's response.
    let mut conn = connect().await;
    let mut frame = b"0200".to_vec();
    frame.extend_from_slice(&[0x30, 0, 0, 0, 0, 0, 0, 0]); // fields 3 and 4
    frame.extend_from_slice(b"00000X");
    conn.send(None, &frame).await.unwrap();
    let (_, answer) = conn.read_message().await.unwrap();
    let r = specs::iso87_ascii_bbitmap().unpack(&answer).unwrap();
    assert_eq!((r.mti().as_str(), r.text(39)), ("0210", Some("30")));
    // An unreadable MTI: the connection is closed.
    conn.send(None, b"ZZZZ").await.unwrap();
    assert!(conn.read_message().await.is_err());
    stop.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(10), gw.done).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reversal_advice_outlives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let pki = test_pki(dir.path());
    // First life: the issuer answers neither the purchase nor its 0420.
    let (port1, log1, issuer1) = issuer(&pki, false).await;
    let (gw, stop) = gateway_up(dir.path(), &pki, port1, &log1).await;
    let term = terminal(&pki, "TERM0001", gw.local_addr.port());
    term.wait_up(5000).await.unwrap();
    let r = term
        .request(&purchase("000042", SILENT_AMOUNT, "TERM0001", PAN))
        .await
        .unwrap();
    assert_eq!(r.text(39), Some("91"));
    let first = seen(&log1, |m| m.mti().as_str() == "0420").await;
    term.close();
    stop.trigger();
    tokio::time::timeout(Duration::from_secs(10), gw.done)
        .await
        .unwrap()
        .unwrap();
    issuer1.trigger();

    // The journal holds the advice.
    let bytes = std::fs::read(dir.path().join("gateway.journal")).unwrap();
    let mut core = gateway::Gateway::new(&config(dir.path(), &pki, port1));
    for r in gateway::journal::decode(&bytes).unwrap().records {
        core.replay(&r).unwrap();
    }
    assert_eq!(core.advices_len(), 1);

    // Second life, a new issuer that acknowledges: the same 0420 arrives and is settled.
    let (port2, log2, _issuer2) = issuer(&pki, true).await;
    let (gw, stop) = gateway_up(dir.path(), &pki, port2, &log2).await;
    let again = seen(&log2, |m| m.mti().as_str() == "0420").await;
    assert_eq!(again, first, "the advice is repeated byte for byte");
    // Once the 0430 is in, the journal no longer holds it.
    let mut left = 1;
    for _ in 0..250 {
        let bytes = std::fs::read(dir.path().join("gateway.journal")).unwrap();
        let mut core = gateway::Gateway::new(&config(dir.path(), &pki, port2));
        for r in gateway::journal::decode(&bytes).unwrap().records {
            core.replay(&r).unwrap();
        }
        left = core.advices_len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(left, 0);
    stop.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(10), gw.done).await;
}
