//! NLMSG_ERROR (errors and acks, with the quoted request and extended ack
//! TLVs) and NLMSG_DONE.

use super::names::{errno_name, Op};
use super::nla::{attrs, quoted_value, AttrWalk, Cx, Kind, Schema};
use super::{decode_message, type_name, Body, Field, Msg};
use crate::netlink::header::{nlmsg_align, parse_header, NlMsgHeader, NLMSG_HDRLEN};
use crate::netlink::{
    NLMSGERR_ATTR_COOKIE, NLMSGERR_ATTR_MISS_NEST, NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG,
    NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_POLICY, NLM_F_ACK_TLVS, NLM_F_CAPPED,
    NL_POLICY_TYPE_ATTR_BITFIELD32_MASK, NL_POLICY_TYPE_ATTR_MASK, NL_POLICY_TYPE_ATTR_MAX_LENGTH,
    NL_POLICY_TYPE_ATTR_MAX_VALUE_S, NL_POLICY_TYPE_ATTR_MAX_VALUE_U,
    NL_POLICY_TYPE_ATTR_MIN_LENGTH, NL_POLICY_TYPE_ATTR_MIN_VALUE_S,
    NL_POLICY_TYPE_ATTR_MIN_VALUE_U, NL_POLICY_TYPE_ATTR_PAD, NL_POLICY_TYPE_ATTR_POLICY_IDX,
    NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE, NL_POLICY_TYPE_ATTR_TYPE,
};
use compact_str::format_compact;

/// What NLMSGERR_ATTR_POLICY says of the policy a rejected attribute broke
/// (NL_POLICY_TYPE_ATTR_*; the type is an `enum netlink_attribute_type`, the
/// signed limits s64, shown in hex).
static POLICY: Schema = Schema::new(&[
    (
        NL_POLICY_TYPE_ATTR_TYPE,
        "NL_POLICY_TYPE_ATTR_TYPE",
        Kind::U32,
    ),
    (
        NL_POLICY_TYPE_ATTR_MIN_VALUE_S,
        "NL_POLICY_TYPE_ATTR_MIN_VALUE_S",
        Kind::Hex,
    ),
    (
        NL_POLICY_TYPE_ATTR_MAX_VALUE_S,
        "NL_POLICY_TYPE_ATTR_MAX_VALUE_S",
        Kind::Hex,
    ),
    (
        NL_POLICY_TYPE_ATTR_MIN_VALUE_U,
        "NL_POLICY_TYPE_ATTR_MIN_VALUE_U",
        Kind::U64,
    ),
    (
        NL_POLICY_TYPE_ATTR_MAX_VALUE_U,
        "NL_POLICY_TYPE_ATTR_MAX_VALUE_U",
        Kind::U64,
    ),
    (
        NL_POLICY_TYPE_ATTR_MIN_LENGTH,
        "NL_POLICY_TYPE_ATTR_MIN_LENGTH",
        Kind::U32,
    ),
    (
        NL_POLICY_TYPE_ATTR_MAX_LENGTH,
        "NL_POLICY_TYPE_ATTR_MAX_LENGTH",
        Kind::U32,
    ),
    (
        NL_POLICY_TYPE_ATTR_POLICY_IDX,
        "NL_POLICY_TYPE_ATTR_POLICY_IDX",
        Kind::U32,
    ),
    (
        NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE,
        "NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE",
        Kind::U32,
    ),
    (
        NL_POLICY_TYPE_ATTR_BITFIELD32_MASK,
        "NL_POLICY_TYPE_ATTR_BITFIELD32_MASK",
        Kind::U32,
    ),
    (
        NL_POLICY_TYPE_ATTR_PAD,
        "NL_POLICY_TYPE_ATTR_PAD",
        Kind::Hex,
    ),
    (
        NL_POLICY_TYPE_ATTR_MASK,
        "NL_POLICY_TYPE_ATTR_MASK",
        Kind::U64,
    ),
]);

/// NLMSGERR_ATTR_*.
pub static EXT_ACK: Schema = Schema::new(&[
    (NLMSGERR_ATTR_MSG, "NLMSGERR_ATTR_MSG", Kind::Str),
    (NLMSGERR_ATTR_OFFS, "NLMSGERR_ATTR_OFFS", Kind::U32),
    (NLMSGERR_ATTR_COOKIE, "NLMSGERR_ATTR_COOKIE", Kind::Hex),
    (
        NLMSGERR_ATTR_POLICY,
        "NLMSGERR_ATTR_POLICY",
        Kind::Nested(Some(&POLICY)),
    ),
    (
        NLMSGERR_ATTR_MISS_TYPE,
        "NLMSGERR_ATTR_MISS_TYPE",
        Kind::U32,
    ),
    (
        NLMSGERR_ATTR_MISS_NEST,
        "NLMSGERR_ATTR_MISS_NEST",
        Kind::U32,
    ),
]);

/// `ENOENT (-2)`.
pub fn errno_text(error: i32) -> String {
    match errno_name(error.unsigned_abs().min(i32::MAX as u32) as i32) {
        Some(name) if error < 0 => format!("{name} ({error})"),
        _ => error.to_string(),
    }
}

pub fn decode(cx: &Cx, msg: &Msg) -> Body {
    let body = msg.body.clone();
    let flags = msg.header.flags;
    let mut fields = Vec::new();
    let Some(error) = cx.i32(body.start).filter(|_| body.len() >= 4) else {
        let summary = if cx.cut_at == Some(body.end) {
            "NLMSG_ERROR (error code not captured)"
        } else {
            "NLMSG_ERROR (no error code)"
        };
        return Body {
            type_name: "NLMSG_ERROR".into(),
            op: Some(Op::Ack),
            fields,
            summary: summary.into(),
        };
    };
    let error_text = if error == 0 {
        "0 (ACK)".to_string()
    } else {
        errno_text(error)
    };
    fields.push(Field::new("error", error_text.clone()).at(body.start..body.start + 4));

    let orig_start = body.start + 4;
    let mut orig_name = None;
    let mut tlv_start = body.end;
    if let Some(orig) = parse_header(cx.bytes(orig_start..body.end)) {
        let capped = flags & NLM_F_CAPPED != 0;
        let orig_len = orig.len as usize;
        let quoted_end = if capped {
            orig_start + NLMSG_HDRLEN
        } else {
            orig_start
                .saturating_add(nlmsg_align(orig_len))
                .max(orig_start + NLMSG_HDRLEN)
        };
        tlv_start = quoted_end.min(body.end);
        let orig_msg = Msg {
            offset: orig_start,
            header: orig,
            body: (orig_start + NLMSG_HDRLEN).min(body.end)..if capped {
                orig_start + NLMSG_HDRLEN
            } else {
                orig_start.saturating_add(orig_len).min(body.end)
            },
            depth: msg.depth + 1,
        };
        let (name, _) = type_name(cx, orig.kind, (!capped).then_some(&orig_msg));
        orig_name = Some(name);
        if !capped && orig_len >= NLMSG_HDRLEN && msg.depth < 2 {
            let (mut request, _) = decode_message(cx, orig_start, orig, msg.depth + 1);
            request.value = format_compact!("request: {}", request.value).into();
            fields.push(request);
        } else {
            let (request, _) = decode_message(
                cx,
                orig_start,
                NlMsgHeader {
                    len: NLMSG_HDRLEN as u32,
                    ..orig
                },
                msg.depth + 1,
            );
            let mut header = request
                .children
                .into_iter()
                .next()
                .unwrap_or_else(|| Field::new("nlmsghdr", ""));
            header.name = "original nlmsghdr".into();
            fields.push(header);
        }
    }
    let mut ext_msg = None;
    if flags & NLM_F_ACK_TLVS != 0 && tlv_start < body.end {
        let mut tlvs = attrs(cx, tlv_start..body.end, Some(&EXT_ACK), 1);
        // Say what NLMSGERR_ATTR_OFFS points at in the quoted request.
        for tlv in tlvs.iter_mut().filter(|f| f.name == "NLMSGERR_ATTR_OFFS") {
            let Some(offset) = tlv.value.number().and_then(|n| usize::try_from(n).ok()) else {
                continue;
            };
            let at = orig_start.saturating_add(offset);
            let target = fields
                .iter()
                .find(|f| f.name != "error")
                .and_then(|request| field_at(request, at, &mut Vec::new()));
            tlv.value = match target {
                Some(path) => format_compact!("{offset} (byte {at}: {path})").into(),
                None => format_compact!("{offset} (byte {at})").into(),
            };
        }
        // From the bytes, not the fields: the summary must not depend on
        // whether the tree is built (Cx::tree).
        ext_msg = AttrWalk::new(cx, tlv_start..body.end)
            .find(|a| a.kind == NLMSGERR_ATTR_MSG)
            .map(|a| quoted_value(cx.bytes(a.value)).to_string());
        fields.push(
            Field::new("extended ack", format!("{} bytes", body.end - tlv_start))
                .at(tlv_start..body.end)
                .with_children(tlvs),
        );
    }
    let mut summary = if error == 0 {
        "ACK".to_string()
    } else {
        format!("NLMSG_ERROR {error_text}")
    };
    if let Some(name) = orig_name {
        summary.push_str(" for ");
        summary.push_str(&name);
    }
    if let Some(text) = ext_msg {
        summary.push_str(": ");
        summary.push_str(&text);
    }
    Body {
        type_name: "NLMSG_ERROR".into(),
        op: Some(Op::Ack),
        fields,
        summary,
    }
}

pub fn decode_done(cx: &Cx, msg: &Msg) -> Body {
    let body = msg.body.clone();
    let mut fields = Vec::new();
    let mut summary = "NLMSG_DONE".to_string();
    if let Some(status) = cx.i32(body.start).filter(|_| body.len() >= 4) {
        fields.push(Field::new("status", errno_text(status)).at(body.start..body.start + 4));
        if status != 0 {
            summary.push_str(&format!(" {}", errno_text(status)));
        }
        if msg.header.flags & NLM_F_ACK_TLVS != 0 && body.len() > 4 {
            fields.push(
                Field::new("extended ack", format!("{} bytes", body.len() - 4))
                    .at(body.start + 4..body.end)
                    .with_children(attrs(cx, body.start + 4..body.end, Some(&EXT_ACK), 1)),
            );
        } else if body.len() > 4 {
            fields.push(
                Field::new("data", super::nla::hex(cx.bytes(body.start + 4..body.end)))
                    .at(body.start + 4..body.end),
            );
        }
    } else if !body.is_empty() {
        fields.push(Field::new("data", super::nla::hex(cx.bytes(body.clone()))).at(body));
    }
    Body {
        type_name: "NLMSG_DONE".into(),
        op: None,
        fields,
        summary,
    }
}

/// Path of names to the deepest field whose bytes start at or contain `at`.
fn field_at(field: &Field, at: usize, path: &mut Vec<String>) -> Option<String> {
    let range = field.bytes.as_ref()?;
    if !(range.start <= at && at < range.end.max(range.start + 1)) {
        return None;
    }
    path.push(field.name.to_string());
    for child in &field.children {
        if let Some(found) = field_at(child, at, path) {
            return Some(found);
        }
    }
    let found = path[1..].join(" / ");
    path.pop();
    Some(found)
}
