//! Key files, profiles, state files, the CAPK and ATRs.

mod common;

use card::keys::KeySet;
use card::profile::{Profile, Transport};
use card::state::CardState;
use common::*;

#[test]
fn key_file_round_trips_and_sizes_are_as_documented() {
    let k = keys();
    assert_eq!(k.ca.modulus().len(), 128);
    assert_eq!(k.ca.exponent(), vec![3]);
    assert_eq!(k.issuer.modulus().len(), 128);
    assert_eq!(k.issuer.exponent(), vec![1, 0, 1]);
    assert_eq!(k.icc_key("offline-credit").unwrap().modulus().len(), 96);
    let again = KeySet::from_toml(&k.to_toml().unwrap()).unwrap();
    assert_eq!(again.ca.modulus(), k.ca.modulus());
    assert_eq!(again.issuer.to_hex().d, k.issuer.to_hex().d);
    assert!(KeySet::from_toml("imk_ac = \"00\"").is_err());
    // Debug never shows private parts.
    let text = format!("{k:?}");
    assert!(!text.contains(&k.ca.to_hex().d), "{text}");
}

#[test]
fn capk_checksum_is_sha1_of_rid_index_modulus_exponent() {
    let capk = image("online-debit").capk;
    let mut data = h("F000000001F1");
    data.extend_from_slice(&capk.modulus);
    data.extend_from_slice(&[3]);
    assert_eq!(capk.checksum.to_vec(), sha1(&[&data]));
    assert!(capk.checksum_ok());
}

#[test]
fn state_round_trips_through_toml() {
    let p = Profile::shipped("offline-pin").unwrap();
    let mut s = CardState::new(&p);
    assert_eq!((s.atc, s.pin_try_counter, s.app_blocked), (0, 3, false));
    s.atc = 41;
    s.changed_pin = Some("9876".into());
    let text = s.to_toml().unwrap();
    assert_eq!(CardState::from_toml(&text).unwrap(), s);
    assert!(!format!("{s:?}").contains("9876"));
    assert!(CardState::from_toml("atc = \"x\"").is_err());
    assert!(CardState::new(&Profile::shipped("blocked").unwrap()).app_blocked);
}

#[test]
fn atrs_and_masked_pan() {
    // T=1 ATR: TCK makes the XOR of T0..TCK zero (ISO/IEC 7816-3 §8.2.5).
    let t1 = card::atr::atr(Transport::T1);
    assert_eq!(t1, h("3BE000008131FE45 EB"));
    assert_eq!(t1[1..].iter().fold(0u8, |a, b| a ^ b), 0);
    assert_eq!(card::atr::atr(Transport::T0), h("3B600000"));
    assert_eq!(card::masked_pan("4761739001010010"), "476173******0010");
    let p = Profile::shipped("online-debit").unwrap();
    assert!(!format!("{p:?}").contains("4761739001010010"));
    assert!(Profile::shipped("nope").is_err());
}

#[test]
fn bad_profiles_are_refused_with_the_field() {
    let text = card::profile::SHIPPED[0]
        .1
        .replace("aid = \"F0000000011010\"", "aid = \"A0000000031010\"");
    let p = Profile::from_toml("x", &text).unwrap();
    let e = card::perso::personalise(&p, &keys()).unwrap_err();
    assert!(e.to_string().contains("aid"), "{e}");
    let text = card::profile::SHIPPED[0].1.replace(
        "cdol1 = \"9F02069F03069F1A0295055F2A029A039C019F3704\"",
        "cdol1 = \"9F02069F\"",
    );
    let p = Profile::from_toml("x", &text).unwrap();
    assert!(card::perso::personalise(&p, &keys()).is_err());
    assert!(Profile::from_toml("x", "name = 1").is_err());
}
