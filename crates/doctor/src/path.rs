//! Path-quality figures from a run of echoes: latency percentiles, jitter, loss, reconnects.

use serde::Serialize;

use crate::facts::{EchoSample, PathFacts};

/// Figures over one run; latencies in milliseconds, loss in per mille so no floats are needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PathStats {
    pub sent: u32,
    pub answered: u32,
    /// Lost echoes per thousand sent.
    pub loss_permille: u32,
    pub min_ms: u64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub max_ms: u64,
    /// Mean absolute difference between consecutive answered round trips.
    pub jitter_ms: u64,
    pub reconnects: u32,
    /// Fresh TCP connects tried, and how many failed or needed a retransmitted SYN.
    pub connects: u32,
    pub connects_slow: u32,
    pub carrier_changes: u64,
    /// TCP segments retransmitted per thousand sent during the echoes (0 when unknown).
    pub retrans_permille: u32,
    /// Answered echoes that took at least a retransmission timeout longer than the fastest
    /// one: TCP repaired a loss in one direction or the other.
    pub repaired: u32,
}

/// A connect that took this long needed at least one retransmitted SYN (Linux's initial
/// retransmission timeout is one second).
pub const SYN_RETRY_MS: u64 = 900;

/// Linux's smallest retransmission timeout: an echo this much slower than the fastest one
/// waited for a retransmitted segment.
pub const RTO_MIN_MS: u64 = 200;

/// Nearest-rank percentile of sorted values; `pct` in 0..=100.
pub fn percentile(sorted: &[u64], pct: u64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len() as u64;
    // nearest rank: ceil(pct/100 * n), at least 1
    let rank = (pct.min(100) * n).div_ceil(100).max(1);
    let idx = usize::try_from(rank - 1).unwrap_or(usize::MAX);
    sorted
        .get(idx)
        .or_else(|| sorted.last())
        .copied()
        .unwrap_or(0)
}

pub fn stats(path: &PathFacts) -> PathStats {
    let rtts: Vec<u64> = path.samples.iter().filter_map(|s| s.rtt_ms).collect();
    let mut sorted = rtts.clone();
    sorted.sort_unstable();
    let sent = u32::try_from(path.samples.len()).unwrap_or(u32::MAX);
    let answered = u32::try_from(rtts.len()).unwrap_or(u32::MAX);
    let lost = sent.saturating_sub(answered);
    let loss_permille = if sent == 0 {
        0
    } else {
        u32::try_from(u64::from(lost) * 1000 / u64::from(sent)).unwrap_or(1000)
    };
    let jitter_ms = if rtts.len() < 2 {
        0
    } else {
        let total: u64 = rtts
            .windows(2)
            .map(|w| match w {
                [a, b] => a.abs_diff(*b),
                _ => 0,
            })
            .sum();
        total / (rtts.len() as u64 - 1)
    };
    let connects_slow = path
        .connects_ms
        .iter()
        .filter(|c| c.is_none_or(|ms| ms >= SYN_RETRY_MS))
        .count();
    let min_ms = sorted.first().copied().unwrap_or(0);
    let repaired = rtts
        .iter()
        .filter(|&&ms| ms >= min_ms.saturating_add(RTO_MIN_MS))
        .count();
    PathStats {
        sent,
        answered,
        loss_permille,
        min_ms,
        p50_ms: percentile(&sorted, 50),
        p95_ms: percentile(&sorted, 95),
        max_ms: sorted.last().copied().unwrap_or(0),
        jitter_ms,
        reconnects: u32::try_from(path.samples.iter().filter(|s| s.reconnected).count())
            .unwrap_or(u32::MAX),
        connects: u32::try_from(path.connects_ms.len()).unwrap_or(u32::MAX),
        connects_slow: u32::try_from(connects_slow).unwrap_or(u32::MAX),
        carrier_changes: path.carrier_changes,
        retrans_permille: match (path.tcp_segments_out, path.tcp_retransmits) {
            (Some(out), Some(re)) if out > 0 => {
                u32::try_from(re.min(out).saturating_mul(1000) / out).unwrap_or(1000)
            }
            _ => 0,
        },
        repaired: u32::try_from(repaired).unwrap_or(u32::MAX),
    }
}

/// Helper for tests and adapters: answered samples from plain round trips.
pub fn samples_from_rtts(rtts: &[Option<u64>]) -> Vec<EchoSample> {
    rtts.iter()
        .map(|&rtt_ms| EchoSample {
            rtt_ms,
            reconnected: false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(rtts: &[Option<u64>]) -> PathFacts {
        PathFacts {
            samples: samples_from_rtts(rtts),
            connects_ms: vec![],
            carrier_changes: 0,
            tcp_segments_out: None,
            tcp_retransmits: None,
        }
    }

    #[test]
    fn figures_of_a_known_run() {
        // 10 echoes, 2 lost; answered: 10 12 11 30 10 50 12 11 (in order)
        let s = stats(&facts(&[
            Some(10),
            Some(12),
            None,
            Some(11),
            Some(30),
            Some(10),
            None,
            Some(50),
            Some(12),
            Some(11),
        ]));
        assert_eq!((s.sent, s.answered, s.loss_permille), (10, 8, 200));
        // sorted: 10 10 11 11 12 12 30 50 ; p50 rank 4 -> 11, p95 rank 8 -> 50
        assert_eq!((s.min_ms, s.p50_ms, s.p95_ms, s.max_ms), (10, 11, 50, 50));
        // diffs: 2 1 19 20 40 38 1 = 121 / 7 = 17
        assert_eq!(s.jitter_ms, 17);
        // none took 200 ms more than the fastest (10 ms)
        assert_eq!(s.repaired, 0);
        let s = stats(&facts(&[Some(3), Some(205), Some(202), Some(4), None]));
        assert_eq!((s.min_ms, s.repaired, s.answered), (3, 1, 4));
    }

    #[test]
    fn slow_and_failed_connects_are_counted() {
        let p = PathFacts {
            samples: vec![],
            connects_ms: vec![Some(3), Some(1003), None, Some(899)],
            carrier_changes: 2,
            tcp_segments_out: Some(80),
            tcp_retransmits: Some(6),
        };
        let s = stats(&p);
        assert_eq!((s.connects, s.connects_slow, s.carrier_changes), (4, 2, 2));
        assert_eq!((s.sent, s.loss_permille, s.p50_ms), (0, 0, 0));
        // 6 of 80 segments retransmitted: 75 per mille.
        assert_eq!(s.retrans_permille, 75);
        let unknown = PathFacts {
            tcp_segments_out: Some(0),
            ..p.clone()
        };
        assert_eq!(stats(&unknown).retrans_permille, 0);
    }

    #[test]
    fn percentile_nearest_rank() {
        let v: Vec<u64> = (1..=20).collect();
        assert_eq!(percentile(&v, 50), 10);
        assert_eq!(percentile(&v, 95), 19);
        assert_eq!(percentile(&v, 100), 20);
        assert_eq!(percentile(&v, 0), 1);
        assert_eq!(percentile(&[], 50), 0);
    }

    proptest! {
        #[test]
        fn figures_are_ordered(rtts in proptest::collection::vec(proptest::option::of(0u64..100_000), 0..200)) {
            let s = stats(&facts(&rtts));
            prop_assert!(s.answered <= s.sent);
            prop_assert!(s.loss_permille <= 1000);
            if s.answered > 0 {
                prop_assert!(s.min_ms <= s.p50_ms && s.p50_ms <= s.p95_ms && s.p95_ms <= s.max_ms);
                prop_assert!(s.jitter_ms <= s.max_ms - s.min_ms);
            }
        }
    }
}
