//! Cardholder verification: CVM codes, conditions, the CVM List (tag `8E`) and the CVM
//! Results (tag `9F34`), as EMV Book 3, Annex C3 and section 10.5 define them.

use core::fmt;

use thiserror::Error;

/// Why a CVM List or CVM Results value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CvmError {
    /// CVM Results must be exactly 3 bytes.
    #[error("CVM Results must be 3 bytes, got {actual_len}")]
    ResultsLength {
        /// Bytes given.
        actual_len: usize,
    },
    /// A CVM List needs amounts X and Y (8 bytes) and whole 2-byte rules after them.
    #[error("CVM List of {actual_len} bytes: needs 8 bytes of amounts and then 2-byte rules")]
    ListLength {
        /// Bytes given.
        actual_len: usize,
    },
}

/// The method part (bits 6-1) of a CVM Code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CvmMethod {
    /// `000000`: fail CVM processing.
    FailCvmProcessing,
    /// `000001`: plaintext PIN verification performed by ICC.
    PlaintextPinByIcc,
    /// `000010`: enciphered PIN verified online.
    EncipheredPinOnline,
    /// `000011`: plaintext PIN verification performed by ICC and signature (paper).
    PlaintextPinByIccAndSignature,
    /// `000100`: enciphered PIN verification performed by ICC.
    EncipheredPinByIcc,
    /// `000101`: enciphered PIN verification performed by ICC and signature (paper).
    EncipheredPinByIccAndSignature,
    /// `011110`: signature (paper).
    Signature,
    /// `011111`: no CVM required.
    NoCvmRequired,
    /// `111111`: not a method; in CVM Results it means no CVM was performed.
    NoCvmPerformed,
    /// `000110`..`011101`: reserved for future use by EMV.
    Rfu(u8),
    /// `100000`..`101111`: reserved for the individual payment systems.
    PaymentSystem(u8),
    /// `110000`..`111110`: reserved for the issuer.
    Issuer(u8),
}

impl CvmMethod {
    /// The method of a 6-bit value (higher bits ignored).
    pub fn from_bits(bits: u8) -> CvmMethod {
        match bits & 0x3F {
            0x00 => CvmMethod::FailCvmProcessing,
            0x01 => CvmMethod::PlaintextPinByIcc,
            0x02 => CvmMethod::EncipheredPinOnline,
            0x03 => CvmMethod::PlaintextPinByIccAndSignature,
            0x04 => CvmMethod::EncipheredPinByIcc,
            0x05 => CvmMethod::EncipheredPinByIccAndSignature,
            0x1E => CvmMethod::Signature,
            0x1F => CvmMethod::NoCvmRequired,
            0x3F => CvmMethod::NoCvmPerformed,
            other @ 0x06..=0x1D => CvmMethod::Rfu(other),
            other @ 0x20..=0x2F => CvmMethod::PaymentSystem(other),
            other => CvmMethod::Issuer(other),
        }
    }

    /// True for the methods that need a PIN.
    pub fn needs_pin(self) -> bool {
        matches!(
            self,
            CvmMethod::PlaintextPinByIcc
                | CvmMethod::EncipheredPinOnline
                | CvmMethod::PlaintextPinByIccAndSignature
                | CvmMethod::EncipheredPinByIcc
                | CvmMethod::EncipheredPinByIccAndSignature
        )
    }

    /// True for the methods that need a signature on paper.
    pub fn needs_signature(self) -> bool {
        matches!(
            self,
            CvmMethod::Signature
                | CvmMethod::PlaintextPinByIccAndSignature
                | CvmMethod::EncipheredPinByIccAndSignature
        )
    }
}

impl fmt::Display for CvmMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CvmMethod::FailCvmProcessing => f.write_str("Fail CVM processing"),
            CvmMethod::PlaintextPinByIcc => {
                f.write_str("Plaintext PIN verification performed by ICC")
            }
            CvmMethod::EncipheredPinOnline => f.write_str("Enciphered PIN verified online"),
            CvmMethod::PlaintextPinByIccAndSignature => {
                f.write_str("Plaintext PIN verification performed by ICC and signature (paper)")
            }
            CvmMethod::EncipheredPinByIcc => {
                f.write_str("Enciphered PIN verification performed by ICC")
            }
            CvmMethod::EncipheredPinByIccAndSignature => {
                f.write_str("Enciphered PIN verification performed by ICC and signature (paper)")
            }
            CvmMethod::Signature => f.write_str("Signature (paper)"),
            CvmMethod::NoCvmRequired => f.write_str("No CVM required"),
            CvmMethod::NoCvmPerformed => f.write_str("No CVM performed"),
            CvmMethod::Rfu(bits) => write!(f, "RFU method {bits:02X}"),
            CvmMethod::PaymentSystem(bits) => write!(f, "payment system method {bits:02X}"),
            CvmMethod::Issuer(bits) => write!(f, "issuer method {bits:02X}"),
        }
    }
}

/// A CVM Code byte: the method, and (bit 7) what to do when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CvmCode(pub u8);

impl CvmCode {
    /// Bit 7: when set, apply the next CV Rule if this CVM fails; when clear, fail
    /// cardholder verification.
    const APPLY_SUCCEEDING: u8 = 0x40;

    /// The method (bits 6-1).
    pub fn method(self) -> CvmMethod {
        CvmMethod::from_bits(self.0)
    }

    /// True when a failure moves on to the next CV Rule instead of failing verification.
    pub fn apply_succeeding_if_unsuccessful(self) -> bool {
        self.0 & Self::APPLY_SUCCEEDING != 0
    }
}

impl fmt::Display for CvmCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.method() == CvmMethod::NoCvmPerformed {
            return write!(f, "{}", self.method());
        }
        let on_failure = if self.apply_succeeding_if_unsuccessful() {
            "apply succeeding rule if unsuccessful"
        } else {
            "fail if unsuccessful"
        };
        write!(f, "{} ({on_failure})", self.method())
    }
}

/// A CVM Condition Code (Annex C3, Table 40): when a CV Rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CvmCondition {
    /// `00`: always.
    Always,
    /// `01`: if unattended cash.
    UnattendedCash,
    /// `02`: if not unattended cash and not manual cash and not purchase with cashback.
    NotCashNorCashback,
    /// `03`: if the terminal supports the CVM.
    TerminalSupportsCvm,
    /// `04`: if manual cash.
    ManualCash,
    /// `05`: if purchase with cashback.
    PurchaseWithCashback,
    /// `06`: if in the application currency and under X.
    UnderX,
    /// `07`: if in the application currency and over X.
    OverX,
    /// `08`: if in the application currency and under Y.
    UnderY,
    /// `09`: if in the application currency and over Y.
    OverY,
    /// `0A`..`7F`: RFU.
    Rfu(u8),
    /// `80`..`FF`: reserved for the individual payment systems.
    PaymentSystem(u8),
}

impl CvmCondition {
    /// The condition of a wire byte.
    pub fn from_byte(byte: u8) -> CvmCondition {
        match byte {
            0x00 => CvmCondition::Always,
            0x01 => CvmCondition::UnattendedCash,
            0x02 => CvmCondition::NotCashNorCashback,
            0x03 => CvmCondition::TerminalSupportsCvm,
            0x04 => CvmCondition::ManualCash,
            0x05 => CvmCondition::PurchaseWithCashback,
            0x06 => CvmCondition::UnderX,
            0x07 => CvmCondition::OverX,
            0x08 => CvmCondition::UnderY,
            0x09 => CvmCondition::OverY,
            other @ 0x0A..=0x7F => CvmCondition::Rfu(other),
            other => CvmCondition::PaymentSystem(other),
        }
    }

    /// The wire byte.
    pub fn to_byte(self) -> u8 {
        match self {
            CvmCondition::Always => 0x00,
            CvmCondition::UnattendedCash => 0x01,
            CvmCondition::NotCashNorCashback => 0x02,
            CvmCondition::TerminalSupportsCvm => 0x03,
            CvmCondition::ManualCash => 0x04,
            CvmCondition::PurchaseWithCashback => 0x05,
            CvmCondition::UnderX => 0x06,
            CvmCondition::OverX => 0x07,
            CvmCondition::UnderY => 0x08,
            CvmCondition::OverY => 0x09,
            CvmCondition::Rfu(byte) | CvmCondition::PaymentSystem(byte) => byte,
        }
    }
}

impl fmt::Display for CvmCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CvmCondition::Always => f.write_str("always"),
            CvmCondition::UnattendedCash => f.write_str("if unattended cash"),
            CvmCondition::NotCashNorCashback => f.write_str(
                "if not unattended cash and not manual cash and not purchase with cashback",
            ),
            CvmCondition::TerminalSupportsCvm => f.write_str("if terminal supports the CVM"),
            CvmCondition::ManualCash => f.write_str("if manual cash"),
            CvmCondition::PurchaseWithCashback => f.write_str("if purchase with cashback"),
            CvmCondition::UnderX => f.write_str("if in application currency and under X value"),
            CvmCondition::OverX => f.write_str("if in application currency and over X value"),
            CvmCondition::UnderY => f.write_str("if in application currency and under Y value"),
            CvmCondition::OverY => f.write_str("if in application currency and over Y value"),
            CvmCondition::Rfu(byte) => write!(f, "RFU condition {byte:02X}"),
            CvmCondition::PaymentSystem(byte) => write!(f, "payment system condition {byte:02X}"),
        }
    }
}

/// Outcome byte of the CVM Results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CvmOutcome {
    /// `00`: unknown (e.g. a signature, checked later by the merchant).
    Unknown,
    /// `01`: failed.
    Failed,
    /// `02`: successful.
    Successful,
    /// Any other value.
    Other(u8),
}

impl CvmOutcome {
    /// The outcome of a wire byte.
    pub fn from_byte(byte: u8) -> CvmOutcome {
        match byte {
            0 => CvmOutcome::Unknown,
            1 => CvmOutcome::Failed,
            2 => CvmOutcome::Successful,
            other => CvmOutcome::Other(other),
        }
    }

    /// The wire byte.
    pub fn to_byte(self) -> u8 {
        match self {
            CvmOutcome::Unknown => 0,
            CvmOutcome::Failed => 1,
            CvmOutcome::Successful => 2,
            CvmOutcome::Other(byte) => byte,
        }
    }
}

impl fmt::Display for CvmOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CvmOutcome::Unknown => f.write_str("unknown"),
            CvmOutcome::Failed => f.write_str("failed"),
            CvmOutcome::Successful => f.write_str("successful"),
            CvmOutcome::Other(byte) => write!(f, "outcome {byte:02X}"),
        }
    }
}

/// Cardholder Verification Method (CVM) Results, tag `9F34`: the CVM performed, its
/// condition, and how it ended (`3F0000` when no CVM was performed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CvmResults {
    /// The CVM Code of the rule performed (`3F` for none).
    pub performed: CvmCode,
    /// The condition of that rule.
    pub condition: CvmCondition,
    /// How it ended.
    pub outcome: CvmOutcome,
}

impl CvmResults {
    /// Reads the 3 wire bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<CvmResults, CvmError> {
        let &[code, condition, outcome] = bytes else {
            return Err(CvmError::ResultsLength {
                actual_len: bytes.len(),
            });
        };
        Ok(CvmResults {
            performed: CvmCode(code),
            condition: CvmCondition::from_byte(condition),
            outcome: CvmOutcome::from_byte(outcome),
        })
    }

    /// The 3 wire bytes.
    pub fn to_bytes(self) -> [u8; 3] {
        [
            self.performed.0,
            self.condition.to_byte(),
            self.outcome.to_byte(),
        ]
    }
}

impl fmt::Display for CvmResults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; condition: {}; result: {}",
            self.performed, self.condition, self.outcome
        )
    }
}

/// One CV Rule of a CVM List.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CvRule {
    /// What to do.
    pub code: CvmCode,
    /// When it applies.
    pub condition: CvmCondition,
}

/// The Cardholder Verification Method (CVM) List, tag `8E`: amounts X and Y in the
/// application currency (minor units), then the CV Rules in the card's order of preference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CvmList {
    /// Amount X, for conditions `06` and `07`.
    pub amount_x_minor: u32,
    /// Amount Y, for conditions `08` and `09`.
    pub amount_y_minor: u32,
    /// The rules, in order.
    pub rules: Vec<CvRule>,
}

impl CvmList {
    /// Reads the value of tag `8E`.
    pub fn parse(bytes: &[u8]) -> Result<CvmList, CvmError> {
        let bad_length = CvmError::ListLength {
            actual_len: bytes.len(),
        };
        let Some((amounts, rules)) = bytes.split_first_chunk::<8>() else {
            return Err(bad_length);
        };
        let (x, y) = amounts.split_at(4);
        let (chunks, rest) = rules.as_chunks::<2>();
        if !rest.is_empty() {
            return Err(bad_length);
        }
        Ok(CvmList {
            amount_x_minor: be_u32(x),
            amount_y_minor: be_u32(y),
            rules: chunks
                .iter()
                .map(|&[code, condition]| CvRule {
                    code: CvmCode(code),
                    condition: CvmCondition::from_byte(condition),
                })
                .collect(),
        })
    }

    /// The wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 2 * self.rules.len());
        out.extend_from_slice(&self.amount_x_minor.to_be_bytes());
        out.extend_from_slice(&self.amount_y_minor.to_be_bytes());
        for rule in &self.rules {
            out.push(rule.code.0);
            out.push(rule.condition.to_byte());
        }
        out
    }
}

fn be_u32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |acc, &b| (acc << 8) | u32::from(b))
}
