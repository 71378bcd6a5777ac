//! From facts to ONE finding: the layers are judged bottom up and the first that fails wins.
//! A layer that was not measured is skipped, never guessed.

use std::net::{Ipv4Addr, SocketAddr};

use serde::Serialize;

use crate::cause::{Cause, Layer};
use crate::facts::{
    DnsFacts, DnsOutcome, EchoOutcome, Facts, InterfaceFacts, IpFacts, NetError, PathFacts,
    TcpFacts, TcpOutcome, TlsOutcome,
};
use crate::path::{self, PathStats};

/// Where the doctor draws lines between "works" and "works badly".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    /// Shortest plausible prefix for a terminal's LAN (a /7 mask is a typo).
    pub prefix_len_min: u8,
    /// Longest plausible prefix: /31 and /32 leave no room for a gateway.
    pub prefix_len_max: u8,
    /// An echo slower than this is a slow answer (ISO 8583 response code 68 territory).
    pub slow_echo_ms: u64,
    /// Median round trip above this is high latency.
    pub high_latency_ms: u64,
    /// Loss at or above this (per mille) is packet loss.
    pub loss_permille: u32,
    /// TCP retransmissions at or above this (per mille of segments sent during the
    /// echoes) are packet loss too: TCP repairs a lost packet, so the echo survives.
    pub retrans_permille: u32,
    /// Echoes repaired by a retransmission (see `PathStats::repaired`) at or above this
    /// per mille of those sent, two at least, are packet loss as well.
    pub repaired_permille: u32,
    /// p95 minus minimum at or above this, with p95 above `high_latency_ms`, is queueing
    /// delay (congestion) rather than a slow but steady path.
    pub congestion_spread_ms: u64,
    /// The median round trip this far above the minimum means the typical echo waited in
    /// a queue: congestion, even when the full queue also drops (retransmissions).
    pub queue_typical_ms: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            prefix_len_min: 8,
            prefix_len_max: 30,
            slow_echo_ms: 2_000,
            high_latency_ms: 500,
            loss_permille: 20,
            retrans_permille: 30,
            repaired_permille: 50,
            congestion_spread_ms: 300,
            queue_typical_ms: 100,
        }
    }
}

/// The values a verdict's words refer to; each finding fills the ones it needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evidence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<Ipv4Addr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_server: Option<Ipv4Addr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<SocketAddr>,
    /// Who answered in place of the target: the router that sent an ICMP error, or the
    /// address a redirecting resolver gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Ipv4Addr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_error: Option<NetError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<PathStats>,
}

/// What the reasoning concluded, before it is put in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub cause: Cause,
    pub layer: Layer,
    /// What this particular failure looked like, so the words can differ within one cause.
    pub sign: Sign,
    pub evidence: Evidence,
}

/// The specific observation behind a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sign {
    InterfaceMissing,
    AdminDown,
    NoCarrier,
    NoAddress,
    MaskImplausible,
    AddressIsNetworkOrBroadcast,
    GatewayOutsideSubnet,
    NoDefaultRoute,
    NextHopSilent,
    NoDnsServer,
    DnsTimeout,
    DnsUnreachable,
    DnsRefused,
    DnsServerError,
    DnsBadReply,
    NxDomain,
    NoAddressRecord,
    EveryNameAnswered,
    CaptivePortal,
    SilentDrop,
    ResetOnPath,
    AdminProhibited,
    PortClosed,
    RouterSaysHostUnreachable,
    RouterSaysNetUnreachable,
    HostSilentOnLink,
    ResetAfterAccept,
    TlsUntrusted,
    TlsHandshake,
    TlsWrongName,
    TlsExpired,
    TlsTimeout,
    EchoSlow,
    EchoIssuer,
    EchoMaintenance,
    EchoRefusedCode,
    EchoNoAnswer,
    EchoClosed,
    CarrierChanged,
    Reconnects,
    SlowConnects,
    Loss,
    QueueingDelay,
    SteadyHighLatency,
    Healthy,
}

fn finding(cause: Cause, layer: Layer, sign: Sign, evidence: Evidence) -> Option<Finding> {
    Some(Finding {
        cause,
        layer,
        sign,
        evidence,
    })
}

/// The one verdict for these facts: the first failing layer, bottom up.
pub fn diagnose(facts: &Facts, t: &Thresholds) -> Finding {
    judge_interface(facts.interface.as_ref())
        .or_else(|| judge_ip(facts, t))
        .or_else(|| facts.dns.as_ref().and_then(|d| judge_dns(d, facts)))
        .or_else(|| judge_tcp(&facts.tcp, facts.interface.as_ref()))
        .or_else(|| judge_tls(facts))
        .or_else(|| judge_app(facts, t))
        .or_else(|| facts.path.as_ref().and_then(|p| judge_path(p, t)))
        .unwrap_or_else(|| Finding {
            cause: Cause::Ok,
            layer: Layer::All,
            sign: Sign::Healthy,
            evidence: Evidence {
                endpoint: facts.tcp.iter().find_map(|tcp| match tcp.outcome {
                    TcpOutcome::Connected { .. } => Some(tcp.endpoint),
                    _ => None,
                }),
                figures: facts.path.as_ref().map(path::stats),
                ..Evidence::default()
            },
        })
}

fn judge_interface(iface: Option<&InterfaceFacts>) -> Option<Finding> {
    let i = iface?;
    let ev = Evidence {
        interface: Some(i.name.clone()),
        ..Evidence::default()
    };
    if !i.exists {
        return finding(
            Cause::LinkDown,
            Layer::Interface,
            Sign::InterfaceMissing,
            ev,
        );
    }
    if !i.admin_up {
        return finding(Cause::LinkDown, Layer::Interface, Sign::AdminDown, ev);
    }
    if i.carrier == Some(false) {
        return finding(Cause::NoCarrier, Layer::Interface, Sign::NoCarrier, ev);
    }
    if i.ipv4.is_empty() {
        return finding(Cause::IpConfig, Layer::Ip, Sign::NoAddress, ev);
    }
    None
}

fn judge_ip(facts: &Facts, t: &Thresholds) -> Option<Finding> {
    let iface = facts.interface.as_ref();
    let addrs = iface.map(|i| i.ipv4.as_slice()).unwrap_or(&[]);
    let name = iface.map(|i| i.name.clone());
    for a in addrs {
        let ev = Evidence {
            interface: name.clone(),
            address: Some(a.to_string()),
            ..Evidence::default()
        };
        if a.prefix_len < t.prefix_len_min || a.prefix_len > t.prefix_len_max {
            return finding(Cause::IpConfig, Layer::Ip, Sign::MaskImplausible, ev);
        }
        if a.addr == a.network() || a.addr == a.broadcast() {
            return finding(
                Cause::IpConfig,
                Layer::Ip,
                Sign::AddressIsNetworkOrBroadcast,
                ev,
            );
        }
    }
    let ip: &IpFacts = facts.ip.as_ref()?;
    if let Some(gw) = ip.default_gateway
        && !addrs.is_empty()
        && !addrs.iter().any(|a| a.contains(gw))
    {
        return finding(
            Cause::IpConfig,
            Layer::Ip,
            Sign::GatewayOutsideSubnet,
            Evidence {
                interface: name,
                address: Some(
                    addrs
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                gateway: Some(gw),
                ..Evidence::default()
            },
        );
    }
    // Without a default route the gateway may still be reachable on the local link.
    let any_route = facts.tcp.iter().any(|tcp| tcp.route.is_some());
    if !ip.default_route && !any_route {
        return finding(
            Cause::NoRoute,
            Layer::Ip,
            Sign::NoDefaultRoute,
            Evidence {
                interface: name,
                endpoint: facts.tcp.first().map(|t| t.endpoint),
                name: facts.dns.as_ref().map(|d| d.name.clone()),
                ..Evidence::default()
            },
        );
    }
    None
}

fn dns_failure_sign(o: &DnsOutcome) -> Option<Sign> {
    match o {
        DnsOutcome::Answer { .. } => None,
        DnsOutcome::NxDomain => Some(Sign::NxDomain),
        DnsOutcome::NoAddress => Some(Sign::NoAddressRecord),
        DnsOutcome::Refused => Some(Sign::DnsRefused),
        DnsOutcome::ServerError { .. } => Some(Sign::DnsServerError),
        DnsOutcome::Timeout { .. } => Some(Sign::DnsTimeout),
        DnsOutcome::Unreachable { .. } => Some(Sign::DnsUnreachable),
        DnsOutcome::BadReply { .. } => Some(Sign::DnsBadReply),
    }
}

fn dns_detail(o: &DnsOutcome) -> Option<String> {
    match o {
        DnsOutcome::Timeout { waited_ms } => Some(format!("{waited_ms} ms")),
        DnsOutcome::ServerError { rcode } => Some(format!("rcode {rcode}")),
        DnsOutcome::BadReply { detail } => Some(detail.clone()),
        _ => None,
    }
}

fn judge_dns(d: &DnsFacts, facts: &Facts) -> Option<Finding> {
    let mut ev = Evidence {
        name: Some(d.name.clone()),
        ..Evidence::default()
    };
    let Some(first) = d.servers.first() else {
        return finding(Cause::DnsServer, Layer::Dns, Sign::NoDnsServer, ev);
    };
    if let Some(s) = d
        .servers
        .iter()
        .find(|s| matches!(s.lookup, DnsOutcome::Answer { .. }))
    {
        if let Some(DnsOutcome::Answer { addrs, .. }) = &s.nonce_lookup {
            ev.dns_server = Some(s.server);
            ev.from = addrs.first().copied();
            ev.endpoint = facts.tls.as_ref().map(|t| t.endpoint);
            // A resolver that answers every name is a captive portal when the gateway's
            // port then speaks plain HTTP: the line is suspended, not misconfigured.
            let portal = matches!(
                facts.tls.as_ref().map(|t| &t.outcome),
                Some(TlsOutcome::PlainHttp)
            );
            return if portal {
                finding(Cause::ServiceSuspended, Layer::Dns, Sign::CaptivePortal, ev)
            } else {
                finding(Cause::DnsRedirect, Layer::Dns, Sign::EveryNameAnswered, ev)
            };
        }
        return None;
    }
    // A server that says the name does not exist is working; the name is the problem.
    if let Some(s) = d
        .servers
        .iter()
        .find(|s| matches!(s.lookup, DnsOutcome::NxDomain | DnsOutcome::NoAddress))
    {
        ev.dns_server = Some(s.server);
        let sign = dns_failure_sign(&s.lookup).unwrap_or(Sign::NxDomain);
        return finding(Cause::DnsName, Layer::Dns, sign, ev);
    }
    // Every server unreachable because our own next hop is silent (no answer to ARP, so no
    // router reported anything): the gateway setting is wrong, not the DNS servers.
    let silent_next_hop = |s: &crate::facts::DnsServerFacts| {
        matches!(
            &s.lookup,
            DnsOutcome::Unreachable {
                reason: NetError::HostUnreachable { icmp_from: None }
            }
        ) && !on_link(facts.interface.as_ref(), s.server)
    };
    if let Some(gw) = facts.ip.as_ref().and_then(|i| i.default_gateway)
        && d.servers.iter().all(silent_next_hop)
    {
        ev.dns_server = Some(first.server);
        ev.gateway = Some(gw);
        ev.interface = facts.interface.as_ref().map(|i| i.name.clone());
        return finding(Cause::WrongGateway, Layer::Ip, Sign::NextHopSilent, ev);
    }
    ev.dns_server = Some(first.server);
    ev.detail = dns_detail(&first.lookup);
    if let DnsOutcome::Unreachable { reason } = &first.lookup {
        ev.net_error = Some(reason.clone());
    }
    let sign = dns_failure_sign(&first.lookup).unwrap_or(Sign::DnsBadReply);
    finding(Cause::DnsServer, Layer::Dns, sign, ev)
}

/// Whether `ip` is in a subnet of the interface (reached without a router).
fn on_link(iface: Option<&InterfaceFacts>, ip: Ipv4Addr) -> bool {
    iface.is_some_and(|i| i.ipv4.iter().any(|a| a.contains(ip)))
}

fn judge_tcp(tcp: &[TcpFacts], iface: Option<&InterfaceFacts>) -> Option<Finding> {
    let first = tcp.first()?;
    if tcp
        .iter()
        .any(|t| matches!(t.outcome, TcpOutcome::Connected { .. }))
    {
        return None;
    }
    let via = first.route.as_ref().and_then(|r| r.via);
    let mut ev = Evidence {
        endpoint: Some(first.endpoint),
        gateway: via,
        ..Evidence::default()
    };
    let (cause, sign) = match &first.outcome {
        TcpOutcome::Connected { .. } => return None,
        TcpOutcome::Refused { reset_hops } => {
            // A reset that crossed no router while the endpoint sits behind one was forged by
            // the first router: a firewall rule, not the gateway's own stack.
            if *reset_hops == Some(0) && via.is_some() {
                ev.from = via;
                (Cause::FirewallReject, Sign::ResetOnPath)
            } else {
                (Cause::GatewayDown, Sign::PortClosed)
            }
        }
        TcpOutcome::TimedOut { waited_ms } => {
            ev.detail = Some(format!("{waited_ms} ms"));
            (Cause::FirewallDrop, Sign::SilentDrop)
        }
        TcpOutcome::Reset => (Cause::ConnectionReset, Sign::ResetAfterAccept),
        TcpOutcome::Unreachable { reason } => {
            ev.net_error = Some(reason.clone());
            match reason {
                NetError::AdminProhibited { icmp_from, .. } => {
                    ev.from = *icmp_from;
                    (Cause::FirewallReject, Sign::AdminProhibited)
                }
                NetError::HostUnreachable { icmp_from: Some(r) } => {
                    ev.from = Some(*r);
                    (Cause::GatewayHostDown, Sign::RouterSaysHostUnreachable)
                }
                NetError::HostUnreachable { icmp_from: None } => {
                    if via.is_some() {
                        (Cause::WrongGateway, Sign::NextHopSilent)
                    } else {
                        (Cause::GatewayHostDown, Sign::HostSilentOnLink)
                    }
                }
                NetError::NetworkUnreachable { icmp_from: Some(r) } => {
                    ev.from = Some(*r);
                    (Cause::GatewayHostDown, Sign::RouterSaysNetUnreachable)
                }
                NetError::NetworkUnreachable { icmp_from: None } => {
                    ev.interface = iface.map(|i| i.name.clone());
                    return finding(Cause::NoRoute, Layer::Ip, Sign::NoDefaultRoute, ev);
                }
                NetError::PortClosed | NetError::Other { .. } => {
                    (Cause::GatewayDown, Sign::PortClosed)
                }
            }
        }
    };
    finding(cause, Layer::Tcp, sign, ev)
}

fn judge_tls(facts: &Facts) -> Option<Finding> {
    let tls = facts.tls.as_ref()?;
    let mut ev = Evidence {
        endpoint: Some(tls.endpoint),
        name: Some(tls.server_name.clone()),
        ..Evidence::default()
    };
    let (cause, sign) = match &tls.outcome {
        TlsOutcome::Ok { .. } => return None,
        TlsOutcome::Untrusted { detail } => {
            ev.detail = Some(detail.clone());
            (Cause::TlsUntrusted, Sign::TlsUntrusted)
        }
        TlsOutcome::WrongName { detail } => {
            ev.detail = Some(detail.clone());
            (Cause::TlsName, Sign::TlsWrongName)
        }
        TlsOutcome::Expired { detail } => {
            ev.detail = Some(detail.clone());
            (Cause::TlsExpired, Sign::TlsExpired)
        }
        TlsOutcome::PlainHttp => (Cause::ServiceSuspended, Sign::CaptivePortal),
        TlsOutcome::Reset => (Cause::ConnectionReset, Sign::ResetAfterAccept),
        // The terminal's own link completed its handshake and the echo was answered: the
        // timeout was the path's (loss, delay), which the path figures judge below.
        TlsOutcome::TimedOut { .. }
            if matches!(
                facts.app.as_ref().map(|a| &a.echo),
                Some(EchoOutcome::Answered { .. })
            ) =>
        {
            return None;
        }
        TlsOutcome::TimedOut { waited_ms } => {
            ev.detail = Some(format!("{waited_ms} ms"));
            (Cause::GatewayDown, Sign::TlsTimeout)
        }
        // With mutual TLS a refused handshake is a broken trust between the two ends
        // (our client certificate, or theirs), so it is reported as a trust problem.
        TlsOutcome::HandshakeFailed { detail } => {
            ev.detail = Some(detail.clone());
            (Cause::TlsUntrusted, Sign::TlsHandshake)
        }
    };
    finding(cause, Layer::Tls, sign, ev)
}

fn judge_app(facts: &Facts, t: &Thresholds) -> Option<Finding> {
    let app = facts.app.as_ref()?;
    let mut ev = Evidence {
        endpoint: facts.tls.as_ref().map(|t| t.endpoint).or_else(|| {
            facts.tcp.iter().find_map(|tcp| match tcp.outcome {
                TcpOutcome::Connected { .. } => Some(tcp.endpoint),
                _ => None,
            })
        }),
        ..Evidence::default()
    };
    let (cause, sign) = match &app.echo {
        EchoOutcome::Answered {
            response_code,
            elapsed_ms,
        } => {
            ev.response_code = Some(response_code.clone());
            ev.detail = Some(format!("{elapsed_ms} ms"));
            match response_code.as_str() {
                "00" if *elapsed_ms >= t.slow_echo_ms => (Cause::HighLatency, Sign::EchoSlow),
                "00" => return None,
                "68" => (Cause::HighLatency, Sign::EchoSlow),
                "91" | "96" => (Cause::IssuerDown, Sign::EchoIssuer),
                _ => (Cause::GatewayMaintenance, Sign::EchoRefusedCode),
            }
        }
        EchoOutcome::Maintenance { detail } => {
            ev.detail = Some(detail.clone());
            (Cause::GatewayMaintenance, Sign::EchoMaintenance)
        }
        EchoOutcome::NoAnswer { waited_ms } => {
            ev.detail = Some(format!("{waited_ms} ms"));
            (Cause::GatewayDown, Sign::EchoNoAnswer)
        }
        EchoOutcome::Closed => (Cause::GatewayDown, Sign::EchoClosed),
        EchoOutcome::Reset => (Cause::ConnectionReset, Sign::ResetAfterAccept),
    };
    finding(cause, Layer::Application, sign, ev)
}

fn judge_path(p: &PathFacts, t: &Thresholds) -> Option<Finding> {
    let s = path::stats(p);
    let ev = Evidence {
        figures: Some(s),
        ..Evidence::default()
    };
    let repaired_permille = if s.sent == 0 {
        0
    } else {
        u64::from(s.repaired) * 1000 / u64::from(s.sent)
    };
    let lossy = s.loss_permille >= t.loss_permille
        || s.retrans_permille >= t.retrans_permille
        || (s.repaired >= 2 && repaired_permille >= u64::from(t.repaired_permille));
    let queueing = s.p95_ms >= t.high_latency_ms
        && s.p95_ms.saturating_sub(s.min_ms) >= t.congestion_spread_ms;
    let (cause, sign) = if s.carrier_changes > 0 {
        (Cause::LinkFlapping, Sign::CarrierChanged)
    } else if s.reconnects >= 2 {
        (Cause::LinkFlapping, Sign::Reconnects)
    } else if s.connects >= 2
        && s.connects_slow * 2 >= s.connects
        && s.answered > 0
        && s.p50_ms < t.high_latency_ms
        && !lossy
    {
        // New connections stall on SYN retransmits while the established link answers
        // quickly and loses nothing: the gateway's SYN queue is full.
        (Cause::SynFlood, Sign::SlowConnects)
    } else if queueing && s.p50_ms.saturating_sub(s.min_ms) >= t.queue_typical_ms {
        // The typical echo waited in a queue: a full queue also drops, so loss here is a
        // symptom of the congestion, not a weak line.
        (Cause::Congestion, Sign::QueueingDelay)
    } else if lossy {
        // Packets vanish while the typical round trip stays at the minimum (only the
        // unlucky echoes waited for a retransmission): weak signal or a bad line.
        (Cause::PacketLoss, Sign::Loss)
    } else if queueing {
        (Cause::Congestion, Sign::QueueingDelay)
    } else if s.p50_ms >= t.high_latency_ms {
        (Cause::HighLatency, Sign::SteadyHighLatency)
    } else if s.reconnects == 1 {
        (Cause::ConnectionReset, Sign::Reconnects)
    } else {
        return None;
    };
    finding(cause, Layer::Path, sign, ev)
}
