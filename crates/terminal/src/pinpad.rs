//! The PIN pad: enciphers the cardholder's PIN under DUKPT and MACs every message the terminal
//! sends, each transaction under a fresh KSN (key serial number).
//!
//! Its initial key sits in a key store sealed under the store's own master key (the same
//! layout as `posnet hsm`), so no key is ever on disk in clear. A KSN is never used twice, even
//! across a crash: counters are reserved on disk in blocks before any of them is used, and a
//! restart skips to the end of the last reserved block.
//!
//! Wire placement (docs/protocol.md): KSN in field 62 as hex; the PIN block in field 52 (8
//! bytes, ISO format 0, TDES DUKPT) or field 110 as 32 hex digits (16 bytes, ISO format 4, AES
//! DUKPT, which field 52's `b 8` cannot hold); the MAC in field 64 or 128.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hsm::{Direction, Hsm, SoftHsm};
use iso8583::mac::{mac_parts, pack_with_mac};
use iso8583::{Message, Spec};
use paysec::dukpt::{aes as aes_dukpt, tdes as tdes_dukpt};
use paysec::{Pan, Pin};

use crate::config::PinPadConfig;

/// Field 62 carries the KSN of the message's keys, as upper-case hex.
pub const KSN_FIELD: usize = 62;
/// Field 52: an 8-byte PIN block (TDES DUKPT, ISO format 0).
pub const PIN_FIELD_TDES: usize = 52;
/// Field 110: a 16-byte PIN block as 32 hex digits (AES DUKPT, ISO format 4).
pub const PIN_FIELD_AES: usize = 110;
/// KSN counters reserved on disk at a time.
const RESERVE_BLOCK: u32 = 64;
const COUNTER_FILE: &str = "ksn.counter";

/// Why the PIN pad cannot do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum PinPadError {
    #[error("this terminal has no PIN pad ([pinpad] in its configuration)")]
    NotFitted,
    #[error("PIN pad key store {dir}: {source}")]
    Store { dir: String, source: hsm::HsmError },
    #[error("PIN pad: {0}")]
    Crypto(#[from] hsm::HsmError),
    #[error("PIN pad initial KSN: {0}")]
    Ksn(#[from] paysec::dukpt::DukptError),
    #[error("PIN pad counter file {path}: {why}")]
    Counter { path: String, why: String },
    #[error("PIN pad: the KSN counter is exhausted; the PIN pad needs a new initial key")]
    Exhausted,
    #[error("PIN: {0}")]
    Pin(#[from] paysec::PinError),
    #[error("PAN for the PIN block: {0}")]
    Pan(#[from] paysec::PanError),
    #[error("message: {0}")]
    Codec(#[from] iso8583::CodecError),
}

/// A KSN of either generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ksn {
    Tdes(tdes_dukpt::Ksn),
    Aes(aes_dukpt::Ksn),
}

impl Ksn {
    fn counter(&self) -> u32 {
        match self {
            Ksn::Tdes(k) => k.counter(),
            Ksn::Aes(k) => k.counter(),
        }
    }
    fn with_counter(&self, c: u32) -> Ksn {
        match self {
            Ksn::Tdes(k) => Ksn::Tdes(k.with_counter(c)),
            Ksn::Aes(k) => Ksn::Aes(k.with_counter(c)),
        }
    }
    fn next(&self) -> Result<Ksn, PinPadError> {
        let next = match self {
            Ksn::Tdes(k) => k.next().map(Ksn::Tdes),
            Ksn::Aes(k) => k.next().map(Ksn::Aes),
        };
        next.map_err(|_| PinPadError::Exhausted)
    }
    fn bytes(&self) -> Vec<u8> {
        match self {
            Ksn::Tdes(k) => k.as_bytes().to_vec(),
            Ksn::Aes(k) => k.as_bytes().to_vec(),
        }
    }
}

/// Counters used and reserved: `last` was handed out; up to `reserved` is on disk.
#[derive(Debug)]
struct Counters {
    last: Ksn,
    reserved: u32,
}

/// The terminal's PIN pad.
pub struct PinPad {
    hsm: SoftHsm,
    key: String,
    counter_path: PathBuf,
    counters: Mutex<Counters>,
}

impl std::fmt::Debug for PinPad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinPad")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// An enciphered PIN and the KSN whose key enciphered it.
pub struct EncipheredPin {
    pub ksn: Vec<u8>,
    pub block: Vec<u8>,
}

impl std::fmt::Debug for EncipheredPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // An enciphered PIN block is still PIN data: never printed.
        f.write_str("EncipheredPin(..)")
    }
}

impl EncipheredPin {
    /// Puts the PIN block and its KSN into a request.
    pub fn apply(&self, msg: &mut Message<'_>) -> Result<(), iso8583::CodecError> {
        msg.set_owned(KSN_FIELD, paysec::hex::encode_upper(&self.ksn))?;
        if self.block.len() == 8 {
            msg.set_owned(PIN_FIELD_TDES, &self.block)
        } else {
            msg.set_owned(PIN_FIELD_AES, paysec::hex::encode_upper(&self.block))
        }
    }
}

fn read_reserved(path: &Path) -> Result<u32, PinPadError> {
    let bad = |why: String| PinPadError::Counter {
        path: path.display().to_string(),
        why,
    };
    match fs::read_to_string(path) {
        Ok(text) => text
            .trim()
            .parse::<u32>()
            .map_err(|_| bad(format!("{:?} is not a counter", text.trim()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(bad(e.to_string())),
    }
}

/// Writes the new high-water mark durably (temporary file, fsync, rename) before any counter
/// under it is used.
fn write_reserved(path: &Path, reserved: u32) -> Result<(), PinPadError> {
    let bad = |e: std::io::Error| PinPadError::Counter {
        path: path.display().to_string(),
        why: e.to_string(),
    };
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp).map_err(bad)?;
    writeln!(f, "{reserved}").map_err(bad)?;
    f.sync_all().map_err(bad)?;
    fs::rename(&tmp, path).map_err(bad)?;
    if let Some(dir) = path.parent()
        && let Ok(d) = fs::File::open(dir)
    {
        d.sync_all().map_err(bad)?;
    }
    Ok(())
}

impl PinPad {
    /// Opens the PIN pad of a terminal configuration.
    pub fn open(config: &PinPadConfig) -> Result<PinPad, PinPadError> {
        let hsm = SoftHsm::open(&config.dir).map_err(|source| PinPadError::Store {
            dir: config.dir.display().to_string(),
            source,
        })?;
        // The key must exist and be an initial key: a test operation proves both now, not at
        // the first payment.
        hsm.key_info(&config.key)?;
        let initial = match config.initial_ksn.len() {
            10 => Ksn::Tdes(tdes_dukpt::Ksn::new(&config.initial_ksn)?),
            _ => Ksn::Aes(aes_dukpt::Ksn::new(&config.initial_ksn)?),
        };
        let counter_path = config.dir.join(COUNTER_FILE);
        let reserved = read_reserved(&counter_path)?.max(initial.counter());
        // Everything up to `reserved` may have been used before a crash: start after it.
        let last = initial.with_counter(reserved);
        Ok(PinPad {
            hsm,
            key: config.key.clone(),
            counter_path,
            counters: Mutex::new(Counters { last, reserved }),
        })
    }

    /// The KSN of the next transaction; never one handed out before.
    pub fn next_ksn(&self) -> Result<Vec<u8>, PinPadError> {
        let mut c = self.counters.lock().map_err(|_| PinPadError::Counter {
            path: self.counter_path.display().to_string(),
            why: "poisoned".into(),
        })?;
        let mut next = c.last.next()?;
        if next.counter() > c.reserved {
            // Another process on this PIN pad (the doctor beside the terminal, say) may have
            // reserved counters since: re-read the mark under a lock and start past it.
            let lock = self.lock_counters()?;
            let on_disk = read_reserved(&self.counter_path)?;
            if on_disk >= next.counter() {
                next = next.with_counter(on_disk).next()?;
            }
            let reserved = next.counter().saturating_add(RESERVE_BLOCK);
            write_reserved(&self.counter_path, reserved)?;
            drop(lock);
            c.reserved = reserved;
        }
        c.last = next;
        Ok(next.bytes())
    }

    /// An exclusive lock over the counter file, held while the mark is read and moved.
    fn lock_counters(&self) -> Result<fs::File, PinPadError> {
        let path = self.counter_path.with_extension("lock");
        let bad = |e: std::io::Error| PinPadError::Counter {
            path: path.display().to_string(),
            why: e.to_string(),
        };
        let f = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(bad)?;
        f.lock().map_err(bad)?;
        Ok(f)
    }

    /// Enciphers the PIN typed for the card `pan` under a fresh KSN.
    pub fn encipher_pin(&self, pin: &str, pan: &str) -> Result<EncipheredPin, PinPadError> {
        let pin = Pin::new(pin)?;
        let pan = Pan::new(pan)?;
        let ksn = self.next_ksn()?;
        let block = self.hsm.pinpad_encipher_pin(&self.key, &ksn, &pin, &pan)?;
        Ok(EncipheredPin { ksn, block })
    }

    /// The message packed with its KSN (the one already in field 62, which a PIN block set,
    /// or a fresh one) and its MAC; returns the frame and the KSN.
    pub fn seal(
        &self,
        spec: &Spec,
        message: &Message<'_>,
    ) -> Result<(Vec<u8>, Vec<u8>), PinPadError> {
        let ksn = match message
            .text(KSN_FIELD)
            .and_then(|t| iso8583::hex::decode(t).ok())
        {
            Some(k) => k,
            None => self.next_ksn()?,
        };
        let mut m = message.clone();
        m.set_owned(KSN_FIELD, paysec::hex::encode_upper(&ksn))?;
        let frame = pack_with_mac(spec, &m, |data| {
            self.hsm
                .pinpad_mac(&self.key, &ksn, Direction::Request, data)
        })??;
        Ok((frame, ksn))
    }

    /// Checks an answer: it must name the request's KSN and carry the host's MAC under it.
    pub fn check(&self, ksn: &[u8], frame: &[u8], answer: &Message<'_>) -> Result<(), String> {
        let named = answer
            .text(KSN_FIELD)
            .and_then(|t| iso8583::hex::decode(t).ok());
        if named.as_deref() != Some(ksn) {
            return Err("the answer does not carry the request's KSN (field 62)".into());
        }
        let (data, mac) = mac_parts(frame, answer).map_err(|e| e.to_string())?;
        match self
            .hsm
            .pinpad_verify_mac(&self.key, ksn, Direction::Response, data, mac)
        {
            Ok(true) => Ok(()),
            Ok(false) => Err("wrong MAC".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl link::Seal for PinPad {
    fn seal(
        &self,
        spec: &Spec,
        message: &Message<'_>,
    ) -> Result<(Vec<u8>, link::SealToken), String> {
        PinPad::seal(self, spec, message).map_err(|e| e.to_string())
    }

    fn check(
        &self,
        token: &link::SealToken,
        frame: &[u8],
        answer: &Message<'_>,
    ) -> Result<(), String> {
        PinPad::check(self, token, frame, answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hsm::KeyAttributes;
    use paysec::SecretKey;
    use paysec::tr31::KeyUsage;

    fn pad(dir: &Path) -> PinPadConfig {
        let mut h = SoftHsm::init(dir).unwrap();
        let ipek = SecretKey::aes(&[7u8; 16]).unwrap();
        h.import_key(
            "ipek",
            &KeyAttributes::for_usage(KeyUsage::InitialDukptKey),
            &ipek,
        )
        .unwrap();
        PinPadConfig {
            dir: dir.to_path_buf(),
            key: "ipek".into(),
            initial_ksn: aes_dukpt::Ksn::from_parts(*b"TERM0001", 0)
                .as_bytes()
                .to_vec(),
        }
    }

    fn counter(ksn: &[u8]) -> u32 {
        aes_dukpt::Ksn::new(ksn).unwrap().counter()
    }

    #[test]
    fn no_ksn_is_used_twice_across_restarts_or_two_processes() {
        let dir = tempfile::tempdir().unwrap();
        let config = pad(dir.path());
        let mut seen = std::collections::BTreeSet::new();
        let a = PinPad::open(&config).unwrap();
        for _ in 0..10 {
            assert!(seen.insert(counter(&a.next_ksn().unwrap())));
        }
        // A second opener (another process) starts past everything the first reserved, and
        // the first, when its block runs out, starts past the second's.
        let b = PinPad::open(&config).unwrap();
        for _ in 0..200 {
            assert!(seen.insert(counter(&a.next_ksn().unwrap())), "reused");
            assert!(seen.insert(counter(&b.next_ksn().unwrap())), "reused");
        }
        drop((a, b));
        // After a "crash", a reopened pad never goes back.
        let max = *seen.iter().max().unwrap();
        let c = PinPad::open(&config).unwrap();
        assert!(counter(&c.next_ksn().unwrap()) > max);
    }

    #[test]
    fn sealed_messages_check_and_a_changed_answer_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = PinPad::open(&pad(dir.path())).unwrap();
        let spec = iso8583::specs::iso87_ascii_bbitmap();
        let mut m = Message::new(iso8583::Mti::parse("0800").unwrap());
        m.set_owned(11, "000001").unwrap();
        m.set_owned(70, "301").unwrap();
        let (frame, ksn) = p.seal(&spec, &m).unwrap();
        let sent = spec.unpack(&frame).unwrap();
        assert_eq!(
            sent.text(KSN_FIELD),
            Some(paysec::hex::encode_upper(&ksn).as_str())
        );
        // An "answer" MACed with the response key checks; the request's own MAC (request key)
        // does not pass as an answer's, and neither does an answer naming another KSN.
        let mut answer = sent.clone().into_owned();
        answer.set_mti(iso8583::Mti::parse("0810").unwrap());
        answer.set_owned(39, "00").unwrap();
        let resp = pack_with_mac(&spec, &answer, |d| {
            p.hsm.pinpad_mac("ipek", &ksn, Direction::Response, d)
        })
        .unwrap()
        .unwrap();
        assert!(p.check(&ksn, &resp, &spec.unpack(&resp).unwrap()).is_ok());
        let req_keyed = pack_with_mac(&spec, &answer, |d| {
            p.hsm.pinpad_mac("ipek", &ksn, Direction::Request, d)
        })
        .unwrap()
        .unwrap();
        assert!(
            p.check(&ksn, &req_keyed, &spec.unpack(&req_keyed).unwrap())
                .is_err()
        );
        let other = p.next_ksn().unwrap();
        assert!(
            p.check(&other, &resp, &spec.unpack(&resp).unwrap())
                .is_err()
        );
        // A PIN block and its message share one KSN.
        let pin = p.encipher_pin("1234", "4761739001010010").unwrap();
        let mut purchase = Message::new(iso8583::Mti::parse("0200").unwrap());
        purchase.set_owned(11, "000002").unwrap();
        pin.apply(&mut purchase).unwrap();
        let (_, ksn2) = p.seal(&spec, &purchase).unwrap();
        assert_eq!(ksn2, pin.ksn);
        assert_eq!(format!("{pin:?}"), "EncipheredPin(..)");
    }
}
