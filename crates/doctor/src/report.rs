//! The doctor's output: the verdict first, then the evidence per layer; as text or as the
//! JSON contract `{"verdict": {...}, "checks": [...]}`.

use serde::Serialize;

use crate::cause::{Cause, Layer};
use crate::facts::{DnsOutcome, EchoOutcome, Facts, TcpOutcome, TlsOutcome};
use crate::path;
use crate::verdict::{Finding, Thresholds, diagnose};
use crate::words::{Lang, net_error_text, words};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerdictOut {
    pub cause: Cause,
    pub layer: Layer,
    pub summary: String,
    pub remedy: String,
}

/// The result of one check, as measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// Not measured (not configured, or not applicable).
    Skip,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub layer: Layer,
    pub name: String,
    pub status: Status,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub verdict: VerdictOut,
    pub checks: Vec<Check>,
    /// The measured facts themselves, for tools that want more than the words.
    pub facts: Facts,
}

impl Report {
    pub fn new(facts: Facts, t: &Thresholds, lang: Lang) -> Report {
        let finding: Finding = diagnose(&facts, t);
        let w = words(&finding, lang);
        Report {
            verdict: VerdictOut {
                cause: finding.cause,
                layer: finding.layer,
                summary: w.summary,
                remedy: w.remedy,
            },
            checks: checks(&facts, lang),
            facts,
        }
    }

    /// `posnet doctor`'s exit code: 0 only for `ok`.
    pub fn exit_code(&self) -> i32 {
        if self.verdict.cause == Cause::Ok {
            0
        } else {
            1
        }
    }

    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    pub fn to_text(&self, lang: Lang) -> String {
        let (cause_l, remedy_l) = match lang {
            Lang::En => ("Verdict", "What to do"),
            Lang::Zh => ("诊断结果", "解决方案"),
        };
        let mut out = format!(
            "{cause_l}: {} [{} / {}]\n{remedy_l}: {}\n\n",
            self.verdict.summary,
            self.verdict.cause.id(),
            self.verdict.layer.id(),
            self.verdict.remedy
        );
        for c in &self.checks {
            let s = match (c.status, lang) {
                (Status::Pass, Lang::En) => "ok  ",
                (Status::Fail, Lang::En) => "FAIL",
                (Status::Skip, Lang::En) => "--  ",
                (Status::Pass, Lang::Zh) => "正常",
                (Status::Fail, Lang::Zh) => "失败",
                (Status::Skip, Lang::Zh) => "跳过",
            };
            out.push_str(&format!(
                "  [{s}] {:<11} {:<18} {}\n",
                c.layer.id(),
                c.name,
                c.detail
            ));
        }
        out
    }
}

fn no_answer(waited_ms: u64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("no answer in {waited_ms} ms"),
        Lang::Zh => format!("{waited_ms} 毫秒内无应答"),
    }
}

fn tr(lang: Lang, en: &str, zh: &str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Zh => zh.to_string(),
    }
}

fn check(layer: Layer, name: &str, status: Status, detail: String) -> Check {
    Check {
        layer,
        name: name.to_string(),
        status,
        detail,
    }
}

/// One line of evidence per measured thing, whatever the verdict.
pub fn checks(f: &Facts, lang: Lang) -> Vec<Check> {
    let mut out = Vec::new();
    let not_measured = tr(lang, "not measured", "未测量");
    match &f.interface {
        None => out.push(check(
            Layer::Interface,
            "interface",
            Status::Skip,
            not_measured.clone(),
        )),
        Some(i) => {
            let ok = i.exists && i.admin_up && i.carrier != Some(false);
            let carrier = match i.carrier {
                Some(true) => tr(lang, "carrier", "有链路"),
                Some(false) => tr(lang, "no carrier", "无链路"),
                None => tr(lang, "carrier unknown", "链路未知"),
            };
            let detail = if !i.exists {
                format!("{} {}", i.name, tr(lang, "missing", "不存在"))
            } else {
                format!(
                    "{} {}, {carrier}, {}: {}",
                    i.name,
                    if i.admin_up {
                        tr(lang, "up", "已启用")
                    } else {
                        tr(lang, "down", "已关闭")
                    },
                    tr(lang, "addresses", "地址"),
                    if i.ipv4.is_empty() {
                        tr(lang, "none", "无")
                    } else {
                        i.ipv4
                            .iter()
                            .map(|a| a.to_string())
                            .collect::<Vec<_>>()
                            .join(" ")
                    }
                )
            };
            out.push(check(
                Layer::Interface,
                "interface",
                if ok { Status::Pass } else { Status::Fail },
                detail,
            ));
        }
    }
    match &f.ip {
        None => out.push(check(
            Layer::Ip,
            "default route",
            Status::Skip,
            not_measured.clone(),
        )),
        Some(ip) => out.push(check(
            Layer::Ip,
            "default route",
            if ip.default_route {
                Status::Pass
            } else {
                Status::Fail
            },
            match (ip.default_route, ip.default_gateway) {
                (true, Some(g)) => format!("{} {g}", tr(lang, "via", "经由网关")),
                (true, None) => tr(lang, "on link", "直连"),
                (false, _) => tr(lang, "none", "无"),
            },
        )),
    }
    match &f.dns {
        None => out.push(check(
            Layer::Dns,
            "dns",
            Status::Skip,
            tr(
                lang,
                "gateway given as an address",
                "网关以IP地址给出，无需解析",
            ),
        )),
        Some(d) if d.servers.is_empty() => out.push(check(
            Layer::Dns,
            "dns",
            Status::Fail,
            tr(lang, "no DNS server configured", "未设置DNS服务器"),
        )),
        Some(d) => {
            for s in &d.servers {
                let (status, detail) = dns_line(&s.lookup, lang);
                out.push(check(
                    Layer::Dns,
                    &format!("dns {}", s.server),
                    status,
                    format!("{}: {detail}", d.name),
                ));
                if let Some(n) = &s.nonce_lookup {
                    let redirect = matches!(n, DnsOutcome::Answer { .. });
                    out.push(check(
                        Layer::Dns,
                        &format!("dns {} nonce", s.server),
                        if redirect { Status::Fail } else { Status::Pass },
                        format!(
                            "{}: {}",
                            tr(lang, "name that cannot exist", "不存在的名称"),
                            dns_line(n, lang).1
                        ),
                    ));
                }
            }
        }
    }
    if f.tcp.is_empty() {
        out.push(check(Layer::Tcp, "tcp", Status::Skip, not_measured.clone()));
    }
    for t in &f.tcp {
        let name = match t.role {
            crate::facts::Role::Primary => "tcp primary",
            crate::facts::Role::Secondary => "tcp secondary",
        };
        let route = match &t.route {
            Some(r) => match (r.via, lang) {
                (Some(v), Lang::En) => format!("dev {} via {v}", r.dev),
                (Some(v), Lang::Zh) => format!("接口 {} 经由 {v}", r.dev),
                (None, Lang::En) => format!("dev {} on link", r.dev),
                (None, Lang::Zh) => format!("接口 {} 直连", r.dev),
            },
            None => tr(lang, "no route", "无路由"),
        };
        let (status, what) = match &t.outcome {
            TcpOutcome::Connected { connect_ms } => (
                Status::Pass,
                match lang {
                    Lang::En => format!("connected in {connect_ms} ms"),
                    Lang::Zh => format!("{connect_ms} 毫秒内连接成功"),
                },
            ),
            TcpOutcome::Refused { reset_hops } => (
                Status::Fail,
                match (reset_hops, lang) {
                    (Some(h), Lang::En) => format!("refused (reset after {h} router hops)"),
                    (Some(h), Lang::Zh) => format!("被拒绝（经过 {h} 跳路由器的重置）"),
                    (None, _) => tr(lang, "refused (reset)", "被拒绝（重置）"),
                },
            ),
            TcpOutcome::TimedOut { waited_ms } => (Status::Fail, no_answer(*waited_ms, lang)),
            TcpOutcome::Unreachable { reason } => (Status::Fail, net_error_text(reason, lang)),
            TcpOutcome::Reset => (Status::Fail, tr(lang, "reset after accept", "连接后被重置")),
        };
        out.push(check(
            Layer::Tcp,
            name,
            status,
            format!("{}: {what}; {route}", t.endpoint),
        ));
    }
    match &f.tls {
        None => out.push(check(
            Layer::Tls,
            "tls",
            Status::Skip,
            tr(
                lang,
                "not measured (no CA configured, or no connection)",
                "未测量（未配置CA或未连接）",
            ),
        )),
        Some(t) => {
            let zh = lang == Lang::Zh;
            let (status, what) = match &t.outcome {
                TlsOutcome::Ok {
                    version,
                    handshake_ms,
                } => (
                    Status::Pass,
                    if zh {
                        format!("{version}，握手 {handshake_ms} 毫秒")
                    } else {
                        format!("{version} in {handshake_ms} ms")
                    },
                ),
                TlsOutcome::Untrusted { detail } => (
                    Status::Fail,
                    format!(
                        "{}: {detail}",
                        tr(lang, "untrusted chain", "证书链不受信任")
                    ),
                ),
                TlsOutcome::WrongName { detail } => (
                    Status::Fail,
                    format!("{}: {detail}", tr(lang, "wrong name", "证书名称不符")),
                ),
                TlsOutcome::Expired { detail } => (
                    Status::Fail,
                    format!("{}: {detail}", tr(lang, "expired", "证书过期")),
                ),
                TlsOutcome::PlainHttp => (
                    Status::Fail,
                    tr(lang, "plain HTTP answer", "收到明文HTTP应答"),
                ),
                TlsOutcome::Reset => (
                    Status::Fail,
                    tr(lang, "reset during handshake", "握手时连接被重置"),
                ),
                TlsOutcome::TimedOut { waited_ms } => (Status::Fail, no_answer(*waited_ms, lang)),
                TlsOutcome::HandshakeFailed { detail } => (
                    Status::Fail,
                    format!("{}: {detail}", tr(lang, "handshake failed", "握手失败")),
                ),
            };
            out.push(check(
                Layer::Tls,
                "tls",
                status,
                format!("{} ({}): {what}", t.endpoint, t.server_name),
            ));
        }
    }
    match &f.app {
        None => out.push(check(
            Layer::Application,
            "echo 0800",
            Status::Skip,
            not_measured.clone(),
        )),
        Some(a) => {
            let (status, what) = match &a.echo {
                EchoOutcome::Answered {
                    response_code,
                    elapsed_ms,
                } => (
                    if response_code == "00" {
                        Status::Pass
                    } else {
                        Status::Fail
                    },
                    format!("0810 response code {response_code} in {elapsed_ms} ms"),
                ),
                EchoOutcome::Maintenance { detail } => {
                    (Status::Fail, format!("maintenance: {detail}"))
                }
                EchoOutcome::NoAnswer { waited_ms } => (Status::Fail, no_answer(*waited_ms, lang)),
                EchoOutcome::Closed => (Status::Fail, tr(lang, "connection closed", "连接被关闭")),
                EchoOutcome::Reset => (Status::Fail, tr(lang, "connection reset", "连接被重置")),
            };
            out.push(check(Layer::Application, "echo 0800", status, what));
        }
    }
    match &f.path {
        None => out.push(check(Layer::Path, "path", Status::Skip, not_measured)),
        Some(p) => {
            let s = path::stats(p);
            out.push(check(
                Layer::Path,
                "path",
                Status::Pass,
                format!(
                    "{}: {}/{}, p50 {} ms, p95 {} ms, max {} ms, {} {} ms, {} {}.{}%, {} {}, {} {}/{}, {} {}, {} {}.{}%",
                    tr(lang, "answered", "应答"),
                    s.answered,
                    s.sent,
                    s.p50_ms,
                    s.p95_ms,
                    s.max_ms,
                    tr(lang, "jitter", "抖动"),
                    s.jitter_ms,
                    tr(lang, "loss", "丢包"),
                    s.loss_permille / 10,
                    s.loss_permille % 10,
                    tr(lang, "reconnects", "重连"),
                    s.reconnects,
                    tr(lang, "slow connects", "慢连接"),
                    s.connects_slow,
                    s.connects,
                    tr(lang, "carrier changes", "链路变化"),
                    s.carrier_changes,
                    tr(lang, "TCP retransmitted", "TCP重传"),
                    s.retrans_permille / 10,
                    s.retrans_permille % 10
                ),
            ));
        }
    }
    out
}

fn dns_line(o: &DnsOutcome, lang: Lang) -> (Status, String) {
    match o {
        DnsOutcome::Answer { addrs, elapsed_ms } => (
            Status::Pass,
            format!(
                "{} ({elapsed_ms} ms)",
                addrs
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ),
        DnsOutcome::NxDomain => (Status::Fail, "NXDOMAIN".to_string()),
        DnsOutcome::NoAddress => (Status::Fail, tr(lang, "no A record", "没有A记录")),
        DnsOutcome::Refused => (Status::Fail, "REFUSED".to_string()),
        DnsOutcome::ServerError { rcode } => (Status::Fail, format!("rcode {rcode}")),
        DnsOutcome::Timeout { waited_ms } => (Status::Fail, no_answer(*waited_ms, lang)),
        DnsOutcome::Unreachable { reason } => (Status::Fail, net_error_text(reason, lang)),
        DnsOutcome::BadReply { detail } => (Status::Fail, format!("bad reply: {detail}")),
    }
}
