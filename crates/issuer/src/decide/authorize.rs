//! 0100 pre-authorization and 0200 purchase, refund and balance inquiry.
//!
//! A pre-authorization is a pending transfer (a hold, expiring after `hold_expiry_s`). A
//! purchase is one single-phase transfer, posted at once: it is final when approved, so a
//! pending+post pair would write three records for what one says, and its reversal is a
//! compensating transfer either way (a posted transfer cannot be voided).

use iso8583::ResponseCode;
use ledger::{Storage, Transfer};

use super::{Ctx, Plan, merchant_and_card, other_currency, sequence_transfer, totals_legs};
use crate::auth_code::auth_code;
use crate::chart::{limit_ledger, money_ledger, transfer_code};
use crate::config::{CardStatus, TxnKind};
use crate::error::IssuerError;
use crate::key::{Leg, transfer_id};
use crate::request::Financial;
use crate::respond::{Verdict, available_balance};

/// Decides an 0100 or 0200. Checks run in this order, the first failing one answers:
/// processing code (12), amount (13), merchant (03), card number (14), lost/stolen/blocked
/// (41/43/05), expiry (54), the PIN when field 52 is present (57/96/75/55, see [`super::pin`]),
/// kind allowed (57), currency (12); then the ledger: funds (51) before the daily limit (61),
/// because the money leg is applied first.
pub(crate) fn authorize<S: Storage>(
    ctx: &mut Ctx<'_, '_, S>,
    req: &Financial,
) -> Result<Plan, IssuerError> {
    let kind = match (req.mti.as_str(), req.processing_code.as_str()) {
        ("0100", "000000") => TxnKind::Preauth,
        ("0200", "000000") => TxnKind::Purchase,
        ("0200", "200000") => TxnKind::Refund,
        ("0200", "310000") => TxnKind::Balance,
        (mti, code) => {
            return Ok(Plan::answer(
                ResponseCode::INVALID_TRANSACTION,
                format!("processing code {code} is not handled in {mti}"),
            ));
        }
    };
    let amount = req.amount_minor;
    if kind == TxnKind::Balance && amount != 0 {
        return Ok(Plan::answer(
            ResponseCode::INVALID_AMOUNT,
            "a balance inquiry carries amount zero",
        ));
    }
    if kind != TxnKind::Balance && amount == 0 {
        return Ok(Plan::answer(
            ResponseCode::INVALID_AMOUNT,
            format!("amount zero in a {}", kind.name()),
        ));
    }
    let (merchant, card) = match merchant_and_card(ctx.book, req) {
        Ok(found) => found,
        Err(plan) => return Ok(plan),
    };
    let Some(presented) = req.card.as_ref() else {
        return Ok(Plan::answer(ResponseCode::FORMAT_ERROR, "no card number"));
    };
    let refused = match card.status {
        CardStatus::Active => None,
        CardStatus::Lost => Some(ResponseCode::LOST_CARD),
        CardStatus::Stolen => Some(ResponseCode::STOLEN_CARD),
        CardStatus::Blocked => Some(ResponseCode::DO_NOT_HONOUR),
    };
    if let Some(code) = refused {
        return Ok(Plan::answer(
            code,
            format!("card {} is {:?}", card.pan, card.status),
        ));
    }
    let expiry = card.expiry.to_yymm();
    if presented.expiry.as_ref().is_some_and(|e| *e != expiry) {
        return Ok(Plan::answer(
            ResponseCode::EXPIRED_CARD,
            format!(
                "card {}: presented expiry differs from the card's",
                card.pan
            ),
        ));
    }
    if card.expiry.is_expired_at(ctx.now) {
        return Ok(Plan::answer(
            ResponseCode::EXPIRED_CARD,
            format!("card {} expired at the end of {expiry} (YYMM)", card.pan),
        ));
    }
    if let Some(pin) = req.pin.as_ref()
        && let Some(verdict) = super::pin::check(ctx, card, pin)?
    {
        return Ok(Plan {
            transfers: Vec::new(),
            verdict,
        });
    }
    if !card.allows(kind) {
        return Ok(Plan::answer(
            ResponseCode::NOT_PERMITTED_CARDHOLDER,
            format!("card {} may not do a {}", card.pan, kind.name()),
        ));
    }
    if let Some(plan) = other_currency(req, card) {
        return Ok(plan);
    }
    let cur = card.currency;

    let base = ctx.base;
    let chart = &ctx.book.chart;
    let card_id = chart.card(card.pan.reveal());
    let merchant_id = chart.merchant(&merchant.id, cur);
    let hold_s = ctx.book.hold_expiry_s;
    let code = auth_code(ctx.book.next_auth_sequence(ctx.batch)?);
    let mut verdict = Verdict {
        code: ResponseCode::APPROVED,
        reason: format!("{} of {amount} approved on card {}", kind.name(), card.pan),
        auth_code: Some(code),
        additional_amounts: None,
    };
    let mut transfers = Vec::with_capacity(5);
    let money = transfer_id(base, Leg::Money);
    let limit = transfer_id(base, Leg::Limit);
    match kind {
        TxnKind::Purchase | TxnKind::Preauth => {
            let held = kind == TxnKind::Preauth;
            transfers.push(if held {
                let code = transfer_code::PREAUTH;
                Transfer::pending(
                    money,
                    card_id,
                    merchant_id,
                    amount,
                    money_ledger(cur),
                    code,
                    hold_s,
                )
            } else {
                let code = transfer_code::PURCHASE;
                Transfer::single(money, card_id, merchant_id, amount, money_ledger(cur), code)
            });
            if let Some(day) = ctx.book.limit_day(ctx.batch, card, ctx.now.day())? {
                let used = ctx.book.chart.limit_used(cur);
                let (ledger, code) = (limit_ledger(cur), transfer_code::LIMIT_USE);
                transfers.push(if held {
                    Transfer::pending(limit, day, used, amount, ledger, code, hold_s)
                } else {
                    Transfer::single(limit, day, used, amount, ledger, code)
                });
            }
            if !held {
                let legs = (Leg::TotalAmount, Leg::TotalCount);
                let terminal = req.identity.terminal.as_str();
                transfers.extend(totals_legs(ctx, base, legs, terminal, cur, true, amount)?);
            }
        }
        TxnKind::Refund => {
            let code = transfer_code::REFUND;
            transfers.push(Transfer::single(
                money,
                merchant_id,
                card_id,
                amount,
                money_ledger(cur),
                code,
            ));
            let legs = (Leg::TotalAmount, Leg::TotalCount);
            let terminal = req.identity.terminal.as_str();
            transfers.extend(totals_legs(ctx, base, legs, terminal, cur, false, amount)?);
        }
        TxnKind::Balance => {
            let available = ctx
                .batch
                .account(card_id)?
                .map_or(0, |a| a.available_minor());
            verdict.additional_amounts = Some(available_balance(cur, available));
        }
    }
    transfers.push(sequence_transfer(ctx.book, base));
    Ok(Plan { transfers, verdict })
}
