//! ISO 9564-1:2017 format 4: a 16-byte PIN field (`4 L P..P A..A` then 8 random bytes) and a
//! 16-byte PAN field, enciphered with AES in two passes:
//! `C = E(K, E(K, PIN field) XOR PAN field)`.

use zeroize::Zeroizing;

use super::{ClearBlock16, PinBlockError, PinBlockFormat, pin_field_nibbles, read_pin_field};
use crate::cipher::{AesCipher, BlockOps, xor_into};
use crate::digits::{Pan, Pin, right_justify};
use crate::key::SecretKey;
use crate::rng::ByteSource;

const FORMAT: PinBlockFormat = PinBlockFormat::Iso4;

/// The clear PIN field: control 4, length, PIN, fill A up to nibble 16, then 8 random bytes.
pub fn encode_format4_pin_field(pin: &Pin, rng: &mut dyn ByteSource) -> ClearBlock16 {
    let mut nibbles = pin_field_nibbles::<16>(4, pin);
    for n in nibbles.iter_mut().skip(2 + pin.len()) {
        *n = 0xA;
    }
    let mut field = Zeroizing::new([0u8; 16]);
    let (head, tail) = field.split_at_mut(8);
    head.copy_from_slice(&super::pack16(&nibbles));
    rng.fill_bytes(tail);
    field
}

/// The PAN field: nibble `len - 12` (0 for PANs of 12 digits or fewer), the PAN (right-justified
/// in 12 digits with leading zeros when shorter), then zeros.
pub fn format4_pan_field(pan: &Pan) -> [u8; 16] {
    let mut nibbles = [0u8; 32];
    let digits = pan.digits();
    if let Some(first) = nibbles.first_mut() {
        *first = u8::try_from(pan.len().saturating_sub(12)).unwrap_or(0);
    }
    if digits.len() >= 12 {
        for (dst, d) in nibbles.iter_mut().skip(1).zip(digits) {
            *dst = *d;
        }
    } else {
        for (dst, d) in nibbles.iter_mut().skip(1).zip(right_justify::<12>(digits)) {
            *dst = d;
        }
    }
    let mut out = [0u8; 16];
    let (pairs, _) = nibbles.as_chunks::<2>();
    for (o, [h, l]) in out.iter_mut().zip(pairs) {
        *o = (h << 4) | l;
    }
    out
}

/// Reads the PIN from a clear 16-byte PIN field. The 8 random bytes are not checked.
pub fn decode_format4_pin_field(field: &[u8]) -> Result<Pin, PinBlockError> {
    let field =
        Zeroizing::new(
            <[u8; 16]>::try_from(field).map_err(|_| PinBlockError::BlockLength {
                format: FORMAT,
                len_bytes: field.len(),
                expected_bytes: 16,
            })?,
        );
    let mut head = Zeroizing::new([0u8; 8]);
    head.copy_from_slice(
        field
            .first_chunk::<8>()
            .map(|h| &h[..])
            .unwrap_or(&[0u8; 8]),
    );
    let nibbles = super::unpack8(&head);
    let (pin, fill_start) = read_pin_field(FORMAT, &nibbles[..])?;
    for (i, n) in nibbles.iter().enumerate().skip(fill_start) {
        if *n != 0xA {
            return Err(PinBlockError::Fill {
                format: FORMAT,
                nibble_offset: i,
                found: *n,
                expected: "A",
            });
        }
    }
    Ok(pin)
}

/// Builds and enciphers a format 4 block under an AES key.
pub fn encipher_format4(
    key: &SecretKey,
    pin: &Pin,
    pan: &Pan,
    rng: &mut dyn ByteSource,
) -> Result<[u8; 16], PinBlockError> {
    let cipher = AesCipher::new(key)?;
    let mut block = encode_format4_pin_field(pin, rng);
    cipher.encrypt(&mut block);
    xor_into(&mut block, &format4_pan_field(pan));
    cipher.encrypt(&mut block);
    // Enciphered: no longer secret.
    Ok(*block)
}

/// Deciphers a format 4 block and reads the PIN.
pub fn decipher_format4(key: &SecretKey, block: &[u8], pan: &Pan) -> Result<Pin, PinBlockError> {
    let cipher = AesCipher::new(key)?;
    let mut clear =
        Zeroizing::new(
            <[u8; 16]>::try_from(block).map_err(|_| PinBlockError::BlockLength {
                format: FORMAT,
                len_bytes: block.len(),
                expected_bytes: 16,
            })?,
        );
    cipher.decrypt(&mut clear);
    xor_into(&mut clear, &format4_pan_field(pan));
    cipher.decrypt(&mut clear);
    decode_format4_pin_field(&clear[..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Replay;

    #[test]
    fn pan_field_examples() {
        // psec docs: encode_pan_field_iso_4("112233445566778899") = 61122334455667788990000000000000.
        let f = format4_pan_field(&Pan::new("112233445566778899").unwrap());
        assert_eq!(hex::encode_upper(f), "61122334455667788990000000000000");
        // ISO 9564-1:2017: a PAN shorter than 12 digits is right-justified in 12 with zeros.
        let f = format4_pan_field(&Pan::new("1234567890").unwrap());
        assert_eq!(hex::encode_upper(f), "00012345678900000000000000000000");
    }

    #[test]
    fn x9_24_3_pin_block_example() {
        // ANSI X9.24-3-2017 supplement test vectors (AES-128 BDK, KSN counter 1): PIN key
        // AF8CB133A78F8DC2D1359F18527593FB, PIN 1234, PAN 4111111111111111, random bytes
        // 2F69ADDE2E9E7ACE: PIN field 441234AAAAAAAAAA2F69ADDE2E9E7ACE, intermediate A
        // DE84127CF6DCA7DFE47BDE89057CB820, enciphered block A912150391AB65A67E52883D81CE2D15.
        let key =
            SecretKey::aes(&hex::decode("AF8CB133A78F8DC2D1359F18527593FB").unwrap()).unwrap();
        let pan = Pan::new("4111111111111111").unwrap();
        let pin = Pin::new("1234").unwrap();
        let random = hex::decode("2F69ADDE2E9E7ACE").unwrap();
        let field = encode_format4_pin_field(&pin, &mut Replay::new(&random));
        assert_eq!(
            hex::encode_upper(*field),
            "441234AAAAAAAAAA2F69ADDE2E9E7ACE"
        );
        assert_eq!(
            hex::encode_upper(format4_pan_field(&pan)),
            "44111111111111111000000000000000"
        );
        let block = encipher_format4(&key, &pin, &pan, &mut Replay::new(&random)).unwrap();
        assert_eq!(hex::encode_upper(block), "A912150391AB65A67E52883D81CE2D15");
        assert_eq!(
            decipher_format4(&key, &block, &pan)
                .unwrap()
                .reveal()
                .as_str(),
            "1234"
        );
    }

    #[test]
    fn psec_doc_example_deciphers() {
        // psec docs: decipher_pinblock_iso_4(00112233445566778899AABBCCDDEEFF,
        // E4BE5B623AF7E006AC319E5B93544564, "1234567890123456") = "1234".
        let key =
            SecretKey::aes(&hex::decode("00112233445566778899AABBCCDDEEFF").unwrap()).unwrap();
        let block = hex::decode("E4BE5B623AF7E006AC319E5B93544564").unwrap();
        let pin = decipher_format4(&key, &block, &Pan::new("1234567890123456").unwrap()).unwrap();
        assert_eq!(pin.reveal().as_str(), "1234");
    }

    #[test]
    fn fill_must_be_a() {
        let field = hex::decode("441234AAAAAAAAAB2F69ADDE2E9E7ACE").unwrap();
        assert_eq!(
            decode_format4_pin_field(&field),
            Err(PinBlockError::Fill {
                format: FORMAT,
                nibble_offset: 15,
                found: 0xB,
                expected: "A"
            })
        );
    }

    #[test]
    fn needs_an_aes_key() {
        let key = SecretKey::tdes(&[1u8; 16]).unwrap();
        let pan = Pan::new("4111111111111111").unwrap();
        assert!(matches!(
            encipher_format4(
                &key,
                &Pin::new("1234").unwrap(),
                &pan,
                &mut Replay::new(&[])
            ),
            Err(PinBlockError::Cipher(_))
        ));
    }
}
