//! Row encoding: u128 as 16-byte big-endian blobs, u64 bit-for-bit in i64, small ints checked.

use rusqlite::Row;
use rusqlite::types::FromSql;

use crate::core::account::{Account, AccountFlags};
use crate::core::hold::{Hold, HoldStatus};
use crate::core::transfer::{Transfer, TransferFlags};
use crate::decision::{Decision, RequestKey};
use crate::error::StorageError;

/// Column lists, in the order the decoders below read them.
pub(crate) const ACCOUNT_COLUMNS: &str =
    "id, ledger, code, flags, debits_pending, debits_posted, credits_pending, credits_posted";
pub(crate) const TRANSFER_COLUMNS: &str = "id, debit_account_id, credit_account_id, amount_minor, pending_id, ledger, code, flags, timeout_s, timestamp_ns";
pub(crate) const HOLD_COLUMNS: &str =
    "id, debit_account_id, credit_account_id, amount_minor, expires_at_ns, status";
pub(crate) const DECISION_COLUMNS: &str = "request_key, response, transfer_ids, timestamp_ns";

pub(crate) fn id_bytes(id: u128) -> [u8; 16] {
    id.to_be_bytes()
}

pub(crate) fn int(value: u64) -> i64 {
    value.cast_signed()
}

/// Reads typed columns of one row, naming the table and column in every error.
pub(crate) struct Cols<'a, 'r> {
    pub row: &'a Row<'r>,
    pub table: &'static str,
}

impl Cols<'_, '_> {
    fn get<T: FromSql>(&self, idx: usize, column: &'static str) -> Result<T, StorageError> {
        self.row.get(idx).map_err(|e| StorageError::Corrupt {
            table: self.table,
            column,
            detail: e.to_string(),
        })
    }

    fn corrupt(&self, column: &'static str, detail: String) -> StorageError {
        StorageError::Corrupt {
            table: self.table,
            column,
            detail,
        }
    }

    fn u128(&self, idx: usize, column: &'static str) -> Result<u128, StorageError> {
        let bytes: Vec<u8> = self.get(idx, column)?;
        let array: [u8; 16] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| self.corrupt(column, format!("{} bytes, expected 16", bytes.len())))?;
        Ok(u128::from_be_bytes(array))
    }

    fn u64(&self, idx: usize, column: &'static str) -> Result<u64, StorageError> {
        Ok(self.get::<i64>(idx, column)?.cast_unsigned())
    }

    fn small<T: TryFrom<i64>>(&self, idx: usize, column: &'static str) -> Result<T, StorageError> {
        let raw: i64 = self.get(idx, column)?;
        T::try_from(raw).map_err(|_| self.corrupt(column, format!("{raw} is out of range")))
    }
}

pub(crate) fn account(row: &Row<'_>) -> Result<Account, StorageError> {
    let c = Cols {
        row,
        table: "accounts",
    };
    Ok(Account {
        id: c.u128(0, "id")?,
        ledger: c.small(1, "ledger")?,
        code: c.small(2, "code")?,
        flags: AccountFlags(c.small(3, "flags")?),
        debits_pending: c.u64(4, "debits_pending")?,
        debits_posted: c.u64(5, "debits_posted")?,
        credits_pending: c.u64(6, "credits_pending")?,
        credits_posted: c.u64(7, "credits_posted")?,
    })
}

pub(crate) fn transfer(row: &Row<'_>) -> Result<Transfer, StorageError> {
    let c = Cols {
        row,
        table: "transfers",
    };
    Ok(Transfer {
        id: c.u128(0, "id")?,
        debit_account_id: c.u128(1, "debit_account_id")?,
        credit_account_id: c.u128(2, "credit_account_id")?,
        amount_minor: c.u64(3, "amount_minor")?,
        pending_id: c.u128(4, "pending_id")?,
        ledger: c.small(5, "ledger")?,
        code: c.small(6, "code")?,
        flags: TransferFlags(c.small(7, "flags")?),
        timeout_s: c.small(8, "timeout_s")?,
        timestamp_ns: c.u64(9, "timestamp_ns")?,
    })
}

pub(crate) fn hold(row: &Row<'_>) -> Result<Hold, StorageError> {
    let c = Cols {
        row,
        table: "holds",
    };
    let raw_status: u8 = c.small(5, "status")?;
    Ok(Hold {
        id: c.u128(0, "id")?,
        debit_account_id: c.u128(1, "debit_account_id")?,
        credit_account_id: c.u128(2, "credit_account_id")?,
        amount_minor: c.u64(3, "amount_minor")?,
        expires_at_ns: c.u64(4, "expires_at_ns")?,
        status: HoldStatus::from_u8(raw_status)
            .ok_or_else(|| c.corrupt("status", format!("unknown status {raw_status}")))?,
    })
}

pub(crate) fn decision(row: &Row<'_>) -> Result<Decision, StorageError> {
    let c = Cols {
        row,
        table: "decisions",
    };
    let key: Vec<u8> = c.get(0, "request_key")?;
    let request_key: RequestKey = key
        .as_slice()
        .try_into()
        .map_err(|_| c.corrupt("request_key", format!("{} bytes, expected 32", key.len())))?;
    let packed: Vec<u8> = c.get(2, "transfer_ids")?;
    Ok(Decision {
        request_key,
        response: c.get(1, "response")?,
        transfer_ids: unpack_ids(&packed)
            .ok_or_else(|| c.corrupt("transfer_ids", format!("{} bytes", packed.len())))?,
        timestamp_ns: c.u64(3, "timestamp_ns")?,
    })
}

pub(crate) fn pack_ids(ids: &[u128]) -> Vec<u8> {
    ids.iter().flat_map(|id| id.to_be_bytes()).collect()
}

fn unpack_ids(packed: &[u8]) -> Option<Vec<u128>> {
    let chunks = packed.chunks_exact(16);
    if !chunks.remainder().is_empty() {
        return None;
    }
    chunks
        .map(|chunk| chunk.try_into().ok().map(u128::from_be_bytes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ids_pack_and_unpack(ids in proptest::collection::vec(any::<u128>(), 0..20)) {
            prop_assert_eq!(unpack_ids(&pack_ids(&ids)), Some(ids));
        }

        #[test]
        fn u64_survives_the_i64_column(v in any::<u64>()) {
            prop_assert_eq!(int(v).cast_unsigned(), v);
        }
    }

    #[test]
    fn ragged_id_list_is_refused() {
        assert_eq!(unpack_ids(&[0u8; 17]), None);
    }

    #[test]
    fn id_bytes_sort_like_numbers() {
        assert!(id_bytes(255) < id_bytes(256));
        assert_eq!(id_bytes(0x0102)[14..], [1, 2]);
    }
}
