//! Chaos schedules (`chaos::plan::Plan::from_toml`): any text, and any edit of a schedule
//! with every kind of fault, is a plan or a typed error; a plan's windows are never empty
//! and its probabilities stay within 0 to 1.
#![no_main]

mod splice;

use chaos::plan::{Fault, Plan};
use libfuzzer_sys::fuzz_target;

/// Every fault kind once, in the layout of the `chaos::plan` module documentation.
const EXAMPLE: &str = r#"seed = 42
[[fault]]
kind = "latency"
latency_ms = 50
jitter_ms = 20
[[fault]]
kind = "partition"
from_ms = 2000
to_ms = 3000
[[fault]]
kind = "corrupt"
probability = 0.01
direction = "upstream"
[[fault]]
kind = "drop"
probability = 0.5
direction = "downstream"
[[fault]]
kind = "reset"
probability = 1.0
[[fault]]
kind = "truncate"
probability = 0.0
[[fault]]
kind = "slow-read"
bytes_per_s = 100
[[fault]]
kind = "blackhole"
from_ms = 9000
"#;

fuzz_target!(|data: &[u8]| {
    for text in splice::texts(data, &[EXAMPLE]) {
        let plan = match Plan::from_toml(&text) {
            Ok(plan) => plan,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                continue;
            }
        };
        for rule in &plan.rules {
            assert!(rule.from_ms < rule.to_ms);
            if let Fault::Drop { probability }
            | Fault::Reset { probability }
            | Fault::Truncate { probability }
            | Fault::Corrupt { probability } = rule.fault
            {
                assert!((0.0..=1.0).contains(&probability), "{probability}");
            }
        }
    }
});
