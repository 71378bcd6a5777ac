//! What logs and dumps may show of a field: PANs cut to their first 6 and last 4 digits, secrets
//! never.

use crate::spec::{Composite, Kind, Sensitivity, Spec};

/// Masks a PAN to at most its first 6 and last 4 digits (the EMV crate's rule, so chip data
/// and message fields mask alike).
pub fn mask_pan(pan: &str) -> String {
    emv::tags::mask_pan(pan)
}

/// Masks a value that carries a PAN (field 2, 34, track 1/2/3): the leading PAN is masked by
/// [`mask_pan`], a format code before it is kept, and everything after the PAN's separator
/// (expiry, service code, discretionary data with the CVV) is replaced by `*`.
pub fn mask_pan_bearing(value: &str) -> String {
    let start = value
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(value.len());
    // A format code longer than 2 characters is not a track's: mask everything.
    if start > 2 {
        return "*".repeat(value.chars().count());
    }
    let rest = &value[start..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let mut out = String::with_capacity(value.len());
    out.push_str(&value[..start]);
    out.push_str(&mask_pan(&rest[..end]));
    let mut after = rest[end..].chars();
    if let Some(sep) = after.next() {
        out.push(sep);
        out.extend(after.map(|_| '*'));
    }
    out
}

/// The placeholder for a secret field.
pub fn hidden(len: usize) -> String {
    format!("[hidden: {len} bytes]")
}

/// Renders a value in the clear: text, or uppercase hex for binary data.
pub fn clear(kind: Kind, value: &[u8]) -> String {
    if kind == Kind::B {
        crate::hex::encode_upper(value)
    } else {
        String::from_utf8_lossy(value).into_owned()
    }
}

/// Renders field `number` for a log or dump, as the spec's sensitivity allows.
pub fn show(spec: &Spec, number: usize, value: &[u8]) -> String {
    let (kind, sensitivity, composite) = spec
        .field(number)
        .map(|f| (f.kind, f.sensitivity, f.composite))
        .unwrap_or((Kind::B, Sensitivity::default_for(number), Composite::None));
    render(kind, sensitivity, composite, value)
}

/// Renders field `number` with the default sensitivities, without a spec (for `Debug`).
pub fn show_default(number: usize, value: &[u8]) -> String {
    let kind = match std::str::from_utf8(value) {
        Ok(s) if s.bytes().all(|b| (0x20..0x7F).contains(&b)) => Kind::Ans,
        _ => Kind::B,
    };
    // Field 55 carries ICC data in every ISO 8583 version this crate knows.
    let composite = if number == 55 {
        Composite::Tlv
    } else {
        Composite::None
    };
    render(kind, Sensitivity::default_for(number), composite, value)
}

/// How a chip data object may be shown, from the EMV dictionary (one source of truth for
/// which tags carry a PAN, track data or PIN and card verification data). Unknown tags are
/// shown: the dictionary covers every tag that carries cardholder secrets.
pub fn tlv_sensitivity(tag: emv::Tag) -> Sensitivity {
    use emv::tags::Sensitivity as Emv;
    match emv::tags::lookup(tag).map(|info| info.sensitivity) {
        Some(Emv::Pan | Emv::Track1 | Emv::Track2) => Sensitivity::Pan,
        Some(Emv::Hidden) => Sensitivity::Secret,
        Some(Emv::Clear) | None => Sensitivity::Clear,
    }
}

/// One data object's value for a dump: hex, with a PAN's or track's digits masked (they are
/// BCD, so their hex digits are the digits) and PIN data hidden.
pub fn tlv_value(tag: emv::Tag, value: &[u8]) -> String {
    match tlv_sensitivity(tag) {
        Sensitivity::Clear => crate::hex::encode_upper(value),
        Sensitivity::Secret => hidden(value.len()),
        Sensitivity::Pan => mask_pan_bearing(&crate::hex::encode_upper(value)),
    }
}

/// BER-TLV data rendered as hex with sensitive objects masked; what cannot be parsed is not
/// shown, since it could hold anything.
fn tlv_masked(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    let mut shown = 0usize;
    for item in emv::tlv::parse(value) {
        let Ok(t) = item else { break };
        let value_start = (t.value.as_ptr() as usize).saturating_sub(value.as_ptr() as usize);
        // Padding bytes (00/FF) the parser skipped, then the tag and length as they are.
        out.push_str(&crate::hex::encode_upper(
            value.get(shown..value_start).unwrap_or(&[]),
        ));
        out.push_str(&tlv_value(t.tag, t.value));
        shown = value_start + t.value.len();
    }
    if shown < value.len() {
        out.push_str(&format!(
            "[{} unreadable bytes hidden]",
            value.len() - shown
        ));
    }
    out
}

pub(crate) fn render(
    kind: Kind,
    sensitivity: Sensitivity,
    composite: Composite,
    value: &[u8],
) -> String {
    match sensitivity {
        Sensitivity::Clear if composite == Composite::Tlv && kind == Kind::B => tlv_masked(value),
        Sensitivity::Clear => clear(kind, value),
        Sensitivity::Secret => hidden(value.len()),
        Sensitivity::Pan => match std::str::from_utf8(value) {
            Ok(s) if kind != Kind::B => mask_pan_bearing(s),
            _ => hidden(value.len()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pans_show_at_most_six_and_four() {
        assert_eq!(mask_pan("4111111111111111"), "411111******1111");
        assert_eq!(mask_pan("5413330089020011234"), "541333*********1234");
        assert_eq!(mask_pan("123456789012"), "123456**9012");
        assert_eq!(mask_pan("1234567890"), "**********");
    }

    #[test]
    fn tracks_hide_everything_after_the_pan() {
        assert_eq!(
            mask_pan_bearing("4111111111111111=25121010000012300000"),
            "411111******1111=********************"
        );
        assert_eq!(
            mask_pan_bearing("4111111111111111D2512101"),
            "411111******1111D*******"
        );
        assert_eq!(
            mask_pan_bearing("B4111111111111111^DOE/JOHN^2512101"),
            "B411111******1111^****************"
        );
        assert_eq!(
            mask_pan_bearing("NOTATRACK4111111111111111"),
            "*************************"
        );
    }

    #[test]
    fn icc_data_masks_its_pan_and_track() {
        let icc = crate::hex::decode(
            "9F2608AABBCCDDEEFF0011 5A084111111111111111 570F 4111111111111111D2512201123456 99",
        )
        .unwrap();
        let shown = render(Kind::B, Sensitivity::Clear, Composite::Tlv, &icc);
        assert_eq!(
            shown,
            "9F2608AABBCCDDEEFF00115A08411111******1111570F411111******1111D*************[1 unreadable bytes hidden]"
        );
    }

    #[test]
    fn secrets_are_never_shown() {
        let s = render(
            Kind::B,
            Sensitivity::Secret,
            Composite::None,
            &[0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0],
        );
        assert_eq!(s, "[hidden: 8 bytes]");
        assert!(!s.contains("12"));
    }
}
