//! The text the probes read from the system, as any bytes: `/etc/resolv.conf`
//! (`probe::resolv::parse`), `/proc/net/snmp` (`probe::snmp::parse`) and iproute2's JSON
//! (`probe::iface::parse_addrs`, `parse_default`, `parse_route_get`). One target for all
//! three keeps the fuzz smoke short (one build, one 20 s run); none may panic.
#![no_main]

use std::net::Ipv4Addr;

use doctor::probe::{iface, resolv, snmp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let servers = resolv::parse(text);
        assert!(servers.len() <= 3, "glibc takes three servers at most");
        for s in &servers {
            let named = text.lines().any(|l| {
                let mut words = l.split_whitespace();
                words.next() == Some("nameserver")
                    && words.next().and_then(|a| a.parse::<Ipv4Addr>().ok()) == Some(*s)
            });
            assert!(named, "{s} is not on a nameserver line");
        }
        if snmp::parse(text).is_some() {
            assert!(text.contains("OutSegs") && text.contains("RetransSegs"));
        }
    }
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) {
        let addrs = iface::parse_addrs(&json);
        if !json.is_array() {
            assert!(addrs.is_empty());
        }
        let (present, gateway, dev) = iface::parse_default(&json);
        if !present {
            assert!(gateway.is_none() && dev.is_none());
        }
        if iface::parse_route_get(&json).is_some() {
            assert!(json.is_array());
        }
    }
});
