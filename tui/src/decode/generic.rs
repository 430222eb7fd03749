//! Protocols without a dedicated decoder: an attribute tree when the body
//! reads as attributes (possibly after a small fixed header), text when it is
//! text, hex otherwise.

use super::nla::{attrs, hex, split_attrs, Cx, MAX_FIELDS};
use super::printable::as_text;
use super::{type_name, Body, Field, Msg};

pub fn decode(cx: &Cx, msg: &Msg) -> Body {
    let (name, op) = type_name(cx, msg.header.kind, Some(msg));
    let fields = body_fields(cx, msg.body.clone());
    let summary = format!("{name} {} bytes", msg.body.len());
    Body {
        type_name: name,
        op,
        fields,
        summary,
    }
}

/// Fields of an unknown body in `range`.
pub fn body_fields(cx: &Cx, range: std::ops::Range<usize>) -> Vec<Field> {
    let data = cx.bytes(range.clone());
    if data.is_empty() || !cx.tree {
        return Vec::new();
    }
    if let Some(text) = as_text(data) {
        return vec![
            Field::new("text", format!("\"{}\"", super::nla::escape(&text))).at(range.clone()),
            Field::new("hex", hex(data)).at(range),
        ];
    }
    // The smallest fixed header (0..=32 bytes, 4-aligned) after which the
    // rest is exactly a sequence of attributes.
    for skip in (0..=32).step_by(4) {
        let start = range.start + skip;
        if start + 4 > range.end {
            break;
        }
        let (found, rest) = split_attrs(cx, start..range.end);
        if !found.is_empty() && (rest.is_empty() || found.len() >= MAX_FIELDS) {
            let mut fields = Vec::new();
            if skip > 0 {
                fields.push(
                    Field::new("header", hex(cx.bytes(range.start..start))).at(range.start..start),
                );
            }
            fields.push(
                Field::new("attributes", format!("{} bytes", range.end - start))
                    .at(start..range.end)
                    .with_children(attrs(cx, start..range.end, None, 1)),
            );
            return fields;
        }
    }
    vec![Field::new("data", hex(data)).at(range)]
}
