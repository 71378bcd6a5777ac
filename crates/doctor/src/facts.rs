//! What each layer measured. Probes fill these in; the verdict only reads them, so every
//! diagnosis can be tested from hand-made facts without a network.
//!
//! `None` for a whole layer means "not measured" (the probe was not run or did not apply),
//! which is different from a measurement that failed.

use std::net::{Ipv4Addr, SocketAddr};

use serde::Serialize;

/// Everything the doctor measured, layer by layer, in the order the checks run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Facts {
    pub interface: Option<InterfaceFacts>,
    pub ip: Option<IpFacts>,
    /// `None` when the gateway was given as an address, so no lookup was needed.
    pub dns: Option<DnsFacts>,
    /// Primary first, then the secondary if one is configured.
    pub tcp: Vec<TcpFacts>,
    /// `None` when no CA was given (plain TCP link) or no endpoint connected.
    pub tls: Option<TlsFacts>,
    pub app: Option<AppFacts>,
    pub path: Option<PathFacts>,
}

/// An IPv4 address with its prefix length, as configured on an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ipv4Net {
    pub addr: Ipv4Addr,
    pub prefix_len: u8,
}

impl Ipv4Net {
    /// The subnet mask; prefix lengths above 32 are treated as 32.
    pub fn mask(&self) -> u32 {
        match self.prefix_len {
            0 => 0,
            n if n >= 32 => u32::MAX,
            n => u32::MAX << (32 - u32::from(n)),
        }
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        (u32::from(self.addr) & self.mask()) == (u32::from(ip) & self.mask())
    }

    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask())
    }

    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !self.mask())
    }
}

impl std::fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

/// The terminal's network interface (Ethernet or Wi-Fi adapter).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterfaceFacts {
    pub name: String,
    pub exists: bool,
    /// Administratively up (IFF_UP).
    pub admin_up: bool,
    /// Physical link present; `None` when the kernel cannot tell (interface down).
    pub carrier: Option<bool>,
    /// The kernel's count of carrier changes since the interface appeared.
    pub carrier_changes: Option<u64>,
    pub ipv4: Vec<Ipv4Net>,
}

/// IP settings: routes as the kernel holds them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IpFacts {
    /// A default route exists (in the main table).
    pub default_route: bool,
    /// The default route's next hop (the "gateway" of the POS network settings).
    pub default_gateway: Option<Ipv4Addr>,
}

/// DNS lookups of the gateway's name through the configured servers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DnsFacts {
    pub name: String,
    /// One entry per configured server, in the configured order.
    pub servers: Vec<DnsServerFacts>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DnsServerFacts {
    pub server: Ipv4Addr,
    /// The answer for the gateway's name.
    pub lookup: DnsOutcome,
    /// The answer for a random name that cannot exist; an address here means every name is
    /// answered (a captive portal or a hijacking resolver). `None` if not asked.
    pub nonce_lookup: Option<DnsOutcome>,
}

/// What one DNS query got back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DnsOutcome {
    Answer {
        addrs: Vec<Ipv4Addr>,
        elapsed_ms: u64,
    },
    /// NXDOMAIN: the server says the name does not exist.
    NxDomain,
    /// The name exists but has no IPv4 address.
    NoAddress,
    /// REFUSED: the server will not answer this client.
    Refused,
    /// SERVFAIL or another error code from the server.
    ServerError { rcode: u8 },
    /// No answer within the timeout (silent drop or dead server).
    Timeout { waited_ms: u64 },
    /// The server could not be reached at all.
    Unreachable { reason: NetError },
    /// An answer that does not parse or does not match the question.
    BadReply { detail: String },
}

/// Why a packet could not reach its destination, as the socket reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetError {
    /// ENETUNREACH: no route; `icmp_from` is the router that said so, `None` for our own stack.
    NetworkUnreachable {
        icmp_from: Option<Ipv4Addr>,
    },
    /// EHOSTUNREACH: nobody answered ARP, or a router sent ICMP host unreachable.
    HostUnreachable {
        icmp_from: Option<Ipv4Addr>,
    },
    /// ICMP destination unreachable with code 9, 10 or 13 (communication administratively
    /// prohibited): a firewall rejected the packet.
    AdminProhibited {
        icmp_from: Option<Ipv4Addr>,
        icmp_code: u8,
    },
    /// ECONNREFUSED from ICMP port unreachable (UDP) or a TCP reset.
    PortClosed,
    Other {
        errno: i32,
        text: String,
    },
}

/// Which configured gateway endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Primary,
    Secondary,
}

/// The kernel's route to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteFacts {
    pub dev: String,
    /// The next-hop router; `None` when the endpoint is on the local link.
    pub via: Option<Ipv4Addr>,
}

/// A TCP connection attempt to one gateway endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TcpFacts {
    pub role: Role,
    pub endpoint: SocketAddr,
    /// `None` when the kernel has no route to the endpoint (or it could not be asked).
    pub route: Option<RouteFacts>,
    pub outcome: TcpOutcome,
}

/// How a TCP connect ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TcpOutcome {
    Connected {
        connect_ms: u64,
    },
    /// A reset answered the SYN. `reset_hops` is how many routers the reset crossed, when it
    /// could be captured (needs CAP_NET_RAW): fewer hops than the endpoint is away means a
    /// device on the path forged it.
    Refused {
        reset_hops: Option<u8>,
    },
    /// No answer at all: the SYN was dropped silently.
    TimedOut {
        waited_ms: u64,
    },
    Unreachable {
        reason: NetError,
    },
    /// The connection was accepted and then reset at once.
    Reset,
}

/// The TLS handshake over the first connected endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TlsFacts {
    pub endpoint: SocketAddr,
    pub server_name: String,
    pub outcome: TlsOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TlsOutcome {
    Ok {
        version: String,
        handshake_ms: u64,
    },
    /// The certificate does not chain to the configured CA (possible interception).
    Untrusted {
        detail: String,
    },
    /// The certificate is not valid for the gateway's name.
    WrongName {
        detail: String,
    },
    /// The certificate has expired (or is not valid yet: the terminal's clock is suspect).
    Expired {
        detail: String,
    },
    /// The server answered in plain HTTP: a captive portal, typical of a suspended line.
    PlainHttp,
    /// The peer reset the connection during the handshake.
    Reset,
    TimedOut {
        waited_ms: u64,
    },
    /// Any other failure: alerts, protocol mismatch, our client certificate refused.
    HandshakeFailed {
        detail: String,
    },
}

/// The application-level 0800 echo (network management code 301) through the gateway.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppFacts {
    pub echo: EchoOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EchoOutcome {
    /// An 0810 came back with this response code (field 39).
    Answered {
        response_code: String,
        elapsed_ms: u64,
    },
    /// The gateway says it is in maintenance or has signed the terminal off.
    Maintenance {
        detail: String,
    },
    NoAnswer {
        waited_ms: u64,
    },
    /// The gateway closed the connection instead of answering.
    Closed,
    /// The connection was reset while waiting for the answer.
    Reset,
}

/// One echo of the path-quality run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EchoSample {
    /// Round trip of an answered echo; `None` for a lost one.
    pub rtt_ms: Option<u64>,
    /// The link had to reconnect before or during this echo.
    pub reconnected: bool,
}

/// Path quality over `--count` echoes plus a few fresh TCP connects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathFacts {
    pub samples: Vec<EchoSample>,
    /// Fresh TCP connects to the primary during the run; `None` for one that failed.
    pub connects_ms: Vec<Option<u64>>,
    /// Carrier changes of the interface counted while the run lasted.
    pub carrier_changes: u64,
    /// TCP segments this host sent, and retransmitted, while the echoes ran (the kernel's
    /// counters for the whole network namespace, `/proc/net/snmp`). Over TCP a lost packet
    /// is not a lost echo but a retransmission, so this is where loss shows. `None` when
    /// the counters could not be read.
    pub tcp_segments_out: Option<u64>,
    pub tcp_retransmits: Option<u64>,
}
