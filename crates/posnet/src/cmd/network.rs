//! Issuer and gateway running in this process on loopback, from a data folder: what
//! `posnet up` keeps running and `posnet demo` drives.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result};

use crate::cmd::setup::{self, Layout};

/// The running services of one data folder.
pub struct Network {
    pub layout: Layout,
    pub issuer_addr: SocketAddr,
    pub gateway_addr: SocketAddr,
    issuer: issuer::server::Running,
    issuer_stop: link::ShutdownTrigger,
    gateway: gateway::server::Started,
    gateway_stop: link::ShutdownTrigger,
}

/// Ports to listen on (0: any free port).
pub struct Ports {
    pub issuer: u16,
    pub gateway: u16,
    /// How long the gateway waits for the issuer before answering 91.
    pub issuer_timeout_ms: u64,
}

/// Makes what is missing in `dir` (certificates, configs) and starts the issuer, then the
/// gateway linked to it. Existing configs are used as they are, except that their listening
/// addresses follow `ports`.
pub async fn start(dir: &Path, ports: &Ports) -> Result<Network> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let layout = Layout::new(dir);
    setup::ensure_pki(&layout)?;
    std::fs::create_dir_all(dir.join("gateway-data")).context("creating gateway-data")?;

    setup::write_new(
        &layout.issuer_config(),
        &setup::issuer_toml(&format!("127.0.0.1:{}", ports.issuer)),
    )?;
    let issuer_config = crate::cmd::issuer::load_config(&layout.issuer_config())?;
    let (issuer_stop, shutdown) = link::shutdown_pair();
    let listen = format!("127.0.0.1:{}", ports.issuer);
    let issuer = issuer::server::start(&issuer_config, Some(&listen), shutdown)
        .await
        .context("starting the issuer")?;
    let issuer_addr = issuer.local_addr;

    // The gateway's config names the issuer's address, known only now when the port is free.
    setup::write(
        &layout.gateway_config(),
        &setup::gateway_toml(
            &format!("127.0.0.1:{}", ports.gateway),
            &issuer_addr.to_string(),
            ports.issuer_timeout_ms,
        ),
    )?;
    let gateway_config = load_gateway_config(&layout.gateway_config())?;
    let (gateway_stop, shutdown) = link::shutdown_pair();
    let gateway = gateway::server::start(&gateway_config, shutdown)
        .await
        .context("starting the gateway")?;
    let gateway_addr = gateway.local_addr;
    Ok(Network {
        layout,
        issuer_addr,
        gateway_addr,
        issuer,
        issuer_stop,
        gateway,
        gateway_stop,
    })
}

/// Reads a gateway config; relative paths are relative to the file.
pub fn load_gateway_config(path: &Path) -> Result<gateway::Config> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut config =
        gateway::Config::from_toml(&text).with_context(|| format!("in {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let rel = |p: &mut std::path::PathBuf| {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    };
    rel(&mut config.tls.cert);
    rel(&mut config.tls.key);
    rel(&mut config.tls.terminal_ca);
    rel(&mut config.journal_path);
    if let Some(s) = &mut config.security {
        rel(&mut s.hsm_dir);
    }
    for i in &mut config.issuers {
        rel(&mut i.ca);
        rel(&mut i.client_cert);
        rel(&mut i.client_key);
    }
    Ok(config)
}

impl Network {
    /// Stops the gateway, then the issuer, and waits until the issuer's ledger is closed.
    pub async fn stop(self) {
        self.gateway_stop.trigger();
        let _ = self.gateway.done.await;
        self.issuer_stop.trigger();
        let _ = self.issuer.task.await;
        let thread = self.issuer.ledger_thread;
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    }
}
