//! NETLINK_NETFILTER (nfnetlink): the subsystem and message in the type's
//! two bytes, struct nfgenmsg, then big-endian attributes.

use super::names::{lookup, name_or_number, Op};
use super::nla::{attrs, member, members, Cx, Kind, Member, Schema};
use super::ynl::{self as interpret, spec_hooks};
use super::{Body, Field, Msg};
use crate::netlink::NLM_F_REQUEST;
use crate::ynl::Direction;
use compact_str::format_compact;

const SUBSYSTEMS: &[(u8, &str)] = &[
    (0, "NFNL_SUBSYS_NONE"),
    (1, "NFNL_SUBSYS_CTNETLINK"),
    (2, "NFNL_SUBSYS_CTNETLINK_EXP"),
    (3, "NFNL_SUBSYS_QUEUE"),
    (4, "NFNL_SUBSYS_ULOG"),
    (5, "NFNL_SUBSYS_OSF"),
    (6, "NFNL_SUBSYS_IPSET"),
    (7, "NFNL_SUBSYS_ACCT"),
    (8, "NFNL_SUBSYS_CTNETLINK_TIMEOUT"),
    (9, "NFNL_SUBSYS_CTHELPER"),
    (10, "NFNL_SUBSYS_NFTABLES"),
    (11, "NFNL_SUBSYS_NFT_COMPAT"),
    (12, "NFNL_SUBSYS_HOOK"),
];
/// NFPROTO_* (nfgen_family).
const NFPROTO: &[(u8, &str)] = &[
    (0, "NFPROTO_UNSPEC"),
    (1, "NFPROTO_INET"),
    (2, "NFPROTO_IPV4"),
    (3, "NFPROTO_ARP"),
    (5, "NFPROTO_NETDEV"),
    (7, "NFPROTO_BRIDGE"),
    (10, "NFPROTO_IPV6"),
];
const CT: &[(u8, &str)] = &[
    (0, "IPCTNL_MSG_CT_NEW"),
    (1, "IPCTNL_MSG_CT_GET"),
    (2, "IPCTNL_MSG_CT_DELETE"),
    (3, "IPCTNL_MSG_CT_GET_CTRZERO"),
    (4, "IPCTNL_MSG_CT_GET_STATS_CPU"),
    (5, "IPCTNL_MSG_CT_GET_STATS"),
    (6, "IPCTNL_MSG_CT_GET_DYING"),
    (7, "IPCTNL_MSG_CT_GET_UNCONFIRMED"),
];
const EXP: &[(u8, &str)] = &[
    (0, "IPCTNL_MSG_EXP_NEW"),
    (1, "IPCTNL_MSG_EXP_GET"),
    (2, "IPCTNL_MSG_EXP_DELETE"),
    (3, "IPCTNL_MSG_EXP_GET_STATS_CPU"),
];
const QUEUE: &[(u8, &str)] = &[
    (0, "NFQNL_MSG_PACKET"),
    (1, "NFQNL_MSG_VERDICT"),
    (2, "NFQNL_MSG_CONFIG"),
    (3, "NFQNL_MSG_VERDICT_BATCH"),
];
const ULOG: &[(u8, &str)] = &[(0, "NFULNL_MSG_PACKET"), (1, "NFULNL_MSG_CONFIG")];
const NFT: &[(u8, &str)] = &[
    (0, "NFT_MSG_NEWTABLE"),
    (1, "NFT_MSG_GETTABLE"),
    (2, "NFT_MSG_DELTABLE"),
    (3, "NFT_MSG_NEWCHAIN"),
    (4, "NFT_MSG_GETCHAIN"),
    (5, "NFT_MSG_DELCHAIN"),
    (6, "NFT_MSG_NEWRULE"),
    (7, "NFT_MSG_GETRULE"),
    (8, "NFT_MSG_DELRULE"),
    (9, "NFT_MSG_NEWSET"),
    (10, "NFT_MSG_GETSET"),
    (11, "NFT_MSG_DELSET"),
    (12, "NFT_MSG_NEWSETELEM"),
    (13, "NFT_MSG_GETSETELEM"),
    (14, "NFT_MSG_DELSETELEM"),
    (15, "NFT_MSG_NEWGEN"),
    (16, "NFT_MSG_GETGEN"),
    (17, "NFT_MSG_TRACE"),
    (18, "NFT_MSG_NEWOBJ"),
    (19, "NFT_MSG_GETOBJ"),
    (20, "NFT_MSG_DELOBJ"),
    (21, "NFT_MSG_GETOBJ_RESET"),
    (22, "NFT_MSG_NEWFLOWTABLE"),
    (23, "NFT_MSG_GETFLOWTABLE"),
    (24, "NFT_MSG_DELFLOWTABLE"),
    (25, "NFT_MSG_GETRULE_RESET"),
    (26, "NFT_MSG_DESTROYTABLE"),
];
const ACCT: &[(u8, &str)] = &[
    (0, "NFNL_MSG_ACCT_NEW"),
    (1, "NFNL_MSG_ACCT_GET"),
    (2, "NFNL_MSG_ACCT_GET_CTRZERO"),
    (3, "NFNL_MSG_ACCT_DEL"),
    (4, "NFNL_MSG_ACCT_OVERQUOTA"),
];

static CTA: Schema = Schema::big_endian(&[
    (1, "CTA_TUPLE_ORIG", Kind::With(ct_spec)),
    (2, "CTA_TUPLE_REPLY", Kind::With(ct_spec)),
    (3, "CTA_STATUS", Kind::U32),
    (4, "CTA_PROTOINFO", Kind::With(ct_spec)),
    (5, "CTA_HELP", Kind::With(ct_spec)),
    (6, "CTA_NAT_SRC", Kind::With(ct_spec)),
    (7, "CTA_TIMEOUT", Kind::U32),
    (8, "CTA_MARK", Kind::U32),
    (9, "CTA_COUNTERS_ORIG", Kind::With(ct_spec)),
    (10, "CTA_COUNTERS_REPLY", Kind::With(ct_spec)),
    (11, "CTA_USE", Kind::U32),
    (12, "CTA_ID", Kind::U32),
    (13, "CTA_NAT_DST", Kind::With(ct_spec)),
    (14, "CTA_TUPLE_MASTER", Kind::With(ct_spec)),
    (15, "CTA_SEQ_ADJ_ORIG", Kind::With(ct_spec)),
    (16, "CTA_SEQ_ADJ_REPLY", Kind::With(ct_spec)),
    (17, "CTA_SECMARK", Kind::U32),
    (18, "CTA_ZONE", Kind::U16),
    (19, "CTA_SECCTX", Kind::With(ct_spec)),
    (20, "CTA_TIMESTAMP", Kind::With(ct_spec)),
    (21, "CTA_MARK_MASK", Kind::U32),
    (22, "CTA_LABELS", Kind::Hex),
    (23, "CTA_LABELS_MASK", Kind::Hex),
    (24, "CTA_SYNPROXY", Kind::With(ct_spec)),
    (25, "CTA_FILTER", Kind::With(ct_spec)),
    (26, "CTA_STATUS_MASK", Kind::U32),
])
.or_else(ct_spec);

spec_hooks! {
    ct_spec: attr "conntrack" "conntrack-attrs";
}
static NFTA_TABLE: Schema = Schema::big_endian(&[
    (1, "NFTA_TABLE_NAME", Kind::Str),
    (2, "NFTA_TABLE_FLAGS", Kind::U32),
    (3, "NFTA_TABLE_USE", Kind::U32),
    (4, "NFTA_TABLE_HANDLE", Kind::U64),
    (5, "NFTA_TABLE_PAD", Kind::Hex),
    (6, "NFTA_TABLE_USERDATA", Kind::Hex),
    (7, "NFTA_TABLE_OWNER", Kind::U32),
]);
static BIG_ENDIAN: Schema = Schema::big_endian(&[]);

const NFGENMSG: &[Member] = &[
    member("nfgen_family", 0, Kind::U8, 1),
    member("version", 1, Kind::U8, 1),
    member("res_id", 2, Kind::Be16, 2),
];

fn message_name(subsystem: u8, message: u8) -> Option<&'static str> {
    let table = match subsystem {
        1 => CT,
        2 => EXP,
        3 => QUEUE,
        4 => ULOG,
        7 => ACCT,
        10 => NFT,
        _ => return None,
    };
    lookup(table, message)
}

pub fn type_name(kind: u16) -> (String, Option<Op>) {
    match kind {
        0x10 => return ("NFNL_MSG_BATCH_BEGIN".into(), None),
        0x11 => return ("NFNL_MSG_BATCH_END".into(), None),
        _ => {}
    }
    let subsystem = (kind >> 8) as u8;
    let message = (kind & 0xff) as u8;
    let name = match message_name(subsystem, message) {
        Some(name) => name.to_string(),
        None => format!("{} msg {message}", name_or_number(SUBSYSTEMS, subsystem)),
    };
    let op = if name.contains("_GET") {
        Some(Op::Get)
    } else if name.contains("_NEW") {
        Some(Op::New)
    } else if name.contains("_DEL") {
        Some(Op::Del)
    } else {
        None
    };
    (name, op)
}

pub fn decode(cx: &Cx, msg: &Msg) -> Body {
    let kind = msg.header.kind;
    let (name, op) = type_name(kind);
    let subsystem = (kind >> 8) as u8;
    let body = msg.body.clone();
    let mut fields = Vec::new();
    let header_end = (body.start + 4).min(body.end);
    let mut header = members(cx, body.start, header_end, NFGENMSG);
    let family = cx.u8(body.start).filter(|_| !body.is_empty());
    if let (Some(first), Some(f)) = (header.first_mut(), family) {
        if let Some(fname) = lookup(NFPROTO, f) {
            first.value = format_compact!("{f} ({fname})").into();
        }
    }
    fields.push(Field::new(
        "subsystem",
        format!("{subsystem} ({})", name_or_number(SUBSYSTEMS, subsystem)),
    ));
    fields.push(
        Field::new("nfgenmsg", format!("{} bytes", header_end - body.start))
            .at(body.start..header_end)
            .with_children(header),
    );
    let schema = match (subsystem, kind & 0xff) {
        (1, _) => &CTA,
        (10, 0..=2) => &NFTA_TABLE,
        _ => &BIG_ENDIAN,
    };
    if header_end < body.end {
        // What the hand-written schemas do not know (nftables beyond
        // tables, batches), the nftables spec may: its message ids carry the
        // subsystem in the high byte, as the message type does.
        let direction = if msg.header.flags & NLM_F_REQUEST != 0 {
            Direction::Request
        } else {
            Direction::Reply
        };
        let spec = std::ptr::eq(schema, &BIG_ENDIAN)
            .then(|| cx.context.specs().raw(12, kind, direction).next())
            .flatten();
        let children = match spec {
            Some((family, op)) => interpret::attrs(cx, family, op.set, header_end..body.end, 1),
            None => attrs(cx, header_end..body.end, Some(schema), 1),
        };
        fields.push(
            Field::new("attributes", format!("{} bytes", body.end - header_end))
                .at(header_end..body.end)
                .with_children(children),
        );
    }
    let sub_word = lookup(SUBSYSTEMS, subsystem)
        .map(|s| s.trim_start_matches("NFNL_SUBSYS_").to_ascii_lowercase())
        .unwrap_or_else(|| format!("subsystem {subsystem}"));
    let mut summary = if kind == 0x10 || kind == 0x11 {
        name.clone()
    } else {
        format!("{sub_word} {name}")
    };
    if crate::netlink::header::is_dump_request(msg.header.flags) {
        summary.push_str(" dump");
    }
    Body {
        type_name: name.into(),
        op,
        fields,
        summary,
    }
}
