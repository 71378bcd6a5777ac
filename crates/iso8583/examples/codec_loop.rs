//! Packs and unpacks the benchmark's 0100 a fixed number of times: a steady workload for
//! instruction counting (`valgrind --tool=callgrind`), which load on the machine cannot skew.
//!
//! cargo run --release -p iso8583 --example codec_loop -- 100000

use iso8583::{Message, Mti, specs};
use std::hint::black_box;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let spec = specs::iso87_ascii_bbitmap();
    let mut m = Message::new(Mti::parse("0100").unwrap_or(Mti::ZERO));
    let icc = iso8583::hex::decode(
        "9F2608C2C12B098F3DA6E39F2701809F10120110A00003220000000000000000000000FF9F3704A1B2C3D49F360200419505000004800082025800",
    )
    .unwrap_or_default();
    let fields: [(usize, &[u8]); 17] = [
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
    ];
    for (f, v) in fields {
        let _ = m.set(f, v);
    }
    let _ = m.set(55, &icc);
    let mut out = Vec::with_capacity(512);
    let mut spare: Option<Message<'static>> = Some(Message::new(Mti::ZERO));
    let mut total = 0usize;
    for _ in 0..n {
        out.clear();
        if spec.pack_into(black_box(&m), &mut out).is_err() {
            std::process::exit(1);
        }
        let mut d = spare
            .take()
            .unwrap_or_else(|| Message::new(Mti::ZERO))
            .recycle();
        if spec.unpack_into(&out, &mut d).is_err() {
            std::process::exit(1);
        }
        total += black_box(d.len());
        spare = Some(d.recycle());
    }
    println!("{n} pack+unpack, {total} fields, {} bytes each", out.len());
}
