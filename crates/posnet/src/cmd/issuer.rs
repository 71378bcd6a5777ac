//! `posnet issuer`: the authorization host, and its ledger audit.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::Subcommand;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  posnet issuer --config posnet-data/issuer.toml          # serve until Ctrl-C
  posnet issuer audit --config posnet-data/issuer.toml    # check the ledger, exit 1 on a fault
  posnet issuer --print-config > issuer.toml              # a commented example")]
pub struct Args {
    /// The issuer's TOML config (paths in it are relative to the file).
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Listen here instead of the config's address (host:port; port 0 picks one).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Print a commented example config and exit.
    #[arg(long)]
    print_config: bool,
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Subcommand)]
enum Action {
    /// Check that debits equal credits, balances equal their transfers, and every hold and
    /// movement of money matches an approval. Exit 1 on any violation.
    Audit {
        #[arg(long)]
        json: bool,
    },
}

pub fn load_config(path: &Path) -> Result<issuer::Config> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut config =
        issuer::Config::parse(&text).with_context(|| format!("in {}", path.display()))?;
    config.resolve_paths(path.parent().unwrap_or(Path::new(".")));
    Ok(config)
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.print_config {
        print!("{}", issuer::Config::example());
        return Ok(ExitCode::SUCCESS);
    }
    let path = a
        .config
        .as_ref()
        .ok_or_else(|| anyhow!("--config is required"))?;
    let config = load_config(path)?;
    if let Some(Action::Audit { json }) = a.action {
        return audit(&config, json);
    }
    crate::cmd::logging::init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let stop = crate::cmd::logging::StopSignals::install()?;
        let (trigger, shutdown) = link::shutdown_pair();
        let running = issuer::server::start(&config, a.listen.as_deref(), shutdown).await?;
        eprintln!(
            "posnet issuer: listening on {} (mutual TLS); Ctrl-C to stop",
            running.local_addr
        );
        stop.wait().await;
        trigger.trigger();
        let _ = running.task.await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs the issuer's audit on its ledger (the issuer must not be running: the database is
/// opened exclusively).
pub fn audit(config: &issuer::Config, as_json: bool) -> Result<ExitCode> {
    let issuer = issuer::Issuer::new(config);
    let ledger = issuer::server::open_ledger(&issuer, &config.data_dir)?;
    let report = issuer.audit(&ledger).context("auditing the ledger")?;
    let summary = audit_json(&report);
    if as_json {
        println!("{summary}");
    } else {
        println!(
            "ledger audit: {}  accounts {}  transfers {}  holds {} ({} pending)  violations {}",
            if report.is_clean() {
                "balanced"
            } else {
                "VIOLATIONS"
            },
            report.ledger.accounts,
            report.ledger.transfers,
            report.ledger.holds,
            report.ledger.holds_pending,
            report.ledger.violations.len() + report.violations.len()
        );
        for v in &report.ledger.violations {
            println!("  ledger: {v:?}");
        }
        for v in &report.violations {
            println!("  issuer: {v:?}");
        }
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The audit as JSON: `balanced` is true when every ledger's debits equal its credits (pending
/// and posted) and no invariant is broken.
pub fn audit_json(report: &issuer::IssuerAudit) -> serde_json::Value {
    let ledgers: Vec<serde_json::Value> = report
        .ledger
        .ledgers
        .iter()
        .map(|l| {
            serde_json::json!({
                "ledger": l.ledger,
                "accounts": l.accounts,
                "debits_posted": l.debits_posted.to_string(),
                "credits_posted": l.credits_posted.to_string(),
                "debits_pending": l.debits_pending.to_string(),
                "credits_pending": l.credits_pending.to_string(),
            })
        })
        .collect();
    let sums_equal = report
        .ledger
        .ledgers
        .iter()
        .all(|l| l.debits_posted == l.credits_posted && l.debits_pending == l.credits_pending);
    serde_json::json!({
        "balanced": sums_equal && report.is_clean(),
        "accounts": report.ledger.accounts,
        "transfers": report.ledger.transfers,
        "holds": report.ledger.holds,
        "holds_pending": report.ledger.holds_pending,
        "transfers_checked": report.transfers_checked,
        "violations": report.ledger.violations.iter().map(|v| format!("{v:?}"))
            .chain(report.violations.iter().map(|v| format!("{v:?}"))).collect::<Vec<_>>(),
        "ledgers": ledgers,
    })
}
