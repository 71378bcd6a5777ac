//! `posnet crypto mac`: ISO/IEC 9797-1 MAC algorithms 1 and 3 and CMAC.

use anyhow::{Result, anyhow, bail};
use paysec::KeyAlgorithm;
use paysec::mac::cmac::cmac_truncated;
use paysec::mac::iso9797::{Padding, mac_algorithm_1, mac_algorithm_3};

use super::input::{self, SecretArg};
use super::output::{Report, hexu};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Alg {
    /// ISO/IEC 9797-1 MAC algorithm 1: CBC-MAC (ANSI X9.9 with single DES).
    #[value(name = "iso9797-1-1")]
    Alg1,
    /// ISO/IEC 9797-1 MAC algorithm 3: ANSI X9.19 retail MAC (16-byte TDES key).
    #[value(name = "iso9797-1-3")]
    Alg3,
    /// CMAC (NIST SP 800-38B).
    #[value(name = "cmac")]
    Cmac,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Cipher {
    /// DES / TDES (8-byte blocks).
    Tdes,
    /// AES (16-byte blocks).
    Aes,
}

#[derive(clap::Args)]
#[command(after_help = "Examples (psec documentation values):
  posnet crypto mac --alg iso9797-1-1 --key 0123456789ABCDEFFEDCBA9876543210 --data 1234567890ABCDEF --padding 2
  posnet crypto mac --alg iso9797-1-3 --key 0123456789ABCDEFFEDCBA9876543210 --data 1234567890ABCDEF --padding 2 --len 4
  posnet crypto mac --alg cmac --key 2B7E151628AED2A6ABF7158809CF4F3C --data 6BC1BEE22E409F96E93D7E117393172A")]
pub struct MacArgs {
    /// The algorithm.
    #[arg(long, value_enum)]
    alg: Alg,
    /// The MAC key.
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    key: SecretArg,
    /// The message, in hex (may be empty: --data "").
    #[arg(long, value_name = "HEX")]
    data: String,
    /// Block cipher (default: tdes for the ISO 9797-1 algorithms, aes for cmac).
    #[arg(long, value_enum)]
    cipher: Option<Cipher>,
    /// ISO/IEC 9797-1 padding method (algorithms 1 and 3; CMAC pads by itself).
    #[arg(long, value_name = "1|2|3")]
    padding: Option<u8>,
    /// MAC length in bytes, 4 up to the cipher block (default: the whole block).
    #[arg(long, value_name = "N")]
    len: Option<usize>,
}

pub fn run(a: MacArgs) -> Result<Report> {
    let cipher = a.cipher.unwrap_or(match a.alg {
        Alg::Cmac => Cipher::Aes,
        _ => Cipher::Tdes,
    });
    let (algorithm, block_len) = match cipher {
        Cipher::Tdes => (KeyAlgorithm::Tdes, 8),
        Cipher::Aes => (KeyAlgorithm::Aes, 16),
    };
    if a.alg == Alg::Alg3 && cipher == Cipher::Aes {
        bail!("--cipher: ISO 9797-1 algorithm 3 is defined here for TDES only");
    }
    let padding = match (a.alg, a.padding) {
        (Alg::Cmac, Some(_)) => bail!("--padding: CMAC has its own padding; leave it out"),
        (_, None | Some(1)) => Padding::Method1,
        (_, Some(2)) => Padding::Method2,
        (_, Some(3)) => Padding::Method3,
        (_, Some(n)) => bail!("--padding: {n} is not an ISO 9797-1 padding method (1, 2 or 3)"),
    };
    let key = input::key("--key", &a.key, algorithm)?;
    let data = input::hex_or_empty("--data", &a.data)?;
    let len = a.len.unwrap_or(block_len);
    let mac = match a.alg {
        Alg::Alg1 => mac_algorithm_1(&key, &data, padding, len),
        Alg::Alg3 => mac_algorithm_3(&key, &data, padding, len),
        Alg::Cmac => cmac_truncated(&key, &data, len),
    }
    .map_err(|e| {
        let arg = match e {
            paysec::mac::MacError::MacLength { .. } => "--len",
            _ => "--key",
        };
        anyhow!("{arg}: {e}")
    })?;
    Ok(Report::new().field("mac", hexu(&mac)))
}
