//! Card verification values: CVV (magnetic stripe), CVV2 (printed; service code 000) and iCVV
//! (chip track 2 equivalent; service code 999). Visa and Mastercard (CVC) share the method.
//!
//! PAN || expiry (YYMM) || service code, zero-padded to 32 hex digits, is split into two
//! blocks; block 1 is DES-enciphered under CVK A, XORed with block 2, then TDES-enciphered
//! under CVK A || CVK B and decimalised to 3 digits.

use super::{VerifyError, ct_eq_digits, decimal_field, digits_to_string};
use crate::cipher::{BlockOps, Tdea, xor_into};
use crate::digits::{Pan, decimalise_two_pass};
use crate::key::SecretKey;

/// Service code used for CVV2.
pub const CVV2_SERVICE_CODE: &str = "000";
/// Service code used for iCVV.
pub const ICVV_SERVICE_CODE: &str = "999";

/// Computes the 3-digit value for the given service code.
pub fn generate_cvv(
    cvk: &SecretKey,
    pan: &Pan,
    expiry_yymm: &str,
    service_code: &str,
) -> Result<String, VerifyError> {
    let (Some(cvk_a), 16, crate::key::KeyAlgorithm::Tdes) = (
        cvk.as_bytes().first_chunk::<8>(),
        cvk.len(),
        cvk.algorithm(),
    ) else {
        return Err(VerifyError::KeyLength {
            algorithm: "CVV",
            expected: "16-byte TDES (CVK A || CVK B)",
            len_bytes: cvk.len(),
        });
    };
    let expiry = decimal_field("expiry date", "4 digits YYMM", expiry_yymm, 4..=4)?;
    let service = decimal_field("service code", "3 digits", service_code, 3..=3)?;
    let mut nibbles = [0u8; 32];
    for (n, d) in nibbles
        .iter_mut()
        .zip(pan.digits().iter().chain(&expiry).chain(&service))
    {
        *n = *d;
    }
    let (halves, _) = nibbles.as_chunks::<16>();
    let (Some(first), Some(second)) = (halves.first(), halves.get(1)) else {
        return Err(VerifyError::Field {
            field: "CVV data",
            expected: "32 nibbles",
            len: 0,
            bad_offset: None,
        });
    };
    let mut block = crate::pinblock::pack16(first);
    let single = Tdea::from_bytes(cvk_a).ok_or(VerifyError::KeyLength {
        algorithm: "CVV",
        expected: "16-byte TDES (CVK A || CVK B)",
        len_bytes: cvk.len(),
    })?;
    single.encrypt(&mut block);
    xor_into(&mut block, &crate::pinblock::pack16(second));
    Tdea::new(cvk)?.encrypt(&mut block);
    let out: Vec<u8> = block.iter().flat_map(|b| [b >> 4, b & 0x0F]).collect();
    Ok(digits_to_string(&decimalise_two_pass(&out, 3)))
}

/// CVV2: the printed value (service code 000).
pub fn generate_cvv2(cvk: &SecretKey, pan: &Pan, expiry_yymm: &str) -> Result<String, VerifyError> {
    generate_cvv(cvk, pan, expiry_yymm, CVV2_SERVICE_CODE)
}

/// iCVV: the chip's track 2 equivalent value (service code 999).
pub fn generate_icvv(cvk: &SecretKey, pan: &Pan, expiry_yymm: &str) -> Result<String, VerifyError> {
    generate_cvv(cvk, pan, expiry_yymm, ICVV_SERVICE_CODE)
}

/// Checks a presented value.
pub fn verify_cvv(
    cvk: &SecretKey,
    pan: &Pan,
    expiry_yymm: &str,
    service_code: &str,
    presented: &str,
) -> Result<(), VerifyError> {
    let presented = decimal_field("CVV", "3 decimal digits", presented, 3..=3)?;
    let expected = generate_cvv(cvk, pan, expiry_yymm, service_code)?;
    if ct_eq_digits(
        expected.as_bytes(),
        &presented.iter().map(|d| b'0' + d).collect::<Vec<_>>(),
    ) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch { what: "CVV" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cvk() -> SecretKey {
        SecretKey::tdes(&hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap()).unwrap()
    }

    #[test]
    fn published_example() {
        // The widely published CVV example (IBM CCA and Visa documentation): CVK A
        // 0123456789ABCDEF, CVK B FEDCBA9876543210, PAN 4123456789012345, expiry 8701, service
        // code 101: CVV 561.
        let pan = Pan::new("4123456789012345").unwrap();
        assert_eq!(generate_cvv(&cvk(), &pan, "8701", "101").unwrap(), "561");
        assert_eq!(verify_cvv(&cvk(), &pan, "8701", "101", "561"), Ok(()));
        assert_eq!(
            verify_cvv(&cvk(), &pan, "8701", "101", "562"),
            Err(VerifyError::Mismatch { what: "CVV" })
        );
        // CVV2 and iCVV differ from CVV only by the service code.
        assert_eq!(
            generate_cvv2(&cvk(), &pan, "8701").unwrap(),
            generate_cvv(&cvk(), &pan, "8701", "000").unwrap()
        );
        assert_eq!(
            generate_icvv(&cvk(), &pan, "8701").unwrap(),
            generate_cvv(&cvk(), &pan, "8701", "999").unwrap()
        );
    }

    #[test]
    fn field_errors() {
        let pan = Pan::new("4123456789012345").unwrap();
        assert!(matches!(
            generate_cvv(&cvk(), &pan, "87A1", "101"),
            Err(VerifyError::Field {
                field: "expiry date",
                bad_offset: Some(2),
                ..
            })
        ));
        assert!(matches!(
            generate_cvv(&cvk(), &pan, "8701", "10"),
            Err(VerifyError::Field {
                field: "service code",
                ..
            })
        ));
        let k24 = SecretKey::tdes(&[1u8; 24]).unwrap();
        assert!(matches!(
            generate_cvv(&k24, &pan, "8701", "101"),
            Err(VerifyError::KeyLength { .. })
        ));
    }
}
