//! Visa PIN Verification Value (PVV).
//!
//! The transformed security parameter (TSP) is the 11 rightmost PAN digits excluding the
//! check digit, the PVKI (PIN verification key index, one digit) and the 4 leftmost PIN
//! digits. It is enciphered under the 2-key PVK and decimalised (digits first, then A-F
//! minus 10) to 4 digits.

use super::{VerifyError, ct_eq_digits, decimal_field, digits_to_string};
use crate::cipher::{BlockOps, Tdea};
use crate::digits::{Pan, Pin, decimalise_two_pass, right_justify};
use crate::key::SecretKey;

fn check_pvk(pvk: &SecretKey) -> Result<Tdea, VerifyError> {
    if pvk.len() != 16 {
        return Err(VerifyError::KeyLength {
            algorithm: "Visa PVV",
            expected: "16-byte (2-key) TDES",
            len_bytes: pvk.len(),
        });
    }
    Ok(Tdea::new(pvk)?)
}

/// Computes the 4-digit PVV.
pub fn generate_pvv(
    pvk: &SecretKey,
    pan: &Pan,
    pvki: u8,
    pin: &Pin,
) -> Result<String, VerifyError> {
    let cipher = check_pvk(pvk)?;
    pan.require_len("Visa PVV", 12)?;
    if pvki > 9 {
        return Err(VerifyError::Field {
            field: "PVKI",
            expected: "one decimal digit",
            len: 1,
            bad_offset: Some(0),
        });
    }
    let body = pan.digits().split_last().map(|(_, b)| b).unwrap_or(&[]);
    let mut tsp = [0u8; 16];
    let (pan_part, rest) = tsp.split_at_mut(11);
    pan_part.copy_from_slice(&right_justify::<11>(body));
    let (pvki_slot, pin_part) = rest.split_at_mut(1);
    pvki_slot.fill(pvki);
    for (d, p) in pin_part.iter_mut().zip(pin.digits()) {
        *d = *p;
    }
    let mut block = crate::pinblock::pack16(&tsp);
    cipher.encrypt(&mut block);
    let nibbles: Vec<u8> = block.iter().flat_map(|b| [b >> 4, b & 0x0F]).collect();
    Ok(digits_to_string(&decimalise_two_pass(&nibbles, 4)))
}

/// Checks a PIN against a stored PVV.
pub fn verify_pvv(
    pvk: &SecretKey,
    pan: &Pan,
    pvki: u8,
    pin: &Pin,
    pvv: &str,
) -> Result<(), VerifyError> {
    let presented = decimal_field("PVV", "4 decimal digits", pvv, 4..=4)?;
    let expected = decimal_field(
        "PVV",
        "4 decimal digits",
        &generate_pvv(pvk, pan, pvki, pin)?,
        4..=4,
    )?;
    if ct_eq_digits(&expected, &presented) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch { what: "Visa PVV" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psec_doc_example() {
        // psec docs: generate_visa_pvv(PVK 0123456789ABCDEFFEDCBA9876543210, pvki 3, pin 4524,
        // pan 1122334455667788) = 4021.
        let pvk =
            SecretKey::tdes(&hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap()).unwrap();
        let pan = Pan::new("1122334455667788").unwrap();
        let pin = Pin::new("4524").unwrap();
        assert_eq!(generate_pvv(&pvk, &pan, 3, &pin).unwrap(), "4021");
        assert_eq!(verify_pvv(&pvk, &pan, 3, &pin, "4021"), Ok(()));
        assert_eq!(
            verify_pvv(&pvk, &pan, 3, &pin, "4022"),
            Err(VerifyError::Mismatch { what: "Visa PVV" })
        );
    }

    #[test]
    fn needs_two_key_pvk_and_long_pan() {
        let pvk3 = SecretKey::tdes(&[1u8; 24]).unwrap();
        let pan = Pan::new("1122334455667788").unwrap();
        let pin = Pin::new("1234").unwrap();
        assert!(matches!(
            generate_pvv(&pvk3, &pan, 1, &pin),
            Err(VerifyError::KeyLength { len_bytes: 24, .. })
        ));
        let pvk = SecretKey::tdes(&[1u8; 16]).unwrap();
        assert!(matches!(
            generate_pvv(&pvk, &Pan::new("12345678901").unwrap(), 1, &pin),
            Err(VerifyError::Pan(_))
        ));
    }
}
