//! One module per `posnet` subcommand.

pub mod chaos;
pub mod crypto;
pub mod hsm;
pub mod iso8583;
