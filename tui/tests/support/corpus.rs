//! Hand-built, real-looking netlink buffers for every protocol family the
//! decoder knows, plus the host recordings under `tests/fixtures/host/`.
//! Shared by the golden tests and the decode benchmark.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use netlink_packet_core::{NetlinkHeader, NetlinkMessage, NetlinkPayload};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkFlags, LinkInfo, LinkMessage};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleMessage};
use netlink_packet_route::tc::{TcAttribute, TcMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use nlscope::netlink::header;
use nlscope::netlink::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_MULTI, NLM_F_REQUEST,
};

/// One buffer of the corpus.
pub struct Sample {
    pub name: String,
    pub protocol: u32,
    /// The captured bytes.
    pub bytes: Vec<u8>,
    /// Length of the whole buffer in the kernel: more than `bytes` for a
    /// sample cut by the snap length.
    pub len: u32,
}

impl Sample {
    /// The sample as a capture source hands it over.
    pub fn captured(&self) -> nlscope::event::CapturedMessage {
        nlscope::event::CapturedMessage {
            protocol: self.protocol,
            len: self.len,
            payload: self.bytes.clone(),
            ..Default::default()
        }
    }
}

fn sample(name: &str, protocol: u32, bytes: Vec<u8>) -> Sample {
    Sample {
        name: name.to_string(),
        protocol,
        len: bytes.len() as u32,
        bytes,
    }
}

/// A netlink message: header + body, padded to 4 bytes.
pub fn nlmsg(kind: u16, flags: u16, seq: u32, port: u32, body: &[u8]) -> Vec<u8> {
    let mut out = header::build_message(kind, flags, seq, port, body);
    header::pad(&mut out);
    out
}

/// A netlink attribute, padded to 4 bytes.
pub use nlscope::netlink::attr::attr as nla;

fn cstr(text: &str) -> Vec<u8> {
    let mut out = text.as_bytes().to_vec();
    out.push(0);
    out
}

/// An rtnetlink message emitted by netlink-packet-route.
fn route(message: RouteNetlinkMessage, flags: u16, seq: u32, port: u32) -> Vec<u8> {
    let mut header = NetlinkHeader::default();
    header.flags = flags;
    header.sequence_number = seq;
    header.port_number = port;
    let mut packet = NetlinkMessage::new(header, NetlinkPayload::from(message));
    packet.finalize();
    let mut buffer = vec![0; packet.buffer_len()];
    packet.serialize(&mut buffer);
    buffer
}

pub fn route_samples() -> Vec<Sample> {
    let mut link = LinkMessage::default();
    link.header.index = 3;
    link.header.flags =
        LinkFlags::Up | LinkFlags::Broadcast | LinkFlags::Running | LinkFlags::LowerUp;
    link.attributes = vec![
        LinkAttribute::IfName("dummy0".into()),
        LinkAttribute::Mtu(1500),
        LinkAttribute::Address(vec![0x2a, 0x10, 0x33, 0x44, 0x55, 0x66]),
        LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Dummy)]),
    ];
    let newlink = route(
        RouteNetlinkMessage::NewLink(link),
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        1,
        4242,
    );

    let mut addr = AddressMessage::default();
    addr.header.family = AddressFamily::Inet;
    addr.header.prefix_len = 24;
    addr.header.index = 3;
    addr.attributes = vec![
        AddressAttribute::Local(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
        AddressAttribute::Address(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
        AddressAttribute::Label("dummy0".into()),
    ];
    let newaddr = route(
        RouteNetlinkMessage::NewAddress(addr),
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        2,
        4242,
    );

    let mut rt = RouteMessage::default();
    rt.header.address_family = AddressFamily::Inet;
    rt.header.destination_prefix_length = 24;
    rt.header.table = 254;
    rt.attributes = vec![
        RouteAttribute::Destination(RouteAddress::Inet(Ipv4Addr::new(10, 1, 0, 0))),
        RouteAttribute::Gateway(RouteAddress::Inet(Ipv4Addr::new(10, 0, 0, 254))),
        RouteAttribute::Oif(3),
        RouteAttribute::Priority(100),
    ];
    let newroute = route(
        RouteNetlinkMessage::NewRoute(rt),
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        3,
        4242,
    );

    let mut neigh = NeighbourMessage::default();
    neigh.header.family = AddressFamily::Inet;
    neigh.header.ifindex = 3;
    neigh.header.state = NeighbourState::Reachable;
    neigh.attributes = vec![
        NeighbourAttribute::Destination(NeighbourAddress::Inet(Ipv4Addr::new(10, 0, 0, 254))),
        NeighbourAttribute::LinkLayerAddress(vec![0x02, 0, 0, 0, 0, 0xfe]),
    ];
    let newneigh = route(RouteNetlinkMessage::NewNeighbour(neigh), 0, 0, 0);

    let mut rule = RuleMessage::default();
    rule.header.family = AddressFamily::Inet;
    rule.header.action = RuleAction::ToTable;
    rule.attributes = vec![RuleAttribute::Priority(1000), RuleAttribute::Table(100)];
    let newrule = route(
        RouteNetlinkMessage::NewRule(rule),
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        5,
        4242,
    );

    let mut qdisc = TcMessage::with_index(3);
    qdisc.attributes = vec![TcAttribute::Kind("noqueue".into())];
    let newqdisc = route(RouteNetlinkMessage::NewQueueDiscipline(qdisc), 0, 0, 0);

    let getlink = route(
        RouteNetlinkMessage::GetLink(LinkMessage::default()),
        NLM_F_REQUEST | NLM_F_DUMP,
        6,
        4242,
    );

    // An ACK (error 0, capped) for the RTM_NEWLINK above.
    let mut ack_body = 0i32.to_ne_bytes().to_vec();
    ack_body.extend_from_slice(&newlink[..16]);
    let ack = nlmsg(2, 0x100, 1, 4242, &ack_body);

    // A dump reply: two links then NLMSG_DONE, in one buffer.
    let mut lo = LinkMessage::default();
    lo.header.index = 1;
    lo.header.flags = LinkFlags::Up | LinkFlags::Loopback | LinkFlags::Running;
    lo.attributes = vec![
        LinkAttribute::IfName("lo".into()),
        LinkAttribute::Mtu(65536),
    ];
    let mut down = LinkMessage::default();
    down.header.index = 4;
    down.attributes = vec![LinkAttribute::IfName("dummy1".into())];
    let mut dump = route(RouteNetlinkMessage::NewLink(lo), NLM_F_MULTI, 6, 4242);
    dump.extend(route(
        RouteNetlinkMessage::NewLink(down),
        NLM_F_MULTI,
        6,
        4242,
    ));
    dump.extend(nlmsg(3, NLM_F_MULTI, 6, 4242, &0i32.to_ne_bytes()));

    // An error with an extended ack pointing at IFLA_IFNAME (offset 32 of
    // the quoted request), the request quoted in full (not capped).
    let mut err_body = (-22i32).to_ne_bytes().to_vec();
    err_body.extend_from_slice(&newlink);
    err_body.extend(nla(1, b"Attribute failed policy validation\0"));
    err_body.extend(nla(2, &32u32.to_ne_bytes()));
    let error = nlmsg(2, 0x200, 1, 4242, &err_body);
    // The same refusal with the policy the name broke, as the kernel adds it
    // (NLMSGERR_ATTR_POLICY, nested: NL_ATTR_TYPE_STRING of at most 15 bytes).
    let mut policy_body = err_body.clone();
    policy_body.extend(nla(
        0x8004,
        &[nla(1, &11u32.to_ne_bytes()), nla(7, &15u32.to_ne_bytes())].concat(),
    ));
    let error_policy = nlmsg(2, 0x200, 1, 4242, &policy_body);

    // A bridge (its per-kind data is rt-link's linkinfo-bridge-attrs), one
    // of its ports (AF_BRIDGE: protinfo and af-spec are the bridge's), and a
    // bridge VLAN entry (RTM_NEWVLAN).
    let bridge = nlmsg(
        16,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        20,
        4242,
        &[
            ifinfomsg(0, 0, 0),
            nla(3, &cstr("br0")),
            nla(
                0x8000 | 18,
                &[
                    nla(1, &cstr("bridge")),
                    nla(
                        0x8000 | 2,
                        &[
                            nla(1, &1500u32.to_ne_bytes()),
                            nla(5, &0u32.to_ne_bytes()),
                            nla(6, &32768u16.to_ne_bytes()),
                            nla(7, &[1]),
                        ]
                        .concat(),
                    ),
                ]
                .concat(),
            ),
        ]
        .concat(),
    );
    let port = nlmsg(
        16,
        0,
        21,
        4242,
        &[
            ifinfomsg(7, 5, 0x1043),
            nla(3, &cstr("veth0")),
            nla(10, &4u32.to_ne_bytes()),
            nla(
                0x8000 | 12,
                &[
                    nla(1, &[3]),
                    nla(2, &32u16.to_ne_bytes()),
                    nla(3, &2u32.to_ne_bytes()),
                ]
                .concat(),
            ),
            nla(
                0x8000 | 26,
                &nla(2, &[&6u16.to_ne_bytes()[..], &1u16.to_ne_bytes()].concat()),
            ),
            nla(
                0x8000 | 18,
                &[
                    nla(1, &cstr("veth")),
                    nla(4, &cstr("bridge")),
                    nla(
                        0x8000 | 5,
                        &[nla(1, &[3]), nla(2, &32u16.to_ne_bytes())].concat(),
                    ),
                ]
                .concat(),
            ),
        ]
        .concat(),
    );
    let mut vlan = vec![7u8, 0, 0, 0];
    vlan.extend_from_slice(&5u32.to_ne_bytes());
    vlan.extend(nla(
        0x8000 | 1,
        &[
            nla(1, &[&6u16.to_ne_bytes()[..], &10u16.to_ne_bytes()].concat()),
            nla(3, &[3]),
        ]
        .concat(),
    ));
    let newvlan = nlmsg(112, 0, 22, 4242, &vlan);

    vec![
        sample("route-error-offset", 0, error),
        sample("route-error-policy", 0, error_policy),
        sample("route-newlink", 0, newlink),
        sample("route-newaddr", 0, newaddr),
        sample("route-newroute", 0, newroute),
        sample("route-newneigh", 0, newneigh),
        sample("route-newrule", 0, newrule),
        sample("route-newqdisc", 0, newqdisc),
        sample("route-getlink-dump", 0, getlink),
        sample("route-ack", 0, ack),
        sample("route-dump-reply", 0, dump),
        sample("route-newlink-bridge", 0, bridge),
        sample("route-newlink-bridge-port", 0, port),
        sample("route-newvlan", 0, newvlan),
    ]
}

/// `struct ifinfomsg` of family `family`, index `index`, flags `flags`.
fn ifinfomsg(family: u8, index: i32, flags: u32) -> Vec<u8> {
    let mut out = vec![family, 0];
    out.extend_from_slice(&1u16.to_ne_bytes()); // ARPHRD_ETHER
    out.extend_from_slice(&index.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out
}

/// nlctrl NEWFAMILY for ethtool with id 0x15.
pub fn ethtool_family() -> Vec<u8> {
    let mut body = vec![1u8, 2, 0, 0];
    body.extend(nla(2, &cstr("ethtool")));
    body.extend(nla(1, &0x15u16.to_ne_bytes()));
    nlmsg(0x10, 0, 1, 4242, &body)
}

/// nlctrl NEWFAMILY for nl80211 with id 0x1c and two groups.
pub fn nl80211_family() -> Vec<u8> {
    let mut body = vec![1u8, 2, 0, 0]; // CTRL_CMD_NEWFAMILY, version 2
    body.extend(nla(2, &cstr("nl80211")));
    body.extend(nla(1, &0x1cu16.to_ne_bytes()));
    body.extend(nla(3, &1u32.to_ne_bytes()));
    body.extend(nla(4, &0u32.to_ne_bytes()));
    body.extend(nla(5, &0x14fu32.to_ne_bytes()));
    let mut ops = Vec::new();
    for (i, (id, flags)) in [(5u32, 0xau32), (7, 0xb)].iter().enumerate() {
        let mut op = nla(1, &id.to_ne_bytes());
        op.extend(nla(2, &flags.to_ne_bytes()));
        ops.extend(nla(i as u16 + 1, &op));
    }
    body.extend(nla(6, &ops));
    let mut groups = Vec::new();
    for (i, (id, name)) in [(5u32, "config"), (6, "scan")].iter().enumerate() {
        let mut group = nla(2, &id.to_ne_bytes());
        group.extend(nla(1, &cstr(name)));
        groups.extend(nla(i as u16 + 1, &group));
    }
    body.extend(nla(7, &groups));
    nlmsg(0x10, 0, 1, 4242, &body)
}

pub fn genl_samples() -> Vec<Sample> {
    let mut get = vec![3u8, 1, 0, 0];
    get.extend(nla(2, &cstr("nl80211")));
    let getfamily = nlmsg(0x10, NLM_F_REQUEST, 1, 4242, &get);
    // nl80211 GET_INTERFACE (cmd 5, get-interface in its spec) with
    // NL80211_ATTR_IFINDEX (3) = 3.
    let mut body = vec![5u8, 0, 0, 0];
    body.extend(nla(3, &3u32.to_ne_bytes()));
    let get_interface = nlmsg(0x1c, NLM_F_REQUEST | NLM_F_ACK, 2, 4242, &body);
    // ethtool LINKINFO_GET (request 2, reply 2 in its directional ids): the
    // request names the device in a nested header; the reply adds the port.
    let header = nla(0x8000 | 1, &[nla(2, &cstr("eth0"))].concat());
    let linkinfo_get = nlmsg(
        0x15,
        NLM_F_REQUEST | NLM_F_ACK,
        3,
        4242,
        &[&[2u8, 1, 0, 0][..], &header].concat(),
    );
    let reply_header = nla(
        0x8000 | 1,
        &[nla(1, &2u32.to_ne_bytes()), nla(2, &cstr("eth0"))].concat(),
    );
    let linkinfo = nlmsg(
        0x15,
        0,
        3,
        4242,
        &[
            &[2u8, 1, 0, 0][..],
            &reply_header,
            &nla(2, &[0]),
            &nla(3, &[1]),
            &nla(42, &[7]),
        ]
        .concat(),
    );
    vec![
        sample("genl-getfamily-nl80211", 16, getfamily),
        sample("genl-newfamily-nl80211", 16, nl80211_family()),
        sample("genl-nl80211-get-interface", 16, get_interface),
        sample("genl-ethtool-linkinfo-get", 16, linkinfo_get),
        sample("genl-ethtool-linkinfo", 16, linkinfo),
    ]
}

pub fn other_samples() -> Vec<Sample> {
    let uevent = b"add@/devices/virtual/net/dummy0\0ACTION=add\0DEVPATH=/devices/virtual/net/dummy0\0SUBSYSTEM=net\0INTERFACE=dummy0\0IFINDEX=3\0SEQNUM=4711\0".to_vec();
    let props =
        b"ACTION=remove\0DEVPATH=/devices/virtual/block/loop0\0SUBSYSTEM=block\0SEQNUM=4712\0";
    let mut udev = b"libudev\0".to_vec();
    udev.extend_from_slice(&0xfeedcafeu32.to_be_bytes());
    udev.extend_from_slice(&40u32.to_ne_bytes());
    udev.extend_from_slice(&40u32.to_ne_bytes());
    udev.extend_from_slice(&(props.len() as u32).to_ne_bytes());
    udev.extend_from_slice(&0x1234u32.to_ne_bytes());
    udev.extend_from_slice(&0u32.to_ne_bytes());
    udev.extend_from_slice(&[0; 8]);
    udev.extend_from_slice(props);

    let audit_text = b"pid=1234 uid=0 auid=1000 ses=3 msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" res=success'";
    let audit = nlmsg(1112, NLM_F_REQUEST | NLM_F_ACK, 9, 4242, audit_text);

    // nftables batch: BEGIN, NEWTABLE "filter" (inet), END.
    let mut batch = nlmsg(0x10, NLM_F_REQUEST, 10, 0, &[0, 0, 0, 10]);
    let mut table = vec![1u8, 0, 0, 0]; // NFPROTO_INET, version 0, res_id 0
    table.extend(nla(1, &cstr("filter")));
    table.extend(nla(2, &0u32.to_be_bytes()));
    batch.extend(nlmsg(
        10 << 8,
        NLM_F_REQUEST | NLM_F_ACK | 0x400,
        11,
        0,
        &table,
    ));
    batch.extend(nlmsg(0x11, NLM_F_REQUEST, 12, 0, &[0, 0, 0, 10]));

    // conntrack: a new entry (from the kernel), its original tuple nested
    // as the conntrack spec describes it; nftables: a new chain (the
    // hand-written schemas know only tables).
    let tuple = [
        nla(
            0x8001,
            &[nla(1, &[10, 0, 0, 1]), nla(2, &[10, 0, 0, 2])].concat(),
        ),
        nla(
            0x8002,
            &[
                nla(1, &[6]),
                nla(2, &1234u16.to_be_bytes()),
                nla(3, &80u16.to_be_bytes()),
            ]
            .concat(),
        ),
    ]
    .concat();
    let conntrack = nlmsg(
        0x100,
        0,
        14,
        0,
        &[
            &[2u8, 0, 0, 0][..],
            &nla(0x8001, &tuple),
            &nla(3, &8u32.to_be_bytes()),
        ]
        .concat(),
    );
    let chain = nlmsg(
        (10 << 8) | 3,
        NLM_F_REQUEST | NLM_F_ACK | 0x400,
        15,
        0,
        &[
            &[1u8, 0, 0, 10][..],
            &nla(1, &cstr("filter")),
            &nla(3, &cstr("input")),
            &nla(7, &cstr("filter")),
            &nla(5, &1u32.to_be_bytes()),
        ]
        .concat(),
    );

    let hello = nlmsg(0, 0, 0, 4242, b"Hello kernel\0");
    let reply = nlmsg(3, 0, 0, 0, b"Hello userspace\0");
    let usersock = nlmsg(0x20, 0, 0, 4242, b"ping from usersock\0");

    // NETLINK_XFRM (6) has no decoder: a generic attribute tree.
    let mut xfrm_body = vec![0u8; 8];
    xfrm_body.extend(nla(1, &7u32.to_ne_bytes()));
    let mut nested = nla(1, &cstr("inner"));
    nested.extend(nla(2, &0x0102030405060708u64.to_ne_bytes()));
    xfrm_body.extend(nla(0x8002, &nested));
    let xfrm = nlmsg(0x1c, NLM_F_REQUEST, 13, 4242, &xfrm_body);

    // A message cut by the snap length: 64 of its 216 bytes captured.
    let mut truncated = nlmsg(0x10, NLM_F_REQUEST, 1, 4242, &[0u8; 200]);
    let whole_len = truncated.len() as u32;
    truncated.truncate(64);

    vec![
        sample("uevent-kernel", 15, uevent),
        sample("uevent-libudev", 15, udev),
        sample("audit-user-login", 9, audit),
        sample("netfilter-nft-batch", 12, batch),
        sample("netfilter-ct-new", 12, conntrack),
        sample("netfilter-nft-newchain", 12, chain),
        sample("demo-hello-kernel", 30, hello),
        sample("demo-hello-userspace", 30, reply),
        sample("demo-raw-text", 30, b"Hello kernel".to_vec()),
        sample("usersock-text", 2, usersock),
        sample("xfrm-generic", 6, xfrm),
        Sample {
            len: whole_len,
            ..sample("route-truncated", 0, truncated)
        },
    ]
}

/// The recordings of real traffic on a host (see `fixtures/host/record.py`).
pub fn host_samples() -> Vec<Sample> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/host");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".bin"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let protocol = match name.split('-').next().unwrap_or("") {
                "route" => 0,
                "sockdiag" => 4,
                "audit" => 9,
                "netfilter" => 12,
                "genl" => 16,
                _ => 31,
            };
            let bytes = std::fs::read(dir.join(&name)).expect("fixture");
            sample(
                &format!("host-{}", name.trim_end_matches(".bin")),
                protocol,
                bytes,
            )
        })
        .collect()
}

pub fn all_samples() -> Vec<Sample> {
    let mut all = route_samples();
    all.extend(genl_samples());
    all.extend(other_samples());
    all.extend(host_samples());
    all
}
