//! Issuer script commands: MACs computed here from the IMK-SMI (and a new PIN enciphered
//! under the IMK-SMC session key) are accepted, anything else refused.

mod common;

use card::app::Card;
use common::*;
use paysec::emv::{derive_common_session_key, issuer_script_mac};

const UN: &str = "11223344";

/// Runs a transaction to the ARQC; returns (ATC, ARQC).
fn to_arqc(c: &mut Card) -> (u16, [u8; 8]) {
    ok(c, "00A4040007F000000001101000");
    ok(c, "80A80000048302097800");
    let r = ok(c, &gen_ac(0x80, &cdol1_data("000000002000", UN)));
    let atc = u16::from_be_bytes(find(&r, 0x9F36).unwrap().try_into().unwrap());
    (atc, find(&r, 0x9F26).unwrap().try_into().unwrap())
}

/// A script command `header` (CLA INS P1 P2) with `payload`, MACed as Book 2 §9.2.1 says.
fn script(c: &Card, header: &str, payload: &[u8], atc: u16, arqc: [u8; 8]) -> Vec<u8> {
    let mk = icc_mk(&keys().imks.smi, c.image());
    let sk = derive_common_session_key(&mk, arqc).unwrap();
    let mut apdu = h(header);
    apdu.push((payload.len() + 8) as u8);
    let mut mac_input = apdu.clone();
    mac_input.extend_from_slice(&atc.to_be_bytes());
    mac_input.extend_from_slice(&arqc);
    mac_input.extend_from_slice(payload);
    apdu.extend_from_slice(payload);
    apdu.extend_from_slice(&issuer_script_mac(&sk, &mac_input, 8).unwrap());
    apdu
}

#[test]
fn application_block_then_unblock() {
    let mut c = card("online-debit");
    let (atc, arqc) = to_arqc(&mut c);
    let block = script(&c, "841E0000", &[], atc, arqc);
    let mut bad = block.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(send_bytes(&mut c, &bad), (vec![], 0x6988));
    assert!(!c.state().app_blocked);
    assert_eq!(send_bytes(&mut c, &block), (vec![], 0x9000));
    assert!(c.state().app_blocked);
    // The second GENERATE AC now declines; the CVR counts two script commands, one failed.
    let r = ok(
        &mut c,
        &gen_ac(0x40, &cdol2_data(b"00", "000000002000", UN)),
    );
    assert_eq!(find(&r, 0x9F27).unwrap(), vec![0x00]);
    assert_eq!(find(&r, 0x9F10).unwrap(), h("06 01 12 03 20 06 28"));
    // Next transaction: SELECT warns, and the unblock script clears it.
    let (_, sw) = send(&mut c, "00A4040007F000000001101000");
    assert_eq!(sw, 0x6283);
    ok(&mut c, "80A80000048302097800");
    let r = ok(&mut c, &gen_ac(0x80, &cdol1_data("000000002000", UN)));
    assert_eq!(
        find(&r, 0x9F27).unwrap(),
        vec![0x00],
        "a blocked app gives AAC"
    );
    // Scripts bind to an ARQC of the current transaction: none here.
    assert_eq!(
        {
            let a = script(&c, "84180000", &[], atc, arqc);
            send_bytes(&mut c, &a)
        }
        .1,
        0x6985
    );
}

#[test]
fn unblock_in_the_same_online_transaction() {
    let mut c = card("online-debit");
    let (atc, arqc) = to_arqc(&mut c);
    assert_eq!(
        {
            let a = script(&c, "841E0000", &[], atc, arqc);
            send_bytes(&mut c, &a)
        }
        .1,
        0x9000
    );
    assert!(c.state().app_blocked);
    // A MAC over another ATC is refused.
    assert_eq!(
        {
            let a = script(&c, "84180000", &[], atc + 1, arqc);
            send_bytes(&mut c, &a)
        }
        .1,
        0x6988
    );
    assert_eq!(
        {
            let a = script(&c, "84180000", &[], atc, arqc);
            send_bytes(&mut c, &a)
        }
        .1,
        0x9000
    );
    assert!(!c.state().app_blocked);
    assert!(c.state().script_failed);
    assert_eq!(c.state().script_commands, 3);
    // Wrong P1/P2 and lengths.
    assert_eq!(send(&mut c, "841E010008 0000000000000000").1, 0x6A86);
    assert_eq!(send(&mut c, "841E000004 00000000").1, 0x6700);
    assert_eq!(
        send(&mut c, "84240002080000000000000000").1,
        0x6A86,
        "no PIN on this card"
    );
    let (_, sw) = send(&mut c, "00A4040007F000000001101000");
    assert_eq!(sw, 0x9000);
}

#[test]
fn pin_unblock_and_pin_change() {
    let mut c = card("offline-pin");
    // Exhaust the PIN tries (T=0 card: VERIFY has no response data, so no 61xx).
    send(&mut c, "00A4040007F000000001101000");
    send(&mut c, "80A80000048302097800");
    for sw in [0x63C2, 0x63C1, 0x63C0] {
        assert_eq!(send(&mut c, "0020008008241299FFFFFFFFFF").1, sw);
    }
    assert_eq!(c.state().pin_try_counter, 0);
    let (atc, arqc) = t0_to_arqc(&mut c);
    let unblock = script(&c, "84240000", &[], atc, arqc);
    assert_eq!(send_bytes(&mut c, &unblock), (vec![], 0x9000));
    assert_eq!(c.state().pin_try_counter, 3);

    // PIN change to 9876: format 2 block enciphered under SK-SMC.
    let mk = icc_mk(&keys().imks.smc, c.image());
    let sk = derive_common_session_key(&mk, arqc).unwrap();
    let block = paysec::cipher::ecb_encrypt(&sk, &h("249876FFFFFFFFFF")).unwrap();
    let change = script(&c, "84240002", &block, atc, arqc);
    let mut tampered = change.clone();
    tampered[6] ^= 0x40;
    assert_eq!(send_bytes(&mut c, &tampered).1, 0x6988);
    assert_eq!(send_bytes(&mut c, &change), (vec![], 0x9000));
    assert_eq!(c.state().changed_pin.as_deref(), Some("9876"));
    // The new PIN works in the next transaction, the old one does not.
    let (_, sw) = send(&mut c, "00A4040007F000000001101000");
    assert_eq!(sw >> 8, 0x61);
    send(&mut c, "80A80000048302097800");
    assert_eq!(send(&mut c, "0020008008241234FFFFFFFFFF").1, 0x63C2);
    assert_eq!(send(&mut c, "0020008008249876FFFFFFFFFF").1, 0x9000);
}

/// Reaches the ARQC on the T=0 card (GENERATE AC answers 61xx, then GET RESPONSE).
fn t0_to_arqc(c: &mut Card) -> (u16, [u8; 8]) {
    let (_, sw) = send(c, "00A4040007F000000001101000");
    assert_eq!(sw >> 8, 0x61);
    let (_, sw) = send(c, "80A80000048302097800");
    assert_eq!(sw >> 8, 0x61);
    let (_, sw) = send(c, &gen_ac(0x80, &cdol1_data("000000002000", UN))[..]);
    assert_eq!(sw >> 8, 0x61);
    let r = ok(c, &format!("00C00000{:02X}", sw & 0xFF));
    assert_eq!(find(&r, 0x9F27).unwrap(), vec![0x80]);
    let atc = u16::from_be_bytes(find(&r, 0x9F36).unwrap().try_into().unwrap());
    (atc, find(&r, 0x9F26).unwrap().try_into().unwrap())
}
