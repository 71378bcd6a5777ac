//! Shared set-up for the link tests: a throwaway PKI, servers on ephemeral loopback ports,
//! message builders, and a log capture.
#![allow(dead_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use iso8583::{Message, Mti, Spec};
use link::{
    Handler, Identity, LinkOptions, PkiDir, Server, ServerOptions, ShutdownTrigger, Target,
    Transport, shutdown_pair, tls,
};
use tokio::task::JoinHandle;

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("posnet-link-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A PKI with a server certificate for localhost/127.0.0.1 and terminals TERM0001, TERM0002.
pub fn demo_pki(dir: &TempDir, ca_name: &str) -> PkiDir {
    let pki = PkiDir::new(dir.path());
    pki.create(
        ca_name,
        &["localhost", "127.0.0.1"],
        &["TERM0001", "TERM0002"],
    )
    .unwrap();
    pki
}

pub fn spec() -> Arc<Spec> {
    Arc::new(iso8583::specs::iso87_ascii_bbitmap())
}

/// A 0200 purchase request from `terminal` with `stan` and `amount_minor`.
pub fn purchase(terminal: &str, stan: u32, amount_minor: u64) -> Message<'static> {
    let mut m = Message::new(Mti::parse("0200").unwrap());
    m.set_owned(3, "000000").unwrap();
    m.set_owned(4, format!("{amount_minor:012}")).unwrap();
    m.set_owned(11, format!("{stan:06}")).unwrap();
    m.set_owned(41, terminal).unwrap();
    m
}

/// The response to `request`: MTI +10, fields 3, 4, 7, 11, 41 echoed, 39 = `code`.
pub fn answer(spec: &Spec, request: &[u8], code: &str) -> Option<Vec<u8>> {
    let req = spec.unpack(request).ok()?;
    let mut resp = Message::new(req.mti().response()?);
    for field in [3, 4, 7, 11, 41, 70] {
        if let Some(v) = req.get(field) {
            resp.set_owned(field, v).unwrap();
        }
    }
    resp.set_owned(39, code).unwrap();
    Some(spec.pack(&resp).unwrap())
}

/// A running server and what stops it.
pub struct Running {
    pub addr: SocketAddr,
    pub trigger: ShutdownTrigger,
    pub task: JoinHandle<()>,
}

impl Running {
    /// Asks for shutdown and waits (bounded) for the server to finish.
    pub async fn stop(self) {
        self.trigger.trigger();
        tokio::time::timeout(std::time::Duration::from_secs(10), self.task)
            .await
            .expect("server stopped within 10 s")
            .unwrap();
    }
}

pub async fn start<H: Handler>(
    addr: &str,
    transport: Transport,
    options: ServerOptions,
    handler: H,
) -> Running {
    let server = Server::bind(addr, transport, options).await.unwrap();
    let addr = server.local_addr();
    let (trigger, shutdown) = shutdown_pair();
    let task = tokio::spawn(server.serve(Arc::new(handler), shutdown));
    Running {
        addr,
        trigger,
        task,
    }
}

/// A mutual-TLS server transport: the PKI's server certificate, clients must come from `client_ca`.
pub fn mtls_transport(pki: &PkiDir, client_ca: &PkiDir) -> Transport {
    let cas = client_ca.ca_certs().unwrap();
    Transport::tls(tls::server_config(&pki.server_identity().unwrap(), Some(&cas)).unwrap())
}

/// Link options for a TLS link to `addr` as `terminal` (no client certificate when `None`).
pub fn tls_link_options(
    addr: SocketAddr,
    pki: &PkiDir,
    identity: Option<&Identity>,
) -> LinkOptions {
    let mut options = LinkOptions::new(vec![Target::from(addr)], spec());
    options.tls = Some(tls::client_config(&pki.ca_certs().unwrap(), identity).unwrap());
    options
}

/// Captures log lines written while the guard lives (on this thread: use a current-thread runtime).
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let sink = self.0.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || CaptureWriter(sink.clone()))
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
