//! The signed blocks of offline data authentication (EMV Book 2 §5–6), built and signed
//! with raw RSA and SHA-1: the issuer and ICC public key certificates, signed static
//! application data (SDA) and signed dynamic application data (DDA, CDA).

use sha1::{Digest, Sha1};

use crate::error::PersoError;
use crate::rsa_key::RsaKey;

/// Header and trailer of every recovered EMV RSA block.
const HEADER: u8 = 0x6A;
const TRAILER: u8 = 0xBC;
/// Padding byte inside certificates and signed data.
const PAD: u8 = 0xBB;
/// Hash algorithm indicator: SHA-1.
const HASH_SHA1: u8 = 0x01;
/// Public key algorithm indicator: RSA.
const PK_RSA: u8 = 0x01;

/// A signed certificate plus the modulus bytes that did not fit in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    /// The RSA-signed certificate (tag 90 or 9F46).
    pub signed: Vec<u8>,
    /// Public key remainder (tag 92 or 9F48); empty when the whole key fits.
    pub remainder: Vec<u8>,
}

fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Frames `body` as 6A || body || SHA-1(body || extra) || BC and signs it with `key`.
fn sign_block(key: &RsaKey, body: &[u8], extra: &[&[u8]]) -> Result<Vec<u8>, PersoError> {
    let mut parts: Vec<&[u8]> = vec![body];
    parts.extend_from_slice(extra);
    let hash = sha1(&parts);
    let mut block = Vec::with_capacity(body.len() + 22);
    block.push(HEADER);
    block.extend_from_slice(body);
    block.extend_from_slice(&hash);
    block.push(TRAILER);
    Ok(key.sign_raw(&block)?)
}

/// The leftmost part of a public key that fits `room` bytes (padded with BB) and the rest.
fn split_key(modulus: &[u8], room: usize) -> (Vec<u8>, Vec<u8>) {
    if modulus.len() <= room {
        let mut left = modulus.to_vec();
        left.resize(room, PAD);
        (left, Vec::new())
    } else {
        let (l, r) = modulus.split_at(room);
        (l.to_vec(), r.to_vec())
    }
}

/// Which certificate: the format byte and the size of the identifier field.
struct CertKind {
    format: u8,
    what: &'static str,
}

#[allow(clippy::too_many_arguments)]
fn certificate(
    kind: CertKind,
    signer: &RsaKey,
    identifier: &[u8],
    expiry_mmyy: [u8; 2],
    serial: [u8; 3],
    subject: &RsaKey,
    static_data: &[u8],
) -> Result<Certificate, PersoError> {
    let n = signer.modulus().len();
    let subject_n = subject.modulus();
    let subject_e = subject.exponent();
    // Everything but the key: header, format, identifier, expiry, serial, two algorithm
    // indicators, two lengths, hash and trailer.
    let fixed = 1 + 1 + identifier.len() + 2 + 3 + 1 + 1 + 1 + 1 + 20 + 1;
    let room = n.checked_sub(fixed).ok_or(PersoError::KeySize {
        what: kind.what,
        len_bytes: subject_n.len(),
        cert_len_bytes: n,
    })?;
    if subject_n.len() > n || subject_n.len() > 255 || subject_e.len() > 3 {
        return Err(PersoError::KeySize {
            what: kind.what,
            len_bytes: subject_n.len(),
            cert_len_bytes: n,
        });
    }
    let (left, remainder) = split_key(&subject_n, room);
    let mut body = vec![kind.format];
    body.extend_from_slice(identifier);
    body.extend_from_slice(&expiry_mmyy);
    body.extend_from_slice(&serial);
    body.push(HASH_SHA1);
    body.push(PK_RSA);
    body.push(subject_n.len() as u8);
    body.push(subject_e.len() as u8);
    body.extend_from_slice(&left);
    let signed = sign_block(signer, &body, &[&remainder, &subject_e, static_data])?;
    Ok(Certificate { signed, remainder })
}

/// Issuer public key certificate (Book 2 §5.3, Table 6), format 02, signed by the CA.
/// `issuer_id` is the leftmost 3–8 PAN digits padded with F (4 bytes).
pub fn issuer_certificate(
    ca: &RsaKey,
    issuer: &RsaKey,
    issuer_id: [u8; 4],
    expiry_mmyy: [u8; 2],
    serial: [u8; 3],
) -> Result<Certificate, PersoError> {
    certificate(
        CertKind {
            format: 0x02,
            what: "issuer public key",
        },
        ca,
        &issuer_id,
        expiry_mmyy,
        serial,
        issuer,
        &[],
    )
}

/// ICC public key certificate (Book 2 §6.4, Table 14), format 04, signed by the issuer; its
/// hash also covers the static data to be authenticated. `pan` is the PAN padded with F
/// (10 bytes).
pub fn icc_certificate(
    issuer: &RsaKey,
    icc: &RsaKey,
    pan: [u8; 10],
    expiry_mmyy: [u8; 2],
    serial: [u8; 3],
    static_data: &[u8],
) -> Result<Certificate, PersoError> {
    certificate(
        CertKind {
            format: 0x04,
            what: "ICC public key",
        },
        issuer,
        &pan,
        expiry_mmyy,
        serial,
        icc,
        static_data,
    )
}

/// Signed static application data (Book 2 §5.4, Table 7), format 03, signed by the issuer.
pub fn signed_static_data(
    issuer: &RsaKey,
    dac: [u8; 2],
    static_data: &[u8],
) -> Result<Vec<u8>, PersoError> {
    let n = issuer.modulus().len();
    let pad_len = n.saturating_sub(26);
    let mut body = vec![0x03, HASH_SHA1];
    body.extend_from_slice(&dac);
    body.resize(body.len() + pad_len, PAD);
    sign_block(issuer, &body, &[static_data])
}

/// Signed dynamic application data (Book 2 §6.5.2 for DDA, §6.6.1 for CDA), format 05:
/// `icc_dynamic_data` padded with BB to N_IC − 25, the hash also covering
/// `terminal_dynamic_data` (the DDOL data for DDA, the unpredictable number for CDA).
pub fn signed_dynamic_data(
    icc: &RsaKey,
    icc_dynamic_data: &[u8],
    terminal_dynamic_data: &[u8],
) -> Result<Vec<u8>, PersoError> {
    let n = icc.modulus().len();
    let ldd = icc_dynamic_data.len();
    let room = n.saturating_sub(25);
    if ldd > room || ldd > 255 {
        return Err(PersoError::KeySize {
            what: "ICC dynamic data",
            len_bytes: ldd,
            cert_len_bytes: n,
        });
    }
    let mut body = vec![0x05, HASH_SHA1, ldd as u8];
    body.extend_from_slice(icc_dynamic_data);
    body.resize(3 + room, PAD);
    sign_block(icc, &body, &[terminal_dynamic_data])
}
