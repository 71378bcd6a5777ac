//! Where a receipt goes: a file (or printer device), standard output, a raw network printer,
//! or nowhere. The only module of this crate that does I/O.
//!
//! A target is written as a string, e.g. in the terminal's config:
//!
//! | target | what is written |
//! |---|---|
//! | `file:PATH` | ESC/POS bytes appended to PATH (created if missing; a device such as `/dev/usb/lp0` works too) |
//! | `stdout` or `stdout:text` | plain text, 42 columns |
//! | `stdout:text:32`, `:42`, `:48` | plain text at that width |
//! | `stdout:escpos` | raw ESC/POS bytes |
//! | `tcp:HOST:PORT`, `tcp:HOST` | ESC/POS bytes to a raw network printer (port 9100 when omitted; IPv6 as `[::1]`) |
//! | `none` | nothing |

use std::fmt;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

use crate::layout::Width;
use crate::receipt::Receipt;

/// The raw printing port of network receipt printers (the "JetDirect" or "AppSocket" port).
pub const RAW_PRINTER_PORT: u16 = 9100;

/// Text width when `stdout` names none.
pub const STDOUT_WIDTH_DEFAULT: Width = Width::W42;

/// What standard output receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdoutFormat {
    Text(Width),
    Escpos,
}

/// A parsed receipt target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    File(PathBuf),
    Stdout(StdoutFormat),
    Tcp { host: String, port: u16 },
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TargetError {
    #[error(
        "unknown receipt target {target:?}: expected file:PATH, stdout, stdout:text[:32|42|48], stdout:escpos, tcp:HOST[:PORT] or none"
    )]
    Unknown { target: String },
    #[error("receipt target {target:?} has an empty file path")]
    EmptyPath { target: String },
    #[error("receipt target {target:?} has no valid host")]
    BadHost { target: String },
    #[error("receipt target {target:?} has an invalid port {port:?}: expected 1 to 65535")]
    BadPort { target: String, port: String },
    #[error("receipt target {target:?} has an unsupported width {width:?}: expected 32, 42 or 48")]
    BadWidth { target: String, width: String },
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(target: &str) -> Result<Target, TargetError> {
        let unknown = || TargetError::Unknown {
            target: target.to_string(),
        };
        match target.split_once(':') {
            None => match target {
                "none" => Ok(Target::None),
                "stdout" => Ok(Target::Stdout(StdoutFormat::Text(STDOUT_WIDTH_DEFAULT))),
                _ => Err(unknown()),
            },
            Some(("file", "")) => Err(TargetError::EmptyPath {
                target: target.to_string(),
            }),
            Some(("file", path)) => Ok(Target::File(PathBuf::from(path))),
            Some(("stdout", "escpos")) => Ok(Target::Stdout(StdoutFormat::Escpos)),
            Some(("stdout", "text")) => {
                Ok(Target::Stdout(StdoutFormat::Text(STDOUT_WIDTH_DEFAULT)))
            }
            Some(("stdout", rest)) => {
                let width = rest.strip_prefix("text:").ok_or_else(unknown)?;
                width
                    .parse()
                    .ok()
                    .and_then(Width::from_columns)
                    .map(|w| Target::Stdout(StdoutFormat::Text(w)))
                    .ok_or_else(|| TargetError::BadWidth {
                        target: target.to_string(),
                        width: width.to_string(),
                    })
            }
            Some(("tcp", rest)) => parse_tcp(target, rest),
            Some(_) => Err(unknown()),
        }
    }
}

/// `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`.
fn parse_tcp(target: &str, rest: &str) -> Result<Target, TargetError> {
    let bad_host = || TargetError::BadHost {
        target: target.to_string(),
    };
    let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or_else(bad_host)?;
        if host.is_empty() || !host.contains(':') {
            return Err(bad_host());
        }
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or_else(bad_host)?)),
        }
    } else {
        match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':' | '%'));
    // A colon outside brackets would make the port ambiguous.
    if !host_ok || (host.contains(':') && !rest.starts_with('[')) {
        return Err(bad_host());
    }
    let port = match port {
        None => RAW_PRINTER_PORT,
        Some(p) => {
            // u16's parser would take a leading `+`.
            let digits = p.bytes().all(|b| b.is_ascii_digit());
            p.parse::<u16>()
                .ok()
                .filter(|&n| digits && n != 0)
                .ok_or_else(|| TargetError::BadPort {
                    target: target.to_string(),
                    port: p.to_string(),
                })?
        }
    };
    Ok(Target::Tcp {
        host: host.to_string(),
        port,
    })
}

/// The inverse of parsing (a width is always written out).
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::File(path) => write!(f, "file:{}", path.display()),
            Target::Stdout(StdoutFormat::Text(w)) => write!(f, "stdout:text:{}", w.columns()),
            Target::Stdout(StdoutFormat::Escpos) => f.write_str("stdout:escpos"),
            Target::Tcp { host, port } => write!(f, "tcp:{}", host_port(host, *port)),
            Target::None => f.write_str("none"),
        }
    }
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[derive(Debug, Error)]
pub enum SinkError {
    #[error("cannot write the receipt to {path}: {source}")]
    File { path: PathBuf, source: io::Error },
    #[error("cannot write the receipt to standard output: {source}")]
    Stdout { source: io::Error },
    #[error("cannot resolve the printer address {address}: {source}")]
    Resolve { address: String, source: io::Error },
    #[error("the printer address {address} resolves to no address")]
    NoAddress { address: String },
    #[error(
        "cannot connect to the printer at {address} ({tried}) within {timeout_ms} ms: {source}"
    )]
    Connect {
        address: String,
        /// The socket address of the last attempt.
        tried: String,
        timeout_ms: u64,
        source: io::Error,
    },
    #[error("cannot send the receipt to the printer at {address} ({step}): {source}")]
    Write {
        address: String,
        step: &'static str,
        source: io::Error,
    },
}

/// Network timeouts for a raw printer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub connect_ms: u64,
    pub write_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect_ms: 3_000,
            write_ms: 5_000,
        }
    }
}

/// Something that prints receipts: a [`Sink`], or [`Capture`] in tests.
pub trait Printer {
    fn print(&mut self, receipt: &Receipt) -> Result<(), SinkError>;
}

/// Keeps every receipt it is given, for tests of code that prints.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    pub receipts: Vec<Receipt>,
}

impl Printer for Capture {
    fn print(&mut self, receipt: &Receipt) -> Result<(), SinkError> {
        self.receipts.push(receipt.clone());
        Ok(())
    }
}

/// A target with the settings for writing to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sink {
    pub target: Target,
    pub timeouts: Timeouts,
    /// Columns of the ESC/POS rendering (file and network printers).
    pub escpos_width: Width,
}

impl Sink {
    pub fn new(target: Target) -> Sink {
        Sink {
            target,
            timeouts: Timeouts::default(),
            escpos_width: Width::W48,
        }
    }

    /// Writes `receipt` to the target, with `stdout` standing for standard output.
    pub fn print_to(&self, receipt: &Receipt, stdout: &mut dyn Write) -> Result<(), SinkError> {
        match &self.target {
            Target::None => Ok(()),
            Target::Stdout(format) => {
                let bytes = match format {
                    StdoutFormat::Text(width) => receipt.to_text(*width).into_bytes(),
                    StdoutFormat::Escpos => receipt.to_escpos_width(self.escpos_width),
                };
                stdout
                    .write_all(&bytes)
                    .and_then(|()| stdout.flush())
                    .map_err(|source| SinkError::Stdout { source })
            }
            Target::File(path) => {
                let bytes = receipt.to_escpos_width(self.escpos_width);
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .and_then(|mut f| f.write_all(&bytes).and_then(|()| f.flush()))
                    .map_err(|source| SinkError::File {
                        path: path.clone(),
                        source,
                    })
            }
            Target::Tcp { host, port } => send_tcp(
                host,
                *port,
                &receipt.to_escpos_width(self.escpos_width),
                self.timeouts,
            ),
        }
    }
}

impl Printer for Sink {
    fn print(&mut self, receipt: &Receipt) -> Result<(), SinkError> {
        self.print_to(receipt, &mut io::stdout().lock())
    }
}

/// Connects to each address `host` resolves to until one answers, then writes `bytes` and
/// closes the sending side so the printer sees the end of the job.
fn send_tcp(host: &str, port: u16, bytes: &[u8], timeouts: Timeouts) -> Result<(), SinkError> {
    let address = host_port(host, port);
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|source| SinkError::Resolve {
            address: address.clone(),
            source,
        })?;
    // A zero Duration is refused by connect_timeout and means "block forever" to set_write_timeout.
    let connect_timeout = Duration::from_millis(timeouts.connect_ms.max(1));
    let write_timeout = Duration::from_millis(timeouts.write_ms.max(1));
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, connect_timeout) {
            Ok(mut stream) => {
                let step = |step: &'static str| {
                    let address = address.clone();
                    move |source| SinkError::Write {
                        address,
                        step,
                        source,
                    }
                };
                stream
                    .set_write_timeout(Some(write_timeout))
                    .map_err(step("set write timeout"))?;
                stream.write_all(bytes).map_err(step("write"))?;
                stream.flush().map_err(step("flush"))?;
                return stream.shutdown(Shutdown::Write).map_err(step("shutdown"));
            }
            Err(source) => last = Some((addr, source)),
        }
    }
    match last {
        Some((tried, source)) => Err(SinkError::Connect {
            address,
            tried: tried.to_string(),
            timeout_ms: timeouts.connect_ms,
            source,
        }),
        None => Err(SinkError::NoAddress { address }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Target, TargetError> {
        s.parse()
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(parse("none"), Ok(Target::None));
        assert_eq!(
            parse("stdout"),
            Ok(Target::Stdout(StdoutFormat::Text(Width::W42)))
        );
        assert_eq!(
            parse("stdout:text"),
            Ok(Target::Stdout(StdoutFormat::Text(Width::W42)))
        );
        assert_eq!(
            parse("stdout:text:32"),
            Ok(Target::Stdout(StdoutFormat::Text(Width::W32)))
        );
        assert_eq!(
            parse("stdout:escpos"),
            Ok(Target::Stdout(StdoutFormat::Escpos))
        );
        assert_eq!(
            parse("file:/tmp/r:1.bin"),
            Ok(Target::File(PathBuf::from("/tmp/r:1.bin")))
        );
        assert_eq!(
            parse("tcp:printer.local:9101"),
            Ok(Target::Tcp {
                host: "printer.local".into(),
                port: 9101
            })
        );
        assert_eq!(
            parse("tcp:10.0.0.7"),
            Ok(Target::Tcp {
                host: "10.0.0.7".into(),
                port: 9100
            })
        );
        assert_eq!(
            parse("tcp:[::1]:9200"),
            Ok(Target::Tcp {
                host: "::1".into(),
                port: 9200
            })
        );
        assert_eq!(
            parse("tcp:[fe80::1%eth0]"),
            Ok(Target::Tcp {
                host: "fe80::1%eth0".into(),
                port: 9100
            })
        );
    }

    #[test]
    fn refuses_bad_targets() {
        let t = |s: &str| s.to_string();
        assert_eq!(
            parse("printer"),
            Err(TargetError::Unknown {
                target: t("printer")
            })
        );
        assert_eq!(
            parse("stdout:pdf"),
            Err(TargetError::Unknown {
                target: t("stdout:pdf")
            })
        );
        assert_eq!(
            parse("stdout:text:40"),
            Err(TargetError::BadWidth {
                target: t("stdout:text:40"),
                width: t("40")
            })
        );
        assert_eq!(
            parse("file:"),
            Err(TargetError::EmptyPath { target: t("file:") })
        );
        for bad_host in [
            "tcp:",
            "tcp::9100",
            "tcp:::1:9100",
            "tcp:[::1",
            "tcp:[]:1",
            "tcp:a b:1",
        ] {
            assert_eq!(
                parse(bad_host),
                Err(TargetError::BadHost {
                    target: t(bad_host)
                }),
                "{bad_host}"
            );
        }
        for (target, port) in [
            ("tcp:host:0", "0"),
            ("tcp:host:65536", "65536"),
            ("tcp:host:", ""),
            ("tcp:host:+80", "+80"),
            ("tcp:[::1]:x", "x"),
        ] {
            assert_eq!(
                parse(target),
                Err(TargetError::BadPort {
                    target: t(target),
                    port: t(port)
                }),
                "{target}"
            );
        }
    }

    #[test]
    fn display_parses_back() {
        for s in [
            "none",
            "stdout:text:48",
            "stdout:escpos",
            "file:/var/spool/r.bin",
            "tcp:printer:9100",
            "tcp:[::1]:9100",
        ] {
            let target = parse(s).unwrap();
            assert_eq!(target.to_string(), s);
            assert_eq!(parse(&target.to_string()), Ok(target));
        }
    }
}
