//! Decoding: from a captured buffer to a tree of named fields and a one-line
//! summary. Pure functions: no I/O, bounded work for any input.
//!
//! The public contract other modules build on (store, views, `nlscope decode`):
//! [`decode`] returns a [`DecodedMessage`] whose `messages` hold one [`Field`]
//! tree per netlink message in the buffer, each field knowing the byte range it
//! came from (for the hex view).
//!
//! Per protocol family (submodules): `route` (NETLINK_ROUTE, summaries via
//! netlink-packet-route), `genl` (NETLINK_GENERIC, nlctrl in full, other
//! families named through [`DecodeContext`]), `sockdiag`, `audit`,
//! `netfilter`, `uevent` (no netlink header), `text` (NETLINK_USERSOCK and the
//! demo protocol 30), `generic` (anything else: attribute tree, text or hex).
//! `error` handles NLMSG_ERROR / NLMSG_DONE for all of them; `nla` is the
//! bounded field walker over netlink's attribute walk; `names` formats
//! names. Headers, attributes and netlink's own name tables come from
//! [`crate::netlink`]; the attribute schemas and struct layouts here are the
//! decoder's own.
//!
//! Bounds, whatever the input: attribute nesting is followed to depth
//! [`MAX_DEPTH`], one buffer yields at most [`MAX_FIELDS`] fields (plus a
//! marker), hex values show at most 64 bytes, text at most 512 characters,
//! and an NLMSG_ERROR quotes its request at most two levels deep.
//!
//! A captured message with fewer bytes than its `len` (the capture was cut)
//! decodes as far as its bytes go, and what runs out at the cut is shown cut
//! (`cut: 48 of 200 bytes captured`, a `cut` attribute, a header cut), never
//! malformed. In a whole buffer, a header whose length runs past the end is
//! `malformed`, and bytes that are no whole attribute are `trailing bytes`.

use std::borrow::Cow;
use std::ops::Range;

pub use compact_str::CompactString;
use serde::Serialize;

use crate::event::{cut_text, CapturedMessage, CUT_LABEL};
use crate::netlink::header::{
    next_message, parse_header, split_messages, NlMsgHeader, NLMSG_HDRLEN,
};
use crate::netlink::names::control_type_name;
use crate::netlink::{
    NETLINK_AUDIT, NETLINK_GENERIC, NETLINK_KOBJECT_UEVENT, NETLINK_NETFILTER,
    NETLINK_NLSCOPE_DEMO, NETLINK_ROUTE, NETLINK_SOCK_DIAG, NETLINK_USERSOCK, NLMSG_DONE,
    NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN,
};

mod audit;
mod context;
mod error;
mod generic;
mod genl;
mod names;
mod netfilter;
mod nla;
mod printable;
mod route;
mod sockdiag;
mod text;
mod uevent;
mod ynl;

use names::Op;
use nla::Cx;
pub use nla::{cat, MAX_DEPTH, MAX_FIELDS};

/// One named value in the decoded tree.
///
/// Names are mostly `&'static str` from the schemas and values mostly short
/// (numbers, names), so neither allocates in the common case: a buffer's tree
/// costs about one allocation per field with children, which is what lets
/// decoding keep up with capture (see `cargo bench --bench decode`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: Cow<'static, str>,
    pub value: Value,
    /// Bytes of the captured payload this field covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<Range<usize>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Field>,
}

impl Field {
    pub fn new(name: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> Field {
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

/// A field's value. Plain numbers (most values) are kept as numbers and
/// turned into text only when shown; text up to 24 bytes is stored inline.
/// The common shapes around a number or a text (`4 bytes`, `2 (AF_INET)`,
/// `"lo"`) are kept in parts too and put together only when shown or
/// written: decoding makes millions of these and shows few of them (see
/// `cargo bench --bench decode`). Either way a value costs no allocation in
/// the common case, and reads the same as text whatever its shape.
#[derive(Clone, Debug)]
pub enum Value {
    Text(CompactString),
    Unsigned(u64),
    Signed(i64),
    /// `N bytes`.
    Bytes(u64),
    /// `nested, N bytes`: the size of a nested attribute.
    Nested(u64),
    /// `array, N bytes`: the size of a nested array attribute.
    Array(u64),
    /// `N (NAME)`: a number and what it means.
    Named(u64, &'static str),
    /// `"TEXT"`: the text between the quotes, already escaped.
    Quoted(CompactString),
    /// `0x0301 (REQUEST|DUMP)`: netlink header flags, named as they read
    /// for a request of this kind.
    Flags(u16, Option<Op>),
    /// `len 20 type 18 flags REQUEST|DUMP seq 1 port 0`: a netlink header
    /// on one line.
    Header(NlMsgHeader, Option<Op>),
}

impl Value {
    pub const EMPTY: Value = Value::Text(CompactString::const_new(""));

    pub fn is_empty(&self) -> bool {
        matches!(self, Value::Text(text) if text.is_empty())
    }

    /// Hands the value's text to `put`, piece by piece, in order.
    fn render(&self, put: &mut impl FnMut(&str)) {
        let mut digits = itoa::Buffer::new();
        match self {
            Value::Text(text) => put(text),
            Value::Unsigned(n) => put(digits.format(*n)),
            Value::Signed(n) => put(digits.format(*n)),
            Value::Bytes(n) => {
                put(digits.format(*n));
                put(" bytes");
            }
            Value::Nested(n) => {
                put("nested, ");
                put(digits.format(*n));
                put(" bytes");
            }
            Value::Array(n) => {
                put("array, ");
                put(digits.format(*n));
                put(" bytes");
            }
            Value::Named(n, name) => {
                put(digits.format(*n));
                put(" (");
                put(name);
                put(")");
            }
            Value::Quoted(text) => {
                put("\"");
                put(text);
                put("\"");
            }
            Value::Flags(flags, op) => {
                put(hex16(*flags, &mut [0; 6]));
                put(" (");
                put(&names::flag_names(*flags, *op));
                put(")");
            }
            Value::Header(h, op) => {
                put("len ");
                put(digits.format(h.len));
                put(" type ");
                put(digits.format(h.kind));
                put(" flags ");
                put(&names::flag_names(h.flags, *op));
                put(" seq ");
                put(digits.format(h.seq));
                put(" port ");
                put(digits.format(h.port));
            }
        }
    }

    /// The value as text.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Value::Text(text) => Cow::Borrowed(text.as_str()),
            _ => {
                let mut out = String::new();
                self.push_to(&mut out);
                Cow::Owned(out)
            }
        }
    }

    /// The value as a number, when it is one.
    pub fn number(&self) -> Option<i128> {
        match self {
            Value::Unsigned(n) => Some(i128::from(*n)),
            Value::Signed(n) => Some(i128::from(*n)),
            Value::Text(text) => text.parse().ok(),
            // Text around a number does not read as one.
            _ => None,
        }
    }

    /// Appends the text to `out` (numbers without an allocation).
    pub fn push_to(&self, out: &mut String) {
        self.render(&mut |piece| out.push_str(piece));
    }

    /// Appends the text to `out` (numbers without an allocation).
    pub fn append_to(&self, out: &mut Vec<u8>) {
        self.render(&mut |piece| out.extend_from_slice(piece.as_bytes()));
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Text(text) => f.write_str(text),
            Value::Unsigned(n) => n.fmt(f),
            Value::Signed(n) => n.fmt(f),
            _ => f.write_str(&self.text()),
        }
    }
}

/// Values are equal when they read the same, whatever their shape.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Unsigned(a), Value::Unsigned(b)) => a == b,
            _ => self.text() == other.text(),
        }
    }
}
impl Eq for Value {}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.text() == *other
    }
}

/// Values are text in JSON, as they are on screen.
impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Text(text) => serializer.serialize_str(text),
            _ => {
                let mut text = CompactString::default();
                self.render(&mut |piece| text.push_str(piece));
                serializer.serialize_str(&text)
            }
        }
    }
}

impl From<CompactString> for Value {
    fn from(text: CompactString) -> Value {
        Value::Text(text)
    }
}
impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Text(text.into())
    }
}
impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::Text(text.into())
    }
}
impl From<Cow<'_, str>> for Value {
    fn from(text: Cow<'_, str>) -> Value {
        Value::Text(text.as_ref().into())
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

pub use context::DecodeContext;
pub use names::errno_name;

/// Decodes a captured buffer. When it was cut (`len` more than the payload),
/// the message the cut goes through is shown cut, not malformed.
pub fn decode(message: &CapturedMessage, context: &DecodeContext) -> DecodedMessage {
    decode_with(Cx::new(&message.payload, message.protocol, context).with_whole_len(message.len))
}

/// Decodes `payload` as a whole buffer of netlink `protocol` (what [`decode`]
/// does with a captured message that was not cut).
pub fn decode_bytes(protocol: u32, payload: &[u8], context: &DecodeContext) -> DecodedMessage {
    decode_with(Cx::new(payload, protocol, context))
}

fn decode_with(mut cx: Cx) -> DecodedMessage {
    let payload = cx.payload;
    let protocol = cx.protocol;
    // Kernel uevents carry no netlink header at all.
    if protocol == NETLINK_KOBJECT_UEVENT && !has_plausible_header(payload) {
        let mut decoded = uevent::decode(&cx);
        if cx.is_cut() {
            decoded
                .messages
                .push(Field::new(CUT_LABEL, cut_text(payload.len(), cx.whole_len)));
        }
        return decoded;
    }
    let parts = split_messages(payload);
    cx.cut_at = cut_inside_message(&cx, &parts);
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
    // The start of a header after the last message, when the cut went
    // through it.
    if let (Some(cut), Some((offset, header))) = (cx.cut_at, parts.last()) {
        let next = next_message(*offset, *header);
        if next < cut {
            messages.push(cut_header(next..cut));
        }
    }
    // A netfilter batch is named after what it carries.
    let batch = protocol == NETLINK_NETFILTER && parts.len() > 1 && parts[0].1.kind == 0x10;
    let summary = if batch {
        let inner = messages
            .get(1)
            .map(|m| m.value.to_string())
            .unwrap_or_default();
        format!("{inner} (batch of {})", parts.len())
    } else if parts.len() > 1 {
        format!("{first_summary} (+{} more)", parts.len() - 1)
    } else {
        first_summary
    };
    // Every part was made one line already (decode_message, uevent).
    DecodedMessage { summary, messages }
}

/// The one-line summary of `payload` alone (what the store and list views
/// need per message), without building the field tree: always the same as
/// `decode_bytes(..).summary` (tested), at a fraction of the cost.
pub fn summarize_bytes(protocol: u32, payload: &[u8], context: &DecodeContext) -> String {
    decode_with(Cx::summary_only(payload, protocol, context)).summary
}

/// The summary of a captured message (see [`summarize_bytes`]): always the
/// same as `decode(..).summary`.
pub fn summarize(message: &CapturedMessage, context: &DecodeContext) -> String {
    let cx = Cx::summary_only(&message.payload, message.protocol, context);
    decode_with(cx.with_whole_len(message.len)).summary
}

impl DecodedMessage {
    /// The tree as indented text, one field a line: `name: value [from..to]`.
    pub fn to_text(&self) -> String {
        let mut out = Vec::with_capacity(1024);
        self.append_text(&mut out, "");
        // Only whole UTF-8 strings were appended.
        String::from_utf8(out).unwrap_or_default()
    }

    /// [`to_text`](Self::to_text) appended to `out`, every line starting with
    /// `prefix`. Written with byte copies only, as few as can be (`nlscope
    /// decode` prints millions of these lines; formatting machinery, or a
    /// copy per word, would dominate).
    pub fn append_text(&self, out: &mut Vec<u8>, prefix: &str) {
        fn push_line_text(out: &mut Vec<u8>, text: &str, prefix: &str) {
            // Values carry no raw newlines (text is escaped); should one get
            // through, the continuation keeps the indentation.
            // A fold without an early exit: the compiler vectorizes it.
            if !text.bytes().fold(false, |found, b| found | (b == b'\n')) {
                out.extend_from_slice(text.as_bytes());
                return;
            }
            for (i, part) in text.split('\n').enumerate() {
                if i > 0 {
                    out.push(b'\n');
                    out.extend_from_slice(prefix.as_bytes());
                }
                out.extend_from_slice(part.as_bytes());
            }
        }
        /// `prefix` then two spaces per level: one copy from `indent`
        /// (`prefix` and [`INDENT_LEVELS`] levels of spaces).
        fn push_indent(out: &mut Vec<u8>, indent: &[u8], prefix: &str, depth: usize) {
            match indent.get(..prefix.len() + 2 * depth) {
                Some(line_start) => out.extend_from_slice(line_start),
                None => {
                    out.extend_from_slice(prefix.as_bytes());
                    out.resize(out.len() + 2 * depth, b' ');
                }
            }
        }
        /// ` [start..end]` and the newline, assembled on the stack: one copy.
        fn push_range_end(out: &mut Vec<u8>, range: &Range<usize>) {
            let mut line_end = [0u8; 2 * 20 + 6];
            let mut at = 0;
            let mut put = |bytes: &[u8]| {
                line_end[at..at + bytes.len()].copy_from_slice(bytes);
                at += bytes.len();
            };
            let mut number = itoa::Buffer::new();
            put(b" [");
            put(number.format(range.start).as_bytes());
            put(b"..");
            put(number.format(range.end).as_bytes());
            put(b"]\n");
            out.extend_from_slice(&line_end[..at]);
        }
        fn walk(out: &mut Vec<u8>, field: &Field, depth: usize, indent: &[u8], prefix: &str) {
            push_indent(out, indent, prefix, depth);
            push_line_text(out, &field.name, prefix);
            match &field.value {
                Value::Text(text) if text.is_empty() => {}
                Value::Text(text) => {
                    out.extend_from_slice(b": ");
                    push_line_text(out, text, prefix);
                }
                Value::Quoted(text) => {
                    out.extend_from_slice(b": \"");
                    push_line_text(out, text, prefix);
                    out.push(b'"');
                }
                // Numbers and static names: no newline can be in them.
                other => {
                    out.extend_from_slice(b": ");
                    other.append_to(out);
                }
            }
            match &field.bytes {
                Some(range) => push_range_end(out, range),
                None => out.push(b'\n'),
            }
            for child in &field.children {
                walk(out, child, depth + 1, indent, prefix);
            }
        }
        const INDENT_LEVELS: usize = 16;
        let mut buffer = [b' '; 64 + 2 * INDENT_LEVELS];
        // A longer prefix (never, in nlscope) indents level by level instead.
        let indent: &[u8] = if prefix.len() <= 64 {
            buffer[..prefix.len()].copy_from_slice(prefix.as_bytes());
            &buffer[..prefix.len() + 2 * INDENT_LEVELS]
        } else {
            &[]
        };
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(b"summary: ");
        push_line_text(out, &self.summary, prefix);
        out.push(b'\n');
        for message in &self.messages {
            walk(out, message, 0, indent, prefix);
        }
    }
}

/// The summary as one printable line: control characters become spaces.
pub(crate) fn one_line(text: String) -> String {
    // Control characters are ASCII below 0x20, 0x7f, or U+0080..U+009F
    // (0xc2 0x80..0x9f in UTF-8): a byte scan rules them out quickly.
    let suspect = text.bytes().fold(false, |found, b| {
        found | (b < 0x20) | (b == 0x7f) | (b == 0xc2)
    });
    if !suspect {
        return text;
    }
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// True when `payload` starts with a header whose length fits the buffer.
fn has_plausible_header(payload: &[u8]) -> bool {
    parse_header(payload)
        .is_some_and(|h| h.len as usize >= NLMSG_HDRLEN && h.len as usize <= payload.len())
}

/// Where the capture was cut, when the cut goes through a netlink message
/// (see [`Cx::cut_at`]): the last message runs past the captured bytes, or
/// the bytes after it are too few for a header. A message whose length runs
/// past even the whole buffer has a wrong header, and is not cut.
fn cut_inside_message(cx: &Cx, parts: &[(usize, NlMsgHeader)]) -> Option<usize> {
    let captured = cx.payload.len();
    if !cx.is_cut() {
        return None;
    }
    let Some((offset, header)) = parts.last() else {
        // Not one header: cut inside the first, if the bytes are that few
        // and the whole buffer could hold one.
        let inside = captured < NLMSG_HDRLEN && cx.whole_len >= NLMSG_HDRLEN as u64;
        return inside.then_some(captured);
    };
    let end = offset.saturating_add(header.len as usize);
    if end > captured {
        return (end as u64 <= cx.whole_len).then_some(captured);
    }
    let next = next_message(*offset, *header);
    (next < captured && captured - next < NLMSG_HDRLEN).then_some(captured)
}

/// A netlink header the capture's cut went through.
fn cut_header(bytes: Range<usize>) -> Field {
    let text = cut_text(bytes.len(), NLMSG_HDRLEN as u64);
    Field::new("nlmsghdr", format!("{CUT_LABEL}: {text}")).at(bytes)
}

/// A buffer without any netlink header: text when it reads as text, hex;
/// a header when the capture was cut inside it.
fn no_header(cx: &Cx) -> DecodedMessage {
    let payload = cx.payload;
    let all = 0..payload.len();
    if cx.cut_at.is_some() {
        let header = cut_header(all);
        return DecodedMessage {
            summary: format!("nlmsghdr {}", header.value),
            messages: vec![header],
        };
    }
    if let Some(text) = printable::as_text(payload) {
        return DecodedMessage {
            summary: format!("text \"{}\"", nla::escape(&printable::cut(&text, 60))),
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
    pub type_name: Cow<'static, str>,
    /// How the header flags read for this type.
    pub op: Option<Op>,
    /// Fields of the body.
    pub fields: Vec<Field>,
    /// One line for this message.
    pub summary: String,
}

/// Name of message type `kind` of `protocol` and how its flags read, without
/// looking at a body.
pub(crate) fn type_name(cx: &Cx, kind: u16, body: Option<&Msg>) -> (Cow<'static, str>, Option<Op>) {
    if let Some(name) = control_type_name(kind) {
        if !is_text_protocol(cx.protocol) || kind != NLMSG_DONE {
            return (name.into(), (kind == NLMSG_ERROR).then_some(Op::Ack));
        }
        return (name.into(), None);
    }
    match cx.protocol {
        NETLINK_ROUTE => route::type_name(kind),
        NETLINK_SOCK_DIAG => sockdiag::type_name(kind),
        NETLINK_AUDIT => (audit::type_name(kind).into(), None),
        NETLINK_NETFILTER => {
            let (name, op) = netfilter::type_name(kind);
            (name.into(), op)
        }
        NETLINK_GENERIC => {
            let (name, op) = genl::type_name(cx, kind, body);
            (name.into(), op)
        }
        _ => (format!("type {kind}").into(), None),
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
    if !cx.tree {
        let summary = one_line(body.summary);
        let field = Field::new(body.type_name, summary.as_str()).at(offset..end);
        return (field, summary);
    }
    let mut children = Vec::with_capacity(body.fields.len() + 2);
    children.push(header_field(cx, &msg, &body));
    if (header.len as usize) > end - offset {
        let captured = end - offset;
        children.push(if cx.cut_at == Some(end) {
            Field::new(CUT_LABEL, cut_text(captured, header.len.into()))
        } else {
            Field::new(
                "malformed",
                format!(
                    "nlmsg_len {} runs past the buffer ({captured} bytes left)",
                    header.len
                ),
            )
        });
    }
    children.extend(body.fields);
    let summary = one_line(body.summary);
    // A copy of the text, not of the String: short summaries (most) are then
    // stored inline, without an allocation.
    let field = Field::new(body.type_name, summary.as_str())
        .at(offset..end)
        .with_children(children);
    (field, summary)
}

fn header_field(cx: &Cx, msg: &Msg, body: &Body) -> Field {
    let o = msg.offset;
    let h = msg.header;
    // `18 (RTM_GETLINK)`: kept in parts when the name is a static one.
    let type_value = match &body.type_name {
        Cow::Borrowed(name) => Value::Named(h.kind.into(), name),
        Cow::Owned(name) => names::with_name(h.kind, name).into(),
    };
    // The header line and the flags are put into words only when shown:
    // this runs for every message, and most of them are never looked at.
    Field::new("nlmsghdr", Value::Header(h, body.op))
        .at(o..o + NLMSG_HDRLEN)
        .with_children(vec![
            Field::new("len", Value::Unsigned(h.len.into())).at(o..o + 4),
            Field::new("type", type_value).at(o + 4..o + 6),
            Field::new("flags", Value::Flags(h.flags, body.op)).at(o + 6..o + 8),
            Field::new("seq", Value::Unsigned(h.seq.into())).at(o + 8..o + 12),
            Field::new("port", port_text(cx, h.port)).at(o + 12..o + 16),
        ])
}

/// `0x0301`: four lowercase hex digits.
fn hex16(n: u16, out: &mut [u8; 6]) -> &str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    *out = [
        b'0',
        b'x',
        DIGITS[usize::from(n >> 12)],
        DIGITS[usize::from((n >> 8) & 0xf)],
        DIGITS[usize::from((n >> 4) & 0xf)],
        DIGITS[usize::from(n & 0xf)],
    ];
    // Only ASCII digits were written.
    std::str::from_utf8(out).unwrap_or_default()
}

fn port_text(_cx: &Cx, port: u32) -> Value {
    if port == 0 {
        Value::Text(CompactString::const_new("0 (kernel)"))
    } else {
        Value::Unsigned(port.into())
    }
}

/// The protocols whose messages are text after the header (the demo
/// module's, and what user sockets send each other).
fn is_text_protocol(protocol: u32) -> bool {
    protocol == NETLINK_USERSOCK || protocol == NETLINK_NLSCOPE_DEMO
}

fn decode_body(cx: &Cx, msg: &Msg) -> Body {
    let kind = msg.header.kind;
    let text_protocol = is_text_protocol(cx.protocol);
    match kind {
        NLMSG_NOOP | NLMSG_OVERRUN => return control(cx, msg),
        NLMSG_ERROR => return error::decode(cx, msg),
        NLMSG_DONE
            if !(text_protocol && printable::as_text(cx.bytes(msg.body.clone())).is_some()) =>
        {
            return error::decode_done(cx, msg)
        }
        _ => {}
    }
    match cx.protocol {
        NETLINK_ROUTE => route::decode(cx, msg),
        NETLINK_SOCK_DIAG => sockdiag::decode(cx, msg),
        NETLINK_AUDIT => audit::decode(cx, msg),
        NETLINK_NETFILTER => netfilter::decode(cx, msg),
        NETLINK_KOBJECT_UEVENT => uevent::decode_body(cx, msg),
        NETLINK_GENERIC => genl::decode(cx, msg),
        NETLINK_USERSOCK | NETLINK_NLSCOPE_DEMO => text::decode(cx, msg),
        _ => generic::decode(cx, msg),
    }
}

/// NLMSG_NOOP and NLMSG_OVERRUN: the name, and the body as data.
fn control(cx: &Cx, msg: &Msg) -> Body {
    let name = control_type_name(msg.header.kind).unwrap_or_default();
    let mut fields = Vec::new();
    if !msg.body.is_empty() {
        fields.push(Field::new("data", nla::hex(cx.bytes(msg.body.clone()))).at(msg.body.clone()));
    }
    Body {
        type_name: name.to_string().into(),
        op: None,
        fields,
        summary: name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_bytes(len: u32, kind: u16) -> Vec<u8> {
        let header = NlMsgHeader {
            len,
            kind,
            flags: 0,
            seq: 7,
            port: 9,
        };
        header.to_bytes().to_vec()
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
            src_port: Some(0),
            dst_port: Some(7),
            stated_direction: None,
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

    /// `captured` with only its first `keep` bytes kept (a snap length).
    fn cut(mut message: CapturedMessage, keep: usize) -> CapturedMessage {
        message.payload.truncate(keep);
        message
    }

    #[test]
    fn a_cut_message_says_cut_and_a_lying_header_malformed() {
        // RTM_NEWLINK: ifinfomsg, then IFLA_IFNAME "dummy0" (11 bytes, padded).
        let mut buffer = header_bytes(44, 16);
        buffer.extend_from_slice(&[0; 16]);
        buffer.extend_from_slice(&[11, 0, 3, 0, b'd', b'u', b'm', b'm', b'y', b'0', 0, 0]);
        let whole = captured(0, buffer.clone());
        // Cut in the middle of the attribute.
        let text = decode(&cut(whole.clone(), 38), &DecodeContext::default()).to_text();
        assert!(text.contains("cut: 38 of 44 bytes captured"), "{text}");
        assert!(
            text.contains("cut: 6 bytes: 0b0003006475 [32..38]"),
            "{text}"
        );
        assert!(
            !text.contains("malformed") && !text.contains("trailing"),
            "{text}"
        );
        // The same 38 bytes as a whole buffer: the header says 44.
        let text = decode_bytes(0, &buffer[..38], &DecodeContext::default()).to_text();
        assert!(
            text.contains("malformed: nlmsg_len 44 runs past the buffer (38 bytes left)"),
            "{text}"
        );
        assert!(text.contains("trailing bytes: 6 bytes"), "{text}");
        assert!(!text.contains("cut"), "{text}");
        // A header claiming more than even the whole buffer held lies.
        let mut lying = cut(whole, 38);
        lying.payload[..4].copy_from_slice(&400u32.to_ne_bytes());
        let text = decode(&lying, &DecodeContext::default()).to_text();
        assert!(text.contains("malformed: nlmsg_len 400"), "{text}");
    }

    #[test]
    fn a_cut_through_a_header_shows_the_header_cut() {
        let mut buffer = header_bytes(20, 3);
        buffer.extend_from_slice(&0i32.to_ne_bytes());
        buffer.extend(header_bytes(20, 3));
        buffer.extend_from_slice(&0i32.to_ne_bytes());
        let whole = captured(0, buffer);
        let context = DecodeContext::default();
        // 6 bytes of the second header.
        let decoded = decode(&cut(whole.clone(), 26), &context);
        assert_eq!(decoded.messages.len(), 2);
        assert_eq!(
            decoded.messages[1],
            Field::new("nlmsghdr", "cut: 6 of 16 bytes captured").at(20..26)
        );
        // 6 bytes of the first.
        let decoded = decode(&cut(whole.clone(), 6), &context);
        assert_eq!(decoded.summary, "nlmsghdr cut: 6 of 16 bytes captured");
        // Cut between the two: the first is whole, nothing is cut in the tree.
        let text = decode(&cut(whole, 20), &context).to_text();
        assert!(!text.contains("cut"), "{text}");
    }

    #[test]
    fn an_error_cut_before_its_code_says_so() {
        let mut buffer = header_bytes(36, 2);
        buffer.extend_from_slice(&(-19i32).to_ne_bytes());
        buffer.extend(header_bytes(16, 19));
        let decoded = decode(&cut(captured(0, buffer), 18), &DecodeContext::default());
        assert_eq!(decoded.summary, "NLMSG_ERROR (error code not captured)");
        assert!(decoded.to_text().contains("cut: 18 of 36 bytes captured"));
    }

    #[test]
    fn a_cut_uevent_says_how_much_was_captured() {
        let uevent = b"add@/devices/virtual/net/dummy0\0ACTION=add\0SUBSYSTEM=net\0".to_vec();
        let decoded = decode(&cut(captured(15, uevent), 40), &DecodeContext::default());
        assert_eq!(
            decoded.messages.last(),
            Some(&Field::new("cut", "40 of 57 bytes captured"))
        );
    }
}
