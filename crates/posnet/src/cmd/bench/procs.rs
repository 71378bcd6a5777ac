//! The audit's service processes: `posnet gateway --config` and `posnet issuer --config` as
//! children of this process, killed with SIGKILL and started again on the same port, their
//! stderr appended to one log file each so a panic in any life of the process is found.

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::time::Instant;

/// How long a (re)started service may take to listen.
const START_TIMEOUT_MS: u64 = 20_000;
/// How long a service may take to stop after SIGINT before it is killed.
const STOP_TIMEOUT_MS: u64 = 10_000;

/// One service: which subcommand, its config, its port and its current process.
pub struct Service {
    pub name: &'static str,
    config: PathBuf,
    pub addr: SocketAddr,
    log: PathBuf,
    child: Option<Child>,
    /// Processes started so far (the first start included).
    pub starts: u32,
}

impl Service {
    pub fn new(name: &'static str, config: &Path, addr: SocketAddr, log: &Path) -> Service {
        Service {
            name,
            config: config.to_path_buf(),
            addr,
            log: log.to_path_buf(),
            child: None,
            starts: 0,
        }
    }

    /// Starts the process and waits (bounded) until its port accepts connections.
    pub async fn start(&mut self) -> Result<()> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("opening {}", self.log.display()))?;
        let child = Command::new(posnet_exe()?)
            .args([self.name, "--config"])
            .arg(&self.config)
            // Warnings and panics only (a line per request would fill the disk on a long run),
            // unless POSNET_AUDIT_LOG asks for more.
            .env(
                "POSNET_LOG",
                std::env::var("POSNET_AUDIT_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting the {}", self.name))?;
        self.child = Some(child);
        self.starts += 1;
        self.wait_listening().await
    }

    async fn wait_listening(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_millis(START_TIMEOUT_MS);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "the {} exited with {status} while starting; see {}",
                    self.name,
                    self.log.display()
                );
            }
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "the {} did not listen on {} within {START_TIMEOUT_MS} ms; see {}",
                    self.name,
                    self.addr,
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: the process gets no chance to flush or say goodbye.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            // std's kill is SIGKILL on Unix.
            child
                .kill()
                .with_context(|| format!("killing the {}", self.name))?;
            child.wait()?;
        }
        Ok(())
    }

    /// SIGINT, then a bounded wait for a clean exit (SIGKILL after it).
    pub async fn stop(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_millis(STOP_TIMEOUT_MS);
        loop {
            if let Some(status) = child.try_wait()? {
                if !status.success() {
                    tracing::warn!("the {} stopped with {status}", self.name);
                }
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                child.wait()?;
                bail!(
                    "the {} did not stop within {STOP_TIMEOUT_MS} ms of SIGINT",
                    self.name
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Lines of its log that tell of a panic, in every life of the process.
    pub fn panics(&self) -> Result<Vec<String>> {
        let text = match std::fs::read(&self.log) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.log.display())),
        };
        Ok(text
            .lines()
            .filter(|l| l.contains("panicked"))
            .map(|l| format!("{}: {l}", self.name))
            .collect())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// This executable. When a rebuild replaces the file while the audit runs, Linux names the
/// running image `PATH (deleted)`: the restarts then run the file now at PATH.
fn posnet_exe() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("finding the posnet executable")?;
    let shown = exe.to_string_lossy();
    Ok(match shown.strip_suffix(" (deleted)") {
        Some(path) => PathBuf::from(path),
        None => exe,
    })
}

/// A loopback port free right now (the services bind it again after each kill).
pub fn free_port() -> Result<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?)
}
