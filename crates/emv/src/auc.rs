//! AUC (tag `9F07`): where and for what the issuer lets the application be used
//! (EMV Book 3, Annex C2).

use crate::bits::named_bits;

named_bits! {
    /// Application Usage Control (AUC, tag `9F07`, 2 bytes).
    pub struct Auc([u8; 2]) = "AUC";

    /// One bit of the AUC.
    pub enum AucBit {
        DomesticCash = (1, 0x80, "Valid for domestic cash transactions"),
        InternationalCash = (1, 0x40, "Valid for international cash transactions"),
        DomesticGoods = (1, 0x20, "Valid for domestic goods"),
        InternationalGoods = (1, 0x10, "Valid for international goods"),
        DomesticServices = (1, 0x08, "Valid for domestic services"),
        InternationalServices = (1, 0x04, "Valid for international services"),
        Atms = (1, 0x02, "Valid at ATMs"),
        TerminalsOtherThanAtms = (1, 0x01, "Valid at terminals other than ATMs"),
        DomesticCashback = (2, 0x80, "Domestic cashback allowed"),
        InternationalCashback = (2, 0x40, "International cashback allowed"),
    }
}
