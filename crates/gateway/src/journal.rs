//! The gateway's journal: an append-only file of [`Record`]s that rebuilds the reversal queue
//! and the batch totals after a restart. The adapter appends and fsyncs; this module only
//! turns records into bytes and back.
//!
//! Layout: the 8-byte header `PNGWJRN1`, then records, each
//! `length (u32 BE) | CRC-32 of the payload (u32 BE) | payload`. A payload is a tag byte and
//! the record's fields: integers big-endian, strings and field values as a u16 BE length
//! then bytes. A crash can leave a torn last record; [`decode`] returns every whole record
//! before it and the length of that valid prefix, so the adapter can truncate the tail and
//! append again.

use iso8583::{Message, Mti};

use crate::batch::{Entry, Side, TxnKey};
use crate::reversal::AdviceOutcome;
use crc32fast::hash as crc32;

/// The first eight bytes of every journal (format version 1).
pub const MAGIC: [u8; 8] = *b"PNGWJRN1";
/// Largest payload a record may have; a length above it means corruption, not a record.
pub const RECORD_LEN_MAX: usize = 16 * 1024;
const FRAME_HEADER_LEN: usize = 8;

/// One durable fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A reversal advice (0420) entered the queue, bound for issuer link `link`.
    AdviceQueued {
        id: u64,
        link: String,
        created_ms: u64,
        advice: Message<'static>,
    },
    /// The advice has been sent `attempts` times; the next send is due at `next_attempt_ms`.
    AdviceAttempted {
        id: u64,
        attempts: u32,
        next_attempt_ms: u64,
    },
    /// The advice left the queue.
    AdviceClosed { id: u64, outcome: AdviceOutcome },
    /// An approved transaction joined a terminal's batch.
    BatchAdded {
        terminal: String,
        key: TxnKey,
        entry: Entry,
    },
    /// A reversal took transaction `key` (an `mti`) out of the batch.
    BatchRemoved {
        terminal: String,
        key: TxnKey,
        mti: String,
    },
    /// The terminal settled its batch in `currency`.
    BatchSettled { terminal: String, currency: String },
}

/// Why a journal or one of its records cannot be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("the journal does not start with the gateway journal header {MAGIC:?}")]
    BadHeader,
    #[error("journal record at byte {offset} is cut short (a torn write)")]
    Truncated { offset: usize },
    #[error(
        "journal record at byte {offset} claims {len} bytes, above the {RECORD_LEN_MAX}-byte limit"
    )]
    TooLong { offset: usize, len: usize },
    #[error("journal record at byte {offset} fails its checksum")]
    Checksum { offset: usize },
    #[error("journal record at byte {offset}: {what}")]
    Malformed { offset: usize, what: String },
    #[error("journal record cannot be written: {0}")]
    Unwritable(String),
}

/// What a journal held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub records: Vec<Record>,
    /// Bytes of the header and whole records; the rest (if any) should be cut off.
    pub valid_len: usize,
    /// Why reading stopped before the end, when it did.
    pub stopped: Option<JournalError>,
}

const TAG_ADVICE_QUEUED: u8 = 1;
const TAG_ADVICE_ATTEMPTED: u8 = 2;
const TAG_ADVICE_CLOSED: u8 = 3;
const TAG_BATCH_ADDED: u8 = 4;
const TAG_BATCH_REMOVED: u8 = 5;
const TAG_BATCH_SETTLED: u8 = 6;

/// Appends `record`, framed, to `out`. On error `out` is left as it was.
pub fn encode(record: &Record, out: &mut Vec<u8>) -> Result<(), JournalError> {
    let mut p = Vec::with_capacity(128);
    encode_payload(record, &mut p)?;
    if p.len() > RECORD_LEN_MAX {
        return Err(JournalError::Unwritable(format!(
            "{} bytes is above the {RECORD_LEN_MAX}-byte record limit",
            p.len()
        )));
    }
    out.extend_from_slice(&(p.len() as u32).to_be_bytes());
    out.extend_from_slice(&crc32(&p).to_be_bytes());
    out.extend_from_slice(&p);
    Ok(())
}

/// A whole journal: the header and `records` (what a compaction writes to a new file).
pub fn encode_all<'r>(
    records: impl IntoIterator<Item = &'r Record>,
) -> Result<Vec<u8>, JournalError> {
    let mut out = MAGIC.to_vec();
    for r in records {
        encode(r, &mut out)?;
    }
    Ok(out)
}

fn put_str(p: &mut Vec<u8>, s: &[u8]) -> Result<(), JournalError> {
    let len = u16::try_from(s.len())
        .map_err(|_| JournalError::Unwritable(format!("a {}-byte value", s.len())))?;
    p.extend_from_slice(&len.to_be_bytes());
    p.extend_from_slice(s);
    Ok(())
}

fn encode_payload(record: &Record, p: &mut Vec<u8>) -> Result<(), JournalError> {
    match record {
        Record::AdviceQueued {
            id,
            link,
            created_ms,
            advice,
        } => {
            p.push(TAG_ADVICE_QUEUED);
            p.extend_from_slice(&id.to_be_bytes());
            put_str(p, link.as_bytes())?;
            p.extend_from_slice(&created_ms.to_be_bytes());
            p.extend_from_slice(advice.mti().as_bytes());
            p.extend_from_slice(&(advice.len() as u16).to_be_bytes());
            for (n, v) in advice.fields() {
                p.push(n as u8);
                put_str(p, v)?;
            }
        }
        Record::AdviceAttempted {
            id,
            attempts,
            next_attempt_ms,
        } => {
            p.push(TAG_ADVICE_ATTEMPTED);
            p.extend_from_slice(&id.to_be_bytes());
            p.extend_from_slice(&attempts.to_be_bytes());
            p.extend_from_slice(&next_attempt_ms.to_be_bytes());
        }
        Record::AdviceClosed { id, outcome } => {
            p.push(TAG_ADVICE_CLOSED);
            p.extend_from_slice(&id.to_be_bytes());
            p.push(match outcome {
                AdviceOutcome::Acknowledged => 1,
                AdviceOutcome::GaveUp => 2,
            });
        }
        Record::BatchAdded {
            terminal,
            key,
            entry,
        } => {
            p.push(TAG_BATCH_ADDED);
            put_str(p, terminal.as_bytes())?;
            put_str(p, key.stan.as_bytes())?;
            put_str(p, key.transmission.as_bytes())?;
            put_str(p, entry.mti.as_bytes())?;
            put_str(p, entry.currency.as_bytes())?;
            p.push(match entry.side {
                Side::Debit => b'D',
                Side::Credit => b'C',
            });
            p.extend_from_slice(&entry.amount_minor.to_be_bytes());
        }
        Record::BatchRemoved { terminal, key, mti } => {
            p.push(TAG_BATCH_REMOVED);
            put_str(p, terminal.as_bytes())?;
            put_str(p, key.stan.as_bytes())?;
            put_str(p, key.transmission.as_bytes())?;
            put_str(p, mti.as_bytes())?;
        }
        Record::BatchSettled { terminal, currency } => {
            p.push(TAG_BATCH_SETTLED);
            put_str(p, terminal.as_bytes())?;
            put_str(p, currency.as_bytes())?;
        }
    }
    Ok(())
}

/// Reads a journal. Only a wrong header is an error; a damaged record ends the replay with
/// the records before it and the reason in [`Replay::stopped`]. An empty input, or a header
/// cut short, is an empty journal (`valid_len` 0: write the header again).
pub fn decode(bytes: &[u8]) -> Result<Replay, JournalError> {
    let head_len = bytes.len().min(MAGIC.len());
    if bytes.get(..head_len) != MAGIC.get(..head_len) {
        return Err(JournalError::BadHeader);
    }
    let mut replay = Replay {
        records: Vec::new(),
        valid_len: 0,
        stopped: None,
    };
    if bytes.len() < MAGIC.len() {
        if !bytes.is_empty() {
            replay.stopped = Some(JournalError::Truncated { offset: 0 });
        }
        return Ok(replay);
    }
    let mut at = MAGIC.len();
    replay.valid_len = at;
    while at < bytes.len() {
        match decode_one(bytes, at) {
            Ok((record, next)) => {
                replay.records.push(record);
                at = next;
                replay.valid_len = at;
            }
            Err(e) => {
                replay.stopped = Some(e);
                break;
            }
        }
    }
    Ok(replay)
}

fn decode_one(bytes: &[u8], offset: usize) -> Result<(Record, usize), JournalError> {
    let head = bytes
        .get(offset..offset + FRAME_HEADER_LEN)
        .ok_or(JournalError::Truncated { offset })?;
    let word = |i: usize| -> u32 {
        let b: [u8; 4] = head
            .get(i..i + 4)
            .and_then(|s| s.try_into().ok())
            .unwrap_or([0; 4]);
        u32::from_be_bytes(b)
    };
    let len = word(0) as usize;
    if len > RECORD_LEN_MAX {
        return Err(JournalError::TooLong { offset, len });
    }
    let start = offset + FRAME_HEADER_LEN;
    let payload = bytes
        .get(start..start + len)
        .ok_or(JournalError::Truncated { offset })?;
    if crc32(payload) != word(4) {
        return Err(JournalError::Checksum { offset });
    }
    let malformed = |what: String| JournalError::Malformed { offset, what };
    let mut r = Reader { rest: payload };
    let record = read_payload(&mut r).map_err(malformed)?;
    if !r.rest.is_empty() {
        return Err(malformed(format!(
            "{} bytes after the record",
            r.rest.len()
        )));
    }
    Ok((record, start + len))
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or_else(|| format!("ends inside {what}"))?;
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let b = self.take(N, what)?;
        b.try_into().map_err(|_| format!("ends inside {what}"))
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(u8::from_be_bytes(self.array(what)?))
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    fn bytes(&mut self, what: &str) -> Result<&'a [u8], String> {
        let len = self.u16(what)?;
        self.take(usize::from(len), what)
    }

    fn string(&mut self, what: &str) -> Result<String, String> {
        let b = self.bytes(what)?;
        String::from_utf8(b.to_vec()).map_err(|_| format!("{what} is not UTF-8"))
    }
}

fn read_payload(r: &mut Reader<'_>) -> Result<Record, String> {
    let tag = r.u8("the tag")?;
    Ok(match tag {
        TAG_ADVICE_QUEUED => {
            let id = r.u64("the advice id")?;
            let link = r.string("the link name")?;
            let created_ms = r.u64("the creation time")?;
            let mti = Mti::new(r.array("the MTI")?).ok_or("the MTI is not four digits")?;
            let count = r.u16("the field count")?;
            let mut advice = Message::new(mti);
            for _ in 0..count {
                let n = r.u8("a field number")?;
                let v = r.bytes("a field value")?;
                if advice.has(usize::from(n)) {
                    return Err(format!("field {n} appears twice"));
                }
                advice
                    .set_owned(usize::from(n), v)
                    .map_err(|e| format!("field {n}: {e}"))?;
            }
            Record::AdviceQueued {
                id,
                link,
                created_ms,
                advice,
            }
        }
        TAG_ADVICE_ATTEMPTED => Record::AdviceAttempted {
            id: r.u64("the advice id")?,
            attempts: r.u32("the attempt count")?,
            next_attempt_ms: r.u64("the next attempt time")?,
        },
        TAG_ADVICE_CLOSED => Record::AdviceClosed {
            id: r.u64("the advice id")?,
            outcome: match r.u8("the outcome")? {
                1 => AdviceOutcome::Acknowledged,
                2 => AdviceOutcome::GaveUp,
                o => return Err(format!("unknown advice outcome {o}")),
            },
        },
        TAG_BATCH_ADDED => {
            let terminal = r.string("the terminal id")?;
            let key = TxnKey {
                stan: r.string("the STAN")?,
                transmission: r.string("the transmission time")?,
            };
            let mti = r.string("the MTI")?;
            let currency = r.string("the currency")?;
            let side = match r.u8("the side")? {
                b'D' => Side::Debit,
                b'C' => Side::Credit,
                s => return Err(format!("unknown batch side {s:#04x}")),
            };
            let amount_minor = r.u64("the amount")?;
            Record::BatchAdded {
                terminal,
                key,
                entry: Entry {
                    mti,
                    currency,
                    side,
                    amount_minor,
                },
            }
        }
        TAG_BATCH_REMOVED => Record::BatchRemoved {
            terminal: r.string("the terminal id")?,
            key: TxnKey {
                stan: r.string("the STAN")?,
                transmission: r.string("the transmission time")?,
            },
            mti: r.string("the MTI")?,
        },
        TAG_BATCH_SETTLED => Record::BatchSettled {
            terminal: r.string("the terminal id")?,
            currency: r.string("the currency")?,
        },
        other => return Err(format!("unknown record tag {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advice() -> Message<'static> {
        let mut m = Message::new(Mti::parse("0420").unwrap());
        m.set_owned(2, "4761739001010010").unwrap();
        m.set_owned(11, "000123").unwrap();
        m.set_owned(90, "020000012311241530450000000123400000000000")
            .unwrap();
        m
    }

    fn samples() -> Vec<Record> {
        vec![
            Record::AdviceQueued {
                id: 7,
                link: "issuer-a".into(),
                created_ms: 1_700_000_000_000,
                advice: advice(),
            },
            Record::AdviceAttempted {
                id: 7,
                attempts: 2,
                next_attempt_ms: 1_700_000_009_000,
            },
            Record::AdviceClosed {
                id: 7,
                outcome: AdviceOutcome::Acknowledged,
            },
            Record::BatchAdded {
                terminal: "TERM0001".into(),
                key: TxnKey {
                    stan: "000001".into(),
                    transmission: "1114221320".into(),
                },
                entry: Entry {
                    mti: "0200".into(),
                    currency: "978".into(),
                    side: Side::Credit,
                    amount_minor: 1234,
                },
            },
            Record::BatchRemoved {
                terminal: "TERM0001".into(),
                key: TxnKey {
                    stan: "000001".into(),
                    transmission: "1114221320".into(),
                },
                mti: "0200".into(),
            },
            Record::BatchSettled {
                terminal: "TERM0001".into(),
                currency: "978".into(),
            },
        ]
    }

    #[test]
    fn exact_bytes_of_a_small_record() {
        let mut out = Vec::new();
        encode(
            &Record::AdviceClosed {
                id: 0x0102,
                outcome: AdviceOutcome::GaveUp,
            },
            &mut out,
        )
        .unwrap();
        let payload = [3u8, 0, 0, 0, 0, 0, 0, 1, 2, 2];
        let mut expected = vec![0, 0, 0, 10];
        expected.extend_from_slice(&crc32(&payload).to_be_bytes());
        expected.extend_from_slice(&payload);
        assert_eq!(out, expected);
    }

    #[test]
    fn round_trip_and_torn_tail() {
        let all = samples();
        let bytes = encode_all(&all).unwrap();
        assert_eq!(&bytes[..8], b"PNGWJRN1");
        let back = decode(&bytes).unwrap();
        assert_eq!(back.records, all);
        assert_eq!(back.valid_len, bytes.len());
        assert_eq!(back.stopped, None);

        // Cut inside the last record: everything before it survives.
        let mut last = Vec::new();
        encode(all.last().unwrap(), &mut last).unwrap();
        let whole_before = bytes.len() - last.len();
        let cut = decode(&bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(cut.records, all[..all.len() - 1]);
        assert_eq!(cut.valid_len, whole_before);
        assert_eq!(
            cut.stopped,
            Some(JournalError::Truncated {
                offset: whole_before
            })
        );

        // A flipped bit in the last record's payload.
        let mut rotten = bytes.clone();
        *rotten.last_mut().unwrap() ^= 0x40;
        let r = decode(&rotten).unwrap();
        assert_eq!(r.records.len(), all.len() - 1);
        assert_eq!(
            r.stopped,
            Some(JournalError::Checksum {
                offset: whole_before
            })
        );
    }

    #[test]
    fn headers() {
        assert_eq!(decode(b"").unwrap().valid_len, 0);
        let torn = decode(b"PNGW").unwrap();
        assert_eq!(torn.valid_len, 0);
        assert_eq!(torn.stopped, Some(JournalError::Truncated { offset: 0 }));
        assert_eq!(decode(b"PNGWJRN2"), Err(JournalError::BadHeader));
        assert_eq!(decode(b"XX"), Err(JournalError::BadHeader));
        let mut big = MAGIC.to_vec();
        big.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            decode(&big).unwrap().stopped,
            Some(JournalError::TooLong {
                offset: 8,
                len: 65536
            })
        );
    }

    #[test]
    fn malformed_payloads_are_named() {
        let frame = |payload: &[u8]| {
            let mut b = MAGIC.to_vec();
            b.extend_from_slice(&(payload.len() as u32).to_be_bytes());
            b.extend_from_slice(&crc32(payload).to_be_bytes());
            b.extend_from_slice(payload);
            decode(&b).unwrap().stopped
        };
        assert_eq!(
            frame(&[9]),
            Some(JournalError::Malformed {
                offset: 8,
                what: "unknown record tag 9".into()
            })
        );
        assert_eq!(
            frame(&[3, 0, 0, 0, 0, 0, 0, 0, 1, 7]),
            Some(JournalError::Malformed {
                offset: 8,
                what: "unknown advice outcome 7".into()
            })
        );
        assert_eq!(
            frame(&[3, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0]),
            Some(JournalError::Malformed {
                offset: 8,
                what: "1 bytes after the record".into()
            })
        );
        assert_eq!(
            frame(&[6, 0, 5, b'T']),
            Some(JournalError::Malformed {
                offset: 8,
                what: "ends inside the terminal id".into()
            })
        );
    }
}
