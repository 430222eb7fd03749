//! `struct nlattr`: walking a run of attributes, building one, alignment.
//! The walk is bounded by the bytes it is given and never reads past them;
//! the decoder's field walker (`decode::nla`) is built on it.

use std::ops::Range;

/// Attribute type flag bits and the mask for the type itself, and the
/// header size: netlink-packet-core's.
pub use netlink_packet_core::{
    NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_HEADER_SIZE as NLA_HDRLEN, NLA_TYPE_MASK,
};

/// Attributes start on this boundary (`NLA_ALIGNTO`).
const NLA_ALIGNTO: usize = netlink_packet_core::NLA_ALIGNTO;

/// `NLA_ALIGN`: `len` rounded up to the attribute alignment (saturating).
pub const fn nla_align(len: usize) -> usize {
    len.saturating_add(NLA_ALIGNTO - 1) & !(NLA_ALIGNTO - 1)
}

/// One attribute as found in a buffer; ranges index that buffer.
#[derive(Clone, Debug)]
pub struct Attr {
    /// The type without the NESTED / NET_BYTEORDER flag bits.
    pub kind: u16,
    pub nested: bool,
    pub net_byteorder: bool,
    /// Whole attribute, header included.
    pub range: Range<usize>,
    /// Payload only.
    pub value: Range<usize>,
}

/// The attributes in `range` of a buffer one by one. Stops at the first one
/// that is cut off or has an impossible length; [`AttrWalk::rest`] then
/// says which bytes were not a whole attribute.
pub struct AttrWalk<'a> {
    buffer: &'a [u8],
    at: usize,
    end: usize,
    done: bool,
}

impl<'a> AttrWalk<'a> {
    pub fn new(buffer: &'a [u8], range: Range<usize>) -> AttrWalk<'a> {
        AttrWalk {
            buffer,
            at: range.start,
            end: range.end.min(buffer.len()),
            done: false,
        }
    }

    /// Bytes after the last whole attribute (empty when none); meaningful
    /// once the walk has ended.
    pub fn rest(&self) -> Range<usize> {
        self.at.min(self.end)..self.end
    }

    /// Where the walked range ends (within the buffer).
    pub fn end(&self) -> usize {
        self.end
    }
}

impl Iterator for AttrWalk<'_> {
    type Item = Attr;

    fn next(&mut self) -> Option<Attr> {
        if self.done {
            return None;
        }
        let at = self.at;
        let header = at
            .checked_add(NLA_HDRLEN)
            .filter(|&header_end| header_end <= self.end)
            .and_then(|header_end| self.buffer.get(at..header_end));
        let Some(header) = header else {
            self.done = true;
            return None;
        };
        let len = usize::from(u16::from_ne_bytes([header[0], header[1]]));
        let raw_kind = u16::from_ne_bytes([header[2], header[3]]);
        if len < NLA_HDRLEN || at + len > self.end {
            self.done = true;
            return None;
        }
        self.at = at.saturating_add(nla_align(len));
        Some(Attr {
            kind: raw_kind & NLA_TYPE_MASK,
            nested: raw_kind & NLA_F_NESTED != 0,
            net_byteorder: raw_kind & NLA_F_NET_BYTEORDER != 0,
            range: at..at + len,
            value: at + NLA_HDRLEN..at + len,
        })
    }
}

/// `(type, value)` of each attribute of `buffer` (types without flag bits),
/// stopping at the first malformed one.
pub fn attrs(buffer: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    AttrWalk::new(buffer, 0..buffer.len()).map(move |attr| (attr.kind, &buffer[attr.value]))
}

/// Appends one attribute, padded to the attribute alignment.
pub fn push_attr(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let len = NLA_HDRLEN + value.len();
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    out.resize(out.len() + nla_align(len) - len, 0);
}

/// One attribute, padded (see [`push_attr`]).
pub fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nla_align(NLA_HDRLEN + value.len()));
    push_attr(&mut out, kind, value);
    out
}

/// A NUL-terminated string value as text: up to the first NUL, invalid
/// UTF-8 replaced.
pub fn c_string(value: &[u8]) -> String {
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
    String::from_utf8_lossy(&value[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn attributes_walk_with_flags_and_padding() {
        let mut buffer = attr(3, b"lo\0");
        buffer.extend(attr(NLA_F_NESTED | 7, &attr(1, &9u32.to_ne_bytes())));
        assert_eq!(buffer.len(), 8 + 12);
        let found: Vec<Attr> = AttrWalk::new(&buffer, 0..buffer.len()).collect();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].kind, found[0].value.clone()), (3, 4..7));
        assert!(found[1].nested && found[1].kind == 7);
        let pairs: Vec<_> = attrs(&buffer).collect();
        assert_eq!(pairs[0], (3, &b"lo\0"[..]));
        assert_eq!(c_string(pairs[0].1), "lo");
    }

    #[test]
    fn a_cut_attribute_is_rest() {
        let mut buffer = attr(1, &[1, 2, 3, 4]);
        buffer.extend_from_slice(&[12, 0, 2, 0, 0]);
        let mut walk = AttrWalk::new(&buffer, 0..buffer.len());
        assert_eq!(walk.by_ref().count(), 1);
        assert_eq!(walk.rest(), 8..13);
    }

    proptest! {
        #[test]
        fn the_walk_stays_inside_its_range(bytes in proptest::collection::vec(any::<u8>(), 0..200),
                                           start in 0usize..50, len in 0usize..200) {
            let range = start..start + len;
            for attr in AttrWalk::new(&bytes, range.clone()) {
                prop_assert!(attr.range.start >= range.start && attr.range.end <= range.end);
                prop_assert!(attr.range.end <= bytes.len());
            }
        }
    }
}
