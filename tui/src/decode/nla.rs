//! Netlink attributes (TLVs): a bounded walker that turns `struct nlattr`
//! sequences into [`Field`]s, guided by an optional schema of names and value
//! kinds, and the byte readers and value formatters every decoder shares.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Write as _;
use std::ops::Range;

use compact_str::{CompactString, ToCompactString};

use super::{DecodeContext, Field, Value};
use crate::event::CUT_LABEL;
use crate::netlink::attr;

/// Deepest attribute nesting the walker follows.
pub const MAX_DEPTH: usize = 8;
/// Most fields one decoded buffer may produce.
pub const MAX_FIELDS: usize = 20_000;
/// Bytes of a binary value shown as hex before it is cut.
pub const MAX_HEX: usize = 64;
/// Characters of a text value shown before it is cut.
pub const MAX_TEXT: usize = 512;

/// What one decode call reads from and how much it may still produce.
pub struct Cx<'a> {
    pub payload: &'a [u8],
    /// Length of the whole buffer in the kernel: more than `payload` holds
    /// when the capture was cut.
    pub whole_len: u64,
    /// Where the capture was cut (the end of `payload`), when the cut goes
    /// through a netlink message: what runs out of bytes here was cut, not
    /// malformed. `None` for a whole buffer, or one cut between messages.
    pub cut_at: Option<usize>,
    pub protocol: u32,
    pub context: &'a DecodeContext,
    /// False when only the summary is wanted: the field walkers
    /// ([`attrs`], [`members`]) then return nothing. Summaries are made from
    /// the bytes, never from fields, so they come out the same either way.
    pub tree: bool,
    fields_left: Cell<usize>,
}

impl<'a> Cx<'a> {
    pub fn new(payload: &'a [u8], protocol: u32, context: &'a DecodeContext) -> Cx<'a> {
        Cx {
            payload,
            whole_len: payload.len() as u64,
            cut_at: None,
            protocol,
            context,
            tree: true,
            fields_left: Cell::new(MAX_FIELDS),
        }
    }

    /// A context for the summary alone (see [`Cx::tree`]).
    pub fn summary_only(payload: &'a [u8], protocol: u32, context: &'a DecodeContext) -> Cx<'a> {
        Cx {
            tree: false,
            ..Cx::new(payload, protocol, context)
        }
    }

    /// The same context for a buffer that held `whole_len` bytes in the
    /// kernel, of which `payload` is what was captured.
    pub fn with_whole_len(self, whole_len: u32) -> Cx<'a> {
        Cx {
            whole_len: u64::from(whole_len).max(self.payload.len() as u64),
            ..self
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

    /// True when fewer bytes were captured than the buffer held.
    pub fn is_cut(&self) -> bool {
        (self.payload.len() as u64) < self.whole_len
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
    /// A fixed C struct (`struct rtnl_link_stats64` and the like): every
    /// member as `name value` on one line.
    Struct(&'static [Member]),
    /// Nested attributes described by a schema (or unnamed when `None`).
    Nested(Option<&'static Schema>),
    /// Nested array: each element's type is its index, each element nested.
    Array(&'static Schema),
    /// Guess: string, number or nested attributes.
    Auto,
    /// Decoded by a function of the decoder that owns the schema (a spec's
    /// view of the attribute; see [`AttrHook`]).
    With(AttrHook),
}

/// Decodes one attribute another way than the walker's kinds: `name` is the
/// schema's name for it (`None` for a type the schema lacks), `siblings`
/// the range of the attribute list it is in.
pub type AttrHook = fn(
    cx: &Cx,
    attr: &RawAttr,
    name: Option<&'static str>,
    siblings: &Range<usize>,
    depth: usize,
) -> Field;

/// One attribute type's name and value kind.
pub type AttrSpec = (u16, &'static str, Kind);

/// The attributes one attribute space defines.
#[derive(Debug)]
pub struct Schema {
    pub attrs: &'static [AttrSpec],
    /// Numbers without `NLA_F_NET_BYTEORDER` are still big-endian (netfilter).
    pub big_endian: bool,
    /// How a type the table lacks is decoded (by default it is guessed).
    pub fallback: Option<AttrHook>,
}

impl Schema {
    pub const fn new(attrs: &'static [AttrSpec]) -> Schema {
        Schema {
            attrs,
            big_endian: false,
            fallback: None,
        }
    }
    pub const fn big_endian(attrs: &'static [AttrSpec]) -> Schema {
        Schema {
            attrs,
            big_endian: true,
            fallback: None,
        }
    }
    /// The table, with `fallback` decoding the types it lacks.
    pub const fn or_else(self, fallback: AttrHook) -> Schema {
        Schema {
            fallback: Some(fallback),
            ..self
        }
    }
    pub fn find(&self, kind: u16) -> Option<&'static AttrSpec> {
        // Most tables list types 1, 2, 3, ... in order: try the slot first.
        let slot = usize::from(kind).wrapping_sub(1);
        match self.attrs.get(slot) {
            Some(spec) if spec.0 == kind => Some(spec),
            _ => self.attrs.iter().find(|spec| spec.0 == kind),
        }
    }
}

/// One attribute as found in the buffer (netlink's attribute walk).
pub type RawAttr = attr::Attr;

/// Splits `range` of the payload into attributes; stops at the first one
/// that is cut off. The second value is the range of trailing bytes that are
/// not a whole attribute (empty when none).
pub fn split_attrs(cx: &Cx, range: Range<usize>) -> (Vec<RawAttr>, Range<usize>) {
    let mut walk = AttrWalk::new(cx, range);
    let attrs: Vec<RawAttr> = walk.by_ref().collect();
    (attrs, walk.rest())
}

/// The attributes of a range one by one, without collecting them (what
/// [`split_attrs`] does, for the decoder's hot path): netlink's attribute
/// walk, stopped after [`MAX_FIELDS`] attributes.
pub struct AttrWalk<'a> {
    walk: attr::AttrWalk<'a>,
    count: usize,
    /// Where the last attribute walked ends, once the limit is reached.
    last_end: usize,
}

impl<'a> AttrWalk<'a> {
    pub fn new(cx: &Cx<'a>, range: Range<usize>) -> AttrWalk<'a> {
        AttrWalk {
            walk: attr::AttrWalk::new(cx.payload, range),
            count: 0,
            last_end: 0,
        }
    }

    /// Bytes after the last whole attribute (empty when none); meaningful
    /// once the walk has ended. At the limit, what follows the last
    /// attribute walked, padding included, is reported as not walked.
    pub fn rest(&self) -> Range<usize> {
        if self.hit_limit() {
            let end = self.walk.end();
            return self.last_end.min(end)..end;
        }
        self.walk.rest()
    }

    /// True when the walk stopped at [`MAX_FIELDS`] attributes.
    pub fn hit_limit(&self) -> bool {
        self.count >= MAX_FIELDS
    }
}

impl Iterator for AttrWalk<'_> {
    type Item = RawAttr;

    fn next(&mut self) -> Option<RawAttr> {
        if self.hit_limit() {
            return None;
        }
        let found = self.walk.next()?;
        self.count += 1;
        if self.hit_limit() {
            self.last_end = found.range.end;
        }
        Some(found)
    }
}

/// Decodes the attributes in `range` as fields.
pub fn attrs(cx: &Cx, range: Range<usize>, schema: Option<&Schema>, depth: usize) -> Vec<Field> {
    let siblings = range.clone();
    attrs_with(cx, range, |attr| {
        attr_field_in(cx, attr, schema, &siblings, depth)
    })
}

/// The attributes in `range` as fields, each made by `field`: the walk,
/// the field budget and what follows the last whole attribute (cut or
/// trailing bytes) are the same for every attribute decoder.
pub fn attrs_with(
    cx: &Cx,
    range: Range<usize>,
    mut field: impl FnMut(&RawAttr) -> Field,
) -> Vec<Field> {
    if !cx.tree {
        return Vec::new();
    }
    // Counting first (lengths only) sizes the vector exactly: no regrowing,
    // no oversized allocation.
    let count = AttrWalk::new(cx, range.clone()).count();
    let mut fields = Vec::with_capacity(count + 1);
    let mut walk = AttrWalk::new(cx, range);
    for attr in walk.by_ref() {
        if !cx.take() {
            fields.push(Field::new("…", "field limit reached"));
            return fields;
        }
        fields.push(field(&attr));
    }
    let rest = walk.rest();
    if walk.hit_limit() {
        fields.push(Field::new("…", "field limit reached"));
    } else if !rest.is_empty() && cx.take() {
        // Bytes that end where the capture was cut are the start of an
        // attribute the cut went through; anywhere else they are junk.
        let name = if cx.cut_at == Some(rest.end) {
            CUT_LABEL
        } else {
            "trailing bytes"
        };
        fields.push(
            Field::new(
                name,
                cat(&[&bytes_text(rest.len()), ": ", &hex(cx.bytes(rest.clone()))]),
            )
            .at(rest),
        );
    }
    fields
}

/// The name of an attribute no schema names: `attr 7`.
pub fn unnamed(kind: u16) -> Cow<'static, str> {
    Cow::Owned(cat_string(&["attr ", &num(kind)]))
}

/// One attribute of the list `siblings` as a field: name from the schema,
/// value by kind.
fn attr_field_in(
    cx: &Cx,
    attr: &RawAttr,
    schema: Option<&Schema>,
    siblings: &Range<usize>,
    depth: usize,
) -> Field {
    let spec = schema.and_then(|s| s.find(attr.kind));
    if let (None, Some(fallback)) = (spec, schema.and_then(|s| s.fallback)) {
        return fallback(cx, attr, None, siblings, depth);
    }
    let name: Cow<'static, str> = match spec {
        Some((_, name, _)) => Cow::Borrowed(name),
        None => unnamed(attr.kind),
    };
    let kind = spec.map(|s| s.2).unwrap_or(Kind::Auto);
    let big_endian = attr.net_byteorder || schema.is_some_and(|s| s.big_endian);
    let data = cx.bytes(attr.value.clone());
    let mut field = Field::new(name, CompactString::const_new("")).at(attr.range.clone());
    match kind {
        Kind::Nested(inner) => {
            field.value = Value::Nested(data.len() as u64);
            if depth < MAX_DEPTH {
                field.children = attrs(cx, attr.value.clone(), inner, depth + 1);
            }
        }
        Kind::Array(inner) => {
            field.value = Value::Array(data.len() as u64);
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
                        Field::new(format!("[{}]", element.kind), CompactString::const_new(""))
                            .at(element.range.clone())
                            .with_children(children),
                    );
                }
            }
        }
        Kind::Auto => {
            let inherited = schema.filter(|s| s.big_endian).map(|_| &BIG_ENDIAN_AUTO);
            guess_into(cx, attr, inherited, depth, &mut field);
        }
        Kind::With(hook) => {
            if let Some((_, name, _)) = spec {
                return hook(cx, attr, Some(name), siblings, depth);
            }
        }
        scalar => field.value = scalar_value(data, scalar, big_endian),
    }
    field
}

/// The best guess at an attribute of unknown kind, into `field`: nested
/// attributes (walked with `schema`, to depth [`MAX_DEPTH`]) when it reads
/// as such, else a value by [`guess_value`].
pub fn guess_into(
    cx: &Cx,
    attr: &RawAttr,
    schema: Option<&Schema>,
    depth: usize,
    field: &mut Field,
) {
    let data = cx.bytes(attr.value.clone());
    let big_endian = attr.net_byteorder || schema.is_some_and(|s| s.big_endian);
    if (attr.nested || looks_nested(cx, attr.value.clone())) && depth < MAX_DEPTH {
        field.value = Value::Nested(data.len() as u64);
        field.children = attrs(cx, attr.value.clone(), schema, depth + 1);
    } else {
        field.value = guess_value(data, big_endian);
    }
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
pub fn scalar_value(data: &[u8], kind: Kind, big_endian: bool) -> Value {
    let fixed = |n: usize| data.len() == n;
    match kind {
        Kind::U8 if fixed(1) => Value::Unsigned(data[0].into()),
        Kind::U16 if fixed(2) => Value::Unsigned(num16(data, big_endian).into()),
        Kind::U32 if fixed(4) => Value::Unsigned(num32(data, big_endian).into()),
        Kind::S32 if fixed(4) => Value::Signed((num32(data, big_endian) as i32).into()),
        Kind::U64 if fixed(8) => Value::Unsigned(num64(data, big_endian)),
        Kind::Be16 if fixed(2) => Value::Unsigned(num16(data, true).into()),
        Kind::Be32 if fixed(4) => Value::Unsigned(num32(data, true).into()),
        Kind::Be64 if fixed(8) => Value::Unsigned(num64(data, true)),
        Kind::Str => quoted_value(data),
        Kind::Ip if fixed(4) || fixed(16) => ip(data).into(),
        Kind::Mac if !data.is_empty() && data.len() <= 32 => mac(data).into(),
        Kind::Flag if data.is_empty() => Value::Text(CompactString::const_new("true")),
        Kind::Hex => hex(data).into(),
        Kind::Struct(list)
            if list
                .first()
                .is_some_and(|m| m.offset + m.size <= data.len()) =>
        {
            struct_text(data, list).into()
        }
        _ => guess_value(data, big_endian),
    }
}

/// `name value, name value, ...` for a fixed struct whose members are
/// numbers: the non-zero members that are there (older kernels send shorter
/// structs), how many are zero, then how many bytes follow that nlscope has
/// no names for (newer kernels). Counter blocks are mostly zeros, and a list
/// of the ones that are not reads better.
fn struct_text(data: &[u8], list: &[Member]) -> String {
    let mut out = String::with_capacity(list.len() * 24);
    let mut end = 0;
    let mut zero = 0;
    let mut present = 0;
    for m in list {
        let Some(bytes) = data.get(m.offset..m.offset + m.size) else {
            break;
        };
        present += 1;
        end = end.max(m.offset + m.size);
        if bytes.iter().all(|b| *b == 0) {
            zero += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(m.name);
        out.push(' ');
        scalar_value(bytes, m.kind, false).push_to(&mut out);
    }
    match (zero, out.is_empty()) {
        (0, _) => {}
        (_, true) if zero == 1 => out.push_str("zero"),
        (_, true) => {
            out.push_str("all ");
            out.push_str(&num(zero));
            out.push_str(" zero");
        }
        (_, false) => {
            out.push_str(" (");
            out.push_str(&num(zero));
            out.push_str(" more zero)");
        }
    }
    debug_assert!(present >= zero);
    // C pads a struct to its widest member; that is not "more".
    let align = list.iter().map(|m| m.size).max().unwrap_or(1);
    if data.len() > end.div_ceil(align) * align {
        let _ = write!(out, ", +{} bytes", data.len() - end);
    }
    out
}

/// Best guess for a value of unknown kind: text, a number, or hex.
pub fn guess_value(data: &[u8], big_endian: bool) -> Value {
    if let Some(text) = printable_string(data) {
        return quote_value(text);
    }
    match data.len() {
        0 => Value::Text(CompactString::const_new("(empty)")),
        1 => Value::Unsigned(data[0].into()),
        2 => Value::Unsigned(num16(data, big_endian).into()),
        4 => Value::Unsigned(num32(data, big_endian).into()),
        8 => Value::Unsigned(num64(data, big_endian)),
        _ => hex(data).into(),
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

/// `bytes` as text: borrowed when valid UTF-8 (nearly always, and checked
/// much faster than [`String::from_utf8_lossy`] checks), lossy otherwise.
pub fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Text payload as a quoted value: the trailing NULs dropped, control
/// characters escaped, cut at [`MAX_TEXT`] characters (the quotes are added
/// when it is shown).
pub fn quoted_value(data: &[u8]) -> Value {
    let mut end = data.len();
    while end > 0 && data[end - 1] == 0 {
        end -= 1;
    }
    quote_value(&utf8_lossy(&data[..end]))
}

/// `"text"` with control characters escaped (see [`escape_into`]), as a
/// [`Value`] (the quotes are added when it is shown).
pub fn quote_value(text: &str) -> Value {
    if !needs_escape(text) {
        return Value::Quoted(CompactString::from(text));
    }
    let mut out = String::with_capacity(text.len() + 8);
    escape_into(&mut out, text);
    Value::Quoted(CompactString::from(out))
}

/// Escapes control characters and cuts long text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT + 8));
    escape_into(&mut out, text);
    out
}

/// [`escape`] appending to `out`.
pub fn escape_into(out: &mut impl std::fmt::Write, text: &str) {
    if !needs_escape(text) {
        let _ = out.write_str(text);
        return;
    }
    for (count, c) in text.chars().enumerate() {
        if count >= MAX_TEXT {
            let _ = out.write_char('…');
            break;
        }
        let _ = match c {
            '"' => out.write_str("\\\""),
            '\\' => out.write_str("\\\\"),
            '\n' => out.write_str("\\n"),
            '\t' => out.write_str("\\t"),
            '\0' => out.write_str("\\0"),
            c if c.is_control() => write!(out, "\\x{:02x}", c as u32),
            c => out.write_char(c),
        };
    }
}

/// Concatenates `parts` into one value. Decoding builds most values this way
/// rather than with `format!`, whose formatting machinery costs several times
/// more than the copying (see `cargo bench --bench decode`).
pub fn cat(parts: &[&str]) -> CompactString {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total <= INLINE {
        // Short values are assembled on the stack and stored inline.
        let mut buffer = [0u8; INLINE];
        let mut at = 0;
        for part in parts {
            buffer[at..at + part.len()].copy_from_slice(part.as_bytes());
            at += part.len();
        }
        // Whole UTF-8 strings were copied, so this cannot fail.
        return CompactString::from(std::str::from_utf8(&buffer[..at]).unwrap_or_default());
    }
    // Longer ones keep the String's allocation.
    CompactString::from(cat_string(parts))
}

/// Bytes a `CompactString` holds without allocating.
const INLINE: usize = std::mem::size_of::<CompactString>();

/// True when [`escape_into`] would change `text` (or cut it).
fn needs_escape(text: &str) -> bool {
    // A fold without an early exit: the compiler vectorizes it.
    text.len() > MAX_TEXT
        || text.bytes().fold(false, |found, b| {
            found | (b < 0x20) | (b == b'"') | (b == b'\\') | (b >= 0x7f)
        })
}

/// [`cat`] into a `String`.
pub fn cat_string(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// A number as decimal text (no allocation for any integer).
pub fn num(n: impl ToCompactString) -> CompactString {
    n.to_compact_string()
}

/// `N bytes`.
pub fn bytes_text(n: usize) -> CompactString {
    cat(&[&num(n), " bytes"])
}

/// Lowercase hex, cut at [`MAX_HEX`] bytes.
pub fn hex(data: &[u8]) -> String {
    let shown = &data[..data.len().min(MAX_HEX)];
    // Two digits per byte from a table into a stack buffer, then one copy.
    let mut digits = [0u8; 2 * MAX_HEX];
    for (pair, byte) in digits.chunks_exact_mut(2).zip(shown) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(*byte)]);
    }
    let digits = &digits[..shown.len() * 2];
    let mut out = String::with_capacity(digits.len() + 24);
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(digits).unwrap_or_default());
    if data.len() > MAX_HEX {
        out.push_str("… (");
        out.push_str(&num(data.len()));
        out.push_str(" bytes)");
    }
    out
}

/// `HEX_PAIRS[b]` is `b` as two lowercase hex digits.
static HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut table = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = [DIGITS[i >> 4], DIGITS[i & 0xf]];
        i += 1;
    }
    table
};

/// `aa:bb:cc:...`.
pub fn mac(data: &[u8]) -> CompactString {
    // Assembled on the stack when short (always, for a real address): a
    // six-byte address is then stored inline, without any allocation.
    let mut stack = [0u8; 3 * 32];
    let mut heap;
    let text: &mut [u8] = if data.len() <= 32 {
        &mut stack
    } else {
        heap = vec![0u8; data.len() * 3];
        &mut heap
    };
    let mut at = 0;
    for (i, byte) in data.iter().enumerate() {
        if i > 0 {
            text[at] = b':';
            at += 1;
        }
        text[at..at + 2].copy_from_slice(&HEX_PAIRS[usize::from(*byte)]);
        at += 2;
    }
    // Only ASCII was written.
    CompactString::from_utf8(&text[..at]).unwrap_or_default()
}

/// `0x1a2b`: a number in lowercase hex as `{:#x}` writes it, without the
/// formatting machinery.
pub fn hex_number(n: u64) -> CompactString {
    let digits = (64 - n.leading_zeros()).div_ceil(4).max(1);
    let mut text = CompactString::const_new("0x");
    for i in (0..digits).rev() {
        text.push(char::from(HEX_PAIRS[((n >> (4 * i)) & 0xf) as usize][1]));
    }
    text
}

/// An IPv4 or IPv6 address (network byte order), hex otherwise.
pub fn ip(data: &[u8]) -> CompactString {
    match data.len() {
        4 => std::net::Ipv4Addr::new(data[0], data[1], data[2], data[3]).to_compact_string(),
        16 => {
            let mut b = [0u8; 16];
            b.copy_from_slice(data);
            std::net::Ipv6Addr::from(b).to_compact_string()
        }
        _ => hex(data).into(),
    }
}

/// One fixed-size field of a fixed header.
#[derive(Debug)]
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
    if !cx.tree {
        return Vec::new();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_formatters_match_the_formatting_machinery() {
        for n in [0u64, 1, 0xf, 0x10, 0x10049, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(hex_number(n), format!("{n:#x}"));
        }
        assert_eq!(mac(&[0, 0x1a, 0xff, 2, 3, 4]), "00:1a:ff:02:03:04");
        let long: Vec<u8> = (0..40).collect();
        let expected: Vec<String> = long.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(mac(&long), expected.join(":"));
    }

    #[test]
    fn values_read_the_same_whatever_their_shape() {
        let cases = [
            (Value::Bytes(4), "4 bytes"),
            (Value::Nested(12), "nested, 12 bytes"),
            (Value::Array(0), "array, 0 bytes"),
            (Value::Named(2, "AF_INET"), "2 (AF_INET)"),
            (quote_value("lo"), "\"lo\""),
            (quote_value("a\nb"), "\"a\\nb\""),
            (
                Value::Flags(0x301, Some(super::super::Op::Get)),
                "0x0301 (REQUEST|DUMP)",
            ),
        ];
        for (value, text) in cases {
            assert_eq!(value.text(), text);
            assert_eq!(value.to_string(), text);
            assert_eq!(value, Value::from(text));
            assert_eq!(
                serde_json::to_string(&value).unwrap(),
                serde_json::to_string(text).unwrap()
            );
            let mut bytes = Vec::new();
            value.append_to(&mut bytes);
            assert_eq!(bytes, text.as_bytes());
            assert_eq!(value.number(), None);
        }
    }
}
