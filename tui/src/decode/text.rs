//! Protocols whose payload is plain text: NETLINK_USERSOCK (2) and the demo
//! protocol (30), whose module answers "Hello userspace" as NLMSG_DONE.

use std::borrow::Cow;

use super::nla::{escape, hex, Cx};
use super::{type_name, Body, Field, Msg};

/// The payload as text when it is printable UTF-8 (NULs at the end allowed).
pub fn as_text(data: &[u8]) -> Option<String> {
    let mut end = data.len();
    while end > 0 && data[end - 1] == 0 {
        end -= 1;
    }
    if end == 0 {
        return None;
    }
    let text = std::str::from_utf8(&data[..end]).ok()?;
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
        .then(|| text.to_string())
}

/// The first `max` characters of `text`, with `…` when cut.
pub fn cut(text: &str, max: usize) -> Cow<'_, str> {
    // No more bytes than `max` means no more characters either.
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}

pub fn decode(cx: &Cx, msg: &Msg) -> Body {
    let (name, op) = type_name(cx, msg.header.kind, None);
    let data = cx.bytes(msg.body.clone());
    let mut fields = Vec::new();
    let summary = match as_text(data) {
        Some(text) => {
            fields.push(Field::new("text", format!("\"{}\"", escape(&text))).at(msg.body.clone()));
            fields.push(Field::new("hex", hex(data)).at(msg.body.clone()));
            format!("{name} \"{}\"", escape(&cut(&text, 60)))
        }
        None if data.is_empty() => name.to_string(),
        None => {
            let generic = super::generic::decode(cx, msg);
            fields = generic.fields;
            format!("{name} {} bytes", data.len())
        }
    };
    Body {
        type_name: name,
        op,
        fields,
        summary,
    }
}
