//! Every cause id from hand-made facts, and the order in which layers are judged.

use std::net::{Ipv4Addr, SocketAddr};

use doctor::facts::*;
use doctor::report::Status;
use doctor::{Cause, Facts, Lang, Layer, Report, Thresholds, diagnose};

const GW_HOST: Ipv4Addr = Ipv4Addr::new(198, 18, 3, 20);
const ROUTER: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 1);
const DNS: Ipv4Addr = Ipv4Addr::new(198, 18, 2, 53);

fn endpoint() -> SocketAddr {
    SocketAddr::from((GW_HOST, 5000))
}

/// A terminal whose every layer is healthy.
fn healthy() -> Facts {
    Facts {
        interface: Some(InterfaceFacts {
            name: "eth0".into(),
            exists: true,
            admin_up: true,
            carrier: Some(true),
            carrier_changes: Some(1),
            ipv4: vec![Ipv4Net {
                addr: Ipv4Addr::new(198, 18, 1, 10),
                prefix_len: 24,
            }],
        }),
        ip: Some(IpFacts {
            default_route: true,
            default_gateway: Some(ROUTER),
        }),
        dns: Some(DnsFacts {
            name: "gw.posnet.test".into(),
            servers: vec![DnsServerFacts {
                server: DNS,
                lookup: DnsOutcome::Answer {
                    addrs: vec![GW_HOST],
                    elapsed_ms: 1,
                },
                nonce_lookup: Some(DnsOutcome::NxDomain),
            }],
        }),
        tcp: vec![TcpFacts {
            role: Role::Primary,
            endpoint: endpoint(),
            route: Some(RouteFacts {
                dev: "eth0".into(),
                via: Some(ROUTER),
            }),
            outcome: TcpOutcome::Connected { connect_ms: 1 },
        }],
        tls: Some(TlsFacts {
            endpoint: endpoint(),
            server_name: "gw.posnet.test".into(),
            outcome: TlsOutcome::Ok {
                version: "TLSv1.3".into(),
                handshake_ms: 4,
            },
        }),
        app: Some(AppFacts {
            echo: EchoOutcome::Answered {
                response_code: "00".into(),
                elapsed_ms: 5,
            },
        }),
        path: Some(PathFacts {
            samples: doctor::path::samples_from_rtts(&[Some(5); 20]),
            connects_ms: vec![Some(1), Some(1), Some(2)],
            carrier_changes: 0,
            tcp_segments_out: Some(60),
            tcp_retransmits: Some(0),
        }),
    }
}

fn iface(f: &mut Facts) -> &mut InterfaceFacts {
    f.interface.as_mut().unwrap()
}

fn tcp_outcome(f: &mut Facts, o: TcpOutcome) {
    f.tcp[0].outcome = o;
}

fn dns_lookup(f: &mut Facts, o: DnsOutcome) {
    f.dns.as_mut().unwrap().servers[0].lookup = o;
}

fn tls(f: &mut Facts, o: TlsOutcome) {
    f.tls.as_mut().unwrap().outcome = o;
}

fn echo(f: &mut Facts, o: EchoOutcome) {
    f.app.as_mut().unwrap().echo = o;
}

fn path_rtts(f: &mut Facts, rtts: &[Option<u64>]) {
    f.path.as_mut().unwrap().samples = doctor::path::samples_from_rtts(rtts);
}

/// Diagnoses and checks cause, layer, and that both languages mention `needle`.
fn expect(f: &Facts, cause: Cause, layer: Layer, needle: &str) {
    let t = Thresholds::default();
    let got = diagnose(f, &t);
    assert_eq!((got.cause, got.layer), (cause, layer), "finding: {got:?}");
    for lang in [Lang::En, Lang::Zh] {
        let r = Report::new(f.clone(), &t, lang);
        assert_eq!(r.verdict.cause, cause);
        let both = format!("{} {}", r.verdict.summary, r.verdict.remedy);
        assert!(
            both.contains(needle),
            "{lang:?} words lack {needle:?}: {both}"
        );
        assert!(
            !both.contains('?'),
            "{lang:?} words have a missing value: {both}"
        );
    }
    let zh = Report::new(f.clone(), &t, Lang::Zh);
    assert!(
        zh.verdict
            .summary
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "Chinese summary has no Chinese: {}",
        zh.verdict.summary
    );
}

#[test]
fn healthy_is_ok_with_path_figures() {
    let f = healthy();
    expect(&f, Cause::Ok, Layer::All, "198.18.3.20:5000");
    let r = Report::new(f, &Thresholds::default(), Lang::En);
    assert!(
        r.verdict.summary.contains("p50 5 ms"),
        "{}",
        r.verdict.summary
    );
    assert_eq!(r.exit_code(), 0);
    assert!(r.checks.iter().all(|c| c.status == Status::Pass));
    let path = r.checks.iter().find(|c| c.name == "path").unwrap();
    assert_eq!(
        path.detail,
        "answered: 20/20, p50 5 ms, p95 5 ms, max 5 ms, jitter 0 ms, loss 0.0%, reconnects 0, slow connects 0/3, carrier changes 0, TCP retransmitted 0.0%"
    );
    let zh = Report::new(healthy(), &Thresholds::default(), Lang::Zh);
    let tls = zh.checks.iter().find(|c| c.name == "tls").unwrap();
    assert_eq!(
        tls.detail,
        "198.18.3.20:5000 (gw.posnet.test): TLSv1.3，握手 4 毫秒"
    );
}

#[test]
fn link_down_missing_or_admin_down() {
    let mut f = healthy();
    iface(&mut f).admin_up = false;
    expect(&f, Cause::LinkDown, Layer::Interface, "eth0");
    let mut f = healthy();
    iface(&mut f).exists = false;
    expect(&f, Cause::LinkDown, Layer::Interface, "eth0");
}

#[test]
fn no_carrier() {
    let mut f = healthy();
    iface(&mut f).carrier = Some(false);
    expect(&f, Cause::NoCarrier, Layer::Interface, "eth0");
}

#[test]
fn ip_config_variants() {
    let mut f = healthy();
    iface(&mut f).ipv4.clear();
    expect(&f, Cause::IpConfig, Layer::Ip, "eth0");

    let mut f = healthy();
    iface(&mut f).ipv4[0].prefix_len = 4;
    expect(&f, Cause::IpConfig, Layer::Ip, "198.18.1.10/4");

    let mut f = healthy();
    iface(&mut f).ipv4[0].prefix_len = 32;
    expect(&f, Cause::IpConfig, Layer::Ip, "198.18.1.10/32");

    let mut f = healthy();
    iface(&mut f).ipv4[0].addr = Ipv4Addr::new(198, 18, 1, 255);
    expect(&f, Cause::IpConfig, Layer::Ip, "198.18.1.255/24");

    // mask /25 puts the gateway .1 outside the terminal's subnet .128/25
    let mut f = healthy();
    iface(&mut f).ipv4[0] = Ipv4Net {
        addr: Ipv4Addr::new(198, 18, 1, 130),
        prefix_len: 25,
    };
    expect(&f, Cause::IpConfig, Layer::Ip, "198.18.1.1");
}

#[test]
fn no_route_from_routes_or_from_local_enetunreach() {
    let mut f = healthy();
    f.ip.as_mut().unwrap().default_route = false;
    f.ip.as_mut().unwrap().default_gateway = None;
    f.tcp[0].route = None;
    tcp_outcome(
        &mut f,
        TcpOutcome::Unreachable {
            reason: NetError::NetworkUnreachable { icmp_from: None },
        },
    );
    expect(&f, Cause::NoRoute, Layer::Ip, "eth0");

    // The routes looked fine, but the kernel itself said the network is unreachable.
    let mut f = healthy();
    tcp_outcome(
        &mut f,
        TcpOutcome::Unreachable {
            reason: NetError::NetworkUnreachable { icmp_from: None },
        },
    );
    expect(&f, Cause::NoRoute, Layer::Ip, "198.18.3.20");
}

#[test]
fn no_default_route_but_gateway_on_link_is_fine() {
    let mut f = healthy();
    f.ip.as_mut().unwrap().default_route = false;
    f.ip.as_mut().unwrap().default_gateway = None;
    f.tcp[0].route = Some(RouteFacts {
        dev: "eth0".into(),
        via: None,
    });
    assert_eq!(diagnose(&f, &Thresholds::default()).cause, Cause::Ok);
}

#[test]
fn wrong_gateway_when_next_hop_is_silent() {
    let mut f = healthy();
    tcp_outcome(
        &mut f,
        TcpOutcome::Unreachable {
            reason: NetError::HostUnreachable { icmp_from: None },
        },
    );
    expect(&f, Cause::WrongGateway, Layer::Tcp, "198.18.1.1");
}

#[test]
fn wrong_gateway_when_every_dns_server_is_behind_a_silent_next_hop() {
    // The lab's wrong_gateway: the default route points at an address nobody has, so the
    // DNS query fails first, with the local stack's host-unreachable (no router spoke).
    let mut f = healthy();
    let silent = DnsOutcome::Unreachable {
        reason: NetError::HostUnreachable { icmp_from: None },
    };
    dns_lookup(&mut f, silent.clone());
    f.dns.as_mut().unwrap().servers[0].nonce_lookup = None;
    f.ip.as_mut().unwrap().default_gateway = Some(Ipv4Addr::new(198, 18, 1, 254));
    f.tcp.clear();
    f.tls = None;
    f.app = None;
    f.path = None;
    expect(&f, Cause::WrongGateway, Layer::Ip, "198.18.1.254");
    // A DNS server on the terminal's own subnet that is silent is the server's fault.
    let mut on_link = f.clone();
    on_link.dns.as_mut().unwrap().servers[0].server = Ipv4Addr::new(198, 18, 1, 53);
    expect(&on_link, Cause::DnsServer, Layer::Dns, "198.18.1.53");
    // A router that reports the server unreachable proves the next hop works.
    let mut routed = f.clone();
    dns_lookup(
        &mut routed,
        DnsOutcome::Unreachable {
            reason: NetError::HostUnreachable {
                icmp_from: Some(ROUTER),
            },
        },
    );
    expect(&routed, Cause::DnsServer, Layer::Dns, "198.18.2.53");
}

#[test]
fn no_route_before_the_name_was_resolved_names_the_gateway() {
    // The lab's no_route: without a default route the DNS server is unreachable too, so
    // there is no endpoint; the words name the gateway by its name instead.
    let mut f = healthy();
    f.ip = Some(IpFacts {
        default_route: false,
        default_gateway: None,
    });
    dns_lookup(
        &mut f,
        DnsOutcome::Unreachable {
            reason: NetError::NetworkUnreachable { icmp_from: None },
        },
    );
    f.dns.as_mut().unwrap().servers[0].nonce_lookup = None;
    f.tcp.clear();
    f.tls = None;
    f.app = None;
    f.path = None;
    expect(&f, Cause::NoRoute, Layer::Ip, "gw.posnet.test");
}

#[test]
fn a_refusing_dns_server_is_said_to_refuse() {
    let mut f = healthy();
    dns_lookup(&mut f, DnsOutcome::Refused);
    f.dns.as_mut().unwrap().servers[0].nonce_lookup = None;
    expect(&f, Cause::DnsServer, Layer::Dns, "REFUSED");
    let en = Report::new(f.clone(), &Thresholds::default(), Lang::En);
    assert!(
        en.verdict
            .summary
            .contains("refused to look up gw.posnet.test")
    );
    let zh = Report::new(f, &Thresholds::default(), Lang::Zh);
    assert!(
        zh.verdict.summary.contains("拒绝解析"),
        "{}",
        zh.verdict.summary
    );
}

#[test]
fn dns_server_failures() {
    for (o, needle) in [
        (DnsOutcome::Timeout { waited_ms: 2000 }, "2000 ms"),
        (
            DnsOutcome::Unreachable {
                reason: NetError::PortClosed,
            },
            "198.18.2.53",
        ),
        (DnsOutcome::Refused, "198.18.2.53"),
        (DnsOutcome::ServerError { rcode: 2 }, "198.18.2.53"),
        (
            DnsOutcome::BadReply {
                detail: "id mismatch".into(),
            },
            "198.18.2.53",
        ),
    ] {
        let mut f = healthy();
        dns_lookup(&mut f, o);
        f.dns.as_mut().unwrap().servers[0].nonce_lookup = None;
        f.tcp.clear();
        f.tls = None;
        f.app = None;
        f.path = None;
        expect(&f, Cause::DnsServer, Layer::Dns, needle);
    }
    let mut f = healthy();
    f.dns.as_mut().unwrap().servers.clear();
    expect(&f, Cause::DnsServer, Layer::Dns, "gw.posnet.test");
}

#[test]
fn socket_errors_are_put_in_each_language() {
    let mut f = healthy();
    dns_lookup(
        &mut f,
        DnsOutcome::Unreachable {
            reason: NetError::PortClosed,
        },
    );
    let en = Report::new(f.clone(), &Thresholds::default(), Lang::En);
    let zh = Report::new(f, &Thresholds::default(), Lang::Zh);
    assert_eq!(
        en.verdict.summary,
        "The DNS server 198.18.2.53 does not answer (port closed)"
    );
    assert_eq!(
        zh.verdict.summary,
        "DNS服务器 198.18.2.53 没有应答（端口关闭）"
    );
    let line = |r: &Report| {
        r.checks
            .iter()
            .find(|c| c.name == "dns 198.18.2.53")
            .unwrap()
            .detail
            .clone()
    };
    assert_eq!(line(&en), "gw.posnet.test: port closed");
    assert_eq!(line(&zh), "gw.posnet.test: 端口关闭");
}

#[test]
fn dns_remedy_names_the_server() {
    let mut f = healthy();
    dns_lookup(&mut f, DnsOutcome::Timeout { waited_ms: 2000 });
    let r = Report::new(f, &Thresholds::default(), Lang::En);
    assert!(
        r.verdict
            .remedy
            .starts_with("Check the DNS server address: 198.18.2.53 does not answer"),
        "{}",
        r.verdict.remedy
    );
}

#[test]
fn dns_name_when_a_server_says_it_does_not_exist() {
    let mut f = healthy();
    dns_lookup(&mut f, DnsOutcome::NxDomain);
    expect(&f, Cause::DnsName, Layer::Dns, "gw.posnet.test");
    let mut f = healthy();
    dns_lookup(&mut f, DnsOutcome::NoAddress);
    expect(&f, Cause::DnsName, Layer::Dns, "gw.posnet.test");
    // one dead server and one NXDOMAIN: the name is the problem
    let mut f = healthy();
    dns_lookup(&mut f, DnsOutcome::Timeout { waited_ms: 10 });
    f.dns.as_mut().unwrap().servers.push(DnsServerFacts {
        server: Ipv4Addr::new(198, 18, 2, 54),
        lookup: DnsOutcome::NxDomain,
        nonce_lookup: None,
    });
    expect(&f, Cause::DnsName, Layer::Dns, "198.18.2.54");
}

#[test]
fn second_dns_server_answering_is_enough() {
    let mut f = healthy();
    let good = f.dns.as_ref().unwrap().servers[0].clone();
    dns_lookup(&mut f, DnsOutcome::Timeout { waited_ms: 10 });
    f.dns.as_mut().unwrap().servers.push(good);
    assert_eq!(diagnose(&f, &Thresholds::default()).cause, Cause::Ok);
}

#[test]
fn dns_redirect_and_captive_portal() {
    let portal = Ipv4Addr::new(198, 18, 9, 9);
    let mut f = healthy();
    f.dns.as_mut().unwrap().servers[0].nonce_lookup = Some(DnsOutcome::Answer {
        addrs: vec![portal],
        elapsed_ms: 1,
    });
    expect(&f, Cause::DnsRedirect, Layer::Dns, "198.18.9.9");
    // same resolver, and the gateway's port answers in plain HTTP: a suspended line
    tls(&mut f, TlsOutcome::PlainHttp);
    expect(&f, Cause::ServiceSuspended, Layer::Dns, "198.18.3.20:5000");
    // no DNS involved at all, the port itself is a portal
    let mut f = healthy();
    f.dns = None;
    tls(&mut f, TlsOutcome::PlainHttp);
    expect(&f, Cause::ServiceSuspended, Layer::Tls, "198.18.3.20:5000");
}

#[test]
fn firewall_drop_is_a_silent_timeout() {
    let mut f = healthy();
    tcp_outcome(&mut f, TcpOutcome::TimedOut { waited_ms: 3000 });
    expect(&f, Cause::FirewallDrop, Layer::Tcp, "198.18.3.20:5000");
}

#[test]
fn firewall_reject_by_admin_prohibited_or_forged_reset() {
    let mut f = healthy();
    tcp_outcome(
        &mut f,
        TcpOutcome::Unreachable {
            reason: NetError::AdminProhibited {
                icmp_from: Some(ROUTER),
                icmp_code: 13,
            },
        },
    );
    expect(&f, Cause::FirewallReject, Layer::Tcp, "198.18.1.1");

    // a reset that crossed no router, for an endpoint behind a router
    let mut f = healthy();
    tcp_outcome(
        &mut f,
        TcpOutcome::Refused {
            reset_hops: Some(0),
        },
    );
    expect(&f, Cause::FirewallReject, Layer::Tcp, "198.18.1.1");
}

#[test]
fn gateway_down_when_the_host_itself_resets() {
    for hops in [Some(1), None] {
        let mut f = healthy();
        tcp_outcome(&mut f, TcpOutcome::Refused { reset_hops: hops });
        expect(&f, Cause::GatewayDown, Layer::Tcp, "198.18.3.20:5000");
    }
    // on the local link a reset from 0 hops is the host itself
    let mut f = healthy();
    f.tcp[0].route = Some(RouteFacts {
        dev: "eth0".into(),
        via: None,
    });
    tcp_outcome(
        &mut f,
        TcpOutcome::Refused {
            reset_hops: Some(0),
        },
    );
    expect(&f, Cause::GatewayDown, Layer::Tcp, "198.18.3.20:5000");
}

#[test]
fn gateway_host_down_from_router_icmp_or_silent_on_link() {
    for reason in [
        NetError::HostUnreachable {
            icmp_from: Some(ROUTER),
        },
        NetError::NetworkUnreachable {
            icmp_from: Some(ROUTER),
        },
    ] {
        let mut f = healthy();
        tcp_outcome(&mut f, TcpOutcome::Unreachable { reason });
        expect(&f, Cause::GatewayHostDown, Layer::Tcp, "198.18.1.1");
    }
    let mut f = healthy();
    f.tcp[0].route = Some(RouteFacts {
        dev: "eth0".into(),
        via: None,
    });
    tcp_outcome(
        &mut f,
        TcpOutcome::Unreachable {
            reason: NetError::HostUnreachable { icmp_from: None },
        },
    );
    expect(&f, Cause::GatewayHostDown, Layer::Tcp, "198.18.3.20:5000");
}

#[test]
fn secondary_connecting_is_enough_and_primary_failure_is_still_reported() {
    let mut f = healthy();
    let mut second = f.tcp[0].clone();
    second.role = Role::Secondary;
    second.endpoint = SocketAddr::from((Ipv4Addr::new(198, 18, 3, 21), 5000));
    tcp_outcome(&mut f, TcpOutcome::TimedOut { waited_ms: 3000 });
    f.tcp.push(second);
    let r = Report::new(f, &Thresholds::default(), Lang::En);
    assert_eq!(r.verdict.cause, Cause::Ok);
    let primary = r.checks.iter().find(|c| c.name == "tcp primary").unwrap();
    assert_eq!(primary.status, Status::Fail);
    assert!(
        primary.detail.contains("no answer in 3000 ms"),
        "{}",
        primary.detail
    );
}

#[test]
fn connection_reset_at_tcp_tls_app_or_path() {
    let mut f = healthy();
    tcp_outcome(&mut f, TcpOutcome::Reset);
    expect(&f, Cause::ConnectionReset, Layer::Tcp, "198.18.3.20:5000");
    let mut f = healthy();
    tls(&mut f, TlsOutcome::Reset);
    expect(&f, Cause::ConnectionReset, Layer::Tls, "198.18.3.20:5000");
    let mut f = healthy();
    echo(&mut f, EchoOutcome::Reset);
    expect(
        &f,
        Cause::ConnectionReset,
        Layer::Application,
        "198.18.3.20:5000",
    );
    let mut f = healthy();
    f.path.as_mut().unwrap().samples[3].reconnected = true;
    assert_eq!(
        diagnose(&f, &Thresholds::default()).cause,
        Cause::ConnectionReset
    );
}

#[test]
fn tls_failures() {
    let mut f = healthy();
    tls(
        &mut f,
        TlsOutcome::Untrusted {
            detail: "unknown issuer".into(),
        },
    );
    expect(&f, Cause::TlsUntrusted, Layer::Tls, "unknown issuer");
    let mut f = healthy();
    tls(
        &mut f,
        TlsOutcome::HandshakeFailed {
            detail: "alert bad_certificate".into(),
        },
    );
    expect(&f, Cause::TlsUntrusted, Layer::Tls, "alert bad_certificate");
    let mut f = healthy();
    tls(
        &mut f,
        TlsOutcome::WrongName {
            detail: "cert for other.test".into(),
        },
    );
    expect(&f, Cause::TlsName, Layer::Tls, "gw.posnet.test");
    let mut f = healthy();
    tls(
        &mut f,
        TlsOutcome::Expired {
            detail: "expired 2020-01-01".into(),
        },
    );
    expect(&f, Cause::TlsExpired, Layer::Tls, "expired 2020-01-01");
    let mut f = healthy();
    tls(&mut f, TlsOutcome::TimedOut { waited_ms: 3000 });
    // (with the link's echo answered the timeout would be the path's; see path tests)
    f.app = None;
    f.path = None;
    expect(&f, Cause::GatewayDown, Layer::Tls, "3000 ms");
}

#[test]
fn application_echo() {
    let mut f = healthy();
    echo(
        &mut f,
        EchoOutcome::Maintenance {
            detail: "signed off".into(),
        },
    );
    expect(
        &f,
        Cause::GatewayMaintenance,
        Layer::Application,
        "signed off",
    );
    for rc in ["91", "96"] {
        let mut f = healthy();
        echo(
            &mut f,
            EchoOutcome::Answered {
                response_code: rc.into(),
                elapsed_ms: 9,
            },
        );
        expect(&f, Cause::IssuerDown, Layer::Application, rc);
    }
    let mut f = healthy();
    echo(
        &mut f,
        EchoOutcome::Answered {
            response_code: "68".into(),
            elapsed_ms: 9,
        },
    );
    expect(&f, Cause::HighLatency, Layer::Application, "68");
    let mut f = healthy();
    echo(
        &mut f,
        EchoOutcome::Answered {
            response_code: "00".into(),
            elapsed_ms: 2500,
        },
    );
    expect(&f, Cause::HighLatency, Layer::Application, "2500 ms");
    let mut f = healthy();
    echo(&mut f, EchoOutcome::NoAnswer { waited_ms: 5000 });
    expect(
        &f,
        Cause::GatewayDown,
        Layer::Application,
        "198.18.3.20:5000",
    );
    let mut f = healthy();
    echo(&mut f, EchoOutcome::Closed);
    expect(
        &f,
        Cause::GatewayDown,
        Layer::Application,
        "198.18.3.20:5000",
    );
}

#[test]
fn path_quality_causes() {
    // 3 of 20 lost, fast otherwise
    let mut f = healthy();
    let mut rtts = vec![Some(5); 20];
    rtts[2] = None;
    rtts[9] = None;
    rtts[15] = None;
    path_rtts(&mut f, &rtts);
    expect(&f, Cause::PacketLoss, Layer::Path, "15.0%");

    // nothing lost at the echo level, but TCP had to resend 9 of 60 segments
    let mut f = healthy();
    f.path.as_mut().unwrap().tcp_retransmits = Some(9);
    expect(&f, Cause::PacketLoss, Layer::Path, "15.0%");
    // ... and SYN-queue trouble is not claimed on a lossy path
    f.path.as_mut().unwrap().connects_ms = vec![Some(1003), None, Some(3010), Some(2)];
    expect(&f, Cause::PacketLoss, Layer::Path, "15.0%");
    // a full queue loses echoes too, but its long typical delay says congestion
    let mut f = healthy();
    let mut climb: Vec<Option<u64>> = (0..20).map(|i| Some(20 + i * 100)).collect();
    climb[18] = None;
    climb[19] = None;
    path_rtts(&mut f, &climb);
    f.path.as_mut().unwrap().tcp_retransmits = Some(12);
    expect(&f, Cause::Congestion, Layer::Path, "10.0%");

    // Two runs measured in the lab (lab/run packet_loss and congestion): random loss leaves
    // the median at the minimum and shows in retransmissions; a filling queue lifts the
    // median, and its drops are retransmitted too.
    let mut f = healthy();
    let lossy: Vec<Option<u64>> = [
        1, 1, 1, 1, 1, 209, 1, 3, 1, 211, 1, 212, 312, 1, 1, 296, 1, 1, 1, 711,
    ]
    .map(Some)
    .to_vec();
    path_rtts(&mut f, &lossy);
    let p = f.path.as_mut().unwrap();
    (p.tcp_segments_out, p.tcp_retransmits) = (Some(40), Some(6));
    expect(&f, Cause::PacketLoss, Layer::Path, "15.0%");
    let mut f = healthy();
    let queued: Vec<Option<u64>> = [1, 50, 138, 270, 481, 841, 1062, 1064, 1064, 1067]
        .map(Some)
        .to_vec();
    path_rtts(&mut f, &queued);
    let p = f.path.as_mut().unwrap();
    (p.tcp_segments_out, p.tcp_retransmits) = (Some(26), Some(6));
    expect(&f, Cause::Congestion, Layer::Path, "p50 481 ");

    // TCP repaired the losses (echoes 200 ms late), none retransmitted by us: the gateway's
    // segments were the ones lost
    let mut f = healthy();
    let mut rtts = vec![Some(2); 30];
    rtts[4] = Some(205);
    rtts[17] = Some(230);
    path_rtts(&mut f, &rtts);
    expect(&f, Cause::PacketLoss, Layer::Path, "p95 205 ");
    // one late echo is not yet a pattern
    rtts[17] = Some(2);
    path_rtts(&mut f, &rtts);
    expect(&f, Cause::Ok, Layer::All, "p50 2 ");

    // a lossy line can time the TLS check out while the link's own handshake got through:
    // the echo was answered, so the path's loss is the verdict (lab/run packet_loss)
    let mut f = healthy();
    tls(&mut f, TlsOutcome::TimedOut { waited_ms: 2019 });
    f.path.as_mut().unwrap().tcp_retransmits = Some(9);
    expect(&f, Cause::PacketLoss, Layer::Path, "15.0%");
    let mut f = healthy();
    tls(&mut f, TlsOutcome::TimedOut { waited_ms: 2019 });
    echo(&mut f, EchoOutcome::NoAnswer { waited_ms: 2000 });
    expect(&f, Cause::GatewayDown, Layer::Tls, "2019 ms");

    // steady but slow
    let mut f = healthy();
    path_rtts(&mut f, &[Some(800); 20]);
    expect(&f, Cause::HighLatency, Layer::Path, "p50 800 ");

    // queueing: delay climbs from 20 to 1900 ms, nothing lost
    let mut f = healthy();
    let climb: Vec<Option<u64>> = (0..20).map(|i| Some(20 + i * 100)).collect();
    path_rtts(&mut f, &climb);
    expect(&f, Cause::Congestion, Layer::Path, "p95 1820 ");

    // carrier went away and back during the run
    let mut f = healthy();
    f.path.as_mut().unwrap().carrier_changes = 4;
    expect(&f, Cause::LinkFlapping, Layer::Path, "4");
    let mut f = healthy();
    let p = f.path.as_mut().unwrap();
    p.samples[1].reconnected = true;
    p.samples[7].reconnected = true;
    expect(&f, Cause::LinkFlapping, Layer::Path, "p50 5 ");
    let en = Report::new(f, &Thresholds::default(), Lang::En);
    assert!(
        en.verdict.summary.contains("reconnects 2"),
        "{}",
        en.verdict.summary
    );

    // new connections stall on SYN retransmits while echoes are fast
    let mut f = healthy();
    f.path.as_mut().unwrap().connects_ms = vec![Some(1003), None, Some(3010), Some(2)];
    expect(&f, Cause::SynFlood, Layer::Path, "3");
}

#[test]
fn first_failing_layer_wins_and_the_rest_is_still_reported() {
    // The link is down, so DNS and TCP fail too; the verdict names the link.
    let mut f = healthy();
    iface(&mut f).admin_up = false;
    dns_lookup(
        &mut f,
        DnsOutcome::Unreachable {
            reason: NetError::NetworkUnreachable { icmp_from: None },
        },
    );
    tcp_outcome(
        &mut f,
        TcpOutcome::Unreachable {
            reason: NetError::NetworkUnreachable { icmp_from: None },
        },
    );
    f.tls = None;
    f.app = None;
    f.path = None;
    let r = Report::new(f, &Thresholds::default(), Lang::En);
    assert_eq!(
        (r.verdict.cause, r.verdict.layer),
        (Cause::LinkDown, Layer::Interface)
    );
    let fails: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(fails, ["interface", "dns 198.18.2.53", "tcp primary"]);
    let skips = r.checks.iter().filter(|c| c.status == Status::Skip).count();
    assert_eq!(skips, 3, "tls, echo and path were not measured");

    // DNS fails and the TLS would too: DNS is lower, DNS wins.
    let mut f = healthy();
    dns_lookup(&mut f, DnsOutcome::NxDomain);
    tls(&mut f, TlsOutcome::Expired { detail: "x".into() });
    assert_eq!(diagnose(&f, &Thresholds::default()).cause, Cause::DnsName);

    // carrier lost beats a wrong mask
    let mut f = healthy();
    iface(&mut f).carrier = Some(false);
    iface(&mut f).ipv4[0].prefix_len = 2;
    assert_eq!(diagnose(&f, &Thresholds::default()).cause, Cause::NoCarrier);

    // TLS failure beats bad path figures
    let mut f = healthy();
    tls(&mut f, TlsOutcome::PlainHttp);
    path_rtts(&mut f, &[None; 20]);
    assert_eq!(
        diagnose(&f, &Thresholds::default()).cause,
        Cause::ServiceSuspended
    );
}

#[test]
fn unmeasured_layers_are_skipped_not_guessed() {
    let f = Facts {
        tcp: vec![TcpFacts {
            role: Role::Primary,
            endpoint: endpoint(),
            route: None,
            outcome: TcpOutcome::Connected { connect_ms: 3 },
        }],
        ..Facts::default()
    };
    let r = Report::new(f, &Thresholds::default(), Lang::En);
    assert_eq!(r.verdict.cause, Cause::Ok);
    assert!(!r.verdict.summary.contains("p50"), "{}", r.verdict.summary);
}

#[test]
fn json_contract() {
    let mut f = healthy();
    tcp_outcome(&mut f, TcpOutcome::TimedOut { waited_ms: 3000 });
    let r = Report::new(f, &Thresholds::default(), Lang::Zh);
    let v: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    assert_eq!(v["verdict"]["cause"], "firewall_drop");
    assert_eq!(v["verdict"]["layer"], "tcp");
    assert!(
        v["verdict"]["summary"]
            .as_str()
            .unwrap()
            .contains("防火墙或路由器限制")
    );
    assert!(
        v["verdict"]["remedy"]
            .as_str()
            .unwrap()
            .contains("在防火墙或路由器中允许POS机的IP地址或MAC地址通过")
    );
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks[0]["layer"], "interface");
    assert_eq!(checks[0]["status"], "pass");
    assert_eq!(r.exit_code(), 1);
    let text = r.to_text(Lang::Zh);
    assert!(text.starts_with("诊断结果: 防火墙或路由器限制"), "{text}");
}

#[test]
fn english_and_chinese_differ() {
    let mut f = healthy();
    iface(&mut f).admin_up = false;
    let en = Report::new(f.clone(), &Thresholds::default(), Lang::En);
    let zh = Report::new(f, &Thresholds::default(), Lang::Zh);
    assert_eq!(
        en.verdict.summary,
        "The network interface eth0 is switched off (administratively down)"
    );
    assert_eq!(zh.verdict.summary, "网络接口 eth0 已被关闭（管理性关闭）");
    assert!(zh.verdict.remedy.contains("尝试重启POS机"));
}
