//! What a run measured: latencies in an HdrHistogram (microseconds), answers by kind and
//! response code, failures by kind. Each worker keeps its own and they are merged at the end.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use serde_json::{Value, json};

use super::mix::Op;

/// Largest latency recorded exactly (60 s in µs); slower answers are clamped to it.
const LATENCY_US_MAX: u64 = 60_000_000;

pub struct Stats {
    /// Request-to-response time of every answered message, µs.
    pub latency_us: Histogram<u64>,
    /// Transactions started (a reversal transaction is two messages).
    pub transactions: u64,
    /// Messages sent.
    pub requests: u64,
    /// Messages answered, whatever the response code.
    pub answered: u64,
    /// Answers by message (`purchase`, `refund`, `reversal`, `balance`, and `purchase` for
    /// the first half of a reversal transaction) and response code (field 39).
    pub codes: BTreeMap<(&'static str, String), u64>,
    /// Messages without an answer, by why (timeout, disconnected, busy, down…).
    pub failures: BTreeMap<&'static str, u64>,
}

impl Stats {
    pub fn new() -> Result<Stats> {
        Ok(Stats {
            latency_us: Histogram::new_with_bounds(1, LATENCY_US_MAX, 3)
                .context("making the latency histogram")?,
            transactions: 0,
            requests: 0,
            answered: 0,
            codes: BTreeMap::new(),
            failures: BTreeMap::new(),
        })
    }

    pub fn answer(&mut self, message: &'static str, code: &str, latency_us: u64) {
        self.answered += 1;
        self.latency_us
            .saturating_record(latency_us.clamp(1, LATENCY_US_MAX));
        *self.codes.entry((message, code.to_string())).or_default() += 1;
    }

    pub fn failure(&mut self, why: &'static str) {
        *self.failures.entry(why).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Stats) -> Result<()> {
        self.latency_us
            .add(&other.latency_us)
            .context("merging latency histograms")?;
        self.transactions += other.transactions;
        self.requests += other.requests;
        self.answered += other.answered;
        for (k, v) in &other.codes {
            *self.codes.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.failures {
            *self.failures.entry(k).or_default() += v;
        }
        Ok(())
    }

    /// Answers whose response code is not `00`, by code.
    pub fn declines_by_code(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for ((_, code), n) in &self.codes {
            if code != "00" {
                *out.entry(code.clone()).or_default() += n;
            }
        }
        out
    }
}

/// The run's settings, as the report repeats them.
#[derive(Clone)]
pub struct RunInfo {
    pub terminals: usize,
    pub in_flight: usize,
    pub rate_per_s: Option<f64>,
    pub mix: String,
    pub elapsed_s: f64,
}

/// A latency quantile in milliseconds.
fn q_ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

pub fn to_json(s: &Stats, info: &RunInfo) -> Value {
    let h = &s.latency_us;
    let per_s = |n: u64| {
        if info.elapsed_s > 0.0 {
            n as f64 / info.elapsed_s
        } else {
            0.0
        }
    };
    let mut by_message: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for ((message, code), n) in &s.codes {
        *by_message
            .entry(message)
            .or_default()
            .entry(code.as_str())
            .or_default() += n;
    }
    json!({
        "terminals": info.terminals,
        "in_flight": info.in_flight,
        "rate_per_s": info.rate_per_s,
        "mix": info.mix,
        "elapsed_s": info.elapsed_s,
        "transactions": s.transactions,
        "requests": s.requests,
        "answered": s.answered,
        "throughput_per_s": per_s(s.answered),
        "transactions_per_s": per_s(s.transactions),
        "latency_ms": {
            "p50": q_ms(h, 0.50),
            "p90": q_ms(h, 0.90),
            "p99": q_ms(h, 0.99),
            "p99_9": q_ms(h, 0.999),
            "max": h.max() as f64 / 1000.0,
            "mean": h.mean() / 1000.0,
        },
        "response_codes": by_message,
        "errors": {
            "by_response_code": s.declines_by_code(),
            "by_kind": s.failures,
        },
    })
}

pub fn to_text(s: &Stats, info: &RunInfo) -> String {
    let h = &s.latency_us;
    let rate = |n: u64| {
        if info.elapsed_s > 0.0 {
            n as f64 / info.elapsed_s
        } else {
            0.0
        }
    };
    let mut out = format!(
        "{} terminals, {} in flight each, {}, mix {}\n\
         {} transactions, {} requests, {} answered in {:.2} s\n\
         throughput: {:.0} answers/s ({:.0} transactions/s)\n\
         latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}\n",
        info.terminals,
        info.in_flight,
        match info.rate_per_s {
            Some(r) => format!("{r} transactions/s"),
            None => "flat out".to_string(),
        },
        info.mix,
        s.transactions,
        s.requests,
        s.answered,
        info.elapsed_s,
        rate(s.answered),
        rate(s.transactions),
        q_ms(h, 0.50),
        q_ms(h, 0.90),
        q_ms(h, 0.99),
        q_ms(h, 0.999),
        h.max() as f64 / 1000.0,
    );
    let declines = s.declines_by_code();
    if declines.is_empty() {
        out.push_str("declines: none\n");
    } else {
        let list: Vec<String> = declines.iter().map(|(c, n)| format!("{c}: {n}")).collect();
        out.push_str(&format!("declines by response code: {}\n", list.join(", ")));
    }
    if s.failures.is_empty() {
        out.push_str("errors: none\n");
    } else {
        let list: Vec<String> = s
            .failures
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        out.push_str(&format!("errors by kind: {}\n", list.join(", ")));
    }
    out
}

fn answers_per_s(s: &Stats, info: &RunInfo) -> f64 {
    if info.elapsed_s > 0.0 {
        s.answered as f64 / info.elapsed_s
    } else {
        0.0
    }
}

/// The real run's answers per second over the ceiling run's.
pub fn ratio(s: &Stats, info: &RunInfo, ceiling: &Stats, ceiling_info: &RunInfo) -> f64 {
    let limit = answers_per_s(ceiling, ceiling_info);
    if limit > 0.0 {
        answers_per_s(s, info) / limit
    } else {
        0.0
    }
}

/// The ceiling run: throughput and latency only (the echo server gives no response codes).
pub fn ceiling_json(c: &Stats, info: &RunInfo) -> Value {
    let h = &c.latency_us;
    json!({
        "elapsed_s": info.elapsed_s,
        "answered": c.answered,
        "throughput_per_s": answers_per_s(c, info),
        "latency_ms": {
            "p50": q_ms(h, 0.50),
            "p90": q_ms(h, 0.90),
            "p99": q_ms(h, 0.99),
            "p99_9": q_ms(h, 0.999),
            "max": h.max() as f64 / 1000.0,
        },
        "errors": { "by_kind": c.failures },
    })
}

pub fn ceiling_text(s: &Stats, info: &RunInfo, c: &Stats, ci: &RunInfo) -> String {
    let h = &c.latency_us;
    format!(
        "ceiling (bare TLS echo, same frames): {:.0} answers/s, p50 {:.3} ms, p99 {:.3} ms\n\
         this run is {:.1}% of the ceiling\n",
        answers_per_s(c, ci),
        q_ms(h, 0.50),
        q_ms(h, 0.99),
        100.0 * ratio(s, info, c, ci),
    )
}

/// The name a message is counted under.
pub fn message_name(op: Op, second_half: bool) -> &'static str {
    match (op, second_half) {
        (Op::Reversal, false) => "purchase",
        (op, _) => op.name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_counts_and_latencies() {
        let mut a = Stats::new().unwrap();
        a.answer("purchase", "00", 1_000);
        a.answer("purchase", "51", 2_000);
        a.requests = 2;
        let mut b = Stats::new().unwrap();
        b.answer("refund", "00", 1_500);
        b.failure("timeout");
        b.requests = 2;
        a.merge(&b).unwrap();
        assert_eq!((a.requests, a.answered), (4, 3));
        assert_eq!(a.latency_us.len(), 3);
        assert_eq!(a.latency_us.max(), 2_000);
        assert_eq!(
            a.declines_by_code(),
            BTreeMap::from([("51".to_string(), 1)])
        );
        assert_eq!(a.failures, BTreeMap::from([("timeout", 1)]));
        let info = RunInfo {
            terminals: 1,
            in_flight: 1,
            rate_per_s: None,
            mix: "purchase=1".into(),
            elapsed_s: 2.0,
        };
        let j = to_json(&a, &info);
        assert_eq!(j["answered"], 3);
        assert_eq!(j["throughput_per_s"], 1.5);
        assert_eq!(j["response_codes"]["purchase"]["51"], 1);
        assert_eq!(j["errors"]["by_kind"]["timeout"], 1);
        // The median of {1, 1.5, 2} ms; below 2048 µs the histogram is exact.
        assert_eq!(j["latency_ms"]["p50"], 1.5);
        assert_eq!(j["latency_ms"]["max"], 2.0);
    }
}
