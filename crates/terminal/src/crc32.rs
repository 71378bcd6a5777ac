//! CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): the check on every journal record.

const POLY_REFLECTED: u32 = 0xEDB8_8320;

/// One entry per byte value: the remainder that byte leaves, computed at compile time.
const TABLE: [u32; 256] = build_table();

// Runs at compile time with `byte < 256`: an out-of-range index would fail the build, not a run.
#[allow(clippy::indexing_slicing)]
const fn build_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut rem = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            rem = if rem & 1 == 1 {
                (rem >> 1) ^ POLY_REFLECTED
            } else {
                rem >> 1
            };
            bit += 1;
        }
        table[byte] = rem;
        byte += 1;
    }
    table
}

/// The CRC-32 of `data` (initial value and final XOR all ones, as zlib and Ethernet use).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in data {
        // The index is a byte, always below 256: `get` keeps the no-indexing rule without cost.
        let entry = TABLE
            .get(usize::from((crc as u8) ^ b))
            .copied()
            .unwrap_or(0);
        crc = (crc >> 8) ^ entry;
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        // The "check" value of CRC-32/ISO-HDLC in the Catalogue of parametrised CRC
        // algorithms (reveng.sourceforge.io/crc-catalogue): CRC of ASCII "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        // zlib.crc32(b"The quick brown fox jumps over the lazy dog") in Python's zlib.
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }
}
