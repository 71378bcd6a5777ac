//! The kernel's TCP counters for this network namespace (`/proc/net/snmp`): segments sent
//! and retransmitted. Over TCP, loss on the path shows as retransmissions, not as lost
//! echoes, so the path run reads these before and after its echoes.

/// Segments sent and retransmitted, as counted since the namespace was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpCounters {
    pub out_segs: u64,
    pub retrans_segs: u64,
}

/// Parses the two `Tcp:` lines of `/proc/net/snmp` (a header of names, then values).
pub fn parse(text: &str) -> Option<TcpCounters> {
    let mut tcp = text.lines().filter(|l| l.starts_with("Tcp:"));
    let names: Vec<&str> = tcp.next()?.split_whitespace().collect();
    let values: Vec<&str> = tcp.next()?.split_whitespace().collect();
    if names.len() != values.len() {
        return None;
    }
    let get = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .and_then(|i| values.get(i))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some(TcpCounters {
        out_segs: get("OutSegs")?,
        retrans_segs: get("RetransSegs")?,
    })
}

/// This namespace's counters now; `None` when `/proc/net/snmp` cannot be read.
pub fn read() -> Option<TcpCounters> {
    parse(&std::fs::read_to_string("/proc/net/snmp").ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The layout of Linux's /proc/net/snmp (net/ipv4/proc.c, snmp4_tcp_list), values made up.
    const SAMPLE: &str = "\
Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 100
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 12 3 1 0 2 900 850 17 0 4 0
Udp: InDatagrams NoPorts
Udp: 5 0
";

    #[test]
    fn reads_out_and_retransmitted_segments() {
        assert_eq!(
            parse(SAMPLE),
            Some(TcpCounters {
                out_segs: 850,
                retrans_segs: 17
            })
        );
    }

    #[test]
    fn refuses_missing_or_ragged_lines() {
        assert_eq!(parse("Ip: a\nIp: 1\n"), None);
        assert_eq!(parse("Tcp: OutSegs RetransSegs\nTcp: 5\n"), None);
        assert_eq!(parse("Tcp: OutSegs\nTcp: 5\n"), None);
        assert_eq!(
            parse("Tcp: RetransSegs OutSegs\nTcp: 2 9\n"),
            Some(TcpCounters {
                out_segs: 9,
                retrans_segs: 2
            })
        );
    }

    #[test]
    fn this_namespace_has_counters() {
        assert!(read().is_some());
    }
}
