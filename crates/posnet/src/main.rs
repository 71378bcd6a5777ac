//! `posnet`: the POS terminal, payment gateway, issuer host, network doctor and tools in one
//! binary. Each subcommand lives in `cmd/`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// posnet — an open card-present payment network: terminal, gateway, issuer and tools.
#[derive(Parser)]
#[command(name = "posnet", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole network on loopback and a scripted day of payments, then exit.
    Demo(cmd::demo::Args),
    /// Issuer and gateway running until Ctrl-C, with their own CA, configs and test cards.
    Up(cmd::up::Args),
    /// A POS terminal: pay, refund, preauth, complete, reverse, balance, settle, echo.
    Terminal(cmd::terminal::Args),
    /// Network doctor: why this terminal cannot reach its gateway, layer by layer.
    Doctor(cmd::doctor::Args),
    /// The payment gateway: terminals in (mutual TLS), issuers out, routing by BIN.
    Gateway(cmd::gateway::Args),
    /// The issuer's authorization host (TLS server, durable ledger), and its audit.
    Issuer(cmd::issuer::Args),
    /// ISO 8583 message inspector: decode, encode and list dialects.
    #[command(name = "iso8583")]
    Iso8583(cmd::iso8583::Args),
    /// Payment crypto calculator: PIN blocks, DUKPT, CVV, PVV, MACs, EMV, TR-31 (hex in, hex out).
    Crypto(cmd::crypto::Args),
    /// The software HSM's key store: init, import, list, export.
    Hsm(cmd::hsm::Args),
    /// Fault-injecting TCP proxy: latency, drops, resets, partitions, broken frames.
    Chaos(cmd::chaos::Args),
    /// Load generator: N mutual-TLS terminals against a gateway; throughput and latency.
    Bench(cmd::bench::Args),
    /// Virtual EMV chip cards: list profiles, show one, insert one into pcscd's vpcd reader.
    Card(cmd::card::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Iso8583(args) => cmd::iso8583::run(args),
        Command::Crypto(args) => cmd::crypto::run(args),
        Command::Hsm(args) => cmd::hsm::run(args),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Up(args) => cmd::up::run(args),
        Command::Gateway(args) => cmd::gateway::run(args),
        Command::Issuer(args) => cmd::issuer::run(args),
        Command::Terminal(args) => cmd::terminal::run(args),
        Command::Doctor(args) => cmd::doctor::run(args),
        Command::Chaos(args) => cmd::chaos::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Card(args) => cmd::card::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("posnet: {e:#}");
            ExitCode::from(2)
        }
    }
}
