//! Decoding: from a captured buffer to a tree of named fields and a one-line
//! summary. Pure functions: no I/O, bounded work for any input.
//!
//! The public contract other modules build on (store, views, `nlscope decode`):
//! [`decode`] returns a [`DecodedMessage`] whose `messages` hold one [`Field`]
//! tree per netlink message in the buffer, each field knowing the byte range it
//! came from (for the hex view).
//!
//! Per protocol family (submodules): `route` (NETLINK_ROUTE, typed parse by
//! netlink-packet-route), `genl` (NETLINK_GENERIC, nlctrl in full, other
//! families named through [`DecodeContext`]), `sockdiag`, `audit`,
//! `netfilter`, `uevent` (no netlink header), `text` (NETLINK_USERSOCK and the
//! demo protocol 30), `generic` (anything else: attribute tree, text or hex).
//! `error` handles NLMSG_ERROR / NLMSG_DONE for all of them; `nla` is the
//! bounded attribute walker; `names` the shared name tables.
//!
//! Bounds, whatever the input: attribute nesting is followed to depth
//! [`MAX_DEPTH`], one buffer yields at most [`MAX_FIELDS`] fields (plus a
//! marker), hex values show at most 64 bytes, text at most 512 characters,
//! and an NLMSG_ERROR quotes its request at most two levels deep.

use std::ops::Range;

use serde::Serialize;

use crate::event::CapturedMessage;

mod audit;
mod context;
mod error;
mod generic;
mod genl;
mod names;
mod netfilter;
mod nla;
mod route;
mod sockdiag;
mod text;
mod uevent;

use names::Op;
use nla::Cx;
pub use nla::{MAX_DEPTH, MAX_FIELDS};

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

pub mod command;
pub use context::{DecodeContext, GenlFamily};
pub use names::{errno_name, protocol_name};
pub use route::RTM_TYPES;

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
pub fn decode(message: &CapturedMessage, context: &DecodeContext) -> DecodedMessage {
    decode_bytes(message.protocol, &message.payload, context)
}

/// Decodes `payload` as a buffer of netlink `protocol` (what [`decode`] does
/// with a captured message's payload).
pub fn decode_bytes(protocol: u32, payload: &[u8], context: &DecodeContext) -> DecodedMessage {
    let cx = Cx::new(payload, protocol, context);
    // Kernel uevents carry no netlink header at all.
    if protocol == 15 && !has_plausible_header(payload) {
        return uevent::decode(&cx);
    }
    let parts = split_messages(payload);
    if parts.is_empty() {
        return no_header(&cx);
    }
    let mut messages = Vec::with_capacity(parts.len().min(1024));
    let mut first_summary = String::new();
    for (i, (offset, header)) in parts.iter().enumerate() {
        if cx.exhausted() {
            messages.push(Field::new(
                "…",
                format!("{} more messages not decoded", parts.len() - i),
            ));
            break;
        }
        let (field, summary) = decode_message(&cx, *offset, *header, 0);
        if i == 0 {
            first_summary = summary;
        }
        messages.push(field);
    }
    // A netfilter batch is named after what it carries.
    let batch = protocol == 12 && parts.len() > 1 && parts[0].1.kind == 0x10;
    let summary = if batch {
        let inner = messages.get(1).map(|m| m.value.clone()).unwrap_or_default();
        format!("{inner} (batch of {})", parts.len())
    } else if parts.len() > 1 {
        format!("{first_summary} (+{} more)", parts.len() - 1)
    } else {
        first_summary
    };
    DecodedMessage {
        summary: one_line(&summary),
        messages,
    }
}

impl DecodedMessage {
    /// The tree as indented text, one field a line: `name: value [from..to]`.
    pub fn to_text(&self) -> String {
        fn walk(out: &mut String, field: &Field, depth: usize) {
            for _ in 0..depth {
                out.push_str("  ");
            }
            out.push_str(&field.name);
            if !field.value.is_empty() {
                out.push_str(": ");
                out.push_str(&field.value);
            }
            if let Some(range) = &field.bytes {
                out.push_str(&format!(" [{}..{}]", range.start, range.end));
            }
            out.push('\n');
            for child in &field.children {
                walk(out, child, depth + 1);
            }
        }
        let mut out = format!("summary: {}\n", self.summary);
        for message in &self.messages {
            walk(&mut out, message, 0);
        }
        out
    }
}

/// The summary as one printable line: control characters become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// True when `payload` starts with a header whose length fits the buffer.
fn has_plausible_header(payload: &[u8]) -> bool {
    parse_header(payload)
        .is_some_and(|h| h.len as usize >= NLMSG_HDRLEN && h.len as usize <= payload.len())
}

/// A buffer without any netlink header: text when it reads as text, hex.
fn no_header(cx: &Cx) -> DecodedMessage {
    let payload = cx.payload;
    let all = 0..payload.len();
    if let Some(text) = text::as_text(payload) {
        return DecodedMessage {
            summary: format!("text \"{}\"", nla::escape(&text::cut(&text, 60))),
            messages: vec![Field::new("payload", "no netlink header")
                .at(all.clone())
                .with_children(vec![
                    Field::new("text", format!("\"{}\"", nla::escape(&text))).at(all.clone()),
                    Field::new("hex", nla::hex(payload)).at(all),
                ])],
        };
    }
    DecodedMessage {
        summary: format!("{} bytes, no netlink header", payload.len()),
        messages: vec![Field::new("payload", nla::hex(payload)).at(all)],
    }
}

/// One netlink message inside the captured buffer.
#[derive(Clone, Debug)]
pub(crate) struct Msg {
    pub offset: usize,
    pub header: NlMsgHeader,
    /// The message body (after the 16-byte header), cut to what was captured.
    pub body: Range<usize>,
    /// Nesting: 0 for messages of the buffer, 1 for the request quoted in an
    /// NLMSG_ERROR.
    pub depth: usize,
}

/// What a protocol decoder makes of one message body.
pub(crate) struct Body {
    /// The message type's name (`RTM_NEWLINK`).
    pub type_name: String,
    /// How the header flags read for this type.
    pub op: Option<Op>,
    /// Fields of the body.
    pub fields: Vec<Field>,
    /// One line for this message.
    pub summary: String,
}

/// Name of message type `kind` of `protocol` and how its flags read, without
/// looking at a body.
pub(crate) fn type_name(cx: &Cx, kind: u16, body: Option<&Msg>) -> (String, Option<Op>) {
    if let Some(name) = names::control_type_name(kind) {
        if !(cx.protocol == 2 || cx.protocol == 30) || kind != 3 {
            return (name.to_string(), (kind == 2).then_some(Op::Ack));
        }
        return (name.to_string(), None);
    }
    match cx.protocol {
        0 => route::type_name(kind),
        4 => sockdiag::type_name(kind),
        9 => (audit::type_name(kind), None),
        12 => netfilter::type_name(kind),
        16 => genl::type_name(cx, kind, body),
        _ => (format!("type {kind}"), None),
    }
}

pub(crate) fn decode_message(
    cx: &Cx,
    offset: usize,
    header: NlMsgHeader,
    depth: usize,
) -> (Field, String) {
    let available = cx.payload.len();
    let end = offset.saturating_add(header.len as usize).min(available);
    let body_start = (offset + NLMSG_HDRLEN).min(end);
    let msg = Msg {
        offset,
        header,
        body: body_start..end,
        depth,
    };
    let body = decode_body(cx, &msg);
    let mut children = Vec::with_capacity(body.fields.len() + 2);
    children.push(header_field(cx, &msg, &body));
    if (header.len as usize) > end - offset {
        children.push(Field::new(
            "truncated",
            format!("captured {} of {} bytes", end - offset, header.len),
        ));
    }
    children.extend(body.fields);
    let summary = one_line(&body.summary);
    let field = Field::new(body.type_name, summary.clone())
        .at(offset..end)
        .with_children(children);
    (field, summary)
}

fn header_field(cx: &Cx, msg: &Msg, body: &Body) -> Field {
    let o = msg.offset;
    let h = msg.header;
    let flags = names::flag_names(h.flags, body.op);
    Field::new(
        "nlmsghdr",
        format!(
            "len {} type {} flags {} seq {} port {}",
            h.len, h.kind, flags, h.seq, h.port
        ),
    )
    .at(o..o + NLMSG_HDRLEN)
    .with_children(vec![
        Field::new("len", h.len.to_string()).at(o..o + 4),
        Field::new("type", format!("{} ({})", h.kind, body.type_name)).at(o + 4..o + 6),
        Field::new("flags", format!("{:#06x} ({flags})", h.flags)).at(o + 6..o + 8),
        Field::new("seq", h.seq.to_string()).at(o + 8..o + 12),
        Field::new("port", port_text(cx, h.port)).at(o + 12..o + 16),
    ])
}

fn port_text(_cx: &Cx, port: u32) -> String {
    if port == 0 {
        "0 (kernel)".to_string()
    } else {
        port.to_string()
    }
}

fn decode_body(cx: &Cx, msg: &Msg) -> Body {
    let kind = msg.header.kind;
    let text_protocol = cx.protocol == 2 || cx.protocol == 30;
    match kind {
        1 => return control(cx, msg, "NLMSG_NOOP"),
        2 => return error::decode(cx, msg),
        3 if !(text_protocol && text::as_text(cx.bytes(msg.body.clone())).is_some()) => {
            return error::decode_done(cx, msg)
        }
        4 => return control(cx, msg, "NLMSG_OVERRUN"),
        _ => {}
    }
    match cx.protocol {
        0 => route::decode(cx, msg),
        4 => sockdiag::decode(cx, msg),
        9 => audit::decode(cx, msg),
        12 => netfilter::decode(cx, msg),
        15 => uevent::decode_body(cx, msg),
        16 => genl::decode(cx, msg),
        2 | 30 => text::decode(cx, msg),
        _ => generic::decode(cx, msg),
    }
}

fn control(cx: &Cx, msg: &Msg, name: &str) -> Body {
    let mut fields = Vec::new();
    if !msg.body.is_empty() {
        fields.push(Field::new("data", nla::hex(cx.bytes(msg.body.clone()))).at(msg.body.clone()));
    }
    Body {
        type_name: name.to_string(),
        op: None,
        fields,
        summary: name.to_string(),
    }
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

    fn captured(protocol: u32, payload: Vec<u8>) -> CapturedMessage {
        CapturedMessage {
            ts_mono_ns: 0,
            ts_wall_ns: 0,
            pid: 1,
            tid: 1,
            comm: "test".into(),
            netns: 0,
            protocol,
            src_port: 0,
            dst_port: 7,
            dst_group: 0,
            len: payload.len() as u32,
            hook: "netlink_unicast".into(),
            result: None,
            payload,
            deliveries: Vec::new(),
        }
    }

    #[test]
    fn demo_protocol_text_is_shown_as_text() {
        let mut buffer = header_bytes(32, 3);
        buffer.extend_from_slice(b"Hello userspace\0");
        let decoded = decode(&captured(30, buffer), &DecodeContext::default());
        assert_eq!(decoded.summary, "NLMSG_DONE \"Hello userspace\"");
        let text = decoded.to_text();
        assert!(
            text.contains("text: \"Hello userspace\" [16..32]"),
            "{text}"
        );
        // Without a header (what a snap of the bare text looks like).
        let bare = decode(
            &captured(30, b"Hello kernel".to_vec()),
            &DecodeContext::default(),
        );
        assert_eq!(bare.summary, "text \"Hello kernel\"");
    }

    #[test]
    fn learn_reads_captured_nlctrl_replies() {
        // nlctrl NEWFAMILY: genlmsghdr, FAMILY_NAME "demo", FAMILY_ID 0x20,
        // MCAST_GROUPS [ { ID 9, NAME "events" } ].
        let mut body = vec![1u8, 2, 0, 0];
        body.extend_from_slice(&[9, 0, 2, 0, b'd', b'e', b'm', b'o', 0, 0, 0, 0]);
        body.extend_from_slice(&[6, 0, 1, 0, 0x20, 0, 0, 0]);
        let group = [
            &[8u8, 0, 2, 0, 9, 0, 0, 0][..],
            &[11, 0, 1, 0, b'e', b'v', b'e', b'n', b't', b's', 0, 0][..],
        ]
        .concat();
        let element = [&[(4 + group.len()) as u8, 0, 1, 0][..], &group].concat();
        body.extend([&[(4 + element.len()) as u8, 0, 7, 0][..], &element].concat());
        let mut buffer = header_bytes(16 + body.len() as u32, 0x10);
        buffer.extend(body);
        let mut context = DecodeContext::default();
        context.learn(&captured(16, buffer.clone()));
        let family = context.family(0x20).expect("learnt");
        assert_eq!(family.name, "demo");
        assert_eq!(family.groups, vec![(9, "events".to_string())]);
        assert_eq!(context.group_name(16, 9).as_deref(), Some("demo/events"));
        let decoded = decode(&captured(16, buffer), &context);
        assert_eq!(decoded.summary, "nlctrl NEWFAMILY demo id 0x20 (1 group)");
        // Learning from anything else changes nothing.
        context.learn(&captured(0, vec![0xff; 64]));
        assert_eq!(context.families().count(), 1);
    }

    #[test]
    fn impossible_lengths_stop_the_walk() {
        assert!(split_messages(&header_bytes(3, 1)).is_empty());
        assert_eq!(split_messages(&header_bytes(u32::MAX, 1)).len(), 1);
        assert!(split_messages(&[1, 2, 3]).is_empty());
    }
}
