//! Wrapping and unwrapping whole key blocks.

use zeroize::Zeroizing;

use super::derive::derive_block_keys;
use super::header::Header;
use super::{Algorithm, Tr31Error};
use crate::cipher::{cbc_decrypt_in_place, cbc_encrypt_in_place};
use crate::key::{KeyAlgorithm, SecretKey};
use crate::mac::cmac::cmac;
use crate::rng::ByteSource;

/// A key taken out of a key block, with the header that describes it.
pub struct Unwrapped {
    /// The authenticated header.
    pub header: Header,
    /// The clear key bytes (wiped on drop).
    pub key: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for Unwrapped {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Unwrapped")
            .field("header", &self.header)
            .field("key_len_bytes", &self.key.len())
            .finish()
    }
}

impl Unwrapped {
    /// The key as a [`SecretKey`] for the header's algorithm (T, D: TDES; A: AES; H: HMAC).
    pub fn secret_key(&self) -> Result<SecretKey, Tr31Error> {
        let algorithm = match self.header.algorithm {
            Algorithm::Tdes | Algorithm::Des => KeyAlgorithm::Tdes,
            Algorithm::Aes => KeyAlgorithm::Aes,
            Algorithm::Hmac => KeyAlgorithm::Hmac,
            _ => {
                return Err(Tr31Error::KeyLength {
                    bits: self.key.len() * 8,
                    reason: "the header's algorithm is not a symmetric key algorithm",
                });
            }
        };
        SecretKey::new(algorithm, &self.key).map_err(|_| Tr31Error::KeyLength {
            bits: self.key.len() * 8,
            reason: "not a valid length for the header's algorithm",
        })
    }
}

/// Wraps `key` under `kbpk`. `masked_key_len` (at least the key's length) hides the true
/// length by padding as if the key were that long; the padding bytes come from `rng`.
pub fn wrap(
    kbpk: &SecretKey,
    header: &Header,
    key: &[u8],
    masked_key_len: Option<usize>,
    rng: &mut dyn ByteSource,
) -> Result<String, Tr31Error> {
    let version = header.version;
    let keys = derive_block_keys(version, kbpk)?;
    let block_len = version.block_len();
    let bits = u16::try_from(key.len() * 8).map_err(|_| Tr31Error::TooLong {
        what: "key",
        len: key.len(),
    })?;
    let masked = masked_key_len.unwrap_or(key.len()).max(key.len());
    // A key block holds at most 9999 characters, so longer masks can only fail later; refuse
    // them here before any arithmetic can overflow.
    if masked > 4096 {
        return Err(Tr31Error::TooLong {
            what: "masked key length",
            len: masked,
        });
    }
    let unpadded = 2 + masked;
    let data_len = unpadded.div_ceil(block_len) * block_len;
    let mut data = Zeroizing::new(Vec::with_capacity(data_len));
    data.extend_from_slice(&bits.to_be_bytes());
    data.extend_from_slice(key);
    let mut pad = vec![0u8; data_len - data.len()];
    rng.fill_bytes(&mut pad);
    data.extend_from_slice(&pad);

    let total = header.encoded_len()? + 2 * data_len + 2 * version.mac_len();
    let head = header.encode(total)?;
    let mut mac_input = Zeroizing::new(head.as_bytes().to_vec());
    mac_input.extend_from_slice(&data);
    let mac = cmac(&keys.kbak, &mac_input)?;
    let mac = mac.get(..version.mac_len()).unwrap_or(&[]).to_vec();
    // The MAC of the clear data is the IV, binding the encryption to header and key.
    let iv_full = cmac_iv(&mac, block_len);
    cbc_encrypt_in_place(&keys.kbek, &iv_full, &mut data)?;
    let mut out = head;
    out.push_str(&crate::hex::encode_upper(&data));
    out.push_str(&crate::hex::encode_upper(&mac));
    Ok(out)
}

/// The IV is the MAC (8 bytes for B, 16 for D: both exactly one block).
fn cmac_iv(mac: &[u8], block_len: usize) -> Vec<u8> {
    let mut iv = mac.to_vec();
    iv.resize(block_len, 0);
    iv
}

/// Opens a key block: checks the header, the length, the MAC, and the key length field.
pub fn unwrap(kbpk: &SecretKey, block: &[u8]) -> Result<Unwrapped, Tr31Error> {
    let parsed = Header::parse(block)?;
    if parsed.declared_len != block.len() {
        return Err(Tr31Error::LengthMismatch {
            declared: parsed.declared_len,
            actual: block.len(),
        });
    }
    let version = parsed.header.version;
    let block_len = version.block_len();
    let mac_chars = 2 * version.mac_len();
    let body = block.get(parsed.header_len..).unwrap_or(&[]);
    let key_data_chars = body.len().saturating_sub(mac_chars);
    let bad_len = Tr31Error::KeyDataLength {
        version: version.as_char(),
        len_bytes: key_data_chars / 2,
        block_len_bytes: block_len,
    };
    if body.len() < mac_chars + 2 * block_len || key_data_chars % (2 * block_len) != 0 {
        return Err(bad_len);
    }
    let (data_hex, mac_hex) = body.split_at(key_data_chars);
    let mut data = Zeroizing::new(crate::hex::decode(data_hex).map_err(|i| Tr31Error::Hex {
        offset: parsed.header_len + i,
    })?);
    let mac = crate::hex::decode(mac_hex).map_err(|i| Tr31Error::Hex {
        offset: parsed.header_len + key_data_chars + i,
    })?;
    let keys = derive_block_keys(version, kbpk)?;
    cbc_decrypt_in_place(&keys.kbek, &cmac_iv(&mac, block_len), &mut data)?;
    let header_text = block.get(..parsed.header_len).unwrap_or(&[]);
    let mut mac_input = Zeroizing::new(header_text.to_vec());
    mac_input.extend_from_slice(&data);
    let expected = cmac(&keys.kbak, &mac_input)?;
    if !crate::mac::ct_eq(expected.get(..mac.len()).unwrap_or(&[]), &mac) {
        return Err(Tr31Error::MacMismatch);
    }
    let [hi, lo, ..] = data[..] else {
        return Err(bad_len);
    };
    let bits = usize::from(u16::from_be_bytes([hi, lo]));
    if bits == 0 || bits % 8 != 0 {
        return Err(Tr31Error::KeyLength {
            bits,
            reason: "not a positive whole number of bytes",
        });
    }
    let key = data.get(2..2 + bits / 8).ok_or(Tr31Error::KeyLength {
        bits,
        reason: "longer than the key data",
    })?;
    Ok(Unwrapped {
        header: parsed.header,
        key: Zeroizing::new(key.to_vec()),
    })
}

#[cfg(test)]
mod tests;
