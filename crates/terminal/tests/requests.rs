//! Every request type, field by field, as docs/protocol.md lists it.

mod common;

use common::*;
use iso8583::specs;
use terminal::request::{self, NetworkCode, RequestError};
use terminal::txn::{PendingReversal, Stamp};
use terminal::{BatchTotals, Stan, TxnKind};

fn stan(n: u32) -> Stan {
    Stan::new(n).unwrap()
}

fn owned(v: &[(usize, &str)]) -> Vec<(usize, String)> {
    v.iter().map(|(n, s)| (*n, s.to_string())).collect()
}

// 2023-11-14T22:13:21Z: field 7 1114221321, local (UTC+0) 221321 / 1114, RRN prefix 3 318 22.
const NOW: i64 = T0 + 1;

#[test]
fn purchase_keyed_fields_and_bytes() {
    let (msg, record) = request::card_request(
        &acceptor(),
        TxnKind::Purchase,
        &keyed_card(),
        1234,
        stan(1),
        &now_at(NOW),
    )
    .unwrap();
    assert_eq!(msg.mti().as_str(), "0200");
    assert_eq!(
        fields(&msg),
        owned(&[
            (2, "5413330089010434"),
            (3, "000000"),
            (4, "000000001234"),
            (7, "1114221321"),
            (11, "000001"),
            (12, "221321"),
            (13, "1114"),
            (14, "2712"),
            (22, "012"),
            (25, "00"),
            (37, "331822000001"),
            (41, "TERM0001"),
            (42, "MERCHANT0000001"),
            (49, "978"),
        ])
    );
    // The same fields encoded by pyiso8583 4.0.1 (`iso8583.encode(d, specs.default)`), an
    // independent implementation of the dialect: bitmap 723C048008C08000.
    let expected = "30323030723c048008c0800031363534313333333030383930313034333430303030303030\
        303030303030303132333431313134323231333231303030303031323231333231313131343237313230\
        313230303333313832323030303030315445524d303030314d45524348414e5430303030303031393738";
    let bytes = specs::iso87_ascii_bbitmap().pack(&msg).unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, expected);
    assert_eq!(record.rrn, "331822000001");
    assert_eq!(record.pan.reveal(), "5413330089010434");
    assert_eq!(record.stamp.transmission, "1114221321");
}

#[test]
fn purchase_swiped_carries_track_2_and_no_pan_or_expiry() {
    let (msg, record) = request::card_request(
        &acceptor(),
        TxnKind::Purchase,
        &swiped_card(),
        500,
        stan(7),
        &now_at(NOW),
    )
    .unwrap();
    assert_eq!(
        fields(&msg),
        owned(&[
            (3, "000000"),
            (4, "000000000500"),
            (7, "1114221321"),
            (11, "000007"),
            (12, "221321"),
            (13, "1114"),
            (22, "022"),
            (25, "00"),
            (35, TRACK2),
            (37, "331822000007"),
            (41, "TERM0001"),
            (42, "MERCHANT0000001"),
            (49, "978"),
        ])
    );
    // The journal keeps the PAN (for a reversal's field 2), never the track.
    assert_eq!(record.pan.reveal(), "4761739001010010");
}

#[test]
fn refund_balance_and_preauth_codes() {
    let a = acceptor();
    let now = now_at(NOW);
    let card = keyed_card();
    let (refund, _) =
        request::card_request(&a, TxnKind::Refund, &card, 250, stan(2), &now).unwrap();
    assert_eq!(refund.mti().as_str(), "0200");
    assert_eq!(refund.text(3), Some("200000"));
    assert_eq!(refund.text(25), Some("00"));

    let (balance, _) =
        request::card_request(&a, TxnKind::Balance, &card, 0, stan(3), &now).unwrap();
    assert_eq!(balance.mti().as_str(), "0200");
    assert_eq!(balance.text(3), Some("310000"));
    assert_eq!(balance.text(4), Some("000000000000"));

    let (pre, _) =
        request::card_request(&a, TxnKind::PreAuth, &swiped_card(), 10_000, stan(4), &now).unwrap();
    assert_eq!(
        fields(&pre),
        owned(&[
            (3, "000000"),
            (4, "000000010000"),
            (7, "1114221321"),
            (11, "000004"),
            (12, "221321"),
            (13, "1114"),
            (22, "022"),
            (25, "06"),
            (35, TRACK2),
            (37, "331822000004"),
            (41, "TERM0001"),
            (42, "MERCHANT0000001"),
            (49, "978"),
        ])
    );
}

#[test]
fn completion_names_the_preauth_in_field_90() {
    let (_, pre) = request::card_request(
        &acceptor(),
        TxnKind::PreAuth,
        &swiped_card(),
        10_000,
        stan(4),
        &now_at(NOW),
    )
    .unwrap();
    // An hour later (2023-11-14T23:13:25Z).
    let later = now_at(NOW + 3604);
    let record = request::completion_record(&pre, "AUTH01", 8_000, stan(9), &later).unwrap();
    let msg = request::completion(&acceptor(), &record).unwrap();
    assert_eq!(msg.mti().as_str(), "0220");
    assert_eq!(
        fields(&msg),
        owned(&[
            (2, "4761739001010010"),
            (3, "000000"),
            (4, "000000008000"),
            (7, "1114231325"),
            (11, "000009"),
            (12, "231325"),
            (13, "1114"),
            (22, "022"),
            (25, "00"),
            (37, "331822000004"),
            (38, "AUTH01"),
            (41, "TERM0001"),
            (42, "MERCHANT0000001"),
            (49, "978"),
            // 0100, STAN 000004, its field 7, acquirer and forwarder ids unknown (zeros).
            (90, "010000000411142213210000000000000000000000"),
        ])
    );
    assert_eq!(
        request::completion_record(&pre, "", 8_000, stan(9), &later),
        Err(RequestError::NoAuthCode)
    );
}

#[test]
fn reversal_repeats_the_original_with_its_own_stan_and_time() {
    let (_, original) = request::card_request(
        &acceptor(),
        TxnKind::Refund,
        &swiped_card(),
        4_200,
        stan(5),
        &now_at(NOW),
    )
    .unwrap();
    let pending = PendingReversal {
        original,
        original_auth_code: Some("AUTH01".into()),
        stan: stan(6),
        stamp: Stamp::at(&now_at(NOW + 30)),
        final_icc: None,
    };
    let msg = request::reversal(&acceptor(), &pending).unwrap();
    assert_eq!(msg.mti().as_str(), "0400");
    assert_eq!(
        fields(&msg),
        owned(&[
            (2, "4761739001010010"),
            (3, "200000"),
            (4, "000000004200"),
            (7, "1114221351"),
            (11, "000006"),
            (12, "221351"),
            (13, "1114"),
            (22, "022"),
            (25, "00"),
            (37, "331822000005"),
            (38, "AUTH01"),
            (41, "TERM0001"),
            (42, "MERCHANT0000001"),
            (49, "978"),
            (90, "020000000511142213210000000000000000000000"),
        ])
    );
    let no_auth = PendingReversal {
        original_auth_code: None,
        ..pending
    };
    assert!(!request::reversal(&acceptor(), &no_auth).unwrap().has(38));
}

#[test]
fn settlement_carries_the_totals() {
    let totals = BatchTotals {
        credits_count: 1,
        debits_count: 3,
        credits_amount_minor: 250,
        debits_amount_minor: 123_456,
    };
    let msg = request::settlement(&acceptor(), &totals, stan(12), &now_at(NOW)).unwrap();
    assert_eq!(msg.mti().as_str(), "0500");
    assert_eq!(
        fields(&msg),
        owned(&[
            (3, "920000"),
            (7, "1114221321"),
            (11, "000012"),
            (12, "221321"),
            (13, "1114"),
            (41, "TERM0001"),
            (42, "MERCHANT0000001"),
            (49, "978"),
            (74, "0000000001"),
            (76, "0000000003"),
            (86, "0000000000000250"),
            (88, "0000000000123456"),
        ])
    );
}

#[test]
fn network_management_has_7_11_41_70() {
    for (code, f70) in [
        (NetworkCode::SignOn, "001"),
        (NetworkCode::Echo, "301"),
        (NetworkCode::SignOff, "002"),
    ] {
        let msg = request::network(&acceptor(), code, stan(99), &now_at(NOW)).unwrap();
        assert_eq!(msg.mti().as_str(), "0800");
        assert_eq!(
            fields(&msg),
            owned(&[
                (7, "1114221321"),
                (11, "000099"),
                (41, "TERM0001"),
                (70, f70),
            ])
        );
    }
}

#[test]
fn rrn_is_yddd_hh_and_stan() {
    // 2024-02-29T12:00:00Z is day 060 of 2024; local time UTC-05:00 is 07:00 the same day.
    let now = terminal::Now {
        unix_s: 1_709_208_000,
        utc_offset_min: -300,
    };
    assert_eq!(request::rrn(&now, stan(123_456)), "406007123456");
    assert_eq!(now.transmission_field(), "0229120000");
    assert_eq!(now.local_time_field(), "070000");
    // 2025-01-01T00:30:00Z at UTC-01:00 is still 2024-12-31 (day 366) locally.
    let now = terminal::Now {
        unix_s: 1_735_691_400,
        utc_offset_min: -60,
    };
    assert_eq!(request::rrn(&now, stan(1)), "436623000001");
    assert_eq!(now.local_date_field(), "1231");
}

#[test]
fn refuses_bad_amounts_and_identities() {
    let a = acceptor();
    let now = now_at(NOW);
    assert_eq!(
        request::card_request(&a, TxnKind::Purchase, &keyed_card(), 0, stan(1), &now).err(),
        Some(RequestError::Amount {
            kind: "purchase",
            amount_minor: 0
        })
    );
    assert!(matches!(
        request::card_request(
            &a,
            TxnKind::Refund,
            &keyed_card(),
            1_000_000_000_000,
            stan(1),
            &now
        ),
        Err(RequestError::Amount { .. })
    ));
    assert!(matches!(
        request::card_request(&a, TxnKind::Completion, &keyed_card(), 1, stan(1), &now),
        Err(RequestError::WrongKind { .. })
    ));
    assert!(matches!(
        terminal::Acceptor::new("TERMINAL9", "M", "978"),
        Err(RequestError::Identity { .. })
    ));
    assert!(matches!(
        terminal::Acceptor::new("T", "M", "97"),
        Err(RequestError::Currency(_))
    ));
    let short = terminal::Acceptor::new("T1", "M1", "840").unwrap();
    assert_eq!(short.terminal_id(), "T1      ");
    assert_eq!(short.merchant_id(), "M1             ");
}
