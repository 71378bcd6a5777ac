//! TVR (tag `95`) and TSI (tag `9B`): what the terminal found and what it did during a
//! transaction, bit by bit as EMV Book 3, Annex C5 and C6 define them.

use crate::bits::named_bits;

named_bits! {
    /// Terminal Verification Results (TVR, tag `95`, 5 bytes): the outcome of each check
    /// the terminal made. The same layout serves the Terminal and Issuer Action Codes.
    pub struct Tvr([u8; 5]) = "TVR";

    /// One bit of the TVR (EMV Book 3, Annex C5).
    pub enum TvrBit {
        OfflineDataAuthenticationNotPerformed = (1, 0x80, "Offline data authentication was not performed"),
        SdaFailed = (1, 0x40, "SDA failed"),
        IccDataMissing = (1, 0x20, "ICC data missing"),
        CardOnExceptionFile = (1, 0x10, "Card appears on terminal exception file"),
        DdaFailed = (1, 0x08, "DDA failed"),
        CdaFailed = (1, 0x04, "CDA failed"),
        SdaSelected = (1, 0x02, "SDA selected"),
        DifferentApplicationVersions = (2, 0x80, "ICC and terminal have different application versions"),
        ExpiredApplication = (2, 0x40, "Expired application"),
        ApplicationNotYetEffective = (2, 0x20, "Application not yet effective"),
        ServiceNotAllowed = (2, 0x10, "Requested service not allowed for card product"),
        NewCard = (2, 0x08, "New card"),
        CardholderVerificationNotSuccessful = (3, 0x80, "Cardholder verification was not successful"),
        UnrecognisedCvm = (3, 0x40, "Unrecognised CVM"),
        PinTryLimitExceeded = (3, 0x20, "PIN Try Limit exceeded"),
        PinPadNotPresentOrNotWorking = (3, 0x10, "PIN entry required and PIN pad not present or not working"),
        PinNotEntered = (3, 0x08, "PIN entry required, PIN pad present, but PIN was not entered"),
        OnlinePinEntered = (3, 0x04, "Online PIN entered"),
        TransactionExceedsFloorLimit = (4, 0x80, "Transaction exceeds floor limit"),
        LowerConsecutiveOfflineLimitExceeded = (4, 0x40, "Lower consecutive offline limit exceeded"),
        UpperConsecutiveOfflineLimitExceeded = (4, 0x20, "Upper consecutive offline limit exceeded"),
        RandomlySelectedForOnline = (4, 0x10, "Transaction selected randomly for online processing"),
        MerchantForcedOnline = (4, 0x08, "Merchant forced transaction online"),
        DefaultTdolUsed = (5, 0x80, "Default TDOL used"),
        IssuerAuthenticationFailed = (5, 0x40, "Issuer authentication failed"),
        ScriptFailedBeforeFinalGenerateAc = (5, 0x20, "Script processing failed before final GENERATE AC"),
        ScriptFailedAfterFinalGenerateAc = (5, 0x10, "Script processing failed after final GENERATE AC"),
    }
}

named_bits! {
    /// Transaction Status Information (TSI, tag `9B`, 2 bytes): which functions the
    /// terminal performed.
    pub struct Tsi([u8; 2]) = "TSI";

    /// One bit of the TSI (EMV Book 3, Annex C6); byte 2 is RFU.
    pub enum TsiBit {
        OfflineDataAuthenticationPerformed = (1, 0x80, "Offline data authentication was performed"),
        CardholderVerificationPerformed = (1, 0x40, "Cardholder verification was performed"),
        CardRiskManagementPerformed = (1, 0x20, "Card risk management was performed"),
        IssuerAuthenticationPerformed = (1, 0x10, "Issuer authentication was performed"),
        TerminalRiskManagementPerformed = (1, 0x08, "Terminal risk management was performed"),
        ScriptProcessingPerformed = (1, 0x04, "Script processing was performed"),
    }
}
