//! Property tests of the journal codec: any bytes decode without panicking, and every record
//! survives encode → decode; a torn tail never loses a whole record before it.

use gateway::batch::{Entry, Side, TxnKey};
use gateway::journal::{MAGIC, Record, decode, encode_all};
use gateway::reversal::AdviceOutcome;
use iso8583::{Message, Mti};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    "[ -~]{0,20}"
}

fn record() -> impl Strategy<Value = Record> {
    prop_oneof![
        (
            any::<u64>(),
            text(),
            any::<u64>(),
            "[0-9]{4}",
            proptest::collection::btree_map(
                2usize..=128,
                proptest::collection::vec(any::<u8>(), 0..40),
                0..12
            )
        )
            .prop_filter("not a bitmap field", |(.., f)| !f.contains_key(&65))
            .prop_map(|(id, link, created_ms, mti, fields)| {
                let mut advice = Message::new(Mti::parse(&mti).unwrap());
                for (n, v) in fields {
                    advice.set_owned(n, v).unwrap();
                }
                Record::AdviceQueued {
                    id,
                    link,
                    created_ms,
                    advice,
                }
            }),
        (any::<u64>(), any::<u32>(), any::<u64>()).prop_map(|(id, attempts, next_attempt_ms)| {
            Record::AdviceAttempted {
                id,
                attempts,
                next_attempt_ms,
            }
        }),
        (any::<u64>(), any::<bool>()).prop_map(|(id, ack)| Record::AdviceClosed {
            id,
            outcome: if ack {
                AdviceOutcome::Acknowledged
            } else {
                AdviceOutcome::GaveUp
            }
        }),
        (
            text(),
            text(),
            text(),
            text(),
            text(),
            any::<bool>(),
            any::<u64>()
        )
            .prop_map(
                |(terminal, stan, transmission, mti, currency, debit, amount_minor)| {
                    Record::BatchAdded {
                        terminal,
                        key: TxnKey { stan, transmission },
                        entry: Entry {
                            mti,
                            currency,
                            side: if debit { Side::Debit } else { Side::Credit },
                            amount_minor,
                        },
                    }
                }
            ),
        (text(), text(), text(), text()).prop_map(|(terminal, stan, transmission, mti)| {
            Record::BatchRemoved {
                terminal,
                key: TxnKey { stan, transmission },
                mti,
            }
        }),
        (text(), text())
            .prop_map(|(terminal, currency)| Record::BatchSettled { terminal, currency }),
    ]
}

proptest! {
    #[test]
    fn any_bytes_decode_without_panic(tail in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode(&tail);
        let mut with_header = MAGIC.to_vec();
        with_header.extend_from_slice(&tail);
        let r = decode(&with_header).unwrap();
        prop_assert!(r.valid_len >= MAGIC.len() && r.valid_len <= with_header.len());
        prop_assert_eq!(r.stopped.is_none(), r.valid_len == with_header.len());
    }

    #[test]
    fn records_round_trip_and_tears_lose_only_the_tail(
        records in proptest::collection::vec(record(), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = encode_all(&records).unwrap();
        let back = decode(&bytes).unwrap();
        prop_assert_eq!(&back.records, &records);
        prop_assert_eq!(back.valid_len, bytes.len());

        let at = cut.index(bytes.len() + 1);
        let torn = decode(&bytes[..at]).unwrap();
        prop_assert!(torn.records.len() <= records.len());
        prop_assert_eq!(&torn.records[..], &records[..torn.records.len()]);
        // Whatever was cut, the valid prefix re-encodes to exactly those bytes.
        if at >= MAGIC.len() {
            prop_assert_eq!(&bytes[..torn.valid_len], &encode_all(&torn.records).unwrap()[..]);
        }
    }
}
