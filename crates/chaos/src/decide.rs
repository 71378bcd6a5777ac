//! The pure part of the proxy: for each frame of a connection, what to do with it. Time comes
//! in as milliseconds since the proxy started; randomness from the connection's own seeded
//! generator, so a run with the same seed and the same traffic makes the same decisions.

use std::ops::Range;
use std::sync::Arc;

use crate::plan::{Direction, Fault, Plan};
use crate::rng::Rng;

/// What to do with one frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameAction {
    /// Forward it after `delay_ms`, with byte `offset` XORed by `xor` when corrupting.
    Forward {
        delay_ms: u64,
        corrupt: Option<(usize, u8)>,
    },
    /// Forward only the first `keep` bytes after `delay_ms`, then close the connection.
    Truncate { delay_ms: u64, keep: usize },
    /// Forward nothing and close the connection.
    Drop,
    /// Forward nothing and reset the connection (TCP RST).
    Reset,
}

/// One connection's decisions.
pub struct ConnChaos {
    plan: Arc<Plan>,
    rng: Rng,
}

impl ConnChaos {
    /// The decisions for the `conn_index`-th connection (each has its own stream of numbers).
    pub fn new(plan: Arc<Plan>, conn_index: u64) -> ConnChaos {
        let seed = plan.seed ^ conn_index.wrapping_mul(0xA076_1D64_78BD_642F);
        ConnChaos {
            plan,
            rng: Rng::new(seed),
        }
    }

    /// Decides for a frame of `frame_len` bytes flowing `flow` at `now_ms`; corruption only
    /// touches `message` (the bytes after the length header), so framing stays readable and the
    /// receiver's parser meets the damage.
    pub fn on_frame(
        &mut self,
        flow: Direction,
        now_ms: u64,
        frame_len: usize,
        message: Range<usize>,
    ) -> FrameAction {
        let mut delay_ms = 0u64;
        let mut corrupt = None;
        let mut truncate = None;
        for rule in self
            .plan
            .rules
            .iter()
            .filter(|r| r.active(now_ms) && r.direction.covers(flow))
        {
            match rule.fault {
                Fault::Drop { probability } if self.rng.chance(probability) => {
                    return FrameAction::Drop;
                }
                Fault::Reset { probability } if self.rng.chance(probability) => {
                    return FrameAction::Reset;
                }
                Fault::Latency {
                    latency_ms,
                    jitter_ms,
                } => {
                    delay_ms = delay_ms
                        .saturating_add(latency_ms)
                        .saturating_add(self.rng.up_to(jitter_ms));
                }
                Fault::Truncate { probability }
                    if frame_len >= 2 && self.rng.chance(probability) =>
                {
                    // At least one byte kept, at least one lost.
                    truncate = Some(1 + self.rng.up_to(frame_len as u64 - 2) as usize);
                }
                Fault::Corrupt { probability }
                    if !message.is_empty() && self.rng.chance(probability) =>
                {
                    let offset =
                        message.start + self.rng.up_to((message.len() - 1) as u64) as usize;
                    let xor = 1 + self.rng.up_to(254) as u8;
                    corrupt = Some((offset, xor));
                }
                _ => {}
            }
        }
        match truncate {
            Some(keep) => FrameAction::Truncate { delay_ms, keep },
            None => FrameAction::Forward { delay_ms, corrupt },
        }
    }

    /// The forwarding rate limit for `flow` at `now_ms` (the slowest active one), if any.
    pub fn rate_limit(&self, flow: Direction, now_ms: u64) -> Option<u64> {
        self.plan
            .rules
            .iter()
            .filter(|r| r.active(now_ms) && r.direction.covers(flow))
            .filter_map(|r| match r.fault {
                Fault::SlowRead { bytes_per_s } => Some(bytes_per_s),
                _ => None,
            })
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Rule;

    fn chaos(rules: Vec<Rule>, seed: u64) -> ConnChaos {
        ConnChaos::new(Arc::new(Plan { seed, rules }), 0)
    }

    #[test]
    fn latency_and_jitter_stay_in_bounds() {
        let mut c = chaos(
            vec![Rule::always(Fault::Latency {
                latency_ms: 50,
                jitter_ms: 10,
            })],
            1,
        );
        for _ in 0..1000 {
            match c.on_frame(Direction::Upstream, 0, 20, 2..20) {
                FrameAction::Forward {
                    delay_ms,
                    corrupt: None,
                } => assert!((50..=60).contains(&delay_ms)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn certain_faults_always_fire_and_windows_and_directions_hold() {
        let mut c = chaos(vec![Rule::always(Fault::Drop { probability: 1.0 })], 1);
        assert_eq!(
            c.on_frame(Direction::Downstream, 0, 10, 2..10),
            FrameAction::Drop
        );
        let mut c = chaos(
            vec![Rule {
                fault: Fault::Reset { probability: 1.0 },
                direction: Direction::Upstream,
                from_ms: 100,
                to_ms: 200,
            }],
            1,
        );
        assert_eq!(
            c.on_frame(Direction::Upstream, 150, 10, 2..10),
            FrameAction::Reset
        );
        assert_eq!(
            c.on_frame(Direction::Upstream, 99, 10, 2..10),
            FrameAction::Forward {
                delay_ms: 0,
                corrupt: None
            }
        );
        assert_eq!(
            c.on_frame(Direction::Upstream, 200, 10, 2..10),
            FrameAction::Forward {
                delay_ms: 0,
                corrupt: None
            }
        );
        assert_eq!(
            c.on_frame(Direction::Downstream, 150, 10, 2..10),
            FrameAction::Forward {
                delay_ms: 0,
                corrupt: None
            }
        );
    }

    #[test]
    fn truncation_and_corruption_touch_the_right_bytes() {
        let mut c = chaos(
            vec![
                Rule::always(Fault::Truncate { probability: 1.0 }),
                Rule::always(Fault::Corrupt { probability: 1.0 }),
            ],
            3,
        );
        for _ in 0..500 {
            match c.on_frame(Direction::Upstream, 0, 30, 2..30) {
                FrameAction::Truncate { keep, .. } => assert!((1..30).contains(&keep)),
                other => panic!("{other:?}"),
            }
        }
        let mut c = chaos(vec![Rule::always(Fault::Corrupt { probability: 1.0 })], 3);
        for _ in 0..500 {
            match c.on_frame(Direction::Upstream, 0, 30, 2..30) {
                FrameAction::Forward {
                    corrupt: Some((at, xor)),
                    ..
                } => assert!((2..30).contains(&at) && xor != 0),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_same_seed_makes_the_same_decisions() {
        let rules = vec![
            Rule::always(Fault::Corrupt { probability: 0.3 }),
            Rule::always(Fault::Latency {
                latency_ms: 1,
                jitter_ms: 100,
            }),
        ];
        let run = |seed| {
            let mut c = chaos(rules.clone(), seed);
            (0..200)
                .map(|i| c.on_frame(Direction::Both, i, 40, 2..40))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(5), run(5));
        assert_ne!(run(5), run(6));
    }

    #[test]
    fn slowest_rate_wins() {
        let c = chaos(
            vec![
                Rule::always(Fault::SlowRead { bytes_per_s: 500 }),
                Rule::always(Fault::SlowRead { bytes_per_s: 100 }),
            ],
            1,
        );
        assert_eq!(c.rate_limit(Direction::Upstream, 0), Some(100));
    }
}
