//! Pack, unpack and pack+unpack of an 18-field 0100 authorization request in the default
//! dialect, reusing buffers as a long-lived connection does.

use criterion::{Criterion, criterion_group, criterion_main};
mod common;

use iso8583::{Message, Mti, specs};
use std::hint::black_box;

fn codec(c: &mut Criterion) {
    let spec = specs::iso87_ascii_bbitmap();
    let msg = common::request_0100();
    let frame = spec.pack(&msg).unwrap();
    let mut out = Vec::with_capacity(512);
    let mut g = c.benchmark_group("iso8583 0100 18 fields");
    g.bench_function("pack", |b| {
        b.iter(|| {
            out.clear();
            spec.pack_into(black_box(&msg), &mut out).unwrap();
            black_box(out.len())
        })
    });
    let mut decoded = Message::new(Mti::ZERO);
    g.bench_function("unpack", |b| {
        b.iter(|| {
            spec.unpack_into(black_box(&frame), &mut decoded).unwrap();
            black_box(decoded.len())
        })
    });
    // The unpacked message borrows each fresh frame; `recycle` hands its allocations on, as a
    // connection's read loop does.
    g.bench_function("pack+unpack", |b| {
        let mut spare: Option<Message<'static>> = Some(Message::new(Mti::ZERO));
        b.iter(|| {
            out.clear();
            spec.pack_into(black_box(&msg), &mut out).unwrap();
            let mut decoded = spare.take().unwrap().recycle();
            spec.unpack_into(&out, &mut decoded).unwrap();
            let n = black_box(decoded.len());
            spare = Some(decoded.recycle());
            n
        })
    });
    g.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
