//! posnet's payment gateway.
//!
//! The core ([`Gateway`]) is sans-I/O: it takes a terminal's request, an issuer's message, a
//! link event or the time, and returns [`Action`]s (send this, journal that, log this). It
//! validates requests (30 / 58 / 03 / 12), answers 0800 and 0500 itself, routes by BIN (14
//! when no route), sets field 32, matches issuer responses by 41 + 11 + MTI class, answers 91
//! when an issuer is silent or down and queues a 0420 reversal advice that it retries until the
//! 0430, keeps per-terminal batch totals for settlement (00 / 95), and bounds every queue
//! (96 beyond). [`journal`] is the append-only format that carries the reversal queue and the
//! batch totals across a restart.
//!
//! [`server`] is the tokio adapter: terminals over mutual TLS and issuer links from the `link`
//! crate, the journal on disk ([`journal_file`]), and a thread that owns the core.
//!
//! ```
//! use gateway::{Action, Config, ConnId, Gateway};
//! use iso8583::{Message, Mti};
//!
//! let config = Config::from_toml(&Config::example()).unwrap();
//! let mut gw = Gateway::new(&config);
//! let mut echo = Message::new(Mti::parse("0800").unwrap());
//! echo.set(7, "1114221320").unwrap();
//! echo.set(11, "000001").unwrap();
//! echo.set(41, "TERM0001").unwrap();
//! echo.set(70, "301").unwrap();
//! let actions = gw.on_terminal_request(ConnId(1), Some("TERM0001"), &echo, 0);
//! let Action::ToTerminal { message, .. } = &actions[0] else { panic!() };
//! assert_eq!((message.mti().as_str(), message.text(39)), ("0810", Some("00")));
//! ```

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

pub mod action;
pub mod batch;
pub mod clock;
pub mod config;
pub mod flow;
mod gateway;
mod issuer;
pub mod journal;
pub mod journal_file;
pub mod journal_writer;
pub mod reply;
mod restore;
pub mod reversal;
pub mod routing;
pub mod security;
pub mod server;
mod timers;

pub use action::{Action, ConnId, Level, MatchKey};
pub use batch::Totals;
pub use clock::UnixMs;
pub use config::{Config, ConfigError};
pub use gateway::Gateway;
pub use journal::{JournalError, Record, Replay};
pub use restore::ReplayError;
pub use security::Security;
