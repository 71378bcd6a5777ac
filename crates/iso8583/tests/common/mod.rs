//! Test helpers: a small deterministic RNG and random valid values for any field spec.

#![allow(dead_code)]

use iso8583::spec::{Encoding, FieldSpec, Kind, Unit};
use iso8583::{Message, Mti, Spec};

/// SplitMix64: deterministic, seedable, good enough to pick test values.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    pub fn pick(&mut self, set: &[u8]) -> u8 {
        set[self.range(0, set.len() - 1)]
    }
}

const DIGITS: &[u8] = b"0123456789";
const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ";

/// A random value that the field accepts, in its logical form (text, or raw bytes for `b`).
/// Variable fields get between `min_len` and their maximum.
pub fn random_value(fs: &FieldSpec, rng: &mut Rng, min_len: usize) -> Vec<u8> {
    let max = usize::from(fs.max_len);
    let mut units = if fs.prefix.is_fixed() {
        max
    } else {
        rng.range(min_len.min(max), max)
    };
    if fs.encoding == Encoding::Hex {
        // Hex text counts digits; a byte is two of them.
        if !fs.prefix.is_fixed() && units % 2 == 1 {
            units -= 1;
        }
        return (0..units / 2).map(|_| rng.next() as u8).collect();
    }
    if fs.kind == Kind::B {
        return (0..units).map(|_| rng.next() as u8).collect();
    }
    let chars = if fs.encoding == Encoding::Bcd && fs.unit == Unit::Bytes {
        units * 2
    } else {
        units
    };
    let mut v: Vec<u8> = match fs.kind {
        Kind::N => (0..chars).map(|_| rng.pick(DIGITS)).collect(),
        Kind::A => (0..chars).map(|_| rng.pick(ALPHA)).collect(),
        Kind::An => (0..chars).map(|_| rng.pick(ALNUM)).collect(),
        Kind::Ans => (0..chars).map(|_| (0x20 + rng.next() % 95) as u8).collect(),
        Kind::Xn => (0..chars)
            .map(|i| {
                if i == 0 {
                    rng.pick(b"CD")
                } else {
                    rng.pick(DIGITS)
                }
            })
            .collect(),
        Kind::Z => (0..chars).map(|_| rng.pick(DIGITS)).collect(),
        Kind::B => unreachable!(),
    };
    if fs.kind == Kind::Z && chars > 2 {
        // One separator, as a track has; packed BCD writes it as the nibble D.
        let at = rng.range(1, chars - 2);
        v[at] = if fs.encoding == Encoding::Bcd {
            b'D'
        } else {
            b'='
        };
    }
    v
}

/// A message of `mti` with the listed fields set to random valid values.
pub fn random_message(
    spec: &Spec,
    mti: &str,
    fields: &[usize],
    rng: &mut Rng,
    min_len: usize,
) -> Message<'static> {
    let mut m = Message::new(Mti::parse(mti).unwrap());
    for &n in fields {
        let fs = spec
            .field(n)
            .unwrap_or_else(|| panic!("{} has no field {n}", spec.name));
        m.set_owned(n, random_value(fs, rng, min_len)).unwrap();
    }
    m
}

/// A random subset of the spec's fields (each present with probability 1/4).
pub fn random_fields(spec: &Spec, rng: &mut Rng) -> Vec<usize> {
    spec.fields()
        .map(|f| usize::from(f.number))
        .filter(|_| rng.next().is_multiple_of(4))
        .collect()
}
