//! A test PKI: signs issuer and ICC public key certificates, SSAD and SDAD in the EMV Book 2
//! formats (sections 5.2, 5.3, 6.2–6.6) with the fixed keys of `keys.rs`.

use rsa::BoxedUint;
use sha1::{Digest, Sha1};

use super::keys::*;
use super::{PAN, RID, hex};
use emv::kernel::Capk;

pub const CAPK_INDEX: u8 = 0x92;

/// Raw RSA private-key operation `m^d mod n`.
pub fn sign(n_hex: &str, d_hex: &str, message: &[u8]) -> Vec<u8> {
    let n = hex(n_hex);
    assert_eq!(message.len(), n.len());
    // m^d mod n is an "encryption" with exponent d.
    let key = rsa::PublicKey::new_unchecked(
        BoxedUint::from_be_slice_vartime(&n),
        BoxedUint::from_be_slice_vartime(&hex(d_hex)),
    );
    let out = rsa::hazmat::rsa_encrypt(&key, &BoxedUint::from_be_slice_vartime(message))
        .unwrap()
        .to_be_bytes()
        .to_vec();
    let mut fitted = vec![0u8; n.len()];
    let start = out.len().saturating_sub(n.len());
    fitted[n.len() - (out.len() - start)..].copy_from_slice(&out[start..]);
    fitted
}

pub fn sha1(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

pub fn capk() -> Capk {
    Capk {
        rid: hex(RID).try_into().unwrap(),
        index: CAPK_INDEX,
        modulus: hex(CA_N),
        exponent: vec![3],
    }
}

/// `6A`, `body`, hash of (`body` and `hashed_extra`), `BC`, padded with `BB` inside `body`
/// to the modulus length `n_len`.
fn block(n_len: usize, mut body: Vec<u8>, hashed_extra: &[&[u8]]) -> Vec<u8> {
    body.resize(n_len - 22, 0xBB);
    let mut parts: Vec<&[u8]> = vec![&body];
    parts.extend_from_slice(hashed_extra);
    let hash = sha1(&parts);
    [vec![0x6A], body, hash, vec![0xBC]].concat()
}

/// Issuer PK certificate (tag 90) and remainder (92), Book 2 table 6 layout.
pub fn issuer_certificate(expiry_mmyy: &str, pan_prefix: &str) -> (Vec<u8>, Vec<u8>) {
    let ca_len = hex(CA_N).len();
    let key = hex(ISSUER_N);
    let in_cert = ca_len - 36;
    let (left, remainder) = key.split_at(in_cert.min(key.len()));
    let body = [
        vec![0x02],
        hex(&format!("{pan_prefix:F<8}")),
        hex(expiry_mmyy),
        hex("000001"),
        vec![0x01, 0x01, key.len() as u8, 0x01],
        left.to_vec(),
    ]
    .concat();
    let plain = block(ca_len, body, &[remainder, &[3]]);
    (sign(CA_N, CA_D, &plain), remainder.to_vec())
}

/// ICC PK certificate (9F46) and remainder (9F48), Book 2 table 14 layout.
pub fn icc_certificate(expiry_mmyy: &str, static_data: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let issuer_len = hex(ISSUER_N).len();
    let key = hex(ICC_N);
    let in_cert = issuer_len - 42;
    let (left, remainder) = key.split_at(in_cert.min(key.len()));
    let body = [
        vec![0x04],
        hex(&format!("{PAN:F<20}")),
        hex(expiry_mmyy),
        hex("000002"),
        vec![0x01, 0x01, key.len() as u8, 0x01],
        left.to_vec(),
    ]
    .concat();
    let plain = block(issuer_len, body, &[remainder, &[3], static_data]);
    (sign(ISSUER_N, ISSUER_D, &plain), remainder.to_vec())
}

/// Signed Static Application Data (93), Book 2 table 7 layout.
pub fn ssad(static_data: &[u8]) -> Vec<u8> {
    let n = hex(ISSUER_N).len();
    let plain = block(n, vec![0x03, 0x01, 0xDA, 0xC1], &[static_data]);
    sign(ISSUER_N, ISSUER_D, &plain)
}

/// DDA Signed Dynamic Application Data (9F4B), Book 2 table 17 layout.
pub fn sdad_dda(icc_dynamic_number: &[u8], ddol_data: &[u8]) -> Vec<u8> {
    let n = hex(ICC_N).len();
    let dynamic = [
        vec![icc_dynamic_number.len() as u8],
        icc_dynamic_number.to_vec(),
    ]
    .concat();
    let body = [vec![0x05, 0x01, dynamic.len() as u8], dynamic].concat();
    sign(ICC_N, ICC_D, &block(n, body, &[ddol_data]))
}

/// CDA SDAD, Book 2 table 19 (ICC dynamic data per table 20).
pub fn sdad_cda(cid: u8, ac: &[u8], transaction_data: &[u8], un: &[u8]) -> Vec<u8> {
    let n = hex(ICC_N).len();
    let number = hex("0102030405060708");
    let dynamic = [
        vec![number.len() as u8],
        number,
        vec![cid],
        ac.to_vec(),
        sha1(&[transaction_data]),
    ]
    .concat();
    let body = [vec![0x05, 0x01, dynamic.len() as u8], dynamic].concat();
    sign(ICC_N, ICC_D, &block(n, body, &[un]))
}
