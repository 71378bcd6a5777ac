//! BER-TLV as EMV uses it (EMV Book 3, Annex B): tags of 1 to 4 bytes, definite lengths of
//! up to 4 length bytes, values borrowed from the input.
//!
//! Offsets in values and errors always count from the start of the slice handed to the
//! top-level function, also for objects found inside constructed ones.

mod error;
mod iter;
mod tag;
mod tree;
mod write;

pub use error::{TlvError, TlvErrorKind};
pub use iter::{Tlv, TlvIter, parse, parse_all};
pub use tag::{Tag, TagClass};
pub use tree::{MAX_DEPTH, TlvNode, find, parse_nested};
pub use write::{encoded_len, write, write_length};
