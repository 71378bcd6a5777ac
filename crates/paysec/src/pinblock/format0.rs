//! ISO 9564-1 format 0: `0 L P P P P P/F ... F` XOR the PAN block.

use zeroize::Zeroizing;

use super::{
    ClearBlock8, PinBlockError, PinBlockFormat, exact8, pack16, pan_block_8, pin_field_nibbles,
    read_pin_field, unpack8,
};
use crate::digits::{Pan, Pin};

const FORMAT: PinBlockFormat = PinBlockFormat::Iso0;

/// The clear format 0 block for `pin` bound to `pan`.
pub fn encode_format0(pin: &Pin, pan: &Pan) -> ClearBlock8 {
    let mut nibbles = pin_field_nibbles::<16>(0, pin);
    for n in nibbles.iter_mut().skip(2 + pin.len()) {
        *n = 0xF;
    }
    let mut block = Zeroizing::new(pack16(&nibbles));
    for (b, p) in block.iter_mut().zip(pan_block_8(pan)) {
        *b ^= p;
    }
    block
}

/// Reads the PIN from a clear format 0 block for `pan`.
pub fn decode_format0(block: &[u8], pan: &Pan) -> Result<Pin, PinBlockError> {
    let mut clear = Zeroizing::new(exact8(FORMAT, block)?);
    for (b, p) in clear.iter_mut().zip(pan_block_8(pan)) {
        *b ^= p;
    }
    let nibbles = unpack8(&clear);
    let (pin, fill_start) = read_pin_field(FORMAT, &nibbles[..])?;
    for (i, n) in nibbles.iter().enumerate().skip(fill_start) {
        if *n != 0xF {
            return Err(PinBlockError::Fill {
                format: FORMAT,
                nibble_offset: i,
                found: *n,
                expected: "F",
            });
        }
    }
    Ok(pin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psec_doc_example() {
        // psec docs: encode_pinblock_iso_0("1234", "5544332211009966") = 041277CDDEEFF669.
        let pan = Pan::new("5544332211009966").unwrap();
        let block = encode_format0(&Pin::new("1234").unwrap(), &pan);
        assert_eq!(hex::encode_upper(*block), "041277CDDEEFF669");
        assert_eq!(
            decode_format0(&block[..], &pan).unwrap().reveal().as_str(),
            "1234"
        );
    }

    #[test]
    fn x9_24_clear_block() {
        // ANSI X9.24-1:2009 A.4 uses PIN 1234, PAN 4012345678909: clear block 041274EDCBA9876F.
        let pan = Pan::new("4012345678909").unwrap();
        let block = encode_format0(&Pin::new("1234").unwrap(), &pan);
        assert_eq!(hex::encode_upper(*block), "041274EDCBA9876F");
    }

    #[test]
    fn typed_decode_errors() {
        let pan = Pan::new("4012345678909").unwrap();
        let pb = pan_block_8(&pan);
        let with = |clear: [u8; 8]| {
            let mut b = clear;
            for (x, p) in b.iter_mut().zip(pb) {
                *x ^= p;
            }
            decode_format0(&b, &pan)
        };
        assert_eq!(
            with(hex::decode("141234FFFFFFFFFF").unwrap().try_into().unwrap()),
            Err(PinBlockError::FormatNibble {
                format: FORMAT,
                expected: 0,
                found: 1
            })
        );
        assert_eq!(
            with(hex::decode("031234FFFFFFFFFF").unwrap().try_into().unwrap()),
            Err(PinBlockError::PinLength { found: 3 })
        );
        assert_eq!(
            with(hex::decode("04123AFFFFFFFFFF").unwrap().try_into().unwrap()),
            Err(PinBlockError::PinDigit {
                nibble_offset: 5,
                found: 0xA
            })
        );
        assert_eq!(
            with(hex::decode("041234FFFFFFFFFE").unwrap().try_into().unwrap()),
            Err(PinBlockError::Fill {
                format: FORMAT,
                nibble_offset: 15,
                found: 0xE,
                expected: "F"
            })
        );
        assert_eq!(
            decode_format0(&[0u8; 7], &pan),
            Err(PinBlockError::BlockLength {
                format: FORMAT,
                len_bytes: 7,
                expected_bytes: 8
            })
        );
    }
}
