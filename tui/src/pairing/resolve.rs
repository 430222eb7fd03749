//! Where an error's offset points: NLMSGERR_ATTR_OFFS counts bytes from
//! the start of the rejected request's header; resolved here to a byte of
//! the request's datagram and to the deepest field of the request's
//! decoded tree covering it. Pure.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::decode::{decode_bytes, DecodeContext, Field};

/// The attribute an error points at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offending {
    /// NLMSGERR_ATTR_OFFS as the kernel sent it.
    pub offset: u32,
    /// That byte in the request's datagram.
    pub at: usize,
    /// Names from the request message down to the deepest field covering
    /// the byte (`["RTM_NEWLINK", "attributes", "IFLA_LINKINFO",
    /// "IFLA_INFO_KIND"]`);
    /// empty when the offset lies outside the request.
    pub path: Vec<String>,
    /// That field's bytes in the request's datagram.
    pub bytes: Option<Range<usize>>,
}

impl Offending {
    /// `attributes / IFLA_LINKINFO / IFLA_INFO_KIND`: the path below the
    /// message.
    pub fn field_text(&self) -> String {
        self.path
            .get(1..)
            .map(|below| below.join(" / "))
            .unwrap_or_default()
    }
}

/// Resolves `offset` in `request` (one request message, header first, as
/// sent on `protocol`), which starts at byte `start` of its datagram.
pub fn resolve_offset(
    protocol: u32,
    request: &[u8],
    start: usize,
    offset: u32,
    context: &DecodeContext,
) -> Offending {
    let at = offset as usize;
    let mut found = Offending {
        offset,
        at: start.saturating_add(at),
        path: Vec::new(),
        bytes: None,
    };
    if at >= request.len() {
        return found;
    }
    let decoded = decode_bytes(protocol, request, context);
    if let Some(deepest) = decoded
        .messages
        .iter()
        .find_map(|tree| deepest_at(tree, at, &mut found.path))
    {
        found.bytes = Some(start + deepest.start..start + deepest.end);
    }
    found
}

/// The bytes of the deepest field of `field` covering byte `at`, with the
/// names down to it pushed on `path` (left as it was when none does).
fn deepest_at(field: &Field, at: usize, path: &mut Vec<String>) -> Option<Range<usize>> {
    let covers = field
        .bytes
        .as_ref()
        .filter(|range| range.contains(&at))
        .cloned();
    path.push(field.name.to_string());
    for child in &field.children {
        if let Some(inner) = deepest_at(child, at, path) {
            return Some(inner);
        }
    }
    if covers.is_none() {
        path.pop();
    }
    covers
}
