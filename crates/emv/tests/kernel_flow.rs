//! The kernel through whole transactions against a fake card: the exact APDUs sent, the
//! exact TVR, TSI and CVM Results at the end of each path.

mod kernel_fake;

use kernel_fake::*;

use emv::kernel::{HostResponse, PinEntry, PinRequest, TransactionResult};

/// CVM list: enciphered PIN online, always (X = Y = 0).
const CVM_ONLINE_PIN: &str = "00000000 00000000 0200";
/// CVM list: offline plaintext PIN, always; then signature.
#[allow(dead_code)]
const CVM_OFFLINE_PIN: &str = "00000000 00000000 4100 1E00";
/// CVM list: offline plaintext PIN, always, fail if unsuccessful.
#[allow(dead_code)]
const CVM_OFFLINE_PIN_ONLY: &str = "00000000 00000000 0100";
/// CVM list: no CVM required.
#[allow(dead_code)]
const CVM_NONE: &str = "00000000 00000000 1F00";

const UN: u32 = 0x1122_3344;

fn host(code: &[u8; 2], iad: Option<&str>, scripts: &[u8]) -> Option<HostResponse> {
    Some(HostResponse {
        response_code: *code,
        issuer_authentication_data: iad.map(hex),
        scripts: scripts.to_vec(),
    })
}

/// A card without ODA that goes online: AIP 1C00 (CVM, TRM, issuer authentication).
fn online_card(cvm: &str) -> FakeCard {
    let velocity = [t(0x9F14, &[0x03]), t(0x9F23, &[0x05])].concat();
    let mut card = FakeCard::standard("1C00", record1("271231", cvm, &velocity));
    card.get_data.insert(0x9F36, hex("9F3602 0006 9000"));
    card.get_data.insert(0x9F13, hex("9F1302 0004 9000"));
    card
}

#[test]
fn online_approval_with_online_pin_and_arpc() {
    let mut card = online_card(CVM_ONLINE_PIN);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x80, "0007", "A1A2A3A4A5A6A7A8")));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0007", "B1B2B3B4B5B6B7B8")));
    let inputs = Inputs {
        pins: [PinEntry::OnlineCaptured].into(),
        host: [host(b"00", Some("0102030405060708 3030"), &[])].into(),
        choice: None,
    };
    let r = run(config(), transaction(5000), vec![UN], &mut card, inputs);

    assert_eq!(
        r.apdus,
        apdus(&[
            "00A40400 07 A0000009991010 00",
            "00A40400 07 A0000009991010 00",
            "80A80000 02 8300 00",
            "00B2010C 00",
            "80CA9F36 00",
            "80CA9F13 00",
            // CDOL1: amount 50.00, other 0, country, TVR, currency, date, type, UN.
            "80AE8000 1D 000000005000 000000000000 0826 8000048000 0826 261124 00 11223344 00",
            "00820000 0A 0102030405060708 3030",
            // CDOL2: 8A, TVR, UN.
            "80AE4000 0B 3030 8000048000 11223344 00",
        ])
    );
    let o = &r.outcome;
    assert_eq!(o.result, TransactionResult::ApprovedOnline);
    assert_eq!(o.reason, None);
    // ODA not performed; online PIN entered; exceeds floor limit.
    assert_eq!(o.tvr.to_hex(), "8000048000");
    // CVM, card risk management, issuer authentication, terminal risk management.
    assert_eq!(o.tsi.to_hex(), "7800");
    assert_eq!(o.cvm_results, [0x02, 0x00, 0x00]);
    assert_eq!(o.cid, Some(0x40));
    assert_eq!(
        o.cryptogram,
        Some(hex("B1B2B3B4B5B6B7B8").try_into().unwrap())
    );
    assert_eq!(o.atc, Some([0x00, 0x07]));
    assert_eq!(o.response_code, Some(*b"00"));
    assert_eq!(r.pin_requests, vec![PinRequest::Online]);
    // Field 55 of the request: the ARQC and the data it covers.
    let field55 = to_hex(&r.online_requests[0]);
    assert_eq!(
        field55,
        [
            "9F2608A1A2A3A4A5A6A7A8",
            "9F270180",
            "9F10050110A00000",
            "9F370411223344",
            "9F36020007",
            "95058000048000",
            "9A03261124",
            "9C0100",
            "9F0206000000005000",
            "5F2A020826",
            "82021C00",
            "9F1A020826",
            "9F0306000000000000",
            "9F3303E0F8C8",
            "9F3403020000",
            "9F350122",
            "8407A0000009991010",
            "9F09020002",
        ]
        .concat()
    );
}

/// A card that can approve offline: AIP 1800 (CVM, TRM), no velocity limits.
fn offline_card(expiry: &str, cvm: &str) -> FakeCard {
    FakeCard::standard("1800", record1(expiry, cvm, &offline_iacs()))
}

/// Issuer action codes of a card that may approve offline: online and default on "exceeds
/// floor limit" only, no denial.
fn offline_iacs() -> Vec<u8> {
    [
        t(0x9F0E, &hex("0000000000")),
        t(0x9F0F, &hex("0000008000")),
        t(0x9F0D, &hex("0000008000")),
    ]
    .concat()
}

const FIRST_APDUS: [&str; 4] = [
    "00A40400 07 A0000009991010 00",
    "00A40400 07 A0000009991010 00",
    "80A80000 02 8300 00",
    "00B2010C 00",
];

fn with_first(rest: &[&str]) -> Vec<String> {
    let mut all: Vec<&str> = FIRST_APDUS.to_vec();
    all.extend_from_slice(rest);
    apdus(&all)
}

fn no_inputs() -> Inputs {
    Inputs::default()
}

#[test]
fn offline_approval_under_floor_limit() {
    let mut card = offline_card("271231", CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0008", "C1C2C3C4C5C6C7C8")));
    // Amount 5.00 under the 10.00 floor limit; random draw 61 of 1..=99, target 0 %.
    let r = run(
        config(),
        transaction(500),
        vec![UN, 60],
        &mut card,
        no_inputs(),
    );
    assert_eq!(
        r.apdus,
        with_first(&[
            "80AE4000 1D 000000000500 000000000000 0826 8000000000 0826 261124 00 11223344 00"
        ])
    );
    let o = &r.outcome;
    assert_eq!(o.result, TransactionResult::ApprovedOffline);
    assert_eq!(o.tvr.to_hex(), "8000000000");
    assert_eq!(o.tsi.to_hex(), "6800");
    assert_eq!(o.cvm_results, [0x1F, 0x00, 0x02]);
    assert_eq!(o.response_code, Some(*b"Y1"));
    assert_eq!(o.cid, Some(0x40));
    assert!(r.online_requests.is_empty());
}

#[test]
fn random_selection_sends_a_transaction_under_the_floor_limit_online() {
    let mut config = config();
    config.aids[0].random_target_percent = 50;
    config.aids[0].tac_online = emv::tvr::Tvr::from_bytes([0, 0, 0, 0x10, 0]);
    // Under the threshold the target percentage applies: draw 11 <= 50 selects.
    let mut card = offline_card("271231", CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x80, "0008", "C1C2C3C4C5C6C7C8")));
    let inputs = Inputs {
        host: [None].into(),
        ..Inputs::default()
    };
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0008", "D1D2D3D4D5D6D7D8")));
    let r = run(
        config.clone(),
        transaction(100),
        vec![UN, 10],
        &mut card,
        inputs,
    );
    assert_eq!(r.outcome.tvr.to_hex(), "8000001000");
    assert_eq!(
        r.apdus[4],
        apdus(&[
            "80AE8000 1D 000000000100 000000000000 0826 8000001000 0826 261124 00 11223344 00"
        ])[0]
    );
    // Unable to go online, default action (TAC default = floor limit) approves: Y3.
    assert_eq!(
        r.apdus[5],
        apdus(&["80AE4000 0B 5933 8000001000 11223344 00"])[0]
    );
    assert_eq!(r.outcome.result, TransactionResult::ApprovedOffline);
    assert_eq!(r.outcome.response_code, Some(*b"Y3"));

    // Draw 61 > 50: not selected, approved offline at once.
    let mut card = offline_card("271231", CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0008", "C1C2C3C4C5C6C7C8")));
    let r = run(
        config,
        transaction(100),
        vec![UN, 60],
        &mut card,
        no_inputs(),
    );
    assert_eq!(r.outcome.tvr.to_hex(), "8000000000");
    assert_eq!(r.outcome.result, TransactionResult::ApprovedOffline);
}

#[test]
fn biased_random_selection_between_threshold_and_floor_limit() {
    let mut config = config();
    // Threshold 5.00, floor 10.00, target 10 %, max 90 %: at 7.50 the chance is 50 %.
    config.aids[0].random_target_percent = 10;
    config.aids[0].random_max_target_percent = 90;
    for (draw, selected) in [(49u32, true), (50, false)] {
        let mut card = offline_card("271231", CVM_NONE);
        card.generate_ac
            .push_back(gen_ac(ac_format1(0x40, "0008", "C1C2C3C4C5C6C7C8")));
        let r = run(
            config.clone(),
            transaction(750),
            vec![UN, draw],
            &mut card,
            no_inputs(),
        );
        assert_eq!(
            r.outcome
                .tvr
                .is_set(emv::tvr::TvrBit::RandomlySelectedForOnline),
            selected,
            "draw {}",
            draw + 1
        );
    }
}

#[test]
fn offline_decline_by_tac_denial() {
    let mut config = config();
    // Deny when offline data authentication was not performed.
    config.aids[0].tac_denial = emv::tvr::Tvr::from_bytes([0x80, 0, 0, 0, 0]);
    let mut card = offline_card("271231", CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x00, "0008", "E1E2E3E4E5E6E7E8")));
    let r = run(
        config,
        transaction(500),
        vec![UN, 60],
        &mut card,
        no_inputs(),
    );
    assert_eq!(
        r.apdus,
        with_first(&[
            "80AE0000 1D 000000000500 000000000000 0826 8000000000 0826 261124 00 11223344 00"
        ])
    );
    assert_eq!(r.outcome.result, TransactionResult::DeclinedOffline);
    assert_eq!(r.outcome.response_code, Some(*b"Z1"));
    assert_eq!(r.outcome.cid, Some(0x00));
    assert_eq!(r.outcome.tvr.to_hex(), "8000000000");
    assert_eq!(r.outcome.tsi.to_hex(), "6800");
}

#[test]
fn wrong_offline_pin_then_correct() {
    let mut card = offline_card("271231", CVM_OFFLINE_PIN_ONLY);
    card.get_data.insert(0x9F17, hex("9F1701 03 9000"));
    card.verify = [hex("63C2"), hex("9000")].into();
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0008", "C1C2C3C4C5C6C7C8")));
    let inputs = Inputs {
        pins: [pin("9999"), pin("1234")].into(),
        ..Inputs::default()
    };
    let r = run(config(), transaction(500), vec![UN, 60], &mut card, inputs);
    assert_eq!(
        r.apdus,
        with_first(&[
            "80CA9F17 00",
            "00200080 08 249999FFFFFFFFFF",
            "00200080 08 241234FFFFFFFFFF",
            "80AE4000 1D 000000000500 000000000000 0826 8000000000 0826 261124 00 11223344 00",
        ])
    );
    assert_eq!(
        r.pin_requests,
        vec![
            PinRequest::Offline {
                tries_left: Some(3)
            },
            PinRequest::Offline {
                tries_left: Some(2)
            }
        ]
    );
    assert_eq!(r.outcome.cvm_results, [0x01, 0x00, 0x02]);
    assert_eq!(r.outcome.tvr.to_hex(), "8000000000");
    assert_eq!(r.outcome.tsi.to_hex(), "6800");
    assert_eq!(r.outcome.result, TransactionResult::ApprovedOffline);
}

#[test]
fn pin_try_limit_exceeded_fails_cvm() {
    let mut config = config();
    config.aids[0].tac_denial = emv::tvr::Tvr::from_bytes([0, 0, 0x20, 0, 0]);
    let mut card = offline_card("271231", CVM_OFFLINE_PIN_ONLY);
    card.get_data.insert(0x9F17, hex("9F1701 01 9000"));
    card.verify = [hex("63C0")].into();
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x00, "0008", "E1E2E3E4E5E6E7E8")));
    let inputs = Inputs {
        pins: [pin("9999")].into(),
        ..Inputs::default()
    };
    let r = run(config, transaction(500), vec![UN, 60], &mut card, inputs);
    // Cardholder verification not successful, PIN try limit exceeded.
    assert_eq!(r.outcome.tvr.to_hex(), "8000A00000");
    assert_eq!(r.outcome.cvm_results, [0x01, 0x00, 0x01]);
    assert_eq!(r.outcome.tsi.to_hex(), "6800");
    assert_eq!(r.outcome.result, TransactionResult::DeclinedOffline);
    assert_eq!(
        r.apdus[6],
        apdus(&[
            "80AE0000 1D 000000000500 000000000000 0826 8000A00000 0826 261124 00 11223344 00"
        ])[0]
    );
}

#[test]
fn pin_already_blocked_falls_through_to_signature() {
    let mut card = offline_card("271231", CVM_OFFLINE_PIN);
    // PIN try counter 0: no PIN asked; rule 41 says go on, signature succeeds.
    card.get_data.insert(0x9F17, hex("9F1701 00 9000"));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0008", "C1C2C3C4C5C6C7C8")));
    let r = run(
        config(),
        transaction(500),
        vec![UN, 60],
        &mut card,
        no_inputs(),
    );
    assert!(r.pin_requests.is_empty());
    assert_eq!(r.outcome.tvr.to_hex(), "8000200000");
    assert_eq!(r.outcome.cvm_results, [0x1E, 0x00, 0x00]);
    assert!(r.outcome.signature_required);
    assert_eq!(r.outcome.result, TransactionResult::ApprovedOffline);
}

#[test]
fn pin_bypass_sets_pin_not_entered() {
    let mut card = offline_card("271231", CVM_OFFLINE_PIN);
    card.get_data.insert(0x9F17, hex("9F1701 03 9000"));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0008", "C1C2C3C4C5C6C7C8")));
    let inputs = Inputs {
        pins: [PinEntry::Bypassed].into(),
        ..Inputs::default()
    };
    let r = run(config(), transaction(500), vec![UN, 60], &mut card, inputs);
    assert_eq!(r.outcome.tvr.to_hex(), "8000080000");
    assert_eq!(r.outcome.cvm_results, [0x1E, 0x00, 0x00]);
}

#[test]
fn expired_application() {
    let mut config = config();
    config.aids[0].tac_denial = emv::tvr::Tvr::from_bytes([0, 0x40, 0, 0, 0]);
    let mut card = offline_card("251231", CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x00, "0008", "E1E2E3E4E5E6E7E8")));
    let r = run(
        config,
        transaction(500),
        vec![UN, 60],
        &mut card,
        no_inputs(),
    );
    assert_eq!(r.outcome.tvr.to_hex(), "8040000000");
    assert_eq!(r.outcome.result, TransactionResult::DeclinedOffline);
    assert!(r.apdus[4].starts_with("80AE0000"));
}

#[test]
fn not_yet_effective_different_version_and_service_not_allowed() {
    let extra = [
        t(0x5F25, &hex("270101")),
        t(0x9F08, &hex("0003")),
        // Domestic goods and services only, and the card is from another country.
        t(0x9F07, &hex("2801")),
        t(0x5F28, &hex("0250")),
    ]
    .concat();
    // Later duplicates would be an error: build record 1 by hand.
    let record = [
        t(0x5A, &hex(PAN)),
        t(0x5F24, &hex("291231")),
        t(0x8C, &hex(CDOL1)),
        t(0x8D, &hex(CDOL2)),
        t(0x8E, &hex(CVM_NONE)),
        extra,
    ]
    .concat();
    let mut card = FakeCard::standard("1800", record);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0008", "C1C2C3C4C5C6C7C8")));
    let r = run(
        config(),
        transaction(500),
        vec![UN, 60],
        &mut card,
        no_inputs(),
    );
    assert_eq!(r.outcome.tvr.to_hex(), "80B0000000");
}

#[test]
fn arpc_failure_sets_issuer_authentication_failed() {
    let mut card = online_card(CVM_NONE);
    card.external_authenticate = hex("6300");
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x80, "0007", "A1A2A3A4A5A6A7A8")));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0007", "B1B2B3B4B5B6B7B8")));
    let inputs = Inputs {
        host: [host(b"00", Some("FFFFFFFFFFFFFFFF 3030"), &[])].into(),
        ..Inputs::default()
    };
    let r = run(config(), transaction(5000), vec![UN], &mut card, inputs);
    assert_eq!(r.apdus[7], apdus(&["00820000 0A FFFFFFFFFFFFFFFF 3030"])[0]);
    // The second GENERATE AC carries the TVR with "issuer authentication failed".
    assert_eq!(
        r.apdus[8],
        apdus(&["80AE4000 0B 3030 8000008040 11223344 00"])[0]
    );
    assert_eq!(r.outcome.tvr.to_hex(), "8000008040");
    assert_eq!(r.outcome.tsi.to_hex(), "7800");
    assert_eq!(r.outcome.result, TransactionResult::ApprovedOnline);
}

#[test]
fn issuer_authentication_data_in_cdol2_is_not_sent_separately() {
    let velocity = [t(0x9F14, &[0x03]), t(0x9F23, &[0x05])].concat();
    let record = record1("271231", CVM_NONE, &velocity);
    let record = String::from_utf8(to_hex(&record).into_bytes())
        .unwrap()
        .replace(
            &to_hex(&t(0x8D, &hex(CDOL2))),
            &to_hex(&t(0x8D, &hex("8A02 910A 9505"))),
        );
    let mut card = FakeCard::standard("1C00", hex(&record));
    card.get_data.insert(0x9F36, hex("9F3602 0006 9000"));
    card.get_data.insert(0x9F13, hex("9F1302 0004 9000"));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x80, "0007", "A1A2A3A4A5A6A7A8")));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0007", "B1B2B3B4B5B6B7B8")));
    let inputs = Inputs {
        host: [host(b"00", Some("0102030405060708 3030"), &[])].into(),
        ..Inputs::default()
    };
    let r = run(config(), transaction(5000), vec![UN], &mut card, inputs);
    assert!(r.apdus.iter().all(|a| !a.starts_with("0082")));
    assert_eq!(
        r.apdus.last().unwrap(),
        &apdus(&["80AE4000 11 3030 01020304050607083030 8000008000 00"])[0]
    );
    assert_eq!(r.outcome.tsi.to_hex(), "7800");
}

#[test]
fn card_declines_after_host_approval() {
    let mut card = online_card(CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x80, "0007", "A1A2A3A4A5A6A7A8")));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x00, "0007", "B1B2B3B4B5B6B7B8")));
    let inputs = Inputs {
        host: [host(b"00", Some("0102030405060708 3030"), &[])].into(),
        ..Inputs::default()
    };
    let r = run(config(), transaction(5000), vec![UN], &mut card, inputs);
    assert_eq!(
        r.outcome.result,
        TransactionResult::DeclinedByCardAfterApproval
    );
    assert_eq!(
        r.outcome.reason,
        Some(emv::kernel::Reason::CardDeclinedAfterApproval)
    );
    assert_eq!(r.outcome.cid, Some(0x00));
    assert_eq!(
        r.outcome.cryptogram,
        Some(hex("B1B2B3B4B5B6B7B8").try_into().unwrap())
    );
}

#[test]
fn host_decline_asks_for_aac() {
    let mut card = online_card(CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x80, "0007", "A1A2A3A4A5A6A7A8")));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x00, "0007", "B1B2B3B4B5B6B7B8")));
    let inputs = Inputs {
        host: [host(b"05", None, &[])].into(),
        ..Inputs::default()
    };
    let r = run(config(), transaction(5000), vec![UN], &mut card, inputs);
    assert_eq!(
        r.apdus.last().unwrap(),
        &apdus(&["80AE0000 0B 3035 8000008000 11223344 00"])[0]
    );
    assert_eq!(r.outcome.result, TransactionResult::DeclinedOnline);
    // No issuer authentication data: TSI without issuer authentication.
    assert_eq!(r.outcome.tsi.to_hex(), "6800");
}

#[test]
fn unable_to_go_online_declines_by_default_action() {
    let mut card = online_card(CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x80, "0007", "A1A2A3A4A5A6A7A8")));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x00, "0007", "B1B2B3B4B5B6B7B8")));
    let inputs = Inputs {
        host: [None].into(),
        ..Inputs::default()
    };
    let r = run(config(), transaction(5000), vec![UN], &mut card, inputs);
    // TAC default matches "exceeds floor limit": AAC, response code Z3.
    assert_eq!(
        r.apdus.last().unwrap(),
        &apdus(&["80AE0000 0B 5A33 8000008000 11223344 00"])[0]
    );
    assert_eq!(r.outcome.result, TransactionResult::DeclinedOffline);
    assert_eq!(
        r.outcome.reason,
        Some(emv::kernel::Reason::UnableToGoOnline)
    );
    assert_eq!(r.outcome.response_code, Some(*b"Z3"));
}

#[test]
fn issuer_scripts_71_before_and_72_after_with_results() {
    let mut card = online_card(CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x80, "0007", "A1A2A3A4A5A6A7A8")));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0007", "B1B2B3B4B5B6B7B8")));
    // APPLICATION BLOCK succeeds; PIN CHANGE/UNBLOCK fails, so the second 72 command is
    // never sent.
    card.other.insert(0x1E, [hex("9000")].into());
    card.other.insert(0x24, [hex("6985")].into());
    let scripts = [
        t(
            0x71,
            &[
                t(0x9F18, &hex("00000001")),
                t(0x86, &hex("841E0000 04 AABBCCDD")),
            ]
            .concat(),
        ),
        t(
            0x72,
            &[
                t(0x9F18, &hex("00000002")),
                t(0x86, &hex("84240000 04 11223344")),
                t(0x86, &hex("84DA0000 04 55667788")),
            ]
            .concat(),
        ),
    ]
    .concat();
    let inputs = Inputs {
        host: [host(b"00", Some("0102030405060708 3030"), &scripts)].into(),
        ..Inputs::default()
    };
    let r = run(config(), transaction(5000), vec![UN], &mut card, inputs);
    let tail: Vec<&str> = r.apdus[7..].iter().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            "008200000A01020304050607083030",
            "841E000004AABBCCDD",
            "80AE40000B303080000080001122334400",
            "8424000004112233 44".replace(' ', "").as_str(),
        ]
    );
    let o = &r.outcome;
    assert_eq!(
        to_hex(&o.script_results),
        "2000000001".to_string() + "1100000002"
    );
    assert_eq!(o.tvr.to_hex(), "8000008010");
    // Script processing performed as well.
    assert_eq!(o.tsi.to_hex(), "7C00");
    assert!(to_hex(&o.field55).ends_with("9F5B0A20000000011100000002"));
    assert_eq!(o.result, TransactionResult::ApprovedOnline);
}

#[test]
fn velocity_limits_exceeded_and_new_card() {
    let mut card = online_card(CVM_NONE);
    card.get_data.insert(0x9F36, hex("9F3602 0010 9000"));
    card.get_data.insert(0x9F13, hex("9F1302 0000 9000"));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x00, "0010", "A1A2A3A4A5A6A7A8")));
    let r = run(
        config(),
        transaction(5000),
        vec![UN],
        &mut card,
        no_inputs(),
    );
    // 16 offline since the last online > LCOL 3 and UCOL 5; last online ATC 0: new card.
    assert_eq!(r.outcome.tvr.to_hex(), "800800E000");
    assert_eq!(r.outcome.result, TransactionResult::DeclinedOffline);

    let mut card = online_card(CVM_NONE);
    card.get_data.remove(&0x9F13);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x00, "0010", "A1A2A3A4A5A6A7A8")));
    let r = run(
        config(),
        transaction(5000),
        vec![UN],
        &mut card,
        no_inputs(),
    );
    // Last online ATC not returned: both limits count as exceeded.
    assert_eq!(r.outcome.tvr.to_hex(), "800000E000");
}

#[test]
fn card_error_at_second_generate_ac_after_approval_means_reversal() {
    let mut card = online_card(CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x80, "0007", "A1A2A3A4A5A6A7A8")));
    // No second answer queued: the fake card says 6985.
    let inputs = Inputs {
        host: [host(b"00", Some("0102030405060708 3030"), &[])].into(),
        ..Inputs::default()
    };
    let r = run(config(), transaction(5000), vec![UN], &mut card, inputs);
    assert_eq!(
        r.outcome.result,
        TransactionResult::DeclinedByCardAfterApproval
    );
    assert_eq!(
        r.outcome.reason,
        Some(emv::kernel::Reason::CardStatus {
            step: "second GENERATE AC",
            sw: emv::apdu::StatusWord(0x6985)
        })
    );
}

#[test]
fn card_pulled_out_during_72_scripts_keeps_the_approval() {
    let mut card = online_card(CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x80, "0007", "A1A2A3A4A5A6A7A8")));
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0007", "B1B2B3B4B5B6B7B8")));
    // The script command gets no answer at all.
    card.other.insert(0x1E, [Vec::new()].into());
    let scripts = t(
        0x72,
        &[
            t(0x9F18, &hex("00000009")),
            t(0x86, &hex("841E0000 04 AABBCCDD")),
        ]
        .concat(),
    );
    let inputs = Inputs {
        host: [host(b"00", Some("0102030405060708 3030"), &scripts)].into(),
        ..Inputs::default()
    };
    let r = run(config(), transaction(5000), vec![UN], &mut card, inputs);
    assert_eq!(r.outcome.result, TransactionResult::ApprovedOnline);
    assert_eq!(to_hex(&r.outcome.script_results), "1100000009");
    assert_eq!(r.outcome.tvr.to_hex(), "8000008010");
}

#[test]
fn dates_and_capabilities() {
    use emv::kernel::Date;
    assert_eq!(
        Date::from_bcd(&hex("261124")),
        Some(Date {
            year: 2026,
            month: 11,
            day: 24
        })
    );
    // Book 4 6.7.3 windowing: 49 is 2049, 50 is 1950.
    assert_eq!(Date::from_bcd(&hex("491231")).unwrap().year, 2049);
    assert_eq!(Date::from_bcd(&hex("500101")).unwrap().year, 1950);
    assert_eq!(Date::from_bcd(&hex("261324")), None);
    assert_eq!(Date::from_bcd(&hex("2611A4")), None);
    assert_eq!(Date::from_bcd(&hex("2611")), None);
    assert_eq!(
        Date {
            year: 2026,
            month: 1,
            day: 9
        }
        .to_bcd(),
        [0x26, 0x01, 0x09]
    );
    let mut c = config();
    assert!(c.online_capable() && c.offline_capable() && c.attended());
    c.terminal_type = 0x21;
    assert!(c.online_capable() && !c.offline_capable());
    c.terminal_type = 0x23;
    assert!(!c.online_capable() && c.offline_capable());
    c.terminal_type = 0x25;
    assert!(!c.attended());
    c.capabilities = [0xE0, 0x08, 0x00];
    assert!(!c.supports_offline_plaintext_pin() && !c.supports_online_pin());
    assert!(c.supports_no_cvm() && !c.supports_signature());
    assert!(!c.supports_sda() && !c.supports_dda() && !c.supports_cda());
}

#[test]
fn broken_second_answer_keeps_the_arqc_for_the_reversal() {
    let mut card = online_card(CVM_NONE);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x80, "0007", "A1A2A3A4A5A6A7A8")));
    // A format 2 answer with a CID but no ATC and no cryptogram.
    card.generate_ac
        .push_back(gen_ac([t(0x77, &t(0x9F27, &[0x40])), hex("9000")].concat()));
    let inputs = Inputs {
        host: [host(b"00", Some("0102030405060708 3030"), &[])].into(),
        ..Inputs::default()
    };
    let r = run(config(), transaction(5000), vec![UN], &mut card, inputs);
    assert_eq!(
        r.outcome.result,
        TransactionResult::DeclinedByCardAfterApproval
    );
    assert!(matches!(
        r.outcome.reason,
        Some(emv::kernel::Reason::Malformed {
            step: "second GENERATE AC",
            ..
        })
    ));
    assert!(to_hex(&r.outcome.field55).starts_with("9F2608A1A2A3A4A5A6A7A89F270180"));
}

#[test]
fn tc_hash_value_from_the_default_tdol() {
    use sha1::{Digest, Sha1};

    let mut config = config();
    config.aids[0].default_tdol = hex("9F0206 9505");
    let record = [
        t(0x5A, &hex(PAN)),
        t(0x5F24, &hex("271231")),
        t(0x8C, &hex("9F0206 9505 9814")),
        t(0x8D, &hex(CDOL2)),
        t(0x8E, &hex(CVM_NONE)),
        offline_iacs(),
    ]
    .concat();
    let mut card = FakeCard::standard("1800", record);
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0008", "C1C2C3C4C5C6C7C8")));
    let r = run(
        config,
        transaction(500),
        vec![UN, 60],
        &mut card,
        no_inputs(),
    );
    // "Default TDOL used" is set before the hash, so the TVR in the TDOL data has it.
    let tdol_data = hex("000000000500 8000000080");
    let hash = Sha1::digest(&tdol_data).to_vec();
    let expected = format!("80AE4000 1F 000000000500 8000000080 {} 00", to_hex(&hash));
    assert_eq!(r.apdus[4], apdus(&[&expected])[0]);
    assert_eq!(r.outcome.tvr.to_hex(), "8000000080");
}
