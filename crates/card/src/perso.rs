//! Personalisation: from a profile, the issuer master keys and the test PKI to a card image
//! (FCIs, records, certificates, the card's keys). What a personalisation bureau writes to a
//! real chip, built in memory.

use std::collections::BTreeMap;

use emv::dol::{DolEntry, parse_dol};
use paysec::{Pan, SecretKey};

use crate::capk::Capk;
use crate::encode::{bcd, hex_field, nibbles, put, wrap};
use crate::error::{PersoError, ProfileError};
use crate::keys::KeySet;
use crate::oda;
use crate::profile::{OdaMethod, Profile, Tamper};
use crate::rsa_key::RsaKey;

/// PSE name (contact directory), "1PAY.SYS.DDF01".
pub const PSE_NAME: &[u8] = b"1PAY.SYS.DDF01";
/// PPSE name (proximity directory), "2PAY.SYS.DDF01".
pub const PPSE_NAME: &[u8] = b"2PAY.SYS.DDF01";
/// Short file identifier of the PSE directory.
pub const PSE_SFI: u8 = 1;
/// Application version number (9F08) the card reports.
const APP_VERSION: [u8; 2] = [0x00, 0x02];
/// Data authentication code (DAC, 9F45) inside the signed static data.
const DAC: [u8; 2] = [0xDA, 0xC1];

/// Everything personalised into one card.
#[derive(Clone, Debug)]
pub struct CardImage {
    /// The profile it was made from.
    pub profile: Profile,
    /// Application identifier (AID).
    pub aid: Vec<u8>,
    /// FCI returned by SELECT of the AID.
    pub app_fci: Vec<u8>,
    /// FCI of the PSE, when the card has one.
    pub pse_fci: Option<Vec<u8>>,
    /// The PSE directory record (SFI 1 record 1).
    pub pse_record: Option<Vec<u8>>,
    /// FCI of the PPSE.
    pub ppse_fci: Vec<u8>,
    /// Application records by (SFI, record number), each a complete 70 template.
    pub records: BTreeMap<(u8, u8), Vec<u8>>,
    /// Application interchange profile (AIP, 82).
    pub aip: [u8; 2],
    /// Application file locator (AFL, 94).
    pub afl: Vec<u8>,
    /// PDOL entries.
    pub pdol: Vec<DolEntry>,
    /// CDOL1 entries.
    pub cdol1: Vec<DolEntry>,
    /// CDOL2 entries.
    pub cdol2: Vec<DolEntry>,
    /// DDOL entries.
    pub ddol: Vec<DolEntry>,
    /// Static data to be authenticated (what SSAD and the ICC certificate hash covers).
    pub static_data: Vec<u8>,
    /// ICC private key (DDA, CDA).
    pub icc_key: Option<RsaKey>,
    /// ICC master key for application cryptograms (MK-AC).
    pub mk_ac: SecretKey,
    /// ICC master key for secure-messaging integrity (MK-SMI).
    pub mk_smi: SecretKey,
    /// ICC master key for secure-messaging confidentiality (MK-SMC).
    pub mk_smc: SecretKey,
    /// The CA public key a terminal needs for this card.
    pub capk: Capk,
    /// Issuer action codes, for dumps: default, denial, online.
    pub iacs: [Vec<u8>; 3],
}

fn field_err(field: &'static str, reason: impl Into<String>) -> PersoError {
    PersoError::Profile(ProfileError::Field {
        field,
        reason: reason.into(),
    })
}

fn dol(field: &'static str, text: &str) -> Result<Vec<DolEntry>, PersoError> {
    parse_dol(&hex_field(field, text)?).map_err(|e| field_err(field, e.to_string()))
}

fn date_yymmdd(field: &'static str, text: &str) -> Result<Vec<u8>, PersoError> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_err(field, "expected YYMMDD"));
    }
    nibbles(field, text)
}

fn mmyy(field: &'static str, text: &str) -> Result<[u8; 2], PersoError> {
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_err(field, "expected MMYY"));
    }
    let b = nibbles(field, text)?;
    <[u8; 2]>::try_from(b.as_slice()).map_err(|_| field_err(field, "expected MMYY"))
}

fn derive(
    step: &'static str,
    imk: &SecretKey,
    pan: &Pan,
    psn: u8,
) -> Result<SecretKey, PersoError> {
    paysec::emv::derive_icc_master_key_a(imk, pan, Some(psn)).map_err(|e| PersoError::Crypto {
        step,
        reason: e.to_string(),
    })
}

/// The AIP byte 1 bits (EMV Book 3, Annex C1).
fn aip_for(p: &Profile) -> [u8; 2] {
    let mut b1 = 0u8;
    match p.oda {
        OdaMethod::None => {}
        OdaMethod::Sda => b1 |= 0x40,
        OdaMethod::Dda => b1 |= 0x20,
        OdaMethod::Cda => b1 |= 0x20 | 0x01,
    }
    if p.cardholder_verification {
        b1 |= 0x10;
    }
    if p.terminal_risk_management {
        b1 |= 0x08;
    }
    if p.issuer_authentication {
        b1 |= 0x04;
    }
    [b1, 0x00]
}

/// Personalises a card from `profile` with the keys of `keys`.
pub fn personalise(profile: &Profile, keys: &KeySet) -> Result<CardImage, PersoError> {
    let p = profile;
    let pan = Pan::new(&p.pan).map_err(|e| field_err("pan", e.to_string()))?;
    if p.pan.len() > 19 || p.pan.len() < 12 {
        return Err(field_err("pan", "12 to 19 digits"));
    }
    if p.psn > 99 {
        return Err(field_err("psn", "00 to 99"));
    }
    if p.service_code.len() != 3 || !p.service_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_err("service_code", "three digits"));
    }
    if let Some(pin) = &p.pin
        && (!(4..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(field_err("pin", "4 to 12 digits"));
    }
    if p.pin_try_limit > 15 {
        return Err(field_err("pin_try_limit", "0 to 15"));
    }
    let aid = hex_field("aid", &p.aid)?;
    if !(5..=16).contains(&aid.len()) {
        return Err(field_err("aid", "5 to 16 bytes"));
    }
    let rid = <[u8; 5]>::try_from(aid.get(..5).unwrap_or(&[]))
        .map_err(|_| field_err("aid", "5 to 16 bytes"))?;
    if rid != keys.ca_rid {
        return Err(field_err(
            "aid",
            "its RID differs from the CA's RID in the key set",
        ));
    }
    let expiry = date_yymmdd("expiry", &p.expiry)?;
    let effective = date_yymmdd("effective", &p.effective)?;
    let cert_expiry = mmyy("cert_expiry", &p.cert_expiry)?;
    let hexes = |f: &'static str, t: &str, len: usize| -> Result<Vec<u8>, PersoError> {
        let v = hex_field(f, t)?;
        if v.len() != len {
            return Err(field_err(f, format!("{} bytes; expected {len}", v.len())));
        }
        Ok(v)
    };
    let auc = hexes("auc", &p.auc, 2)?;
    let iac_default = hexes("iac_default", &p.iac_default, 5)?;
    let iac_denial = hexes("iac_denial", &p.iac_denial, 5)?;
    let iac_online = hexes("iac_online", &p.iac_online, 5)?;
    let cvm_list = hex_field("cvm_list", &p.cvm_list)?;
    if cvm_list.len() < 8 || cvm_list.len() % 2 != 0 {
        return Err(field_err("cvm_list", "X and Y (8 bytes) then 2-byte rules"));
    }
    let pdol = dol("pdol", &p.pdol)?;
    let cdol1 = dol("cdol1", &p.cdol1)?;
    let cdol2 = dol("cdol2", &p.cdol2)?;
    let ddol = dol("ddol", &p.ddol)?;
    let aip = aip_for(p);

    let pan_bcd = nibbles("pan", &p.pan)?;
    let mut pan10 = nibbles("pan", &format!("{:F<20}", p.pan))?;
    pan10.truncate(10);
    let pan10 = <[u8; 10]>::try_from(pan10.as_slice()).map_err(|_| field_err("pan", "too long"))?;
    let issuer_id = <[u8; 4]>::try_from(
        nibbles("pan", &format!("{:F<8}", p.pan.get(..6).unwrap_or("")))?.as_slice(),
    )
    .map_err(|_| field_err("pan", "too short"))?;

    // SFI 1: magnetic-stripe image; SFI 2: the data ODA covers; SFI 3: certificates.
    let mut records = BTreeMap::new();
    let expiry_yymm = p.expiry.get(..4).unwrap_or("");
    let track2 = format!("{}D{}{}0000000000", p.pan, expiry_yymm, p.service_code);
    let mut r1 = Vec::new();
    put(&mut r1, 0x57, &nibbles("track2", &track2)?)?;
    put(&mut r1, 0x5F20, p.cardholder_name.as_bytes())?;
    records.insert((1, 1), wrap(0x70, &r1)?);

    let mut r2 = Vec::new();
    put(&mut r2, 0x5A, &pan_bcd)?;
    put(
        &mut r2,
        0x5F34,
        &[bcd(u64::from(p.psn), 1).first().copied().unwrap_or(0)],
    )?;
    put(&mut r2, 0x5F24, &expiry)?;
    put(&mut r2, 0x5F25, &effective)?;
    put(&mut r2, 0x5F28, &bcd(u64::from(p.country), 2))?;
    put(&mut r2, 0x9F07, &auc)?;
    put(&mut r2, 0x8E, &cvm_list)?;
    put(&mut r2, 0x9F0D, &iac_default)?;
    put(&mut r2, 0x9F0E, &iac_denial)?;
    put(&mut r2, 0x9F0F, &iac_online)?;
    put(&mut r2, 0x8C, &hex_field("cdol1", &p.cdol1)?)?;
    put(&mut r2, 0x8D, &hex_field("cdol2", &p.cdol2)?)?;
    put(&mut r2, 0x9F08, &APP_VERSION)?;
    put(
        &mut r2,
        0x5F30,
        &nibbles("service_code", &format!("0{}", p.service_code))?,
    )?;
    put(&mut r2, 0x9F42, &bcd(u64::from(p.currency), 2))?;
    put(&mut r2, 0x9F49, &hex_field("ddol", &p.ddol)?)?;
    put(&mut r2, 0x9F4A, &[0x82])?;
    if p.offline_capable {
        put(&mut r2, 0x9F14, &[p.lcol])?;
        put(&mut r2, 0x9F23, &[p.ucol])?;
    }
    // Book 3 §10.3: for SFIs 1–10 the record's value (without 70 and length) is hashed,
    // then the values named by the SDA tag list (9F4A = AIP).
    let mut static_data = r2.clone();
    static_data.extend_from_slice(&aip);
    records.insert((2, 1), wrap(0x70, &r2)?);

    let mut icc_key = None;
    let mut afl = vec![0x08, 1, 1, 0, 0x10, 1, 1, 1];
    if p.oda != OdaMethod::None {
        let mut issuer_cert =
            oda::issuer_certificate(&keys.ca, &keys.issuer, issuer_id, cert_expiry, [0, 0, 1])?;
        if p.tamper == Tamper::IssuerCertificate {
            flip_middle(&mut issuer_cert.signed);
        }
        let mut r3 = Vec::new();
        put(&mut r3, 0x8F, &[keys.ca_index])?;
        put(&mut r3, 0x90, &issuer_cert.signed)?;
        put(&mut r3, 0x9F32, &keys.issuer.exponent())?;
        if !issuer_cert.remainder.is_empty() {
            put(&mut r3, 0x92, &issuer_cert.remainder)?;
        }
        records.insert((3, 1), wrap(0x70, &r3)?);
        let mut r4 = Vec::new();
        if p.oda == OdaMethod::Sda {
            put(
                &mut r4,
                0x93,
                &oda::signed_static_data(&keys.issuer, DAC, &static_data)?,
            )?;
        } else {
            let icc = keys.icc_key(&p.name)?;
            let mut cert = oda::icc_certificate(
                &keys.issuer,
                icc,
                pan10,
                cert_expiry,
                [0, 0, 2],
                &static_data,
            )?;
            if p.tamper == Tamper::IccCertificate {
                flip_middle(&mut cert.signed);
            }
            put(&mut r4, 0x9F46, &cert.signed)?;
            put(&mut r4, 0x9F47, &icc.exponent())?;
            if !cert.remainder.is_empty() {
                put(&mut r4, 0x9F48, &cert.remainder)?;
            }
            icc_key = Some(icc.clone());
        }
        records.insert((3, 2), wrap(0x70, &r4)?);
        afl.extend_from_slice(&[0x18, 1, 2, 0]);
    }

    let mut a5 = Vec::new();
    put(&mut a5, 0x50, p.label.as_bytes())?;
    put(&mut a5, 0x87, &[p.priority])?;
    if !pdol.is_empty() {
        put(&mut a5, 0x9F38, &hex_field("pdol", &p.pdol)?)?;
    }
    put(&mut a5, 0x5F2D, b"en")?;
    let mut fci = Vec::new();
    put(&mut fci, 0x84, &aid)?;
    put(&mut fci, 0xA5, &a5)?;
    let app_fci = wrap(0x6F, &fci)?;

    let mut entry = Vec::new();
    put(&mut entry, 0x4F, &aid)?;
    put(&mut entry, 0x50, p.label.as_bytes())?;
    put(&mut entry, 0x87, &[p.priority])?;
    let entry = wrap(0x61, &entry)?;

    let (pse_fci, pse_record) = if p.pse {
        let mut a5 = Vec::new();
        put(&mut a5, 0x88, &[PSE_SFI])?;
        put(&mut a5, 0x5F2D, b"en")?;
        let mut f = Vec::new();
        put(&mut f, 0x84, PSE_NAME)?;
        put(&mut f, 0xA5, &a5)?;
        (Some(wrap(0x6F, &f)?), Some(wrap(0x70, &entry)?))
    } else {
        (None, None)
    };
    let mut f = Vec::new();
    put(&mut f, 0x84, PPSE_NAME)?;
    put(&mut f, 0xA5, &wrap(0xBF0C, &entry)?)?;
    let ppse_fci = wrap(0x6F, &f)?;

    Ok(CardImage {
        profile: p.clone(),
        aid,
        app_fci,
        pse_fci,
        pse_record,
        ppse_fci,
        records,
        aip,
        afl,
        pdol,
        cdol1,
        cdol2,
        ddol,
        static_data,
        icc_key,
        mk_ac: derive("ICC MK-AC", &keys.imks.ac, &pan, p.psn)?,
        mk_smi: derive("ICC MK-SMI", &keys.imks.smi, &pan, p.psn)?,
        mk_smc: derive("ICC MK-SMC", &keys.imks.smc, &pan, p.psn)?,
        capk: Capk::new(
            keys.ca_rid,
            keys.ca_index,
            keys.ca.modulus(),
            keys.ca.exponent(),
        ),
        iacs: [iac_default, iac_denial, iac_online],
    })
}

/// Spoils a signed block so its recovery fails (the tampered-certificate profiles).
fn flip_middle(block: &mut [u8]) {
    let mid = block.len() / 2;
    if let Some(b) = block.get_mut(mid) {
        *b ^= 0x01;
    }
}
