//! `posnet terminal`: one transaction from a POS terminal, with its receipt.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use serde_json::json;
use terminal::result::{Recovery, TransactionResult};
use terminal::{Config, Terminal, net::LinkDriver};

#[derive(clap::Args)]
#[command(after_help = "Examples (with the terminal config `posnet up` writes):
  posnet terminal --config posnet-data/terminal.toml pay 12.50 --card visa
  posnet terminal --config posnet-data/terminal.toml pay 25.00 --chip online-debit --pin 1234
  posnet terminal --config posnet-data/terminal.toml pay 10.00 --chip offline-credit
  posnet terminal --config posnet-data/terminal.toml pay 25.00 --reader \"Virtual PCD 00 00\"   (--features pcsc)
  posnet terminal --config posnet-data/terminal.toml balance --card visa
  posnet terminal --config posnet-data/terminal.toml reverse --last
  posnet terminal --config posnet-data/terminal.toml settle
  posnet terminal --print-config          # a commented example config

Amounts are in the currency's major unit (12.50 is 1250 cents). Exit code: 0 approved,
1 declined, 2 could not run (configuration, network: see the message and `posnet doctor`).")]
pub struct Args {
    /// The terminal's TOML config.
    #[arg(long, value_name = "FILE", required_unless_present = "print_config")]
    config: Option<PathBuf>,
    /// Print a commented example config and exit.
    #[arg(long)]
    print_config: bool,
    /// Print the result as JSON instead of a line and a receipt.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Subcommand)]
enum Action {
    /// Purchase (0200); chip purchases go through the EMV kernel (field 55, 22 = 051).
    Pay {
        amount: String,
        /// A card from the terminal's config (keyed or swiped).
        #[arg(long, required_unless_present_any = ["chip", "reader"], conflicts_with_all = ["chip", "reader"])]
        card: Option<String>,
        /// A virtual chip card in this process, personalised from this `card` profile
        /// (`posnet card profiles`) with the TEST keys.
        #[arg(long, value_name = "PROFILE", conflicts_with = "reader")]
        chip: Option<String>,
        /// A PC/SC card reader, e.g. "Virtual PCD 00 00" for `posnet card insert` (needs a
        /// build with `--features pcsc`).
        #[arg(long, value_name = "NAME")]
        reader: Option<String>,
        /// The cardholder's PIN, as typed on the PIN pad (test cards only: a command line is
        /// visible to other users of the machine; prefer --pin-stdin). The PIN pad enciphers
        /// it under DUKPT at once; it is never printed or logged.
        #[arg(long, value_name = "DIGITS", conflicts_with = "pin_stdin")]
        pin: Option<String>,
        /// Read the PIN from the first line of standard input.
        #[arg(long)]
        pin_stdin: bool,
        /// The card's chip was tried and could not be used: read its stripe as an EMV
        /// fallback (field 22 = 801, always online). A chip card (service code 2xx/6xx)
        /// swiped without it is refused: insert the chip first.
        #[arg(long, requires = "card")]
        fallback: bool,
    },
    /// Refund (0200, processing code 20).
    Refund {
        amount: String,
        #[arg(long)]
        card: String,
    },
    /// Pre-authorization: a hold on the card (0100).
    Preauth {
        amount: String,
        #[arg(long)]
        card: String,
    },
    /// Completion of a pre-authorization (0220), by its RRN or STAN.
    Complete {
        #[arg(long, value_name = "RRN|STAN")]
        auth_ref: String,
        /// Final amount (default: the pre-authorized amount).
        #[arg(long)]
        amount: Option<String>,
    },
    /// Reversal (0400) of the last approved transaction.
    Reverse {
        #[arg(long, required = true)]
        last: bool,
    },
    /// Balance inquiry (0200, processing code 31).
    Balance {
        #[arg(long)]
        card: String,
    },
    /// Settlement: the batch totals (0500).
    Settle,
    /// Echo test (0800, 301).
    Echo,
    /// Sign-on (0800, 001).
    SignOn,
    /// Send what is owed (reversals, advices) and report.
    Recover,
}

/// Minor units from a decimal amount in major units, exactly: "12.5" with 2 decimals is 1250.
pub fn parse_amount(text: &str, exponent: u8) -> Result<u64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let ok_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !ok_digits(whole) || !ok_digits(frac) {
        bail!("amount {text:?}: expected digits with an optional decimal point, e.g. 12.50");
    }
    if frac.len() > usize::from(exponent) {
        bail!("amount {text:?}: this currency has {exponent} decimals");
    }
    let scale = 10u64.pow(u32::from(exponent));
    let whole: u64 = whole
        .parse()
        .map_err(|_| anyhow!("amount {text:?} is too large"))?;
    let frac_value: u64 = if frac.is_empty() { 0 } else { frac.parse()? };
    let frac_minor = frac_value * 10u64.pow(u32::from(exponent) - frac.len() as u32);
    let minor = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_minor))
        .ok_or_else(|| anyhow!("amount {text:?} is too large"))?;
    if minor == 0 {
        bail!("amount {text:?} is zero");
    }
    if minor > 999_999_999_999 {
        bail!("amount {text:?} does not fit field 4 (12 digits)");
    }
    Ok(minor)
}

pub fn load_config(path: &Path) -> Result<Config> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut config = Config::from_toml(&text).with_context(|| format!("in {}", path.display()))?;
    // Relative paths in the config are relative to the config file.
    let base = path.parent().unwrap_or(Path::new("."));
    for p in [
        &mut config.ca_path,
        &mut config.client_cert_path,
        &mut config.client_key_path,
        &mut config.data_dir,
    ] {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    }
    if let Some(p) = &mut config.pinpad
        && p.dir.is_relative()
    {
        p.dir = base.join(&p.dir);
    }
    Ok(config)
}

fn exponent(config: &Config) -> u8 {
    config
        .currency
        .parse()
        .ok()
        .and_then(receipt::money::Currency::from_numeric)
        .map_or(2, |c| c.exponent())
}

/// Chip transactions approve offline up to this amount (minor units) when the card agrees.
pub const CHIP_FLOOR_LIMIT_MINOR: u64 = 2000;

/// The kernel's configuration: the project's AIDs and the test CA key (`card`'s TEST key set).
pub fn chip_kernel_config() -> Result<emv::kernel::TerminalConfig> {
    let capk = card::keys::KeySet::test_keys()
        .context("the card test key set")?
        .capk();
    Ok(terminal::chip::kernel_config(
        vec![emv::kernel::Capk {
            rid: capk.rid,
            index: capk.index,
            modulus: capk.modulus,
            exponent: capk.exponent,
        }],
        CHIP_FLOOR_LIMIT_MINOR,
    ))
}

/// A virtual card from shipped `card` profile `profile` with the TEST keys, in the
/// in-process reader.
pub fn chip_reader(profile: &str) -> Result<terminal::InProcessReader> {
    let profile = card::profile::Profile::shipped(profile)
        .with_context(|| format!("card profile {profile:?} (see `posnet card profiles`)"))?;
    chip_reader_for(profile)
}

/// A virtual card personalised from `profile` with the TEST keys, in the in-process reader.
pub fn chip_reader_for(profile: card::profile::Profile) -> Result<terminal::InProcessReader> {
    let keys = card::keys::KeySet::test_keys().context("the card test key set")?;
    let image = card::perso::personalise(&profile, &keys).context("personalising the card")?;
    Ok(terminal::InProcessReader::new(card::app::Card::fresh(
        image,
    )))
}

/// A chip result as JSON: the card transaction's fields and the chip's.
pub fn chip_json(c: &terminal::ChipResult) -> serde_json::Value {
    let mut doc = result_json(&c.txn);
    doc["arqc_verified"] = json!(c.arqc_verified);
    doc["tvr"] = json!(c.tvr);
    doc["tsi"] = json!(c.tsi);
    doc["chip_result"] = json!(c.chip_result);
    doc["chip_reason"] = json!(c.reason);
    doc["host_code"] = json!(c.host_code.map(|h| h.as_str().to_string()));
    if !c.script_results.is_empty() {
        doc["script_results"] = json!(c.script_results);
    }
    doc
}

pub fn result_json(r: &TransactionResult) -> serde_json::Value {
    json!({
        "type": r.kind.name(),
        "entry_mode": r.entry_mode.name(),
        "approved": r.approved,
        "response_code": r.response_code.as_str(),
        "response_text": r.response_text,
        "amount_minor": r.amount_minor,
        "currency": r.currency,
        "pan": r.masked_pan,
        "auth_code": r.auth_code,
        "rrn": r.rrn,
        "stan": r.stan.to_string(),
        "balance_minor": r.balance.as_ref().map(|b| b.amount_minor),
        "reversal": match r.recovery {
            Recovery::None => serde_json::Value::Null,
            Recovery::ReversalAcknowledged => json!("acknowledged"),
            Recovery::ReversalPending => json!("pending"),
            Recovery::AdviceQueued => json!("advice queued"),
        },
    })
}

fn print_receipt(config: &Config, r: &TransactionResult) -> Result<()> {
    use receipt::sink::Printer;
    let target = match &config.printer {
        terminal::config::PrinterTarget::None => return Ok(()),
        terminal::config::PrinterTarget::Stdout => "stdout".to_string(),
        terminal::config::PrinterTarget::File(p) => format!("file:{}", p.display()),
        terminal::config::PrinterTarget::Tcp(h) => format!("tcp:{h}"),
    };
    let target: receipt::sink::Target = target.parse().map_err(|e| anyhow!("printer: {e}"))?;
    let year = crate::cmd::clock::year_now();
    let rec = terminal::print::receipt_for(r, config, year, receipt::ReceiptCopy::Customer)?;
    receipt::sink::Sink::new(target)
        .print(&rec)
        .map_err(|e| anyhow!("printer: {e}"))?;
    Ok(())
}

/// For a transaction that failed on the network, the doctor's fast layers say which one
/// failed (on stderr, so a receipt on stdout stays clean).
fn network_diagnosis(config: &Config, r: &TransactionResult) -> Option<String> {
    if !matches!(
        r.origin,
        terminal::Origin::Unreachable | terminal::Origin::NoAnswer
    ) {
        return None;
    }
    Some(crate::cmd::doctor::quick_diagnosis(config).unwrap_or_else(|| {
        "network: the checks found no failing layer in time; run `posnet doctor` with this terminal's config for the full report".to_string()
    }))
}

/// The exit code and lines for a chip transaction.
fn chip_report(config: &Config, c: &terminal::ChipResult, as_json: bool) -> Result<ExitCode> {
    if as_json {
        println!("{}", chip_json(c));
        return Ok(if c.txn.approved {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    println!(
        "chip: {}{}  tvr {}  tsi {}  arqc verified {}",
        c.chip_result,
        c.reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default(),
        c.tvr,
        c.tsi,
        c.arqc_verified
    );
    if c.txn.recovery == Recovery::AdviceQueued {
        println!("Approved offline by the card: the advice (0220) is queued for the host.");
    }
    report(config, &c.txn, false)
}

/// The exit code and one line for a card transaction.
fn report(config: &Config, r: &TransactionResult, as_json: bool) -> Result<ExitCode> {
    let diagnosis = network_diagnosis(config, r);
    if let Some(line) = &diagnosis {
        eprintln!("{line}");
    }
    if as_json {
        let mut doc = result_json(r);
        if let Some(line) = diagnosis {
            doc["network_diagnosis"] = json!(line);
        }
        println!("{doc}");
    } else {
        let verdict = if r.approved { "APPROVED" } else { "DECLINED" };
        println!(
            "{verdict} {} {}  amount {} {}  pan {}  auth {}  rrn {}  stan {}",
            r.response_code.as_str(),
            r.response_text,
            r.amount_minor,
            r.currency,
            r.masked_pan,
            r.auth_code.as_deref().unwrap_or("-"),
            r.rrn,
            r.stan
        );
        if r.recovery == Recovery::ReversalPending {
            println!(
                "No answer in time: a reversal is stored and will be sent until the host acknowledges it."
            );
        }
        print_receipt(config, r)?;
    }
    Ok(if r.approved {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.print_config {
        print!("{}", Config::example());
        return Ok(ExitCode::SUCCESS);
    }
    let path = a
        .config
        .as_ref()
        .ok_or_else(|| anyhow!("--config is required"))?;
    let config = load_config(path)?;
    let action = a.action.ok_or_else(|| anyhow!("say what to do: pay, refund, preauth, complete, reverse, balance, settle, echo, sign-on or recover (see --help)"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(execute(&config, action, a.json))
}

async fn execute(config: &Config, action: Action, as_json: bool) -> Result<ExitCode> {
    let mut t: Terminal<LinkDriver> =
        terminal::net::open(config).context("opening the terminal")?;
    let card = |name: &str| {
        config
            .card(name)
            .cloned()
            .ok_or_else(|| anyhow!("no card named {name:?} in the config"))
    };
    let exp = exponent(config);
    let outcome = match action {
        Action::Pay {
            amount,
            card: c,
            chip,
            reader,
            pin,
            pin_stdin,
            fallback,
        } => {
            let pin = if pin_stdin {
                let mut line = zeroize::Zeroizing::new(String::new());
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the PIN from standard input")?;
                Some(zeroize::Zeroizing::new(line.trim().to_string()))
            } else {
                pin.map(zeroize::Zeroizing::new)
            };
            let amount_minor = parse_amount(&amount, exp)?;
            let mut chip_card: Option<Box<dyn terminal::CardReader>> = match (&chip, &reader) {
                (Some(profile), _) => Some(Box::new(chip_reader(profile)?)),
                (None, Some(name)) => {
                    Some(terminal::reader::open_pcsc(name).map_err(|e| anyhow!("{e}"))?)
                }
                (None, None) => None,
            };
            if let Some(r) = chip_card.as_deref_mut() {
                let cardholder = terminal::Cardholder {
                    pins: pin.into_iter().collect(),
                };
                let c = t
                    .pay_chip(r, chip_kernel_config()?, amount_minor, cardholder)
                    .await
                    .map_err(network_hint)?;
                return chip_report(config, &c, as_json);
            }
            let mut c = card(c.as_deref().unwrap_or_default())?;
            if fallback {
                c = c.as_fallback().map_err(|e| anyhow!("--fallback: {e}"))?;
            }
            match &pin {
                Some(p) => t.pay_with_pin(&c, amount_minor, p).await,
                None => t.pay(&c, amount_minor).await,
            }
        }
        Action::Refund { amount, card: c } => {
            t.refund(&card(&c)?, parse_amount(&amount, exp)?).await
        }
        Action::Preauth { amount, card: c } => {
            t.preauth(&card(&c)?, parse_amount(&amount, exp)?).await
        }
        Action::Balance { card: c } => t.balance(&card(&c)?).await,
        Action::Complete { auth_ref, amount } => {
            let final_minor = match amount {
                Some(a) => parse_amount(&a, exp)?,
                None => t
                    .journal()
                    .state()
                    .open_preauth(&auth_ref)
                    .map(|e| e.request.amount_minor)
                    .ok_or_else(|| {
                        anyhow!("no open pre-authorization with RRN or STAN {auth_ref:?}")
                    })?,
            };
            t.complete(&auth_ref, final_minor).await
        }
        Action::Reverse { .. } => {
            let r = t.reverse_last().await.map_err(network_hint)?;
            let acked = r.recovery == Recovery::ReversalAcknowledged;
            if as_json {
                println!(
                    "{}",
                    json!({"type": "reversal", "original_stan": r.original_stan.to_string(), "reversal_stan": r.reversal_stan.to_string(), "response_code": r.response_code.map(|c| c.as_str().to_string()), "acknowledged": acked})
                );
            } else if acked {
                println!(
                    "REVERSED stan {} (reversal stan {}), amount {} {}",
                    r.original_stan, r.reversal_stan, r.amount_minor, r.currency
                );
            } else {
                println!(
                    "Reversal of stan {} stored; it will be sent until the host acknowledges it.",
                    r.original_stan
                );
            }
            return Ok(if acked {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        Action::Settle => {
            let s = t.settle().await.map_err(network_hint)?;
            let line = json!({"type": "settlement", "batch": s.batch, "response_code": s.response_code.as_str(), "settled": s.settled,
                "debits_count": s.totals.debits_count, "debits_minor": s.totals.debits_amount_minor,
                "credits_count": s.totals.credits_count, "credits_minor": s.totals.credits_amount_minor});
            if as_json {
                println!("{line}");
            } else {
                println!(
                    "SETTLEMENT batch {} {} {}: {} debits ({}), {} credits ({})",
                    s.batch,
                    s.response_code.as_str(),
                    s.response_code.text(),
                    s.totals.debits_count,
                    s.totals.debits_amount_minor,
                    s.totals.credits_count,
                    s.totals.credits_amount_minor
                );
            }
            return Ok(if s.settled {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        Action::Echo | Action::SignOn => {
            let is_echo = matches!(action, Action::Echo);
            let n = if is_echo {
                t.echo().await
            } else {
                t.sign_on().await
            }
            .map_err(network_hint)?;
            let what = if is_echo { "echo" } else { "sign-on" };
            if as_json {
                println!(
                    "{}",
                    json!({"type": what, "response_code": n.response_code.as_str(), "stan": n.stan.to_string()})
                );
            } else {
                println!(
                    "{what}: {} {}",
                    n.response_code.as_str(),
                    n.response_code.text()
                );
            }
            return Ok(if n.response_code.is_approved() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        Action::Recover => {
            let r = t.recover().await.map_err(network_hint)?;
            println!(
                "reversals acknowledged {}, pending {}; advices answered {}, pending {}",
                r.reversals_acknowledged,
                r.reversals_pending,
                r.advices_answered,
                r.advices_pending
            );
            return Ok(if r.reversals_pending + r.advices_pending == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
    };
    let result = outcome.map_err(network_hint)?;
    report(config, &result, as_json)
}

/// Network failures say which layer failed and where to look.
fn network_hint(e: terminal::FlowError) -> anyhow::Error {
    match e {
        terminal::FlowError::Send { .. } => {
            anyhow!(
                "{e}. The gateway could not be reached or did not answer: run `posnet doctor` with this terminal's config to find out why"
            )
        }
        other => anyhow!(other),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_amount;

    #[test]
    fn amounts_are_exact() {
        assert_eq!(parse_amount("12.50", 2).unwrap(), 1250);
        assert_eq!(parse_amount("12.5", 2).unwrap(), 1250);
        assert_eq!(parse_amount("7", 2).unwrap(), 700);
        assert_eq!(parse_amount("1500", 0).unwrap(), 1500);
        assert_eq!(parse_amount("1.234", 3).unwrap(), 1234);
        assert!(parse_amount("1.234", 2).is_err());
        assert!(parse_amount("0.00", 2).is_err());
        assert!(parse_amount("-1", 2).is_err());
        assert!(parse_amount("1e3", 2).is_err());
        assert!(parse_amount("10000000000.00", 2).is_err());
    }
}
