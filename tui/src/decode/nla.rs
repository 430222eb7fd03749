//! Netlink attributes (TLVs): a bounded walker that turns `struct nlattr`
//! sequences into [`Field`]s, guided by an optional schema of names and value
//! kinds, and the byte readers and value formatters every decoder shares.

use std::cell::Cell;
use std::fmt::Write as _;
use std::ops::Range;

use super::{DecodeContext, Field};

/// Deepest attribute nesting the walker follows.
pub const MAX_DEPTH: usize = 8;
/// Most fields one decoded buffer may produce.
pub const MAX_FIELDS: usize = 20_000;
/// Bytes of a binary value shown as hex before it is cut.
pub const MAX_HEX: usize = 64;
/// Characters of a text value shown before it is cut.
pub const MAX_TEXT: usize = 512;

const NLA_F_NESTED: u16 = 0x8000;
const NLA_F_NET_BYTEORDER: u16 = 0x4000;
const NLA_TYPE_MASK: u16 = 0x3fff;

/// What one decode call reads from and how much it may still produce.
pub struct Cx<'a> {
    pub payload: &'a [u8],
    pub protocol: u32,
    pub context: &'a DecodeContext,
    fields_left: Cell<usize>,
}

impl<'a> Cx<'a> {
    pub fn new(payload: &'a [u8], protocol: u32, context: &'a DecodeContext) -> Cx<'a> {
        Cx {
            payload,
            protocol,
            context,
            fields_left: Cell::new(MAX_FIELDS),
        }
    }

    /// Takes one field from the budget; false when it is spent.
    pub fn take(&self) -> bool {
        let left = self.fields_left.get();
        if left == 0 {
            return false;
        }
        self.fields_left.set(left - 1);
        true
    }

    pub fn exhausted(&self) -> bool {
        self.fields_left.get() == 0
    }

    pub fn bytes(&self, range: Range<usize>) -> &'a [u8] {
        let end = range.end.min(self.payload.len());
        let start = range.start.min(end);
        &self.payload[start..end]
    }

    pub fn u8(&self, at: usize) -> Option<u8> {
        self.payload.get(at).copied()
    }
    pub fn u16(&self, at: usize) -> Option<u16> {
        Some(u16::from_ne_bytes(self.array(at)?))
    }
    pub fn u32(&self, at: usize) -> Option<u32> {
        Some(u32::from_ne_bytes(self.array(at)?))
    }
    pub fn i32(&self, at: usize) -> Option<i32> {
        Some(i32::from_ne_bytes(self.array(at)?))
    }
    pub fn be16(&self, at: usize) -> Option<u16> {
        Some(u16::from_be_bytes(self.array(at)?))
    }
    pub fn be32(&self, at: usize) -> Option<u32> {
        Some(u32::from_be_bytes(self.array(at)?))
    }
    fn array<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        self.payload.get(at..at.checked_add(N)?)?.try_into().ok()
    }
}

/// How an attribute's payload reads.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    U8,
    U16,
    U32,
    S32,
    U64,
    Be16,
    Be32,
    Be64,
    Str,
    /// IPv4 or IPv6 address, by length.
    Ip,
    /// Link-layer address (`aa:bb:...`).
    Mac,
    Flag,
    Hex,
    /// Nested attributes described by a schema (or unnamed when `None`).
    Nested(Option<&'static Schema>),
    /// Nested array: each element's type is its index, each element nested.
    Array(&'static Schema),
    /// Guess: string, number or nested attributes.
    Auto,
}

/// One attribute type's name and value kind.
pub type AttrSpec = (u16, &'static str, Kind);

/// The attributes one attribute space defines.
#[derive(Debug)]
pub struct Schema {
    pub attrs: &'static [AttrSpec],
    /// Numbers without `NLA_F_NET_BYTEORDER` are still big-endian (netfilter).
    pub big_endian: bool,
}

impl Schema {
    pub const fn new(attrs: &'static [AttrSpec]) -> Schema {
        Schema {
            attrs,
            big_endian: false,
        }
    }
    pub const fn big_endian(attrs: &'static [AttrSpec]) -> Schema {
        Schema {
            attrs,
            big_endian: true,
        }
    }
    pub fn find(&self, kind: u16) -> Option<&'static AttrSpec> {
        self.attrs.iter().find(|spec| spec.0 == kind)
    }
}

/// One attribute as found in the buffer.
#[derive(Clone, Debug)]
pub struct RawAttr {
    /// The type without the NESTED / NET_BYTEORDER flag bits.
    pub kind: u16,
    pub nested: bool,
    pub net_byteorder: bool,
    /// Whole attribute, header included.
    pub range: Range<usize>,
    /// Payload only.
    pub value: Range<usize>,
}

/// Splits `range` of the payload into attributes; stops at the first one
/// that is cut off. The second value is the range of trailing bytes that are
/// not a whole attribute (empty when none).
pub fn split_attrs(cx: &Cx, range: Range<usize>) -> (Vec<RawAttr>, Range<usize>) {
    let end = range.end.min(cx.payload.len());
    let mut at = range.start;
    let mut attrs = Vec::new();
    while at + 4 <= end {
        let (Some(len), Some(raw_kind)) = (cx.u16(at), cx.u16(at + 2)) else {
            break;
        };
        let len = len as usize;
        if len < 4 || at + len > end {
            break;
        }
        attrs.push(RawAttr {
            kind: raw_kind & NLA_TYPE_MASK,
            nested: raw_kind & NLA_F_NESTED != 0,
            net_byteorder: raw_kind & NLA_F_NET_BYTEORDER != 0,
            range: at..at + len,
            value: at + 4..at + len,
        });
        if attrs.len() >= MAX_FIELDS {
            break;
        }
        at += (len + 3) & !3;
    }
    let rest = at.min(end)..end;
    (attrs, rest)
}

/// Decodes the attributes in `range` as fields.
pub fn attrs(cx: &Cx, range: Range<usize>, schema: Option<&Schema>, depth: usize) -> Vec<Field> {
    let (raw, rest) = split_attrs(cx, range);
    let mut fields = Vec::with_capacity(raw.len().min(256));
    for attr in &raw {
        if !cx.take() {
            fields.push(Field::new("…", "field limit reached"));
            return fields;
        }
        fields.push(attr_field(cx, attr, schema, depth));
    }
    if raw.len() >= MAX_FIELDS {
        fields.push(Field::new("…", "field limit reached"));
    } else if !rest.is_empty() && cx.take() {
        fields.push(
            Field::new(
                "trailing bytes",
                format!("{} bytes: {}", rest.len(), hex(cx.bytes(rest.clone()))),
            )
            .at(rest),
        );
    }
    fields
}

/// One attribute as a field: name from the schema, value by kind.
pub fn attr_field(cx: &Cx, attr: &RawAttr, schema: Option<&Schema>, depth: usize) -> Field {
    let spec = schema.and_then(|s| s.find(attr.kind));
    let name = match spec {
        Some((_, name, _)) => (*name).to_string(),
        None => format!("attr {}", attr.kind),
    };
    let kind = spec.map(|s| s.2).unwrap_or(Kind::Auto);
    let big_endian = attr.net_byteorder || schema.is_some_and(|s| s.big_endian);
    let data = cx.bytes(attr.value.clone());
    let mut field = Field::new(name, String::new()).at(attr.range.clone());
    match kind {
        Kind::Nested(inner) => {
            field.value = format!("nested, {} bytes", data.len());
            if depth < MAX_DEPTH {
                field.children = attrs(cx, attr.value.clone(), inner, depth + 1);
            }
        }
        Kind::Array(inner) => {
            field.value = format!("array, {} bytes", data.len());
            if depth < MAX_DEPTH {
                let (elements, _) = split_attrs(cx, attr.value.clone());
                for element in elements {
                    if !cx.take() {
                        break;
                    }
                    let children = if depth + 1 < MAX_DEPTH {
                        attrs(cx, element.value.clone(), Some(inner), depth + 2)
                    } else {
                        Vec::new()
                    };
                    field.children.push(
                        Field::new(format!("[{}]", element.kind), "")
                            .at(element.range.clone())
                            .with_children(children),
                    );
                }
            }
        }
        Kind::Auto => {
            if (attr.nested || looks_nested(cx, attr.value.clone())) && depth < MAX_DEPTH {
                field.value = format!("nested, {} bytes", data.len());
                let inherited = schema.filter(|s| s.big_endian).map(|_| &BIG_ENDIAN_AUTO);
                field.children = attrs(cx, attr.value.clone(), inherited, depth + 1);
            } else {
                field.value = guess_value(data, big_endian);
            }
        }
        scalar => field.value = scalar_value(data, scalar, big_endian),
    }
    field
}

/// An empty big-endian schema: lets nested guesses inherit the byte order.
static BIG_ENDIAN_AUTO: Schema = Schema::big_endian(&[]);

/// True when `range` is exactly a sequence of plausible attributes.
pub fn looks_nested(cx: &Cx, range: Range<usize>) -> bool {
    if range.len() < 8 || printable_string(cx.bytes(range.clone())).is_some() {
        return false;
    }
    let (attrs, rest) = split_attrs(cx, range);
    rest.is_empty() && !attrs.is_empty() && attrs.iter().all(|a| a.kind != 0)
}

/// A value of a known kind as text.
pub fn scalar_value(data: &[u8], kind: Kind, big_endian: bool) -> String {
    let fixed = |n: usize| data.len() == n;
    match kind {
        Kind::U8 if fixed(1) => data[0].to_string(),
        Kind::U16 if fixed(2) => num16(data, big_endian).to_string(),
        Kind::U32 if fixed(4) => num32(data, big_endian).to_string(),
        Kind::S32 if fixed(4) => (num32(data, big_endian) as i32).to_string(),
        Kind::U64 if fixed(8) => num64(data, big_endian).to_string(),
        Kind::Be16 if fixed(2) => num16(data, true).to_string(),
        Kind::Be32 if fixed(4) => num32(data, true).to_string(),
        Kind::Be64 if fixed(8) => num64(data, true).to_string(),
        Kind::Str => quoted(data),
        Kind::Ip if fixed(4) || fixed(16) => ip(data),
        Kind::Mac if !data.is_empty() && data.len() <= 32 => mac(data),
        Kind::Flag if data.is_empty() => "true".to_string(),
        Kind::Hex => hex(data),
        _ => guess_value(data, big_endian),
    }
}

/// Best guess for a value of unknown kind: text, a number, or hex.
pub fn guess_value(data: &[u8], big_endian: bool) -> String {
    if let Some(text) = printable_string(data) {
        return format!("\"{}\"", escape(text));
    }
    match data.len() {
        0 => "(empty)".to_string(),
        1 => data[0].to_string(),
        2 => num16(data, big_endian).to_string(),
        4 => num32(data, big_endian).to_string(),
        8 => num64(data, big_endian).to_string(),
        _ => hex(data),
    }
}

fn num16(data: &[u8], be: bool) -> u16 {
    let b = [data[0], data[1]];
    if be {
        u16::from_be_bytes(b)
    } else {
        u16::from_ne_bytes(b)
    }
}
fn num32(data: &[u8], be: bool) -> u32 {
    let b = [data[0], data[1], data[2], data[3]];
    if be {
        u32::from_be_bytes(b)
    } else {
        u32::from_ne_bytes(b)
    }
}
fn num64(data: &[u8], be: bool) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&data[..8]);
    if be {
        u64::from_be_bytes(b)
    } else {
        u64::from_ne_bytes(b)
    }
}

/// A NUL-terminated (or unterminated) run of printable UTF-8 text of at least
/// two characters, without the terminator.
pub fn printable_string(data: &[u8]) -> Option<&str> {
    let text = data.strip_suffix(&[0]).unwrap_or(data);
    let text = std::str::from_utf8(text).ok()?;
    let ok = text.len() >= 2
        && data.last() == Some(&0)
        && text
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\t');
    ok.then_some(text)
}

/// Text payload, quoted, with the trailing NULs dropped and control
/// characters escaped; cut at [`MAX_TEXT`] characters.
pub fn quoted(data: &[u8]) -> String {
    let mut end = data.len();
    while end > 0 && data[end - 1] == 0 {
        end -= 1;
    }
    let text = String::from_utf8_lossy(&data[..end]);
    format!("\"{}\"", escape(&text))
}

/// Escapes control characters and cuts long text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT + 8));
    for (count, c) in text.chars().enumerate() {
        if count >= MAX_TEXT {
            out.push('…');
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Lowercase hex, cut at [`MAX_HEX`] bytes.
pub fn hex(data: &[u8]) -> String {
    let shown = &data[..data.len().min(MAX_HEX)];
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(shown.len() * 2 + 16);
    for byte in shown {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    if data.len() > MAX_HEX {
        let _ = write!(out, "… ({} bytes)", data.len());
    }
    out
}

/// `aa:bb:cc:...`.
pub fn mac(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 3);
    for (i, byte) in data.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&hex(&[*byte]));
    }
    out
}

/// An IPv4 or IPv6 address (network byte order), hex otherwise.
pub fn ip(data: &[u8]) -> String {
    match data.len() {
        4 => std::net::Ipv4Addr::new(data[0], data[1], data[2], data[3]).to_string(),
        16 => {
            let mut b = [0u8; 16];
            b.copy_from_slice(data);
            std::net::Ipv6Addr::from(b).to_string()
        }
        _ => hex(data),
    }
}

/// One fixed-size field of a fixed header.
pub struct Member {
    pub name: &'static str,
    pub offset: usize,
    pub kind: Kind,
    pub size: usize,
}

pub const fn member(name: &'static str, offset: usize, kind: Kind, size: usize) -> Member {
    Member {
        name,
        offset,
        kind,
        size,
    }
}

/// Decodes a fixed header (`struct ifinfomsg` and friends) at `start`: one
/// field per member that lies wholly inside `end`.
pub fn members(cx: &Cx, start: usize, end: usize, list: &[Member]) -> Vec<Field> {
    let mut fields = Vec::with_capacity(list.len());
    for m in list {
        let from = start + m.offset;
        let to = from + m.size;
        if to > end || to > cx.payload.len() || !cx.take() {
            break;
        }
        let value = scalar_value(cx.bytes(from..to), m.kind, false);
        fields.push(Field::new(m.name, value).at(from..to));
    }
    fields
}
