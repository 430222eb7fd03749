//! Protocols whose payload is plain text: NETLINK_USERSOCK (2) and the demo
//! protocol (30), whose module answers "Hello userspace" as NLMSG_DONE.

use super::nla::{escape, hex, Cx};
use super::printable::{as_text, cut};
use super::{type_name, Body, Field, Msg};

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
