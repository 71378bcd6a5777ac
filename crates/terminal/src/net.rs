//! The terminal's network adapter: a [`Driver`] over a mutual-TLS [`link::Link`] to the
//! gateway (primary, then secondary), with the wall clock.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use iso8583::{Message, Spec};
use link::{Link, LinkError, LinkOptions, Target};

use crate::clock::Now;
use crate::config::Config;
use crate::driver::{Driver, SendError};
use crate::pinpad::{EncipheredPin, PinPad, PinPadError};

/// Why the link to the gateway could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("gateway address {0:?}: expected host:port")]
    Address(String),
    #[error("TLS material: {0}")]
    Pki(#[from] link::PkiError),
    #[error("TLS configuration: {0}")]
    Tls(#[from] link::TlsError),
    #[error("link: {0}")]
    Link(#[from] LinkError),
    #[error("{0}")]
    PinPad(#[from] crate::pinpad::PinPadError),
}

fn target(addr: &str) -> Result<Target, NetError> {
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| NetError::Address(addr.to_string()))?;
    let port: u16 = port
        .parse()
        .map_err(|_| NetError::Address(addr.to_string()))?;
    Ok(Target::new(
        host.trim_start_matches('[').trim_end_matches(']'),
        port,
    ))
}

/// A driver that sends over TLS to the configured gateways.
pub struct LinkDriver {
    link: Link,
    pinpad: Option<Arc<PinPad>>,
    connect_timeout_ms: u64,
    utc_offset_min: i32,
}

impl LinkDriver {
    /// Starts the link (it connects in the background; the first request waits for it).
    pub fn start(config: &Config, spec: Arc<Spec>) -> Result<LinkDriver, NetError> {
        let mut targets = vec![target(&config.gateway_primary)?];
        if let Some(s) = &config.gateway_secondary {
            targets.push(target(s)?);
        }
        let ca = link::pki::load_certs(&config.ca_path)?;
        let identity = link::Identity::load(&config.client_cert_path, &config.client_key_path)?;
        let mut options = LinkOptions::new(targets, spec);
        options.tls = Some(link::tls::client_config(&ca, Some(&identity))?);
        options.connect_timeout_ms = config.connect_timeout_ms;
        options.request_timeout_ms = config.response_timeout_ms;
        let pinpad = match &config.pinpad {
            Some(p) => Some(Arc::new(PinPad::open(p)?)),
            None => None,
        };
        if let Some(p) = &pinpad {
            let seal: Arc<dyn link::Seal> = p.clone();
            options.seal = Some(seal);
        }
        Ok(LinkDriver {
            pinpad,
            link: Link::start(options)?,
            connect_timeout_ms: config.connect_timeout_ms,
            utc_offset_min: config.utc_offset_min,
        })
    }

    pub fn link(&self) -> &Link {
        &self.link
    }

    /// The PIN pad, when the terminal has one (shared: one KSN counter per device).
    pub fn pinpad(&self) -> Option<Arc<PinPad>> {
        self.pinpad.clone()
    }

    /// Closes the link politely (TLS close_notify), waiting at most a second for it.
    pub async fn close(&self) {
        let mut state = self.link.watch_state();
        self.link.close();
        let closed = async {
            while !matches!(*state.borrow_and_update(), link::LinkState::Closed) {
                if state.changed().await.is_err() {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), closed).await;
    }
}

impl Driver for LinkDriver {
    async fn send(&mut self, request: &Message<'_>) -> Result<Message<'static>, SendError> {
        if self.link.wait_up(self.connect_timeout_ms).await.is_err() {
            // Not connected: not a byte left the terminal.
            return Err(SendError::Unreachable);
        }
        match self.link.request(request).await {
            Ok(answer) => Ok(answer),
            // Written, or possibly written: the host may have acted; the flow reverses it. An
            // answer whose MAC fails is no answer: whatever it says cannot be trusted.
            Err(
                LinkError::Timeout { .. }
                | LinkError::Disconnected { .. }
                | LinkError::BadAnswerMac { .. },
            ) => Err(SendError::Timeout),
            // Every other refusal happens before a byte is written: the host cannot have acted.
            Err(_) => Err(SendError::Unreachable),
        }
    }

    fn now(&mut self) -> Now {
        let unix_s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Now {
            unix_s: i64::try_from(unix_s).unwrap_or(i64::MAX),
            utc_offset_min: self.utc_offset_min,
        }
    }

    async fn sleep_ms(&mut self, ms: u64) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }

    fn encipher_pin(&mut self, pin: &str, pan: &str) -> Result<EncipheredPin, PinPadError> {
        match &self.pinpad {
            Some(p) => p.encipher_pin(pin, pan),
            None => Err(PinPadError::NotFitted),
        }
    }
}

/// Why a terminal could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("creating {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("journal: {0}")]
    Journal(#[from] crate::journal::JournalError),
    #[error("{0}")]
    Request(#[from] crate::request::RequestError),
    #[error("{0}")]
    Net(#[from] NetError),
}

/// Opens the terminal of `config`: its journal in the data folder (locked: one process at a
/// time) and a link to its gateways. Owed reversals are sent by the first transaction (or
/// `recover`).
pub fn open(config: &Config) -> Result<crate::flow::Terminal<LinkDriver>, OpenError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| OpenError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    let journal = crate::journal::Journal::open(config.data_dir.join("journal.bin"))?;
    let acceptor =
        crate::request::Acceptor::new(&config.terminal_id, &config.merchant_id, &config.currency)?;
    let retry = crate::flow::RetryPolicy {
        interval_ms: config.reversal_retry_interval_ms,
        retries_max: config.reversal_retries_max,
    };
    let driver = LinkDriver::start(config, Arc::new(iso8583::specs::iso87_ascii_bbitmap()))?;
    Ok(crate::flow::Terminal::new(acceptor, retry, journal, driver))
}
