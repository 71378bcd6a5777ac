//! What to break and when: a list of faults, each active in a time window since the proxy
//! started, in one or both directions. Built from command-line flags or a TOML schedule.
//!
//! ```toml
//! seed = 42
//! [[fault]]
//! kind = "latency"          # latency | drop | reset | blackhole | partition | slow-read | truncate | corrupt
//! latency_ms = 50
//! jitter_ms = 20
//! [[fault]]
//! kind = "partition"
//! from_ms = 2000
//! to_ms = 3000
//! [[fault]]
//! kind = "corrupt"
//! probability = 0.01
//! direction = "upstream"    # both (default) | upstream (client → server) | downstream
//! ```

use serde::Deserialize;

/// Which way a fault applies: towards the upstream server, back to the client, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Both,
    /// Client → upstream (requests).
    Upstream,
    /// Upstream → client (responses).
    Downstream,
}

impl Direction {
    /// Whether a fault for `self` applies to traffic flowing `flow` (never `Both`).
    pub fn covers(self, flow: Direction) -> bool {
        self == Direction::Both || self == flow
    }
}

/// One kind of trouble.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Each frame waits `latency_ms` plus up to `jitter_ms` more.
    Latency { latency_ms: u64, jitter_ms: u64 },
    /// With this probability a frame is not forwarded and the connection is closed.
    Drop { probability: f64 },
    /// With this probability a frame is not forwarded and the connection is reset (RST).
    Reset { probability: f64 },
    /// Connections are accepted, their bytes read and never forwarded or answered.
    Blackhole,
    /// Nothing flows either way while the window is open; traffic resumes after it.
    Partition,
    /// Bytes are forwarded at most this fast.
    SlowRead { bytes_per_s: u64 },
    /// With this probability only a part of a frame is forwarded, then the connection closes.
    Truncate { probability: f64 },
    /// With this probability one byte of a frame's message is flipped.
    Corrupt { probability: f64 },
}

/// A fault, its direction and its window `[from_ms, to_ms)` since the proxy started.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub fault: Fault,
    pub direction: Direction,
    pub from_ms: u64,
    pub to_ms: u64,
}

impl Rule {
    /// A rule active from the start, for ever, both ways.
    pub fn always(fault: Fault) -> Rule {
        Rule {
            fault,
            direction: Direction::Both,
            from_ms: 0,
            to_ms: u64::MAX,
        }
    }

    pub fn active(&self, now_ms: u64) -> bool {
        (self.from_ms..self.to_ms).contains(&now_ms)
    }
}

/// The whole plan.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Plan {
    pub seed: u64,
    pub rules: Vec<Rule>,
}

/// Why a schedule cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("schedule: {0}")]
    Toml(String),
    #[error("fault {index} ({kind}): {why}")]
    Fault {
        index: usize,
        kind: String,
        why: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    fault: Vec<FaultFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultFile {
    kind: String,
    #[serde(default)]
    direction: Direction,
    #[serde(default)]
    from_ms: u64,
    to_ms: Option<u64>,
    latency_ms: Option<u64>,
    jitter_ms: Option<u64>,
    probability: Option<f64>,
    bytes_per_s: Option<u64>,
}

impl Plan {
    /// Reads a TOML schedule.
    pub fn from_toml(text: &str) -> Result<Plan, PlanError> {
        let file: ScheduleFile =
            toml::from_str(text).map_err(|e| PlanError::Toml(e.to_string()))?;
        let mut rules = Vec::with_capacity(file.fault.len());
        for (index, f) in file.fault.into_iter().enumerate() {
            let bad = |why: &str| PlanError::Fault {
                index,
                kind: f.kind.clone(),
                why: why.to_string(),
            };
            let prob = || -> Result<f64, PlanError> {
                let p = f
                    .probability
                    .ok_or_else(|| bad("needs `probability` (0.0 to 1.0)"))?;
                check_probability(p).map_err(|w| bad(&w))
            };
            let fault = match f.kind.as_str() {
                "latency" => Fault::Latency {
                    latency_ms: f.latency_ms.ok_or_else(|| bad("needs `latency_ms`"))?,
                    jitter_ms: f.jitter_ms.unwrap_or(0),
                },
                "drop" => Fault::Drop {
                    probability: prob()?,
                },
                "reset" => Fault::Reset {
                    probability: prob()?,
                },
                "blackhole" => Fault::Blackhole,
                "partition" => Fault::Partition,
                "slow-read" => {
                    let bps = f.bytes_per_s.ok_or_else(|| bad("needs `bytes_per_s`"))?;
                    if bps == 0 {
                        return Err(bad("`bytes_per_s` must be at least 1"));
                    }
                    Fault::SlowRead { bytes_per_s: bps }
                }
                "truncate" => Fault::Truncate {
                    probability: prob()?,
                },
                "corrupt" => Fault::Corrupt {
                    probability: prob()?,
                },
                _ => {
                    return Err(bad(
                        "unknown kind: use latency, drop, reset, blackhole, partition, slow-read, truncate or corrupt",
                    ));
                }
            };
            let to_ms = f.to_ms.unwrap_or(u64::MAX);
            if to_ms <= f.from_ms {
                return Err(bad("`to_ms` must be after `from_ms`"));
            }
            if fault == Fault::Partition && f.to_ms.is_none() {
                return Err(bad(
                    "a partition needs `to_ms` (a partition for ever is a blackhole)",
                ));
            }
            rules.push(Rule {
                fault,
                direction: f.direction,
                from_ms: f.from_ms,
                to_ms,
            });
        }
        Ok(Plan {
            seed: file.seed,
            rules,
        })
    }

    /// The end of the partition open at `now_ms`, if any (the latest end when several overlap).
    pub fn partition_until(&self, now_ms: u64) -> Option<u64> {
        self.rules
            .iter()
            .filter(|r| r.fault == Fault::Partition && r.active(now_ms))
            .map(|r| r.to_ms)
            .max()
    }

    /// Whether connections accepted at `now_ms` go into a blackhole.
    pub fn blackhole(&self, now_ms: u64) -> bool {
        self.rules
            .iter()
            .any(|r| r.fault == Fault::Blackhole && r.active(now_ms))
    }
}

/// Checks a probability given on the command line or in a schedule.
pub fn check_probability(p: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("probability {p} is not between 0.0 and 1.0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_reads_every_kind() {
        let plan = Plan::from_toml(
            r#"
seed = 9
[[fault]]
kind = "latency"
latency_ms = 50
jitter_ms = 5
[[fault]]
kind = "partition"
from_ms = 100
to_ms = 200
[[fault]]
kind = "corrupt"
probability = 0.5
direction = "upstream"
[[fault]]
kind = "slow-read"
bytes_per_s = 1000
"#,
        )
        .unwrap();
        assert_eq!(plan.seed, 9);
        assert_eq!(plan.rules.len(), 4);
        assert_eq!(plan.partition_until(150), Some(200));
        assert_eq!(plan.partition_until(200), None);
        assert!(plan.rules[2].direction.covers(Direction::Upstream));
        assert!(!plan.rules[2].direction.covers(Direction::Downstream));
    }

    #[test]
    fn schedule_errors_name_the_fault() {
        let e = Plan::from_toml("[[fault]]\nkind = \"drop\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "fault 0 (drop): needs `probability` (0.0 to 1.0)"
        );
        let e = Plan::from_toml("[[fault]]\nkind = \"reset\"\nprobability = 2.0\n").unwrap_err();
        assert!(e.to_string().contains("not between"), "{e}");
        let e = Plan::from_toml("[[fault]]\nkind = \"partition\"\n").unwrap_err();
        assert!(e.to_string().contains("needs `to_ms`"), "{e}");
        let e = Plan::from_toml("[[fault]]\nkind = \"gremlins\"\n").unwrap_err();
        assert!(e.to_string().contains("unknown kind"), "{e}");
        assert!(Plan::from_toml("bogus = 1").is_err());
    }
}
