//! A spec resolved for decoding: every reference (nested attributes,
//! enums, structs, sub-messages, subsets) turned into an index, every value
//! the spec leaves implicit worked out (attribute ids, enum values, message
//! ids), and every name leaked once to `&'static str` so that the decoded
//! tree can borrow it without an allocation.
//!
//! The numbering rules are the kernel's (Documentation/netlink/ and its ynl
//! library): attributes count from 1 and an explicit `value` restarts the
//! count; enum entries count from `value-start` (0); flags entries are bit
//! numbers; operations count from 1 in the unified model, and in the
//! directional model requests and replies count separately, each from its
//! last explicit value, a notification taking the next reply id.

use std::collections::HashMap;

use super::spec::{
    AttrDef, AttrSetDef, Definition, MemberDef, ModeDef, Number, OperationDef, SpecFile,
};

pub type EnumId = usize;
pub type StructId = usize;
pub type SetId = usize;
pub type SubMessageId = usize;
pub type OpId = usize;

/// Which schema a spec follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    Genetlink,
    GenetlinkC,
    GenetlinkLegacy,
    NetlinkRaw,
}

impl Schema {
    pub fn name(self) -> &'static str {
        match self {
            Schema::Genetlink => "genetlink",
            Schema::GenetlinkC => "genetlink-c",
            Schema::GenetlinkLegacy => "genetlink-legacy",
            Schema::NetlinkRaw => "netlink-raw",
        }
    }
}

/// A family, resolved.
#[derive(Debug)]
pub struct Family {
    pub name: &'static str,
    pub schema: Schema,
    /// netlink-raw: the netlink protocol number.
    pub protonum: Option<u32>,
    pub enums: Vec<Enum>,
    pub structs: Vec<Struct>,
    pub sets: Vec<AttrSet>,
    pub sub_messages: Vec<SubMessage>,
    pub ops: Vec<Op>,
    pub mcast_groups: Vec<McastGroup>,
    /// The attribute set every operation uses (or a subset of), when they
    /// all use one: what a message of a command the spec does not list most
    /// likely carries.
    pub fallback_set: Option<SetId>,
    /// The fixed header of the family's messages (`operations:
    /// fixed-header`), which an operation may replace by its own.
    pub fixed_header: Option<StructId>,
}

/// Byte order of a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Native,
    Big,
    Little,
}

/// How a value is best shown (`display-hint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint {
    None,
    Hex,
    Mac,
    Ipv4,
    Ipv6,
    /// IPv4 or IPv6 by length.
    Ip,
    Uuid,
}

/// An enum or flags definition.
#[derive(Debug)]
pub struct Enum {
    pub name: &'static str,
    /// `type: flags`: entries are bit numbers.
    pub flags: bool,
    /// (value, name), by value.
    entries: Vec<(u64, &'static str)>,
}

impl Enum {
    /// The entry of value `value`.
    pub fn name_of(&self, value: u64) -> Option<&'static str> {
        self.entries
            .binary_search_by_key(&value, |(v, _)| *v)
            .ok()
            .map(|i| self.entries[i].1)
    }

    pub fn entries(&self) -> &[(u64, &'static str)] {
        &self.entries
    }
}

/// An attribute's or member's use of an enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnumUse {
    pub id: EnumId,
    /// The value is a set of bits, bit N meaning entry N (flags, or an enum
    /// with `enum-as-flags`).
    pub as_flags: bool,
}

/// A C struct (`type: struct`): members in order, no implicit padding.
#[derive(Debug)]
pub struct Struct {
    pub name: &'static str,
    pub members: Vec<Member>,
    pub size: usize,
}

#[derive(Debug)]
pub struct Member {
    pub name: &'static str,
    pub offset: usize,
    pub size: usize,
    pub kind: MemberKind,
    pub order: Order,
    pub enumeration: Option<EnumUse>,
    pub hint: Hint,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberKind {
    Int { signed: bool },
    Binary,
    String,
    Pad,
    Struct(StructId),
}

/// An attribute set: attributes by id.
#[derive(Debug)]
pub struct AttrSet {
    pub name: &'static str,
    /// The set this one is a subset of, through every `subset-of`.
    pub root: Option<SetId>,
    /// By value (ties keep the spec's order).
    attrs: Vec<Attr>,
}

impl AttrSet {
    /// The attribute of type `kind`.
    pub fn find(&self, kind: u16) -> Option<&Attr> {
        // Most sets count 1, 2, 3, ...: try the slot first.
        let slot = usize::from(kind).wrapping_sub(1);
        match self.attrs.get(slot) {
            Some(attr) if attr.value == kind => Some(attr),
            _ => self
                .attrs
                .binary_search_by_key(&kind, |a| a.value)
                .ok()
                .map(|i| &self.attrs[i]),
        }
    }

    pub fn by_name(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub fn attrs(&self) -> &[Attr] {
        &self.attrs
    }
}

#[derive(Debug)]
pub struct Attr {
    pub name: &'static str,
    pub value: u16,
    pub kind: AttrKind,
    pub order: Order,
    pub enumeration: Option<EnumUse>,
    pub hint: Hint,
    pub multi: bool,
}

/// An attribute's type, with what it refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrKind {
    Unused,
    Pad,
    Flag,
    /// u8 .. s64: a number of `size` bytes.
    Int {
        size: u8,
        signed: bool,
    },
    /// uint / sint: 4 or 8 bytes, as the value needs.
    Var {
        signed: bool,
    },
    String,
    /// Bytes: a struct, an array of numbers (`sub-type`), or just bytes.
    Binary {
        structure: Option<StructId>,
        array: Option<Scalar>,
    },
    Bitfield32,
    Nest(Option<SetId>),
    /// Nested attributes whose types are indexes.
    IndexedArray {
        sub: Scalar,
        set: Option<SetId>,
    },
    /// Nests whose attribute types are values (`type-value` names them),
    /// the innermost holding attributes of `set`.
    NestTypeValue {
        names: Vec<&'static str>,
        set: Option<SetId>,
    },
    /// Content chosen by the value of another attribute.
    SubMessage {
        id: SubMessageId,
        selector: &'static str,
    },
}

/// The type of an element of an array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    Int { size: u8, signed: bool },
    Var { signed: bool },
    String,
    Binary,
    Nest,
}

/// A sub-message: formats by selector value.
#[derive(Debug)]
pub struct SubMessage {
    pub name: &'static str,
    pub formats: Vec<Format>,
}

impl SubMessage {
    pub fn format(&self, value: &str) -> Option<&Format> {
        self.formats.iter().find(|f| f.value == value)
    }
}

#[derive(Debug)]
pub struct Format {
    pub value: &'static str,
    pub fixed_header: Option<StructId>,
    pub set: Option<SetId>,
}

/// Which way a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// To the kernel (NLM_F_REQUEST).
    Request,
    /// From the kernel: a reply or a notification.
    Reply,
}

/// What an operation does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Modes {
    pub r#do: bool,
    pub dump: bool,
    /// A notification (`notify`) or an event (`event`).
    pub notify: bool,
}

/// One operation.
#[derive(Debug)]
pub struct Op {
    pub name: &'static str,
    /// Message id of its requests (absent for notifications).
    pub request: Option<u32>,
    /// Message id of its replies and notifications.
    pub reply: Option<u32>,
    pub set: Option<SetId>,
    pub fixed_header: Option<StructId>,
    pub modes: Modes,
    /// Attribute ids each message may carry: do request, do reply, dump
    /// request, dump reply; a notification's in the do reply.
    pub lists: [Option<Vec<u16>>; 4],
}

impl Op {
    /// The attributes listed for the `dump` or do message going `direction`.
    pub fn list(&self, direction: Direction, dump: bool) -> Option<&[u16]> {
        let index = match (dump, direction) {
            (false, Direction::Request) => 0,
            (false, Direction::Reply) => 1,
            (true, Direction::Request) => 2,
            (true, Direction::Reply) => 3,
        };
        self.lists[index]
            .as_deref()
            .or_else(|| self.lists[index ^ 2].as_deref())
    }

    /// The message id going `direction`.
    pub fn id(&self, direction: Direction) -> Option<u32> {
        match direction {
            Direction::Request => self.request,
            Direction::Reply => self.reply,
        }
    }
}

#[derive(Debug)]
pub struct McastGroup {
    pub name: &'static str,
    /// netlink-raw: the group number (generic netlink's come from nlctrl).
    pub value: Option<u32>,
}

impl Family {
    pub fn set(&self, id: SetId) -> &AttrSet {
        &self.sets[id]
    }

    pub fn set_named(&self, name: &str) -> Option<SetId> {
        self.sets.iter().position(|s| s.name == name)
    }

    pub fn sub_message_named(&self, name: &str) -> Option<SubMessageId> {
        self.sub_messages.iter().position(|s| s.name == name)
    }

    /// The operations whose message going `direction` has id `id`, in the
    /// spec's order.
    pub fn ops_with(&self, id: u32, direction: Direction) -> impl Iterator<Item = &Op> {
        self.ops
            .iter()
            .filter(move |op| op.id(direction) == Some(id))
    }
}

/// What is wrong with a spec, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// `attribute-set link-attrs, attribute linkinfo`.
    pub place: String,
    pub message: String,
}

fn error(place: impl Into<String>, message: impl Into<String>) -> CompileError {
    CompileError {
        place: place.into(),
        message: message.into(),
    }
}

/// Leaks each distinct name once.
#[derive(Default)]
struct Names(HashMap<String, &'static str>);

impl Names {
    fn get(&mut self, name: &str) -> &'static str {
        if let Some(&leaked) = self.0.get(name) {
            return leaked;
        }
        let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
        self.0.insert(name.to_string(), leaked);
        leaked
    }
}

/// Most nesting of structs in structs, and of subsets of subsets.
const MAX_CHAIN: usize = 16;

/// Resolves a parsed spec.
pub fn compile(spec: &SpecFile) -> Result<Family, CompileError> {
    let mut names = Names::default();
    let schema = match spec.protocol.as_deref() {
        None | Some("genetlink") => Schema::Genetlink,
        Some("genetlink-c") => Schema::GenetlinkC,
        Some("genetlink-legacy") => Schema::GenetlinkLegacy,
        Some("netlink-raw") => Schema::NetlinkRaw,
        Some(other) => return Err(error("protocol", format!("unknown protocol {other:?}"))),
    };
    if schema == Schema::NetlinkRaw && spec.protonum.is_none() {
        return Err(error("protonum", "a netlink-raw spec needs protonum"));
    }
    let mut cx = Resolver {
        spec,
        names: &mut names,
        consts: HashMap::new(),
        enum_ids: HashMap::new(),
        struct_ids: HashMap::new(),
        set_ids: HashMap::new(),
        sub_ids: HashMap::new(),
    };
    let enums = cx.enums()?;
    let structs = cx.structs()?;
    let sets = cx.sets()?;
    let sub_messages = cx.sub_messages()?;
    let ops = cx.ops(&sets)?;
    let mcast_groups = spec
        .mcast_groups
        .iter()
        .flat_map(|g| &g.list)
        .map(|g| McastGroup {
            name: cx.names.get(&g.name),
            value: g
                .value
                .as_ref()
                .and_then(Number::int)
                .and_then(|v| u32::try_from(v).ok()),
        })
        .collect();
    let fixed_header = cx.struct_id(
        spec.operations
            .as_ref()
            .and_then(|o| o.fixed_header.as_deref()),
        &|| "operations".to_string(),
    )?;
    // The set every operation's set is (or is a subset of).
    let mut used = ops
        .iter()
        .filter_map(|op| op.set)
        .map(|set| sets[set].root.unwrap_or(set));
    let fallback_set = used.next().filter(|first| used.all(|set| set == *first));
    Ok(Family {
        name: names.get(&spec.name),
        schema,
        protonum: spec.protonum,
        enums,
        structs,
        sets,
        sub_messages,
        ops,
        mcast_groups,
        fallback_set,
        fixed_header,
    })
}

struct Resolver<'a> {
    spec: &'a SpecFile,
    names: &'a mut Names,
    consts: HashMap<&'a str, i128>,
    enum_ids: HashMap<&'a str, EnumId>,
    struct_ids: HashMap<&'a str, StructId>,
    set_ids: HashMap<&'a str, SetId>,
    sub_ids: HashMap<&'a str, SubMessageId>,
}

/// The index of definition `name` (of kind `what`), when one is named.
fn resolve(
    ids: &HashMap<&str, usize>,
    name: Option<&str>,
    what: &str,
    place: &dyn Fn() -> String,
) -> Result<Option<usize>, CompileError> {
    name.map(|name| {
        ids.get(name)
            .copied()
            .ok_or_else(|| error(place(), format!("{what} {name} is not defined")))
    })
    .transpose()
}

fn order(text: Option<&str>, place: &dyn Fn() -> String) -> Result<Order, CompileError> {
    match text {
        None => Ok(Order::Native),
        Some("big-endian") => Ok(Order::Big),
        Some("little-endian") => Ok(Order::Little),
        Some(other) => Err(error(place(), format!("unknown byte-order {other:?}"))),
    }
}

fn hint(text: Option<&str>) -> Hint {
    match text {
        Some("hex") => Hint::Hex,
        Some("mac") | Some("fddi") => Hint::Mac,
        Some("ipv4") => Hint::Ipv4,
        Some("ipv6") => Hint::Ipv6,
        Some("ipv4-or-v6") => Hint::Ip,
        Some("uuid") => Hint::Uuid,
        // A hint only chooses how a value reads: an unknown one reads plain.
        _ => Hint::None,
    }
}

/// `u8` .. `s64` as (size, signed).
fn int_type(name: &str) -> Option<(u8, bool)> {
    Some(match name {
        "u8" => (1, false),
        "u16" => (2, false),
        "u32" => (4, false),
        "u64" => (8, false),
        "s8" => (1, true),
        "s16" => (2, true),
        "s32" => (4, true),
        "s64" => (8, true),
        _ => return None,
    })
}

fn scalar(name: &str) -> Option<Scalar> {
    if let Some((size, signed)) = int_type(name) {
        return Some(Scalar::Int { size, signed });
    }
    Some(match name {
        "uint" => Scalar::Var { signed: false },
        "sint" => Scalar::Var { signed: true },
        "string" => Scalar::String,
        "binary" => Scalar::Binary,
        "nest" => Scalar::Nest,
        _ => return None,
    })
}

impl<'a> Resolver<'a> {
    fn enums(&mut self) -> Result<Vec<Enum>, CompileError> {
        let mut enums = Vec::new();
        for def in &self.spec.definitions {
            let place = || format!("definition {}", def.name);
            match def.kind.as_str() {
                "const" => {
                    if let Some(value) = def.value.as_ref().and_then(Number::int) {
                        self.consts.insert(&def.name, value);
                    }
                }
                "enum" | "flags" => {
                    let start = match &def.value_start {
                        None => 0,
                        Some(n) => n
                            .int()
                            .or_else(|| match n {
                                Number::Text(t) => self.consts.get(t.as_str()).copied(),
                                Number::Int(_) => None,
                            })
                            .ok_or_else(|| error(place(), "value-start is not a number"))?,
                    };
                    let mut next = start;
                    let mut entries = Vec::with_capacity(def.entries.len());
                    for entry in &def.entries {
                        let value = entry.value.unwrap_or(next);
                        next = value + 1;
                        entries.push((value as u64, self.names.get(&entry.name)));
                    }
                    // First of equal values wins, as a lookup by value reads.
                    entries.sort_by_key(|(v, _)| *v);
                    entries.dedup_by_key(|(v, _)| *v);
                    self.enum_ids.insert(&def.name, enums.len());
                    enums.push(Enum {
                        name: self.names.get(&def.name),
                        flags: def.kind == "flags",
                        entries,
                    });
                }
                "struct" => {}
                other => return Err(error(place(), format!("unknown definition type {other:?}"))),
            }
        }
        Ok(enums)
    }

    fn enum_use(
        &self,
        name: Option<&str>,
        as_flags: bool,
        place: &dyn Fn() -> String,
    ) -> Result<Option<EnumUse>, CompileError> {
        let Some(name) = name else {
            return Ok(None);
        };
        // An enum may name a const (a value, no names): nothing to show.
        if self.consts.contains_key(name) {
            return Ok(None);
        }
        let id = *self
            .enum_ids
            .get(name)
            .ok_or_else(|| error(place(), format!("enum {name} is not defined")))?;
        Ok(Some(EnumUse { id, as_flags }))
    }

    fn len(&self, len: Option<&Number>, place: &dyn Fn() -> String) -> Result<usize, CompileError> {
        let value = match len {
            None => return Err(error(place(), "len is required")),
            Some(Number::Int(n)) => *n,
            Some(Number::Text(text)) => {
                let (name, minus_one) = match text.strip_suffix("- 1") {
                    Some(name) => (name.trim(), 1),
                    None => (text.trim(), 0),
                };
                self.consts
                    .get(name)
                    .map(|v| v - minus_one)
                    .ok_or_else(|| error(place(), format!("len {text} is not a constant")))?
            }
        };
        usize::try_from(value)
            .ok()
            .filter(|n| *n <= 65_535)
            .ok_or_else(|| error(place(), format!("len {value} is out of range")))
    }

    fn structs(&mut self) -> Result<Vec<Struct>, CompileError> {
        let defs: Vec<&'a Definition> = self
            .spec
            .definitions
            .iter()
            .filter(|d| d.kind == "struct")
            .collect();
        for (i, def) in defs.iter().enumerate() {
            self.struct_ids.insert(&def.name, i);
        }
        let mut done: Vec<Option<Struct>> = (0..defs.len()).map(|_| None).collect();
        for i in 0..defs.len() {
            self.compile_struct(&defs, i, &mut done, 0)?;
        }
        Ok(done.into_iter().flatten().collect())
    }

    fn compile_struct(
        &mut self,
        defs: &[&'a Definition],
        index: usize,
        done: &mut Vec<Option<Struct>>,
        depth: usize,
    ) -> Result<usize, CompileError> {
        if let Some(done) = &done[index] {
            return Ok(done.size);
        }
        let def = defs[index];
        if depth > MAX_CHAIN {
            return Err(error(
                format!("struct {}", def.name),
                "structs nest too deep (a cycle?)",
            ));
        }
        let mut members = Vec::with_capacity(def.members.len());
        let mut offset = 0;
        for m in &def.members {
            let place = || format!("struct {}, member {}", def.name, m.name);
            let member = self.member(defs, m, offset, done, depth, &place)?;
            offset += member.size;
            members.push(member);
        }
        done[index] = Some(Struct {
            name: self.names.get(&def.name),
            members,
            size: offset,
        });
        Ok(offset)
    }

    fn member(
        &mut self,
        defs: &[&'a Definition],
        m: &'a MemberDef,
        offset: usize,
        done: &mut Vec<Option<Struct>>,
        depth: usize,
        place: &dyn Fn() -> String,
    ) -> Result<Member, CompileError> {
        let (kind, size) = match m.kind.as_str() {
            "pad" => (MemberKind::Pad, self.len(m.len.as_ref(), place)?),
            "string" => (MemberKind::String, self.len(m.len.as_ref(), place)?),
            "binary" => match &m.r#struct {
                Some(name) => {
                    let id = *self
                        .struct_ids
                        .get(name.as_str())
                        .ok_or_else(|| error(place(), format!("struct {name} is not defined")))?;
                    let size = self.compile_struct(defs, id, done, depth + 1)?;
                    (MemberKind::Struct(id), size)
                }
                None => (MemberKind::Binary, self.len(m.len.as_ref(), place)?),
            },
            other => match int_type(other) {
                Some((size, signed)) => (MemberKind::Int { signed }, usize::from(size)),
                None => return Err(error(place(), format!("unknown member type {other:?}"))),
            },
        };
        Ok(Member {
            name: self.names.get(&m.name),
            offset,
            size,
            kind,
            order: order(m.byte_order.as_deref(), place)?,
            enumeration: self.enum_use(m.r#enum.as_deref(), m.enum_as_flags, place)?,
            hint: hint(m.display_hint.as_deref()),
        })
    }

    fn struct_id(
        &self,
        name: Option<&str>,
        place: &dyn Fn() -> String,
    ) -> Result<Option<StructId>, CompileError> {
        resolve(&self.struct_ids, name, "struct", place)
    }

    fn set_id(
        &self,
        name: Option<&str>,
        place: &dyn Fn() -> String,
    ) -> Result<Option<SetId>, CompileError> {
        resolve(&self.set_ids, name, "attribute-set", place)
    }

    /// The attributes of set `def` with their values; a subset's merged
    /// with its parent's of the same name.
    fn set_attrs(
        &self,
        def: &'a AttrSetDef,
        depth: usize,
    ) -> Result<Vec<(u16, AttrDef)>, CompileError> {
        let place = |attr: &str| format!("attribute-set {}, attribute {attr}", def.name);
        let Some(parent_name) = &def.subset_of else {
            let mut next: i128 = 1;
            let mut attrs = Vec::with_capacity(def.attributes.len());
            for attr in &def.attributes {
                let value = match &attr.value {
                    Some(n) => n
                        .int()
                        .ok_or_else(|| error(place(&attr.name), "value is not a number"))?,
                    None => next,
                };
                next = value + 1;
                let value = u16::try_from(value).map_err(|_| {
                    error(place(&attr.name), format!("value {value} is out of range"))
                })?;
                attrs.push((value, attr.clone()));
            }
            return Ok(attrs);
        };
        if depth > MAX_CHAIN {
            return Err(error(
                format!("attribute-set {}", def.name),
                "subsets nest too deep (a cycle?)",
            ));
        }
        let parent = self
            .spec
            .attribute_sets
            .iter()
            .find(|s| &s.name == parent_name)
            .ok_or_else(|| {
                error(
                    format!("attribute-set {}", def.name),
                    format!("subset-of {parent_name}: no such attribute-set"),
                )
            })?;
        let parent_attrs = self.set_attrs(parent, depth + 1)?;
        let mut attrs = Vec::with_capacity(def.attributes.len());
        for attr in &def.attributes {
            let (value, base) = parent_attrs
                .iter()
                .find(|(_, a)| a.name == attr.name)
                .ok_or_else(|| {
                    error(
                        place(&attr.name),
                        format!("not an attribute of {parent_name}, which it is a subset of"),
                    )
                })?;
            attrs.push((*value, merge_attr(base, attr)));
        }
        Ok(attrs)
    }

    /// The set `def` is a subset of, followed to the end (checked by
    /// [`Self::set_attrs`]).
    fn root_of(&self, def: &AttrSetDef) -> Option<SetId> {
        let mut root = None;
        let mut parent = def.subset_of.as_deref();
        for _ in 0..MAX_CHAIN {
            let Some(name) = parent else { break };
            let id = *self.set_ids.get(name)?;
            root = Some(id);
            parent = self.spec.attribute_sets[id].subset_of.as_deref();
        }
        root
    }

    fn sets(&mut self) -> Result<Vec<AttrSet>, CompileError> {
        for (i, def) in self.spec.attribute_sets.iter().enumerate() {
            self.set_ids.entry(&def.name).or_insert(i);
        }
        for (i, def) in self.spec.sub_messages.iter().enumerate() {
            self.sub_ids.entry(&def.name).or_insert(i);
        }
        let mut sets = Vec::with_capacity(self.spec.attribute_sets.len());
        for def in &self.spec.attribute_sets {
            let mut attrs = Vec::with_capacity(def.attributes.len());
            for (value, attr) in self.set_attrs(def, 0)? {
                let place = || format!("attribute-set {}, attribute {}", def.name, attr.name);
                attrs.push(self.attr(value, &attr, &place)?);
            }
            attrs.sort_by_key(|a| a.value);
            sets.push(AttrSet {
                name: self.names.get(&def.name),
                root: self.root_of(def),
                attrs,
            });
        }
        Ok(sets)
    }

    fn attr(
        &mut self,
        value: u16,
        def: &AttrDef,
        place: &dyn Fn() -> String,
    ) -> Result<Attr, CompileError> {
        let Some(kind_name) = def.kind.as_deref() else {
            return Err(error(place(), "type is required"));
        };
        let nested = self.set_id(def.nested_attributes.as_deref(), place)?;
        let kind = match kind_name {
            "unused" => AttrKind::Unused,
            "pad" => AttrKind::Pad,
            "flag" => AttrKind::Flag,
            "uint" => AttrKind::Var { signed: false },
            "sint" => AttrKind::Var { signed: true },
            "string" | "nul-string" => AttrKind::String,
            "binary" => AttrKind::Binary {
                structure: self.struct_id(def.r#struct.as_deref(), place)?,
                array: match def.sub_type.as_deref() {
                    None => None,
                    Some(sub) => Some(
                        scalar(sub)
                            .ok_or_else(|| error(place(), format!("unknown sub-type {sub:?}")))?,
                    ),
                },
            },
            "bitfield32" => AttrKind::Bitfield32,
            "nest" => AttrKind::Nest(nested),
            "indexed-array" => {
                let sub = def.sub_type.as_deref().unwrap_or("nest");
                AttrKind::IndexedArray {
                    sub: scalar(sub)
                        .ok_or_else(|| error(place(), format!("unknown sub-type {sub:?}")))?,
                    set: nested,
                }
            }
            "nest-type-value" => AttrKind::NestTypeValue {
                names: def
                    .type_value
                    .iter()
                    .map(|n| self.names.get(&n.0))
                    .collect(),
                set: nested,
            },
            "sub-message" => {
                let name = def
                    .sub_message
                    .as_deref()
                    .ok_or_else(|| error(place(), "a sub-message needs sub-message"))?;
                let id = *self
                    .sub_ids
                    .get(name)
                    .ok_or_else(|| error(place(), format!("sub-message {name} is not defined")))?;
                let selector = def
                    .selector
                    .as_deref()
                    .ok_or_else(|| error(place(), "a sub-message needs a selector"))?;
                AttrKind::SubMessage {
                    id,
                    selector: self.names.get(selector),
                }
            }
            other => match int_type(other) {
                Some((size, signed)) => AttrKind::Int { size, signed },
                None => return Err(error(place(), format!("unknown type {other:?}"))),
            },
        };
        Ok(Attr {
            name: self.names.get(&def.name),
            value,
            kind,
            order: order(def.byte_order.as_deref(), place)?,
            enumeration: self.enum_use(
                def.r#enum.as_deref(),
                def.enum_as_flags.unwrap_or(false),
                place,
            )?,
            hint: hint(def.display_hint.as_deref()),
            multi: def.multi_attr.unwrap_or(false),
        })
    }

    fn sub_messages(&mut self) -> Result<Vec<SubMessage>, CompileError> {
        let mut out = Vec::with_capacity(self.spec.sub_messages.len());
        for def in &self.spec.sub_messages {
            let mut formats = Vec::with_capacity(def.formats.len());
            for f in &def.formats {
                let place = || format!("sub-message {}, format {}", def.name, f.value);
                formats.push(Format {
                    value: self.names.get(&f.value),
                    fixed_header: self.struct_id(f.fixed_header.as_deref(), &place)?,
                    set: self.set_id(f.attribute_set.as_deref(), &place)?,
                });
            }
            out.push(SubMessage {
                name: self.names.get(&def.name),
                formats,
            });
        }
        Ok(out)
    }

    fn ops(&mut self, sets: &[AttrSet]) -> Result<Vec<Op>, CompileError> {
        let Some(operations) = &self.spec.operations else {
            return Ok(Vec::new());
        };
        let directional = match operations.enum_model.as_deref() {
            None | Some("unified") => false,
            Some("directional") => true,
            Some(other) => {
                return Err(error("operations", format!("unknown enum-model {other:?}")))
            }
        };
        let family_header = self.struct_id(operations.fixed_header.as_deref(), &|| {
            "operations".to_string()
        })?;
        let values = if directional {
            directional_values(&operations.list)
        } else {
            unified_values(&operations.list)
        };
        let mut ops = Vec::with_capacity(operations.list.len());
        for (def, (request, reply)) in operations.list.iter().zip(values) {
            let place = || format!("operation {}", def.name);
            // A notification's attributes are those of the operation it notifies.
            let notified = def
                .notify
                .as_deref()
                .map(|name| {
                    operations
                        .list
                        .iter()
                        .find(|op| op.name == name)
                        .ok_or_else(|| error(place(), format!("notify {name}: no such operation")))
                })
                .transpose()?;
            let set_name = def
                .attribute_set
                .as_deref()
                .or_else(|| notified.and_then(|n| n.attribute_set.as_deref()));
            let set = self.set_id(set_name, &place)?;
            let list = |message: Option<&crate::ynl::spec::MessageDef>| {
                self.attr_list(set.map(|s| &sets[s]), message, &place)
            };
            let mut lists = [
                list(mode(&def.r#do).and_then(|m| m.request.as_ref()))?,
                list(mode(&def.r#do).and_then(|m| m.reply.as_ref()))?,
                list(mode(&def.dump).and_then(|m| m.request.as_ref()))?,
                list(mode(&def.dump).and_then(|m| m.reply.as_ref()))?,
            ];
            if let Some(event) = &def.event {
                lists[1] = list(Some(event))?;
            } else if let Some(notified) = notified {
                lists[1] = list(mode(&notified.r#do).and_then(|m| m.reply.as_ref()))?;
            }
            let fixed_header = match &def.fixed_header {
                Some(name) => self.struct_id(Some(name), &place)?,
                None => family_header,
            };
            ops.push(Op {
                name: self.names.get(&def.name),
                request,
                reply,
                set,
                fixed_header,
                modes: Modes {
                    r#do: def.r#do.is_some(),
                    dump: def.dump.is_some(),
                    notify: def.notify.is_some() || def.event.is_some(),
                },
                lists,
            });
        }
        Ok(ops)
    }

    fn attr_list(
        &self,
        set: Option<&AttrSet>,
        message: Option<&crate::ynl::spec::MessageDef>,
        place: &dyn Fn() -> String,
    ) -> Result<Option<Vec<u16>>, CompileError> {
        let Some(message) = message else {
            return Ok(None);
        };
        let Some(set) = set else {
            return Ok(Some(Vec::new()));
        };
        let mut ids = Vec::with_capacity(message.attributes.len());
        for name in &message.attributes {
            let attr = set.by_name(&name.0).ok_or_else(|| {
                error(
                    place(),
                    format!("attribute {} is not in attribute-set {}", name.0, set.name),
                )
            })?;
            ids.push(attr.value);
        }
        Ok(Some(ids))
    }
}

/// A subset's attribute: the parent's, with what the subset says instead.
fn merge_attr(base: &AttrDef, over: &AttrDef) -> AttrDef {
    fn pick<T: Clone>(over: &Option<T>, base: &Option<T>) -> Option<T> {
        over.clone().or_else(|| base.clone())
    }
    AttrDef {
        name: base.name.clone(),
        kind: pick(&over.kind, &base.kind),
        value: base.value.clone(),
        byte_order: pick(&over.byte_order, &base.byte_order),
        multi_attr: over.multi_attr.or(base.multi_attr),
        nested_attributes: pick(&over.nested_attributes, &base.nested_attributes),
        r#enum: pick(&over.r#enum, &base.r#enum),
        enum_as_flags: over.enum_as_flags.or(base.enum_as_flags),
        sub_type: pick(&over.sub_type, &base.sub_type),
        display_hint: pick(&over.display_hint, &base.display_hint),
        r#struct: pick(&over.r#struct, &base.r#struct),
        len: pick(&over.len, &base.len),
        sub_message: pick(&over.sub_message, &base.sub_message),
        selector: pick(&over.selector, &base.selector),
        type_value: if over.type_value.is_empty() {
            base.type_value.clone()
        } else {
            over.type_value.clone()
        },
    }
}

fn mode(m: &Option<ModeDef>) -> Option<&ModeDef> {
    m.as_ref()
}

fn number(n: &Option<Number>) -> Option<u32> {
    n.as_ref()
        .and_then(Number::int)
        .and_then(|v| u32::try_from(v).ok())
}

/// Unified model: one id per operation, counting from 1, an explicit
/// `value` restarting the count.
fn unified_values(list: &[OperationDef]) -> Vec<(Option<u32>, Option<u32>)> {
    let mut next: u32 = 1;
    list.iter()
        .map(|op| {
            let value = number(&op.value).unwrap_or(next);
            next = value.saturating_add(1);
            let call = op.r#do.is_some() || op.dump.is_some();
            let notify = op.notify.is_some() || op.event.is_some();
            // A reserved id (neither call nor notification) names nothing.
            let request = call.then_some(value);
            let reply = (call || notify).then_some(value);
            (request, reply)
        })
        .collect()
}

/// Directional model: requests and replies count separately. A call takes
/// its request id (and its reply id, when it has a reply) from its `do`
/// (else `dump`) or the running counts; a notification takes the next
/// reply id (or its own `value`).
fn directional_values(list: &[OperationDef]) -> Vec<(Option<u32>, Option<u32>)> {
    let mut request: u32 = 1;
    let mut reply: u32 = 1;
    list.iter()
        .map(|op| {
            if op.notify.is_some() || op.event.is_some() {
                if let Some(v) = number(&op.value) {
                    reply = v;
                }
                let this = reply;
                reply = reply.saturating_add(1);
                return (None, Some(this));
            }
            let Some(mode) = op.r#do.as_ref().or(op.dump.as_ref()) else {
                return (None, None);
            };
            // An explicit 0 counts as not given, as the kernel's tools read it.
            if let Some(v) = number(&mode.request.as_ref().and_then(|m| m.value.clone())) {
                if v != 0 {
                    request = v;
                }
            }
            if let Some(v) = number(&mode.reply.as_ref().and_then(|m| m.value.clone())) {
                if v != 0 {
                    reply = v;
                }
            }
            let this = (Some(request), mode.reply.is_some().then_some(reply));
            request = request.saturating_add(1);
            if mode.reply.is_some() {
                reply = reply.saturating_add(1);
            }
            this
        })
        .collect()
}
