//! `posnet crypto pin-block encode|decode`: ISO 9564-1 PIN blocks, formats 0, 1, 3 and 4.

use anyhow::{Result, bail};
use clap::Subcommand;
use paysec::pinblock::{self, PinBlockFormat};
use paysec::rng::Replay;
use paysec::{KeyAlgorithm, Pin};
use zeroize::Zeroizing;

use super::input::{self, SecretArg};
use super::output::{Report, hexu};

#[derive(Subcommand)]
pub enum Cmd {
    /// Build a PIN block (clear, or enciphered with --key).
    #[command(after_help = "Examples:
  posnet crypto pin-block encode --format 0 --pin 1234 --pan 4111111111111111
  posnet crypto pin-block encode --format 0 --pin 1234 --pan 4111111111111111 --key 0123456789ABCDEFFEDCBA9876543210
  posnet crypto pin-block encode --format 3 --pin 1234 --pan 4111111111111111 --fill ABCDEFABCD
  posnet crypto pin-block encode --format 4 --pin 1234 --pan 4111111111111111 --key 00112233445566778899AABBCCDDEEFF")]
    Encode(EncodeArgs),
    /// Read the PIN from a PIN block (clear, or enciphered with --key).
    #[command(after_help = "Examples:
  posnet crypto pin-block decode --format 0 --block 041225EEEEEEEEEE --pan 4111111111111111
  posnet crypto pin-block decode --format 0 --block <16 hex> --pan 4111111111111111 --key <TDES key hex>
  posnet crypto pin-block decode --format 4 --block 441234AAAAAAAAAA548ED7FD65495950")]
    Decode(DecodeArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// ISO 9564-1 format 0 (ANSI X9.8): PIN XOR PAN, fill F.
    #[value(name = "0")]
    F0,
    /// Format 1: PIN and random fill, no PAN.
    #[value(name = "1")]
    F1,
    /// Format 3: PIN XOR PAN, random fill A-F.
    #[value(name = "3")]
    F3,
    /// Format 4: AES, 16-byte PIN field and PAN field.
    #[value(name = "4")]
    F4,
}

impl From<Format> for PinBlockFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::F0 => PinBlockFormat::Iso0,
            Format::F1 => PinBlockFormat::Iso1,
            Format::F3 => PinBlockFormat::Iso3,
            Format::F4 => PinBlockFormat::Iso4,
        }
    }
}

#[derive(clap::Args)]
pub struct EncodeArgs {
    /// ISO 9564-1 format.
    #[arg(long, value_enum)]
    format: Format,
    /// The PIN, 4 to 12 digits.
    #[arg(long, value_name = "DIGITS", value_parser = input::secret)]
    pin: SecretArg,
    /// The PAN (needed by formats 0, 3 and 4).
    #[arg(long, value_name = "DIGITS")]
    pan: Option<String>,
    /// Encipher under this key (TDES for formats 0, 1, 3; AES for 4). Without it the clear
    /// block is printed.
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    key: Option<SecretArg>,
    /// The "random" fill, for reproducible blocks: format 1: the fill nibbles (14 minus the
    /// PIN length, any hex); format 3: the fill nibbles (A-F); format 4: the 8 random bytes of
    /// the PIN field (16 hex digits). Default: from the operating system's generator.
    #[arg(long, value_name = "HEX")]
    fill: Option<String>,
    /// Accept a PAN whose check digit fails the Luhn test.
    #[arg(long)]
    no_luhn: bool,
}

#[derive(clap::Args)]
pub struct DecodeArgs {
    /// ISO 9564-1 format.
    #[arg(long, value_enum)]
    format: Format,
    /// The PIN block (format 4: the 16-byte block, or the clear PIN field without --key).
    #[arg(long, value_name = "HEX")]
    block: String,
    /// The PAN (needed by formats 0, 3 and 4).
    #[arg(long, value_name = "DIGITS")]
    pan: Option<String>,
    /// Decipher under this key first.
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    key: Option<SecretArg>,
    /// Accept a PAN whose check digit fails the Luhn test.
    #[arg(long)]
    no_luhn: bool,
}

/// Formats 0 and 3 drop the PAN's last digit as its check digit.
fn luhn_matters(format: PinBlockFormat) -> bool {
    matches!(format, PinBlockFormat::Iso0 | PinBlockFormat::Iso3)
}

/// The PAN when given; an error when `required` and missing. Formats 1 and 4 in clear do
/// not use it (format 4 binds the PAN only when enciphering).
fn pan_for(
    format: PinBlockFormat,
    pan: Option<&str>,
    no_luhn: bool,
    required: bool,
) -> Result<Option<paysec::Pan>> {
    match pan {
        Some(text) => Ok(Some(input::pan(
            "--pan",
            text,
            luhn_matters(format),
            no_luhn,
        )?)),
        None if required => bail!("--pan: format {} needs the PAN", format.control_nibble()),
        None => Ok(None),
    }
}

fn pan_required(format: PinBlockFormat, enciphered: bool) -> bool {
    match format {
        PinBlockFormat::Iso0 | PinBlockFormat::Iso3 => true,
        PinBlockFormat::Iso1 => false,
        PinBlockFormat::Iso4 => enciphered,
    }
}

fn key_algorithm(format: PinBlockFormat) -> KeyAlgorithm {
    if format == PinBlockFormat::Iso4 {
        KeyAlgorithm::Aes
    } else {
        KeyAlgorithm::Tdes
    }
}

/// The bytes paysec's encoders draw for the fill, from the user's `--fill` (the fill as it
/// appears in the block) or from the OS.
pub fn fill_bytes(
    format: PinBlockFormat,
    pin: &Pin,
    fill: Option<&str>,
) -> Result<Zeroizing<Vec<u8>>> {
    let Some(text) = fill else {
        return Ok(hsm::os_random(16)?);
    };
    let fill_nibbles = 14 - pin.len();
    let nibble = |c: char| c.to_digit(16).and_then(|d| u8::try_from(d).ok());
    match format {
        PinBlockFormat::Iso0 => bail!("--fill: format 0 has no random fill (its fill is F)"),
        PinBlockFormat::Iso1 | PinBlockFormat::Iso3 => {
            let nibbles: Vec<Option<u8>> = text.chars().map(nibble).collect();
            if nibbles.len() != fill_nibbles {
                bail!(
                    "--fill: a {}-digit PIN leaves {fill_nibbles} fill nibbles; got {}",
                    pin.len(),
                    nibbles.len()
                );
            }
            // paysec reads one byte per nibble of the block and skips the PIN's.
            let mut bytes = Zeroizing::new(vec![0u8; 16]);
            for (i, n) in nibbles.iter().enumerate() {
                let value = match (format, n) {
                    (PinBlockFormat::Iso3, Some(v)) if *v >= 0xA => v - 0xA,
                    (PinBlockFormat::Iso1, Some(v)) => *v,
                    _ => bail!(
                        "--fill: nibble {i} must be {}",
                        if format == PinBlockFormat::Iso3 {
                            "A-F"
                        } else {
                            "a hex digit"
                        }
                    ),
                };
                if let Some(slot) = bytes.get_mut(2 + pin.len() + i) {
                    *slot = value;
                }
            }
            Ok(bytes)
        }
        PinBlockFormat::Iso4 => Ok(Zeroizing::new(
            input::hex_exact::<8>("--fill", text)?.to_vec(),
        )),
    }
}

pub fn run(cmd: Cmd) -> Result<Report> {
    match cmd {
        Cmd::Encode(a) => encode(a),
        Cmd::Decode(a) => decode(a),
    }
}

fn encode(a: EncodeArgs) -> Result<Report> {
    let format = PinBlockFormat::from(a.format);
    let pin = input::pin("--pin", &a.pin)?;
    let pan = pan_for(
        format,
        a.pan.as_deref(),
        a.no_luhn,
        pan_required(format, a.key.is_some()),
    )?;
    let fill = fill_bytes(format, &pin, a.fill.as_deref())?;
    let mut rng = Replay::new(&fill);
    let report = Report::new().detail("format", format.control_nibble());
    if let Some(k) = &a.key {
        let key = input::key("--key", k, key_algorithm(format))?;
        let block = pinblock::encipher(format, &key, &pin, pan.as_ref(), &mut rng)?;
        return Ok(report.field("pin_block", hexu(&block)));
    }
    if format == PinBlockFormat::Iso4 {
        let field = pinblock::encode_format4_pin_field(&pin, &mut rng);
        let report = report.field("pin_field", hexu(&field[..]));
        return Ok(match &pan {
            Some(p) => report.field("pan_field", hexu(&pinblock::format4_pan_field(p))),
            None => report,
        });
    }
    let clear = pinblock::encode_clear_block(format, &pin, pan.as_ref(), &mut rng)?;
    Ok(report.field("pin_block", hexu(&clear[..])))
}

fn decode(a: DecodeArgs) -> Result<Report> {
    let format = PinBlockFormat::from(a.format);
    let pan = pan_for(
        format,
        a.pan.as_deref(),
        a.no_luhn,
        pan_required(format, a.key.is_some()),
    )?;
    let block = input::hex("--block", &a.block)?;
    let pin = match &a.key {
        Some(k) => {
            let key = input::key("--key", k, key_algorithm(format))?;
            pinblock::decipher(format, &key, &block, pan.as_ref())?
        }
        None => pinblock::decode_clear_block(format, &block, pan.as_ref())?,
    };
    Ok(Report::new()
        .field("pin", pin.reveal().as_str())
        .detail("format", format.control_nibble()))
}
