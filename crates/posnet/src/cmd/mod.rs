//! One module per `posnet` subcommand.

pub mod iso8583;
