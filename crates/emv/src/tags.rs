//! The EMV data element dictionary (EMV Book 3, Annex A, plus common contactless tags) and a
//! renderer for dumps that never shows card secrets.

mod describe;
mod info;
mod mask;
mod table;

pub use describe::{describe, dump};
pub use info::{Format, Length, Sensitivity, Source, TagInfo};
pub use mask::mask_pan;
pub use table::*;

use crate::tlv::Tag;

/// Looks a tag up in the dictionary.
pub fn lookup(tag: Tag) -> Option<&'static TagInfo> {
    DICTIONARY
        .binary_search_by_key(&tag, |info| info.tag)
        .ok()
        .and_then(|i| DICTIONARY.get(i))
}

/// Every entry of the dictionary, sorted by tag.
pub fn all() -> &'static [TagInfo] {
    DICTIONARY
}
