//! AIP (tag `82`): the functions the card supports in this transaction (EMV Book 3, Annex C1).

use crate::bits::named_bits;

named_bits! {
    /// Application Interchange Profile (AIP, tag `82`, 2 bytes).
    pub struct Aip([u8; 2]) = "AIP";

    /// One bit of the AIP. Byte 1 is Book 3's; the bits of byte 2 and byte 1 bit 2 are
    /// RFU there and defined by EMV Contactless Book C-2 (kernel 2).
    pub enum AipBit {
        SdaSupported = (1, 0x40, "SDA supported"),
        DdaSupported = (1, 0x20, "DDA supported"),
        CardholderVerificationSupported = (1, 0x10, "Cardholder verification is supported"),
        TerminalRiskManagementToBePerformed = (1, 0x08, "Terminal risk management is to be performed"),
        IssuerAuthenticationSupported = (1, 0x04, "Issuer authentication is supported"),
        OnDeviceCardholderVerificationSupported = (1, 0x02, "On device cardholder verification is supported"),
        CdaSupported = (1, 0x01, "CDA supported"),
        EmvModeSupported = (2, 0x80, "EMV mode is supported"),
        RelayResistanceProtocolSupported = (2, 0x01, "Relay resistance protocol is supported"),
    }
}
