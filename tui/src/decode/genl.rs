//! NETLINK_GENERIC: the genlmsghdr, nlctrl (family 0x10) in full, other
//! families named through the [`DecodeContext`](super::DecodeContext).

use super::context::{cstr, parse_family};
use super::names::{lookup, Op};
use super::nla::{attrs, member, members, Cx, Kind, Member, Schema};
use super::{Body, Field, Msg};
use crate::netlink::genl::{fixed_family_name, CTRL_CMDS, GENL_HDRLEN, GENL_ID_CTRL};
use crate::netlink::header::is_dump_request;
use crate::netlink::{
    CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_HDRSIZE, CTRL_ATTR_MAXATTR,
    CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_MCAST_GRP_ID, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_OP,
    CTRL_ATTR_OPS, CTRL_ATTR_OP_FLAGS, CTRL_ATTR_OP_ID, CTRL_ATTR_OP_POLICY, CTRL_ATTR_POLICY,
    CTRL_ATTR_VERSION,
};
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

/// How the flags of a command read, guessed from its name.
fn op_of(command: &str) -> Option<Op> {
    if command.starts_with("GET") || command.contains("_GET") {
        Some(Op::Get)
    } else if command.starts_with("NEW") || command.starts_with("SET") {
        Some(Op::New)
    } else if command.starts_with("DEL") {
        Some(Op::Del)
    } else {
        None
    }
}

/// (family name, command name) for a message of family `kind`.
fn names(cx: &Cx, kind: u16, cmd: Option<u8>) -> (String, Option<String>) {
    let family = match fixed_family_name(kind) {
        Some(name) => Some(name.to_string()),
        None => cx.context.family(kind).map(|f| f.name.clone()),
    };
    let command = cmd.map(|cmd| {
        let known = match kind {
            GENL_ID_CTRL => lookup(CTRL_CMDS, cmd),
            _ => family.as_deref().and_then(|f| command_name(f, cmd)),
        };
        known
            .map(str::to_string)
            .unwrap_or_else(|| format!("cmd {cmd}"))
    });
    let family = family.unwrap_or_else(|| format!("genl family {kind:#x}"));
    (family, command)
}

pub fn type_name(cx: &Cx, kind: u16, msg: Option<&Msg>) -> (String, Option<Op>) {
    let cmd = msg.and_then(|m| cx.u8(m.body.start).filter(|_| !m.body.is_empty()));
    let (family, command) = names(cx, kind, cmd);
    let op = command.as_deref().and_then(op_of);
    (family, op)
}

pub fn decode(cx: &Cx, msg: &Msg) -> Body {
    let kind = msg.header.kind;
    let body = msg.body.clone();
    let cmd = cx.u8(body.start).filter(|_| !body.is_empty());
    let (family, command) = names(cx, kind, cmd);
    let op = command.as_deref().and_then(op_of);
    let mut fields = Vec::new();
    let header_end = (body.start + GENL_HDRLEN).min(body.end);
    let mut header = members(cx, body.start, header_end, GENLMSGHDR);
    if let (Some(first), Some(command)) = (header.first_mut(), &command) {
        first.value = format_compact!("{} ({command})", first.value).into();
    }
    fields.push(
        Field::new("genlmsghdr", format!("{} bytes", header_end - body.start))
            .at(body.start..header_end)
            .with_children(header),
    );
    let mut attrs_range = header_end..body.end;
    // A family's own fixed header (CTRL_ATTR_HDRSIZE) comes first.
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
    // Families with a user header (hdrsize) are not known here: the walker
    // shows whatever reads as attributes.
    let schema = (kind == GENL_ID_CTRL).then_some(&CTRL);
    if !attrs_range.is_empty() {
        let children = if schema.is_some() {
            attrs(cx, attrs_range.clone(), schema, 1)
        } else {
            super::generic::body_fields(cx, attrs_range.clone())
        };
        fields.push(
            Field::new("attributes", format!("{} bytes", attrs_range.len()))
                .at(attrs_range.clone())
                .with_children(children),
        );
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
