//! The sans-I/O core: records, result codes and the rules. No storage, no clock.

pub mod account;
pub(crate) mod account_rules;
pub mod audit;
pub mod hold;
pub mod reject;
pub mod transfer;
pub mod transfer_rules;
