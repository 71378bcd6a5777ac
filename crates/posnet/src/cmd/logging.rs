//! Logs of the long-running services (stderr; `RUST_LOG` or `POSNET_LOG` choose the level),
//! and waiting for Ctrl-C or SIGTERM.

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};

/// Starts logging once at `info` unless the environment says otherwise; later calls do nothing.
pub fn init() {
    init_at("info");
}

/// Starts logging once at `default_level` unless `POSNET_LOG` or `RUST_LOG` says otherwise.
pub fn init_at(default_level: &str) {
    let filter = std::env::var("POSNET_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| default_level.to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// The stop signals (SIGINT, SIGTERM), caught from the moment this is made: make it before a
/// service says it is ready, so a stop that follows the ready line at once is not lost to
/// the default action (an abrupt exit).
pub struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Catches SIGINT and SIGTERM from now on (inside a tokio runtime).
    pub fn install() -> Result<StopSignals> {
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt()).context("installing the Ctrl-C handler")?,
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
        })
    }

    /// Returns when the process is asked to stop.
    pub async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
