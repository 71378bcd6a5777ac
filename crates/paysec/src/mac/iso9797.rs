//! ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC, ANSI X9.9 when single DES) and MAC algorithm 3
//! (ANSI X9.19 "retail MAC": single-DES CBC, then decrypt with K' and encrypt with K on the
//! last block), with padding methods 1, 2 and 3.

use super::{MacError, check_mac_len, ct_eq};
use crate::cipher::{BlockOps, Tdea, cbc_encrypt_in_place};
use crate::key::{KeyAlgorithm, SecretKey};

/// ISO/IEC 9797-1 padding methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// Method 1: append zero bytes up to a whole block (an empty message becomes one block).
    Method1,
    /// Method 2: append 0x80, then zero bytes up to a whole block.
    Method2,
    /// Method 3: prefix a block holding the message length in bits, then method 1.
    Method3,
}

/// Pads `data` to whole `block_len` blocks.
pub fn pad(data: &[u8], padding: Padding, block_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 2 * block_len);
    if padding == Padding::Method3 {
        let bits = (data.len() as u128).saturating_mul(8).to_be_bytes();
        let start = bits.len().saturating_sub(block_len);
        out.resize(block_len.saturating_sub(bits.len()), 0);
        out.extend_from_slice(bits.get(start..).unwrap_or(&[]));
    }
    out.extend_from_slice(data);
    if padding == Padding::Method2 {
        out.push(0x80);
    }
    let body_len = out.len()
        - if padding == Padding::Method3 {
            block_len
        } else {
            0
        };
    let rem = out.len() % block_len;
    if rem != 0 {
        out.resize(out.len() + block_len - rem, 0);
    } else if body_len == 0 {
        out.resize(out.len() + block_len, 0);
    }
    out
}

/// MAC algorithm 1: CBC-MAC under the key (DES, TDES or AES), truncated to `mac_len_bytes`.
pub fn mac_algorithm_1(
    key: &SecretKey,
    data: &[u8],
    padding: Padding,
    mac_len_bytes: usize,
) -> Result<Vec<u8>, MacError> {
    let block_len =
        key.algorithm()
            .block_len()
            .ok_or(crate::cipher::CipherError::WrongKeyAlgorithm {
                found: key.algorithm(),
                expected: "a TDES or AES key",
            })?;
    check_mac_len(mac_len_bytes, block_len)?;
    let mut buf = pad(data, padding, block_len);
    cbc_encrypt_in_place(key, &vec![0u8; block_len], &mut buf)?;
    let start = buf.len() - block_len;
    Ok(buf
        .get(start..start + mac_len_bytes)
        .map(<[u8]>::to_vec)
        .unwrap_or_default())
}

/// MAC algorithm 3 (ANSI X9.19 retail MAC) under a 16-byte TDES key K || K'.
pub fn mac_algorithm_3(
    key: &SecretKey,
    data: &[u8],
    padding: Padding,
    mac_len_bytes: usize,
) -> Result<Vec<u8>, MacError> {
    check_mac_len(mac_len_bytes, 8)?;
    let full = retail_mac_block(key, data, padding)?;
    Ok(full
        .get(..mac_len_bytes)
        .map(<[u8]>::to_vec)
        .unwrap_or_default())
}

/// The full 8-byte algorithm-3 output.
pub(crate) fn retail_mac_block(
    key: &SecretKey,
    data: &[u8],
    padding: Padding,
) -> Result<[u8; 8], MacError> {
    let bytes = key.as_bytes();
    let (Some((k, k_prime)), KeyAlgorithm::Tdes) =
        (bytes.split_first_chunk::<8>(), key.algorithm())
    else {
        return Err(MacError::KeyLength {
            algorithm: "ISO 9797-1 MAC algorithm 3",
            expected_len_bytes: 16,
            len_bytes: bytes.len(),
        });
    };
    if k_prime.len() != 8 {
        return Err(MacError::KeyLength {
            algorithm: "ISO 9797-1 MAC algorithm 3",
            expected_len_bytes: 16,
            len_bytes: bytes.len(),
        });
    }
    let (Some(des_k), Some(des_k_prime)) = (Tdea::from_bytes(k), Tdea::from_bytes(k_prime)) else {
        return Err(MacError::KeyLength {
            algorithm: "ISO 9797-1 MAC algorithm 3",
            expected_len_bytes: 16,
            len_bytes: bytes.len(),
        });
    };
    let mut buf = pad(data, padding, 8);
    let mut chain = crate::cipher::cbc_encrypt_with::<8, _>(&des_k, [0u8; 8], &mut buf)
        .map_err(MacError::from)?;
    des_k_prime.decrypt(&mut chain);
    des_k.encrypt(&mut chain);
    Ok(chain)
}

/// Verifies an algorithm-3 MAC of any length 4..=8 in constant time.
pub fn verify_mac_algorithm_3(
    key: &SecretKey,
    data: &[u8],
    padding: Padding,
    mac: &[u8],
) -> Result<(), MacError> {
    let expected = mac_algorithm_3(key, data, padding, mac.len())?;
    if ct_eq(&expected, mac) {
        Ok(())
    } else {
        Err(MacError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    const NOW: &[u8] = b"Now is the time for all ";

    #[test]
    fn ansi_x9_9_and_x9_19_examples() {
        // The classic ANSI X9.9 / ISO 9797-1 example: "Now is the time for all ", K =
        // 0123456789ABCDEF gives CBC-MAC 70A30640CC76DD8B; with K' = FEDCBA9876543210 the
        // X9.19 retail MAC is A1C72E74EA3FA9B6.
        let k = SecretKey::tdes(&h("0123456789ABCDEF")).unwrap();
        assert_eq!(
            hex::encode_upper(mac_algorithm_1(&k, NOW, Padding::Method1, 8).unwrap()),
            "70A30640CC76DD8B"
        );
        let kk = SecretKey::tdes(&h("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        assert_eq!(
            hex::encode_upper(mac_algorithm_3(&kk, NOW, Padding::Method1, 8).unwrap()),
            "A1C72E74EA3FA9B6"
        );
        assert_eq!(
            verify_mac_algorithm_3(&kk, NOW, Padding::Method1, &h("A1C72E74")),
            Ok(())
        );
        assert_eq!(
            verify_mac_algorithm_3(&kk, NOW, Padding::Method1, &h("A1C72E75")),
            Err(MacError::Mismatch)
        );
    }

    #[test]
    fn padding_methods() {
        assert_eq!(pad(b"", Padding::Method1, 8), vec![0u8; 8]);
        assert_eq!(pad(&h("1234"), Padding::Method1, 8), h("1234000000000000"));
        assert_eq!(pad(&h("1234"), Padding::Method2, 8), h("1234800000000000"));
        assert_eq!(
            pad(&h("0102030405060708"), Padding::Method2, 8),
            h("01020304050607088000000000000000")
        );
        // psec docs: pad_iso_3(1234) = 0000000000000010 1234000000000000.
        assert_eq!(
            pad(&h("1234"), Padding::Method3, 8),
            h("00000000000000101234000000000000")
        );
        assert_eq!(
            pad(b"", Padding::Method3, 8),
            h("00000000000000000000000000000000")
        );
    }

    #[test]
    fn algorithm_3_needs_double_length_key() {
        let k = SecretKey::tdes(&[1u8; 24]).unwrap();
        assert_eq!(
            mac_algorithm_3(&k, b"x", Padding::Method1, 8),
            Err(MacError::KeyLength {
                algorithm: "ISO 9797-1 MAC algorithm 3",
                expected_len_bytes: 16,
                len_bytes: 24
            })
        );
    }
}
