//! 0500 settlement totals: the terminal's batch totals against the issuer's for the same
//! terminal and currency since its last agreed settlement.

use iso8583::ResponseCode;
use ledger::{Storage, Transfer};

use super::{Ctx, Plan};
use crate::chart::{COUNT_LEDGER, transfer_code};
use crate::error::IssuerError;
use crate::key::{Leg, transfer_id};
use crate::request::{BatchTotals, Financial};
use crate::respond::Verdict;

/// Net balance of a totals account (credits in minus reversals out); 0 if never opened.
fn net<S: Storage>(ctx: &Ctx<'_, '_, S>, id: u128) -> Result<i128, IssuerError> {
    Ok(ctx.batch.account(id)?.map_or(0, |a| {
        i128::from(a.credits_posted) - i128::from(a.debits_posted)
    }))
}

/// Decides an 0500: `00` closes the period (the next one starts from zero), `95` leaves it
/// open so the terminal can try again after reconciling.
pub(crate) fn settle<S: Storage>(
    ctx: &mut Ctx<'_, '_, S>,
    req: &Financial,
) -> Result<Plan, IssuerError> {
    if req.processing_code != "920000" {
        return Ok(Plan::answer(
            ResponseCode::INVALID_TRANSACTION,
            format!("processing code {} in a settlement", req.processing_code),
        ));
    }
    if ctx.book.merchant(&req.merchant).is_none() {
        return Ok(Plan::answer(
            ResponseCode::INVALID_MERCHANT,
            format!("unknown merchant {:?}", req.merchant),
        ));
    }
    let Some(theirs) = req.totals else {
        return Ok(Plan::answer(ResponseCode::FORMAT_ERROR, "no batch totals"));
    };
    let terminal = req.identity.terminal.as_str();
    let period = ctx.book.period(ctx.batch, terminal, req.currency)?;
    let ids = ctx.book.totals(ctx.batch, terminal, req.currency, false)?;
    let ours = [
        net(ctx, ids.credits_count)?,
        net(ctx, ids.debits_count)?,
        net(ctx, ids.credits_amount)?,
        net(ctx, ids.debits_amount)?,
    ];
    let BatchTotals {
        credits_count,
        debits_count,
        credits_amount,
        debits_amount,
    } = theirs;
    let theirs = [credits_count, debits_count, credits_amount, debits_amount].map(i128::from);
    let show = |t: [i128; 4]| {
        format!(
            "credits {} for {}, debits {} for {}",
            t[0], t[2], t[1], t[3]
        )
    };
    if ours != theirs {
        return Ok(Plan::answer(
            ResponseCode::RECONCILE_ERROR,
            format!(
                "terminal {terminal} period {period}: terminal says {}, issuer has {}",
                show(theirs),
                show(ours)
            ),
        ));
    }
    let counter = ctx.book.period_account(ctx.batch, terminal, req.currency)?;
    let close = Transfer::single(
        transfer_id(ctx.base, Leg::Settle),
        ctx.book.chart.count_source(),
        counter,
        1,
        COUNT_LEDGER,
        transfer_code::SETTLEMENT,
    );
    Ok(Plan {
        transfers: vec![close],
        verdict: Verdict::new(
            ResponseCode::APPROVED,
            format!(
                "terminal {terminal} period {period} agrees ({}); period closed",
                show(ours)
            ),
        ),
    })
}
