//! The PIN check of an 0100/0200 that carries field 52, with the card's count of consecutive
//! wrong PINs kept in the ledger (an account on the count ledger), so that the count is
//! committed with the answer that reports it, and a repeat of the request counts nothing.
//!
//! Answers: 57 when the card has no PIN reference value, 96 when no verdict can be reached
//! (no HSM, a zone key generation not accepted, a block that does not decipher), 75 once the
//! count has reached `pin_tries_max` (the PIN is then not even checked), 55 for a wrong PIN
//! below that (75 for the wrong PIN that reaches it). A correct PIN below the limit clears the
//! count and the decision goes on.

use iso8583::ResponseCode;
use ledger::{Account, AccountFlags, Storage, Transfer};

use super::Ctx;
use crate::chart::{COUNT_LEDGER, account_code, transfer_code};
use crate::config::CardConfig;
use crate::error::IssuerError;
use crate::key::{Leg, transfer_id};
use crate::respond::Verdict;
use crate::security::{PinBlock, PinOutcome};

/// A card's consecutive wrong PINs, read from its count account.
pub(crate) fn count(account: Option<&Account>) -> u64 {
    account.map_or(0, |a| a.credits_posted.saturating_sub(a.debits_posted))
}

/// The card's PIN count account, opened on first use.
pub(crate) fn tries_account<S: Storage>(
    ctx: &mut Ctx<'_, '_, S>,
    card: &CardConfig,
) -> Result<Account, IssuerError> {
    let id = ctx.book.chart.pin_tries(card.pan.reveal());
    if let Some(account) = ctx.batch.account(id)? {
        return Ok(account);
    }
    let account = Account::new(
        id,
        COUNT_LEDGER,
        account_code::PIN_TRIES,
        AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
    );
    if let Err(source) = ctx.batch.create_accounts(&[account])? {
        return Err(IssuerError::AccountRejected {
            what: format!("PIN count of card {}", card.name),
            source,
        });
    }
    Ok(account)
}

/// Checks the PIN; `Some` is the answer, `None` lets the decision go on.
pub(crate) fn check<S: Storage>(
    ctx: &mut Ctx<'_, '_, S>,
    card: &CardConfig,
    pin: &PinBlock,
) -> Result<Option<Verdict>, IssuerError> {
    let Some(reference) = card.pin.as_ref() else {
        return Ok(Some(Verdict::new(
            ResponseCode::NOT_PERMITTED_CARDHOLDER,
            format!(
                "card {} has no PIN on file: PIN transactions are not permitted",
                card.pan
            ),
        )));
    };
    let Some(security) = ctx.security else {
        return Ok(Some(Verdict::new(
            ResponseCode::SYSTEM_MALFUNCTION,
            "field 52 present but this issuer has no HSM to verify it",
        )));
    };
    let account = tries_account(ctx, card)?;
    let wrong = count(Some(&account));
    let max = u64::from(security.pin_tries_max());
    if wrong >= max {
        return Ok(Some(Verdict::new(
            ResponseCode::PIN_TRIES_EXCEEDED,
            format!(
                "card {}: {wrong} wrong PINs in a row (limit {max}); PIN not checked until reset",
                card.pan
            ),
        )));
    }
    let id = transfer_id(ctx.base, Leg::PinTries);
    let source = ctx.book.chart.count_source();
    match security.verify(pin, card.pan.reveal(), reference) {
        PinOutcome::Unusable(why) => Ok(Some(Verdict::new(
            ResponseCode::SYSTEM_MALFUNCTION,
            format!("card {}: PIN not verifiable: {why}", card.pan),
        ))),
        PinOutcome::Wrong => {
            let one = Transfer::single(
                id,
                source,
                account.id,
                1,
                COUNT_LEDGER,
                transfer_code::PIN_TRY,
            );
            if let Err(e) = ctx.batch.try_apply(&[one])? {
                return Ok(Some(Verdict::new(
                    ResponseCode::SYSTEM_MALFUNCTION,
                    format!("card {}: the PIN count was refused: {e}", card.pan),
                )));
            }
            let now_wrong = wrong.saturating_add(1);
            let code = if now_wrong >= max {
                ResponseCode::PIN_TRIES_EXCEEDED
            } else {
                ResponseCode::INCORRECT_PIN
            };
            Ok(Some(Verdict::new(
                code,
                format!(
                    "card {}: wrong PIN, {now_wrong} in a row (limit {max})",
                    card.pan
                ),
            )))
        }
        PinOutcome::Correct => {
            if wrong > 0 {
                let clear = Transfer::single(
                    id,
                    account.id,
                    source,
                    wrong,
                    COUNT_LEDGER,
                    transfer_code::PIN_TRY,
                );
                if let Err(e) = ctx.batch.try_apply(&[clear])? {
                    return Ok(Some(Verdict::new(
                        ResponseCode::SYSTEM_MALFUNCTION,
                        format!("card {}: clearing the PIN count was refused: {e}", card.pan),
                    )));
                }
            }
            Ok(None)
        }
    }
}
