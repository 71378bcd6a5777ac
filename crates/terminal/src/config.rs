//! The terminal's TOML configuration.
//!
//! Two steps: serde reads the raw shape (unknown keys are refused, so a typo names itself),
//! then [`Config::from_toml`] checks each value and names the key that is wrong
//! (`card[1].track2`, `gateway.primary` …). [`Config::example`] shows every key with its
//! default.

use std::path::PathBuf;

use serde::Deserialize;

use crate::card::{Card, CardError, EntryMode, Track2Data};
use crate::flow::RetryPolicy;
use crate::request::{Acceptor, RequestError};

/// Defaults of the optional keys.
pub mod defaults {
    pub const MERCHANT_NAME: &str = "posnet merchant";
    /// ISO 4217 numeric: euro.
    pub const CURRENCY: &str = "978";
    pub const UTC_OFFSET_MIN: i32 = 0;
    pub const CONNECT_TIMEOUT_MS: u64 = 5_000;
    pub const RESPONSE_TIMEOUT_MS: u64 = 30_000;
    pub const REVERSAL_RETRY_INTERVAL_MS: u64 = 10_000;
    pub const REVERSAL_RETRIES_MAX: u32 = 5;
    pub const DATA_DIR: &str = "terminal-data";
    pub const PRINTER: &str = "stdout";
}

/// Upper bounds that keep a mistyped value from stalling the terminal for ever.
pub const TIMEOUT_MS_MAX: u64 = 600_000;
pub const REVERSAL_RETRIES_MAX_LIMIT: u32 = 1_000;
pub const CARDS_MAX: usize = 256;
/// Merchant name on receipts.
pub const MERCHANT_NAME_LEN_MAX: usize = 40;

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, a value of the wrong type, a missing required key or an unknown key; the
    /// message comes from the TOML reader and names the key and line.
    #[error("terminal config: {0}")]
    Toml(String),
    #[error("terminal config: `{key}`: {why}")]
    Invalid { key: String, why: String },
}

fn invalid(key: impl Into<String>, why: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        why: why.to_string(),
    }
}

/// Where receipts go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrinterTarget {
    /// `stdout`
    Stdout,
    /// `file:PATH`: ESC/POS bytes appended to a file.
    File(PathBuf),
    /// `tcp:HOST:PORT`: a raw network printer (usually port 9100).
    Tcp(String),
    /// `none`
    None,
}

impl PrinterTarget {
    pub fn parse(s: &str) -> Result<PrinterTarget, String> {
        match s {
            "stdout" => return Ok(PrinterTarget::Stdout),
            "none" => return Ok(PrinterTarget::None),
            _ => {}
        }
        if let Some(path) = s.strip_prefix("file:") {
            if path.is_empty() {
                return Err("`file:` needs a path".into());
            }
            return Ok(PrinterTarget::File(PathBuf::from(path)));
        }
        if let Some(addr) = s.strip_prefix("tcp:") {
            check_host_port(addr)?;
            return Ok(PrinterTarget::Tcp(addr.to_string()));
        }
        Err(format!(
            "{s:?} is not `stdout`, `file:PATH`, `tcp:HOST:PORT` or `none`"
        ))
    }
}

/// `host:port` with a non-empty host and a port in 1..=65535 (IPv6 hosts in brackets).
fn check_host_port(s: &str) -> Result<(), String> {
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("{s:?} is not HOST:PORT"))?;
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("{s:?} has no host"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!("{s:?}: port must be 1..=65535")),
    }
}

/// A test card from the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCard {
    pub name: String,
    pub card: Card,
}

/// The checked configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Field 41 (1 to 8 characters).
    pub terminal_id: String,
    /// Field 42 (1 to 15 characters).
    pub merchant_id: String,
    /// For receipts.
    pub merchant_name: String,
    /// Field 49, ISO 4217 numeric.
    pub currency: String,
    /// Local time minus UTC (fields 12 and 13, the RRN).
    pub utc_offset_min: i32,
    /// Gateway `host:port`, tried first.
    pub gateway_primary: String,
    /// Gateway `host:port` tried when the primary cannot be reached.
    pub gateway_secondary: Option<String>,
    /// PEM files: the CA that signs the gateway's certificate, and this terminal's client
    /// certificate and key (mutual TLS).
    pub ca_path: PathBuf,
    pub client_cert_path: PathBuf,
    pub client_key_path: PathBuf,
    pub connect_timeout_ms: u64,
    pub response_timeout_ms: u64,
    pub reversal_retry_interval_ms: u64,
    /// Repeats of an owed reversal after its first send, per recovery pass.
    pub reversal_retries_max: u32,
    /// Holds the journal.
    pub data_dir: PathBuf,
    pub printer: PrinterTarget,
    pub cards: Vec<TestCard>,
    /// The PIN pad: PINs enciphered and every message MACed under DUKPT. `None`: no PIN
    /// entry and no MACs (a gateway that requires them answers 63).
    pub pinpad: Option<PinPadConfig>,
}

/// Where the PIN pad keeps its key and which KSN it starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinPadConfig {
    /// A key store (`posnet hsm` layout: master.key + keys.store) holding the initial key.
    pub dir: PathBuf,
    /// The initial key's name in that store (TR-31 usage B1).
    pub key: String,
    /// The initial KSN (counter 0): 10 bytes (20 hex) for TDES DUKPT, 12 bytes (24 hex) for
    /// AES DUKPT.
    pub initial_ksn: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    terminal_id: String,
    merchant_id: String,
    #[serde(default = "d_merchant_name")]
    merchant_name: String,
    #[serde(default = "d_currency")]
    currency: String,
    #[serde(default)]
    utc_offset_min: i32,
    gateway: RawGateway,
    tls: RawTls,
    #[serde(default)]
    timeouts: RawTimeouts,
    #[serde(default)]
    reversal: RawReversal,
    #[serde(default = "d_data_dir")]
    data_dir: PathBuf,
    #[serde(default = "d_printer")]
    printer: String,
    #[serde(default, rename = "card")]
    cards: Vec<RawCard>,
    #[serde(default)]
    pinpad: Option<RawPinPad>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPinPad {
    dir: PathBuf,
    #[serde(default = "d_pinpad_key")]
    key: String,
    initial_ksn: String,
}

fn d_pinpad_key() -> String {
    "ipek".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGateway {
    primary: String,
    #[serde(default)]
    secondary: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawTimeouts {
    connect_ms: u64,
    response_ms: u64,
}

impl Default for RawTimeouts {
    fn default() -> Self {
        RawTimeouts {
            connect_ms: defaults::CONNECT_TIMEOUT_MS,
            response_ms: defaults::RESPONSE_TIMEOUT_MS,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawReversal {
    retry_interval_ms: u64,
    retries_max: u32,
}

impl Default for RawReversal {
    fn default() -> Self {
        RawReversal {
            retry_interval_ms: defaults::REVERSAL_RETRY_INTERVAL_MS,
            retries_max: defaults::REVERSAL_RETRIES_MAX,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCard {
    name: String,
    pan: String,
    expiry: String,
    #[serde(default)]
    track2: Option<String>,
    /// `keyed` or `swiped`; `swiped` when a track 2 is given, else `keyed`.
    #[serde(default)]
    entry: Option<String>,
}

fn d_merchant_name() -> String {
    defaults::MERCHANT_NAME.into()
}
fn d_currency() -> String {
    defaults::CURRENCY.into()
}
fn d_data_dir() -> PathBuf {
    defaults::DATA_DIR.into()
}
fn d_printer() -> String {
    defaults::PRINTER.into()
}

impl Config {
    /// Reads and checks a configuration.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        let acceptor = Acceptor::new(&raw.terminal_id, &raw.merchant_id, &raw.currency);
        if let Err(e) = acceptor {
            let key = match e {
                RequestError::Currency(_) => "currency",
                RequestError::Identity { what, .. } if what.starts_with("terminal") => {
                    "terminal_id"
                }
                _ => "merchant_id",
            };
            return Err(invalid(key, e));
        }
        let name_ok = raw.merchant_name.len() <= MERCHANT_NAME_LEN_MAX
            && raw.merchant_name.bytes().all(|b| (0x20..0x7f).contains(&b));
        if !name_ok {
            return Err(invalid(
                "merchant_name",
                format!("at most {MERCHANT_NAME_LEN_MAX} printable ASCII characters"),
            ));
        }
        // Real offsets run from UTC-12:00 to UTC+14:00.
        if !(-12 * 60..=14 * 60).contains(&raw.utc_offset_min) {
            return Err(invalid("utc_offset_min", "must be within -720..=840"));
        }
        check_host_port(&raw.gateway.primary).map_err(|e| invalid("gateway.primary", e))?;
        if let Some(s) = &raw.gateway.secondary {
            check_host_port(s).map_err(|e| invalid("gateway.secondary", e))?;
        }
        for (key, path) in [
            ("tls.ca", &raw.tls.ca),
            ("tls.client_cert", &raw.tls.client_cert),
            ("tls.client_key", &raw.tls.client_key),
            ("data_dir", &raw.data_dir),
        ] {
            if path.as_os_str().is_empty() {
                return Err(invalid(key, "must not be empty"));
            }
        }
        for (key, ms) in [
            ("timeouts.connect_ms", raw.timeouts.connect_ms),
            ("timeouts.response_ms", raw.timeouts.response_ms),
            ("reversal.retry_interval_ms", raw.reversal.retry_interval_ms),
        ] {
            if ms == 0 || ms > TIMEOUT_MS_MAX {
                return Err(invalid(key, format!("must be 1..={TIMEOUT_MS_MAX}")));
            }
        }
        if raw.reversal.retries_max > REVERSAL_RETRIES_MAX_LIMIT {
            return Err(invalid(
                "reversal.retries_max",
                format!("at most {REVERSAL_RETRIES_MAX_LIMIT}"),
            ));
        }
        let printer = PrinterTarget::parse(&raw.printer).map_err(|e| invalid("printer", e))?;
        if raw.cards.len() > CARDS_MAX {
            return Err(invalid("card", format!("at most {CARDS_MAX} test cards")));
        }
        let mut cards: Vec<TestCard> = Vec::with_capacity(raw.cards.len());
        for (i, c) in raw.cards.iter().enumerate() {
            let key = |field: &str| format!("card[{i}].{field}");
            if c.name.is_empty() || cards.iter().any(|t| t.name == c.name) {
                return Err(invalid(key("name"), "must be non-empty and unique"));
            }
            cards.push(TestCard {
                name: c.name.clone(),
                card: test_card(c).map_err(|(field, e)| invalid(key(field), e))?,
            });
        }
        let pinpad = match raw.pinpad {
            None => None,
            Some(p) => {
                if p.dir.as_os_str().is_empty() {
                    return Err(invalid("pinpad.dir", "must not be empty"));
                }
                if p.key.is_empty() {
                    return Err(invalid("pinpad.key", "must not be empty"));
                }
                let ksn = iso8583::hex::decode(&p.initial_ksn)
                    .ok()
                    .filter(|k| k.len() == 10 || k.len() == 12)
                    .ok_or_else(|| {
                        invalid(
                            "pinpad.initial_ksn",
                            "must be 20 hex digits (TDES DUKPT) or 24 (AES DUKPT)",
                        )
                    })?;
                Some(PinPadConfig {
                    dir: p.dir,
                    key: p.key,
                    initial_ksn: ksn,
                })
            }
        };
        Ok(Config {
            pinpad,
            terminal_id: raw.terminal_id,
            merchant_id: raw.merchant_id,
            merchant_name: raw.merchant_name,
            currency: raw.currency,
            utc_offset_min: raw.utc_offset_min,
            gateway_primary: raw.gateway.primary,
            gateway_secondary: raw.gateway.secondary,
            ca_path: raw.tls.ca,
            client_cert_path: raw.tls.client_cert,
            client_key_path: raw.tls.client_key,
            connect_timeout_ms: raw.timeouts.connect_ms,
            response_timeout_ms: raw.timeouts.response_ms,
            reversal_retry_interval_ms: raw.reversal.retry_interval_ms,
            reversal_retries_max: raw.reversal.retries_max,
            data_dir: raw.data_dir,
            printer,
            cards,
        })
    }

    /// Fields 41, 42 and 49 (checked by [`Config::from_toml`]).
    pub fn acceptor(&self) -> Result<Acceptor, RequestError> {
        Acceptor::new(&self.terminal_id, &self.merchant_id, &self.currency)
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            interval_ms: self.reversal_retry_interval_ms,
            retries_max: self.reversal_retries_max,
        }
    }

    /// The journal file inside the data directory.
    pub fn journal_path(&self) -> PathBuf {
        self.data_dir.join(crate::journal::FILE_NAME)
    }

    pub fn card(&self, name: &str) -> Option<&Card> {
        self.cards.iter().find(|c| c.name == name).map(|c| &c.card)
    }

    /// A complete configuration with every key, its default noted.
    pub fn example() -> &'static str {
        EXAMPLE
    }
}

fn test_card(c: &RawCard) -> Result<Card, (&'static str, CardError)> {
    let keyed = Card::keyed(&c.pan, &c.expiry).map_err(|e| match e {
        CardError::Expiry => ("expiry", e),
        e => ("pan", e),
    })?;
    let entry = match c.entry.as_deref() {
        None if c.track2.is_some() => EntryMode::Swiped,
        None | Some("keyed") => EntryMode::Keyed,
        Some("swiped") => EntryMode::Swiped,
        Some(_) => return Err(("entry", CardError::EntryMode)),
    };
    if let Some(t) = &c.track2 {
        let track = Track2Data::new(t).map_err(|e| ("track2", e))?;
        let pan_matches = track.pan().map_err(|e| ("track2", e))?.reveal() == c.pan;
        let expiry_matches = track.expiry().map_err(|e| ("track2", e))?.reveal() == c.expiry;
        if !(pan_matches && expiry_matches) {
            return Err(("track2", CardError::Track2Disagrees));
        }
    }
    match entry {
        // A configured test card is never a chip: chip cards come from a card reader.
        EntryMode::Keyed | EntryMode::Chip => Ok(keyed),
        // A fallback is how one transaction read a chip card, not a kind of card.
        EntryMode::Swiped | EntryMode::Fallback => match &c.track2 {
            Some(t) => Card::swiped(t).map_err(|e| ("track2", e)),
            None => Err(("track2", CardError::NoTrack2)),
        },
    }
}

const EXAMPLE: &str = r#"# posnet terminal configuration. Keys marked (default …) may be left out.

terminal_id = "TERM0001"          # field 41, 1 to 8 characters (space-filled on the wire)
merchant_id = "MERCHANT0000001"   # field 42, 1 to 15 characters
merchant_name = "posnet merchant" # receipts (default "posnet merchant")
currency = "978"                  # field 49, ISO 4217 numeric (default "978", euro)
utc_offset_min = 0                # local time minus UTC, for fields 12/13 and the RRN (default 0)
data_dir = "terminal-data"        # holds journal.bin (default "terminal-data")
printer = "stdout"                # stdout | file:PATH | tcp:HOST:PORT | none (default "stdout")

[gateway]
primary = "127.0.0.1:8583"        # host:port
secondary = "127.0.0.1:8584"      # tried when the primary cannot be reached (default none)

[tls]                             # PEM files for mutual TLS 1.3
ca = "certs/ca.pem"
client_cert = "certs/TERM0001.pem"
client_key = "certs/TERM0001.key"

# The PIN pad (default: none — no PIN entry, no MACs). Its DUKPT initial key lives in a key
# store sealed under the store's master key (`posnet hsm init` layout); each message carries
# the KSN in field 62 and a MAC in field 64/128.
[pinpad]
dir = "pinpad"                    # master.key + keys.store
key = "ipek"                      # the initial key's name (TR-31 usage B1) (default "ipek")
initial_ksn = "0123456789ABCDEF00000000"   # 24 hex: AES DUKPT; 20 hex: TDES DUKPT

[timeouts]
connect_ms = 5000                 # (default 5000)
response_ms = 30000               # then the request is reversed (default 30000)

[reversal]
retry_interval_ms = 10000         # between repeats of an owed reversal (default 10000)
retries_max = 5                   # repeats per pass; the rest wait for the next pass (default 5)

# Test cards: `posnet terminal pay 1000 --card NAME`.
[[card]]
name = "visa-swiped"
pan = "4761739001010010"
expiry = "2812"
track2 = "4761739001010010=28121011143804400000"   # entry defaults to swiped with a track 2

[[card]]
name = "mc-keyed"
pan = "5413330089010434"
expiry = "2712"
entry = "keyed"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses_with_its_values() {
        let c = Config::from_toml(Config::example()).unwrap();
        assert_eq!(c.terminal_id, "TERM0001");
        assert_eq!(c.currency, "978");
        assert_eq!(c.gateway_secondary.as_deref(), Some("127.0.0.1:8584"));
        assert_eq!(c.response_timeout_ms, 30_000);
        assert_eq!(c.reversal_retries_max, 5);
        assert_eq!(c.printer, PrinterTarget::Stdout);
        assert_eq!(c.journal_path(), PathBuf::from("terminal-data/journal.bin"));
        assert_eq!(c.cards.len(), 2);
        assert_eq!(
            c.card("visa-swiped").unwrap().entry_mode(),
            EntryMode::Swiped
        );
        assert_eq!(c.card("mc-keyed").unwrap().entry_mode(), EntryMode::Keyed);
        let pinpad = c.pinpad.as_ref().unwrap();
        assert_eq!(pinpad.key, "ipek");
        assert_eq!(pinpad.initial_ksn.len(), 12);
        // A KSN of neither length is refused with its key named.
        let bad = Config::example().replace("0123456789ABCDEF00000000", "0123");
        assert!(matches!(
            Config::from_toml(&bad),
            Err(ConfigError::Invalid { key, .. }) if key == "pinpad.initial_ksn"
        ));
    }

    #[test]
    fn defaults_fill_the_optional_keys() {
        let c = Config::from_toml(
            r#"
terminal_id = "T1"
merchant_id = "M1"
[gateway]
primary = "localhost:9000"
[tls]
ca = "ca.pem"
client_cert = "t.pem"
client_key = "t.key"
"#,
        )
        .unwrap();
        assert_eq!(c.merchant_name, defaults::MERCHANT_NAME);
        assert_eq!(c.currency, defaults::CURRENCY);
        assert_eq!(c.connect_timeout_ms, defaults::CONNECT_TIMEOUT_MS);
        assert_eq!(
            c.reversal_retry_interval_ms,
            defaults::REVERSAL_RETRY_INTERVAL_MS
        );
        assert_eq!(c.data_dir, PathBuf::from(defaults::DATA_DIR));
        assert_eq!(c.gateway_secondary, None);
        assert!(c.cards.is_empty());
        assert_eq!(c.acceptor().unwrap().terminal_id(), "T1      ");
    }

    fn with(replace: &str, by: &str) -> Result<Config, ConfigError> {
        let text = Config::example().replacen(replace, by, 1);
        assert_ne!(text, Config::example(), "{replace:?} not in the example");
        Config::from_toml(&text)
    }

    fn key_of(r: Result<Config, ConfigError>) -> String {
        match r {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_key() {
        assert_eq!(
            key_of(with("\"TERM0001\"", "\"TERMINAL01\"")),
            "terminal_id"
        );
        assert_eq!(key_of(with("\"978\"", "\"EUR\"")), "currency");
        assert_eq!(
            key_of(with("\"127.0.0.1:8583\"", "\"127.0.0.1\"")),
            "gateway.primary"
        );
        assert_eq!(key_of(with("\"stdout\"", "\"lpt1\"")), "printer");
        assert_eq!(
            key_of(with("response_ms = 30000", "response_ms = 0")),
            "timeouts.response_ms"
        );
        assert_eq!(
            key_of(with("=28121011143804400000", "=29121011143804400000")),
            "card[0].track2"
        );
        assert_eq!(
            key_of(with("\"5413330089010434\"", "\"54133300\"")),
            "card[1].pan"
        );
        assert_eq!(
            key_of(with("expiry = \"2712\"", "expiry = \"2713\"")),
            "card[1].expiry"
        );
        assert_eq!(
            key_of(with("entry = \"keyed\"", "entry = \"swiped\"")),
            "card[1].track2"
        );
        assert!(matches!(
            with("utc_offset_min = 0", "utc_offset_mins = 0"),
            Err(ConfigError::Toml(m)) if m.contains("utc_offset_mins")
        ));
    }

    #[test]
    fn printer_targets() {
        assert_eq!(
            PrinterTarget::parse("file:/tmp/r.bin"),
            Ok(PrinterTarget::File(PathBuf::from("/tmp/r.bin")))
        );
        assert_eq!(
            PrinterTarget::parse("tcp:printer.local:9100"),
            Ok(PrinterTarget::Tcp("printer.local:9100".into()))
        );
        assert_eq!(PrinterTarget::parse("none"), Ok(PrinterTarget::None));
        assert!(PrinterTarget::parse("tcp:printer.local:0").is_err());
        assert!(PrinterTarget::parse("file:").is_err());
    }
}
