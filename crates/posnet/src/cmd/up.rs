//! `posnet up`: issuer and gateway running until Ctrl-C, from a data folder it makes on first
//! use (CA and certificates, configs, test cards and accounts, the ledger).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::cmd::network::{self, Ports};
use crate::cmd::setup;

#[derive(clap::Args)]
#[command(after_help = "Then, in another shell:
  posnet terminal --config posnet-data/terminal-TERM0001.toml pay 12.50 --card alice
  posnet terminal --config posnet-data/terminal-TERM0001.toml balance --card alice
The data folder keeps the ledger between runs; delete it to start afresh.")]
pub struct Args {
    /// The data folder (made if missing).
    #[arg(long, value_name = "DIR", default_value = "posnet-data")]
    data: PathBuf,
    /// Port the gateway listens on for terminals (127.0.0.1).
    #[arg(long, default_value_t = 8583)]
    gateway_port: u16,
    /// Port the issuer listens on for the gateway (127.0.0.1).
    #[arg(long, default_value_t = 9583)]
    issuer_port: u16,
}

pub fn run(a: Args) -> Result<ExitCode> {
    crate::cmd::logging::init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let ports = Ports {
            issuer: a.issuer_port,
            gateway: a.gateway_port,
            issuer_timeout_ms: 8_000,
        };
        let net = network::start(&a.data, &ports).await?;
        for id in setup::TERMINALS {
            let path = net.layout.terminal_config(id);
            setup::write(
                &path,
                &setup::terminal_toml(id, &net.gateway_addr.to_string(), 30_000, "stdout"),
            )?;
        }
        println!(
            "posnet is up: issuer {}  gateway {}  (TLS 1.3, client certificates)",
            net.issuer_addr, net.gateway_addr
        );
        println!("data folder: {}", a.data.display());
        println!("point a terminal at it:");
        for id in setup::TERMINALS {
            println!(
                "  posnet terminal --config {} pay 12.50 --card alice",
                net.layout.terminal_config(id).display()
            );
        }
        println!(
            "test cards: {}",
            setup::CARDS
                .iter()
                .map(|c| c.name)
                .chain([setup::UNKNOWN_CARD.0])
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "Ctrl-C stops both; `posnet issuer audit --config {}` then checks the ledger.",
            net.layout.issuer_config().display()
        );
        crate::cmd::logging::wait_for_stop().await?;
        net.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}
