//! BER-TLV tests: exact bytes from EMV data, every error kind, and properties.

use emv::tlv::{self, MAX_DEPTH, Tag, TagClass, TlvError, TlvErrorKind};
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// A SELECT PPSE response laid out as EMV Contactless Book B, section 3.3 gives it
// (FCI 6F > A5 > BF0C > directory entry 61), naming 2PAY.SYS.DDF01 and one entry for
// Visa's registered AID A0000000031010 with priority 1; lengths worked out by hand.
const PPSE_FCI: &str = "6F 23 84 0E 32 50 41 59 2E 53 59 53 2E 44 44 46 30 31
    A5 11 BF 0C 0E 61 0C 4F 07 A0 00 00 00 03 10 10 87 01 01";

#[test]
fn tag_basics() {
    let t = Tag::new(0x9F26);
    assert_eq!(t.raw(), 0x9F26);
    assert_eq!(t.len(), 2);
    assert_eq!(t.to_string(), "9F26");
    assert_eq!(format!("{t:?}"), "9F26");
    assert!(!t.is_constructed());
    assert_eq!(t.class(), TagClass::ContextSpecific);
    let mut out = Vec::new();
    t.write(&mut out);
    assert_eq!(out, [0x9F, 0x26]);

    assert_eq!(Tag::new(0x5A).class(), TagClass::Application);
    assert_eq!(Tag::new(0x70).class(), TagClass::Application);
    assert!(Tag::new(0x70).is_constructed());
    assert!(Tag::new(0xBF0C).is_constructed());
    assert_eq!(Tag::new(0xBF0C).class(), TagClass::ContextSpecific);
    assert_eq!(Tag::new(0xDF8101).class(), TagClass::Private);
    assert_eq!(Tag::new(0xDF8101).len(), 3);
    assert_eq!(Tag::new(0x04).class(), TagClass::Universal);
    assert_eq!(Tag::new(0x1F818201).len(), 4);
    assert_eq!(Tag::new(0x1F818201).to_string(), "1F818201");
    assert_eq!(Tag::new(0x05).to_string(), "05");
}

#[test]
fn tag_from_bytes() {
    assert_eq!(Tag::from_bytes(&[0x9F, 0x26]).unwrap(), Tag::new(0x9F26));
    assert_eq!(Tag::from_bytes(&[0x5A]).unwrap(), Tag::new(0x5A));
    assert_eq!(
        Tag::from_bytes(&[0xDF, 0x81, 0x01]).unwrap(),
        Tag::new(0xDF8101)
    );
    let e = Tag::from_bytes(&[0x5A, 0x00]).unwrap_err();
    assert_eq!(
        e,
        TlvError {
            offset: 1,
            kind: TlvErrorKind::TrailingTagBytes { count: 1 }
        }
    );
    let e = Tag::from_bytes(&[0x9F]).unwrap_err();
    assert_eq!(e.kind, TlvErrorKind::TagTruncated { read: 1 });
    let e = Tag::from_bytes(&[]).unwrap_err();
    assert_eq!(e.kind, TlvErrorKind::TagTruncated { read: 0 });
    let e = Tag::from_bytes(&[0x9F, 0x81, 0x81, 0x81, 0x01]).unwrap_err();
    assert_eq!(e.kind, TlvErrorKind::TagTooLong);
    let e = Tag::from_bytes(&[0xFF, 0x01]).unwrap_err();
    assert_eq!(e.kind, TlvErrorKind::InvalidFirstTagByte { byte: 0xFF });
    assert!(Tag::new(0x9F26).is_valid());
    assert!(!Tag::new(0x9F).is_valid());
    assert!(!Tag::new(0x9F80).is_valid());
    assert!(!Tag::new(0x5A01).is_valid());
    assert!(!Tag::new(0x00).is_valid());
}

#[test]
fn tag_from_str() {
    assert_eq!("9F26".parse::<Tag>().unwrap(), Tag::new(0x9F26));
    assert_eq!("9f26".parse::<Tag>().unwrap(), Tag::new(0x9F26));
    assert_eq!("5a".parse::<Tag>().unwrap(), Tag::new(0x5A));
    let e = "9F2".parse::<Tag>().unwrap_err();
    assert_eq!(e.kind, TlvErrorKind::TagTextLength { len: 3 });
    let e = "".parse::<Tag>().unwrap_err();
    assert_eq!(e.kind, TlvErrorKind::TagTextLength { len: 0 });
    let e = "9G26".parse::<Tag>().unwrap_err();
    assert_eq!(
        e,
        TlvError {
            offset: 1,
            kind: TlvErrorKind::TagTextNotHex { found: 'G' }
        }
    );
    let e = "5A01".parse::<Tag>().unwrap_err();
    assert_eq!(
        e,
        TlvError {
            offset: 2,
            kind: TlvErrorKind::TrailingTagBytes { count: 1 }
        }
    );
    assert!("9F".parse::<Tag>().is_err());
    assert!("DF818181".parse::<Tag>().is_err());
}

#[test]
fn parse_ppse_response() {
    let data = hex(PPSE_FCI);
    let top = tlv::parse_all(&data).unwrap();
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].tag, Tag::new(0x6F));
    assert_eq!(top[0].offset, 0);
    assert_eq!(top[0].value.len(), 0x23);

    assert_eq!(
        tlv::find(&data, Tag::new(0x84)).unwrap(),
        Some(&b"2PAY.SYS.DDF01"[..])
    );
    assert_eq!(
        tlv::find(&data, Tag::new(0x4F)).unwrap(),
        Some(&[0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10][..])
    );
    assert_eq!(tlv::find(&data, Tag::new(0x87)).unwrap(), Some(&[0x01][..]));
    assert_eq!(tlv::find(&data, Tag::new(0x9F38)).unwrap(), None);

    let tree = tlv::parse_nested(&data).unwrap();
    let app = tree[0].find(Tag::new(0x61)).unwrap();
    assert_eq!(app.tlv.offset, 23);
    let tags: Vec<_> = app
        .children
        .iter()
        .map(|n| (n.tlv.tag, n.tlv.offset))
        .collect();
    assert_eq!(tags, [(Tag::new(0x4F), 25), (Tag::new(0x87), 34)]);
    let fci_prop = &tree[0].children[1];
    assert_eq!(fci_prop.tlv.tag, Tag::new(0xA5));
    assert_eq!(fci_prop.children[0].tlv.tag, Tag::new(0xBF0C));
}

#[test]
fn long_form_lengths() {
    for (hdr, len) in [
        ("5A 81 80", 0x80usize),
        ("5A 82 01 00", 0x100),
        ("5A 81 05", 5),
        ("5A 83 00 00 03", 3),
        ("5A 84 00 00 00 02", 2),
    ] {
        let mut data = hex(hdr);
        data.extend(std::iter::repeat_n(0x11, len));
        let all = tlv::parse_all(&data).unwrap();
        assert_eq!(all.len(), 1, "{hdr}");
        assert_eq!(all[0].value.len(), len, "{hdr}");
    }
}

#[test]
fn padding_is_skipped() {
    // Book 3 Annex B: 00 bytes may appear before, between and after objects.
    let data = hex("00 00 5A 01 12 FF 00 9F 02 01 34 00 FF");
    let all = tlv::parse_all(&data).unwrap();
    let got: Vec<_> = all.iter().map(|t| (t.tag, t.value, t.offset)).collect();
    assert_eq!(
        got,
        [
            (Tag::new(0x5A), &[0x12][..], 2),
            (Tag::new(0x9F02), &[0x34][..], 7)
        ]
    );
    assert!(tlv::parse_all(&hex("00 FF 00")).unwrap().is_empty());
    // Inside a template too.
    assert_eq!(
        tlv::find(&hex("70 05 00 5A 01 99 00"), Tag::new(0x5A)).unwrap(),
        Some(&[0x99][..])
    );
}

#[test]
fn error_kinds_and_offsets() {
    let cases: &[(&str, usize, TlvErrorKind)] = &[
        ("5A 01 12 9F", 3, TlvErrorKind::TagTruncated { read: 1 }),
        ("9F 81 81 81 01 00", 0, TlvErrorKind::TagTooLong),
        ("5A", 1, TlvErrorKind::LengthMissing),
        ("5A 80 00 00", 1, TlvErrorKind::IndefiniteLength),
        (
            "5A 85 00 00 00 00 01 00",
            1,
            TlvErrorKind::LengthTooManyBytes { count: 5 },
        ),
        (
            "5A 82 01",
            1,
            TlvErrorKind::LengthTruncated { needed: 2, left: 1 },
        ),
        (
            "5A 08 01 02 03",
            1,
            TlvErrorKind::ValueTruncated { needed: 8, left: 3 },
        ),
        // A 4 GB length on a 10-byte input: an error, not an allocation.
        (
            "5A 84 FF FF FF FF 00 00 00 00",
            1,
            TlvErrorKind::ValueTruncated {
                needed: 0xFFFF_FFFF,
                left: 4,
            },
        ),
    ];
    for (input, offset, kind) in cases {
        let e = tlv::parse_all(&hex(input)).unwrap_err();
        assert_eq!(
            e,
            TlvError {
                offset: *offset,
                kind: kind.clone()
            },
            "{input}"
        );
    }
    // Error offsets inside templates count from the start of the outer input.
    let e = tlv::find(&hex("9F02 01 00 70 04 5A 08 01 02"), Tag::new(0x5A)).unwrap_err();
    assert_eq!(
        e,
        TlvError {
            offset: 7,
            kind: TlvErrorKind::ValueTruncated { needed: 8, left: 2 }
        }
    );
}

#[test]
fn error_message() {
    let mut data = vec![0x9F, 0x02, 0x06, 0, 0, 0, 0, 0x10, 0];
    data.extend(hex("5F2A 02 09 78 5A 08 01 02 03"));
    let e = tlv::parse_all(&data).unwrap_err();
    assert_eq!(
        e.to_string(),
        "at byte 15: length runs past the end (needs 8 bytes, 3 left)"
    );
    assert_eq!(
        tlv::parse_all(&hex("5A 80")).unwrap_err().to_string(),
        "at byte 1: indefinite length (80) is not allowed"
    );
}

#[test]
fn iterator_stops_after_first_error() {
    let data = hex("5A 01 12 5A 80 5A 01 34");
    let items: Vec<_> = tlv::parse(&data).collect();
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    assert_eq!(
        items[1].as_ref().unwrap_err().kind,
        TlvErrorKind::IndefiniteLength
    );
}

#[test]
fn find_checks_whole_input() {
    let e = tlv::find(&hex("5A 01 12 9F 02 80"), Tag::new(0x5A)).unwrap_err();
    assert_eq!(e.kind, TlvErrorKind::IndefiniteLength);
}

#[test]
fn nesting_is_bounded() {
    // MAX_DEPTH + 1 nested 70 templates around an empty one.
    let mut data = Vec::new();
    tlv::write(Tag::new(0x70), &[], &mut data).unwrap();
    for _ in 0..MAX_DEPTH {
        let mut outer = Vec::new();
        tlv::write(Tag::new(0x70), &data, &mut outer).unwrap();
        data = outer;
    }
    let e = tlv::parse_nested(&data).unwrap_err();
    assert_eq!(e.kind, TlvErrorKind::TooDeep { max: MAX_DEPTH });
    assert_eq!(e.offset, 2 * MAX_DEPTH);
    assert_eq!(
        tlv::find(&data, Tag::new(0x5A)).unwrap_err().kind,
        TlvErrorKind::TooDeep { max: MAX_DEPTH }
    );
    // One level less is fine.
    let inner = &data[2..];
    assert!(tlv::parse_nested(inner).is_ok());
    assert!(
        tlv::parse_all(&data).is_ok(),
        "the flat parser does not descend"
    );
}

#[test]
fn write_exact_bytes() {
    let mut out = Vec::new();
    tlv::write(Tag::new(0x9F02), &hex("000000001000"), &mut out).unwrap();
    assert_eq!(out, hex("9F02 06 000000001000"));
    let mut out = Vec::new();
    tlv::write(Tag::new(0x70), &[0xAB; 0x80], &mut out).unwrap();
    assert_eq!(out[..3], [0x70, 0x81, 0x80]);
    let mut out = Vec::new();
    tlv::write(Tag::new(0x70), &[0; 0x1234], &mut out).unwrap();
    assert_eq!(out[..4], [0x70, 0x82, 0x12, 0x34]);
    assert_eq!(out.len(), 0x1234 + 4);
    assert_eq!(
        tlv::encoded_len(Tag::new(0x70), 0x1234).unwrap(),
        0x1234 + 4
    );
    let mut out = Vec::new();
    tlv::write(Tag::new(0x5A), &[0; 0x1_0000], &mut out).unwrap();
    assert_eq!(out[..5], [0x5A, 0x83, 0x01, 0x00, 0x00]);

    let mut out = vec![1, 2];
    let e = tlv::write(Tag::new(0x9F), &[1], &mut out).unwrap_err();
    assert_eq!(
        e,
        TlvError {
            offset: 2,
            kind: TlvErrorKind::MalformedTag { raw: 0x9F }
        }
    );
    assert_eq!(out, [1, 2], "nothing written on error");
}

#[test]
fn tlv_debug_hides_value() {
    let data = hex("5A 08 47 61 73 90 01 01 01 19");
    let t = tlv::parse_all(&data).unwrap()[0];
    assert_eq!(format!("{t:?}"), "Tlv { tag: 5A, offset: 0, len: 8 }");
}

/// Well-formed tags of 1 to 4 bytes whose first byte is not padding.
fn any_tag() -> impl Strategy<Value = Tag> {
    (
        1u8..0xFF,
        proptest::collection::vec(0u8..0x80, 1..=3),
        proptest::collection::vec(0x80u8..=0xFF, 0..=2),
    )
        .prop_map(|(first, last_bytes, mid)| {
            let mut bytes = vec![first];
            if first & 0x1F == 0x1F {
                bytes.extend(mid.iter().take(2));
                bytes.push(last_bytes[0]);
            }
            if bytes == [0xFF] || bytes[0] == 0 {
                bytes[0] = 0x5A;
            }
            Tag::new(bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
        })
        .prop_filter("first byte 00/FF is padding", |t| t.is_valid())
}

proptest! {
    #[test]
    fn write_then_parse_round_trips(
        objs in proptest::collection::vec((any_tag(), proptest::collection::vec(any::<u8>(), 0..300)), 0..8)
    ) {
        let mut out = Vec::new();
        for (tag, value) in &objs {
            tlv::write(*tag, value, &mut out).unwrap();
        }
        let parsed = tlv::parse_all(&out).unwrap();
        prop_assert_eq!(parsed.len(), objs.len());
        let mut expect_offset = 0;
        for (p, (tag, value)) in parsed.iter().zip(&objs) {
            prop_assert_eq!(p.tag, *tag);
            prop_assert_eq!(p.value, &value[..]);
            prop_assert_eq!(p.offset, expect_offset);
            expect_offset += tlv::encoded_len(*tag, value.len()).unwrap();
        }
    }

    #[test]
    fn tag_text_round_trips(tag in any_tag()) {
        prop_assert_eq!(tag.to_string().parse::<Tag>().unwrap(), tag);
        prop_assert_eq!(tag.to_string().to_lowercase().parse::<Tag>().unwrap(), tag);
        let mut b = Vec::new();
        tag.write(&mut b);
        prop_assert_eq!(b.len(), tag.len());
        prop_assert_eq!(Tag::from_bytes(&b).unwrap(), tag);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let flat = tlv::parse_all(&data);
        let _ = tlv::parse_nested(&data);
        let _ = tlv::find(&data, Tag::new(0x5A));
        let _ = Tag::from_bytes(&data);
        if let Ok(objs) = flat {
            for o in objs {
                prop_assert!(o.offset < data.len());
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,12}") {
        let _ = s.parse::<Tag>();
    }

    #[test]
    fn nested_written_data_is_found(tag in any_tag(), value in proptest::collection::vec(any::<u8>(), 0..40)) {
        prop_assume!(!tag.is_constructed());
        let mut inner = Vec::new();
        tlv::write(tag, &value, &mut inner).unwrap();
        let mut outer = vec![0x00];
        tlv::write(Tag::new(0x77), &inner, &mut outer).unwrap();
        let got = tlv::find(&outer, tag).unwrap();
        prop_assert_eq!(got, Some(&value[..]));
    }
}
