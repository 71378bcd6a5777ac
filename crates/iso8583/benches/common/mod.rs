//! The benchmark message, shared by the criterion bench and the `codec_loop` example.

use iso8583::{Message, Mti};

const ICC: &[u8] = &[
    0x9F, 0x26, 0x08, 0xC2, 0xC1, 0x2B, 0x09, 0x8F, 0x3D, 0xA6, 0xE3, 0x9F, 0x27, 0x01, 0x80, 0x9F,
    0x10, 0x12, 0x01, 0x10, 0xA0, 0x00, 0x03, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xFF, 0x9F, 0x37, 0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0x9F, 0x36, 0x02, 0x00,
    0x41, 0x95, 0x05, 0x00, 0x00, 0x04, 0x80, 0x00, 0x82, 0x02, 0x58, 0x00,
];

/// The 18-field 0100 of issue 2: PAN, processing code, amount, transmission time, STAN, local
/// time and date, expiry, MCC, POS entry mode, condition code, acquirer id, track 2, RRN,
/// terminal id, merchant id, currency and field 55.
pub fn request_0100() -> Message<'static> {
    let mut m = Message::new(Mti::parse("0100").unwrap());
    let fields: [(usize, &'static [u8]); 18] = [
        (2, b"4761739001010010"),
        (3, b"000000"),
        (4, b"000000012345"),
        (7, b"1124153045"),
        (11, b"000123"),
        (12, b"153045"),
        (13, b"1124"),
        (14, b"2512"),
        (18, b"5411"),
        (22, b"051"),
        (25, b"00"),
        (32, b"12345678"),
        (35, b"4761739001010010=25122011143804400000"),
        (37, b"432915000123"),
        (41, b"TERM0001"),
        (42, b"MERCHANT0000001"),
        (49, b"840"),
        (55, ICC),
    ];
    for (n, v) in fields {
        m.set(n, v).unwrap();
    }
    m
}
