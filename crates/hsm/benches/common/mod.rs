//! What every HSM bench shares: a gateway HSM and an issuer HSM holding their keys the way a
//! real pair would, a set of cards, and the 0200 request a terminal MACs.
//!
//! Each bench binary uses a part of this module; the rest would be dead code there.
#![allow(dead_code)]

use hsm::{Hsm, KeyAttributes, SoftHsm};
use iso8583::{Message, Mti, specs};
use paysec::tr31::KeyUsage;
use paysec::{Pan, Pin, SecretKey};
use tempfile::TempDir;

/// The KSN counters the DUKPT benches walk through: a terminal's first thousand transactions,
/// so 1 to 9 bits set (the host derives one key per set bit).
pub const COUNTERS: std::ops::RangeInclusive<u32> = 1..=1000;

/// How many cards the issuer-side benches cycle through.
pub const CARDS: usize = 1000;

/// Clear key values: the benches need them to compute the expected answers outside the HSM.
pub mod keys {
    /// AES-256 key block protection key shared by gateway and issuer (TR-31 version D).
    pub const KBPK: &str = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6";
    /// TDES BDK (ANSI X9.24-1:2009 A.4 test BDK).
    pub const BDK_TDES: &str = "0123456789ABCDEFFEDCBA9876543210";
    /// AES-128 BDK (ANSI X9.24-3-2017 supplement test BDK).
    pub const BDK_AES: &str = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
    /// ZPK (zone PIN key) between gateway and issuer, double-length TDES.
    pub const ZPK: &str = "1111111111111111222222222222222F";
    /// PVK for Visa PVV.
    pub const PVK_PVV: &str = "0123456789ABCDEFFEDCBA9876543210";
    /// PVK for IBM 3624 offsets.
    pub const PVK_IBM: &str = "5B2A1D9C84E7F3603C1A9E2D7B4F8061";
    /// CVK (CVK A || CVK B).
    pub const CVK: &str = "0123456789ABCDEFFEDCBA9876543210";
    /// IMK-AC, the issuer master key for application cryptograms.
    pub const IMK_AC: &str = "9E15204313F7318ACB79B90BD986AD29";
    /// IMK-SMI, the issuer master key for issuer script MACs (secure messaging integrity).
    pub const IMK_SMI: &str = "4664942FE615FB02E5D57F292AA2B3B6";
    /// ZAK (zone MAC key) for the ISO 9797-1 algorithm 3 retail MAC between hosts.
    pub const ZAK: &str = "A1B2C3D4E5F60718293A4B5C6D7E8F90";
}

/// The decimalisation table of the IBM 3624 benches (the usual 0123456789012345).
pub const DECIMALISATION: &str = "0123456789012345";
/// The TDES DUKPT initial KSN of the bench terminal (counter 0).
pub const TDES_INITIAL_KSN: &str = "FFFF9876543210E00000";
/// The AES DUKPT initial key ID of the bench terminal.
pub const AES_INITIAL_KEY_ID: [u8; 8] = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];

pub fn tdes(hex_text: &str) -> SecretKey {
    SecretKey::tdes(&hex::decode(hex_text).unwrap()).unwrap()
}

pub fn aes(hex_text: &str) -> SecretKey {
    SecretKey::aes(&hex::decode(hex_text).unwrap()).unwrap()
}

/// The two HSMs of the network and the temporary directories their stores live in.
pub struct Network {
    pub gateway: SoftHsm,
    pub issuer: SoftHsm,
    _dirs: (TempDir, TempDir),
}

fn import(hsm: &mut SoftHsm, name: &str, usage: KeyUsage, key: &SecretKey) {
    hsm.import_key(name, &KeyAttributes::for_usage(usage), key)
        .unwrap_or_else(|e| panic!("import {name}: {e}"));
}

/// Key ceremonies on both sides (KBPK, BDKs, PIN verification keys, CVK, IMK, ZAK loaded in
/// clear), then the zone PIN key exchanged as a TR-31 block: the issuer exports it under the
/// shared KBPK and the gateway imports it, as at sign-on.
pub fn network() -> Network {
    let (gw_dir, iss_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut issuer = SoftHsm::init(iss_dir.path()).unwrap();
    import(&mut issuer, "kbpk", KeyUsage::Kbpk, &aes(keys::KBPK));
    import(
        &mut issuer,
        "zpk",
        KeyUsage::PinEncryption,
        &tdes(keys::ZPK),
    );
    import(
        &mut issuer,
        "pvk.pvv",
        KeyUsage::PinVerificationVisaPvv,
        &tdes(keys::PVK_PVV),
    );
    import(
        &mut issuer,
        "pvk.ibm",
        KeyUsage::PinVerificationIbm3624,
        &tdes(keys::PVK_IBM),
    );
    import(&mut issuer, "cvk", KeyUsage::Cvk, &tdes(keys::CVK));
    import(
        &mut issuer,
        "imk.ac",
        KeyUsage::EmvMkAc,
        &tdes(keys::IMK_AC),
    );
    import(
        &mut issuer,
        "imk.smi",
        KeyUsage::EmvMkSmi,
        &tdes(keys::IMK_SMI),
    );
    import(&mut issuer, "zak", KeyUsage::MacAlg3, &tdes(keys::ZAK));
    let zpk_block = issuer.export_tr31("zpk", "kbpk").unwrap();

    let mut gateway = SoftHsm::init(gw_dir.path()).unwrap();
    import(&mut gateway, "kbpk", KeyUsage::Kbpk, &aes(keys::KBPK));
    import(
        &mut gateway,
        "bdk.tdes",
        KeyUsage::Bdk,
        &tdes(keys::BDK_TDES),
    );
    import(&mut gateway, "bdk.aes", KeyUsage::Bdk, &aes(keys::BDK_AES));
    gateway
        .import_tr31("zpk", "kbpk", &zpk_block, Some(KeyUsage::PinEncryption))
        .unwrap();
    // The same key on both sides, or every translated PIN would fail at the issuer.
    assert_eq!(
        gateway.key_info("zpk").unwrap().kcv,
        issuer.key_info("zpk").unwrap().kcv
    );
    Network {
        gateway,
        issuer,
        _dirs: (gw_dir, iss_dir),
    }
}

/// A card: PAN, PIN, expiry.
pub struct Card {
    pub pan: Pan,
    pub pan_text: String,
    pub pin: Pin,
    pub expiry_yymm: &'static str,
}

/// `n` different cards with different 4-digit PINs.
pub fn cards(n: usize) -> Vec<Card> {
    (0..n)
        .map(|i| {
            let pan_text = format!("476173900{:07}", i * 7 + 1);
            Card {
                pan: Pan::new(&pan_text).unwrap(),
                pin: Pin::new(&format!("{:04}", (i * 7919 + 1234) % 10_000)).unwrap(),
                pan_text,
                expiry_yymm: "2812",
            }
        })
        .collect()
}

/// A 0200 purchase request as the terminal sends it, packed in the default dialect, without
/// field 64 (the MAC covers everything before it). About 200 bytes.
pub fn request_0200(card: &Card, stan: u32) -> Vec<u8> {
    let stan_text = format!("{:06}", stan % 1_000_000);
    let rrn = format!("43291500{:04}", stan % 10_000);
    let track2 = format!("{}=28122011143804400000", card.pan_text);
    let mut m = Message::new(Mti::parse("0200").unwrap());
    let fields: [(usize, &[u8]); 19] = [
        (2, card.pan_text.as_bytes()),
        (3, b"000000"),
        (4, b"000000012345"),
        (7, b"1124153045"),
        (11, stan_text.as_bytes()),
        (12, b"153045"),
        (13, b"1124"),
        (14, b"2812"),
        (18, b"5411"),
        (22, b"051"),
        (25, b"00"),
        (32, b"12345678"),
        (35, track2.as_bytes()),
        (37, rrn.as_bytes()),
        (41, b"TERM0001"),
        (42, b"MERCHANT0000001"),
        (49, b"840"),
        (52, &[0x5A; 8]),
        (53, b"2001010100000000"),
    ];
    for (n, v) in fields {
        m.set(n, v).unwrap();
    }
    specs::iso87_ascii_bbitmap().pack(&m).unwrap()
}
