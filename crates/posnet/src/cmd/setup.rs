//! A network's data folder: its own CA and certificates, and the TOML configs of the issuer,
//! the gateway and the terminals, with test cards and merchants — everything `posnet up` and
//! `posnet demo` need, made on first use.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};

/// The terminals a data folder is made with.
pub const TERMINALS: &[&str] = &["TERM0001", "TERM0002"];
/// The identity the gateway shows the issuer (mutual TLS on the second hop).
pub const GATEWAY_ID: &str = "GATEWAY1";
/// The merchant every demo terminal belongs to.
pub const MERCHANT_ID: &str = "MERCHANT0000001";

/// A test card: name, PAN, expiry YYMM, issuer status, opening balance (cents), daily limit.
pub struct TestCard {
    pub name: &'static str,
    pub pan: &'static str,
    pub expiry: &'static str,
    pub status: &'static str,
    pub balance_minor: u64,
    pub daily_limit_minor: u64,
    /// The issuer script its chip authorisations carry: command and template (71 or 72).
    pub script: Option<(&'static str, u8)>,
}

/// The issuer's cards (BIN 476173, euro). `unknown` is not the issuer's: its BIN has no route.
pub const CARDS: &[TestCard] = &[
    TestCard {
        name: "alice",
        pan: "4761739001010010",
        expiry: "3012",
        status: "active",
        balance_minor: 100_000,
        daily_limit_minor: 50_000,
        script: None,
    },
    TestCard {
        name: "bob",
        pan: "4761739001010028",
        expiry: "3012",
        status: "active",
        balance_minor: 2_000,
        daily_limit_minor: 50_000,
        script: None,
    },
    TestCard {
        name: "carol-expired",
        pan: "4761739001010036",
        expiry: "2401",
        status: "active",
        balance_minor: 50_000,
        daily_limit_minor: 50_000,
        script: None,
    },
    TestCard {
        name: "dave-stolen",
        pan: "4761739001010044",
        expiry: "3012",
        status: "stolen",
        balance_minor: 50_000,
        daily_limit_minor: 50_000,
        script: None,
    },
    TestCard {
        name: "erin",
        pan: "4761739001010051",
        expiry: "3012",
        status: "active",
        balance_minor: 1_000_000,
        daily_limit_minor: 1_000_000,
        script: None,
    },
    // A chip card the issuer blocks after fraud: its next online authorisation is declined
    // (05) and a 72 script blocks the application once the card has decided.
    TestCard {
        name: "frank-fraud",
        pan: "4761739001010069",
        expiry: "3012",
        status: "blocked",
        balance_minor: 50_000,
        daily_limit_minor: 50_000,
        script: Some(("application-block", 72)),
    },
    // A chip card the issuer approves while blocking it before the card's final decision
    // (71): the card declines what the host approved, and the terminal reverses.
    TestCard {
        name: "grace-compromised",
        pan: "4761739001010077",
        expiry: "3012",
        status: "active",
        balance_minor: 50_000,
        daily_limit_minor: 50_000,
        script: Some(("application-block", 71)),
    },
];
/// A card whose BIN no route knows.
pub const UNKNOWN_CARD: (&str, &str, &str) = ("unknown", "5413330089010434", "2712");

/// Extra cards and terminals for `posnet bench`, set once by `posnet up` before the folder's
/// configs are written (a global so the shared config writers keep their signatures).
static BENCH_EXTRAS: OnceLock<BenchExtras> = OnceLock::new();

/// How many bench cards (`bench-00001`…) and bench terminals (`BENCH001`…) a folder gets.
#[derive(Clone, Copy, Debug, Default)]
pub struct BenchExtras {
    pub cards: u32,
    pub terminals: u32,
}

/// A bench card's opening balance and daily limit: large enough that a long run never runs
/// out of money (10^10 euro).
pub const BENCH_CARD_FUNDS_MINOR: u64 = 1_000_000_000_000;
/// Bench card expiry (YYMM).
pub const BENCH_CARD_EXPIRY: &str = "3012";
/// Most bench terminals: ids are `BENCH` and three digits (field 41 is 8 characters).
pub const BENCH_TERMINALS_MAX: u32 = 999;

/// Sets the bench extras of the configs written from now on (first call wins).
pub fn set_bench_extras(extras: BenchExtras) {
    let _ = BENCH_EXTRAS.set(extras);
}

fn bench_extras() -> BenchExtras {
    BENCH_EXTRAS.get().copied().unwrap_or_default()
}

/// The name of bench card `n` (1-based).
pub fn bench_card_name(n: u32) -> String {
    format!("bench-{n:05}")
}

/// The PAN of bench card `n`: BIN 476173, `8`, `n` in eight digits, Luhn check digit.
pub fn bench_card_pan(n: u32) -> String {
    let body = format!("4761738{n:08}");
    format!("{body}{}", luhn_check_digit(&body))
}

/// The Luhn (ISO/IEC 7812-1) check digit to append to `body` (decimal digits).
pub fn luhn_check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .filter(|b| b.is_ascii_digit())
        .map(|b| u32::from(b - b'0'))
        .enumerate()
        .map(|(i, d)| {
            // Starting from the digit next to the check digit, every other one is doubled.
            if i % 2 == 0 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// The id of bench terminal `n` (1-based).
pub fn bench_terminal_id(n: u32) -> String {
    format!("BENCH{n:03}")
}

/// Issues the certificates of `ids` that the folder's PKI lacks, with its own CA.
pub fn ensure_terminal_certs(layout: &Layout, ids: &[String]) -> Result<()> {
    crate::cmd::keys::ensure(layout, ids)?;
    let pki = link::PkiDir::new(&layout.pki());
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !pki.terminal_cert(id).exists())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let ca = link::Authority::load(&layout.pki())
        .with_context(|| format!("loading the CA in {}", layout.pki().display()))?;
    for id in missing {
        pki.add_terminal(&ca, id)
            .with_context(|| format!("issuing a certificate for terminal {id}"))?;
    }
    Ok(())
}

/// Where things live in a data folder.
pub struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    pub fn new(dir: &Path) -> Layout {
        Layout {
            dir: dir.to_path_buf(),
        }
    }
    pub fn pki(&self) -> PathBuf {
        self.dir.join("pki")
    }
    pub fn issuer_config(&self) -> PathBuf {
        self.dir.join("issuer.toml")
    }
    pub fn gateway_config(&self) -> PathBuf {
        self.dir.join("gateway.toml")
    }
    pub fn terminal_config(&self, id: &str) -> PathBuf {
        self.dir.join(format!("terminal-{id}.toml"))
    }
}

/// Makes the CA and certificates, and the keys (see [`crate::cmd::keys`]), unless the folder
/// has them already.
pub fn ensure_pki(layout: &Layout) -> Result<()> {
    crate::cmd::keys::ensure(
        layout,
        &TERMINALS.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
    )?;
    let pki = link::PkiDir::new(&layout.pki());
    if pki.ca_cert().exists() {
        return Ok(());
    }
    let mut ids: Vec<&str> = TERMINALS.to_vec();
    ids.push(GATEWAY_ID);
    pki.create("posnet demo CA", &["localhost", "127.0.0.1"], &ids)
        .with_context(|| format!("creating certificates in {}", layout.pki().display()))?;
    Ok(())
}

/// The issuer's config: its listener, ledger folder, BIN, cards and the merchant.
pub fn issuer_toml(listen: &str) -> String {
    let mut s = format!(
        "# posnet issuer (made by posnet; edit freely). `posnet issuer --print-config` explains every key.\n\
         listen = \"{listen}\"\ndata_dir = \"issuer-data\"\ninstitution_id = \"476173\"\nbin_ranges = [\"476173\"]\n\n\
         [tls]\ncert = \"pki/server.pem\"\nkey = \"pki/server.key\"\nclient_ca = \"pki/ca.pem\"\n\n\
         [security]\nhsm_dir = \"{}\"\npin_tries_max = {}\n",
        crate::cmd::keys::ISSUER_HSM,
        crate::cmd::keys::PIN_TRIES_MAX,
    );
    for c in CARDS {
        s.push_str(&format!(
            "\n[[card]]\nname = \"{}\"\npan = \"{}\"\nexpiry = \"{}\"\nstatus = \"{}\"\ncurrency = 978\nopening_balance_minor = {}\ndaily_limit_minor = {}\n",
            c.name, c.pan, c.expiry, c.status, c.balance_minor, c.daily_limit_minor
        ));
        if let Some(pvv) = crate::cmd::keys::pvv_of(c.name) {
            s.push_str(&format!(
                "pvv = \"{pvv}\"\npvki = {}\n",
                crate::cmd::keys::PVKI
            ));
        }
        if let Some((command, template)) = c.script {
            s.push_str(&format!(
                "script = \"{command}\"\nscript_template = {template}\n"
            ));
        }
    }
    for n in 1..=bench_extras().cards {
        s.push_str(&format!(
            "\n[[card]]\nname = \"{}\"\npan = \"{}\"\nexpiry = \"{BENCH_CARD_EXPIRY}\"\nstatus = \"active\"\ncurrency = 978\nopening_balance_minor = {BENCH_CARD_FUNDS_MINOR}\ndaily_limit_minor = {BENCH_CARD_FUNDS_MINOR}\n",
            bench_card_name(n),
            bench_card_pan(n)
        ));
    }
    s.push_str(&format!(
        "\n[[merchant]]\nid = \"{MERCHANT_ID}\"\nname = \"posnet demo shop\"\n"
    ));
    s
}

/// The gateway's config: its listener, the terminals it accepts, and one issuer link.
pub fn gateway_toml(listen: &str, issuer_addr: &str, request_timeout_ms: u64) -> String {
    let mut s = format!(
        "# posnet gateway (made by posnet; edit freely).\n\
         listen = \"{listen}\"\nacquirer_id = \"10000000001\"\njournal = \"gateway-data/gateway.journal\"\n\n\
         [tls]\ncert = \"pki/server.pem\"\nkey = \"pki/server.key\"\nterminal_ca = \"pki/ca.pem\"\n\n\
         [security]\nhsm_dir = \"{}\"\nbdk = \"{}\"\n",
        crate::cmd::keys::GATEWAY_HSM,
        crate::cmd::keys::BDK,
    );
    for id in TERMINALS {
        s.push_str(&format!(
            "\n[[terminal]]\nid = \"{id}\"\nmerchant_id = \"{MERCHANT_ID}\"\n"
        ));
        if crate::cmd::keys::bdk_of(id) != crate::cmd::keys::BDK {
            s.push_str(&format!("bdk = \"{}\"\n", crate::cmd::keys::bdk_of(id)));
        }
    }
    for n in 1..=bench_extras().terminals {
        s.push_str(&format!(
            "\n[[terminal]]\nid = \"{}\"\nmerchant_id = \"{MERCHANT_ID}\"\n",
            bench_terminal_id(n)
        ));
    }
    s.push_str(&format!(
        "\n[[route]]\nbin = \"476173\"\nissuer = \"demo-issuer\"\n\n\
         [[issuer]]\nname = \"demo-issuer\"\naddress = \"{issuer_addr}\"\nca = \"pki/ca.pem\"\n\
         client_cert = \"pki/terminals/{GATEWAY_ID}.pem\"\nclient_key = \"pki/terminals/{GATEWAY_ID}.key\"\n\
         request_timeout_ms = {request_timeout_ms}\nzmk = \"{}\"\n",
        crate::cmd::keys::zmk_name(crate::cmd::keys::ISSUER_LINK)
    ));
    s
}

/// A terminal's config, with every test card (swiped with a track 2, the unknown one keyed).
pub fn terminal_toml(
    id: &str,
    gateway_addr: &str,
    response_timeout_ms: u64,
    printer: &str,
) -> String {
    let mut s = format!(
        "# posnet terminal {id} (made by posnet; edit freely). `posnet terminal --print-config` explains every key.\n\
         terminal_id = \"{id}\"\nmerchant_id = \"{MERCHANT_ID}\"\nmerchant_name = \"posnet demo shop\"\n\
         currency = \"978\"\ndata_dir = \"terminal-data/{id}\"\nprinter = \"{printer}\"\n\n\
         [gateway]\nprimary = \"{gateway_addr}\"\n\n\
         [tls]\nca = \"pki/ca.pem\"\nclient_cert = \"pki/terminals/{id}.pem\"\nclient_key = \"pki/terminals/{id}.key\"\n\n\
         [timeouts]\nconnect_ms = 5000\nresponse_ms = {response_timeout_ms}\n\n\
         [reversal]\nretry_interval_ms = 200\nretries_max = 3\n\n{}",
        crate::cmd::keys::pinpad_toml(id)
    );
    for c in CARDS {
        s.push_str(&format!(
            "\n[[card]]\nname = \"{}\"\npan = \"{}\"\nexpiry = \"{}\"\ntrack2 = \"{}={}1011000000000000\"\n",
            c.name, c.pan, c.expiry, c.pan, c.expiry
        ));
    }
    for n in 1..=bench_extras().cards {
        let pan = bench_card_pan(n);
        s.push_str(&format!(
            "\n[[card]]\nname = \"{}\"\npan = \"{pan}\"\nexpiry = \"{BENCH_CARD_EXPIRY}\"\ntrack2 = \"{pan}={BENCH_CARD_EXPIRY}1011000000000000\"\n",
            bench_card_name(n)
        ));
    }
    let (name, pan, expiry) = UNKNOWN_CARD;
    s.push_str(&format!(
        "\n[[card]]\nname = \"{name}\"\npan = \"{pan}\"\nexpiry = \"{expiry}\"\nentry = \"keyed\"\n"
    ));
    s
}

/// Writes `text` to `path` unless it exists (a user's edits are kept).
pub fn write_new(path: &Path, text: &str) -> Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(true)
}

/// Writes `text` to `path`, replacing it.
pub fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
