//! NETLINK_SOCK_DIAG: inet_diag, unix_diag and netlink_diag requests and
//! replies (by the family byte that starts every one of them).

use super::names::{lookup, name_or_number, Op};
use super::nla::{attrs, ip, member, members, Cx, Kind, Member, Schema};
use super::{Body, Field, Msg};
use crate::netlink::diag::{SOCK_DESTROY, SOCK_DIAG_BY_FAMILY, SOCK_DIAG_TYPES, TCPDIAG_GETSOCK};
use crate::netlink::names::protocol_constant;
use crate::netlink::NLM_F_DUMP;

pub fn type_name(kind: u16) -> (std::borrow::Cow<'static, str>, Option<Op>) {
    let name = match lookup(SOCK_DIAG_TYPES, kind) {
        Some(name) => name.into(),
        None => format!("SOCK_DIAG type {kind}").into(),
    };
    let op = match kind {
        TCPDIAG_GETSOCK..=SOCK_DIAG_BY_FAMILY => Some(Op::Get),
        SOCK_DESTROY => Some(Op::Del),
        _ => None,
    };
    (name, op)
}

const TCP_STATES: &[(u8, &str)] = &[
    (1, "ESTABLISHED"),
    (2, "SYN_SENT"),
    (3, "SYN_RECV"),
    (4, "FIN_WAIT1"),
    (5, "FIN_WAIT2"),
    (6, "TIME_WAIT"),
    (7, "CLOSE"),
    (8, "CLOSE_WAIT"),
    (9, "LAST_ACK"),
    (10, "LISTEN"),
    (11, "CLOSING"),
    (12, "NEW_SYN_RECV"),
];
const IP_PROTOCOLS: &[(u8, &str)] = &[
    (1, "icmp"),
    (6, "tcp"),
    (17, "udp"),
    (33, "dccp"),
    (58, "icmpv6"),
    (132, "sctp"),
    (136, "udplite"),
    (255, "raw"),
    (0, "ip"),
];
const SOCK_TYPES: &[(u8, &str)] = &[(1, "STREAM"), (2, "DGRAM"), (3, "RAW"), (5, "SEQPACKET")];

static INET_DIAG: Schema = Schema::new(&[
    (1, "INET_DIAG_MEMINFO", Kind::Hex),
    (2, "INET_DIAG_INFO", Kind::Hex),
    (3, "INET_DIAG_VEGASINFO", Kind::Hex),
    (4, "INET_DIAG_CONG", Kind::Str),
    (5, "INET_DIAG_TOS", Kind::U8),
    (6, "INET_DIAG_TCLASS", Kind::U8),
    (7, "INET_DIAG_SKMEMINFO", Kind::Hex),
    (8, "INET_DIAG_SHUTDOWN", Kind::U8),
    (9, "INET_DIAG_DCTCPINFO", Kind::Hex),
    (10, "INET_DIAG_PROTOCOL", Kind::U8),
    (11, "INET_DIAG_SKV6ONLY", Kind::U8),
    (12, "INET_DIAG_LOCALS", Kind::Hex),
    (13, "INET_DIAG_PEERS", Kind::Hex),
    (14, "INET_DIAG_PAD", Kind::Hex),
    (15, "INET_DIAG_MARK", Kind::U32),
    (16, "INET_DIAG_BBRINFO", Kind::Hex),
    (17, "INET_DIAG_CLASS_ID", Kind::U32),
    (18, "INET_DIAG_MD5SIG", Kind::Hex),
    (19, "INET_DIAG_ULP_INFO", Kind::Nested(None)),
    (20, "INET_DIAG_SK_BPF_STORAGES", Kind::Nested(None)),
    (21, "INET_DIAG_CGROUP_ID", Kind::U64),
    (22, "INET_DIAG_SOCKOPT", Kind::Hex),
]);
static INET_DIAG_REQ: Schema = Schema::new(&[
    (1, "INET_DIAG_REQ_BYTECODE", Kind::Hex),
    (2, "INET_DIAG_REQ_SK_BPF_STORAGES", Kind::Nested(None)),
    (3, "INET_DIAG_REQ_PROTOCOL", Kind::U32),
]);
static UNIX_DIAG: Schema = Schema::new(&[
    (0, "UNIX_DIAG_NAME", Kind::Str),
    (1, "UNIX_DIAG_VFS", Kind::Hex),
    (2, "UNIX_DIAG_PEER", Kind::U32),
    (3, "UNIX_DIAG_ICONS", Kind::Hex),
    (4, "UNIX_DIAG_RQLEN", Kind::Hex),
    (5, "UNIX_DIAG_MEMINFO", Kind::Hex),
    (6, "UNIX_DIAG_SHUTDOWN", Kind::U8),
    (7, "UNIX_DIAG_UID", Kind::U32),
]);
static NETLINK_DIAG: Schema = Schema::new(&[
    (0, "NETLINK_DIAG_MEMINFO", Kind::Hex),
    (1, "NETLINK_DIAG_GROUPS", Kind::Hex),
    (2, "NETLINK_DIAG_RX_RING", Kind::Hex),
    (3, "NETLINK_DIAG_TX_RING", Kind::Hex),
    (4, "NETLINK_DIAG_FLAGS", Kind::U32),
]);

const INET_DIAG_REQ_V2: &[Member] = &[
    member("sdiag_family", 0, Kind::U8, 1),
    member("sdiag_protocol", 1, Kind::U8, 1),
    member("idiag_ext", 2, Kind::U8, 1),
    member("idiag_states", 4, Kind::U32, 4),
];
const INET_DIAG_MSG: &[Member] = &[
    member("idiag_family", 0, Kind::U8, 1),
    member("idiag_state", 1, Kind::U8, 1),
    member("idiag_timer", 2, Kind::U8, 1),
    member("idiag_retrans", 3, Kind::U8, 1),
];
const INET_DIAG_MSG_TAIL: &[Member] = &[
    member("idiag_expires", 52, Kind::U32, 4),
    member("idiag_rqueue", 56, Kind::U32, 4),
    member("idiag_wqueue", 60, Kind::U32, 4),
    member("idiag_uid", 64, Kind::U32, 4),
    member("idiag_inode", 68, Kind::U32, 4),
];
const UNIX_DIAG_REQ: &[Member] = &[
    member("sdiag_family", 0, Kind::U8, 1),
    member("sdiag_protocol", 1, Kind::U8, 1),
    member("udiag_states", 4, Kind::U32, 4),
    member("udiag_ino", 8, Kind::U32, 4),
    member("udiag_show", 12, Kind::U32, 4),
    member("udiag_cookie", 16, Kind::Hex, 8),
];
const UNIX_DIAG_MSG: &[Member] = &[
    member("udiag_family", 0, Kind::U8, 1),
    member("udiag_type", 1, Kind::U8, 1),
    member("udiag_state", 2, Kind::U8, 1),
    member("udiag_ino", 4, Kind::U32, 4),
    member("udiag_cookie", 8, Kind::Hex, 8),
];
const NETLINK_DIAG_REQ: &[Member] = &[
    member("sdiag_family", 0, Kind::U8, 1),
    member("sdiag_protocol", 1, Kind::U8, 1),
    member("ndiag_ino", 4, Kind::U32, 4),
    member("ndiag_show", 8, Kind::U32, 4),
    member("ndiag_cookie", 12, Kind::Hex, 8),
];
const NETLINK_DIAG_MSG: &[Member] = &[
    member("ndiag_family", 0, Kind::U8, 1),
    member("ndiag_type", 1, Kind::U8, 1),
    member("ndiag_protocol", 2, Kind::U8, 1),
    member("ndiag_state", 3, Kind::U8, 1),
    member("ndiag_portid", 4, Kind::U32, 4),
    member("ndiag_dst_portid", 8, Kind::U32, 4),
    member("ndiag_dst_group", 12, Kind::U32, 4),
    member("ndiag_ino", 16, Kind::U32, 4),
    member("ndiag_cookie", 20, Kind::Hex, 8),
];

/// `struct inet_diag_sockid` at `at` (48 bytes): fields and `src -> dst`.
fn sockid(cx: &Cx, at: usize, family: u8) -> (Field, String) {
    let addr_len = if family == 10 { 16 } else { 4 };
    let sport = cx.be16(at).unwrap_or(0);
    let dport = cx.be16(at + 2).unwrap_or(0);
    let src = ip(cx.bytes(at + 4..at + 4 + addr_len));
    let dst = ip(cx.bytes(at + 20..at + 20 + addr_len));
    let (src_text, dst_text) = if family == 10 {
        (format!("[{src}]:{sport}"), format!("[{dst}]:{dport}"))
    } else {
        (format!("{src}:{sport}"), format!("{dst}:{dport}"))
    };
    let field = Field::new("id", format!("{src_text} -> {dst_text}"))
        .at(at..at + 48)
        .with_children(vec![
            Field::new("idiag_sport", sport.to_string()).at(at..at + 2),
            Field::new("idiag_dport", dport.to_string()).at(at + 2..at + 4),
            Field::new("idiag_src", src).at(at + 4..at + 20),
            Field::new("idiag_dst", dst).at(at + 20..at + 36),
            Field::new("idiag_if", cx.u32(at + 36).unwrap_or(0).to_string()).at(at + 36..at + 40),
            Field::new("idiag_cookie", super::nla::hex(cx.bytes(at + 40..at + 48)))
                .at(at + 40..at + 48),
        ]);
    (field, format!("{src_text} -> {dst_text}"))
}

fn family_word(family: u8) -> &'static str {
    match family {
        1 => "unix",
        2 => "inet",
        10 => "inet6",
        16 => "netlink",
        17 => "packet",
        44 => "xdp",
        40 => "vsock",
        43 => "smc",
        _ => "family",
    }
}

pub fn decode(cx: &Cx, msg: &Msg) -> Body {
    let kind = msg.header.kind;
    let (name, op) = type_name(kind);
    let body = msg.body.clone();
    let request = msg.header.flags & 1 != 0;
    let family = cx.u8(body.start).filter(|_| !body.is_empty()).unwrap_or(0);
    let mut fields = Vec::new();
    let mut words: Vec<String> = vec![family_word(family).to_string()];
    if family_word(family) == "family" {
        words[0] = format!("family {family}");
    }
    let (struct_name, list, len, schema): (&str, &[Member], usize, Option<&Schema>) =
        match (family, request) {
            (2 | 10, true) => (
                "inet_diag_req_v2",
                INET_DIAG_REQ_V2,
                56,
                Some(&INET_DIAG_REQ),
            ),
            (2 | 10, false) => ("inet_diag_msg", INET_DIAG_MSG, 72, Some(&INET_DIAG)),
            (1, true) => ("unix_diag_req", UNIX_DIAG_REQ, 24, None),
            (1, false) => ("unix_diag_msg", UNIX_DIAG_MSG, 16, Some(&UNIX_DIAG)),
            (16, true) => ("netlink_diag_req", NETLINK_DIAG_REQ, 24, None),
            (16, false) => (
                "netlink_diag_msg",
                NETLINK_DIAG_MSG,
                28,
                Some(&NETLINK_DIAG),
            ),
            _ => ("header", &[][..], 0, None),
        };
    let s = body.start;
    let struct_end = (s + len).min(body.end);
    let mut children = members(cx, s, struct_end, list);
    let id_at = if request { s + 8 } else { s + 4 };
    if (family == 2 || family == 10) && struct_end >= id_at + 48 {
        let at = id_at;
        let (id, text) = sockid(cx, at, family);
        children.push(id);
        let proto = if request { cx.u8(s + 1) } else { None };
        if let Some(proto) = proto {
            words.push(name_or_number(IP_PROTOCOLS, proto));
        }
        if !request {
            words.push(text);
            if let Some(state) = cx.u8(s + 1) {
                words.push(name_or_number(TCP_STATES, state));
            }
        }
        if !request && struct_end >= s + 72 {
            children.extend(members(cx, s, struct_end, INET_DIAG_MSG_TAIL));
        }
    }
    if family == 1 && !request && struct_end >= s + 8 {
        if let Some(kind) = cx.u8(s + 1) {
            words.push(name_or_number(SOCK_TYPES, kind));
        }
        if let Some(state) = cx.u8(s + 2) {
            words.push(name_or_number(TCP_STATES, state));
        }
        words.push(format!("ino {}", cx.u32(s + 4).unwrap_or(0)));
    }
    if family == 16 && !request && struct_end >= s + 8 {
        let protocol = cx.u8(s + 2).unwrap_or(0);
        words.push(
            protocol_constant(u32::from(protocol))
                .map(|p| p.trim_start_matches("NETLINK_").to_string())
                .unwrap_or_else(|| format!("protocol {protocol}")),
        );
        words.push(format!("port {}", cx.u32(s + 4).unwrap_or(0)));
    }
    if family == 16 && request {
        if let Some(protocol) = cx.u8(s + 1) {
            words.push(if protocol == 255 {
                "all protocols".to_string()
            } else {
                format!("protocol {protocol}")
            });
        }
    }
    if request {
        words.push(if msg.header.flags & NLM_F_DUMP == NLM_F_DUMP {
            "dump".to_string()
        } else {
            "request".to_string()
        });
    }
    if len > 0 {
        fields.push(
            Field::new(struct_name, format!("{} bytes", struct_end - s))
                .at(s..struct_end)
                .with_children(children),
        );
    }
    if struct_end < body.end && body.start + len <= body.end {
        fields.push(
            Field::new("attributes", format!("{} bytes", body.end - struct_end))
                .at(struct_end..body.end)
                .with_children(attrs(cx, struct_end..body.end, schema, 1)),
        );
    } else if len == 0 && !body.is_empty() {
        fields.extend(super::generic::body_fields(cx, body.clone()));
    }
    Body {
        summary: format!("{name} {}", words.join(" ")),
        type_name: name,
        op,
        fields,
    }
}
