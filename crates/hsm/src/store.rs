//! The key store's text form, sealed under keys derived from the master key. Pure: bytes in,
//! bytes out; reading and writing the files is `files.rs`' job.
//!
//! ```text
//! posnet-hsm-store 1
//! master-kcv 1A2B3C
//! key <name> <TR-31 version D key block>
//! ...
//! mac <AES-CMAC of every byte above, 32 hex digits>
//! ```
//!
//! Why this form: each key is a TR-31 version D block (ANSI X9.143) under an AES-256 key block
//! protection key derived from the master key. Version D encrypts with AES-CBC and
//! authenticates header and key with AES-CMAC, so a stored key cannot be read, altered, or have
//! its usage, mode of use or exportability changed without the master key; the name rides in a
//! proprietary optional block, so two entries cannot swap names either. The format is the one
//! keys are exchanged in, implemented once in `paysec` and cross-checked against psec. A
//! per-key block cannot notice a deleted or duplicated entry, so the whole file also carries an
//! AES-CMAC under a second derived key. Not detected: replacing the store by an older copy
//! sealed under the same master key (that needs a counter kept outside the file).

use std::collections::BTreeMap;

use paysec::rng::Replay;
use paysec::tr31::{self, Algorithm, Header, OptionalBlock, Version};
use paysec::{KeyAlgorithm, SecretKey};
use zeroize::Zeroizing;

use crate::error::HsmError;
use crate::usage::KeyAttributes;
use paysec::hex;

/// First line of every store file.
pub(crate) const MAGIC: &str = "posnet-hsm-store 1";
/// Proprietary TR-31 optional block (numeric first character) that carries the key's name.
pub(crate) const NAME_BLOCK_ID: [u8; 2] = *b"0N";
/// Longest key name.
pub const NAME_MAX_CHARS: usize = 64;

/// One stored key: its authenticated header, the key, and the block as written in the file.
pub(crate) struct StoredKey {
    pub header: Header,
    pub key: SecretKey,
    pub block: String,
}

/// The keys that seal a store, derived from the master key.
pub(crate) struct SealKeys {
    pub kbpk: SecretKey,
    pub mac: SecretKey,
    pub master_kcv: String,
}

/// Checks a key name: 1 to 64 characters from `A-Z a-z 0-9 . _ -`.
pub fn check_name(name: &str) -> Result<(), HsmError> {
    let bad = |reason| HsmError::BadKeyName {
        name: name
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(NAME_MAX_CHARS)
            .collect(),
        reason,
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.len() > NAME_MAX_CHARS {
        return Err(bad("it is longer than 64 characters"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(bad("only A-Z, a-z, 0-9, '.', '_' and '-' are allowed"));
    }
    Ok(())
}

pub(crate) fn tr31_algorithm(algorithm: KeyAlgorithm) -> Algorithm {
    match algorithm {
        KeyAlgorithm::Tdes => Algorithm::Tdes,
        KeyAlgorithm::Aes => Algorithm::Aes,
        KeyAlgorithm::Hmac => Algorithm::Hmac,
    }
}

/// Wraps `key` for the store under `name` with `attrs`, keeping `extra_blocks` (e.g. a KSN
/// block that came with an imported key). `padding` supplies the TR-31 pad bytes.
pub(crate) fn seal_entry(
    seal: &SealKeys,
    name: &str,
    attrs: &KeyAttributes,
    key: &SecretKey,
    extra_blocks: Vec<OptionalBlock>,
    padding: &[u8],
) -> Result<StoredKey, HsmError> {
    check_name(name)?;
    let mut header = Header::new(
        Version::D,
        attrs.usage,
        tr31_algorithm(key.algorithm()),
        attrs.mode_of_use,
        attrs.key_version,
        attrs.exportability,
    );
    header.optional_blocks = extra_blocks
        .into_iter()
        .filter(|b| b.id != NAME_BLOCK_ID)
        .collect();
    header.optional_blocks.push(OptionalBlock {
        id: NAME_BLOCK_ID,
        data: name.to_string(),
    });
    let block = tr31::wrap(
        &seal.kbpk,
        &header,
        key.as_bytes(),
        None,
        &mut Replay::new(padding),
    )?;
    Ok(StoredKey {
        header,
        key: key.clone(),
        block,
    })
}

/// The store file's bytes for `entries` (in name order).
pub(crate) fn encode(
    seal: &SealKeys,
    entries: &BTreeMap<String, StoredKey>,
) -> Result<String, HsmError> {
    let mut text = format!("{MAGIC}\nmaster-kcv {}\n", seal.master_kcv);
    for (name, entry) in entries {
        text.push_str("key ");
        text.push_str(name);
        text.push(' ');
        text.push_str(&entry.block);
        text.push('\n');
    }
    let mac =
        paysec::mac::cmac::cmac(&seal.mac, text.as_bytes()).map_err(paysec::kcv::KcvError::from)?;
    text.push_str("mac ");
    text.push_str(&hex::encode_upper(&mac));
    text.push('\n');
    Ok(text)
}

fn format_err(line: usize, reason: impl Into<String>) -> HsmError {
    HsmError::StoreFormat {
        line,
        reason: reason.into(),
    }
}

/// Opens a store file: checks the layout, the master key's KCV, the file MAC, then every key
/// block and its name.
pub(crate) fn decode(
    seal: &SealKeys,
    text: &[u8],
) -> Result<BTreeMap<String, StoredKey>, HsmError> {
    let body = text
        .strip_suffix(b"\n")
        .ok_or_else(|| format_err(1, "the file does not end with a newline (truncated?)"))?;
    let lines: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    let line_count = lines.len();
    if lines.first().copied() != Some(MAGIC.as_bytes()) {
        return Err(format_err(
            1,
            format!("not a posnet HSM key store (expected '{MAGIC}')"),
        ));
    }
    let kcv_line = lines
        .get(1)
        .and_then(|l| l.strip_prefix(b"master-kcv "))
        .ok_or_else(|| format_err(2, "expected 'master-kcv <6 hex digits>'"))?;
    if kcv_line != seal.master_kcv.as_bytes() {
        return Err(HsmError::WrongMasterKey {
            store_kcv: String::from_utf8_lossy(kcv_line).chars().take(6).collect(),
            master_kcv: seal.master_kcv.clone(),
        });
    }
    if line_count < 3 {
        return Err(format_err(line_count + 1, "the 'mac' line is missing"));
    }
    let mac_line_no = line_count;
    let mac_hex = lines
        .last()
        .and_then(|l| l.strip_prefix(b"mac "))
        .ok_or_else(|| format_err(mac_line_no, "the last line must be 'mac <32 hex digits>'"))?;
    // Upper case only: one canonical text, so no byte of the file can change unnoticed.
    let mac = Some(mac_hex)
        .filter(|h| h.iter().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F')))
        .and_then(|h| hex::decode(h).ok())
        .filter(|m| m.len() == 16)
        .ok_or_else(|| format_err(mac_line_no, "the MAC must be 32 hex digits"))?;
    let sealed_len = text.len() - (mac_hex.len() + "mac \n".len());
    let sealed = text.get(..sealed_len).unwrap_or(&[]);
    let expected =
        paysec::mac::cmac::cmac(&seal.mac, sealed).map_err(paysec::kcv::KcvError::from)?;
    if !ct_eq(&expected, &mac) {
        return Err(HsmError::StoreTampered);
    }
    let mut entries = BTreeMap::new();
    for (index, line) in lines.iter().enumerate().take(line_count - 1).skip(2) {
        let line_no = index + 1;
        let (name, block) = parse_key_line(line, line_no)?;
        let entry = open_entry(seal, name, block)?;
        if entries.insert(name.to_string(), entry).is_some() {
            return Err(format_err(line_no, format!("key '{name}' appears twice")));
        }
    }
    Ok(entries)
}

fn parse_key_line(line: &[u8], line_no: usize) -> Result<(&str, &str), HsmError> {
    let text = core::str::from_utf8(line).map_err(|_| format_err(line_no, "not ASCII text"))?;
    let rest = text
        .strip_prefix("key ")
        .ok_or_else(|| format_err(line_no, "expected 'key <name> <key block>'"))?;
    let (name, block) = rest
        .split_once(' ')
        .ok_or_else(|| format_err(line_no, "expected 'key <name> <key block>'"))?;
    check_name(name).map_err(|e| format_err(line_no, e.to_string()))?;
    Ok((name, block))
}

fn open_entry(seal: &SealKeys, name: &str, block: &str) -> Result<StoredKey, HsmError> {
    let tampered = |source| HsmError::EntryTampered {
        name: name.to_string(),
        source,
    };
    let opened = tr31::unwrap(&seal.kbpk, block.as_bytes()).map_err(tampered)?;
    let bound_name = opened
        .header
        .optional_blocks
        .iter()
        .find(|b| b.id == NAME_BLOCK_ID)
        .map(|b| b.data.as_str());
    if bound_name != Some(name) {
        return Err(HsmError::EntryTampered {
            name: name.to_string(),
            source: tr31::Tr31Error::OptionalBlock {
                index: 0,
                id: "0N".to_string(),
                offset: 16,
                reason: "the name bound in the key block differs from the entry's name",
            },
        });
    }
    let key = opened.secret_key().map_err(tampered)?;
    Ok(StoredKey {
        header: opened.header.clone(),
        key,
        block: block.to_string(),
    })
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Zeroizing random bytes for TR-31 padding and PIN block fill.
pub(crate) fn padding_bytes() -> Result<Zeroizing<Vec<u8>>, HsmError> {
    crate::random::os_random(64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master::MasterKey;
    use paysec::tr31::KeyUsage;

    fn seal(byte: u8) -> SealKeys {
        let mk = MasterKey::from_bytes(&[byte; 32]).unwrap();
        SealKeys {
            kbpk: mk.store_kbpk().unwrap(),
            mac: mk.store_mac_key().unwrap(),
            master_kcv: mk.kcv_hex().unwrap(),
        }
    }

    fn sample(seal: &SealKeys) -> (BTreeMap<String, StoredKey>, String) {
        let mut entries = BTreeMap::new();
        let zpk =
            SecretKey::tdes(&::hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap()).unwrap();
        let bdk = SecretKey::aes(&[0x5A; 16]).unwrap();
        for (name, usage, key) in [
            ("zpk.issuer", KeyUsage::PinEncryption, zpk),
            ("bdk-1", KeyUsage::Bdk, bdk),
        ] {
            let e = seal_entry(
                seal,
                name,
                &KeyAttributes::for_usage(usage),
                &key,
                vec![],
                &[0x11; 32],
            )
            .unwrap();
            entries.insert(name.to_string(), e);
        }
        let text = encode(seal, &entries).unwrap();
        (entries, text)
    }

    #[test]
    fn round_trip() {
        let s = seal(1);
        let (entries, text) = sample(&s);
        let back = decode(&s, text.as_bytes()).unwrap();
        assert_eq!(back.len(), 2);
        for (name, e) in &entries {
            let b = &back[name];
            assert!(b.key.ct_eq(&e.key));
            assert_eq!(b.header, e.header);
            assert_eq!(b.block, e.block);
        }
        assert!(text.starts_with("posnet-hsm-store 1\nmaster-kcv "));
        // Re-encoding what was read gives the same bytes: writes do not churn the file.
        assert_eq!(encode(&s, &back).unwrap(), text);
    }

    #[test]
    fn every_altered_byte_is_refused() {
        let s = seal(2);
        let (_, text) = sample(&s);
        let bytes = text.as_bytes();
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x20] {
                let mut t = bytes.to_vec();
                t[i] ^= flip;
                assert!(decode(&s, &t).is_err(), "flip {flip:#x} at {i} accepted");
            }
        }
        for cut in 0..bytes.len() {
            assert!(
                decode(&s, &bytes[..cut]).is_err(),
                "truncation at {cut} accepted"
            );
        }
    }

    #[test]
    fn a_removed_entry_is_tampering() {
        let s = seal(3);
        let (_, text) = sample(&s);
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("key bdk-1 "))
            .collect();
        let t = kept.join("\n") + "\n";
        assert!(matches!(
            decode(&s, t.as_bytes()),
            Err(HsmError::StoreTampered)
        ));
    }

    #[test]
    fn wrong_master_key_is_named() {
        let (_, text) = sample(&seal(4));
        match decode(&seal(5), text.as_bytes()) {
            Err(HsmError::WrongMasterKey {
                store_kcv,
                master_kcv,
            }) => {
                assert_eq!(store_kcv, seal(4).master_kcv);
                assert_eq!(master_kcv, seal(5).master_kcv);
            }
            other => panic!("expected WrongMasterKey, got {:?}", other.err()),
        }
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("zpk.issuer-01_a").is_ok());
        for bad in ["", "a b", "a\nb", "ключ", &"x".repeat(65)] {
            assert!(
                matches!(check_name(bad), Err(HsmError::BadKeyName { .. })),
                "{bad:?}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Hostile store files are refused with an error, never a panic.
        #[test]
        fn decode_never_panics(text in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let _ = decode(&seal(7), &text);
        }

        /// A store with any header-valid prefix and random lines is still refused unless sealed.
        #[test]
        fn forged_lines_are_refused(lines in proptest::collection::vec("[ -~]{0,80}", 0..5)) {
            let s = seal(8);
            let mut text = format!("{MAGIC}\nmaster-kcv {}\n", s.master_kcv);
            for l in &lines {
                text.push_str(l);
                text.push('\n');
            }
            text.push_str(&format!("mac {}\n", "0".repeat(32)));
            proptest::prop_assert!(decode(&s, text.as_bytes()).is_err());
        }

        /// Any names, usages and key bytes round-trip through the sealed form.
        #[test]
        fn sealed_entries_round_trip(
            entries in proptest::collection::btree_map("[A-Za-z0-9._-]{1,20}", (proptest::prelude::any::<[u8; 32]>(), 0usize..3, 0usize..4), 0..6),
        ) {
            let s = seal(9);
            let mut map = BTreeMap::new();
            for (name, (bytes, kind, usage)) in &entries {
                let key = match kind {
                    0 => SecretKey::tdes(&bytes[..16]).unwrap(),
                    1 => SecretKey::aes(&bytes[..]).unwrap(),
                    _ => SecretKey::hmac(&bytes[..24]).unwrap(),
                };
                let usage = [KeyUsage::PinEncryption, KeyUsage::Bdk, KeyUsage::DataEncryption, KeyUsage::MacHmac][*usage];
                let e = seal_entry(&s, name, &KeyAttributes::for_usage(usage), &key, vec![], &bytes[..]).unwrap();
                map.insert(name.clone(), e);
            }
            let text = encode(&s, &map).unwrap();
            let back = decode(&s, text.as_bytes()).unwrap();
            proptest::prop_assert_eq!(back.len(), map.len());
            for (name, e) in &map {
                proptest::prop_assert!(back[name].key.ct_eq(&e.key));
                proptest::prop_assert_eq!(&back[name].header, &e.header);
            }
        }
    }

    #[test]
    fn clear_key_bytes_are_not_in_the_text() {
        let s = seal(6);
        let (_, text) = sample(&s);
        let upper = text.to_uppercase();
        assert!(!upper.contains("0123456789ABCDEFFEDCBA9876543210"));
        assert!(!upper.contains(&"5A".repeat(16)));
        let raw = text.as_bytes();
        assert!(!raw.windows(16).any(|w| w == [0x5A; 16]));
    }
}
