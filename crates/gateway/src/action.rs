//! What the core asks its adapter to do, and the identities it uses to say where.

use iso8583::Message;

use crate::journal::Record;

/// A terminal connection, numbered by the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// How loud a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// One thing for the adapter to do. Carry them out in order: a [`Action::Journal`] must be
/// durable (appended and fsynced) before any action after it in the same list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send `message` to the terminal on connection `conn` (if it is gone, log and drop: the
    /// terminal owns recovery of its requests).
    ToTerminal {
        conn: ConnId,
        message: Message<'static>,
    },
    /// Close a terminal connection that sent something unreadable.
    CloseTerminal { conn: ConnId },
    /// Send `message` on the issuer link `link`.
    ToIssuer {
        link: String,
        message: Message<'static>,
    },
    /// Drop and reconnect issuer link `link` (it stopped answering); report
    /// [`crate::Gateway::on_link_up`] when it is back.
    ResetLink { link: String },
    /// Append `record` to the journal and fsync.
    Journal(Record),
    /// A line for the log; never carries a PAN beyond its first 6 and last 4 digits.
    Log { level: Level, text: String },
}

/// How a response finds its request on a link (as jPOS QMUX): terminal id (41), STAN (11)
/// and the MTI class (second digit).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatchKey {
    pub terminal_id: String,
    pub stan: String,
    pub class: u8,
}

impl MatchKey {
    /// The key of a request or a response; `None` without 41 or 11.
    pub fn of(msg: &Message<'_>) -> Option<MatchKey> {
        Some(MatchKey {
            terminal_id: msg.text(41)?.to_string(),
            stan: msg.text(11)?.to_string(),
            class: msg.mti().class(),
        })
    }
}

impl std::fmt::Display for MatchKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "terminal {:?} STAN {} class {}",
            self.terminal_id, self.stan, self.class
        )
    }
}
