//! The issuer HSM's key names, the zone key generation in field 53, and the set-up helpers.

use std::path::Path;

use hsm::{Hsm, KeyAttributes, SoftHsm};
use paysec::pinverify::ibm3624::{self, DecimalisationTable, ValidationData};
use paysec::pinverify::pvv;
use paysec::tr31::{Exportability, KeyUsage};
use paysec::{Pan, Pin, SecretKey};

use super::SecurityError;

/// The zone master key (ZMK): the key-encryption key (TR-31 usage K0) shared with the gateway,
/// under which new zone PIN keys travel.
pub const ZMK: &str = "zmk";
/// Zone PIN keys (ZPK, usage P0) are named this prefix and a 6-digit generation.
pub const ZPK_PREFIX: &str = "zpk.";
/// The PIN verification key for Visa PVVs (usage V2).
pub const PVK: &str = "pvk";
/// The PIN verification key for IBM 3624 offsets (usage V1).
pub const PVK_IBM: &str = "pvk-ibm";
/// The highest zone key generation (6 digits in field 53).
pub const GENERATION_MAX: u32 = 999_999;

/// The HSM name of zone PIN key generation `generation`, e.g. `zpk.000012`.
pub fn zpk_name(generation: u32) -> String {
    format!("{ZPK_PREFIX}{generation:06}")
}

/// The generation of a zone PIN key name, if it is one.
pub(crate) fn generation_of(name: &str) -> Option<u32> {
    let digits = name.strip_prefix(ZPK_PREFIX)?;
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Field 53 (security related control information, n16) for a format 0 PIN block under zone
/// key generation `generation`: `00`, the generation in 6 digits, then 8 zeros.
pub fn zone_control(generation: u32) -> String {
    format!("00{generation:06}00000000")
}

/// Reads field 53 as [`zone_control`] writes it; the error says what is wrong.
pub fn parse_zone_control(text: &str) -> Result<u32, String> {
    if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be 16 digits".into());
    }
    let (format, rest) = text.split_at(2);
    let (generation, tail) = rest.split_at(6);
    if format != "00" {
        return Err(format!(
            "PIN block format {format} is not handled (only 00, ISO 9564 format 0)"
        ));
    }
    if tail != "00000000" {
        return Err("positions 9 to 16 must be zeros".into());
    }
    generation
        .parse()
        .map_err(|_| "the key generation is not a number".to_owned())
}

/// A new random double-length TDES key with odd parity, from the operating system's generator.
pub fn random_tdes_key() -> Result<SecretKey, SecurityError> {
    let bytes = hsm::os_random(16).map_err(SecurityError::hsm("drawing a random key"))?;
    let key = SecretKey::tdes(&bytes).map_err(|e| SecurityError::Input {
        what: "random key",
        reason: e.to_string(),
    })?;
    Ok(key.with_odd_parity())
}

/// Creates the issuer's HSM in `hsm_dir` (which must not hold one) and imports its keys:
/// `zmk` (K0, not exportable), `zpk.000000` (P0, exportable under the ZMK), `pvk` (V2) and,
/// when given, `pvk-ibm` (V1). The gateway's HSM must get the same `zmk` and `zpk.000000`.
pub fn provision(
    hsm_dir: &Path,
    zmk: &SecretKey,
    zpk0: &SecretKey,
    pvk: &SecretKey,
    pvk_ibm: Option<&SecretKey>,
) -> Result<SoftHsm, SecurityError> {
    let mut soft = SoftHsm::init(hsm_dir).map_err(SecurityError::hsm(format!(
        "creating the HSM in {}",
        hsm_dir.display()
    )))?;
    let mut zmk_attrs = KeyAttributes::for_usage(KeyUsage::KeyEncryption);
    zmk_attrs.exportability = Exportability::NonExportable;
    let zpk0_name = zpk_name(0);
    let mut keys: Vec<(&str, KeyAttributes, &SecretKey)> = vec![
        (ZMK, zmk_attrs, zmk),
        (
            &zpk0_name,
            KeyAttributes::for_usage(KeyUsage::PinEncryption),
            zpk0,
        ),
        (
            PVK,
            KeyAttributes::for_usage(KeyUsage::PinVerificationVisaPvv),
            pvk,
        ),
    ];
    if let Some(key) = pvk_ibm {
        let attrs = KeyAttributes::for_usage(KeyUsage::PinVerificationIbm3624);
        keys.push((PVK_IBM, attrs, key));
    }
    for (name, attrs, key) in keys {
        soft.import_key(name, &attrs, key)
            .map_err(SecurityError::hsm(format!("importing {name}")))?;
    }
    Ok(soft)
}

fn pan(text: &str) -> Result<Pan, SecurityError> {
    Pan::new(text).map_err(|e| SecurityError::Input {
        what: "PAN",
        reason: e.to_string(),
    })
}

fn pin(text: &str) -> Result<Pin, SecurityError> {
    Pin::new(text).map_err(|e| SecurityError::Input {
        what: "PIN",
        reason: e.to_string(),
    })
}

/// The Visa PVV of `pin` on card `pan` under `pvk` with index `pvki`: what set-up writes as a
/// card's `pvv` (with `pvki`) in issuer.toml.
pub fn pvv_for(
    pvk: &SecretKey,
    pan_text: &str,
    pin_text: &str,
    pvki: u8,
) -> Result<String, SecurityError> {
    pvv::generate_pvv(pvk, &pan(pan_text)?, pvki, &pin(pin_text)?).map_err(|e| {
        SecurityError::Input {
            what: "PVV inputs",
            reason: e.to_string(),
        }
    })
}

/// The IBM 3624 validation data the issuer uses: the 11 rightmost PAN digits before the check
/// digit (as the Visa PVV takes them), padded on the right with `F` to 16 hex digits.
pub fn validation_data(pan: &Pan) -> Result<ValidationData, SecurityError> {
    let start = pan
        .len()
        .checked_sub(12)
        .ok_or_else(|| SecurityError::Input {
            what: "PAN",
            reason: format!("{} digits; IBM 3624 validation data needs 12", pan.len()),
        })?;
    ValidationData::from_pan(pan, start, 11, 0xF).map_err(|e| SecurityError::Input {
        what: "PAN",
        reason: e.to_string(),
    })
}

/// The IBM 3624 offset of `pin` on card `pan` under `pvk_ibm` with the issuer's convention
/// (table `0123456789012345`, [`validation_data`]): a card's `pin_offset` in issuer.toml.
pub fn ibm_offset_for(
    pvk_ibm: &SecretKey,
    pan_text: &str,
    pin_text: &str,
) -> Result<String, SecurityError> {
    let pan = pan(pan_text)?;
    let data = validation_data(&pan)?;
    ibm3624::generate_offset(
        pvk_ibm,
        &data,
        &DecimalisationTable::STANDARD,
        &pin(pin_text)?,
    )
    .map_err(|e| SecurityError::Input {
        what: "IBM 3624 inputs",
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_53_layout_and_reading() {
        assert_eq!(zone_control(0), "0000000000000000");
        assert_eq!(zone_control(12), "0000001200000000");
        assert_eq!(parse_zone_control("0000001200000000"), Ok(12));
        assert_eq!(parse_zone_control("0099999900000000"), Ok(999_999));
        assert!(
            parse_zone_control("0100001200000000")
                .unwrap_err()
                .contains("format 01")
        );
        assert!(parse_zone_control("0000001200000001").is_err());
        assert!(parse_zone_control("00000012").is_err());
        assert!(parse_zone_control("00000a1200000000").is_err());
    }

    proptest::proptest! {
        #[test]
        fn field_53_round_trips(generation in 0..=GENERATION_MAX) {
            let text = zone_control(generation);
            proptest::prop_assert_eq!(text.len(), 16);
            proptest::prop_assert_eq!(parse_zone_control(&text), Ok(generation));
            proptest::prop_assert_eq!(generation_of(&zpk_name(generation)), Some(generation));
        }

        #[test]
        fn field_53_reader_takes_any_text(text in "00[0-9]{6}0{8}|[0-9]{14,18}|\\PC{0,20}") {
            if let Ok(generation) = parse_zone_control(&text) {
                proptest::prop_assert_eq!(zone_control(generation), text);
            }
        }
    }

    #[test]
    fn zpk_names_carry_six_digits() {
        assert_eq!(zpk_name(0), "zpk.000000");
        assert_eq!(zpk_name(12), "zpk.000012");
        assert_eq!(generation_of("zpk.000012"), Some(12));
        assert_eq!(generation_of("zpk.12"), None);
        assert_eq!(generation_of("zpk.00001x"), None);
        assert_eq!(generation_of("zmk"), None);
    }

    #[test]
    fn validation_data_is_the_11_digits_before_the_check_digit() {
        let pan = Pan::new("4761739001010010").unwrap();
        // Digits 5 to 15 of the PAN ("73900101001"), then five F nibbles.
        let expected = ValidationData::from_bytes([0x73, 0x90, 0x01, 0x01, 0x00, 0x1F, 0xFF, 0xFF]);
        assert_eq!(validation_data(&pan).unwrap(), expected);
        assert!(validation_data(&Pan::new("12345678901").unwrap()).is_err());
    }

    #[test]
    fn random_keys_differ_and_have_odd_parity() {
        let a = random_tdes_key().unwrap();
        let b = random_tdes_key().unwrap();
        assert_eq!(a.len(), 16);
        assert!(!a.ct_eq(&b));
        a.check_odd_parity().unwrap();
    }
}
