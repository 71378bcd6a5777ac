//! `posnet crypto`: the payment crypto calculator. Hex in, hex out (`--json` for one JSON
//! object). Keys and PINs are inputs only: errors name the argument, never its value.

mod dukpt;
mod emv;
mod input;
mod mac;
mod output;
mod pin;
mod tr31;
mod verify;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Subcommand;
use paysec::kcv::{KcvMethod, kcv_block};
use paysec::{KeyAlgorithm, SecretKey};

use input::SecretArg;
use output::{Report, hexu};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  posnet crypto kcv --key 0123456789ABCDEFFEDCBA9876543210
  posnet crypto pin-block encode --format 0 --pin 1234 --pan 4111111111111111
  posnet crypto dukpt derive --bdk 0123456789ABCDEFFEDCBA9876543210 --ksn FFFF9876543210E00001
  posnet crypto --json emv icc-mk --imk 0123456789ABCDEFFEDCBA9876543210 --pan 99012345678901234 --psn 45

Each command's --help has its own examples.")]
pub struct Args {
    /// Print one JSON object instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Key check value: TDES/AES-encrypt zeros (legacy) or CMAC of zeros (--cmac).
    #[command(after_help = "Examples:
  posnet crypto kcv --key 0123456789ABCDEFFEDCBA9876543210            # 08D7B4 (psec docs: 08D7)
  posnet crypto kcv --aes --cmac --key 3F419E1CB7079442AA37474C2EFBF8B8 --len 5   # 08793E25AB (X9.143 8.1)")]
    Kcv(KcvArgs),
    /// ISO 9564-1 PIN blocks, formats 0, 1, 3 and 4.
    #[command(subcommand, name = "pin-block")]
    PinBlock(pin::Cmd),
    /// DUKPT: TDES (ANSI X9.24-1) and AES (ANSI X9.24-3).
    #[command(subcommand)]
    Dukpt(dukpt::Cmd),
    /// CVV, CVV2 or iCVV.
    Cvv(verify::CvvArgs),
    /// Visa PIN verification value.
    Pvv(verify::PvvArgs),
    /// IBM 3624 PIN offset.
    #[command(name = "ibm3624-offset")]
    Ibm3624Offset(verify::Ibm3624Args),
    /// MAC: ISO 9797-1 algorithm 1 or 3 (retail MAC), or CMAC.
    Mac(mac::MacArgs),
    /// EMV: ICC master key, session key, ARQC, ARPC, script MAC.
    #[command(subcommand)]
    Emv(emv::Cmd),
    /// TR-31 key blocks (versions B and D).
    #[command(subcommand)]
    Tr31(tr31::Cmd),
}

#[derive(clap::Args)]
struct KcvArgs {
    /// The key.
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    key: SecretArg,
    /// The key is AES (default: TDES).
    #[arg(long)]
    aes: bool,
    /// CMAC of a zero block (ANSI X9.24-3, X9.143 KCV) instead of encrypting it.
    #[arg(long)]
    cmac: bool,
    /// Check value length in bytes (1 up to the cipher block).
    #[arg(long, value_name = "N", default_value_t = 3)]
    len: usize,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let report = match args.command {
        Cmd::Kcv(a) => kcv(a)?,
        Cmd::PinBlock(c) => pin::run(c)?,
        Cmd::Dukpt(c) => dukpt::run(c)?,
        Cmd::Cvv(a) => verify::cvv(a)?,
        Cmd::Pvv(a) => verify::pvv(a)?,
        Cmd::Ibm3624Offset(a) => verify::ibm3624_offset(a)?,
        Cmd::Mac(a) => mac::run(a)?,
        Cmd::Emv(c) => emv::run(c)?,
        Cmd::Tr31(c) => tr31::run(c)?,
    };
    let mut out = std::io::stdout().lock();
    out.write_all(report.render(args.json).as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The check value operators expect for a key: legacy for TDES, CMAC for AES (X9.24-3), 3 bytes.
pub(crate) fn check_value(key: &SecretKey) -> Result<String> {
    let method = match key.algorithm() {
        KeyAlgorithm::Aes => KcvMethod::Cmac,
        _ => KcvMethod::Legacy,
    };
    let block = kcv_block(key, method)?;
    Ok(hexu(block.get(..3).unwrap_or(&block)))
}

fn kcv(a: KcvArgs) -> Result<Report> {
    let algorithm = if a.aes {
        KeyAlgorithm::Aes
    } else {
        KeyAlgorithm::Tdes
    };
    let key = input::key("--key", &a.key, algorithm)?;
    let method = if a.cmac {
        KcvMethod::Cmac
    } else {
        KcvMethod::Legacy
    };
    let block = kcv_block(&key, method)?;
    if a.len == 0 || a.len > block.len() {
        bail!("--len: {} is outside 1 to {}", a.len, block.len());
    }
    Ok(Report::new()
        .field("kcv", hexu(block.get(..a.len).unwrap_or(&block)))
        .detail("method", if a.cmac { "cmac" } else { "legacy" })
        .detail("algorithm", if a.aes { "aes" } else { "tdes" }))
}

#[cfg(test)]
mod tests {
    use clap::{Args as _, Command};

    /// clap checks its definitions only when a command is parsed; check them all at once, with
    /// the version flag `posnet` propagates to every subcommand.
    #[test]
    fn command_definitions_are_consistent() {
        let cmd = Command::new("posnet")
            .version("0")
            .propagate_version(true)
            .subcommand(super::Args::augment_args(Command::new("crypto")));
        cmd.debug_assert();
    }
}
