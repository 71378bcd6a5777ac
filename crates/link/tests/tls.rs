//! The demo PKI and mutual TLS: who gets in, who is refused, and which terminal a
//! certificate speaks for.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use link::identity::{self, IdentityError};
use link::{Authority, Link, LinkError, PeerInfo, PkiDir, PkiError, Reply, ServerOptions, tls};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

#[test]
fn pki_files_keys_are_private_and_load_back() {
    let dir = TempDir::new("pki");
    let pki = demo_pki(&dir, "posnet test CA");
    for key in [
        pki.ca_key(),
        pki.server_key(),
        pki.terminal_key("TERM0001"),
        pki.terminal_key("TERM0002"),
    ] {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", key.display());
        }
        let pem = std::fs::read_to_string(&key).unwrap();
        assert!(
            pem.starts_with("-----BEGIN PRIVATE KEY-----"),
            "{}",
            key.display()
        );
    }
    let server = pki.server_identity().unwrap();
    assert_eq!(server.chain.len(), 1);
    let terminal = pki.terminal_identity("TERM0001").unwrap();
    assert_eq!(
        identity::terminal_id_from_der(&terminal.chain[0]).unwrap(),
        "TERM0001"
    );
    // Debug output never carries key material.
    let shown = format!("{server:?} {terminal:?}");
    assert!(
        !shown.contains("PRIVATE") && !shown.contains("key:"),
        "{shown}"
    );
    let ca = Authority::load(pki.dir.as_path()).unwrap();
    assert_eq!(ca.common_name(), "posnet test CA");
    assert!(format!("{ca:?}").contains("posnet test CA"));
    // A terminal id that field 41 cannot carry is refused before any file is touched.
    assert!(matches!(
        pki.add_terminal(&ca, "TERM-1"),
        Err(PkiError::Terminal(IdentityError::BadTerminalId { .. }))
    ));
}

#[test]
fn a_ca_key_that_is_not_the_certificates_is_refused() {
    let a = TempDir::new("ca-a");
    let b = TempDir::new("ca-b");
    let pki_a = demo_pki(&a, "CA A");
    let pki_b = demo_pki(&b, "CA A");
    std::fs::copy(pki_b.ca_key(), pki_a.ca_key()).unwrap();
    assert!(matches!(
        Authority::load(pki_a.dir.as_path()),
        Err(PkiError::KeyMismatch { .. })
    ));
}

#[test]
fn terminal_id_comes_from_the_uri_and_must_agree_with_the_common_name() {
    let ca = Authority::generate("posnet test CA").unwrap();
    let cert = ca.issue_terminal("TERM0042").unwrap();
    assert_eq!(
        identity::terminal_id_from_der(cert.cert_der()).unwrap(),
        "TERM0042"
    );
    let server = ca.issue_server(&["localhost"]).unwrap();
    assert_eq!(
        identity::terminal_id_from_der(server.cert_der()),
        Err(IdentityError::NoTerminalUri)
    );

    // Certificates made by hand with rcgen to break one rule each.
    let key = rcgen::KeyPair::generate().unwrap();
    let make = |cn: &str, uris: &[&str]| {
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        params.subject_alt_names = uris
            .iter()
            .map(|u| rcgen::SanType::URI((*u).try_into().unwrap()))
            .collect();
        params.self_signed(&key).unwrap().der().to_vec()
    };
    assert_eq!(
        identity::terminal_id_from_der(&make("TERM0001", &["urn:posnet:terminal:TERM0002"])),
        Err(IdentityError::CommonNameMismatch {
            common_name: "TERM0001".into(),
            terminal_id: "TERM0002".into()
        })
    );
    assert_eq!(
        identity::terminal_id_from_der(&make(
            "TERM0001",
            &[
                "urn:posnet:terminal:TERM0001",
                "urn:posnet:terminal:TERM0003"
            ]
        )),
        Err(IdentityError::SeveralTerminals {
            first: "TERM0001".into(),
            second: "TERM0003".into()
        })
    );
    assert_eq!(
        identity::terminal_id_from_der(&make("X", &["urn:posnet:terminal:TOOLONG01"])),
        Err(IdentityError::BadTerminalId {
            id: "TOOLONG01".into()
        })
    );
    assert_eq!(
        identity::terminal_id_from_der(&make(
            "TERM0001",
            &["https://example.com/", "urn:posnet:terminal:TERM0001"]
        )),
        Ok("TERM0001".into())
    );
}

/// A handler that approves (00) when field 41 is the certificate's terminal, 58 otherwise.
fn terminal_check_handler(
    calls: Arc<AtomicUsize>,
) -> impl Fn(PeerInfo, Vec<u8>) -> std::future::Ready<Reply> + Send + Sync + 'static {
    let spec = spec();
    move |peer: PeerInfo, frame: Vec<u8>| {
        calls.fetch_add(1, Ordering::SeqCst);
        let field_41 = spec
            .unpack(&frame)
            .ok()
            .and_then(|m| m.text(41).map(str::to_owned));
        let code = if field_41.is_some() && field_41 == peer.terminal_id {
            "00"
        } else {
            "58"
        };
        std::future::ready(answer(&spec, &frame, code).into())
    }
}

#[tokio::test]
async fn mutual_tls_admits_our_terminals_and_names_them() {
    let dir = TempDir::new("mtls-ok");
    let pki = demo_pki(&dir, "posnet test CA");
    let calls = Arc::new(AtomicUsize::new(0));
    let server = start(
        "127.0.0.1:0",
        mtls_transport(&pki, &pki),
        ServerOptions::default(),
        terminal_check_handler(calls.clone()),
    )
    .await;
    let identity = pki.terminal_identity("TERM0001").unwrap();
    let link = Link::start(tls_link_options(server.addr, &pki, Some(&identity))).unwrap();
    link.wait_up(5_000).await.unwrap();

    let own = link.request(&purchase("TERM0001", 1, 1_250)).await.unwrap();
    assert_eq!(own.mti().as_str(), "0210");
    assert_eq!(own.text(39), Some("00"));
    assert_eq!(own.text(4), Some("000000001250"));
    // The certificate says TERM0001: a request claiming TERM0002 is not that terminal's.
    let other = link.request(&purchase("TERM0002", 2, 1_250)).await.unwrap();
    assert_eq!(other.text(39), Some("58"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    link.close();
    server.stop().await;
}

/// Connects with `client_config`, sends one frame and returns what reading the answer gave.
async fn try_once(addr: std::net::SocketAddr, config: Arc<rustls::ClientConfig>) -> String {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    // In TLS 1.3 the client finishes its handshake before the server has judged the client
    // certificate; the refusal arrives as an alert on the first read.
    let mut stream = match TlsConnector::from(config).connect(name, tcp).await {
        Ok(s) => s,
        Err(e) => return format!("handshake: {e}"),
    };
    let frame = {
        let spec = spec();
        let packed = spec.pack(&purchase("TERM0001", 1, 100)).unwrap();
        let mut out = vec![(packed.len() >> 8) as u8, packed.len() as u8];
        out.extend(packed);
        out
    };
    let _ = stream.write_all(&frame).await;
    let _ = stream.flush().await;
    let mut buf = [0u8; 64];
    match tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf)).await {
        Ok(Ok(0)) => "closed".into(),
        Ok(Ok(n)) => format!("answered {n} bytes"),
        Ok(Err(e)) => format!("read: {e}"),
        Err(_) => "no answer in 5 s".into(),
    }
}

#[tokio::test]
async fn mutual_tls_refuses_no_certificate_and_a_foreign_ca() {
    let dir = TempDir::new("mtls-refuse");
    let pki = demo_pki(&dir, "posnet test CA");
    let foreign_dir = TempDir::new("mtls-foreign");
    let foreign = demo_pki(&foreign_dir, "someone else's CA");
    let calls = Arc::new(AtomicUsize::new(0));
    let server = start(
        "127.0.0.1:0",
        mtls_transport(&pki, &pki),
        ServerOptions::default(),
        terminal_check_handler(calls.clone()),
    )
    .await;
    let cas = pki.ca_certs().unwrap();

    let anonymous = tls::client_config(&cas, None).unwrap();
    let outcome = try_once(server.addr, anonymous).await;
    assert!(outcome.contains("CertificateRequired"), "{outcome}");

    let stranger = foreign.terminal_identity("TERM0001").unwrap();
    let outcome = try_once(
        server.addr,
        tls::client_config(&cas, Some(&stranger)).unwrap(),
    )
    .await;
    assert!(
        outcome.contains("UnknownCA") || outcome.contains("BadCertificate"),
        "{outcome}"
    );

    // The same through a Link: the request fails with a link error, never an answer.
    let mut options = tls_link_options(server.addr, &pki, Some(&stranger));
    options.reconnect_min_ms = 20;
    let link = Link::start(options).unwrap();
    let result = link.request(&purchase("TERM0001", 3, 100)).await;
    assert!(
        matches!(
            result,
            Err(LinkError::Down { .. } | LinkError::Disconnected { .. })
        ),
        "{result:?}"
    );
    link.close();

    // A client that trusts another CA refuses our server.
    let wrong_trust = tls::client_config(&foreign.ca_certs().unwrap(), Some(&stranger)).unwrap();
    let outcome = try_once(server.addr, wrong_trust).await;
    assert!(outcome.starts_with("handshake:"), "{outcome}");

    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "no refused client reached the handler"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_ca_loaded_from_disk_issues_certificates_the_server_accepts() {
    let dir = TempDir::new("mtls-reload");
    let pki = demo_pki(&dir, "posnet test CA");
    let reloaded = Authority::load(pki.dir.as_path()).unwrap();
    pki.add_terminal(&reloaded, "TERM0009").unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let server = start(
        "127.0.0.1:0",
        mtls_transport(&pki, &pki),
        ServerOptions::default(),
        terminal_check_handler(calls.clone()),
    )
    .await;
    let identity = PkiDir::new(pki.dir.as_path())
        .terminal_identity("TERM0009")
        .unwrap();
    let link = Link::start(tls_link_options(server.addr, &pki, Some(&identity))).unwrap();
    link.wait_up(5_000).await.unwrap();
    let answer = link.request(&purchase("TERM0009", 7, 500)).await.unwrap();
    assert_eq!(answer.text(39), Some("00"));
    link.close();
    server.stop().await;
}

#[test]
fn only_tls_1_3_is_offered() {
    let dir = TempDir::new("tls13");
    let pki = demo_pki(&dir, "posnet test CA");
    let client = tls::client_config(&pki.ca_certs().unwrap(), None).unwrap();
    let mut connection =
        rustls::ClientConnection::new(client.clone(), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let mut hello = Vec::new();
    connection.write_tls(&mut hello).unwrap();
    // ClientHello: supported_versions (extension 0x002B) lists only 0x0304 (TLS 1.3):
    // extension type, length 3, list length 2, version.
    let tls13_only = [0x00, 0x2B, 0x00, 0x03, 0x02, 0x03, 0x04];
    assert!(
        hello.windows(tls13_only.len()).any(|w| w == tls13_only),
        "supported_versions is not TLS 1.3 only"
    );
}
