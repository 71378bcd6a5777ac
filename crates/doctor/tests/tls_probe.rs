//! The TLS probe against real rustls servers on loopback with certificates made by rcgen:
//! good, untrusted, wrong name, expired, plain HTTP, silent, and mutual TLS.

use std::io::{Read, Write};
use std::net::{SocketAddr, SocketAddrV4, TcpListener};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use doctor::facts::{TcpOutcome, TlsOutcome};
use doctor::probe::guard::Permit;
use doctor::probe::{tcp, tls};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection};

const NAME: &str = "gw.posnet.test";

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    der: CertificateDer<'static>,
}

fn ca(cn: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let der = params.self_signed(&key).unwrap().der().clone();
    Ca { params, key, der }
}

/// A leaf for `names`, signed by `ca`, valid over [from, to] years.
fn leaf(
    ca: &Ca,
    names: &[&str],
    years: (i32, i32),
) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let mut p =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    p.not_before = rcgen::date_time_ymd(years.0, 1, 1);
    p.not_after = rcgen::date_time_ymd(years.1, 1, 1);
    let key = KeyPair::generate().unwrap();
    let issuer = Issuer::new(ca.params.clone(), &ca.key);
    let cert = p.signed_by(&key, &issuer).unwrap();
    (
        cert.der().clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Serves one connection with `cfg` and keeps it open briefly.
fn serve_tls(cfg: Arc<ServerConfig>) -> SocketAddrV4 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let SocketAddr::V4(addr) = l.local_addr().unwrap() else {
        unreachable!()
    };
    thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut conn = ServerConnection::new(cfg).unwrap();
        for _ in 0..16 {
            if conn.complete_io(&mut s).is_err() {
                break;
            }
            if !conn.is_handshaking() {
                let _ = conn.complete_io(&mut s);
                thread::sleep(Duration::from_millis(500));
                break;
            }
        }
    });
    addr
}

fn server(
    chain: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    client_ca: Option<&Ca>,
) -> Arc<ServerConfig> {
    let b = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap();
    let b = match client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.der.clone()).unwrap();
            b.with_client_cert_verifier(
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                    .build()
                    .unwrap(),
            )
        }
        None => b.with_no_client_auth(),
    };
    Arc::new(b.with_single_cert(vec![chain], key).unwrap())
}

fn probe(
    addr: SocketAddrV4,
    trusted: &Ca,
    client: Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
    timeout_ms: u64,
) -> TlsOutcome {
    let at = tcp::connect_to(addr, 2000, &Permit::LoopbackOnly).unwrap();
    assert!(matches!(at.outcome, TcpOutcome::Connected { .. }));
    let cfg = tls::config_from(
        vec![trusted.der.clone()],
        client.map(|(c, k)| (vec![c], k)),
        "test-ca.pem",
    )
    .unwrap();
    tls::handshake(at.stream.unwrap(), NAME, cfg, timeout_ms)
}

#[test]
fn good_certificate_is_ok() {
    let ca = ca("posnet test CA");
    let (c, k) = leaf(&ca, &[NAME], (2020, 2090));
    let got = probe(serve_tls(server(c, k, None)), &ca, None, 3000);
    assert!(
        matches!(&got, TlsOutcome::Ok { version, .. } if version == "TLSv1_3"),
        "{got:?}"
    );
}

#[test]
fn certificate_from_another_ca_is_untrusted() {
    let ca1 = ca("posnet test CA");
    let other = ca("interceptor CA");
    let (c, k) = leaf(&other, &[NAME], (2020, 2090));
    let got = probe(serve_tls(server(c, k, None)), &ca1, None, 3000);
    assert!(matches!(got, TlsOutcome::Untrusted { .. }), "{got:?}");
}

#[test]
fn certificate_for_another_name() {
    let ca = ca("posnet test CA");
    let (c, k) = leaf(&ca, &["other.test"], (2020, 2090));
    let got = probe(serve_tls(server(c, k, None)), &ca, None, 3000);
    assert!(matches!(got, TlsOutcome::WrongName { .. }), "{got:?}");
}

#[test]
fn expired_certificate() {
    let ca = ca("posnet test CA");
    let (c, k) = leaf(&ca, &[NAME], (2015, 2020));
    let got = probe(serve_tls(server(c, k, None)), &ca, None, 3000);
    assert!(matches!(got, TlsOutcome::Expired { .. }), "{got:?}");
}

#[test]
fn mutual_tls_with_and_without_client_certificate() {
    let ca = ca("posnet test CA");
    let (c, k) = leaf(&ca, &[NAME], (2020, 2090));
    let cfg = server(c, k, Some(&ca));
    let (cc, ck) = leaf(&ca, &["terminal-1"], (2020, 2090));
    let got = probe(serve_tls(cfg.clone()), &ca, Some((cc, ck)), 3000);
    assert!(matches!(got, TlsOutcome::Ok { .. }), "{got:?}");
    let got = probe(serve_tls(cfg), &ca, None, 3000);
    assert!(
        matches!(&got, TlsOutcome::HandshakeFailed { detail } if detail.contains("CertificateRequired") || detail.contains("alert")),
        "{got:?}"
    );
}

#[test]
fn plain_http_answer_is_a_portal() {
    let ca = ca("posnet test CA");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let SocketAddr::V4(addr) = l.local_addr().unwrap() else {
        unreachable!()
    };
    thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut buf = [0u8; 512];
        let _ = s.read(&mut buf);
        let _ = s.write_all(
            b"HTTP/1.1 302 Found\r\nLocation: http://portal.carrier.test/\r\nContent-Length: 0\r\n\r\n",
        );
        thread::sleep(Duration::from_millis(300));
    });
    let got = probe(addr, &ca, None, 3000);
    assert_eq!(got, TlsOutcome::PlainHttp);
}

#[test]
fn silent_server_times_out() {
    let ca = ca("posnet test CA");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let SocketAddr::V4(addr) = l.local_addr().unwrap() else {
        unreachable!()
    };
    let h = thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        thread::sleep(Duration::from_millis(800));
        drop(s);
    });
    let got = probe(addr, &ca, None, 300);
    assert!(
        matches!(got, TlsOutcome::TimedOut { waited_ms } if (300..800).contains(&waited_ms)),
        "{got:?}"
    );
    h.join().unwrap();
}

#[test]
fn bad_ca_file_is_a_setup_error() {
    let dir = std::env::temp_dir().join(format!("doctor-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let err = tls::load_config(&empty, None, None).unwrap_err();
    assert!(err.to_string().contains("holds no certificate"), "{err}");
    let missing = dir.join("missing.pem");
    let err = tls::load_config(&missing, None, None).unwrap_err();
    assert!(err.to_string().contains("missing.pem"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
