//! The machine's limit for `--ceiling`: a bare TLS server in this process that answers each
//! frame by turning its MTI into the response's (0200 to 0210) and sending it straight back,
//! with the same certificates, links and frames as the real run, and nothing else.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use link::{PeerInfo, Server, ServerOptions, ShutdownTrigger, Transport};
use tokio::task::JoinHandle;

pub struct Echo {
    pub addr: SocketAddr,
    stop: ShutdownTrigger,
    task: JoinHandle<()>,
}

/// The response MTI of a request frame: the MTI's third digit (its function) plus one.
pub fn answer(mut frame: Vec<u8>) -> Vec<u8> {
    if let Some(function) = frame.get_mut(2)
        && function.is_ascii_digit()
        && *function < b'9'
    {
        *function += 1;
    }
    frame
}

impl Echo {
    pub async fn start(pki: &link::PkiDir, in_flight_max: usize) -> Result<Echo> {
        let identity = pki
            .server_identity()
            .context("the echo server's certificate")?;
        let cas = pki.ca_certs()?;
        let config = link::tls::server_config(&identity, Some(&cas))?;
        let options = ServerOptions {
            in_flight_max: in_flight_max.max(1),
            ..ServerOptions::default()
        };
        let server = Server::bind("127.0.0.1:0", Transport::tls(config), options).await?;
        let addr = server.local_addr();
        let (stop, shutdown) = link::shutdown_pair();
        let handler =
            Arc::new(|_peer: PeerInfo, frame: Vec<u8>| async move { Some(answer(frame)) });
        let task = tokio::spawn(server.serve(handler, shutdown));
        Ok(Echo { addr, stop, task })
    }

    pub async fn stop(self) {
        self.stop.trigger();
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_become_responses() {
        assert_eq!(answer(b"0200rest".to_vec()), b"0210rest");
        assert_eq!(answer(b"0400".to_vec()), b"0410");
        assert_eq!(answer(b"02".to_vec()), b"02");
        assert_eq!(answer(b"02x0".to_vec()), b"02x0");
    }
}
