//! The issuer's tokio adapter: a TLS server (mutual TLS: only gateways with a certificate from
//! the configured CA connect) in front of one ledger thread that decides requests in group
//! commits. Nothing is answered before its batch is committed (SQLite WAL, `synchronous=FULL`).

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ledger::{Ledger, Limits, SqliteStorage};
use link::{PeerInfo, Reply, Server, ServerOptions, Shutdown, Transport};
use tokio::sync::{mpsc, oneshot};

use crate::security::SecurityError;
use crate::{Config, Disposition, Issuer, IssuerError, Security, UnixTime};

/// Requests one commit takes at most; more wait for the next one.
pub const BATCH_MAX: usize = 256;
/// Requests waiting for the ledger thread at most; past it, a request gets no answer (the
/// gateway times out, answers 91 and reverses), rather than memory growing without bound.
pub const QUEUE_MAX: usize = 4_096;

/// Why the issuer could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("opening the ledger at {path}: {source}")]
    Ledger {
        path: String,
        source: ledger::LedgerError,
    },
    #[error("opening the ledger database at {path}: {source}")]
    Storage {
        path: String,
        source: ledger::StorageError,
    },
    #[error("setting up the accounts: {0}")]
    SetUp(#[from] IssuerError),
    #[error("the issuer's HSM: {0}")]
    Security(#[from] SecurityError),
    #[error("TLS material: {0}")]
    Pki(#[from] link::PkiError),
    #[error("TLS configuration: {0}")]
    Tls(#[from] link::TlsError),
    #[error("listening: {0}")]
    Server(#[from] link::ServerError),
    #[error("creating {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// The wall clock as the core wants it.
pub fn now() -> UnixTime {
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    UnixTime::from_ns(u64::try_from(ns).unwrap_or(u64::MAX))
}

/// Opens (or creates) the issuer's ledger in `data_dir` and posts any missing opening
/// balances.
pub fn open_ledger(issuer: &Issuer, data_dir: &Path) -> Result<Ledger<SqliteStorage>, ServeError> {
    std::fs::create_dir_all(data_dir).map_err(|source| ServeError::Io {
        path: data_dir.display().to_string(),
        source,
    })?;
    let path = data_dir.join("issuer-ledger.sqlite");
    let shown = path.display().to_string();
    let storage = SqliteStorage::open(&path).map_err(|source| ServeError::Storage {
        path: shown.clone(),
        source,
    })?;
    let mut ledger =
        Ledger::new(storage, Limits::default()).map_err(|source| ServeError::Ledger {
            path: shown,
            source,
        })?;
    issuer.set_up(&mut ledger, now())?;
    Ok(ledger)
}

struct Job {
    frame: Vec<u8>,
    reply: oneshot::Sender<Reply>,
}

/// The ledger thread: takes what is waiting (up to [`BATCH_MAX`]), decides it in one batch,
/// commits, and only then answers each request.
fn ledger_thread(issuer: Issuer, mut ledger: Ledger<SqliteStorage>, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH_MAX {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let frames: Vec<&[u8]> = batch.iter().map(|j| j.frame.as_slice()).collect();
        match issuer.handle_batch(&mut ledger, &frames, now()) {
            Ok(answers) => {
                for (job, answer) in batch.into_iter().zip(answers) {
                    let reply = match (answer.disposition, answer.response) {
                        (Disposition::Dropped, _) | (_, None) => {
                            tracing::warn!(reason = %answer.reason, "request not answered");
                            Reply::Nothing
                        }
                        (_, Some(bytes)) => {
                            tracing::info!(reason = %answer.reason, "answered");
                            Reply::Answer(bytes)
                        }
                    };
                    let _ = job.reply.send(reply);
                }
            }
            Err(e) => {
                // Nothing of this batch is on disk: answer none of it. The gateway times out,
                // answers its terminals 91 and sends reversal advices, which undo nothing
                // because nothing happened.
                tracing::error!(error = %e, requests = batch.len(), "batch failed; no answers sent");
                for job in batch {
                    let _ = job.reply.send(Reply::Nothing);
                }
            }
        }
    }
}

/// A running issuer: its address, its server task and its ledger thread (which ends, closing
/// the database, once the server has stopped and dropped its handler).
pub struct Running {
    pub local_addr: std::net::SocketAddr,
    pub task: tokio::task::JoinHandle<()>,
    pub ledger_thread: std::thread::JoinHandle<()>,
}

/// Starts the issuer on `listen` (or the config's address): TLS server, ledger thread.
pub async fn start(
    config: &Config,
    listen: Option<&str>,
    shutdown: Shutdown,
) -> Result<Running, ServeError> {
    let issuer = match &config.security {
        Some(security) => Issuer::with_security(config, Security::open(security)?),
        None => Issuer::new(config),
    };
    let ledger = open_ledger(&issuer, &config.data_dir)?;
    let identity = link::Identity::load(&config.tls.cert, &config.tls.key)?;
    let client_ca = link::pki::load_certs(&config.tls.client_ca)?;
    let tls = link::tls::server_config(&identity, Some(&client_ca))?;
    let addr = listen
        .map(str::to_string)
        .unwrap_or_else(|| config.listen.to_string());
    let server = Server::bind(&addr, Transport::tls(tls), ServerOptions::default()).await?;
    let local_addr = server.local_addr();
    let (tx, rx) = mpsc::channel::<Job>(QUEUE_MAX);
    let ledger_thread = std::thread::Builder::new()
        .name("issuer-ledger".into())
        .spawn(move || ledger_thread(issuer, ledger, rx))
        .map_err(|source| ServeError::Io {
            path: "the ledger thread".into(),
            source,
        })?;
    let handler = Arc::new(move |peer: PeerInfo, frame: Vec<u8>| {
        let tx = tx.clone();
        async move {
            let (reply, answer) = oneshot::channel();
            if tx.try_send(Job { frame, reply }).is_err() {
                tracing::warn!(
                    conn = peer.conn_id,
                    "ledger queue full or stopped: request not answered"
                );
                return Reply::Nothing;
            }
            answer.await.unwrap_or(Reply::Nothing)
        }
    });
    let task = tokio::spawn(server.serve(handler, shutdown));
    tracing::info!(%local_addr, "issuer listening");
    Ok(Running {
        local_addr,
        task,
        ledger_thread,
    })
}
