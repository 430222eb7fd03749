//! NETLINK_KOBJECT_UEVENT: kernel uevents (`action@devpath\0KEY=VALUE\0...`,
//! no netlink header) and libudev's re-broadcasts (a binary header, then the
//! same properties).

use std::borrow::Cow;

use super::nla::{escape, hex, quote_value, utf8_lossy, Cx};
use super::printable::cut;
use super::Body;
use super::{DecodedMessage, Field, Msg, Value};
use compact_str::CompactString;

/// Keys most uevents carry, named without an allocation.
const COMMON_KEYS: &[&str] = &[
    "ACTION",
    "DEVPATH",
    "SUBSYSTEM",
    "SEQNUM",
    "INTERFACE",
    "IFINDEX",
    "DEVTYPE",
    "DEVNAME",
    "DEVMODE",
    "MAJOR",
    "MINOR",
    "DRIVER",
    "MODALIAS",
    "PRODUCT",
    "TYPE",
    "SYNTH_UUID",
    "USEC_INITIALIZED",
    "ID_NET_NAME",
    "TAGS",
    "CURRENT_TAGS",
];

/// Most properties shown.
const MAX_PROPERTIES: usize = 512;
/// Size of `struct udev_monitor_netlink_header`.
const UDEV_HEADER: usize = 40;

pub fn decode(cx: &Cx) -> DecodedMessage {
    let payload = cx.payload;
    let all = 0..payload.len();
    let (mut children, props_start, summary_head) =
        if payload.starts_with(b"libudev\0") && payload.len() >= UDEV_HEADER {
            let magic = cx.be32(8).unwrap_or(0);
            let header_size = cx.u32(12).unwrap_or(0) as usize;
            let props_off = cx.u32(16).unwrap_or(0) as usize;
            let props_len = cx.u32(20).unwrap_or(0) as usize;
            let header = Field::new("udev_monitor_netlink_header", "40 bytes")
                .at(0..UDEV_HEADER)
                .with_children(vec![
                    Field::new("prefix", "\"libudev\"").at(0..8),
                    Field::new("magic", format!("{magic:#010x}")).at(8..12),
                    Field::new("header_size", header_size.to_string()).at(12..16),
                    Field::new("properties_off", props_off.to_string()).at(16..20),
                    Field::new("properties_len", props_len.to_string()).at(20..24),
                    Field::new(
                        "filter_subsystem_hash",
                        format!("{:#x}", cx.u32(24).unwrap_or(0)),
                    )
                    .at(24..28),
                    Field::new(
                        "filter_devtype_hash",
                        format!("{:#x}", cx.u32(28).unwrap_or(0)),
                    )
                    .at(28..32),
                    Field::new("filter_tag_bloom", hex(cx.bytes(32..40))).at(32..40),
                ]);
            let start = if props_off >= UDEV_HEADER && props_off <= payload.len() {
                props_off
            } else {
                UDEV_HEADER
            };
            (with_room_for_properties(header), start, None)
        } else {
            // The first string is the `action@devpath` headline.
            let end = payload
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(payload.len());
            let headline = utf8_lossy(&payload[..end]);
            let field = Field::new("headline", quote_value(&headline)).at(0..end);
            (
                with_room_for_properties(field),
                (end + 1).min(payload.len()),
                Some(headline),
            )
        };
    let (properties, action, devpath) = properties(cx, props_start..payload.len());
    children.push(
        Field::new("properties", Value::Unsigned(properties.len() as u64))
            .at(props_start..payload.len())
            .with_children(properties),
    );
    let summary = match (summary_head, action, devpath) {
        (Some(head), _, _) if head.contains('@') => {
            let mut line = String::with_capacity(head.len() + 8);
            line.push_str("uevent ");
            line.push_str(&cut(&head, 100));
            line
        }
        (None, Some(action), Some(devpath)) => {
            format!("uevent {action}@{} (libudev)", cut(&devpath, 100))
        }
        (_, Some(action), Some(devpath)) => format!("uevent {action}@{}", cut(&devpath, 100)),
        _ => format!("uevent {} bytes", payload.len()),
    };
    DecodedMessage {
        summary: super::one_line(summary),
        messages: vec![Field::new("uevent", summary_value(payload.len()))
            .at(all)
            .with_children(children)],
    }
}

/// The first child of a uevent, with room for the properties that follow.
fn with_room_for_properties(first: Field) -> Vec<Field> {
    let mut children = Vec::with_capacity(2);
    children.push(first);
    children
}

fn summary_value(len: usize) -> Value {
    Value::Bytes(len as u64)
}

/// `KEY=VALUE` strings as fields, plus ACTION and DEVPATH when present.
fn properties(
    cx: &Cx,
    range: std::ops::Range<usize>,
) -> (Vec<Field>, Option<CompactString>, Option<CompactString>) {
    let data = cx.bytes(range.clone());
    let mut fields = if cx.tree {
        // A sum rather than a filtered count: the compiler vectorizes it.
        let nuls: usize = data.iter().map(|&b| usize::from(b == 0)).sum();
        Vec::with_capacity((nuls + 1).min(MAX_PROPERTIES + 1))
    } else {
        Vec::new()
    };
    // The block checked once (it is nearly always valid UTF-8), which costs
    // less than a check per property; a NUL always ends a character, so each
    // property is then a slice of it.
    let whole = std::str::from_utf8(data).ok();
    let mut action = None;
    let mut devpath = None;
    let mut at = 0;
    // Counted apart from `fields`, which stays empty for a summary alone.
    let mut shown = 0;
    for part in data.split(|&b| b == 0) {
        let start = at;
        at += part.len() + 1;
        if part.is_empty() {
            continue;
        }
        if shown >= MAX_PROPERTIES || !cx.take() {
            fields.push(Field::new("…", "more properties not shown"));
            break;
        }
        shown += 1;
        let text = match whole {
            Some(whole) => Cow::Borrowed(&whole[start..start + part.len()]),
            None => String::from_utf8_lossy(part),
        };
        // `=` is ASCII: a byte search finds it without a char searcher.
        let (key, value) = match text.bytes().position(|b| b == b'=') {
            Some(i) => (&text[..i], &text[i + 1..]),
            None => (&text[..], ""),
        };
        match key {
            "ACTION" => action = Some(CompactString::from(value)),
            "DEVPATH" => devpath = Some(CompactString::from(value)),
            _ => {}
        }
        if cx.tree {
            let name: Cow<'static, str> = match COMMON_KEYS.iter().find(|k| **k == key) {
                Some(known) => Cow::Borrowed(known),
                None => Cow::Owned(escape(&cut(key, 64))),
            };
            let bytes = range.start + start..range.start + start + part.len();
            fields.push(Field::new(name, quote_value(value)).at(bytes));
        }
    }
    (fields, action, devpath)
}

/// A uevent protocol buffer that does start with a netlink header (rare:
/// some tools send netlink-framed messages on this protocol).
pub fn decode_body(cx: &Cx, msg: &Msg) -> Body {
    super::generic::decode(cx, msg)
}
