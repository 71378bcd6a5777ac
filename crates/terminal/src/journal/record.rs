//! The journal's records and their bytes. Pure: encoding and decoding only.
//!
//! File: the 8-byte magic, then records. Record: payload length (u32 little-endian), CRC-32 of
//! the payload (u32 little-endian), payload. Payload: a tag byte, then the record's fields;
//! strings carry a one-byte length, integers are little-endian.

use iso8583::{Mti, ResponseCode};

use crate::card::{EntryMode, Pan};
use crate::stan::Stan;
use crate::txn::{AMOUNT_MINOR_MAX, OriginalRef, PendingReversal, RequestRecord, Stamp, TxnKind};
use crc32fast::hash as crc32;

/// The first bytes of every journal file (format version 1).
pub const MAGIC: &[u8; 8] = b"posnetJ1";
/// Length and CRC before each payload.
pub const FRAME_HEADER_LEN: usize = 8;
/// No record is longer; a length above it is damage, not data.
pub const PAYLOAD_LEN_MAX: usize = 1024;

/// One event in the terminal's life, appended and synced before the step it announces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// First record of a file: the batch it holds and the last STAN issued before it.
    Checkpoint { batch: u32, last_stan: Option<Stan> },
    /// A STAN spent on a message that is not journaled (balance, 0500, 0800).
    StanIssued(Stan),
    /// A financial request, written before it leaves.
    Sent(RequestRecord),
    /// The request never left: no connection could be made.
    Unsent(Stan),
    /// The host's answer to the request with this STAN.
    Completed {
        stan: Stan,
        response_code: ResponseCode,
        auth_code: Option<String>,
    },
    /// A reversal owed, written before its first 0400 leaves.
    ReversalPending(PendingReversal),
    /// The 0410 for the reversal of the request with STAN `original_stan`.
    ReversalDone {
        original_stan: Stan,
        response_code: ResponseCode,
    },
    /// The host agreed the totals of batch `batch`; what follows belongs to the next batch.
    Settled { batch: u32 },
}

mod tag {
    pub const CHECKPOINT: u8 = 1;
    pub const STAN_ISSUED: u8 = 2;
    pub const SENT: u8 = 3;
    pub const UNSENT: u8 = 4;
    pub const COMPLETED: u8 = 5;
    pub const REVERSAL_PENDING: u8 = 6;
    pub const REVERSAL_DONE: u8 = 7;
    pub const SETTLED: u8 = 8;
    /// As SENT and REVERSAL_PENDING, for a chip request: its field 55 follows the request
    /// (a u16 length, then the bytes). Files without chip records read as before.
    pub const SENT_ICC: u8 = 9;
    pub const REVERSAL_PENDING_ICC: u8 = 10;
    /// As REVERSAL_PENDING_ICC, then the card's final ICC data (a u16 length, the bytes).
    pub const REVERSAL_PENDING_FINAL_ICC: u8 = 11;
}

/// Why a record could not be encoded or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("field `{field}` at payload byte {at}: {why}")]
    Field {
        field: &'static str,
        at: usize,
        why: &'static str,
    },
    #[error("unknown record tag {0}")]
    Tag(u8),
    #[error("{0} bytes left after the record's last field")]
    Trailing(usize),
    #[error("payload is {0} bytes; at most {PAYLOAD_LEN_MAX}")]
    TooLong(usize),
}

// ---- encoding ----

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, field: &'static str, s: &str) -> Result<(), RecordError> {
        let len = u8::try_from(s.len()).map_err(|_| RecordError::Field {
            field,
            at: self.0.len(),
            why: "longer than 255 bytes",
        })?;
        self.u8(len);
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
    fn opt_str(&mut self, field: &'static str, s: Option<&str>) -> Result<(), RecordError> {
        match s {
            None => {
                self.u8(0);
                Ok(())
            }
            Some(s) => {
                self.u8(1);
                self.str(field, s)
            }
        }
    }
    fn stan(&mut self, s: Stan) {
        self.u32(s.get());
    }
    /// A request's field 55 after it, when it has one.
    fn icc(&mut self, r: &RequestRecord) -> Result<(), RecordError> {
        let Some(icc) = &r.icc else { return Ok(()) };
        self.blob("icc", icc)
    }
    /// A u16 length, then the bytes.
    fn blob(&mut self, field: &'static str, bytes: &[u8]) -> Result<(), RecordError> {
        let len = u16::try_from(bytes.len()).map_err(|_| RecordError::Field {
            field,
            at: self.0.len(),
            why: "longer than 65535 bytes",
        })?;
        self.0.extend_from_slice(&len.to_le_bytes());
        self.0.extend_from_slice(bytes);
        Ok(())
    }
    fn stamp(&mut self, s: &Stamp) -> Result<(), RecordError> {
        self.str("transmission", &s.transmission)?;
        self.str("local_time", &s.local_time)?;
        self.str("local_date", &s.local_date)
    }
    fn request(&mut self, r: &RequestRecord) -> Result<(), RecordError> {
        self.u8(r.kind.code());
        self.stan(r.stan);
        self.stamp(&r.stamp)?;
        self.str("rrn", &r.rrn)?;
        self.u64(r.amount_minor);
        self.str("currency", &r.currency)?;
        self.u8(entry_code(r.entry_mode));
        self.str("pan", r.pan.reveal())?;
        self.opt_str("auth_code", r.auth_code.as_deref())?;
        match &r.original {
            None => self.u8(0),
            Some(o) => {
                self.u8(1);
                self.str("original.mti", o.mti.as_str())?;
                self.stan(o.stan);
                self.str("original.transmission", &o.transmission)?;
            }
        }
        Ok(())
    }
}

fn entry_code(mode: EntryMode) -> u8 {
    match mode {
        EntryMode::Keyed => 1,
        EntryMode::Swiped => 2,
        EntryMode::Chip => 3,
        EntryMode::Fallback => 4,
    }
}

impl Record {
    /// The record's payload (tag and fields).
    pub fn payload(&self) -> Result<Vec<u8>, RecordError> {
        let mut w = Writer(Vec::with_capacity(128));
        match self {
            Record::Checkpoint { batch, last_stan } => {
                w.u8(tag::CHECKPOINT);
                w.u32(*batch);
                w.u32(last_stan.map_or(0, Stan::get));
            }
            Record::StanIssued(stan) => {
                w.u8(tag::STAN_ISSUED);
                w.stan(*stan);
            }
            Record::Sent(r) => {
                w.u8(if r.icc.is_some() {
                    tag::SENT_ICC
                } else {
                    tag::SENT
                });
                w.request(r)?;
                w.icc(r)?;
            }
            Record::Unsent(stan) => {
                w.u8(tag::UNSENT);
                w.stan(*stan);
            }
            Record::Completed {
                stan,
                response_code,
                auth_code,
            } => {
                w.u8(tag::COMPLETED);
                w.stan(*stan);
                w.str("response_code", response_code.as_str())?;
                w.opt_str("auth_code", auth_code.as_deref())?;
            }
            Record::ReversalPending(p) => {
                w.u8(match (&p.original.icc, &p.final_icc) {
                    (None, None) => tag::REVERSAL_PENDING,
                    (Some(_), None) => tag::REVERSAL_PENDING_ICC,
                    (Some(_), Some(_)) => tag::REVERSAL_PENDING_FINAL_ICC,
                    (None, Some(_)) => {
                        return Err(RecordError::Field {
                            field: "final_icc",
                            at: 0,
                            why: "final ICC data for a request that had none",
                        });
                    }
                });
                w.request(&p.original)?;
                w.icc(&p.original)?;
                w.opt_str("original_auth_code", p.original_auth_code.as_deref())?;
                w.stan(p.stan);
                w.stamp(&p.stamp)?;
                if let Some(icc) = &p.final_icc {
                    w.blob("final_icc", icc)?;
                }
            }
            Record::ReversalDone {
                original_stan,
                response_code,
            } => {
                w.u8(tag::REVERSAL_DONE);
                w.stan(*original_stan);
                w.str("response_code", response_code.as_str())?;
            }
            Record::Settled { batch } => {
                w.u8(tag::SETTLED);
                w.u32(*batch);
            }
        }
        if w.0.len() > PAYLOAD_LEN_MAX {
            return Err(RecordError::TooLong(w.0.len()));
        }
        Ok(w.0)
    }

    /// Length, CRC and payload: the bytes appended to the file.
    pub fn frame(&self) -> Result<Vec<u8>, RecordError> {
        let payload = self.payload()?;
        let mut out = Vec::with_capacity(FRAME_HEADER_LEN + payload.len());
        // The payload is at most PAYLOAD_LEN_MAX, so its length fits u32.
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// Reads a payload whose CRC has been checked.
    pub fn from_payload(payload: &[u8]) -> Result<Record, RecordError> {
        let mut r = Reader {
            buf: payload,
            at: 0,
        };
        let tag = r.u8("tag")?;
        let record = match tag {
            tag::CHECKPOINT => Record::Checkpoint {
                batch: r.u32("batch")?,
                last_stan: match r.u32("last_stan")? {
                    0 => None,
                    n => {
                        Some(Stan::new(n).ok_or_else(|| r.bad("last_stan", "outside 1..=999999"))?)
                    }
                },
            },
            tag::STAN_ISSUED => Record::StanIssued(r.stan("stan")?),
            tag::SENT => Record::Sent(r.request()?),
            tag::SENT_ICC => Record::Sent(r.request_icc()?),
            tag::UNSENT => Record::Unsent(r.stan("stan")?),
            tag::COMPLETED => Record::Completed {
                stan: r.stan("stan")?,
                response_code: r.response_code()?,
                auth_code: r.auth_code("auth_code")?,
            },
            tag::REVERSAL_PENDING | tag::REVERSAL_PENDING_ICC | tag::REVERSAL_PENDING_FINAL_ICC => {
                Record::ReversalPending(PendingReversal {
                    original: if tag == tag::REVERSAL_PENDING {
                        r.request()?
                    } else {
                        r.request_icc()?
                    },
                    original_auth_code: r.auth_code("original_auth_code")?,
                    stan: r.stan("reversal_stan")?,
                    stamp: r.stamp()?,
                    final_icc: if tag == tag::REVERSAL_PENDING_FINAL_ICC {
                        Some(r.blob("final_icc")?)
                    } else {
                        None
                    },
                })
            }
            tag::REVERSAL_DONE => Record::ReversalDone {
                original_stan: r.stan("original_stan")?,
                response_code: r.response_code()?,
            },
            tag::SETTLED => Record::Settled {
                batch: r.u32("batch")?,
            },
            other => return Err(RecordError::Tag(other)),
        };
        let left = payload.len().saturating_sub(r.at);
        if left != 0 {
            return Err(RecordError::Trailing(left));
        }
        Ok(record)
    }
}

// ---- decoding ----

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn bad(&self, field: &'static str, why: &'static str) -> RecordError {
        RecordError::Field {
            field,
            at: self.at,
            why,
        }
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], RecordError> {
        let bytes = self
            .at
            .checked_add(n)
            .and_then(|end| self.buf.get(self.at..end))
            .ok_or_else(|| self.bad(field, "record ends inside it"))?;
        self.at += n;
        Ok(bytes)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, RecordError> {
        let b = self.take(field, 1)?;
        Ok(b.first().copied().unwrap_or(0))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, RecordError> {
        let b: [u8; 4] = self
            .take(field, 4)?
            .try_into()
            .map_err(|_| self.bad(field, "short"))?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, RecordError> {
        let b: [u8; 8] = self
            .take(field, 8)?
            .try_into()
            .map_err(|_| self.bad(field, "short"))?;
        Ok(u64::from_le_bytes(b))
    }

    fn str(&mut self, field: &'static str) -> Result<&'a str, RecordError> {
        let len = self.u8(field)?;
        let bytes = self.take(field, usize::from(len))?;
        std::str::from_utf8(bytes).map_err(|_| self.bad(field, "not UTF-8"))
    }

    fn digits(&mut self, field: &'static str, len: usize) -> Result<String, RecordError> {
        let s = self.str(field)?;
        if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.bad(field, "wrong number of digits"));
        }
        Ok(s.to_string())
    }

    fn stan(&mut self, field: &'static str) -> Result<Stan, RecordError> {
        let n = self.u32(field)?;
        Stan::new(n).ok_or_else(|| self.bad(field, "outside 1..=999999"))
    }

    fn stamp(&mut self) -> Result<Stamp, RecordError> {
        Ok(Stamp {
            transmission: self.digits("transmission", 10)?,
            local_time: self.digits("local_time", 6)?,
            local_date: self.digits("local_date", 4)?,
        })
    }

    fn response_code(&mut self) -> Result<ResponseCode, RecordError> {
        let s = self.str("response_code")?;
        ResponseCode::parse(s).ok_or_else(|| self.bad("response_code", "not two letters or digits"))
    }

    /// Field 38 is `an 6`; hosts differ in how they fill it, so any 1 to 6 printable characters.
    fn auth_code(&mut self, field: &'static str) -> Result<Option<String>, RecordError> {
        match self.u8(field)? {
            0 => Ok(None),
            1 => {
                let s = self.str(field)?;
                let printable = s.bytes().all(|b| (0x20..0x7f).contains(&b));
                if s.is_empty() || s.len() > 6 || !printable {
                    return Err(self.bad(field, "not 1 to 6 printable characters"));
                }
                Ok(Some(s.to_string()))
            }
            _ => Err(self.bad(field, "presence flag is neither 0 nor 1")),
        }
    }

    /// A request followed by its field 55.
    fn request_icc(&mut self) -> Result<RequestRecord, RecordError> {
        let mut request = self.request()?;
        request.icc = Some(self.blob("icc")?);
        Ok(request)
    }

    /// A u16 length, then that many bytes.
    fn blob(&mut self, field: &'static str) -> Result<Vec<u8>, RecordError> {
        let len: [u8; 2] = self
            .take(field, 2)?
            .try_into()
            .map_err(|_| self.bad(field, "short"))?;
        Ok(self
            .take(field, usize::from(u16::from_le_bytes(len)))?
            .to_vec())
    }

    fn request(&mut self) -> Result<RequestRecord, RecordError> {
        let kind = TxnKind::from_code(self.u8("kind")?)
            .ok_or_else(|| self.bad("kind", "unknown transaction kind"))?;
        let stan = self.stan("stan")?;
        let stamp = self.stamp()?;
        let rrn = self.str("rrn")?;
        if rrn.len() != 12 || !rrn.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(self.bad("rrn", "not 12 letters or digits"));
        }
        let rrn = rrn.to_string();
        let amount_minor = self.u64("amount_minor")?;
        if amount_minor > AMOUNT_MINOR_MAX {
            return Err(self.bad("amount_minor", "above 999999999999"));
        }
        let currency = self.digits("currency", 3)?;
        let entry_mode = match self.u8("entry_mode")? {
            1 => EntryMode::Keyed,
            2 => EntryMode::Swiped,
            3 => EntryMode::Chip,
            4 => EntryMode::Fallback,
            _ => return Err(self.bad("entry_mode", "unknown entry mode")),
        };
        let pan = Pan::new(self.str("pan")?).map_err(|_| self.bad("pan", "not 12 to 19 digits"))?;
        let auth_code = self.auth_code("auth_code")?;
        let original = match self.u8("original")? {
            0 => None,
            1 => {
                let mti = self.str("original.mti")?;
                let mti =
                    Mti::parse(mti).ok_or_else(|| self.bad("original.mti", "not four digits"))?;
                Some(OriginalRef {
                    mti,
                    stan: self.stan("original.stan")?,
                    transmission: self.digits("original.transmission", 10)?,
                })
            }
            _ => return Err(self.bad("original", "presence flag is neither 0 nor 1")),
        };
        Ok(RequestRecord {
            kind,
            stan,
            stamp,
            rrn,
            amount_minor,
            currency,
            entry_mode,
            pan,
            auth_code,
            original,
            icc: None,
        })
    }
}
