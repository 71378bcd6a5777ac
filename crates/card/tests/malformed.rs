//! Malformed and out-of-order commands get the right status word; arbitrary bytes never
//! panic and always get a status word.

mod common;

use common::*;
use proptest::prelude::*;

#[test]
fn status_words_for_malformed_commands() {
    let mut c = card("online-debit");
    let cases: &[(&str, u16)] = &[
        ("", 0x6700),
        ("00", 0x6700),
        ("00A404", 0x6700),
        ("00A404000AA000", 0x6700), // Lc says 10, 2 bytes follow
        ("00A40400000007F0000000011010", 0x6700), // extended length
        ("FFA4040000", 0x6E00),
        ("10A4040000", 0x6E00),
        ("00FF000000", 0x6D00),
        ("80A4040007F000000001101000", 0x6D00),
        ("00C0000000", 0x6D00), // GET RESPONSE on a T=1 card
        ("00A4050007F000000001101000", 0x6A86),
        ("00A4040107F000000001101000", 0x6A86),
        ("00A4040000", 0x6700),
        ("00A4040004F000000000", 0x6A82),
        ("00A4040007A000000003101000", 0x6A82),
        ("80A80000028300", 0x6985), // GPO before SELECT
        ("00B2010C00", 0x6985),     // READ RECORD before SELECT
        ("80CA9F3600", 0x6985),
        ("00880000041122334400", 0x6985),
        ("00840000", 0x6700),
        ("0084000100", 0x6A86),
    ];
    for (apdu, sw) in cases {
        assert_eq!(send(&mut c, apdu).1, *sw, "{apdu}");
    }
    ok(&mut c, "00A4040007F000000001101000");
    let cases: &[(&str, u16)] = &[
        ("00B2000C00", 0x6A86), // record 0
        ("00B2010800", 0x6A86), // P2 without 100
        ("00B2010400", 0x6A86), // SFI 0
        ("80AE800000", 0x6985), // GENERATE AC before GPO
        ("80A8010002830000", 0x6A86),
        ("80A800000283000000", 0x6700),
        ("80A80000028300", 0x6700), // PDOL wants 2 bytes
        ("80A80000048402097800", 0x6A80),
        ("80A800000483030978", 0x6700),
        ("80CA9F4F00", 0x6A88),
        ("0020008008241234FFFFFFFFFF", 0x6A88), // no offline PIN
        ("008200000A00000000000000003030", 0x6985),
    ];
    for (apdu, sw) in cases {
        assert_eq!(send(&mut c, apdu).1, *sw, "{apdu}");
    }
    ok(&mut c, "80A80000048302097800");
    let cases: &[(&str, u16)] = &[
        ("80A80000048302097800", 0x6985), // GPO twice
        ("80AEC0000100", 0x6A86),         // RFU cryptogram type
        ("80AE800100", 0x6A86),
        ("80AE840000", 0x6A86), // RFU bit in P1
        ("80AE80000100", 0x6700),
        ("00880000021122", 0x6700), // DDOL wants 4 bytes
        ("00880100041122334400", 0x6A86),
        ("841E000008000000000000000000", 0x6985), // script without ARQC
        ("00840000 08", 0x9000),
    ];
    for (apdu, sw) in cases {
        assert_eq!(send(&mut c, apdu).1, *sw, "{apdu}");
    }
    // Power cycle: the transaction is gone, the ATC stays.
    c.reset();
    assert_eq!(send(&mut c, "80A80000048302097800").1, 0x6985);
    assert_eq!(c.state().atc, 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_apdus_never_panic(
        apdus in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..12),
        profile in 0usize..6,
    ) {
        let mut c = card(card::profile::SHIPPED[profile].0);
        // Start from a selected, initiated application so deeper handlers are reached too.
        c.transmit(&h("00A4040007F000000001101000"));
        c.transmit(&h("80A80000048302097800"));
        for a in &apdus {
            let r = c.transmit(a);
            prop_assert!(r.len() >= 2);
        }
    }

    #[test]
    fn headers_with_plausible_bodies_never_panic(
        cla in prop::sample::select(vec![0x00u8, 0x80, 0x84]),
        ins in any::<u8>(), p1 in any::<u8>(), p2 in any::<u8>(),
        data in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut c = card("offline-credit");
        c.transmit(&h("00A4040007F000000001201000"));
        c.transmit(&h("80A80000048302097800"));
        let mut apdu = vec![cla, ins, p1, p2];
        if !data.is_empty() {
            apdu.push(data.len() as u8);
            apdu.extend_from_slice(&data);
        }
        apdu.push(0);
        prop_assert!(c.transmit(&apdu).len() >= 2);
    }
}
