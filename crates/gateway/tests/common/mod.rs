//! Shared helpers for the core's tests: a configuration, requests as terminals send them, and
//! accessors over the actions the core returns.
#![allow(dead_code)]

use gateway::{Action, Config, ConnId, Gateway, Level, Record};
use iso8583::{Message, Mti, specs};

/// 2023-11-14 22:13:20 UTC.
pub const T0: u64 = 1_700_000_000_000;
pub const TERM1: &str = "TERM0001";
pub const TERM2: &str = "TERM0002";
pub const MERCH1: &str = "MERCHANT0000001";
pub const MERCH2: &str = "MERCHANT0000002";
/// Routed to issuer-b by its 7-digit prefix 4761739 (issuer-a has 476173).
pub const PAN_B: &str = "4761739001010010";
/// Routed to issuer-a by 476173 only.
pub const PAN_A: &str = "4761731000000011";
pub const C1: ConnId = ConnId(1);
pub const C2: ConnId = ConnId(2);

pub fn config_text() -> String {
    r#"
acquirer_id = "1234"
[tls]
cert = "gw.crt"
key = "gw.key"
terminal_ca = "ca.crt"
[limits]
pending_per_terminal_max = 2
pending_total_max = 3
reversal_queue_max = 4
reversal_attempts_max = 3
reversal_backoff_initial_ms = 1000
reversal_backoff_max_ms = 1500
batch_transactions_max = 3
[[terminal]]
id = "TERM0001"
merchant_id = "MERCHANT0000001"
[[terminal]]
id = "TERM0002"
merchant_id = "MERCHANT0000002"
[[route]]
bin = "476173"
issuer = "issuer-a"
[[route]]
bin = "4761739"
issuer = "issuer-b"
[[issuer]]
name = "issuer-a"
address = "127.0.0.1:9001"
ca = "ca"
client_cert = "c"
client_key = "k"
request_timeout_ms = 5000
echo_interval_s = 30
in_flight_max = 3
[[issuer]]
name = "issuer-b"
address = "127.0.0.1:9002"
ca = "ca"
client_cert = "c"
client_key = "k"
request_timeout_ms = 5000
echo_interval_s = 30
"#
    .to_string()
}

pub fn config() -> Config {
    Config::from_toml(&config_text()).unwrap()
}

/// A gateway with both issuer links up and their sign-on 0800s answered.
pub fn gateway() -> Gateway {
    let mut gw = Gateway::new(&config());
    for link in ["issuer-a", "issuer-b"] {
        let acts = gw.on_link_up(link, T0);
        let signon = &issuer_msgs(&acts)[0].1;
        assert_eq!(signon.text(70), Some("001"));
        let mut r = Message::new(Mti::parse("0810").unwrap());
        r.set_owned(11, signon.text(11).unwrap()).unwrap();
        r.set_owned(39, "00").unwrap();
        assert!(gw.on_issuer_message(link, &r, T0).is_empty());
    }
    gw
}

pub fn msg(mti: &str, fields: &[(usize, &str)]) -> Message<'static> {
    let mut m = Message::new(Mti::parse(mti).unwrap());
    for (n, v) in fields {
        m.set_owned(*n, v).unwrap();
    }
    m
}

/// A swiped purchase (0200, 3 = 000000) of 12.50 EUR from TERM0001.
pub fn purchase(stan: &str, pan: &str) -> Message<'static> {
    let track2 = format!("{pan}=25122011143804400000");
    let rrn = format!("331822{stan}");
    msg(
        "0200",
        &[
            (3, "000000"),
            (4, "000000001250"),
            (7, "1114221320"),
            (11, stan),
            (12, "231320"),
            (13, "1114"),
            (22, "022"),
            (25, "00"),
            (35, &track2),
            (37, &rrn),
            (41, TERM1),
            (42, MERCH1),
            (49, "978"),
        ],
    )
}

/// The same request after a trip through the wire format (what the adapter hands the core).
pub fn wire(m: &Message<'_>) -> Message<'static> {
    let spec = specs::iso87_ascii_bbitmap();
    let bytes = spec.pack(m).unwrap();
    spec.unpack(&bytes).unwrap().into_owned()
}

/// Asserts every message the core produced packs in the default dialect.
pub fn assert_packable(actions: &[Action]) {
    let spec = specs::iso87_ascii_bbitmap();
    for a in actions {
        if let Action::ToTerminal { message, .. } | Action::ToIssuer { message, .. } = a {
            spec.pack(message)
                .unwrap_or_else(|e| panic!("{message:?} does not pack: {e}"));
        }
    }
}

pub fn replies(actions: &[Action]) -> Vec<(ConnId, Message<'static>)> {
    assert_packable(actions);
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ToTerminal { conn, message } => Some((*conn, message.clone())),
            _ => None,
        })
        .collect()
}

pub fn issuer_msgs(actions: &[Action]) -> Vec<(String, Message<'static>)> {
    assert_packable(actions);
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ToIssuer { link, message } => Some((link.clone(), message.clone())),
            _ => None,
        })
        .collect()
}

pub fn journal(actions: &[Action]) -> Vec<Record> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Journal(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

pub fn logs(actions: &[Action]) -> Vec<(Level, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log { level, text } => Some((*level, text.clone())),
            _ => None,
        })
        .collect()
}

/// The single reply's field 39.
pub fn code(actions: &[Action]) -> String {
    let r = replies(actions);
    assert_eq!(r.len(), 1, "one reply expected in {actions:?}");
    r[0].1.text(39).unwrap().to_string()
}

/// Field values as text, in number order.
pub fn fields(m: &Message<'_>) -> Vec<(usize, String)> {
    m.fields()
        .map(|(n, v)| (n, String::from_utf8(v.to_vec()).unwrap()))
        .collect()
}

/// The issuer's answer to a forwarded request: its echo fields, plus 38 and 39.
pub fn issuer_answer(forwarded: &Message<'_>, code: &str, auth: Option<&str>) -> Message<'static> {
    let mut r = Message::new(forwarded.mti().response().unwrap());
    for n in [2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49] {
        if let Some(v) = forwarded.get(n) {
            r.set_owned(n, v).unwrap();
        }
    }
    if let Some(a) = auth {
        r.set_owned(38, a).unwrap();
    }
    r.set_owned(39, code).unwrap();
    r
}
