//! Interface and routes: `/sys/class/net/<if>` for state and carrier, `ip -j` (iproute2's
//! JSON) for addresses and routes.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::facts::{InterfaceFacts, IpFacts, Ipv4Net, RouteFacts};

/// IFF_UP in `/sys/class/net/<if>/flags`.
const IFF_UP: u64 = 0x1;

fn sys(iface: &str, file: &str) -> Option<String> {
    std::fs::read_to_string(Path::new("/sys/class/net").join(iface).join(file))
        .ok()
        .map(|s| s.trim().to_string())
}

/// Runs `ip -j -4 <args>` and parses its JSON; `None` if `ip` fails (no route, no device).
fn ip_json(args: &[&str]) -> Option<Value> {
    let out = Command::new("ip")
        .arg("-j")
        .arg("-4")
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

/// Interfaces in `/sys/class/net`, sorted, without loopback.
pub fn interfaces() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/sys/class/net")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "lo")
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// IPv4 addresses from `ip -j -4 addr show dev <if>` output; an entry without a readable
/// address or with a prefix length above 32 is no IPv4 address and is left out.
pub fn parse_addrs(v: &Value) -> Vec<Ipv4Net> {
    let mut out = Vec::new();
    for link in v.as_array().into_iter().flatten() {
        for a in link["addr_info"].as_array().into_iter().flatten() {
            let addr = a["local"].as_str().and_then(|s| s.parse::<Ipv4Addr>().ok());
            let prefix = a["prefixlen"]
                .as_u64()
                .filter(|p| *p <= 32)
                .and_then(|p| u8::try_from(p).ok());
            if let (Some(addr), Some(prefix_len)) = (addr, prefix) {
                out.push(Ipv4Net { addr, prefix_len });
            }
        }
    }
    out
}

/// The state of one interface.
pub fn interface_facts(name: &str) -> InterfaceFacts {
    let exists = Path::new("/sys/class/net").join(name).exists();
    let flags = sys(name, "flags")
        .and_then(|f| u64::from_str_radix(f.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0);
    // Reading `carrier` of a down interface fails (EINVAL): unknown, not "no carrier".
    let carrier = sys(name, "carrier").map(|c| c == "1");
    InterfaceFacts {
        name: name.to_string(),
        exists,
        admin_up: flags & IFF_UP != 0,
        carrier,
        carrier_changes: sys(name, "carrier_changes").and_then(|c| c.parse().ok()),
        ipv4: if exists {
            ip_json(&["addr", "show", "dev", name])
                .map(|v| parse_addrs(&v))
                .unwrap_or_default()
        } else {
            Vec::new()
        },
    }
}

/// The default route from `ip -j -4 route show default` output: (present, gateway, dev).
pub fn parse_default(v: &Value) -> (bool, Option<Ipv4Addr>, Option<String>) {
    match v.as_array().and_then(|a| a.first()) {
        None => (false, None, None),
        Some(r) => (
            true,
            r["gateway"].as_str().and_then(|g| g.parse().ok()),
            r["dev"].as_str().map(str::to_string),
        ),
    }
}

/// IP settings and the interface the default route uses.
pub fn ip_facts() -> (IpFacts, Option<String>) {
    let (default_route, default_gateway, dev) = ip_json(&["route", "show", "default"])
        .map(|v| parse_default(&v))
        .unwrap_or((false, None, None));
    (
        IpFacts {
            default_route,
            default_gateway,
        },
        dev,
    )
}

/// The route from `ip -j -4 route get <ip>` output.
pub fn parse_route_get(v: &Value) -> Option<RouteFacts> {
    let r = v.as_array()?.first()?;
    if r["type"]
        .as_str()
        .is_some_and(|t| t != "unicast" && t != "local")
    {
        return None;
    }
    Some(RouteFacts {
        dev: r["dev"].as_str()?.to_string(),
        via: r["gateway"].as_str().and_then(|g| g.parse().ok()),
    })
}

/// The kernel's route to `ip`; `None` when there is none.
pub fn route_to(ip: Ipv4Addr) -> Option<RouteFacts> {
    ip_json(&["route", "get", &ip.to_string()]).and_then(|v| parse_route_get(&v))
}

/// Which interface to check: the one asked for, else the default route's, else the first.
pub fn pick(requested: Option<&str>, default_dev: Option<&str>) -> Option<String> {
    requested
        .or(default_dev)
        .map(str::to_string)
        .or_else(|| interfaces().into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shapes as printed by iproute2 6.1 (Debian 12) with -j.
    #[test]
    fn addresses() {
        let v: Value = serde_json::from_str(
            r#"[{"ifindex":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],
            "mtu":1500,"addr_info":[{"family":"inet","local":"198.18.1.10","prefixlen":24,
            "broadcast":"198.18.1.255","scope":"global","label":"eth0"},
            {"family":"inet","local":"198.18.5.1","prefixlen":30}]}]"#,
        )
        .unwrap();
        assert_eq!(
            parse_addrs(&v),
            vec![
                Ipv4Net {
                    addr: Ipv4Addr::new(198, 18, 1, 10),
                    prefix_len: 24
                },
                Ipv4Net {
                    addr: Ipv4Addr::new(198, 18, 5, 1),
                    prefix_len: 30
                }
            ]
        );
        assert!(parse_addrs(&serde_json::json!([{"ifname": "eth0"}])).is_empty());
        // Found by the fuzz target: a prefix length no IPv4 address can have.
        let bad = serde_json::json!([{"addr_info": [{"local": "198.18.1.10", "prefixlen": 33}]}]);
        assert!(parse_addrs(&bad).is_empty());
    }

    #[test]
    fn default_route() {
        let v: Value = serde_json::from_str(
            r#"[{"dst":"default","gateway":"198.18.1.1","dev":"eth0","flags":[]}]"#,
        )
        .unwrap();
        assert_eq!(
            parse_default(&v),
            (
                true,
                Some(Ipv4Addr::new(198, 18, 1, 1)),
                Some("eth0".into())
            )
        );
        assert_eq!(parse_default(&serde_json::json!([])), (false, None, None));
    }

    #[test]
    fn route_get() {
        let via: Value = serde_json::from_str(
            r#"[{"dst":"198.18.3.20","gateway":"198.18.1.1","dev":"eth0","prefsrc":"198.18.1.10","flags":[],"uid":0,"cache":[]}]"#,
        )
        .unwrap();
        assert_eq!(
            parse_route_get(&via),
            Some(RouteFacts {
                dev: "eth0".into(),
                via: Some(Ipv4Addr::new(198, 18, 1, 1))
            })
        );
        let link: Value =
            serde_json::from_str(r#"[{"dst":"198.18.1.1","dev":"eth0","prefsrc":"198.18.1.10"}]"#)
                .unwrap();
        assert_eq!(
            parse_route_get(&link),
            Some(RouteFacts {
                dev: "eth0".into(),
                via: None
            })
        );
        let unreachable: Value =
            serde_json::from_str(r#"[{"type":"unreachable","dst":"198.18.3.20"}]"#).unwrap();
        assert_eq!(parse_route_get(&unreachable), None);
    }
}
