//! APDU coding: exact bytes of the EMV commands (EMV Book 3 section 6.5 layouts), the four
//! ISO/IEC 7816-4 cases in short and extended form, errors naming their offset, and
//! property tests for round trips and arbitrary input.

use emv::apdu::{
    self, AcReference, AcType, ApduError, Case, Command, PlaintextPin, Response, SelectOccurrence,
    StatusWord,
};
use emv::tags;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn select_pse_is_the_book_1_example() {
    // "1PAY.SYS.DDF01" is the PSE name of EMV Book 1 section 12.2.2.
    let c = apdu::select_by_name(b"1PAY.SYS.DDF01", SelectOccurrence::First);
    assert_eq!(
        c.to_bytes().unwrap(),
        hex("00A4 0400 0E 315041592E5359532E4444463031 00")
    );
    assert_eq!(c.case(), Case::Four);
    let next = apdu::select_by_name(&hex("A0000000031010"), SelectOccurrence::Next);
    assert_eq!(
        next.to_bytes().unwrap(),
        hex("00A40402 07 A0000000031010 00")
    );
}

#[test]
fn emv_command_layouts() {
    assert_eq!(
        apdu::read_record(1, 1).to_bytes().unwrap(),
        hex("00B2010C00")
    );
    assert_eq!(
        apdu::read_record(3, 2).to_bytes().unwrap(),
        hex("00B2031400")
    );
    assert_eq!(
        apdu::get_processing_options(&[])
            .unwrap()
            .to_bytes()
            .unwrap(),
        hex("80A80000 02 8300 00")
    );
    assert_eq!(
        apdu::get_processing_options(&hex("0978"))
            .unwrap()
            .to_bytes()
            .unwrap(),
        hex("80A80000 04 83020978 00")
    );
    assert_eq!(
        apdu::get_data(tags::ATC).to_bytes().unwrap(),
        hex("80CA9F3600")
    );
    assert_eq!(
        apdu::get_data(tags::LAST_ONLINE_ATC_REGISTER)
            .to_bytes()
            .unwrap(),
        hex("80CA9F1300")
    );
    assert_eq!(apdu::get_challenge().to_bytes().unwrap(), hex("0084000000"));
    assert_eq!(
        apdu::internal_authenticate(&hex("01020304"))
            .to_bytes()
            .unwrap(),
        hex("00880000 04 01020304 00")
    );
    assert_eq!(
        apdu::external_authenticate(&hex("11223344556677880000"))
            .to_bytes()
            .unwrap(),
        hex("00820000 0A 11223344556677880000")
    );
    assert_eq!(
        apdu::get_response(0x1C).to_bytes().unwrap(),
        hex("00C000001C")
    );
    assert_eq!(
        apdu::get_response(256).to_bytes().unwrap(),
        hex("00C0000000")
    );
}

#[test]
fn generate_ac_reference_control() {
    let cases = [
        (AcType::Aac, false, 0x00),
        (AcType::Tc, false, 0x40),
        (AcType::Arqc, false, 0x80),
        (AcType::Tc, true, 0x50),
        (AcType::Arqc, true, 0x90),
    ];
    for (ac, cda, p1) in cases {
        let reference = AcReference { ac, cda };
        assert_eq!(reference.to_p1(), p1);
        assert_eq!(AcReference::from_p1(p1), Some(reference));
        let c = apdu::generate_ac(reference, &hex("0102"));
        assert_eq!(
            c.to_bytes().unwrap(),
            [vec![0x80, 0xAE, p1, 0x00, 0x02, 0x01, 0x02, 0x00]].concat()
        );
    }
    assert_eq!(AcReference::from_p1(0xC0), None);
}

#[test]
fn verify_plaintext_pin_block() {
    let pin = PlaintextPin::from_ascii(b"1234").unwrap();
    assert_eq!(
        apdu::verify_plaintext_pin(&pin).to_bytes().unwrap(),
        hex("00200080 08 241234FFFFFFFFFF")
    );
    let long = PlaintextPin::from_ascii(b"123456789012").unwrap();
    assert_eq!(long.block(), &hex("2C123456789012FF")[..]);
    let odd = PlaintextPin::from_ascii(b"12345").unwrap();
    assert_eq!(odd.block(), &hex("2512345FFFFFFFFF")[..]);
    assert!(PlaintextPin::from_block(odd.block()).unwrap().matches(&odd));
    assert!(!PlaintextPin::from_block(odd.block()).unwrap().matches(&pin));
    assert_eq!(
        PlaintextPin::from_ascii(b"12a4").unwrap_err(),
        ApduError::PinFormat { position: 2 }
    );
    assert_eq!(
        PlaintextPin::from_ascii(b"123").unwrap_err(),
        ApduError::PinFormat { position: 3 }
    );
    assert!(PlaintextPin::from_block(&hex("241234FFFFFFFF0F")).is_none());
    assert!(PlaintextPin::from_block(&hex("2412A4FFFFFFFFFF")).is_none());
    assert!(PlaintextPin::from_block(&hex("341234FFFFFFFFFF")).is_none());
    assert_eq!(format!("{pin:?}"), "PlaintextPin(****)");
    assert!(!format!("{:?}", apdu::verify_plaintext_pin(&pin)).contains("1234"));
}

#[test]
fn four_cases_short_and_extended() {
    let c1 = Command::parse(&hex("00A40400")).unwrap();
    assert_eq!((c1.case(), c1.data.len(), c1.le), (Case::One, 0, None));
    let c2 = Command::parse(&hex("0084000000")).unwrap();
    assert_eq!((c2.case(), c2.le), (Case::Two, Some(256)));
    let c3 = Command::parse(&hex("00820000 02 AABB")).unwrap();
    assert_eq!(
        (c3.case(), c3.data.clone(), c3.le),
        (Case::Three, hex("AABB"), None)
    );
    let c4 = Command::parse(&hex("00A40400 02 AABB 10")).unwrap();
    assert_eq!(
        (c4.case(), c4.data.clone(), c4.le),
        (Case::Four, hex("AABB"), Some(16))
    );
    let c2e = Command::parse(&hex("00B00000 00 0000")).unwrap();
    assert_eq!((c2e.case(), c2e.le), (Case::Two, Some(65_536)));
    let c3e = Command::parse(&hex("00D60000 00 0002 AABB")).unwrap();
    assert_eq!((c3e.case(), c3e.data.clone()), (Case::Three, hex("AABB")));
    let c4e = Command::parse(&hex("00D60000 00 0002 AABB 0200")).unwrap();
    assert_eq!((c4e.case(), c4e.le), (Case::Four, Some(512)));

    let big = Command::new(0x00, 0xD6, 0, 0)
        .with_data(vec![7u8; 300])
        .with_le(256);
    let bytes = big.to_bytes().unwrap();
    assert_eq!(&bytes[..7], &hex("00D60000 00012C"));
    assert_eq!(&bytes[307..], &hex("0100"));
    assert_eq!(Command::parse(&bytes).unwrap(), big);
    let le_only = Command::new(0x00, 0xB0, 0, 0).with_le(65_536);
    assert_eq!(le_only.to_bytes().unwrap(), hex("00B00000 000000"));
}

#[test]
fn parse_errors_name_the_part() {
    assert_eq!(
        Command::parse(&hex("00A404")).unwrap_err(),
        ApduError::HeaderTruncated { len: 3 }
    );
    assert_eq!(
        Command::parse(&hex("00A40400 0001")).unwrap_err(),
        ApduError::ExtendedLengthTruncated { body_len: 2 }
    );
    assert_eq!(
        Command::parse(&hex("00A40400 000000 AA")).unwrap_err(),
        ApduError::ZeroExtendedLc
    );
    assert_eq!(
        Command::parse(&hex("00A40400 03 AABB")).unwrap_err(),
        ApduError::LcMismatch {
            offset: 4,
            lc: 3,
            remaining: 2,
            le_len: 1
        }
    );
    assert_eq!(
        Command::parse(&hex("00A40400 02 AABBCCDD")).unwrap_err(),
        ApduError::LcMismatch {
            offset: 4,
            lc: 2,
            remaining: 4,
            le_len: 1
        }
    );
    assert_eq!(
        Command::parse(&hex("00A40400 000002 AABB00")).unwrap_err(),
        ApduError::LcMismatch {
            offset: 5,
            lc: 2,
            remaining: 3,
            le_len: 2
        }
    );
    assert_eq!(
        Command::new(0, 0, 0, 0).with_le(0).to_bytes().unwrap_err(),
        ApduError::LeOutOfRange { le: 0 }
    );
    assert_eq!(
        Command::new(0, 0, 0, 0)
            .with_data(vec![0; 65_536])
            .to_bytes()
            .unwrap_err(),
        ApduError::DataTooLong { len: 65_536 }
    );
    assert_eq!(
        Response::parse(&[0x90]).unwrap_err(),
        ApduError::ResponseTruncated { len: 1 }
    );
    let text = ApduError::LcMismatch {
        offset: 4,
        lc: 3,
        remaining: 2,
        le_len: 1,
    }
    .to_string();
    assert!(text.contains("offset 4"), "{text}");
}

#[test]
fn status_words() {
    let r = Response::parse(&hex("6F00 9000")).unwrap();
    assert_eq!(r.data, hex("6F00"));
    assert_eq!(r.sw, StatusWord::SUCCESS);
    assert!(r.sw.is_success());
    assert_eq!(r.to_bytes(), hex("6F009000"));
    assert_eq!(StatusWord(0x611C).response_bytes_available(), Some(0x1C));
    assert_eq!(StatusWord(0x6100).response_bytes_available(), Some(256));
    assert_eq!(StatusWord(0x6C10).le_to_use(), Some(16));
    assert_eq!(StatusWord(0x63C2).verify_tries_left(), Some(2));
    assert_eq!(StatusWord(0x6300).verify_tries_left(), None);
    assert_eq!(StatusWord::tries_left(0), StatusWord(0x63C0));
    assert_eq!(StatusWord::bytes_available(5), StatusWord(0x6105));
    assert_eq!(StatusWord::correct_le(9), StatusWord(0x6C09));
    assert!(StatusWord::SELECTED_FILE_INVALIDATED.is_warning());
    assert!(!StatusWord::FILE_NOT_FOUND.is_warning());
    assert_eq!(
        [
            StatusWord::WRONG_LENGTH,
            StatusWord::AUTHENTICATION_METHOD_BLOCKED,
            StatusWord::REFERENCED_DATA_INVALIDATED,
            StatusWord::CONDITIONS_NOT_SATISFIED,
            StatusWord::FUNCTION_NOT_SUPPORTED,
            StatusWord::FILE_NOT_FOUND,
            StatusWord::RECORD_NOT_FOUND,
            StatusWord::WRONG_P1_P2,
            StatusWord::INS_NOT_SUPPORTED,
            StatusWord::CLA_NOT_SUPPORTED,
        ]
        .map(|sw| sw.0),
        [
            0x6700, 0x6983, 0x6984, 0x6985, 0x6A81, 0x6A82, 0x6A83, 0x6A86, 0x6D00, 0x6E00
        ]
    );
    assert_eq!(
        StatusWord(0x6A82).to_string(),
        "6A82 (file or application not found)"
    );
    assert_eq!(StatusWord(0x1234).to_string(), "1234");
    assert_eq!(
        (StatusWord(0x6A82).sw1(), StatusWord(0x6A82).sw2()),
        (0x6A, 0x82)
    );
}

fn arb_command() -> impl Strategy<Value = Command> {
    (
        any::<[u8; 4]>(),
        prop_oneof![
            3 => proptest::collection::vec(any::<u8>(), 0..=255),
            1 => proptest::collection::vec(any::<u8>(), 256..=600),
        ],
        prop_oneof![
            Just(None),
            (1usize..=256).prop_map(Some),
            (1usize..=65_536).prop_map(Some)
        ],
    )
        .prop_map(|([cla, ins, p1, p2], data, le)| Command {
            cla,
            ins,
            p1,
            p2,
            data,
            le,
        })
}

proptest! {
    #[test]
    fn command_round_trip(c in arb_command()) {
        let bytes = c.to_bytes().unwrap();
        prop_assert_eq!(Command::parse(&bytes).unwrap(), c);
    }

    #[test]
    fn any_bytes_parse_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(c) = Command::parse(&bytes) {
            // What parsed re-encodes (perhaps shorter, short form) to the same command.
            let again = c.to_bytes().unwrap();
            prop_assert!(again.len() <= bytes.len());
            prop_assert_eq!(Command::parse(&again).unwrap(), c);
        }
        match Response::parse(&bytes) {
            Ok(r) => prop_assert_eq!(r.to_bytes(), bytes),
            Err(e) => prop_assert!(bytes.len() < 2, "{e}"),
        }
    }

    #[test]
    fn pin_block_round_trip(pin in "[0-9]{4,12}") {
        let p = PlaintextPin::from_ascii(pin.as_bytes()).unwrap();
        prop_assert!(PlaintextPin::from_block(p.block()).unwrap().matches(&p));
    }
}
