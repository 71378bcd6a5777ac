//! `posnet card`: the virtual EMV chip cards — list the shipped profiles, show one (masked
//! PAN, AID, AIP, the CAPK a terminal needs), and insert one into pcscd's virtual reader
//! (vsmartcard's vpcd) until Ctrl-C, when it counts as removed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use card::app::Card;
use card::keys::KeySet;
use card::perso::{CardImage, personalise};
use card::profile::Profile;
use card::state::CardState;
use card::vpcd::{VpcdEvent, VpcdOptions, serve};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  posnet card profiles
  posnet card show --profile offline-pin --json
  posnet card insert --profile online-debit --state alice-card.toml
  posnet card insert --profile offline-pin --vpcd 127.0.0.1:35964   # reader \"Virtual PCD 00 01\"

`insert` needs pcscd running with the vpcd driver (Debian: pcscd vsmartcard-vpcd); the card
then shows up in reader \"Virtual PCD 00 00\" for any PC/SC program. The keys default to the
shipped TEST key set (test IMKs and a test CA under RID F000000001, index F1).")]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// List the shipped card profiles.
    Profiles,
    /// Show a card: profile, masked PAN, AID, AIP, AFL and the CAPK for terminals.
    Show {
        /// Shipped profile name, or a profile TOML file.
        #[arg(long, value_name = "NAME|FILE")]
        profile: String,
        /// Key set TOML (IMKs, CA, issuer, ICC keys); the shipped test keys by default.
        #[arg(long, value_name = "FILE")]
        keys: Option<PathBuf>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Insert the card into pcscd's virtual reader until Ctrl-C (= card removed).
    Insert {
        /// Shipped profile name, or a profile TOML file.
        #[arg(long, value_name = "NAME|FILE")]
        profile: String,
        /// vpcd's address (host:port); 35963 is "Virtual PCD 00 00", 35964 "… 00 01".
        #[arg(long, value_name = "HOST:PORT", default_value = card::vpcd::DEFAULT_ADDR)]
        vpcd: String,
        /// Card state file (ATC, PIN try counter, blocked flag…): loaded if present, saved on
        /// every change.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Key set TOML; the shipped test keys by default.
        #[arg(long, value_name = "FILE")]
        keys: Option<PathBuf>,
        /// Give up after this many failed connections (default: keep trying until Ctrl-C).
        #[arg(long, value_name = "N")]
        max_attempts: Option<u32>,
        /// Print every APDU's INS and status word.
        #[arg(long)]
        verbose: bool,
    },
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Sub::Profiles => profiles(),
        Sub::Show {
            profile,
            keys,
            json,
        } => show(&profile, keys.as_deref(), json),
        Sub::Insert {
            profile,
            vpcd,
            state,
            keys,
            max_attempts,
            verbose,
        } => insert(
            &profile,
            &vpcd,
            state.as_deref(),
            keys.as_deref(),
            max_attempts,
            verbose,
        ),
    }
}

fn profiles() -> Result<ExitCode> {
    println!(
        "{:<16} {:<18} {:<16} {:<4} DESCRIPTION",
        "PROFILE", "PAN", "AID", "T"
    );
    for p in Profile::all_shipped()? {
        let t = match p.transport {
            card::profile::Transport::T0 => "T=0",
            card::profile::Transport::T1 => "T=1",
        };
        println!(
            "{:<16} {:<18} {:<16} {:<4} {}",
            p.name,
            card::masked_pan(&p.pan),
            p.aid,
            t,
            p.description
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn load_profile(name_or_file: &str) -> Result<Profile> {
    if Path::new(name_or_file).is_file() {
        let text = std::fs::read_to_string(name_or_file)
            .with_context(|| format!("reading profile {name_or_file}"))?;
        return Ok(Profile::from_toml(name_or_file, &text)?);
    }
    Profile::shipped(name_or_file).map_err(|e| {
        let names: Vec<&str> = card::profile::SHIPPED.iter().map(|(n, _)| *n).collect();
        anyhow::anyhow!("{e} (shipped: {})", names.join(", "))
    })
}

fn load_keys(file: Option<&Path>) -> Result<KeySet> {
    match file {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("reading key file {}", f.display()))?;
            Ok(KeySet::from_toml(&text).with_context(|| format!("key file {}", f.display()))?)
        }
        None => Ok(KeySet::test_keys()?),
    }
}

fn image(profile: &str, keys: Option<&Path>) -> Result<CardImage> {
    let p = load_profile(profile)?;
    let k = load_keys(keys)?;
    personalise(&p, &k).with_context(|| format!("personalising {}", p.name))
}

fn hex(b: &[u8]) -> String {
    paysec::hex::encode_upper(b)
}

fn show(profile: &str, keys: Option<&Path>, json: bool) -> Result<ExitCode> {
    let img = image(profile, keys)?;
    let p = &img.profile;
    let capk = &img.capk;
    if json {
        let v = serde_json::json!({
            "profile": p.name,
            "description": p.description,
            "pan": card::masked_pan(&p.pan),
            "psn": p.psn,
            "expiry": p.expiry,
            "aid": hex(&img.aid),
            "label": p.label,
            "transport": format!("{:?}", p.transport),
            "oda": format!("{:?}", p.oda),
            "aip": hex(&img.aip),
            "afl": hex(&img.afl),
            "offline_pin": p.pin.is_some(),
            "capk": {
                "rid": hex(&capk.rid),
                "index": hex(&[capk.index]),
                "modulus": hex(&capk.modulus),
                "exponent": hex(&capk.exponent),
                "checksum": hex(&capk.checksum),
            },
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("profile      {} — {}", p.name, p.description);
        println!(
            "PAN          {} (PSN {:02})",
            card::masked_pan(&p.pan),
            p.psn
        );
        println!("expiry       {} (YYMMDD)", p.expiry);
        println!("AID          {} \"{}\"", hex(&img.aid), p.label);
        println!(
            "transport    {:?}   ODA {:?}   offline PIN {}",
            p.transport,
            p.oda,
            p.pin.is_some()
        );
        println!("AIP          {}   AFL {}", hex(&img.aip), hex(&img.afl));
        println!(
            "CAPK         RID {} index {} exponent {} checksum {}",
            hex(&capk.rid),
            hex(&[capk.index]),
            hex(&capk.exponent),
            hex(&capk.checksum)
        );
        println!("CAPK modulus {}", hex(&capk.modulus));
    }
    Ok(ExitCode::SUCCESS)
}

fn load_state(file: Option<&Path>, profile: &Profile) -> Result<CardState> {
    match file {
        Some(f) if f.exists() => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("reading card state {}", f.display()))?;
            Ok(CardState::from_toml(&text)
                .with_context(|| format!("card state {}", f.display()))?)
        }
        _ => Ok(CardState::new(profile)),
    }
}

/// Writes the state through a temporary file and a rename, so a crash never leaves half.
fn save_state(file: &Path, state: &CardState) -> Result<()> {
    let text = state.to_toml()?;
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, file).with_context(|| format!("renaming to {}", file.display()))?;
    Ok(())
}

/// Sets `stop` on SIGINT or SIGTERM.
fn stop_on_signal(stop: Arc<AtomicBool>) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        rt.block_on(async {
            use tokio::signal::unix::{SignalKind, signal};
            let term = signal(SignalKind::terminate());
            let int = signal(SignalKind::interrupt());
            if let (Ok(mut term), Ok(mut int)) = (term, int) {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            } else {
                let _ = tokio::signal::ctrl_c().await;
            }
        });
        stop.store(true, Ordering::Relaxed);
    });
    Ok(())
}

fn insert(
    profile: &str,
    vpcd: &str,
    state_file: Option<&Path>,
    keys: Option<&Path>,
    max_attempts: Option<u32>,
    verbose: bool,
) -> Result<ExitCode> {
    let img = image(profile, keys)?;
    let state = load_state(state_file, &img.profile)?;
    let name = img.profile.name.clone();
    let pan = card::masked_pan(&img.profile.pan);
    let mut card = Card::new(img, state, Box::new(card::app::os_random));
    let stop = Arc::new(AtomicBool::new(false));
    stop_on_signal(Arc::clone(&stop))?;
    let opts = VpcdOptions {
        addr: vpcd.to_string(),
        max_attempts,
        ..VpcdOptions::default()
    };
    eprintln!("posnet card: {name} ({pan}) waiting for vpcd at {vpcd}; Ctrl-C removes it");
    let mut save_error = None;
    let result = serve(
        &mut card,
        &opts,
        &stop,
        |e| match e {
            VpcdEvent::Connected => eprintln!("posnet card: inserted (connected to vpcd)"),
            VpcdEvent::Disconnected(why) => eprintln!("posnet card: link lost: {why}"),
            VpcdEvent::Apdu { ins, sw } if verbose => {
                eprintln!("posnet card: INS {ins:02X} → {sw:04X}")
            }
            _ => {}
        },
        |s| {
            if let Some(f) = state_file
                && let Err(e) = save_state(f, s)
            {
                save_error = Some(e);
            }
        },
    );
    if let Some(f) = state_file {
        save_state(f, card.state())?;
    }
    if let Some(e) = save_error {
        return Err(e.context("saving the card state"));
    }
    match result {
        Ok(()) => {
            eprintln!("posnet card: removed (ATC {})", card.state().atc);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => bail!("{e}"),
    }
}
