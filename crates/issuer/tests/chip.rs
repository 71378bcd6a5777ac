//! Chip authorisations: the ARQC in field 55 checked in the HSM from the issuer master key
//! (CVN 10 and 18), 05 for a cryptogram that is not the card's, and the ARPC for the answer's
//! code in field 55 (tag 91), which the test recomputes with paysec from the IMK alone.

mod common;
mod pin_common;

use common::*;
use emv::{Tag, tlv};
use hsm::{Hsm, KeyAttributes, SoftHsm};
use paysec::emv::{
    CryptogramPadding, ac_diversification, derive_common_session_key, derive_icc_master_key_a,
    generate_ac, generate_arpc_method1,
};
use paysec::tr31::KeyUsage;
use paysec::{Pan, SecretKey};
use pin_common::*;

/// Test IMK-AC (the virtual card's test key set uses the same value).
const IMK: &str = "0123456789ABCDEFFEDCBA9876543210";

fn imk() -> SecretKey {
    SecretKey::tdes(&paysec::hex::decode(IMK.as_bytes()).unwrap()).unwrap()
}

fn site_with_imk() -> Site {
    let site = Site::new();
    let mut hsm = SoftHsm::open(&site.hsm_dir).unwrap();
    hsm.import_key(
        issuer::security::IMK_AC,
        &KeyAttributes::for_usage(KeyUsage::EmvMkAc),
        &imk(),
    )
    .unwrap();
    site
}

fn tag(t: u32, v: &[u8], out: &mut Vec<u8>) {
    tlv::write(Tag::new(t), v, out).unwrap();
}

/// Field 55 as a terminal sends it, with the ARQC a card holding `imk`'s key makes.
fn field55(pan: &str, amount_minor: u64, atc: u16, cvn: u8, key: &SecretKey) -> Vec<u8> {
    let amount = format!("{amount_minor:012}");
    let amount = paysec::hex::decode(amount.as_bytes()).unwrap();
    let un = [0x11, 0x22, 0x33, 0x44];
    let cvr = [0x03, 0xA0, 0x00, 0x00];
    let mut data = Vec::new();
    data.extend_from_slice(&amount);
    data.extend_from_slice(&[0; 6]);
    data.extend_from_slice(&[0x09, 0x78]);
    data.extend_from_slice(&[0; 5]);
    data.extend_from_slice(&[0x09, 0x78]);
    data.extend_from_slice(&[0x26, 0x11, 0x24]);
    data.push(0x00);
    data.extend_from_slice(&un);
    data.extend_from_slice(&[0x39, 0x00]);
    data.extend_from_slice(&atc.to_be_bytes());
    data.extend_from_slice(&cvr);
    let mk = derive_icc_master_key_a(key, &Pan::new(pan).unwrap(), Some(1)).unwrap();
    let sk = derive_common_session_key(&mk, ac_diversification(atc, un)).unwrap();
    let padding = if cvn == 0x0A {
        CryptogramPadding::Method1
    } else {
        CryptogramPadding::Method2
    };
    let arqc = generate_ac(&sk, &data, padding).unwrap();
    let mut out = Vec::new();
    tag(0x9F26, &arqc, &mut out);
    tag(0x9F27, &[0x80], &mut out);
    let mut iad = vec![0x06, 0x01, cvn];
    iad.extend_from_slice(&cvr);
    tag(0x9F10, &iad, &mut out);
    tag(0x9F37, &un, &mut out);
    tag(0x9F36, &atc.to_be_bytes(), &mut out);
    tag(0x95, &[0; 5], &mut out);
    tag(0x9A, &[0x26, 0x11, 0x24], &mut out);
    tag(0x9C, &[0x00], &mut out);
    tag(0x9F02, &amount, &mut out);
    tag(0x5F2A, &[0x09, 0x78], &mut out);
    tag(0x82, &[0x39, 0x00], &mut out);
    tag(0x9F1A, &[0x09, 0x78], &mut out);
    tag(0x9F03, &[0; 6], &mut out);
    tag(0x5F34, &[0x01], &mut out);
    out
}

/// The answer's field 39 and its tag 91, if any.
fn answer_of(bytes: &[u8]) -> (String, Option<Vec<u8>>) {
    let spec = iso8583::specs::iso87_ascii_bbitmap();
    let m = spec.unpack(bytes).unwrap();
    let code = m.text(39).unwrap().to_string();
    let t91 = m
        .get(55)
        .map(|f| tlv::find(f, Tag::new(0x91)).unwrap().unwrap().to_vec());
    (code, t91)
}

fn expected_arpc(pan: &str, atc: u16, arqc: &[u8], arc: &[u8; 2]) -> Vec<u8> {
    let mk = derive_icc_master_key_a(&imk(), &Pan::new(pan).unwrap(), Some(1)).unwrap();
    let sk =
        derive_common_session_key(&mk, ac_diversification(atc, [0x11, 0x22, 0x33, 0x44])).unwrap();
    let arqc: [u8; 8] = arqc.try_into().unwrap();
    let mut v = generate_arpc_method1(&sk, &arqc, *arc).unwrap().to_vec();
    v.extend_from_slice(arc);
    v
}

fn arqc_of(f55: &[u8]) -> Vec<u8> {
    tlv::find(f55, Tag::new(0x9F26)).unwrap().unwrap().to_vec()
}

#[test]
fn a_genuine_arqc_is_approved_with_its_arpc_and_a_false_one_is_05() {
    let site = site_with_imk();
    let mut b = site.bank();
    for (stan, cvn, atc) in [(1, 0x12u8, 7u16), (2, 0x0A, 8)] {
        let f55 = field55(ALICE, 1_000, atc, cvn, &imk());
        let req = purchase(ALICE, 1_000, stan).set_bytes(55, &f55);
        let answer = b.answer(&req);
        let (code, t91) = answer_of(answer.response.as_ref().unwrap());
        assert_eq!(code, "00", "{}", answer.reason);
        assert_eq!(
            t91.unwrap(),
            expected_arpc(ALICE, atc, &arqc_of(&f55), b"00")
        );
    }
    assert_eq!(b.available(ALICE), 100_000 - 2_000);

    // A cryptogram under another key (a cloned card, a changed amount): 05, no money moves,
    // no ARPC.
    let other = SecretKey::tdes(&[0x42; 16]).unwrap();
    let f55 = field55(ALICE, 1_000, 9, 0x12, &other);
    let answer = b.answer(&purchase(ALICE, 1_000, 3).set_bytes(55, &f55));
    let (code, t91) = answer_of(answer.response.as_ref().unwrap());
    assert_eq!(code, "05");
    assert!(
        answer.reason.contains("ARQC does not verify"),
        "{}",
        answer.reason
    );
    assert!(t91.is_none());
    let genuine = field55(ALICE, 1_000, 10, 0x12, &imk());
    let answer = b.answer(&purchase(ALICE, 2_000, 4).set_bytes(55, &genuine));
    assert_eq!(
        answer_of(answer.response.as_ref().unwrap()).0,
        "05",
        "field 4 is not what the card signed"
    );
    assert_eq!(b.available(ALICE), 100_000 - 2_000);
    b.assert_audit_clean();
}

#[test]
fn a_decline_carries_the_arpc_of_its_own_code_and_a_repeat_the_same_answer() {
    let site = site_with_imk();
    let mut b = site.bank();
    // More than the balance: 51, and the card learns it is a genuine 51.
    let f55 = field55(ALICE, 500_000, 21, 0x12, &imk());
    let req = purchase(ALICE, 500_000, 1).set_bytes(55, &f55);
    let first = b.answer(&req);
    let (code, t91) = answer_of(first.response.as_ref().unwrap());
    assert_eq!(code, "51");
    assert_eq!(
        t91.unwrap(),
        expected_arpc(ALICE, 21, &arqc_of(&f55), b"51")
    );
    let again = b.answer(&req);
    assert_eq!(
        again.response, first.response,
        "a repeat gets the first answer, byte for byte"
    );
}

#[test]
fn unreadable_chip_data_is_30_and_no_imk_is_96() {
    let site = site_with_imk();
    let mut b = site.bank();
    let mut f55 = field55(ALICE, 100, 3, 0x12, &imk());
    f55.truncate(f55.len() - 1);
    let answer = b.answer(&purchase(ALICE, 100, 1).set_bytes(55, &f55));
    assert_eq!(answer_of(answer.response.as_ref().unwrap()).0, "30");
    let f55 = field55(ALICE, 100, 3, 0x33, &imk());
    let answer = b.answer(&purchase(ALICE, 100, 2).set_bytes(55, &f55));
    assert_eq!(answer_of(answer.response.as_ref().unwrap()).0, "30");
    assert!(
        answer.reason.contains("cryptogram version"),
        "{}",
        answer.reason
    );

    let plain = Site::new();
    let mut b = plain.bank();
    let f55 = field55(ALICE, 100, 3, 0x12, &imk());
    let answer = b.answer(&purchase(ALICE, 100, 3).set_bytes(55, &f55));
    assert_eq!(answer_of(answer.response.as_ref().unwrap()).0, "96");
}

/// An offline advice (0220, no 90) of a chip purchase: field 55 with a TC.
fn offline_advice(pan: &str, amount: u64, stan: u32, atc: u16, key: &SecretKey) -> Req {
    let mut f55 = field55(pan, amount, atc, 0x12, key);
    // The card answered a TC: 9F27 = 40.
    let at = f55
        .windows(3)
        .position(|w| w == [0x9F, 0x27, 0x01])
        .unwrap();
    f55[at + 3] = 0x40;
    let mut req = purchase(pan, amount, stan).set_bytes(55, &f55);
    req.mti = "0220";
    req.set(22, "051")
}

#[test]
fn an_offline_advice_with_the_cards_tc_is_posted_once() {
    let site = site_with_imk();
    let mut b = site.bank();
    let advice = offline_advice(ALICE, 1_500, 1, 30, &imk());
    let first = b.answer(&advice);
    let (code, t91) = answer_of(first.response.as_ref().unwrap());
    assert_eq!(code, "00", "{}", first.reason);
    assert!(t91.is_none(), "no ARPC: the card is gone");
    assert_eq!(b.available(ALICE), 100_000 - 1_500);
    // The terminal uploads again after a lost answer: the first answer, nothing posted twice.
    assert_eq!(b.answer(&advice).response, first.response);
    assert_eq!(b.available(ALICE), 100_000 - 1_500);
    // A TC that is not the card's, or an ARQC offered as an offline approval: 05.
    let forged = offline_advice(ALICE, 1_500, 2, 31, &SecretKey::tdes(&[0x42; 16]).unwrap());
    assert_eq!(
        answer_of(b.answer(&forged).response.as_ref().unwrap()).0,
        "05"
    );
    let arqc = purchase(ALICE, 1_500, 3).set_bytes(55, &field55(ALICE, 1_500, 32, 0x12, &imk()));
    let mut arqc = arqc;
    arqc.mti = "0220";
    let answer = b.answer(&arqc.set(22, "051"));
    assert_eq!(answer_of(answer.response.as_ref().unwrap()).0, "05");
    assert!(answer.reason.contains("TC"), "{}", answer.reason);
    assert_eq!(b.available(ALICE), 100_000 - 1_500);
    b.assert_audit_clean();
}

/// Test IMK-SMI (the card test key set's value is another; any key works for the issuer).
const IMK_SMI: &str = "4664942FE615FB02E5D57F292AA2B3B6";

fn imk_smi() -> SecretKey {
    SecretKey::tdes(&paysec::hex::decode(IMK_SMI.as_bytes()).unwrap()).unwrap()
}

/// The answer's field 55 after tag 91: the script template, if any.
fn script_of(bytes: &[u8]) -> Option<(u8, Vec<u8>, Vec<u8>)> {
    let spec = iso8583::specs::iso87_ascii_bbitmap();
    let m = spec.unpack(bytes).unwrap();
    let f55 = m.get(55)?.to_vec();
    let nodes = tlv::parse_all(&f55).unwrap();
    let t = nodes.iter().find(|t| matches!(t.tag.raw(), 0x71 | 0x72))?;
    let inner = tlv::parse_all(t.value).unwrap();
    let find = |tag: u32| {
        inner
            .iter()
            .find(|n| n.tag == Tag::new(tag))
            .unwrap()
            .value
            .to_vec()
    };
    Some((t.tag.raw() as u8, find(0x9F18), find(0x86)))
}

/// What the card checks: `84 INS 00 P2 08 || MAC`, the MAC over the header, ATC and ARQC
/// under `CSK(MK-SMI, ARQC)`, recomputed here with paysec from the IMK-SMI alone.
fn expected_script(ins: u8, pan: &str, atc: u16, arqc: &[u8]) -> Vec<u8> {
    let mk = derive_icc_master_key_a(&imk_smi(), &Pan::new(pan).unwrap(), Some(1)).unwrap();
    let arqc: [u8; 8] = arqc.try_into().unwrap();
    let sk = derive_common_session_key(&mk, arqc).unwrap();
    let header = [0x84, ins, 0x00, 0x00, 0x08];
    let mut input = header.to_vec();
    input.extend_from_slice(&atc.to_be_bytes());
    input.extend_from_slice(&arqc);
    let mut command = header.to_vec();
    command.extend(paysec::emv::issuer_script_mac(&sk, &input, 8).unwrap());
    command
}

fn set_script(site: &mut Site, card: &str, script: Option<issuer::security::IssuerScript>) {
    let c = site
        .config
        .cards
        .iter_mut()
        .find(|c| c.name == card)
        .unwrap();
    c.script = script;
}

#[test]
fn a_card_with_a_script_gets_it_macd_after_the_arpc_in_approvals_and_declines() {
    use issuer::security::{IssuerScript, ScriptCommand, ScriptTemplate};
    let mut site = site_with_imk();
    set_script(
        &mut site,
        "alice",
        Some(IssuerScript {
            command: ScriptCommand::ApplicationBlock,
            template: ScriptTemplate::BeforeFinalAc,
        }),
    );
    // Without the IMK-SMI the script cannot be MACed: the answer keeps its ARPC, no script.
    {
        let mut b = site.bank();
        let f55 = field55(ALICE, 700, 40, 0x12, &imk());
        let answer = b.answer(&purchase(ALICE, 700, 1).set_bytes(55, &f55));
        let bytes = answer.response.unwrap();
        assert_eq!(answer_of(&bytes).0, "00");
        assert!(answer_of(&bytes).1.is_some());
        assert_eq!(script_of(&bytes), None);
    }
    let mut hsm = SoftHsm::open(&site.hsm_dir).unwrap();
    hsm.import_key(
        issuer::security::IMK_SMI,
        &KeyAttributes::for_usage(KeyUsage::EmvMkSmi),
        &imk_smi(),
    )
    .unwrap();
    drop(hsm);
    let mut b = site.bank();
    let f55 = field55(ALICE, 1_000, 41, 0x12, &imk());
    let answer = b.answer(&purchase(ALICE, 1_000, 2).set_bytes(55, &f55));
    let bytes = answer.response.unwrap();
    let (code, t91) = answer_of(&bytes);
    assert_eq!(code, "00", "{}", answer.reason);
    assert_eq!(
        t91.unwrap(),
        expected_arpc(ALICE, 41, &arqc_of(&f55), b"00")
    );
    let (template, id, command) = script_of(&bytes).unwrap();
    assert_eq!(template, 0x71);
    assert_eq!(id, [0, 0, 0, 41], "the identifier is the ATC");
    assert_eq!(command, expected_script(0x1E, ALICE, 41, &arqc_of(&f55)));

    // A decline (over the balance) carries it too, in 72 for this configuration.
    drop(b);
    set_script(
        &mut site,
        "alice",
        Some(IssuerScript {
            command: ScriptCommand::PinUnblock,
            template: ScriptTemplate::AfterFinalAc,
        }),
    );
    let mut b = site.bank();
    let f55 = field55(ALICE, 900_000, 42, 0x12, &imk());
    let answer = b.answer(&purchase(ALICE, 900_000, 3).set_bytes(55, &f55));
    let bytes = answer.response.unwrap();
    assert_eq!(answer_of(&bytes).0, "51");
    let (template, _, command) = script_of(&bytes).unwrap();
    assert_eq!(template, 0x72);
    assert_eq!(command, expected_script(0x24, ALICE, 42, &arqc_of(&f55)));
    // A false ARQC gets neither ARPC nor script: nothing may be sent to a card that is not.
    let forged = field55(ALICE, 100, 43, 0x12, &SecretKey::tdes(&[0x42; 16]).unwrap());
    let bytes = b
        .answer(&purchase(ALICE, 100, 4).set_bytes(55, &forged))
        .response
        .unwrap();
    assert_eq!(answer_of(&bytes), ("05".into(), None));
    assert_eq!(script_of(&bytes), None);
    assert_eq!(b.available(ALICE), 100_000 - 700 - 1_000);
    b.assert_audit_clean();
}

/// The issuer's funding account in euro: net posted (credits minus debits).
fn funding_net(b: &Bank<ledger::SqliteStorage>) -> i128 {
    let f = b.account(b.issuer.book().chart().funding(978));
    i128::from(f.credits_posted) - i128::from(f.debits_posted)
}

#[test]
fn an_offline_approval_is_posted_past_the_balance_the_limit_and_the_cards_status() {
    let site = site_with_imk();
    let mut b = site.bank();
    let merchant_before = b.merchant_net();
    let funding_before = funding_net(&b);
    // Hana has 20.00; her card approved 35.00 offline: the merchant gets 35.00, the card
    // is emptied, and the issuer advances the 15.00 it could not cover.
    let hana = offline_advice(HANA_POOR, 3_500, 1, 50, &imk());
    let answer = b.answer(&hana);
    assert_eq!(
        answer_of(answer.response.as_ref().unwrap()).0,
        "00",
        "{}",
        answer.reason
    );
    assert!(answer.reason.contains("1500 advanced"), "{}", answer.reason);
    assert_eq!(b.available(HANA_POOR), 0);
    assert_eq!(b.merchant_net() - merchant_before, 3_500);
    assert_eq!(funding_net(&b) - funding_before, -1_500);
    // Posted once, whatever the retries.
    assert_eq!(b.answer(&hana).response, answer.response);
    assert_eq!(b.merchant_net() - merchant_before, 3_500);
    // Alice's daily limit is 500.00: an offline 600.00 is posted anyway, all from her balance.
    let alice = offline_advice(ALICE, 60_000, 2, 51, &imk());
    assert_eq!(
        answer_of(b.answer(&alice).response.as_ref().unwrap()).0,
        "00"
    );
    assert_eq!(b.available(ALICE), 100_000 - 60_000);
    // Carol's card was reported stolen after it approved 10.00 offline: still posted.
    let carol = offline_advice(CAROL_STOLEN, 1_000, 3, 52, &imk());
    assert_eq!(
        answer_of(b.answer(&carol).response.as_ref().unwrap()).0,
        "00"
    );
    assert_eq!(b.available(CAROL_STOLEN), 100_000 - 1_000);
    b.assert_audit_clean();

    // A reversal of Hana's advice undoes both legs: the purchase back to the card first,
    // then the advance back to the issuer.
    let mut undo = reversal(&hana, 4);
    undo.fields.insert(22, "051".into());
    let answer = b.answer(&undo);
    assert_eq!(
        answer_of(answer.response.as_ref().unwrap()).0,
        "00",
        "{}",
        answer.reason
    );
    assert_eq!(b.available(HANA_POOR), 2_000);
    assert_eq!(funding_net(&b), funding_before);
    assert_eq!(
        b.merchant_net() - merchant_before,
        60_000 + 1_000,
        "only the other two advices remain"
    );
    b.assert_audit_clean();
}

#[test]
fn a_chip_reversal_tells_the_issuer_the_cards_last_word() {
    let site = site_with_imk();
    let mut b = site.bank();
    let f55 = field55(ALICE, 1_200, 60, 0x12, &imk());
    let purchase = purchase(ALICE, 1_200, 1).set_bytes(55, &f55);
    assert_eq!(
        answer_of(b.answer(&purchase).response.as_ref().unwrap()).0,
        "00"
    );
    // The card declined the approval (AAC) after running the issuer's script.
    let mut last = Vec::new();
    tag(0x9F27, &[0x00], &mut last);
    tag(0x9F26, &[7; 8], &mut last);
    tag(0x9F5B, &[0x20, 0, 0, 0, 60], &mut last);
    let answer = b.answer(&reversal(&purchase, 2).set_bytes(55, &last));
    assert_eq!(answer_of(answer.response.as_ref().unwrap()).0, "00");
    assert!(
        answer
            .reason
            .contains("the card's last cryptogram: AAC; issuer script results 200000003C"),
        "{}",
        answer.reason
    );
    assert_eq!(b.available(ALICE), 100_000);
    b.assert_audit_clean();
}
