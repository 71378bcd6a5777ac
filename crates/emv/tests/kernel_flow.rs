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
