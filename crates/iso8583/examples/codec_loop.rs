//! Packs and unpacks the benchmark's 0100 a fixed number of times: a steady workload for
//! instruction counting (`valgrind --tool=callgrind`), which load on the machine cannot skew.
//!
//! cargo run --release -p iso8583 --example codec_loop -- 100000

#[path = "../benches/common/mod.rs"]
mod common;

use iso8583::{Message, Mti, specs};
use std::hint::black_box;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let spec = specs::iso87_ascii_bbitmap();
    let m = common::request_0100();
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
