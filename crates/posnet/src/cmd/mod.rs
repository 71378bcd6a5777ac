//! One module per `posnet` subcommand.

pub mod chaos;
pub mod iso8583;
