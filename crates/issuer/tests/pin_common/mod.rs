//! Fixtures for PIN tests: a provisioned issuer HSM, cards with a PVV and an IBM 3624 offset,
//! and PIN blocks enciphered by `paysec` under a zone PIN key the test holds in clear.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use issuer::security::{self, zone_control};
use issuer::{Config, Issuer, Security, UnixTime};
use ledger::{Ledger, Limits, SqliteStorage};
use paysec::pinblock::{self, PinBlockFormat};
use paysec::pinverify::ibm3624::{self, DecimalisationTable, ValidationData};
use paysec::pinverify::pvv;
use paysec::rng::Replay;
use paysec::{Pan, Pin, SecretKey};

use crate::common::{Bank, CONFIG, Req, T0_S};

/// Ivy's card: PIN checked by IBM 3624 offset.
pub const IVY: &str = "4761739001010093";
/// Alice's PIN (her card has a Visa PVV, PVKI 1).
pub const ALICE_PIN: &str = "1234";
/// Ivy's PIN.
pub const IVY_PIN: &str = "9876";

fn key(hex: &str) -> SecretKey {
    SecretKey::tdes(&paysec::hex::decode(hex.as_bytes()).unwrap()).unwrap()
}

/// Test keys (arbitrary, odd parity not required by the ciphers).
pub fn zmk() -> SecretKey {
    key("0123456789ABCDEFFEDCBA9876543210")
}
pub fn zpk0() -> SecretKey {
    key("89B07B35A1B3F47E1C2D3E4F5A6B7C8D")
}
pub fn pvk() -> SecretKey {
    key("0123456789ABCDEF1122334455667788")
}
pub fn pvk_ibm() -> SecretKey {
    key("5B5E6A1C2F3D4E7A8B9C0D1E2F304152")
}

/// Alice's PVV computed straight from paysec's Visa PVV (PVKI 1).
pub fn alice_pvv() -> String {
    pvv::generate_pvv(
        &pvk(),
        &Pan::new(crate::common::ALICE).unwrap(),
        1,
        &Pin::new(ALICE_PIN).unwrap(),
    )
    .unwrap()
}

/// Ivy's offset computed straight from paysec's IBM 3624, with the issuer's convention written
/// out here: table 0123456789012345, the 11 PAN digits before the check digit, F-padded.
pub fn ivy_offset() -> String {
    let pan = Pan::new(IVY).unwrap();
    let data = ValidationData::from_pan(&pan, 4, 11, 0xF).unwrap();
    let table = DecimalisationTable::new("0123456789012345").unwrap();
    ibm3624::generate_offset(&pvk_ibm(), &data, &table, &Pin::new(IVY_PIN).unwrap()).unwrap()
}

/// The common config with Alice's PVV, Ivy's offset card and the `[security]` table.
pub fn pin_config(hsm_dir: &Path) -> Config {
    let text = CONFIG.replace(
        "daily_limit_minor = 50000\n",
        &format!(
            "daily_limit_minor = 50000\npvv = \"{}\"\npvki = 1\n",
            alice_pvv()
        ),
    );
    let text = format!(
        "{text}\n[[card]]\nname = \"ivy\"\npan = \"{IVY}\"\nexpiry = \"3012\"\ncurrency = 978\n\
         opening_balance_minor = 10000\npin_offset = \"{}\"\n\n[security]\nhsm_dir = \"{}\"\n",
        ivy_offset(),
        hsm_dir.display()
    );
    let config = Config::parse(&text).unwrap();
    assert!(config.card("alice").unwrap().pin.is_some());
    config
}

/// A folder with a provisioned issuer HSM and a ledger database.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub hsm_dir: PathBuf,
    pub db: PathBuf,
    pub config: Config,
}

impl Site {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let hsm_dir = dir.path().join("issuer-hsm");
        security::provision(&hsm_dir, &zmk(), &zpk0(), &pvk(), Some(&pvk_ibm())).unwrap();
        let db = dir.path().join("issuer.db");
        let config = pin_config(&hsm_dir);
        Self {
            dir,
            hsm_dir,
            db,
            config,
        }
    }

    /// Opens (or reopens) the issuer: HSM and ledger from disk, at time `now`.
    pub fn open(&self, now: UnixTime) -> Bank<SqliteStorage> {
        let security = Security::open(self.config.security.as_ref().unwrap()).unwrap();
        let issuer = Issuer::with_security(&self.config, security);
        let mut ledger =
            Ledger::new(SqliteStorage::open(&self.db).unwrap(), Limits::default()).unwrap();
        issuer.set_up(&mut ledger, now).unwrap();
        Bank {
            issuer,
            ledger,
            now,
        }
    }

    pub fn bank(&self) -> Bank<SqliteStorage> {
        self.open(UnixTime::from_secs(T0_S))
    }
}

/// An ISO 9564 format 0 PIN block of `pin` for `pan`, enciphered under `zpk` by paysec.
pub fn pin_block(zpk: &SecretKey, pin: &str, pan: &str) -> Vec<u8> {
    pinblock::encipher(
        PinBlockFormat::Iso0,
        zpk,
        &Pin::new(pin).unwrap(),
        Some(&Pan::new(pan).unwrap()),
        &mut Replay::new(&[]),
    )
    .unwrap()
}

/// `req` with field 52 = `block` and field 53 naming zone key generation `generation`.
pub fn with_pin(req: Req, block: &[u8], generation: u32) -> Req {
    req.set_bytes(52, block).set(53, zone_control(generation))
}
