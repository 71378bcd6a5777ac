//! The dictionary's data: EMV Book 3 (v4.3/4.4) Annex A, Table 33 (tag, name, format, length
//! in bytes, source), a few Book 1 Annex B elements, and the contactless tags of EMV
//! Contactless Books A, B, C-2 and C-3 that posnet meets. Kept sorted by tag.
//!
//! Where Annex A gives "var." as the format (templates, AFL, IBAN, BIC) the entry uses `b`
//! (or `an` for IBAN and BIC); "var. up to N" becomes `0..=N`, and lengths tied to an RSA
//! modulus (NCA, NI, NIC) become `0..=248`, the longest EMV modulus. Some contactless tags
//! mean different things per kernel (`9F6C` is CTQ in C-3, `9F6E` is FFI in C-3 and Third
//! Party Data in C-2); the entries carry the Book C-3 meaning with a range wide enough for both.

use super::info::Format::{A, An, Ans, B, Cn, N};
use super::info::Length::{Fixed, Range};
use super::info::Sensitivity::{Clear, Hidden, Pan, Track1, Track2};
use super::info::Source::{Icc, Issuer, IssuerOrTerminal, Terminal};
use super::info::TagInfo;
use crate::tlv::Tag;

macro_rules! dictionary {
    ($( $konst:ident = $raw:literal, $name:literal, $format:expr, $length:expr, $source:expr, $sens:expr; )*) => {
        $(
            #[doc = concat!("`", stringify!($raw), "` ", $name, ".")]
            pub const $konst: Tag = Tag::new($raw);
        )*

        /// Every entry, sorted by tag.
        pub(super) static DICTIONARY: &[TagInfo] = &[
            $(
                TagInfo {
                    tag: $konst,
                    name: $name,
                    format: $format,
                    length: $length,
                    source: $source,
                    sensitivity: $sens,
                },
            )*
        ];
    };
}

dictionary! {
    ISSUER_IDENTIFICATION_NUMBER = 0x42, "Issuer Identification Number (IIN)", N, Fixed(3), Icc, Clear;
    AID_CARD = 0x4F, "Application Identifier (AID) – card", B, Range { min: 5, max: 16 }, Icc, Clear;
    APPLICATION_LABEL = 0x50, "Application Label", Ans, Range { min: 1, max: 16 }, Icc, Clear;
    TRACK1_DATA = 0x56, "Track 1 Data", Ans, Range { min: 0, max: 76 }, Icc, Track1;
    TRACK2_EQUIVALENT_DATA = 0x57, "Track 2 Equivalent Data", B, Range { min: 0, max: 19 }, Icc, Track2;
    PAN = 0x5A, "Application Primary Account Number (PAN)", Cn, Range { min: 0, max: 10 }, Icc, Pan;
    APPLICATION_TEMPLATE = 0x61, "Application Template", B, Range { min: 0, max: 252 }, Icc, Clear;
    FCI_TEMPLATE = 0x6F, "File Control Information (FCI) Template", B, Range { min: 0, max: 252 }, Icc, Clear;
    READ_RECORD_RESPONSE_TEMPLATE = 0x70, "READ RECORD Response Message Template", B, Range { min: 0, max: 252 }, Icc, Clear;
    ISSUER_SCRIPT_TEMPLATE_1 = 0x71, "Issuer Script Template 1", B, Range { min: 0, max: 252 }, Issuer, Clear;
    ISSUER_SCRIPT_TEMPLATE_2 = 0x72, "Issuer Script Template 2", B, Range { min: 0, max: 252 }, Issuer, Clear;
    DIRECTORY_DISCRETIONARY_TEMPLATE = 0x73, "Directory Discretionary Template", B, Range { min: 0, max: 252 }, Icc, Clear;
    RESPONSE_TEMPLATE_FORMAT_2 = 0x77, "Response Message Template Format 2", B, Range { min: 0, max: 252 }, Icc, Clear;
    RESPONSE_TEMPLATE_FORMAT_1 = 0x80, "Response Message Template Format 1", B, Range { min: 0, max: 252 }, Icc, Clear;
    AMOUNT_AUTHORISED_BINARY = 0x81, "Amount, Authorised (Binary)", B, Fixed(4), Terminal, Clear;
    AIP = 0x82, "Application Interchange Profile", B, Fixed(2), Icc, Clear;
    COMMAND_TEMPLATE = 0x83, "Command Template", B, Range { min: 0, max: 252 }, Terminal, Clear;
    DF_NAME = 0x84, "Dedicated File (DF) Name", B, Range { min: 5, max: 16 }, Icc, Clear;
    ISSUER_SCRIPT_COMMAND = 0x86, "Issuer Script Command", B, Range { min: 0, max: 261 }, Issuer, Clear;
    APPLICATION_PRIORITY_INDICATOR = 0x87, "Application Priority Indicator", B, Fixed(1), Icc, Clear;
    SFI = 0x88, "Short File Identifier (SFI)", B, Fixed(1), Icc, Clear;
    AUTHORISATION_CODE = 0x89, "Authorisation Code", An, Fixed(6), Issuer, Clear;
    AUTHORISATION_RESPONSE_CODE = 0x8A, "Authorisation Response Code", An, Fixed(2), IssuerOrTerminal, Clear;
    CDOL1 = 0x8C, "Card Risk Management Data Object List 1 (CDOL1)", B, Range { min: 0, max: 252 }, Icc, Clear;
    CDOL2 = 0x8D, "Card Risk Management Data Object List 2 (CDOL2)", B, Range { min: 0, max: 252 }, Icc, Clear;
    CVM_LIST = 0x8E, "Cardholder Verification Method (CVM) List", B, Range { min: 10, max: 252 }, Icc, Clear;
    CA_PUBLIC_KEY_INDEX_ICC = 0x8F, "Certification Authority Public Key Index", B, Fixed(1), Icc, Clear;
    ISSUER_PUBLIC_KEY_CERTIFICATE = 0x90, "Issuer Public Key Certificate", B, Range { min: 0, max: 248 }, Icc, Clear;
    ISSUER_AUTHENTICATION_DATA = 0x91, "Issuer Authentication Data", B, Range { min: 8, max: 16 }, Issuer, Clear;
    ISSUER_PUBLIC_KEY_REMAINDER = 0x92, "Issuer Public Key Remainder", B, Range { min: 0, max: 248 }, Icc, Clear;
    SIGNED_STATIC_APPLICATION_DATA = 0x93, "Signed Static Application Data", B, Range { min: 0, max: 248 }, Icc, Clear;
    AFL = 0x94, "Application File Locator (AFL)", B, Range { min: 0, max: 252 }, Icc, Clear;
    TVR = 0x95, "Terminal Verification Results", B, Fixed(5), Terminal, Clear;
    TDOL = 0x97, "Transaction Certificate Data Object List (TDOL)", B, Range { min: 0, max: 252 }, Icc, Clear;
    TC_HASH_VALUE = 0x98, "Transaction Certificate (TC) Hash Value", B, Fixed(20), Terminal, Clear;
    TRANSACTION_PIN_DATA = 0x99, "Transaction Personal Identification Number (PIN) Data", B, Range { min: 0, max: 252 }, Terminal, Hidden;
    TRANSACTION_DATE = 0x9A, "Transaction Date", N, Fixed(3), Terminal, Clear;
    TSI = 0x9B, "Transaction Status Information", B, Fixed(2), Terminal, Clear;
    TRANSACTION_TYPE = 0x9C, "Transaction Type", N, Fixed(1), Terminal, Clear;
    DDF_NAME = 0x9D, "Directory Definition File (DDF) Name", B, Range { min: 5, max: 16 }, Icc, Clear;
    FCI_PROPRIETARY_TEMPLATE = 0xA5, "File Control Information (FCI) Proprietary Template", B, Range { min: 0, max: 252 }, Icc, Clear;
    CARDHOLDER_NAME = 0x5F20, "Cardholder Name", Ans, Range { min: 2, max: 26 }, Icc, Clear;
    APPLICATION_EXPIRATION_DATE = 0x5F24, "Application Expiration Date", N, Fixed(3), Icc, Clear;
    APPLICATION_EFFECTIVE_DATE = 0x5F25, "Application Effective Date", N, Fixed(3), Icc, Clear;
    ISSUER_COUNTRY_CODE = 0x5F28, "Issuer Country Code", N, Fixed(2), Icc, Clear;
    TRANSACTION_CURRENCY_CODE = 0x5F2A, "Transaction Currency Code", N, Fixed(2), Terminal, Clear;
    LANGUAGE_PREFERENCE = 0x5F2D, "Language Preference", An, Range { min: 2, max: 8 }, Icc, Clear;
    SERVICE_CODE = 0x5F30, "Service Code", N, Fixed(2), Icc, Clear;
    PAN_SEQUENCE_NUMBER = 0x5F34, "Application Primary Account Number (PAN) Sequence Number", N, Fixed(1), Icc, Clear;
    TRANSACTION_CURRENCY_EXPONENT = 0x5F36, "Transaction Currency Exponent", N, Fixed(1), Terminal, Clear;
    ISSUER_URL = 0x5F50, "Issuer URL", Ans, Range { min: 0, max: 252 }, Icc, Clear;
    IBAN = 0x5F53, "International Bank Account Number (IBAN)", An, Range { min: 0, max: 34 }, Icc, Clear;
    BANK_IDENTIFIER_CODE = 0x5F54, "Bank Identifier Code (BIC)", An, Range { min: 8, max: 11 }, Icc, Clear;
    ISSUER_COUNTRY_CODE_ALPHA2 = 0x5F55, "Issuer Country Code (alpha2 format)", A, Fixed(2), Icc, Clear;
    ISSUER_COUNTRY_CODE_ALPHA3 = 0x5F56, "Issuer Country Code (alpha3 format)", A, Fixed(3), Icc, Clear;
    ACCOUNT_TYPE = 0x5F57, "Account Type", N, Fixed(1), Terminal, Clear;
    ACQUIRER_IDENTIFIER = 0x9F01, "Acquirer Identifier", N, Fixed(6), Terminal, Clear;
    AMOUNT_AUTHORISED_NUMERIC = 0x9F02, "Amount, Authorised (Numeric)", N, Fixed(6), Terminal, Clear;
    AMOUNT_OTHER_NUMERIC = 0x9F03, "Amount, Other (Numeric)", N, Fixed(6), Terminal, Clear;
    AMOUNT_OTHER_BINARY = 0x9F04, "Amount, Other (Binary)", B, Fixed(4), Terminal, Clear;
    APPLICATION_DISCRETIONARY_DATA = 0x9F05, "Application Discretionary Data", B, Range { min: 1, max: 32 }, Icc, Clear;
    AID_TERMINAL = 0x9F06, "Application Identifier (AID) – terminal", B, Range { min: 5, max: 16 }, Terminal, Clear;
    AUC = 0x9F07, "Application Usage Control", B, Fixed(2), Icc, Clear;
    APPLICATION_VERSION_NUMBER_ICC = 0x9F08, "Application Version Number (ICC)", B, Fixed(2), Icc, Clear;
    APPLICATION_VERSION_NUMBER_TERMINAL = 0x9F09, "Application Version Number (terminal)", B, Fixed(2), Terminal, Clear;
    CARDHOLDER_NAME_EXTENDED = 0x9F0B, "Cardholder Name Extended", Ans, Range { min: 27, max: 45 }, Icc, Clear;
    ISSUER_IDENTIFICATION_NUMBER_EXTENDED = 0x9F0C, "Issuer Identification Number Extended (IINE)", N, Range { min: 3, max: 4 }, Icc, Clear;
    IAC_DEFAULT = 0x9F0D, "Issuer Action Code – Default", B, Fixed(5), Icc, Clear;
    IAC_DENIAL = 0x9F0E, "Issuer Action Code – Denial", B, Fixed(5), Icc, Clear;
    IAC_ONLINE = 0x9F0F, "Issuer Action Code – Online", B, Fixed(5), Icc, Clear;
    ISSUER_APPLICATION_DATA = 0x9F10, "Issuer Application Data", B, Range { min: 0, max: 32 }, Icc, Clear;
    ISSUER_CODE_TABLE_INDEX = 0x9F11, "Issuer Code Table Index", N, Fixed(1), Icc, Clear;
    APPLICATION_PREFERRED_NAME = 0x9F12, "Application Preferred Name", Ans, Range { min: 1, max: 16 }, Icc, Clear;
    LAST_ONLINE_ATC_REGISTER = 0x9F13, "Last Online Application Transaction Counter (ATC) Register", B, Fixed(2), Icc, Clear;
    LOWER_CONSECUTIVE_OFFLINE_LIMIT = 0x9F14, "Lower Consecutive Offline Limit", B, Fixed(1), Icc, Clear;
    MERCHANT_CATEGORY_CODE = 0x9F15, "Merchant Category Code", N, Fixed(2), Terminal, Clear;
    MERCHANT_IDENTIFIER = 0x9F16, "Merchant Identifier", Ans, Fixed(15), Terminal, Clear;
    PIN_TRY_COUNTER = 0x9F17, "Personal Identification Number (PIN) Try Counter", B, Fixed(1), Icc, Clear;
    ISSUER_SCRIPT_IDENTIFIER = 0x9F18, "Issuer Script Identifier", B, Fixed(4), Issuer, Clear;
    TOKEN_REQUESTOR_ID = 0x9F19, "Token Requestor ID", N, Fixed(6), Icc, Clear;
    TERMINAL_COUNTRY_CODE = 0x9F1A, "Terminal Country Code", N, Fixed(2), Terminal, Clear;
    TERMINAL_FLOOR_LIMIT = 0x9F1B, "Terminal Floor Limit", B, Fixed(4), Terminal, Clear;
    TERMINAL_IDENTIFICATION = 0x9F1C, "Terminal Identification", An, Fixed(8), Terminal, Clear;
    TERMINAL_RISK_MANAGEMENT_DATA = 0x9F1D, "Terminal Risk Management Data", B, Range { min: 1, max: 8 }, Terminal, Clear;
    IFD_SERIAL_NUMBER = 0x9F1E, "Interface Device (IFD) Serial Number", An, Fixed(8), Terminal, Clear;
    TRACK1_DISCRETIONARY_DATA = 0x9F1F, "Track 1 Discretionary Data", Ans, Range { min: 0, max: 252 }, Icc, Hidden;
    TRACK2_DISCRETIONARY_DATA = 0x9F20, "Track 2 Discretionary Data", Cn, Range { min: 0, max: 252 }, Icc, Hidden;
    TRANSACTION_TIME = 0x9F21, "Transaction Time", N, Fixed(3), Terminal, Clear;
    CA_PUBLIC_KEY_INDEX_TERMINAL = 0x9F22, "Certification Authority Public Key Index (terminal)", B, Fixed(1), Terminal, Clear;
    UPPER_CONSECUTIVE_OFFLINE_LIMIT = 0x9F23, "Upper Consecutive Offline Limit", B, Fixed(1), Icc, Clear;
    PAYMENT_ACCOUNT_REFERENCE = 0x9F24, "Payment Account Reference (PAR)", An, Fixed(29), Icc, Clear;
    LAST_4_DIGITS_OF_PAN = 0x9F25, "Last 4 Digits of PAN", N, Fixed(2), Icc, Clear;
    APPLICATION_CRYPTOGRAM = 0x9F26, "Application Cryptogram", B, Fixed(8), Icc, Clear;
    CRYPTOGRAM_INFORMATION_DATA = 0x9F27, "Cryptogram Information Data", B, Fixed(1), Icc, Clear;
    KERNEL_IDENTIFIER = 0x9F2A, "Kernel Identifier", B, Range { min: 1, max: 8 }, Icc, Clear;
    ICC_PIN_ENCIPHERMENT_PUBLIC_KEY_CERTIFICATE = 0x9F2D, "ICC PIN Encipherment Public Key Certificate", B, Range { min: 0, max: 248 }, Icc, Clear;
    ICC_PIN_ENCIPHERMENT_PUBLIC_KEY_EXPONENT = 0x9F2E, "ICC PIN Encipherment Public Key Exponent", B, Range { min: 1, max: 3 }, Icc, Clear;
    ICC_PIN_ENCIPHERMENT_PUBLIC_KEY_REMAINDER = 0x9F2F, "ICC PIN Encipherment Public Key Remainder", B, Range { min: 0, max: 248 }, Icc, Clear;
    ISSUER_PUBLIC_KEY_EXPONENT = 0x9F32, "Issuer Public Key Exponent", B, Range { min: 1, max: 3 }, Icc, Clear;
    TERMINAL_CAPABILITIES = 0x9F33, "Terminal Capabilities", B, Fixed(3), Terminal, Clear;
    CVM_RESULTS = 0x9F34, "Cardholder Verification Method (CVM) Results", B, Fixed(3), Terminal, Clear;
    TERMINAL_TYPE = 0x9F35, "Terminal Type", N, Fixed(1), Terminal, Clear;
    ATC = 0x9F36, "Application Transaction Counter (ATC)", B, Fixed(2), Icc, Clear;
    UNPREDICTABLE_NUMBER = 0x9F37, "Unpredictable Number", B, Fixed(4), Terminal, Clear;
    PDOL = 0x9F38, "Processing Options Data Object List (PDOL)", B, Range { min: 0, max: 252 }, Icc, Clear;
    POS_ENTRY_MODE = 0x9F39, "Point-of-Service (POS) Entry Mode", N, Fixed(1), Terminal, Clear;
    AMOUNT_REFERENCE_CURRENCY = 0x9F3A, "Amount, Reference Currency", B, Fixed(4), Terminal, Clear;
    APPLICATION_REFERENCE_CURRENCY = 0x9F3B, "Application Reference Currency", N, Range { min: 2, max: 8 }, Icc, Clear;
    TRANSACTION_REFERENCE_CURRENCY_CODE = 0x9F3C, "Transaction Reference Currency Code", N, Fixed(2), Terminal, Clear;
    TRANSACTION_REFERENCE_CURRENCY_EXPONENT = 0x9F3D, "Transaction Reference Currency Exponent", N, Fixed(1), Terminal, Clear;
    ADDITIONAL_TERMINAL_CAPABILITIES = 0x9F40, "Additional Terminal Capabilities", B, Fixed(5), Terminal, Clear;
    TRANSACTION_SEQUENCE_COUNTER = 0x9F41, "Transaction Sequence Counter", N, Range { min: 2, max: 4 }, Terminal, Clear;
    APPLICATION_CURRENCY_CODE = 0x9F42, "Application Currency Code", N, Fixed(2), Icc, Clear;
    APPLICATION_REFERENCE_CURRENCY_EXPONENT = 0x9F43, "Application Reference Currency Exponent", N, Range { min: 1, max: 4 }, Icc, Clear;
    APPLICATION_CURRENCY_EXPONENT = 0x9F44, "Application Currency Exponent", N, Fixed(1), Icc, Clear;
    DATA_AUTHENTICATION_CODE = 0x9F45, "Data Authentication Code", B, Fixed(2), Icc, Clear;
    ICC_PUBLIC_KEY_CERTIFICATE = 0x9F46, "ICC Public Key Certificate", B, Range { min: 0, max: 248 }, Icc, Clear;
    ICC_PUBLIC_KEY_EXPONENT = 0x9F47, "ICC Public Key Exponent", B, Range { min: 1, max: 3 }, Icc, Clear;
    ICC_PUBLIC_KEY_REMAINDER = 0x9F48, "ICC Public Key Remainder", B, Range { min: 0, max: 248 }, Icc, Clear;
    DDOL = 0x9F49, "Dynamic Data Authentication Data Object List (DDOL)", B, Range { min: 0, max: 252 }, Icc, Clear;
    SDA_TAG_LIST = 0x9F4A, "Static Data Authentication Tag List", B, Range { min: 0, max: 252 }, Icc, Clear;
    SIGNED_DYNAMIC_APPLICATION_DATA = 0x9F4B, "Signed Dynamic Application Data", B, Range { min: 0, max: 248 }, Icc, Clear;
    ICC_DYNAMIC_NUMBER = 0x9F4C, "ICC Dynamic Number", B, Range { min: 2, max: 8 }, Icc, Clear;
    LOG_ENTRY = 0x9F4D, "Log Entry", B, Fixed(2), Icc, Clear;
    MERCHANT_NAME_AND_LOCATION = 0x9F4E, "Merchant Name and Location", Ans, Range { min: 0, max: 252 }, Terminal, Clear;
    LOG_FORMAT = 0x9F4F, "Log Format", B, Range { min: 0, max: 252 }, Icc, Clear;
    TRANSACTION_CATEGORY_CODE = 0x9F53, "Transaction Category Code", An, Fixed(1), Terminal, Clear;
    TTQ = 0x9F66, "Terminal Transaction Qualifiers (TTQ)", B, Fixed(4), Terminal, Clear;
    UNPREDICTABLE_NUMBER_NUMERIC = 0x9F6A, "Unpredictable Number (Numeric)", N, Fixed(4), Terminal, Clear;
    TRACK2_DATA = 0x9F6B, "Track 2 Data", B, Range { min: 0, max: 19 }, Icc, Track2;
    CTQ = 0x9F6C, "Card Transaction Qualifiers (CTQ)", B, Fixed(2), Icc, Clear;
    FORM_FACTOR_INDICATOR = 0x9F6E, "Form Factor Indicator (FFI) / Third Party Data", B, Range { min: 4, max: 32 }, Icc, Clear;
    FCI_ISSUER_DISCRETIONARY_DATA = 0xBF0C, "File Control Information (FCI) Issuer Discretionary Data", B, Range { min: 0, max: 222 }, Icc, Clear;
}
