//! Socket errors classified, with the ICMP message behind them read from the socket's error
//! queue (IP_RECVERR): which router answered, and whether it said "administratively
//! prohibited" — something the plain errno cannot tell.

use std::io::IoSliceMut;
use std::net::Ipv4Addr;
use std::os::fd::{AsFd, AsRawFd};

use nix::errno::Errno;
use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrIn, getsockname, recvmsg, setsockopt, sockopt,
};

use crate::facts::NetError;

/// `ee_origin` of a `sock_extended_err` that came from an ICMP message.
const SO_EE_ORIGIN_ICMP: u8 = 2;
/// ICMP type 3, destination unreachable.
const ICMP_DEST_UNREACH: u8 = 3;
/// Error-queue entries read per call at most.
const QUEUE_READS_MAX: usize = 8;

/// What the error queue said about the last ICMP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpInfo {
    pub icmp_type: u8,
    pub icmp_code: u8,
    /// The router (or host) that sent the ICMP message.
    pub offender: Option<Ipv4Addr>,
}

/// Turns on IP_RECVERR so ICMP errors are queued with their details.
pub fn enable<F: AsFd>(fd: &F) -> Result<(), Errno> {
    setsockopt(fd, sockopt::Ipv4RecvErr, &true)
}

/// Our own address on this socket; the kernel sends itself ICMP errors when its own ARP
/// fails, and those must not be read as a router's answer.
pub fn local_addr<F: AsFd>(fd: &F) -> Option<(Ipv4Addr, u16)> {
    getsockname::<SockaddrIn>(fd.as_fd().as_raw_fd())
        .ok()
        .map(|a| (a.ip(), a.port()))
}

/// Drains the error queue and returns its last ICMP entry.
pub fn read_icmp<F: AsFd>(fd: &F) -> Option<IcmpInfo> {
    let raw = fd.as_fd().as_raw_fd();
    let mut found = None;
    for _ in 0..QUEUE_READS_MAX {
        let mut data = [0u8; 128];
        let mut iov = [IoSliceMut::new(&mut data)];
        let mut cmsg = nix::cmsg_space!(nix::libc::sock_extended_err, nix::libc::sockaddr_in);
        let Ok(msg) = recvmsg::<SockaddrIn>(
            raw,
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT,
        ) else {
            break;
        };
        let Ok(cmsgs) = msg.cmsgs() else { break };
        for c in cmsgs {
            if let ControlMessageOwned::Ipv4RecvErr(ee, offender) = c
                && ee.ee_origin == SO_EE_ORIGIN_ICMP
            {
                found = Some(IcmpInfo {
                    icmp_type: ee.ee_type,
                    icmp_code: ee.ee_code,
                    offender: offender.map(|o| Ipv4Addr::from(u32::from_be(o.sin_addr.s_addr))),
                });
            }
        }
    }
    found
}

/// Classifies a socket error from its errno and, when there was one, the ICMP message.
pub fn classify(errno: Errno, icmp: Option<IcmpInfo>, local: Option<Ipv4Addr>) -> NetError {
    if let Some(i) = icmp
        && i.icmp_type == ICMP_DEST_UNREACH
    {
        let from = i.offender.filter(|o| Some(*o) != local);
        return match i.icmp_code {
            // 9, 10: network/host administratively prohibited; 13: communication prohibited
            9 | 10 | 13 => NetError::AdminProhibited {
                icmp_from: from,
                icmp_code: i.icmp_code,
            },
            0 | 6 | 11 => NetError::NetworkUnreachable { icmp_from: from },
            1 | 7 | 12 => NetError::HostUnreachable { icmp_from: from },
            3 => NetError::PortClosed,
            code => NetError::Other {
                errno: errno as i32,
                text: format!("ICMP destination unreachable code {code}"),
            },
        };
    }
    match errno {
        Errno::ENETUNREACH => NetError::NetworkUnreachable { icmp_from: None },
        Errno::EHOSTUNREACH | Errno::EHOSTDOWN => NetError::HostUnreachable { icmp_from: None },
        Errno::ECONNREFUSED => NetError::PortClosed,
        other => NetError::Other {
            errno: other as i32,
            text: other.desc().to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 1);
    const ME: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 10);

    fn icmp(code: u8, from: Ipv4Addr) -> Option<IcmpInfo> {
        Some(IcmpInfo {
            icmp_type: 3,
            icmp_code: code,
            offender: Some(from),
        })
    }

    #[test]
    fn icmp_codes_of_rfc792_and_rfc1812() {
        assert_eq!(
            classify(Errno::EHOSTUNREACH, icmp(13, R), Some(ME)),
            NetError::AdminProhibited {
                icmp_from: Some(R),
                icmp_code: 13
            }
        );
        assert_eq!(
            classify(Errno::ENETUNREACH, icmp(9, R), Some(ME)),
            NetError::AdminProhibited {
                icmp_from: Some(R),
                icmp_code: 9
            }
        );
        assert_eq!(
            classify(Errno::EHOSTUNREACH, icmp(1, R), Some(ME)),
            NetError::HostUnreachable { icmp_from: Some(R) }
        );
        assert_eq!(
            classify(Errno::ENETUNREACH, icmp(0, R), Some(ME)),
            NetError::NetworkUnreachable { icmp_from: Some(R) }
        );
        assert_eq!(
            classify(Errno::ECONNREFUSED, icmp(3, R), Some(ME)),
            NetError::PortClosed
        );
    }

    #[test]
    fn our_own_arp_failure_is_local() {
        assert_eq!(
            classify(Errno::EHOSTUNREACH, icmp(1, ME), Some(ME)),
            NetError::HostUnreachable { icmp_from: None }
        );
    }

    #[test]
    fn plain_errnos() {
        assert_eq!(
            classify(Errno::ENETUNREACH, None, None),
            NetError::NetworkUnreachable { icmp_from: None }
        );
        assert_eq!(
            classify(Errno::EHOSTUNREACH, None, None),
            NetError::HostUnreachable { icmp_from: None }
        );
        assert_eq!(
            classify(Errno::ECONNREFUSED, None, None),
            NetError::PortClosed
        );
        assert!(matches!(
            classify(Errno::EACCES, None, None),
            NetError::Other { errno, .. } if errno == Errno::EACCES as i32
        ));
    }
}
