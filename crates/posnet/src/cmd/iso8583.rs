//! `posnet iso8583`: the message inspector.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use iso8583::document::{self, Reveal};
use iso8583::frame::{Frame, Framing, LengthHeader, Tpdu};
use iso8583::{Spec, specs};
use serde_json::{Value, json};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  posnet iso8583 specs
  posnet iso8583 decode --hex 0800822000000000000004000000000000001124153045000001301
  echo '{\"mti\":\"0800\",\"fields\":{\"7\":\"1124153045\",\"11\":\"000001\",\"70\":\"301\"}}' | posnet iso8583 encode
  posnet iso8583 encode < msg.json | posnet iso8583 decode --format table")]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the built-in dialects (the first is the default).
    Specs {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also list every field of this spec.
        #[arg(long, value_name = "NAME")]
        fields: Option<String>,
    },
    /// Decode one message to JSON (or a table). Input: --hex, --file, or hex text on stdin.
    Decode(DecodeArgs),
    /// Encode the JSON form of a message (read on stdin) and print it as hex.
    Encode(EncodeArgs),
}

#[derive(clap::Args)]
struct SpecArgs {
    /// Built-in dialect name (see `posnet iso8583 specs`).
    #[arg(long, default_value = specs::DEFAULT, value_name = "NAME")]
    spec: String,
    /// A dialect file (TOML or JSON) instead of a built-in; it may start from a built-in with `base`.
    #[arg(long, value_name = "FILE", conflicts_with = "spec")]
    spec_file: Option<PathBuf>,
    /// The input carries a length header (and TPDU, with --tpdu) before the message.
    #[arg(long)]
    framed: bool,
    /// Length header of a framed message.
    #[arg(long, value_enum, default_value_t = Header::Binary2, requires = "framed")]
    header: Header,
}

#[derive(Clone, Copy, ValueEnum)]
enum Header {
    /// 2-byte big-endian binary length.
    Binary2,
    /// 2-byte packed BCD length.
    Bcd2,
    /// 4 ASCII digits.
    Ascii4,
}

impl From<Header> for LengthHeader {
    fn from(h: Header) -> LengthHeader {
        match h {
            Header::Binary2 => LengthHeader::Binary2,
            Header::Bcd2 => LengthHeader::Bcd2,
            Header::Ascii4 => LengthHeader::Ascii4,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Json,
    Table,
}

#[derive(clap::Args)]
struct DecodeArgs {
    #[command(flatten)]
    spec: SpecArgs,
    /// The message as hex text.
    #[arg(long, value_name = "HEX", conflicts_with = "file")]
    hex: Option<String>,
    /// A file holding the message: raw bytes, or hex text when the file is nothing but hex
    /// digits and white space (--raw forces bytes).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Treat --file or stdin as raw bytes rather than hex text (stdin default: hex text).
    #[arg(long)]
    raw: bool,
    /// A framed message carries a 5-byte TPDU after its length header.
    #[arg(long, requires = "framed")]
    tpdu: bool,
    /// Show PANs, PIN blocks and MACs in the clear. Only for test data.
    #[arg(long)]
    reveal: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
}

#[derive(clap::Args)]
struct EncodeArgs {
    #[command(flatten)]
    spec: SpecArgs,
    /// With --framed, put this 5-byte TPDU (10 hex digits, e.g. 6000010000) before the message.
    #[arg(long, value_name = "HEX", requires = "framed")]
    tpdu: Option<String>,
    /// Write the raw bytes instead of hex (refused when stdout is a terminal).
    #[arg(long)]
    raw: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Cmd::Specs { json, fields } => specs_cmd(json, fields),
        Cmd::Decode(a) => decode_cmd(a),
        Cmd::Encode(a) => encode_cmd(a),
    }
}

fn load_spec(a: &SpecArgs) -> Result<Spec> {
    if let Some(path) = &a.spec_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let is_json =
            path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
        let spec = if is_json {
            Spec::from_json_str(&text)
        } else {
            Spec::from_toml_str(&text)
        };
        return spec.with_context(|| format!("in {}", path.display()));
    }
    Ok(specs::builtin(&a.spec)?)
}

fn framing(a: &SpecArgs, tpdu: bool) -> Framing {
    Framing {
        header: a.header.into(),
        tpdu,
        frame_max: LengthHeader::from(a.header).capacity(),
    }
}

fn specs_cmd(json: bool, fields: Option<String>) -> Result<ExitCode> {
    if let Some(name) = fields {
        let spec = specs::builtin(&name)?;
        if json {
            let list: Vec<Value> = spec
                .fields()
                .map(|f| json!({"field": f.number, "name": f.name, "format": f.format_description()}))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"spec": name, "fields": list}))?
            );
        } else {
            println!("{name}: {}", spec.description);
            for f in spec.fields() {
                println!("{:>4}  {:<52} {}", f.number, f.name, f.format_description());
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if json {
        let list: Vec<Value> = specs::BUILTIN
            .iter()
            .map(|(n, d)| json!({"name": n, "description": d, "default": *n == specs::DEFAULT}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        for (n, d) in specs::BUILTIN {
            let mark = if *n == specs::DEFAULT {
                " (default)"
            } else {
                ""
            };
            println!("{n:<22}{d}{mark}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_input(a: &DecodeArgs) -> Result<Vec<u8>> {
    if let Some(h) = &a.hex {
        return iso8583::hex::decode(h).context("--hex");
    }
    let (bytes, what) = match &a.file {
        Some(p) => (
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
            p.display().to_string(),
        ),
        None => {
            if std::io::stdin().is_terminal() {
                bail!("no message given: use --hex HEX, --file FILE, or pipe hex text on stdin");
            }
            let mut b = Vec::new();
            std::io::stdin()
                .read_to_end(&mut b)
                .context("reading stdin")?;
            (b, "stdin".to_string())
        }
    };
    // A file is hex text when it is nothing but hex digits and white space, raw bytes otherwise;
    // stdin is hex text unless --raw.
    if a.raw || (a.file.is_some() && !looks_like_hex(&bytes)) {
        return Ok(bytes);
    }
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{what} is not hex text (use --raw for bytes)"))?;
    iso8583::hex::decode(&text)
        .with_context(|| format!("{what} is not hex text (use --raw for bytes)"))
}

fn looks_like_hex(b: &[u8]) -> bool {
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_hexdigit() || c.is_ascii_whitespace())
}

fn decode_cmd(a: DecodeArgs) -> Result<ExitCode> {
    let spec = load_spec(&a.spec)?;
    let input = read_input(&a)?;
    let reveal = if a.reveal {
        Reveal::All
    } else {
        Reveal::Masked
    };
    if a.reveal {
        eprintln!(
            "posnet: --reveal shows card numbers, PIN blocks and MACs in the clear; use it only on test data"
        );
    }
    let (tpdu, payload) = if a.spec.framed {
        let f = framing(&a.spec, a.tpdu);
        match f.decode(&input) {
            Err(e) => return fail(&format!("frame: {e}")),
            Ok(None) => return fail(&format!("frame: incomplete ({} bytes given)", input.len())),
            Ok(Some((Frame::KeepAlive, _))) => {
                println!("{}", json!({"keepalive": true}));
                return Ok(ExitCode::SUCCESS);
            }
            Ok(Some((Frame::Message { tpdu, payload }, used))) => {
                if used != input.len() {
                    return fail(&format!(
                        "frame: {} bytes after the first frame",
                        input.len() - used
                    ));
                }
                (tpdu, payload)
            }
        }
    } else {
        (None, input.as_slice())
    };
    let msg = match spec.unpack(payload) {
        Ok(m) => m,
        Err(e) => return fail(&e.to_string()),
    };
    let mut doc = document::to_json(&spec, &msg, reveal);
    if let Some(obj) = doc.as_object_mut() {
        if let Some(t) = tpdu {
            obj.insert(
                "tpdu".into(),
                Value::String(iso8583::hex::encode_upper(&t.to_bytes())),
            );
        }
        let tlv = document::tlv_json(&spec, &msg, reveal);
        if !tlv.is_empty() {
            obj.insert("tlv".into(), Value::Object(tlv));
        }
    }
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&doc)?),
        Format::Table => print_table(&spec, &msg, &doc, reveal),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(spec: &Spec, msg: &iso8583::Message<'_>, doc: &Value, reveal: Reveal) {
    println!("spec  {}", spec.name);
    if let Some(t) = doc.get("tpdu").and_then(Value::as_str) {
        println!("TPDU  {t}");
    }
    println!("MTI   {}", msg.mti());
    for (n, v) in msg.fields() {
        let (name, format) = spec
            .field(n)
            .map(|f| (f.name.as_str(), f.format_description()))
            .unwrap_or(("(not in spec)", String::new()));
        let shown = document::value_text(spec, n, v, reveal);
        println!("{n:>4}  {name:<46} {shown}");
        if !format.is_empty() {
            println!("      {:<46} {format}", "");
        }
        if let Some(list) = doc
            .get("tlv")
            .and_then(|t| t.get(n.to_string()))
            .and_then(Value::as_array)
        {
            for item in list {
                let tag = item.get("tag").and_then(Value::as_str).unwrap_or("");
                let name = item.get("name").and_then(Value::as_str).unwrap_or("");
                let value = item.get("value").and_then(Value::as_str).unwrap_or("");
                println!("        {tag:<6} {name:<40} {value}");
            }
            if let Some(err) = doc
                .get("tlv")
                .and_then(|t| t.get(format!("{n}_error")))
                .and_then(Value::as_str)
            {
                println!("        TLV error: {err}");
            }
        }
    }
}

fn fail(why: &str) -> Result<ExitCode> {
    eprintln!("posnet: cannot decode: {why}");
    Ok(ExitCode::from(1))
}

fn encode_cmd(a: EncodeArgs) -> Result<ExitCode> {
    let spec = load_spec(&a.spec)?;
    if std::io::stdin().is_terminal() {
        bail!(
            "pipe the message's JSON on stdin, e.g. {{\"mti\": \"0800\", \"fields\": {{\"70\": \"301\"}}}}"
        );
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading stdin")?;
    let doc: Value = serde_json::from_str(&text).context("stdin is not JSON")?;
    let msg = match document::from_json(&spec, &doc) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("posnet: cannot encode: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let packed = match spec.pack(&msg) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("posnet: cannot encode: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let out = if a.spec.framed {
        let tpdu = match &a.tpdu {
            Some(h) => {
                let b = iso8583::hex::decode(h).context("--tpdu")?;
                let arr: [u8; 5] = b
                    .try_into()
                    .map_err(|_| anyhow::anyhow!("--tpdu must be 5 bytes (10 hex digits)"))?;
                Some(Tpdu::from_bytes(arr))
            }
            None => None,
        };
        let mut out = Vec::new();
        framing(&a.spec, tpdu.is_some()).encode(tpdu, &packed, &mut out)?;
        out
    } else {
        packed
    };
    if a.raw {
        if std::io::stdout().is_terminal() {
            bail!("--raw writes binary; redirect it to a file or a pipe");
        }
        std::io::stdout().write_all(&out)?;
    } else {
        println!("{}", iso8583::hex::encode_upper(&out));
    }
    Ok(ExitCode::SUCCESS)
}
