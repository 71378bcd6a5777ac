//! Probes: the I/O that measures each layer and fills in [`crate::facts::Facts`].
//!
//! Every probe is blocking with a timeout (std sockets, rustls over a `TcpStream`), so the
//! doctor needs no runtime; an async caller runs it on a blocking thread. Every probe checks
//! its [`guard::Permit`] before it opens a socket.

pub mod app;
pub mod dns;
pub mod errq;
pub mod guard;
pub mod iface;
pub mod snmp;
pub mod tcp;
pub mod tls;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::facts::{
    AppFacts, DnsFacts, DnsOutcome, DnsServerFacts, EchoOutcome, Facts, PathFacts, Role, TcpFacts,
    TcpOutcome, TlsFacts,
};
use app::AppProbe;
use guard::{GuardError, Permit};

/// Echoes in one path-quality run at most, whatever `--count` says.
pub const COUNT_MAX: u32 = 10_000;
/// Fresh TCP connects tried during a path run (SYN-queue check).
pub const CONNECTS_MAX: u32 = 5;
/// The longest pause between two echoes of the path run.
pub const GAP_MAX_MS: u64 = 10_000;

/// What to check: the flags of `posnet doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Gateway host name or IPv4 address.
    pub host: String,
    pub port: u16,
    /// Secondary gateway (host, port).
    pub secondary: Option<(String, u16)>,
    /// DNS servers to ask, in order (not the system's).
    pub dns: Vec<Ipv4Addr>,
    /// CA that must sign the gateway's certificate; without it TLS is not checked.
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub interface: Option<String>,
    /// Echoes in the path-quality run.
    pub count: u32,
    /// Timeout of each single check.
    pub timeout_ms: u64,
    /// Pause between two echoes of the path run, so the run spans time as a ping does and
    /// a flapping link or a filling queue shows within it.
    pub gap_ms: u64,
}

impl Options {
    pub fn new(host: &str, port: u16) -> Options {
        Options {
            host: host.to_string(),
            port,
            secondary: None,
            dns: Vec::new(),
            ca: None,
            cert: None,
            key: None,
            interface: None,
            count: 10,
            timeout_ms: 3_000,
            gap_ms: 100,
        }
    }
}

#[derive(Debug, Error)]
pub enum ProbeError {
    #[error(transparent)]
    Guard(#[from] GuardError),
    #[error("TLS settings: {0}")]
    TlsSetup(#[from] tls::TlsSetupError),
}

/// Resolves `host` through the configured servers, recording each server's answer.
fn resolve(
    host: &str,
    opts: &Options,
    permit: &Permit,
    nonce: bool,
) -> Result<(Option<DnsFacts>, Option<Ipv4Addr>), GuardError> {
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok((None, Some(ip)));
    }
    let mut servers = Vec::new();
    let mut found = None;
    for &server in &opts.dns {
        let lookup = dns::lookup(server, host, opts.timeout_ms, permit)?;
        let nonce_lookup = match (&lookup, nonce) {
            (DnsOutcome::Answer { .. }, true) => Some(dns::lookup(
                server,
                &dns::nonce_name(host),
                opts.timeout_ms,
                permit,
            )?),
            _ => None,
        };
        if let DnsOutcome::Answer { addrs, .. } = &lookup {
            found = addrs.first().copied();
        }
        servers.push(DnsServerFacts {
            server,
            lookup,
            nonce_lookup,
        });
        if found.is_some() {
            break;
        }
    }
    Ok((
        Some(DnsFacts {
            name: host.to_string(),
            servers,
        }),
        found,
    ))
}

fn carrier_changes(name: Option<&str>) -> Option<u64> {
    name.and_then(|n| iface::interface_facts(n).carrier_changes)
}

/// Measures every layer and returns the facts. Layers below a failure are still measured
/// when they can be (their timeouts bound the run); `app` adds the 0800 echo and the
/// path-quality run.
pub fn run(
    opts: &Options,
    permit: &Permit,
    app: Option<&mut dyn AppProbe>,
) -> Result<Facts, ProbeError> {
    // TLS settings first: a bad --ca is the user's error, reported before any traffic.
    let tls_config = match &opts.ca {
        Some(ca) => Some(tls::load_config(
            ca,
            opts.cert.as_deref(),
            opts.key.as_deref(),
        )?),
        None => None,
    };
    let mut facts = Facts::default();
    let (ip, default_dev) = iface::ip_facts();
    let iface_name = iface::pick(opts.interface.as_deref(), default_dev.as_deref());
    facts.interface = iface_name.as_deref().map(iface::interface_facts);
    facts.ip = Some(ip);

    let (dns_facts, primary_ip) = resolve(&opts.host, opts, permit, true)?;
    facts.dns = dns_facts;
    let mut endpoints: Vec<(Role, SocketAddrV4)> = Vec::new();
    if let Some(ip) = primary_ip {
        endpoints.push((Role::Primary, SocketAddrV4::new(ip, opts.port)));
    }
    if let Some((host, port)) = &opts.secondary
        && let (_, Some(ip)) = resolve(host, opts, permit, false)?
    {
        endpoints.push((Role::Secondary, SocketAddrV4::new(ip, *port)));
    }

    let mut connected = None;
    for (role, ep) in endpoints {
        let route = iface::route_to(*ep.ip());
        let at = tcp::connect_to(ep, opts.timeout_ms, permit)?;
        if connected.is_none()
            && let Some(s) = at.stream
        {
            connected = Some((ep, s));
        }
        facts.tcp.push(TcpFacts {
            role,
            endpoint: SocketAddr::V4(ep),
            route,
            outcome: at.outcome,
        });
    }

    if let (Some(cfg), Some((ep, stream))) = (tls_config, connected) {
        let server_name = opts.host.clone();
        let outcome = tls::handshake(stream, &server_name, cfg, opts.timeout_ms);
        facts.tls = Some(TlsFacts {
            endpoint: SocketAddr::V4(ep),
            server_name,
            outcome,
        });
    }

    if let Some(app) = app {
        let echo = app.echo(opts.timeout_ms);
        let echo_ok =
            matches!(&echo, EchoOutcome::Answered { response_code, .. } if response_code == "00");
        facts.app = Some(AppFacts { echo });
        if echo_ok {
            facts.path = Some(path_run(
                opts,
                permit,
                app,
                iface_name.as_deref(),
                primary_ip.map(|ip| SocketAddrV4::new(ip, opts.port)),
            )?);
        }
    }
    Ok(facts)
}

fn path_run(
    opts: &Options,
    permit: &Permit,
    app: &mut dyn AppProbe,
    iface_name: Option<&str>,
    primary: Option<SocketAddrV4>,
) -> Result<PathFacts, GuardError> {
    let before = carrier_changes(iface_name);
    let count = opts.count.min(COUNT_MAX);
    let gap_ms = opts.gap_ms.min(GAP_MAX_MS);
    let started = Instant::now();
    // The whole run is bounded in time too: count echoes, each at most timeout_ms + gap.
    let budget = Duration::from_millis(
        opts.timeout_ms
            .saturating_add(gap_ms)
            .saturating_mul(u64::from(count) + 1),
    );
    let mut samples = Vec::with_capacity(count as usize);
    let tcp_before = snmp::read();
    for i in 0..count {
        if started.elapsed() > budget {
            break;
        }
        if i > 0 && gap_ms > 0 {
            std::thread::sleep(Duration::from_millis(gap_ms));
        }
        samples.push(app.sample(opts.timeout_ms));
    }
    let tcp_after = snmp::read();
    let (tcp_segments_out, tcp_retransmits) = match (tcp_before, tcp_after) {
        (Some(b), Some(a)) => (
            Some(a.out_segs.saturating_sub(b.out_segs)),
            Some(a.retrans_segs.saturating_sub(b.retrans_segs)),
        ),
        _ => (None, None),
    };
    let mut connects_ms = Vec::new();
    if let Some(ep) = primary {
        for i in 0..CONNECTS_MAX.min(count) {
            // Spaced like the echoes, so one moment's luck (a SYN queue with a free slot)
            // does not decide every connect.
            if i > 0 && gap_ms > 0 {
                std::thread::sleep(Duration::from_millis(gap_ms));
            }
            let at = tcp::connect_to(ep, opts.timeout_ms, permit)?;
            connects_ms.push(match at.outcome {
                TcpOutcome::Connected { connect_ms } => Some(connect_ms),
                _ => None,
            });
        }
    }
    let after = carrier_changes(iface_name);
    Ok(PathFacts {
        samples,
        connects_ms,
        carrier_changes: match (before, after) {
            (Some(b), Some(a)) => a.saturating_sub(b),
            _ => 0,
        },
        tcp_segments_out,
        tcp_retransmits,
    })
}
