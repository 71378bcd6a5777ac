//! EMV common session key derivation (Book 2 A1.3.1): from an 8-byte diversification value R,
//! `SK = TDES(MK, R0 R1 F0 R3..R7) || TDES(MK, R0 R1 0F R3..R7)`, with odd parity.

use zeroize::Zeroizing;

use super::{EmvError, double_length};
use crate::cipher::tdes_encrypt_block;
use crate::key::SecretKey;
use crate::parity::fix_odd_parity;

/// R for application cryptogram session keys: `ATC || 00 00 || UN` (Book 2 A1.3.1).
pub fn ac_diversification(atc: u16, unpredictable_number: [u8; 4]) -> [u8; 8] {
    let [a0, a1] = atc.to_be_bytes();
    let [u0, u1, u2, u3] = unpredictable_number;
    [a0, a1, 0, 0, u0, u1, u2, u3]
}

/// The common session key for diversification value `r` (ATC || 00 00 || UN for cryptograms;
/// the ARQC for secure messaging keys; any scheme-defined value).
pub fn derive_common_session_key(mk: &SecretKey, r: [u8; 8]) -> Result<SecretKey, EmvError> {
    let key = Zeroizing::new(double_length("common session key derivation", mk)?);
    let mut left = r;
    let mut right = r;
    if let (Some(l), Some(rr)) = (left.get_mut(2), right.get_mut(2)) {
        *l = 0xF0;
        *rr = 0x0F;
    }
    tdes_encrypt_block(&key[..], &mut left);
    tdes_encrypt_block(&key[..], &mut right);
    let mut sk = Zeroizing::new([0u8; 16]);
    let (l, rr) = sk.split_at_mut(8);
    l.copy_from_slice(&left);
    rr.copy_from_slice(&right);
    fix_odd_parity(&mut sk[..]);
    SecretKey::tdes(&sk[..]).map_err(|_| EmvError::KeyKind {
        step: "common session key derivation",
        algorithm: mk.algorithm(),
        len_bytes: 16,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyemv_doc_example() {
        // pyemv docs (kd.derive_common_sk): MK 0123456789ABCDEFFEDCBA9876543210,
        // R 001C000000000000 → E9FB384AF807B940FEDCEA613461B0C4.
        let mk =
            SecretKey::tdes(&hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap()).unwrap();
        let sk = derive_common_session_key(&mk, ac_diversification(0x001C, [0; 4])).unwrap();
        assert_eq!(
            hex::encode_upper(sk.as_bytes()),
            "E9FB384AF807B940FEDCEA613461B0C4"
        );
    }

    #[test]
    fn needs_double_length_key() {
        let mk = SecretKey::tdes(&[1u8; 24]).unwrap();
        assert!(matches!(
            derive_common_session_key(&mk, [0; 8]),
            Err(EmvError::KeyKind { len_bytes: 24, .. })
        ));
    }
}
