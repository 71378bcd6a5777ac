//! The gateway's TOML configuration: where it listens, who may connect, where each BIN range goes.
//!
//! Parsing is two steps: serde reads the raw shape (unknown keys are refused, so a typo names
//! itself), then [`Config::from_toml`] checks every value and names the key that is wrong
//! (`terminal[1].merchant_id`, `route[0].bin` …). See [`Config::example`] for every key with
//! its default.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// Field 41, card acceptor terminal identification: `ans 8`, fixed.
pub const TERMINAL_ID_LEN: usize = 8;
/// Field 42, card acceptor identification code (merchant id): `ans 15`, fixed.
pub const MERCHANT_ID_LEN: usize = 15;
/// Field 32, acquiring institution identification code: `n ..11`.
pub const ACQUIRER_ID_LEN_MAX: usize = 11;
/// Shortest and longest BIN (bank identification number) prefix a route may name.
pub const BIN_LEN_MIN: usize = 6;
pub const BIN_LEN_MAX: usize = 8;

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, a value of the wrong type, a missing required key or an unknown key; the
    /// message comes from the TOML reader and names the key and line.
    #[error("gateway config: {0}")]
    Toml(String),
    /// A key whose value is not acceptable.
    #[error("gateway config: `{key}`: {why}")]
    Invalid { key: String, why: String },
}

fn invalid(key: impl Into<String>, why: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        why: why.into(),
    }
}

/// The checked configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where terminals connect (TLS 1.3, mutual).
    pub listen: SocketAddr,
    /// Field 32 the gateway sets on everything it forwards: 1 to 11 digits.
    pub acquirer_id: String,
    /// The append-only journal of reversal advices and batch totals.
    pub journal_path: PathBuf,
    pub tls: ServerTls,
    pub limits: Limits,
    pub terminals: Vec<Terminal>,
    pub routes: Vec<Route>,
    pub issuers: Vec<IssuerLink>,
    /// PIN translation and message MACs; `None`: neither (terminals send no PINs or MACs).
    pub security: Option<Security>,
    /// In maintenance every terminal request, echoes and sign-ons included, is answered 90
    /// (cutoff in process) so terminals and the doctor can tell it from a dead gateway.
    pub maintenance: bool,
}

/// The gateway's HSM and its keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// A software HSM directory (`posnet hsm init`): master.key and keys.store.
    pub hsm_dir: PathBuf,
    /// The DUKPT base derivation key (usage B0) the terminals' PIN pads descend from. Every
    /// terminal message must then carry its KSN (field 62) and a MAC (64/128), or it is
    /// answered 63 and not processed.
    #[serde(default = "default_bdk")]
    pub bdk: String,
}

fn default_bdk() -> String {
    "bdk".to_string()
}

/// The gateway's own certificate and the CA that signs terminal client certificates (PEM files).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub terminal_ca: PathBuf,
}

/// Every bound the core keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Requests of one terminal waiting for an issuer; beyond it the terminal gets 96.
    pub pending_per_terminal_max: usize,
    /// Requests of all terminals waiting for issuers; beyond it 96.
    pub pending_total_max: usize,
    /// Reversal advices (0420) waiting for their 0430. A request that could need one is only
    /// forwarded while the queue has room for it, so an advice is never dropped.
    pub reversal_queue_max: usize,
    /// Sends of one 0420 before it is given up (and logged as an error for manual follow-up).
    pub reversal_attempts_max: u32,
    /// Wait after the first unanswered 0420 (on top of the link's request timeout); doubles
    /// with each attempt up to `reversal_backoff_max_ms`.
    pub reversal_backoff_initial_ms: u64,
    pub reversal_backoff_max_ms: u64,
    /// Approved transactions one terminal may hold in its open batch; beyond it 0200/0220 get
    /// 96 until the terminal settles.
    pub batch_transactions_max: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            pending_per_terminal_max: 8,
            pending_total_max: 4096,
            reversal_queue_max: 10_000,
            reversal_attempts_max: 30,
            reversal_backoff_initial_ms: 1_000,
            reversal_backoff_max_ms: 300_000,
            batch_transactions_max: 10_000,
        }
    }
}

/// A terminal on the allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminal {
    /// Field 41 as it travels: right-padded with spaces to 8 characters.
    pub id: String,
    /// Field 42 as it travels: right-padded with spaces to 15 characters.
    pub merchant_id: String,
    pub certificate: CertBinding,
    /// The BDK this terminal's PIN pad descends from, when not `[security].bdk` (a TDES DUKPT
    /// terminal beside AES ones, say).
    pub bdk: Option<String>,
}

/// Which client certificate speaks for a terminal. Both parts, when given, must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertBinding {
    /// The certificate subject's common name; defaults to the terminal id (without padding).
    pub cn: Option<String>,
    /// SHA-256 of the certificate's DER encoding.
    pub sha256: Option<[u8; 32]>,
}

/// One row of the BIN routing table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// 6 to 8 leading PAN digits; the longest matching prefix wins.
    pub bin: String,
    /// Name of an `[[issuer]]` link.
    pub issuer: String,
}

/// A persistent TLS link to an issuer host.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerLink {
    pub name: String,
    /// `host:port` of the issuer.
    pub address: String,
    /// CA that signs the issuer's server certificate.
    pub ca: PathBuf,
    /// The gateway's client certificate and key for this issuer.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// Requests (and advices) outstanding on the link at once; beyond it the terminal gets 96.
    #[serde(default = "default_in_flight_max")]
    pub in_flight_max: usize,
    /// How long the issuer has to answer before the terminal gets 91 and a 0420 is queued.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// An idle link is tested with an 0800 echo (70 = 301) this often.
    #[serde(default = "default_echo_interval_s")]
    pub echo_interval_s: u64,
    /// The zone key-encryption key (usage K0) shared with this issuer: after each sign-on the
    /// gateway asks for a new zone PIN key (0800, 70 = 161), delivered as a TR-31 block under
    /// it. Without one, the zone PIN key set up in the HSM (`zpk.NAME.000000`) stays.
    #[serde(default)]
    pub zmk: Option<String>,
}

fn default_in_flight_max() -> usize {
    64
}
fn default_request_timeout_ms() -> u64 {
    8_000
}
fn default_echo_interval_s() -> u64 {
    30
}
fn default_listen() -> String {
    "127.0.0.1:8583".to_string()
}
fn default_journal() -> PathBuf {
    PathBuf::from("gateway.journal")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "default_listen")]
    listen: String,
    acquirer_id: String,
    #[serde(default = "default_journal")]
    journal: PathBuf,
    tls: ServerTls,
    #[serde(default)]
    limits: Limits,
    #[serde(default, rename = "terminal")]
    terminals: Vec<RawTerminal>,
    #[serde(default, rename = "route")]
    routes: Vec<RawRoute>,
    #[serde(default, rename = "issuer")]
    issuers: Vec<IssuerLink>,
    #[serde(default)]
    maintenance: bool,
    #[serde(default)]
    security: Option<Security>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerminal {
    id: String,
    merchant_id: String,
    cert_cn: Option<String>,
    cert_sha256: Option<String>,
    #[serde(default)]
    bdk: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    bin: String,
    issuer: String,
}

/// Right-pads `value` with spaces to the fixed width of its field, refusing what cannot travel.
fn fixed_ans(key: &str, value: &str, width: usize) -> Result<String, ConfigError> {
    if value.is_empty() || value.len() > width {
        return Err(invalid(key, format!("must be 1 to {width} characters")));
    }
    if value.starts_with(' ') || value.ends_with(' ') {
        return Err(invalid(
            key,
            "must not start or end with a space (padding is added)",
        ));
    }
    if !value.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
        return Err(invalid(key, "must be printable ASCII"));
    }
    Ok(format!("{value:<width$}"))
}

/// Reads a SHA-256 fingerprint written as 64 hex digits, optionally with `:` between bytes.
fn parse_sha256(key: &str, text: &str) -> Result<[u8; 32], ConfigError> {
    let digits: String = text.chars().filter(|c| *c != ':').collect();
    let bytes = iso8583::hex::decode(&digits)
        .map_err(|e| invalid(key, format!("not a hex fingerprint: {e}")))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        invalid(
            key,
            format!("a SHA-256 fingerprint is 32 bytes, found {}", bytes.len()),
        )
    })
}

fn check_address(key: &str, address: &str) -> Result<(), ConfigError> {
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| invalid(key, "must be host:port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(invalid(key, "host is empty or has spaces"));
    }
    match port.parse::<u16>() {
        Ok(p) if p != 0 => Ok(()),
        _ => Err(invalid(key, format!("port {port:?} is not 1-65535"))),
    }
}

impl Limits {
    fn check(&self) -> Result<(), ConfigError> {
        let positive: [(&str, u64); 7] = [
            (
                "pending_per_terminal_max",
                self.pending_per_terminal_max as u64,
            ),
            ("pending_total_max", self.pending_total_max as u64),
            ("reversal_queue_max", self.reversal_queue_max as u64),
            (
                "reversal_attempts_max",
                u64::from(self.reversal_attempts_max),
            ),
            (
                "reversal_backoff_initial_ms",
                self.reversal_backoff_initial_ms,
            ),
            ("reversal_backoff_max_ms", self.reversal_backoff_max_ms),
            ("batch_transactions_max", self.batch_transactions_max as u64),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(invalid(format!("limits.{name}"), "must be at least 1"));
            }
        }
        if self.reversal_backoff_initial_ms > self.reversal_backoff_max_ms {
            return Err(invalid(
                "limits.reversal_backoff_initial_ms",
                "must not exceed limits.reversal_backoff_max_ms",
            ));
        }
        Ok(())
    }
}

impl Config {
    /// Reads and checks a configuration.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        raw.check()
    }

    /// The allow-listed terminal whose field 41 is `id` (padded form, as on the wire).
    pub fn terminal(&self, id: &str) -> Option<&Terminal> {
        self.terminals.iter().find(|t| t.id == id)
    }

    /// The issuer link named `name`.
    pub fn issuer(&self, name: &str) -> Option<&IssuerLink> {
        self.issuers.iter().find(|i| i.name == name)
    }

    /// The terminal id (padded) a client certificate speaks for, from its subject common name
    /// and the SHA-256 of its DER encoding; `None` when no terminal is bound to it.
    pub fn terminal_for_certificate(&self, cn: Option<&str>, sha256: &[u8; 32]) -> Option<&str> {
        self.terminals
            .iter()
            .find(|t| {
                let cn_ok = match (&t.certificate.cn, cn) {
                    (Some(want), Some(got)) => want == got,
                    (Some(_), None) => false,
                    (None, _) => true,
                };
                let fp_ok = t.certificate.sha256.is_none_or(|want| &want == sha256);
                cn_ok && fp_ok
            })
            .map(|t| t.id.as_str())
    }

    /// A commented configuration showing every key; what it says is what [`Config::from_toml`]
    /// reads (a test holds the two together).
    pub fn example() -> String {
        EXAMPLE.to_string()
    }
}

impl RawConfig {
    fn check(self) -> Result<Config, ConfigError> {
        let listen: SocketAddr = self
            .listen
            .parse()
            .map_err(|_| invalid("listen", format!("{:?} is not ip:port", self.listen)))?;
        let a = &self.acquirer_id;
        if a.is_empty() || a.len() > ACQUIRER_ID_LEN_MAX || !a.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "acquirer_id",
                format!("must be 1 to {ACQUIRER_ID_LEN_MAX} digits (field 32)"),
            ));
        }
        self.limits.check()?;

        let mut issuers: Vec<IssuerLink> = Vec::with_capacity(self.issuers.len());
        for (i, link) in self.issuers.into_iter().enumerate() {
            let key = |k: &str| format!("issuer[{i}].{k}");
            if link.name.is_empty() || link.name.contains(char::is_whitespace) {
                return Err(invalid(key("name"), "must be a word without spaces"));
            }
            if issuers.iter().any(|l| l.name == link.name) {
                return Err(invalid(
                    key("name"),
                    format!("{:?} is used twice", link.name),
                ));
            }
            check_address(&key("address"), &link.address)?;
            if link.in_flight_max == 0 {
                return Err(invalid(key("in_flight_max"), "must be at least 1"));
            }
            if !(1..=600_000).contains(&link.request_timeout_ms) {
                return Err(invalid(key("request_timeout_ms"), "must be 1 to 600000"));
            }
            if !(1..=86_400).contains(&link.echo_interval_s) {
                return Err(invalid(key("echo_interval_s"), "must be 1 to 86400"));
            }
            issuers.push(link);
        }

        let mut routes: Vec<Route> = Vec::with_capacity(self.routes.len());
        for (i, r) in self.routes.into_iter().enumerate() {
            let len = r.bin.len();
            if !(BIN_LEN_MIN..=BIN_LEN_MAX).contains(&len)
                || !r.bin.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(invalid(
                    format!("route[{i}].bin"),
                    format!("must be {BIN_LEN_MIN} to {BIN_LEN_MAX} digits"),
                ));
            }
            if routes.iter().any(|o| o.bin == r.bin) {
                return Err(invalid(
                    format!("route[{i}].bin"),
                    format!("{} is routed twice", r.bin),
                ));
            }
            if !issuers.iter().any(|l| l.name == r.issuer) {
                return Err(invalid(
                    format!("route[{i}].issuer"),
                    format!("no [[issuer]] is named {:?}", r.issuer),
                ));
            }
            routes.push(Route {
                bin: r.bin,
                issuer: r.issuer,
            });
        }

        let mut terminals: Vec<Terminal> = Vec::with_capacity(self.terminals.len());
        let mut bindings: HashSet<(Option<String>, Option<[u8; 32]>)> = HashSet::new();
        for (i, t) in self.terminals.into_iter().enumerate() {
            let key = |k: &str| format!("terminal[{i}].{k}");
            let id = fixed_ans(&key("id"), &t.id, TERMINAL_ID_LEN)?;
            if terminals.iter().any(|o| o.id == id) {
                return Err(invalid(key("id"), format!("{:?} is listed twice", t.id)));
            }
            let merchant_id = fixed_ans(&key("merchant_id"), &t.merchant_id, MERCHANT_ID_LEN)?;
            let sha256 = match &t.cert_sha256 {
                Some(text) => Some(parse_sha256(&key("cert_sha256"), text)?),
                None => None,
            };
            if t.cert_cn.as_deref() == Some("") {
                return Err(invalid(key("cert_cn"), "must not be empty"));
            }
            // Without an explicit binding, the certificate's CN must be the terminal id.
            let cn = match (t.cert_cn, sha256) {
                (Some(cn), _) => Some(cn),
                (None, Some(_)) => None,
                (None, None) => Some(t.id.clone()),
            };
            if !bindings.insert((cn.clone(), sha256)) {
                return Err(invalid(
                    key("cert_cn"),
                    "the same certificate binding is given to two terminals",
                ));
            }
            if t.bdk.as_deref() == Some("") {
                return Err(invalid(key("bdk"), "must not be empty"));
            }
            terminals.push(Terminal {
                bdk: t.bdk,
                id,
                merchant_id,
                certificate: CertBinding { cn, sha256 },
            });
        }

        Ok(Config {
            listen,
            acquirer_id: self.acquirer_id,
            journal_path: self.journal,
            tls: self.tls,
            limits: self.limits,
            terminals,
            routes,
            issuers,
            maintenance: self.maintenance,
            security: self.security,
        })
    }
}

const EXAMPLE: &str = r#"# posnet gateway configuration. Keys marked (default ...) may be left out.

# Where terminals connect: TLS 1.3 with client certificates. (default "127.0.0.1:8583")
listen = "127.0.0.1:8583"
# Field 32, the acquiring institution id set on every forwarded message: 1-11 digits.
acquirer_id = "10000000001"
# Append-only journal of reversal advices and batch totals, fsynced. (default "gateway.journal")
journal = "gateway.journal"
# Maintenance: every terminal request (echo and sign-on too) is answered 90. (default false)
maintenance = false

[tls]
cert = "certs/gateway.crt"            # PEM chain the gateway presents to terminals
key = "certs/gateway.key"             # its private key (PKCS#8 PEM)
terminal_ca = "certs/terminal-ca.crt" # CA that signs terminal client certificates

[limits]
pending_per_terminal_max = 8          # requests of one terminal awaiting an issuer (default 8)
pending_total_max = 4096              # of all terminals (default 4096); beyond: response 96
reversal_queue_max = 10000            # 0420 advices awaiting 0430 (default 10000)
reversal_attempts_max = 30            # sends of one 0420 before it is given up (default 30)
reversal_backoff_initial_ms = 1000    # first wait after an unanswered 0420 (default 1000)
reversal_backoff_max_ms = 300000      # the wait doubles up to this (default 300000)
batch_transactions_max = 10000        # approved transactions per terminal batch (default 10000)

# The allow-list. id is field 41 (up to 8 characters), merchant_id field 42 (up to 15);
# both are right-padded with spaces on the wire. The client certificate's subject CN must
# equal the id unless cert_cn or cert_sha256 (SHA-256 of the DER certificate, hex) says else.
[[terminal]]
id = "TERM0001"
merchant_id = "MERCHANT0000001"

[[terminal]]
id = "TERM0002"
merchant_id = "MERCHANT0000001"
bdk = "bdk-tdes"                      # its PIN pad's BDK if not [security].bdk (default none)
cert_cn = "pos-2.shop.example"
# cert_sha256 = "3f:9a:..."           # optional: pin the exact certificate as well (the core
#                                     # checks it; the TLS adapter cannot yet and refuses it)

# PIN translation and MACs (default: none). Every terminal message must then carry its DUKPT
# KSN (field 62) and MAC (64/128), or it is answered 63 and never processed; PIN blocks are
# translated in the HSM to the issuer link's zone PIN key `zpk.LINK.NNNNNN` (newest wins).
[security]
hsm_dir = "hsm"                       # a software HSM (`posnet hsm init`)
bdk = "bdk"                           # DUKPT base derivation key, usage B0 (default "bdk")

# BIN routing: 6-8 leading PAN digits to an issuer link; the longest matching prefix wins.
[[route]]
bin = "476173"
issuer = "issuer-a"

[[route]]
bin = "47617390"
issuer = "issuer-b"

[[issuer]]
name = "issuer-a"
address = "127.0.0.1:9583"
ca = "certs/issuer-ca.crt"            # CA that signs the issuer's certificate
client_cert = "certs/gateway-client.crt"
client_key = "certs/gateway-client.key"
in_flight_max = 64                    # (default 64)
request_timeout_ms = 8000             # then 91 to the terminal and a 0420 (default 8000)
echo_interval_s = 30                  # 0800 echo on an idle link (default 30)
zmk = "zmk.issuer-a"                  # zone KEK shared with the issuer: new zone PIN key at
                                      # each sign-on (0800 161, TR-31) (default none)

[[issuer]]
name = "issuer-b"
address = "issuer-b.example:9583"
ca = "certs/issuer-ca.crt"
client_cert = "certs/gateway-client.crt"
client_key = "certs/gateway-client.key"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> String {
        r#"
acquirer_id = "123"
[tls]
cert = "c"
key = "k"
terminal_ca = "ca"
[[issuer]]
name = "a"
address = "localhost:9000"
ca = "ca"
client_cert = "cc"
client_key = "ck"
[[route]]
bin = "411111"
issuer = "a"
[[terminal]]
id = "T1"
merchant_id = "M1"
"#
        .to_string()
    }

    #[test]
    fn example_parses_to_what_it_says() {
        let c = Config::from_toml(&Config::example()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8583".parse().unwrap());
        assert_eq!(c.acquirer_id, "10000000001");
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.terminals.len(), 2);
        assert_eq!(
            c.terminals[1].certificate.cn.as_deref(),
            Some("pos-2.shop.example")
        );
        assert_eq!(c.routes[1].bin, "47617390");
        let b = c.issuer("issuer-b").unwrap();
        assert_eq!(b.in_flight_max, 64);
        assert_eq!(b.request_timeout_ms, 8000);
        assert_eq!(b.echo_interval_s, 30);
        assert_eq!(c.issuer("issuer-a").unwrap().address, "127.0.0.1:9583");
        assert_eq!(
            c.issuer("issuer-a").unwrap().zmk.as_deref(),
            Some("zmk.issuer-a")
        );
        assert_eq!(b.zmk, None);
        let security = c.security.as_ref().unwrap();
        assert_eq!(security.hsm_dir, PathBuf::from("hsm"));
        assert_eq!(security.bdk, "bdk");
        assert!(!c.maintenance);
    }

    #[test]
    fn defaults_and_padding() {
        let c = Config::from_toml(&minimal()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8583".parse().unwrap());
        assert_eq!(c.journal_path, PathBuf::from("gateway.journal"));
        assert_eq!(c.terminals[0].id, "T1      ");
        assert_eq!(c.terminals[0].merchant_id, "M1             ");
        assert_eq!(c.terminals[0].certificate.cn.as_deref(), Some("T1"));
        assert!(c.terminal("T1      ").is_some());
        assert!(c.terminal("T1").is_none());
    }

    #[test]
    fn certificate_binding() {
        let fp = "AB".repeat(32);
        let text = minimal()
            + &format!(
                "[[terminal]]\nid = \"T2\"\nmerchant_id = \"M1\"\ncert_sha256 = \"{}\"\n\
                 [[terminal]]\nid = \"T3\"\nmerchant_id = \"M1\"\ncert_cn = \"pos3\"\ncert_sha256 = \"{}\"\n",
                fp,
                "cd:".repeat(31) + "cd"
            );
        let c = Config::from_toml(&text).unwrap();
        let ab = [0xAB; 32];
        let cd = [0xCD; 32];
        let other = [0u8; 32];
        assert_eq!(
            c.terminal_for_certificate(Some("T1"), &other),
            Some("T1      ")
        );
        assert_eq!(
            c.terminal_for_certificate(Some("whatever"), &ab),
            Some("T2      ")
        );
        assert_eq!(c.terminal_for_certificate(None, &ab), Some("T2      "));
        assert_eq!(
            c.terminal_for_certificate(Some("pos3"), &cd),
            Some("T3      ")
        );
        // Both parts are required when both are configured.
        assert_eq!(c.terminal_for_certificate(Some("pos3"), &other), None);
        assert_eq!(c.terminal_for_certificate(Some("T3"), &cd), None);
        assert_eq!(c.terminal_for_certificate(None, &other), None);
    }

    fn err(text: &str) -> String {
        Config::from_toml(text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_key() {
        let m = minimal();
        assert_eq!(
            err(&m.replace("acquirer_id = \"123\"", "acquirer_id = \"12a\"")),
            "gateway config: `acquirer_id`: must be 1 to 11 digits (field 32)"
        );
        assert_eq!(
            err(&m.replace("bin = \"411111\"", "bin = \"41111\"")),
            "gateway config: `route[0].bin`: must be 6 to 8 digits"
        );
        assert_eq!(
            err(&m.replace("issuer = \"a\"", "issuer = \"zz\"")),
            "gateway config: `route[0].issuer`: no [[issuer]] is named \"zz\""
        );
        assert_eq!(
            err(&m.replace("id = \"T1\"", "id = \"TERMINAL9\"")),
            "gateway config: `terminal[0].id`: must be 1 to 8 characters"
        );
        assert_eq!(
            err(&m.replace("merchant_id = \"M1\"", "merchant_id = \"M1 \"")),
            "gateway config: `terminal[0].merchant_id`: must not start or end with a space (padding is added)"
        );
        assert_eq!(
            err(&m.replace("localhost:9000", "localhost")),
            "gateway config: `issuer[0].address`: must be host:port"
        );
        assert_eq!(
            err(&(m.clone()
                + "[limits]\nreversal_backoff_initial_ms = 5\nreversal_backoff_max_ms = 4\n")),
            "gateway config: `limits.reversal_backoff_initial_ms`: must not exceed limits.reversal_backoff_max_ms"
        );
        assert_eq!(
            err(&(m.clone() + "[[terminal]]\nid = \"T1\"\nmerchant_id = \"M2\"\n")),
            "gateway config: `terminal[1].id`: \"T1\" is listed twice"
        );
        assert_eq!(
            err(&(m.clone()
                + "[[terminal]]\nid = \"T9\"\nmerchant_id = \"M2\"\ncert_sha256 = \"abcd\"\n")),
            "gateway config: `terminal[1].cert_sha256`: a SHA-256 fingerprint is 32 bytes, found 2"
        );
        // Serde's own errors name the key too.
        let typo = err(&m.replace("listen", "x").replace("acquirer_id", "acquirer"));
        assert!(typo.contains("acquirer"), "{typo}");
        let wrong_type = err(&(m.clone() + "[limits]\npending_total_max = \"many\"\n"));
        assert!(wrong_type.contains("pending_total_max"), "{wrong_type}");
    }
}
