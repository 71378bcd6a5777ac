//! `posnet crypto cvv|pvv|ibm3624-offset`: card and PIN verification values.

use anyhow::{Result, anyhow, bail};
use paysec::KeyAlgorithm;
use paysec::pinverify::cvv::{CVV2_SERVICE_CODE, ICVV_SERVICE_CODE, generate_cvv};
use paysec::pinverify::ibm3624::{DecimalisationTable, ValidationData, generate_offset};
use paysec::pinverify::pvv::generate_pvv;

use super::input::{self, SecretArg};
use super::output::Report;

#[derive(clap::Args)]
#[command(after_help = "Examples (psec documentation values):
  posnet crypto cvv --cvk 0123456789ABCDEFFEDCBA9876543210 --pan 1234567890123456 --expiry 9912 --service-code 220
  posnet crypto cvv --cvk 0123456789ABCDEFFEDCBA9876543210 --pan 1234567890123456 --expiry 9912 --cvv2")]
pub struct CvvArgs {
    /// Card verification key, CVK A || CVK B (16 bytes).
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    cvk: SecretArg,
    /// The PAN.
    #[arg(long, value_name = "DIGITS")]
    pan: String,
    /// Expiry date as on track 2: YYMM.
    #[arg(long, value_name = "YYMM")]
    expiry: String,
    /// Service code (3 digits), for the magnetic stripe CVV.
    #[arg(long, value_name = "SSS", required_unless_present_any = ["cvv2", "icvv"], conflicts_with_all = ["cvv2", "icvv"])]
    service_code: Option<String>,
    /// CVV2, the printed value (service code 000).
    #[arg(long, conflicts_with = "icvv")]
    cvv2: bool,
    /// iCVV, the chip's track 2 value (service code 999).
    #[arg(long)]
    icvv: bool,
}

/// Checks a fixed-length decimal argument.
fn digits(arg: &str, text: &str, len: usize) -> Result<()> {
    if text.len() != len || !text.bytes().all(|b| b.is_ascii_digit()) {
        bail!("{arg}: must be {len} decimal digits");
    }
    Ok(())
}

pub fn cvv(a: CvvArgs) -> Result<Report> {
    let cvk = input::key("--cvk", &a.cvk, KeyAlgorithm::Tdes)?;
    let pan = input::pan("--pan", &a.pan, false, true)?;
    let (service, kind) = match (a.service_code.as_deref(), a.cvv2, a.icvv) {
        (Some(s), _, _) => (s, "cvv"),
        (None, true, _) => (CVV2_SERVICE_CODE, "cvv2"),
        (None, _, true) => (ICVV_SERVICE_CODE, "icvv"),
        (None, false, false) => bail!("--service-code: needed (or --cvv2, or --icvv)"),
    };
    digits("--expiry", &a.expiry, 4)?;
    digits("--service-code", service, 3)?;
    let value = generate_cvv(&cvk, &pan, &a.expiry, service).map_err(|e| anyhow!("--cvk: {e}"))?;
    Ok(Report::new()
        .field("cvv", value)
        .detail("kind", kind)
        .detail("service_code", service))
}

#[derive(clap::Args)]
#[command(after_help = "Example (psec documentation value, PVV 4021):
  posnet crypto pvv --pvk 0123456789ABCDEFFEDCBA9876543210 --pvki 3 --pin 4524 --pan 1122334455667788 --no-luhn")]
pub struct PvvArgs {
    /// PIN verification key (16 bytes).
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    pvk: SecretArg,
    /// PIN verification key index, 0-9.
    #[arg(long, value_name = "N")]
    pvki: u8,
    /// The PIN.
    #[arg(long, value_name = "DIGITS", value_parser = input::secret)]
    pin: SecretArg,
    /// The PAN.
    #[arg(long, value_name = "DIGITS")]
    pan: String,
    /// Accept a PAN whose check digit fails the Luhn test.
    #[arg(long)]
    no_luhn: bool,
}

pub fn pvv(a: PvvArgs) -> Result<Report> {
    let pvk = input::key("--pvk", &a.pvk, KeyAlgorithm::Tdes)?;
    // The PVV's TSP takes the 11 digits before the check digit.
    let pan = input::pan("--pan", &a.pan, true, a.no_luhn)?;
    let pin = input::pin("--pin", &a.pin)?;
    if a.pvki > 9 {
        bail!("--pvki: {} is not one digit (0-9)", a.pvki);
    }
    pan.require_len("Visa PVV", 12)
        .map_err(|e| anyhow!("--pan: {e}"))?;
    let value = generate_pvv(&pvk, &pan, a.pvki, &pin).map_err(|e| anyhow!("--pvk: {e}"))?;
    Ok(Report::new().field("pvv", value))
}

#[derive(clap::Args)]
#[command(after_help = "Example (psec documentation value, offset 0000):
  posnet crypto ibm3624-offset --pvk 0123456789ABCDEFFEDCBA9876543210 --pin 4524 --pan 1122334455667788 \\
      --dec-table 1234567890123456 --vd-start 0 --vd-len 16 --vd-pad F")]
pub struct Ibm3624Args {
    /// PIN verification key (TDES).
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    pvk: SecretArg,
    /// The customer's PIN.
    #[arg(long, value_name = "DIGITS", value_parser = input::secret)]
    pin: SecretArg,
    /// The PAN (source of the validation data unless --validation-data is given).
    #[arg(long, value_name = "DIGITS")]
    pan: String,
    /// Decimalisation table: 16 digits, the decimal value of hex digits 0-F.
    #[arg(long, value_name = "DIGITS", default_value = "0123456789012345")]
    dec_table: String,
    /// The validation data itself: 16 hex digits (instead of a window of the PAN).
    #[arg(long, value_name = "HEX", conflicts_with_all = ["vd_start", "vd_len", "vd_pad"])]
    validation_data: Option<String>,
    /// Validation data: first PAN digit used (0-based).
    #[arg(long, value_name = "N", default_value_t = 0)]
    vd_start: usize,
    /// Validation data: number of PAN digits used (default: the whole PAN, at most 16).
    #[arg(long, value_name = "N")]
    vd_len: Option<usize>,
    /// Validation data: hex digit that pads the PAN digits to 16.
    #[arg(long, value_name = "X", default_value = "F")]
    vd_pad: String,
}

pub fn ibm3624_offset(a: Ibm3624Args) -> Result<Report> {
    let pvk = input::key("--pvk", &a.pvk, KeyAlgorithm::Tdes)?;
    let pan = input::pan("--pan", &a.pan, false, true)?;
    let pin = input::pin("--pin", &a.pin)?;
    let table = DecimalisationTable::new(&a.dec_table).map_err(|e| anyhow!("--dec-table: {e}"))?;
    let data = match &a.validation_data {
        Some(text) => ValidationData::from_bytes(input::hex_exact::<8>("--validation-data", text)?),
        None => {
            let pad = match a.vd_pad.as_bytes() {
                [c] => char::from(*c)
                    .to_digit(16)
                    .and_then(|d| u8::try_from(d).ok())
                    .ok_or_else(|| anyhow!("--vd-pad: must be one hex digit"))?,
                _ => bail!("--vd-pad: must be one hex digit"),
            };
            let len = a
                .vd_len
                .unwrap_or(pan.len().saturating_sub(a.vd_start).min(16));
            ValidationData::from_pan(&pan, a.vd_start, len, pad)
                .map_err(|e| anyhow!("--vd-start/--vd-len: {e}"))?
        }
    };
    let offset = generate_offset(&pvk, &data, &table, &pin).map_err(|e| anyhow!("--pvk: {e}"))?;
    Ok(Report::new().field("offset", offset))
}
