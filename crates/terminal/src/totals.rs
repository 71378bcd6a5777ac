//! Batch totals for settlement (0500): approved sales and refunds since the last settlement.

use crate::txn::{RequestRecord, Side};

/// Counts and amounts as fields 74 (credits, number), 76 (debits, number), 86 (credits,
/// amount) and 88 (debits, amount) carry them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchTotals {
    pub credits_count: u64,
    pub debits_count: u64,
    pub credits_amount_minor: u64,
    pub debits_amount_minor: u64,
}

impl BatchTotals {
    /// Adds an approved, unreversed request; balance inquiries and pre-authorizations add
    /// nothing.
    pub fn add(&mut self, request: &RequestRecord) {
        let Some(side) = request.kind.side() else {
            return;
        };
        let (count, amount) = match side {
            Side::Debit => (&mut self.debits_count, &mut self.debits_amount_minor),
            Side::Credit => (&mut self.credits_count, &mut self.credits_amount_minor),
        };
        // A batch holds at most TXN_PER_BATCH_MAX amounts of n12: far below u64::MAX.
        *count = count.saturating_add(1);
        *amount = amount.saturating_add(request.amount_minor);
    }
}
