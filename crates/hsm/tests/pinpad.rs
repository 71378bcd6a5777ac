//! The PIN pad's side of DUKPT against the host's: a PIN block and a MAC the PIN pad makes
//! from its initial key are read and checked by an HSM that holds only the BDK, for AES-128
//! and TDES DUKPT and for many KSN counters; and a wrong key or a changed byte fails.

use hsm::{
    Direction, DukptRef, Hsm, KeyAttributes, MacAlgorithm, MacKeyRef, PinBlockRef, PinKeyRef,
    PinZoneRef, SoftHsm,
};
use paysec::dukpt::{aes as aes_dukpt, tdes as tdes_dukpt};
use paysec::mac::iso9797::Padding;
use paysec::pinblock::{self, PinBlockFormat};
use paysec::tr31::KeyUsage;
use paysec::{Pan, Pin, SecretKey};

/// ANSI X9.24-3-2017 supplement AES-128 BDK and initial key id.
const AES_BDK: &str = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
const AES_KEY_ID: &str = "0123456789ABCDEF";
/// ANSI X9.24-1 test BDK and initial KSN.
const TDES_BDK: &str = "0123456789ABCDEFFEDCBA9876543210";
const TDES_KSN: &str = "FFFF9876543210E00000";
const ZPK: &str = "1111111111111111222222222222222F";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn import(hsm: &mut SoftHsm, name: &str, usage: KeyUsage, key: &SecretKey) {
    hsm.import_key(name, &KeyAttributes::for_usage(usage), key)
        .unwrap_or_else(|e| panic!("import {name}: {e}"));
}

struct Pair {
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    pinpad: SoftHsm,
    host: SoftHsm,
}

fn pair(aes: bool) -> Pair {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut host = SoftHsm::init(a.path()).unwrap();
    let mut pinpad = SoftHsm::init(b.path()).unwrap();
    let (bdk, ipek) = if aes {
        let bdk = SecretKey::aes(&h(AES_BDK)).unwrap();
        let id: [u8; 8] = h(AES_KEY_ID).try_into().unwrap();
        let ipek = aes_dukpt::derive_initial_key(&bdk, id).unwrap();
        (bdk, ipek)
    } else {
        let bdk = SecretKey::tdes(&h(TDES_BDK)).unwrap();
        let ksn = tdes_dukpt::Ksn::new(&h(TDES_KSN)).unwrap();
        let ipek = tdes_dukpt::derive_ipek(&bdk, &ksn).unwrap();
        (bdk, ipek)
    };
    import(&mut host, "bdk", KeyUsage::Bdk, &bdk);
    import(
        &mut host,
        "zpk",
        KeyUsage::PinEncryption,
        &SecretKey::tdes(&h(ZPK)).unwrap(),
    );
    import(&mut pinpad, "ipek", KeyUsage::InitialDukptKey, &ipek);
    Pair {
        _dirs: (a, b),
        pinpad,
        host,
    }
}

/// KSNs of counters 1..=n that a device may use.
fn ksns(aes: bool, n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if aes {
        let mut k = aes_dukpt::Ksn::from_parts(h(AES_KEY_ID).try_into().unwrap(), 0);
        while out.len() < n {
            k = k.next().unwrap();
            out.push(k.as_bytes().to_vec());
        }
    } else {
        let mut k = tdes_dukpt::Ksn::new(&h(TDES_KSN)).unwrap();
        while out.len() < n {
            k = k.next().unwrap();
            out.push(k.as_bytes().to_vec());
        }
    }
    out
}

fn mac_alg(aes: bool) -> MacAlgorithm {
    if aes {
        MacAlgorithm::Cmac
    } else {
        MacAlgorithm::Iso9797Alg3(Padding::Method1)
    }
}

#[test]
fn host_reads_what_the_pin_pad_makes() {
    let pan = Pan::new("4761739001010010").unwrap();
    let pin = Pin::new("1234").unwrap();
    let zpk = SecretKey::tdes(&h(ZPK)).unwrap();
    for aes in [true, false] {
        let p = pair(aes);
        let (format, len) = if aes {
            (PinBlockFormat::Iso4, 16)
        } else {
            (PinBlockFormat::Iso0, 8)
        };
        for ksn in ksns(aes, 300) {
            let block = p
                .pinpad
                .pinpad_encipher_pin("ipek", &ksn, &pin, &pan)
                .unwrap();
            assert_eq!(block.len(), len);
            // The gateway's step: DUKPT → zone PIN key, format 0.
            let from = PinBlockRef {
                key: PinKeyRef::Dukpt(DukptRef::new("bdk", &ksn)),
                format,
                block: &block,
            };
            let to = PinZoneRef {
                zpk: "zpk",
                format: PinBlockFormat::Iso0,
            };
            let zone = p.host.translate_pin(&from, &to, Some(&pan)).unwrap();
            let clear = pinblock::decipher(PinBlockFormat::Iso0, &zpk, &zone, Some(&pan)).unwrap();
            assert_eq!(clear.reveal().as_str(), "1234");

            let data = format!("0200 message under {}", paysec::hex::encode_upper(&ksn));
            for direction in [Direction::Request, Direction::Response] {
                let mac = p
                    .pinpad
                    .pinpad_mac("ipek", &ksn, direction, data.as_bytes())
                    .unwrap();
                let key = MacKeyRef::Dukpt {
                    dukpt: DukptRef::new("bdk", &ksn),
                    direction,
                };
                assert!(
                    p.host
                        .verify_mac(&key, mac_alg(aes), data.as_bytes(), &mac)
                        .unwrap()
                );
                let host_mac = p
                    .host
                    .generate_mac(&key, mac_alg(aes), data.as_bytes(), 8)
                    .unwrap();
                assert_eq!(host_mac, mac.to_vec());
                assert!(
                    p.pinpad
                        .pinpad_verify_mac("ipek", &ksn, direction, data.as_bytes(), &host_mac)
                        .unwrap()
                );
                // One changed byte, or the other direction's key, does not verify.
                let mut tampered = data.clone().into_bytes();
                tampered[0] ^= 1;
                assert!(
                    !p.host
                        .verify_mac(&key, mac_alg(aes), &tampered, &mac)
                        .unwrap()
                );
            }
            let req = p
                .pinpad
                .pinpad_mac("ipek", &ksn, Direction::Request, data.as_bytes())
                .unwrap();
            let resp = p
                .pinpad
                .pinpad_mac("ipek", &ksn, Direction::Response, data.as_bytes())
                .unwrap();
            assert_ne!(req, resp);
        }
    }
}

#[test]
fn pin_pad_keys_are_used_only_as_initial_keys() {
    let p = pair(true);
    let ksn = ksns(true, 1).remove(0);
    let pan = Pan::new("4761739001010010").unwrap();
    let pin = Pin::new("1234").unwrap();
    // The host's BDK is not a PIN pad key, and a PIN pad has no BDK.
    let err = p
        .host
        .pinpad_encipher_pin("bdk", &ksn, &pin, &pan)
        .unwrap_err();
    assert!(err.to_string().contains("B1"), "{err}");
    let err = p
        .pinpad
        .pinpad_mac("bdk", &ksn, Direction::Request, b"x")
        .unwrap_err();
    assert!(err.to_string().contains("bdk"), "{err}");
    // A KSN of the wrong length is a typed error, not a panic.
    let err = p
        .pinpad
        .pinpad_encipher_pin("ipek", &ksn[..5], &pin, &pan)
        .unwrap_err();
    assert!(!err.to_string().is_empty());
}

#[test]
fn key_injection_derives_the_pin_pads_initial_key_from_the_bdk() {
    let p = pair(true);
    let ksn = ksns(true, 1).remove(0);
    let id: [u8; 8] = h(AES_KEY_ID).try_into().unwrap();
    let initial = aes_dukpt::Ksn::from_parts(id, 0);
    let injected = p
        .host
        .derive_initial_key("bdk", initial.as_bytes())
        .unwrap();
    let expected =
        aes_dukpt::derive_initial_key(&SecretKey::aes(&h(AES_BDK)).unwrap(), id).unwrap();
    assert!(injected.ct_eq(&expected));
    // Loaded into a fresh PIN pad, it makes MACs the host verifies.
    let dir = tempfile::tempdir().unwrap();
    let mut pad = SoftHsm::init(dir.path()).unwrap();
    import(&mut pad, "ipek", KeyUsage::InitialDukptKey, &injected);
    let mac = pad
        .pinpad_mac("ipek", &ksn, Direction::Request, b"data")
        .unwrap();
    let key = MacKeyRef::Dukpt {
        dukpt: DukptRef::new("bdk", &ksn),
        direction: Direction::Request,
    };
    assert!(
        p.host
            .verify_mac(&key, MacAlgorithm::Cmac, b"data", &mac)
            .unwrap()
    );
    // TDES too, and only from a BDK.
    let t = pair(false);
    let tksn = h(TDES_KSN);
    let ipek = t.host.derive_initial_key("bdk", &tksn).unwrap();
    let bdk = SecretKey::tdes(&h(TDES_BDK)).unwrap();
    let want = tdes_dukpt::derive_ipek(&bdk, &tdes_dukpt::Ksn::new(&tksn).unwrap()).unwrap();
    assert!(ipek.ct_eq(&want));
    assert!(t.host.derive_initial_key("zpk", &tksn).is_err());
}
