//! Recursive views of TLV data: a tree of constructed objects, and a search by tag.

use super::error::{TlvError, TlvErrorKind};
use super::iter::{Tlv, TlvIter};
use super::tag::Tag;

/// Deepest level (top level = 1) at which the recursive functions accept an object; real EMV data
/// nests about 4 deep (`6F` → `A5` → `BF0C` → `61`), so this only stops hostile input.
pub const MAX_DEPTH: usize = 16;

/// A TLV object with its children parsed when its tag is constructed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlvNode<'a> {
    /// The object itself (value still holds the children's encoding).
    pub tlv: Tlv<'a>,
    /// Parsed children; empty for primitive tags.
    pub children: Vec<TlvNode<'a>>,
}

impl<'a> TlvNode<'a> {
    /// Depth-first search of this node and its descendants for `tag`.
    pub fn find(&self, tag: Tag) -> Option<&TlvNode<'a>> {
        if self.tlv.tag == tag {
            return Some(self);
        }
        self.children.iter().find_map(|child| child.find(tag))
    }
}

/// Parses `input` into a tree, descending into every constructed tag (up to [`MAX_DEPTH`]).
pub fn parse_nested(input: &[u8]) -> Result<Vec<TlvNode<'_>>, TlvError> {
    level(input, 0, 1)
}

fn level(input: &[u8], base: usize, depth: usize) -> Result<Vec<TlvNode<'_>>, TlvError> {
    let mut nodes = Vec::new();
    let mut iter = TlvIter::with_base(input, base);
    while let Some(item) = iter.next_located() {
        let (tlv, child_base) = item?;
        check_depth(&tlv, depth)?;
        let children = if tlv.tag.is_constructed() {
            level(tlv.value, child_base, depth + 1)?
        } else {
            Vec::new()
        };
        nodes.push(TlvNode { tlv, children });
    }
    Ok(nodes)
}

/// Finds the first object with `tag`, depth first, looking inside constructed objects.
///
/// The whole input is checked, also past the match: malformed data is an error even when
/// the wanted tag comes before the fault, so a caller never acts on half-valid data.
pub fn find(input: &[u8], tag: Tag) -> Result<Option<&[u8]>, TlvError> {
    let mut found = None;
    search(input, 0, 1, tag, &mut found)?;
    Ok(found)
}

fn search<'a>(
    input: &'a [u8],
    base: usize,
    depth: usize,
    tag: Tag,
    found: &mut Option<&'a [u8]>,
) -> Result<(), TlvError> {
    let mut iter = TlvIter::with_base(input, base);
    while let Some(item) = iter.next_located() {
        let (tlv, child_base) = item?;
        check_depth(&tlv, depth)?;
        if tlv.tag == tag && found.is_none() {
            *found = Some(tlv.value);
        }
        if tlv.tag.is_constructed() {
            search(tlv.value, child_base, depth + 1, tag, found)?;
        }
    }
    Ok(())
}

/// Objects may sit at levels 1 to [`MAX_DEPTH`]; one found deeper is an error at its tag.
fn check_depth(tlv: &Tlv<'_>, depth: usize) -> Result<(), TlvError> {
    if depth > MAX_DEPTH {
        return Err(TlvError::at(
            tlv.offset,
            TlvErrorKind::TooDeep { max: MAX_DEPTH },
        ));
    }
    Ok(())
}
