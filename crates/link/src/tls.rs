//! rustls configurations for posnet's links: TLS 1.3 only, the `ring` provider, mutual TLS
//! with terminal client certificates.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use thiserror::Error;

use crate::identity::{self, IdentityError};
use crate::pki::Identity;

/// Why a TLS configuration could not be built.
#[derive(Debug, Error)]
pub enum TlsError {
    #[error("CA certificate #{index} cannot be a trust anchor: {source}")]
    BadCa { index: usize, source: rustls::Error },
    #[error("no CA certificate given to trust")]
    NoCa,
    #[error("client-certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    #[error("{side} certificate or key refused: {source}")]
    Identity {
        side: &'static str,
        source: rustls::Error,
    },
    #[error("TLS 1.3 with the ring provider: {0}")]
    Protocol(rustls::Error),
}

/// The crypto provider every posnet link uses: rustls's `ring` backend (no cmake or nasm
/// needed to build it).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(ca_certs: &[CertificateDer<'static>]) -> Result<RootCertStore, TlsError> {
    if ca_certs.is_empty() {
        return Err(TlsError::NoCa);
    }
    let mut store = RootCertStore::empty();
    for (index, cert) in ca_certs.iter().enumerate() {
        store
            .add(cert.clone())
            .map_err(|source| TlsError::BadCa { index, source })?;
    }
    Ok(store)
}

/// A server configuration. With `client_ca`, every client must present a certificate
/// issued by one of those CAs (mutual TLS); without, no client certificate is asked for.
pub fn server_config(
    identity: &Identity,
    client_ca: Option<&[CertificateDer<'static>]>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(TlsError::Protocol)?;
    let builder = match client_ca {
        Some(cas) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots(cas)?), provider)
                    .build()?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(identity.chain.clone(), identity.key())
        .map_err(|source| TlsError::Identity {
            side: "server",
            source,
        })?;
    Ok(Arc::new(config))
}

/// A client configuration trusting `ca_certs`, presenting `identity` when given.
pub fn client_config(
    ca_certs: &[CertificateDer<'static>],
    identity: Option<&Identity>,
) -> Result<Arc<ClientConfig>, TlsError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(TlsError::Protocol)?
        .with_root_certificates(roots(ca_certs)?);
    let config = match identity {
        Some(identity) => builder
            .with_client_auth_cert(identity.chain.clone(), identity.key())
            .map_err(|source| TlsError::Identity {
                side: "client",
                source,
            })?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The terminal id of a connection's verified client certificate (the leaf), or
/// [`IdentityError::NoCertificate`] when the client presented none.
pub fn peer_terminal_id(connection: &rustls::CommonState) -> Result<String, IdentityError> {
    let leaf = connection
        .peer_certificates()
        .and_then(|chain| chain.first())
        .ok_or(IdentityError::NoCertificate)?;
    identity::terminal_id_from_der(leaf)
}
