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
    /// Extra funded cards `bench-00001`… for `posnet bench` (added when the folder is made:
    /// an existing issuer.toml is kept as it is).
    #[arg(long, value_name = "N", default_value_t = 0)]
    bench_cards: u32,
    /// Extra terminals `BENCH001`… the gateway accepts, with their certificates, for
    /// `posnet bench`.
    #[arg(long, value_name = "M", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(setup::BENCH_TERMINALS_MAX)))]
    bench_terminals: u32,
}

pub fn run(a: Args) -> Result<ExitCode> {
    crate::cmd::logging::init();
    setup::set_bench_extras(setup::BenchExtras {
        cards: a.bench_cards,
        terminals: a.bench_terminals,
    });
    if a.bench_terminals > 0 {
        let layout = setup::Layout::new(&a.data);
        std::fs::create_dir_all(&a.data)?;
        setup::ensure_pki(&layout)?;
        let ids: Vec<String> = (1..=a.bench_terminals)
            .map(setup::bench_terminal_id)
            .collect();
        setup::ensure_terminal_certs(&layout, &ids)?;
    }
    warn_missing_bench_cards(&a);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let ports = Ports {
            issuer: a.issuer_port,
            gateway: a.gateway_port,
            issuer_timeout_ms: 8_000,
        };
        let stop = crate::cmd::logging::StopSignals::install()?;
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
        stop.wait().await;
        net.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// An existing issuer.toml is kept as the user left it, so `--bench-cards` cannot add cards
/// to it: say so rather than let a benchmark run out of cards.
fn warn_missing_bench_cards(a: &Args) {
    if a.bench_cards == 0 {
        return;
    }
    let path = setup::Layout::new(&a.data).issuer_config();
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let last = format!("name = \"{}\"", setup::bench_card_name(a.bench_cards));
    if !text.contains(&last) {
        tracing::warn!(
            "{} was made earlier without {} bench cards and is kept as it is; \
             use a new data folder to get them",
            path.display(),
            a.bench_cards
        );
    }
}
