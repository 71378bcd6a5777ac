//! TCP connect with a timeout, its failure classified: refused (and by whom, from the reset's
//! TTL), silent drop, host or network unreachable, administratively prohibited.

use std::net::{IpAddr, SocketAddrV4, TcpStream};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType, SockaddrIn, connect, getsockopt,
    recv, socket, sockopt,
};

use super::errq;
use super::guard::{GuardError, Permit};
use crate::facts::{NetError, TcpOutcome};
use crate::packet::{hops_from_ttl, parse_ipv4_tcp};

/// Packets read from the raw capture socket when looking for the reset.
const CAPTURE_READS_MAX: usize = 256;
/// poll() wake-ups per connect (EINTR and spurious wake-ups), bounded.
const POLLS_MAX: usize = 64;

/// How a connect went, and the connected stream when it worked.
pub struct Attempt {
    pub outcome: TcpOutcome,
    pub stream: Option<TcpStream>,
}

fn unreachable(reason: NetError) -> Attempt {
    Attempt {
        outcome: TcpOutcome::Unreachable { reason },
        stream: None,
    }
}

/// A raw IPPROTO_TCP socket sees a copy of every TCP packet this namespace receives, so the
/// reset that refused us can be read with its TTL. Needs CAP_NET_RAW; `None` without it.
fn capture_socket() -> Option<OwnedFd> {
    socket(
        AddressFamily::Inet,
        SockType::Raw,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        SockProtocol::Tcp,
    )
    .ok()
}

/// Hops crossed by the reset `peer` sent to our `local_port`, if the capture saw it.
fn reset_hops(capture: &OwnedFd, peer: SocketAddrV4, local_port: u16) -> Option<u8> {
    let mut buf = [0u8; 128];
    for _ in 0..CAPTURE_READS_MAX {
        let n = recv(capture.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT).ok()?;
        if let Some(seen) = parse_ipv4_tcp(buf.get(..n).unwrap_or(&[]))
            && seen.is_reset()
            && seen.src == *peer.ip()
            && seen.src_port == peer.port()
            && seen.dst_port == local_port
        {
            return Some(hops_from_ttl(seen.ttl));
        }
    }
    None
}

/// Connects to `peer` within `timeout_ms`.
pub fn connect_to(
    peer: SocketAddrV4,
    timeout_ms: u64,
    permit: &Permit,
) -> Result<Attempt, GuardError> {
    permit.allows(IpAddr::V4(*peer.ip()))?;
    Ok(attempt(peer, timeout_ms))
}

fn attempt(peer: SocketAddrV4, timeout_ms: u64) -> Attempt {
    let started = Instant::now();
    let capture = capture_socket();
    let sock = match socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    ) {
        Ok(s) => s,
        Err(e) => return unreachable(errq::classify(e, None, None)),
    };
    let _ = errq::enable(&sock);
    let failed = |errno: Errno, sock: &OwnedFd| -> Attempt {
        let local = errq::local_addr(sock);
        if errno == Errno::ECONNREFUSED {
            let hops = match (&capture, local) {
                (Some(c), Some((_, port))) => reset_hops(c, peer, port),
                _ => None,
            };
            return Attempt {
                outcome: TcpOutcome::Refused { reset_hops: hops },
                stream: None,
            };
        }
        if errno == Errno::ECONNRESET {
            return Attempt {
                outcome: TcpOutcome::Reset,
                stream: None,
            };
        }
        let icmp = errq::read_icmp(sock);
        unreachable(errq::classify(errno, icmp, local.map(|(ip, _)| ip)))
    };
    match connect(sock.as_raw_fd(), &SockaddrIn::from(peer)) {
        Ok(()) => {}
        Err(Errno::EINPROGRESS) => {}
        Err(e) => return failed(e, &sock),
    }
    let deadline = started + Duration::from_millis(timeout_ms);
    for _ in 0..POLLS_MAX {
        let left_ms = deadline
            .saturating_duration_since(Instant::now())
            .as_millis();
        if left_ms == 0 {
            break;
        }
        let mut fds = [PollFd::new(sock.as_fd(), PollFlags::POLLOUT)];
        let timeout = PollTimeout::try_from(left_ms).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, timeout) {
            Ok(0) => break,
            Ok(_) => {
                return match getsockopt(&sock, sockopt::SocketError) {
                    Ok(0) => {
                        let stream = TcpStream::from(sock);
                        let _ = stream.set_nonblocking(false);
                        Attempt {
                            outcome: TcpOutcome::Connected {
                                connect_ms: started.elapsed().as_millis() as u64,
                            },
                            stream: Some(stream),
                        }
                    }
                    Ok(err) => failed(Errno::from_raw(err), &sock),
                    Err(e) => failed(e, &sock),
                };
            }
            Err(Errno::EINTR) => continue,
            Err(e) => return failed(e, &sock),
        }
    }
    Attempt {
        outcome: TcpOutcome::TimedOut {
            waited_ms: started.elapsed().as_millis() as u64,
        },
        stream: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, TcpListener};

    fn free_closed_port() -> SocketAddrV4 {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        match l.local_addr().unwrap() {
            std::net::SocketAddr::V4(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn connects_to_a_listener() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let std::net::SocketAddr::V4(a) = l.local_addr().unwrap() else {
            unreachable!()
        };
        let at = connect_to(a, 2000, &Permit::LoopbackOnly).unwrap();
        assert!(
            matches!(at.outcome, TcpOutcome::Connected { connect_ms } if connect_ms < 2000),
            "{:?}",
            at.outcome
        );
        let s = at.stream.unwrap();
        assert_eq!(s.peer_addr().unwrap(), std::net::SocketAddr::V4(a));
    }

    #[test]
    fn closed_port_is_refused_by_the_host_itself() {
        let a = free_closed_port();
        let at = connect_to(a, 2000, &Permit::LoopbackOnly).unwrap();
        match at.outcome {
            // As root the capture sees the reset from our own stack: zero hops.
            TcpOutcome::Refused { reset_hops } => {
                if capture_socket().is_some() {
                    assert_eq!(reset_hops, Some(0));
                } else {
                    assert_eq!(reset_hops, None);
                }
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lab_address_refused_by_loopback_permit() {
        let a = SocketAddrV4::new(Ipv4Addr::new(198, 18, 3, 20), 5000);
        assert!(connect_to(a, 100, &Permit::LoopbackOnly).is_err());
    }
}
