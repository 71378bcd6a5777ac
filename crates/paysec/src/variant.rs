//! Key variants: a key XORed with a fixed mask, so one key yields distinct keys per use
//! (DUKPT's PIN and MAC variants, HSM key-type variants).

use crate::key::SecretKey;

/// A mask that does not fit the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("variant mask is {mask_len_bytes} bytes but the key is {key_len_bytes}")]
pub struct VariantError {
    /// The key's length.
    pub key_len_bytes: usize,
    /// The mask's length.
    pub mask_len_bytes: usize,
}

/// `key XOR mask`, with the mask exactly as long as the key.
pub fn xor_mask(key: &SecretKey, mask: &[u8]) -> Result<SecretKey, VariantError> {
    if mask.len() != key.len() {
        return Err(VariantError {
            key_len_bytes: key.len(),
            mask_len_bytes: mask.len(),
        });
    }
    Ok(key.map_bytes(|b| {
        for (x, m) in b.iter_mut().zip(mask) {
            *x ^= m;
        }
    }))
}

/// XORs `variant` into the first byte of every 8-byte part of the key (the variant scheme of
/// many HSMs' key-type tables).
pub fn xor_first_byte_of_each_part(key: &SecretKey, variant: u8) -> SecretKey {
    key.map_bytes(|b| {
        for part in b.chunks_mut(8) {
            if let Some(first) = part.first_mut() {
                *first ^= variant;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dukpt_pin_variant() {
        // ANSI X9.24-1:2009 A.4: the KSN ...E00001 key 042666B49184CFA368DE9628D0397BC9 with the
        // PIN variant gives the PIN key 042666B49184CF5C68DE9628D0397B36.
        let k = SecretKey::tdes(&hex::decode("042666B49184CFA368DE9628D0397BC9").unwrap()).unwrap();
        let mask = hex::decode("00000000000000FF00000000000000FF").unwrap();
        let pin_key = xor_mask(&k, &mask).unwrap();
        assert_eq!(
            hex::encode_upper(pin_key.as_bytes()),
            "042666B49184CF5C68DE9628D0397B36"
        );
        assert_eq!(
            xor_mask(&k, &mask[..8]).unwrap_err(),
            VariantError {
                key_len_bytes: 16,
                mask_len_bytes: 8
            }
        );
    }

    #[test]
    fn first_byte_variant_like_psec_docs() {
        // psec.des.apply_key_variant(0123456789ABCDEF, 1) = 0923456789ABCDEF (variant byte 8 * 1).
        let k = SecretKey::tdes(&hex::decode("0123456789ABCDEF").unwrap()).unwrap();
        let v = xor_first_byte_of_each_part(&k, 0x08);
        assert_eq!(hex::encode_upper(v.as_bytes()), "0923456789ABCDEF");
    }
}
