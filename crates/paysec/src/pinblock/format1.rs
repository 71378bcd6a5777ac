//! ISO 9564-1 format 1: `1 L P P P P P/R ... R`, random fill, no PAN (used where no PAN is
//! available).

use zeroize::Zeroizing;

use super::{
    ClearBlock8, PinBlockError, PinBlockFormat, exact8, pack16, pin_field_nibbles, read_pin_field,
    unpack8,
};
use crate::digits::Pin;
use crate::rng::ByteSource;

const FORMAT: PinBlockFormat = PinBlockFormat::Iso1;

/// The clear format 1 block; fill nibbles are the low nibbles of bytes from `rng` (any 0-F).
pub fn encode_format1(pin: &Pin, rng: &mut dyn ByteSource) -> ClearBlock8 {
    let mut nibbles = pin_field_nibbles::<16>(1, pin);
    let mut random = Zeroizing::new([0u8; 16]);
    rng.fill_bytes(&mut random[..]);
    for (n, r) in nibbles.iter_mut().zip(random.iter()).skip(2 + pin.len()) {
        *n = r & 0x0F;
    }
    Zeroizing::new(pack16(&nibbles))
}

/// Reads the PIN from a clear format 1 block. Fill may be any nibble, so only the control,
/// length and digit nibbles can be wrong.
pub fn decode_format1(block: &[u8]) -> Result<Pin, PinBlockError> {
    let clear = Zeroizing::new(exact8(FORMAT, block)?);
    let nibbles = unpack8(&clear);
    read_pin_field(FORMAT, &nibbles[..]).map(|(pin, _)| pin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Replay;

    #[test]
    fn layout_per_iso_9564_1() {
        // Control 1, length 6, PIN 123456, then fill nibbles taken from the low nibbles of the
        // supplied random bytes at positions 8..16.
        let random: Vec<u8> = (0u8..16).map(|i| 0xA0 | i).collect();
        let block = encode_format1(&Pin::new("123456").unwrap(), &mut Replay::new(&random));
        assert_eq!(
            hex::encode_upper(*block),
            "16123456".to_string() + "89ABCDEF"
        );
        assert_eq!(
            decode_format1(&block[..]).unwrap().reveal().as_str(),
            "123456"
        );
    }

    #[test]
    fn rejects_other_formats() {
        assert_eq!(
            decode_format1(&hex::decode("041234FFFFFFFFFF").unwrap()),
            Err(PinBlockError::FormatNibble {
                format: FORMAT,
                expected: 1,
                found: 0
            })
        );
    }
}
