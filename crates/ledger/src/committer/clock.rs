//! Where the committer gets batch time from. The core never reads a clock; this adapter does.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of batch times, in ns since the Unix epoch.
pub trait Clock: Send + 'static {
    /// The current time.
    fn now_ns(&mut self) -> u64;
}

/// Wall-clock time. Before the epoch reads as 0; past year 2554 saturates.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ns(&mut self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// Any closure works as a clock (tests and simulations drive time by hand).
impl<F: FnMut() -> u64 + Send + 'static> Clock for F {
    fn now_ns(&mut self) -> u64 {
        self()
    }
}
