//! Raw RSA public-key recovery (EMV Book 2 section 5.1 and Annex A2.1): the certificate or
//! signature is raised to the public exponent with no padding scheme; EMV's own format bytes
//! (`6A` … `BC`) and hash take the padding's place.

use rsa::BoxedUint;
use rsa::hazmat::rsa_encrypt;

use super::OdaError;

/// `data ^ exponent mod modulus`, as many bytes as the modulus. `data` must be exactly as
/// long as the modulus and smaller than it; the modulus must be odd.
pub(crate) fn recover(
    key: &'static str,
    modulus: &[u8],
    exponent: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, OdaError> {
    if data.len() != modulus.len() {
        return Err(OdaError::SignatureLength {
            key,
            signature_len: data.len(),
            modulus_len: modulus.len(),
        });
    }
    let odd = modulus.last().is_some_and(|b| b & 1 == 1);
    if !odd || exponent.iter().all(|b| *b == 0) {
        return Err(OdaError::BadKey { key });
    }
    // Same length, big-endian: byte order is numeric order.
    if data >= modulus {
        return Err(OdaError::SignatureTooLarge { key });
    }
    let n = BoxedUint::from_be_slice_vartime(modulus);
    let e = BoxedUint::from_be_slice_vartime(exponent);
    let m = BoxedUint::from_be_slice_vartime(data);
    let public = rsa::PublicKey::new_unchecked(n, e);
    let out = rsa_encrypt(&public, &m).map_err(|_| OdaError::BadKey { key })?;
    let bytes = out.to_be_bytes();
    let mut fitted = vec![0u8; modulus.len()];
    let take = bytes.len().min(modulus.len());
    if let (Some(dst), Some(src)) = (
        fitted.get_mut(modulus.len() - take..),
        bytes.get(bytes.len() - take..),
    ) {
        dst.copy_from_slice(src);
    }
    Ok(fitted)
}
