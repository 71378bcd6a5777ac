//! Card profiles: what a card is (PAN, dates, application, risk parameters, ODA method,
//! transport) in TOML. Six are shipped under `profiles/`.

use serde::{Deserialize, Serialize};

use crate::error::ProfileError;

/// The shipped profiles, by name: (name, TOML text).
pub const SHIPPED: [(&str, &str); 6] = [
    (
        "online-debit",
        include_str!("../profiles/online-debit.toml"),
    ),
    (
        "offline-credit",
        include_str!("../profiles/offline-credit.toml"),
    ),
    ("offline-pin", include_str!("../profiles/offline-pin.toml")),
    ("expired", include_str!("../profiles/expired.toml")),
    ("blocked", include_str!("../profiles/blocked.toml")),
    (
        "tampered-cert",
        include_str!("../profiles/tampered-cert.toml"),
    ),
];

/// Offline data authentication method the card supports (AIP bits and the data it carries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OdaMethod {
    /// None: no certificates on the card.
    None,
    /// Static data authentication: signed static application data (tag 93).
    Sda,
    /// Dynamic data authentication: ICC key, INTERNAL AUTHENTICATE.
    Dda,
    /// Combined DDA/AC generation: DDA plus a signature in GENERATE AC.
    Cda,
}

/// Transmission protocol announced in the ATR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Transport {
    /// Character protocol: the card answers 61xx / 6Cxx and waits for GET RESPONSE.
    T0,
    /// Block protocol: responses come whole.
    T1,
}

/// Padding of the cryptogram input (ISO/IEC 9797-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AcPadding {
    /// Method 1 (zeros).
    Method1,
    /// Method 2 (80 then zeros).
    Method2,
}

/// What to spoil after signing, to make a card whose ODA must fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tamper {
    /// Nothing.
    None,
    /// One byte of the ICC public key certificate (9F46) flipped.
    IccCertificate,
    /// One byte of the issuer public key certificate (90) flipped.
    IssuerCertificate,
}

/// A card profile.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short name (also the ICC key's name in the key set).
    pub name: String,
    /// One line for `posnet card profiles`.
    pub description: String,
    /// Primary account number (PAN, tag 5A), digits.
    pub pan: String,
    /// PAN sequence number (PSN, tag 5F34).
    pub psn: u8,
    /// Application expiration date (5F24), YYMMDD.
    pub expiry: String,
    /// Application effective date (5F25), YYMMDD.
    pub effective: String,
    /// Cardholder name (5F20).
    pub cardholder_name: String,
    /// Service code (5F30), three digits.
    pub service_code: String,
    /// Application identifier (AID, 4F/84), hex.
    pub aid: String,
    /// Application label (50).
    pub label: String,
    /// Application priority indicator (87).
    pub priority: u8,
    /// Whether the card has a PSE (1PAY.SYS.DDF01).
    pub pse: bool,
    /// Transmission protocol.
    pub transport: Transport,
    /// Issuer country code (5F28), numeric.
    pub country: u16,
    /// Application currency code (9F42), numeric.
    pub currency: u16,
    /// Application usage control (AUC, 9F07), hex.
    pub auc: String,
    /// CVM list (8E), hex: X, Y amounts then the rules.
    pub cvm_list: String,
    /// Issuer action code — default (9F0D), hex.
    pub iac_default: String,
    /// Issuer action code — denial (9F0E), hex.
    pub iac_denial: String,
    /// Issuer action code — online (9F0F), hex.
    pub iac_online: String,
    /// Processing options data object list (PDOL, 9F38), hex; empty for none.
    pub pdol: String,
    /// Card risk management DOL 1 (CDOL1, 8C), hex.
    pub cdol1: String,
    /// Card risk management DOL 2 (CDOL2, 8D), hex.
    pub cdol2: String,
    /// Dynamic data authentication DOL (DDOL, 9F49), hex.
    pub ddol: String,
    /// Offline data authentication method.
    pub oda: OdaMethod,
    /// Whether the AIP asks for cardholder verification.
    pub cardholder_verification: bool,
    /// Whether the AIP asks for terminal risk management.
    pub terminal_risk_management: bool,
    /// Whether the card supports issuer authentication (EXTERNAL AUTHENTICATE).
    pub issuer_authentication: bool,
    /// Offline plaintext PIN (digits); `None` for a card without an offline PIN.
    pub pin: Option<String>,
    /// PIN try limit (the counter's starting value).
    pub pin_try_limit: u8,
    /// Whether the card may approve offline (answer TC to a TC request).
    pub offline_capable: bool,
    /// Lower consecutive offline limit (LCOL, 9F14).
    pub lcol: u8,
    /// Upper consecutive offline limit (UCOL, 9F23).
    pub ucol: u8,
    /// Cryptogram padding.
    pub padding: AcPadding,
    /// Cryptogram version number carried in the IAD.
    pub cvn: u8,
    /// Whether the application starts blocked.
    pub blocked: bool,
    /// Certificate spoiled after signing.
    pub tamper: Tamper,
    /// Certificates' expiry, MMYY.
    pub cert_expiry: String,
}

impl core::fmt::Debug for Profile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("pan", &crate::masked_pan(&self.pan))
            .field("aid", &self.aid)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl Profile {
    /// Parses a profile from TOML.
    pub fn from_toml(name: &str, text: &str) -> Result<Self, ProfileError> {
        toml::from_str(text).map_err(|e| ProfileError::Toml {
            name: name.to_string(),
            reason: e.to_string(),
        })
    }

    /// One of the shipped profiles.
    pub fn shipped(name: &str) -> Result<Self, ProfileError> {
        let (_, text) = SHIPPED
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ProfileError::Unknown(name.to_string()))?;
        Self::from_toml(name, text)
    }

    /// All shipped profiles.
    pub fn all_shipped() -> Result<Vec<Self>, ProfileError> {
        SHIPPED.iter().map(|(n, t)| Self::from_toml(n, t)).collect()
    }
}
