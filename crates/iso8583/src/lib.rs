//! ISO 8583 for posnet: dialects held as data, zero-copy unpacking, typed errors, framing.
//!
//! ```
//! use iso8583::{specs, Message, Mti};
//! let spec = specs::iso87_ascii_bbitmap();
//! let mut msg = Message::new(Mti::parse("0800").unwrap());
//! msg.set(11, "000001").unwrap();
//! msg.set(70, "301").unwrap();
//! let bytes = spec.pack(&msg).unwrap();
//! let back = spec.unpack(&bytes).unwrap();
//! assert_eq!(back.text(70), Some("301"));
//! ```
//!
//! No I/O lives here: sockets and files belong to the services that use it.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![forbid(unsafe_code)]

pub mod bitmap;
pub mod civil;
pub mod composite;
pub mod document;
mod ebcdic;
pub mod error;
pub mod frame;
pub mod hex;
pub mod mac;
pub mod mask;
pub mod message;
pub mod mti;
mod pack;
pub mod response_code;
pub mod spec;
pub mod spec_file;
pub mod specs;
mod unpack;

pub use error::{CodecError, ErrorKind, Location, SpecError};
pub use message::Message;
pub use mti::Mti;
pub use response_code::ResponseCode;
pub use spec::{FieldSpec, Spec};
