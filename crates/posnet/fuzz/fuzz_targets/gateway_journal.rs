//! The gateway's journal reader (`gateway::journal::decode`): any bytes are a replay or a bad
//! header, never a panic. The bytes are also cut into payloads and framed with their length
//! and CRC-32 as the gateway frames them, so the fuzzer gets past the checksum to the records;
//! every record read back writes out to a journal that reads back the same, and replays into
//! a gateway (`Gateway::replay`, as at start-up) with a typed error or a change, never a panic.
#![no_main]

use std::sync::OnceLock;

use gateway::Gateway;
use gateway::config::Config;
use gateway::journal::{MAGIC, decode, encode_all};
use libfuzzer_sys::fuzz_target;

/// The documented example config: the gateway the records replay into.
fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| Config::from_toml(&Config::example()).unwrap())
}

fn check(bytes: &[u8]) {
    let Ok(replay) = decode(bytes) else {
        return;
    };
    assert!(replay.valid_len <= bytes.len());
    let mut gateway = Gateway::new(config());
    for record in &replay.records {
        let _ = gateway.replay(record);
    }
    if replay.stopped.is_none() {
        assert_eq!(replay.valid_len, bytes.len());
    }
    let Ok(again) = encode_all(&replay.records) else {
        return;
    };
    let reread = decode(&again).unwrap();
    assert_eq!(reread.records, replay.records);
    assert_eq!((reread.valid_len, reread.stopped), (again.len(), None));
}

fuzz_target!(|data: &[u8]| {
    check(data);

    // Each payload is one length byte and that many bytes of the input.
    let mut framed = MAGIC.to_vec();
    let mut rest = data;
    while let Some((len, tail)) = rest.split_first() {
        let take = usize::from(*len).min(tail.len());
        let (payload, after) = tail.split_at(take);
        framed.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        framed.extend_from_slice(&terminal::crc32(payload).to_be_bytes());
        framed.extend_from_slice(payload);
        rest = after;
    }
    check(&framed);
});
