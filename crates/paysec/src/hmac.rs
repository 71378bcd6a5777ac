//! HMAC-SHA-256 (RFC 2104 over FIPS 180-4), for AES DUKPT's HMAC key usages.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::key::SecretKey;

const BLOCK_LEN: usize = 64;

/// HMAC-SHA-256 of `data` under the key's bytes.
pub fn hmac_sha256(key: &SecretKey, data: &[u8]) -> [u8; 32] {
    hmac_sha256_raw(key.as_bytes(), data)
}

fn hmac_sha256_raw(raw: &[u8], data: &[u8]) -> [u8; 32] {
    let mut k0 = Zeroizing::new([0u8; BLOCK_LEN]);
    if raw.len() > BLOCK_LEN {
        let digest = Sha256::digest(raw);
        for (d, s) in k0.iter_mut().zip(digest.iter()) {
            *d = *s;
        }
    } else {
        for (d, s) in k0.iter_mut().zip(raw) {
            *d = *s;
        }
    }
    let mut ipad = Zeroizing::new([0x36u8; BLOCK_LEN]);
    let mut opad = Zeroizing::new([0x5Cu8; BLOCK_LEN]);
    for ((i, o), k) in ipad.iter_mut().zip(opad.iter_mut()).zip(k0.iter()) {
        *i ^= k;
        *o ^= k;
    }
    let inner = Sha256::new()
        .chain_update(&ipad[..])
        .chain_update(data)
        .finalize();
    let outer = Sha256::new()
        .chain_update(&opad[..])
        .chain_update(inner)
        .finalize();
    let mut out = [0u8; 32];
    for (d, s) in out.iter_mut().zip(outer.iter()) {
        *d = *s;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_cases_1_2_and_6() {
        // RFC 4231 section 4.2: key = 20 x 0x0b, data "Hi There".
        assert_eq!(
            hex::encode(hmac_sha256_raw(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // RFC 4231 section 4.3: key "Jefe".
        assert_eq!(
            hex::encode(hmac_sha256_raw(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 4231 section 4.7: a 131-byte key, longer than the block, is hashed first.
        assert_eq!(
            hex::encode(hmac_sha256_raw(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn keyed_through_secret_key() {
        let key = SecretKey::hmac(&[0x0b; 16]).unwrap();
        assert_eq!(hmac_sha256(&key, b"x"), hmac_sha256_raw(&[0x0b; 16], b"x"));
    }
}
