//! 0220 offline advices: purchases the card itself approved offline (a TC under the floor
//! limit, verified before this runs).
//!
//! The card decided, within the limits its issuer personalised into it (floor limit, LCOL and
//! UCOL), and the merchant has handed over the goods: the issuer cannot decline what its own
//! card approved, so the purchase is posted whatever the card account says now. Status,
//! expiry, the daily limit and the funds are not checked. What the card's available balance
//! cannot cover is advanced by the issuer: a transfer from its funding account to the card
//! (code `OFFLINE_OVERDRAFT`, in the leg an offline advice has free, `Limit`) posted before
//! the purchase, so the merchant is paid in full and the card account never goes below zero;
//! the advance is the issuer's to collect from the cardholder. A reversal of the advice would
//! undo both legs.

use iso8583::ResponseCode;
use ledger::{Storage, Transfer};

use super::{Ctx, Plan, merchant_and_card, other_currency, sequence_transfer, totals_legs};
use crate::auth_code::auth_code;
use crate::chart::{money_ledger, transfer_code};
use crate::error::IssuerError;
use crate::key::{Leg, transfer_id};
use crate::request::Financial;
use crate::respond::Verdict;

/// Posts an offline advice. It is refused only where there is nothing to post to: not a
/// purchase (12), amount zero (13), unknown merchant (03) or card (14), or another currency
/// than the card's (12).
pub(crate) fn post_offline<S: Storage>(
    ctx: &mut Ctx<'_, '_, S>,
    req: &Financial,
) -> Result<Plan, IssuerError> {
    if req.processing_code != "000000" {
        return Ok(Plan::answer(
            ResponseCode::INVALID_TRANSACTION,
            format!(
                "processing code {} in an offline advice: only purchases are approved offline",
                req.processing_code
            ),
        ));
    }
    let amount = req.amount_minor;
    if amount == 0 {
        return Ok(Plan::answer(
            ResponseCode::INVALID_AMOUNT,
            "amount zero in an offline advice",
        ));
    }
    let (merchant, card) = match merchant_and_card(ctx.book, req) {
        Ok(found) => found,
        Err(plan) => return Ok(plan),
    };
    if let Some(plan) = other_currency(req, card) {
        return Ok(plan);
    }
    let cur = card.currency;
    let chart = &ctx.book.chart;
    let card_id = chart.card(card.pan.reveal());
    let merchant_id = chart.merchant(&merchant.id, cur);
    let funding_id = chart.funding(cur);
    let available = ctx
        .batch
        .account(card_id)?
        .map_or(0, |a| a.available_minor());
    let covered = u64::try_from(available.max(0))
        .unwrap_or(u64::MAX)
        .min(amount);
    let advance = amount - covered;
    let base = ctx.base;
    let mut transfers = Vec::with_capacity(6);
    if advance > 0 {
        transfers.push(Transfer::single(
            transfer_id(base, Leg::Limit),
            funding_id,
            card_id,
            advance,
            money_ledger(cur),
            transfer_code::OFFLINE_OVERDRAFT,
        ));
    }
    transfers.push(Transfer::single(
        transfer_id(base, Leg::Money),
        card_id,
        merchant_id,
        amount,
        money_ledger(cur),
        transfer_code::PURCHASE,
    ));
    let terminal = req.identity.terminal.as_str();
    let legs = (Leg::TotalAmount, Leg::TotalCount);
    transfers.extend(totals_legs(ctx, base, legs, terminal, cur, true, amount)?);
    let code = auth_code(ctx.book.next_auth_sequence(ctx.batch)?);
    transfers.push(sequence_transfer(ctx.book, base));
    let reason = if advance > 0 {
        format!(
            "offline purchase of {amount} posted on card {}: {covered} from its balance, \
             {advance} advanced by the issuer",
            card.pan
        )
    } else {
        format!("offline purchase of {amount} posted on card {}", card.pan)
    };
    Ok(Plan {
        transfers,
        verdict: Verdict {
            code: ResponseCode::APPROVED,
            reason,
            auth_code: Some(code),
            additional_amounts: None,
        },
    })
}
