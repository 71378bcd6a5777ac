//! DNS through a chosen server (not the system's resolver): one A query over UDP, the answer
//! or the exact way it failed.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use nix::errno::Errno;

use super::errq;
use super::guard::{GuardError, Permit};
use crate::dns_wire::{self, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_REFUSED};
use crate::facts::{DnsOutcome, NetError};

/// Datagrams read per query before giving up on stray ones.
const READS_MAX: usize = 16;

/// A fresh random 16-bit value (std's per-process random hash keys; no extra crate).
pub fn random_u16() -> u16 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    (h.finish() & 0xFFFF) as u16
}

/// A name that cannot exist, next to `name`: if a server answers it with an address, it
/// answers every name.
pub fn nonce_name(name: &str) -> String {
    let parent = name.split_once('.').map_or(name, |(_, p)| p);
    format!(
        "posnet-doctor-{:04x}{:04x}.{parent}",
        random_u16(),
        random_u16()
    )
}

fn io_errno(e: &std::io::Error) -> Errno {
    e.raw_os_error()
        .map_or(Errno::UnknownErrno, Errno::from_raw)
}

/// Looks up the A records of `name` at `server`, port 53, waiting at most `timeout_ms`.
pub fn lookup(
    server: Ipv4Addr,
    name: &str,
    timeout_ms: u64,
    permit: &Permit,
) -> Result<DnsOutcome, GuardError> {
    permit.allows(IpAddr::V4(server))?;
    Ok(lookup_at(SocketAddr::from((server, 53)), name, timeout_ms))
}

/// As [`lookup`], at any port (tests use a loopback server on a free port).
pub fn lookup_at(server: SocketAddr, name: &str, timeout_ms: u64) -> DnsOutcome {
    let started = Instant::now();
    let id = random_u16();
    let query = match dns_wire::encode_query(id, name) {
        Ok(q) => q,
        Err(e) => {
            return DnsOutcome::BadReply {
                detail: e.to_string(),
            };
        }
    };
    let fail = |e: std::io::Error, sock: Option<&UdpSocket>| {
        let icmp = sock.and_then(errq::read_icmp);
        let local = sock.and_then(errq::local_addr).map(|(ip, _)| ip);
        DnsOutcome::Unreachable {
            reason: errq::classify(io_errno(&e), icmp, local),
        }
    };
    let sock = match UdpSocket::bind(("0.0.0.0", 0)) {
        Ok(s) => s,
        Err(e) => return fail(e, None),
    };
    // Without IP_RECVERR a connected UDP socket only hears about ICMP port unreachable.
    let _ = errq::enable(&sock);
    if let Err(e) = sock.connect(server) {
        return fail(e, Some(&sock));
    }
    // One retransmission halfway through, as resolvers do, so one lost datagram is not
    // mistaken for a dead server.
    let deadline = started + Duration::from_millis(timeout_ms.max(1));
    let resend_at = started + Duration::from_millis(timeout_ms.max(2) / 2);
    let mut resent = false;
    if let Err(e) = sock.send(&query) {
        return fail(e, Some(&sock));
    }
    let mut buf = [0u8; 1500];
    for _ in 0..READS_MAX {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let wait_until = if resent { deadline } else { resend_at.max(now) };
        let wait = wait_until
            .saturating_duration_since(now)
            .max(Duration::from_millis(1));
        let _ = sock.set_read_timeout(Some(wait));
        match sock.recv(&mut buf) {
            Ok(n) => {
                let got = buf.get(..n).unwrap_or(&[]);
                match dns_wire::parse_reply(id, name, got) {
                    Ok(r) => {
                        let elapsed_ms = started.elapsed().as_millis() as u64;
                        return match r.rcode {
                            RCODE_NOERROR if r.addrs.is_empty() => DnsOutcome::NoAddress,
                            RCODE_NOERROR => DnsOutcome::Answer {
                                addrs: r.addrs,
                                elapsed_ms,
                            },
                            RCODE_NXDOMAIN => DnsOutcome::NxDomain,
                            RCODE_REFUSED => DnsOutcome::Refused,
                            rcode => DnsOutcome::ServerError { rcode },
                        };
                    }
                    // A stray or late datagram for another query: keep waiting.
                    Err(dns_wire::DnsWireError::IdMismatch { .. }) => {}
                    Err(e) => {
                        return DnsOutcome::BadReply {
                            detail: e.to_string(),
                        };
                    }
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if !resent {
                    resent = true;
                    if let Err(e) = sock.send(&query) {
                        return fail(e, Some(&sock));
                    }
                }
            }
            Err(e) => return fail(e, Some(&sock)),
        }
    }
    DnsOutcome::Timeout {
        waited_ms: started.elapsed().as_millis() as u64,
    }
}

/// The reason carried by an unreachable outcome, for callers that need it.
pub fn unreachable_reason(o: &DnsOutcome) -> Option<&NetError> {
    match o {
        DnsOutcome::Unreachable { reason } => Some(reason),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    /// A loopback DNS server that answers one query with `rcode` and `addrs`.
    fn serve_once(rcode: u8, addrs: Vec<Ipv4Addr>) -> (SocketAddr, thread::JoinHandle<()>) {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = s.local_addr().unwrap();
        let h = thread::spawn(move || {
            let mut buf = [0u8; 512];
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let (n, peer) = s.recv_from(&mut buf).unwrap();
            let mut m = buf[..n].to_vec();
            m[2] = 0x81;
            m[3] = 0x80 | rcode;
            m[6..8].copy_from_slice(&(addrs.len() as u16).to_be_bytes());
            for a in &addrs {
                m.extend_from_slice(&[0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
                m.extend_from_slice(&a.octets());
            }
            s.send_to(&m, peer).unwrap();
        });
        (addr, h)
    }

    #[test]
    fn answer_nxdomain_refused_over_loopback() {
        let ip = Ipv4Addr::new(198, 18, 3, 20);
        let (a, h) = serve_once(0, vec![ip]);
        match lookup_at(a, "gw.posnet.test", 2000) {
            DnsOutcome::Answer { addrs, .. } => assert_eq!(addrs, vec![ip]),
            other => panic!("{other:?}"),
        }
        h.join().unwrap();
        let (a, h) = serve_once(3, vec![]);
        assert_eq!(lookup_at(a, "gw.posnet.test", 2000), DnsOutcome::NxDomain);
        h.join().unwrap();
        let (a, h) = serve_once(5, vec![]);
        assert_eq!(lookup_at(a, "gw.posnet.test", 2000), DnsOutcome::Refused);
        h.join().unwrap();
        let (a, h) = serve_once(0, vec![]);
        assert_eq!(lookup_at(a, "gw.posnet.test", 2000), DnsOutcome::NoAddress);
        h.join().unwrap();
    }

    #[test]
    fn closed_port_is_unreachable_and_silence_is_a_timeout() {
        // A port nobody listens on: the kernel answers ICMP port unreachable.
        let closed = {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.local_addr().unwrap()
        };
        assert_eq!(
            lookup_at(closed, "gw.posnet.test", 1000),
            DnsOutcome::Unreachable {
                reason: NetError::PortClosed
            }
        );
        // A socket that reads and never answers.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let t0 = Instant::now();
        match lookup_at(silent.local_addr().unwrap(), "gw.posnet.test", 300) {
            DnsOutcome::Timeout { waited_ms } => assert!((300..2000).contains(&waited_ms)),
            other => panic!("{other:?}"),
        }
        assert!(t0.elapsed() < Duration::from_secs(2));
        // It got the query and one retransmission.
        let mut buf = [0u8; 512];
        silent.set_nonblocking(true).unwrap();
        assert!(silent.recv(&mut buf).is_ok());
        assert!(silent.recv(&mut buf).is_ok());
    }

    #[test]
    fn lab_server_refused_by_loopback_permit() {
        assert!(
            lookup(
                Ipv4Addr::new(198, 18, 2, 53),
                "gw.posnet.test",
                100,
                &Permit::LoopbackOnly
            )
            .is_err()
        );
    }

    #[test]
    fn nonce_names_are_siblings_and_differ() {
        let a = nonce_name("gw.posnet.test");
        let b = nonce_name("gw.posnet.test");
        assert!(
            a.starts_with("posnet-doctor-") && a.ends_with(".posnet.test"),
            "{a}"
        );
        assert_eq!(a.len(), "posnet-doctor-12345678.posnet.test".len());
        assert_ne!(a, b);
    }
}
