//! Decoding: from a captured buffer to a tree of named fields and a one-line
//! summary. Pure functions: no I/O, bounded work for any input.
//!
//! The public contract other modules build on (store, views, `nlscope decode`):
//! [`decode`] returns a [`DecodedMessage`] whose `messages` hold one [`Field`]
//! tree per netlink message in the buffer, each field knowing the byte range it
//! came from (for the hex view).

use std::ops::Range;

use serde::Serialize;

use crate::event::CapturedMessage;

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;

/// One named value in the decoded tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    /// Bytes of the captured payload this field covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<Range<usize>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Field>,
}

impl Field {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Field {
        Field {
            name: name.into(),
            value: value.into(),
            bytes: None,
            children: Vec::new(),
        }
    }
    pub fn at(mut self, bytes: Range<usize>) -> Field {
        self.bytes = Some(bytes);
        self
    }
    pub fn with_children(mut self, children: Vec<Field>) -> Field {
        self.children = children;
        self
    }
}

/// A decoded buffer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecodedMessage {
    /// One line for list views, e.g. `RTM_NEWLINK dummy0 UP`.
    pub summary: String,
    /// One tree per netlink message in the buffer.
    pub messages: Vec<Field>,
}

/// State learned while decoding a stream (for example generic netlink family
/// ids from nlctrl replies). Empty is a valid context.
#[derive(Clone, Debug, Default)]
pub struct DecodeContext {}

impl DecodeContext {
    /// Learns what later messages need from `message` (e.g. nlctrl replies).
    pub fn learn(&mut self, _message: &CapturedMessage) {}
}

/// The fixed netlink header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NlMsgHeader {
    pub len: u32,
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub port: u32,
}

/// Parses the header at the start of `bytes`, if there are 16 bytes.
pub fn parse_header(bytes: &[u8]) -> Option<NlMsgHeader> {
    let header: &[u8; NLMSG_HDRLEN] = bytes.get(..NLMSG_HDRLEN)?.try_into().ok()?;
    let u32_at =
        |i: usize| u32::from_ne_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let u16_at = |i: usize| u16::from_ne_bytes([header[i], header[i + 1]]);
    Some(NlMsgHeader {
        len: u32_at(0),
        kind: u16_at(4),
        flags: u16_at(6),
        seq: u32_at(8),
        port: u32_at(12),
    })
}

/// Splits a buffer into (offset, header) pairs, stopping at the first header
/// that is cut off or has an impossible length.
pub fn split_messages(bytes: &[u8]) -> Vec<(usize, NlMsgHeader)> {
    let mut parts = Vec::new();
    let mut offset = 0usize;
    while let Some(header) = bytes.get(offset..).and_then(parse_header) {
        let len = header.len as usize;
        if len < NLMSG_HDRLEN {
            break;
        }
        parts.push((offset, header));
        // NLMSG_ALIGN: messages start on 4-byte boundaries.
        let next = offset.saturating_add((len + 3) & !3);
        if next <= offset || next > bytes.len() {
            break;
        }
        offset = next;
    }
    parts
}

/// Decodes a captured buffer.
pub fn decode(message: &CapturedMessage, _context: &DecodeContext) -> DecodedMessage {
    let payload = &message.payload;
    let parts = split_messages(payload);
    let messages: Vec<Field> = parts
        .iter()
        .map(|(offset, header)| {
            let end = (*offset + header.len as usize).min(payload.len());
            Field::new(
                "nlmsghdr",
                format!("type {} len {}", header.kind, header.len),
            )
            .at(*offset..end)
            .with_children(vec![
                Field::new("len", header.len.to_string()).at(*offset..*offset + 4),
                Field::new("type", header.kind.to_string()).at(*offset + 4..*offset + 6),
                Field::new("flags", format!("{:#06x}", header.flags)).at(*offset + 6..*offset + 8),
                Field::new("seq", header.seq.to_string()).at(*offset + 8..*offset + 12),
                Field::new("port", header.port.to_string()).at(*offset + 12..*offset + 16),
            ])
        })
        .collect();
    let summary = match parts.first() {
        Some((_, header)) => format!("type {} len {}", header.kind, header.len),
        None => format!("{} bytes, no netlink header", payload.len()),
    };
    DecodedMessage { summary, messages }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_bytes(len: u32, kind: u16) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&len.to_ne_bytes());
        bytes.extend_from_slice(&kind.to_ne_bytes());
        bytes.extend_from_slice(&0u16.to_ne_bytes());
        bytes.extend_from_slice(&7u32.to_ne_bytes());
        bytes.extend_from_slice(&9u32.to_ne_bytes());
        bytes
    }

    #[test]
    fn several_messages_in_one_buffer_are_split() {
        let mut buffer = header_bytes(20, 16);
        buffer.extend_from_slice(&[1, 2, 3, 4]);
        buffer.extend(header_bytes(16, 3));
        let parts = split_messages(&buffer);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].0, 20);
        assert_eq!(parts[1].1.kind, 3);
    }

    #[test]
    fn impossible_lengths_stop_the_walk() {
        assert!(split_messages(&header_bytes(3, 1)).is_empty());
        assert_eq!(split_messages(&header_bytes(u32::MAX, 1)).len(), 1);
        assert!(split_messages(&[1, 2, 3]).is_empty());
    }
}
