//! 0220 completion advice: posts all or part of the hold that field 90 names; the rest of the
//! hold is released in the same step.

use iso8583::ResponseCode;
use ledger::{Storage, Transfer};

use super::{Ctx, Plan, hold_expired, known_card, totals_legs};
use crate::error::IssuerError;
use crate::key::{Identity, Leg, base, transfer_id};
use crate::request::Financial;
use crate::respond::Verdict;

/// Decides an 0220. The hold is found by the original's identity: acquirer, STAN and
/// transmission time from field 90, terminal id from field 41 (a terminal completes its own
/// pre-authorizations). Every transfer id is derived from the pre-authorization's key, so a
/// second completion of the same hold cannot post it twice.
pub(crate) fn complete<S: Storage>(
    ctx: &mut Ctx<'_, '_, S>,
    req: &Financial,
) -> Result<Plan, IssuerError> {
    let amount = req.amount_minor;
    if req.processing_code != "000000" {
        return Ok(Plan::answer(
            ResponseCode::INVALID_TRANSACTION,
            format!("processing code {} in a completion", req.processing_code),
        ));
    }
    if amount == 0 {
        return Ok(Plan::answer(
            ResponseCode::INVALID_AMOUNT,
            "completion amount is zero",
        ));
    }
    let Some(original) = req.original.as_ref() else {
        return Ok(Plan::answer(ResponseCode::FORMAT_ERROR, "field 90 missing"));
    };
    if original.mti != "0100" {
        return Ok(Plan::answer(
            ResponseCode::INVALID_TRANSACTION,
            format!(
                "a completion must name a 0100 in field 90, not {}",
                original.mti
            ),
        ));
    }
    let Some(merchant) = ctx.book.merchant(&req.merchant) else {
        return Ok(Plan::answer(
            ResponseCode::INVALID_MERCHANT,
            format!("unknown merchant {:?}", req.merchant),
        ));
    };
    let pan = req.card.as_ref().map_or("", |c| c.pan.as_str());
    let card = match known_card(ctx.book, pan) {
        Ok(card) => card,
        Err(verdict) => {
            return Ok(Plan {
                transfers: Vec::new(),
                verdict,
            });
        }
    };
    let chart = &ctx.book.chart;
    let card_id = chart.card(card.pan.reveal());
    let merchant_id = chart.merchant(&merchant.id, req.currency);
    let preauth = Identity::new(
        &original.acquirer,
        &req.identity.terminal,
        &original.stan,
        &original.transmission,
    );
    let hold_base = base(&preauth.key());
    let no_hold = |why: String| Ok(Plan::answer(ResponseCode::NO_SUCH_RECORD, why));
    let Some(pending) = ctx.batch.transfer(transfer_id(hold_base, Leg::Money))? else {
        return no_hold(format!(
            "no pre-authorization STAN {} at {} from terminal {}",
            original.stan, original.transmission, req.identity.terminal
        ));
    };
    if pending.debit_account_id != card_id
        || pending.credit_account_id != merchant_id
        || pending.ledger != u32::from(req.currency)
    {
        return no_hold(format!(
            "the pre-authorization STAN {} was for another card, merchant or currency",
            original.stan
        ));
    }
    let auth = Verdict {
        code: ResponseCode::APPROVED,
        reason: String::new(),
        auth_code: None,
        additional_amounts: None,
    };
    if let Some(post) = ctx.batch.transfer(transfer_id(hold_base, Leg::PostMoney))? {
        if post.amount_minor == amount {
            return Ok(Plan {
                transfers: Vec::new(),
                verdict: Verdict {
                    reason: format!("hold already completed for {amount}; nothing moves"),
                    ..auth
                },
            });
        }
        return Ok(Plan::answer(
            ResponseCode::INVALID_TRANSACTION,
            format!(
                "hold already completed for {}, not {amount}",
                post.amount_minor
            ),
        ));
    }
    if ctx
        .batch
        .transfer(transfer_id(hold_base, Leg::UndoMoney))?
        .is_some()
    {
        return no_hold("the hold was released by a reversal".into());
    }
    if hold_expired(&pending, ctx.now) {
        return no_hold("the hold expired".into());
    }
    if amount > pending.amount_minor {
        return Ok(Plan::answer(
            ResponseCode::INVALID_AMOUNT,
            format!(
                "completion of {amount} is above the hold of {}",
                pending.amount_minor
            ),
        ));
    }
    let mut transfers = vec![Transfer::post(
        transfer_id(hold_base, Leg::PostMoney),
        pending.id,
        amount,
    )];
    let limit_hold = transfer_id(hold_base, Leg::Limit);
    if ctx.batch.transfer(limit_hold)?.is_some() {
        transfers.push(Transfer::post(
            transfer_id(hold_base, Leg::PostLimit),
            limit_hold,
            amount,
        ));
    }
    let legs = (Leg::PostTotalAmount, Leg::PostTotalCount);
    let terminal = req.identity.terminal.as_str();
    transfers.extend(totals_legs(
        ctx,
        hold_base,
        legs,
        terminal,
        req.currency,
        true,
        amount,
    )?);
    Ok(Plan {
        transfers,
        verdict: Verdict {
            reason: format!(
                "completion of {amount} of a {} hold on card {}; the rest is released",
                pending.amount_minor, card.pan
            ),
            ..auth
        },
    })
}
