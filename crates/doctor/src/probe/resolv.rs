//! The system's DNS servers (`/etc/resolv.conf`), for when none were given: a terminal whose
//! settings name its gateway by name resolves it through these.

use std::net::Ipv4Addr;

/// Upper bound on servers taken (glibc uses at most 3).
const SERVERS_MAX: usize = 3;

/// The IPv4 `nameserver` lines of a resolv.conf text, in order, at most three.
pub fn parse(text: &str) -> Vec<Ipv4Addr> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            match (words.next(), words.next()) {
                (Some("nameserver"), Some(addr)) => addr.parse().ok(),
                _ => None,
            }
        })
        .take(SERVERS_MAX)
        .collect()
}

/// The system's IPv4 DNS servers; empty when `/etc/resolv.conf` cannot be read.
pub fn system_servers() -> Vec<Ipv4Addr> {
    std::fs::read_to_string("/etc/resolv.conf")
        .map(|t| parse(&t))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_ipv4_nameservers_in_order_skipping_comments_and_v6() {
        let text = "# generated\nsearch posnet.test\nnameserver 198.18.2.53\n\
                    nameserver ::1\n;nameserver 198.18.9.9\nnameserver\t198.18.2.54 \n\
                    nameserver 198.18.2.55\nnameserver 198.18.2.56\n";
        assert_eq!(
            parse(text),
            vec![
                Ipv4Addr::new(198, 18, 2, 53),
                Ipv4Addr::new(198, 18, 2, 54),
                Ipv4Addr::new(198, 18, 2, 55)
            ]
        );
        assert!(parse("").is_empty());
    }
}
