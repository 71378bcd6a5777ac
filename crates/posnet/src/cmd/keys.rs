//! The keys of a data folder, made once like its certificates: the gateway's HSM (the DUKPT
//! BDK, the zone key-encryption key and the first zone PIN key shared with the issuer), the
//! issuer's HSM (the same zone keys and the PIN verification key), and one PIN pad per
//! terminal loaded with the initial key derived for it. Every store is sealed under its own
//! master key; no key is written in clear.
//!
//! Test data: every test card's PIN is [`TEST_PIN`]; the issuer holds its Visa PVV.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anyhow::{Context, Result};
use hsm::{Hsm, KeyAttributes, SoftHsm};
use paysec::SecretKey;
use paysec::dukpt::aes as aes_dukpt;
use paysec::tr31::{Exportability, KeyUsage};

use issuer::security::random_tdes_key;

use crate::cmd::setup::{CARDS, Layout};

/// The gateway's HSM, relative to the data folder.
pub const GATEWAY_HSM: &str = "keys/gateway-hsm";
/// The issuer's HSM, relative to the data folder.
pub const ISSUER_HSM: &str = "keys/issuer-hsm";
/// The DUKPT base derivation keys in the gateway's HSM: AES (the default) and TDES.
pub const BDK: &str = "bdk";
pub const BDK_TDES: &str = "bdk-tdes";
/// Terminals whose PIN pads run TDES DUKPT (ANSI X9.24-1); the others AES DUKPT.
pub const TDES_TERMINALS: &[&str] = &["TERM0002"];

/// The BDK a terminal's PIN pad descends from.
pub fn bdk_of(terminal_id: &str) -> &'static str {
    if TDES_TERMINALS.contains(&terminal_id) {
        BDK_TDES
    } else {
        BDK
    }
}
/// The gateway's issuer link (see `setup::gateway_toml`).
pub const ISSUER_LINK: &str = "demo-issuer";
/// Wrong PINs after which a card's PIN transactions are answered 75.
pub const PIN_TRIES_MAX: u32 = 3;
/// The PVV key index written with each card.
pub const PVKI: u8 = 1;
/// Every test card's PIN (test data only).
pub const TEST_PIN: &str = "1234";

/// PVVs of the test cards, known in the process that made the keys.
static PVVS: OnceLock<BTreeMap<String, String>> = OnceLock::new();

/// The zone key-encryption key shared with issuer link `link`.
pub fn zmk_name(link: &str) -> String {
    format!("zmk.{link}")
}

/// A terminal's PIN pad folder, relative to the data folder.
pub fn pinpad_dir(terminal_id: &str) -> String {
    format!("keys/pinpad-{terminal_id}")
}

/// A terminal's initial KSN (counter 0). AES DUKPT: its id, space-padded to the 8-byte
/// initial key id, so every PIN pad's keys differ and a KSN names its terminal. TDES DUKPT:
/// key set `FFFF987654`, the id's digits as the 19-bit device number.
pub fn initial_ksn(terminal_id: &str) -> Vec<u8> {
    if TDES_TERMINALS.contains(&terminal_id) {
        let digits: String = terminal_id.chars().filter(char::is_ascii_digit).collect();
        let device = digits.parse::<u64>().unwrap_or(0) & 0x7_FFFF;
        let tail = (device << 21).to_be_bytes();
        let mut ksn = vec![0xFF, 0xFF, 0x98, 0x76, 0x54];
        ksn.extend_from_slice(tail.get(3..).unwrap_or(&[0; 5]));
        return ksn;
    }
    let mut id = [b' '; 8];
    id.iter_mut()
        .zip(terminal_id.bytes())
        .for_each(|(d, s)| *d = s);
    aes_dukpt::Ksn::from_parts(id, 0).as_bytes().to_vec()
}

/// The `[pinpad]` table of a terminal's config.
pub fn pinpad_toml(terminal_id: &str) -> String {
    format!(
        "[pinpad]\ndir = \"{}\"\nkey = \"ipek\"\ninitial_ksn = \"{}\"\n",
        pinpad_dir(terminal_id),
        paysec::hex::encode_upper(&initial_ksn(terminal_id))
    )
}

/// The PVV of test card `name` when this process made the folder's keys.
pub fn pvv_of(name: &str) -> Option<String> {
    PVVS.get().and_then(|m| m.get(name).cloned())
}

fn import(hsm: &mut SoftHsm, name: &str, usage: KeyUsage, key: &SecretKey) -> Result<()> {
    hsm.import_key(name, &KeyAttributes::for_usage(usage), key)
        .with_context(|| format!("importing {name}"))?;
    Ok(())
}

/// The issuer's names for the virtual card's issuer master keys: IMK-AC (ARQC/ARPC, the
/// name `issuer::security::chip` looks up), IMK-SMI and IMK-SMC (issuer script MAC and PIN
/// encipherment, for when the issuer sends scripts).
pub const IMK_SMI: &str = issuer::security::IMK_SMI;
pub const IMK_SMC: &str = "imk-smc";

/// Imports the virtual card's TEST issuer master keys (`card`'s `profiles/test_keys.toml`,
/// public test data, never for a real card) into the issuer's HSM unless it holds them, so
/// every card `posnet card insert`/`--chip` personalises with the default test keys can be
/// verified. Also done for data folders made before chip support.
pub fn ensure_card_keys(issuer_dir: &std::path::Path) -> Result<()> {
    let mut hsm = SoftHsm::open(issuer_dir)
        .with_context(|| format!("opening the issuer's HSM in {}", issuer_dir.display()))?;
    if hsm.key_info(issuer::security::IMK_AC).is_ok() {
        return Ok(());
    }
    // TEST keys only: the card crate's published test key set.
    let test = card::keys::KeySet::test_keys().context("the card test key set")?;
    import(
        &mut hsm,
        issuer::security::IMK_AC,
        KeyUsage::EmvMkAc,
        &test.imks.ac,
    )?;
    import(&mut hsm, IMK_SMI, KeyUsage::EmvMkSmi, &test.imks.smi)?;
    import(&mut hsm, IMK_SMC, KeyUsage::EmvMkSmc, &test.imks.smc)?;
    Ok(())
}

/// Makes the HSMs unless they exist, and a PIN pad for each of `terminal_ids` that lacks one.
pub fn ensure(layout: &Layout, terminal_ids: &[String]) -> Result<()> {
    let gateway_dir = layout.dir.join(GATEWAY_HSM);
    std::fs::create_dir_all(layout.dir.join("keys")).context("creating keys/")?;
    if !gateway_dir.join(hsm::MASTER_KEY_FILE).exists() {
        let bdk = SecretKey::aes(&hsm::os_random(16).context("random BDK")?)?;
        let zmk = random_tdes_key()?;
        let zpk0 = random_tdes_key()?;
        let pvk = random_tdes_key()?;
        let mut gw = SoftHsm::init(&gateway_dir)
            .with_context(|| format!("creating {}", gateway_dir.display()))?;
        import(&mut gw, BDK, KeyUsage::Bdk, &bdk)?;
        import(&mut gw, BDK_TDES, KeyUsage::Bdk, &random_tdes_key()?)?;
        let mut zmk_attrs = KeyAttributes::for_usage(KeyUsage::KeyEncryption);
        zmk_attrs.exportability = Exportability::NonExportable;
        gw.import_key(&zmk_name(ISSUER_LINK), &zmk_attrs, &zmk)
            .context("importing the zone KEK")?;
        import(
            &mut gw,
            &gateway::security::zone_key_name(ISSUER_LINK, 0),
            KeyUsage::PinEncryption,
            &zpk0,
        )?;
        let issuer_dir = layout.dir.join(ISSUER_HSM);
        issuer::security::provision(&issuer_dir, &zmk, &zpk0, &pvk, None)
            .with_context(|| format!("creating {}", issuer_dir.display()))?;
        let mut pvvs = BTreeMap::new();
        for c in CARDS {
            let pvv = issuer::security::pvv_for(&pvk, c.pan, TEST_PIN, PVKI)
                .with_context(|| format!("PVV of card {}", c.name))?;
            pvvs.insert(c.name.to_string(), pvv);
        }
        let _ = PVVS.set(pvvs);
    }
    ensure_card_keys(&layout.dir.join(ISSUER_HSM))?;
    let mut bdk_hsm: Option<SoftHsm> = None;
    for id in terminal_ids {
        let dir = layout.dir.join(pinpad_dir(id));
        if dir.join(hsm::MASTER_KEY_FILE).exists() {
            continue;
        }
        if bdk_hsm.is_none() {
            bdk_hsm = Some(SoftHsm::open(&gateway_dir).context("opening the gateway's HSM")?);
        }
        let Some(kif) = &bdk_hsm else { continue };
        let ipek = kif
            .derive_initial_key(bdk_of(id), &initial_ksn(id))
            .with_context(|| format!("the initial key of terminal {id}"))?;
        let mut pad = SoftHsm::init(&dir).with_context(|| format!("creating {}", dir.display()))?;
        import(&mut pad, "ipek", KeyUsage::InitialDukptKey, &ipek)?;
    }
    Ok(())
}
