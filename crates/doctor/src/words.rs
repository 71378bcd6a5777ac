//! A finding in plain words: the cause as the seed document names it and its remedy made
//! concrete with the measured values, in English or Chinese (the seed's own terms).

use serde::Serialize;

use std::net::Ipv4Addr;

use crate::facts::NetError;
use crate::verdict::{Finding, Sign};

/// Output language (`--lang en|zh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "en" => Ok(Lang::En),
            "zh" => Ok(Lang::Zh),
            other => Err(format!("unknown language {other:?} (expected en or zh)")),
        }
    }
}

/// Summary and remedy for a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Words {
    pub summary: String,
    pub remedy: String,
}

fn or_q<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "?".to_string(), ToString::to_string)
}

/// Puts a finding in words.
pub fn words(f: &Finding, lang: Lang) -> Words {
    let e = &f.evidence;
    let iface = or_q(&e.interface);
    let addr = or_q(&e.address);
    let gw = or_q(&e.gateway);
    let dns = or_q(&e.dns_server);
    let name = or_q(&e.name);
    // Where the gateway could not even be resolved (no route to the DNS server either),
    // its name stands for the endpoint.
    let ep = match (&e.endpoint, &e.name) {
        (None, Some(n)) => n.clone(),
        _ => or_q(&e.endpoint),
    };
    let from = or_q(&e.from);
    let detail = match &e.net_error {
        Some(n) => net_error_text(n, lang),
        None => or_q(&e.detail),
    };
    let rc = or_q(&e.response_code);
    let fig = e.figures.unwrap_or_default();
    let figures_en = format!(
        "latency p50 {} ms, p95 {} ms, max {} ms, jitter {} ms, loss {}.{}%, TCP retransmitted {}.{}%, reconnects {}",
        fig.p50_ms,
        fig.p95_ms,
        fig.max_ms,
        fig.jitter_ms,
        fig.loss_permille / 10,
        fig.loss_permille % 10,
        fig.retrans_permille / 10,
        fig.retrans_permille % 10,
        fig.reconnects
    );
    let figures_zh = format!(
        "延迟 p50 {} 毫秒、p95 {} 毫秒、最大 {} 毫秒，抖动 {} 毫秒，丢包 {}.{}%，TCP重传 {}.{}%，重连 {} 次",
        fig.p50_ms,
        fig.p95_ms,
        fig.max_ms,
        fig.jitter_ms,
        fig.loss_permille / 10,
        fig.loss_permille % 10,
        fig.retrans_permille / 10,
        fig.retrans_permille % 10,
        fig.reconnects
    );
    let settings_en = "Check the POS network settings: IP address, subnet mask, gateway and DNS server address must all be correct";
    let settings_zh = "检查POS机网络设置。确保IP地址、子网掩码、网关和DNS服务器地址都正确无误";
    let firewall_en = "allow the POS's IP address or MAC address through";
    let firewall_zh = "在防火墙或路由器中允许POS机的IP地址或MAC地址通过";
    let restart_en = "restart the POS; if the problem stays, call the POS vendor or the network carrier for support";
    let restart_zh = "尝试重启POS机。如果问题仍然存在，联系POS机供应商或网络运营商寻求技术支持";
    let (en, zh): ((String, String), (String, String)) = match f.sign {
        Sign::InterfaceMissing => (
            (
                format!("Hardware fault: the network interface {iface} does not exist (network module missing or failed)"),
                "Call the POS vendor to repair or replace the network module".into(),
            ),
            (
                format!("POS机硬件故障：网络接口 {iface} 不存在（网络模块缺失或损坏）"),
                "联系POS机供应商进行检修或更换".into(),
            ),
        ),
        Sign::AdminDown => (
            (
                format!("The network interface {iface} is switched off (administratively down)"),
                format!("Enable {iface} in the POS network settings, then restart the POS"),
            ),
            (
                format!("网络接口 {iface} 已被关闭（管理性关闭）"),
                format!("在POS机网络设置中启用 {iface}，然后尝试重启POS机"),
            ),
        ),
        Sign::NoCarrier => (
            (
                format!("No link on {iface}: the cable is loose or damaged, or the router/switch port is off"),
                "Check the cable between the POS and the router (plug it in firmly or replace it) and that the router is on; if the link stays down, call the POS vendor".into(),
            ),
            (
                format!("{iface} 没有链路信号：连接 POS 机和路由器的网线可能松动或损坏，或路由器端口关闭"),
                "检查连接 POS 机和路由器的网线（插紧或更换），确认路由器工作正常；如果仍然无法连接，联系POS机供应商进行检修".into(),
            ),
        ),
        Sign::NoAddress => (
            (
                format!("Wrong POS network settings: {iface} has no IP address"),
                format!("{settings_en}; give {iface} an address (or turn DHCP on)"),
            ),
            (
                format!("POS机设置错误：{iface} 没有IP地址"),
                format!("{settings_zh}；为 {iface} 设置IP地址（或启用DHCP）"),
            ),
        ),
        Sign::MaskImplausible => (
            (
                format!("Wrong POS network settings: the subnet mask of {addr} on {iface} is implausible"),
                format!("{settings_en}; correct the subnet mask of {addr}"),
            ),
            (
                format!("POS机设置错误：{iface} 上 {addr} 的子网掩码不合理"),
                format!("{settings_zh}；更正 {addr} 的子网掩码"),
            ),
        ),
        Sign::AddressIsNetworkOrBroadcast => (
            (
                format!("Wrong POS network settings: {addr} on {iface} is the network or broadcast address of its subnet"),
                format!("{settings_en}; choose a host address instead of {addr}"),
            ),
            (
                format!("POS机设置错误：{iface} 上的 {addr} 是子网的网络地址或广播地址"),
                format!("{settings_zh}；把 {addr} 改为可用的主机地址"),
            ),
        ),
        Sign::GatewayOutsideSubnet => (
            (
                format!("Wrong POS network settings: gateway {gw} is not in the subnet of {addr}"),
                format!("{settings_en}; the IP address, subnet mask and gateway {gw} must be in one subnet"),
            ),
            (
                format!("POS机设置错误：网关 {gw} 不在 {addr} 的子网内"),
                format!("{settings_zh}；IP地址、子网掩码和网关 {gw} 必须在同一子网"),
            ),
        ),
        Sign::NoDefaultRoute => (
            (
                format!("Wrong POS network settings: no gateway (default route) is set, so {ep} cannot be reached"),
                format!("{settings_en}; set the gateway of {iface}"),
            ),
            (
                format!("POS机设置错误：没有设置网关（默认路由），无法到达 {ep}"),
                format!("{settings_zh}；为 {iface} 设置网关"),
            ),
        ),
        Sign::NextHopSilent => (
            (
                format!("Wrong gateway setting: gateway {gw} does not answer on the local network"),
                format!("{settings_en}; gateway {gw} is not the router's address, or the router is off"),
            ),
            (
                format!("网关设置不正确：网关 {gw} 在本地网络中没有应答"),
                format!("{settings_zh}；网关 {gw} 不是路由器的地址，或路由器故障"),
            ),
        ),
        Sign::NoDnsServer => (
            (
                format!("Wrong POS network settings: no DNS server is set to look up {name}"),
                format!("{settings_en}; set the DNS server address"),
            ),
            (
                format!("POS机设置错误：没有设置DNS服务器，无法解析 {name}"),
                format!("{settings_zh}；设置DNS服务器地址"),
            ),
        ),
        Sign::DnsTimeout | Sign::DnsUnreachable => (
            (
                format!("The DNS server {dns} does not answer ({detail})"),
                format!("Check the DNS server address: {dns} does not answer. {settings_en}; if it is right, contact the network carrier"),
            ),
            (
                format!("DNS服务器 {dns} 没有应答（{detail}）"),
                format!("检查DNS服务器地址：{dns} 没有应答。{settings_zh}；如果设置正确，联系网络运营商"),
            ),
        ),
        Sign::DnsRefused => (
            (
                format!("The DNS server {dns} refused to look up {name} (answer REFUSED)"),
                format!("Check the DNS server address: {dns} refused to serve this POS. {settings_en}; if it is right, contact the network carrier"),
            ),
            (
                format!("DNS服务器 {dns} 拒绝解析 {name}（应答 REFUSED）"),
                format!("检查DNS服务器地址：{dns} 拒绝为本POS机服务。{settings_zh}；如果设置正确，联系网络运营商"),
            ),
        ),
        Sign::DnsServerError | Sign::DnsBadReply => (
            (
                format!("The DNS server {dns} refuses or fails to look up {name}"),
                format!("Check the DNS server address: {dns} will not serve this POS. {settings_en}; if it is right, contact the network carrier"),
            ),
            (
                format!("DNS服务器 {dns} 拒绝或无法解析 {name}"),
                format!("检查DNS服务器地址：{dns} 不为本POS机服务。{settings_zh}；如果设置正确，联系网络运营商"),
            ),
        ),
        Sign::NxDomain | Sign::NoAddressRecord => (
            (
                format!("The gateway name {name} does not exist according to DNS server {dns}"),
                format!("Check the gateway host name {name} in the POS settings; if it is right, contact the payment provider"),
            ),
            (
                format!("DNS服务器 {dns} 表示网关名称 {name} 不存在"),
                format!("检查POS机设置中的网关主机名 {name}；如果正确，联系支付服务商"),
            ),
        ),
        Sign::EveryNameAnswered => (
            (
                format!("DNS server {dns} answers every name (even one that cannot exist) with {from}: the lookup of {name} is redirected"),
                format!("{settings_en}; use the DNS server your network carrier gives, and contact the carrier about {dns}"),
            ),
            (
                format!("DNS服务器 {dns} 对任何名称（包括不存在的名称）都返回 {from}：{name} 的解析被重定向"),
                format!("{settings_zh}；使用网络运营商提供的DNS服务器，并就 {dns} 联系网络运营商"),
            ),
        ),
        Sign::CaptivePortal => (
            (
                format!("Service suspended: the line answers with a web page instead of the gateway {ep} (unpaid bill or suspended service)"),
                "Pay the network service bill or ask the network carrier to resume the service".into(),
            ),
            (
                format!("欠费或服务暂停：线路返回网页而不是网关 {ep}"),
                "及时缴纳网络服务费，或联系网络运营商恢复服务".into(),
            ),
        ),
        Sign::SilentDrop => (
            (
                format!("Firewall or router blocking the POS: connections to {ep} get no answer at all ({detail})"),
                format!("In the firewall or router, {firewall_en} to {ep}"),
            ),
            (
                format!("防火墙或路由器限制：到 {ep} 的连接没有任何应答（{detail}）"),
                format!("{firewall_zh}（目标 {ep}）"),
            ),
        ),
        Sign::ResetOnPath => (
            (
                format!("Firewall or router blocking the POS: router {from} resets connections to {ep}"),
                format!("In the firewall or router {from}, {firewall_en} to {ep}"),
            ),
            (
                format!("防火墙或路由器限制：路由器 {from} 重置了到 {ep} 的连接"),
                format!("在防火墙或路由器 {from} 中允许POS机的IP地址或MAC地址通过（目标 {ep}）"),
            ),
        ),
        Sign::AdminProhibited => (
            (
                format!("Firewall or router blocking the POS: {from} rejects connections to {ep} (administratively prohibited)"),
                format!("In the firewall or router {from}, {firewall_en} to {ep}"),
            ),
            (
                format!("防火墙或路由器限制：{from} 拒绝了到 {ep} 的连接（管理性禁止）"),
                format!("在防火墙或路由器 {from} 中允许POS机的IP地址或MAC地址通过（目标 {ep}）"),
            ),
        ),
        Sign::PortClosed => (
            (
                format!("The payment gateway is down: {ep} refuses connections"),
                format!("The gateway service at {ep} is not running: wait for it to recover, or call the payment provider; {restart_en}"),
            ),
            (
                format!("支付网关宕机：{ep} 拒绝连接"),
                format!("{ep} 上的网关服务没有运行：等待恢复或联系支付服务商；{restart_zh}"),
            ),
        ),
        Sign::RouterSaysHostUnreachable | Sign::RouterSaysNetUnreachable => (
            (
                format!("Network outage: router {from} cannot reach the gateway host {ep}"),
                "Contact the network carrier to confirm an outage; if so, wait for the network to recover".into(),
            ),
            (
                format!("网络故障：路由器 {from} 无法到达网关主机 {ep}"),
                "联系网络运营商，确认是否有网络故障。如果是网络故障造成的，只能等待网络恢复".into(),
            ),
        ),
        Sign::HostSilentOnLink => (
            (
                format!("The gateway host {ep} does not answer on the local network"),
                format!("Check that the gateway host {ep} is powered and connected; {restart_en}"),
            ),
            (
                format!("网关主机 {ep} 在本地网络中没有应答"),
                format!("检查网关主机 {ep} 是否开机并连接网络；{restart_zh}"),
            ),
        ),
        Sign::ResetAfterAccept => (
            (
                format!("The connection to {ep} is reset (cut by something on the path, or a network attack)"),
                format!("Check the firewall or router for rules that reset connections to {ep}; if none, contact the network carrier: the connection may be under attack"),
            ),
            (
                format!("到 {ep} 的连接被重置（被路径上的设备中断，或遭到网络安全攻击）"),
                format!("检查防火墙或路由器中是否有重置到 {ep} 连接的规则；如果没有，联系网络运营商：网络可能遭到攻击"),
            ),
        ),
        Sign::TlsUntrusted => (
            (
                format!("The certificate of {ep} does not chain to the configured CA: the connection may be intercepted ({detail})"),
                format!("Do not use this network for payments until checked: call the payment provider, and check the firewall or router for a device that intercepts TLS to {name}"),
            ),
            (
                format!("{ep} 的证书不是由配置的CA签发：连接可能被拦截（{detail}）"),
                format!("在检查之前不要用此网络交易：联系支付服务商，并检查防火墙或路由器中是否有拦截到 {name} 的TLS的设备"),
            ),
        ),
        Sign::TlsHandshake => (
            (
                format!("The TLS handshake with {ep} fails: {detail}"),
                format!("Check the POS's certificate and the CA file in the POS settings; {restart_en}"),
            ),
            (
                format!("与 {ep} 的TLS握手失败：{detail}"),
                format!("检查POS机设置中的证书和CA文件；{restart_zh}"),
            ),
        ),
        Sign::TlsWrongName => (
            (
                format!("The certificate of {ep} is not valid for {name}: wrong server or interception ({detail})"),
                format!("Check the gateway host name {name} in the POS settings; if it is right, call the payment provider"),
            ),
            (
                format!("{ep} 的证书对 {name} 无效：服务器错误或连接被拦截（{detail}）"),
                format!("检查POS机设置中的网关主机名 {name}；如果正确，联系支付服务商"),
            ),
        ),
        Sign::TlsExpired => (
            (
                format!("The certificate of {ep} has expired or is not valid yet ({detail})"),
                "Check the POS's date and time; if they are right, call the payment provider to renew the gateway certificate".into(),
            ),
            (
                format!("{ep} 的证书已过期或尚未生效（{detail}）"),
                "检查POS机的日期和时间；如果正确，联系支付服务商更新网关证书".into(),
            ),
        ),
        Sign::TlsTimeout => (
            (
                format!("The payment gateway {ep} accepts connections but does not answer ({detail})"),
                format!("The gateway service is hung: call the payment provider; {restart_en}"),
            ),
            (
                format!("支付网关 {ep} 接受连接但没有应答（{detail}）"),
                format!("网关服务无响应：联系支付服务商；{restart_zh}"),
            ),
        ),
        Sign::EchoSlow => (
            (
                format!("The payment gateway {ep} answers too slowly ({detail}, response code {rc})"),
                "The network or the gateway is slow: retry later; if it stays slow, contact the network carrier".into(),
            ),
            (
                format!("支付网关 {ep} 应答太慢（{detail}，响应码 {rc}）"),
                "网络或网关速度慢：稍后重试；如果一直很慢，联系网络运营商".into(),
            ),
        ),
        Sign::EchoIssuer => (
            (
                format!("The bank's system is unavailable behind a healthy gateway (response code {rc})"),
                "The bank's system may be in maintenance: wait and retry later; if it lasts, call the payment provider".into(),
            ),
            (
                format!("网关正常，但银行系统不可用（响应码 {rc}）"),
                "银行系统可能正在维护：稍后重试；如果持续，联系支付服务商".into(),
            ),
        ),
        Sign::EchoMaintenance | Sign::EchoRefusedCode => (
            (
                format!("Server maintenance: the payment gateway {ep} is in maintenance or has signed the POS off ({detail}{})", e.response_code.as_ref().map(|c| format!(", response code {c}")).unwrap_or_default()),
                format!("Wait for the maintenance to end, then sign on again; {restart_en}"),
            ),
            (
                format!("服务器维护：支付网关 {ep} 正在维护或已将POS机签退（{detail}{}）", e.response_code.as_ref().map(|c| format!("，响应码 {c}")).unwrap_or_default()),
                format!("等待维护结束后重新签到；{restart_zh}"),
            ),
        ),
        Sign::EchoNoAnswer | Sign::EchoClosed => (
            (
                format!("The payment gateway {ep} accepts the connection but does not answer the echo"),
                format!("The gateway service is down or hung: call the payment provider; {restart_en}"),
            ),
            (
                format!("支付网关 {ep} 接受连接但不应答回响测试"),
                format!("支付网关宕机或无响应：联系支付服务商；{restart_zh}"),
            ),
        ),
        Sign::CarrierChanged | Sign::Reconnects => (
            (
                format!("Unstable connection: the link keeps dropping ({} carrier changes; {figures_en})", fig.carrier_changes),
                "Check the cable between the POS and the router (loose or damaged) and the router; on Wi-Fi move the POS where the signal is better".into(),
            ),
            (
                format!("网络连接不稳定：链路断断续续（链路变化 {} 次；{figures_zh}）", fig.carrier_changes),
                "检查连接 POS 机和路由器的网线是否松动或损坏，以及路由器是否故障；使用Wi-Fi时将POS机移至信号较好的位置".into(),
            ),
        ),
        Sign::SlowConnects => (
            (
                format!("Network attack: new connections to the gateway stall ({} of {} connects failed or needed a retransmitted SYN) while the open link is fast; the gateway is likely under a SYN flood", fig.connects_slow, fig.connects),
                "Keep the open connection; contact the payment provider and the network carrier about the attack".into(),
            ),
            (
                format!("网络安全攻击：到网关的新连接受阻（{} 次连接中 {} 次失败或需要重传SYN），已建立的连接正常；网关可能遭受SYN洪水攻击", fig.connects, fig.connects_slow),
                "保持已建立的连接；就网络攻击联系支付服务商和网络运营商".into(),
            ),
        ),
        Sign::Loss => (
            (
                format!("Weak signal or bad line: packets are lost ({figures_en})"),
                "Move the POS where the signal is better, or check the cable; if coverage is the problem, contact the network carrier".into(),
            ),
            (
                format!("POS机信号不良：数据包丢失（{figures_zh}）"),
                "将POS机移至信号较好的位置，或检查网线。如果仍然无法连接，可能是网络覆盖范围问题，需要联系网络运营商解决".into(),
            ),
        ),
        Sign::QueueingDelay => (
            (
                format!("Network congestion: delay grows and varies as queues fill ({figures_en})"),
                "Avoid peak hours or large transfers on the same line; ask the network carrier for more bandwidth".into(),
            ),
            (
                format!("网络拥塞：队列堆积导致延迟增大且不稳定（{figures_zh}）"),
                "避开高峰时段或同一线路上的大流量传输；联系网络运营商提高带宽".into(),
            ),
        ),
        Sign::SteadyHighLatency => (
            (
                format!("High latency on the path to the gateway ({figures_en})"),
                "Contact the network carrier about the slow line".into(),
            ),
            (
                format!("到网关的路径延迟过高（{figures_zh}）"),
                "就线路延迟问题联系网络运营商".into(),
            ),
        ),
        Sign::Healthy => {
            let measured_en = if e.figures.is_some() {
                format!("; {figures_en}")
            } else {
                String::new()
            };
            let measured_zh = if e.figures.is_some() {
                format!("；{figures_zh}")
            } else {
                String::new()
            };
            (
                (
                    format!("The network is fine: the gateway {ep} is reachable{measured_en}"),
                    "Nothing to do".into(),
                ),
                (
                    format!("网络正常：可以连接网关 {ep}{measured_zh}"),
                    "无需处理".into(),
                ),
            )
        }
    };
    let (summary, remedy) = match lang {
        Lang::En => en,
        Lang::Zh => zh,
    };
    Words { summary, remedy }
}

/// A socket error in words, for evidence lines.
pub fn net_error_text(e: &NetError, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let via = |from: &Option<Ipv4Addr>| match (from, zh) {
        (Some(r), false) => format!(" (ICMP from {r})"),
        (Some(r), true) => format!("（ICMP 来自 {r}）"),
        (None, false) => " (local)".to_string(),
        (None, true) => "（本机）".to_string(),
    };
    match (e, zh) {
        (NetError::NetworkUnreachable { icmp_from }, false) => {
            format!("network unreachable{}", via(icmp_from))
        }
        (NetError::NetworkUnreachable { icmp_from }, true) => {
            format!("网络不可达{}", via(icmp_from))
        }
        (NetError::HostUnreachable { icmp_from }, false) => {
            format!("host unreachable{}", via(icmp_from))
        }
        (NetError::HostUnreachable { icmp_from }, true) => {
            format!("主机不可达{}", via(icmp_from))
        }
        (
            NetError::AdminProhibited {
                icmp_from,
                icmp_code,
            },
            false,
        ) => format!(
            "administratively prohibited, ICMP code {icmp_code}{}",
            via(icmp_from)
        ),
        (
            NetError::AdminProhibited {
                icmp_from,
                icmp_code,
            },
            true,
        ) => format!("管理性禁止，ICMP 代码 {icmp_code}{}", via(icmp_from)),
        (NetError::PortClosed, false) => "port closed".to_string(),
        (NetError::PortClosed, true) => "端口关闭".to_string(),
        (NetError::Other { errno, text }, _) => format!("errno {errno}: {text}"),
    }
}
