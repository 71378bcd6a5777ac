//! DOL parsing and DOL data building by EMV Book 3, section 5.4.

use std::collections::HashMap;

use emv::dol::{self, DolEntry, DolError};
use emv::tags::{self, Format};
use emv::tlv::{Tag, TlvError, TlvErrorKind};
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// The PDOL that Visa contactless (qVSDC) cards return in their FCI, as seen in many public
// card dumps: TTQ, amount, other amount, terminal country, TVR, currency, date, type, UN.
const VISA_PDOL: &str = "9F66 04 9F02 06 9F03 06 9F1A 02 95 05 5F2A 02 9A 03 9C 01 9F37 04";

fn entry(tag: u32, len: u8) -> DolEntry {
    DolEntry {
        tag: Tag::new(tag),
        len,
    }
}

#[test]
fn parse_visa_pdol() {
    let entries = dol::parse_dol(&hex(VISA_PDOL)).unwrap();
    assert_eq!(
        entries,
        [
            entry(0x9F66, 4),
            entry(0x9F02, 6),
            entry(0x9F03, 6),
            entry(0x9F1A, 2),
            entry(0x95, 5),
            entry(0x5F2A, 2),
            entry(0x9A, 3),
            entry(0x9C, 1),
            entry(0x9F37, 4),
        ]
    );
    assert_eq!(dol::data_len(&entries), 33);
    let mut back = Vec::new();
    dol::write_dol(&entries, &mut back);
    assert_eq!(back, hex(VISA_PDOL));
}

#[test]
fn build_visa_pdol_data() {
    let entries = dol::parse_dol(&hex(VISA_PDOL)).unwrap();
    let values: HashMap<Tag, Vec<u8>> = [
        (tags::TTQ, hex("36004000")),
        (tags::AMOUNT_AUTHORISED_NUMERIC, hex("000000001500")),
        (tags::AMOUNT_OTHER_NUMERIC, hex("000000000000")),
        (tags::TERMINAL_COUNTRY_CODE, hex("0826")),
        (tags::TVR, hex("0000000000")),
        (tags::TRANSACTION_CURRENCY_CODE, hex("0826")),
        (tags::TRANSACTION_DATE, hex("250314")),
        (tags::TRANSACTION_TYPE, hex("00")),
        (tags::UNPREDICTABLE_NUMBER, hex("1A2B3C4D")),
    ]
    .into_iter()
    .collect();
    let data = dol::build_dol_data(&entries, |t| values.get(&t).map(Vec::as_slice));
    assert_eq!(
        data,
        hex("36004000 000000001500 000000000000 0826 0000000000 0826 250314 00 1A2B3C4D")
    );
    let split = dol::split_dol_data(&entries, &data).unwrap();
    assert_eq!(split.len(), 9);
    assert_eq!(
        split[1],
        (tags::AMOUNT_AUTHORISED_NUMERIC, &hex("000000001500")[..])
    );
    assert_eq!(split[8], (tags::UNPREDICTABLE_NUMBER, &hex("1A2B3C4D")[..]));
}

#[test]
fn section_5_4_rules() {
    let pan = hex("4761739001010010");
    let amount = hex("000000001500");
    let un = hex("1A2B3C4D");
    let values: HashMap<Tag, &[u8]> = [
        (tags::PAN, &pan[..]),
        (tags::AMOUNT_AUTHORISED_NUMERIC, &amount[..]),
        (tags::UNPREDICTABLE_NUMBER, &un[..]),
        (tags::TERMINAL_IDENTIFICATION, &b"TERM0001"[..]),
        (Tag::new(0xDF01), &[0x77][..]),
        (tags::READ_RECORD_RESPONSE_TEMPLATE, &[0x5A, 0x00][..]),
    ]
    .into_iter()
    .collect();
    let get = |t: Tag| values.get(&t).copied();
    let build = |tag: u32, len: u8| dol::build_dol_data(&[entry(tag, len)], get);

    // n longer: leftmost bytes go. n shorter: leading zeros.
    assert_eq!(build(0x9F02, 4), hex("00001500"));
    assert_eq!(build(0x9F02, 8), hex("0000 000000001500"));
    // cn shorter: trailing FF. cn longer: rightmost bytes go.
    assert_eq!(build(0x5A, 10), hex("4761739001010010 FFFF"));
    assert_eq!(build(0x5A, 6), hex("476173900101"));
    // b: rightmost bytes go, trailing zeros.
    assert_eq!(build(0x9F37, 2), hex("1A2B"));
    assert_eq!(build(0x9F37, 6), hex("1A2B3C4D 0000"));
    // an: trailing zeros (not spaces), rightmost bytes go.
    assert_eq!(build(0x9F1C, 10), hex("5445524D30303031 0000"));
    assert_eq!(build(0x9F1C, 4), b"TERM".to_vec());
    // Not available, unknown to the terminal, constructed: zeros.
    assert_eq!(build(0x9F35, 1), hex("00"));
    assert_eq!(build(0xDF01, 2), hex("0000"));
    assert_eq!(build(0x70, 3), hex("000000"));
    // A zero length contributes nothing.
    assert_eq!(build(0x9F02, 0), Vec::<u8>::new());

    // The terminal may know proprietary tags: then they are filled like any other.
    let data = dol::build_dol_data_with(&[entry(0xDF01, 3)], get, |t| {
        (t == Tag::new(0xDF01)).then_some(Format::B)
    });
    assert_eq!(data, hex("770000"));
}

#[test]
fn dol_errors() {
    let e = dol::parse_dol(&hex("9F02 06 9F")).unwrap_err();
    assert_eq!(
        e,
        DolError::Entry(TlvError {
            offset: 3,
            kind: TlvErrorKind::TagTruncated { read: 1 }
        })
    );
    let e = dol::parse_dol(&hex("9F02 06 95")).unwrap_err();
    assert_eq!(
        e,
        DolError::Entry(TlvError {
            offset: 4,
            kind: TlvErrorKind::LengthMissing
        })
    );
    assert_eq!(
        e.to_string(),
        "DOL entry at byte 4: length missing after the tag"
    );
    let e = dol::parse_dol(&hex("00 01")).unwrap_err();
    assert_eq!(
        e,
        DolError::Entry(TlvError {
            offset: 0,
            kind: TlvErrorKind::InvalidFirstTagByte { byte: 0 }
        })
    );
    assert_eq!(dol::parse_dol(&[]).unwrap(), []);

    let entries = dol::parse_dol(&hex("9F02 06 95 05")).unwrap();
    let e = dol::split_dol_data(&entries, &[0; 10]).unwrap_err();
    assert_eq!(
        e,
        DolError::DataLength {
            expected_len: 11,
            actual_len: 10
        }
    );
    assert_eq!(e.to_string(), "DOL data is 10 bytes, the DOL asks for 11");
}

fn any_entry() -> impl Strategy<Value = DolEntry> {
    (prop::sample::select(tags::all().to_vec()), any::<u8>())
        .prop_map(|(info, len)| DolEntry { tag: info.tag, len })
}

proptest! {
    #[test]
    fn dol_round_trips(entries in proptest::collection::vec(any_entry(), 0..20)) {
        let mut encoded = Vec::new();
        dol::write_dol(&entries, &mut encoded);
        prop_assert_eq!(dol::parse_dol(&encoded).unwrap(), entries);
    }

    #[test]
    fn built_data_has_dol_length_and_splits_back(
        entries in proptest::collection::vec(any_entry(), 0..20),
        seed in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        // Values of exactly the wanted length come back unchanged.
        let mut values = HashMap::new();
        let mut offset = 0;
        for e in &entries {
            let len = usize::from(e.len);
            let v: Vec<u8> = (0..len).map(|i| seed.get((offset + i) % seed.len().max(1)).copied().unwrap_or(0x5A)).collect();
            offset += len;
            values.entry(e.tag).or_insert(v);
        }
        let data = dol::build_dol_data(&entries, |t| values.get(&t).map(Vec::as_slice));
        prop_assert_eq!(data.len(), dol::data_len(&entries));
        let split = dol::split_dol_data(&entries, &data).unwrap();
        for ((tag, got), e) in split.iter().zip(&entries) {
            prop_assert_eq!(*tag, e.tag);
            let value = &values[tag];
            if tag.is_constructed() {
                prop_assert!(got.iter().all(|&b| b == 0), "constructed {} must be zeros", tag);
            } else if value.len() == usize::from(e.len) {
                prop_assert_eq!(*got, &value[..]);
            }
        }
    }

    #[test]
    fn fit_value_always_gives_the_length(value in proptest::collection::vec(any::<u8>(), 0..40), len in 0usize..40) {
        for format in [Format::A, Format::An, Format::Ans, Format::B, Format::Cn, Format::N] {
            let mut out = vec![0xEE];
            dol::fit_value(&value, len, format, &mut out);
            prop_assert_eq!(out.len(), len + 1);
            let fitted = &out[1..];
            let common = value.len().min(len);
            if format == Format::N {
                prop_assert_eq!(&fitted[len - common..], &value[value.len() - common..]);
                prop_assert!(fitted[..len - common].iter().all(|&b| b == 0));
            } else {
                prop_assert_eq!(&fitted[..common], &value[..common]);
                let pad = if format == Format::Cn { 0xFF } else { 0x00 };
                prop_assert!(fitted[common..].iter().all(|&b| b == pad));
            }
        }
    }

    #[test]
    fn arbitrary_dols_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(entries) = dol::parse_dol(&data) {
            let built = dol::build_dol_data(&entries, |_| Some(&data[..]));
            prop_assert_eq!(built.len(), dol::data_len(&entries));
            prop_assert!(dol::split_dol_data(&entries, &built).is_ok());
        }
    }
}
