//! The accept loop of a service: TLS handshakes with a timeout, one task per connection with
//! a bounded number of requests in flight, a handler that decides what to answer, and a
//! graceful shutdown that lets requests in flight finish.
//!
//! A connection that breaks the framing (oversized or unreadable frame, truncated frame,
//! silence past the idle timeout) is closed with a warning that says why; the others carry on.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use iso8583::frame::Tpdu;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, error, info, warn};

use crate::conn::{ConnConfig, ConnError, FramedConn, Inbound};
use crate::shutdown::Shutdown;
use crate::tls;

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// Numbers connections in the order this server accepted them (for logs).
    pub conn_id: u64,
    pub addr: SocketAddr,
    /// The terminal id of the verified client certificate (mutual TLS), if one was asked for.
    pub terminal_id: Option<String>,
}

/// What a handler wants done with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Send this message back.
    Answer(Vec<u8>),
    /// Send nothing (an advice already answered, or a message to ignore).
    Nothing,
    /// Close the connection; the reason is logged (for example an unreadable MTI).
    Close(String),
}

impl From<Option<Vec<u8>>> for Reply {
    fn from(answer: Option<Vec<u8>>) -> Reply {
        answer.map_or(Reply::Nothing, Reply::Answer)
    }
}

impl From<Vec<u8>> for Reply {
    fn from(answer: Vec<u8>) -> Reply {
        Reply::Answer(answer)
    }
}

/// What a service does with each message it receives. Any
/// `Fn(PeerInfo, Vec<u8>) -> impl Future<Output = Option<Vec<u8>>>` (or `Reply`) is one.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, peer: PeerInfo, frame: Vec<u8>) -> impl Future<Output = Reply> + Send;
}

impl<F, Fut> Handler for F
where
    F: Fn(PeerInfo, Vec<u8>) -> Fut + Send + Sync + 'static,
    Fut: Future + Send,
    Fut::Output: Into<Reply>,
{
    fn handle(&self, peer: PeerInfo, frame: Vec<u8>) -> impl Future<Output = Reply> + Send {
        let fut = self(peer, frame);
        async move { fut.await.into() }
    }
}

/// Whether connections speak TLS.
#[derive(Clone)]
pub enum Transport {
    /// Plain TCP (tests and trusted loopback only).
    Plain,
    Tls(TlsAcceptor),
}

impl Transport {
    pub fn tls(config: Arc<rustls::ServerConfig>) -> Transport {
        Transport::Tls(TlsAcceptor::from(config))
    }
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Plain => "Plain",
            Transport::Tls(_) => "Tls",
        })
    }
}

/// Limits and timeouts of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerOptions {
    pub conn: ConnConfig,
    pub handshake_timeout_ms: u64,
    /// Requests one connection may have with the handler at once; past it, reading pauses.
    pub in_flight_max: usize,
    /// Connections open at once; past it, new ones are closed on accept.
    pub connections_max: usize,
    /// On shutdown, how long requests in flight may take before their connection closes.
    pub drain_timeout_ms: u64,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            conn: ConnConfig::default(),
            handshake_timeout_ms: 5_000,
            in_flight_max: 64,
            connections_max: 1_024,
            drain_timeout_ms: 5_000,
        }
    }
}

/// Why a server could not start.
#[derive(Debug, Error)]
pub enum ServerError {
    #[error("binding {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("reading the bound address: {0}")]
    LocalAddr(std::io::Error),
    #[error("in_flight_max and connections_max must be at least 1")]
    ZeroLimit,
}

/// A bound listener, ready to serve.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    transport: Transport,
    options: ServerOptions,
}

impl Server {
    /// Binds `addr` (`127.0.0.1:0` for an ephemeral port).
    pub async fn bind(
        addr: &str,
        transport: Transport,
        options: ServerOptions,
    ) -> Result<Server, ServerError> {
        if options.in_flight_max == 0 || options.connections_max == 0 {
            return Err(ServerError::ZeroLimit);
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind {
                addr: addr.to_owned(),
                source,
            })?;
        let local_addr = listener.local_addr().map_err(ServerError::LocalAddr)?;
        Ok(Server {
            listener,
            local_addr,
            transport,
            options,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Accepts and serves connections until `shutdown` fires, then waits for every
    /// connection to finish its requests in flight (at most `drain_timeout_ms`, plus the
    /// handshake timeout for connections still shaking hands).
    pub async fn serve<H: Handler>(self, handler: Arc<H>, mut shutdown: Shutdown) {
        let Server {
            listener,
            local_addr,
            transport,
            options,
        } = self;
        info!(%local_addr, ?transport, "serving");
        let slots = Arc::new(Semaphore::new(options.connections_max));
        let next_id = AtomicU64::new(1);
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                biased;
                _ = shutdown.wait() => break,
                Some(_) = connections.join_next() => {}
                accepted = listener.accept() => {
                    let (tcp, addr) = match accepted {
                        Ok(pair) => pair,
                        Err(e) => {
                            // Out of file descriptors and the like: wait a little rather
                            // than spin on the same error.
                            warn!(%local_addr, error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let conn_id = next_id.fetch_add(1, Ordering::Relaxed);
                    let Ok(slot) = slots.clone().try_acquire_owned() else {
                        warn!(conn_id, %addr, connections_max = options.connections_max,
                            "too many connections; closing the new one");
                        continue;
                    };
                    let handler = handler.clone();
                    let transport = transport.clone();
                    let shutdown = shutdown.clone();
                    connections.spawn(async move {
                        accept_one(tcp, addr, conn_id, transport, options, handler, shutdown).await;
                        drop(slot);
                    });
                }
            }
        }
        drop(listener);
        info!(%local_addr, open = connections.len(), "shutting down");
        let limit = Duration::from_millis(options.drain_timeout_ms + options.handshake_timeout_ms);
        let drained = tokio::time::timeout(limit, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            warn!(%local_addr, open = connections.len(), "connections still open after the drain timeout; aborting them");
            connections.abort_all();
        }
        info!(%local_addr, "stopped");
    }
}

async fn accept_one<H: Handler>(
    tcp: TcpStream,
    addr: SocketAddr,
    conn_id: u64,
    transport: Transport,
    options: ServerOptions,
    handler: Arc<H>,
    shutdown: Shutdown,
) {
    if let Err(e) = tcp.set_nodelay(true) {
        debug!(conn_id, %addr, error = %e, "TCP_NODELAY not set");
    }
    match transport {
        Transport::Plain => {
            let peer = PeerInfo {
                conn_id,
                addr,
                terminal_id: None,
            };
            serve_connection(tcp, peer, options, handler, shutdown).await;
        }
        Transport::Tls(acceptor) => {
            let timeout = Duration::from_millis(options.handshake_timeout_ms);
            let stream = match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    warn!(conn_id, %addr, error = %e, "TLS handshake failed; closing");
                    return;
                }
                Err(_) => {
                    warn!(conn_id, %addr, handshake_timeout_ms = options.handshake_timeout_ms,
                        "TLS handshake not finished in time; closing");
                    return;
                }
            };
            let session = stream.get_ref().1;
            let terminal_id = if session.peer_certificates().is_some() {
                match tls::peer_terminal_id(session) {
                    Ok(id) => Some(id),
                    Err(e) => {
                        warn!(conn_id, %addr, error = %e, "client certificate names no terminal; closing");
                        return;
                    }
                }
            } else {
                None
            };
            let peer = PeerInfo {
                conn_id,
                addr,
                terminal_id,
            };
            serve_connection(stream, peer, options, handler, shutdown).await;
        }
    }
}

/// How one connection ended, for the log line.
enum Ending {
    Shutdown,
    PeerClosed,
    Broken(ConnError),
    HandlerClosed(String),
}

async fn serve_connection<S, H>(
    stream: S,
    peer: PeerInfo,
    options: ServerOptions,
    handler: Arc<H>,
    mut shutdown: Shutdown,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
    H: Handler,
{
    let conn_id = peer.conn_id;
    let addr = peer.addr;
    let terminal = peer.terminal_id.as_deref().unwrap_or("-").to_owned();
    debug!(conn_id, %addr, %terminal, "connection open");
    let (mut reader, mut writer) = FramedConn::new(stream, options.conn).into_split();
    let mut in_flight: JoinSet<(Option<Tpdu>, Reply)> = JoinSet::new();
    // Set when no more requests are read (on shutdown, or when the peer closed its side),
    // with the cause to log once the requests in flight are answered.
    let mut drain_deadline: Option<Instant> = None;
    let mut drain_cause = Ending::Shutdown;
    let ending = loop {
        if drain_deadline.is_some() && in_flight.is_empty() {
            break drain_cause;
        }
        let reading = drain_deadline.is_none() && in_flight.len() < options.in_flight_max;
        tokio::select! {
            biased;
            _ = shutdown.wait(), if drain_deadline.is_none() => {
                drain_deadline = Some(Instant::now() + Duration::from_millis(options.drain_timeout_ms));
                drain_cause = Ending::Shutdown;
            }
            Some(done) = in_flight.join_next() => match done {
                Ok((tpdu, Reply::Answer(answer))) => {
                    if let Err(e) = writer.send(tpdu.map(Tpdu::reply), &answer).await {
                        break Ending::Broken(e);
                    }
                }
                Ok((_, Reply::Nothing)) => {}
                Ok((_, Reply::Close(reason))) => break Ending::HandlerClosed(reason),
                Err(e) => error!(conn_id, %addr, error = %e, "request handler failed; no answer sent"),
            },
            inbound = reader.next(), if reading => match inbound {
                Ok(Inbound::KeepAlive) => {
                    if options.conn.answer_keepalive
                        && let Err(e) = writer.send_keepalive().await
                    {
                        break Ending::Broken(e);
                    }
                }
                Ok(Inbound::Message { tpdu, payload }) => {
                    let handler = handler.clone();
                    let peer = peer.clone();
                    in_flight.spawn(async move { (tpdu, handler.handle(peer, payload).await) });
                }
                Err(ConnError::PeerClosed) => {
                    // The peer may still read: finish what it asked for, then close.
                    drain_deadline = Some(Instant::now() + Duration::from_millis(options.drain_timeout_ms));
                    drain_cause = Ending::PeerClosed;
                }
                Err(e) => break Ending::Broken(e),
            },
            _ = sleep_until_some(drain_deadline) => {
                warn!(conn_id, %addr, %terminal, unanswered = in_flight.len(),
                    "requests still in flight at the drain timeout; closing without their answers");
                break drain_cause;
            }
        }
    };
    // Handlers are never cancelled half-way (a decision may be on its way to disk); they
    // finish on their own and their answers are dropped.
    in_flight.detach_all();
    match ending {
        Ending::Shutdown => debug!(conn_id, %addr, %terminal, "connection closed for shutdown"),
        Ending::PeerClosed => debug!(conn_id, %addr, %terminal, "peer closed the connection"),
        Ending::HandlerClosed(reason) => {
            warn!(conn_id, %addr, %terminal, "closing connection: {reason}");
        }
        Ending::Broken(e) => warn!(conn_id, %addr, %terminal, "closing connection: {e}"),
    }
    let _ = writer.shutdown().await;
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
