//! The decisions: each request kind becomes a plan (transfers to apply all or none, and the
//! verdict if they apply); a ledger rejection becomes a response code by the leg it hit.

mod authorize;
mod complete;
mod offline;
pub(crate) mod pin;
mod reverse;
mod settle;

pub(crate) use authorize::authorize;
pub(crate) use complete::complete;
pub(crate) use offline::post_offline;
pub(crate) use reverse::reverse;
pub(crate) use settle::settle;

use iso8583::{ResponseCode, Spec};
use ledger::{Batch, Storage, Transfer, TransferRejected};

use crate::book::{Book, CardLookup};
use crate::chart::{COUNT_LEDGER, transfer_code};
use crate::config::{CardConfig, MerchantConfig};
use crate::key::{Leg, transfer_id};
use crate::request::Financial;
use crate::respond::Verdict;
use crate::security::Security;
use crate::time::UnixTime;

/// What a decision needs: the open batch, the books, the time, and the request's key base.
pub(crate) struct Ctx<'x, 'b, S: Storage> {
    pub batch: &'x mut Batch<'b, S>,
    pub book: &'x Book,
    pub spec: &'x Spec,
    pub now: UnixTime,
    /// Base of this request's key: its transfers are `base | leg`.
    pub base: u128,
    /// The HSM, when the issuer verifies PINs.
    pub security: Option<&'x Security>,
}

/// Transfers to apply as one, and the verdict when they apply. Without transfers, the verdict
/// is the answer (declines decided before the ledger are recorded this way too).
#[derive(Debug)]
pub(crate) struct Plan {
    pub transfers: Vec<Transfer>,
    pub verdict: Verdict,
}

impl Plan {
    pub fn answer(code: ResponseCode, reason: impl Into<String>) -> Self {
        Self {
            transfers: Vec::new(),
            verdict: Verdict::new(code, reason),
        }
    }
}

/// The verdict when the ledger refuses leg `leg` for `reason`.
pub(crate) fn rejected(leg: Option<Leg>, reason: TransferRejected) -> Verdict {
    use TransferRejected as R;
    let (code, why) = match (leg, reason) {
        (Some(Leg::Money | Leg::UndoMoney), R::ExceedsCredits) => (
            ResponseCode::INSUFFICIENT_FUNDS,
            "insufficient funds: the card's available balance is below the amount",
        ),
        (Some(Leg::Limit), R::ExceedsCredits) => (
            ResponseCode::EXCEEDS_AMOUNT_LIMIT,
            "over the daily limit: today's approved debits plus this amount exceed it",
        ),
        (Some(Leg::PostMoney), R::ExceedsPendingTransferAmount) => (
            ResponseCode::INVALID_AMOUNT,
            "completion amount is above the held amount",
        ),
        (
            Some(Leg::PostMoney | Leg::UndoMoney),
            R::PendingNotFound | R::PendingTransferNotPending | R::AlreadyVoided | R::Expired,
        ) => (
            ResponseCode::NO_SUCH_RECORD,
            "the hold is gone (voided, expired or never made)",
        ),
        (Some(Leg::UndoMoney), R::AlreadyPosted) => (
            ResponseCode::INVALID_TRANSACTION,
            "the pre-authorization was completed: reverse the completion instead",
        ),
        _ => {
            return Verdict::new(
                ResponseCode::SYSTEM_MALFUNCTION,
                format!(
                    "ledger refused leg {}: {reason}",
                    leg.map_or_else(|| "?".to_owned(), |l| format!("{l:?}"))
                ),
            );
        }
    };
    Verdict::new(code, why)
}

/// The configured card for a presented PAN, or the 14 that answers it.
pub(crate) fn known_card<'a>(book: &'a Book, pan: &str) -> Result<&'a CardConfig, Verdict> {
    let masked = iso8583::mask::mask_pan(pan);
    let why = match book.card(pan) {
        CardLookup::Found(card) => return Ok(card),
        CardLookup::Luhn => format!("PAN {masked} fails the Luhn check"),
        CardLookup::NotOurs => format!("PAN {masked} is outside this issuer's BIN ranges"),
        CardLookup::Unknown => format!("no card with PAN {masked}"),
    };
    Err(Verdict::new(ResponseCode::INVALID_CARD_NUMBER, why))
}

/// The merchant and the configured card of a card request, or the plan that answers it:
/// unknown merchant (03), no card number (30), a PAN that is not one of ours (14).
pub(crate) fn merchant_and_card<'a>(
    book: &'a Book,
    req: &Financial,
) -> Result<(&'a MerchantConfig, &'a CardConfig), Plan> {
    let Some(merchant) = book.merchant(&req.merchant) else {
        return Err(Plan::answer(
            ResponseCode::INVALID_MERCHANT,
            format!("unknown merchant {:?}", req.merchant),
        ));
    };
    let Some(presented) = req.card.as_ref() else {
        return Err(Plan::answer(ResponseCode::FORMAT_ERROR, "no card number"));
    };
    let card = known_card(book, &presented.pan).map_err(|verdict| Plan {
        transfers: Vec::new(),
        verdict,
    })?;
    Ok((merchant, card))
}

/// The 12 for a request in another currency than the card's (no conversion).
pub(crate) fn other_currency(req: &Financial, card: &CardConfig) -> Option<Plan> {
    (req.currency != card.currency).then(|| {
        Plan::answer(
            ResponseCode::INVALID_TRANSACTION,
            format!(
                "currency {:03} differs from the card's {:03} (no conversion)",
                req.currency, card.currency
            ),
        )
    })
}

/// One unit on the authorization code sequence (leg [`Leg::AuthSequence`]).
pub(crate) fn sequence_transfer(book: &Book, base: u128) -> Transfer {
    Transfer::single(
        transfer_id(base, Leg::AuthSequence),
        book.chart.count_source(),
        book.chart.auth_sequence(),
        1,
        COUNT_LEDGER,
        transfer_code::AUTH_SEQUENCE,
    )
}

/// Whether a pending transfer's timeout has passed at `now`.
pub(crate) fn hold_expired(pending: &Transfer, now: UnixTime) -> bool {
    pending.timeout_s != 0
        && now.as_ns()
            >= pending
                .timestamp_ns
                .saturating_add(u64::from(pending.timeout_s).saturating_mul(1_000_000_000))
}

/// Adds `amount_minor` and one transaction to the terminal's totals for its current period:
/// debits (purchases, completions) or credits (refunds).
pub(crate) fn totals_legs<S: Storage>(
    ctx: &mut Ctx<'_, '_, S>,
    base: u128,
    legs: (Leg, Leg),
    terminal: &str,
    currency: u16,
    debit: bool,
    amount_minor: u64,
) -> Result<[Transfer; 2], crate::IssuerError> {
    let ids = ctx.book.totals(ctx.batch, terminal, currency, true)?;
    let (amount_account, count_account) = if debit {
        (ids.debits_amount, ids.debits_count)
    } else {
        (ids.credits_amount, ids.credits_count)
    };
    let chart = &ctx.book.chart;
    Ok([
        Transfer::single(
            transfer_id(base, legs.0),
            chart.totals_source(currency),
            amount_account,
            amount_minor,
            crate::chart::totals_ledger(currency),
            transfer_code::TOTALS,
        ),
        Transfer::single(
            transfer_id(base, legs.1),
            chart.count_source(),
            count_account,
            1,
            COUNT_LEDGER,
            transfer_code::TOTALS,
        ),
    ])
}
