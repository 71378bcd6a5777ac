//! Building the response message: the fields protocol.md says a response echoes, plus the
//! authorization code (38), response code (39) and additional amounts (54).

use iso8583::{CodecError, Message, Mti, ResponseCode, Spec};

/// Fields every response copies from its request when present (docs/protocol.md).
const ECHOED: &[usize] = &[2, 3, 4, 7, 11, 37, 41, 42, 49];

/// What the issuer decided about one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Field 39.
    pub code: ResponseCode,
    /// Why, for the log (never a clear PAN).
    pub reason: String,
    /// Field 38, on approvals.
    pub auth_code: Option<String>,
    /// Field 54 (balance inquiry).
    pub additional_amounts: Option<String>,
}

impl Verdict {
    /// A verdict with only a code and a reason.
    pub fn new(code: ResponseCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
            auth_code: None,
            additional_amounts: None,
        }
    }
}

/// The response to `request` carrying `verdict`.
pub(crate) fn build(
    spec: &Spec,
    request: &Message<'_>,
    verdict: &Verdict,
) -> Result<Vec<u8>, CodecError> {
    build_with(spec, request, verdict, &[])
}

/// As [`build`], with `extra` fields set last (a key change's 48 and 53).
pub(crate) fn build_with(
    spec: &Spec,
    request: &Message<'_>,
    verdict: &Verdict,
    extra: &[(usize, &[u8])],
) -> Result<Vec<u8>, CodecError> {
    let mti = request.mti().response().unwrap_or(request.mti());
    let mut out = Message::new(mti);
    for field in ECHOED {
        if let Some(value) = request.get(*field) {
            out.set_owned(*field, value)?;
        }
    }
    if request.mti().class() == 8
        && let Some(code) = request.get(70)
    {
        out.set_owned(70, code)?;
    }
    if let Some(code) = &verdict.auth_code {
        out.set_owned(38, code)?;
    } else if request.mti().as_str() == "0220"
        && verdict.code.is_approved()
        && let Some(code) = request.get(38)
    {
        // A completion's approval carries the pre-authorization's code it completes.
        out.set_owned(38, code)?;
    }
    out.set_owned(39, verdict.code.as_bytes())?;
    if let Some(amounts) = &verdict.additional_amounts {
        out.set_owned(54, amounts)?;
    }
    for (field, value) in extra {
        out.set_owned(*field, value)?;
    }
    spec.pack(&out)
}

/// A response with only the MTI and field 39, for a message whose fields could not be read.
pub(crate) fn bare(spec: &Spec, mti: Mti, code: ResponseCode) -> Result<Vec<u8>, CodecError> {
    let mut out = Message::new(mti.response().unwrap_or(mti));
    out.set_owned(39, code.as_bytes())?;
    spec.pack(&out)
}

/// Field 54 for a balance inquiry: account type 00, amount type 02 (available balance),
/// currency n3, sign C (credit) or D (debit), amount n12: 20 characters.
pub(crate) fn available_balance(currency: u16, available_minor: i128) -> String {
    let sign = if available_minor < 0 { 'D' } else { 'C' };
    let magnitude = available_minor.unsigned_abs().min(999_999_999_999);
    format!("0002{currency:03}{sign}{magnitude:012}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_54_layout() {
        assert_eq!(available_balance(978, 12_345), "0002978C000000012345");
        assert_eq!(available_balance(840, -5), "0002840D000000000005");
        assert_eq!(available_balance(36, 0).len(), 20);
    }
}
