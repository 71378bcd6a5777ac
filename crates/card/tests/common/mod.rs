//! A minimal terminal for the card's tests, written independently of the card's code:
//! APDU helpers, RSA recovery with num-bigint, certificate checks by EMV Book 2 §5–6, and
//! cryptograms recomputed from the issuer master keys with paysec.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use card::app::Card;
use card::keys::KeySet;
use card::perso::{CardImage, personalise};
use card::profile::Profile;
use card::state::CardState;
use emv::Tag;
use num_bigint::BigUint;
use paysec::SecretKey;
use sha1::{Digest, Sha1};

pub fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

pub fn keys() -> KeySet {
    KeySet::test_keys().unwrap()
}

/// The personalised image of a shipped profile, made once per test binary (RSA signing).
pub fn image(profile: &str) -> CardImage {
    static CACHE: OnceLock<Mutex<HashMap<String, CardImage>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap();
    map.entry(profile.to_string())
        .or_insert_with(|| personalise(&Profile::shipped(profile).unwrap(), &keys()).unwrap())
        .clone()
}

/// A card whose random source counts 0x11, 0x12, … so results are reproducible.
pub fn card(profile: &str) -> Card {
    let image = image(profile);
    let state = CardState::new(&image.profile);
    let mut next = 0x11u8;
    Card::new(
        image,
        state,
        Box::new(move |out: &mut [u8]| {
            for b in out {
                *b = next;
                next = next.wrapping_add(1);
            }
        }),
    )
}

/// Sends an APDU (hex) and returns (data, SW).
pub fn send(card: &mut Card, apdu: &str) -> (Vec<u8>, u16) {
    send_bytes(card, &h(apdu))
}

pub fn send_bytes(card: &mut Card, apdu: &[u8]) -> (Vec<u8>, u16) {
    let r = card.transmit(apdu);
    assert!(r.len() >= 2, "response shorter than SW: {r:02X?}");
    let (data, sw) = r.split_at(r.len() - 2);
    (data.to_vec(), u16::from_be_bytes([sw[0], sw[1]]))
}

/// Sends and expects SW 9000, returning the data.
pub fn ok(card: &mut Card, apdu: &str) -> Vec<u8> {
    let (data, sw) = send(card, apdu);
    assert_eq!(sw, 0x9000, "{apdu} answered {sw:04X}");
    data
}

/// Finds a primitive tag anywhere in a BER-TLV buffer.
pub fn find(data: &[u8], tag: u32) -> Option<Vec<u8>> {
    emv::tlv::find(data, Tag::new(tag))
        .unwrap()
        .map(<[u8]>::to_vec)
}

pub fn modpow(block: &[u8], e: &[u8], n: &[u8]) -> Vec<u8> {
    let m = BigUint::from_bytes_be(block)
        .modpow(&BigUint::from_bytes_be(e), &BigUint::from_bytes_be(n));
    let b = m.to_bytes_be();
    let mut out = vec![0u8; n.len() - b.len()];
    out.extend_from_slice(&b);
    out
}

pub fn sha1(parts: &[&[u8]]) -> Vec<u8> {
    let mut s = Sha1::new();
    for p in parts {
        s.update(p);
    }
    s.finalize().to_vec()
}

/// Recovers a certificate and checks header, format, trailer and hash (Book 2 §5.3, §6.4);
/// returns the recovered public key (modulus, exponent) or why it failed.
#[allow(clippy::too_many_arguments)]
pub fn recover_cert(
    cert: &[u8],
    signer_n: &[u8],
    signer_e: &[u8],
    format: u8,
    id_len: usize,
    remainder: &[u8],
    exponent: &[u8],
    static_data: &[u8],
) -> Result<Vec<u8>, String> {
    if cert.len() != signer_n.len() {
        return Err("length".into());
    }
    let x = modpow(cert, signer_e, signer_n);
    let n = x.len();
    if x[0] != 0x6A || x[n - 1] != 0xBC || x[1] != format {
        return Err(format!(
            "header/trailer/format {:02X} {:02X} {:02X}",
            x[0],
            x[1],
            x[n - 1]
        ));
    }
    let body = &x[1..n - 21];
    let hash = &x[n - 21..n - 1];
    if sha1(&[body, remainder, exponent, static_data]) != hash {
        return Err("hash".into());
    }
    let pk_len_at = 1 + id_len + 2 + 3 + 2;
    let pk_len = x[1 + pk_len_at] as usize;
    let left = &x[1 + pk_len_at + 2..n - 21];
    let mut key = left[..pk_len.min(left.len())].to_vec();
    key.extend_from_slice(remainder);
    Ok(key)
}

/// ICC master key of `imk` for the image's PAN and PSN, derived here from the profile.
pub fn icc_mk(imk: &SecretKey, image: &CardImage) -> SecretKey {
    let pan = paysec::Pan::new(&image.profile.pan).unwrap();
    paysec::emv::derive_icc_master_key_a(imk, &pan, Some(image.profile.psn)).unwrap()
}

/// The AC session key from the IMK-AC, as the issuer computes it.
pub fn issuer_sk_ac(image: &CardImage, atc: u16, un: [u8; 4]) -> SecretKey {
    let mk = icc_mk(&keys().imks.ac, image);
    paysec::emv::derive_common_session_key(&mk, paysec::emv::ac_diversification(atc, un)).unwrap()
}

/// CDOL1 data in the shipped profiles' order: amount, other amount, country, TVR, currency,
/// date, type, UN.
pub fn cdol1_data(amount: &str, un: &str) -> String {
    format!("{amount}000000000000097800000080000978260115 00{un}")
}

/// CDOL2 data: ARC then the CDOL1 fields.
pub fn cdol2_data(arc: &[u8; 2], amount: &str, un: &str) -> String {
    format!("{}{}", hex::encode_upper(arc), cdol1_data(amount, un))
}

/// GENERATE AC command with P1 and data (hex).
pub fn gen_ac(p1: u8, data: &str) -> String {
    let d = h(data);
    format!("80AE{p1:02X}00{:02X}{}00", d.len(), hex::encode_upper(d))
}
