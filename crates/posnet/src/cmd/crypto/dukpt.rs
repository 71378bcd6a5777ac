//! `posnet crypto dukpt derive|encrypt-pin|decrypt-pin`: TDES DUKPT (ANSI X9.24-1) and AES
//! DUKPT (ANSI X9.24-3).

use anyhow::{Result, bail};
use clap::Subcommand;
use paysec::dukpt::aes::{self as aes_dukpt, KeyType, KeyUsage as AesUsage};
use paysec::dukpt::tdes::{self as tdes_dukpt, KeyUsage as TdesUsage};
use paysec::pinblock::{self, PinBlockFormat};
use paysec::rng::Replay;
use paysec::{KeyAlgorithm, SecretKey};

use super::check_value;
use super::input::{self, SecretArg};
use super::output::{Report, hexu};
use super::pin::fill_bytes;

#[derive(Subcommand)]
pub enum Cmd {
    /// Derive the initial key and the working keys for a KSN, with their check values.
    #[command(after_help = "Examples (ANSI X9.24-1 and X9.24-3 test keys):
  posnet crypto dukpt derive --bdk 0123456789ABCDEFFEDCBA9876543210 --ksn FFFF9876543210E00001
  posnet crypto dukpt derive --aes128 --bdk FEDCBA9876543210F1F1F1F1F1F1F1F1 --ksn 123456789012345600000001")]
    Derive(DeriveArgs),
    /// Encipher a PIN under the KSN's PIN key (TDES: format 0; AES: format 4).
    #[command(after_help = "Examples:
  posnet crypto dukpt encrypt-pin --bdk 0123456789ABCDEFFEDCBA9876543210 --ksn FFFF9876543210E00001 --pin 1234 --pan 4012345678909
  posnet crypto dukpt encrypt-pin --aes128 --bdk FEDCBA9876543210F1F1F1F1F1F1F1F1 --ksn 123456789012345600000001 --pin 1234 --pan 4111111111111111")]
    EncryptPin(PinArgs),
    /// Read the PIN from a PIN block enciphered under the KSN's PIN key.
    #[command(after_help = "Example (ANSI X9.24-1 A.4):
  posnet crypto dukpt decrypt-pin --bdk 0123456789ABCDEFFEDCBA9876543210 --ksn FFFF9876543210E00001 --block 1B9C1845EB993A7A --pan 4012345678909")]
    DecryptPin(DecryptArgs),
}

#[derive(clap::Args)]
pub struct Scheme {
    /// AES DUKPT (X9.24-3) with AES-128 working keys. Default: TDES DUKPT (X9.24-1).
    #[arg(long, conflicts_with = "aes256")]
    aes128: bool,
    /// AES DUKPT (X9.24-3) with AES-256 working keys (needs an AES-256 BDK).
    #[arg(long)]
    aes256: bool,
}

impl Scheme {
    fn aes_key_type(&self) -> Option<KeyType> {
        match (self.aes128, self.aes256) {
            (true, _) => Some(KeyType::Aes128),
            (_, true) => Some(KeyType::Aes256),
            _ => None,
        }
    }
}

#[derive(clap::Args)]
pub struct DeriveArgs {
    /// Base derivation key: 2-key TDES, or AES with --aes128/--aes256.
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    bdk: SecretArg,
    /// Key serial number: 10 bytes (TDES) or 12 bytes (AES).
    #[arg(long, value_name = "HEX")]
    ksn: String,
    #[command(flatten)]
    scheme: Scheme,
}

#[derive(clap::Args)]
pub struct PinArgs {
    /// Base derivation key.
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    bdk: SecretArg,
    /// Key serial number.
    #[arg(long, value_name = "HEX")]
    ksn: String,
    /// The PIN, 4 to 12 digits.
    #[arg(long, value_name = "DIGITS", value_parser = input::secret)]
    pin: SecretArg,
    /// The PAN.
    #[arg(long, value_name = "DIGITS")]
    pan: String,
    /// AES only: the 8 random bytes of the format 4 PIN field (default: from the OS).
    #[arg(long, value_name = "HEX")]
    fill: Option<String>,
    /// Accept a PAN whose check digit fails the Luhn test (TDES, format 0).
    #[arg(long)]
    no_luhn: bool,
    #[command(flatten)]
    scheme: Scheme,
}

#[derive(clap::Args)]
pub struct DecryptArgs {
    /// Base derivation key.
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    bdk: SecretArg,
    /// Key serial number.
    #[arg(long, value_name = "HEX")]
    ksn: String,
    /// The enciphered PIN block (8 bytes TDES, 16 bytes AES).
    #[arg(long, value_name = "HEX")]
    block: String,
    /// The PAN.
    #[arg(long, value_name = "DIGITS")]
    pan: String,
    /// Accept a PAN whose check digit fails the Luhn test (TDES, format 0).
    #[arg(long)]
    no_luhn: bool,
    #[command(flatten)]
    scheme: Scheme,
}

pub fn run(cmd: Cmd) -> Result<Report> {
    match cmd {
        Cmd::Derive(a) => derive(a),
        Cmd::EncryptPin(a) => encrypt_pin(a),
        Cmd::DecryptPin(a) => decrypt_pin(a),
    }
}

fn with_key(report: Report, name: &str, key: &SecretKey) -> Result<Report> {
    Ok(report
        .field(name, hexu(key.as_bytes()))
        .field(format!("{name}_kcv"), check_value(key)?))
}

fn tdes_ksn(text: &str) -> Result<tdes_dukpt::Ksn> {
    let bytes = input::hex("--ksn", text)?;
    if bytes.len() == aes_dukpt::KSN_LEN {
        bail!("--ksn: 12 bytes is an AES DUKPT KSN; add --aes128 or --aes256");
    }
    tdes_dukpt::Ksn::new(&bytes).map_err(|e| anyhow::anyhow!("--ksn: {e}"))
}

fn aes_ksn(text: &str) -> Result<aes_dukpt::Ksn> {
    let bytes = input::hex("--ksn", text)?;
    aes_dukpt::Ksn::new(&bytes).map_err(|e| anyhow::anyhow!("--ksn: {e}"))
}

fn derive(a: DeriveArgs) -> Result<Report> {
    match a.scheme.aes_key_type() {
        None => {
            let bdk = input::key("--bdk", &a.bdk, KeyAlgorithm::Tdes)?;
            let ksn = tdes_ksn(&a.ksn)?;
            let ipek = tdes_dukpt::derive_ipek(&bdk, &ksn)?;
            let tk = tdes_dukpt::derive_transaction_key(&ipek, &ksn)?;
            let mut r = Report::new()
                .field("ksn", hexu(ksn.as_bytes()))
                .field("counter", format!("{:06X}", ksn.counter()))
                .detail("scheme", "tdes");
            r = with_key(r, "ipek", &ipek)?;
            r = with_key(r, "transaction_key", &tk)?;
            for (name, usage) in [
                ("pin_key", TdesUsage::Pin),
                ("mac_request_key", TdesUsage::MacRequest),
                ("mac_response_key", TdesUsage::MacResponse),
                ("data_request_key", TdesUsage::DataRequest),
                ("data_response_key", TdesUsage::DataResponse),
            ] {
                r = with_key(r, name, &tdes_dukpt::working_key(&tk, usage)?)?;
            }
            Ok(r)
        }
        Some(key_type) => {
            let bdk = input::key("--bdk", &a.bdk, KeyAlgorithm::Aes)?;
            let ksn = aes_ksn(&a.ksn)?;
            let ik = aes_dukpt::derive_initial_key(&bdk, ksn.initial_key_id())?;
            let dk = aes_dukpt::derive_intermediate_key(&ik, &ksn)?;
            let mut r = Report::new()
                .field("ksn", hexu(ksn.as_bytes()))
                .field("counter", format!("{:08X}", ksn.counter()))
                .detail("scheme", "aes")
                .detail("working_key_bits", key_type.bits());
            r = with_key(r, "initial_key", &ik)?;
            r = with_key(r, "derivation_key", &dk)?;
            for (name, usage) in [
                ("pin_key", AesUsage::PinEncryption),
                ("mac_generation_key", AesUsage::MacGeneration),
                ("mac_verification_key", AesUsage::MacVerification),
                ("data_encryption_key", AesUsage::DataEncrypt),
                ("data_decryption_key", AesUsage::DataDecrypt),
            ] {
                r = with_key(
                    r,
                    name,
                    &aes_dukpt::derive_working_key(&dk, &ksn, usage, key_type)?,
                )?;
            }
            Ok(r)
        }
    }
}

fn encrypt_pin(a: PinArgs) -> Result<Report> {
    let pin = input::pin("--pin", &a.pin)?;
    match a.scheme.aes_key_type() {
        None => {
            if a.fill.is_some() {
                bail!("--fill: TDES DUKPT uses format 0, which has no random fill");
            }
            let pan = input::pan("--pan", &a.pan, true, a.no_luhn)?;
            let bdk = input::key("--bdk", &a.bdk, KeyAlgorithm::Tdes)?;
            let ksn = tdes_ksn(&a.ksn)?;
            let key = tdes_dukpt::derive_working_key(&bdk, &ksn, TdesUsage::Pin)?;
            let block = pinblock::encipher(
                PinBlockFormat::Iso0,
                &key,
                &pin,
                Some(&pan),
                &mut Replay::new(&[]),
            )?;
            Ok(Report::new()
                .field("pin_block", hexu(&block))
                .detail("format", 0))
        }
        Some(key_type) => {
            let pan = input::pan("--pan", &a.pan, false, a.no_luhn)?;
            let bdk = input::key("--bdk", &a.bdk, KeyAlgorithm::Aes)?;
            let ksn = aes_ksn(&a.ksn)?;
            let fill = fill_bytes(PinBlockFormat::Iso4, &pin, a.fill.as_deref())?;
            let ik = aes_dukpt::derive_initial_key(&bdk, ksn.initial_key_id())?;
            let dk = aes_dukpt::derive_intermediate_key(&ik, &ksn)?;
            let block =
                aes_dukpt::encrypt_pin(&dk, &ksn, key_type, &pin, &pan, &mut Replay::new(&fill))?;
            Ok(Report::new()
                .field("pin_block", hexu(&block))
                .detail("format", 4))
        }
    }
}

fn decrypt_pin(a: DecryptArgs) -> Result<Report> {
    let block = input::hex("--block", &a.block)?;
    let pin = match a.scheme.aes_key_type() {
        None => {
            let pan = input::pan("--pan", &a.pan, true, a.no_luhn)?;
            let bdk = input::key("--bdk", &a.bdk, KeyAlgorithm::Tdes)?;
            let ksn = tdes_ksn(&a.ksn)?;
            let key = tdes_dukpt::derive_working_key(&bdk, &ksn, TdesUsage::Pin)?;
            pinblock::decipher(PinBlockFormat::Iso0, &key, &block, Some(&pan))?
        }
        Some(key_type) => {
            let pan = input::pan("--pan", &a.pan, false, a.no_luhn)?;
            let bdk = input::key("--bdk", &a.bdk, KeyAlgorithm::Aes)?;
            let ksn = aes_ksn(&a.ksn)?;
            let ik = aes_dukpt::derive_initial_key(&bdk, ksn.initial_key_id())?;
            let dk = aes_dukpt::derive_intermediate_key(&ik, &ksn)?;
            aes_dukpt::decrypt_pin(&dk, &ksn, key_type, &block, &pan)?
        }
    };
    Ok(Report::new().field("pin", pin.reveal().as_str()))
}
