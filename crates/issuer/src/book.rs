//! The issuer's books: which cards and merchants it knows, their ledger accounts, the set-up
//! that opens them, and the accounts made on first use (a card's limit for a day, a terminal's
//! totals for a settlement period).

use std::collections::{BTreeSet, HashMap};

use ledger::{Account, AccountFlags, Batch, Ledger, Storage, Transfer, TransferRejected};

use crate::chart::{
    COUNT_LEDGER, Chart, Totals, account_code, limit_ledger, money_ledger, totals_ledger,
    transfer_code,
};
use crate::config::{BinRange, CardConfig, Config, MerchantConfig};
use crate::error::IssuerError;
use crate::pan::luhn_valid;
use crate::time::UnixTime;

/// What set-up did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetUpReport {
    /// Accounts created now (0 on a restart with the same config).
    pub accounts_created: usize,
    /// Accounts that were already there.
    pub accounts_existing: usize,
    /// Opening balances posted now.
    pub openings_posted: usize,
}

/// How a presented PAN matched the books.
pub(crate) enum CardLookup<'a> {
    Found(&'a CardConfig),
    /// Fails the Luhn check.
    Luhn,
    /// Outside every BIN range this issuer owns.
    NotOurs,
    /// In range, but no such card.
    Unknown,
}

/// The ids of a terminal's totals for one period.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TotalsIds {
    pub debits_amount: u128,
    pub credits_amount: u128,
    pub debits_count: u128,
    pub credits_count: u128,
}

/// Cards, merchants and the chart of accounts. `Debug` counts the cards: its map is keyed by
/// PAN.
#[derive(Clone)]
pub struct Book {
    pub(crate) chart: Chart,
    cards: HashMap<String, CardConfig>,
    merchants: HashMap<String, MerchantConfig>,
    currencies: BTreeSet<u16>,
    bins: Vec<BinRange>,
    pub(crate) hold_expiry_s: u32,
}

impl std::fmt::Debug for Book {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Book")
            .field("chart", &self.chart)
            .field("cards", &self.cards.len())
            .field("merchants", &self.merchants.len())
            .field("currencies", &self.currencies)
            .field("bins", &self.bins)
            .field("hold_expiry_s", &self.hold_expiry_s)
            .finish()
    }
}

impl Book {
    /// The books of a checked config.
    pub fn new(config: &Config) -> Self {
        Self {
            chart: Chart::new(&config.institution_id),
            cards: config
                .cards
                .iter()
                .map(|c| (c.pan.reveal().to_owned(), c.clone()))
                .collect(),
            merchants: config
                .merchants
                .iter()
                .map(|m| (m.id.clone(), m.clone()))
                .collect(),
            currencies: config.cards.iter().map(|c| c.currency).collect(),
            bins: config.bin_ranges.clone(),
            hold_expiry_s: config.hold_expiry_s,
        }
    }

    /// The chart of accounts.
    pub fn chart(&self) -> &Chart {
        &self.chart
    }

    /// Currencies of the cards (one money ledger each).
    pub fn currencies(&self) -> impl Iterator<Item = u16> + '_ {
        self.currencies.iter().copied()
    }

    /// Every configured card.
    pub fn cards(&self) -> impl Iterator<Item = &CardConfig> {
        self.cards.values()
    }

    pub(crate) fn card(&self, pan: &str) -> CardLookup<'_> {
        if !luhn_valid(pan) {
            return CardLookup::Luhn;
        }
        if !self.bins.iter().any(|b| b.contains(pan)) {
            return CardLookup::NotOurs;
        }
        match self.cards.get(pan) {
            Some(card) => CardLookup::Found(card),
            None => CardLookup::Unknown,
        }
    }

    pub(crate) fn merchant(&self, id: &str) -> Option<&MerchantConfig> {
        self.merchants.get(id)
    }

    /// Accounts set-up opens, each with a name for error messages.
    fn fixed_accounts(&self) -> Vec<(String, Account)> {
        let c = &self.chart;
        let none = AccountFlags::NONE;
        let guarded = AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS;
        let mut out = vec![
            (
                "count source".to_owned(),
                Account::new(
                    c.count_source(),
                    COUNT_LEDGER,
                    account_code::COUNT_SOURCE,
                    none,
                ),
            ),
            (
                "authorization sequence".to_owned(),
                Account::new(c.auth_sequence(), COUNT_LEDGER, account_code::COUNTER, none),
            ),
        ];
        for &cur in &self.currencies {
            out.extend([
                (
                    format!("funding {cur:03}"),
                    Account::new(
                        c.funding(cur),
                        money_ledger(cur),
                        account_code::FUNDING,
                        none,
                    ),
                ),
                (
                    format!("limit source {cur:03}"),
                    Account::new(
                        c.limit_source(cur),
                        limit_ledger(cur),
                        account_code::LIMIT_SOURCE,
                        none,
                    ),
                ),
                (
                    format!("limit used {cur:03}"),
                    Account::new(
                        c.limit_used(cur),
                        limit_ledger(cur),
                        account_code::LIMIT_USED,
                        none,
                    ),
                ),
                (
                    format!("totals source {cur:03}"),
                    Account::new(
                        c.totals_source(cur),
                        totals_ledger(cur),
                        account_code::TOTALS_SOURCE,
                        none,
                    ),
                ),
            ]);
            let mut merchants: Vec<&MerchantConfig> = self.merchants.values().collect();
            merchants.sort_by(|a, b| a.id.cmp(&b.id));
            for m in merchants {
                out.push((
                    format!("merchant {} {cur:03}", m.id),
                    Account::new(
                        c.merchant(&m.id, cur),
                        money_ledger(cur),
                        account_code::MERCHANT,
                        none,
                    ),
                ));
            }
        }
        let mut cards: Vec<&CardConfig> = self.cards.values().collect();
        cards.sort_by(|a, b| a.name.cmp(&b.name));
        for card in cards {
            out.push((
                format!("card {}", card.name),
                Account::new(
                    c.card(card.pan.reveal()),
                    money_ledger(card.currency),
                    account_code::CARD,
                    guarded,
                ),
            ));
        }
        out
    }

    /// Opens every account and posts the opening balances, in one durable commit. Idempotent:
    /// run it at every start; a second run with the same config changes nothing.
    pub fn set_up<S: Storage>(
        &self,
        ledger: &mut Ledger<S>,
        now: UnixTime,
    ) -> Result<SetUpReport, IssuerError> {
        let per_call = ledger.limits().accounts_per_call_max.max(1);
        let mut report = SetUpReport::default();
        let mut batch = ledger.begin(now.as_ns())?;
        let accounts = self.fixed_accounts();
        for chunk in accounts.chunks(per_call) {
            let list: Vec<Account> = chunk.iter().map(|(_, a)| *a).collect();
            match batch.create_accounts(&list)? {
                Ok(outcomes) => {
                    for o in outcomes {
                        if o == ledger::AccountOutcome::Created {
                            report.accounts_created += 1;
                        } else {
                            report.accounts_existing += 1;
                        }
                    }
                }
                Err(source) => {
                    let what = chunk
                        .get(source.index)
                        .map_or_else(String::new, |(w, _)| w.clone());
                    return Err(IssuerError::AccountRejected { what, source });
                }
            }
        }
        let mut cards: Vec<&CardConfig> = self.cards.values().collect();
        cards.sort_by(|a, b| a.name.cmp(&b.name));
        for card in cards.into_iter().filter(|c| c.opening_balance_minor > 0) {
            let pan = card.pan.reveal();
            let t = Transfer::single(
                self.chart.opening_transfer(pan),
                self.chart.funding(card.currency),
                self.chart.card(pan),
                card.opening_balance_minor,
                money_ledger(card.currency),
                transfer_code::OPENING,
            );
            match batch.try_apply(&[t])? {
                Ok(applied) => {
                    let created = applied
                        .transfers
                        .iter()
                        .filter(|a| a.outcome == ledger::TransferOutcome::Created)
                        .count();
                    report.openings_posted += created;
                }
                Err(source) if source.reason == TransferRejected::ExistsWithDifferentAmount => {
                    return Err(IssuerError::OpeningBalanceChanged {
                        card: card.name.clone(),
                        source,
                    });
                }
                Err(source) => {
                    return Err(IssuerError::SetUpTransfer {
                        what: format!("opening balance of card {}", card.name),
                        source,
                    });
                }
            }
        }
        batch.commit()?;
        Ok(report)
    }

    /// Creates `account` in the batch unless it exists.
    fn ensure<S: Storage>(
        batch: &mut Batch<'_, S>,
        account: Account,
        what: impl FnOnce() -> String,
    ) -> Result<bool, IssuerError> {
        if batch.account(account.id)?.is_some() {
            return Ok(false);
        }
        match batch.create_accounts(&[account])? {
            Ok(_) => Ok(true),
            Err(source) => Err(IssuerError::AccountRejected {
                what: what(),
                source,
            }),
        }
    }

    /// The card's limit account for UTC day `day`, opened and funded with the card's daily
    /// limit on first use; `None` for a card without a limit.
    pub(crate) fn limit_day<S: Storage>(
        &self,
        batch: &mut Batch<'_, S>,
        card: &CardConfig,
        day: u64,
    ) -> Result<Option<u128>, IssuerError> {
        let Some(limit) = card.daily_limit_minor else {
            return Ok(None);
        };
        let pan = card.pan.reveal();
        let cur = card.currency;
        let id = self.chart.limit_day(pan, day);
        let account = Account::new(
            id,
            limit_ledger(cur),
            account_code::LIMIT_DAY,
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        );
        if Self::ensure(batch, account, || {
            format!("daily limit of card {}", card.name)
        })? {
            let fund = Transfer::single(
                self.chart.limit_funding_transfer(pan, day),
                self.chart.limit_source(cur),
                id,
                limit,
                limit_ledger(cur),
                transfer_code::LIMIT_FUNDING,
            );
            if let Err(source) = batch.try_apply(&[fund])? {
                return Err(IssuerError::SetUpTransfer {
                    what: format!("daily limit of card {}", card.name),
                    source,
                });
            }
        }
        Ok(Some(id))
    }

    /// The terminal's current settlement period in `currency`: how many it has closed.
    pub(crate) fn period<S: Storage>(
        &self,
        batch: &Batch<'_, S>,
        terminal: &str,
        currency: u16,
    ) -> Result<u64, IssuerError> {
        let id = self.chart.period(terminal, currency);
        Ok(batch.account(id)?.map_or(0, |a| a.credits_posted))
    }

    /// The period counter account, opened on first use.
    pub(crate) fn period_account<S: Storage>(
        &self,
        batch: &mut Batch<'_, S>,
        terminal: &str,
        currency: u16,
    ) -> Result<u128, IssuerError> {
        let id = self.chart.period(terminal, currency);
        let account = Account::new(id, COUNT_LEDGER, account_code::COUNTER, AccountFlags::NONE);
        Self::ensure(batch, account, || {
            format!("settlement period of {terminal}")
        })?;
        Ok(id)
    }

    /// The ids of the terminal's totals for its current period; `create` opens the accounts.
    pub(crate) fn totals<S: Storage>(
        &self,
        batch: &mut Batch<'_, S>,
        terminal: &str,
        currency: u16,
        create: bool,
    ) -> Result<TotalsIds, IssuerError> {
        let period = self.period(batch, terminal, currency)?;
        let id = |which| self.chart.totals(terminal, currency, period, which);
        let ids = TotalsIds {
            debits_amount: id(Totals::DebitsAmount),
            credits_amount: id(Totals::CreditsAmount),
            debits_count: id(Totals::DebitsCount),
            credits_count: id(Totals::CreditsCount),
        };
        if create {
            let amounts = totals_ledger(currency);
            for (account_id, ledger) in [
                (ids.debits_amount, amounts),
                (ids.credits_amount, amounts),
                (ids.debits_count, COUNT_LEDGER),
                (ids.credits_count, COUNT_LEDGER),
            ] {
                let account =
                    Account::new(account_id, ledger, account_code::TOTALS, AccountFlags::NONE);
                Self::ensure(batch, account, || format!("totals of terminal {terminal}"))?;
            }
        }
        Ok(ids)
    }

    /// The number the next authorization code is made from.
    pub(crate) fn next_auth_sequence<S: Storage>(
        &self,
        batch: &Batch<'_, S>,
    ) -> Result<u64, IssuerError> {
        let id = self.chart.auth_sequence();
        Ok(batch
            .account(id)?
            .map_or(0, |a| a.credits_posted)
            .saturating_add(1))
    }
}
