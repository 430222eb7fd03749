//! NETLINK_ROUTE (rtnetlink): links, addresses, routes, neighbours, rules and
//! traffic control. The tree comes from walking the buffer here with schemas
//! (names, byte ranges, C structs member by member); the summary's values
//! (link name, addresses, route keys, neighbour state, tc kind) are parsed
//! attribute by attribute by the rust-netlink `netlink-packet-route` crate.
//! A whole-message parse by the crate cost more than the rest of the decode
//! together (3 µs for one RTM_NEWLINK), which the decode benchmark's budget
//! (1 µs a message) does not allow.
//!
//! Where the hand-written schemas know nothing (a link's per-kind data, a
//! bridge port's protinfo, qdisc options, types newer than the tables), the
//! kernel's rtnetlink YNL specs (rt-link, rt-addr, rt-route, rt-neigh,
//! rt-rule, tc) decode the attribute ([`spec_hooks`]). Bridge VLAN messages
//! and a bridge's af-spec have no spec: their schemas are here.

use std::borrow::Cow;
use std::ops::Range;

use netlink_packet_core::{NlaBuffer, Parseable, ParseableParametrized};
use netlink_packet_route::address::AddressAttribute;
use netlink_packet_route::link::LinkFlags;
use netlink_packet_route::neighbour::{NeighbourAddress, NeighbourAttribute, NeighbourState};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteLwEnCapType, RouteType};
use netlink_packet_route::rule::RuleAttribute;
use netlink_packet_route::tc::{TcAttribute, TcHandle};
use netlink_packet_route::AddressFamily;

use super::names::{lookup, Op, ADDRESS_FAMILIES};
use super::nla::{
    attrs, cat, cat_string, hex_number, member, members, num, AttrSpec, AttrWalk, Cx, Kind, Member,
    Schema,
};
use super::ynl::spec_hooks;
use super::{Body, Field, Msg, Value};
use crate::netlink::route::{rtm_op, RtmOp, RTM_TYPES};

pub fn type_name(kind: u16) -> (Cow<'static, str>, Option<Op>) {
    let name = match lookup(RTM_TYPES, kind) {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(format!("RTM type {kind}")),
    };
    let op = rtm_op(kind).map(|op| match op {
        RtmOp::New | RtmOp::Set => Op::New, // SET reads like NEW
        RtmOp::Del => Op::Del,
        RtmOp::Get => Op::Get,
    });
    (name, op)
}

spec_hooks! {
    link_spec: attr "rt-link" "link-attrs";
    linkinfo_spec: attr "rt-link" "linkinfo-attrs";
    af_spec_spec: attr "rt-link" "af-spec-attrs";
    brport_spec: nest "rt-link" "linkinfo-brport-attrs";
    addr_spec: attr "rt-addr" "addr-attrs";
    route_spec: attr "rt-route" "route-attrs";
    metrics_spec: attr "rt-route" "metrics";
    neigh_spec: attr "rt-neigh" "neighbour-attrs";
    rule_spec: attr "rt-rule" "fib-rule-attrs";
    tc_spec: attr "tc" "attrs";
}

/// The per-kind data is rt-link's sub-messages, chosen by the kind.
static LINKINFO: Schema = Schema::new(&[
    (1, "IFLA_INFO_KIND", Kind::Str),
    (2, "IFLA_INFO_DATA", Kind::With(linkinfo_spec)),
    (3, "IFLA_INFO_XSTATS", Kind::Hex),
    (4, "IFLA_INFO_SLAVE_KIND", Kind::Str),
    (5, "IFLA_INFO_SLAVE_DATA", Kind::With(linkinfo_spec)),
])
.or_else(linkinfo_spec);

static IFLA: Schema = Schema::new(&IFLA_ATTRS).or_else(link_spec);
/// A bridge's links (AF_BRIDGE): the protinfo is the port's attributes, the
/// af-spec the bridge's.
static IFLA_BRIDGE: Schema = Schema::new(&IFLA_BRIDGE_ATTRS).or_else(link_spec);
/// IPv6's links (AF_INET6, router advertisements): the protinfo is IPv6's.
static IFLA_INET6_LINK: Schema = Schema::new(&IFLA_INET6_ATTRS).or_else(link_spec);

/// [`IFLA_ATTRS`] with IFLA_PROTINFO and IFLA_AF_SPEC as AF_BRIDGE has them.
static IFLA_BRIDGE_ATTRS: [AttrSpec; 69] = {
    let mut attrs = IFLA_ATTRS;
    attrs[11].2 = Kind::With(brport_spec);
    attrs[25].2 = Kind::Nested(Some(&BRIDGE_AF_SPEC));
    attrs
};
/// [`IFLA_ATTRS`] with IFLA_PROTINFO as AF_INET6 has it.
static IFLA_INET6_ATTRS: [AttrSpec; 69] = {
    let mut attrs = IFLA_ATTRS;
    attrs[11].2 = Kind::Nested(Some(&IFLA_INET6));
    attrs
};

const IFLA_ATTRS: [AttrSpec; 69] = [
    (1, "IFLA_ADDRESS", Kind::Mac),
    (2, "IFLA_BROADCAST", Kind::Mac),
    (3, "IFLA_IFNAME", Kind::Str),
    (4, "IFLA_MTU", Kind::U32),
    (5, "IFLA_LINK", Kind::U32),
    (6, "IFLA_QDISC", Kind::Str),
    (7, "IFLA_STATS", Kind::Struct(LINK_STATS)),
    (8, "IFLA_COST", Kind::Auto),
    (9, "IFLA_PRIORITY", Kind::Auto),
    (10, "IFLA_MASTER", Kind::U32),
    (11, "IFLA_WIRELESS", Kind::Auto),
    (12, "IFLA_PROTINFO", Kind::Nested(None)),
    (13, "IFLA_TXQLEN", Kind::U32),
    (14, "IFLA_MAP", Kind::Struct(LINK_IFMAP)),
    (15, "IFLA_WEIGHT", Kind::U32),
    (16, "IFLA_OPERSTATE", Kind::U8),
    (17, "IFLA_LINKMODE", Kind::U8),
    (18, "IFLA_LINKINFO", Kind::Nested(Some(&LINKINFO))),
    (19, "IFLA_NET_NS_PID", Kind::U32),
    (20, "IFLA_IFALIAS", Kind::Str),
    (21, "IFLA_NUM_VF", Kind::U32),
    (22, "IFLA_VFINFO_LIST", Kind::With(link_spec)),
    (23, "IFLA_STATS64", Kind::Struct(LINK_STATS64)),
    (24, "IFLA_VF_PORTS", Kind::With(link_spec)),
    (25, "IFLA_PORT_SELF", Kind::With(link_spec)),
    (26, "IFLA_AF_SPEC", Kind::Nested(Some(&AF_SPEC))),
    (27, "IFLA_GROUP", Kind::U32),
    (28, "IFLA_NET_NS_FD", Kind::U32),
    (29, "IFLA_EXT_MASK", Kind::U32),
    (30, "IFLA_PROMISCUITY", Kind::U32),
    (31, "IFLA_NUM_TX_QUEUES", Kind::U32),
    (32, "IFLA_NUM_RX_QUEUES", Kind::U32),
    (33, "IFLA_CARRIER", Kind::U8),
    (34, "IFLA_PHYS_PORT_ID", Kind::Hex),
    (35, "IFLA_CARRIER_CHANGES", Kind::U32),
    (36, "IFLA_PHYS_SWITCH_ID", Kind::Hex),
    (37, "IFLA_LINK_NETNSID", Kind::S32),
    (38, "IFLA_PHYS_PORT_NAME", Kind::Str),
    (39, "IFLA_PROTO_DOWN", Kind::U8),
    (40, "IFLA_GSO_MAX_SEGS", Kind::U32),
    (41, "IFLA_GSO_MAX_SIZE", Kind::U32),
    (42, "IFLA_PAD", Kind::Hex),
    (43, "IFLA_XDP", Kind::Nested(Some(&IFLA_XDP))),
    (44, "IFLA_EVENT", Kind::U32),
    (45, "IFLA_NEW_NETNSID", Kind::S32),
    (46, "IFLA_IF_NETNSID", Kind::S32),
    (47, "IFLA_CARRIER_UP_COUNT", Kind::U32),
    (48, "IFLA_CARRIER_DOWN_COUNT", Kind::U32),
    (49, "IFLA_NEW_IFINDEX", Kind::S32),
    (50, "IFLA_MIN_MTU", Kind::U32),
    (51, "IFLA_MAX_MTU", Kind::U32),
    (52, "IFLA_PROP_LIST", Kind::Nested(Some(&IFLA_PROPS))),
    (53, "IFLA_ALT_IFNAME", Kind::Str),
    (54, "IFLA_PERM_ADDRESS", Kind::Mac),
    (55, "IFLA_PROTO_DOWN_REASON", Kind::Nested(None)),
    (56, "IFLA_PARENT_DEV_NAME", Kind::Str),
    (57, "IFLA_PARENT_DEV_BUS_NAME", Kind::Str),
    (58, "IFLA_GRO_MAX_SIZE", Kind::U32),
    (59, "IFLA_TSO_MAX_SIZE", Kind::U32),
    (60, "IFLA_TSO_MAX_SEGS", Kind::U32),
    (61, "IFLA_ALLMULTI", Kind::U32),
    (62, "IFLA_DEVLINK_PORT", Kind::Nested(None)),
    (63, "IFLA_GSO_IPV4_MAX_SIZE", Kind::U32),
    (64, "IFLA_GRO_IPV4_MAX_SIZE", Kind::U32),
    (65, "IFLA_DPLL_PIN", Kind::With(link_spec)),
    (66, "IFLA_MAX_PACING_OFFLOAD_HORIZON", Kind::U32),
    (67, "IFLA_NETNS_IMMUTABLE", Kind::U8),
    (68, "IFLA_HEADROOM", Kind::U16),
    (69, "IFLA_TAILROOM", Kind::U16),
];

static AF_SPEC: Schema = Schema::new(&[
    (2, "AF_INET", Kind::Nested(Some(&IFLA_INET))),
    (7, "AF_BRIDGE", Kind::Nested(Some(&BRIDGE_AF_SPEC))),
    (10, "AF_INET6", Kind::Nested(Some(&IFLA_INET6))),
    (28, "AF_MPLS", Kind::Nested(None)),
])
.or_else(af_spec_spec);

/// IFLA_BRIDGE_* (linux/if_bridge.h): a bridge's af-spec; no spec has them.
static BRIDGE_AF_SPEC: Schema = Schema::new(&[
    (0, "IFLA_BRIDGE_FLAGS", Kind::U16),
    (1, "IFLA_BRIDGE_MODE", Kind::U16),
    (2, "IFLA_BRIDGE_VLAN_INFO", Kind::Struct(BRIDGE_VLAN_INFO)),
    (
        3,
        "IFLA_BRIDGE_VLAN_TUNNEL_INFO",
        Kind::Nested(Some(&BRIDGE_VLAN_TUNNEL)),
    ),
    (4, "IFLA_BRIDGE_MRP", Kind::Nested(None)),
    (5, "IFLA_BRIDGE_CFM", Kind::Nested(None)),
    (6, "IFLA_BRIDGE_MST", Kind::Nested(None)),
]);
static BRIDGE_VLAN_TUNNEL: Schema = Schema::new(&[
    (1, "IFLA_BRIDGE_VLAN_TUNNEL_ID", Kind::U32),
    (2, "IFLA_BRIDGE_VLAN_TUNNEL_VID", Kind::U16),
    (3, "IFLA_BRIDGE_VLAN_TUNNEL_FLAGS", Kind::U16),
]);
/// `struct bridge_vlan_info`.
const BRIDGE_VLAN_INFO: &[Member] = &[
    member("flags", 0, Kind::U16, 2),
    member("vid", 2, Kind::U16, 2),
];

/// `struct br_vlan_msg` (RTM_NEWVLAN, RTM_DELVLAN, RTM_GETVLAN).
const BR_VLAN_MSG: &[Member] = &[
    member("family", 0, Kind::U8, 1),
    member("ifindex", 4, Kind::U32, 4),
];
/// BRIDGE_VLANDB_* (linux/if_bridge.h): no spec has the bridge VLAN messages.
static BRIDGE_VLANDB: Schema = Schema::new(&[
    (
        1,
        "BRIDGE_VLANDB_ENTRY",
        Kind::Nested(Some(&BRIDGE_VLANDB_ENTRY)),
    ),
    (2, "BRIDGE_VLANDB_DUMP_FLAGS", Kind::U32),
    (3, "BRIDGE_VLANDB_GLOBAL_OPTIONS", Kind::Nested(None)),
]);
static BRIDGE_VLANDB_ENTRY: Schema = Schema::new(&[
    (
        1,
        "BRIDGE_VLANDB_ENTRY_INFO",
        Kind::Struct(BRIDGE_VLAN_INFO),
    ),
    (2, "BRIDGE_VLANDB_ENTRY_RANGE", Kind::U16),
    (3, "BRIDGE_VLANDB_ENTRY_STATE", Kind::U8),
    (
        4,
        "BRIDGE_VLANDB_ENTRY_TUNNEL_INFO",
        Kind::Nested(Some(&BRIDGE_VLANDB_TINFO)),
    ),
    (
        5,
        "BRIDGE_VLANDB_ENTRY_STATS",
        Kind::Nested(Some(&BRIDGE_VLANDB_STATS)),
    ),
    (6, "BRIDGE_VLANDB_ENTRY_MCAST_ROUTER", Kind::U8),
    (7, "BRIDGE_VLANDB_ENTRY_MCAST_N_GROUPS", Kind::U32),
    (8, "BRIDGE_VLANDB_ENTRY_MCAST_MAX_GROUPS", Kind::U32),
    (9, "BRIDGE_VLANDB_ENTRY_NEIGH_SUPPRESS", Kind::U8),
]);
static BRIDGE_VLANDB_TINFO: Schema = Schema::new(&[
    (1, "BRIDGE_VLANDB_TINFO_ID", Kind::U32),
    (2, "BRIDGE_VLANDB_TINFO_CMD", Kind::U32),
]);
static BRIDGE_VLANDB_STATS: Schema = Schema::new(&[
    (1, "BRIDGE_VLANDB_STATS_RX_BYTES", Kind::U64),
    (2, "BRIDGE_VLANDB_STATS_RX_PACKETS", Kind::U64),
    (3, "BRIDGE_VLANDB_STATS_TX_BYTES", Kind::U64),
    (4, "BRIDGE_VLANDB_STATS_TX_PACKETS", Kind::U64),
    (5, "BRIDGE_VLANDB_STATS_PAD", Kind::Hex),
]);
static IFLA_INET: Schema = Schema::new(&[(1, "IFLA_INET_CONF", Kind::Hex)]);
static IFLA_INET6: Schema = Schema::new(&[
    (1, "IFLA_INET6_FLAGS", Kind::U32),
    (2, "IFLA_INET6_CONF", Kind::Hex),
    (3, "IFLA_INET6_STATS", Kind::Hex),
    (4, "IFLA_INET6_MCAST", Kind::Hex),
    (5, "IFLA_INET6_CACHEINFO", Kind::Struct(IFLA_CACHEINFO)),
    (6, "IFLA_INET6_ICMP6STATS", Kind::Hex),
    (7, "IFLA_INET6_TOKEN", Kind::Ip),
    (8, "IFLA_INET6_ADDR_GEN_MODE", Kind::U8),
    (9, "IFLA_INET6_RA_MTU", Kind::U32),
]);

const ARPHRD: &[(u16, &str)] = &[
    (1, "ARPHRD_ETHER"),
    (512, "ARPHRD_PPP"),
    (768, "ARPHRD_TUNNEL"),
    (769, "ARPHRD_TUNNEL6"),
    (772, "ARPHRD_LOOPBACK"),
    (776, "ARPHRD_SIT"),
    (778, "ARPHRD_IPGRE"),
    (801, "ARPHRD_IEEE80211"),
    (803, "ARPHRD_IEEE80211_RADIOTAP"),
    (823, "ARPHRD_IP6GRE"),
    (824, "ARPHRD_NETLINK"),
    (65534, "ARPHRD_NONE"),
];

/// `struct rtnl_link_stats` (IFLA_STATS): 24 `__u32` counters (older kernels
/// send fewer; the walker shows the members that are there).
const LINK_STATS: &[Member] = &counters::<u32, 24>(&LINK_COUNTERS);
/// `struct rtnl_link_stats64` (IFLA_STATS64): the same counters as `__u64`,
/// plus rx_otherhost_dropped (5.19).
const LINK_STATS64: &[Member] = &counters::<u64, 25>(&LINK_COUNTERS);
/// The counters in order, as `struct rtnl_link_stats64` has them.
const LINK_COUNTERS: [&str; 25] = [
    "rx_packets",
    "tx_packets",
    "rx_bytes",
    "tx_bytes",
    "rx_errors",
    "tx_errors",
    "rx_dropped",
    "tx_dropped",
    "multicast",
    "collisions",
    "rx_length_errors",
    "rx_over_errors",
    "rx_crc_errors",
    "rx_frame_errors",
    "rx_fifo_errors",
    "rx_missed_errors",
    "tx_aborted_errors",
    "tx_carrier_errors",
    "tx_fifo_errors",
    "tx_heartbeat_errors",
    "tx_window_errors",
    "rx_compressed",
    "tx_compressed",
    "rx_nohandler",
    "rx_otherhost_dropped",
];

/// Members for the first `N` of `names`, consecutive counters of type `T`
/// (`u32` or `u64`).
const fn counters<T, const N: usize>(names: &[&'static str]) -> [Member; N] {
    let size = std::mem::size_of::<T>();
    let kind = if size == 8 { Kind::U64 } else { Kind::U32 };
    let mut out = [const { member("", 0, Kind::U32, 4) }; N];
    let mut i = 0;
    while i < N {
        out[i] = member(names[i], i * size, kind, size);
        i += 1;
    }
    out
}

/// `struct rtnl_link_ifmap` (IFLA_MAP).
const LINK_IFMAP: &[Member] = &[
    member("mem_start", 0, Kind::U64, 8),
    member("mem_end", 8, Kind::U64, 8),
    member("base_addr", 16, Kind::U64, 8),
    member("irq", 24, Kind::U16, 2),
    member("dma", 26, Kind::U8, 1),
    member("port", 27, Kind::U8, 1),
];

static IFLA_XDP: Schema = Schema::new(&[
    (1, "IFLA_XDP_FD", Kind::S32),
    (2, "IFLA_XDP_ATTACHED", Kind::U8),
    (3, "IFLA_XDP_FLAGS", Kind::U32),
    (4, "IFLA_XDP_PROG_ID", Kind::U32),
    (5, "IFLA_XDP_DRV_PROG_ID", Kind::U32),
    (6, "IFLA_XDP_SKB_PROG_ID", Kind::U32),
    (7, "IFLA_XDP_HW_PROG_ID", Kind::U32),
    (8, "IFLA_XDP_EXPECTED_FD", Kind::S32),
]);

/// `struct ifla_cacheinfo` (IFLA_INET6_CACHEINFO).
const IFLA_CACHEINFO: &[Member] = &[
    member("max_reasm_len", 0, Kind::U32, 4),
    member("tstamp", 4, Kind::U32, 4),
    member("reachable_time", 8, Kind::U32, 4),
    member("retrans_time", 12, Kind::U32, 4),
];
/// `struct ifa_cacheinfo` (IFA_CACHEINFO).
const IFA_CACHEINFO: &[Member] = &[
    member("ifa_prefered", 0, Kind::U32, 4),
    member("ifa_valid", 4, Kind::U32, 4),
    member("cstamp", 8, Kind::U32, 4),
    member("tstamp", 12, Kind::U32, 4),
];
/// `struct rta_cacheinfo` (RTA_CACHEINFO).
const RTA_CACHEINFO: &[Member] = &[
    member("rta_clntref", 0, Kind::U32, 4),
    member("rta_lastuse", 4, Kind::U32, 4),
    member("rta_expires", 8, Kind::S32, 4),
    member("rta_error", 12, Kind::U32, 4),
    member("rta_used", 16, Kind::U32, 4),
    member("rta_id", 20, Kind::U32, 4),
    member("rta_ts", 24, Kind::U32, 4),
    member("rta_tsage", 28, Kind::U32, 4),
];
/// `struct nda_cacheinfo` (NDA_CACHEINFO).
const NDA_CACHEINFO: &[Member] = &[
    member("ndm_confirmed", 0, Kind::U32, 4),
    member("ndm_used", 4, Kind::U32, 4),
    member("ndm_updated", 8, Kind::U32, 4),
    member("ndm_refcnt", 12, Kind::U32, 4),
];
/// `struct fib_rule_uid_range` (FRA_UID_RANGE).
const FRA_UID_RANGE: &[Member] = &[
    member("start", 0, Kind::U32, 4),
    member("end", 4, Kind::U32, 4),
];
/// `struct fib_rule_port_range` (FRA_SPORT_RANGE, FRA_DPORT_RANGE).
const FRA_PORT_RANGE: &[Member] = &[
    member("start", 0, Kind::U16, 2),
    member("end", 2, Kind::U16, 2),
];
/// `struct gnet_stats_basic` (TCA_STATS_BASIC).
const TC_STATS_BASIC: &[Member] = &[
    member("bytes", 0, Kind::U64, 8),
    member("packets", 8, Kind::U32, 4),
];
/// `struct tc_stats` (TCA_STATS).
const TC_STATS: &[Member] = &[
    member("bytes", 0, Kind::U64, 8),
    member("packets", 8, Kind::U32, 4),
    member("drops", 12, Kind::U32, 4),
    member("overlimits", 16, Kind::U32, 4),
    member("bps", 20, Kind::U32, 4),
    member("pps", 24, Kind::U32, 4),
    member("qlen", 28, Kind::U32, 4),
    member("backlog", 32, Kind::U32, 4),
];
/// `struct gnet_stats_queue` (TCA_STATS_QUEUE).
const TC_STATS_QUEUE: &[Member] = &[
    member("qlen", 0, Kind::U32, 4),
    member("backlog", 4, Kind::U32, 4),
    member("drops", 8, Kind::U32, 4),
    member("requeues", 12, Kind::U32, 4),
    member("overlimits", 16, Kind::U32, 4),
];

static IFLA_PROPS: Schema = Schema::new(&[(53, "IFLA_ALT_IFNAME", Kind::Str)]);

static IFA: Schema = Schema::new(&[
    (1, "IFA_ADDRESS", Kind::Ip),
    (2, "IFA_LOCAL", Kind::Ip),
    (3, "IFA_LABEL", Kind::Str),
    (4, "IFA_BROADCAST", Kind::Ip),
    (5, "IFA_ANYCAST", Kind::Ip),
    (6, "IFA_CACHEINFO", Kind::Struct(IFA_CACHEINFO)),
    (7, "IFA_MULTICAST", Kind::Ip),
    (8, "IFA_FLAGS", Kind::U32),
    (9, "IFA_RT_PRIORITY", Kind::U32),
    (10, "IFA_TARGET_NETNSID", Kind::S32),
    (11, "IFA_PROTO", Kind::U8),
])
.or_else(addr_spec);

static RTAX: Schema = Schema::new(&[
    (1, "RTAX_LOCK", Kind::U32),
    (2, "RTAX_MTU", Kind::U32),
    (3, "RTAX_WINDOW", Kind::U32),
    (4, "RTAX_RTT", Kind::U32),
    (5, "RTAX_RTTVAR", Kind::U32),
    (6, "RTAX_SSTHRESH", Kind::U32),
    (7, "RTAX_CWND", Kind::U32),
    (8, "RTAX_ADVMSS", Kind::U32),
    (9, "RTAX_REORDERING", Kind::U32),
    (10, "RTAX_HOPLIMIT", Kind::U32),
    (11, "RTAX_INITCWND", Kind::U32),
    (12, "RTAX_FEATURES", Kind::U32),
    (13, "RTAX_RTO_MIN", Kind::U32),
    (14, "RTAX_INITRWND", Kind::U32),
    (15, "RTAX_QUICKACK", Kind::U32),
    (16, "RTAX_CC_ALGO", Kind::Str),
    (17, "RTAX_FASTOPEN_NO_COOKIE", Kind::U32),
])
.or_else(metrics_spec);

static RTA: Schema = Schema::new(&[
    (1, "RTA_DST", Kind::Ip),
    (2, "RTA_SRC", Kind::Ip),
    (3, "RTA_IIF", Kind::U32),
    (4, "RTA_OIF", Kind::U32),
    (5, "RTA_GATEWAY", Kind::Ip),
    (6, "RTA_PRIORITY", Kind::U32),
    (7, "RTA_PREFSRC", Kind::Ip),
    (8, "RTA_METRICS", Kind::Nested(Some(&RTAX))),
    (9, "RTA_MULTIPATH", Kind::Hex),
    (10, "RTA_PROTOINFO", Kind::Hex),
    (11, "RTA_FLOW", Kind::U32),
    (12, "RTA_CACHEINFO", Kind::Struct(RTA_CACHEINFO)),
    (13, "RTA_SESSION", Kind::Hex),
    (14, "RTA_MP_ALGO", Kind::Hex),
    (15, "RTA_TABLE", Kind::U32),
    (16, "RTA_MARK", Kind::U32),
    (17, "RTA_MFC_STATS", Kind::Hex),
    (18, "RTA_VIA", Kind::Hex),
    (19, "RTA_NEWDST", Kind::Hex),
    (20, "RTA_PREF", Kind::U8),
    (21, "RTA_ENCAP_TYPE", Kind::U16),
    (22, "RTA_ENCAP", Kind::Auto),
    (23, "RTA_EXPIRES", Kind::U32),
    (24, "RTA_PAD", Kind::Hex),
    (25, "RTA_UID", Kind::U32),
    (26, "RTA_TTL_PROPAGATE", Kind::U8),
    (27, "RTA_IP_PROTO", Kind::U8),
    (28, "RTA_SPORT", Kind::Be16),
    (29, "RTA_DPORT", Kind::Be16),
    (30, "RTA_NH_ID", Kind::U32),
    (31, "RTA_FLOWLABEL", Kind::Be32),
])
.or_else(route_spec);

static NDA: Schema = Schema::new(&[
    (1, "NDA_DST", Kind::Ip),
    (2, "NDA_LLADDR", Kind::Mac),
    (3, "NDA_CACHEINFO", Kind::Struct(NDA_CACHEINFO)),
    (4, "NDA_PROBES", Kind::U32),
    (5, "NDA_VLAN", Kind::U16),
    (6, "NDA_PORT", Kind::Be16),
    (7, "NDA_VNI", Kind::U32),
    (8, "NDA_IFINDEX", Kind::U32),
    (9, "NDA_MASTER", Kind::U32),
    (10, "NDA_LINK_NETNSID", Kind::S32),
    (11, "NDA_SRC_VNI", Kind::U32),
    (12, "NDA_PROTOCOL", Kind::U8),
    (13, "NDA_NH_ID", Kind::U32),
    (14, "NDA_FDB_EXT_ATTRS", Kind::With(neigh_spec)),
    (15, "NDA_FLAGS_EXT", Kind::U32),
    (16, "NDA_NDM_STATE_MASK", Kind::U16),
    (17, "NDA_NDM_FLAGS_MASK", Kind::U8),
])
.or_else(neigh_spec);

static FRA: Schema = Schema::new(&[
    (1, "FRA_DST", Kind::Ip),
    (2, "FRA_SRC", Kind::Ip),
    (3, "FRA_IIFNAME", Kind::Str),
    (4, "FRA_GOTO", Kind::U32),
    (6, "FRA_PRIORITY", Kind::U32),
    (10, "FRA_FWMARK", Kind::U32),
    (11, "FRA_FLOW", Kind::U32),
    (12, "FRA_TUN_ID", Kind::Be64),
    (13, "FRA_SUPPRESS_IFGROUP", Kind::U32),
    (14, "FRA_SUPPRESS_PREFIXLEN", Kind::U32),
    (15, "FRA_TABLE", Kind::U32),
    (16, "FRA_FWMASK", Kind::U32),
    (17, "FRA_OIFNAME", Kind::Str),
    (18, "FRA_PAD", Kind::Hex),
    (19, "FRA_L3MDEV", Kind::U8),
    (20, "FRA_UID_RANGE", Kind::Struct(FRA_UID_RANGE)),
    (21, "FRA_PROTOCOL", Kind::U8),
    (22, "FRA_IP_PROTO", Kind::U8),
    (23, "FRA_SPORT_RANGE", Kind::Struct(FRA_PORT_RANGE)),
    (24, "FRA_DPORT_RANGE", Kind::Struct(FRA_PORT_RANGE)),
    (25, "FRA_DSCP", Kind::U8),
    (26, "FRA_FLOWLABEL", Kind::Be32),
    (27, "FRA_FLOWLABEL_MASK", Kind::Be32),
])
.or_else(rule_spec);

static TCA: Schema = Schema::new(&[
    (1, "TCA_KIND", Kind::Str),
    (2, "TCA_OPTIONS", Kind::With(tc_spec)),
    (3, "TCA_STATS", Kind::Struct(TC_STATS)),
    (4, "TCA_XSTATS", Kind::With(tc_spec)),
    (5, "TCA_RATE", Kind::Hex),
    (6, "TCA_FCNT", Kind::U32),
    (7, "TCA_STATS2", Kind::Nested(Some(&TCA_STATS))),
    (8, "TCA_STAB", Kind::With(tc_spec)),
    (9, "TCA_PAD", Kind::Hex),
    (10, "TCA_DUMP_INVISIBLE", Kind::Flag),
    (11, "TCA_CHAIN", Kind::U32),
    (12, "TCA_HW_OFFLOAD", Kind::U8),
    (13, "TCA_INGRESS_BLOCK", Kind::U32),
    (14, "TCA_EGRESS_BLOCK", Kind::U32),
    (15, "TCA_DUMP_FLAGS", Kind::Hex),
    (16, "TCA_EXT_WARN_MSG", Kind::Str),
])
.or_else(tc_spec);

static TCA_STATS: Schema = Schema::new(&[
    (1, "TCA_STATS_BASIC", Kind::Struct(TC_STATS_BASIC)),
    (2, "TCA_STATS_RATE_EST", Kind::Hex),
    (3, "TCA_STATS_QUEUE", Kind::Struct(TC_STATS_QUEUE)),
    (4, "TCA_STATS_APP", Kind::Hex),
    (5, "TCA_STATS_RATE_EST64", Kind::Hex),
    (6, "TCA_STATS_PAD", Kind::Hex),
    (7, "TCA_STATS_BASIC_HW", Kind::Hex),
    (8, "TCA_STATS_PKT64", Kind::U64),
]);

const IFINFOMSG: &[Member] = &[
    member("ifi_family", 0, Kind::U8, 1),
    member("ifi_type", 2, Kind::U16, 2),
    member("ifi_index", 4, Kind::S32, 4),
    member("ifi_flags", 8, Kind::U32, 4),
    member("ifi_change", 12, Kind::U32, 4),
];
const IFADDRMSG: &[Member] = &[
    member("ifa_family", 0, Kind::U8, 1),
    member("ifa_prefixlen", 1, Kind::U8, 1),
    member("ifa_flags", 2, Kind::U8, 1),
    member("ifa_scope", 3, Kind::U8, 1),
    member("ifa_index", 4, Kind::U32, 4),
];
const RTMSG: &[Member] = &[
    member("rtm_family", 0, Kind::U8, 1),
    member("rtm_dst_len", 1, Kind::U8, 1),
    member("rtm_src_len", 2, Kind::U8, 1),
    member("rtm_tos", 3, Kind::U8, 1),
    member("rtm_table", 4, Kind::U8, 1),
    member("rtm_protocol", 5, Kind::U8, 1),
    member("rtm_scope", 6, Kind::U8, 1),
    member("rtm_type", 7, Kind::U8, 1),
    member("rtm_flags", 8, Kind::U32, 4),
];
const NDMSG: &[Member] = &[
    member("ndm_family", 0, Kind::U8, 1),
    member("ndm_ifindex", 4, Kind::S32, 4),
    member("ndm_state", 8, Kind::U16, 2),
    member("ndm_flags", 10, Kind::U8, 1),
    member("ndm_type", 11, Kind::U8, 1),
];
const FIB_RULE_HDR: &[Member] = &[
    member("family", 0, Kind::U8, 1),
    member("dst_len", 1, Kind::U8, 1),
    member("src_len", 2, Kind::U8, 1),
    member("tos", 3, Kind::U8, 1),
    member("table", 4, Kind::U8, 1),
    member("action", 7, Kind::U8, 1),
    member("flags", 8, Kind::U32, 4),
];
const TCMSG: &[Member] = &[
    member("tcm_family", 0, Kind::U8, 1),
    member("tcm_ifindex", 4, Kind::S32, 4),
    member("tcm_handle", 8, Kind::U32, 4),
    member("tcm_parent", 12, Kind::U32, 4),
    member("tcm_info", 16, Kind::U32, 4),
];
const RTGENMSG: &[Member] = &[member("rtgen_family", 0, Kind::U8, 1)];

/// `struct netconfmsg` (RTM_NEWNETCONF, RTM_DELNETCONF, RTM_GETNETCONF): one
/// family byte, padded; netlink-packet-route does not parse these.
const NETCONFMSG: &[Member] = &[member("ncm_family", 0, Kind::U8, 1)];

static NETCONFA: Schema = Schema::new(&[
    (1, "NETCONFA_IFINDEX", Kind::S32),
    (2, "NETCONFA_FORWARDING", Kind::U32),
    (3, "NETCONFA_RP_FILTER", Kind::U32),
    (4, "NETCONFA_MC_FORWARDING", Kind::U32),
    (5, "NETCONFA_PROXY_NEIGH", Kind::U32),
    (6, "NETCONFA_IGNORE_ROUTES_WITH_LINKDOWN", Kind::U32),
    (7, "NETCONFA_INPUT", Kind::U32),
    (8, "NETCONFA_BC_FORWARDING", Kind::U32),
]);

/// `ifindex N` (or `all` / `default`) from a netconf message's attributes.
fn netconf_detail(cx: &Cx, attributes: Range<usize>) -> String {
    let Some(index) = AttrWalk::new(cx, attributes)
        .find(|a| a.kind == 1)
        .and_then(|a| cx.i32(a.value.start))
    else {
        return String::new();
    };
    match index {
        -1 => "all".into(),
        -2 => "default".into(),
        n => cat_string(&["ifindex ", &num(n)]),
    }
}

/// The fixed header (name, members, size) and attribute schema of `kind`,
/// whose body starts with address family `family`.
fn layout(
    kind: u16,
    family: u8,
) -> (
    &'static str,
    &'static [Member],
    usize,
    Option<&'static Schema>,
) {
    match kind {
        16..=19 => {
            let schema = match i32::from(family) {
                libc::AF_BRIDGE => &IFLA_BRIDGE,
                libc::AF_INET6 => &IFLA_INET6_LINK,
                _ => &IFLA,
            };
            ("ifinfomsg", IFINFOMSG, 16, Some(schema))
        }
        20..=22 => ("ifaddrmsg", IFADDRMSG, 8, Some(&IFA)),
        24..=26 => ("rtmsg", RTMSG, 12, Some(&RTA)),
        28..=30 => ("ndmsg", NDMSG, 12, Some(&NDA)),
        32..=34 => ("fib_rule_hdr", FIB_RULE_HDR, 12, Some(&FRA)),
        36..=46 | 100..=102 => ("tcmsg", TCMSG, 20, Some(&TCA)),
        48..=50 => ("tcamsg", RTGENMSG, 4, None),
        80..=82 => ("netconfmsg", NETCONFMSG, 4, Some(&NETCONFA)),
        112..=114 => ("br_vlan_msg", BR_VLAN_MSG, 8, Some(&BRIDGE_VLANDB)),
        _ => ("rtgenmsg", RTGENMSG, 4, None),
    }
}

pub fn decode(cx: &Cx, msg: &Msg) -> Body {
    let kind = msg.header.kind;
    let (type_name, op) = type_name(kind);
    let body = msg.body.clone();
    let data = cx.bytes(body.clone());
    let family = data.first().copied().unwrap_or(0);
    let (header_name, header_members, header_len, schema) = layout(kind, family);
    let mut fields = Vec::with_capacity(2);

    let header_end = (body.start + header_len).min(body.end);
    let mut header = members(cx, body.start, header_end, header_members);
    if let Some(family) = header.first_mut() {
        if let Some(&number) = data.first() {
            if let Some(name) = lookup(ADDRESS_FAMILIES, number) {
                family.value = Value::Named(number.into(), name);
            }
        }
    }
    if (16..=19).contains(&kind) {
        if let Some(field) = header.iter_mut().find(|f| f.name == "ifi_type") {
            if let Some(number) = cx.u16(body.start + 2) {
                if let Some(name) = lookup(ARPHRD, number) {
                    field.value = Value::Named(number.into(), name);
                }
            }
        }
        if let Some(flags) = header.iter_mut().find(|f| f.name == "ifi_flags") {
            if let Some(bits) = cx.u32(body.start + 8) {
                let hex = hex_number(bits.into());
                flags.value = cat(&[&hex, " (", &link_flags(bits), ")"]).into();
            }
        }
    }
    fields.push(
        Field::new(header_name, Value::Bytes((header_end - body.start) as u64))
            .at(body.start..header_end)
            .with_children(header),
    );

    let complete_header = body.start + header_len <= body.end;
    if header_end < body.end && complete_header {
        let attributes = attrs(cx, header_end..body.end, schema, 1);
        fields.push(
            Field::new("attributes", Value::Bytes((body.end - header_end) as u64))
                .at(header_end..body.end)
                .with_children(attributes),
        );
    }

    // A short body (a GET request with only `struct rtgenmsg`) still says
    // what it can; reads past the body read as absent.
    let detail = summary_detail(cx, kind, msg.header.flags, body.start, header_end..body.end);
    let summary = if detail.is_empty() {
        type_name.to_string()
    } else {
        cat_string(&[&type_name, " ", &detail])
    };
    Body {
        type_name,
        op,
        fields,
        summary,
    }
}

/// `UP|BROADCAST|...` for `ifi_flags`, named by netlink-packet-route.
fn link_flags(bits: u32) -> String {
    let flags = LinkFlags::from_bits_retain(bits);
    let mut out = String::new();
    for (name, _) in flags.iter_names() {
        if !out.is_empty() {
            out.push('|');
        }
        out.extend(name.chars().map(|c| c.to_ascii_uppercase()));
    }
    if out.is_empty() {
        out.push('0');
    }
    out
}

fn table_name(table: u32) -> String {
    match table {
        253 => "default".into(),
        254 => "main".into(),
        255 => "local".into(),
        other => other.to_string(),
    }
}

/// The attributes in `range` as netlink-packet-route's zero-copy buffers.
/// Only attributes of the given `kinds` (the ones a summary reads), so the
/// crate parses nothing else.
fn nla_buffers<'a>(
    cx: &Cx<'a>,
    range: Range<usize>,
    kinds: &'static [u16],
) -> impl Iterator<Item = NlaBuffer<&'a [u8]>> {
    let payload = cx.payload;
    AttrWalk::new(cx, range)
        .filter(move |a| kinds.contains(&a.kind))
        .filter_map(move |a| NlaBuffer::new_checked(&payload[a.range]).ok())
}

/// The part of the summary after the type name: the few attributes a list
/// view shows, each parsed on its own by netlink-packet-route (a whole-message
/// parse costs more than the rest of the decode together; see the decode
/// benchmark).
fn summary_detail(cx: &Cx, kind: u16, flags: u16, body: usize, attributes: Range<usize>) -> String {
    let dump = crate::netlink::header::is_dump_request(flags);
    // Fixed-header reads stay inside the message body.
    let end = attributes.end;
    let inside = |offset: usize, size: usize| body + offset + size <= end;
    let u8_at = |offset: usize| cx.u8(body + offset).filter(|_| inside(offset, 1));
    let u16_at = |offset: usize| cx.u16(body + offset).filter(|_| inside(offset, 2));
    let u32_at = |offset: usize| cx.u32(body + offset).filter(|_| inside(offset, 4));
    let i32_at = |offset: usize| cx.i32(body + offset).filter(|_| inside(offset, 4));
    let family = AddressFamily::from(u8_at(0).unwrap_or(0));
    let mut parts = Words::default();
    match kind {
        16..=19 => {
            // IFLA_IFNAME read as netlink-packet-route reads it (one trailing
            // NUL dropped; not UTF-8, not a name), without copying it: this
            // is most of a link message's summary.
            let name = AttrWalk::new(cx, attributes)
                .filter(|a| a.kind == 3)
                .find_map(|a| {
                    let data = cx.bytes(a.value);
                    std::str::from_utf8(data.strip_suffix(&[0]).unwrap_or(data)).ok()
                });
            let index = i32_at(4).unwrap_or(0);
            match name {
                Some(name) => parts.push(name),
                None if index != 0 => parts.push(&cat_string(&["index ", &num(index)])),
                None => {}
            }
            if kind == 16 || kind == 17 {
                let up = u32_at(8).unwrap_or(0) & LinkFlags::Up.bits() != 0;
                parts.push(if up { "UP" } else { "DOWN" });
            }
        }
        20..=22 => {
            let mut local = None;
            let mut address = None;
            for nla in nla_buffers(cx, attributes, &[1, 2]) {
                match AddressAttribute::parse(&nla) {
                    Ok(AddressAttribute::Local(ip)) => local = Some(ip),
                    Ok(AddressAttribute::Address(ip)) => address = Some(ip),
                    _ => {}
                }
            }
            if let Some(address) = local.or(address) {
                parts.push(&format!("{address}/{}", u8_at(1).unwrap_or(0)));
            }
            let index = u32_at(4).unwrap_or(0);
            if index != 0 {
                parts.push(&cat_string(&["dev ", &num(index)]));
            }
        }
        24..=26 => {
            let mut destination = None;
            let mut gateway = None;
            let mut oif = None;
            let mut table = u32::from(u8_at(4).unwrap_or(0));
            let route_type = RouteType::from(u8_at(7).unwrap_or(0));
            for nla in nla_buffers(cx, attributes, &[1, 4, 5, 15]) {
                let param = (family, route_type, RouteLwEnCapType::None);
                match RouteAttribute::parse_with_param(&nla, param) {
                    Ok(RouteAttribute::Destination(a)) => destination = Some(route_address(&a)),
                    Ok(RouteAttribute::Gateway(a)) => gateway = Some(route_address(&a)),
                    Ok(RouteAttribute::Oif(i)) => oif = Some(i),
                    Ok(RouteAttribute::Table(t)) => table = t,
                    _ => {}
                }
            }
            if !(dump && destination.is_none()) {
                parts.push(&match destination {
                    Some(d) => format!("{d}/{}", u8_at(1).unwrap_or(0)),
                    None => "default".to_string(),
                });
            }
            if let Some(g) = gateway {
                parts.push(&format!("via {g}"));
            }
            if let Some(i) = oif {
                parts.push(&format!("dev {i}"));
            }
            if table != 0 {
                parts.push(&format!("table {}", table_name(table)));
            }
        }
        28..=30 => {
            for nla in nla_buffers(cx, attributes, &[1, 2]) {
                match NeighbourAttribute::parse_with_param(&nla, family) {
                    Ok(NeighbourAttribute::Destination(NeighbourAddress::Inet(a))) => {
                        parts.push_front(&a.to_string())
                    }
                    Ok(NeighbourAttribute::Destination(NeighbourAddress::Inet6(a))) => {
                        parts.push_front(&a.to_string())
                    }
                    Ok(NeighbourAttribute::LinkLayerAddress(mac)) => {
                        parts.push(&format!("lladdr {}", super::nla::mac(&mac)))
                    }
                    _ => {}
                }
            }
            let index = i32_at(4).unwrap_or(0);
            if index != 0 {
                parts.push(&format!("dev {index}"));
            }
            if kind != 30 {
                let state = NeighbourState::from(u16_at(8).unwrap_or(0));
                parts.push(&state.to_string().to_ascii_uppercase());
            }
        }
        32..=34 => {
            let mut table = u32::from(u8_at(4).unwrap_or(0));
            for nla in nla_buffers(cx, attributes, &[6, 15]) {
                match RuleAttribute::parse(&nla) {
                    Ok(RuleAttribute::Priority(p)) => parts.push(&format!("pref {p}")),
                    Ok(RuleAttribute::Table(t)) => table = t,
                    _ => {}
                }
            }
            if table != 0 {
                parts.push(&format!("table {}", table_name(table)));
            }
        }
        36..=46 => {
            if let Some(kind) = nla_buffers(cx, attributes, &[1]).find_map(|nla| {
                if nla.kind() != 1 {
                    return None;
                }
                match TcAttribute::parse_with_param(&nla, "") {
                    Ok(TcAttribute::Kind(k)) => Some(k),
                    _ => None,
                }
            }) {
                parts.push(&kind);
            }
            let index = i32_at(4).unwrap_or(0);
            if index != 0 {
                parts.push(&format!("dev {index}"));
            }
            let handle = TcHandle::from(u32_at(8).unwrap_or(0));
            if handle.major != 0 || handle.minor != 0 {
                parts.push(&format!("handle {handle}"));
            }
        }
        112..=114 => {
            let index = u32_at(4).unwrap_or(0);
            if index != 0 {
                parts.push(&cat_string(&["dev ", &num(index)]));
            }
        }
        80..=82 => {
            let detail = netconf_detail(cx, attributes);
            if !detail.is_empty() {
                parts.push(&detail);
            }
        }
        _ => {}
    }
    if dump && kind != 80 && kind != 81 && kind != 82 {
        parts.push("dump");
    }
    parts.0
}

/// Summary words joined by single spaces.
#[derive(Default)]
struct Words(String);

impl Words {
    fn push(&mut self, word: &str) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(word);
    }

    fn push_front(&mut self, word: &str) {
        if self.0.is_empty() {
            self.0.push_str(word);
        } else {
            self.0.insert(0, ' ');
            self.0.insert_str(0, word);
        }
    }
}

fn route_address(address: &RouteAddress) -> String {
    match address {
        RouteAddress::Inet(a) => a.to_string(),
        RouteAddress::Inet6(a) => a.to_string(),
        other => format!("{other:?}"),
    }
}
