//! Each shipped profile through a scripted transaction, with exact status words and data;
//! cryptograms recomputed from the IMKs, ODA recovered with the CA key.

mod common;

use common::*;
use paysec::emv::{CryptogramPadding, generate_ac, generate_arpc_method1};

const UN: &str = "3804823E";

/// Recovers the issuer and ICC keys from the card's records; Err names the step that failed.
fn recover_icc_key(card: &mut card::app::Card) -> Result<(Vec<u8>, Vec<u8>), String> {
    let image = card.image().clone();
    let r3 = ok(card, "00B2011C00");
    let r4 = ok(card, "00B2021C00");
    let capk = &image.capk;
    assert!(capk.checksum_ok());
    assert_eq!(find(&r3, 0x8F).unwrap(), vec![capk.index]);
    let issuer_e = find(&r3, 0x9F32).unwrap();
    let issuer_n = recover_cert(
        &find(&r3, 0x90).unwrap(),
        &capk.modulus,
        &capk.exponent,
        0x02,
        4,
        &find(&r3, 0x92).unwrap_or_default(),
        &issuer_e,
        &[],
    )
    .map_err(|e| format!("issuer certificate: {e}"))?;
    // Static data: record SFI 2 / 1 without its 70 template, then the AIP (9F4A = 82).
    let r2 = ok(card, "00B2011400");
    let mut static_data = find(&r2, 0x70).unwrap();
    static_data.extend_from_slice(&image.aip);
    let icc_e = find(&r4, 0x9F47).unwrap();
    let icc_n = recover_cert(
        &find(&r4, 0x9F46).unwrap(),
        &issuer_n,
        &issuer_e,
        0x04,
        10,
        &find(&r4, 0x9F48).unwrap_or_default(),
        &icc_e,
        &static_data,
    )
    .map_err(|e| format!("ICC certificate: {e}"))?;
    Ok((icc_n, icc_e))
}

/// Checks signed dynamic data; returns the ICC dynamic data.
fn check_sdad(sdad: &[u8], icc: &(Vec<u8>, Vec<u8>), terminal_data: &[u8]) -> Vec<u8> {
    let x = modpow(sdad, &icc.1, &icc.0);
    let n = x.len();
    assert_eq!((x[0], x[1], x[2], x[n - 1]), (0x6A, 0x05, 0x01, 0xBC));
    let body = &x[1..n - 21];
    assert_eq!(sha1(&[body, terminal_data]), &x[n - 21..n - 1], "SDAD hash");
    let ldd = x[3] as usize;
    assert!(x[4 + ldd..n - 21].iter().all(|&b| b == 0xBB));
    x[4..4 + ldd].to_vec()
}

fn select_app(card: &mut card::app::Card) -> Vec<u8> {
    ok(card, "00A4040007F000000001101000")
}

#[test]
fn online_debit_full_flow_exact_bytes() {
    let mut c = card("online-debit");
    let image = c.image().clone();
    assert_eq!(
        ok(&mut c, "00A404000E315041592E5359532E444446303100"),
        h("6F1A 840E315041592E5359532E4444463031 A508 880101 5F2D02656E")
    );
    assert_eq!(
        ok(&mut c, "00B2010C00"),
        h("701C 611A 4F07F0000000011010 500C504F534E4554204445424954 870101")
    );
    assert_eq!(send(&mut c, "00B2020C00").1, 0x6A83);
    assert_eq!(
        select_app(&mut c),
        h(
            "6F27 8407F0000000011010 A51C 500C504F534E4554204445424954 870101 9F38039F1A02 5F2D02656E"
        )
    );
    assert_eq!(
        ok(&mut c, "80A80000048302097800"),
        h("7712 82023C00 940C 08010100 10010101 18010200")
    );
    let r1 = ok(&mut c, "00B2010C00");
    assert_eq!(
        find(&r1, 0x57).unwrap(),
        h("4761739001010010D30122010000000000")
    );
    assert_eq!(find(&r1, 0x5F20).unwrap(), b"ALICE/TEST");
    let r2 = ok(&mut c, "00B2011400");
    assert_eq!(find(&r2, 0x5A).unwrap(), h("4761739001010010"));
    assert_eq!(find(&r2, 0x5F24).unwrap(), h("301231"));
    assert_eq!(find(&r2, 0x8E).unwrap(), h("000000000000000042035E031F03"));
    assert_eq!(
        find(&r2, 0x8C).unwrap(),
        h("9F02069F03069F1A0295055F2A029A039C019F3704")
    );
    assert_eq!(send(&mut c, "00B2031400").1, 0x6A83);
    assert_eq!(send(&mut c, "00B2012400").1, 0x6A82);

    // DDA: the whole chain from the CAPK down to the dynamic signature.
    let icc = recover_icc_key(&mut c).unwrap();
    assert_eq!(icc.0.len(), 96);
    let ia = ok(&mut c, &format!("0088000004{UN}00"));
    let dynamic = check_sdad(&find(&ia, 0x9F4B).unwrap(), &icc, &h(UN));
    // ICC dynamic number: 8 bytes from the card's random source (0x11, 0x12, ...).
    assert_eq!(dynamic, h("08 1112131415161718"));

    // First GENERATE AC: the terminal asks TC, an online-only card answers ARQC.
    let cdol1 = cdol1_data("000000001500", UN);
    let r = ok(&mut c, &gen_ac(0x40, &cdol1));
    assert_eq!(find(&r, 0x9F27).unwrap(), vec![0x80]);
    assert_eq!(find(&r, 0x9F36).unwrap(), h("0001"));
    let iad = find(&r, 0x9F10).unwrap();
    assert_eq!(iad, h("06 01 12 03A00002"));
    let arqc: [u8; 8] = find(&r, 0x9F26).unwrap().try_into().unwrap();
    let sk = issuer_sk_ac(&image, 1, h(UN).try_into().unwrap());
    let mut input = h(&cdol1);
    input.extend_from_slice(&h("3C00 0001"));
    input.extend_from_slice(&iad[3..]);
    assert_eq!(
        generate_ac(&sk, &input, CryptogramPadding::Method2).unwrap(),
        arqc
    );

    // Issuer authentication with ARPC method 1 and ARC "00", then the TC.
    let arpc = generate_arpc_method1(&sk, &arqc, *b"00").unwrap();
    let ea = format!("008200000A{}3030", hex::encode_upper(arpc));
    assert_eq!(send(&mut c, &ea), (vec![], 0x9000));
    assert_eq!(
        send(&mut c, &ea).1,
        0x6985,
        "a second EXTERNAL AUTHENTICATE"
    );
    let cdol2 = cdol2_data(b"00", "000000001500", UN);
    let r = ok(&mut c, &gen_ac(0x40, &cdol2));
    assert_eq!(find(&r, 0x9F27).unwrap(), vec![0x40]);
    let iad = find(&r, 0x9F10).unwrap();
    assert_eq!(iad, h("06 01 12 03600002"));
    let mut input = h(&cdol2);
    input.extend_from_slice(&h("3C00 0001"));
    input.extend_from_slice(&iad[3..]);
    let tc = generate_ac(&sk, &input, CryptogramPadding::Method2).unwrap();
    assert_eq!(find(&r, 0x9F26).unwrap(), tc);
    assert_eq!(
        send(&mut c, &gen_ac(0x40, &cdol2)).1,
        0x6985,
        "no third GENERATE AC"
    );

    assert_eq!(ok(&mut c, "80CA9F3600"), h("9F36020001"));
    assert_eq!(ok(&mut c, "80CA9F1300"), h("9F13020001"));
    assert_eq!(
        send(&mut c, "80CA9F1700").1,
        0x6A88,
        "no offline PIN on this card"
    );
    assert_eq!(c.state().consecutive_offline, 0);
}

#[test]
fn wrong_arpc_fails_issuer_authentication_and_the_card_declines() {
    let mut c = card("online-debit");
    select_app(&mut c);
    ok(&mut c, "80A80000048302097800");
    let r = ok(&mut c, &gen_ac(0x80, &cdol1_data("000000001500", UN)));
    assert_eq!(find(&r, 0x9F27).unwrap(), vec![0x80]);
    assert_eq!(
        send(&mut c, "008200000A00112233445566773030"),
        (vec![], 0x6300)
    );
    let r = ok(
        &mut c,
        &gen_ac(0x40, &cdol2_data(b"00", "000000001500", UN)),
    );
    assert_eq!(
        find(&r, 0x9F27).unwrap(),
        vec![0x00],
        "AAC after failed issuer auth"
    );
    // CVR: second AAC, first ARQC, issuer authentication failed.
    assert_eq!(find(&r, 0x9F10).unwrap(), h("06011203 280800"));
    assert!(c.state().last_issuer_auth_failed);
}

#[test]
fn offline_credit_cda_tc_and_velocity_limit() {
    let mut c = card("offline-credit");
    let image = c.image().clone();
    assert_eq!(
        send(&mut c, "00A4040007F000000001101000").1,
        0x6A82,
        "not the debit AID"
    );
    // Partial selection by RID, then "next occurrence" finds nothing more.
    let fci = ok(&mut c, "00A4040005F00000000100");
    assert_eq!(find(&fci, 0x84).unwrap(), h("F0000000012010"));
    assert_eq!(send(&mut c, "00A4040205F00000000100").1, 0x6A82);
    ok(&mut c, "00A4040007F000000001201000");
    let icc = recover_icc_key(&mut c).unwrap();
    for n in 1..=4u16 {
        if n > 1 {
            ok(&mut c, "00A4040007F000000001201000");
        }
        // PDOL 9F1A02: terminal country 0978.
        assert_eq!(
            ok(&mut c, "80A80000048302097800"),
            h("7712 82023D00 940C 08010100 10010101 18010200")
        );
        let cdol1 = cdol1_data("000000000500", UN);
        let r = ok(&mut c, &gen_ac(0x50, &cdol1));
        let cid = find(&r, 0x9F27).unwrap();
        let iad = find(&r, 0x9F10).unwrap();
        assert_eq!(find(&r, 0x9F36).unwrap(), n.to_be_bytes());
        if n <= 3 {
            // Within LCOL 3: a TC, its CVR saying first AC = TC, second not requested.
            assert_eq!(cid, vec![0x40], "transaction {n}");
            assert_eq!(iad, h("06 01 0A 03 90 00 00"));
        } else {
            // The fourth offline request exceeds LCOL: ARQC with the velocity bit.
            assert_eq!(cid, vec![0x80], "transaction {n}");
            assert_eq!(iad, h("06 01 0A 03 A0 20 00"));
        }
        assert!(
            find(&r, 0x9F26).is_none(),
            "with CDA the AC is inside the signature"
        );
        let dynamic = check_sdad(&find(&r, 0x9F4B).unwrap(), &icc, &h(UN));
        assert_eq!(dynamic[0], 8);
        assert_eq!(dynamic[9], cid[0]);
        let ac: [u8; 8] = dynamic[10..18].try_into().unwrap();
        // Transaction data hash: PDOL data, CDOL1 data, response TLVs but 9F4B.
        let mut tlvs = h("9F2701");
        tlvs.push(cid[0]);
        tlvs.extend_from_slice(&h("9F3602"));
        tlvs.extend_from_slice(&n.to_be_bytes());
        tlvs.extend_from_slice(&h("9F1007"));
        tlvs.extend_from_slice(&iad);
        assert_eq!(dynamic[18..38], sha1(&[&h("0978"), &h(&cdol1), &tlvs]));
        let sk = issuer_sk_ac(&image, n, h(UN).try_into().unwrap());
        let mut input = h(&cdol1);
        input.extend_from_slice(&h("3D00"));
        input.extend_from_slice(&n.to_be_bytes());
        input.extend_from_slice(&iad[3..]);
        assert_eq!(
            generate_ac(&sk, &input, CryptogramPadding::Method1).unwrap(),
            ac
        );
    }
    assert_eq!(c.state().consecutive_offline, 3);
    // The terminal cannot go online (Y3): within UCOL 5 the card still approves offline.
    let r = ok(
        &mut c,
        &gen_ac(0x40, &cdol2_data(b"Y3", "000000000500", UN)),
    );
    assert_eq!(find(&r, 0x9F27).unwrap(), vec![0x40]);
    assert_eq!(find(&r, 0x9F10).unwrap(), h("06 01 0A 03 61 20 00"));
    assert_eq!(c.state().consecutive_offline, 4);
}

#[test]
fn offline_pin_t0_get_response_6cxx_and_try_counter() {
    let mut c = card("offline-pin");
    assert_eq!(c.atr(), h("3B600000"));
    // Case 4 under T=0: 61xx, then GET RESPONSE with that length.
    assert_eq!(send(&mut c, "00A4040007F000000001101000"), (vec![], 0x6129));
    assert_eq!(
        send(&mut c, "00C0000010").1,
        0x6119,
        "part of the FCI, the rest announced"
    );
    let (rest, sw) = send(&mut c, "00C0000019");
    assert_eq!((rest.len(), sw), (0x19, 0x9000));
    assert_eq!(
        send(&mut c, "00C0000019").1,
        0x6985,
        "nothing pending any more"
    );
    assert_eq!(send(&mut c, "80A80000048302097800"), (vec![], 0x6114));
    assert_eq!(send(&mut c, "00C0000020").1, 0x6C14);
    assert_eq!(
        ok(&mut c, "00C0000014"),
        h("7712 82023C00 940C 08010100 10010101 18010200")
    );
    // Case 2 with Le 00: 6Cxx gives the exact length, the same command with it gives data.
    let (_, sw) = send(&mut c, "00B2010C00");
    assert_eq!(sw & 0xFF00, 0x6C00);
    let (data, sw) = send(&mut c, &format!("00B2010C{:02X}", sw & 0xFF));
    assert_eq!(sw, 0x9000);
    assert_eq!(find(&data, 0x5A), None);
    assert_eq!(find(&data, 0x5F20).unwrap(), b"BOB/TEST");
    assert_eq!(send(&mut c, "80CA9F1704"), (h("9F170103"), 0x9000));
    // Wrong PIN three times: 63C2, 63C1, 63C0, then blocked.
    let wrong = "002000800824 1299FFFFFFFFFF";
    assert_eq!(send(&mut c, wrong), (vec![], 0x63C2));
    assert_eq!(send(&mut c, wrong), (vec![], 0x63C1));
    assert_eq!(send(&mut c, wrong), (vec![], 0x63C0));
    assert_eq!(send(&mut c, wrong), (vec![], 0x6983));
    assert_eq!(
        send(&mut c, "002000800824 1234FFFFFFFFFF"),
        (vec![], 0x6983)
    );
    assert_eq!(send(&mut c, "80CA9F1704"), (h("9F170100"), 0x9000));
    assert_eq!(send(&mut c, "002000800823 1234FFFFFFFFFF").1, 0x6983);

    // A fresh card accepts the right PIN and resets the counter after a miss.
    let mut c = card("offline-pin");
    send(&mut c, "00A4040007F000000001101000");
    send(&mut c, "80A80000048302097800");
    assert_eq!(send(&mut c, wrong), (vec![], 0x63C2));
    assert_eq!(
        send(&mut c, "002000800824 1234FFFFFFFFFF"),
        (vec![], 0x9000)
    );
    assert_eq!(c.state().pin_try_counter, 3);
    assert_eq!(
        send(&mut c, "002000800824 12F4FFFFFFFFFF"),
        (vec![], 0x6A80),
        "bad block"
    );
    assert_eq!(
        send(&mut c, "002000880824 1234FFFFFFFFFF"),
        (vec![], 0x6A86),
        "enciphered"
    );
    assert_eq!(send(&mut c, "0020008007 241234FFFFFFFF"), (vec![], 0x6700));
}

#[test]
fn expired_card_carries_its_past_expiry_and_still_answers() {
    let mut c = card("expired");
    select_app(&mut c);
    ok(&mut c, "80A80000048302097800");
    let r2 = ok(&mut c, "00B2011400");
    assert_eq!(find(&r2, 0x5F24).unwrap(), h("240131"));
    assert_eq!(find(&r2, 0x5F25).unwrap(), h("210101"));
    assert_eq!(find(&r2, 0x5A).unwrap(), h("4761739001010036"));
    // The card does not judge dates (the terminal's processing restrictions do).
    let r = ok(&mut c, &gen_ac(0x80, &cdol1_data("000000001500", UN)));
    assert_eq!(find(&r, 0x9F27).unwrap(), vec![0x80]);
    recover_icc_key(&mut c).unwrap();
}

#[test]
fn blocked_application_answers_6283_and_declines() {
    let mut c = card("blocked");
    let (fci, sw) = send(&mut c, "00A4040007F000000001101000");
    assert_eq!(sw, 0x6283);
    assert_eq!(find(&fci, 0x84).unwrap(), h("F0000000011010"));
    ok(&mut c, "80A80000048302097800");
    let r = ok(&mut c, &gen_ac(0x80, &cdol1_data("000000001500", UN)));
    assert_eq!(find(&r, 0x9F27).unwrap(), vec![0x00]);
    // CVR: AAC, second not requested, application blocked.
    assert_eq!(find(&r, 0x9F10).unwrap(), h("06 01 12 03 80 02 00"));
}

#[test]
fn tampered_certificate_fails_recovery() {
    let mut c = card("tampered-cert");
    select_app(&mut c);
    ok(&mut c, "80A80000048302097800");
    let err = recover_icc_key(&mut c).unwrap_err();
    assert!(err.starts_with("ICC certificate:"), "{err}");
    // The untampered card of the same kind recovers fine.
    let mut good = card("online-debit");
    select_app(&mut good);
    ok(&mut good, "80A80000048302097800");
    recover_icc_key(&mut good).unwrap();
}

#[test]
fn every_shipped_profile_personalises_and_selects() {
    for (name, _) in card::profile::SHIPPED {
        let mut c = card(name);
        let p = c.image().profile.clone();
        let aid = &p.aid;
        let (fci, sw) = send(&mut c, &format!("00A40400{:02X}{aid}00", aid.len() / 2));
        assert!(
            sw == 0x9000 || (sw == 0x6283 && p.blocked) || sw >> 8 == 0x61,
            "{name}: {sw:04X}"
        );
        if sw == 0x9000 {
            assert_eq!(find(&fci, 0x50).unwrap(), p.label.as_bytes());
        }
        assert_eq!(c.image().capk.rid, [0xF0, 0, 0, 0, 1]);
    }
}

#[test]
fn sda_profile_carries_signed_static_data_the_issuer_key_recovers() {
    let text = card::profile::SHIPPED[0]
        .1
        .replace("oda = \"dda\"", "oda = \"sda\"");
    let p = card::profile::Profile::from_toml("sda", &text).unwrap();
    let image = card::perso::personalise(&p, &keys()).unwrap();
    assert_eq!(image.aip, [0x5C, 0x00], "SDA bit instead of DDA");
    assert!(image.icc_key.is_none());
    let r3 = &image.records[&(3, 1)];
    let issuer_e = find(r3, 0x9F32).unwrap();
    let issuer_n = recover_cert(
        &find(r3, 0x90).unwrap(),
        &image.capk.modulus,
        &image.capk.exponent,
        0x02,
        4,
        &find(r3, 0x92).unwrap_or_default(),
        &issuer_e,
        &[],
    )
    .unwrap();
    let ssad = find(&image.records[&(3, 2)], 0x93).unwrap();
    let x = modpow(&ssad, &issuer_e, &issuer_n);
    let n = x.len();
    assert_eq!(
        (x[0], x[1], x[2], &x[3..5], x[n - 1]),
        (0x6A, 0x03, 0x01, &[0xDA, 0xC1][..], 0xBC)
    );
    let mut static_data = find(&image.records[&(2, 1)], 0x70).unwrap();
    static_data.extend_from_slice(&image.aip);
    assert_eq!(sha1(&[&x[1..n - 21], &static_data]), &x[n - 21..n - 1]);
    // The issuer-certificate tamper option spoils the first link of the chain.
    let text = text.replace("tamper = \"none\"", "tamper = \"issuer_certificate\"");
    let p = card::profile::Profile::from_toml("sda-bad", &text).unwrap();
    let bad = card::perso::personalise(&p, &keys()).unwrap();
    let r3 = &bad.records[&(3, 1)];
    assert!(
        recover_cert(
            &find(r3, 0x90).unwrap(),
            &bad.capk.modulus,
            &bad.capk.exponent,
            0x02,
            4,
            &find(r3, 0x92).unwrap_or_default(),
            &issuer_e,
            &[],
        )
        .is_err()
    );
}
