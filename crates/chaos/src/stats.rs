//! What the proxy did, for its report and for audits that count injected faults.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared by every connection of a proxy.
#[derive(Debug, Default)]
pub struct Stats {
    pub connections: AtomicU64,
    pub frames: AtomicU64,
    pub delayed: AtomicU64,
    pub dropped: AtomicU64,
    pub reset: AtomicU64,
    pub truncated: AtomicU64,
    pub corrupted: AtomicU64,
    pub blackholed: AtomicU64,
    pub partitioned: AtomicU64,
    pub swallowed: AtomicU64,
    pub upstream_failures: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Snapshot {
    pub connections: u64,
    pub frames: u64,
    pub delayed: u64,
    pub dropped: u64,
    pub reset: u64,
    pub truncated: u64,
    pub corrupted: u64,
    pub blackholed: u64,
    pub partitioned: u64,
    pub swallowed: u64,
    pub upstream_failures: u64,
}

impl Snapshot {
    /// Faults injected (everything but plain forwarding and upstream failures).
    pub fn faults(&self) -> u64 {
        self.delayed
            + self.dropped
            + self.reset
            + self.truncated
            + self.corrupted
            + self.blackholed
            + self.partitioned
    }
}

impl Stats {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Snapshot {
            connections: g(&self.connections),
            frames: g(&self.frames),
            delayed: g(&self.delayed),
            dropped: g(&self.dropped),
            reset: g(&self.reset),
            truncated: g(&self.truncated),
            corrupted: g(&self.corrupted),
            blackholed: g(&self.blackholed),
            partitioned: g(&self.partitioned),
            swallowed: g(&self.swallowed),
            upstream_failures: g(&self.upstream_failures),
        }
    }
}
