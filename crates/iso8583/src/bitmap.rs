//! Bitmaps: which data elements a message carries. Bit 1 announces the secondary bitmap and,
//! in dialects with a tertiary bitmap, bit 65 announces the third.

/// Up to three 64-bit bitmaps; field `n` is bit `64 - ((n - 1) % 64) - 1` of word `(n - 1) / 64`,
/// so field 1 is the most significant bit of the first byte on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bitmap(pub [u64; 3]);

impl Bitmap {
    /// Marks field `n` (1..=192) present; out-of-range numbers are ignored.
    #[inline]
    pub fn set(&mut self, n: usize) {
        if (1..=192).contains(&n) {
            let i = (n - 1) / 64;
            if let Some(w) = self.0.get_mut(i) {
                *w |= 1u64 << (63 - (n - 1) % 64);
            }
        }
    }

    /// Whether field `n` is marked present.
    #[inline]
    pub fn is_set(&self, n: usize) -> bool {
        if !(1..=192).contains(&n) {
            return false;
        }
        self.0
            .get((n - 1) / 64)
            .is_some_and(|w| w & (1u64 << (63 - (n - 1) % 64)) != 0)
    }

    /// Field numbers present, ascending, excluding the bitmap indicators 1 and 65.
    pub fn data_fields(&self) -> impl Iterator<Item = usize> + '_ {
        self.0
            .iter()
            .enumerate()
            .flat_map(|(w, word)| {
                let mut bits = *word;
                std::iter::from_fn(move || {
                    if bits == 0 {
                        return None;
                    }
                    let lz = bits.leading_zeros() as usize;
                    bits &= !(1u64 << (63 - lz));
                    Some(w * 64 + lz + 1)
                })
            })
            .filter(|&n| n != 1 && n != 65)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_bits_are_left_aligned() {
        let mut b = Bitmap::default();
        b.set(1);
        b.set(3);
        b.set(64);
        b.set(65);
        b.set(128);
        b.set(192);
        assert_eq!(b.0[0], 0xA000_0000_0000_0001);
        assert_eq!(b.0[1], 0x8000_0000_0000_0001);
        assert_eq!(b.0[2], 0x0000_0000_0000_0001);
        assert_eq!(b.data_fields().collect::<Vec<_>>(), vec![3, 64, 128, 192]);
        assert!(b.is_set(65) && !b.is_set(2) && !b.is_set(0) && !b.is_set(193));
    }
}
