//! Amounts in minor units with their ISO 4217 currency, formatted with integer arithmetic only.

use std::fmt;

/// An ISO 4217 currency: alphabetic code, numeric code (as ISO 8583 field 49 carries it) and
/// minor-unit exponent (the number of decimals).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency {
    alpha: &'static str,
    numeric: u16,
    exponent: u8,
}

impl Currency {
    pub const USD: Currency = Currency::iso("USD", 840, 2);
    pub const EUR: Currency = Currency::iso("EUR", 978, 2);
    pub const GBP: Currency = Currency::iso("GBP", 826, 2);
    pub const JPY: Currency = Currency::iso("JPY", 392, 0);
    pub const CNY: Currency = Currency::iso("CNY", 156, 2);
    pub const KWD: Currency = Currency::iso("KWD", 414, 3);
    pub const CAD: Currency = Currency::iso("CAD", 124, 2);
    pub const AUD: Currency = Currency::iso("AUD", 36, 2);
    pub const CHF: Currency = Currency::iso("CHF", 756, 2);
    pub const INR: Currency = Currency::iso("INR", 356, 2);
    pub const KRW: Currency = Currency::iso("KRW", 410, 0);
    pub const BHD: Currency = Currency::iso("BHD", 48, 3);

    /// Every currency this crate knows (codes and exponents from the ISO 4217 list).
    pub const KNOWN: &'static [Currency] = &[
        Currency::USD,
        Currency::EUR,
        Currency::GBP,
        Currency::JPY,
        Currency::CNY,
        Currency::KWD,
        Currency::CAD,
        Currency::AUD,
        Currency::CHF,
        Currency::INR,
        Currency::KRW,
        Currency::BHD,
    ];

    const fn iso(alpha: &'static str, numeric: u16, exponent: u8) -> Currency {
        Currency {
            alpha,
            numeric,
            exponent,
        }
    }

    /// By alphabetic code, e.g. `"EUR"` (upper case, as ISO 4217 writes it).
    pub fn from_alpha(alpha: &str) -> Option<Currency> {
        Currency::KNOWN.iter().copied().find(|c| c.alpha == alpha)
    }

    /// By numeric code, e.g. `978`.
    pub fn from_numeric(numeric: u16) -> Option<Currency> {
        Currency::KNOWN
            .iter()
            .copied()
            .find(|c| c.numeric == numeric)
    }

    pub fn alpha(&self) -> &'static str {
        self.alpha
    }

    pub fn numeric(&self) -> u16 {
        self.numeric
    }

    /// The numeric code as three digits, as ISO 8583 field 49 carries it (`"036"`).
    pub fn numeric_str(&self) -> String {
        format!("{:03}", self.numeric)
    }

    /// Decimals of the minor unit: 2 for USD, 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }
}

/// An amount in the currency's minor unit (cents for USD, yen for JPY, fils for KWD).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Amount {
    pub minor: u64,
    pub currency: Currency,
}

impl Amount {
    pub fn new(minor: u64, currency: Currency) -> Amount {
        Amount { minor, currency }
    }

    /// The amount in major units with the currency's decimals: `"12.34"`, `"1234"`, `"1.234"`.
    pub fn major_str(&self) -> String {
        format_minor(self.minor, self.currency.exponent)
    }
}

/// `"USD 12.34"`.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency.alpha, self.major_str())
    }
}

/// Formats `minor` units with `exponent` decimals, no grouping: `(5, 2)` is `"0.05"`.
pub fn format_minor(minor: u64, exponent: u8) -> String {
    let digits = minor.to_string();
    let decimals = usize::from(exponent);
    if decimals == 0 {
        return digits;
    }
    // Left-pad with zeros so there is at least one digit before the point.
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    format!("{whole}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_exponent() {
        assert_eq!(format_minor(0, 2), "0.00");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(1234, 2), "12.34");
        assert_eq!(format_minor(100, 2), "1.00");
        assert_eq!(format_minor(1234, 0), "1234");
        assert_eq!(format_minor(0, 0), "0");
        assert_eq!(format_minor(1234, 3), "1.234");
        assert_eq!(format_minor(5, 3), "0.005");
        assert_eq!(format_minor(u64::MAX, 2), "184467440737095516.15");
        assert_eq!(format_minor(7, 25).len(), 27);
    }

    #[test]
    fn display_uses_alpha_code() {
        assert_eq!(Amount::new(1234, Currency::USD).to_string(), "USD 12.34");
        assert_eq!(Amount::new(1234, Currency::JPY).to_string(), "JPY 1234");
        assert_eq!(Amount::new(1234, Currency::KWD).to_string(), "KWD 1.234");
        assert_eq!(Amount::new(99, Currency::EUR).to_string(), "EUR 0.99");
    }

    #[test]
    fn lookups() {
        assert_eq!(Currency::from_alpha("GBP"), Some(Currency::GBP));
        assert_eq!(Currency::from_numeric(156), Some(Currency::CNY));
        assert_eq!(Currency::from_numeric(999), None);
        assert_eq!(Currency::from_alpha("usd"), None);
        assert_eq!(Currency::AUD.numeric_str(), "036");
        let mut seen = std::collections::HashSet::new();
        assert!(Currency::KNOWN.iter().all(|c| seen.insert(c.numeric)));
    }
}
