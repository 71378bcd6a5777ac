//! The gateway's tokio adapter: terminals over mutual TLS (the `link` crate's accept loop),
//! persistent TLS links to issuers (`link::Link`), the journal on disk, and one thread that
//! owns the core and carries out its actions in order.
//!
//! Why a thread: the core is plain synchronous code and a journal record must be fsynced before
//! the actions after it; a dedicated thread does that without stalling tokio's workers. The
//! fsyncs themselves run on the journal's own thread ([`crate::journal_writer`], group commit):
//! the core's thread hands each event's records over, holds back the actions that follow them,
//! and goes on with the next event meanwhile.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use iso8583::{Message, Mti, Spec, specs};
use link::{
    Handler, LinkOptions, LinkState, PeerInfo, Reply, Server, ServerOptions, Shutdown, Target,
    Transport,
};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, info, warn};

use crate::action::{Action, ConnId, Level, MatchKey};
use crate::clock::UnixMs;
use crate::config::{Config, IssuerLink};
use crate::gateway::Gateway;
use crate::journal_file::{COMPACT_ABOVE_BYTES, JournalFile, JournalFileError};
use crate::journal_writer::{JournalSink, JournalWriter};

/// Events waiting for the core; beyond it, senders wait (back-pressure on terminals).
const EVENTS_MAX: usize = 4096;
/// How often the core is asked for its timers.
const TICK_MS: u64 = 100;
/// The link's own request timeout is a backstop behind the core's.
const LINK_TIMEOUT_MARGIN_MS: u64 = 1_000;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("certificates: {0}")]
    Pki(#[from] link::PkiError),
    #[error("TLS: {0}")]
    Tls(#[from] link::TlsError),
    #[error("terminal listener: {0}")]
    Listen(#[from] link::ServerError),
    #[error("issuer link {name:?}: {why}")]
    Link { name: String, why: String },
    #[error(transparent)]
    Journal(#[from] JournalFileError),
    #[error("gateway config: `{key}`: {why}")]
    Unsupported { key: String, why: String },
    #[error("the core thread could not start: {0}")]
    Thread(std::io::Error),
    #[error("HSM {dir}: {source}")]
    Hsm { dir: String, source: hsm::HsmError },
}

/// A gateway serving in the background.
#[derive(Debug)]
pub struct Started {
    /// Where terminals connect (the bound address, useful with port 0).
    pub local_addr: SocketAddr,
    /// Finishes once the gateway has shut down.
    pub done: tokio::task::JoinHandle<()>,
}

/// Serves terminals and keeps issuer links until `shutdown` fires.
pub async fn run(config: &Config, shutdown: Shutdown) -> Result<(), ServerError> {
    let started = start(config, shutdown).await?;
    let _ = started.done.await;
    Ok(())
}

enum Event {
    Terminal {
        conn: ConnId,
        peer_terminal_id: Option<String>,
        parsed: Result<Message<'static>, (Option<Mti>, String)>,
        reply: oneshot::Sender<Reply>,
    },
    Issuer {
        link: String,
        message: Message<'static>,
    },
    /// A forwarded request that the link says will get no answer.
    Failed {
        key: MatchKey,
        why: String,
    },
    LinkState {
        link: String,
        generation: u64,
        up: bool,
    },
    Tick,
    /// The journal thread made more records durable.
    Durable,
    Stop,
}

fn now_ms() -> UnixMs {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Binds the terminal listener, replays the journal, connects the issuer links and starts
/// serving; returns once terminals can connect.
pub async fn start(config: &Config, shutdown: Shutdown) -> Result<Started, ServerError> {
    if let Some((i, _)) = config
        .terminals
        .iter()
        .enumerate()
        .find(|(_, t)| t.certificate.sha256.is_some())
    {
        return Err(ServerError::Unsupported {
            key: format!("terminal[{i}].cert_sha256"),
            why: "the TLS layer reports the certificate's terminal id, not its fingerprint; \
                  bind by id (the default) instead"
                .into(),
        });
    }
    let spec = Arc::new(specs::iso87_ascii_bbitmap());
    let identity = link::Identity::load(&config.tls.cert, &config.tls.key)?;
    let terminal_cas = link::pki::load_certs(&config.tls.terminal_ca)?;
    let tls = link::tls::server_config(&identity, Some(&terminal_cas))?;

    let mut core = Gateway::new(config);
    if let Some(security) = &config.security {
        let soft = hsm::SoftHsm::open(&security.hsm_dir).map_err(|source| ServerError::Hsm {
            dir: security.hsm_dir.display().to_string(),
            source,
        })?;
        core.set_security(crate::Security::new(soft, &security.bdk, spec.clone()));
        info!(bdk = %security.bdk, "MACs checked and PINs translated in the HSM");
    }
    let (journal, opened) = JournalFile::open(&config.journal_path, &mut core)?;
    info!(
        path = %config.journal_path.display(),
        records = opened.records,
        advices = core.advices_len(),
        "journal replayed"
    );
    if let Some(torn) = &opened.torn {
        warn!(path = %config.journal_path.display(), "journal tail cut: {torn}");
    }
    for r in &opened.rejected {
        error!(path = %config.journal_path.display(), "journal record skipped: {r}");
    }

    let (tx, rx) = mpsc::channel(EVENTS_MAX);
    let mut links = HashMap::new();
    for l in &config.issuers {
        let options = link_options(l, spec.clone())?;
        links.insert(
            l.name.clone(),
            IssuerHandle::start(&l.name, options, 0, &tx)?,
        );
    }

    let server = Server::bind(
        &config.listen.to_string(),
        Transport::tls(tls),
        ServerOptions::default(),
    )
    .await?;
    let local_addr = server.local_addr();

    let runtime = tokio::runtime::Handle::current();
    let actor = Actor::new(
        core,
        Box::new(journal),
        spec.clone(),
        config,
        links,
        tx.clone(),
        runtime,
    )
    .map_err(ServerError::Thread)?;
    let core_thread = std::thread::Builder::new()
        .name("gateway-core".into())
        .spawn(move || actor.run(rx))
        .map_err(ServerError::Thread)?;

    let ticker = {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(TICK_MS));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if tx.send(Event::Tick).await.is_err() {
                    break;
                }
            }
        })
    };

    let handler = Arc::new(TerminalHandler {
        tx: tx.clone(),
        spec,
    });
    let done = tokio::spawn(async move {
        server.serve(handler, shutdown).await;
        ticker.abort();
        let _ = tx.send(Event::Stop).await;
        let _ = tokio::task::spawn_blocking(move || core_thread.join()).await;
        info!("gateway stopped");
    });
    info!(%local_addr, "gateway serving terminals");
    Ok(Started { local_addr, done })
}

fn link_options(l: &IssuerLink, spec: Arc<Spec>) -> Result<LinkOptions, ServerError> {
    let fail = |why: String| ServerError::Link {
        name: l.name.clone(),
        why,
    };
    let (host, port) = l
        .address
        .rsplit_once(':')
        .ok_or_else(|| fail(format!("address {:?} is not host:port", l.address)))?;
    let port: u16 = port
        .parse()
        .map_err(|_| fail(format!("port {port:?} is not a number")))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let cas = link::pki::load_certs(&l.ca)?;
    let identity = link::Identity::load(&l.client_cert, &l.client_key)?;
    let mut options = LinkOptions::new(vec![Target::new(host, port)], spec);
    options.tls = Some(link::tls::client_config(&cas, Some(&identity))?);
    options.in_flight_max = l.in_flight_max;
    options.request_timeout_ms = l.request_timeout_ms + LINK_TIMEOUT_MARGIN_MS;
    // The core sends sign-on and echoes and decides when a silent link is reset.
    options.echo = None;
    Ok(options)
}

/// One issuer link: the `link` client and the task that reports its state to the core.
struct IssuerHandle {
    link: link::Link,
    options: LinkOptions,
    /// Bumped on each reset so reports from a replaced link are ignored.
    generation: u64,
}

impl IssuerHandle {
    fn start(
        name: &str,
        options: LinkOptions,
        generation: u64,
        tx: &mpsc::Sender<Event>,
    ) -> Result<IssuerHandle, ServerError> {
        let link = link::Link::start(options.clone()).map_err(|e| ServerError::Link {
            name: name.to_string(),
            why: e.to_string(),
        })?;
        let mut state = link.watch_state();
        let tx = tx.clone();
        let name = name.to_string();
        tokio::spawn(async move {
            // The connection number of the last `Up` reported: a reconnect the watch channel
            // folded into one change still reads as down-then-up, so the core signs on again.
            let mut reported: Option<u64> = None;
            loop {
                let (now_up, closed) = {
                    let s = state.borrow_and_update();
                    let now_up = match *s {
                        LinkState::Up { connection, .. } => Some(connection),
                        _ => None,
                    };
                    (now_up, *s == LinkState::Closed)
                };
                let mut changes = Vec::with_capacity(2);
                if reported.is_some() && reported != now_up {
                    changes.push(false);
                }
                if now_up.is_some() && reported != now_up {
                    changes.push(true);
                }
                reported = now_up;
                for up in changes {
                    let event = Event::LinkState {
                        link: name.clone(),
                        generation,
                        up,
                    };
                    if tx.send(event).await.is_err() {
                        return;
                    }
                }
                if closed || state.changed().await.is_err() {
                    break;
                }
            }
        });
        Ok(IssuerHandle {
            link,
            options,
            generation,
        })
    }
}

/// Reads a terminal's frame and hands it to the core; answers with what the core says.
struct TerminalHandler {
    tx: mpsc::Sender<Event>,
    spec: Arc<Spec>,
}

impl Handler for TerminalHandler {
    async fn handle(&self, peer: PeerInfo, frame: Vec<u8>) -> Reply {
        let parsed = match self.spec.unpack(&frame) {
            Ok(m) => Ok(m.into_owned()),
            Err(e) => {
                let mti = match e.location {
                    iso8583::Location::Mti => None,
                    _ => frame
                        .get(..4)
                        .and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .and_then(Mti::new),
                };
                Err((mti, e.to_string()))
            }
        };
        let (reply, answer) = oneshot::channel();
        let event = Event::Terminal {
            conn: ConnId(peer.conn_id),
            peer_terminal_id: peer.terminal_id,
            parsed,
            reply,
        };
        if self.tx.send(event).await.is_err() {
            return Reply::Close("the gateway is stopping".into());
        }
        answer.await.unwrap_or(Reply::Nothing)
    }
}

/// The owner of the core: takes events one at a time, carries out the actions.
struct Actor {
    core: Gateway,
    journal: JournalWriter,
    /// Events' actions not carried out yet, oldest first: each waits for the records before
    /// it to be durable, and for every action before it.
    held: VecDeque<Held>,
    /// The submission number of a compaction not yet done.
    compacting: Option<u64>,
    spec: Arc<Spec>,
    config: Config,
    /// Terminal requests awaiting an issuer's answer, by match key, with their connection.
    waiters: HashMap<MatchKey, Vec<(ConnId, oneshot::Sender<Reply>)>>,
    links: HashMap<String, IssuerHandle>,
    tx: mpsc::Sender<Event>,
    runtime: tokio::runtime::Handle,
}

/// The terminal request being handled, whose answer may come back at once.
struct Current {
    conn: ConnId,
    key: Option<MatchKey>,
    reply: Option<oneshot::Sender<Reply>>,
}

/// One event's actions, held until the journal is durable far enough.
struct Held {
    /// Each action with the journal submission that must be durable before it.
    steps: VecDeque<(u64, Action)>,
    current: Option<Current>,
}

impl Actor {
    fn new(
        core: Gateway,
        journal: Box<dyn JournalSink>,
        spec: Arc<Spec>,
        config: &Config,
        links: HashMap<String, IssuerHandle>,
        tx: mpsc::Sender<Event>,
        runtime: tokio::runtime::Handle,
    ) -> std::io::Result<Actor> {
        let woken = {
            let tx = tx.clone();
            // A full queue needs no wake-up: the actor releases after every event it takes.
            Box::new(move || {
                let _ = tx.try_send(Event::Durable);
            })
        };
        Ok(Actor {
            core,
            journal: JournalWriter::start(journal, woken)?,
            held: VecDeque::new(),
            compacting: None,
            spec,
            config: config.clone(),
            waiters: HashMap::new(),
            links,
            tx,
            runtime,
        })
    }

    fn run(mut self, mut rx: mpsc::Receiver<Event>) {
        let _guard = self.runtime.enter();
        while let Some(event) = rx.blocking_recv() {
            if !self.handle(event) {
                break;
            }
        }
        self.drain();
        for h in self.links.values() {
            h.link.close();
        }
    }

    /// At shutdown: syncs what is queued and carries out what waited for it.
    fn drain(&mut self) {
        self.journal.stop();
        self.release();
    }

    fn handle(&mut self, event: Event) -> bool {
        let now = now_ms();
        match event {
            Event::Terminal {
                conn,
                peer_terminal_id,
                parsed,
                reply,
            } => {
                let (actions, key) = match parsed {
                    Ok(msg) => {
                        let peer = peer_terminal_id.and_then(|id| {
                            self.config
                                .terminal_for_certificate(Some(&id), &[0; 32])
                                .map(str::to_string)
                        });
                        let key = MatchKey::of(&msg);
                        (
                            self.core
                                .on_terminal_request(conn, peer.as_deref(), &msg, now),
                            key,
                        )
                    }
                    Err((mti, why)) => (self.core.on_terminal_garbage(conn, mti, &why), None),
                };
                let current = Current {
                    conn,
                    key,
                    reply: Some(reply),
                };
                self.execute(actions, Some(current));
            }
            Event::Issuer { link, message } => {
                let actions = self.core.on_issuer_message(&link, &message, now);
                self.execute(actions, None);
            }
            Event::Failed { key, why } => {
                debug!(%key, "link reports no answer: {why}");
                let actions = self.core.on_timeout(&key, now);
                self.execute(actions, None);
            }
            Event::LinkState {
                link,
                generation,
                up,
            } => {
                if self.links.get(&link).map(|h| h.generation) != Some(generation) {
                    return true;
                }
                let actions = if up {
                    self.core.on_link_up(&link, now)
                } else {
                    self.core.on_link_down(&link, now)
                };
                self.execute(actions, None);
            }
            Event::Tick => {
                let actions = self.core.on_tick(now);
                self.execute(actions, None);
            }
            Event::Durable => {}
            Event::Stop => return false,
        }
        self.release();
        self.compact_if_large();
        true
    }

    /// Hands `actions`' journal records to the journal thread and queues the other actions
    /// behind them: each runs once every record before it (in this list or an earlier one) is
    /// durable, and after every action queued before it.
    fn execute(&mut self, actions: Vec<Action>, current: Option<Current>) {
        let before = self.journal.submitted_seq();
        let mut records = Vec::new();
        let mut steps = Vec::with_capacity(actions.len());
        for action in actions {
            match action {
                Action::Journal(r) => records.push(r),
                other => steps.push((!records.is_empty(), other)),
            }
        }
        // One submission per event: the records go to disk in the order the core made them.
        let after = if records.is_empty() {
            before
        } else {
            self.journal.submit(records)
        };
        let steps = steps
            .into_iter()
            .map(|(after_record, a)| (if after_record { after } else { before }, a))
            .collect();
        self.held.push_back(Held { steps, current });
    }

    /// Carries out the held actions whose records are durable, oldest first, up to the first
    /// one that must still wait.
    fn release(&mut self) {
        let durable = self.journal.durable_seq();
        while let Some(mut held) = self.held.pop_front() {
            while let Some((wait, _)) = held.steps.front() {
                if *wait > durable {
                    self.held.push_front(held);
                    return;
                }
                if let Some((_, action)) = held.steps.pop_front() {
                    self.act(action, held.current.as_mut());
                }
            }
            if let Some(current) = held.current {
                self.finish(current);
            }
        }
    }

    fn act(&mut self, action: Action, current: Option<&mut Current>) {
        match action {
            // Handed to the journal thread by `execute`.
            Action::Journal(_) => {}
            Action::Log { level, text } => match level {
                Level::Info => info!("{text}"),
                Level::Warn => warn!("{text}"),
                Level::Error => error!("{text}"),
            },
            Action::ToTerminal { conn, message } => {
                self.send_terminal(conn, &message, current);
            }
            Action::CloseTerminal { conn } => {
                if let Some(c) = current
                    && c.conn == conn
                    && let Some(reply) = c.reply.take()
                {
                    let _ = reply.send(Reply::Close("unreadable frame".into()));
                }
            }
            Action::ToIssuer { link, message } => self.send_issuer(link, message),
            Action::ResetLink { link } => self.reset_link(&link),
        }
    }

    /// A terminal request whose actions gave no answer: it waits for the issuer's, if it went
    /// there.
    fn finish(&mut self, mut current: Current) {
        if let Some(reply) = current.reply.take() {
            match current.key {
                // Forwarded (or a retransmission of one): answered when the issuer is.
                Some(key) => self
                    .waiters
                    .entry(key)
                    .or_default()
                    .push((current.conn, reply)),
                None => {
                    let _ = reply.send(Reply::Nothing);
                }
            }
        }
    }

    /// Rewrites the journal from the live state once it has grown past the limit, on the
    /// journal thread, in order after every record already submitted (all of which the
    /// snapshot holds).
    fn compact_if_large(&mut self) {
        if let Some(seq) = self.compacting {
            if self.journal.durable_seq() < seq {
                return;
            }
            self.compacting = None;
        }
        if self.journal.len_bytes() > COMPACT_ABOVE_BYTES {
            self.compacting = Some(self.journal.compact(self.core.snapshot()));
        }
    }

    fn send_terminal(
        &mut self,
        conn: ConnId,
        message: &Message<'_>,
        current: Option<&mut Current>,
    ) {
        let bytes = match self.spec.pack(message) {
            Ok(b) => b,
            Err(e) => {
                error!(
                    conn = conn.0,
                    "answer to the terminal cannot be packed: {e}"
                );
                return;
            }
        };
        let key = MatchKey::of(message);
        if let Some(c) = current
            && c.conn == conn
            && (key.is_none() || key == c.key)
            && let Some(reply) = c.reply.take()
        {
            let _ = reply.send(Reply::Answer(bytes));
            return;
        }
        let Some(waiting) = key.and_then(|k| self.waiters.remove(&k)) else {
            warn!(
                conn = conn.0,
                "answer for a terminal request nobody awaits: dropped"
            );
            return;
        };
        let mut delivered = false;
        for (c, reply) in waiting {
            if c == conn && !delivered {
                delivered = reply.send(Reply::Answer(bytes.clone())).is_ok();
            } else {
                // An earlier connection of a retransmitted request: it gets no answer.
                let _ = reply.send(Reply::Nothing);
            }
        }
        if !delivered {
            warn!(
                conn = conn.0,
                "terminal connection gone before its answer; the terminal recovers by reversal"
            );
        }
    }

    fn send_issuer(&mut self, link: String, message: Message<'static>) {
        let Some(h) = self.links.get(&link) else {
            error!(%link, "no such issuer link");
            return;
        };
        if !message.mti().is_request() {
            // link::Link sends requests only, and hands the gateway no unsolicited ones.
            debug!(%link, mti = %message.mti(), "not sent: the link carries requests only");
            return;
        }
        let client = h.link.clone();
        let tx = self.tx.clone();
        let terminal_request = matches!(
            message.mti().as_bytes(),
            b"0100" | b"0200" | b"0220" | b"0400"
        );
        self.runtime.spawn(async move {
            match client.request(&message).await {
                Ok(response) => {
                    let _ = tx
                        .send(Event::Issuer {
                            link,
                            message: response,
                        })
                        .await;
                }
                Err(e) => {
                    debug!(%link, mti = %message.mti(), "no response: {e}");
                    if terminal_request && let Some(key) = MatchKey::of(&message) {
                        let _ = tx
                            .send(Event::Failed {
                                key,
                                why: e.to_string(),
                            })
                            .await;
                    }
                }
            }
        });
    }

    fn reset_link(&mut self, name: &str) {
        let Some(old) = self.links.remove(name) else {
            return;
        };
        old.link.close();
        match IssuerHandle::start(name, old.options.clone(), old.generation + 1, &self.tx) {
            Ok(h) => {
                self.links.insert(name.to_string(), h);
            }
            Err(e) => {
                error!(link = name, "issuer link could not restart: {e}");
                self.links.insert(name.to_string(), old);
            }
        }
    }
}

#[cfg(test)]
mod tests;
