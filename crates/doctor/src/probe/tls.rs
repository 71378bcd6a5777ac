//! The TLS handshake with rustls: chain against the configured CA, name, expiry; a plain
//! HTTP answer (captive portal) is told apart from a broken handshake.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{CertificateError, ClientConfig, ClientConnection, RootCertStore};
use thiserror::Error;

use crate::facts::TlsOutcome;

/// Handshake I/O rounds at most (a TLS 1.3 handshake needs a handful).
const ROUNDS_MAX: usize = 32;
/// After our side finishes, how long to wait for the server to refuse our client
/// certificate (TLS 1.3 sends that alert after the client's Finished).
const LATE_ALERT_WAIT_MS: u64 = 300;

#[derive(Debug, Error)]
pub enum TlsSetupError {
    #[error("reading {what} from {path}: {detail}")]
    Pem {
        what: &'static str,
        path: String,
        detail: String,
    },
    #[error("{path} holds no certificate")]
    NoCertificate { path: String },
    #[error("CA certificate from {path} refused: {detail}")]
    BadCa { path: String, detail: String },
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

fn certs_from(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let pem = |detail: String| TlsSetupError::Pem {
        what: "certificates",
        path: path.display().to_string(),
        detail,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem(e.to_string()))?;
    if certs.is_empty() {
        return Err(TlsSetupError::NoCertificate {
            path: path.display().to_string(),
        });
    }
    Ok(certs)
}

/// A client configuration trusting only the CA in `ca_ders`, optionally with a client
/// certificate for mutual TLS.
pub fn config_from(
    ca_ders: Vec<CertificateDer<'static>>,
    client: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    ca_path: &str,
) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    for c in ca_ders {
        roots.add(c).map_err(|e| TlsSetupError::BadCa {
            path: ca_path.to_string(),
            detail: e.to_string(),
        })?;
    }
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots);
    let cfg = match client {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key)?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(cfg))
}

/// Loads `--ca` and, for mutual TLS, `--cert`/`--key` (PEM files).
pub fn load_config(
    ca: &Path,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let ca_ders = certs_from(ca)?;
    let client = match (cert, key) {
        (Some(c), Some(k)) => {
            let key = PrivateKeyDer::from_pem_file(k).map_err(|e| TlsSetupError::Pem {
                what: "private key",
                path: k.display().to_string(),
                detail: e.to_string(),
            })?;
            Some((certs_from(c)?, key))
        }
        _ => None,
    };
    config_from(ca_ders, client, &ca.display().to_string())
}

/// Keeps the first bytes the server sent, to recognise an HTTP answer.
struct Recorder {
    inner: TcpStream,
    first: Vec<u8>,
}

impl Read for Recorder {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.first.len() < 16 {
            let take = (16 - self.first.len()).min(n);
            self.first.extend_from_slice(buf.get(..take).unwrap_or(&[]));
        }
        Ok(n)
    }
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Maps a rustls error to what it means for the terminal.
pub fn classify(e: &rustls::Error) -> TlsOutcome {
    let detail = e.to_string();
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsOutcome::WrongName { detail }
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsOutcome::Expired { detail },
            _ => TlsOutcome::Untrusted { detail },
        },
        _ => TlsOutcome::HandshakeFailed { detail },
    }
}

fn io_failure(e: &std::io::Error, rec: &Recorder, started: Instant) -> TlsOutcome {
    if rec.first.starts_with(b"HTTP/") {
        return TlsOutcome::PlainHttp;
    }
    if let Some(r) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return classify(r);
    }
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => TlsOutcome::TimedOut {
            waited_ms: started.elapsed().as_millis() as u64,
        },
        ErrorKind::ConnectionReset => TlsOutcome::Reset,
        _ => TlsOutcome::HandshakeFailed {
            detail: e.to_string(),
        },
    }
}

/// Runs the handshake on a connected stream.
pub fn handshake(
    stream: TcpStream,
    server_name: &str,
    config: Arc<ClientConfig>,
    timeout_ms: u64,
) -> TlsOutcome {
    let started = Instant::now();
    let name = match ServerName::try_from(server_name.to_string()) {
        Ok(n) => n,
        Err(e) => {
            return TlsOutcome::HandshakeFailed {
                detail: format!("server name {server_name:?}: {e}"),
            };
        }
    };
    let mut conn = match ClientConnection::new(config, name) {
        Ok(c) => c,
        Err(e) => return classify(&e),
    };
    let step = Duration::from_millis(timeout_ms.max(1));
    let _ = stream.set_read_timeout(Some(step));
    let _ = stream.set_write_timeout(Some(step));
    let mut rec = Recorder {
        inner: stream,
        first: Vec::new(),
    };
    let deadline = started + step;
    for _ in 0..ROUNDS_MAX {
        if !conn.is_handshaking() {
            break;
        }
        if Instant::now() >= deadline {
            return TlsOutcome::TimedOut {
                waited_ms: started.elapsed().as_millis() as u64,
            };
        }
        match conn.complete_io(&mut rec) {
            Ok((0, 0)) if conn.wants_read() => {
                return if rec.first.starts_with(b"HTTP/") {
                    TlsOutcome::PlainHttp
                } else {
                    TlsOutcome::HandshakeFailed {
                        detail: "the server closed the connection".into(),
                    }
                };
            }
            Ok(_) => {}
            Err(e) => return io_failure(&e, &rec, started),
        }
    }
    if conn.is_handshaking() {
        return TlsOutcome::HandshakeFailed {
            detail: "handshake did not finish".into(),
        };
    }
    let handshake_ms = started.elapsed().as_millis() as u64;
    // A server that refuses our client certificate says so only now.
    let _ = rec
        .inner
        .set_read_timeout(Some(Duration::from_millis(LATE_ALERT_WAIT_MS)));
    if let Err(e) = conn.complete_io(&mut rec)
        && !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
    {
        return io_failure(&e, &rec, started);
    }
    TlsOutcome::Ok {
        version: conn
            .protocol_version()
            .map_or_else(|| "unknown".to_string(), |v| format!("{v:?}")),
        handshake_ms,
    }
}
