//! The HSM interface: the commands posnet's gateway and issuer need, with keys named, never
//! handed over. A real HSM (Thales payShield, Futurex, AWS Payment Cryptography) can sit behind
//! the same trait; [`crate::SoftHsm`] is the software one.

use paysec::emv::CryptogramPadding;
use paysec::kcv::KcvMethod;
use paysec::mac::iso9797::Padding;
use paysec::pinblock::PinBlockFormat;
use paysec::pinverify::ibm3624::{DecimalisationTable, ValidationData};
use paysec::tr31::{Exportability, KeyUsage, KeyVersion, ModeOfUse};
use paysec::{KeyAlgorithm, Pan, SecretKey};

use crate::error::HsmError;
use crate::usage::KeyAttributes;

/// The AES DUKPT working key size for PIN and MAC keys (ANSI X9.24-3 lets the host choose;
/// AES-128 is the common default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AesWorkingKey {
    /// AES-128 working keys.
    #[default]
    Aes128,
    /// AES-256 working keys (needs an AES-256 BDK).
    Aes256,
}

/// A DUKPT key: the BDK (base derivation key) held in the HSM and the KSN (key serial number)
/// the terminal sent. A TDES BDK means ANSI X9.24-1 (10-byte KSN), an AES BDK ANSI X9.24-3
/// (12-byte KSN).
#[derive(Clone, Copy, Debug)]
pub struct DukptRef<'a> {
    /// Name of the BDK (usage B0).
    pub bdk: &'a str,
    /// The KSN as sent by the terminal.
    pub ksn: &'a [u8],
    /// AES DUKPT only: the working key size.
    pub aes_working_key: AesWorkingKey,
}

impl<'a> DukptRef<'a> {
    /// A DUKPT reference with AES-128 working keys (ignored for TDES).
    pub fn new(bdk: &'a str, ksn: &'a [u8]) -> Self {
        DukptRef {
            bdk,
            ksn,
            aes_working_key: AesWorkingKey::Aes128,
        }
    }
}

/// The key a PIN block is enciphered under.
#[derive(Clone, Copy, Debug)]
pub enum PinKeyRef<'a> {
    /// A zone PIN key (ZPK, usage P0) held in the HSM.
    Zone(&'a str),
    /// The DUKPT PIN key of a terminal transaction.
    Dukpt(DukptRef<'a>),
}

/// An enciphered PIN block and where it comes from.
#[derive(Clone, Copy, Debug)]
pub struct PinBlockRef<'a> {
    /// Its key.
    pub key: PinKeyRef<'a>,
    /// Its ISO 9564-1 format (0, 1 or 3 under TDES; 4 under AES).
    pub format: PinBlockFormat,
    /// The enciphered block.
    pub block: &'a [u8],
}

/// Where a translated PIN block goes: a zone PIN key and a format.
#[derive(Clone, Copy, Debug)]
pub struct PinZoneRef<'a> {
    /// Name of the destination ZPK (usage P0).
    pub zpk: &'a str,
    /// The output format.
    pub format: PinBlockFormat,
}

/// Which side of a terminal exchange a DUKPT MAC belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Terminal → host.
    Request,
    /// Host → terminal.
    Response,
}

/// The key of a MAC command.
#[derive(Clone, Copy, Debug)]
pub enum MacKeyRef<'a> {
    /// A MAC key (usage M0/M1, M3 or M6 to match the algorithm) held in the HSM.
    Named(&'a str),
    /// The DUKPT MAC key of a terminal transaction (TDES: the request/response MAC variants;
    /// AES: the MAC generation/verification keys).
    Dukpt {
        /// The DUKPT key.
        dukpt: DukptRef<'a>,
        /// The message's direction.
        direction: Direction,
    },
}

/// MAC algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacAlgorithm {
    /// ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC) with the given padding.
    Iso9797Alg1(Padding),
    /// ISO/IEC 9797-1 MAC algorithm 3 (ANSI X9.19 retail MAC) with the given padding.
    Iso9797Alg3(Padding),
    /// CMAC (NIST SP 800-38B).
    Cmac,
}

/// EMV ICC master key derivation method (EMV Book 2 A1.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IccMasterKeyOption {
    /// Option A (PANs up to 16 digits).
    #[default]
    A,
    /// Option B (option A for PANs up to 16 digits, SHA-1 based beyond).
    B,
}

/// How the application cryptogram session key comes from the ICC master key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKeyDerivation {
    /// EMV common session key (Book 2 A1.3) with `R = ATC || 00 00 || UN`.
    Common {
        /// ATC (application transaction counter).
        atc: u16,
        /// UN (unpredictable number, tag 9F37).
        unpredictable_number: [u8; 4],
    },
    /// No session key: the ICC master key signs (Visa CVN 10 and similar).
    IccMasterKey,
}

/// A card's cryptogram key: the issuer master key (IMK) in the HSM and the card's data.
#[derive(Clone, Copy, Debug)]
pub struct CardKeyRef<'a> {
    /// Name of the IMK-AC (usage E0).
    pub imk: &'a str,
    /// The card's PAN.
    pub pan: &'a Pan,
    /// PAN sequence number (tag 5F34), if the card has one.
    pub psn: Option<u8>,
    /// ICC master key derivation.
    pub option: IccMasterKeyOption,
    /// Session key derivation.
    pub session: SessionKeyDerivation,
}

/// A card's secure-messaging integrity key for issuer scripts (EMV Book 2 9.2 and A1.3):
/// `SK-SMI = CSK(MK-SMI, ARQC)`, MK-SMI derived from the IMK-SMI like the AC master key. The
/// ARQC binds the script to the one transaction the card is in.
#[derive(Clone, Copy, Debug)]
pub struct ScriptKeyRef<'a> {
    /// Name of the IMK-SMI (usage E2).
    pub imk: &'a str,
    /// The card's PAN.
    pub pan: &'a Pan,
    /// PAN sequence number (tag 5F34), if the card has one.
    pub psn: Option<u8>,
    /// ICC master key derivation.
    pub option: IccMasterKeyOption,
    /// The ARQC of the transaction the script answers.
    pub arqc: [u8; 8],
}

/// ARPC (authorisation response cryptogram) methods of EMV Book 2 8.2.
#[derive(Clone, Copy, Debug)]
pub enum ArpcMethod<'a> {
    /// Method 1: 8 bytes from the ARQC and the 2-byte ARC (authorisation response code).
    Method1 {
        /// ARC, e.g. `*b"00"`.
        arc: [u8; 2],
    },
    /// Method 2: 4 bytes from the ARQC, the CSU (card status update) and proprietary data.
    Method2 {
        /// CSU.
        csu: [u8; 4],
        /// 0 to 8 bytes.
        proprietary_auth_data: &'a [u8],
    },
}

/// A key check value and how it was computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckValue {
    /// Legacy (encrypt zeros) for TDES keys, CMAC for AES keys.
    pub method: KcvMethod,
    /// The first 3 bytes, as upper-case hex.
    pub hex: String,
}

/// What the HSM shows about a key: never its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key's name in the HSM.
    pub name: String,
    /// TR-31 key usage.
    pub usage: KeyUsage,
    /// TR-31 mode of use.
    pub mode_of_use: ModeOfUse,
    /// TR-31 exportability.
    pub exportability: Exportability,
    /// TR-31 key version.
    pub key_version: KeyVersion,
    /// Algorithm.
    pub algorithm: KeyAlgorithm,
    /// Length in bytes.
    pub len_bytes: usize,
    /// Check value (none for HMAC keys).
    pub kcv: Option<CheckValue>,
}

/// The commands a gateway and an issuer send to their HSM.
///
/// Keys are referred to by name; clear PINs and keys never cross this interface outwards. A
/// value that does not verify (wrong PIN, bad MAC, bad ARQC, bad CVV) is `Ok(false)`; errors are
/// for requests that cannot be carried out (unknown key, wrong key usage, malformed input).
pub trait Hsm {
    /// Every key's attributes and check value, in name order.
    fn list_keys(&self) -> Vec<KeyInfo>;

    /// One key's attributes and check value.
    fn key_info(&self, name: &str) -> Result<KeyInfo, HsmError>;

    /// Stores a clear key (a key ceremony's result) under `name`.
    fn import_key(
        &mut self,
        name: &str,
        attrs: &KeyAttributes,
        key: &SecretKey,
    ) -> Result<KeyInfo, HsmError>;

    /// Stores the key of a TR-31 key block wrapped under the HSM's key `kbpk` (usage K0/K1),
    /// keeping the block's usage, mode of use and exportability. With `expected_usage`, a block
    /// of another usage is refused.
    fn import_tr31(
        &mut self,
        name: &str,
        kbpk: &str,
        block: &str,
        expected_usage: Option<KeyUsage>,
    ) -> Result<KeyInfo, HsmError>;

    /// Exports `name` as a TR-31 key block under `kbpk` (version B for a TDES KBPK, D for AES),
    /// with the key length masked.
    fn export_tr31(&self, name: &str, kbpk: &str) -> Result<String, HsmError>;

    /// Deciphers a PIN block and re-enciphers it for a zone, without the PIN leaving the HSM
    /// (the gateway's DUKPT → ZPK step). `pan` binds formats 0, 3 and 4.
    fn translate_pin(
        &self,
        from: &PinBlockRef<'_>,
        to: &PinZoneRef<'_>,
        pan: Option<&Pan>,
    ) -> Result<Vec<u8>, HsmError>;

    /// Verifies the PIN in a PIN block against a Visa PVV.
    fn verify_pin_pvv(
        &self,
        pin: &PinBlockRef<'_>,
        pan: &Pan,
        pvk: &str,
        pvki: u8,
        pvv: &str,
    ) -> Result<bool, HsmError>;

    /// Verifies the PIN in a PIN block against an IBM 3624 offset.
    fn verify_pin_ibm3624(
        &self,
        pin: &PinBlockRef<'_>,
        pan: &Pan,
        pvk: &str,
        table: &DecimalisationTable,
        validation_data: &ValidationData,
        offset: &str,
    ) -> Result<bool, HsmError>;

    /// Verifies an ARQC (or TC/AAC) over the transaction data.
    fn verify_arqc(
        &self,
        card: &CardKeyRef<'_>,
        data: &[u8],
        padding: CryptogramPadding,
        arqc: &[u8; 8],
    ) -> Result<bool, HsmError>;

    /// Makes the ARPC for an ARQC.
    fn generate_arpc(
        &self,
        card: &CardKeyRef<'_>,
        arqc: &[u8; 8],
        method: &ArpcMethod<'_>,
    ) -> Result<Vec<u8>, HsmError>;

    /// The MAC of an issuer script command (ISO 9797-1 algorithm 3, padding method 2) of
    /// `mac_len_bytes` (4 to 8) under the card's SK-SMI; `data` is what the card MACs.
    fn generate_script_mac(
        &self,
        key: &ScriptKeyRef<'_>,
        data: &[u8],
        mac_len_bytes: usize,
    ) -> Result<Vec<u8>, HsmError>;

    /// Generates a MAC of `mac_len_bytes` (4 up to the cipher block).
    fn generate_mac(
        &self,
        key: &MacKeyRef<'_>,
        algorithm: MacAlgorithm,
        data: &[u8],
        mac_len_bytes: usize,
    ) -> Result<Vec<u8>, HsmError>;

    /// Verifies a MAC (its length gives the truncation), in constant time.
    fn verify_mac(
        &self,
        key: &MacKeyRef<'_>,
        algorithm: MacAlgorithm,
        data: &[u8],
        mac: &[u8],
    ) -> Result<bool, HsmError>;

    /// Verifies a CVV, CVV2 (service code 000) or iCVV (999).
    fn verify_cvv(
        &self,
        cvk: &str,
        pan: &Pan,
        expiry_yymm: &str,
        service_code: &str,
        cvv: &str,
    ) -> Result<bool, HsmError>;
}
