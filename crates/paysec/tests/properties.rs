//! Property tests: parsers never panic on hostile input, and inverse pairs round-trip.

use paysec::cipher::{cbc_decrypt, cbc_encrypt, ecb_decrypt, ecb_encrypt};
use paysec::dukpt::aes::Ksn as AesKsn;
use paysec::pinblock::{self, PinBlockFormat};
use paysec::rng::Replay;
use paysec::tr31::{
    self, Algorithm, Exportability, Header, KeyUsage, KeyVersion, ModeOfUse, OptionalBlock, Version,
};
use paysec::{Pan, Pin, SecretKey};
use proptest::prelude::*;

fn pin_strategy() -> impl Strategy<Value = String> {
    "[0-9]{4,12}"
}

fn pan_strategy() -> impl Strategy<Value = String> {
    "[0-9]{1,19}"
}

fn format_strategy() -> impl Strategy<Value = PinBlockFormat> {
    prop_oneof![
        Just(PinBlockFormat::Iso0),
        Just(PinBlockFormat::Iso1),
        Just(PinBlockFormat::Iso3),
        Just(PinBlockFormat::Iso4),
    ]
}

fn key_for(format: PinBlockFormat, bytes: &[u8]) -> SecretKey {
    if format == PinBlockFormat::Iso4 {
        SecretKey::aes(&bytes[..16]).unwrap()
    } else {
        SecretKey::tdes(&bytes[..16]).unwrap()
    }
}

/// A valid key block to mutate.
fn sample_block() -> (SecretKey, String) {
    let kbpk = SecretKey::aes(&[0x5A; 32]).unwrap();
    let mut header = Header::new(
        Version::D,
        KeyUsage::PinEncryption,
        Algorithm::Aes,
        ModeOfUse::EncryptOnly,
        KeyVersion::NONE,
        Exportability::Exportable,
    );
    header.optional_blocks.push(OptionalBlock {
        id: *b"KS",
        data: "00604B120F9292800000".into(),
    });
    let block = tr31::wrap(
        &kbpk,
        &header,
        &[0x11; 16],
        Some(32),
        &mut Replay::new(&[3; 64]),
    )
    .unwrap();
    (kbpk, block)
}

proptest! {
    #[test]
    fn pin_block_decode_never_panics(
        format in format_strategy(),
        block in proptest::collection::vec(any::<u8>(), 0..40),
        pan in pan_strategy(),
        key in proptest::collection::vec(any::<u8>(), 16),
    ) {
        let pan = Pan::new(&pan).unwrap();
        let _ = pinblock::decode_clear_block(format, &block, Some(&pan));
        let _ = pinblock::decipher(format, &key_for(format, &key), &block, Some(&pan));
        let _ = pinblock::decipher(format, &key_for(format, &key), &block, None);
    }

    #[test]
    fn pin_blocks_round_trip(
        format in format_strategy(),
        pin in pin_strategy(),
        pan in pan_strategy(),
        key in proptest::collection::vec(any::<u8>(), 16),
        fill in proptest::collection::vec(any::<u8>(), 16),
    ) {
        let pin = Pin::new(&pin).unwrap();
        let pan = Pan::new(&pan).unwrap();
        let key = key_for(format, &key);
        let block = pinblock::encipher(format, &key, &pin, Some(&pan), &mut Replay::new(&fill)).unwrap();
        prop_assert_eq!(block.len(), format.block_len());
        prop_assert_eq!(pinblock::decipher(format, &key, &block, Some(&pan)).unwrap(), pin);
    }

    #[test]
    fn tr31_unwrap_never_panics_on_arbitrary_bytes(
        block in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let kbpk = SecretKey::tdes(&[0x11; 16]).unwrap();
        let _ = tr31::unwrap(&kbpk, &block);
        let kbpk = SecretKey::aes(&[0x11; 32]).unwrap();
        let _ = tr31::unwrap(&kbpk, &block);
    }

    #[test]
    fn tr31_unwrap_never_panics_on_mutated_blocks(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let (kbpk, block) = sample_block();
        let mut bytes = block.into_bytes();
        for (at, value, kind) in edits {
            let i = at % (bytes.len() + 1);
            match kind {
                0 if i < bytes.len() => bytes[i] = value,
                1 => bytes.insert(i, value),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        if let Ok(u) = tr31::unwrap(&kbpk, &bytes) {
            // Anything that still opens must be the original content (the MAC covers it all).
            prop_assert_eq!(&u.key[..], &[0x11u8; 16][..]);
        }
    }

    #[test]
    fn tr31_round_trips(
        aes_kbpk in any::<bool>(),
        kbpk in proptest::collection::vec(any::<u8>(), 32),
        key in proptest::collection::vec(any::<u8>(), 8..=32),
        extra in 0usize..16,
        blocks in proptest::collection::vec(("[A-Z0-9]{2}", "[ -~]{0,300}"), 0..4),
        pad in proptest::collection::vec(any::<u8>(), 64),
    ) {
        let (kbpk, version) = if aes_kbpk {
            (SecretKey::aes(&kbpk).unwrap(), Version::D)
        } else {
            (SecretKey::tdes(&kbpk[..24]).unwrap(), Version::B)
        };
        let mut header = Header::new(version, KeyUsage::KeyEncryption, Algorithm::Tdes,
            ModeOfUse::EncryptDecrypt, KeyVersion(*b"c1"), Exportability::NonExportable);
        for (id, data) in blocks {
            let id: [u8; 2] = id.as_bytes().try_into().unwrap();
            if &id != b"PB" {
                header.optional_blocks.push(OptionalBlock { id, data });
            }
        }
        let wrapped = tr31::wrap(&kbpk, &header, &key, Some(key.len() + extra), &mut Replay::new(&pad)).unwrap();
        prop_assert_eq!(wrapped.len() % version.block_len(), 0);
        let u = tr31::unwrap(&kbpk, wrapped.as_bytes()).unwrap();
        prop_assert_eq!(&u.key[..], &key[..]);
        prop_assert_eq!(u.header, header);
    }

    #[test]
    fn ecb_and_cbc_invert(
        aes_key in any::<bool>(),
        key in proptest::collection::vec(any::<u8>(), 32),
        iv in proptest::collection::vec(any::<u8>(), 16),
        blocks in 0usize..8,
        seed in any::<u8>(),
    ) {
        let (key, n) = if aes_key {
            (SecretKey::aes(&key).unwrap(), 16)
        } else {
            (SecretKey::tdes(&key[..24]).unwrap(), 8)
        };
        let data: Vec<u8> = (0..blocks * n).map(|i| seed.wrapping_add(i as u8)).collect();
        prop_assert_eq!(ecb_decrypt(&key, &ecb_encrypt(&key, &data).unwrap()).unwrap(), data.clone());
        let ct = cbc_encrypt(&key, &iv[..n], &data).unwrap();
        prop_assert_eq!(cbc_decrypt(&key, &iv[..n], &ct).unwrap(), data);
    }

    #[test]
    fn pan_text_round_trips(pan in pan_strategy()) {
        let p = Pan::new(&pan).unwrap();
        prop_assert_eq!(p.reveal(), pan.clone());
        let shown = p.to_string();
        prop_assert_eq!(shown.len(), pan.len());
        // Never more than 6 leading and 4 trailing digits in the clear.
        prop_assert!(shown.chars().filter(char::is_ascii_digit).count() <= 10);
    }

    #[test]
    fn aes_ksn_next_is_the_next_valid_counter(counter in any::<u32>()) {
        let ksn = AesKsn::from_parts([0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56], counter);
        match ksn.next() {
            Ok(next) => {
                let n = next.counter();
                prop_assert!(n > counter && n.count_ones() <= 16);
                // Nothing valid in between (checked on a bounded window).
                let window_end = n.min(counter.saturating_add(5000));
                for c in counter + 1..window_end {
                    prop_assert!(c.count_ones() > 16, "{c:08X} was skipped");
                }
            }
            Err(_) => prop_assert!(counter >= 0xFFFF_0000),
        }
    }
}
