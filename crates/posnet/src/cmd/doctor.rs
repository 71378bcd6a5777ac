//! `posnet doctor`: why a terminal cannot reach its gateway. The doctor crate measures the
//! interface, IP settings, DNS, TCP and TLS; this command adds the application layer (0800
//! echoes over the terminal's own mutual-TLS link) and prints the crate's report.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use doctor::facts::Facts;
use doctor::facts::{EchoOutcome, EchoSample};
use doctor::probe::app::AppProbe;
use doctor::probe::guard::{GuardError, Permit, permit_for};
use doctor::probe::{Options, run as probe_run};
use doctor::{Cause, Lang, Layer, Report, Thresholds};
use link::echo::{StanCounter, echo_request};
use link::{Link, LinkError, LinkOptions, LinkState, Target};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  posnet doctor --config posnet-data/terminal-TERM0001.toml
  posnet doctor --config posnet-data/terminal-TERM0001.toml --count 50 --json
  posnet doctor --host gw.example --port 8583 --dns 198.18.0.53 --ca ca.pem \\
                --cert term.pem --key term.key --interface eth0 --lang zh
  posnet doctor --config posnet-data/terminal-TERM0001.toml --watch --interval-ms 10000

With --config the gateway, its CA and the terminal's certificate come from the terminal's
config; flags given as well override it.

Safety: by default the doctor refuses to probe anything but loopback from the machine's own
(root) network namespace, the network lab's rule; inside a lab namespace it probes freely.
On a real terminal, whose network IS its root namespace, pass --real-network (or set
POSNET_REAL_NETWORK=1 in the environment, which the terminal's own error diagnosis honours too). The verdict (cause and remedy) comes first, then
the evidence per layer. Exit code: 0 only when the verdict is `ok`, 1 for any other
verdict, 2 when the doctor could not run (bad flags or files, probes refused).")]
pub struct Args {
    /// The terminal's TOML config (gateway, CA, client certificate).
    #[arg(long, value_name = "TERMINAL_TOML")]
    config: Option<PathBuf>,
    /// Gateway host name or IPv4 address.
    #[arg(long, value_name = "NAME|IP", required_unless_present = "config")]
    host: Option<String>,
    /// Gateway port.
    #[arg(long, value_name = "N", required_unless_present = "config")]
    port: Option<u16>,
    /// Secondary gateway.
    #[arg(long, value_name = "HOST:PORT")]
    secondary: Option<String>,
    /// DNS server to resolve the gateway's name through (repeatable; not the system's).
    #[arg(long, value_name = "IP")]
    dns: Vec<Ipv4Addr>,
    /// CA (PEM) that must sign the gateway's certificate; without it TLS and the echo are
    /// not checked.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// The terminal's client certificate (PEM) for mutual TLS.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The terminal's client key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Network interface to check (default: the one of the default route).
    #[arg(long, value_name = "IF")]
    interface: Option<String>,
    /// Echoes in the path-quality run.
    #[arg(long, value_name = "N", default_value_t = 10)]
    count: u32,
    /// Timeout of each single check, in milliseconds.
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Language of the verdict and the evidence.
    #[arg(long, value_name = "en|zh", default_value = "en", value_parser = parse_lang)]
    lang: Lang,
    /// This machine is a real terminal: probe its own network (the root namespace). Without
    /// it only loopback may be probed from the root namespace (see "Safety" below).
    #[arg(long)]
    real_network: bool,
    /// Keep measuring; print one timestamped line each time the verdict or the path
    /// figures (latency, loss, reconnects, in coarse classes) change. Until Ctrl-C.
    #[arg(long)]
    watch: bool,
    /// With --watch: pause between two measurements, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5_000, requires = "watch")]
    interval_ms: u64,
    /// Only the one line a terminal shows after a failed transaction: the fast layers, no
    /// path run, at most 3 s ("network: DNS — …"; "network: ok" when nothing is wrong).
    #[arg(long, requires = "config", conflicts_with_all = ["watch", "json"])]
    quick: bool,
    /// With --watch: stop after this many measurements (exit code of the last verdict).
    #[arg(long, value_name = "N", requires = "watch")]
    watch_count: Option<u64>,
}

/// The environment switch equal to `--real-network`, for a terminal's own set-up.
pub const REAL_NETWORK_ENV: &str = "POSNET_REAL_NETWORK";

/// Whether `POSNET_REAL_NETWORK` is set to a true value (1, true, yes).
pub fn real_network_from_env() -> bool {
    std::env::var(REAL_NETWORK_ENV)
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// Splits `host:port` (IPv6 in brackets allowed).
fn host_port(addr: &str) -> Result<(String, u16)> {
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| anyhow!("{addr:?}: expected HOST:PORT"))?;
    let port = port
        .parse()
        .with_context(|| format!("{addr:?}: port {port:?}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        bail!("{addr:?}: empty host");
    }
    Ok((host.to_string(), port))
}

/// The doctor's options and the terminal id for field 41, from the config and the flags.
/// The doctor's options from a terminal's config: its gateways, CA and client certificate.
fn config_options(config: &terminal::Config) -> Result<Options> {
    let (host, port) =
        host_port(&config.gateway_primary).context("gateway primary in the config")?;
    let mut opts = Options::new(&host, port);
    opts.secondary = match &config.gateway_secondary {
        Some(s) => Some(host_port(s).context("gateway secondary in the config")?),
        None => None,
    };
    opts.ca = Some(config.ca_path.clone());
    opts.cert = Some(config.client_cert_path.clone());
    opts.key = Some(config.client_key_path.clone());
    opts.timeout_ms = config.connect_timeout_ms.max(1);
    Ok(opts)
}

/// A gateway given by name is resolved through the system's DNS servers unless `--dns`
/// names others.
fn default_dns(opts: &mut Options) {
    let by_name = std::iter::once(opts.host.as_str())
        .chain(opts.secondary.iter().map(|(h, _)| h.as_str()))
        .any(|h| h.parse::<IpAddr>().is_err() && h != "localhost");
    if opts.dns.is_empty() && by_name {
        opts.dns = doctor::probe::resolv::system_servers();
    }
}

fn options(a: &Args) -> Result<(Options, Option<String>)> {
    let mut opts = Options::new("", 0);
    let mut terminal_id = None;
    if let Some(path) = &a.config {
        let config = super::terminal::load_config(path)?;
        opts = config_options(&config)?;
        terminal_id = Some(config.terminal_id.clone());
    }
    if let Some(h) = &a.host {
        opts.host = h.clone();
    }
    if let Some(p) = a.port {
        opts.port = p;
    }
    if let Some(s) = &a.secondary {
        opts.secondary = Some(host_port(s).context("--secondary")?);
    }
    if a.ca.is_some() {
        opts.ca = a.ca.clone();
    }
    if a.cert.is_some() {
        opts.cert = a.cert.clone();
        opts.key = a.key.clone();
        // Field 41 must match the certificate the gateway sees.
        terminal_id = None;
    }
    if let Some(ms) = a.timeout_ms {
        opts.timeout_ms = ms.max(1);
    }
    opts.dns = a.dns.clone();
    default_dns(&mut opts);
    opts.interface = a.interface.clone();
    opts.count = a.count;
    if opts.host.is_empty() || opts.port == 0 {
        bail!("no gateway to check: give --config or --host and --port");
    }
    if terminal_id.is_none()
        && let Some(cert) = &opts.cert
    {
        let certs = link::pki::load_certs(cert)
            .with_context(|| format!("client certificate {}", cert.display()))?;
        terminal_id = certs
            .first()
            .and_then(|c| link::identity::terminal_id_from_der(c).ok());
    }
    Ok((opts, terminal_id))
}

/// Refuses, before any traffic, a target the permit does not allow (an address outside
/// loopback from the root namespace without `--real-network`), with the reason.
fn refuse_disallowed(opts: &Options, permit: Permit, why: Option<&GuardError>) -> Result<()> {
    let hosts = std::iter::once(opts.host.as_str())
        .chain(opts.secondary.iter().map(|(h, _)| h.as_str()))
        .filter_map(|h| h.parse::<IpAddr>().ok())
        .chain(opts.dns.iter().map(|d| IpAddr::V4(*d)));
    for ip in hosts {
        if let Err(e) = permit.allows(ip) {
            return Err(match why {
                Some(why) => anyhow!("{e} ({why})"),
                None => anyhow!("{e}"),
            });
        }
    }
    Ok(())
}

/// Whether the guard lets the link (which resolves names itself) reach `host`.
fn link_allowed(host: &str, permit: Permit) -> bool {
    match host.parse::<IpAddr>() {
        Ok(ip) => permit.allows(ip).is_ok(),
        Err(_) => permit != Permit::LoopbackOnly || host == "localhost",
    }
}

fn unix_now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn ms_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The application probe: the terminal's own mutual-TLS link to the gateway, driven from
/// the doctor's blocking code by a runtime this probe owns.
pub struct LinkProbe {
    runtime: tokio::runtime::Runtime,
    link: Link,
    stans: StanCounter,
    terminal_id: Option<String>,
    /// The link's connection number when last seen up; a new one means it reconnected.
    connection: Option<u64>,
    /// Gateways the link tries in turn (primary, secondary).
    targets: usize,
}

impl LinkProbe {
    #[cfg(test)]
    pub fn start(opts: &Options, terminal_id: Option<String>) -> Result<LinkProbe> {
        Self::start_sealed(opts, terminal_id, None)
    }

    /// As [`LinkProbe::start`], with the terminal's PIN pad MACing every echo (a gateway with
    /// `[security]` answers an unMACed one 63).
    pub fn start_sealed(
        opts: &Options,
        terminal_id: Option<String>,
        pinpad: Option<&terminal::config::PinPadConfig>,
    ) -> Result<LinkProbe> {
        let ca_path = opts
            .ca
            .as_ref()
            .ok_or_else(|| anyhow!("the echo needs the gateway's CA"))?;
        let ca =
            link::pki::load_certs(ca_path).with_context(|| format!("CA {}", ca_path.display()))?;
        let identity = match (&opts.cert, &opts.key) {
            (Some(c), Some(k)) => Some(
                link::Identity::load(c, k)
                    .with_context(|| format!("client certificate {}", c.display()))?,
            ),
            _ => None,
        };
        let mut targets = vec![Target::new(&opts.host, opts.port)];
        if let Some((h, p)) = &opts.secondary {
            targets.push(Target::new(h, *p));
        }
        let target_count = targets.len();
        let mut link_opts =
            LinkOptions::new(targets, Arc::new(iso8583::specs::iso87_ascii_bbitmap()));
        link_opts.tls = Some(link::tls::client_config(&ca, identity.as_ref())?);
        link_opts.connect_timeout_ms = opts.timeout_ms;
        link_opts.request_timeout_ms = opts.timeout_ms;
        // Reconnect quickly: a flapping path must show up as reconnects within the run.
        link_opts.reconnect_min_ms = 50;
        link_opts.reconnect_max_ms = opts.timeout_ms.clamp(50, 1_000);
        if let Some(p) = pinpad {
            let pad = terminal::pinpad::PinPad::open(p).context("the terminal's PIN pad")?;
            link_opts.seal = Some(Arc::new(pad));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the probe's runtime")?;
        let link = {
            let _entered = runtime.enter();
            Link::start(link_opts)?
        };
        Ok(LinkProbe {
            runtime,
            link,
            stans: StanCounter::new(1),
            terminal_id,
            connection: None,
            targets: target_count,
        })
    }

    fn current_connection(&self) -> Option<u64> {
        match self.link.state() {
            LinkState::Up { connection, .. } => Some(connection),
            _ => None,
        }
    }

    /// One 0800 over the link (field 70 = `code`: 301 echo, 001 sign-on): waits for the
    /// link (at most `timeout_ms`), then for the answer (at most `timeout_ms` again).
    fn echo_once(&mut self, timeout_ms: u64, code: &str) -> EchoOutcome {
        let mut message = echo_request(
            &self.stans.next(),
            self.terminal_id.as_deref(),
            unix_now_s(),
        );
        if code != link::echo::ECHO_CODE {
            let _ = message.set_owned(70, code);
        }
        let link = self.link.clone();
        let targets = self.targets;
        let outcome = self.runtime.block_on(async move {
            let waited = Instant::now();
            if let Err(state) = wait_up(&link, timeout_ms, targets).await {
                return match state {
                    // The gateway accepted and then dropped the connection: not "no answer".
                    LinkState::Down { reason } if is_reset(&reason) => EchoOutcome::Reset,
                    _ => EchoOutcome::NoAnswer {
                        waited_ms: ms_since(waited),
                    },
                };
            }
            let sent = Instant::now();
            let answer = tokio::time::timeout(
                std::time::Duration::from_millis(timeout_ms),
                link.request(&message),
            )
            .await;
            // The link's own request timeout is the one set at start; this call's may be
            // shorter, and an answer after it counts as lost.
            let Ok(answer) = answer else {
                return EchoOutcome::NoAnswer {
                    waited_ms: ms_since(waited),
                };
            };
            match answer {
                Ok(answer) => EchoOutcome::Answered {
                    response_code: answer.text(39).unwrap_or_default().to_string(),
                    elapsed_ms: ms_since(sent),
                },
                Err(LinkError::Disconnected { reason, .. }) if is_reset(&reason) => {
                    EchoOutcome::Reset
                }
                Err(LinkError::Disconnected { .. }) | Err(LinkError::Closed) => EchoOutcome::Closed,
                Err(_) => EchoOutcome::NoAnswer {
                    waited_ms: ms_since(waited),
                },
            }
        });
        if let Some(c) = self.current_connection() {
            self.connection.get_or_insert(c);
        }
        outcome
    }
}

/// Waits until the link is up, giving up after `timeout_ms` or once a connection to every
/// target has failed (the TCP probe already measured why; waiting longer tells nothing new).
async fn wait_up(link: &Link, timeout_ms: u64, targets: usize) -> Result<(), LinkState> {
    let mut state = link.watch_state();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(timeout_ms);
    let mut failures = 0usize;
    // A link already down when we start is retrying: only failures seen from now on count.
    let mut first = true;
    loop {
        let now = state.borrow_and_update().clone();
        match now {
            LinkState::Up { .. } => return Ok(()),
            LinkState::Closed => return Err(now),
            LinkState::Down { .. } if !first => {
                failures += 1;
                if failures >= targets.max(1) {
                    return Err(now);
                }
            }
            LinkState::Down { .. } | LinkState::Connecting { .. } => {}
        }
        first = false;
        match tokio::time::timeout_at(deadline, state.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(LinkState::Closed),
            Err(_) => return Err(state.borrow().clone()),
        }
    }
}

/// Field 70 of a sign-on.
const SIGN_ON_CODE: &str = "001";

impl AppProbe for LinkProbe {
    /// The echo, then (when it is answered 00) a sign-on: a gateway answers echoes itself,
    /// but a sign-on only while it can reach an issuer (91 otherwise), so the pair tells a
    /// dead issuer behind a healthy gateway from a healthy network.
    fn echo(&mut self, timeout_ms: u64) -> EchoOutcome {
        let echo = self.echo_once(timeout_ms, link::echo::ECHO_CODE);
        match &echo {
            EchoOutcome::Answered { response_code, .. } if response_code == "00" => {
                match self.echo_once(timeout_ms, SIGN_ON_CODE) {
                    EchoOutcome::Answered { response_code, .. } if response_code == "00" => echo,
                    sign_on => sign_on,
                }
            }
            _ => echo,
        }
    }

    fn sample(&mut self, timeout_ms: u64) -> EchoSample {
        let before = self.connection;
        let outcome = self.echo_once(timeout_ms, link::echo::ECHO_CODE);
        let now = self.current_connection();
        let reconnected = matches!((before, now), (Some(b), Some(n)) if b != n);
        if now.is_some() {
            self.connection = now;
        }
        EchoSample {
            rtt_ms: match outcome {
                EchoOutcome::Answered { elapsed_ms, .. } => Some(elapsed_ms),
                _ => None,
            },
            reconnected,
        }
    }
}

impl Drop for LinkProbe {
    /// Closes the link politely (TLS close_notify), waiting at most a second: the gateway
    /// should log a terminal that left, not one that vanished.
    fn drop(&mut self) {
        let mut state = self.link.watch_state();
        self.link.close();
        let closed = async move {
            while !matches!(*state.borrow_and_update(), LinkState::Closed) {
                if state.changed().await.is_err() {
                    break;
                }
            }
        };
        // The timer must be made inside the runtime, hence the async block.
        self.runtime.block_on(async move {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), closed).await;
        });
    }
}

/// Whether a link's reason for going down is a TCP reset.
fn is_reset(reason: &str) -> bool {
    reason.to_ascii_lowercase().contains("reset")
}

/// The whole of [`quick_diagnosis`] takes at most this long.
pub const QUICK_BUDGET_MS: u64 = 3_000;
/// Each of its checks at most this long.
const QUICK_CHECK_MS: u64 = 800;

/// For a terminal's error message after a transaction failed for network reasons: the fast
/// layers (interface, IP settings, DNS, TCP, TLS, one 0800 echo and sign-on; no path-quality
/// run), bounded to [`QUICK_BUDGET_MS`], as one line such as
/// "network: DNS — The DNS server 198.18.0.9 does not answer …; run `posnet doctor` for
/// details". `None` when the network looks fine, when the checks did not finish in time, or
/// when the lab guard refuses them (from the root namespace without `POSNET_REAL_NETWORK=1`,
/// which a real terminal sets). Safe to call from async code: it runs on its own thread.
pub fn quick_diagnosis(config: &terminal::Config) -> Option<String> {
    let mut opts = config_options(config).ok()?;
    opts.timeout_ms = opts.timeout_ms.clamp(1, QUICK_CHECK_MS);
    opts.count = 0;
    default_dns(&mut opts);
    let terminal_id = Some(config.terminal_id.clone());
    let pinpad = config.pinpad.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || quick_run(&opts, terminal_id, pinpad.as_ref(), &tx));
    rx.recv_timeout(std::time::Duration::from_millis(QUICK_BUDGET_MS))
        .ok()
        .flatten()
}

fn quick_run(
    opts: &Options,
    terminal_id: Option<String>,
    pinpad: Option<&terminal::config::PinPadConfig>,
    tx: &std::sync::mpsc::Sender<Option<String>>,
) {
    let (permit, _) = permit_for(real_network_from_env());
    if refuse_disallowed(opts, permit, None).is_err() {
        let _ = tx.send(None);
        return;
    }
    let allowed = link_allowed(&opts.host, permit);
    let mut app = match (&opts.ca, allowed) {
        (Some(_), true) => LinkProbe::start_sealed(opts, terminal_id, pinpad).ok(),
        _ => None,
    };
    let line = measure(opts, permit, None, app.as_mut())
        .ok()
        .and_then(|facts| quick_line(&Report::new(facts, &Thresholds::default(), Lang::En)));
    // Answer first: closing the link politely may take a moment more.
    let _ = tx.send(line);
    drop(app);
}

/// The one line of [`quick_diagnosis`]; `None` for a healthy verdict.
fn quick_line(report: &Report) -> Option<String> {
    let layer = match report.verdict.layer {
        Layer::Interface => "interface",
        Layer::Ip => "IP settings",
        Layer::Dns => "DNS",
        Layer::Tcp => "TCP",
        Layer::Tls => "TLS",
        Layer::Application => "gateway",
        Layer::Path => "path",
        Layer::All => return None,
    };
    Some(format!(
        "network: {layer} — {}; run `posnet doctor` for details",
        report.verdict.summary
    ))
}

/// One run of every check.
fn measure(
    opts: &Options,
    permit: Permit,
    refused: Option<&GuardError>,
    app: Option<&mut LinkProbe>,
) -> Result<Facts> {
    probe_run(opts, &permit, app.map(|p| p as &mut dyn AppProbe)).map_err(|e| match refused {
        Some(why) => anyhow!("{e} ({why})"),
        None => anyhow!("{e}"),
    })
}

/// What counts as a change for `--watch`: the verdict, and the path figures in coarse
/// classes (a millisecond of jitter is not news; a path turning slow or lossy is).
#[derive(Debug, Clone, PartialEq, Eq)]
struct WatchKey {
    cause: Cause,
    layer: Layer,
    /// 0 not measured, 1 fast (under a fifth of the high-latency line), 2 slower, 3 high.
    latency: u8,
    /// 0 none, 1 some, 2 at or above the packet-loss line.
    loss: u8,
    reconnected: bool,
}

fn watch_key(report: &Report, t: &Thresholds) -> WatchKey {
    let stats = report.facts.path.as_ref().map(doctor::path::stats);
    let (latency, loss, reconnected) = match stats {
        None => (0, 0, false),
        Some(s) => (
            if s.answered == 0 {
                0
            } else if s.p50_ms < t.high_latency_ms / 5 {
                1
            } else if s.p50_ms < t.high_latency_ms {
                2
            } else {
                3
            },
            if s.loss_permille >= t.loss_permille || s.retrans_permille >= t.retrans_permille {
                2
            } else if s.loss_permille > 0 || s.retrans_permille > 0 {
                1
            } else {
                0
            },
            s.reconnects > 0 || s.carrier_changes > 0,
        ),
    };
    WatchKey {
        cause: report.verdict.cause,
        layer: report.verdict.layer,
        latency,
        loss,
        reconnected,
    }
}

/// `2026-11-24T21:40:00Z`.
fn utc_timestamp(unix_s: i64) -> String {
    let c = iso8583::civil::from_unix_s(unix_s);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// The line `--watch` prints for a change.
fn watch_line(report: &Report, unix_s: i64, json: bool) -> Result<String> {
    let time = utc_timestamp(unix_s);
    let v = &report.verdict;
    if json {
        let figures = report.facts.path.as_ref().map(doctor::path::stats);
        Ok(serde_json::to_string(&serde_json::json!({
            "time": time,
            "cause": v.cause,
            "layer": v.layer,
            "summary": v.summary,
            "remedy": v.remedy,
            "figures": figures,
        }))?)
    } else {
        Ok(format!(
            "{time} [{} / {}] {}",
            v.cause.id(),
            v.layer.id(),
            v.summary
        ))
    }
}

/// `--watch`: measure, print a line when something changed, pause, again; until Ctrl-C or
/// `--watch-count` measurements. The link to the gateway is kept between measurements, so
/// its reconnects show.
fn watch(
    a: &Args,
    opts: &Options,
    permit: Permit,
    refused: Option<&GuardError>,
    mut app: Option<&mut LinkProbe>,
) -> Result<ExitCode> {
    let t = Thresholds::default();
    let pause = std::time::Duration::from_millis(a.interval_ms);
    let mut last: Option<WatchKey> = None;
    let mut done = 0u64;
    let ok = loop {
        let facts = measure(opts, permit, refused, app.as_deref_mut())?;
        let report = Report::new(facts, &t, a.lang);
        let ok = report.exit_code() == 0;
        let key = watch_key(&report, &t);
        if last.as_ref() != Some(&key) {
            println!("{}", watch_line(&report, unix_now_s(), a.json)?);
            last = Some(key);
        }
        done += 1;
        if a.watch_count.is_some_and(|n| done >= n) {
            break ok;
        }
        std::thread::sleep(pause);
    };
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.quick
        && let Some(path) = &a.config
    {
        let config = super::terminal::load_config(path)?;
        return Ok(match quick_diagnosis(&config) {
            Some(line) => {
                println!("{line}");
                ExitCode::from(1)
            }
            None => {
                println!("network: ok (or not diagnosed within {QUICK_BUDGET_MS} ms)");
                ExitCode::SUCCESS
            }
        });
    }
    let (opts, terminal_id) = options(&a)?;
    let (permit, refused) = permit_for(a.real_network || real_network_from_env());
    // From the host's own namespace only loopback may be probed (the lab's rule).
    refuse_disallowed(&opts, permit, refused.as_ref())?;
    let targets_allowed = link_allowed(&opts.host, permit)
        && opts
            .secondary
            .as_ref()
            .is_none_or(|(h, _)| link_allowed(h, permit));
    let mut app = match (&opts.ca, targets_allowed) {
        (Some(_), true) => {
            let pinpad = match &a.config {
                Some(path) => super::terminal::load_config(path)?.pinpad,
                None => None,
            };
            Some(LinkProbe::start_sealed(
                &opts,
                terminal_id,
                pinpad.as_ref(),
            )?)
        }
        _ => None,
    };
    if a.watch {
        return watch(&a, &opts, permit, refused.as_ref(), app.as_mut());
    }
    let facts = measure(&opts, permit, refused.as_ref(), app.as_mut())?;
    drop(app);
    let report = Report::new(facts, &Thresholds::default(), a.lang);
    if a.json {
        println!("{}", report.to_json().context("report as JSON")?);
    } else {
        print!("{}", report.to_text(a.lang));
    }
    Ok(if report.exit_code() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use link::{PkiDir, Reply, Server, ServerOptions, Transport, shutdown_pair};

    /// A stand-in gateway on loopback (mutual TLS, the demo PKI) that answers every 0800
    /// with `response_code` after `delay_ms`, or closes the connection when `close` is set.
    struct FakeGateway {
        port: u16,
        dir: tempfile::TempDir,
        stop: Option<link::ShutdownTrigger>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl FakeGateway {
        fn start(response_code: &'static str, delay_ms: u64, close: bool) -> FakeGateway {
            let dir = tempfile::tempdir().unwrap();
            let pki = PkiDir::new(dir.path());
            pki.create("doctor test CA", &["127.0.0.1"], &["TERM0001"])
                .unwrap();
            let config = link::tls::server_config(
                &pki.server_identity().unwrap(),
                Some(&pki.ca_certs().unwrap()),
            )
            .unwrap();
            let (stop, shutdown) = shutdown_pair();
            let (tx, rx) = std::sync::mpsc::channel();
            let thread = std::thread::spawn(move || {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async move {
                    let server = Server::bind(
                        "127.0.0.1:0",
                        Transport::tls(config),
                        ServerOptions::default(),
                    )
                    .await
                    .unwrap();
                    tx.send(server.local_addr().port()).unwrap();
                    let handler = move |_peer, frame: Vec<u8>| async move {
                        let spec = iso8583::specs::iso87_ascii_bbitmap();
                        let asked = spec.unpack(&frame).unwrap();
                        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
                        if close {
                            return Reply::Close("test closes".into());
                        }
                        let mut answer =
                            iso8583::Message::new(iso8583::Mti::new(*b"0810").unwrap());
                        for field in [7, 11, 41, 70] {
                            if let Some(v) = asked.text(field) {
                                answer.set_owned(field, v).unwrap();
                            }
                        }
                        answer.set_owned(39, response_code).unwrap();
                        Reply::Answer(spec.pack(&answer).unwrap())
                    };
                    server.serve(Arc::new(handler), shutdown).await;
                });
            });
            let port = rx.recv().unwrap();
            FakeGateway {
                port,
                dir,
                stop: Some(stop),
                thread: Some(thread),
            }
        }

        fn options(&self) -> Options {
            let pki = PkiDir::new(self.dir.path());
            let mut opts = Options::new("127.0.0.1", self.port);
            opts.ca = Some(pki.ca_cert());
            opts.cert = Some(pki.terminal_cert("TERM0001"));
            opts.key = Some(pki.terminal_key("TERM0001"));
            opts.count = 3;
            opts.timeout_ms = 3_000;
            opts
        }
    }

    impl Drop for FakeGateway {
        fn drop(&mut self) {
            drop(self.stop.take());
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    #[test]
    fn issuer_unavailable_behind_the_gateway_is_reported_as_91() {
        let gw = FakeGateway::start("91", 0, false);
        let opts = gw.options();
        let mut probe = LinkProbe::start(&opts, Some("TERM0001".into())).unwrap();
        match probe.echo(opts.timeout_ms) {
            EchoOutcome::Answered { response_code, .. } => assert_eq!(response_code, "91"),
            other => panic!("expected an answer with 91, got {other:?}"),
        }
        // The whole doctor on loopback: the application layer names the issuer.
        let facts = probe_run(&opts, &Permit::LoopbackOnly, Some(&mut probe)).unwrap();
        let finding = doctor::diagnose(&facts, &Thresholds::default());
        assert_eq!(finding.cause.id(), "issuer_down", "{facts:?}");
    }

    #[test]
    fn a_slow_answer_keeps_its_time_and_samples_measure_it() {
        let gw = FakeGateway::start("00", 300, false);
        let opts = gw.options();
        let mut probe = LinkProbe::start(&opts, Some("TERM0001".into())).unwrap();
        match probe.echo(opts.timeout_ms) {
            EchoOutcome::Answered {
                response_code,
                elapsed_ms,
            } => {
                assert_eq!(response_code, "00");
                assert!((300..3_000).contains(&elapsed_ms), "{elapsed_ms} ms");
            }
            other => panic!("expected an answer, got {other:?}"),
        }
        let sample = probe.sample(opts.timeout_ms);
        assert!(sample.rtt_ms.is_some_and(|ms| ms >= 300), "{sample:?}");
        assert!(!sample.reconnected);
        // An answer later than the timeout is a lost echo, not a round trip.
        let lost = probe.sample(200);
        assert_eq!(lost.rtt_ms, None, "{lost:?}");
    }

    #[test]
    fn an_echo_slower_than_the_threshold_is_high_latency() {
        let slow_ms = Thresholds::default().slow_echo_ms + 100;
        let gw = FakeGateway::start("00", slow_ms, false);
        let mut opts = gw.options();
        opts.count = 1;
        opts.timeout_ms = slow_ms + 2_000;
        let mut probe = LinkProbe::start(&opts, Some("TERM0001".into())).unwrap();
        let facts = probe_run(&opts, &Permit::LoopbackOnly, Some(&mut probe)).unwrap();
        let finding = doctor::diagnose(&facts, &Thresholds::default());
        assert_eq!(finding.cause.id(), "high_latency", "{facts:?}");
    }

    #[test]
    fn a_gateway_that_hangs_up_instead_of_answering_is_closed() {
        let gw = FakeGateway::start("00", 0, true);
        let opts = gw.options();
        let mut probe = LinkProbe::start(&opts, Some("TERM0001".into())).unwrap();
        assert_eq!(probe.echo(opts.timeout_ms), EchoOutcome::Closed);
    }

    /// A terminal config pointing at `primary` with the PKI in `dir` (absolute paths).
    fn terminal_config(dir: &std::path::Path, primary: &str) -> terminal::Config {
        let pki = PkiDir::new(dir);
        let text = format!(
            "terminal_id = \"TERM0001\"\nmerchant_id = \"MERCHANT0000001\"\n\n\
             [gateway]\nprimary = \"{primary}\"\n\n\
             [tls]\nca = \"{}\"\nclient_cert = \"{}\"\nclient_key = \"{}\"\n",
            pki.ca_cert().display(),
            pki.terminal_cert("TERM0001").display(),
            pki.terminal_key("TERM0001").display()
        );
        terminal::Config::from_toml(&text).unwrap()
    }

    #[test]
    fn quick_diagnosis_names_the_failing_layer_within_its_budget() {
        let gw = FakeGateway::start("00", 0, false);
        let healthy = terminal_config(gw.dir.path(), &format!("127.0.0.1:{}", gw.port));
        assert_eq!(quick_diagnosis(&healthy), None);

        // The gateway's port closed: the TCP layer, named with the endpoint.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let down = terminal_config(gw.dir.path(), &format!("127.0.0.1:{closed}"));
        let started = Instant::now();
        let line = quick_diagnosis(&down).unwrap();
        assert!(started.elapsed().as_millis() < u128::from(QUICK_BUDGET_MS) + 200);
        assert!(
            line.starts_with("network: TCP — ")
                && line.contains(&format!("127.0.0.1:{closed}"))
                && line.ends_with("; run `posnet doctor` for details"),
            "{line}"
        );

        // A healthy gateway whose issuer is unreachable: the sign-on says 91.
        let gw91 = FakeGateway::start("91", 0, false);
        let line = quick_diagnosis(&terminal_config(
            gw91.dir.path(),
            &format!("127.0.0.1:{}", gw91.port),
        ))
        .unwrap();
        assert!(
            line.starts_with("network: gateway — ") && line.contains("91"),
            "{line}"
        );
    }

    #[test]
    fn quick_diagnosis_from_the_root_namespace_stays_on_loopback() {
        // 198.18.3.20 is never probed from the host's namespace without the switch.
        if doctor::probe::guard::namespace_permit().is_ok() || real_network_from_env() {
            return;
        }
        let gw = FakeGateway::start("00", 0, false);
        let lab = terminal_config(gw.dir.path(), "198.18.3.20:5000");
        let started = Instant::now();
        assert_eq!(quick_diagnosis(&lab), None);
        assert!(started.elapsed().as_millis() < 500);
    }

    #[test]
    fn watch_timestamps_are_utc_rfc3339() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        // The same instant as link's echo test (field 7 "0229235959").
        assert_eq!(utc_timestamp(1_709_251_199), "2024-02-29T23:59:59Z");
    }

    #[test]
    fn watch_reports_class_changes_not_jitter() {
        use doctor::facts::PathFacts;
        let t = Thresholds::default();
        let key = |rtts: &[Option<u64>]| {
            let facts = Facts {
                path: Some(PathFacts {
                    samples: doctor::path::samples_from_rtts(rtts),
                    connects_ms: vec![],
                    carrier_changes: 0,
                    tcp_segments_out: Some(20),
                    tcp_retransmits: Some(0),
                }),
                ..Facts::default()
            };
            watch_key(&Report::new(facts, &t, Lang::En), &t)
        };
        assert_eq!(key(&[Some(3), Some(5)]), key(&[Some(7), Some(9)]));
        assert_ne!(key(&[Some(3), Some(5)]), key(&[Some(300), Some(320)]));
        assert_ne!(key(&[Some(3), Some(5)]), key(&[Some(3), None]));
        let k = key(&[Some(700), Some(720)]);
        assert_eq!((k.cause, k.latency, k.loss), (Cause::HighLatency, 3, 0));
    }

    #[test]
    fn host_port_splits_names_ips_and_bracketed_v6() {
        assert_eq!(
            host_port("gw.example:8583").unwrap(),
            ("gw.example".to_string(), 8583)
        );
        assert_eq!(
            host_port("127.0.0.1:9").unwrap(),
            ("127.0.0.1".to_string(), 9)
        );
        assert_eq!(host_port("[::1]:443").unwrap(), ("::1".to_string(), 443));
        assert!(host_port("gw.example").is_err());
        assert!(host_port("gw:99999").is_err());
        assert!(host_port(":80").is_err());
    }

    #[test]
    fn resets_are_told_from_other_endings() {
        assert!(is_reset("Connection reset by peer (os error 104)"));
        assert!(is_reset("connection Reset"));
        assert!(!is_reset("Connection refused (os error 111)"));
        assert!(!is_reset("echo not answered within 3000 ms"));
    }

    #[test]
    fn loopback_permit_keeps_the_link_on_loopback() {
        assert!(link_allowed("127.0.0.1", Permit::LoopbackOnly));
        assert!(link_allowed("localhost", Permit::LoopbackOnly));
        assert!(!link_allowed("198.18.3.20", Permit::LoopbackOnly));
        assert!(!link_allowed("gw.example", Permit::LoopbackOnly));
        assert!(link_allowed("gw.example", Permit::LabNamespace));
        assert!(link_allowed("gw.example", Permit::RealNetwork));
        assert!(link_allowed("198.18.3.20", Permit::RealNetwork));
    }

    #[test]
    fn outside_loopback_is_refused_before_any_traffic_without_the_switch() {
        let mut opts = Options::new("198.18.3.20", 5000);
        let why = GuardError::RootNamespace {
            ns: "net:[1]".into(),
        };
        let e = refuse_disallowed(&opts, Permit::LoopbackOnly, Some(&why))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("198.18.3.20") && e.contains("--real-network") && e.contains("net:[1]"),
            "{e}"
        );
        assert!(refuse_disallowed(&opts, Permit::RealNetwork, None).is_ok());
        opts.host = "127.0.0.1".into();
        assert!(refuse_disallowed(&opts, Permit::LoopbackOnly, Some(&why)).is_ok());
        // A DNS server outside loopback is a probe too.
        opts.dns = vec![Ipv4Addr::new(198, 18, 2, 53)];
        let e = refuse_disallowed(&opts, Permit::LoopbackOnly, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("198.18.2.53"), "{e}");
    }
}
