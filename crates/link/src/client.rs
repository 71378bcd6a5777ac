//! A persistent client link to a host: connects (TLS or plain), keeps requests in flight
//! matched by terminal id + STAN + MTI class (see [`crate::matcher`]), times each request
//! out with a typed error (the caller decides on a reversal), reconnects with a bounded
//! backoff, and sends echoes (0800/301) on an idle link so a dead peer is noticed.
//!
//! A [`Link`] is a cheap handle; clones share one connection and one in-flight bound.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use iso8583::frame::Framing;
use iso8583::{CodecError, Message, Spec};
use rustls::pki_types::ServerName;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tracing::{debug, info, warn};

use crate::conn::{ConnError, FrameReader, FrameWriter, Inbound};
use crate::echo::{self, StanCounter};
use crate::frame_buf::frame_limit;
use crate::matcher::{KeyError, MatchKey, Matcher, Refusal};
use crate::seal::{Seal, SealToken};
use crate::shutdown::{Shutdown, ShutdownTrigger, shutdown_pair};

/// Why a request got no response.
#[derive(Debug, Error)]
pub enum LinkError {
    #[error("{in_flight_max} requests already in flight on the link")]
    Busy { in_flight_max: usize },
    #[error("no response to {key} within {timeout_ms} ms")]
    Timeout { key: MatchKey, timeout_ms: u64 },
    #[error("link is down ({reason}); request not sent")]
    Down { reason: String },
    #[error(
        "connection lost with {key} in flight ({reason}); it may or may not have been processed"
    )]
    Disconnected { key: MatchKey, reason: String },
    #[error("link is closed")]
    Closed,
    #[error("request cannot be matched: {0}")]
    Key(#[from] KeyError),
    #[error("MTI {mti} is not a request or advice; nothing would answer it")]
    NotARequest { mti: String },
    #[error("a request with {key} is already in flight")]
    Duplicate { key: MatchKey },
    #[error("request cannot be packed: {0}")]
    Pack(CodecError),
    #[error("request of {len} bytes is more than the frame maximum {max}")]
    TooLarge { len: usize, max: usize },
    #[error("link not up within {waited_ms} ms (last state: {state:?})")]
    NotUp { waited_ms: u64, state: LinkState },
    #[error("link options: {0}")]
    Options(&'static str),
    #[error("request cannot be sealed (MAC): {0}")]
    Seal(String),
    #[error("answer to {key} failed its MAC check ({reason}); treated as no answer")]
    BadAnswerMac { key: MatchKey, reason: String },
}

/// Where a link connects: a host name or IP address and a port. For TLS, the host is also
/// the name the server certificate must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
}

impl Target {
    pub fn new(host: &str, port: u16) -> Target {
        Target {
            host: host.to_owned(),
            port,
        }
    }
}

impl From<SocketAddr> for Target {
    fn from(addr: SocketAddr) -> Target {
        Target {
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }
}

/// Echoes on an idle link.
#[derive(Debug, Clone)]
pub struct EchoOptions {
    /// Send an echo after this long without any frame sent or received.
    pub idle_ms: u64,
    /// Field 41 to put in the echo (terminal-to-gateway links carry it; host links do not).
    pub terminal_id: Option<String>,
    /// Where echo STANs come from; share it with the link's owner so numbers never collide.
    pub stans: StanCounter,
}

/// How a link connects and behaves.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// Tried in turn: a failed connection moves to the next (primary, then secondary…).
    pub targets: Vec<Target>,
    /// TLS configuration; `None` for plain TCP.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The dialect that packs requests and unpacks responses.
    pub spec: Arc<Spec>,
    pub framing: Framing,
    pub connect_timeout_ms: u64,
    pub request_timeout_ms: u64,
    pub in_flight_max: usize,
    /// Backoff after a failed connection: doubles from min to max.
    pub reconnect_min_ms: u64,
    pub reconnect_max_ms: u64,
    /// Drop the connection when nothing arrives for this long (`None`: rely on echoes).
    pub idle_timeout_ms: Option<u64>,
    pub write_timeout_ms: u64,
    pub echo: Option<EchoOptions>,
    /// MACs every request (echoes too) and checks every answer; `None` for no MACs.
    pub seal: Option<Arc<dyn Seal>>,
}

impl std::fmt::Debug for dyn Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seal")
    }
}

impl LinkOptions {
    /// Options with posnet's defaults: 5 s connect, 30 s per request, 64 in flight,
    /// reconnect backoff 100 ms to 10 s, no echo, 8 KiB frames.
    pub fn new(targets: Vec<Target>, spec: Arc<Spec>) -> LinkOptions {
        LinkOptions {
            targets,
            tls: None,
            spec,
            framing: Framing::default(),
            connect_timeout_ms: 5_000,
            request_timeout_ms: 30_000,
            in_flight_max: 64,
            reconnect_min_ms: 100,
            reconnect_max_ms: 10_000,
            idle_timeout_ms: None,
            write_timeout_ms: 10_000,
            echo: None,
            seal: None,
        }
    }
}

/// Where a link is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Connecting {
        target: String,
    },
    /// Connected; `connection` counts connections made since the link started.
    Up {
        peer: SocketAddr,
        connection: u64,
    },
    Down {
        reason: String,
    },
    Closed,
}

/// The delay before reconnect attempt `failures` (1 for the first retry): `min_ms` doubled
/// per failure, never more than `max_ms`.
pub fn backoff_ms(failures: u32, min_ms: u64, max_ms: u64) -> u64 {
    let doublings = failures.saturating_sub(1).min(32);
    min_ms.saturating_mul(1u64 << doublings).min(max_ms)
}

enum Waiter {
    Caller {
        reply: oneshot::Sender<Result<Message<'static>, LinkError>>,
        // Released when the request leaves the table (before the caller hears), so the
        // bound counts exactly what is on the wire.
        permit: OwnedSemaphorePermit,
        /// What the answer's MAC is checked with (when the link has a seal).
        token: Option<SealToken>,
    },
    Echo {
        token: Option<SealToken>,
    },
}

struct Request {
    key: MatchKey,
    frame: Vec<u8>,
    waiter: Waiter,
}

impl Waiter {
    fn finish(self, outcome: Result<Message<'static>, LinkError>) {
        if let Waiter::Caller { reply, permit, .. } = self {
            drop(permit);
            let _ = reply.send(outcome);
        }
    }

    fn fail(self, error: LinkError) {
        self.finish(Err(error));
    }
}

/// A handle on a persistent link; clone it freely.
#[derive(Clone)]
pub struct Link {
    requests: mpsc::Sender<Request>,
    state: watch::Receiver<LinkState>,
    permits: Arc<Semaphore>,
    spec: Arc<Spec>,
    seal: Option<Arc<dyn Seal>>,
    in_flight_max: usize,
    frame_max: usize,
    trigger: Arc<ShutdownTrigger>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("state", &*self.state.borrow())
            .field("in_flight_max", &self.in_flight_max)
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Starts the link's task (it connects in the background). Needs a tokio runtime.
    pub fn start(options: LinkOptions) -> Result<Link, LinkError> {
        if options.targets.is_empty() {
            return Err(LinkError::Options("no target to connect to"));
        }
        if options.in_flight_max == 0 {
            return Err(LinkError::Options("in_flight_max must be at least 1"));
        }
        let (requests, inbox) = mpsc::channel(options.in_flight_max);
        let first = options
            .targets
            .first()
            .map(|t| format!("{}:{}", t.host, t.port))
            .unwrap_or_default();
        let (state_tx, state) = watch::channel(LinkState::Connecting { target: first });
        let (trigger, shutdown) = shutdown_pair();
        let link = Link {
            requests,
            state,
            permits: Arc::new(Semaphore::new(options.in_flight_max)),
            spec: options.spec.clone(),
            seal: options.seal.clone(),
            in_flight_max: options.in_flight_max,
            frame_max: frame_limit(&options.framing),
            trigger: Arc::new(trigger),
        };
        tokio::spawn(run(options, inbox, state_tx, shutdown));
        Ok(link)
    }

    pub fn state(&self) -> LinkState {
        self.state.borrow().clone()
    }

    /// A receiver that sees every change of state (to wait for up, down or a reconnect).
    pub fn watch_state(&self) -> watch::Receiver<LinkState> {
        self.state.clone()
    }

    /// Waits until the link is up, at most `timeout_ms`.
    pub async fn wait_up(&self, timeout_ms: u64) -> Result<(), LinkError> {
        let mut state = self.state.clone();
        let waited = tokio::time::timeout(
            Duration::from_millis(timeout_ms),
            state.wait_for(|s| matches!(s, LinkState::Up { .. } | LinkState::Closed)),
        )
        .await;
        match waited {
            Ok(Ok(s)) if matches!(*s, LinkState::Up { .. }) => Ok(()),
            Ok(Ok(_)) | Ok(Err(_)) => Err(LinkError::Closed),
            Err(_) => Err(LinkError::NotUp {
                waited_ms: timeout_ms,
                state: self.state(),
            }),
        }
    }

    /// Sends a request and waits for its response (or a typed error: `Busy` at once when
    /// `in_flight_max` requests are out, `Timeout` after `request_timeout_ms`, `Down` when
    /// not connected, `Disconnected` when the connection dropped while it was out).
    pub async fn request(&self, message: &Message<'_>) -> Result<Message<'static>, LinkError> {
        if !message.mti().is_request() {
            return Err(LinkError::NotARequest {
                mti: message.mti().to_string(),
            });
        }
        let key = MatchKey::of(message)?;
        let (frame, token) = match &self.seal {
            None => (self.spec.pack(message).map_err(LinkError::Pack)?, None),
            Some(seal) => {
                let (frame, token) = seal.seal(&self.spec, message).map_err(LinkError::Seal)?;
                (frame, Some(token))
            }
        };
        if frame.len() > self.frame_max {
            return Err(LinkError::TooLarge {
                len: frame.len(),
                max: self.frame_max,
            });
        }
        let permit = self
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| LinkError::Busy {
                in_flight_max: self.in_flight_max,
            })?;
        let (reply, answer) = oneshot::channel();
        let request = Request {
            key,
            frame,
            waiter: Waiter::Caller {
                reply,
                permit,
                token,
            },
        };
        // The channel holds in_flight_max and each request holds a permit: never full.
        self.requests
            .try_send(request)
            .map_err(|_| LinkError::Closed)?;
        answer.await.unwrap_or(Err(LinkError::Closed))
    }

    /// Requests sent and not yet answered, timed out or failed.
    pub fn in_flight(&self) -> usize {
        self.in_flight_max - self.permits.available_permits()
    }

    /// Stops the link: requests in flight fail with `Closed`, the connection is closed.
    pub fn close(&self) {
        self.trigger.trigger();
    }
}

/// A connected stream, plain or TLS.
enum Connected {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

async fn connect(
    options: &LinkOptions,
    target: &Target,
) -> Result<(Connected, SocketAddr), String> {
    let attempt = async {
        let tcp = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|e| format!("TCP connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let peer = tcp.peer_addr().map_err(|e| format!("peer address: {e}"))?;
        match &options.tls {
            None => Ok((Connected::Plain(tcp), peer)),
            Some(config) => {
                let name = ServerName::try_from(target.host.clone())
                    .map_err(|e| format!("server name {:?}: {e}", target.host))?;
                let stream = TlsConnector::from(config.clone())
                    .connect(name, tcp)
                    .await
                    .map_err(|e| format!("TLS handshake: {e}"))?;
                Ok((Connected::Tls(Box::new(stream)), peer))
            }
        }
    };
    tokio::time::timeout(Duration::from_millis(options.connect_timeout_ms), attempt)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "not connected within {} ms",
                options.connect_timeout_ms
            ))
        })
}

/// Refuses requests that arrive while the link is not connected.
fn refuse(request: Request, reason: &str) {
    request.waiter.fail(LinkError::Down {
        reason: reason.to_owned(),
    });
}

/// The link's task: connect, run a session, back off, again, until closed.
async fn run(
    options: LinkOptions,
    mut inbox: mpsc::Receiver<Request>,
    state: watch::Sender<LinkState>,
    mut shutdown: Shutdown,
) {
    let mut failures: u32 = 0;
    let mut attempt: usize = 0;
    let mut connections: u64 = 0;
    // `targets` is never empty (checked in `Link::start`), so this runs until closed.
    while let Some(target) = options.targets.get(attempt % options.targets.len()) {
        let target_name = format!("{}:{}", target.host, target.port);
        state.send_replace(LinkState::Connecting {
            target: target_name.clone(),
        });
        let connecting = connect(&options, target);
        tokio::pin!(connecting);
        let outcome = loop {
            tokio::select! {
                biased;
                _ = shutdown.wait() => {
                    state.send_replace(LinkState::Closed);
                    return;
                }
                outcome = &mut connecting => break outcome,
                request = inbox.recv() => match request {
                    Some(request) => refuse(request, "connecting"),
                    None => {
                        state.send_replace(LinkState::Closed);
                        return;
                    }
                },
            }
        };
        let reason = match outcome {
            Ok((stream, peer)) => {
                connections += 1;
                info!(target = %target_name, %peer, connection = connections, "link up");
                state.send_replace(LinkState::Up {
                    peer,
                    connection: connections,
                });
                let ending = match stream {
                    Connected::Plain(s) => session(s, &options, &mut inbox, &mut shutdown).await,
                    Connected::Tls(s) => session(*s, &options, &mut inbox, &mut shutdown).await,
                };
                match ending {
                    SessionEnd::Closed => {
                        state.send_replace(LinkState::Closed);
                        return;
                    }
                    SessionEnd::Failed {
                        reason,
                        heard_from_peer,
                    } => {
                        // A peer that accepts and then drops us at once is a failure too.
                        failures = if heard_from_peer { 1 } else { failures + 1 };
                        reason
                    }
                }
            }
            Err(reason) => {
                failures += 1;
                attempt += 1;
                reason
            }
        };
        let delay_ms = backoff_ms(failures, options.reconnect_min_ms, options.reconnect_max_ms);
        warn!(target = %target_name, reason, retry_in_ms = delay_ms, "link down");
        state.send_replace(LinkState::Down {
            reason: reason.clone(),
        });
        let wake = Instant::now() + Duration::from_millis(delay_ms);
        loop {
            tokio::select! {
                biased;
                _ = shutdown.wait() => {
                    state.send_replace(LinkState::Closed);
                    return;
                }
                _ = tokio::time::sleep_until(wake) => break,
                request = inbox.recv() => match request {
                    Some(request) => refuse(request, &reason),
                    None => {
                        state.send_replace(LinkState::Closed);
                        return;
                    }
                },
            }
        }
    }
    state.send_replace(LinkState::Closed);
}

enum SessionEnd {
    Closed,
    Failed {
        reason: String,
        heard_from_peer: bool,
    },
}

async fn session<S>(
    stream: S,
    options: &LinkOptions,
    inbox: &mut mpsc::Receiver<Request>,
    shutdown: &mut Shutdown,
) -> SessionEnd
where
    S: AsyncRead + AsyncWrite,
{
    let (r, w) = tokio::io::split(stream);
    let mut reader = FrameReader::new(r, options.framing, options.idle_timeout_ms);
    let mut writer = FrameWriter::new(w, options.framing, options.write_timeout_ms);
    // One slot more than callers can fill, kept for the echo.
    let mut table: Matcher<Waiter, Instant> = Matcher::new(options.in_flight_max + 1);
    let request_timeout = Duration::from_millis(options.request_timeout_ms);
    let mut last_activity = Instant::now();
    let mut echo_out: Option<MatchKey> = None;
    let mut heard_from_peer = false;
    // Turned off for this connection if the dialect cannot carry an echo.
    let mut echo_on = options.echo.is_some();
    let ending = loop {
        let deadline = table.next_deadline();
        let echo_due = match (&options.echo, &echo_out) {
            (Some(echo), None) if echo_on => {
                Some(last_activity + Duration::from_millis(echo.idle_ms))
            }
            _ => None,
        };
        tokio::select! {
            biased;
            _ = shutdown.wait() => break SessionEnd::Closed,
            inbound = reader.next() => match inbound {
                Ok(Inbound::KeepAlive) => {
                    heard_from_peer = true;
                    last_activity = Instant::now();
                }
                Ok(Inbound::Message { payload, .. }) => {
                    heard_from_peer = true;
                    last_activity = Instant::now();
                    deliver(options, &payload, &mut table, &mut echo_out);
                }
                Err(e) => break SessionEnd::Failed {
                    reason: match e {
                        ConnError::PeerClosed => "peer closed the connection".to_owned(),
                        other => other.to_string(),
                    },
                    heard_from_peer,
                },
            },
            _ = sleep_until_some(deadline) => {
                let now = Instant::now();
                let mut echo_lost = false;
                for (key, waiter) in table.expire(now) {
                    match waiter {
                        Waiter::Echo { .. } => echo_lost = true,
                        caller => {
                            debug!(%key, "request timed out");
                            caller.fail(LinkError::Timeout {
                                key,
                                timeout_ms: options.request_timeout_ms,
                            });
                        }
                    }
                }
                if echo_lost {
                    break SessionEnd::Failed {
                        reason: format!("echo not answered within {} ms", options.request_timeout_ms),
                        heard_from_peer,
                    };
                }
            }
            _ = sleep_until_some(echo_due) => {
                let Some(echo) = &options.echo else { continue };
                let message = echo::echo_request(
                    &echo.stans.next(),
                    echo.terminal_id.as_deref(),
                    crate::civil::now_unix_s(),
                );
                let packed = match &options.seal {
                    None => options.spec.pack(&message).map(|f| (f, None)).map_err(|e| e.to_string()),
                    Some(seal) => seal.seal(&options.spec, &message).map(|(f, t)| (f, Some(t))),
                };
                let (key, frame, token) = match (MatchKey::of(&message), packed) {
                    (Ok(key), Ok((frame, token))) => (key, frame, token),
                    (_, Err(e)) => {
                        warn!(error = %e, "echo cannot be packed in this dialect; echoes off for this connection");
                        echo_on = false;
                        continue;
                    }
                    (Err(e), _) => {
                        warn!(error = %e, "echo has no key; echoes off for this connection");
                        echo_on = false;
                        continue;
                    }
                };
                if table.insert(key.clone(), Waiter::Echo { token }, Instant::now() + request_timeout).is_ok() {
                    debug!(%key, "sending echo");
                    echo_out = Some(key);
                    if let Err(e) = writer.send(None, &frame).await {
                        break SessionEnd::Failed { reason: e.to_string(), heard_from_peer };
                    }
                }
                last_activity = Instant::now();
            }
            request = inbox.recv() => {
                let Some(Request { key, frame, waiter }) = request else {
                    break SessionEnd::Closed;
                };
                match table.insert(key.clone(), waiter, Instant::now() + request_timeout) {
                    Ok(()) => {
                        if let Err(e) = writer.send(None, &frame).await {
                            break SessionEnd::Failed { reason: e.to_string(), heard_from_peer };
                        }
                        last_activity = Instant::now();
                    }
                    Err((Refusal::Duplicate { key }, waiter)) => {
                        waiter.fail(LinkError::Duplicate { key });
                    }
                    Err((Refusal::Busy { in_flight_max }, waiter)) => {
                        waiter.fail(LinkError::Busy { in_flight_max });
                    }
                }
            }
        }
    };
    let reason = match &ending {
        SessionEnd::Closed => None,
        SessionEnd::Failed { reason, .. } => Some(reason.clone()),
    };
    for (key, waiter) in table.drain() {
        waiter.fail(match &reason {
            None => LinkError::Closed,
            Some(reason) => LinkError::Disconnected {
                key,
                reason: reason.clone(),
            },
        });
    }
    if reason.is_none() {
        let _ = writer.shutdown().await;
    }
    ending
}

/// Hands a received message to the request it answers, once its MAC (if the link has a
/// seal) checks out.
fn deliver(
    options: &LinkOptions,
    payload: &[u8],
    table: &mut Matcher<Waiter, Instant>,
    echo_out: &mut Option<MatchKey>,
) {
    let message = match options.spec.unpack(payload) {
        Ok(message) => message,
        Err(e) => {
            warn!(error = %e, "unreadable message from the peer; ignored");
            return;
        }
    };
    if message.mti().is_request() {
        warn!(mti = %message.mti(), "the peer sent a request on a client link; ignored");
        return;
    }
    let key = match MatchKey::of(&message) {
        Ok(key) => key,
        Err(e) => {
            warn!(error = %e, "response cannot be matched; ignored");
            return;
        }
    };
    let waiter = table.resolve(&key);
    let token = match &waiter {
        Some(Waiter::Caller { token, .. } | Waiter::Echo { token }) => token.as_ref(),
        None => None,
    };
    if let (Some(seal), Some(token)) = (&options.seal, token)
        && let Err(reason) = seal.check(token, payload, &message)
    {
        warn!(%key, %reason, "answer failed its MAC check; treated as no answer");
        match waiter {
            Some(caller @ Waiter::Caller { .. }) => {
                caller.fail(LinkError::BadAnswerMac { key, reason })
            }
            Some(Waiter::Echo { .. }) => *echo_out = None,
            None => {}
        }
        return;
    }
    match waiter {
        Some(caller @ Waiter::Caller { .. }) => caller.finish(Ok(message.into_owned())),
        Some(Waiter::Echo { .. }) => {
            *echo_out = None;
            match message.text(39) {
                Some("00") => debug!(%key, "echo answered"),
                code => warn!(%key, response_code = ?code, "echo answered with a refusal"),
            }
        }
        None => debug!(%key, "response with no request waiting (late or unknown); dropped"),
    }
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_the_maximum() {
        let delays: Vec<u64> = (1..=8).map(|n| backoff_ms(n, 100, 5_000)).collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
        assert_eq!(backoff_ms(0, 100, 5_000), 100);
        assert_eq!(backoff_ms(u32::MAX, 100, 5_000), 5_000);
        assert_eq!(backoff_ms(40, u64::MAX, u64::MAX), u64::MAX);
    }
}
