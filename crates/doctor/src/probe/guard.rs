//! The lab's safety guard: probes go out only from a network namespace other than the
//! machine's own, or to loopback, unless the operator says this machine IS the terminal
//! (`posnet doctor --real-network`): a real terminal's network is its root namespace.
//! Checked before any socket is opened.

use std::net::IpAddr;
use std::path::Path;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum GuardError {
    #[error(
        "refusing to probe from the root network namespace ({ns}): run inside a lab namespace (ip netns exec ...)"
    )]
    RootNamespace { ns: String },
    #[error("cannot read {path} to check the network namespace: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "refusing to send a probe to {addr} from the root network namespace: only loopback is allowed here (lab rule); on a real terminal run `posnet doctor --real-network`"
    )]
    NotLoopback { addr: IpAddr },
}

/// Where probes may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// We run in a namespace of our own: any address.
    LabNamespace,
    /// Only 127.0.0.0/8 and ::1 (tests on the host).
    LoopbackOnly,
    /// The operator declared this machine a real terminal: its own network, any address.
    RealNetwork,
}

impl Permit {
    pub fn allows(&self, addr: IpAddr) -> Result<(), GuardError> {
        match self {
            Permit::LabNamespace | Permit::RealNetwork => Ok(()),
            Permit::LoopbackOnly if addr.is_loopback() => Ok(()),
            Permit::LoopbackOnly => Err(GuardError::NotLoopback { addr }),
        }
    }
}

/// The decision on two namespace identities (the targets of `/proc/<pid>/ns/net`).
pub fn decide(self_ns: &str, init_ns: &str) -> Result<Permit, GuardError> {
    if self_ns == init_ns {
        Err(GuardError::RootNamespace {
            ns: self_ns.to_string(),
        })
    } else {
        Ok(Permit::LabNamespace)
    }
}

fn ns_of(path: &str) -> Result<String, GuardError> {
    std::fs::read_link(Path::new(path))
        .map(|p| p.to_string_lossy().into_owned())
        .map_err(|source| GuardError::Unreadable {
            path: path.to_string(),
            source,
        })
}

/// The initial network namespace: PID 1's. Where PID 1 cannot be read (a sandbox that
/// withholds ptrace access to it), kthreadd's (PID 2): kernel threads never leave the
/// initial namespaces.
pub fn initial_namespace() -> Result<String, GuardError> {
    match ns_of("/proc/1/ns/net") {
        Ok(ns) => Ok(ns),
        Err(first) => {
            let comm = std::fs::read_to_string("/proc/2/comm").unwrap_or_default();
            if comm.trim() == "kthreadd" {
                ns_of("/proc/2/ns/net").map_err(|_| first)
            } else {
                Err(first)
            }
        }
    }
}

/// The permit for a run: `real_network` (an explicit operator switch) allows the machine's
/// own network; otherwise only a lab namespace may probe other hosts, and the root namespace
/// falls back to loopback only. The second value says why the fallback happened.
pub fn permit_for(real_network: bool) -> (Permit, Option<GuardError>) {
    if real_network {
        return (Permit::RealNetwork, None);
    }
    match namespace_permit() {
        Ok(p) => (p, None),
        Err(e) => (Permit::LoopbackOnly, Some(e)),
    }
}

/// Compares our network namespace with the initial one; the same one (or one we cannot
/// read) is refused, so a mistake fails closed.
pub fn namespace_permit() -> Result<Permit, GuardError> {
    decide(&ns_of("/proc/self/ns/net")?, &initial_namespace()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn same_namespace_is_refused() {
        assert!(matches!(
            decide("net:[4026531840]", "net:[4026531840]"),
            Err(GuardError::RootNamespace { .. })
        ));
        assert_eq!(
            decide("net:[4026532301]", "net:[4026531840]").unwrap(),
            Permit::LabNamespace
        );
    }

    #[test]
    fn this_process_gets_the_decision_its_namespace_deserves() {
        // Run from the host (the usual case) the guard must refuse; run by the lab inside a
        // namespace it must allow. Either way the answer matches the real identities.
        let me = std::fs::read_link("/proc/self/ns/net").unwrap();
        let init = std::fs::read_link("/proc/1/ns/net").or_else(|e| {
            if std::fs::read_to_string("/proc/2/comm").unwrap_or_default() == "kthreadd\n" {
                std::fs::read_link("/proc/2/ns/net")
            } else {
                Err(e)
            }
        });
        match (init, namespace_permit()) {
            (Ok(init), Ok(p)) => {
                assert_ne!(me, init);
                assert_eq!(p, Permit::LabNamespace);
            }
            (Ok(init), Err(GuardError::RootNamespace { ns })) => {
                assert_eq!(me, init);
                assert_eq!(ns, me.to_string_lossy());
            }
            (Err(_), Err(GuardError::Unreadable { path, .. })) => {
                assert_eq!(path, "/proc/1/ns/net")
            }
            (init, got) => panic!("unexpected: init {init:?}, guard {got:?}"),
        }
    }

    #[test]
    fn loopback_permit_refuses_lab_addresses() {
        let p = Permit::LoopbackOnly;
        assert!(p.allows(IpAddr::V4(Ipv4Addr::LOCALHOST)).is_ok());
        assert!(matches!(
            p.allows(IpAddr::V4(Ipv4Addr::new(198, 18, 3, 20))),
            Err(GuardError::NotLoopback { .. })
        ));
        assert!(
            Permit::LabNamespace
                .allows(IpAddr::V4(Ipv4Addr::new(198, 18, 3, 20)))
                .is_ok()
        );
        let refused = p
            .allows(IpAddr::V4(Ipv4Addr::new(198, 18, 3, 20)))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("198.18.3.20") && refused.contains("--real-network"),
            "{refused}"
        );
    }

    #[test]
    fn the_real_network_switch_allows_any_address_and_skips_the_namespace_check() {
        let (p, why) = permit_for(true);
        assert_eq!(p, Permit::RealNetwork);
        assert!(why.is_none());
        assert!(p.allows(IpAddr::V4(Ipv4Addr::new(198, 18, 3, 20))).is_ok());
        // Without the switch the answer is the namespace's: a lab namespace may probe
        // anything, the root namespace only loopback (and says why).
        match permit_for(false) {
            (Permit::LabNamespace, None) => assert!(namespace_permit().is_ok()),
            (Permit::LoopbackOnly, Some(_)) => assert!(namespace_permit().is_err()),
            other => panic!("unexpected permit {other:?}"),
        }
    }
}
