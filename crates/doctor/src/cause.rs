//! The stable cause ids (the JSON contract of `posnet doctor --json`) and the layers.

use serde::Serialize;

/// Why the terminal cannot reach its gateway, as one stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    LinkDown,
    NoCarrier,
    IpConfig,
    NoRoute,
    WrongGateway,
    DnsServer,
    DnsName,
    DnsRedirect,
    FirewallDrop,
    FirewallReject,
    GatewayDown,
    GatewayHostDown,
    GatewayMaintenance,
    IssuerDown,
    TlsUntrusted,
    TlsName,
    TlsExpired,
    PacketLoss,
    HighLatency,
    LinkFlapping,
    Congestion,
    SynFlood,
    ConnectionReset,
    ServiceSuspended,
    Ok,
}

impl Cause {
    /// Every cause, in the order the checks can reach them.
    pub const ALL: [Cause; 25] = [
        Cause::LinkDown,
        Cause::NoCarrier,
        Cause::IpConfig,
        Cause::NoRoute,
        Cause::WrongGateway,
        Cause::DnsServer,
        Cause::DnsName,
        Cause::DnsRedirect,
        Cause::FirewallDrop,
        Cause::FirewallReject,
        Cause::GatewayDown,
        Cause::GatewayHostDown,
        Cause::GatewayMaintenance,
        Cause::IssuerDown,
        Cause::TlsUntrusted,
        Cause::TlsName,
        Cause::TlsExpired,
        Cause::PacketLoss,
        Cause::HighLatency,
        Cause::LinkFlapping,
        Cause::Congestion,
        Cause::SynFlood,
        Cause::ConnectionReset,
        Cause::ServiceSuspended,
        Cause::Ok,
    ];

    /// The stable id, as in the JSON output and the lab's expectations.
    pub fn id(self) -> &'static str {
        match self {
            Cause::LinkDown => "link_down",
            Cause::NoCarrier => "no_carrier",
            Cause::IpConfig => "ip_config",
            Cause::NoRoute => "no_route",
            Cause::WrongGateway => "wrong_gateway",
            Cause::DnsServer => "dns_server",
            Cause::DnsName => "dns_name",
            Cause::DnsRedirect => "dns_redirect",
            Cause::FirewallDrop => "firewall_drop",
            Cause::FirewallReject => "firewall_reject",
            Cause::GatewayDown => "gateway_down",
            Cause::GatewayHostDown => "gateway_host_down",
            Cause::GatewayMaintenance => "gateway_maintenance",
            Cause::IssuerDown => "issuer_down",
            Cause::TlsUntrusted => "tls_untrusted",
            Cause::TlsName => "tls_name",
            Cause::TlsExpired => "tls_expired",
            Cause::PacketLoss => "packet_loss",
            Cause::HighLatency => "high_latency",
            Cause::LinkFlapping => "link_flapping",
            Cause::Congestion => "congestion",
            Cause::SynFlood => "syn_flood",
            Cause::ConnectionReset => "connection_reset",
            Cause::ServiceSuspended => "service_suspended",
            Cause::Ok => "ok",
        }
    }

    pub fn from_id(id: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|c| c.id() == id)
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// The layer a check belongs to, bottom up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Interface,
    Ip,
    Dns,
    Tcp,
    Tls,
    Application,
    Path,
    /// Every measured layer passed.
    All,
}

impl Layer {
    pub fn id(self) -> &'static str {
        match self {
            Layer::Interface => "interface",
            Layer::Ip => "ip",
            Layer::Dns => "dns",
            Layer::Tcp => "tcp",
            Layer::Tls => "tls",
            Layer::Application => "application",
            Layer::Path => "path",
            Layer::All => "all",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_issue_list_and_round_trip() {
        let ids: Vec<&str> = Cause::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(
            ids.join(" "),
            "link_down no_carrier ip_config no_route wrong_gateway dns_server dns_name \
             dns_redirect firewall_drop firewall_reject gateway_down gateway_host_down \
             gateway_maintenance issuer_down tls_untrusted tls_name tls_expired packet_loss \
             high_latency link_flapping congestion syn_flood connection_reset \
             service_suspended ok"
        );
        for c in Cause::ALL {
            assert_eq!(Cause::from_id(c.id()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).ok(),
                Some(format!("\"{}\"", c.id()))
            );
        }
        assert_eq!(Cause::from_id("nope"), None);
    }
}
