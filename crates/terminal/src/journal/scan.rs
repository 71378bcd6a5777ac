//! Reads a journal file's bytes into records. Pure, so it can be fed arbitrary bytes.
//!
//! Only the last append can be torn by a crash (each record is synced before the next is
//! written), so damage within one record's reach of the end is a torn tail and is dropped;
//! damage earlier is corruption and is reported with its offset.

use crc32fast::hash as crc32;

use super::record::{FRAME_HEADER_LEN, MAGIC, PAYLOAD_LEN_MAX, Record, RecordError};

/// What a file held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Each record with the file offset of its frame.
    pub records: Vec<(usize, Record)>,
    /// Bytes up to the end of the last good record (the magic included).
    pub valid_len: usize,
    /// Bytes after it: a torn last append, to be cut off before appending again.
    pub torn_len: usize,
}

/// Why a journal file cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error(
        "not a posnet journal: the first 8 bytes are not {:?}",
        String::from_utf8_lossy(MAGIC)
    )]
    Magic,
    #[error("damaged record at byte {offset}: {why}")]
    Corrupt { offset: usize, why: &'static str },
    #[error("record at byte {offset}: {source}")]
    Record { offset: usize, source: RecordError },
}

/// Reads every record of a journal file.
pub fn scan(bytes: &[u8]) -> Result<Scan, ScanError> {
    let Some(body) = bytes.strip_prefix(MAGIC.as_slice()) else {
        // A file shorter than the magic that starts like it is a creation cut short.
        if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
            return Ok(Scan {
                records: Vec::new(),
                valid_len: 0,
                torn_len: bytes.len(),
            });
        }
        return Err(ScanError::Magic);
    };
    let mut records = Vec::new();
    let mut at = 0usize;
    while at < body.len() {
        let offset = MAGIC.len() + at;
        let rest = body.get(at..).unwrap_or_default();
        match frame_at(rest) {
            Ok((payload, frame_len)) => {
                let record = Record::from_payload(payload)
                    .map_err(|source| ScanError::Record { offset, source })?;
                records.push((offset, record));
                at += frame_len;
            }
            Err(why) => {
                if rest.len() <= FRAME_HEADER_LEN + PAYLOAD_LEN_MAX {
                    return Ok(Scan {
                        records,
                        valid_len: offset,
                        torn_len: rest.len(),
                    });
                }
                return Err(ScanError::Corrupt { offset, why });
            }
        }
    }
    Ok(Scan {
        records,
        valid_len: bytes.len(),
        torn_len: 0,
    })
}

/// The payload of the frame at the start of `rest` and the frame's length.
fn frame_at(rest: &[u8]) -> Result<(&[u8], usize), &'static str> {
    let len_bytes: [u8; 4] = rest
        .get(0..4)
        .and_then(|b| b.try_into().ok())
        .ok_or("file ends inside a length")?;
    let crc_bytes: [u8; 4] = rest
        .get(4..8)
        .and_then(|b| b.try_into().ok())
        .ok_or("file ends inside a CRC")?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    // Zero-filled blocks after a crash read as length 0: never a real record.
    if len == 0 || len > PAYLOAD_LEN_MAX {
        return Err("length outside 1..=1024");
    }
    let payload = rest
        .get(FRAME_HEADER_LEN..FRAME_HEADER_LEN + len)
        .ok_or("file ends inside a payload")?;
    if crc32(payload) != u32::from_le_bytes(crc_bytes) {
        return Err("CRC mismatch");
    }
    Ok((payload, FRAME_HEADER_LEN + len))
}
