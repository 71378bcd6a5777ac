//! The issuer's TOML configuration: where it listens, what it owns, and its test cards and
//! merchants. Parsing checks every value and names the key that is wrong.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::pan::Pan;
use crate::security::{IssuerScript, ScriptCommand, ScriptTemplate};
use crate::time::Expiry;

/// Most cards a config may list (everything is bounded).
pub const CARDS_MAX: usize = 100_000;
/// Most merchants a config may list.
pub const MERCHANTS_MAX: usize = 100_000;
/// Most BIN ranges a config may list.
pub const BIN_RANGES_MAX: usize = 256;

/// Why a config was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, a value of the wrong type, or an unknown key.
    #[error("config line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The TOML reader's explanation (it names the key).
        message: String,
    },
    /// A value that reads but is not acceptable.
    #[error("config key `{key}`: {problem}")]
    Invalid {
        /// Path of the key, e.g. `card[2].pan`.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
}

fn invalid(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        problem: problem.into(),
    }
}

/// Paths of the TLS listener's certificate, key and client CA (read by the adapter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsPaths {
    /// Certificate chain, PEM.
    pub cert: PathBuf,
    /// Private key, PEM.
    pub key: PathBuf,
    /// CA of the gateways' client certificates, PEM.
    pub client_ca: PathBuf,
}

/// Prefixes of PANs an issuer owns: every PAN whose first `low.len()` digits lie in `low..=high`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinRange {
    /// Lowest prefix.
    pub low: String,
    /// Highest prefix, same length as `low`.
    pub high: String,
}

impl BinRange {
    /// Reads `"476173"` or `"400000-409999"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (low, high) = text.split_once('-').unwrap_or((text, text));
        for part in [low, high] {
            if part.is_empty() || part.len() > 11 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{part:?} is not a prefix of 1 to 11 digits"));
            }
        }
        if low.len() != high.len() {
            return Err("both ends of a range must have the same number of digits".into());
        }
        if low > high {
            return Err(format!("range starts at {low}, after its end {high}"));
        }
        Ok(Self {
            low: low.to_owned(),
            high: high.to_owned(),
        })
    }

    /// True when the PAN's prefix lies in the range.
    pub fn contains(&self, pan: &str) -> bool {
        // Equal-length digit strings compare as their numbers do.
        pan.get(..self.low.len())
            .is_some_and(|prefix| prefix >= self.low.as_str() && prefix <= self.high.as_str())
    }
}

/// A card's standing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardStatus {
    /// In use.
    Active,
    /// Reported lost: answered 41.
    Lost,
    /// Reported stolen: answered 43.
    Stolen,
    /// Blocked by the issuer: answered 05.
    Blocked,
}

/// Transaction kinds a card may be allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxnKind {
    /// 0200, processing code 00.
    Purchase,
    /// 0100 and its 0220 completion.
    Preauth,
    /// 0200, processing code 20.
    Refund,
    /// 0200, processing code 31 (balance inquiry).
    Balance,
}

impl TxnKind {
    /// Every kind, in config order.
    pub const ALL: [TxnKind; 4] = [Self::Purchase, Self::Preauth, Self::Refund, Self::Balance];

    /// The name used in the config and in logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Purchase => "purchase",
            Self::Preauth => "preauth",
            Self::Refund => "refund",
            Self::Balance => "balance",
        }
    }
}

/// How a card's PIN is verified (the issuer stores a reference value, never the PIN).
#[derive(Clone, PartialEq, Eq)]
pub enum PinCheck {
    /// Visa PVV (PIN verification value) under the HSM key `pvk` (usage V2).
    Pvv {
        /// The 4-digit PVV.
        pvv: String,
        /// PVKI (PIN verification key index), 0 to 9.
        pvki: u8,
    },
    /// IBM 3624 PIN offset under the HSM key `pvk-ibm` (usage V1), decimalisation table
    /// `0123456789012345`, validation data the 11 rightmost PAN digits before the check digit,
    /// padded on the right with `F`.
    Ibm3624 {
        /// The offset, one digit per PIN digit (4 to 12).
        offset: String,
    },
}

impl std::fmt::Debug for PinCheck {
    // The reference values are not PINs, but they narrow a PIN search: keep them out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pvv { pvki, .. } => write!(f, "Pvv {{ pvki: {pvki}, pvv: **** }}"),
            Self::Ibm3624 { offset } => {
                write!(f, "Ibm3624 {{ offset: <{} digits> }}", offset.len())
            }
        }
    }
}

/// The `[security]` table: the issuer's HSM and its PIN rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityConfig {
    /// Folder of the issuer's software HSM (`master.key`, `keys.store`), as written in the
    /// file; [`Config::resolve_paths`] makes it relative to the config file.
    pub hsm_dir: PathBuf,
    /// Consecutive wrong PINs after which a card's PIN transactions are answered 75.
    pub pin_tries_max: u32,
}

/// Most consecutive wrong PINs a config may allow before blocking.
pub const PIN_TRIES_MAX_CEILING: u32 = 99;

/// One test card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardConfig {
    /// Unique short name.
    pub name: String,
    /// Its PAN (masked in `Debug`).
    pub pan: Pan,
    /// Expiry date.
    pub expiry: Expiry,
    /// Standing.
    pub status: CardStatus,
    /// ISO 4217 numeric currency of its account.
    pub currency: u16,
    /// Balance posted at set-up, minor units.
    pub opening_balance_minor: u64,
    /// Most it may spend per UTC day, minor units; `None` for no limit.
    pub daily_limit_minor: Option<u64>,
    /// Kinds it may do.
    pub kinds: Vec<TxnKind>,
    /// How its PIN is verified; `None`: the card has no PIN (field 52 is answered 57).
    pub pin: Option<PinCheck>,
    /// The issuer script its online chip authorisations carry, if any.
    pub script: Option<IssuerScript>,
}

impl CardConfig {
    /// True when the card may do `kind`.
    pub fn allows(&self, kind: TxnKind) -> bool {
        self.kinds.contains(&kind)
    }
}

/// One merchant (card acceptor).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerchantConfig {
    /// Card acceptor id (field 42) without trailing spaces.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// The issuer's configuration, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Listener address.
    pub listen: SocketAddr,
    /// TLS material paths.
    pub tls: TlsPaths,
    /// Data folder (ledger database).
    pub data_dir: PathBuf,
    /// Institution id, 1 to 11 digits.
    pub institution_id: String,
    /// BIN ranges owned.
    pub bin_ranges: Vec<BinRange>,
    /// Lifetime of a pre-authorization hold, seconds.
    pub hold_expiry_s: u32,
    /// Test cards.
    pub cards: Vec<CardConfig>,
    /// Merchants.
    pub merchants: Vec<MerchantConfig>,
    /// The HSM and PIN rules; `None` when the table is absent (no PIN verification).
    pub security: Option<SecurityConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "default_listen")]
    listen: String,
    #[serde(default)]
    tls: RawTls,
    #[serde(default = "default_data_dir")]
    data_dir: PathBuf,
    #[serde(default = "default_institution_id")]
    institution_id: String,
    #[serde(default)]
    bin_ranges: Vec<String>,
    #[serde(default = "default_hold_expiry_s")]
    hold_expiry_s: u64,
    #[serde(default, rename = "card")]
    cards: Vec<RawCard>,
    #[serde(default, rename = "merchant")]
    merchants: Vec<RawMerchant>,
    #[serde(default)]
    security: Option<RawSecurity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecurity {
    hsm_dir: PathBuf,
    #[serde(default = "default_pin_tries_max")]
    pin_tries_max: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    #[serde(default = "default_cert")]
    cert: PathBuf,
    #[serde(default = "default_key")]
    key: PathBuf,
    #[serde(default = "default_client_ca")]
    client_ca: PathBuf,
}

impl Default for RawTls {
    fn default() -> Self {
        Self {
            cert: default_cert(),
            key: default_key(),
            client_ca: default_client_ca(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCard {
    name: String,
    pan: String,
    expiry: String,
    #[serde(default = "default_status")]
    status: CardStatus,
    currency: u16,
    #[serde(default)]
    opening_balance_minor: u64,
    #[serde(default)]
    daily_limit_minor: Option<u64>,
    #[serde(default = "default_kinds")]
    kinds: Vec<TxnKind>,
    #[serde(default)]
    pvv: Option<String>,
    #[serde(default)]
    pvki: Option<u8>,
    #[serde(default)]
    pin_offset: Option<String>,
    #[serde(default)]
    script: Option<ScriptCommand>,
    #[serde(default)]
    script_template: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMerchant {
    id: String,
    #[serde(default)]
    name: String,
}

fn default_listen() -> String {
    "127.0.0.1:8583".into()
}
fn default_data_dir() -> PathBuf {
    "issuer-data".into()
}
fn default_institution_id() -> String {
    "1".into()
}
fn default_hold_expiry_s() -> u64 {
    7 * 24 * 3600
}
fn default_cert() -> PathBuf {
    "issuer.crt".into()
}
fn default_key() -> PathBuf {
    "issuer.key".into()
}
fn default_client_ca() -> PathBuf {
    "ca.crt".into()
}
fn default_pin_tries_max() -> u64 {
    3
}
fn default_status() -> CardStatus {
    CardStatus::Active
}
fn default_kinds() -> Vec<TxnKind> {
    TxnKind::ALL.to_vec()
}

impl Config {
    /// A commented example config with every key, for `posnet issuer --print-config`.
    pub fn example() -> &'static str {
        include_str!("config_example.toml")
    }

    /// Reads and checks a config.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| syntax(text, &e))?;
        raw.check()
    }

    /// The card with this name.
    pub fn card(&self, name: &str) -> Option<&CardConfig> {
        self.cards.iter().find(|c| c.name == name)
    }

    /// Makes every relative path (TLS files, `data_dir`, `security.hsm_dir`) relative to
    /// `base`, the folder of the config file.
    pub fn resolve_paths(&mut self, base: &Path) {
        let mut paths = vec![
            &mut self.tls.cert,
            &mut self.tls.key,
            &mut self.tls.client_ca,
            &mut self.data_dir,
        ];
        if let Some(security) = self.security.as_mut() {
            paths.push(&mut security.hsm_dir);
        }
        for p in paths {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
}

impl std::str::FromStr for Config {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

fn syntax(text: &str, error: &toml::de::Error) -> ConfigError {
    let offset = error.span().map_or(0, |s| s.start).min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    ConfigError::Syntax {
        line,
        column,
        message: error.message().trim().to_owned(),
    }
}

impl RawConfig {
    fn check(self) -> Result<Config, ConfigError> {
        let listen = self
            .listen
            .parse::<SocketAddr>()
            .map_err(|e| invalid("listen", format!("{:?} is not host:port: {e}", self.listen)))?;
        let id = &self.institution_id;
        if id.is_empty() || id.len() > 11 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("institution_id", "must be 1 to 11 digits"));
        }
        let hold_expiry_s = u32::try_from(self.hold_expiry_s)
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| invalid("hold_expiry_s", "must be 1 to 4294967295 seconds"))?;
        if self.bin_ranges.len() > BIN_RANGES_MAX {
            return Err(invalid(
                "bin_ranges",
                format!("at most {BIN_RANGES_MAX} entries"),
            ));
        }
        let bin_ranges = self
            .bin_ranges
            .iter()
            .enumerate()
            .map(|(i, r)| BinRange::parse(r).map_err(|p| invalid(format!("bin_ranges[{i}]"), p)))
            .collect::<Result<Vec<_>, _>>()?;
        if self.cards.len() > CARDS_MAX {
            return Err(invalid("card", format!("at most {CARDS_MAX} cards")));
        }
        if self.merchants.len() > MERCHANTS_MAX {
            return Err(invalid(
                "merchant",
                format!("at most {MERCHANTS_MAX} merchants"),
            ));
        }
        let security = self.security.map(RawSecurity::check).transpose()?;
        let mut names = HashSet::new();
        let mut pans = HashSet::new();
        let mut cards = Vec::with_capacity(self.cards.len());
        for (i, raw) in self.cards.into_iter().enumerate() {
            let card = raw.check(i, &bin_ranges, security.is_some())?;
            if !names.insert(card.name.clone()) {
                return Err(invalid(format!("card[{i}].name"), "name used twice"));
            }
            if !pans.insert(card.pan.clone()) {
                return Err(invalid(
                    format!("card[{i}].pan"),
                    format!("{} is listed twice", card.pan),
                ));
            }
            cards.push(card);
        }
        let mut ids = HashSet::new();
        let mut merchants = Vec::with_capacity(self.merchants.len());
        for (i, raw) in self.merchants.into_iter().enumerate() {
            let key = format!("merchant[{i}].id");
            let printable = raw.id.bytes().all(|b| (0x20..0x7F).contains(&b));
            if raw.id.is_empty() || raw.id.len() > 15 || !printable {
                return Err(invalid(key, "must be 1 to 15 printable ASCII characters"));
            }
            if raw.id.trim() != raw.id {
                return Err(invalid(key, "must not begin or end with a space"));
            }
            if !ids.insert(raw.id.clone()) {
                return Err(invalid(key, "id used twice"));
            }
            merchants.push(MerchantConfig {
                id: raw.id,
                name: raw.name,
            });
        }
        Ok(Config {
            listen,
            tls: TlsPaths {
                cert: self.tls.cert,
                key: self.tls.key,
                client_ca: self.tls.client_ca,
            },
            data_dir: self.data_dir,
            institution_id: self.institution_id,
            bin_ranges,
            hold_expiry_s,
            cards,
            merchants,
            security,
        })
    }
}

impl RawSecurity {
    fn check(self) -> Result<SecurityConfig, ConfigError> {
        if self.hsm_dir.as_os_str().is_empty() {
            return Err(invalid("security.hsm_dir", "must name a folder"));
        }
        let pin_tries_max = u32::try_from(self.pin_tries_max)
            .ok()
            .filter(|n| (1..=PIN_TRIES_MAX_CEILING).contains(n))
            .ok_or_else(|| {
                invalid(
                    "security.pin_tries_max",
                    format!("must be 1 to {PIN_TRIES_MAX_CEILING}"),
                )
            })?;
        Ok(SecurityConfig {
            hsm_dir: self.hsm_dir,
            pin_tries_max,
        })
    }
}

fn digits(text: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

impl RawCard {
    fn script(&self, i: usize, has_security: bool) -> Result<Option<IssuerScript>, ConfigError> {
        let key = |field: &str| format!("card[{i}].{field}");
        let Some(command) = self.script else {
            return match self.script_template {
                Some(_) => Err(invalid(
                    key("script_template"),
                    "a script_template needs a script beside it",
                )),
                None => Ok(None),
            };
        };
        // Template 72 by default: the script runs after the card's final decision.
        let template = ScriptTemplate::from_tag(match self.script_template {
            None => 0x72,
            Some(71) => 0x71,
            Some(72) => 0x72,
            Some(_) => 0,
        })
        .ok_or_else(|| {
            invalid(
                key("script_template"),
                "must be 71 (before the final GENERATE AC) or 72 (after it)",
            )
        })?;
        if !has_security {
            return Err(invalid(
                key("script"),
                "issuer scripts are MACed in the HSM: they need the [security] table (hsm_dir)",
            ));
        }
        Ok(Some(IssuerScript { command, template }))
    }

    fn pin_check(&self, i: usize, has_security: bool) -> Result<Option<PinCheck>, ConfigError> {
        let key = |field: &str| format!("card[{i}].{field}");
        let pin = match (&self.pvv, self.pvki, &self.pin_offset) {
            (None, None, None) => return Ok(None),
            (Some(_), _, Some(_)) => {
                return Err(invalid(
                    key("pin_offset"),
                    "a card has either a pvv (Visa PVV) or a pin_offset (IBM 3624), not both",
                ));
            }
            (None, Some(_), _) => {
                return Err(invalid(key("pvki"), "a pvki needs a pvv beside it"));
            }
            (Some(pvv), pvki, None) => {
                if !digits(pvv, 4..=4) {
                    return Err(invalid(key("pvv"), "must be 4 decimal digits"));
                }
                let pvki = pvki.ok_or_else(|| {
                    invalid(key("pvki"), "missing: a pvv needs its PVKI (0 to 9)")
                })?;
                if pvki > 9 {
                    return Err(invalid(key("pvki"), "must be one digit, 0 to 9"));
                }
                PinCheck::Pvv {
                    pvv: pvv.clone(),
                    pvki,
                }
            }
            (None, None, Some(offset)) => {
                if !digits(offset, 4..=12) {
                    return Err(invalid(key("pin_offset"), "must be 4 to 12 decimal digits"));
                }
                PinCheck::Ibm3624 {
                    offset: offset.clone(),
                }
            }
        };
        if !has_security {
            let field = if self.pvv.is_some() {
                "pvv"
            } else {
                "pin_offset"
            };
            return Err(invalid(
                key(field),
                "PIN verification needs the [security] table (hsm_dir)",
            ));
        }
        Ok(Some(pin))
    }

    fn check(
        self,
        i: usize,
        bins: &[BinRange],
        has_security: bool,
    ) -> Result<CardConfig, ConfigError> {
        let pin = self.pin_check(i, has_security)?;
        let script = self.script(i, has_security)?;
        let key = |field: &str| format!("card[{i}].{field}");
        let name_ok = self
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if self.name.is_empty() || self.name.len() > 32 || !name_ok {
            return Err(invalid(
                key("name"),
                "must be 1 to 32 letters, digits, '-' or '_'",
            ));
        }
        let pan = Pan::parse(&self.pan).map_err(|e| invalid(key("pan"), e.to_string()))?;
        if !bins.iter().any(|b| b.contains(pan.reveal())) {
            return Err(invalid(
                key("pan"),
                format!("{pan} is outside every bin_ranges entry"),
            ));
        }
        let expiry = Expiry::parse(&self.expiry)
            .ok_or_else(|| invalid(key("expiry"), "must be YYMM with a month 01 to 12"))?;
        if !(1..=999).contains(&self.currency) {
            return Err(invalid(
                key("currency"),
                "must be an ISO 4217 numeric code, 1 to 999",
            ));
        }
        if self.daily_limit_minor == Some(0) {
            return Err(invalid(
                key("daily_limit_minor"),
                "0 would refuse every debit; leave the key out for no limit",
            ));
        }
        let mut kinds = Vec::with_capacity(self.kinds.len());
        for kind in self.kinds {
            if kinds.contains(&kind) {
                return Err(invalid(
                    key("kinds"),
                    format!("{} listed twice", kind.name()),
                ));
            }
            kinds.push(kind);
        }
        Ok(CardConfig {
            name: self.name,
            pan,
            expiry,
            status: self.status,
            currency: self.currency,
            opening_balance_minor: self.opening_balance_minor,
            daily_limit_minor: self.daily_limit_minor,
            kinds,
            pin,
            script,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_parses_to_what_it_says() {
        let c = Config::parse(Config::example()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8583".parse().unwrap());
        assert_eq!(c.institution_id, "476173");
        assert_eq!(c.hold_expiry_s, 604_800);
        assert_eq!(c.tls.client_ca, PathBuf::from("ca.crt"));
        let alice = c.card("alice").unwrap();
        assert_eq!(alice.pan.reveal(), "4761739001010010");
        assert_eq!(alice.expiry, Expiry { yy: 30, mm: 12 });
        assert_eq!(alice.opening_balance_minor, 100_000);
        assert_eq!(alice.daily_limit_minor, Some(50_000));
        assert_eq!(alice.kinds, TxnKind::ALL.to_vec());
        let bob = c.card("bob-lost").unwrap();
        assert_eq!(bob.status, CardStatus::Lost);
        assert_eq!(bob.daily_limit_minor, None);
        assert_eq!(c.merchants[0].id, "MERCHANT0000001");
        // Every key of the example is commented.
        for line in Config::example().lines() {
            if let Some((key, _)) = line.split_once(" = ") {
                assert!(!key.starts_with(' '), "{line}");
            }
        }
    }

    #[test]
    fn defaults_for_an_empty_file() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.listen.port(), 8583);
        assert_eq!(c.data_dir, PathBuf::from("issuer-data"));
        assert_eq!(c.institution_id, "1");
        assert_eq!(c.hold_expiry_s, 7 * 24 * 3600);
        assert_eq!(c.tls.cert, PathBuf::from("issuer.crt"));
        assert!(c.cards.is_empty() && c.merchants.is_empty() && c.bin_ranges.is_empty());
    }

    fn card(extra: &str) -> String {
        format!(
            "bin_ranges = [\"476173\"]\n[[card]]\nname = \"a\"\npan = \"4761739001010010\"\nexpiry = \"3012\"\ncurrency = 978\n{extra}"
        )
    }

    fn key_of(text: &str) -> String {
        match Config::parse(text) {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => panic!("expected an Invalid error, got {other:?}"),
        }
    }

    #[test]
    fn issuer_scripts_parse_with_their_template_and_need_the_hsm() {
        let security = "\n[security]\nhsm_dir = \"hsm\"\n";
        let with = |extra: &str| Config::parse(&format!("{}{security}", card(extra)));
        let c = with("script = \"application-block\"").unwrap();
        assert_eq!(
            c.cards[0].script,
            Some(IssuerScript {
                command: ScriptCommand::ApplicationBlock,
                template: ScriptTemplate::AfterFinalAc,
            })
        );
        let c = with("script = \"pin-unblock\"\nscript_template = 71").unwrap();
        assert_eq!(
            c.cards[0].script,
            Some(IssuerScript {
                command: ScriptCommand::PinUnblock,
                template: ScriptTemplate::BeforeFinalAc,
            })
        );
        assert!(Config::parse(&card("")).unwrap().cards[0].script.is_none());
        assert_eq!(
            key_of(&card("script = \"application-block\"")),
            "card[0].script"
        );
        for bad in [
            "script = \"application-block\"\nscript_template = 73",
            "script_template = 71",
        ] {
            match with(bad) {
                Err(ConfigError::Invalid { key, .. }) => assert_eq!(key, "card[0].script_template"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(with("script = \"format-the-card\"").is_err());
    }

    #[test]
    fn errors_name_the_key() {
        assert_eq!(key_of("listen = \"nowhere\""), "listen");
        assert_eq!(key_of("institution_id = \"12a\""), "institution_id");
        assert_eq!(key_of("hold_expiry_s = 0"), "hold_expiry_s");
        assert_eq!(key_of("hold_expiry_s = 4294967296"), "hold_expiry_s");
        assert_eq!(key_of("bin_ranges = [\"4-39\"]"), "bin_ranges[0]");
        assert_eq!(key_of("bin_ranges = [\"5-4\"]"), "bin_ranges[0]");
        assert_eq!(
            key_of(&card("").replace("4761739001010010", "4761739001010011")),
            "card[0].pan"
        );
        assert_eq!(
            key_of(&card("").replace("476173\"]", "555555\"]")),
            "card[0].pan"
        );
        assert_eq!(key_of(&card("").replace("3012", "3013")), "card[0].expiry");
        assert_eq!(key_of(&card("").replace("978", "1000")), "card[0].currency");
        assert_eq!(
            key_of(&card("daily_limit_minor = 0")),
            "card[0].daily_limit_minor"
        );
        assert_eq!(
            key_of(&card("kinds = [\"refund\", \"refund\"]")),
            "card[0].kinds"
        );
        let twice = format!(
            "{}\n{}",
            card(""),
            card("").replace("bin_ranges = [\"476173\"]\n", "")
        );
        assert_eq!(key_of(&twice), "card[1].name");
        assert_eq!(
            key_of("[[merchant]]\nid = \"0123456789abcdef\""),
            "merchant[0].id"
        );
        assert_eq!(key_of("[[merchant]]\nid = \"M1 \""), "merchant[0].id");
    }

    #[test]
    fn syntax_errors_give_the_line_and_the_key() {
        let err = Config::parse("listen = \"127.0.0.1:1\"\nlisten_port = 5\n").unwrap_err();
        match err {
            ConfigError::Syntax { line, message, .. } => {
                assert_eq!(line, 2);
                assert!(message.contains("listen_port"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let err = Config::parse(&card("status = \"misplaced\"")).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Syntax { line: 7, message, .. } if message.contains("misplaced")),
            "{err:?}"
        );
    }

    #[test]
    fn security_and_pin_keys() {
        let text = format!(
            "{}\n[security]\nhsm_dir = \"hsm\"\n",
            card("pvv = \"0123\"\npvki = 1")
        );
        let c = Config::parse(&text).unwrap();
        let security = c.security.clone().unwrap();
        assert_eq!(security.hsm_dir, PathBuf::from("hsm"));
        assert_eq!(security.pin_tries_max, 3);
        assert_eq!(
            c.cards[0].pin,
            Some(PinCheck::Pvv {
                pvv: "0123".into(),
                pvki: 1
            })
        );
        let dump = format!("{:?}", c.cards[0]);
        assert!(!dump.contains("0123"), "{dump}");
        let ibm = format!(
            "{}\n[security]\nhsm_dir = \"/x\"\npin_tries_max = 5\n",
            card("pin_offset = \"987654\"")
        );
        let mut c = Config::parse(&ibm).unwrap();
        assert_eq!(c.security.as_ref().unwrap().pin_tries_max, 5);
        assert_eq!(
            c.cards[0].pin,
            Some(PinCheck::Ibm3624 {
                offset: "987654".into()
            })
        );
        assert_eq!(Config::parse(&card("")).unwrap().cards[0].pin, None);
        c.resolve_paths(Path::new("/etc/posnet"));
        assert_eq!(c.security.unwrap().hsm_dir, PathBuf::from("/x"));
        assert_eq!(c.data_dir, PathBuf::from("/etc/posnet/issuer-data"));
        let mut c = Config::parse(&text).unwrap();
        c.resolve_paths(Path::new("/etc/posnet"));
        assert_eq!(
            c.security.unwrap().hsm_dir,
            PathBuf::from("/etc/posnet/hsm")
        );
    }

    #[test]
    fn pin_errors_name_the_key() {
        let sec = |extra: &str| format!("{}\n[security]\nhsm_dir = \"hsm\"\n", card(extra));
        assert_eq!(key_of(&card("pvv = \"0123\"\npvki = 1")), "card[0].pvv");
        assert_eq!(key_of(&card("pin_offset = \"0123\"")), "card[0].pin_offset");
        assert_eq!(key_of(&sec("pvv = \"0123\"")), "card[0].pvki");
        assert_eq!(key_of(&sec("pvki = 1")), "card[0].pvki");
        assert_eq!(key_of(&sec("pvv = \"0123\"\npvki = 10")), "card[0].pvki");
        assert_eq!(key_of(&sec("pvv = \"012\"\npvki = 1")), "card[0].pvv");
        assert_eq!(key_of(&sec("pvv = \"01a3\"\npvki = 1")), "card[0].pvv");
        assert_eq!(key_of(&sec("pin_offset = \"012\"")), "card[0].pin_offset");
        assert_eq!(
            key_of(&sec("pin_offset = \"0123456789012\"")),
            "card[0].pin_offset"
        );
        assert_eq!(
            key_of(&sec("pvv = \"0123\"\npvki = 1\npin_offset = \"1234\"")),
            "card[0].pin_offset"
        );
        assert_eq!(
            key_of("[security]\nhsm_dir = \"hsm\"\npin_tries_max = 0"),
            "security.pin_tries_max"
        );
        assert_eq!(
            key_of("[security]\nhsm_dir = \"hsm\"\npin_tries_max = 100"),
            "security.pin_tries_max"
        );
        assert_eq!(key_of("[security]\nhsm_dir = \"\""), "security.hsm_dir");
        let err = Config::parse("[security]\npin_tries_max = 3").unwrap_err();
        assert!(
            matches!(&err, ConfigError::Syntax { message, .. } if message.contains("hsm_dir")),
            "{err:?}"
        );
    }

    #[test]
    fn bin_ranges_compare_prefixes() {
        let r = BinRange::parse("400000-409999").unwrap();
        assert!(r.contains("4000001234567899"));
        assert!(r.contains("4099991234567899"));
        assert!(!r.contains("4100001234567899"));
        assert!(!r.contains("40000"));
        assert!(
            BinRange::parse("476173")
                .unwrap()
                .contains("4761739001010010")
        );
    }

    #[test]
    fn debug_masks_the_pan() {
        let c = Config::parse(Config::example()).unwrap();
        let dump = format!("{c:?}");
        assert!(!dump.contains("4761739001010010"));
        assert!(dump.contains("476173******0010"));
    }
}
