//! SoftHsm end to end: the key store on disk (sealed, tamper-evident, never clear) and every
//! command, on published vectors where one exists.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use hsm::{
    ArpcMethod, CardKeyRef, Direction, DukptRef, Hsm, HsmError, IccMasterKeyOption, KeyAttributes,
    MacAlgorithm, MacKeyRef, PinBlockRef, PinKeyRef, PinZoneRef, ScriptKeyRef,
    SessionKeyDerivation, SoftHsm,
};
use paysec::dukpt::tdes;
use paysec::emv::{self, CryptogramPadding};
use paysec::kcv::KcvMethod;
use paysec::mac::iso9797::{Padding, mac_algorithm_3};
use paysec::pinblock::{self, PinBlockFormat};
use paysec::pinverify::ibm3624::{DecimalisationTable, ValidationData};
use paysec::rng::Replay;
use paysec::tr31::{self, Exportability, KeyUsage, ModeOfUse};
use paysec::{Pan, Pin, SecretKey};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn tdes_key(s: &str) -> SecretKey {
    SecretKey::tdes(&h(s)).unwrap()
}

fn aes_key(s: &str) -> SecretKey {
    SecretKey::aes(&h(s)).unwrap()
}

const TEST_KEY: &str = "0123456789ABCDEFFEDCBA9876543210";
/// TR-31:2018 A.7.4 / X9.143 8.1 AES-256 KBPK.
const KBPK_AES: &str = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6";
/// TR-31:2018 A.7.2.2 TDES KBPK.
const KBPK_TDES: &str = "DD7515F2BFC17F85CE48F3CA25CB21F6";
/// ANSI X9.24-3-2017 supplement AES-128 BDK.
const AES_BDK: &str = "FEDCBA9876543210F1F1F1F1F1F1F1F1";

fn import(hsm: &mut SoftHsm, name: &str, usage: KeyUsage, key: &SecretKey) {
    hsm.import_key(name, &KeyAttributes::for_usage(usage), key)
        .unwrap_or_else(|e| panic!("import {name}: {e}"));
}

/// An HSM with the test keys of the published vectors below.
fn loaded(dir: &Path) -> SoftHsm {
    let mut hsm = SoftHsm::init(dir).unwrap();
    import(&mut hsm, "bdk.tdes", KeyUsage::Bdk, &tdes_key(TEST_KEY));
    import(&mut hsm, "bdk.aes", KeyUsage::Bdk, &aes_key(AES_BDK));
    import(
        &mut hsm,
        "zpk",
        KeyUsage::PinEncryption,
        &tdes_key("1111111111111111222222222222222F"),
    );
    import(
        &mut hsm,
        "zpk.aes",
        KeyUsage::PinEncryption,
        &aes_key("00112233445566778899AABBCCDDEEFF"),
    );
    import(
        &mut hsm,
        "pvk.pvv",
        KeyUsage::PinVerificationVisaPvv,
        &tdes_key(TEST_KEY),
    );
    import(
        &mut hsm,
        "pvk.ibm",
        KeyUsage::PinVerificationIbm3624,
        &tdes_key(TEST_KEY),
    );
    import(&mut hsm, "cvk", KeyUsage::Cvk, &tdes_key(TEST_KEY));
    import(&mut hsm, "imk", KeyUsage::EmvMkAc, &tdes_key(TEST_KEY));
    import(&mut hsm, "imk-smi", KeyUsage::EmvMkSmi, &tdes_key(TEST_KEY));
    import(&mut hsm, "mac.alg1", KeyUsage::MacAlg1, &tdes_key(TEST_KEY));
    import(
        &mut hsm,
        "mac.cmac",
        KeyUsage::MacCmac,
        &aes_key("2B7E151628AED2A6ABF7158809CF4F3C"),
    );
    import(&mut hsm, "kbpk.aes", KeyUsage::Kbpk, &aes_key(KBPK_AES));
    import(&mut hsm, "kbpk.tdes", KeyUsage::Kbpk, &tdes_key(KBPK_TDES));
    hsm
}

fn all_test_key_bytes() -> Vec<Vec<u8>> {
    vec![
        h(TEST_KEY),
        h(AES_BDK),
        h("1111111111111111222222222222222F"),
        h("00112233445566778899AABBCCDDEEFF"),
        h("2B7E151628AED2A6ABF7158809CF4F3C"),
        h(KBPK_AES),
        h(KBPK_TDES),
    ]
}

#[test]
fn init_makes_a_private_master_key_and_refuses_to_run_twice() {
    let dir = tempfile::tempdir().unwrap();
    let hsm = SoftHsm::init(dir.path()).unwrap();
    let mode = fs::metadata(dir.path().join("master.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let store_mode = fs::metadata(dir.path().join("keys.store"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(store_mode & 0o077, 0);
    assert_eq!(hsm.master_kcv().len(), 6);
    assert!(matches!(
        SoftHsm::init(dir.path()),
        Err(HsmError::AlreadyInitialised { .. })
    ));
    // Two HSMs never share a master key.
    let other = tempfile::tempdir().unwrap();
    assert_ne!(
        SoftHsm::init(other.path()).unwrap().master_kcv(),
        hsm.master_kcv()
    );
    assert!(matches!(
        SoftHsm::open(tempfile::tempdir().unwrap().path()),
        Err(HsmError::NotInitialised { .. })
    ));
}

#[test]
fn keys_survive_reopening_with_their_check_values() {
    let dir = tempfile::tempdir().unwrap();
    let before = loaded(dir.path()).list_keys();
    let hsm = SoftHsm::open(dir.path()).unwrap();
    let after = hsm.list_keys();
    assert_eq!(before, after);
    assert_eq!(after.len(), 13);
    // psec docs: KCV of 0123456789ABCDEFFEDCBA9876543210 starts 08D7 (full: 08D7B4).
    let cvk = hsm.key_info("cvk").unwrap();
    assert_eq!(cvk.kcv.as_ref().unwrap().hex, "08D7B4");
    assert_eq!(cvk.kcv.as_ref().unwrap().method, KcvMethod::Legacy);
    assert_eq!(cvk.usage, KeyUsage::Cvk);
    assert_eq!(cvk.mode_of_use, ModeOfUse::GenerateVerify);
    // TR-31:2018 A.7.2.2: KBPK DD7515F2BFC17F85CE48F3CA25CB21F6 ... key KCVs are printed
    // for the wrapped key; the AES KBPK of A.7.4 is only checked for its CMAC method here.
    assert_eq!(
        hsm.key_info("kbpk.aes").unwrap().kcv.unwrap().method,
        KcvMethod::Cmac
    );
    assert!(matches!(
        hsm.key_info("nope"),
        Err(HsmError::UnknownKey { .. })
    ));
}

#[test]
fn the_store_file_holds_no_key_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    drop(loaded(dir.path()));
    let store = fs::read(dir.path().join("keys.store")).unwrap();
    let text = String::from_utf8(store.clone()).unwrap().to_uppercase();
    for key in all_test_key_bytes() {
        assert!(
            !store.windows(key.len()).any(|w| w == key.as_slice()),
            "raw key bytes in the store"
        );
        let hex_upper = hex::encode_upper(&key);
        assert!(
            !text.contains(&hex_upper),
            "key {hex_upper} in hex in the store"
        );
        // Each half of a double-length key is a DES key on its own.
        for half in key.chunks(8) {
            assert!(
                !text.contains(&hex::encode_upper(half)),
                "key half in the store"
            );
        }
    }
    // The master key is not in the store either.
    let master = fs::read_to_string(dir.path().join("master.key")).unwrap();
    assert!(!text.contains(master.trim()));
}

#[test]
fn a_tampered_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(loaded(dir.path()));
    let path = dir.path().join("keys.store");
    let good = fs::read(&path).unwrap();
    // One flipped bit anywhere in a key line, the MAC, or a removed line.
    let key_line_at = good.windows(8).position(|w| w == b"key cvk ").unwrap();
    let positions = [
        key_line_at + 4,
        key_line_at + 30,
        key_line_at + 100,
        good.len() - 5,
    ];
    for pos in positions {
        let mut bad = good.clone();
        bad[pos] ^= 0x01;
        fs::write(&path, &bad).unwrap();
        let err = SoftHsm::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, HsmError::StoreTampered | HsmError::StoreFormat { .. }),
            "flip at {pos}: {err}"
        );
    }
    let text = String::from_utf8(good.clone()).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("key cvk "))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&path, without).unwrap();
    assert!(matches!(
        SoftHsm::open(dir.path()),
        Err(HsmError::StoreTampered)
    ));
    fs::write(&path, &good).unwrap();
    assert_eq!(SoftHsm::open(dir.path()).unwrap().list_keys().len(), 13);
}

#[test]
fn a_wrong_master_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(loaded(dir.path()));
    let other = tempfile::tempdir().unwrap();
    let other_hsm = SoftHsm::init(other.path()).unwrap();
    fs::copy(
        other.path().join("master.key"),
        dir.path().join("master.key"),
    )
    .unwrap();
    match SoftHsm::open(dir.path()) {
        Err(HsmError::WrongMasterKey { master_kcv, .. }) => {
            assert_eq!(master_kcv, other_hsm.master_kcv())
        }
        other => panic!("expected WrongMasterKey, got {other:?}"),
    }
}

#[test]
fn a_readable_master_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SoftHsm::init(dir.path()).unwrap());
    let path = dir.path().join("master.key");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        SoftHsm::open(dir.path()),
        Err(HsmError::MasterKeyPermissions { mode: 0o644, .. })
    ));
}

#[test]
fn master_key_can_live_apart_from_the_store() {
    let keys = tempfile::tempdir().unwrap();
    let vault = tempfile::tempdir().unwrap();
    let master = vault.path().join("lmk");
    let store = keys.path().join("keys.store");
    let mut hsm = SoftHsm::init_at(&master, &store).unwrap();
    import(&mut hsm, "cvk", KeyUsage::Cvk, &tdes_key(TEST_KEY));
    assert!(!keys.path().join("master.key").exists());
    let again = SoftHsm::open_at(&master, &store).unwrap();
    assert_eq!(again.list_keys().len(), 1);
}

#[test]
fn names_are_unique_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut hsm = loaded(dir.path());
    let attrs = KeyAttributes::for_usage(KeyUsage::Cvk);
    assert!(matches!(
        hsm.import_key("cvk", &attrs, &tdes_key(TEST_KEY)),
        Err(HsmError::DuplicateKey { .. })
    ));
    assert!(matches!(
        hsm.import_key("bad name", &attrs, &tdes_key(TEST_KEY)),
        Err(HsmError::BadKeyName { .. })
    ));
    // A CVK must be a double-length TDES key.
    assert!(matches!(
        hsm.import_key("cvk2", &attrs, &aes_key(AES_BDK)),
        Err(HsmError::KeyKindForUsage { .. })
    ));
}

/// ANSI X9.24-1:2009 A.4: BDK 0123456789ABCDEFFEDCBA9876543210, KSN FFFF9876543210E00001,
/// PIN 1234, PAN 4012345678909 → format 0 block 1B9C1845EB993A7A.
#[test]
fn translates_a_tdes_dukpt_pin_block_to_the_zone_key() {
    let dir = tempfile::tempdir().unwrap();
    let hsm = loaded(dir.path());
    let pan = Pan::new("4012345678909").unwrap();
    let ksn = h("FFFF9876543210E00001");
    let block = h("1B9C1845EB993A7A");
    let from = PinBlockRef {
        key: PinKeyRef::Dukpt(DukptRef::new("bdk.tdes", &ksn)),
        format: PinBlockFormat::Iso0,
        block: &block,
    };
    let to = PinZoneRef {
        zpk: "zpk",
        format: PinBlockFormat::Iso0,
    };
    let out = hsm.translate_pin(&from, &to, Some(&pan)).unwrap();
    // Format 0 is deterministic: the block under the ZPK is exactly this.
    let zpk = tdes_key("1111111111111111222222222222222F");
    let pin = Pin::new("1234").unwrap();
    let expected = pinblock::encipher(
        PinBlockFormat::Iso0,
        &zpk,
        &pin,
        Some(&pan),
        &mut Replay::new(&[]),
    )
    .unwrap();
    assert_eq!(out, expected);
    // Another KSN's key does not open it: the block decodes to garbage or another PIN.
    let wrong_ksn = h("FFFF9876543210E00002");
    let wrong = PinBlockRef {
        key: PinKeyRef::Dukpt(DukptRef::new("bdk.tdes", &wrong_ksn)),
        ..from
    };
    match hsm.translate_pin(&wrong, &to, Some(&pan)) {
        Err(HsmError::PinBlock(_)) => {}
        Ok(other) => assert_ne!(other, expected),
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// ANSI X9.24-3-2017 supplement: AES-128 BDK, initial key ID 1234567890123456, counter 1,
/// PIN 1234, PAN 4111111111111111, random 2F69ADDE2E9E7ACE → A912150391AB65A67E52883D81CE2D15.
#[test]
fn translates_an_aes_dukpt_pin_block_to_format_4_and_format_0() {
    let dir = tempfile::tempdir().unwrap();
    let hsm = loaded(dir.path());
    let pan = Pan::new("4111111111111111").unwrap();
    let ksn = h("123456789012345600000001");
    let block = h("A912150391AB65A67E52883D81CE2D15");
    let from = PinBlockRef {
        key: PinKeyRef::Dukpt(DukptRef::new("bdk.aes", &ksn)),
        format: PinBlockFormat::Iso4,
        block: &block,
    };
    let to4 = PinZoneRef {
        zpk: "zpk.aes",
        format: PinBlockFormat::Iso4,
    };
    let out4 = hsm.translate_pin(&from, &to4, Some(&pan)).unwrap();
    let zpk_aes = aes_key("00112233445566778899AABBCCDDEEFF");
    assert_eq!(
        pinblock::decipher(PinBlockFormat::Iso4, &zpk_aes, &out4, Some(&pan)).unwrap(),
        Pin::new("1234").unwrap()
    );
    let to0 = PinZoneRef {
        zpk: "zpk",
        format: PinBlockFormat::Iso0,
    };
    let out0 = hsm.translate_pin(&from, &to0, Some(&pan)).unwrap();
    let zpk = tdes_key("1111111111111111222222222222222F");
    assert_eq!(
        pinblock::decipher(PinBlockFormat::Iso0, &zpk, &out0, Some(&pan)).unwrap(),
        Pin::new("1234").unwrap()
    );
}

fn zone_block(pin: &str, pan: &Pan) -> Vec<u8> {
    pinblock::encipher(
        PinBlockFormat::Iso0,
        &tdes_key("1111111111111111222222222222222F"),
        &Pin::new(pin).unwrap(),
        Some(pan),
        &mut Replay::new(&[]),
    )
    .unwrap()
}

/// psec docs: PVK 0123456789ABCDEFFEDCBA9876543210, PVKI 3, PIN 4524, PAN 1122334455667788 →
/// PVV 4021; IBM 3624 with table 1234567890123456, PAN digits 0..16 padded F → offset 0000.
#[test]
fn verifies_pins_by_pvv_and_ibm_offset() {
    let dir = tempfile::tempdir().unwrap();
    let hsm = loaded(dir.path());
    let pan = Pan::new("1122334455667788").unwrap();
    let right = zone_block("4524", &pan);
    let wrong = zone_block("4525", &pan);
    fn pin(block: &[u8]) -> PinBlockRef<'_> {
        PinBlockRef {
            key: PinKeyRef::Zone("zpk"),
            format: PinBlockFormat::Iso0,
            block,
        }
    }
    let (r, w) = (right, wrong);
    assert!(
        hsm.verify_pin_pvv(&pin(&r), &pan, "pvk.pvv", 3, "4021")
            .unwrap()
    );
    assert!(
        !hsm.verify_pin_pvv(&pin(&w), &pan, "pvk.pvv", 3, "4021")
            .unwrap()
    );
    assert!(
        !hsm.verify_pin_pvv(&pin(&r), &pan, "pvk.pvv", 4, "4021")
            .unwrap()
    );
    let table = DecimalisationTable::new("1234567890123456").unwrap();
    let vd = ValidationData::from_pan(&pan, 0, 16, 0xF).unwrap();
    assert!(
        hsm.verify_pin_ibm3624(&pin(&r), &pan, "pvk.ibm", &table, &vd, "0000")
            .unwrap()
    );
    assert!(
        !hsm.verify_pin_ibm3624(&pin(&w), &pan, "pvk.ibm", &table, &vd, "0000")
            .unwrap()
    );
    // A 5-digit offset for a 4-digit PIN is a wrong PIN, not an error.
    assert!(
        !hsm.verify_pin_ibm3624(&pin(&r), &pan, "pvk.ibm", &table, &vd, "00000")
            .unwrap()
    );
    assert!(matches!(
        hsm.verify_pin_ibm3624(&pin(&r), &pan, "pvk.ibm", &table, &vd, "00x0"),
        Err(HsmError::Field { .. })
    ));
    // Usage rules: the IBM key cannot check a PVV, the PVV key cannot check an offset.
    assert!(matches!(
        hsm.verify_pin_pvv(&pin(&r), &pan, "pvk.ibm", 3, "4021"),
        Err(HsmError::WrongUsage { .. })
    ));
    assert!(matches!(
        hsm.verify_pin_ibm3624(&pin(&r), &pan, "pvk.pvv", &table, &vd, "0000"),
        Err(HsmError::WrongUsage { .. })
    ));
}

/// psec docs: CVK 0123456789ABCDEFFEDCBA9876543210, PAN 1234567890123456, 9912, 220 → 170.
#[test]
fn checks_cvv() {
    let dir = tempfile::tempdir().unwrap();
    let hsm = loaded(dir.path());
    let pan = Pan::new("1234567890123456").unwrap();
    assert!(hsm.verify_cvv("cvk", &pan, "9912", "220", "170").unwrap());
    assert!(!hsm.verify_cvv("cvk", &pan, "9912", "220", "171").unwrap());
    assert!(!hsm.verify_cvv("cvk", &pan, "9911", "220", "170").unwrap());
    assert!(matches!(
        hsm.verify_cvv("zpk", &pan, "9912", "220", "170"),
        Err(HsmError::WrongUsage { .. })
    ));
}

/// pyemv docs: IMK 0123456789ABCDEFFEDCBA9876543210, PAN 12345678901234567, PSN 01 → ICC MK
/// 73AD54688CEF2934B0979857E3C719F1 (option A); R 001C000000000000 gives a session key from it.
#[test]
fn verifies_arqc_and_makes_arpc() {
    let dir = tempfile::tempdir().unwrap();
    let hsm = loaded(dir.path());
    let pan = Pan::new("12345678901234567").unwrap();
    let mk = tdes_key("73AD54688CEF2934B0979857E3C719F1");
    let data = h("0000000010000000000000000840000000000008402501010012345678");
    for session in [
        SessionKeyDerivation::IccMasterKey,
        SessionKeyDerivation::Common {
            atc: 0x001C,
            unpredictable_number: [0x12, 0x34, 0x56, 0x78],
        },
    ] {
        let card = CardKeyRef {
            imk: "imk",
            pan: &pan,
            psn: Some(1),
            option: IccMasterKeyOption::A,
            session,
        };
        let sk = match session {
            SessionKeyDerivation::IccMasterKey => mk.clone(),
            SessionKeyDerivation::Common { .. } => emv::derive_common_session_key(
                &mk,
                emv::ac_diversification(0x001C, [0x12, 0x34, 0x56, 0x78]),
            )
            .unwrap(),
        };
        let arqc = emv::generate_ac(&sk, &data, CryptogramPadding::Method2).unwrap();
        assert!(
            hsm.verify_arqc(&card, &data, CryptogramPadding::Method2, &arqc)
                .unwrap()
        );
        let mut bad = arqc;
        bad[7] ^= 1;
        assert!(
            !hsm.verify_arqc(&card, &data, CryptogramPadding::Method2, &bad)
                .unwrap()
        );
        assert!(
            !hsm.verify_arqc(&card, &data, CryptogramPadding::Method1, &arqc)
                .unwrap()
        );
        let arpc1 = hsm
            .generate_arpc(&card, &arqc, &ArpcMethod::Method1 { arc: *b"00" })
            .unwrap();
        assert_eq!(
            arpc1,
            emv::generate_arpc_method1(&sk, &arqc, *b"00").unwrap()
        );
        let arpc2 = hsm
            .generate_arpc(
                &card,
                &arqc,
                &ArpcMethod::Method2 {
                    csu: [0, 0, 0, 0],
                    proprietary_auth_data: &[],
                },
            )
            .unwrap();
        assert_eq!(
            arpc2,
            emv::generate_arpc_method2(&sk, &arqc, [0; 4], &[]).unwrap()
        );
    }
    // Option B for this 17-digit PAN: pyemv docs give AD406D7F6D7570916D75E5DCAB8CF737.
    let card_b = CardKeyRef {
        imk: "imk",
        pan: &pan,
        psn: Some(1),
        option: IccMasterKeyOption::B,
        session: SessionKeyDerivation::IccMasterKey,
    };
    let mk_b = tdes_key("AD406D7F6D7570916D75E5DCAB8CF737");
    let arqc_b = emv::generate_ac(&mk_b, &data, CryptogramPadding::Method1).unwrap();
    assert!(
        hsm.verify_arqc(&card_b, &data, CryptogramPadding::Method1, &arqc_b)
            .unwrap()
    );
}

/// The script MAC is algorithm 3 under `CSK(MK-SMI, ARQC)`, MK-SMI from the IMK-SMI as the
/// pyemv-documented ICC MK above (same IMK, PAN and PSN), and only an E2 key may make it.
#[test]
fn makes_issuer_script_macs() {
    let dir = tempfile::tempdir().unwrap();
    let hsm = loaded(dir.path());
    let pan = Pan::new("12345678901234567").unwrap();
    let mk = tdes_key("73AD54688CEF2934B0979857E3C719F1");
    let arqc = h("8A3B1C2D4E5F6071");
    let arqc: [u8; 8] = arqc.try_into().unwrap();
    let key = ScriptKeyRef {
        imk: "imk-smi",
        pan: &pan,
        psn: Some(1),
        option: IccMasterKeyOption::A,
        arqc,
    };
    // APPLICATION BLOCK header with Lc 8, ATC 001C, the ARQC.
    let data = h("841E000008001C8A3B1C2D4E5F6071");
    let sk = emv::derive_common_session_key(&mk, arqc).unwrap();
    let expected = emv::issuer_script_mac(&sk, &data, 8).unwrap();
    assert_eq!(hsm.generate_script_mac(&key, &data, 8).unwrap(), expected);
    assert_eq!(
        hsm.generate_script_mac(&key, &data, 4).unwrap(),
        expected[..4]
    );
    let other = ScriptKeyRef {
        arqc: [0; 8],
        ..key
    };
    assert_ne!(hsm.generate_script_mac(&other, &data, 8).unwrap(), expected);
    assert!(matches!(
        hsm.generate_script_mac(&ScriptKeyRef { imk: "imk", ..key }, &data, 8),
        Err(HsmError::WrongUsage { .. })
    ));
}

#[test]
fn generates_and_verifies_macs() {
    let dir = tempfile::tempdir().unwrap();
    let hsm = loaded(dir.path());
    // psec docs: CBC-MAC under 0123456789ABCDEFFEDCBA9876543210 of 1234567890ABCDEF, padding 2.
    let alg1 = MacAlgorithm::Iso9797Alg1(Padding::Method2);
    let data = h("1234567890ABCDEF");
    let mac = hsm
        .generate_mac(&MacKeyRef::Named("mac.alg1"), alg1, &data, 8)
        .unwrap();
    assert_eq!(hex::encode_upper(&mac), "925B1737EF681AD3");
    assert!(
        hsm.verify_mac(&MacKeyRef::Named("mac.alg1"), alg1, &data, &mac[..4])
            .unwrap()
    );
    assert!(
        !hsm.verify_mac(
            &MacKeyRef::Named("mac.alg1"),
            alg1,
            &h("1234567890ABCDEE"),
            &mac
        )
        .unwrap()
    );
    // NIST SP 800-38B D.1 example 2: AES-128 CMAC of 6BC1BEE22E409F96E93D7E117393172A.
    let cmac = hsm
        .generate_mac(
            &MacKeyRef::Named("mac.cmac"),
            MacAlgorithm::Cmac,
            &h("6BC1BEE22E409F96E93D7E117393172A"),
            16,
        )
        .unwrap();
    assert_eq!(hex::encode_upper(&cmac), "070A16B46B4D4144F79BDD9DD04A287C");
    // The algorithm must match the key's usage.
    assert!(matches!(
        hsm.generate_mac(&MacKeyRef::Named("mac.cmac"), alg1, &data, 8),
        Err(HsmError::WrongUsage { .. })
    ));
    // DUKPT request MAC: X9.24-1 A.4 gives the request MAC key for KSN ...E00001 as
    // 042666B4918430A368DE9628D03984C9; the HSM's retail MAC must be the one under it.
    let ksn = h("FFFF9876543210E00001");
    let key = MacKeyRef::Dukpt {
        dukpt: DukptRef::new("bdk.tdes", &ksn),
        direction: Direction::Request,
    };
    let alg3 = MacAlgorithm::Iso9797Alg3(Padding::Method1);
    let msg = b"0200 purchase 12.34";
    let mac = hsm.generate_mac(&key, alg3, msg, 8).unwrap();
    let expected = mac_algorithm_3(
        &tdes_key("042666B4918430A368DE9628D03984C9"),
        msg,
        Padding::Method1,
        8,
    )
    .unwrap();
    assert_eq!(mac, expected);
    assert!(hsm.verify_mac(&key, alg3, msg, &mac).unwrap());
    let response = MacKeyRef::Dukpt {
        dukpt: DukptRef::new("bdk.tdes", &ksn),
        direction: Direction::Response,
    };
    assert!(!hsm.verify_mac(&response, alg3, msg, &mac).unwrap());
    // The same walk with the library, as a cross-check of direction handling.
    let resp_key = tdes::derive_working_key(
        &tdes_key(TEST_KEY),
        &tdes::Ksn::new(&ksn).unwrap(),
        tdes::KeyUsage::MacResponse,
    )
    .unwrap();
    assert_eq!(
        hsm.generate_mac(&response, alg3, msg, 8).unwrap(),
        mac_algorithm_3(&resp_key, msg, Padding::Method1, 8).unwrap()
    );
}

#[test]
fn a_verify_only_mac_key_cannot_generate() {
    let dir = tempfile::tempdir().unwrap();
    let mut hsm = SoftHsm::init(dir.path()).unwrap();
    let mut attrs = KeyAttributes::for_usage(KeyUsage::MacAlg1);
    attrs.mode_of_use = ModeOfUse::VerifyOnly;
    hsm.import_key("m", &attrs, &tdes_key(TEST_KEY)).unwrap();
    let alg = MacAlgorithm::Iso9797Alg1(Padding::Method1);
    assert!(matches!(
        hsm.generate_mac(&MacKeyRef::Named("m"), alg, b"x", 8),
        Err(HsmError::WrongMode { .. })
    ));
    assert!(
        !hsm.verify_mac(&MacKeyRef::Named("m"), alg, b"x", &[0; 8])
            .unwrap()
    );
}

/// TR-31:2018 A.7.4 (version D) and A.7.2.2 (version B) blocks import with their published
/// keys' check values; exports open under the KBPK with the same key.
#[test]
fn imports_and_exports_tr31() {
    let dir = tempfile::tempdir().unwrap();
    let mut hsm = loaded(dir.path());
    let d_block = "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";
    let info = hsm
        .import_tr31(
            "zpk.partner",
            "kbpk.aes",
            d_block,
            Some(KeyUsage::PinEncryption),
        )
        .unwrap();
    assert_eq!(info.usage, KeyUsage::PinEncryption);
    assert_eq!(info.mode_of_use, ModeOfUse::EncryptOnly);
    assert_eq!(info.len_bytes, 16);
    // X9.143:2021 8.1: CMAC KCV of the AES key 3F419E1CB7079442AA37474C2EFBF8B8 is 08793E25AB.
    assert_eq!(info.kcv.unwrap().hex, "08793E");

    // TR-31:2018 A.7.2.2: the TDES key has KCV 57C409. Its KBPK is a 2-key TDES key.
    let b_block =
        "B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E";
    let info = hsm
        .import_tr31("zpk.b", "kbpk.tdes", b_block, None)
        .unwrap();
    assert_eq!(info.kcv.unwrap().hex, "57C409");
    assert!(matches!(
        hsm.import_tr31("zpk.c", "kbpk.tdes", b_block, Some(KeyUsage::Bdk)),
        Err(HsmError::UsageMismatch { .. })
    ));
    assert!(matches!(
        hsm.import_tr31("zpk.d", "kbpk.aes", b_block, None),
        Err(HsmError::Tr31(_))
    ));
    let mut altered = b_block.to_string();
    altered.replace_range(40..41, "0");
    assert!(
        hsm.import_tr31("zpk.e", "kbpk.tdes", &altered, None)
            .is_err()
    );

    // Export: the block opens under the KBPK to the same key, with the same attributes and no
    // trace of the store's name block.
    let exported = hsm.export_tr31("zpk.b", "kbpk.aes").unwrap();
    assert!(exported.starts_with('D'));
    let opened = tr31::unwrap(&aes_key(KBPK_AES), exported.as_bytes()).unwrap();
    assert_eq!(
        hex::encode_upper(&opened.key[..]),
        "3F419E1CB7079442AA37474C2EFBF8B8"
    );
    assert_eq!(opened.header.key_usage, KeyUsage::PinEncryption);
    assert!(opened.header.optional_blocks.is_empty());
    let exported_b = hsm.export_tr31("cvk", "kbpk.tdes").unwrap();
    assert!(exported_b.starts_with('B'));
    let opened = tr31::unwrap(&tdes_key(KBPK_TDES), exported_b.as_bytes()).unwrap();
    assert_eq!(hex::encode_upper(&opened.key[..]), TEST_KEY);

    // Rules: never under itself, never under a weaker key, never a non-exportable key.
    assert!(matches!(
        hsm.export_tr31("kbpk.aes", "kbpk.aes"),
        Err(HsmError::SelfWrap { .. })
    ));
    assert!(matches!(
        hsm.export_tr31("kbpk.aes", "kbpk.tdes"),
        Err(HsmError::WeakKbpk { .. })
    ));
    let mut attrs = KeyAttributes::for_usage(KeyUsage::Cvk);
    attrs.exportability = Exportability::NonExportable;
    hsm.import_key("cvk.local", &attrs, &tdes_key(TEST_KEY))
        .unwrap();
    assert!(matches!(
        hsm.export_tr31("cvk.local", "kbpk.aes"),
        Err(HsmError::NotExportable { .. })
    ));
    assert!(matches!(
        hsm.export_tr31("cvk", "zpk"),
        Err(HsmError::WrongUsage { .. })
    ));
    // Everything imported is on disk.
    let reopened = SoftHsm::open(dir.path()).unwrap();
    assert_eq!(
        reopened.key_info("zpk.partner").unwrap().kcv.unwrap().hex,
        "08793E"
    );
}

#[test]
fn debug_output_shows_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let hsm = loaded(dir.path());
    let text = format!("{hsm:?} {:?}", hsm.list_keys());
    for key in all_test_key_bytes() {
        assert!(!text.to_uppercase().contains(&hex::encode_upper(&key)));
    }
}
