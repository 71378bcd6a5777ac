//! `posnet crypto emv …`: EMV Book 2 ICC master keys, session keys, ARQC, ARPC, script MAC.

use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use paysec::KeyAlgorithm;
use paysec::emv::{self, CryptogramPadding};

use super::check_value;
use super::input::{self, SecretArg};
use super::output::{Report, hexu};

#[derive(Subcommand)]
pub enum Cmd {
    /// Derive the ICC master key from the issuer master key, PAN and PAN sequence number.
    #[command(
        name = "icc-mk",
        after_help = "Examples (pyemv documentation values):
  posnet crypto emv icc-mk --imk 0123456789ABCDEFFEDCBA9876543210 --pan 99012345678901234 --psn 45
  posnet crypto emv icc-mk --imk 0123456789ABCDEFFEDCBA9876543210 --pan 12345678901234567 --psn 01 --option b"
    )]
    IccMk(IccMkArgs),
    /// Derive the common session key (EMV CSK) for an ATC and unpredictable number.
    #[command(after_help = "Examples (pyemv documentation value):
  posnet crypto emv session-key --mk 0123456789ABCDEFFEDCBA9876543210 --atc 001C
  posnet crypto emv session-key --mk 0123456789ABCDEFFEDCBA9876543210 --r 001C000000000000")]
    SessionKey(SessionKeyArgs),
    /// Compute an application cryptogram (ARQC, TC or AAC) over the transaction data.
    #[command(after_help = "Example (pyemv documentation value, FA624250B008B59A):
  posnet crypto emv arqc --sk 29B33180E567CE38EA4CBC9D753B0E61 --data 0123456789ABCDEF0123456789ABCDEF")]
    Arqc(ArqcArgs),
    /// Compute the ARPC for an ARQC: method 1 (ARC) or method 2 (CSU).
    #[command(after_help = "Examples (pyemv documentation values):
  posnet crypto emv arpc --method 1 --sk 29B33180E567CE38EA4CBC9D753B0E61 --arqc FA624250B008B59A --arc 0000
  posnet crypto emv arpc --method 2 --sk 29B33180E567CE38EA4CBC9D753B0E61 --arqc FA624250B008B59A --csu 00000000")]
    Arpc(ArpcArgs),
    /// Compute an issuer script command MAC (MAC algorithm 3, padding method 2).
    #[command(after_help = "Example:
  posnet crypto emv script-mac --sk 0123456789ABCDEFFEDCBA9876543210 --data 8424000008 --len 4")]
    ScriptMac(ScriptMacArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum IccOption {
    /// Option A.
    A,
    /// Option B (the same as A for PANs of 16 digits or fewer).
    B,
}

#[derive(clap::Args)]
pub struct IccMkArgs {
    /// Issuer master key (16 bytes).
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    imk: SecretArg,
    /// The PAN.
    #[arg(long, value_name = "DIGITS")]
    pan: String,
    /// PAN sequence number (tag 5F34), 2 digits.
    #[arg(long, value_name = "NN", default_value = "00")]
    psn: String,
    /// Derivation option.
    #[arg(long, value_enum, default_value = "a")]
    option: IccOption,
}

#[derive(clap::Args)]
pub struct SessionKeyArgs {
    /// ICC master key (16 bytes).
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    mk: SecretArg,
    /// Application transaction counter, 2 bytes.
    #[arg(
        long,
        value_name = "HEX",
        required_unless_present = "r",
        conflicts_with = "r"
    )]
    atc: Option<String>,
    /// Unpredictable number (tag 9F37), 4 bytes.
    #[arg(
        long,
        value_name = "HEX",
        default_value = "00000000",
        conflicts_with = "r"
    )]
    un: String,
    /// The diversification value R itself, 8 bytes (instead of ATC || 0000 || UN).
    #[arg(long, value_name = "HEX")]
    r: Option<String>,
}

#[derive(clap::Args)]
pub struct ArqcArgs {
    /// AC session key (16 bytes).
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    sk: SecretArg,
    /// The concatenated cryptogram data elements.
    #[arg(long, value_name = "HEX")]
    data: String,
    /// ISO 9797-1 padding: 1 (zeros; Visa CVN 10) or 2 (80 then zeros; EMV CSK).
    #[arg(long, value_name = "1|2", default_value_t = 2)]
    padding: u8,
}

#[derive(clap::Args)]
pub struct ArpcArgs {
    /// ARPC method (EMV Book 2 8.2).
    #[arg(long, value_name = "1|2")]
    method: u8,
    /// AC session key (16 bytes).
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    sk: SecretArg,
    /// The ARQC, 8 bytes.
    #[arg(long, value_name = "HEX")]
    arqc: String,
    /// Method 1: authorisation response code, 2 bytes (e.g. 3030 for "00").
    #[arg(long, value_name = "HEX")]
    arc: Option<String>,
    /// Method 2: card status update, 4 bytes.
    #[arg(long, value_name = "HEX")]
    csu: Option<String>,
    /// Method 2: proprietary authentication data, 0 to 8 bytes.
    #[arg(long, value_name = "HEX", default_value = "")]
    prop_data: String,
}

#[derive(clap::Args)]
pub struct ScriptMacArgs {
    /// Secure messaging integrity session key (16 bytes).
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    sk: SecretArg,
    /// Command header, bound transaction data and command data.
    #[arg(long, value_name = "HEX")]
    data: String,
    /// MAC length in bytes, 4 to 8.
    #[arg(long, value_name = "N", default_value_t = 8)]
    len: usize,
}

pub fn run(cmd: Cmd) -> Result<Report> {
    match cmd {
        Cmd::IccMk(a) => icc_mk(a),
        Cmd::SessionKey(a) => session_key(a),
        Cmd::Arqc(a) => arqc(a),
        Cmd::Arpc(a) => arpc(a),
        Cmd::ScriptMac(a) => script_mac(a),
    }
}

fn icc_mk(a: IccMkArgs) -> Result<Report> {
    let imk = input::key("--imk", &a.imk, KeyAlgorithm::Tdes)?;
    let pan = input::pan("--pan", &a.pan, false, true)?;
    let psn = match a.psn.as_bytes() {
        [t, u] if t.is_ascii_digit() && u.is_ascii_digit() => (t - b'0') * 10 + (u - b'0'),
        _ => bail!("--psn: must be 2 decimal digits (00-99)"),
    };
    let mk = match a.option {
        IccOption::A => emv::derive_icc_master_key_a(&imk, &pan, Some(psn)),
        IccOption::B => emv::derive_icc_master_key_b(&imk, &pan, Some(psn)),
    }
    .map_err(|e| anyhow!("--imk: {e}"))?;
    Ok(Report::new()
        .field("icc_mk", hexu(mk.as_bytes()))
        .field("icc_mk_kcv", check_value(&mk)?))
}

fn session_key(a: SessionKeyArgs) -> Result<Report> {
    let mk = input::key("--mk", &a.mk, KeyAlgorithm::Tdes)?;
    let r = match (&a.r, &a.atc) {
        (Some(r), _) => input::hex_exact::<8>("--r", r)?,
        (None, Some(atc)) => emv::ac_diversification(
            u16::from_be_bytes(input::hex_exact::<2>("--atc", atc)?),
            input::hex_exact::<4>("--un", &a.un)?,
        ),
        (None, None) => bail!("--atc: needed (or --r)"),
    };
    let sk = emv::derive_common_session_key(&mk, r).map_err(|e| anyhow!("--mk: {e}"))?;
    Ok(Report::new()
        .field("session_key", hexu(sk.as_bytes()))
        .field("session_key_kcv", check_value(&sk)?)
        .detail("r", hexu(&r)))
}

fn arqc(a: ArqcArgs) -> Result<Report> {
    let sk = input::key("--sk", &a.sk, KeyAlgorithm::Tdes)?;
    let data = input::hex_or_empty("--data", &a.data)?;
    let padding = match a.padding {
        1 => CryptogramPadding::Method1,
        2 => CryptogramPadding::Method2,
        n => bail!("--padding: {n} is not 1 or 2"),
    };
    let ac = emv::generate_ac(&sk, &data, padding).map_err(|e| anyhow!("--sk: {e}"))?;
    Ok(Report::new()
        .field("arqc", hexu(&ac))
        .detail("padding", a.padding))
}

fn arpc(a: ArpcArgs) -> Result<Report> {
    let sk = input::key("--sk", &a.sk, KeyAlgorithm::Tdes)?;
    let arqc = input::hex_exact::<8>("--arqc", &a.arqc)?;
    let arpc = match a.method {
        1 => {
            if a.csu.is_some() {
                bail!("--csu: method 1 takes --arc, not --csu");
            }
            let arc = a
                .arc
                .as_deref()
                .ok_or_else(|| anyhow!("--arc: method 1 needs the 2-byte ARC"))?;
            let arc = input::hex_exact::<2>("--arc", arc)?;
            emv::generate_arpc_method1(&sk, &arqc, arc)
                .map_err(|e| anyhow!("--sk: {e}"))?
                .to_vec()
        }
        2 => {
            if a.arc.is_some() {
                bail!("--arc: method 2 takes --csu, not --arc");
            }
            let csu = a
                .csu
                .as_deref()
                .ok_or_else(|| anyhow!("--csu: method 2 needs the 4-byte CSU"))?;
            let csu = input::hex_exact::<4>("--csu", csu)?;
            let prop = input::hex_or_empty("--prop-data", &a.prop_data)?;
            if prop.len() > 8 {
                bail!("--prop-data: {} bytes; at most 8", prop.len());
            }
            emv::generate_arpc_method2(&sk, &arqc, csu, &prop)
                .map_err(|e| anyhow!("--sk: {e}"))?
                .to_vec()
        }
        n => bail!("--method: {n} is not 1 or 2"),
    };
    Ok(Report::new()
        .field("arpc", hexu(&arpc))
        .detail("method", a.method))
}

fn script_mac(a: ScriptMacArgs) -> Result<Report> {
    let sk = input::key("--sk", &a.sk, KeyAlgorithm::Tdes)?;
    let data = input::hex_or_empty("--data", &a.data)?;
    if !(4..=8).contains(&a.len) {
        bail!("--len: {} is outside 4 to 8", a.len);
    }
    let mac = emv::issuer_script_mac(&sk, &data, a.len).map_err(|e| anyhow!("--sk: {e}"))?;
    Ok(Report::new().field("mac", hexu(&mac)))
}
