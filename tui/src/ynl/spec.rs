//! The YNL spec as written: a serde model of the four schemas the kernel's
//! specs use (genetlink, genetlink-c, genetlink-legacy, netlink-raw). They
//! differ only in which properties a spec may use, so one model holds them
//! all; what a decoder needs is resolved from it by `compile`.
//!
//! Properties that only matter for code generation (doc, checks, header,
//! enum-name, ...) are not read. Names and values are taken as YAML gives
//! them: a name may be written as a number (`8021q` is text, `1` is not),
//! a length may name a constant.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// One spec file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SpecFile {
    #[serde(deserialize_with = "text")]
    pub name: String,
    /// `genetlink` when absent.
    #[serde(default)]
    pub protocol: Option<String>,
    /// netlink-raw: the netlink protocol number.
    #[serde(default)]
    pub protonum: Option<u32>,
    #[serde(default)]
    pub definitions: Vec<Definition>,
    #[serde(default)]
    pub attribute_sets: Vec<AttrSetDef>,
    #[serde(default)]
    pub sub_messages: Vec<SubMessageDef>,
    #[serde(default)]
    pub operations: Option<OperationsDef>,
    #[serde(default)]
    pub mcast_groups: Option<McastGroupsDef>,
}

/// An entry of `definitions`: a const, an enum, flags or a struct.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Definition {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(rename = "type", deserialize_with = "text")]
    pub kind: String,
    /// A const's value.
    #[serde(default)]
    pub value: Option<Number>,
    /// The first value of an enum (the first bit of flags); 0 when absent.
    #[serde(default)]
    pub value_start: Option<Number>,
    #[serde(default)]
    pub entries: Vec<EnumEntryDef>,
    #[serde(default)]
    pub members: Vec<MemberDef>,
}

/// An enum (or flags) entry: a bare name, or a name with a value.
#[derive(Debug)]
pub struct EnumEntryDef {
    pub name: String,
    pub value: Option<i128>,
}

impl<'de> Deserialize<'de> for EnumEntryDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Entry {
            Full {
                #[serde(deserialize_with = "text")]
                name: String,
                #[serde(default)]
                value: Option<Number>,
            },
            Bare(#[serde(deserialize_with = "text")] String),
        }
        Ok(match Entry::deserialize(deserializer)? {
            Entry::Full { name, value } => EnumEntryDef {
                name,
                value: value.and_then(|v| v.int()),
            },
            Entry::Bare(name) => EnumEntryDef { name, value: None },
        })
    }
}

/// A struct member.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MemberDef {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(rename = "type", deserialize_with = "text")]
    pub kind: String,
    #[serde(default)]
    pub len: Option<Number>,
    #[serde(default)]
    pub byte_order: Option<String>,
    #[serde(default)]
    pub display_hint: Option<String>,
    #[serde(default)]
    pub r#enum: Option<String>,
    #[serde(default)]
    pub enum_as_flags: bool,
    #[serde(default)]
    pub r#struct: Option<String>,
}

/// An entry of `attribute-sets`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AttrSetDef {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(default)]
    pub subset_of: Option<String>,
    #[serde(default)]
    pub attributes: Vec<AttrDef>,
}

/// One attribute of a set. In a subset, only `name` is required: the rest
/// comes from the parent set's attribute of that name.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AttrDef {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub value: Option<Number>,
    #[serde(default)]
    pub byte_order: Option<String>,
    #[serde(default)]
    pub multi_attr: Option<bool>,
    #[serde(default)]
    pub nested_attributes: Option<String>,
    #[serde(default)]
    pub r#enum: Option<String>,
    #[serde(default)]
    pub enum_as_flags: Option<bool>,
    #[serde(default)]
    pub sub_type: Option<String>,
    #[serde(default)]
    pub display_hint: Option<String>,
    #[serde(default)]
    pub r#struct: Option<String>,
    #[serde(default)]
    pub len: Option<Number>,
    #[serde(default)]
    pub sub_message: Option<String>,
    #[serde(default)]
    pub selector: Option<String>,
    #[serde(default)]
    pub type_value: Vec<Name>,
}

/// An entry of `sub-messages`: the formats an attribute takes, chosen by
/// the value of another attribute (its selector).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SubMessageDef {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(default)]
    pub formats: Vec<FormatDef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FormatDef {
    #[serde(deserialize_with = "text")]
    pub value: String,
    #[serde(default)]
    pub fixed_header: Option<String>,
    #[serde(default)]
    pub attribute_set: Option<String>,
}

/// `operations`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct OperationsDef {
    /// `unified` (the default) or `directional`.
    #[serde(default)]
    pub enum_model: Option<String>,
    /// The fixed header of every operation that does not name its own.
    #[serde(default)]
    pub fixed_header: Option<String>,
    #[serde(default)]
    pub list: Vec<OperationDef>,
}

/// One operation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct OperationDef {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(default)]
    pub value: Option<Number>,
    #[serde(default)]
    pub attribute_set: Option<String>,
    #[serde(default)]
    pub fixed_header: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub r#do: Option<ModeDef>,
    #[serde(default, deserialize_with = "present")]
    pub dump: Option<ModeDef>,
    /// The operation whose reply this notification carries.
    #[serde(default)]
    pub notify: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub event: Option<MessageDef>,
}

/// `do` or `dump` of an operation.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ModeDef {
    #[serde(default, deserialize_with = "present")]
    pub request: Option<MessageDef>,
    #[serde(default, deserialize_with = "present")]
    pub reply: Option<MessageDef>,
}

/// A request, reply or event: its message id (directional model) and the
/// attributes it carries.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MessageDef {
    #[serde(default)]
    pub value: Option<Number>,
    #[serde(default)]
    pub attributes: Vec<Name>,
}

#[derive(Debug, Deserialize)]
pub struct McastGroupsDef {
    #[serde(default)]
    pub list: Vec<McastGroupDef>,
}

#[derive(Debug, Deserialize)]
pub struct McastGroupDef {
    #[serde(deserialize_with = "text")]
    pub name: String,
    /// netlink-raw only: the group number.
    #[serde(default)]
    pub value: Option<Number>,
}

/// A name in a list.
#[derive(Clone, Debug, Deserialize)]
pub struct Name(#[serde(deserialize_with = "text")] pub String);

/// A property that is there, even when empty (`dump:` with nothing under
/// it still says the operation can be dumped).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Some(
        Option::<T>::deserialize(deserializer)?.unwrap_or_default(),
    ))
}

/// An integer, or text (a constant's name, an expression).
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    Int(i128),
    Text(String),
}

impl Number {
    pub fn int(&self) -> Option<i128> {
        match self {
            Number::Int(n) => Some(*n),
            Number::Text(text) => parse_int(text),
        }
    }
}

/// `12`, `0x1f`, `-3` as a number.
pub fn parse_int(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some(if negative { -value } else { value })
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or a name")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number::Int(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number::Int(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
                Ok(match parse_int(v) {
                    Some(n) => Number::Int(n),
                    None => Number::Text(v.to_string()),
                })
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

/// A scalar read as text, whatever YAML typed it as (`name: 1`).
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct TextVisitor;
    impl Visitor<'_> for TextVisitor {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a name")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    deserializer.deserialize_any(TextVisitor)
}
