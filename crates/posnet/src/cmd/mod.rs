//! One module per `posnet` subcommand.

pub mod bench;
pub mod card;
pub mod chaos;
pub mod clock;
pub mod crypto;
pub mod demo;
pub mod doctor;
pub mod gateway;
pub mod hsm;
pub mod iso8583;
pub mod issuer;
pub mod keys;
pub mod logging;
pub mod network;
pub mod setup;
pub mod terminal;
pub mod up;
