//! IBM 3624 PIN generation and offset verification.
//!
//! The natural PIN is the decimalised encipherment of the validation data (a window of the
//! PAN, padded to 16 hex digits) under the PIN verification key (PVK). The customer's PIN is
//! the natural PIN plus an offset, digit by digit modulo 10; issuers store the offset.

use super::{VerifyError, ct_eq_digits, decimal_field, digits_to_string};
use crate::cipher::{BlockOps, Tdea};
use crate::digits::{Pan, Pin};
use crate::key::SecretKey;

/// A decimalisation table: the decimal digit each hex digit 0-F maps to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecimalisationTable([u8; 16]);

impl DecimalisationTable {
    /// The common table 0123456789012345.
    pub const STANDARD: DecimalisationTable =
        DecimalisationTable([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5]);

    /// Parses 16 decimal digits.
    pub fn new(text: &str) -> Result<Self, VerifyError> {
        let digits = decimal_field("decimalisation table", "16 decimal digits", text, 16..=16)?;
        let mut t = [0u8; 16];
        t.copy_from_slice(&digits);
        Ok(DecimalisationTable(t))
    }

    fn map(&self, nibble: u8) -> u8 {
        self.0.get(usize::from(nibble & 0x0F)).copied().unwrap_or(0)
    }
}

/// The 16 hex digits enciphered under the PVK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationData([u8; 8]);

impl ValidationData {
    /// Takes `len` PAN digits from `start` (at most 16) and pads on the right with `pad`
    /// (a hex digit 0-F) to 16 digits.
    pub fn from_pan(pan: &Pan, start: usize, len: usize, pad: u8) -> Result<Self, VerifyError> {
        let end = start.saturating_add(len);
        let window = pan
            .digits()
            .get(start..end)
            .filter(|w| w.len() <= 16)
            .ok_or(VerifyError::Window {
                start,
                end,
                pan_len: pan.len(),
            })?;
        let mut nibbles = [pad & 0x0F; 16];
        for (n, d) in nibbles.iter_mut().zip(window) {
            *n = *d;
        }
        Ok(ValidationData(crate::pinblock::pack16(&nibbles)))
    }

    /// Uses 8 bytes (16 hex digits) as given.
    pub fn from_bytes(bytes: [u8; 8]) -> Self {
        ValidationData(bytes)
    }
}

fn intermediate(
    pvk: &SecretKey,
    data: &ValidationData,
    table: &DecimalisationTable,
) -> Result<[u8; 16], VerifyError> {
    let cipher = Tdea::new(pvk)?;
    let mut block = data.0;
    cipher.encrypt(&mut block);
    let mut out = [0u8; 16];
    for (pair, b) in out.as_chunks_mut::<2>().0.iter_mut().zip(block) {
        *pair = [table.map(b >> 4), table.map(b & 0x0F)];
    }
    Ok(out)
}

/// The natural PIN of `pin_len` digits (4-12).
pub fn natural_pin(
    pvk: &SecretKey,
    data: &ValidationData,
    table: &DecimalisationTable,
    pin_len: usize,
) -> Result<Pin, VerifyError> {
    let digits = intermediate(pvk, data, table)?;
    Pin::from_digit_values(digits.get(..pin_len).unwrap_or(&[])).map_err(|_| VerifyError::Field {
        field: "PIN length",
        expected: "4 to 12",
        len: pin_len,
        bad_offset: None,
    })
}

/// The offset that turns the natural PIN into `pin`: `(pin - natural) mod 10` per digit.
pub fn generate_offset(
    pvk: &SecretKey,
    data: &ValidationData,
    table: &DecimalisationTable,
    pin: &Pin,
) -> Result<String, VerifyError> {
    let natural = intermediate(pvk, data, table)?;
    let offset: Vec<u8> = pin
        .digits()
        .iter()
        .zip(natural)
        .map(|(p, n)| (10 + p - n) % 10)
        .collect();
    Ok(digits_to_string(&offset))
}

/// The customer PIN given an offset: `(natural + offset) mod 10` per digit.
pub fn pin_from_offset(
    pvk: &SecretKey,
    data: &ValidationData,
    table: &DecimalisationTable,
    offset: &str,
) -> Result<Pin, VerifyError> {
    let offset = decimal_field("PIN offset", "4 to 12 decimal digits", offset, 4..=12)?;
    let natural = intermediate(pvk, data, table)?;
    let digits: Vec<u8> = offset
        .iter()
        .zip(natural)
        .map(|(o, n)| (o + n) % 10)
        .collect();
    Pin::from_digit_values(&digits).map_err(|_| VerifyError::Field {
        field: "PIN offset",
        expected: "4 to 12 decimal digits",
        len: digits.len(),
        bad_offset: None,
    })
}

/// Checks an entered PIN against the stored offset.
pub fn verify_offset(
    pvk: &SecretKey,
    data: &ValidationData,
    table: &DecimalisationTable,
    pin: &Pin,
    offset: &str,
) -> Result<(), VerifyError> {
    let expected = pin_from_offset(pvk, data, table, offset)?;
    if ct_eq_digits(expected.digits(), pin.digits()) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch {
            what: "IBM 3624 PIN offset",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pvk() -> SecretKey {
        SecretKey::tdes(&hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap()).unwrap()
    }

    #[test]
    fn psec_doc_examples() {
        // psec docs: generate_ibm3624_pin(PVK 0123456789ABCDEFFEDCBA9876543210, table
        // 1234567890123456, offset 0000, PAN 1122334455667788, window 0..16, pad F) = 4524,
        // and generate_ibm3624_offset(..., pin 4524, ...) = 0000.
        let table = DecimalisationTable::new("1234567890123456").unwrap();
        let pan = Pan::new("1122334455667788").unwrap();
        let data = ValidationData::from_pan(&pan, 0, 16, 0xF).unwrap();
        assert_eq!(
            natural_pin(&pvk(), &data, &table, 4)
                .unwrap()
                .reveal()
                .as_str(),
            "4524"
        );
        let pin = Pin::new("4524").unwrap();
        assert_eq!(
            generate_offset(&pvk(), &data, &table, &pin).unwrap(),
            "0000"
        );
        let chosen = Pin::new("1234").unwrap();
        let off = generate_offset(&pvk(), &data, &table, &chosen).unwrap();
        assert_eq!(off, "7710", "(1-4, 2-5, 3-2, 4-4) mod 10");
        assert_eq!(verify_offset(&pvk(), &data, &table, &chosen, &off), Ok(()));
        assert_eq!(
            verify_offset(&pvk(), &data, &table, &Pin::new("1235").unwrap(), &off),
            Err(VerifyError::Mismatch {
                what: "IBM 3624 PIN offset"
            })
        );
    }

    #[test]
    fn window_and_table_errors() {
        let pan = Pan::new("1122334455667788").unwrap();
        assert_eq!(
            ValidationData::from_pan(&pan, 4, 16, 0xF),
            Err(VerifyError::Window {
                start: 4,
                end: 20,
                pan_len: 16
            })
        );
        assert!(matches!(
            DecimalisationTable::new("12345678901234A6"),
            Err(VerifyError::Field {
                bad_offset: Some(14),
                ..
            })
        ));
    }
}
