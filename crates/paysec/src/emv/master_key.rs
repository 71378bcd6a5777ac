//! ICC master key derivation (EMV Book 2 A1.4): the card's unique key from the issuer master
//! key (IMK), the PAN and the PAN sequence number (PSN).

use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use super::{EmvError, double_length};
use crate::cipher::tdes_encrypt_block;
use crate::digits::{Pan, decimalise_two_pass, right_justify};
use crate::key::SecretKey;
use crate::parity::fix_odd_parity;

/// PAN || PSN as decimal digits; the PSN is 00 when the card has none.
fn pan_psn_digits(pan: &Pan, psn: Option<u8>) -> Result<Vec<u8>, EmvError> {
    let psn = psn.unwrap_or(0);
    if psn > 99 {
        return Err(EmvError::PanSequenceNumber(psn));
    }
    let mut d = pan.digits().to_vec();
    d.push(psn / 10);
    d.push(psn % 10);
    Ok(d)
}

/// `Z = TDES(IMK, Y) || TDES(IMK, Y XOR FF..FF)` with odd parity forced.
fn from_y(imk: &SecretKey, y_digits: &[u8; 16]) -> Result<SecretKey, EmvError> {
    let key = Zeroizing::new(double_length("ICC master key derivation", imk)?);
    let mut left = crate::pinblock::pack16(y_digits);
    let mut right = left.map(|b| !b);
    tdes_encrypt_block(&key[..], &mut left);
    tdes_encrypt_block(&key[..], &mut right);
    let mut mk = Zeroizing::new([0u8; 16]);
    let (l, r) = mk.split_at_mut(8);
    l.copy_from_slice(&left);
    r.copy_from_slice(&right);
    fix_odd_parity(&mut mk[..]);
    SecretKey::tdes(&mk[..]).map_err(|_| EmvError::KeyKind {
        step: "ICC master key derivation",
        algorithm: imk.algorithm(),
        len_bytes: 16,
    })
}

/// Option A: Y is the rightmost 16 digits of PAN || PSN (zero-padded on the left).
pub fn derive_icc_master_key_a(
    imk: &SecretKey,
    pan: &Pan,
    psn: Option<u8>,
) -> Result<SecretKey, EmvError> {
    let digits = pan_psn_digits(pan, psn)?;
    from_y(imk, &right_justify::<16>(&digits))
}

/// Option B, for PANs longer than 16 digits: Y is 16 decimal digits taken from
/// SHA-1(PAN || PSN) (digits first, then A-F as 0-5). PANs of 16 digits or fewer use option A,
/// as Book 2 prescribes.
pub fn derive_icc_master_key_b(
    imk: &SecretKey,
    pan: &Pan,
    psn: Option<u8>,
) -> Result<SecretKey, EmvError> {
    if pan.len() <= 16 {
        return derive_icc_master_key_a(imk, pan, psn);
    }
    let mut digits = pan_psn_digits(pan, psn)?;
    if digits.len() % 2 == 1 {
        digits.insert(0, 0);
    }
    let packed: Vec<u8> = digits
        .as_chunks::<2>()
        .0
        .iter()
        .map(|[h, l]| (h << 4) | l)
        .collect();
    let hash = Sha1::digest(&packed);
    let nibbles: Vec<u8> = hash.iter().flat_map(|b| [b >> 4, b & 0x0F]).collect();
    let y = decimalise_two_pass(&nibbles, 16);
    from_y(imk, &right_justify::<16>(&y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imk() -> SecretKey {
        SecretKey::tdes(&hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap()).unwrap()
    }

    #[test]
    fn pyemv_doc_examples() {
        // pyemv docs (kd.py): IMK 0123456789ABCDEFFEDCBA9876543210.
        let pan = Pan::new("12345678901234567").unwrap();
        let a = derive_icc_master_key_a(&imk(), &pan, Some(1)).unwrap();
        assert_eq!(
            hex::encode_upper(a.as_bytes()),
            "73AD54688CEF2934B0979857E3C719F1"
        );
        let b = derive_icc_master_key_b(&imk(), &pan, Some(1)).unwrap();
        assert_eq!(
            hex::encode_upper(b.as_bytes()),
            "AD406D7F6D7570916D75E5DCAB8CF737"
        );
        let pan = Pan::new("99012345678901234").unwrap();
        let a = derive_icc_master_key_a(&imk(), &pan, Some(45)).unwrap();
        assert_eq!(
            hex::encode_upper(a.as_bytes()),
            "67F8292358083E5EA7AB7FDA58D53B6B"
        );
    }

    #[test]
    fn option_b_is_option_a_for_short_pans() {
        let pan = Pan::new("4761739001010010").unwrap();
        let a = derive_icc_master_key_a(&imk(), &pan, None).unwrap();
        let b = derive_icc_master_key_b(&imk(), &pan, None).unwrap();
        assert!(a.ct_eq(&b));
        assert!(a.check_odd_parity().is_ok());
        assert_eq!(
            derive_icc_master_key_a(&imk(), &pan, Some(100)).unwrap_err(),
            EmvError::PanSequenceNumber(100)
        );
    }
}
