//! `posnet gateway`: the payment gateway between terminals and issuers.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  posnet gateway --config posnet-data/gateway.toml      # serve until Ctrl-C
  posnet gateway --print-config > gateway.toml          # a commented example")]
pub struct Args {
    /// The gateway's TOML config (paths in it are relative to the file).
    #[arg(long, value_name = "FILE", required_unless_present = "print_config")]
    config: Option<PathBuf>,
    /// Print a commented example config and exit.
    #[arg(long)]
    print_config: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.print_config {
        print!("{}", gateway::Config::example());
        return Ok(ExitCode::SUCCESS);
    }
    let path = a
        .config
        .as_ref()
        .ok_or_else(|| anyhow!("--config is required"))?;
    let config = crate::cmd::network::load_gateway_config(path)?;
    crate::cmd::logging::init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let stop = crate::cmd::logging::StopSignals::install()?;
        let (trigger, shutdown) = link::shutdown_pair();
        let started = gateway::server::start(&config, shutdown).await?;
        eprintln!(
            "posnet gateway: listening on {} (mutual TLS); Ctrl-C to stop",
            started.local_addr
        );
        stop.wait().await;
        trigger.trigger();
        let _ = started.done.await;
        Ok(ExitCode::SUCCESS)
    })
}
