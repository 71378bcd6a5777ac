//! `posnet crypto tr31 wrap|unwrap`: ANSI X9 TR-31 key blocks, versions B and D.

use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use paysec::KeyAlgorithm;
use paysec::rng::Replay;
use paysec::tr31::{
    self, Algorithm, Exportability, Header, KeyVersion, ModeOfUse, OptionalBlock, Version,
};
use serde_json::json;
use zeroize::Zeroizing;

use super::check_value;
use super::input::{self, SecretArg};
use super::output::{Report, hexu};

#[derive(Subcommand)]
pub enum Cmd {
    /// Wrap a key in a TR-31 key block under a key block protection key (KBPK).
    #[command(
        after_help = "Examples (TR-31:2018 A.7.4, with the padding the standard prints):
  posnet crypto tr31 wrap --kbpk 88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6 \\
      --key 3F419E1CB7079442AA37474C2EFBF8B8 --usage P0 --algorithm A --mode E --fill 1C2965473CE206BB855B01533782
  posnet crypto tr31 wrap --block-version B --kbpk 1D22BF32387C600AD97F9B97A51311AC \\
      --key E8BC63E5479455E26577F715D587FE68 --usage B0 --algorithm T --mode X --opt-block KS=00604B120F9292800000"
    )]
    Wrap(WrapArgs),
    /// Open a TR-31 key block: check its MAC and print the key and the header.
    #[command(after_help = "Example (TR-31:2018 A.7.2.2):
  posnet crypto tr31 unwrap --kbpk DD7515F2BFC17F85CE48F3CA25CB21F6 \\
      --block B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E")]
    Unwrap(UnwrapArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum VersionArg {
    /// TDES key derivation binding (KBPK: 2- or 3-key TDES).
    #[value(name = "B")]
    B,
    /// AES key derivation binding (KBPK: AES).
    #[value(name = "D")]
    D,
}

#[derive(clap::Args)]
pub struct WrapArgs {
    /// Key block protection key: TDES for version B, AES for version D.
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    kbpk: SecretArg,
    /// The key to wrap.
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    key: SecretArg,
    /// Key block version ID.
    #[arg(long, value_enum, default_value = "D", ignore_case = true)]
    block_version: VersionArg,
    /// Key usage: a TR-31 code (P0, B0, K1, M3, D0, V2, ...) or a name (zpk, bdk, kbpk, ...).
    #[arg(long, value_name = "CODE")]
    usage: String,
    /// Algorithm of the wrapped key: T (TDES), A (AES), H (HMAC), D (DES), ...
    #[arg(long, value_name = "A")]
    algorithm: String,
    /// Mode of use: B, C, D, E, G, N, S, T, V, X or Y.
    #[arg(long, value_name = "M")]
    mode: String,
    /// Key version number, 2 characters.
    #[arg(long, value_name = "NN", default_value = "00")]
    key_version: String,
    /// Exportability: E, N or S.
    #[arg(long, value_name = "E", default_value = "E")]
    exportability: String,
    /// An optional block, ID=DATA (repeatable), e.g. KS=00604B120F9292800000.
    #[arg(long = "opt-block", value_name = "ID=DATA")]
    opt_blocks: Vec<String>,
    /// Pad the key data as if the key were this many bytes long (hides the key's length).
    #[arg(long, value_name = "BYTES")]
    masked_len: Option<usize>,
    /// The "random" padding bytes, for reproducible blocks (default: from the OS).
    #[arg(long, value_name = "HEX")]
    fill: Option<String>,
}

#[derive(clap::Args)]
pub struct UnwrapArgs {
    /// Key block protection key: TDES for version B, AES for version D.
    #[arg(long, value_name = "HEX", value_parser = input::secret)]
    kbpk: SecretArg,
    /// The key block.
    #[arg(long, value_name = "TEXT")]
    block: String,
}

pub fn run(cmd: Cmd) -> Result<Report> {
    match cmd {
        Cmd::Wrap(a) => wrap(a),
        Cmd::Unwrap(a) => unwrap(a),
    }
}

fn one_char<const N: usize>(arg: &str, text: &str) -> Result<[u8; N]> {
    <[u8; N]>::try_from(text.as_bytes()).map_err(|_| anyhow!("{arg}: must be {N} character(s)"))
}

fn kbpk_algorithm(version: Version) -> KeyAlgorithm {
    match version {
        Version::B => KeyAlgorithm::Tdes,
        Version::D => KeyAlgorithm::Aes,
    }
}

/// Padding bytes the block needs: key data is `2 + key` bytes (or `2 + masked`) rounded up to
/// the cipher block.
fn padding_len(version: Version, key_len: usize, masked_len: Option<usize>) -> usize {
    let block = version.block_len();
    let masked = masked_len.unwrap_or(key_len).max(key_len);
    (2 + masked).div_ceil(block) * block - 2 - key_len
}

fn wrap(a: WrapArgs) -> Result<Report> {
    let version = match a.block_version {
        VersionArg::B => Version::B,
        VersionArg::D => Version::D,
    };
    let usage = hsm::parse_usage(&a.usage).map_err(|e| anyhow!("--usage: {e}"))?;
    let algorithm = Algorithm::parse(one_char::<1>("--algorithm", &a.algorithm)?, 7)
        .map_err(|e| anyhow!("--algorithm: {e}"))?;
    let mode = ModeOfUse::parse(one_char::<1>("--mode", &a.mode)?, 8)
        .map_err(|e| anyhow!("--mode: {e}"))?;
    let key_version = one_char::<2>("--key-version", &a.key_version)?;
    if !key_version.iter().all(u8::is_ascii_alphanumeric) {
        bail!("--key-version: must be 2 letters or digits");
    }
    let exportability =
        Exportability::parse(one_char::<1>("--exportability", &a.exportability)?, 11)
            .map_err(|e| anyhow!("--exportability: {e}"))?;
    let mut header = Header::new(
        version,
        usage,
        algorithm,
        mode,
        KeyVersion(key_version),
        exportability,
    );
    for text in &a.opt_blocks {
        let (id, data) = text
            .split_once('=')
            .ok_or_else(|| anyhow!("--opt-block: '{text}' is not ID=DATA"))?;
        header.optional_blocks.push(OptionalBlock {
            id: one_char::<2>("--opt-block ID", id)?,
            data: data.to_string(),
        });
    }
    let kbpk = input::key("--kbpk", &a.kbpk, kbpk_algorithm(version))
        .map_err(|e| anyhow!("{e} (version {} KBPK)", version.as_char()))?;
    let key: Zeroizing<Vec<u8>> = match algorithm {
        Algorithm::Tdes | Algorithm::Des => Zeroizing::new(
            input::key("--key", &a.key, KeyAlgorithm::Tdes)?
                .as_bytes()
                .to_vec(),
        ),
        Algorithm::Aes => Zeroizing::new(
            input::key("--key", &a.key, KeyAlgorithm::Aes)?
                .as_bytes()
                .to_vec(),
        ),
        _ => input::secret_bytes("--key", &a.key)?,
    };
    let pad_len = padding_len(version, key.len(), a.masked_len);
    let fill = match &a.fill {
        Some(text) => {
            let bytes = input::hex_or_empty("--fill", text)?;
            if bytes.len() != pad_len {
                bail!(
                    "--fill: this block needs {pad_len} padding bytes; got {}",
                    bytes.len()
                );
            }
            Zeroizing::new(bytes)
        }
        None => hsm::os_random(pad_len)?,
    };
    let block = tr31::wrap(&kbpk, &header, &key, a.masked_len, &mut Replay::new(&fill))?;
    Ok(Report::new().field("key_block", block))
}

fn unwrap(a: UnwrapArgs) -> Result<Report> {
    let version = match a.block.as_bytes().first() {
        Some(b'B') => Version::B,
        Some(b'D') => Version::D,
        Some(other) => bail!(
            "--block: key block version '{}' is not supported (B and D are)",
            char::from(*other).escape_default()
        ),
        None => bail!("--block: empty"),
    };
    let kbpk = input::key("--kbpk", &a.kbpk, kbpk_algorithm(version))
        .map_err(|e| anyhow!("{e} (version {} KBPK)", version.as_char()))?;
    let opened =
        tr31::unwrap(&kbpk, a.block.trim().as_bytes()).map_err(|e| anyhow!("--block: {e}"))?;
    let h = &opened.header;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut report = Report::new().field("key", hexu(&opened.key));
    if let Some(kcv) = opened.secret_key().ok().and_then(|k| check_value(&k).ok()) {
        report = report.field("key_kcv", kcv);
    }
    let blocks: Vec<String> = h
        .optional_blocks
        .iter()
        .map(|b| format!("{}={}", text(&b.id), b.data))
        .collect();
    report = report
        .field("version", h.version.as_char().to_string())
        .field("usage", text(&h.key_usage.code()))
        .field("algorithm", text(&h.algorithm.code()))
        .field("mode", text(&h.mode_of_use.code()))
        .field("key_version", text(&h.key_version.0))
        .field("exportability", text(&h.exportability.code()));
    if !blocks.is_empty() {
        report = report.field("optional_blocks", json!(blocks));
    }
    Ok(report)
}
