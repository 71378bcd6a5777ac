//! Any bytes as a captured IPv4 packet: `None` or the TCP fields, never a panic. What is read
//! back comes from where RFC 791 and RFC 9293 put it (TTL at byte 8, TCP after IHL words).
#![no_main]

use doctor::packet::{hops_from_ttl, parse_ipv4_tcp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(seen) = parse_ipv4_tcp(data) else {
        return;
    };
    assert_eq!(data[0] >> 4, 4);
    assert_eq!(data[9], 6);
    assert_eq!(seen.ttl, data[8]);
    let ihl = usize::from(data[0] & 0x0F) * 4;
    assert!(data.len() >= ihl + 20);
    assert_eq!(seen.flags, data[ihl + 13]);
    assert_eq!(
        seen.src_port,
        u16::from_be_bytes([data[ihl], data[ihl + 1]])
    );
    let initial = u16::from(seen.ttl) + u16::from(hops_from_ttl(seen.ttl));
    assert!([64, 128, 255].contains(&initial));
});
