//! The issuer core: requests in, answers out, every decision recorded in the ledger batch it
//! is made in. Sans-I/O: the caller owns the ledger, the clock and the sockets.
//!
//! Group commit: [`Issuer::handle_batch`] decides many requests in one ledger batch and returns
//! their answers only after the batch is committed (durable before reply). With the ledger's
//! [`ledger::Committer`], an adapter queues frames and runs `handle_batch` on the committer
//! thread through `Committer::with_ledger`, one call per collected group of frames.

use std::sync::Arc;

use iso8583::{Message, Mti, ResponseCode, Spec, specs};
use ledger::{Batch, Ledger, Storage, Transfer};
use sha2::{Digest, Sha256};

use crate::book::{Book, CardLookup, SetUpReport};
use crate::chart::{COUNT_LEDGER, transfer_code};
use crate::config::Config;
use crate::decide::{self, Ctx, Plan};
use crate::error::IssuerError;
use crate::key::{Identity, Leg, RequestKey, base};
use crate::request::{self, Class, Financial, Parsed, Reject};
use crate::respond::{self, Verdict};
use crate::security::{self, ChipAuth, IssuerScript, Security, zone_control};
use crate::time::UnixTime;

/// How an answer came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Decided now and recorded with the batch.
    Decided,
    /// A repeat: the first answer, byte for byte, from the ledger.
    Replayed,
    /// Answered without a record: format errors, unknown MTIs and network management, whose
    /// answer depends on nothing but the message itself.
    Unrecorded,
    /// Not answered: unreadable, or a response message. Log `reason`; the link may be closed.
    Dropped,
}

/// The issuer's answer to one message. `Debug` shows the response's length, not its bytes
/// (they carry the PAN).
#[derive(Clone, PartialEq, Eq)]
pub struct Answer {
    /// The encoded response (no length header), or `None` when dropped.
    pub response: Option<Vec<u8>>,
    /// Its field 39.
    pub code: Option<ResponseCode>,
    /// How it came about.
    pub disposition: Disposition,
    /// A log line: why this answer (PANs masked).
    pub reason: String,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("response_bytes", &self.response.as_ref().map(Vec::len))
            .field("code", &self.code)
            .field("disposition", &self.disposition)
            .field("reason", &self.reason)
            .finish()
    }
}

impl Answer {
    fn dropped(reason: String) -> Self {
        Self {
            response: None,
            code: None,
            disposition: Disposition::Dropped,
            reason,
        }
    }
}

/// The authorization host's decisions over one set of books.
#[derive(Clone, Debug)]
pub struct Issuer {
    book: Book,
    spec: Spec,
    security: Option<Arc<Security>>,
}

impl Issuer {
    /// An issuer for a checked config, speaking the default dialect (`iso87-ascii-bbitmap`),
    /// without an HSM: a request with a PIN (field 52) is answered 96 (57 for a card without a
    /// PIN on file), and a key change (0800, 161) 12.
    pub fn new(config: &Config) -> Self {
        Self {
            book: Book::new(config),
            spec: specs::iso87_ascii_bbitmap(),
            security: None,
        }
    }

    /// As [`Issuer::new`], verifying PINs and changing zone keys with `security`'s HSM.
    pub fn with_security(config: &Config, security: Security) -> Self {
        Self {
            security: Some(Arc::new(security)),
            ..Self::new(config)
        }
    }

    /// The HSM handle, when there is one.
    pub fn security(&self) -> Option<&Security> {
        self.security.as_deref()
    }

    /// A card's consecutive wrong PINs as committed (0 for an unknown card).
    pub fn pin_tries<S: Storage>(&self, ledger: &Ledger<S>, pan: &str) -> Result<u64, IssuerError> {
        let account = ledger.account(self.book.chart.pin_tries(pan))?;
        Ok(decide::pin::count(account.as_ref()))
    }

    /// Clears the wrong-PIN count of the card named `card` (an operator's unblock), in its own
    /// commit; returns the count it had.
    pub fn reset_pin_tries<S: Storage>(
        &self,
        ledger: &mut Ledger<S>,
        card: &str,
        now: UnixTime,
    ) -> Result<u64, IssuerError> {
        let card =
            self.book
                .cards()
                .find(|c| c.name == card)
                .ok_or_else(|| IssuerError::UnknownCard {
                    name: card.to_owned(),
                })?;
        let pan = card.pan.reveal();
        let mut batch = ledger.begin(now.as_ns())?;
        let id = self.book.chart.pin_tries(pan);
        let wrong = decide::pin::count(batch.account(id)?.as_ref());
        if wrong > 0 {
            let clear = Transfer::single(
                self.book.chart.pin_reset_transfer(pan, now.as_ns()),
                id,
                self.book.chart.count_source(),
                wrong,
                COUNT_LEDGER,
                transfer_code::PIN_RESET,
            );
            if let Err(source) = batch.try_apply(&[clear])? {
                return Err(IssuerError::SetUpTransfer {
                    what: format!("PIN count reset of card {}", card.name),
                    source,
                });
            }
        }
        batch.commit()?;
        Ok(wrong)
    }

    /// The books (cards, merchants, account ids).
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// The dialect of requests and responses.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Opens the accounts and posts opening balances; run at every start (idempotent).
    pub fn set_up<S: Storage>(
        &self,
        ledger: &mut Ledger<S>,
        now: UnixTime,
    ) -> Result<SetUpReport, IssuerError> {
        self.book.set_up(ledger, now)
    }

    /// Decides one request in its own commit.
    pub fn handle<S: Storage>(
        &self,
        ledger: &mut Ledger<S>,
        frame: &[u8],
        now: UnixTime,
    ) -> Result<Answer, IssuerError> {
        let mut answers = self.handle_batch(ledger, &[frame], now)?;
        answers.pop().ok_or_else(|| IssuerError::CorruptDecision {
            what: "a batch of one gave no answer".into(),
        })
    }

    /// Decides `frames` in order in one ledger batch at time `now`, releasing expired holds
    /// first, then commits once. The answers (one per frame, same order) may be sent only
    /// when this returns `Ok`: then every decision is durable. On `Err` nothing was stored
    /// and no request of the batch may be answered as approved.
    pub fn handle_batch<S: Storage>(
        &self,
        ledger: &mut Ledger<S>,
        frames: &[&[u8]],
        now: UnixTime,
    ) -> Result<Vec<Answer>, IssuerError> {
        let mut batch = ledger.begin(now.as_ns())?;
        batch.expire()?;
        let mut answers = Vec::with_capacity(frames.len());
        for frame in frames {
            answers.push(self.decide(&mut batch, frame)?);
        }
        batch.commit()?;
        Ok(answers)
    }

    /// Releases holds whose time has passed, in one commit; returns how many.
    pub fn expire_holds<S: Storage>(
        &self,
        ledger: &mut Ledger<S>,
        now: UnixTime,
    ) -> Result<usize, IssuerError> {
        let mut batch = ledger.begin(now.as_ns())?;
        let expired = batch.expire()?.len();
        batch.commit()?;
        Ok(expired)
    }

    /// Decides one frame inside a batch the caller owns (and commits).
    pub fn decide<S: Storage>(
        &self,
        batch: &mut Batch<'_, S>,
        frame: &[u8],
    ) -> Result<Answer, IssuerError> {
        match self.spec.unpack(frame) {
            Ok(msg) => self.decide_message(batch, &msg),
            Err(error) => {
                let Some(mti) = frame
                    .get(..4)
                    .and_then(|d| <[u8; 4]>::try_from(d).ok())
                    .and_then(Mti::new)
                else {
                    return Ok(Answer::dropped(format!("unreadable MTI: {error}")));
                };
                if !mti.is_request() {
                    return Ok(Answer::dropped(format!(
                        "unreadable {mti} response ignored: {error}"
                    )));
                }
                let response = respond::bare(&self.spec, mti, ResponseCode::FORMAT_ERROR)
                    .map_err(|source| self.encode_error(mti, source))?;
                Ok(Answer {
                    response: Some(response),
                    code: Some(ResponseCode::FORMAT_ERROR),
                    disposition: Disposition::Unrecorded,
                    reason: format!("{mti}: {error}"),
                })
            }
        }
    }

    fn encode_error(&self, mti: Mti, source: iso8583::CodecError) -> IssuerError {
        IssuerError::Encode {
            mti: mti.response().unwrap_or(mti).to_string(),
            source,
        }
    }

    fn unrecorded(&self, msg: &Message<'_>, verdict: &Verdict) -> Result<Answer, IssuerError> {
        let response = respond::build(&self.spec, msg, verdict)
            .map_err(|source| self.encode_error(msg.mti(), source))?;
        Ok(Answer {
            response: Some(response),
            code: Some(verdict.code),
            disposition: Disposition::Unrecorded,
            reason: verdict.reason.clone(),
        })
    }

    /// What tells `msg` apart from the request whose stored answer is `first`, if anything:
    /// its kind (the MTI, a repeat or a reversal advice counting as the same), or a field
    /// both carry (processing code, amount, RRN, merchant, currency, PAN).
    fn differs_from_answered(&self, msg: &Message<'_>, first: &[u8]) -> Option<String> {
        let Ok(answered) = self.spec.unpack(first) else {
            return Some("the stored answer cannot be read".into());
        };
        let asked = msg.mti();
        if request_kind(answered.mti().as_bytes()) != request_kind(asked.as_bytes()) {
            return Some(format!(
                "it is a {asked}, the first was answered {}",
                answered.mti()
            ));
        }
        for (field, name) in [
            (2, "PAN"),
            (3, "processing code"),
            (4, "amount"),
            (37, "RRN"),
            (42, "merchant"),
            (49, "currency"),
        ] {
            // Only what the stored answer echoed can be compared (a decline kept for a late
            // original carries fewer fields).
            if let (Some(asked), Some(echoed)) = (msg.get(field), answered.get(field))
                && asked != echoed
            {
                return Some(format!("field {field} ({name}) differs"));
            }
        }
        None
    }

    fn replayed(&self, response: Vec<u8>, reason: String) -> Answer {
        let code = self
            .spec
            .unpack(&response)
            .ok()
            .and_then(|m| m.text(39).and_then(ResponseCode::parse));
        Answer {
            response: Some(response),
            code,
            disposition: Disposition::Replayed,
            reason,
        }
    }

    /// Decides a message inside a batch the caller owns.
    pub fn decide_message<S: Storage>(
        &self,
        batch: &mut Batch<'_, S>,
        msg: &Message<'_>,
    ) -> Result<Answer, IssuerError> {
        let mti = msg.mti();
        if !mti.is_request() {
            return Ok(Answer::dropped(format!(
                "{mti} is a response, not a request: ignored"
            )));
        }
        match request::parse(msg) {
            Err(Reject { code, reason }) => self.unrecorded(msg, &Verdict::new(code, reason)),
            Ok(Parsed::Network(code)) if code == "161" && self.security.is_some() => {
                self.key_change(batch, msg)
            }
            Ok(Parsed::Network(code)) => {
                let verdict = match code.as_str() {
                    "001" => Verdict::new(ResponseCode::APPROVED, "sign-on"),
                    "002" => Verdict::new(ResponseCode::APPROVED, "sign-off"),
                    "301" => Verdict::new(ResponseCode::APPROVED, "echo test"),
                    other => Verdict::new(
                        ResponseCode::INVALID_TRANSACTION,
                        format!("network management code {other} is not handled by the issuer"),
                    ),
                };
                self.unrecorded(msg, &verdict)
            }
            Ok(Parsed::Financial(req)) => self.decide_financial(batch, msg, &req),
        }
    }

    /// 0800 with field 70 = 161: a new zone PIN key, returned under the ZMK in field 48 with
    /// its generation in field 53. The answer is recorded, so a retry of the same request gets
    /// the same key rather than making another; a failure (96) is not, so a retry may succeed.
    fn key_change<S: Storage>(
        &self,
        batch: &mut Batch<'_, S>,
        msg: &Message<'_>,
    ) -> Result<Answer, IssuerError> {
        let field = |n| msg.text(n).unwrap_or("");
        let key = Identity::new(field(32), field(41), field(11), field(7)).network_key();
        if let Some(first) = batch.decision(&key)? {
            return Ok(self.replayed(
                first.response,
                format!("retry of key change STAN {}: first answer", field(11)),
            ));
        }
        let Some(security) = self.security.as_deref() else {
            return self.unrecorded(
                msg,
                &Verdict::new(ResponseCode::INVALID_TRANSACTION, "no HSM: no key change"),
            );
        };
        let change = match security.change_key() {
            Ok(change) => change,
            Err(e) => {
                let verdict = Verdict::new(
                    ResponseCode::SYSTEM_MALFUNCTION,
                    format!("key change failed: {e}"),
                );
                return self.unrecorded(msg, &verdict);
            }
        };
        let verdict = Verdict::new(
            ResponseCode::APPROVED,
            format!(
                "key change: zone PIN key generation {} (KCV {}) sent under the ZMK",
                change.generation, change.kcv
            ),
        );
        let control = zone_control(change.generation);
        let extra: [(usize, &[u8]); 2] =
            [(48, change.key_block.as_bytes()), (53, control.as_bytes())];
        let response = respond::build_with(&self.spec, msg, &verdict, &extra)
            .map_err(|source| self.encode_error(msg.mti(), source))?;
        batch.record(key, response.clone(), None)?;
        Ok(Answer {
            response: Some(response),
            code: Some(verdict.code),
            disposition: Disposition::Decided,
            reason: verdict.reason,
        })
    }

    fn decide_financial<S: Storage>(
        &self,
        batch: &mut Batch<'_, S>,
        msg: &Message<'_>,
        req: &Financial,
    ) -> Result<Answer, IssuerError> {
        let now = UnixTime::from_ns(batch.now_ns());
        let key = req.identity.key();
        let who = format!(
            "{} STAN {} at {} from terminal {}",
            req.mti, req.identity.stan, req.identity.transmission, req.identity.terminal
        );
        if let Some(first) = batch.decision(&key)? {
            // Same terminal, STAN and field 7 but another request (another amount, card or
            // kind): not a retry, and it must not get the first one's answer.
            if let Some(why) = self.differs_from_answered(msg, &first.response) {
                let verdict = Verdict::new(
                    ResponseCode::DUPLICATE_TRANSMISSION,
                    format!("{who} reuses the identity of an answered request: {why}"),
                );
                return self.unrecorded(msg, &verdict);
            }
            return Ok(self.replayed(first.response, format!("retry of {who}: first answer")));
        }
        // Reversals are exempt from the duplicate check: they are idempotent by their original.
        let mut index = None;
        if req.class != Class::Reversal {
            let stan_key = req.identity.stan_key(req.mti.class(), now.day());
            let content = content_digest(msg);
            match batch.decision(&stan_key)? {
                Some(seen) => {
                    let (digest, first_key) = split_index(&seen.response)?;
                    if digest == content {
                        let first = batch.decision(&first_key)?.ok_or_else(|| {
                            IssuerError::CorruptDecision {
                                what: "STAN index names a missing decision".into(),
                            }
                        })?;
                        return Ok(self.replayed(
                            first.response,
                            format!(
                                "{who} repeats an earlier request with a new field 7: first answer"
                            ),
                        ));
                    }
                    let plan = Plan::answer(
                        ResponseCode::DUPLICATE_TRANSMISSION,
                        format!("{who}: this STAN was used today for a different request"),
                    );
                    return self.execute(batch, msg, key, plan, None);
                }
                None => index = Some((stan_key, content)),
            }
        }
        // A chip authorisation's ARQC is checked first: a cryptogram that is not the card's
        // gets no further (05), and one that is gets an ARPC with whatever the answer is.
        let chip = match self.chip_check(msg, req) {
            Ok(chip) => chip,
            Err(plan) => return self.execute(batch, msg, key, *plan, None),
        };
        let plan = {
            let mut ctx = Ctx {
                batch: &mut *batch,
                book: &self.book,
                spec: &self.spec,
                now,
                base: base(&key),
                security: self.security.as_deref(),
            };
            match req.class {
                Class::Authorization => decide::authorize(&mut ctx, req)?,
                Class::Completion => decide::complete(&mut ctx, req)?,
                // The card approved it offline and the cryptogram is its own (the TC was
                // checked above): posted, whatever the account says now.
                Class::OfflineAdvice => decide::post_offline(&mut ctx, req)?,
                Class::Reversal => {
                    let mut plan = decide::reverse(&mut ctx, req)?;
                    // A chip reversal tells what the card made of the answer.
                    if let Some(said) = msg.get(55).and_then(security::card_outcome) {
                        plan.verdict.reason = format!("{} ({said})", plan.verdict.reason);
                    }
                    plan
                }
                Class::Settlement => decide::settle(&mut ctx, req)?,
            }
        };
        // An advice's answer goes to a terminal whose card is gone: no ARPC, no script.
        let arpc_for = chip
            .as_ref()
            .filter(|_| req.class == Class::Authorization)
            .map(|auth| ChipAnswer {
                auth,
                script: self.card_script(req),
            });
        let answer = self.execute(batch, msg, key, plan, arpc_for)?;
        if let Some((stan_key, content)) = index {
            let mut entry = content.to_vec();
            entry.extend_from_slice(&key);
            batch.record(stan_key, entry, None)?;
        }
        Ok(answer)
    }

    /// The verified chip data of an 0100/0200 with field 55; `Err` is the answer when the
    /// ARQC cannot be read or checked (30, 96) or is not the card's (05).
    fn chip_check(
        &self,
        msg: &Message<'_>,
        req: &Financial,
    ) -> Result<Option<ChipAuth>, Box<Plan>> {
        let (Class::Authorization | Class::OfflineAdvice, Some(field55), Some(card)) =
            (req.class, msg.get(55), req.card.as_ref())
        else {
            return Ok(None);
        };
        let masked = iso8583::mask::mask_pan(&card.pan);
        let chip = security::chip_auth(field55, &card.pan)
            .map_err(|why| Box::new(Plan::answer(ResponseCode::FORMAT_ERROR, why)))?;
        let Some(security) = self.security.as_deref() else {
            return Err(Box::new(Plan::answer(
                ResponseCode::SYSTEM_MALFUNCTION,
                "chip data, but no HSM ([security]) to verify its ARQC",
            )));
        };
        if req.class == Class::OfflineAdvice && !chip.is_tc() {
            return Err(Box::new(Plan::answer(
                ResponseCode::DO_NOT_HONOUR,
                format!("card {masked}: an offline advice must carry a TC (9F27)"),
            )));
        }
        // The cryptogram covers 9F02/5F2A, not fields 4/49: they must say the same.
        if !chip.signed(req.amount_minor, req.currency) {
            return Err(Box::new(Plan::answer(
                ResponseCode::DO_NOT_HONOUR,
                format!(
                    "card {masked}: fields 4/49 differ from the amount the card signed (9F02/5F2A)"
                ),
            )));
        }
        match security.verify_arqc(&chip) {
            Ok(true) => Ok(Some(chip)),
            Ok(false) => Err(Box::new(Plan::answer(
                ResponseCode::DO_NOT_HONOUR,
                format!("card {masked}: the ARQC does not verify"),
            ))),
            Err(e) => Err(Box::new(Plan::answer(
                ResponseCode::SYSTEM_MALFUNCTION,
                format!("card {masked}: the ARQC could not be checked: {e}"),
            ))),
        }
    }

    /// The issuer script configured for the request's card.
    fn card_script(&self, req: &Financial) -> Option<IssuerScript> {
        let pan = &req.card.as_ref()?.pan;
        match self.book.card(pan) {
            CardLookup::Found(card) => card.script,
            _ => None,
        }
    }

    /// Applies the plan's transfers and records the answer with them, atomically. A verified
    /// chip request's answer carries the ARPC for its code in field 55, and the card's issuer
    /// script when it has one.
    fn execute<S: Storage>(
        &self,
        batch: &mut Batch<'_, S>,
        msg: &Message<'_>,
        key: RequestKey,
        plan: Plan,
        chip: Option<ChipAnswer<'_>>,
    ) -> Result<Answer, IssuerError> {
        let Plan { transfers, verdict } = plan;
        let legs: Vec<Option<Leg>> = transfers.iter().map(|t| Leg::of_id(t.id)).collect();
        let mut chosen = None;
        let outcome = batch.decide_with(key, &transfers, |result| {
            let v = match result {
                Ok(_) => verdict,
                Err(e) => decide::rejected(legs.get(e.index).copied().flatten(), e.reason),
            };
            let icc = match (&chip, self.security.as_deref()) {
                (Some(c), Some(s)) => chip_field55(s, c, v.code),
                _ => None,
            };
            let bytes = match &icc {
                Some(field55) => respond::build_with(&self.spec, msg, &v, &[(55, field55)]),
                None => respond::build(&self.spec, msg, &v),
            };
            chosen = Some(v);
            bytes
        })?;
        let response = outcome.map_err(|source| self.encode_error(msg.mti(), source))?;
        let verdict = chosen.ok_or_else(|| IssuerError::CorruptDecision {
            what: "decision made without a verdict".into(),
        })?;
        Ok(Answer {
            response: Some(response.response().to_vec()),
            code: Some(verdict.code),
            disposition: if response.is_replay() {
                Disposition::Replayed
            } else {
                Disposition::Decided
            },
            reason: verdict.reason,
        })
    }
}

/// The request an MTI is or answers, as (class, function): an answer maps to its request's
/// function, repeats (last digit) count as the request, and every reversal (0400, 0420 and
/// their repeats and answers) is one kind.
fn request_kind(mti: &[u8]) -> Option<(u8, u8)> {
    let [_, class, function, _] = mti else {
        return None;
    };
    if *class == b'4' {
        return Some((b'4', b'0'));
    }
    let function = match function {
        b'1' => b'0',
        b'3' => b'2',
        f => *f,
    };
    Some((*class, function))
}

/// What a verified chip request's answer carries besides its code.
struct ChipAnswer<'a> {
    auth: &'a ChipAuth,
    script: Option<IssuerScript>,
}

/// Field 55 of a chip answer: the ARPC, then the script template. Without an ARPC the card
/// could not trust the answer, so nothing goes; a script that cannot be made is left out (the
/// card would refuse it anyway) and logged.
fn chip_field55(
    security: &security::Security,
    chip: &ChipAnswer<'_>,
    code: ResponseCode,
) -> Option<Vec<u8>> {
    let mut field55 = match security::arpc_field55(security, chip.auth, code) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!("no ARPC for a verified ARQC: {e}");
            return None;
        }
    };
    if let Some(script) = &chip.script {
        match security.script_template(chip.auth, script) {
            Ok(t) => field55.extend_from_slice(&t),
            Err(e) => tracing::error!("issuer script {} left out: {e}", script.command.name()),
        }
    }
    Some(field55)
}

/// SHA-256 of the MTI and every field but 7 (transmission time): what a retry repeats.
fn content_digest(msg: &Message<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(msg.mti().as_bytes());
    for (number, value) in msg.fields().filter(|(n, _)| *n != 7) {
        h.update((number as u16).to_be_bytes());
        h.update((value.len() as u32).to_be_bytes());
        h.update(value);
    }
    let mut out = [0u8; 32];
    for (o, b) in out.iter_mut().zip(h.finalize().as_slice()) {
        *o = *b;
    }
    out
}

/// A STAN index entry: content digest (32 bytes), then the first request's key (32 bytes).
fn split_index(entry: &[u8]) -> Result<([u8; 32], RequestKey), IssuerError> {
    let corrupt = || IssuerError::CorruptDecision {
        what: format!("STAN index entry is {} bytes, 64 expected", entry.len()),
    };
    let digest = entry
        .get(..32)
        .and_then(|d| <[u8; 32]>::try_from(d).ok())
        .ok_or_else(corrupt)?;
    let key = entry
        .get(32..64)
        .and_then(|d| <[u8; 32]>::try_from(d).ok())
        .ok_or_else(corrupt)?;
    Ok((digest, key))
}
