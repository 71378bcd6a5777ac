//! ISO 9564-1 format 3: as format 0 but the fill is random nibbles A-F.

use zeroize::Zeroizing;

use super::{
    ClearBlock8, PinBlockError, PinBlockFormat, exact8, pack16, pan_block_8, pin_field_nibbles,
    read_pin_field, unpack8,
};
use crate::digits::{Pan, Pin};
use crate::rng::ByteSource;

const FORMAT: PinBlockFormat = PinBlockFormat::Iso3;

/// The clear format 3 block for `pin` bound to `pan`. Each fill nibble is `0xA + byte % 6` of
/// a byte from `rng`.
pub fn encode_format3(pin: &Pin, pan: &Pan, rng: &mut dyn ByteSource) -> ClearBlock8 {
    let mut nibbles = pin_field_nibbles::<16>(3, pin);
    let mut random = Zeroizing::new([0u8; 16]);
    rng.fill_bytes(&mut random[..]);
    for (n, r) in nibbles.iter_mut().zip(random.iter()).skip(2 + pin.len()) {
        *n = 0xA + r % 6;
    }
    let mut block = Zeroizing::new(pack16(&nibbles));
    for (b, p) in block.iter_mut().zip(pan_block_8(pan)) {
        *b ^= p;
    }
    block
}

/// Reads the PIN from a clear format 3 block for `pan`.
pub fn decode_format3(block: &[u8], pan: &Pan) -> Result<Pin, PinBlockError> {
    let mut clear = Zeroizing::new(exact8(FORMAT, block)?);
    for (b, p) in clear.iter_mut().zip(pan_block_8(pan)) {
        *b ^= p;
    }
    let nibbles = unpack8(&clear);
    let (pin, fill_start) = read_pin_field(FORMAT, &nibbles[..])?;
    for (i, n) in nibbles.iter().enumerate().skip(fill_start) {
        if *n < 0xA {
            return Err(PinBlockError::Fill {
                format: FORMAT,
                nibble_offset: i,
                found: *n,
                expected: "A-F",
            });
        }
    }
    Ok(pin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Replay;

    #[test]
    fn psec_doc_example_decodes() {
        // psec docs: decode_pinblock_iso_3(341277EEEFCCB43C, "5544332211009966") = "1234".
        let pan = Pan::new("5544332211009966").unwrap();
        let block = hex::decode("341277EEEFCCB43C").unwrap();
        assert_eq!(
            decode_format3(&block, &pan).unwrap().reveal().as_str(),
            "1234"
        );
    }

    #[test]
    fn encode_uses_supplied_fill() {
        // Fill bytes 0..=5 map to A..F. psec's example block above is, after removing the PAN
        // block, 341234DCCEDCBDAA: fill DCCEDCBDAA, i.e. bytes 3,2,2,4,3,2,1,3,0,0.
        let pan = Pan::new("5544332211009966").unwrap();
        let fill = [0, 0, 0, 0, 0, 0, 3, 2, 2, 4, 3, 2, 1, 3, 0, 0];
        let block = encode_format3(&Pin::new("1234").unwrap(), &pan, &mut Replay::new(&fill));
        assert_eq!(hex::encode_upper(*block), "341277EEEFCCB43C");
    }

    #[test]
    fn fill_must_be_a_to_f() {
        let pan = Pan::new("5544332211009966").unwrap();
        let mut block = hex::decode("341277EEEFCCB43C").unwrap();
        // The last clear nibble is A; flipping it to 6 makes a digit where fill must be A-F.
        block[7] ^= 0x0C;
        assert!(matches!(
            decode_format3(&block, &pan),
            Err(PinBlockError::Fill {
                nibble_offset: 15,
                ..
            })
        ));
    }
}
