//! `posnet hsm`: the software HSM's key store: create it, import keys (clear or TR-31), list
//! them (check values only), export them as TR-31.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Subcommand, ValueEnum};
use hsm::{Hsm, KeyAttributes, KeyInfo, SoftHsm};
use paysec::tr31::{Exportability, ModeOfUse};
use paysec::{KeyAlgorithm, SecretKey};
use serde_json::{Value, json};
use zeroize::Zeroizing;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  posnet hsm init --dir ./hsm
  posnet hsm import --name kbpk.acquirer --usage kbpk --alg aes --key -      # key read from stdin
  posnet hsm import --name zpk.issuer --usage zpk --key 0123456789ABCDEFFEDCBA9876543210
  posnet hsm import --name bdk.terminals --usage bdk --tr31 D0112B0AX00E0000... --kbpk kbpk.acquirer
  posnet hsm list
  posnet hsm export --name zpk.issuer --kbpk kbpk.acquirer")]
pub struct Args {
    /// The HSM's folder: master.key (mode 0600) and keys.store.
    #[arg(long, global = true, value_name = "DIR", default_value = "./hsm")]
    dir: PathBuf,
    /// The master key file, when it is kept apart from the store (default: DIR/master.key).
    #[arg(long, global = true, value_name = "FILE")]
    master_key: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a new HSM: a random master key and an empty key store.
    Init,
    /// Store a key: in clear (--key, a key ceremony's result) or as a TR-31 block (--tr31).
    #[command(
        after_help = "Usages (name or TR-31 code): bdk B0, zpk P0, pvk-pvv V2, pvk-ibm V1, cvk C0,
imk-ac E0, imk-smi E2, mac-alg1 M1, mac-alg3 M3, mac-cmac M6, kbpk K1, kek K0, dek D0.
A clear key given as '-' is read from the first line of stdin (keeps it out of the shell history).

Examples:
  posnet hsm import --name zpk.issuer --usage zpk --key 0123456789ABCDEFFEDCBA9876543210
  posnet hsm import --name bdk.aes --usage bdk --alg aes --key FEDCBA9876543210F1F1F1F1F1F1F1F1
  posnet hsm import --name pin.key --tr31 B0080P0TE00E0000... --kbpk kbpk.partner"
    )]
    Import(ImportArgs),
    /// List the keys: name, usage, algorithm, mode of use, exportability and check value.
    List,
    /// Export a key as a TR-31 key block under a KBPK held in the HSM.
    #[command(after_help = "Example:
  posnet hsm export --name zpk.issuer --kbpk kbpk.acquirer")]
    Export(ExportArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Alg {
    Tdes,
    Aes,
    Hmac,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The key's name in the HSM (A-Z a-z 0-9 . _ -).
    #[arg(long)]
    name: String,
    /// What the key is for: a name (zpk, bdk, ...) or a TR-31 usage code (P0, B0, ...).
    /// Required with --key; with --tr31 the block's usage must match it.
    #[arg(long, required_unless_present = "tr31")]
    usage: Option<String>,
    /// The clear key in hex, or '-' to read it from stdin.
    #[arg(long, value_name = "HEX|-", value_parser = secret, conflicts_with = "tr31", required_unless_present = "tr31")]
    key: Option<Zeroizing<String>>,
    /// Algorithm of a clear key.
    #[arg(long, value_enum, default_value = "tdes", requires = "key")]
    alg: Alg,
    /// Mode of use of a clear key (default: what its usage needs, e.g. X for a BDK).
    #[arg(long, value_name = "M", requires = "key")]
    mode: Option<String>,
    /// Exportability of a clear key: E (under a KBPK), N (never), S (sensitive).
    #[arg(long, value_name = "E|N|S", default_value = "E", requires = "key")]
    exportability: String,
    /// A TR-31 key block wrapped under --kbpk.
    #[arg(long, value_name = "BLOCK", requires = "kbpk")]
    tr31: Option<String>,
    /// Name of the KBPK (in this HSM) the TR-31 block is wrapped under.
    #[arg(long, value_name = "NAME")]
    kbpk: Option<String>,
}

#[derive(clap::Args)]
struct ExportArgs {
    /// The key to export.
    #[arg(long)]
    name: String,
    /// Name of the KBPK (usage K0/K1) to wrap it under.
    #[arg(long, value_name = "NAME")]
    kbpk: String,
}

/// clap parser for the clear key: accepts anything, so errors never quote a key.
fn secret(text: &str) -> Result<Zeroizing<String>, std::convert::Infallible> {
    Ok(Zeroizing::new(text.to_string()))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let master = args
        .master_key
        .clone()
        .unwrap_or_else(|| args.dir.join(hsm::MASTER_KEY_FILE));
    let store = args.dir.join(hsm::STORE_FILE);
    let out = match args.command {
        Cmd::Init => {
            std::fs::create_dir_all(&args.dir)
                .with_context(|| format!("create {}", args.dir.display()))?;
            let h = SoftHsm::init_at(&master, &store)?;
            let doc = json!({
                "master_key": master.display().to_string(),
                "store": store.display().to_string(),
                "master_kcv": h.master_kcv(),
            });
            if args.json {
                format!("{doc}\n")
            } else {
                format!(
                    "initialised {}: master key {} (KCV {}), empty key store\n",
                    args.dir.display(),
                    master.display(),
                    h.master_kcv()
                )
            }
        }
        Cmd::Import(a) => {
            let mut h = SoftHsm::open_at(&master, &store)?;
            let info = import(&mut h, a)?;
            if args.json {
                format!("{}\n", info_json(&info))
            } else {
                format!("imported {}\n", info_line(&info))
            }
        }
        Cmd::List => {
            let h = SoftHsm::open_at(&master, &store)?;
            let keys = h.list_keys();
            if args.json {
                let doc = json!({
                    "master_kcv": h.master_kcv(),
                    "keys": keys.iter().map(info_json).collect::<Vec<_>>(),
                });
                format!("{doc}\n")
            } else {
                list_text(&keys)
            }
        }
        Cmd::Export(a) => {
            let h = SoftHsm::open_at(&master, &store)?;
            let block = h.export_tr31(&a.name, &a.kbpk)?;
            if args.json {
                format!("{}\n", json!({ "key_block": block }))
            } else {
                format!("{block}\n")
            }
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn import(h: &mut SoftHsm, a: ImportArgs) -> Result<KeyInfo> {
    let usage = a
        .usage
        .as_deref()
        .map(hsm::parse_usage)
        .transpose()
        .map_err(|e| anyhow!("--usage: {e}"))?;
    if let Some(block) = &a.tr31 {
        let kbpk = a
            .kbpk
            .as_deref()
            .ok_or_else(|| anyhow!("--kbpk: needed with --tr31"))?;
        return Ok(h.import_tr31(&a.name, kbpk, block, usage)?);
    }
    let (Some(usage), Some(key_text)) = (usage, a.key.as_ref()) else {
        bail!("--key and --usage: both needed for a clear key (or use --tr31)");
    };
    let key_hex = if key_text.as_str() == "-" {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("--key -: reading the key from stdin")?;
        Zeroizing::new(line.trim().to_string())
    } else {
        key_text.clone()
    };
    let bytes = decode_key_hex(&key_hex)?;
    let algorithm = match a.alg {
        Alg::Tdes => KeyAlgorithm::Tdes,
        Alg::Aes => KeyAlgorithm::Aes,
        Alg::Hmac => KeyAlgorithm::Hmac,
    };
    let key = SecretKey::new(algorithm, &bytes).map_err(|e| {
        let hint = if bytes.len() == 32 && algorithm == KeyAlgorithm::Tdes {
            " (a 32-byte key is AES or HMAC: add --alg aes)"
        } else {
            ""
        };
        anyhow!("--key: {e}{hint}")
    })?;
    let mut attrs = KeyAttributes::for_usage(usage);
    if let Some(m) = &a.mode {
        let code: [u8; 1] = m
            .as_bytes()
            .try_into()
            .map_err(|_| anyhow!("--mode: must be one character"))?;
        attrs.mode_of_use = ModeOfUse::parse(code, 0).map_err(|e| anyhow!("--mode: {e}"))?;
    }
    let code: [u8; 1] = a
        .exportability
        .as_bytes()
        .try_into()
        .map_err(|_| anyhow!("--exportability: must be one character"))?;
    attrs.exportability =
        Exportability::parse(code, 0).map_err(|e| anyhow!("--exportability: {e}"))?;
    Ok(h.import_key(&a.name, &attrs, &key)?)
}

/// Hex to bytes; errors give the offset only.
fn decode_key_hex(text: &str) -> Result<Zeroizing<Vec<u8>>> {
    let digits = text.as_bytes();
    if let Some(offset) = digits.iter().position(|c| !c.is_ascii_hexdigit()) {
        bail!("--key: character at offset {offset} is not a hex digit");
    }
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        bail!(
            "--key: {} hex digits; a key needs a non-zero even number",
            digits.len()
        );
    }
    let mut out = Zeroizing::new(Vec::with_capacity(digits.len() / 2));
    for pair in digits.chunks_exact(2) {
        let s = core::str::from_utf8(pair).unwrap_or("00");
        out.push(u8::from_str_radix(s, 16).unwrap_or(0));
    }
    Ok(out)
}

fn code_text(code: &[u8]) -> String {
    String::from_utf8_lossy(code).into_owned()
}

fn algorithm_text(a: KeyAlgorithm) -> &'static str {
    match a {
        KeyAlgorithm::Tdes => "TDES",
        KeyAlgorithm::Aes => "AES",
        KeyAlgorithm::Hmac => "HMAC",
    }
}

fn info_json(i: &KeyInfo) -> Value {
    json!({
        "name": i.name,
        "usage": hsm::usage_code(i.usage),
        "usage_name": hsm::usage_name(i.usage),
        "algorithm": algorithm_text(i.algorithm),
        "bits": i.len_bytes * 8,
        "mode_of_use": code_text(&i.mode_of_use.code()),
        "exportability": code_text(&i.exportability.code()),
        "key_version": code_text(&i.key_version.0),
        "kcv": i.kcv.as_ref().map(|k| k.hex.clone()),
        "kcv_method": i.kcv.as_ref().map(|k| match k.method {
            paysec::kcv::KcvMethod::Legacy => "legacy",
            paysec::kcv::KcvMethod::Cmac => "cmac",
        }),
    })
}

fn info_line(i: &KeyInfo) -> String {
    format!(
        "{}: usage {}{}, {}-{}, mode {}, exportability {}, KCV {}",
        i.name,
        hsm::usage_code(i.usage),
        hsm::usage_name(i.usage)
            .map(|n| format!(" ({n})"))
            .unwrap_or_default(),
        algorithm_text(i.algorithm),
        i.len_bytes * 8,
        code_text(&i.mode_of_use.code()),
        code_text(&i.exportability.code()),
        i.kcv.as_ref().map(|k| k.hex.as_str()).unwrap_or("n/a"),
    )
}

fn list_text(keys: &[KeyInfo]) -> String {
    if keys.is_empty() {
        return "no keys\n".to_string();
    }
    let width = keys.iter().map(|k| k.name.len()).max().unwrap_or(4).max(4);
    let mut out = format!(
        "{:<width$}  USAGE        ALG   BITS  MODE  EXP  KCV\n",
        "NAME"
    );
    for k in keys {
        let usage = format!(
            "{}{}",
            hsm::usage_code(k.usage),
            hsm::usage_name(k.usage)
                .map(|n| format!(" {n}"))
                .unwrap_or_default()
        );
        out.push_str(&format!(
            "{:<width$}  {:<11}  {:<4}  {:>4}  {:<4}  {:<3}  {}\n",
            k.name,
            usage,
            algorithm_text(k.algorithm),
            k.len_bytes * 8,
            code_text(&k.mode_of_use.code()),
            code_text(&k.exportability.code()),
            k.kcv.as_ref().map(|c| c.hex.as_str()).unwrap_or("n/a"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::{Args as _, Command};

    #[test]
    fn command_definitions_are_consistent() {
        let cmd = Command::new("posnet")
            .version("0")
            .propagate_version(true)
            .subcommand(super::Args::augment_args(Command::new("hsm")));
        cmd.debug_assert();
    }
}
