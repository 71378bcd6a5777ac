//! Application cryptograms (ARQC, TC, AAC), issuer authentication (ARPC methods 1 and 2) and
//! the issuer script MAC. All use ISO/IEC 9797-1 MAC algorithm 3 with the session key K || K'.

use super::{EmvError, double_length};
use crate::cipher::{BlockOps, Tdea};
use crate::key::SecretKey;
use crate::mac::MacError;
use crate::mac::iso9797::{Padding, mac_algorithm_3, verify_mac_algorithm_3};

/// The padding of the cryptogram data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptogramPadding {
    /// ISO/IEC 9797-1 method 1 (zeros); Visa CVN 10 and others.
    Method1,
    /// ISO/IEC 9797-1 method 2 (80 then zeros); EMV CSK-based schemes.
    Method2,
}

impl From<CryptogramPadding> for Padding {
    fn from(p: CryptogramPadding) -> Self {
        match p {
            CryptogramPadding::Method1 => Padding::Method1,
            CryptogramPadding::Method2 => Padding::Method2,
        }
    }
}

/// The 8-byte application cryptogram (ARQC, TC or AAC: the same computation over different
/// data) of the concatenated data elements under the AC session key.
pub fn generate_ac(
    sk_ac: &SecretKey,
    data: &[u8],
    padding: CryptogramPadding,
) -> Result<[u8; 8], EmvError> {
    double_length("application cryptogram", sk_ac)?;
    let mac = mac_algorithm_3(sk_ac, data, padding.into(), 8)?;
    <[u8; 8]>::try_from(mac.as_slice()).map_err(|_| EmvError::FieldLength {
        field: "cryptogram",
        len_bytes: mac.len(),
        expected: "8",
    })
}

/// Verifies an ARQC/TC/AAC in constant time.
pub fn verify_ac(
    sk_ac: &SecretKey,
    data: &[u8],
    padding: CryptogramPadding,
    cryptogram: &[u8; 8],
) -> Result<(), EmvError> {
    double_length("application cryptogram", sk_ac)?;
    Ok(verify_mac_algorithm_3(
        sk_ac,
        data,
        padding.into(),
        cryptogram,
    )?)
}

/// ARPC method 1 (Book 2 8.2.1): `TDES(SK, ARQC XOR (ARC || 00..00))`, 8 bytes. The ARC is
/// the 2-byte authorisation response code.
pub fn generate_arpc_method1(
    sk_ac: &SecretKey,
    arqc: &[u8; 8],
    arc: [u8; 2],
) -> Result<[u8; 8], EmvError> {
    double_length("ARPC method 1", sk_ac)?;
    let mut block = *arqc;
    for (b, a) in block.iter_mut().zip(arc) {
        *b ^= a;
    }
    Tdea::new(sk_ac)?.encrypt(&mut block);
    Ok(block)
}

/// ARPC method 2 (Book 2 8.2.2): MAC algorithm 3, padding method 2, over
/// `ARQC || CSU || proprietary authentication data (0-8 bytes)`, 4 bytes.
pub fn generate_arpc_method2(
    sk_ac: &SecretKey,
    arqc: &[u8; 8],
    csu: [u8; 4],
    proprietary_auth_data: &[u8],
) -> Result<[u8; 4], EmvError> {
    double_length("ARPC method 2", sk_ac)?;
    if proprietary_auth_data.len() > 8 {
        return Err(EmvError::FieldLength {
            field: "proprietary authentication data",
            len_bytes: proprietary_auth_data.len(),
            expected: "0 to 8",
        });
    }
    let mut data = Vec::with_capacity(20);
    data.extend_from_slice(arqc);
    data.extend_from_slice(&csu);
    data.extend_from_slice(proprietary_auth_data);
    let mac = mac_algorithm_3(sk_ac, &data, Padding::Method2, 4)?;
    <[u8; 4]>::try_from(mac.as_slice()).map_err(|_| EmvError::Mac(MacError::Mismatch))
}

/// The issuer script command MAC (Book 2 9.2): MAC algorithm 3 with padding method 2 under
/// the secure-messaging integrity session key, `mac_len_bytes` of 4 to 8. The data is the
/// command header, any transaction data the issuer binds (e.g. ATC, ARQC), and the command
/// data.
pub fn issuer_script_mac(
    sk_smi: &SecretKey,
    data: &[u8],
    mac_len_bytes: usize,
) -> Result<Vec<u8>, EmvError> {
    double_length("issuer script MAC", sk_smi)?;
    Ok(mac_algorithm_3(
        sk_smi,
        data,
        Padding::Method2,
        mac_len_bytes,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> SecretKey {
        SecretKey::tdes(&hex::decode(s).unwrap()).unwrap()
    }

    #[test]
    fn pyemv_doc_examples() {
        // pyemv docs (ac.py module docstring): SK 29B33180E567CE38EA4CBC9D753B0E61, data
        // 0123456789ABCDEF0123456789ABCDEF → ARQC FA624250B008B59A; ARPC method 1 with ARC 0000
        // → 45D4255EEF10C920; method 2 with CSU 00000000 → CB56FA40.
        let sk = key("29B33180E567CE38EA4CBC9D753B0E61");
        let arqc = generate_ac(
            &sk,
            &hex::decode("0123456789ABCDEF0123456789ABCDEF").unwrap(),
            CryptogramPadding::Method2,
        )
        .unwrap();
        assert_eq!(hex::encode_upper(arqc), "FA624250B008B59A");
        assert_eq!(
            hex::encode_upper(generate_arpc_method1(&sk, &arqc, [0, 0]).unwrap()),
            "45D4255EEF10C920"
        );
        assert_eq!(
            hex::encode_upper(generate_arpc_method2(&sk, &arqc, [0; 4], &[]).unwrap()),
            "CB56FA40"
        );
        assert!(
            verify_ac(
                &sk,
                &hex::decode("0123456789ABCDEF0123456789ABCDEF").unwrap(),
                CryptogramPadding::Method2,
                &arqc
            )
            .is_ok()
        );
        assert!(
            verify_ac(
                &sk,
                &hex::decode("0123456789ABCDEF0123456789ABCDEE").unwrap(),
                CryptogramPadding::Method2,
                &arqc
            )
            .is_err()
        );
    }

    #[test]
    fn pyemv_function_examples() {
        // pyemv docs (generate_ac, generate_arpc_1/2): SK AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB.
        let sk = key("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB");
        let data = hex::decode(concat!(
            "000000002000",
            "000000000000",
            "0124",
            "0000008000",
            "0124",
            "110309",
            "00",
            "3804823E",
            "5800",
            "0001"
        ))
        .unwrap();
        assert_eq!(
            hex::encode_upper(generate_ac(&sk, &data, CryptogramPadding::Method2).unwrap()),
            "3B76CF10FECD8789"
        );
        let arqc: [u8; 8] = hex::decode("1234567890ABCDEF").unwrap().try_into().unwrap();
        assert_eq!(
            hex::encode_upper(generate_arpc_method1(&sk, &arqc, [0, 0]).unwrap()),
            "F5E6F44147E2F1B0"
        );
        assert_eq!(
            hex::encode_upper(generate_arpc_method2(&sk, &arqc, [0; 4], &[]).unwrap()),
            "9308BEBC"
        );
    }

    #[test]
    fn script_mac_pyemv_doc_example() {
        // pyemv docs (sm.generate_command_mac): SK 0123456789ABCDEFFEDCBA9876543210, command
        // 8424000008 || ATC FFFF || ARQC 1234567890123456 → E07B8DF1B4184282.
        let sk = key("0123456789ABCDEFFEDCBA9876543210");
        let data = hex::decode("8424000008FFFF1234567890123456").unwrap();
        assert_eq!(
            hex::encode_upper(issuer_script_mac(&sk, &data, 8).unwrap()),
            "E07B8DF1B4184282"
        );
        assert_eq!(
            hex::encode_upper(issuer_script_mac(&sk, &data, 4).unwrap()),
            "E07B8DF1"
        );
        assert!(issuer_script_mac(&sk, &data, 9).is_err());
    }

    #[test]
    fn arpc2_rejects_long_proprietary_data() {
        let sk = key("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB");
        assert_eq!(
            generate_arpc_method2(&sk, &[0; 8], [0; 4], &[0; 9]).unwrap_err(),
            EmvError::FieldLength {
                field: "proprietary authentication data",
                len_bytes: 9,
                expected: "0 to 8"
            }
        );
    }
}
