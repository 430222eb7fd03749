//! Requests built from a YNL spec: `nlscope send --family F --do OP --json
//! '{...}'` (or `--dump OP`), as the kernel's ynl tool builds them. The
//! JSON object's keys are the names of the operation's attributes (and of
//! the members of its fixed header, if it has one); values are what the
//! attribute's type takes:
//!
//! | type | JSON |
//! |---|---|
//! | u8 .. s64, uint, sint | a number, or the name of an entry of its enum; for flags, a list of names |
//! | string | a string |
//! | flag | `true` (false leaves it out) |
//! | binary | a hex string (`"0a0b"`, `"0a:0b"`), or as the display hint reads (`"1.2.3.4"`, a MAC, an IPv6 address); with a struct, an object of its members |
//! | bitfield32 | a number (value and selector), or `{"value": N, "selector": M}` |
//! | nest | an object of the nested set's attributes |
//! | indexed-array | a list |
//! | sub-message | an object, the format chosen by its selector attribute in the same object |
//! | multi-attr | a list of values |
//!
//! Pure: the family's generic netlink id is given by the caller.

use serde_json::{Map, Value};

use crate::netlink::attr::push_attr;
use crate::netlink::{
    GENL_HDRLEN, NETLINK_GENERIC, NLA_F_NESTED, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use crate::ynl::Specs;
use crate::ynl::{
    Attr, AttrKind, AttrSet, Direction, EnumUse, Family, Hint, MemberKind, Order, Scalar, Schema,
    SetId, StructId,
};

/// How the operation is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Do,
    Dump,
}

/// A request, ready for a netlink header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecRequest {
    pub protocol: u32,
    /// The message type: the family id (generic netlink) or the operation's.
    pub kind: u16,
    pub flags: u16,
    pub body: Vec<u8>,
    /// The operation's name, for messages.
    pub op: &'static str,
}

/// Builds operation `op` of `family` in `mode` from `json` (an object, or
/// null for none). `genl_id` is the family's generic netlink id (needed for
/// generic netlink families only). Errors name what is wrong and what would do.
pub fn build(
    family: &Family,
    op: &str,
    mode: Mode,
    json: &Value,
    genl_id: Option<u16>,
) -> Result<SpecRequest, String> {
    let found = family.ops.iter().find(|o| o.name == op).ok_or_else(|| {
        let names: Vec<&str> = family
            .ops
            .iter()
            .filter(|o| o.request.is_some())
            .map(|o| o.name)
            .collect();
        format!(
            "{} has no operation `{op}`; it has: {}",
            family.name,
            names.join(", ")
        )
    })?;
    let can = match mode {
        Mode::Do => found.modes.r#do,
        Mode::Dump => found.modes.dump,
    };
    if !can {
        let other = if found.modes.dump { "--dump" } else { "--do" };
        return Err(format!(
            "{} {op} has no {} form (use {other})",
            family.name,
            if mode == Mode::Do { "do" } else { "dump" }
        ));
    }
    let id = found
        .id(Direction::Request)
        .ok_or_else(|| format!("{} {op} is a notification: it cannot be sent", family.name))?;
    let empty = Map::new();
    let object = match json {
        Value::Null => &empty,
        Value::Object(object) => object,
        other => return Err(format!("--json must be an object, not {other}")),
    };
    let mut encoder = Encoder { family };
    let header = found.fixed_header.or(family.fixed_header);
    let mut body = Vec::new();
    let (protocol, kind) = if family.schema == Schema::NetlinkRaw {
        let protocol = family
            .protonum
            .ok_or_else(|| format!("{} names no protocol number", family.name))?;
        let kind = u16::try_from(id).map_err(|_| format!("{op}: message id {id} is too large"))?;
        (protocol, kind)
    } else {
        let genl_id = genl_id.ok_or_else(|| {
            format!(
                "the kernel has no generic netlink family {} (is its module loaded?)",
                family.name
            )
        })?;
        let cmd = u8::try_from(id).map_err(|_| format!("{op}: command {id} is too large"))?;
        body.extend_from_slice(&[cmd, 1, 0, 0]);
        debug_assert_eq!(body.len(), GENL_HDRLEN);
        (NETLINK_GENERIC, genl_id)
    };
    let (header_fields, attributes): (Map<String, Value>, Map<String, Value>) = match header {
        Some(id) => {
            let members = &family.structs[id].members;
            object
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .partition(|(k, _)| members.iter().any(|m| m.name == k))
        }
        None => (Map::new(), object.clone()),
    };
    if let Some(id) = header {
        body.extend(encoder.structure(id, &header_fields)?);
    }
    let set = found.set.ok_or_else(|| {
        if attributes.is_empty() {
            String::new()
        } else {
            format!("{} {op} takes no attributes", family.name)
        }
    });
    match set {
        Ok(set) => encoder.attributes(set, &attributes, &mut body)?,
        Err(message) if !message.is_empty() => return Err(message),
        Err(_) => {}
    }
    let flags = NLM_F_REQUEST
        | match mode {
            Mode::Do => NLM_F_ACK,
            Mode::Dump => NLM_F_DUMP,
        };
    Ok(SpecRequest {
        protocol,
        kind,
        flags,
        body,
        op: found.name,
    })
}

struct Encoder<'f> {
    family: &'f Family,
}

impl Encoder<'_> {
    fn attributes(
        &mut self,
        set: SetId,
        object: &Map<String, Value>,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let attrs = self.family.set(set);
        for (name, value) in object {
            let attr = attrs.by_name(name).ok_or_else(|| unknown(attrs, name))?;
            match (attr.multi, value) {
                (true, Value::Array(values)) => {
                    for value in values {
                        self.attribute(attr, value, object, out)?;
                    }
                }
                _ => self.attribute(attr, value, object, out)?,
            }
        }
        Ok(())
    }

    fn attribute(
        &mut self,
        attr: &Attr,
        value: &Value,
        siblings: &Map<String, Value>,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let at = |message: String| format!("{}: {message}", attr.name);
        let kind = attr.value;
        match &attr.kind {
            AttrKind::Unused | AttrKind::Pad => Err(at("is not sent".into())),
            AttrKind::Flag => match value {
                Value::Bool(true) => {
                    push_attr(out, kind, &[]);
                    Ok(())
                }
                Value::Bool(false) => Ok(()),
                _ => Err(at("a flag takes true or false".into())),
            },
            AttrKind::Int { size, signed } => {
                let number = self.number(attr, value).map_err(at)?;
                push_attr(
                    out,
                    kind,
                    &int_bytes(number, *size, *signed, attr.order).map_err(at)?,
                );
                Ok(())
            }
            AttrKind::Var { signed } => {
                let number = self.number(attr, value).map_err(at)?;
                let fits_four = if *signed {
                    i32::try_from(number).is_ok()
                } else {
                    u32::try_from(number).is_ok()
                };
                let size = if fits_four { 4 } else { 8 };
                push_attr(
                    out,
                    kind,
                    &int_bytes(number, size, *signed, attr.order).map_err(at)?,
                );
                Ok(())
            }
            AttrKind::String => match value {
                Value::String(text) => {
                    let mut bytes = text.as_bytes().to_vec();
                    bytes.push(0);
                    push_attr(out, kind, &bytes);
                    Ok(())
                }
                _ => Err(at("takes a string".into())),
            },
            AttrKind::Binary { structure, array } => {
                let bytes = match (structure, array, value) {
                    (Some(id), _, Value::Object(object)) => {
                        self.structure(*id, object).map_err(at)?
                    }
                    (_, Some(scalar), Value::Array(values)) => values
                        .iter()
                        .map(|v| self.scalar(*scalar, attr.order, v))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(at)?
                        .concat(),
                    (_, _, Value::String(text)) => binary(text, attr.hint).map_err(at)?,
                    _ => return Err(at("takes bytes as a hex string".into())),
                };
                push_attr(out, kind, &bytes);
                Ok(())
            }
            AttrKind::Bitfield32 => {
                let (bits, selector) = match value {
                    Value::Object(object) => (
                        object.get("value").and_then(Value::as_u64),
                        object.get("selector").and_then(Value::as_u64),
                    ),
                    other => (other.as_u64(), other.as_u64()),
                };
                match (bits, selector) {
                    (Some(bits), Some(selector))
                        if bits <= u32::MAX as u64 && selector <= u32::MAX as u64 =>
                    {
                        let mut bytes = (bits as u32).to_ne_bytes().to_vec();
                        bytes.extend_from_slice(&(selector as u32).to_ne_bytes());
                        push_attr(out, kind, &bytes);
                        Ok(())
                    }
                    _ => Err(at(
                        "a bitfield32 takes a number or {\"value\": N, \"selector\": M}".into(),
                    )),
                }
            }
            AttrKind::Nest(inner) => {
                let object = value
                    .as_object()
                    .ok_or_else(|| at("a nest takes an object".into()))?;
                let mut nested = Vec::new();
                match inner {
                    Some(inner) => self.attributes(*inner, object, &mut nested)?,
                    None if object.is_empty() => {}
                    None => return Err(at("the spec says nothing of what this nest holds".into())),
                }
                push_attr(out, kind | NLA_F_NESTED, &nested);
                Ok(())
            }
            AttrKind::IndexedArray { sub, set: inner } => {
                let values = value
                    .as_array()
                    .ok_or_else(|| at("an indexed array takes a list".into()))?;
                let mut nested = Vec::new();
                for (index, element) in values.iter().enumerate() {
                    let index =
                        u16::try_from(index + 1).map_err(|_| at("too many elements".into()))?;
                    match (sub, inner, element) {
                        (Scalar::Nest, Some(inner), Value::Object(object)) => {
                            let mut element_bytes = Vec::new();
                            self.attributes(*inner, object, &mut element_bytes)?;
                            push_attr(&mut nested, index | NLA_F_NESTED, &element_bytes);
                        }
                        (scalar, _, element) => {
                            let bytes = self.scalar(*scalar, attr.order, element).map_err(at)?;
                            push_attr(&mut nested, index, &bytes);
                        }
                    }
                }
                push_attr(out, kind | NLA_F_NESTED, &nested);
                Ok(())
            }
            AttrKind::NestTypeValue { .. } => Err(at(
                "nest-type-value attributes cannot be built from JSON yet".into(),
            )),
            AttrKind::SubMessage { id, selector } => {
                let chosen = siblings
                    .get(*selector)
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        at(format!(
                            "needs its selector `{selector}` (a string) beside it"
                        ))
                    })?;
                let sub = &self.family.sub_messages[*id];
                let format = sub.format(chosen).ok_or_else(|| {
                    let known: Vec<&str> = sub.formats.iter().map(|f| f.value).collect();
                    at(format!(
                        "no format `{chosen}`; the spec has: {}",
                        known.join(", ")
                    ))
                })?;
                let object = value
                    .as_object()
                    .ok_or_else(|| at("takes an object".into()))?;
                let mut nested = Vec::new();
                let (header, attributes): (Map<String, Value>, Map<String, Value>) =
                    match format.fixed_header {
                        Some(sid) => {
                            let members = &self.family.structs[sid].members;
                            object
                                .iter()
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .partition(|(k, _)| members.iter().any(|m| m.name == k))
                        }
                        None => (Map::new(), object.clone()),
                    };
                if let Some(sid) = format.fixed_header {
                    nested.extend(self.structure(sid, &header).map_err(at)?);
                }
                if let Some(inner) = format.set {
                    self.attributes(inner, &attributes, &mut nested)?;
                } else if !attributes.is_empty() {
                    return Err(at(format!("format `{chosen}` takes no attributes")));
                }
                push_attr(out, kind | NLA_F_NESTED, &nested);
                Ok(())
            }
        }
    }

    /// A number, or an enum entry's name (a list of names for flags).
    fn number(&self, attr: &Attr, value: &Value) -> Result<i128, String> {
        let entry = |name: &str| match attr.enumeration {
            Some(use_) => self.enum_value(use_, name),
            None => Err(format!("takes a number, not `{name}`")),
        };
        match value {
            Value::Number(n) => integer(n).ok_or_else(|| format!("{n} is not an integer")),
            Value::String(name) => entry(name),
            Value::Array(names) => names.iter().try_fold(0i128, |bits, name| match name {
                Value::String(name) => Ok(bits | entry(name)?),
                other => Err(format!("a list of flag names, not {other}")),
            }),
            Value::Bool(b) => Ok(i128::from(*b)),
            other => Err(format!("takes a number, not {other}")),
        }
    }

    /// The value of entry `name` of the enum in `use_` (its bit, for flags).
    fn enum_value(&self, use_: EnumUse, name: &str) -> Result<i128, String> {
        let definition = &self.family.enums[use_.id];
        let (value, _) = definition
            .entries()
            .iter()
            .find(|(_, entry)| entry.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let names: Vec<&str> = definition.entries().iter().map(|(_, n)| *n).collect();
                format!(
                    "`{name}` is not one of {}: {}",
                    definition.name,
                    names.join(", ")
                )
            })?;
        Ok(if use_.as_flags {
            1i128 << (*value).min(127)
        } else {
            i128::from(*value)
        })
    }

    fn scalar(&self, scalar: Scalar, order: Order, value: &Value) -> Result<Vec<u8>, String> {
        match (scalar, value) {
            (Scalar::Int { size, signed }, Value::Number(n)) => {
                let number = integer(n).ok_or_else(|| format!("{n} is not an integer"))?;
                int_bytes(number, size, signed, order)
            }
            (Scalar::Var { signed }, Value::Number(n)) => {
                let number = integer(n).unwrap_or(0);
                int_bytes(number, 8, signed, order)
            }
            (Scalar::String, Value::String(text)) => {
                let mut bytes = text.as_bytes().to_vec();
                bytes.push(0);
                Ok(bytes)
            }
            (Scalar::Binary, Value::String(text)) => binary(text, Hint::None),
            (_, other) => Err(format!("an element of this array cannot be {other}")),
        }
    }

    /// A struct's bytes from an object of its members (missing ones zero).
    fn structure(&mut self, id: StructId, object: &Map<String, Value>) -> Result<Vec<u8>, String> {
        let definition = &self.family.structs[id];
        let mut bytes = vec![0u8; definition.size];
        for (name, value) in object {
            let member = definition
                .members
                .iter()
                .find(|m| m.name == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = definition.members.iter().map(|m| m.name).collect();
                    format!(
                        "struct {} has no member `{name}`; it has: {}",
                        definition.name,
                        names.join(", ")
                    )
                })?;
            let encoded = match member.kind {
                MemberKind::Int { signed } => {
                    let number = match value {
                        Value::Number(n) => {
                            integer(n).ok_or_else(|| format!("{name}: {n} is not an integer"))?
                        }
                        Value::String(entry) => match member.enumeration {
                            Some(use_) => self
                                .enum_value(use_, entry)
                                .map_err(|e| format!("{name}: {e}"))?,
                            None => return Err(format!("{name}: takes a number, not `{entry}`")),
                        },
                        other => return Err(format!("{name}: takes a number, not {other}")),
                    };
                    let size =
                        u8::try_from(member.size).map_err(|_| format!("{name}: too wide"))?;
                    int_bytes(number, size, signed, member.order)
                        .map_err(|e| format!("{name}: {e}"))?
                }
                MemberKind::String => match value {
                    Value::String(text) => text.as_bytes().to_vec(),
                    _ => return Err(format!("{name}: takes a string")),
                },
                MemberKind::Binary => match value {
                    Value::String(text) => {
                        binary(text, member.hint).map_err(|e| format!("{name}: {e}"))?
                    }
                    _ => return Err(format!("{name}: takes bytes as a hex string")),
                },
                MemberKind::Struct(inner) => match value {
                    Value::Object(object) => self.structure(inner, object)?,
                    _ => return Err(format!("{name}: takes an object")),
                },
                MemberKind::Pad => continue,
            };
            if encoded.len() > member.size {
                return Err(format!(
                    "{name}: {} bytes do not fit its {}",
                    encoded.len(),
                    member.size
                ));
            }
            bytes[member.offset..member.offset + encoded.len()].copy_from_slice(&encoded);
        }
        Ok(bytes)
    }
}

/// A JSON number as an integer, if it is one.
fn integer(n: &serde_json::Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

fn unknown(set: &AttrSet, name: &str) -> String {
    let names: Vec<&str> = set
        .attrs()
        .iter()
        .filter(|a| !matches!(a.kind, AttrKind::Unused | AttrKind::Pad))
        .map(|a| a.name)
        .collect();
    format!(
        "attribute-set {} has no attribute `{name}`; it has: {}",
        set.name,
        names.join(", ")
    )
}

/// `number` as `size` bytes, in `order`, refusing what does not fit.
fn int_bytes(number: i128, size: u8, signed: bool, order: Order) -> Result<Vec<u8>, String> {
    let bits = u32::from(size) * 8;
    let (low, high) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    if number < low || number > high {
        return Err(format!(
            "{number} does not fit {} bits{}",
            bits,
            if signed { " signed" } else { "" }
        ));
    }
    let little = (number as u128).to_le_bytes();
    let mut bytes = little[..usize::from(size)].to_vec();
    let big = order == Order::Big || (order == Order::Native && cfg!(target_endian = "big"));
    if big {
        bytes.reverse();
    }
    Ok(bytes)
}

/// Bytes from text as the display hint reads it, or hex (`0a0b`, `0a:0b`).
fn binary(text: &str, hint: Hint) -> Result<Vec<u8>, String> {
    if matches!(hint, Hint::Ipv4)
        || (text.contains('.') && text.parse::<std::net::Ipv4Addr>().is_ok())
    {
        if let Ok(address) = text.parse::<std::net::Ipv4Addr>() {
            return Ok(address.octets().to_vec());
        }
    }
    if matches!(hint, Hint::Ipv6) || text.contains("::") {
        if let Ok(address) = text.parse::<std::net::Ipv6Addr>() {
            return Ok(address.octets().to_vec());
        }
    }
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | ' '))
        .collect();
    hex::decode(&digits).map_err(|_| format!("`{text}` is not hex bytes (0a0b or 0a:0b)"))
}

/// The plan of `nlscope send --family FAMILY --do OP | --dump OP [--json
/// OBJECT]`: the request built from the spec, to the kernel. A do of an
/// operation whose name does not say it only reads needs confirmation.
pub fn plan(args: &super::SendArgs, family: &str, specs: &Specs) -> Result<super::Plan, String> {
    let spec = specs.family(family).ok_or_else(|| {
        let names: Vec<String> = specs.list().into_iter().map(|l| l.family).collect();
        format!(
            "no YNL spec for family `{family}` (add one with --spec-dir); nlscope has: {}",
            names.join(", ")
        )
    })?;
    let (op, mode) = match (&args.do_op, &args.dump_op) {
        (Some(op), _) => (op.as_str(), Mode::Do),
        (None, Some(op)) => (op.as_str(), Mode::Dump),
        (None, None) => return Err("--family needs --do OP or --dump OP".into()),
    };
    let json: Value = match &args.json {
        Some(text) => serde_json::from_str(text).map_err(|e| format!("--json: {e}"))?,
        None => Value::Null,
    };
    let genl_id = if spec.schema == Schema::NetlinkRaw {
        None
    } else {
        Some(genl_family_id(spec.name)?)
    };
    let request = build(spec, op, mode, &json, genl_id)?;
    Ok(super::Plan {
        protocol: request.protocol,
        kind: request.kind,
        flags: request.flags,
        seq: args.seq,
        body: request.body,
        target: args.to,
        groups: 0,
        bind_port: args.port.unwrap_or(0),
        wait: std::time::Duration::from_millis(args.wait),
        risk: risk(args),
    })
}

/// What a client checks of a spec request an agent will build (the
/// agent's kernel has the family ids): whether it needs confirming and how
/// long to wait for its replies. It holds no message: the agent builds it.
pub fn plan_for_agent(args: &super::SendArgs) -> super::Plan {
    super::Plan {
        protocol: 0,
        kind: 0,
        flags: 0,
        seq: args.seq,
        body: Vec::new(),
        target: args.to,
        groups: 0,
        bind_port: args.port.unwrap_or(0),
        wait: std::time::Duration::from_millis(args.wait),
        risk: risk(args),
    }
}

/// Why the spec operation of `args` needs confirming, if it does: a do of
/// an operation whose name does not say it only reads (get, dump, list,
/// show, echo). Needs no spec, so a client can ask it of a request an
/// agent will build.
pub fn risk(args: &super::SendArgs) -> Option<String> {
    let op = args.do_op.as_deref()?;
    let reads_only = ["get", "dump", "list", "show", "echo"]
        .iter()
        .any(|word| op.starts_with(word) || op.ends_with(&format!("-{word}")));
    (!reads_only).then(|| {
        format!(
            "{} {op} may change kernel state",
            args.family.as_deref().unwrap_or("the family")
        )
    })
}

/// The running kernel's id of generic netlink family `name` (nlctrl).
fn genl_family_id(name: &str) -> Result<u16, String> {
    let families = crate::netlink::nlctrl::dump_families()
        .map_err(|e| format!("cannot ask the kernel for its generic netlink families: {e:#}"))?;
    families
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.id)
        .ok_or_else(|| {
            format!("the kernel has no generic netlink family {name} (is its module loaded?)")
        })
}

#[cfg(test)]
mod tests;
