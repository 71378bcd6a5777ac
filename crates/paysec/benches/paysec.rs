//! Criterion benchmarks of the hot paths of the gateway and the issuer.
//!
//! `cargo bench -p paysec` (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use paysec::dukpt::tdes::{self as dukpt, KeyUsage, Ksn};
use paysec::emv::{self, CryptogramPadding};
use paysec::mac::cmac::cmac;
use paysec::mac::iso9797::{Padding, mac_algorithm_3};
use paysec::pinblock::{PinBlockFormat, PinZone, encipher, translate};
use paysec::rng::Replay;
use paysec::{Pan, Pin, SecretKey};

fn key(hex_text: &str, aes: bool) -> SecretKey {
    let bytes = hex::decode(hex_text).unwrap();
    if aes {
        SecretKey::aes(&bytes).unwrap()
    } else {
        SecretKey::tdes(&bytes).unwrap()
    }
}

fn pin_translation(c: &mut Criterion) {
    // The gateway's job: a PIN pad's DUKPT format 0 block → clear → format 0 under the zone PIN key.
    let bdk = key("0123456789ABCDEFFEDCBA9876543210", false);
    let zpk = key("89E88CF7931444F334BD7547FC3F380C", false);
    let ksn = Ksn::new(&hex::decode("FFFF9876543210E0000A").unwrap()).unwrap();
    let pan = Pan::new("4012345678909").unwrap();
    let pin_key = dukpt::derive_working_key(&bdk, &ksn, KeyUsage::Pin).unwrap();
    let block = encipher(
        PinBlockFormat::Iso0,
        &pin_key,
        &Pin::new("1234").unwrap(),
        Some(&pan),
        &mut Replay::new(&[]),
    )
    .unwrap();
    c.bench_function("pin_translation_dukpt_to_zpk_format0", |b| {
        b.iter(|| {
            let dukpt_key =
                dukpt::derive_working_key(&bdk, black_box(&ksn), KeyUsage::Pin).unwrap();
            translate(
                PinZone {
                    format: PinBlockFormat::Iso0,
                    key: &dukpt_key,
                },
                PinZone {
                    format: PinBlockFormat::Iso0,
                    key: &zpk,
                },
                black_box(&block),
                Some(&pan),
                &mut Replay::new(&[]),
            )
            .unwrap()
        })
    });
}

fn arqc_verification(c: &mut Criterion) {
    // The issuer's job: IMK → ICC MK (option A) → session key (ATC, UN) → verify the ARQC over
    // the usual 33 bytes of CDOL1 data.
    let imk = key("0123456789ABCDEFFEDCBA9876543210", false);
    let pan = Pan::new("4761739001010010").unwrap();
    let data =
        hex::decode("000000002000000000000000012400000080000124110309003804823E58000001").unwrap();
    let mk = emv::derive_icc_master_key_a(&imk, &pan, Some(1)).unwrap();
    let sk =
        emv::derive_common_session_key(&mk, emv::ac_diversification(1, [0x38, 0x04, 0x82, 0x3E]))
            .unwrap();
    let arqc = emv::generate_ac(&sk, &data, CryptogramPadding::Method2).unwrap();
    c.bench_function("arqc_verify_with_key_derivation", |b| {
        b.iter(|| {
            let mk = emv::derive_icc_master_key_a(&imk, black_box(&pan), Some(1)).unwrap();
            let sk = emv::derive_common_session_key(
                &mk,
                emv::ac_diversification(1, [0x38, 0x04, 0x82, 0x3E]),
            )
            .unwrap();
            emv::verify_ac(&sk, black_box(&data), CryptogramPadding::Method2, &arqc).unwrap()
        })
    });
    c.bench_function("arqc_verify_session_key_known", |b| {
        b.iter(|| emv::verify_ac(&sk, black_box(&data), CryptogramPadding::Method2, &arqc).unwrap())
    });
}

fn macs(c: &mut Criterion) {
    let data = [0x5Au8; 64];
    let tdes = key("0123456789ABCDEFFEDCBA9876543210", false);
    let aes = key("2b7e151628aed2a6abf7158809cf4f3c", true);
    c.bench_function("retail_mac_x9_19_64_bytes", |b| {
        b.iter(|| mac_algorithm_3(&tdes, black_box(&data), Padding::Method1, 8).unwrap())
    });
    c.bench_function("aes_cmac_64_bytes", |b| {
        b.iter(|| cmac(&aes, black_box(&data)).unwrap())
    });
}

criterion_group!(benches, pin_translation, arqc_verification, macs);
criterion_main!(benches);
