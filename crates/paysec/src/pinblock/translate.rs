//! PIN translation: decipher under one key and format, re-encipher under another, without the
//! clear PIN leaving this module (the gateway's job between the terminal zone and the issuer).

use super::{PinBlockError, PinBlockFormat, decipher, encipher};
use crate::digits::Pan;
use crate::key::SecretKey;
use crate::rng::ByteSource;

/// Where a PIN block comes from or goes to: its format and key.
#[derive(Clone, Copy, Debug)]
pub struct PinZone<'a> {
    /// ISO 9564-1 format.
    pub format: PinBlockFormat,
    /// Encipherment key (TDES for 0/1/3, AES for 4).
    pub key: &'a SecretKey,
}

/// Translates `block` from `from` to `to`. The PAN binds formats 0, 3 and 4.
pub fn translate(
    from: PinZone<'_>,
    to: PinZone<'_>,
    block: &[u8],
    pan: Option<&Pan>,
    rng: &mut dyn ByteSource,
) -> Result<Vec<u8>, PinBlockError> {
    let pin = decipher(from.format, from.key, block, pan)?;
    encipher(to.format, to.key, &pin, pan, rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digits::Pin;
    use crate::rng::Replay;

    #[test]
    fn format0_to_format4_and_back() {
        let zpk = SecretKey::tdes(&[0x11; 16]).unwrap();
        let aes = SecretKey::aes(&[0x22; 16]).unwrap();
        let pan = Pan::new("4111111111111111").unwrap();
        let pin = Pin::new("987654").unwrap();
        let b0 = encipher(
            PinBlockFormat::Iso0,
            &zpk,
            &pin,
            Some(&pan),
            &mut Replay::new(&[]),
        )
        .unwrap();
        let b4 = translate(
            PinZone {
                format: PinBlockFormat::Iso0,
                key: &zpk,
            },
            PinZone {
                format: PinBlockFormat::Iso4,
                key: &aes,
            },
            &b0,
            Some(&pan),
            &mut Replay::new(&[7; 8]),
        )
        .unwrap();
        assert_eq!(b4.len(), 16);
        assert_eq!(
            decipher(PinBlockFormat::Iso4, &aes, &b4, Some(&pan)).unwrap(),
            pin
        );
        let back = translate(
            PinZone {
                format: PinBlockFormat::Iso4,
                key: &aes,
            },
            PinZone {
                format: PinBlockFormat::Iso0,
                key: &zpk,
            },
            &b4,
            Some(&pan),
            &mut Replay::new(&[]),
        )
        .unwrap();
        assert_eq!(
            back, b0,
            "format 0 is deterministic, so the round trip is exact"
        );
    }
}
