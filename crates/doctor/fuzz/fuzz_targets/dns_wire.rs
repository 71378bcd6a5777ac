//! Any bytes as a DNS answer off the network: a typed error or a reply, never a panic. The
//! query id is taken from the input so the fuzzer gets past the id check; a reply holds at most
//! the 64 answers the parser reads, and a 4-bit rcode. A query built from any name either is
//! refused or reads back as the answer to itself once its QR bit is set.
#![no_main]

use doctor::dns_wire::{encode_query, parse_reply};
use libfuzzer_sys::fuzz_target;

/// The name the doctor asks for in its tests; the fuzzer learns it from the comparison.
const NAME: &str = "gw.posnet.test";

fuzz_target!(|data: &[u8]| {
    let id = match data {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    };
    if let Ok(reply) = parse_reply(id, NAME, data) {
        assert!(reply.rcode <= 0x0F);
        assert!(reply.addrs.len() <= 64);
    }
    let _ = parse_reply(id ^ 1, NAME, data);

    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = encode_query(id, name) else {
        return;
    };
    assert!(
        parse_reply(id, name, &query).is_err(),
        "a query is not a response"
    );
    let mut answer = query.clone();
    if let Some(flags) = answer.get_mut(2) {
        *flags |= 0x80;
    }
    let reply = parse_reply(id, name, &answer).unwrap();
    assert_eq!((reply.rcode, reply.addrs.len()), (0, 0));
});
