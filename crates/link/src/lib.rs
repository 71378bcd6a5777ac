//! posnet's network adapter: ISO 8583 frames over TLS 1.3 with tokio.
//!
//! - [`pki`]: a demo CA (rcgen) issuing server certificates and one client certificate per
//!   terminal (`CN=<id>`, SAN `urn:posnet:terminal:<id>`), written as PEM, keys mode 0600.
//! - [`tls`]: rustls configs, TLS 1.3 only, `ring` provider; mutual TLS; the terminal id of a
//!   verified client certificate.
//! - [`conn`]: frames over any byte stream in a buffer bounded by `Framing::frame_max`,
//!   keep-alives, idle and write timeouts.
//! - [`server`]: accept loop, handshake timeout, per-connection in-flight bound, a
//!   [`Handler`] per message, graceful shutdown.
//! - [`client`]: [`Link`], a persistent client that matches responses by terminal id, STAN
//!   and MTI class ([`matcher`]), with typed `Busy`/`Timeout`/`Down` errors, reconnection and
//!   echoes.
//!
//! The logic that needs no socket (matching, frame buffering, certificate names, STANs,
//! dates) lives in pure modules with their own tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![forbid(unsafe_code)]

pub mod civil;
pub mod client;
pub mod conn;
pub mod der;
pub mod echo;
pub mod frame_buf;
pub mod identity;
pub mod matcher;
pub mod pki;
pub mod seal;
pub mod server;
pub mod shutdown;
pub mod tls;

pub use client::{EchoOptions, Link, LinkError, LinkOptions, LinkState, Target};
pub use conn::{ConnConfig, ConnError, FramedConn, Inbound};
pub use identity::IdentityError;
pub use matcher::{MatchKey, Matcher};
pub use pki::{Authority, Identity, Issued, PkiDir, PkiError};
pub use seal::{Seal, SealToken};
pub use server::{Handler, PeerInfo, Reply, Server, ServerError, ServerOptions, Transport};
pub use shutdown::{Shutdown, ShutdownTrigger, shutdown_pair};
pub use tls::TlsError;
