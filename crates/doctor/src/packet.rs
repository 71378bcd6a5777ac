//! Reading the IPv4 and TCP headers of a captured packet, to learn how far a TCP reset
//! travelled (its TTL) and so whether the gateway sent it or a device on the path forged it.

use std::net::Ipv4Addr;

/// TCP flag bits (RFC 9293).
pub const TCP_RST: u8 = 0x04;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_ACK: u8 = 0x10;

/// The fields of an IPv4/TCP packet the doctor needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSeen {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub src_port: u16,
    pub dst_port: u16,
    /// TTL (time to live) of the IP header as received.
    pub ttl: u8,
    pub flags: u8,
}

impl TcpSeen {
    pub fn is_reset(&self) -> bool {
        self.flags & TCP_RST != 0
    }
}

/// Parses an IPv4 packet carrying TCP; `None` for anything else or a truncated header.
pub fn parse_ipv4_tcp(pkt: &[u8]) -> Option<TcpSeen> {
    let first = *pkt.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(first & 0x0F) * 4;
    if ihl < 20 || *pkt.get(9)? != 6 {
        return None;
    }
    let ip4 = |at: usize| -> Option<Ipv4Addr> {
        let b = pkt.get(at..at + 4)?;
        Some(Ipv4Addr::new(
            *b.first()?,
            *b.get(1)?,
            *b.get(2)?,
            *b.get(3)?,
        ))
    };
    let tcp = pkt.get(ihl..ihl + 20)?;
    let port =
        |at: usize| -> Option<u16> { Some(u16::from_be_bytes([*tcp.get(at)?, *tcp.get(at + 1)?])) };
    Some(TcpSeen {
        src: ip4(12)?,
        dst: ip4(16)?,
        src_port: port(0)?,
        dst_port: port(2)?,
        ttl: *pkt.get(8)?,
        flags: *tcp.get(13)?,
    })
}

/// Routers crossed by a packet that arrived with `ttl`, assuming the sender used one of the
/// usual initial TTLs (64 for Linux and most network gear, 128 for Windows, 255 for some
/// routers' own packets) — the smallest that is not below `ttl`.
pub fn hops_from_ttl(ttl: u8) -> u8 {
    let initial = [64u8, 128, 255]
        .into_iter()
        .find(|&i| i >= ttl)
        .unwrap_or(255);
    initial - ttl
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A RST|ACK from 198.18.3.20:5000 to 198.18.1.10:40000 with TTL 63, as a Linux host one
    /// router away sends it (20-byte IP header, 20-byte TCP header).
    fn rst_packet(ttl: u8) -> Vec<u8> {
        let mut p = vec![
            0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, ttl, 0x06, 0x00, 0x00, 198, 18, 3, 20,
            198, 18, 1, 10,
        ];
        p.extend_from_slice(&[
            0x13, 0x88, 0x9C, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 0x50, 0x14, 0, 0, 0, 0, 0, 0,
        ]);
        p
    }

    #[test]
    fn reads_a_reset() {
        let s = parse_ipv4_tcp(&rst_packet(63)).unwrap();
        assert_eq!(s.src, Ipv4Addr::new(198, 18, 3, 20));
        assert_eq!(s.dst, Ipv4Addr::new(198, 18, 1, 10));
        assert_eq!((s.src_port, s.dst_port, s.ttl), (5000, 40000, 63));
        assert!(s.is_reset());
        assert_eq!(s.flags, TCP_RST | TCP_ACK);
    }

    #[test]
    fn rejects_other_packets() {
        let mut udp = rst_packet(64);
        udp[9] = 17;
        assert_eq!(parse_ipv4_tcp(&udp), None);
        let mut v6 = rst_packet(64);
        v6[0] = 0x60;
        assert_eq!(parse_ipv4_tcp(&v6), None);
        assert_eq!(parse_ipv4_tcp(&rst_packet(64)[..39]), None);
        assert_eq!(parse_ipv4_tcp(&[]), None);
    }

    #[test]
    fn hops() {
        assert_eq!(hops_from_ttl(64), 0);
        assert_eq!(hops_from_ttl(63), 1);
        assert_eq!(hops_from_ttl(120), 8);
        assert_eq!(hops_from_ttl(250), 5);
        assert_eq!(hops_from_ttl(0), 64);
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = parse_ipv4_tcp(&bytes);
        }

        #[test]
        fn ttl_is_read_back(ttl: u8) {
            prop_assert_eq!(parse_ipv4_tcp(&rst_packet(ttl)).map(|s| s.ttl), Some(ttl));
        }
    }
}
