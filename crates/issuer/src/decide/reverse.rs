//! 0400 reversal and 0420 reversal advice: undo what the original named by field 90 did.
//!
//! A hold (0100) is voided; a purchase, refund or completion is compensated by transfers in
//! the opposite direction. Every undo transfer's id is derived from the original's transfers,
//! so however many reversals name the same original, money moves back once.

use iso8583::ResponseCode;
use ledger::{Storage, Transfer, TransferKind};

use super::{Ctx, Plan, hold_expired};
use crate::chart::transfer_code;
use crate::error::IssuerError;
use crate::key::{Identity, Leg, transfer_id};
use crate::request::Financial;
use crate::respond::Verdict;

fn approved(reason: impl Into<String>) -> Plan {
    Plan::answer(ResponseCode::APPROVED, reason)
}

/// The answer kept for an original that its reversal overtook: the original's response MTI
/// (0110, 0210, 0230), its identity fields and 12. `None` if it cannot be built (then no
/// answer is kept, as before).
fn late_original_decline(
    spec: &iso8583::Spec,
    req: &Financial,
    original: &iso8583::composite::original_data::OriginalData,
) -> Option<Vec<u8>> {
    let mut digits = [b'0'; 4];
    for (d, s) in digits.iter_mut().zip(original.mti.bytes()) {
        *d = s;
    }
    // The third digit is the message function: 0 request, 1 response.
    *digits.get_mut(2)? = b'1';
    let mut m = iso8583::Message::new(iso8583::Mti::new(digits)?);
    let fields = [
        (3, req.processing_code.clone()),
        (4, format!("{:012}", req.amount_minor)),
        (7, original.transmission.clone()),
        (11, original.stan.clone()),
        (39, ResponseCode::INVALID_TRANSACTION.as_str().to_string()),
        (41, req.identity.terminal.clone()),
        (49, format!("{:03}", req.currency)),
    ];
    for (n, v) in fields {
        m.set_owned(n, v).ok()?;
    }
    spec.pack(&m).ok()
}

/// Decides an 0400 or 0420.
pub(crate) fn reverse<S: Storage>(
    ctx: &mut Ctx<'_, '_, S>,
    req: &Financial,
) -> Result<Plan, IssuerError> {
    let Some(original) = req.original.as_ref() else {
        return Ok(Plan::answer(ResponseCode::FORMAT_ERROR, "field 90 missing"));
    };
    let identity = Identity::new(
        &original.acquirer,
        &req.identity.terminal,
        &original.stan,
        &original.transmission,
    );
    let not_found = || {
        Plan::answer(
            ResponseCode::NO_SUCH_RECORD,
            format!(
                "no original {} STAN {} at {} from terminal {}",
                original.mti, original.stan, original.transmission, req.identity.terminal
            ),
        )
    };
    let Some(first) = ctx.batch.decision(&identity.key())? else {
        // The original may still be on its way (held on an older connection) and arrive after
        // this reversal: a decline kept under its identity is what it then gets back as its
        // first answer, so it never moves money once its reversal was answered.
        // (Not when this reversal carries the original's own identity: its answer is kept
        // under that key.)
        if identity.key() != req.identity.key()
            && let Some(late) = late_original_decline(ctx.spec, req, original)
        {
            ctx.batch.decide(identity.key(), &[], |_| late)?;
        }
        return Ok(not_found());
    };
    let answer = ctx
        .spec
        .unpack(&first.response)
        .map_err(|e| IssuerError::CorruptDecision {
            what: format!("original's stored response: {e}"),
        })?;
    let answered = answer.text(39).unwrap_or("");
    if answered != ResponseCode::APPROVED.as_str() {
        return Ok(approved(format!(
            "the original was answered {answered}: nothing to reverse"
        )));
    }
    let mti = answer.mti();
    if !matches!(mti.as_str(), "0110" | "0210" | "0230") {
        return Ok(Plan::answer(
            ResponseCode::INVALID_TRANSACTION,
            format!("a {mti} answer cannot be reversed"),
        ));
    }
    if answer.text(4).unwrap_or("") != format!("{:012}", req.amount_minor) {
        return Ok(Plan::answer(
            ResponseCode::INVALID_AMOUNT,
            "reversal amount differs from the original's",
        ));
    }
    let mut legs: Vec<(u128, Leg)> = first
        .transfer_ids
        .iter()
        .filter_map(|id| Leg::of_id(*id).map(|leg| (*id, leg)))
        .filter(|(_, leg)| leg.undo().is_some())
        .collect();
    // The money comes back to the card first: an offline advice's issuer advance (posted
    // before its purchase) can only leave the card once the purchase is undone.
    legs.sort_by_key(|(_, leg)| !matches!(leg, Leg::Money | Leg::PostMoney));
    let Some(&(money_id, _)) = legs
        .iter()
        .find(|(_, leg)| matches!(leg, Leg::Money | Leg::PostMoney))
    else {
        return Ok(approved("the original moved no money: nothing to reverse"));
    };
    let Some(money) = ctx.batch.transfer(money_id)? else {
        return Err(IssuerError::CorruptDecision {
            what: format!("decision names missing transfer {money_id:#x}"),
        });
    };
    let pan = req.card.as_ref().map_or("", |c| c.pan.as_str());
    let card_id = ctx.book.chart.card(pan);
    if money.debit_account_id != card_id && money.credit_account_id != card_id {
        return Ok(not_found());
    }
    let base = money_id & !0xF;
    if ctx
        .batch
        .transfer(transfer_id(base, Leg::UndoMoney))?
        .is_some()
    {
        return Ok(approved("already reversed: nothing moves again"));
    }
    if money.kind() == Some(TransferKind::Pending) {
        if ctx
            .batch
            .transfer(transfer_id(base, Leg::PostMoney))?
            .is_some()
        {
            return Ok(Plan::answer(
                ResponseCode::INVALID_TRANSACTION,
                "the pre-authorization was completed: reverse the completion instead",
            ));
        }
        if hold_expired(&money, ctx.now) {
            return Ok(approved("the hold had expired: nothing left to release"));
        }
    }
    let mut transfers = Vec::with_capacity(legs.len());
    for (id, leg) in legs {
        let Some(undo) = leg.undo() else { continue };
        let Some(t) = ctx.batch.transfer(id)? else {
            return Err(IssuerError::CorruptDecision {
                what: format!("decision names missing transfer {id:#x}"),
            });
        };
        let undo_id = transfer_id(base, undo);
        transfers.push(match t.kind() {
            Some(TransferKind::Pending) => Transfer::void(undo_id, t.id),
            _ => Transfer::single(
                undo_id,
                t.credit_account_id,
                t.debit_account_id,
                t.amount_minor,
                t.ledger,
                transfer_code::REVERSAL,
            ),
        });
    }
    Ok(Plan {
        transfers,
        verdict: Verdict::new(
            ResponseCode::APPROVED,
            format!("reversed the {mti} of {}", req.amount_minor),
        ),
    })
}
