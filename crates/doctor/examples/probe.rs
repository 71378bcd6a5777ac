//! The doctor's probes from the command line, for the network lab until `posnet doctor`
//! wires them: measures every layer, prints the verdict, exits 0 only for `ok`.
//!
//! probe --host H --port N [--secondary H:P] [--dns IP]... [--ca F [--cert F --key F]]
//!       [--interface IF] [--count N] [--timeout-ms MS] [--json] [--lang en|zh]
//!
//! Exit codes: 0 ok, 1 another verdict, 2 bad usage, 3 refused by the namespace guard,
//! 4 bad TLS settings.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;

use doctor::probe::guard::namespace_permit;
use doctor::probe::{Options, ProbeError, run};
use doctor::{Lang, Report, Thresholds};

struct Cli {
    opts: Options,
    json: bool,
    lang: Lang,
}

fn parse(args: &[String]) -> Result<Cli, String> {
    let mut opts = Options::new("", 0);
    let mut json = false;
    let mut lang = Lang::En;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--host" => opts.host = val("--host")?,
            "--port" => opts.port = val("--port")?.parse().map_err(|e| format!("--port: {e}"))?,
            "--secondary" => {
                let v = val("--secondary")?;
                let (h, p) = v.rsplit_once(':').ok_or("--secondary wants HOST:PORT")?;
                let p = p.parse().map_err(|e| format!("--secondary port: {e}"))?;
                opts.secondary = Some((h.to_string(), p));
            }
            "--dns" => opts.dns.push(
                val("--dns")?
                    .parse::<Ipv4Addr>()
                    .map_err(|e| format!("--dns: {e}"))?,
            ),
            "--ca" => opts.ca = Some(PathBuf::from(val("--ca")?)),
            "--cert" => opts.cert = Some(PathBuf::from(val("--cert")?)),
            "--key" => opts.key = Some(PathBuf::from(val("--key")?)),
            "--interface" => opts.interface = Some(val("--interface")?),
            "--count" => {
                opts.count = val("--count")?
                    .parse()
                    .map_err(|e| format!("--count: {e}"))?
            }
            "--timeout-ms" => {
                opts.timeout_ms = val("--timeout-ms")?
                    .parse()
                    .map_err(|e| format!("--timeout-ms: {e}"))?
            }
            "--json" => json = true,
            "--lang" => lang = val("--lang")?.parse()?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if opts.host.is_empty() || opts.port == 0 {
        return Err("--host and --port are required".into());
    }
    Ok(Cli { opts, json, lang })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cli = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("probe: {e}");
            return ExitCode::from(2);
        }
    };
    let permit = match namespace_permit() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("probe: {e}");
            return ExitCode::from(3);
        }
    };
    let facts = match run(&cli.opts, &permit, None) {
        Ok(f) => f,
        Err(ProbeError::Guard(e)) => {
            eprintln!("probe: {e}");
            return ExitCode::from(3);
        }
        Err(e) => {
            eprintln!("probe: {e}");
            return ExitCode::from(4);
        }
    };
    let report = Report::new(facts, &Thresholds::default(), cli.lang);
    if cli.json {
        match report.to_json() {
            Ok(j) => println!("{j}"),
            Err(e) => {
                eprintln!("probe: JSON: {e}");
                return ExitCode::from(4);
            }
        }
    } else {
        print!("{}", report.to_text(cli.lang));
    }
    if report.exit_code() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
