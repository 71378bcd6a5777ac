//! Offline data authentication (EMV Book 2 sections 5 and 6): recovering the issuer and ICC
//! public keys from their certificates, and checking SDA, DDA and CDA signatures.
//!
//! Every function is pure: the state machine gathers the card's data and calls these.

use sha1::{Digest, Sha1};
use thiserror::Error;

use super::config::{Capk, Date};
use super::rsa_raw::recover;

/// Why offline data authentication failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OdaError {
    /// No CAPK for the card's RID and index (tag 8F).
    #[error("no CA public key for RID {rid} index {index:02X}")]
    CapkNotFound {
        /// RID as hex.
        rid: String,
        /// CA public key index.
        index: u8,
    },
    /// A data object ODA needs is absent.
    #[error("tag {tag:X} needed for offline data authentication is missing")]
    MissingData {
        /// The tag.
        tag: u32,
    },
    /// A certificate or signature whose length is not the key's modulus length.
    #[error("{key} signature is {signature_len} bytes, the modulus {modulus_len}")]
    SignatureLength {
        /// Which key.
        key: &'static str,
        /// Bytes of signature.
        signature_len: usize,
        /// Bytes of modulus.
        modulus_len: usize,
    },
    /// A signature not smaller than the modulus.
    #[error("{key} signature is not smaller than the modulus")]
    SignatureTooLarge {
        /// Which key.
        key: &'static str,
    },
    /// A key that cannot be used (even modulus, zero exponent, too short).
    #[error("{key} is not a usable RSA public key")]
    BadKey {
        /// Which key.
        key: &'static str,
    },
    /// Recovered data without the `6A` header or `BC` trailer, or with the wrong format.
    #[error("recovered {what}: header, trailer or format byte wrong")]
    Format {
        /// What was recovered.
        what: &'static str,
    },
    /// Hash or public-key algorithm indicator other than `01` (SHA-1, RSA).
    #[error("{what}: unsupported algorithm indicator")]
    Algorithm {
        /// What was recovered.
        what: &'static str,
    },
    /// Hash in the recovered data does not match the data.
    #[error("{what}: hash mismatch")]
    Hash {
        /// What was recovered.
        what: &'static str,
    },
    /// Certificate expiry before the transaction date.
    #[error("{what} expired")]
    Expired {
        /// Which certificate.
        what: &'static str,
    },
    /// Issuer identifier or PAN in a certificate does not match the card's PAN.
    #[error("{what}: PAN does not match the certificate")]
    Pan {
        /// Which certificate.
        what: &'static str,
    },
    /// Lengths inside the recovered data are inconsistent.
    #[error("{what}: inconsistent lengths")]
    Length {
        /// What was recovered.
        what: &'static str,
    },
    /// CDA: the CID signed differs from the CID returned.
    #[error("CDA: signed CID {signed:02X} differs from returned CID {returned:02X}")]
    CidMismatch {
        /// CID inside the signature.
        signed: u8,
        /// CID in the GENERATE AC answer.
        returned: u8,
    },
}

/// A recovered RSA public key (issuer or ICC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Modulus, big-endian.
    pub modulus: Vec<u8>,
    /// Public exponent, big-endian.
    pub exponent: Vec<u8>,
}

const SHA1_LEN: usize = 20;

fn sha1(parts: &[&[u8]]) -> [u8; SHA1_LEN] {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    let mut out = [0u8; SHA1_LEN];
    out.copy_from_slice(h.finalize().as_slice());
    out
}

/// Recovers `data` with the key and checks `6A`, format byte, `BC`; returns the bytes between
/// the header and the hash, the hash, and the whole recovered block.
struct Opened {
    recovered: Vec<u8>,
}

impl Opened {
    fn open(
        key: &'static str,
        what: &'static str,
        public: (&[u8], &[u8]),
        data: &[u8],
        format: u8,
    ) -> Result<Opened, OdaError> {
        let recovered = recover(key, public.0, public.1, data)?;
        let n = recovered.len();
        if n < 2 + SHA1_LEN + 1
            || recovered.first() != Some(&0x6A)
            || recovered.get(1) != Some(&format)
            || recovered.last() != Some(&0xBC)
        {
            return Err(OdaError::Format { what });
        }
        Ok(Opened { recovered })
    }

    /// Format byte through the byte before the hash (what the hash covers first).
    fn signed_part(&self) -> &[u8] {
        let n = self.recovered.len();
        self.recovered.get(1..n - 1 - SHA1_LEN).unwrap_or(&[])
    }

    fn hash(&self) -> &[u8] {
        let n = self.recovered.len();
        self.recovered.get(n - 1 - SHA1_LEN..n - 1).unwrap_or(&[])
    }

    fn byte(&self, at: usize) -> u8 {
        self.recovered.get(at).copied().unwrap_or(0)
    }

    fn bytes(&self, from: usize, len: usize) -> &[u8] {
        self.recovered.get(from..from + len).unwrap_or(&[])
    }

    fn check_hash(&self, what: &'static str, extra: &[&[u8]]) -> Result<(), OdaError> {
        let mut parts = vec![self.signed_part()];
        parts.extend_from_slice(extra);
        if sha1(&parts).as_slice() == self.hash() {
            Ok(())
        } else {
            Err(OdaError::Hash { what })
        }
    }
}

/// Digits of a cn/BCD value up to the first `F` nibble.
fn digits(bcd: &[u8]) -> Vec<u8> {
    bcd.iter()
        .flat_map(|b| [b >> 4, b & 0x0F])
        .take_while(|d| *d != 0x0F)
        .collect()
}

/// A certificate expiry `MMYY` (n4) checked against the transaction date: valid through the
/// end of its month.
fn check_expiry(what: &'static str, mmyy: &[u8], today: Date) -> Result<(), OdaError> {
    let [mm, yy] = mmyy else {
        return Err(OdaError::Length { what });
    };
    let month = bcd_byte(*mm);
    let year = Date::full_year(bcd_byte(*yy));
    if (year, month) < (today.year, today.month) {
        return Err(OdaError::Expired { what });
    }
    Ok(())
}

fn bcd_byte(b: u8) -> u8 {
    (b >> 4) * 10 + (b & 0x0F)
}

/// Issuer public key from the issuer PK certificate (tag 90) with the CAPK (Book 2 5.3 / 6.3).
pub fn recover_issuer_key(
    capk: &Capk,
    certificate: &[u8],
    remainder: &[u8],
    exponent: &[u8],
    pan: &[u8],
    today: Date,
) -> Result<PublicKey, OdaError> {
    const WHAT: &str = "issuer public key certificate";
    let opened = Opened::open(
        "CA public key",
        WHAT,
        (&capk.modulus, &capk.exponent),
        certificate,
        0x02,
    )?;
    let n_ca = certificate.len();
    if opened.byte(11) != 0x01 || opened.byte(12) != 0x01 {
        return Err(OdaError::Algorithm { what: WHAT });
    }
    opened.check_hash(WHAT, &[remainder, exponent])?;
    let issuer_id = digits(opened.bytes(2, 4));
    let pan_digits = digits(pan);
    if issuer_id.len() < 3 || !pan_digits.starts_with(&issuer_id) {
        return Err(OdaError::Pan { what: WHAT });
    }
    check_expiry(WHAT, opened.bytes(6, 2), today)?;
    let key_len = usize::from(opened.byte(13));
    let exp_len = usize::from(opened.byte(14));
    if exp_len != exponent.len() {
        return Err(OdaError::Length { what: WHAT });
    }
    let modulus = join_key(WHAT, opened.bytes(15, n_ca - 36), remainder, key_len)?;
    Ok(PublicKey {
        modulus,
        exponent: exponent.to_vec(),
    })
}

/// ICC public key from the ICC PK certificate (tag 9F46) with the issuer key (Book 2 6.4).
/// `static_data` is the static data to be authenticated (AFL records and 9F4A tags).
pub fn recover_icc_key(
    issuer: &PublicKey,
    certificate: &[u8],
    remainder: &[u8],
    exponent: &[u8],
    static_data: &[u8],
    pan: &[u8],
    today: Date,
) -> Result<PublicKey, OdaError> {
    const WHAT: &str = "ICC public key certificate";
    let opened = Opened::open(
        "issuer public key",
        WHAT,
        (&issuer.modulus, &issuer.exponent),
        certificate,
        0x04,
    )?;
    let n_i = certificate.len();
    if n_i < 42 || opened.byte(17) != 0x01 || opened.byte(18) != 0x01 {
        return Err(OdaError::Algorithm { what: WHAT });
    }
    opened.check_hash(WHAT, &[remainder, exponent, static_data])?;
    if digits(opened.bytes(2, 10)) != digits(pan) {
        return Err(OdaError::Pan { what: WHAT });
    }
    check_expiry(WHAT, opened.bytes(12, 2), today)?;
    let key_len = usize::from(opened.byte(19));
    let exp_len = usize::from(opened.byte(20));
    if exp_len != exponent.len() {
        return Err(OdaError::Length { what: WHAT });
    }
    let modulus = join_key(WHAT, opened.bytes(21, n_i - 42), remainder, key_len)?;
    Ok(PublicKey {
        modulus,
        exponent: exponent.to_vec(),
    })
}

/// The key's modulus: the leftmost digits from the certificate plus the remainder, or the
/// certificate's field cut to the key length when the key fits (the rest is `BB` padding).
fn join_key(
    what: &'static str,
    in_cert: &[u8],
    remainder: &[u8],
    key_len: usize,
) -> Result<Vec<u8>, OdaError> {
    if key_len <= in_cert.len() {
        return Ok(in_cert.get(..key_len).unwrap_or(&[]).to_vec());
    }
    let mut modulus = in_cert.to_vec();
    modulus.extend_from_slice(remainder);
    if modulus.len() != key_len {
        return Err(OdaError::Length { what });
    }
    Ok(modulus)
}

/// SDA: checks the Signed Static Application Data (tag 93); returns the Data Authentication
/// Code (Book 2 5.4).
pub fn verify_ssad(
    issuer: &PublicKey,
    ssad: &[u8],
    static_data: &[u8],
) -> Result<[u8; 2], OdaError> {
    const WHAT: &str = "signed static application data";
    let opened = Opened::open(
        "issuer public key",
        WHAT,
        (&issuer.modulus, &issuer.exponent),
        ssad,
        0x03,
    )?;
    if opened.byte(2) != 0x01 {
        return Err(OdaError::Algorithm { what: WHAT });
    }
    opened.check_hash(WHAT, &[static_data])?;
    Ok([opened.byte(3), opened.byte(4)])
}

/// The ICC Dynamic Data inside a Signed Dynamic Application Data block (tag 9F4B).
fn open_sdad(
    icc: &PublicKey,
    sdad: &[u8],
    what: &'static str,
    extra: &[&[u8]],
) -> Result<Vec<u8>, OdaError> {
    let opened = Opened::open(
        "ICC public key",
        what,
        (&icc.modulus, &icc.exponent),
        sdad,
        0x05,
    )?;
    if opened.byte(2) != 0x01 {
        return Err(OdaError::Algorithm { what });
    }
    let dynamic_len = usize::from(opened.byte(3));
    if dynamic_len + 25 > sdad.len() {
        return Err(OdaError::Length { what });
    }
    opened.check_hash(what, extra)?;
    Ok(opened.bytes(4, dynamic_len).to_vec())
}

/// DDA: checks the SDAD returned by INTERNAL AUTHENTICATE against the DDOL data sent; returns
/// the ICC Dynamic Number (Book 2 6.5).
pub fn verify_dda(icc: &PublicKey, sdad: &[u8], ddol_data: &[u8]) -> Result<Vec<u8>, OdaError> {
    const WHAT: &str = "DDA signed dynamic application data";
    let dynamic = open_sdad(icc, sdad, WHAT, &[ddol_data])?;
    icc_dynamic_number(WHAT, &dynamic).map(<[u8]>::to_vec)
}

fn icc_dynamic_number<'d>(what: &'static str, dynamic: &'d [u8]) -> Result<&'d [u8], OdaError> {
    let len = usize::from(*dynamic.first().ok_or(OdaError::Length { what })?);
    dynamic.get(1..1 + len).ok_or(OdaError::Length { what })
}

/// What the card returned with a CDA signature, for [`verify_cda`].
pub struct CdaInput<'a> {
    /// The SDAD (tag 9F4B) from the GENERATE AC answer.
    pub sdad: &'a [u8],
    /// The Unpredictable Number (9F37) the terminal sent.
    pub unpredictable_number: &'a [u8],
    /// The CID (9F27) returned.
    pub cid: u8,
    /// PDOL data (GET PROCESSING OPTIONS), CDOL1 data, for the second GENERATE AC also CDOL2
    /// data, then the GENERATE AC answer's TLVs other than 9F4B, in order (Book 2 6.6.1).
    pub transaction_data: &'a [u8],
}

/// CDA: checks the signature on a GENERATE AC answer; returns the Application Cryptogram
/// that was signed (Book 2 6.6.2).
pub fn verify_cda(icc: &PublicKey, input: &CdaInput<'_>) -> Result<[u8; 8], OdaError> {
    const WHAT: &str = "CDA signed dynamic application data";
    let dynamic = open_sdad(icc, input.sdad, WHAT, &[input.unpredictable_number])?;
    let number = icc_dynamic_number(WHAT, &dynamic)?;
    let rest = dynamic
        .get(1 + number.len()..)
        .ok_or(OdaError::Length { what: WHAT })?;
    let [cid, tail @ ..] = rest else {
        return Err(OdaError::Length { what: WHAT });
    };
    let (ac, tail) = tail
        .split_first_chunk::<8>()
        .ok_or(OdaError::Length { what: WHAT })?;
    let hash = tail
        .get(..SHA1_LEN)
        .ok_or(OdaError::Length { what: WHAT })?;
    if *cid != input.cid {
        return Err(OdaError::CidMismatch {
            signed: *cid,
            returned: input.cid,
        });
    }
    if sha1(&[input.transaction_data]).as_slice() != hash {
        return Err(OdaError::Hash {
            what: "CDA transaction data hash code",
        });
    }
    Ok(*ac)
}
