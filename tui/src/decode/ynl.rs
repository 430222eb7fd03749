//! Decoding under a YNL spec ([`crate::ynl`]): attributes, structs and
//! fixed headers as the spec describes them, into the decoder's fields.
//!
//! The walk is the decoder's own ([`nla::attrs_with`]: the field budget, cut
//! and trailing bytes); this module only says what each attribute is. Names
//! are the spec's (`ifname`, `wiphy`); a type the spec does not know is
//! `attr N`, guessed as the walker guesses it. Every field keeps the bytes
//! it came from, and nesting stops at [`MAX_DEPTH`].

use std::ops::Range;

use compact_str::CompactString;

use super::nla::{self, cat, hex, hex_number, Cx, RawAttr, MAX_DEPTH};
use super::{Field, Value};
use crate::ynl::{
    Attr, AttrKind, Direction, EnumUse, Family, Hint, MemberKind, Op, Order, Scalar, SetId,
    StructId,
};

/// An attribute list being decoded: its set and bytes, and the list it is
/// nested in (a sub-message's selector may be an attribute of either).
#[derive(Clone, Copy)]
struct Scope<'s> {
    set: Option<SetId>,
    start: usize,
    end: usize,
    outer: Option<&'s Scope<'s>>,
}

/// The attributes in `range` as attributes of `set` of `family`.
pub fn attrs(
    cx: &Cx,
    family: &Family,
    set: Option<SetId>,
    range: Range<usize>,
    depth: usize,
) -> Vec<Field> {
    walk(cx, family, set, range, depth, None)
}

fn walk(
    cx: &Cx,
    family: &Family,
    set: Option<SetId>,
    range: Range<usize>,
    depth: usize,
    outer: Option<&Scope>,
) -> Vec<Field> {
    let scope = Scope {
        set,
        start: range.start,
        end: range.end,
        outer,
    };
    nla::attrs_with(cx, range, |raw| {
        attr_field(cx, family, &scope, raw, None, depth)
    })
}

/// One attribute of the list `scope`, named `name` (else by the spec).
fn attr_field(
    cx: &Cx,
    family: &Family,
    scope: &Scope,
    raw: &RawAttr,
    name: Option<&'static str>,
    depth: usize,
) -> Field {
    let spec = scope.set.and_then(|set| family.set(set).find(raw.kind));
    let Some(spec) = spec else {
        let mut field =
            Field::new(name_or_unnamed(name, raw.kind), Value::EMPTY).at(raw.range.clone());
        nla::guess_into(cx, raw, None, depth, &mut field);
        return field;
    };
    let mut field = Field::new(name.unwrap_or(spec.name), Value::EMPTY).at(raw.range.clone());
    let data = cx.bytes(raw.value.clone());
    let order = match spec.order {
        Order::Native if raw.net_byteorder => Order::Big,
        order => order,
    };
    let value = raw.value.clone();
    field.value = match &spec.kind {
        AttrKind::Unused => {
            nla::guess_into(cx, raw, None, depth, &mut field);
            return field;
        }
        AttrKind::Pad => hex(data).into(),
        AttrKind::Flag if data.is_empty() => Value::Text(CompactString::const_new("true")),
        AttrKind::Flag => nla::guess_value(data, false),
        AttrKind::Int { size, signed } if data.len() == usize::from(*size) => {
            int_value(family, data, *signed, order, spec.enumeration, spec.hint)
        }
        AttrKind::Var { signed } if data.len() == 4 || data.len() == 8 => {
            int_value(family, data, *signed, order, spec.enumeration, spec.hint)
        }
        AttrKind::Int { .. } | AttrKind::Var { .. } => nla::guess_value(data, order == Order::Big),
        AttrKind::String => nla::quoted_value(data),
        AttrKind::Binary {
            structure: Some(id),
            ..
        } => {
            field.children = struct_fields(cx, family, *id, value, depth + 1);
            Value::Bytes(data.len() as u64)
        }
        AttrKind::Binary {
            array: Some(sub), ..
        } => {
            field.children = array_fields(cx, family, spec, *sub, order, value);
            Value::Array(data.len() as u64)
        }
        AttrKind::Binary { .. } => {
            if spec.hint == Hint::None && nla::looks_nested(cx, value.clone()) {
                nla::guess_into(cx, raw, None, depth, &mut field);
                return field;
            }
            bytes_value(data, spec.hint)
        }
        AttrKind::Bitfield32 if data.len() == 8 => {
            let half = |at: usize| value.start + at..value.start + at + 4;
            field.children = [("value", half(0)), ("selector", half(4))]
                .into_iter()
                .filter(|_| cx.tree && cx.take())
                .map(|(part, range)| {
                    let v = int_value(
                        family,
                        cx.bytes(range.clone()),
                        false,
                        Order::Native,
                        spec.enumeration,
                        spec.hint,
                    );
                    Field::new(part, v).at(range)
                })
                .collect();
            Value::Bytes(8)
        }
        AttrKind::Bitfield32 => nla::guess_value(data, false),
        AttrKind::Nest(set) => {
            if depth < MAX_DEPTH {
                field.children = walk(cx, family, *set, value, depth + 1, Some(scope));
            }
            Value::Nested(data.len() as u64)
        }
        AttrKind::IndexedArray { sub, set } => {
            if depth < MAX_DEPTH {
                field.children = indexed(cx, family, spec, *sub, *set, order, scope, value, depth);
            }
            Value::Array(data.len() as u64)
        }
        AttrKind::NestTypeValue { names, set } => {
            if depth < MAX_DEPTH {
                field.children = type_values(cx, family, names, *set, scope, value, depth + 1);
            }
            Value::Nested(data.len() as u64)
        }
        AttrKind::SubMessage { id, selector } => {
            let sub = &family.sub_messages[*id];
            let format =
                selector_value(cx, family, scope, selector).and_then(|chosen| sub.format(&chosen));
            let Some(format) = format else {
                // Without a format the content is unknown: guessed.
                nla::guess_into(cx, raw, None, depth, &mut field);
                return field;
            };
            let mut start = value.start;
            if let Some(header) = format.fixed_header {
                let end = (start + family.structs[header].size).min(value.end);
                field.children = struct_fields(cx, family, header, start..end, depth + 1);
                start = end;
            }
            if format.set.is_some() && start < value.end && depth < MAX_DEPTH {
                let inner = walk(
                    cx,
                    family,
                    format.set,
                    start..value.end,
                    depth + 1,
                    Some(scope),
                );
                field.children.extend(inner);
            }
            if format.set.is_some() {
                Value::Nested(data.len() as u64)
            } else {
                Value::Bytes(data.len() as u64)
            }
        }
    };
    field
}

/// The elements of an indexed array: `[index]` each, its content by `sub`.
#[allow(clippy::too_many_arguments)]
fn indexed(
    cx: &Cx,
    family: &Family,
    spec: &Attr,
    sub: Scalar,
    set: Option<SetId>,
    order: Order,
    scope: &Scope,
    range: Range<usize>,
    depth: usize,
) -> Vec<Field> {
    nla::attrs_with(cx, range, |element| {
        let name = cat(&["[", &nla::num(element.kind), "]"]);
        let mut field = Field::new(name.to_string(), Value::EMPTY).at(element.range.clone());
        let data = cx.bytes(element.value.clone());
        field.value = match sub {
            Scalar::Nest => {
                if depth + 1 < MAX_DEPTH {
                    field.children = walk(
                        cx,
                        family,
                        set,
                        element.value.clone(),
                        depth + 2,
                        Some(scope),
                    );
                }
                Value::Nested(data.len() as u64)
            }
            _ => element_value(family, spec, sub, order, data),
        };
        field
    })
}

/// The numbers of a `binary` attribute with a `sub-type`: `[i]` each.
fn array_fields(
    cx: &Cx,
    family: &Family,
    spec: &Attr,
    sub: Scalar,
    order: Order,
    range: Range<usize>,
) -> Vec<Field> {
    let size = match sub {
        Scalar::Int { size, .. } => usize::from(size),
        _ => return Vec::new(),
    };
    if !cx.tree {
        return Vec::new();
    }
    let mut fields = Vec::new();
    let mut at = range.start;
    let mut index = 0usize;
    while at + size <= range.end && cx.take() {
        let data = cx.bytes(at..at + size);
        let value = element_value(family, spec, sub, order, data);
        fields.push(
            Field::new(cat(&["[", &nla::num(index), "]"]).to_string(), value).at(at..at + size),
        );
        at += size;
        index += 1;
    }
    fields
}

/// One element of an array, by its type.
fn element_value(family: &Family, spec: &Attr, sub: Scalar, order: Order, data: &[u8]) -> Value {
    match sub {
        Scalar::Int { size, signed } if data.len() == usize::from(size) => {
            int_value(family, data, signed, order, spec.enumeration, spec.hint)
        }
        Scalar::Var { signed } if data.len() == 4 || data.len() == 8 => {
            int_value(family, data, signed, order, spec.enumeration, spec.hint)
        }
        Scalar::String => nla::quoted_value(data),
        Scalar::Binary => bytes_value(data, spec.hint),
        _ => nla::guess_value(data, order == Order::Big),
    }
}

/// A nest-type-value attribute: each level's attribute types are values
/// (named by `names`), the innermost holding attributes of `set`.
fn type_values(
    cx: &Cx,
    family: &Family,
    names: &[&'static str],
    set: Option<SetId>,
    scope: &Scope,
    range: Range<usize>,
    depth: usize,
) -> Vec<Field> {
    let Some((&name, rest)) = names.split_first() else {
        return walk(cx, family, set, range, depth, Some(scope));
    };
    nla::attrs_with(cx, range, |inner| {
        let mut field =
            Field::new(name, Value::Unsigned(inner.kind.into())).at(inner.range.clone());
        if depth < MAX_DEPTH {
            field.children =
                type_values(cx, family, rest, set, scope, inner.value.clone(), depth + 1);
        }
        field
    })
}

/// The value of the attribute named `selector` in `scope` or a list around
/// it, as text a sub-message format is matched against: a string's text,
/// an enum's entry name, a number's digits.
fn selector_value(cx: &Cx, family: &Family, scope: &Scope, selector: &str) -> Option<String> {
    let mut at = Some(scope);
    while let Some(scope) = at {
        let found = scope
            .set
            .and_then(|set| family.set(set).by_name(selector))
            .and_then(|spec| {
                nla::AttrWalk::new(cx, scope.start..scope.end)
                    .find(|a| a.kind == spec.value)
                    .map(|raw| (spec, raw))
            });
        if let Some((spec, raw)) = found {
            let data = cx.bytes(raw.value);
            return Some(match spec.kind {
                AttrKind::String => crate::netlink::attr::c_string(data),
                AttrKind::Int { .. } | AttrKind::Var { .. } => {
                    let n = read(data, spec.order);
                    spec.enumeration
                        .and_then(|e| family.enums[e.id].name_of(n))
                        .map_or_else(|| n.to_string(), str::to_string)
                }
                _ => return None,
            });
        }
        at = scope.outer;
    }
    None
}

/// The members of struct `id` over `range`: each one that is wholly there
/// (older kernels send shorter structs), then what follows, if anything.
fn struct_fields(
    cx: &Cx,
    family: &Family,
    id: StructId,
    range: Range<usize>,
    depth: usize,
) -> Vec<Field> {
    if !cx.tree {
        return Vec::new();
    }
    let layout = &family.structs[id];
    let mut fields = Vec::with_capacity(layout.members.len());
    let end = range.end.min(cx.payload.len());
    for m in &layout.members {
        let from = range.start + m.offset;
        let to = from + m.size;
        if to > end {
            break;
        }
        if m.kind == MemberKind::Pad {
            continue;
        }
        if !cx.take() {
            break;
        }
        let data = cx.bytes(from..to);
        let mut field = Field::new(m.name, Value::EMPTY).at(from..to);
        field.value = match m.kind {
            MemberKind::Int { signed } => {
                int_value(family, data, signed, m.order, m.enumeration, m.hint)
            }
            MemberKind::String => nla::quoted_value(data),
            MemberKind::Binary | MemberKind::Pad => bytes_value(data, m.hint),
            MemberKind::Struct(inner) => {
                if depth < MAX_DEPTH {
                    field.children = struct_fields(cx, family, inner, from..to, depth + 1);
                }
                Value::Bytes(m.size as u64)
            }
        };
        fields.push(field);
    }
    let used = range.start + layout.size;
    if used < end && cx.take() {
        fields.push(
            Field::new(
                "more",
                cat(&[
                    &nla::bytes_text(end - used),
                    ": ",
                    &hex(cx.bytes(used..end)),
                ]),
            )
            .at(used..end),
        );
    }
    fields
}

/// A number of 1, 2, 4 or 8 bytes in `order`.
fn read(data: &[u8], order: Order) -> u64 {
    let mut bytes = [0u8; 8];
    let n = data.len().min(8);
    match order {
        Order::Big => {
            bytes[8 - n..].copy_from_slice(&data[..n]);
            u64::from_be_bytes(bytes)
        }
        Order::Little => {
            bytes[..n].copy_from_slice(&data[..n]);
            u64::from_le_bytes(bytes)
        }
        Order::Native => {
            if cfg!(target_endian = "big") {
                read(data, Order::Big)
            } else {
                read(data, Order::Little)
            }
        }
    }
}

/// A number with what the spec says of it: an enum's name, flag names, or
/// its display hint.
fn int_value(
    family: &Family,
    data: &[u8],
    signed: bool,
    order: Order,
    enumeration: Option<EnumUse>,
    hint: Hint,
) -> Value {
    let n = read(data, order);
    if let Some(e) = enumeration {
        let table = &family.enums[e.id];
        if e.as_flags || table.flags {
            return flags_value(family, e, n);
        }
        if let Some(name) = table.name_of(n) {
            return Value::Named(n, name);
        }
    }
    match hint {
        Hint::Hex => return hex_number(n).into(),
        // Addresses are in network order whatever the number's order.
        Hint::Ipv4 | Hint::Ip if data.len() == 4 => return nla::ip(data).into(),
        Hint::Mac => return nla::mac(data).into(),
        _ => {}
    }
    if signed {
        let bits = 64 - 8 * data.len().min(8) as u32;
        Value::Signed(((n << bits) as i64) >> bits)
    } else {
        Value::Unsigned(n)
    }
}

/// `0x5 (up|running)`: the bits set, named; bits without a name in hex.
fn flags_value(family: &Family, e: EnumUse, bits: u64) -> Value {
    if bits == 0 {
        return Value::Unsigned(0);
    }
    let table = &family.enums[e.id];
    let mut names = String::new();
    let mut unnamed = 0u64;
    for bit in 0..64 {
        if bits & (1 << bit) == 0 {
            continue;
        }
        match table.name_of(bit) {
            Some(name) => {
                if !names.is_empty() {
                    names.push('|');
                }
                names.push_str(name);
            }
            None => unnamed |= 1 << bit,
        }
    }
    if unnamed != 0 {
        if !names.is_empty() {
            names.push('|');
        }
        names.push_str(&hex_number(unnamed));
    }
    cat(&[&hex_number(bits), " (", &names, ")"]).into()
}

/// Bytes as their display hint says, hex otherwise.
fn bytes_value(data: &[u8], hint: Hint) -> Value {
    match hint {
        Hint::Mac if !data.is_empty() => nla::mac(data).into(),
        Hint::Ipv4 | Hint::Ipv6 | Hint::Ip if data.len() == 4 || data.len() == 16 => {
            nla::ip(data).into()
        }
        Hint::Uuid if data.len() == 16 => uuid(data).into(),
        _ => hex(data).into(),
    }
}

/// `8-4-4-4-12` hex digits.
fn uuid(data: &[u8]) -> String {
    let digits = hex(data);
    cat_dashes(&digits, &[8, 4, 4, 4, 12])
}

fn cat_dashes(digits: &str, groups: &[usize]) -> String {
    let mut out = String::with_capacity(digits.len() + groups.len());
    let mut at = 0;
    for (i, len) in groups.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        out.push_str(&digits[at..at + len]);
        at += len;
    }
    out
}

/// The operation a message of id `id` going `direction` belongs to. Several
/// operations may share an id (rtnetlink's notifications and replies, a
/// directional family's requests and replies): the one whose attribute list
/// for this message names most of the attributes present is chosen, the
/// first in the spec on a tie.
pub fn operation<'f>(
    cx: &Cx,
    family: &'f Family,
    id: u32,
    direction: Direction,
    dump: bool,
    attributes: Range<usize>,
) -> Option<&'f Op> {
    let mut candidates = family.ops_with(id, direction);
    let first = candidates.next()?;
    let Some(second) = candidates.next() else {
        return Some(first);
    };
    let present: Vec<u16> = nla::AttrWalk::new(cx, attributes)
        .take(256)
        .map(|a| a.kind)
        .collect();
    let score = |op: &Op| {
        op.list(direction, dump).map_or(0, |list| {
            present.iter().filter(|k| list.contains(k)).count()
        })
    };
    let mut best = (score(first), first);
    for op in std::iter::once(second).chain(candidates) {
        let s = score(op);
        if s > best.0 {
            best = (s, op);
        }
    }
    Some(best.1)
}

/// A fixed header (a struct the spec names) at `range` as one field.
pub fn header_field(cx: &Cx, family: &Family, id: StructId, range: Range<usize>) -> Field {
    let layout = &family.structs[id];
    let end = (range.start + layout.size).min(range.end);
    Field::new(layout.name, Value::Bytes((end - range.start) as u64))
        .at(range.start..end)
        .with_children(struct_fields(cx, family, id, range.start..end, 1))
}

/// Functions that decode an attribute by a spec from a hand-written schema
/// ([`nla::Kind::With`], [`nla::Schema::or_else`]): `attr` decodes as the
/// spec's attribute of its type in the set (its name kept when the schema
/// has one), `nest` decodes the payload as attributes of the set. For the
/// protocol decoders beside this module (`super::ynl` is this module there).
macro_rules! spec_hooks {
    ($($hook:ident: $how:ident $family:literal $set:literal;)*) => {
        $(
            fn $hook(
                cx: &super::nla::Cx,
                attr: &super::nla::RawAttr,
                name: Option<&'static str>,
                siblings: &std::ops::Range<usize>,
                depth: usize,
            ) -> super::Field {
                static AT: super::ynl::SpecSet = super::ynl::SpecSet {
                    family: $family,
                    set: $set,
                };
                spec_hooks!(@call $how cx, &AT, attr, name, siblings, depth)
            }
        )*
    };
    (@call attr $($arg:expr),*) => { super::ynl::spec_attr($($arg),*) };
    (@call nest $cx:expr, $at:expr, $attr:expr, $name:expr, $siblings:expr, $depth:expr) => {{
        let _ = $siblings;
        super::ynl::spec_nest($cx, $at, $attr, $name, $depth)
    }};
}
pub(crate) use spec_hooks;

/// Where a spec is used from a hand-written schema ([`nla::Kind::With`]): an
/// attribute of `family`'s set `set`, by name.
pub struct SpecSet {
    pub family: &'static str,
    pub set: &'static str,
}

/// Decodes `raw`, an attribute of the list `siblings`, as the spec's
/// attribute of its type in `at`, under the hand-written schema's `name`
/// (the spec's when `None`). Guessed when the spec is not there.
pub fn spec_attr(
    cx: &Cx,
    at: &SpecSet,
    raw: &RawAttr,
    name: Option<&'static str>,
    siblings: &Range<usize>,
    depth: usize,
) -> Field {
    let Some((family, set)) = spec_set(cx, at) else {
        return guessed(cx, raw, name, depth);
    };
    let scope = Scope {
        set: Some(set),
        start: siblings.start,
        end: siblings.end,
        outer: None,
    };
    attr_field(cx, family, &scope, raw, name, depth)
}

/// Decodes `raw`'s payload as attributes of the spec's set `at`, under
/// `name`. Guessed when the spec is not there.
pub fn spec_nest(
    cx: &Cx,
    at: &SpecSet,
    raw: &RawAttr,
    name: Option<&'static str>,
    depth: usize,
) -> Field {
    let Some((family, set)) = spec_set(cx, at) else {
        return guessed(cx, raw, name, depth);
    };
    let data_len = raw.value.len() as u64;
    let mut field =
        Field::new(name_or_unnamed(name, raw.kind), Value::Nested(data_len)).at(raw.range.clone());
    if depth < MAX_DEPTH {
        field.children = attrs(cx, family, Some(set), raw.value.clone(), depth + 1);
    }
    field
}

/// The family and set `at` names, when the context's specs have them.
fn spec_set<'c>(cx: &Cx<'c>, at: &SpecSet) -> Option<(&'c Family, SetId)> {
    let family = cx.context.specs().family(at.family)?;
    Some((family, family.set_named(at.set)?))
}

/// `name`, or `attr N` without one.
fn name_or_unnamed(name: Option<&'static str>, kind: u16) -> std::borrow::Cow<'static, str> {
    name.map_or_else(|| nla::unnamed(kind), Into::into)
}

fn guessed(cx: &Cx, raw: &RawAttr, name: Option<&'static str>, depth: usize) -> Field {
    let mut field = Field::new(name_or_unnamed(name, raw.kind), Value::EMPTY).at(raw.range.clone());
    nla::guess_into(cx, raw, None, depth, &mut field);
    field
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::decode::{decode_bytes, summarize_bytes, DecodeContext};
    use crate::netlink::attr::attr;
    use crate::netlink::header::build_message;
    use crate::netlink::{NLM_F_DUMP, NLM_F_REQUEST};
    use crate::ynl::{Source, Specs};

    const TOY: &str = r#"
name: toyfam
protocol: genetlink-legacy
definitions:
  - { name: colour, type: enum, entries: [red, green, blue] }
  - { name: opts, type: flags, entries: [fast, safe, loud] }
  - { name: level, type: enum, entries: [low, mid, high] }
  - name: hdr
    type: struct
    members:
      - { name: index, type: u32 }
      - { name: port, type: u16, byte-order: big-endian }
      - { name: mac, type: binary, len: 6, display-hint: mac }
  - name: pair
    type: struct
    members:
      - { name: left, type: u16, enum: colour }
      - { name: gap, type: pad, len: 2 }
      - { name: right, type: s32 }
attribute-sets:
  - name: main
    attributes:
      - { name: name, type: string }
      - { name: colour, type: u8, enum: colour }
      - { name: opts, type: u32, enum: opts }
      - { name: levels, type: u32, enum: level, enum-as-flags: true }
      - { name: addr, type: u32, byte-order: big-endian, display-hint: ipv4 }
      - { name: addr6, type: binary, display-hint: ipv6 }
      - { name: id, type: binary, display-hint: uuid }
      - { name: mask, type: u32, display-hint: hex }
      - { name: big, type: uint }
      - { name: small, type: sint }
      - { name: bits, type: bitfield32, enum: opts }
      - { name: inner, type: nest, nested-attributes: inner }
      - { name: item, type: nest, nested-attributes: inner, multi-attr: true }
      - { name: table, type: indexed-array, sub-type: nest, nested-attributes: inner }
      - { name: numbers, type: indexed-array, sub-type: u16 }
      - { name: kind, type: string }
      - { name: data, type: sub-message, sub-message: data-msg, selector: kind }
      - { name: policy, type: nest-type-value, type-value: [policy-id, attr-id], nested-attributes: inner }
      - { name: pair, type: binary, struct: pair }
      - { name: port, type: u16, byte-order: big-endian }
      - { name: words, type: binary, sub-type: u32 }
      - { name: mac, type: binary, display-hint: mac }
  - name: inner
    attributes:
      - { name: a, type: u8 }
      - { name: b, type: string }
      - { name: nested-data, type: sub-message, sub-message: data-msg, selector: kind }
  - name: only-name
    subset-of: main
    attributes:
      - name: name
sub-messages:
  - name: data-msg
    formats:
      - { value: alpha, attribute-set: inner }
      - { value: beta, fixed-header: pair }
operations:
  fixed-header: hdr
  list:
    - name: get
      attribute-set: main
      do:
        request: { attributes: [name] }
        reply: { attributes: [name, colour] }
      dump: {}
    - name: sub
      attribute-set: only-name
      do: { request: { attributes: [name] } }
"#;

    /// A context that knows family "toyfam" as generic netlink id 0x30.
    fn context() -> DecodeContext {
        let mut specs = Specs::with_builtin();
        specs
            .add_text("toyfam.yaml", Source::BuiltIn, TOY.to_string())
            .unwrap();
        let mut context = DecodeContext::with_specs(Arc::new(specs));
        context.add_family(0x30, "toyfam", Vec::new());
        context
    }

    fn cstr(text: &str) -> Vec<u8> {
        [text.as_bytes(), &[0]].concat()
    }

    /// A toyfam message of command `cmd` with `attrs` after the fixed header.
    fn message(cmd: u8, flags: u16, attrs: &[Vec<u8>]) -> Vec<u8> {
        let mut body = vec![cmd, 1, 0, 0];
        body.extend_from_slice(&7u32.to_ne_bytes());
        body.extend_from_slice(&8080u16.to_be_bytes());
        body.extend_from_slice(&[2, 0, 0, 0xaa, 0xbb, 0xcc]);
        body.extend(attrs.concat());
        build_message(0x30, flags, 1, 0, &body)
    }

    fn decoded(bytes: &[u8]) -> String {
        let context = context();
        let decoded = decode_bytes(16, bytes, &context);
        assert_eq!(summarize_bytes(16, bytes, &context), decoded.summary);
        decoded.to_text()
    }

    fn assert_lines(text: &str, lines: &[&str]) {
        for line in lines {
            assert!(
                text.lines().any(|l| l.trim_start() == *line),
                "no line {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn a_message_is_named_by_its_operation_with_its_fixed_header() {
        let bytes = message(1, NLM_F_REQUEST, &[attr(1, &cstr("eth0"))]);
        let text = decoded(&bytes);
        assert!(text.starts_with("summary: toyfam get\n"), "{text}");
        assert_lines(
            &text,
            &[
                "cmd: 1 (get) [16..17]",
                "hdr: 12 bytes [20..32]",
                "index: 7 [20..24]",
                "port: 8080 [24..26]",
                "mac: 02:00:00:aa:bb:cc [26..32]",
                "attributes: 12 bytes [32..44]",
                "name: \"eth0\" [32..41]",
            ],
        );
        let dump = message(1, NLM_F_REQUEST | NLM_F_DUMP, &[]);
        assert!(decoded(&dump).starts_with("summary: toyfam get dump\n"));
        // A command the spec does not list: its number, the family's attributes.
        let text = decoded(&message(9, 0, &[attr(2, &[1])]));
        assert!(text.starts_with("summary: toyfam cmd 9\n"), "{text}");
        assert_lines(&text, &["colour: 1 (green) [32..37]"]);
    }

    #[test]
    fn numbers_read_as_the_spec_says() {
        let bytes = message(
            1,
            0,
            &[
                attr(2, &[2]),
                attr(3, &5u32.to_ne_bytes()),
                attr(3, &(1u32 << 5 | 1).to_ne_bytes()),
                attr(4, &6u32.to_ne_bytes()),
                attr(5, &[192, 0, 2, 1]),
                attr(
                    6,
                    &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                ),
                attr(7, &(0u8..16).collect::<Vec<u8>>()),
                attr(8, &0xbeefu32.to_ne_bytes()),
                attr(9, &7u32.to_ne_bytes()),
                attr(9, &(1u64 << 40).to_ne_bytes()),
                attr(10, &(-3i32).to_ne_bytes()),
                attr(10, &(-4i64).to_ne_bytes()),
                attr(11, &[&3u32.to_ne_bytes()[..], &7u32.to_ne_bytes()].concat()),
                attr(20, &443u16.to_be_bytes()),
                attr(21, &[&1u32.to_ne_bytes()[..], &2u32.to_ne_bytes()].concat()),
                attr(2, &[9]),
                attr(30, &[1, 2, 3, 4]),
            ],
        );
        let text = decoded(&bytes);
        assert_lines(
            &text,
            &[
                "colour: 2 (blue) [32..37]",
                "opts: 0x5 (fast|loud) [40..48]",
                "opts: 0x21 (fast|0x20) [48..56]",
                "levels: 0x6 (mid|high) [56..64]",
                "addr: 192.0.2.1 [64..72]",
                "addr6: 2001:db8::1 [72..92]",
                "id: 00010203-0405-0607-0809-0a0b0c0d0e0f [92..112]",
                "mask: 0xbeef [112..120]",
                "big: 7 [120..128]",
                "big: 1099511627776 [128..140]",
                "small: -3 [140..148]",
                "small: -4 [148..160]",
                "bits: 8 bytes [160..172]",
                "value: 0x3 (fast|safe) [164..168]",
                "selector: 0x7 (fast|safe|loud) [168..172]",
                "port: 443 [172..178]",
                "words: array, 8 bytes [180..192]",
                "[0]: 1 [184..188]",
                "[1]: 2 [188..192]",
                "colour: 9 [192..197]",
                "attr 30: 67305985 [200..208]",
            ],
        );
    }

    #[test]
    fn nests_arrays_and_sub_messages_follow_the_spec() {
        let inner = [attr(1, &[5]), attr(2, &cstr("x"))].concat();
        let bytes = message(
            1,
            0,
            &[
                attr(12, &inner),
                attr(13, &attr(1, &[1])),
                attr(13, &attr(1, &[2])),
                attr(
                    14,
                    &[attr(0, &attr(1, &[3])), attr(1, &attr(2, &cstr("y")))].concat(),
                ),
                attr(
                    15,
                    &[attr(0, &4u16.to_ne_bytes()), attr(1, &5u16.to_ne_bytes())].concat(),
                ),
                attr(16, &cstr("alpha")),
                attr(17, &[attr(1, &[6]), attr(3, &attr(1, &[7]))].concat()),
                attr(18, &attr(2, &attr(9, &attr(1, &[8])))),
                attr(
                    19,
                    &[&2u16.to_ne_bytes()[..], &[0, 0], &(-1i32).to_ne_bytes()].concat(),
                ),
            ],
        );
        let text = decoded(&bytes);
        assert_lines(
            &text,
            &[
                "inner: nested, 16 bytes [32..52]",
                "a: 5 [36..41]",
                "b: \"x\" [44..50]",
                "item: nested, 8 bytes [52..64]",
                "a: 1 [56..61]",
                "item: nested, 8 bytes [64..76]",
                "a: 2 [68..73]",
                "table: array, 24 bytes [76..104]",
                "[0]: nested, 8 bytes [80..92]",
                "a: 3 [84..89]",
                "[1]: nested, 8 bytes [92..104]",
                "b: \"y\" [96..102]",
                "numbers: array, 16 bytes [104..124]",
                "[0]: 4 [108..114]",
                "[1]: 5 [116..122]",
                "kind: \"alpha\" [124..134]",
                // The selector is the sibling `kind`, also for a nest inside.
                "data: nested, 20 bytes [136..160]",
                "a: 6 [140..145]",
                "nested-data: nested, 8 bytes [148..160]",
                "a: 7 [152..157]",
                "policy: nested, 16 bytes [160..180]",
                "policy-id: 2 [164..180]",
                "attr-id: 9 [168..180]",
                "a: 8 [172..177]",
                "pair: 8 bytes [180..192]",
                "left: 2 (blue) [184..186]",
                "right: -1 [188..192]",
            ],
        );
        assert_eq!(text.matches("item: nested").count(), 2, "{text}");
        // Another selector value, another format: a struct.
        let bytes = message(
            1,
            0,
            &[
                attr(16, &cstr("beta")),
                attr(
                    17,
                    &[&1u16.to_ne_bytes()[..], &[0, 0], &9i32.to_ne_bytes()].concat(),
                ),
                attr(16, &cstr("gamma")),
            ],
        );
        let text = decoded(&bytes);
        assert_lines(
            &text,
            &[
                "data: 8 bytes [44..56]",
                "left: 1 (green) [48..50]",
                "right: 9 [52..56]",
            ],
        );
    }

    #[test]
    fn an_unknown_selector_value_or_a_subset_keeps_what_is_known() {
        // No format for the kind: the content is guessed, still named.
        let text = decoded(&message(
            1,
            0,
            &[attr(16, &cstr("gamma")), attr(17, &attr(1, &[1, 2, 3, 4]))],
        ));
        assert_lines(
            &text,
            &[
                "data: nested, 8 bytes [44..56]",
                "attr 1: 67305985 [48..56]",
            ],
        );
        // An operation on a subset: the parent's ids, only the subset's names.
        let text = decoded(&message(
            2,
            NLM_F_REQUEST,
            &[attr(1, &cstr("a")), attr(2, &[0])],
        ));
        assert!(text.starts_with("summary: toyfam sub\n"), "{text}");
        assert_lines(&text, &["name: \"a\" [32..38]", "attr 2: 0 [40..45]"]);
    }

    #[test]
    fn a_cut_or_short_value_is_shown_as_it_is() {
        // A u8 of two bytes, a struct of two bytes, a bitfield of four.
        let text = decoded(&message(
            1,
            0,
            &[attr(2, &[1, 2]), attr(19, &[1, 0]), attr(11, &[1, 0, 0, 0])],
        ));
        assert_lines(
            &text,
            &[
                "colour: 513 [32..38]",
                "pair: 2 bytes [40..46]",
                "left: 1 (green) [44..46]",
                "bits: 1 [48..56]",
            ],
        );
        // Cut in the middle of the attributes: the rest is `cut`.
        let bytes = message(1, 0, &[attr(1, &cstr("abcdefgh"))]);
        let mut captured = crate::event::CapturedMessage {
            protocol: 16,
            len: bytes.len() as u32,
            payload: bytes[..38].to_vec(),
            ..Default::default()
        };
        let text = crate::decode::decode(&captured, &context()).to_text();
        assert_lines(&text, &["cut: 6 bytes: 0d0001006162 [32..38]"]);
        captured.payload.truncate(30);
        let text = crate::decode::decode(&captured, &context()).to_text();
        assert_lines(&text, &["index: 7 [20..24]", "port: 8080 [24..26]"]);
        assert!(!text.contains("mac:"), "{text}");
    }

    /// Attributes whose types mostly exist in the specs' sets (small
    /// numbers), with values of any length, nested a few levels.
    fn attribute_bytes() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let leaf = (0u16..48, prop::collection::vec(any::<u8>(), 0..24))
            .prop_map(|(kind, data)| attr(kind, &data));
        leaf.prop_recursive(4, 64, 6, |inner| {
            (0u16..48, any::<bool>(), prop::collection::vec(inner, 0..6)).prop_map(
                |(kind, flag, children)| {
                    attr(if flag { kind | 0x8000 } else { kind }, &children.concat())
                },
            )
        })
    }

    fn check_fields(fields: &[crate::decode::Field], len: usize, depth: usize, count: &mut usize) {
        for field in fields {
            *count += 1;
            assert!(depth <= 32, "too deep at {}", field.name);
            if let Some(range) = &field.bytes {
                assert!(
                    range.start <= range.end && range.end <= len,
                    "{}: {range:?}",
                    field.name
                );
            }
            assert!(field.value.text().len() <= 4096, "{}", field.name);
            check_fields(&field.children, len, depth + 1, count);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(10_000))]

        /// Random attributes decoded under every set of every embedded
        /// spec: no panic, ranges inside the buffer, bounded work.
        #[test]
        fn random_bytes_under_every_spec_never_panic(
            family in 0usize..64,
            set in 0usize..128,
            head in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8),
            body in proptest::collection::vec(attribute_bytes(), 0..8),
            cut in 0usize..4,
        ) {
            let specs = Specs::builtin();
            let names: Vec<&str> = Specs::embedded().iter().map(|(file, _)| file.trim_end_matches(".yaml")).collect();
            let spec = specs.family(names[family % names.len()]).unwrap();
            let set = set % spec.sets.len();
            let mut bytes = head;
            bytes.extend(body.concat());
            // Sometimes a few bytes short, as a cut capture is.
            bytes.truncate(bytes.len().saturating_sub(cut));
            let context = DecodeContext::default();
            let cx = super::Cx::new(&bytes, 0, &context);
            let start = bytes.len().min(head_len(set));
            let fields = super::attrs(&cx, spec, Some(set), start..bytes.len(), 1);
            let mut count = 0;
            check_fields(&fields, bytes.len(), 0, &mut count);
            proptest::prop_assert!(count <= super::nla::MAX_FIELDS + 16);
        }

        /// Random messages of every generic netlink family with a spec,
        /// through the whole decoder: the command, its fixed header, its
        /// attributes; and the summary alone reads the same.
        #[test]
        fn random_messages_of_every_genl_spec_never_panic(
            family in 0usize..64,
            cmd in 0u8..100,
            flags in proptest::prelude::any::<u16>(),
            header in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..16),
            body in proptest::collection::vec(attribute_bytes(), 0..8),
        ) {
            let genl: Vec<&str> = Specs::embedded()
                .iter()
                .map(|(file, _)| file.trim_end_matches(".yaml"))
                .filter(|name| Specs::builtin().genetlink(name).is_some())
                .collect();
            let name = genl[family % genl.len()];
            let mut context = DecodeContext::default();
            context.add_family(0x40, name, Vec::new());
            let mut payload = vec![cmd, 1, 0, 0];
            payload.extend(header);
            payload.extend(body.concat());
            let bytes = build_message(0x40, flags, 1, 0, &payload);
            let decoded = decode_bytes(16, &bytes, &context);
            let mut count = 0;
            check_fields(&decoded.messages, bytes.len(), 0, &mut count);
            proptest::prop_assert_eq!(summarize_bytes(16, &bytes, &context), decoded.summary);
        }
    }

    /// Where attributes start in a random buffer: after a few bytes of
    /// "header" one time in four.
    fn head_len(seed: usize) -> usize {
        match seed % 4 {
            0 => 4,
            _ => 0,
        }
    }
}
