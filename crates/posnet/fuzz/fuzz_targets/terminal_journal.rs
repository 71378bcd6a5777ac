//! The terminal's journal (`terminal::journal`): any bytes scan to records or a typed error,
//! never a panic, and the records replay into the state as `Journal::open` does. The bytes are
//! also cut into payloads and framed with their length and CRC-32 as the terminal frames them,
//! so the fuzzer gets past the checksum to the records and the replay. Every record read back
//! encodes to a payload that reads back the same, and a replayed state's snapshot (what a
//! compaction writes) replays cleanly into a fresh state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terminal::journal::record::MAGIC;
use terminal::journal::{JournalState, Record, scan};

fn check(bytes: &[u8]) {
    let Ok(scanned) = scan(bytes) else {
        return;
    };
    assert_eq!(scanned.valid_len + scanned.torn_len, bytes.len());
    let mut state = JournalState::default();
    for (offset, record) in &scanned.records {
        assert!(*offset >= MAGIC.len() && *offset < scanned.valid_len);
        if let Ok(payload) = record.payload() {
            assert_eq!(&Record::from_payload(&payload).unwrap(), record);
        }
        if state.apply(record).is_err() {
            return;
        }
    }
    let _ = (state.totals(), state.next_stan(), state.recovery_count());
    let mut fresh = JournalState::default();
    for record in state.snapshot() {
        fresh.apply(&record).unwrap();
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let _ = Record::from_payload(data);

    // Each payload is one length byte and that many bytes of the input.
    let mut framed = MAGIC.to_vec();
    let mut rest = data;
    while let Some((len, tail)) = rest.split_first() {
        let take = usize::from(*len).min(tail.len());
        let (payload, after) = tail.split_at(take);
        framed.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        framed.extend_from_slice(&terminal::crc32(payload).to_le_bytes());
        framed.extend_from_slice(payload);
        rest = after;
    }
    check(&framed);
});
