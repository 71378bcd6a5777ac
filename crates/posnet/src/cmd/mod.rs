//! One module per `posnet` subcommand.

pub mod crypto;
pub mod hsm;
pub mod iso8583;
