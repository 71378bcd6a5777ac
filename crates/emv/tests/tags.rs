//! Data element dictionary: coverage of EMV Book 3 Annex A, lookups, and masked rendering.

use emv::tags::{self, Format, Length, Sensitivity, Source, describe, dump, lookup, mask_pan};
use emv::tlv::{self, Tag};
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// Every tagged data element of EMV 4.3 Book 3 Annex A, Table 33.
const ANNEX_A: &[u32] = &[
    0x5F57, 0x9F01, 0x9F40, 0x81, 0x9F02, 0x9F04, 0x9F03, 0x9F3A, 0x9F26, 0x9F42, 0x9F44, 0x9F05,
    0x5F25, 0x5F24, 0x94, 0x4F, 0x9F06, 0x82, 0x50, 0x9F12, 0x5A, 0x5F34, 0x87, 0x9F3B, 0x9F43,
    0x61, 0x9F36, 0x9F07, 0x9F08, 0x9F09, 0x89, 0x8A, 0x5F54, 0x8C, 0x8D, 0x5F20, 0x9F0B, 0x8E,
    0x9F34, 0x8F, 0x9F22, 0x83, 0x9F27, 0x9F45, 0x84, 0x9D, 0x73, 0x9F49, 0xBF0C, 0xA5, 0x6F,
    0x9F4C, 0x9F2D, 0x9F2E, 0x9F2F, 0x9F46, 0x9F47, 0x9F48, 0x9F1E, 0x5F53, 0x9F0D, 0x9F0E, 0x9F0F,
    0x9F10, 0x91, 0x9F11, 0x5F28, 0x5F55, 0x5F56, 0x42, 0x9F0C, 0x90, 0x9F32, 0x92, 0x86, 0x9F18,
    0x71, 0x72, 0x5F50, 0x5F2D, 0x9F13, 0x9F4D, 0x9F4F, 0x9F14, 0x9F15, 0x9F16, 0x9F4E, 0x9F17,
    0x9F39, 0x9F38, 0x70, 0x80, 0x77, 0x5F30, 0x88, 0x9F4B, 0x93, 0x9F4A, 0x9F33, 0x9F1A, 0x9F1B,
    0x9F1C, 0x9F1D, 0x9F35, 0x95, 0x9F1F, 0x9F20, 0x57, 0x97, 0x98, 0x5F2A, 0x5F36, 0x9A, 0x99,
    0x9F3C, 0x9F3D, 0x9F41, 0x9B, 0x9F21, 0x9C, 0x9F37, 0x9F23,
];

// Visa's published test PAN (Visa ADVT / qVSDC test cards).
const TEST_PAN: &str = "4761739001010010";

#[test]
fn annex_a_is_covered() {
    for &raw in ANNEX_A {
        assert!(lookup(Tag::new(raw)).is_some(), "{raw:X} missing");
    }
    for raw in [0x9F66, 0x9F6C, 0x9F6E, 0x9F6B, 0x56, 0x9F24] {
        assert!(lookup(Tag::new(raw)).is_some(), "{raw:X} missing");
    }
    assert!(lookup(Tag::new(0xDF01)).is_none());
}

#[test]
fn dictionary_is_consistent() {
    let all = tags::all();
    for pair in all.windows(2) {
        assert!(
            pair[0].tag < pair[1].tag,
            "{} before {}",
            pair[0].tag,
            pair[1].tag
        );
    }
    for info in all {
        assert!(info.tag.is_valid(), "{}", info.tag);
        assert!(!info.name.is_empty());
        assert_eq!(lookup(info.tag), Some(info));
        if let Length::Range { min, max } = info.length {
            assert!(min <= max, "{}", info.tag);
        }
        // Templates are exactly the constructed tags; 80 and 83 are primitive despite the name.
        let primitive_template = [Tag::new(0x80), Tag::new(0x83)].contains(&info.tag);
        let template = info.name.contains("Template") && !primitive_template
            || info.tag == tags::FCI_ISSUER_DISCRETIONARY_DATA;
        assert_eq!(
            info.tag.is_constructed(),
            template,
            "{} {}",
            info.tag,
            info.name
        );
    }
}

#[test]
fn lookup_values() {
    let ac = lookup(Tag::new(0x9F26)).unwrap();
    assert_eq!(ac.name, "Application Cryptogram");
    assert_eq!(
        (ac.format, ac.length, ac.source),
        (Format::B, Length::Fixed(8), Source::Icc)
    );
    let amount = lookup(tags::AMOUNT_AUTHORISED_NUMERIC).unwrap();
    assert_eq!(amount.tag, Tag::new(0x9F02));
    assert_eq!(
        (amount.format, amount.length),
        (Format::N, Length::Fixed(6))
    );
    let pan = lookup(tags::PAN).unwrap();
    assert_eq!(
        (pan.format, pan.sensitivity),
        (Format::Cn, Sensitivity::Pan)
    );
    assert_eq!(
        lookup(tags::AUTHORISATION_RESPONSE_CODE).unwrap().source,
        Source::IssuerOrTerminal
    );
    assert_eq!(
        lookup(tags::CVM_LIST).unwrap().length,
        Length::Range { min: 10, max: 252 }
    );
    assert!(Length::Range { min: 5, max: 16 }.allows(16));
    assert!(!Length::Range { min: 5, max: 16 }.allows(4));
    assert_eq!(
        lookup(tags::TRANSACTION_PIN_DATA).unwrap().sensitivity,
        Sensitivity::Hidden
    );
}

#[test]
fn mask_pan_keeps_6_and_4() {
    assert_eq!(mask_pan(TEST_PAN), "476173******0010");
    assert_eq!(mask_pan("5413330089020011234"), "541333*********1234");
    assert_eq!(mask_pan("12345678901"), "123456*8901");
    assert_eq!(mask_pan("1234567890"), "**********");
    assert_eq!(mask_pan(""), "");
}

#[test]
fn describe_formats() {
    assert_eq!(
        describe(tags::AMOUNT_AUTHORISED_NUMERIC, &hex("000000001000")),
        "000000001000"
    );
    assert_eq!(
        describe(tags::TRANSACTION_CURRENCY_CODE, &hex("0978")),
        "0978"
    );
    assert_eq!(describe(tags::TRANSACTION_DATE, &hex("251231")), "251231");
    assert_eq!(
        describe(tags::TRANSACTION_DATE, &hex("25123A")),
        "25123A (not BCD)"
    );
    assert_eq!(
        describe(tags::APPLICATION_LABEL, b"VISA CREDIT"),
        "\"VISA CREDIT\""
    );
    assert_eq!(
        describe(tags::APPLICATION_LABEL, &[0x41, 0x07]),
        "4107 (not text)"
    );
    assert_eq!(
        describe(
            tags::APPLICATION_CRYPTOGRAM,
            &hex("8A 3F 00 11 22 33 44 55")
        ),
        "8A3F001122334455"
    );
    assert_eq!(
        describe(tags::TRACK2_DISCRETIONARY_DATA, &hex("1234")),
        "(hidden, 2 bytes)"
    );
    assert_eq!(describe(Tag::new(0xDF01), &hex("01AB")), "01AB");
    assert_eq!(
        describe(
            tags::ISSUER_IDENTIFICATION_NUMBER_EXTENDED,
            &hex("12345678")
        ),
        "12345678"
    );
}

#[test]
fn describe_masks_secrets() {
    assert_eq!(describe(tags::PAN, &hex(TEST_PAN)), "476173******0010");
    // A 19-digit PAN padded with F (cn).
    assert_eq!(
        describe(tags::PAN, &hex("5413330089020011234F")),
        "541333*********1234"
    );
    assert_eq!(
        describe(
            tags::TRACK2_EQUIVALENT_DATA,
            &hex("4761739001010010D25122011143804400000F")
        ),
        format!(
            "476173******0010D{}",
            "*".repeat("25122011143804400000".len())
        )
    );
    assert_eq!(
        describe(tags::TRACK2_DATA, &hex("4761739001010010D2512201")),
        "476173******0010D*******"
    );
    assert_eq!(
        describe(tags::TRANSACTION_PIN_DATA, &hex("0123456789ABCDEF")),
        "(hidden, 8 bytes)"
    );
    assert_eq!(
        describe(
            tags::TRACK1_DATA,
            b"B4761739001010010^CARDHOLDER/VISA^2512201"
        ),
        format!(
            "B476173******0010^{}",
            "*".repeat("CARDHOLDER/VISA^2512201".len())
        )
    );
    // Inside a template, and inside a template that does not parse.
    let record = hex("70 0B 5A 08 4761739001010010 5F24 03 251231");
    assert_eq!(
        describe(tags::READ_RECORD_RESPONSE_TEMPLATE, &record[2..]),
        "{5A=476173******0010, 5F24=251231}"
    );
    let broken = hex("5A 09 4761739001010010");
    let shown = describe(tags::READ_RECORD_RESPONSE_TEMPLATE, &broken);
    assert_eq!(
        shown,
        "(10 bytes, malformed TLV: at byte 1: length runs past the end (needs 9 bytes, 8 left))"
    );
}

#[test]
fn dump_exact() {
    let data = hex(
        "77 1E 9F27 01 80 9F36 02 0001 9F26 08 1122334455667788 57 08 4761739001010010 9F02 01 00",
    );
    let dumped = dump(&data).unwrap();
    assert_eq!(
        dumped,
        "77 Response Message Template Format 2 [30]\n\
         \x20 9F27 Cryptogram Information Data [1]: 80\n\
         \x20 9F36 Application Transaction Counter (ATC) [2]: 0001\n\
         \x20 9F26 Application Cryptogram [8]: 1122334455667788\n\
         \x20 57 Track 2 Equivalent Data [8]: ****************\n\
         9F02 Amount, Authorised (Numeric) [1]: 00\n"
    );
    assert!(dump(&hex("9F02 05 00")).is_err());
}

proptest! {
    #[test]
    fn pans_never_shown_in_clear(digits in "[0-9]{13,19}", exp in "[0-9]{4}") {
        let mut pan_hex = digits.clone();
        if pan_hex.len() % 2 == 1 { pan_hex.push('F'); }
        let mut t2 = format!("{digits}D{exp}201");
        if t2.len() % 2 == 1 { t2.push('F'); }
        let masked = mask_pan(&digits);
        let t2_shown = format!("{masked}D{}", "*".repeat(exp.len() + 3));
        for (tag, value, expect) in [
            (tags::PAN, hex(&pan_hex), masked.clone()),
            (tags::TRACK2_EQUIVALENT_DATA, hex(&t2), t2_shown),
        ] {
            prop_assert_eq!(describe(tag, &value), expect);
            let mut wrapped = Vec::new();
            tlv::write(tag, &value, &mut wrapped).unwrap();
            let mut record = Vec::new();
            tlv::write(Tag::new(0x70), &wrapped, &mut record).unwrap();
            let dumped = dump(&record).unwrap();
            prop_assert!(!dumped.contains(&digits));
            prop_assert!(dumped.contains(&mask_pan(&digits)));
        }
    }

    #[test]
    fn describe_never_panics(raw in any::<u32>(), value in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = describe(Tag::new(raw), &value);
        for info in tags::all() {
            let _ = describe(info.tag, &value);
        }
    }
}
