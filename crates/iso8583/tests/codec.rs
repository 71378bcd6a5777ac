//! The codec's behaviour on each built-in dialect: exact bytes, round trips, and typed errors
//! that name the field and the byte offset.

mod common;

use common::{Rng, random_fields, random_message};
use iso8583::spec::{Encoding, Kind};
use iso8583::{ErrorKind, Location, Message, Mti, Spec, specs};
use proptest::prelude::*;

fn msg(mti: &str, fields: &[(usize, &'static str)]) -> Message<'static> {
    let mut m = Message::new(Mti::parse(mti).unwrap());
    for (n, v) in fields {
        m.set(*n, *v).unwrap();
    }
    m
}

#[test]
fn bcd_dialect_packs_as_jpos_iso87bpackager() {
    let spec = specs::iso87_bcd();
    let m = msg(
        "0200",
        &[
            (2, "4111111111111111"),
            (3, "000000"),
            (22, "051"),
            (28, "C00000100"),
            (35, "4111111111111111D25121010000012300000"),
            (41, "TERM0001"),
        ],
    );
    let out = spec.pack(&m).unwrap();
    let expected = iso8583::hex::decode(concat!(
        "0200",             // MTI, packed BCD
        "6000041020800000", // bitmap: fields 2, 3, 22, 28, 35, 41
        "16",
        "4111111111111111", // LLNUM: BCD length 16, 8 bytes of digits
        "000000",           // n6 in 3 bytes
        "0051",             // n3 left-padded with 0
        "43",
        "00000100", // x+n 8: 'C' then 4 bytes of BCD
        "37",
        "4111111111111111D25121010000012300000",
        "0",                // z..37: odd, right-padded with 0
        "5445524D30303031", // ans8 stays ASCII
    ))
    .unwrap();
    assert_eq!(
        iso8583::hex::encode_upper(&out),
        iso8583::hex::encode_upper(&expected)
    );
    let back = spec.unpack(&out).unwrap();
    assert_eq!(back, m);
}

#[test]
fn default_dialect_borrows_values_from_the_frame() {
    let spec = specs::iso87_ascii_bbitmap();
    let frame = spec
        .pack(&msg(
            "0100",
            &[
                (2, "4111111111111111"),
                (4, "000000001000"),
                (52, "\x01\x02\x03\x04\x05\x06\x07\x08"),
            ],
        ))
        .unwrap();
    let m = spec.unpack(&frame).unwrap();
    let range = frame.as_ptr_range();
    for (_, v) in m.fields() {
        assert!(
            range.contains(&v.as_ptr()),
            "value was copied instead of borrowed"
        );
    }
    assert_eq!(m.text(4), Some("000000001000"));
    assert_eq!(m.get(52), Some(&[1u8, 2, 3, 4, 5, 6, 7, 8][..]));
}

#[test]
fn debug_never_shows_a_pan_or_pin_block() {
    let m = msg(
        "0200",
        &[
            (2, "4111111111111111"),
            (35, "4111111111111111=25122011143804400000"),
            (52, "ABCDEFGH"),
        ],
    );
    let dbg = format!("{m:?}");
    assert!(dbg.contains("411111******1111"), "{dbg}");
    assert!(!dbg.contains("4111111111111111"), "{dbg}");
    assert!(!dbg.contains("1143804400000"), "{dbg}");
    assert!(!dbg.contains("ABCDEFGH"), "{dbg}");
    let dump = m.dump(&specs::iso87_ascii_bbitmap());
    assert!(
        !dump.contains("4111111111111111") && dump.contains("Primary Account Number"),
        "{dump}"
    );
}

fn unpack_err(spec: &Spec, bytes: &[u8]) -> iso8583::CodecError {
    spec.unpack(bytes).expect_err("must fail")
}

#[test]
fn errors_name_field_offset_and_expectation() {
    let spec = specs::iso87_ascii_bbitmap();
    let good = spec
        .pack(&msg(
            "0200",
            &[(3, "000000"), (4, "000000001000"), (11, "000001")],
        ))
        .unwrap();
    // 4 bytes MTI + 8 bytes bitmap: field 3 starts at byte 12, field 4 at 18.

    // Truncated inside field 4.
    let e = unpack_err(&spec, &good[..25]);
    assert_eq!((e.location, e.offset), (Location::Field(4), 18));
    assert_eq!(
        e.kind,
        ErrorKind::Truncated {
            needed: 12,
            available: 7
        }
    );
    assert_eq!(
        e.to_string(),
        "field 4 (Amount, Transaction) at byte 18: needs 12 more bytes but only 7 are left"
    );

    // A letter in a numeric field.
    let mut bad = good.clone();
    bad[20] = b'X';
    let e = unpack_err(&spec, &bad);
    assert_eq!(e.location, Location::Field(4));
    assert_eq!(e.offset, 20);
    assert_eq!(
        e.kind,
        ErrorKind::BadChar {
            position: 2,
            byte: b'X',
            expected: "digits 0-9"
        }
    );

    // Trailing bytes.
    let mut long = good.clone();
    long.extend_from_slice(b"zz");
    assert_eq!(
        unpack_err(&spec, &long).kind,
        ErrorKind::TrailingData { count: 2 }
    );

    // A bad MTI.
    let mut m = good.clone();
    m[1] = b'x';
    assert_eq!(unpack_err(&spec, &m).location, Location::Mti);

    // Secondary bitmap announced but missing.
    let mut sec = b"0800".to_vec();
    sec.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0]);
    let e = unpack_err(&spec, &sec);
    assert_eq!((e.location, e.offset), (Location::Bitmap(2), 12));

    // Bit 65 set in a dialect without a tertiary bitmap.
    let mut ter = b"0800".to_vec();
    ter.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(unpack_err(&spec, &ter).kind, ErrorKind::UndefinedField);

    // A length prefix that is not digits, and one above the maximum.
    let pan = spec.pack(&msg("0100", &[(2, "4111111111111111")])).unwrap();
    let mut p = pan.clone();
    p[12] = b'A';
    assert!(matches!(
        unpack_err(&spec, &p).kind,
        ErrorKind::BadLengthPrefix { .. }
    ));
    let mut p = pan.clone();
    p[12] = b'2';
    p[13] = b'0';
    assert_eq!(
        unpack_err(&spec, &p).kind,
        ErrorKind::TooLong {
            len: 20,
            max: 19,
            unit: "bytes"
        }
    );

    // An empty input.
    assert_eq!(
        unpack_err(&spec, b"").kind,
        ErrorKind::Truncated {
            needed: 4,
            available: 0
        }
    );
}

#[test]
fn packing_refuses_what_the_spec_does_not_allow() {
    let spec = specs::iso87_ascii_bbitmap();
    let e = spec.pack(&msg("0200", &[(4, "1000")])).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::WrongLength {
            len: 4,
            expected: 12,
            unit: "bytes"
        }
    );
    assert_eq!(e.location, Location::Field(4));
    let e = spec
        .pack(&msg("0200", &[(2, "41111111111111111111")]))
        .unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::TooLong {
            len: 20,
            max: 19,
            unit: "bytes"
        }
    );
    let e = spec.pack(&msg("0200", &[(3, "00A000")])).unwrap_err();
    assert!(matches!(
        e.kind,
        ErrorKind::BadChar {
            position: 2,
            byte: b'A',
            ..
        }
    ));
    let mut m = Message::new(Mti::parse("0800").unwrap());
    assert_eq!(m.set(1, "x").unwrap_err().kind, ErrorKind::BitmapField);
    assert_eq!(m.set(65, "x").unwrap_err().kind, ErrorKind::BitmapField);
    assert!(m.set(193, "x").is_err());
    m.set_owned(150, "1").unwrap();
    assert_eq!(
        spec.pack(&m).unwrap_err().kind,
        ErrorKind::OutOfRange { limit: 128 }
    );
    // A failed pack leaves the output buffer as it was.
    let mut out = b"keep".to_vec();
    assert!(spec.pack_into(&m, &mut out).is_err());
    assert_eq!(out, b"keep");
}

#[test]
fn tertiary_bitmap_and_ebcdic_from_a_spec_file() {
    let spec = Spec::from_toml_str(
        r#"
name = "ebcdic-tertiary"
mti = "ebcdic"
bitmap = "binary"
tertiary_bitmap = true
[fields.3]
kind = "n"
max = 6
encoding = "ebcdic"
[fields.70]
kind = "n"
max = 3
encoding = "ebcdic"
[fields.130]
name = "Private ebcdic data"
kind = "ans"
length = "LL"
length_encoding = "ebcdic"
max = 20
encoding = "ebcdic"
"#,
    )
    .unwrap();
    let m = msg("0800", &[(3, "990000"), (70, "301"), (130, "Hi!")]);
    let out = spec.pack(&m).unwrap();
    // MTI "0800" in EBCDIC is F0 F8 F0 F0; bits 1 (secondary) and 3; bits 65 (tertiary) and 70;
    // bit 130.
    assert_eq!(&out[..4], &[0xF0, 0xF8, 0xF0, 0xF0]);
    assert_eq!(&out[4..12], &[0xA0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&out[12..20], &[0x84, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&out[20..28], &[0x40, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&out[28..34], &[0xF9, 0xF9, 0xF0, 0xF0, 0xF0, 0xF0]);
    assert_eq!(&out[37..], &[0xF0, 0xF3, 0xC8, 0x89, 0x5A]);
    assert_eq!(spec.unpack(&out).unwrap(), m);
}

#[test]
fn every_builtin_round_trips_random_messages() {
    let mut rng = Rng::new(42);
    for (name, _) in specs::BUILTIN {
        let spec = specs::builtin(name).unwrap();
        for i in 0..300 {
            let fields = random_fields(&spec, &mut rng);
            let m = random_message(
                &spec,
                if i % 2 == 0 { "0200" } else { "0810" },
                &fields,
                &mut rng,
                0,
            );
            let bytes = spec.pack(&m).unwrap_or_else(|e| panic!("{name}: {e}"));
            let back = spec
                .unpack(&bytes)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(back, m, "{name}");
            let mut again = Vec::new();
            spec.pack_into(&back, &mut again).unwrap();
            assert_eq!(again, bytes, "{name}: repacking changed the bytes");
        }
    }
}

#[test]
fn hex_and_bcd_fields_reject_bad_digits() {
    let spec = specs::iso87_ascii();
    let mut frame = spec
        .pack(&msg("0200", &[(52, "\x01\x02\x03\x04\x05\x06\x07\x08")]))
        .unwrap();
    let at = frame.len() - 3;
    frame[at] = b'G';
    let e = spec.unpack(&frame).unwrap_err();
    assert_eq!(e.location, Location::Field(52));
    assert!(
        matches!(e.kind, ErrorKind::BadHex { byte: b'G', .. }),
        "{e}"
    );

    let bcd = specs::iso87_bcd();
    let mut frame = bcd.pack(&msg("0200", &[(3, "123456")])).unwrap();
    let last = frame.len() - 1;
    frame[last] = 0x5A;
    let e = bcd.unpack(&frame).unwrap_err();
    assert_eq!((e.location, e.offset), (Location::Field(3), 12));
    assert!(
        matches!(
            e.kind,
            ErrorKind::BadBcd {
                position: 5,
                byte: 0x5A
            }
        ),
        "{e}"
    );
}

#[test]
fn builtin_field_kinds_follow_the_1987_table() {
    let spec = specs::iso87_ascii_bbitmap();
    assert_eq!(spec.field(2).unwrap().kind, Kind::N);
    assert_eq!(spec.field(35).unwrap().kind, Kind::Z);
    assert_eq!(spec.field(28).unwrap().kind, Kind::Xn);
    assert_eq!(spec.field(55).unwrap().encoding, Encoding::Binary);
    assert_eq!(
        specs::iso87_ascii().field(55).unwrap().encoding,
        Encoding::Hex
    );
    assert_eq!(specs::iso87_ascii().field(55).unwrap().max_len, 510);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// No input, however hostile, panics the unpacker of any built-in spec.
    #[test]
    fn unpack_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        for (name, _) in specs::BUILTIN {
            let spec = specs::builtin(name).unwrap();
            let _ = spec.unpack(&bytes);
        }
    }

    /// Corrupting one byte of a valid message gives a message or a typed error, never a panic,
    /// and a message that still unpacks packs back to the same bytes.
    #[test]
    fn corrupted_messages_never_panic(seed in any::<u64>(), at in any::<usize>(), byte in any::<u8>()) {
        let mut rng = Rng::new(seed);
        for (name, _) in specs::BUILTIN {
            let spec = specs::builtin(name).unwrap();
            let fields = random_fields(&spec, &mut rng);
            let m = random_message(&spec, "0100", &fields, &mut rng, 0);
            let mut bytes = spec.pack(&m).unwrap();
            let i = at % bytes.len();
            bytes[i] = byte;
            if let Ok(back) = spec.unpack(&bytes) {
                // Hex fields decode either case; BCD fillers are not data: only compare values.
                let again = spec.pack(&back).unwrap();
                prop_assert_eq!(spec.unpack(&again).unwrap(), back);
            }
        }
    }
}
