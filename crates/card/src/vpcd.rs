//! The link to pcscd's virtual reader driver (vsmartcard's vpcd): the card connects to
//! vpcd's TCP port (35963 for "Virtual PCD 00 00") and answers its messages, each a 2-byte
//! big-endian length then either one control byte (00 power off, 01 power on, 02 reset,
//! 04 get ATR) or a command APDU, answered with the response APDU.
//!
//! The only module of the crate doing I/O. Every wait is bounded: connecting, reading (a
//! poll interval that checks the stop flag), writing, and the number of reconnections.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use thiserror::Error;

use crate::app::Card;
use crate::state::CardState;

/// vpcd's default address for the first virtual reader.
pub const DEFAULT_ADDR: &str = "127.0.0.1:35963";
/// Largest message accepted: a short APDU is at most 261 bytes; more is a broken peer.
const MAX_MESSAGE_LEN: usize = 4096;

/// Control bytes of the vpcd protocol.
const POWER_OFF: u8 = 0x00;
const POWER_ON: u8 = 0x01;
const RESET: u8 = 0x02;
const GET_ATR: u8 = 0x04;

/// Limits of the link.
#[derive(Clone, Debug)]
pub struct VpcdOptions {
    /// vpcd's address, `HOST:PORT`.
    pub addr: String,
    /// Bound on each connection attempt.
    pub connect_timeout_ms: u64,
    /// How often a blocked read wakes up to check the stop flag.
    pub poll_interval_ms: u64,
    /// Bound on writing one answer.
    pub write_timeout_ms: u64,
    /// Pause between connection attempts.
    pub reconnect_delay_ms: u64,
    /// Connection attempts (failed connects and lost links) before giving up; `None` for
    /// no limit (the CLI runs until Ctrl-C).
    pub max_attempts: Option<u32>,
}

impl Default for VpcdOptions {
    fn default() -> Self {
        VpcdOptions {
            addr: DEFAULT_ADDR.to_string(),
            connect_timeout_ms: 2_000,
            poll_interval_ms: 200,
            write_timeout_ms: 2_000,
            reconnect_delay_ms: 500,
            max_attempts: None,
        }
    }
}

/// Why the link stopped.
#[derive(Debug, Error)]
pub enum VpcdError {
    /// The address does not resolve.
    #[error("vpcd address {addr}: {reason}")]
    Address {
        /// The address given.
        addr: String,
        /// Why.
        reason: String,
    },
    /// Out of connection attempts.
    #[error("vpcd at {addr}: gave up after {attempts} attempts; last error: {last}")]
    GaveUp {
        /// The address.
        addr: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
}

/// What happened on the link, for the adapter's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VpcdEvent {
    /// Connected to vpcd (the card is "inserted").
    Connected,
    /// A control message.
    Control(u8),
    /// An APDU and the SW answered.
    Apdu {
        /// INS of the command (0 when shorter than 2 bytes).
        ins: u8,
        /// Status word answered.
        sw: u16,
    },
    /// The link was lost (the reader is gone or pcscd stopped).
    Disconnected(String),
}

/// Runs the card on vpcd until `stop` is set (then `Ok`) or the attempts run out.
/// `on_event` sees every event; `on_state` gets the card state whenever it changed (to save).
pub fn serve(
    card: &mut Card,
    opts: &VpcdOptions,
    stop: &AtomicBool,
    mut on_event: impl FnMut(&VpcdEvent),
    mut on_state: impl FnMut(&CardState),
) -> Result<(), VpcdError> {
    let addrs: Vec<_> = opts
        .addr
        .to_socket_addrs()
        .map_err(|e| VpcdError::Address {
            addr: opts.addr.clone(),
            reason: e.to_string(),
        })?
        .collect();
    let Some(addr) = addrs.first().copied() else {
        return Err(VpcdError::Address {
            addr: opts.addr.clone(),
            reason: "no address".into(),
        });
    };
    let mut attempts = 0u32;
    while !stop.load(Ordering::Relaxed) {
        attempts = attempts.saturating_add(1);
        let last = match TcpStream::connect_timeout(
            &addr,
            Duration::from_millis(opts.connect_timeout_ms.max(1)),
        ) {
            Ok(stream) => {
                on_event(&VpcdEvent::Connected);
                let why = session(card, stream, opts, stop, &mut on_event, &mut on_state);
                card.reset();
                on_event(&VpcdEvent::Disconnected(why.clone()));
                why
            }
            Err(e) => e.to_string(),
        };
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if opts.max_attempts.is_some_and(|max| attempts >= max) {
            return Err(VpcdError::GaveUp {
                addr: opts.addr.clone(),
                attempts,
                last,
            });
        }
        sleep_unless_stopped(opts.reconnect_delay_ms, opts.poll_interval_ms, stop);
    }
    Ok(())
}

fn sleep_unless_stopped(total_ms: u64, step_ms: u64, stop: &AtomicBool) {
    let step = step_ms.clamp(1, 1_000);
    let mut left = total_ms;
    while left > 0 && !stop.load(Ordering::Relaxed) {
        let now = left.min(step);
        std::thread::sleep(Duration::from_millis(now));
        left -= now;
    }
}

/// One connection; returns why it ended.
fn session(
    card: &mut Card,
    mut stream: TcpStream,
    opts: &VpcdOptions,
    stop: &AtomicBool,
    on_event: &mut impl FnMut(&VpcdEvent),
    on_state: &mut impl FnMut(&CardState),
) -> String {
    let poll = Duration::from_millis(opts.poll_interval_ms.max(1));
    if let Err(e) = stream
        .set_read_timeout(Some(poll))
        .and_then(|()| {
            stream.set_write_timeout(Some(Duration::from_millis(opts.write_timeout_ms.max(1))))
        })
        .and_then(|()| stream.set_nodelay(true))
    {
        return e.to_string();
    }
    let mut buf: Vec<u8> = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        if stop.load(Ordering::Relaxed) {
            return "stopped".into();
        }
        // Whole messages first: a read may carry several, or part of one.
        while let Some(message) = take_message(&mut buf) {
            let message = match message {
                Ok(m) => m,
                Err(len) => return format!("message of {len} bytes is over {MAX_MESSAGE_LEN}"),
            };
            let before = card.state().clone();
            let answer = handle(card, &message, on_event);
            if card.state() != &before {
                on_state(card.state());
            }
            if let Some(answer) = answer
                && let Err(e) = write_message(&mut stream, &answer)
            {
                return format!("write: {e}");
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => return "vpcd closed the connection".into(),
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or(&[])),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return format!("read: {e}"),
        }
    }
}

/// Removes one complete message from the front of `buf`: `Some(Ok)` with it, `Some(Err)`
/// with an oversized length, `None` when more bytes are needed.
fn take_message(buf: &mut Vec<u8>) -> Option<Result<Vec<u8>, usize>> {
    let [hi, lo] = *buf.first_chunk::<2>()?;
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if len > MAX_MESSAGE_LEN {
        return Some(Err(len));
    }
    let message = buf.get(2..2 + len)?.to_vec();
    buf.drain(..2 + len);
    Some(Ok(message))
}

fn write_message(stream: &mut TcpStream, payload: &[u8]) -> std::io::Result<()> {
    let len = u16::try_from(payload.len())
        .map_err(|_| std::io::Error::new(ErrorKind::InvalidInput, "answer over 65535 bytes"))?;
    let mut frame = len.to_be_bytes().to_vec();
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

/// Handles one message; the answer to send, if any.
fn handle(
    card: &mut Card,
    message: &[u8],
    on_event: &mut impl FnMut(&VpcdEvent),
) -> Option<Vec<u8>> {
    match message {
        [] => None,
        [control] => {
            on_event(&VpcdEvent::Control(*control));
            match *control {
                POWER_OFF | POWER_ON | RESET => {
                    card.reset();
                    None
                }
                GET_ATR => Some(card.atr()),
                _ => None,
            }
        }
        apdu => {
            let answer = card.transmit(apdu);
            let sw = answer
                .len()
                .checked_sub(2)
                .and_then(|at| answer.get(at..))
                .and_then(|s| s.first_chunk::<2>())
                .map_or(0, |s| u16::from_be_bytes(*s));
            on_event(&VpcdEvent::Apdu {
                ins: apdu.get(1).copied().unwrap_or(0),
                sw,
            });
            Some(answer)
        }
    }
}
