//! Status words SW1 SW2 (ISO/IEC 7816-4 section 5.1.3, EMV Book 3 section 6.3.5).

/// A status word, SW1 in the high byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// 9000: normal processing.
    pub const SUCCESS: StatusWord = StatusWord(0x9000);
    /// 6283: selected file (application) invalidated — EMV: application blocked.
    pub const SELECTED_FILE_INVALIDATED: StatusWord = StatusWord(0x6283);
    /// 6300: authentication failed (no counter given).
    pub const AUTHENTICATION_FAILED: StatusWord = StatusWord(0x6300);
    /// 6400: execution error, state of non-volatile memory unchanged.
    pub const EXECUTION_ERROR: StatusWord = StatusWord(0x6400);
    /// 6581: memory failure.
    pub const MEMORY_FAILURE: StatusWord = StatusWord(0x6581);
    /// 6700: wrong length (Lc or Le).
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    /// 6882: secure messaging not supported.
    pub const SECURE_MESSAGING_NOT_SUPPORTED: StatusWord = StatusWord(0x6882);
    /// 6982: security status not satisfied.
    pub const SECURITY_STATUS_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    /// 6983: authentication method blocked — EMV: PIN try limit exceeded.
    pub const AUTHENTICATION_METHOD_BLOCKED: StatusWord = StatusWord(0x6983);
    /// 6984: referenced data invalidated — EMV: PIN blocked earlier / data unusable.
    pub const REFERENCED_DATA_INVALIDATED: StatusWord = StatusWord(0x6984);
    /// 6985: conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    /// 6986: command not allowed (no current EF).
    pub const COMMAND_NOT_ALLOWED: StatusWord = StatusWord(0x6986);
    /// 6988: secure messaging data objects incorrect.
    pub const SM_DATA_INCORRECT: StatusWord = StatusWord(0x6988);
    /// 6A80: incorrect parameters in the data field.
    pub const WRONG_DATA: StatusWord = StatusWord(0x6A80);
    /// 6A81: function not supported — EMV: card blocked (on SELECT of the PSE or an AID).
    pub const FUNCTION_NOT_SUPPORTED: StatusWord = StatusWord(0x6A81);
    /// 6A82: file or application not found.
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    /// 6A83: record not found.
    pub const RECORD_NOT_FOUND: StatusWord = StatusWord(0x6A83);
    /// 6A86: incorrect P1 P2.
    pub const WRONG_P1_P2: StatusWord = StatusWord(0x6A86);
    /// 6A88: referenced data (data object) not found.
    pub const REFERENCED_DATA_NOT_FOUND: StatusWord = StatusWord(0x6A88);
    /// 6B00: wrong parameters P1 P2.
    pub const WRONG_PARAMETERS: StatusWord = StatusWord(0x6B00);
    /// 6D00: instruction not supported.
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    /// 6E00: class not supported.
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);
    /// 6F00: no precise diagnosis.
    pub const UNKNOWN_ERROR: StatusWord = StatusWord(0x6F00);

    /// From SW1 and SW2.
    pub const fn from_bytes(sw1: u8, sw2: u8) -> StatusWord {
        StatusWord(((sw1 as u16) << 8) | sw2 as u16)
    }

    /// `61xx`: xx response bytes still available, to fetch with GET RESPONSE (T=0).
    pub const fn bytes_available(count: u8) -> StatusWord {
        StatusWord::from_bytes(0x61, count)
    }

    /// `6Cxx`: wrong Le, resend with Le = xx (T=0).
    pub const fn correct_le(le: u8) -> StatusWord {
        StatusWord::from_bytes(0x6C, le)
    }

    /// `63Cx`: verification failed, x tries left (x at most 15).
    pub const fn tries_left(count: u8) -> StatusWord {
        StatusWord::from_bytes(0x63, 0xC0 | (count & 0x0F))
    }

    /// SW1.
    pub const fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// SW2.
    pub const fn sw2(self) -> u8 {
        (self.0 & 0xFF) as u8
    }

    /// SW1 SW2 as bytes.
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// 9000.
    pub const fn is_success(self) -> bool {
        self.0 == 0x9000
    }

    /// 62xx and 63xx: processed with a warning (EMV Book 3 section 6.3.5 lets the kernel go on
    /// with such answers where it says so).
    pub const fn is_warning(self) -> bool {
        matches!(self.sw1(), 0x62 | 0x63)
    }

    /// For `61xx`, the number of bytes the card holds for GET RESPONSE (`00` means 256).
    pub fn response_bytes_available(self) -> Option<usize> {
        (self.sw1() == 0x61).then(|| match self.sw2() {
            0 => 256,
            n => usize::from(n),
        })
    }

    /// For `6Cxx`, the Le the card wants (`00` means 256).
    pub fn le_to_use(self) -> Option<usize> {
        (self.sw1() == 0x6C).then(|| match self.sw2() {
            0 => 256,
            n => usize::from(n),
        })
    }

    /// For `63Cx`, the number of tries left.
    pub fn verify_tries_left(self) -> Option<u8> {
        (self.sw1() == 0x63 && self.sw2() & 0xF0 == 0xC0).then_some(self.sw2() & 0x0F)
    }

    /// The ISO/IEC 7816-4 or EMV meaning, where this is one of the named words.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x9000 => "normal processing",
            0x6283 => "selected file invalidated (application blocked)",
            0x6300 => "authentication failed",
            0x6400 => "execution error",
            0x6581 => "memory failure",
            0x6700 => "wrong length",
            0x6882 => "secure messaging not supported",
            0x6982 => "security status not satisfied",
            0x6983 => "authentication method blocked",
            0x6984 => "referenced data invalidated",
            0x6985 => "conditions of use not satisfied",
            0x6986 => "command not allowed",
            0x6988 => "secure messaging data objects incorrect",
            0x6A80 => "incorrect parameters in the data field",
            0x6A81 => "function not supported (card blocked)",
            0x6A82 => "file or application not found",
            0x6A83 => "record not found",
            0x6A86 => "incorrect P1 P2",
            0x6A88 => "referenced data not found",
            0x6B00 => "wrong parameters P1 P2",
            0x6D00 => "instruction not supported",
            0x6E00 => "class not supported",
            0x6F00 => "no precise diagnosis",
            _ => match self.sw1() {
                0x61 => "response bytes available",
                0x6C => "wrong Le",
                0x63 if self.sw2() & 0xF0 == 0xC0 => "verification failed, tries left",
                _ => return None,
            },
        })
    }
}

impl core::fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SW {:04X}", self.0)
    }
}

impl core::fmt::Display for StatusWord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{:04X} ({name})", self.0),
            None => write!(f, "{:04X}", self.0),
        }
    }
}

impl From<u16> for StatusWord {
    fn from(raw: u16) -> StatusWord {
        StatusWord(raw)
    }
}
