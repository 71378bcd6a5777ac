//! What the dictionary says about one data element.

use crate::tlv::Tag;

/// Data element formats of EMV Book 3, section 4.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `a`: alphabetic (a-z, A-Z), one character per byte.
    A,
    /// `an`: alphanumeric, one character per byte.
    An,
    /// `ans`: alphanumeric and special (ISO/IEC 8859 common set), one character per byte.
    Ans,
    /// `b`: binary; also used here for templates and for Annex A's "var." elements.
    B,
    /// `cn`: compressed numeric: BCD digits, left justified, padded on the right with `F`.
    Cn,
    /// `n`: numeric: BCD digits, right justified, padded on the left with `0`.
    N,
}

/// Length of a value in bytes, as Annex A gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Length {
    /// Exactly this many bytes.
    Fixed(usize),
    /// From `min` to `max` bytes, both included ("var. up to N" is `0..=N`).
    Range {
        /// Fewest bytes.
        min: usize,
        /// Most bytes.
        max: usize,
    },
}

impl Length {
    /// True when a value of `len` bytes has an allowed length.
    pub fn allows(self, len: usize) -> bool {
        match self {
            Length::Fixed(n) => len == n,
            Length::Range { min, max } => (min..=max).contains(&len),
        }
    }

    /// Most bytes allowed.
    pub fn max(self) -> usize {
        match self {
            Length::Fixed(n) => n,
            Length::Range { max, .. } => max,
        }
    }
}

/// Who provides the data element (Annex A's "Source" column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The card.
    Icc,
    /// The terminal.
    Terminal,
    /// The issuer, in the authorisation response.
    Issuer,
    /// The issuer, or the terminal when it decides alone (tag `8A`).
    IssuerOrTerminal,
}

/// How a value may be shown in dumps and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sensitivity {
    /// May be shown.
    Clear,
    /// A PAN: first 6 and last 4 digits at most.
    Pan,
    /// Track 1 data: the PAN masked, the rest hidden.
    Track1,
    /// Track 2 data: the PAN masked, the rest hidden.
    Track2,
    /// Never shown (PIN data, card verification values).
    Hidden,
}

/// One entry of the data element dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagInfo {
    /// The tag.
    pub tag: Tag,
    /// The name as the standard spells it.
    pub name: &'static str,
    /// Value format.
    pub format: Format,
    /// Value length in bytes.
    pub length: Length,
    /// Who provides it.
    pub source: Source,
    /// How it may be shown.
    pub sensitivity: Sensitivity,
}
