//! Every framing codec reads arbitrary stream bytes frame by frame without panicking, and
//! every frame it reads re-encodes to the same bytes.
#![no_main]

use iso8583::frame::{Frame, Framing, LengthHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for header in [LengthHeader::Binary2, LengthHeader::Bcd2, LengthHeader::Ascii4] {
        for tpdu in [false, true] {
            let f = Framing { header, tpdu, frame_max: 4096 };
            let mut rest = data;
            // Bounded: each frame consumes at least the header's width.
            while let Ok(Some((frame, used))) = f.decode(rest) {
                let mut out = Vec::new();
                match frame {
                    Frame::KeepAlive => f.encode_keepalive(&mut out),
                    Frame::Message { tpdu, payload } => f.encode(tpdu, payload, &mut out).expect("re-encode"),
                }
                assert_eq!(&out[..], &rest[..used]);
                rest = &rest[used..];
            }
        }
    }
});
