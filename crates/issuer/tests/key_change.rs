//! The zone key change (0800, field 70 = 161): a new random zone PIN key stored in the issuer's
//! HSM as the next generation and sent under the ZMK as a TR-31 key block (field 48), its
//! generation in field 53. The gateway's side is played by a second SoftHsm holding the same
//! ZMK, as set-up makes it.

mod common;
mod pin_common;

use common::*;
use hsm::{Hsm, KeyAttributes, PinBlockRef, PinKeyRef, PinZoneRef, SoftHsm};
use issuer::Disposition;
use issuer::security::{ZMK, zone_control, zpk_name};
use paysec::Pan;
use paysec::pinblock::PinBlockFormat;
use paysec::tr31::KeyUsage;
use pin_common::*;

fn key_change(stan: u32) -> Req {
    Req::new("0800")
        .set(7, format!("0615{:06}", 100_000 + stan))
        .set(11, format!("{stan:06}"))
        .set(70, "161")
}

/// The gateway's HSM: the same ZMK and generation 0, as set-up provisions both sides.
fn gateway_hsm(dir: &std::path::Path) -> SoftHsm {
    let mut gw = SoftHsm::init(dir).unwrap();
    gw.import_key(
        ZMK,
        &KeyAttributes::for_usage(KeyUsage::KeyEncryption),
        &zmk(),
    )
    .unwrap();
    gw.import_key(
        &zpk_name(0),
        &KeyAttributes::for_usage(KeyUsage::PinEncryption),
        &zpk0(),
    )
    .unwrap();
    gw
}

/// A PIN block the gateway's HSM makes under its zone key `generation` (translated from a
/// generation-0 block, as it would translate from the terminal's DUKPT key).
fn gateway_block(gw: &SoftHsm, pin: &str, pan: &str, generation: u32) -> Vec<u8> {
    let from = pin_block(&zpk0(), pin, pan);
    let to = zpk_name(generation);
    gw.translate_pin(
        &PinBlockRef {
            key: PinKeyRef::Zone(&zpk_name(0)),
            format: PinBlockFormat::Iso0,
            block: &from,
        },
        &PinZoneRef {
            zpk: &to,
            format: PinBlockFormat::Iso0,
        },
        Some(&Pan::new(pan).unwrap()),
    )
    .unwrap()
}

fn kcv(hsm: &SoftHsm, name: &str) -> String {
    hsm.key_info(name).unwrap().kcv.unwrap().hex
}

#[test]
fn the_new_key_reaches_the_gateway_and_pins_verify_under_it() {
    let site = Site::new();
    let mut b = site.bank();
    let gw_dir = site.dir.path().join("gateway-hsm");
    let mut gw = gateway_hsm(&gw_dir);

    let answer = b.answer(&key_change(1));
    assert_eq!(answer.disposition, Disposition::Decided);
    let reply = read(&answer);
    assert_eq!(reply.mti, "0810");
    assert_eq!(reply.code(), "00");
    assert_eq!(reply.fields[&70], "161");
    assert_eq!(reply.fields[&11], "000001");
    assert_eq!(reply.fields[&53], "0000000100000000");
    let block = &reply.fields[&48];
    // TR-31 version B (TDES key block protection key), usage P0, TDES.
    assert_eq!(&block[..1], "B");
    assert_eq!(&block[5..8], "P0T");
    assert_eq!(
        b.issuer.security().unwrap().current_generation().unwrap(),
        1
    );

    // The gateway imports it under the shared ZMK and gets the key the issuer stored (the
    // issuer's HSM reopened from disk: the new key is durable).
    let imported = gw
        .import_tr31(&zpk_name(1), ZMK, block, Some(KeyUsage::PinEncryption))
        .unwrap();
    let issuer_hsm = SoftHsm::open(&site.hsm_dir).unwrap();
    let issuer_kcv = kcv(&issuer_hsm, &zpk_name(1));
    assert_eq!(imported.kcv.unwrap().hex, issuer_kcv);
    assert_ne!(issuer_kcv, kcv(&issuer_hsm, &zpk_name(0)), "a new key");
    assert!(answer.reason.contains(&issuer_kcv), "{}", answer.reason);

    // A PIN block under the new key verifies; so does one under the previous generation.
    let new = gateway_block(&gw, ALICE_PIN, ALICE, 1);
    let req = with_pin(purchase(ALICE, 100, 2), &new, 1);
    assert_eq!(b.send(&req).code(), "00");
    let wrong = gateway_block(&gw, "0000", ALICE, 1);
    assert_eq!(
        b.send(&with_pin(purchase(ALICE, 100, 3), &wrong, 1)).code(),
        "55"
    );
    let old = pin_block(&zpk0(), ALICE_PIN, ALICE);
    assert_eq!(
        b.send(&with_pin(purchase(ALICE, 100, 4), &old, 0)).code(),
        "00"
    );
    b.assert_audit_clean();
}

#[test]
fn a_second_change_retires_generation_0_and_a_retry_makes_no_new_key() {
    let site = Site::new();
    let mut b = site.bank();
    let gw_dir = site.dir.path().join("gateway-hsm");
    let mut gw = gateway_hsm(&gw_dir);

    let first = b.answer(&key_change(1));
    // The gateway timed out and sends the same request again: the same key comes back.
    let retry = b.answer(&key_change(1));
    assert_eq!(retry.disposition, Disposition::Replayed);
    assert_eq!(retry.response, first.response);
    assert_eq!(
        b.issuer.security().unwrap().current_generation().unwrap(),
        1
    );
    let second = read(&b.answer(&key_change(2)));
    assert_eq!(second.fields[&53], zone_control(2));
    gw.import_tr31(
        &zpk_name(1),
        ZMK,
        &read(&first).fields[&48],
        Some(KeyUsage::PinEncryption),
    )
    .unwrap();
    gw.import_tr31(&zpk_name(2), ZMK, &second.fields[&48], None)
        .unwrap();
    let issuer_hsm = SoftHsm::open(&site.hsm_dir).unwrap();
    let names: Vec<String> = issuer_hsm
        .list_keys()
        .into_iter()
        .map(|k| k.name)
        .filter(|n| n.starts_with("zpk."))
        .collect();
    assert_eq!(names, ["zpk.000000", "zpk.000001", "zpk.000002"]);
    for g in 1..=2 {
        assert_eq!(kcv(&gw, &zpk_name(g)), kcv(&issuer_hsm, &zpk_name(g)));
    }

    // Generation 0 is now older than the previous one: 96, and the count is not touched even
    // for a wrong PIN.
    let old_wrong = pin_block(&zpk0(), "0000", ALICE);
    let answer = b.answer(&with_pin(purchase(ALICE, 100, 3), &old_wrong, 0));
    assert_eq!(read(&answer).code(), "96");
    assert_eq!(b.issuer.pin_tries(&b.ledger, ALICE).unwrap(), 0);
    // Generations 1 (previous) and 2 (current) verify.
    for (stan, g) in [(4, 1), (5, 2)] {
        let block = gateway_block(&gw, ALICE_PIN, ALICE, g);
        let req = with_pin(purchase(ALICE, 100, stan), &block, g);
        assert_eq!(b.send(&req).code(), "00", "generation {g}");
    }
    // After a restart the HSM's newest key is current again.
    let now = b.now;
    drop(b);
    let mut b = site.open(now);
    assert_eq!(
        b.issuer.security().unwrap().current_generation().unwrap(),
        2
    );
    let block = gateway_block(&gw, ALICE_PIN, ALICE, 2);
    assert_eq!(
        b.send(&with_pin(purchase(ALICE, 100, 6), &block, 2)).code(),
        "00"
    );
    b.assert_audit_clean();
}

#[test]
fn other_network_codes_are_unchanged_with_an_hsm() {
    let site = Site::new();
    let mut b = site.bank();
    for (code, expected) in [("001", "00"), ("002", "00"), ("301", "00"), ("999", "12")] {
        let reply = b.send(&key_change(1).set(70, code));
        assert_eq!(reply.code(), expected, "{code}");
        assert!(!reply.fields.contains_key(&48));
    }
    assert_eq!(
        b.issuer.security().unwrap().current_generation().unwrap(),
        0
    );
}
