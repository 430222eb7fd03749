//! NETLINK_GENERIC: the genlmsghdr, nlctrl (family 0x10) in full, other
//! families named through the [`DecodeContext`](super::DecodeContext) and,
//! when it has their YNL spec, decoded by it (command, fixed header,
//! attributes).

use std::borrow::Cow;

use super::context::{cstr, parse_family};
use super::names::{lookup, Op};
use super::nla::{attrs, member, members, Cx, Kind, Member, Schema};
use super::{ynl as interpret, Body, Field, Msg, Value};
use crate::netlink::genl::{fixed_family_name, CTRL_CMDS, GENL_HDRLEN, GENL_ID_CTRL};
use crate::netlink::header::is_dump_request;
use crate::netlink::{
    CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_HDRSIZE, CTRL_ATTR_MAXATTR,
    CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_MCAST_GRP_ID, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_OP,
    CTRL_ATTR_OPS, CTRL_ATTR_OP_FLAGS, CTRL_ATTR_OP_ID, CTRL_ATTR_OP_POLICY, CTRL_ATTR_POLICY,
    CTRL_ATTR_VERSION, NLM_F_MULTI, NLM_F_REQUEST,
};
use crate::ynl::{self, Direction};
use compact_str::format_compact;

static CTRL_OP: Schema = Schema::new(&[
    (CTRL_ATTR_OP_ID, "CTRL_ATTR_OP_ID", Kind::U32),
    (CTRL_ATTR_OP_FLAGS, "CTRL_ATTR_OP_FLAGS", Kind::U32),
]);
static CTRL_MCAST_GRP: Schema = Schema::new(&[
    (
        CTRL_ATTR_MCAST_GRP_NAME,
        "CTRL_ATTR_MCAST_GRP_NAME",
        Kind::Str,
    ),
    (CTRL_ATTR_MCAST_GRP_ID, "CTRL_ATTR_MCAST_GRP_ID", Kind::U32),
]);
static CTRL: Schema = Schema::new(&[
    (CTRL_ATTR_FAMILY_ID, "CTRL_ATTR_FAMILY_ID", Kind::U16),
    (CTRL_ATTR_FAMILY_NAME, "CTRL_ATTR_FAMILY_NAME", Kind::Str),
    (CTRL_ATTR_VERSION, "CTRL_ATTR_VERSION", Kind::U32),
    (CTRL_ATTR_HDRSIZE, "CTRL_ATTR_HDRSIZE", Kind::U32),
    (CTRL_ATTR_MAXATTR, "CTRL_ATTR_MAXATTR", Kind::U32),
    (CTRL_ATTR_OPS, "CTRL_ATTR_OPS", Kind::Array(&CTRL_OP)),
    (
        CTRL_ATTR_MCAST_GROUPS,
        "CTRL_ATTR_MCAST_GROUPS",
        Kind::Array(&CTRL_MCAST_GRP),
    ),
    (CTRL_ATTR_POLICY, "CTRL_ATTR_POLICY", Kind::Nested(None)),
    (
        CTRL_ATTR_OP_POLICY,
        "CTRL_ATTR_OP_POLICY",
        Kind::Nested(None),
    ),
    (CTRL_ATTR_OP, "CTRL_ATTR_OP", Kind::U32),
]);

const GENLMSGHDR: &[Member] = &[
    member("cmd", 0, Kind::U8, 1),
    member("version", 1, Kind::U8, 1),
    member("reserved", 2, Kind::U16, 2),
];

/// Command names of well-known families, by family name.
fn command_name(family: &str, cmd: u8) -> Option<&'static str> {
    const NL80211: &[&str] = &[
        "UNSPEC",
        "GET_WIPHY",
        "SET_WIPHY",
        "NEW_WIPHY",
        "DEL_WIPHY",
        "GET_INTERFACE",
        "SET_INTERFACE",
        "NEW_INTERFACE",
        "DEL_INTERFACE",
        "GET_KEY",
        "SET_KEY",
        "NEW_KEY",
        "DEL_KEY",
        "GET_BEACON",
        "SET_BEACON",
        "START_AP",
        "STOP_AP",
        "GET_STATION",
        "SET_STATION",
        "NEW_STATION",
        "DEL_STATION",
        "GET_MPATH",
        "SET_MPATH",
        "NEW_MPATH",
        "DEL_MPATH",
        "SET_BSS",
        "SET_REG",
        "REQ_SET_REG",
        "GET_MESH_CONFIG",
        "SET_MESH_CONFIG",
        "SET_MGMT_EXTRA_IE",
        "GET_REG",
        "GET_SCAN",
        "TRIGGER_SCAN",
        "NEW_SCAN_RESULTS",
        "SCAN_ABORTED",
        "REG_CHANGE",
        "AUTHENTICATE",
        "ASSOCIATE",
        "DEAUTHENTICATE",
        "DISASSOCIATE",
        "MICHAEL_MIC_FAILURE",
        "REG_BEACON_HINT",
        "JOIN_IBSS",
        "LEAVE_IBSS",
        "TESTMODE",
        "CONNECT",
        "ROAM",
        "DISCONNECT",
    ];
    const TASKSTATS: &[&str] = &["UNSPEC", "GET", "NEW"];
    const WIREGUARD: &[&str] = &["GET_DEVICE", "SET_DEVICE"];
    const ACPI: &[&str] = &["UNSPEC", "EVENT"];
    const THERMAL: &[&str] = &[
        "UNSPEC",
        "TZ_GET_ID",
        "TZ_GET_TRIP",
        "TZ_GET_TEMP",
        "TZ_GET_GOV",
        "THRESHOLD_GET",
        "CDEV_GET",
    ];
    let table: &[&str] = match family {
        "nl80211" => NL80211,
        "TASKSTATS" => TASKSTATS,
        "wireguard" => WIREGUARD,
        "acpi_event" => ACPI,
        "thermal" => THERMAL,
        _ => return None,
    };
    table.get(cmd as usize).copied()
}

/// How the flags of a command read, guessed from its name (`GET_WIPHY`,
/// or a spec's `linkinfo-get`).
fn op_of(command: &str) -> Option<Op> {
    // A word of the name: `GET` of `GET_WIPHY`, `get` of `linkinfo-get`.
    let has = |word: &str| {
        command
            .split(['_', '-'])
            .any(|part| part.eq_ignore_ascii_case(word))
    };
    if command.starts_with("GET") || has("get") {
        Some(Op::Get)
    } else if command.starts_with("NEW")
        || command.starts_with("SET")
        || has("new")
        || has("set")
        || has("add")
    {
        Some(Op::New)
    } else if command.starts_with("DEL") || has("del") {
        Some(Op::Del)
    } else {
        None
    }
}

/// What a generic netlink message is: its family's name, the family's spec
/// and the operation it belongs to when there is a spec, and its command's
/// name (the spec's, else a known table's, else `cmd N`).
struct Names<'c> {
    family: String,
    spec: Option<&'c ynl::Family>,
    op: Option<&'c ynl::Op>,
    command: Option<Cow<'static, str>>,
}

fn names<'c>(cx: &Cx<'c>, kind: u16, cmd: Option<u8>, msg: Option<&Msg>) -> Names<'c> {
    let family = match fixed_family_name(kind) {
        Some(name) => Some(name.to_string()),
        None => cx.context.family(kind).map(|f| f.name.clone()),
    };
    // nlctrl keeps its own decoder; every other family with a spec uses it.
    let spec = match (kind, &family) {
        (GENL_ID_CTRL, _) | (_, None) => None,
        (_, Some(name)) => cx.context.specs().genetlink(name),
    };
    let op = match (spec, cmd, msg) {
        (Some(spec), Some(cmd), Some(msg)) => {
            let flags = msg.header.flags;
            let (direction, dump) = if flags & NLM_F_REQUEST != 0 {
                (Direction::Request, is_dump_request(flags))
            } else {
                (Direction::Reply, flags & NLM_F_MULTI != 0)
            };
            let header = spec.fixed_header.map_or(0, |h| spec.structs[h].size);
            let attributes =
                (msg.body.start + GENL_HDRLEN + header).min(msg.body.end)..msg.body.end;
            interpret::operation(cx, spec, cmd.into(), direction, dump, attributes)
        }
        _ => None,
    };
    let command = cmd.map(|cmd| -> Cow<'static, str> {
        if let Some(op) = op {
            return Cow::Borrowed(op.name);
        }
        let known = match kind {
            GENL_ID_CTRL => lookup(CTRL_CMDS, cmd),
            _ => family.as_deref().and_then(|f| command_name(f, cmd)),
        };
        match known {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(format!("cmd {cmd}")),
        }
    });
    let family = family.unwrap_or_else(|| format!("genl family {kind:#x}"));
    Names {
        family,
        spec,
        op,
        command,
    }
}

pub fn type_name(cx: &Cx, kind: u16, msg: Option<&Msg>) -> (String, Option<Op>) {
    let cmd = msg.and_then(|m| cx.u8(m.body.start).filter(|_| !m.body.is_empty()));
    let found = names(cx, kind, cmd, msg);
    let op = found.command.as_deref().and_then(op_of);
    (found.family, op)
}

pub fn decode(cx: &Cx, msg: &Msg) -> Body {
    let kind = msg.header.kind;
    let body = msg.body.clone();
    let cmd = cx.u8(body.start).filter(|_| !body.is_empty());
    let Names {
        family,
        spec,
        op: spec_op,
        command,
    } = names(cx, kind, cmd, Some(msg));
    let op = command.as_deref().and_then(op_of);
    let mut fields = Vec::new();
    let header_end = (body.start + GENL_HDRLEN).min(body.end);
    let mut header = members(cx, body.start, header_end, GENLMSGHDR);
    if let (Some(first), Some(command), Some(cmd)) = (header.first_mut(), &command, cmd) {
        first.value = match command {
            Cow::Borrowed(name) => Value::Named(cmd.into(), name),
            Cow::Owned(name) => format_compact!("{cmd} ({name})").into(),
        };
    }
    fields.push(
        Field::new("genlmsghdr", format!("{} bytes", header_end - body.start))
            .at(body.start..header_end)
            .with_children(header),
    );
    let mut attrs_range = header_end..body.end;
    // The family's own fixed header: as its spec describes it, else as many
    // bytes as nlctrl said (CTRL_ATTR_HDRSIZE).
    let spec_header = spec.and_then(|s| spec_op.map_or(s.fixed_header, |op| op.fixed_header));
    if let (Some(spec), Some(id)) = (spec, spec_header) {
        let end = (attrs_range.start + spec.structs[id].size).min(attrs_range.end);
        if cx.tree {
            fields.push(interpret::header_field(
                cx,
                spec,
                id,
                attrs_range.start..end,
            ));
        }
        attrs_range = end..attrs_range.end;
    } else {
        let user_header = match kind {
            GENL_ID_CTRL => 0,
            _ => cx.context.family(kind).map_or(0, |f| f.hdrsize as usize),
        };
        if user_header > 0 && attrs_range.len() >= user_header {
            let end = attrs_range.start + user_header;
            fields.push(
                Field::new(
                    "family header",
                    super::nla::hex(cx.bytes(attrs_range.start..end)),
                )
                .at(attrs_range.start..end),
            );
            attrs_range = end..attrs_range.end;
        }
    }
    if !attrs_range.is_empty() {
        let attributes = |children| {
            Field::new("attributes", format!("{} bytes", attrs_range.len()))
                .at(attrs_range.clone())
                .with_children(children)
        };
        if kind == GENL_ID_CTRL {
            fields.push(attributes(attrs(cx, attrs_range.clone(), Some(&CTRL), 1)));
        } else if let Some(spec) = spec {
            // A command the spec does not list most likely carries the
            // attributes all the others do.
            let set = spec_op.map_or(spec.fallback_set, |op| op.set.or(spec.fallback_set));
            fields.push(attributes(interpret::attrs(
                cx,
                spec,
                set,
                attrs_range.clone(),
                1,
            )));
        } else {
            // Whatever reads as attributes (after a header, if need be),
            // text or bytes: each part once, none inside another.
            fields.extend(super::generic::body_fields(cx, attrs_range.clone()));
        }
    }

    let mut summary = family.clone();
    if let Some(command) = &command {
        summary.push(' ');
        summary.push_str(command);
    }
    if kind == GENL_ID_CTRL {
        if let Some(found) = parse_family(cx.bytes(attrs_range.clone())) {
            summary.push_str(&format!(" {} id {:#x}", found.name, found.id));
            if !found.groups.is_empty() {
                let n = found.groups.len();
                summary.push_str(&format!(" ({n} group{})", if n == 1 { "" } else { "s" }));
            }
        } else if let Some(name) = ctrl_name(cx, attrs_range) {
            summary.push(' ');
            summary.push_str(&name);
        } else if is_dump_request(msg.header.flags) {
            summary.push_str(" dump");
        }
    } else if is_dump_request(msg.header.flags) {
        summary.push_str(" dump");
    }
    Body {
        type_name: family.into(),
        op,
        fields,
        summary,
    }
}

/// CTRL_ATTR_FAMILY_NAME of a request (GETFAMILY by name).
fn ctrl_name(cx: &Cx, range: std::ops::Range<usize>) -> Option<String> {
    let (found, _) = super::nla::split_attrs(cx, range);
    found
        .iter()
        .find(|a| a.kind == CTRL_ATTR_FAMILY_NAME)
        .map(|a| cstr(cx.bytes(a.value.clone())))
        .or_else(|| {
            found
                .iter()
                .find(|a| a.kind == CTRL_ATTR_FAMILY_ID && a.value.len() >= 2)
                .and_then(|a| cx.u16(a.value.start))
                .map(|id| format!("id {id:#x}"))
        })
}
