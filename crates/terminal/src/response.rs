//! Reads an answer: does it belong to the request (41, 11, MTI, amount), and what did the host
//! say (39, 38, 37, 54).

use iso8583::{Message, Mti, ResponseCode};

/// Why an answer does not belong to its request (or cannot be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("answer MTI {got} does not answer a {request} (expected {expected})")]
    Mti {
        request: Mti,
        expected: String,
        got: Mti,
    },
    #[error("answer lacks field {0}")]
    Missing(usize),
    #[error("answer field {field} is {got:?}; the request had {expected:?}")]
    Field {
        field: usize,
        expected: String,
        got: String,
    },
    #[error("answer field 39 {0:?} is not a response code")]
    ResponseCode(String),
    #[error("answer field 54: {0}")]
    Balance(#[from] BalanceError),
}

/// Field 39 (and 38, 37, 54) of a matched answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub response_code: ResponseCode,
    /// Field 38, the approval code.
    pub auth_code: Option<String>,
    /// Field 37 as echoed.
    pub rrn: Option<String>,
    /// From field 54, for balance inquiries.
    pub balance: Option<Balance>,
    /// Field 55 of a chip answer (issuer authentication data 91, scripts 71/72).
    pub icc: Option<Vec<u8>>,
}

fn text_of<'m>(msg: &'m Message<'_>, field: usize) -> Option<&'m str> {
    msg.text(field)
}

/// Checks that `response` answers `request`, as a link's matcher does (jPOS QMUX style) and
/// more: the exact response MTI, field 41, field 11, and field 4 when the request had it (an
/// approval must echo it; a decline may leave it out). Then reads the answer.
pub fn check_response(request: &Message<'_>, response: &Message<'_>) -> Result<Answer, MatchError> {
    let expected = request.mti().response();
    if expected != Some(response.mti()) {
        return Err(MatchError::Mti {
            request: request.mti(),
            expected: expected.map(|m| m.as_str().to_string()).unwrap_or_default(),
            got: response.mti(),
        });
    }
    for field in [41, 11] {
        let want = request.get(field).unwrap_or_default();
        let got = response.get(field).ok_or(MatchError::Missing(field))?;
        if want != got {
            return Err(field_mismatch(field, want, got));
        }
    }
    let code_text = text_of(response, 39).ok_or(MatchError::Missing(39))?;
    let response_code = ResponseCode::parse(code_text)
        .ok_or_else(|| MatchError::ResponseCode(code_text.to_string()))?;
    if let Some(want) = request.get(4) {
        match response.get(4) {
            Some(got) if got != want => return Err(field_mismatch(4, want, got)),
            None if response_code.is_approved() => return Err(MatchError::Missing(4)),
            _ => {}
        }
    }
    let balance = match text_of(response, 54) {
        Some(v) if response_code.is_approved() => Balance::from_field(v)?,
        _ => None,
    };
    Ok(Answer {
        response_code,
        auth_code: text_of(response, 38)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        rrn: text_of(response, 37).map(str::to_string),
        balance,
        icc: response.get(55).map(<[u8]>::to_vec),
    })
}

fn field_mismatch(field: usize, want: &[u8], got: &[u8]) -> MatchError {
    MatchError::Field {
        field,
        expected: String::from_utf8_lossy(want).into_owned(),
        got: String::from_utf8_lossy(got).into_owned(),
    }
}

/// Why field 54 could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BalanceError {
    #[error("length {0} is not a multiple of 20")]
    Length(usize),
    #[error("amount set at offset {offset}: {why}")]
    Set { offset: usize, why: &'static str },
}

/// An amount from field 54.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balance {
    /// Field 54 account type (`00` default).
    pub account_type: u8,
    /// ISO 4217 numeric currency.
    pub currency: u16,
    /// Signed: `C` (credit balance) positive, `D` negative.
    pub amount_minor: i64,
}

/// Field 54 amount type of the available balance.
pub const AMOUNT_TYPE_AVAILABLE: &str = "02";

impl Balance {
    /// The available balance (amount type 02) among field 54's 20-character amount sets:
    /// account type n2, amount type n2, currency n3, sign `C`/`D`, amount n12.
    pub fn from_field(value: &str) -> Result<Option<Balance>, BalanceError> {
        const SET_LEN: usize = 20;
        if !value.len().is_multiple_of(SET_LEN) {
            return Err(BalanceError::Length(value.len()));
        }
        let mut found = None;
        for (i, set) in value.as_bytes().chunks(SET_LEN).enumerate() {
            let offset = i * SET_LEN;
            let bad = |why| BalanceError::Set { offset, why };
            let text = std::str::from_utf8(set).map_err(|_| bad("not text"))?;
            let part = |a: usize, b: usize| text.get(a..b).unwrap_or("");
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            let (account, kind, currency, sign, amount) =
                (part(0, 2), part(2, 4), part(4, 7), part(7, 8), part(8, 20));
            if !digits(account) || !digits(kind) {
                return Err(bad("account or amount type is not two digits"));
            }
            if !digits(currency) {
                return Err(bad("currency is not three digits"));
            }
            if !digits(amount) {
                return Err(bad("amount is not twelve digits"));
            }
            let magnitude: i64 = amount.parse().map_err(|_| bad("amount"))?;
            let amount_minor = match sign {
                "C" => magnitude,
                "D" => -magnitude,
                _ => return Err(bad("sign is neither C nor D")),
            };
            if kind == AMOUNT_TYPE_AVAILABLE && found.is_none() {
                found = Some(Balance {
                    account_type: account.parse().map_err(|_| bad("account type"))?,
                    currency: currency.parse().map_err(|_| bad("currency"))?,
                    amount_minor,
                });
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_54_available_balance() {
        // Ledger balance (01) first, then available (02) in the debit sign.
        let v = "0001978C0000000150000002978D000000001234";
        assert_eq!(
            Balance::from_field(v),
            Ok(Some(Balance {
                account_type: 0,
                currency: 978,
                amount_minor: -1234
            }))
        );
        assert_eq!(Balance::from_field("0001978C000000015000"), Ok(None));
        assert_eq!(
            Balance::from_field("0002978C00000001500"),
            Err(BalanceError::Length(19))
        );
        assert_eq!(
            Balance::from_field("0002978X000000015000"),
            Err(BalanceError::Set {
                offset: 0,
                why: "sign is neither C nor D"
            })
        );
    }
}
