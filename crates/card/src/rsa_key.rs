//! Raw RSA as EMV offline data authentication uses it (Book 2 §5–6): no padding scheme,
//! the certificate or signed-data block itself is the integer that is exponentiated.

use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BoxedUint, PrivateKey};
use serde::{Deserialize, Serialize};

use crate::error::KeyError;

/// An RSA private key in the hex form kept in key files (big-endian, upper or lower case).
#[derive(Clone, Serialize, Deserialize)]
pub struct RsaKeyHex {
    /// Modulus n.
    pub n: String,
    /// Public exponent e (3 or 65537).
    pub e: String,
    /// Private exponent d.
    pub d: String,
    /// First prime factor.
    pub p: String,
    /// Second prime factor.
    pub q: String,
}

impl core::fmt::Debug for RsaKeyHex {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaKeyHex")
            .field("n", &self.n)
            .field("e", &self.e)
            .finish_non_exhaustive()
    }
}

/// An RSA key pair used for raw signing (the card's and the test PKI's side).
#[derive(Clone)]
pub struct RsaKey {
    key: PrivateKey,
}

impl core::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaKey")
            .field("modulus_bits", &(self.modulus().len() * 8))
            .field("exponent", &paysec::hex::encode_upper(&self.exponent()))
            .finish_non_exhaustive()
    }
}

fn big(field: &'static str, text: &str) -> Result<BoxedUint, KeyError> {
    let bytes = paysec::hex::decode(text.trim().as_bytes())
        .map_err(|offset| KeyError::Hex { field, offset })?;
    Ok(BoxedUint::from_be_slice_vartime(&bytes))
}

fn trimmed(b: &[u8]) -> Vec<u8> {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or(&[]).to_vec()
}

impl RsaKey {
    /// Builds the key from its hex components, checking that they form a valid key.
    pub fn from_hex(field: &'static str, h: &RsaKeyHex) -> Result<Self, KeyError> {
        let n = big(field, &h.n)?;
        let e = big(field, &h.e)?;
        let d = big(field, &h.d)?;
        let p = big(field, &h.p)?;
        let q = big(field, &h.q)?;
        let key = PrivateKey::from_components(n, e, d, vec![p, q]).map_err(|e| KeyError::Rsa {
            field,
            reason: e.to_string(),
        })?;
        Ok(RsaKey { key })
    }

    /// Generates a fresh key of `bits` with public exponent `e` from the OS RNG (slow in
    /// debug builds: seconds for 1024 bits).
    pub fn generate(bits: usize, e: u64) -> Result<Self, KeyError> {
        let mut rng = getrandom::SysRng;
        let key = PrivateKey::new_with_exp_unchecked(&mut rng, bits, BoxedUint::from(e)).map_err(
            |err| KeyError::Rsa {
                field: "generated key",
                reason: err.to_string(),
            },
        )?;
        Ok(RsaKey { key })
    }

    /// The components in hex, for key files.
    pub fn to_hex(&self) -> RsaKeyHex {
        let hx = |b: &BoxedUint| paysec::hex::encode_upper(&trimmed(&b.to_be_bytes()));
        let primes = self.key.primes();
        RsaKeyHex {
            n: paysec::hex::encode_upper(&self.modulus()),
            e: paysec::hex::encode_upper(&self.exponent()),
            d: hx(self.key.d()),
            p: primes.first().map(|p| hx(p.as_ref())).unwrap_or_default(),
            q: primes.get(1).map(|p| hx(p.as_ref())).unwrap_or_default(),
        }
    }

    /// The modulus, big-endian without leading zeros (its length is N in Book 2).
    pub fn modulus(&self) -> Vec<u8> {
        trimmed(&self.key.n().as_ref().to_be_bytes())
    }

    /// The public exponent, big-endian without leading zeros (`03` or `010001`).
    pub fn exponent(&self) -> Vec<u8> {
        trimmed(&self.key.e().to_be_bytes())
    }

    /// The raw private operation `block^d mod n`; `block` must be as long as the modulus
    /// and smaller than it (EMV blocks start with 6A, the modulus with its top bit set).
    pub fn sign_raw(&self, block: &[u8]) -> Result<Vec<u8>, KeyError> {
        let n_len = self.modulus().len();
        if block.len() != n_len {
            return Err(KeyError::BlockLength {
                len_bytes: block.len(),
                modulus_len_bytes: n_len,
            });
        }
        let c = BoxedUint::from_be_slice(block, self.key.n_bits_precision()).map_err(|e| {
            KeyError::Rsa {
                field: "signature block",
                reason: e.to_string(),
            }
        })?;
        let m =
            rsa::hazmat::rsa_decrypt::<getrandom::SysRng>(None, &self.key, &c).map_err(|e| {
                KeyError::Rsa {
                    field: "signature block",
                    reason: e.to_string(),
                }
            })?;
        Ok(left_pad(&m.to_be_bytes(), n_len))
    }
}

/// `bytes` right-aligned in `len` bytes (leading zeros added or removed).
pub(crate) fn left_pad(bytes: &[u8], len: usize) -> Vec<u8> {
    let t = trimmed(bytes);
    let mut out = vec![0u8; len.saturating_sub(t.len())];
    out.extend_from_slice(&t);
    out
}

/// The raw public operation `sig^e mod n` (what a terminal does to recover a certificate);
/// used by tests and tools to check what the card signed.
pub fn recover_raw(modulus: &[u8], exponent: &[u8], sig: &[u8]) -> Result<Vec<u8>, KeyError> {
    let n = BoxedUint::from_be_slice_vartime(modulus);
    let e = BoxedUint::from_be_slice_vartime(exponent);
    if modulus.last().is_none_or(|b| b & 1 != 1) || sig.len() != modulus.len() {
        return Err(KeyError::BlockLength {
            len_bytes: sig.len(),
            modulus_len_bytes: modulus.len(),
        });
    }
    let public = rsa::PublicKey::new_unchecked(n.clone(), e);
    let s = BoxedUint::from_be_slice(sig, n.bits_precision()).map_err(|e| KeyError::Rsa {
        field: "signature",
        reason: e.to_string(),
    })?;
    if s >= n {
        return Err(KeyError::Rsa {
            field: "signature",
            reason: "not below the modulus".into(),
        });
    }
    let m = rsa::hazmat::rsa_encrypt(&public, &s).map_err(|e| KeyError::Rsa {
        field: "signature",
        reason: e.to_string(),
    })?;
    Ok(left_pad(&m.to_be_bytes(), modulus.len()))
}
