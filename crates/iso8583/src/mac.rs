//! Where a message authentication code (MAC) sits in a message and which bytes it covers.
//!
//! The MAC is the last data element: field 64 when the message has no field above 64, field
//! 128 otherwise (ISO 8583:1987 puts it in the last field of the last bitmap in use). It covers
//! the packed message from the MTI up to, not including, its own 8 bytes — bitmaps included,
//! so a MAC also binds which fields are present. The algorithm and key are the caller's.

use crate::CodecError;
use crate::message::Message;
use crate::spec::Spec;

/// Length of the MAC data element (`b 8`).
pub const MAC_LEN: usize = 8;

/// The field that carries a message's MAC: 128 when any field above 64 is present, else 64.
pub fn mac_field(message: &Message<'_>) -> usize {
    if message.fields().any(|(n, _)| n > 64 && n != 128) {
        128
    } else {
        64
    }
}

/// Why a received message's MAC cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacPlacementError {
    #[error("no MAC: field {expected} is absent")]
    Missing { expected: usize },
    #[error(
        "the MAC is in field {found}, but a message with these fields carries it in field {expected}"
    )]
    WrongField { found: usize, expected: usize },
    #[error("the MAC in field {field} is {len} bytes, not {MAC_LEN}")]
    Length { field: usize, len: usize },
    #[error("field {field} is not the last {MAC_LEN} bytes of the frame")]
    NotLast { field: usize },
}

/// Packs `message` with a MAC: the MAC field is set to zeros, the message packed, `mac`
/// called on the bytes it covers, and its answer written into the MAC's place.
pub fn pack_with_mac<E>(
    spec: &Spec,
    message: &Message<'_>,
    mac: impl FnOnce(&[u8]) -> Result<[u8; MAC_LEN], E>,
) -> Result<Result<Vec<u8>, E>, CodecError> {
    let mut m = message.clone();
    m.remove(64);
    m.remove(128);
    let field = mac_field(&m);
    m.set_owned(field, [0u8; MAC_LEN])?;
    let mut frame = spec.pack(&m)?;
    // The MAC field was packed last, so the frame ends with its 8 bytes.
    let covered = frame.len().saturating_sub(MAC_LEN);
    let (data, tail) = frame.split_at_mut(covered);
    match mac(data) {
        Ok(code) => {
            tail.copy_from_slice(&code);
            Ok(Ok(frame))
        }
        Err(e) => Ok(Err(e)),
    }
}

/// The bytes a received message's MAC covers and the MAC itself, after checking that the MAC
/// is where [`pack_with_mac`] puts it. `frame` is what `message` was unpacked from.
pub fn mac_parts<'f>(
    frame: &'f [u8],
    message: &Message<'_>,
) -> Result<(&'f [u8], &'f [u8]), MacPlacementError> {
    let expected = mac_field(message);
    let other = if expected == 64 { 128 } else { 64 };
    let Some(value) = message.get(expected) else {
        return Err(if message.has(other) {
            MacPlacementError::WrongField {
                found: other,
                expected,
            }
        } else {
            MacPlacementError::Missing { expected }
        });
    };
    if expected == 128 && message.has(64) {
        return Err(MacPlacementError::WrongField {
            found: 64,
            expected,
        });
    }
    if value.len() != MAC_LEN {
        return Err(MacPlacementError::Length {
            field: expected,
            len: value.len(),
        });
    }
    let covered = frame
        .len()
        .checked_sub(MAC_LEN)
        .ok_or(MacPlacementError::NotLast { field: expected })?;
    let (data, tail) = frame.split_at(covered);
    if tail != value {
        return Err(MacPlacementError::NotLast { field: expected });
    }
    Ok((data, tail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::specs;

    fn purchase() -> Message<'static> {
        let mut m = Message::new(crate::Mti::parse("0200").unwrap());
        m.set_owned(3, "000000").unwrap();
        m.set_owned(4, "000000001000").unwrap();
        m.set_owned(11, "000001").unwrap();
        m.set_owned(41, "TERM0001").unwrap();
        m
    }

    /// A toy MAC for placement tests: the XOR of the covered bytes, repeated.
    fn xor_mac(data: &[u8]) -> Result<[u8; MAC_LEN], ()> {
        Ok([data.iter().fold(0u8, |a, b| a ^ b); MAC_LEN])
    }

    #[test]
    fn mac_goes_last_in_64_or_128_and_covers_the_rest() {
        let spec = specs::iso87_ascii_bbitmap();
        let m = purchase();
        let frame = pack_with_mac(&spec, &m, xor_mac).unwrap().unwrap();
        let back = spec.unpack(&frame).unwrap();
        assert!(back.has(64) && !back.has(128));
        let (data, mac) = mac_parts(&frame, &back).unwrap();
        assert_eq!(data.len() + MAC_LEN, frame.len());
        assert_eq!(mac, xor_mac(data).unwrap());
        // The MAC covers the bitmap: field 64's bit is set in what was MACed.
        assert_eq!(data[4 + 7] & 0x01, 0x01);

        let mut wide = purchase();
        wide.set_owned(90, "020000000111142213200000000000100000000000")
            .unwrap();
        wide.set_owned(64, [9u8; 8]).unwrap();
        let frame = pack_with_mac(&spec, &wide, xor_mac).unwrap().unwrap();
        let back = spec.unpack(&frame).unwrap();
        assert!(
            back.has(128) && !back.has(64),
            "stale 64 removed, MAC in 128"
        );
        let (data, mac) = mac_parts(&frame, &back).unwrap();
        assert_eq!(mac, xor_mac(data).unwrap());
    }

    #[test]
    fn misplaced_or_missing_macs_are_named() {
        let spec = specs::iso87_ascii_bbitmap();
        let m = purchase();
        let frame = spec.pack(&m).unwrap();
        assert_eq!(
            mac_parts(&frame, &spec.unpack(&frame).unwrap()),
            Err(MacPlacementError::Missing { expected: 64 })
        );
        let mut wide = purchase();
        wide.set_owned(90, "020000000111142213200000000000100000000000")
            .unwrap();
        wide.set_owned(64, [0u8; 8]).unwrap();
        let frame = spec.pack(&wide).unwrap();
        assert_eq!(
            mac_parts(&frame, &spec.unpack(&frame).unwrap()),
            Err(MacPlacementError::WrongField {
                found: 64,
                expected: 128
            })
        );
        // A MAC that does not match the frame's tail (a message unpacked from other bytes).
        let sealed = pack_with_mac(&spec, &m, xor_mac).unwrap().unwrap();
        let msg = spec.unpack(&sealed).unwrap();
        let mut other = sealed.clone();
        other.push(0);
        assert_eq!(
            mac_parts(&other, &msg),
            Err(MacPlacementError::NotLast { field: 64 })
        );
        // The MAC function's own error comes back as is.
        let failed = pack_with_mac(&spec, &m, |_| Err::<[u8; 8], _>("no key")).unwrap();
        assert_eq!(failed, Err("no key"));
    }
}
