//! Reading the calculator's arguments: hex, keys, PANs and PINs, with errors that name the
//! argument and never repeat a secret's value.

use anyhow::{Result, anyhow, bail};
use paysec::{KeyAlgorithm, Pan, Pin, SecretKey};
use zeroize::Zeroizing;

/// A command-line value that is a secret (a key or a PIN): wiped on drop, never printed.
///
/// clap keeps its own copy of the raw arguments while parsing; this is the copy that lives
/// for the rest of the run.
#[derive(Clone)]
pub struct SecretArg(Zeroizing<String>);

impl SecretArg {
    fn as_str(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretArg(<hidden>)")
    }
}

/// clap value parser for secrets: accepts anything, so clap's own errors never quote a key.
pub fn secret(text: &str) -> Result<SecretArg, std::convert::Infallible> {
    Ok(SecretArg(Zeroizing::new(text.to_string())))
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex; the error gives the offset of the first bad character, never the text.
fn decode_hex(arg: &str, text: &str) -> Result<Zeroizing<Vec<u8>>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        bail!("{arg}: empty; expected hex digits");
    }
    if let Some(offset) = bytes.iter().position(|c| hex_digit(*c).is_none()) {
        bail!("{arg}: character at offset {offset} is not a hex digit");
    }
    if !bytes.len().is_multiple_of(2) {
        bail!(
            "{arg}: {} hex digits; bytes need an even number",
            bytes.len()
        );
    }
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len() / 2));
    for pair in bytes.chunks_exact(2) {
        if let [h, l] = pair {
            out.push((hex_digit(*h).unwrap_or(0) << 4) | hex_digit(*l).unwrap_or(0));
        }
    }
    Ok(out)
}

/// Public hex data (a KSN, a PIN block, message data).
pub fn hex(arg: &str, text: &str) -> Result<Vec<u8>> {
    Ok(decode_hex(arg, text)?.to_vec())
}

/// Hex data of exactly `len` bytes.
pub fn hex_exact<const N: usize>(arg: &str, text: &str) -> Result<[u8; N]> {
    let bytes = hex(arg, text)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| {
        anyhow!(
            "{arg}: {} bytes; expected {N} ({} hex digits)",
            bytes.len(),
            2 * N
        )
    })
}

/// Hex data that may be empty.
pub fn hex_or_empty(arg: &str, text: &str) -> Result<Vec<u8>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    hex(arg, text)
}

/// A key for `algorithm`; the error names the argument and the length, never the key.
pub fn key(arg: &str, text: &SecretArg, algorithm: KeyAlgorithm) -> Result<SecretKey> {
    let bytes = decode_hex(arg, text.as_str())?;
    SecretKey::new(algorithm, &bytes).map_err(|e| {
        let hint = match (algorithm, bytes.len()) {
            (KeyAlgorithm::Tdes, 32) => " (is it an AES key? say --aes)",
            _ => "",
        };
        anyhow!("{arg}: {e}{hint}")
    })
}

/// Raw secret bytes (a key for an algorithm TR-31 names but paysec does not run).
pub fn secret_bytes(arg: &str, text: &SecretArg) -> Result<Zeroizing<Vec<u8>>> {
    decode_hex(arg, text.as_str())
}

/// A PIN (4 to 12 digits).
pub fn pin(arg: &str, text: &SecretArg) -> Result<Pin> {
    Pin::new(text.as_str()).map_err(|e| anyhow!("{arg}: {e}"))
}

/// A PAN, with its check digit tested when `luhn_matters` (the algorithm drops the last digit
/// as a check digit, so a PAN typed without it would silently give a wrong answer).
pub fn pan(arg: &str, text: &str, luhn_matters: bool, no_luhn: bool) -> Result<Pan> {
    let pan = Pan::new(text).map_err(|e| anyhow!("{arg}: {e}"))?;
    if luhn_matters && !no_luhn && !luhn_ok(pan.digits()) {
        bail!(
            "{arg}: {pan} fails the Luhn check; this algorithm ignores the last digit as a check \
             digit, so a PAN without one gives a wrong result (pass --no-luhn to compute anyway)"
        );
    }
    Ok(pan)
}

/// ISO/IEC 7812 Luhn check over all digits (the last is the check digit).
pub fn luhn_ok(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> SecretArg {
        secret(t).unwrap()
    }

    #[test]
    fn key_errors_name_the_argument_and_hide_the_value() {
        let e = key(
            "--key",
            &s("0123456789ABCDEFFEDCBA98765432"),
            KeyAlgorithm::Tdes,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("--key: "), "{e}");
        assert!(e.contains("15 bytes"), "{e}");
        assert!(!e.contains("0123456789"), "{e}");
        let e = key("--bdk", &s("01234G"), KeyAlgorithm::Tdes)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "--bdk: character at offset 5 is not a hex digit");
        let e = key("--k", &s("012"), KeyAlgorithm::Aes)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "--k: 3 hex digits; bytes need an even number");
        assert_eq!(format!("{:?}", s("0123")), "SecretArg(<hidden>)");
    }

    #[test]
    fn luhn() {
        // ISO/IEC 7812 examples: 4111111111111111 and 79927398713 pass; changing a digit fails.
        assert!(luhn_ok(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
        assert!(luhn_ok(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
        assert!(!luhn_ok(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 4]));
        let e = pan("--pan", "4111111111111112", true, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("411111******1112"), "{e}");
        assert!(pan("--pan", "4111111111111112", true, true).is_ok());
        assert!(pan("--pan", "4111111111111112", false, false).is_ok());
    }

    #[test]
    fn exact_lengths() {
        assert_eq!(hex_exact::<2>("--atc", "001C").unwrap(), [0x00, 0x1C]);
        let e = hex_exact::<4>("--un", "0102").unwrap_err().to_string();
        assert_eq!(e, "--un: 2 bytes; expected 4 (8 hex digits)");
    }
}
