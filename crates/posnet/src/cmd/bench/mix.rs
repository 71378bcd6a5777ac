//! The transaction mix (`purchase=90,refund=5,reversal=5`) and the deterministic choice of
//! each transaction's kind from its sequence number.

use anyhow::{Result, bail};

/// What one bench transaction does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// A 0200 purchase.
    Purchase,
    /// A 0200 refund (processing code 20).
    Refund,
    /// A 0200 purchase, then the 0400 reversal of its approval.
    Reversal,
    /// A 0200 balance inquiry (no money moves).
    Balance,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Purchase => "purchase",
            Op::Refund => "refund",
            Op::Reversal => "reversal",
            Op::Balance => "balance",
        }
    }

    fn parse(name: &str) -> Option<Op> {
        [Op::Purchase, Op::Refund, Op::Reversal, Op::Balance]
            .into_iter()
            .find(|op| op.name() == name)
    }
}

/// Weights of each kind; the choice for sequence number `n` is a hash of `n`, so a run's
/// sequence of kinds is the same every time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mix {
    weights: Vec<(Op, u32)>,
    total: u64,
}

impl Mix {
    /// Reads `kind=weight,…` (weights are relative, at least one above zero).
    pub fn parse(text: &str) -> Result<Mix> {
        let mut weights: Vec<(Op, u32)> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, weight)) = part.split_once('=') else {
                bail!("mix entry {part:?}: expected kind=weight");
            };
            let Some(op) = Op::parse(name.trim()) else {
                bail!(
                    "mix entry {part:?}: unknown kind {name:?} (purchase, refund, reversal, balance)"
                );
            };
            let Ok(weight) = weight.trim().parse::<u32>() else {
                bail!("mix entry {part:?}: weight {weight:?} is not a whole number");
            };
            if weights.iter().any(|(o, _)| *o == op) {
                bail!("mix: {name} appears twice");
            }
            weights.push((op, weight));
        }
        let total: u64 = weights.iter().map(|(_, w)| u64::from(*w)).sum();
        if total == 0 {
            bail!("mix {text:?}: no kind has a weight above zero");
        }
        Ok(Mix { weights, total })
    }

    /// The kind of transaction number `seq`.
    pub fn pick(&self, seq: u64) -> Op {
        let mut slot = splitmix64(seq) % self.total;
        for (op, w) in &self.weights {
            let w = u64::from(*w);
            if slot < w {
                return *op;
            }
            slot -= w;
        }
        Op::Purchase
    }
}

/// SplitMix64's output function (Steele, Lea, Flood 2014): spreads consecutive numbers.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_default_mix() {
        let mix = Mix::parse("purchase=90,refund=5,reversal=5").unwrap();
        assert_eq!(
            mix.weights,
            [(Op::Purchase, 90), (Op::Refund, 5), (Op::Reversal, 5)]
        );
        assert_eq!(mix.total, 100);
    }

    #[test]
    fn refuses_bad_mixes() {
        for bad in [
            "",
            "purchase=0",
            "purchase",
            "purchase=x",
            "sale=5",
            "purchase=1,purchase=2",
        ] {
            assert!(Mix::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_single_kind_is_always_picked() {
        let mix = Mix::parse("refund=3").unwrap();
        assert!((0..1000).all(|n| mix.pick(n) == Op::Refund));
    }

    #[test]
    fn picks_follow_the_weights() {
        let mix = Mix::parse("purchase=90,refund=5,reversal=5").unwrap();
        let n = 100_000u64;
        let purchases = (0..n).filter(|&s| mix.pick(s) == Op::Purchase).count() as f64;
        let refunds = (0..n).filter(|&s| mix.pick(s) == Op::Refund).count() as f64;
        // 90% and 5% within one percentage point over 100 000 draws.
        assert!((purchases / n as f64 - 0.90).abs() < 0.01, "{purchases}");
        assert!((refunds / n as f64 - 0.05).abs() < 0.01, "{refunds}");
        // Deterministic: the same sequence number gives the same kind.
        assert!((0..1000).all(|s| mix.pick(s) == mix.pick(s)));
    }

    #[test]
    fn splitmix_known_value() {
        // SplitMix64 seeded with 0: first output 0xe220a8397b1dcdaf (reference C code,
        // prng.di.unimi.it/splitmix64.c).
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
    }
}
