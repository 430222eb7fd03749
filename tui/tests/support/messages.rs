//! A small synthetic corpus of realistic captured messages, for tests, snapshot
//! tests and the ingest benchmark. Byte layouts follow the kernel's structs
//! (native endianness, 4-byte alignment). Test-only: the library's unit tests
//! include it as `store::corpus`, the integration tests and benchmarks by
//! path; it is not part of the library.
// Each test crate that includes this file uses a part of it.
#![allow(dead_code)]

use nlscope::event::CapturedMessage;
use nlscope::netlink::attr::attr;
use nlscope::netlink::header::{build_message, pad};
use nlscope::netlink::{IFLA_EXT_MASK, IFLA_IFNAME, IFLA_MTU, IFLA_STATS64};
use nlscope::netlink::{NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTI, NLM_F_REQUEST};

/// 2026-11-28 05:00:00 UTC.
pub const BASE_WALL_NS: u64 = 1_795_842_000_000_000_000;
/// An arbitrary CLOCK_MONOTONIC start.
pub const BASE_MONO_NS: u64 = 5_000_000_000_000;

/// One netlink message: header plus `body`, padded to 4 bytes.
pub fn nlmsg(kind: u16, flags: u16, seq: u32, port: u32, body: &[u8]) -> Vec<u8> {
    let mut out = build_message(kind, flags, seq, port, body);
    pad(&mut out);
    out
}

/// `struct ifinfomsg`.
pub fn ifinfomsg(index: i32, flags: u32) -> Vec<u8> {
    let mut out = vec![0u8, 0]; // AF_UNSPEC, pad
    out.extend_from_slice(&1u16.to_ne_bytes()); // ARPHRD_ETHER
    out.extend_from_slice(&index.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out
}

/// A `struct nlmsgerr` body: the error code and the offending request's header.
pub fn nlmsgerr(error: i32, request: &[u8]) -> Vec<u8> {
    let mut out = error.to_ne_bytes().to_vec();
    out.extend_from_slice(&request[..16.min(request.len())]);
    out
}

/// A link message with a name and MTU (`RTM_NEWLINK` body).
pub fn link_body(index: i32, flags: u32, name: &str, mtu: u32) -> Vec<u8> {
    let mut body = ifinfomsg(index, flags);
    let mut cname = name.as_bytes().to_vec();
    cname.push(0);
    body.extend(attr(IFLA_IFNAME, &cname));
    body.extend(attr(IFLA_MTU, &mtu.to_ne_bytes()));
    body
}

/// Everything but the bytes, with times `at_us` microseconds into the capture.
#[allow(clippy::too_many_arguments)]
pub fn message(
    at_us: u64,
    pid: u32,
    comm: &str,
    protocol: u32,
    src_port: u32,
    dst_port: u32,
    dst_group: u32,
    payload: Vec<u8>,
    result: Option<i64>,
) -> CapturedMessage {
    CapturedMessage {
        ts_mono_ns: BASE_MONO_NS + at_us * 1000,
        ts_wall_ns: BASE_WALL_NS + at_us * 1000,
        pid,
        tid: pid,
        comm: comm.to_string(),
        netns: 4026531840,
        protocol,
        src_port: Some(src_port),
        dst_port: Some(dst_port),
        stated_direction: None,
        dst_group,
        len: payload.len() as u32,
        hook: if dst_group != 0 {
            "netlink_broadcast".into()
        } else {
            "netlink_unicast".into()
        },
        result,
        payload,
        deliveries: Vec::new(),
    }
}

const IFF_UP: u32 = 0x1;
const IFF_LOOPBACK: u32 = 0x8;
const IFF_RUNNING: u32 = 0x40;
const IFF_BROADCAST: u32 = 0x2;
const IFF_NOARP: u32 = 0x80;

/// The corpus: a custom-protocol hello and reply, an `ip link` dump, a link
/// multicast, an NLMSG_ERROR, a generic netlink request, a refused unicast and
/// a uevent broadcast.
pub fn messages() -> Vec<CapturedMessage> {
    let hello = nlmsg(16, NLM_F_REQUEST, 1, 4242, b"Hello kernel");
    let reply = nlmsg(16, 0, 1, 4242, b"Hello user");
    let mut getlink_body = ifinfomsg(0, 0);
    getlink_body.extend(attr(IFLA_EXT_MASK, &1u32.to_ne_bytes()));
    let getlink = nlmsg(
        18,
        NLM_F_REQUEST | NLM_F_DUMP,
        1700000000,
        1234,
        &getlink_body,
    );
    let mut dump = nlmsg(
        16,
        NLM_F_MULTI,
        1700000000,
        1234,
        &link_body(1, IFF_UP | IFF_LOOPBACK | IFF_RUNNING, "lo", 65536),
    );
    dump.extend(nlmsg(
        16,
        NLM_F_MULTI,
        1700000000,
        1234,
        &link_body(2, IFF_UP | IFF_BROADCAST | IFF_RUNNING, "eth0", 1500),
    ));
    let done = nlmsg(3, NLM_F_MULTI, 1700000000, 1234, &0i32.to_ne_bytes());
    let newlink = nlmsg(
        16,
        0,
        0,
        0,
        &link_body(7, IFF_BROADCAST | IFF_NOARP, "dummy0", 1500),
    );
    let setlink = nlmsg(
        19,
        NLM_F_REQUEST | NLM_F_ACK,
        1700000001,
        1301,
        &ifinfomsg(99, IFF_UP),
    );
    let error = nlmsg(2, 0, 1700000001, 1301, &nlmsgerr(-19, &setlink));
    let mut family = vec![3u8, 2, 0, 0]; // CTRL_CMD_GETFAMILY, version 2
    family.extend(attr(2, b"nl80211\0")); // CTRL_ATTR_FAMILY_NAME
    let getfamily = nlmsg(16, NLM_F_REQUEST | NLM_F_ACK, 1, 2000, &family);
    let audit = nlmsg(1300, 0, 0, 555, b"audit(1795842000.120:42): op=test res=1");
    let uevent = b"add@/devices/virtual/net/dummy0\0ACTION=add\0SUBSYSTEM=net\0".to_vec();

    vec![
        message(0, 4242, "nl_client", 30, 4242, 0, 0, hello, Some(28)),
        message(1_000, 4242, "nl_client", 30, 0, 4242, 0, reply, Some(28)),
        message(5_000, 1234, "ip", 0, 1234, 0, 0, getlink, Some(40)),
        message(
            6_000,
            1234,
            "ip",
            0,
            0,
            1234,
            0,
            dump.clone(),
            Some(dump.len() as i64),
        ),
        message(7_000, 1234, "ip", 0, 0, 1234, 0, done, Some(20)),
        message(20_000, 1300, "ip", 0, 0, 0, 1, newlink, Some(0)),
        message(25_000, 1301, "ip", 0, 0, 1301, 0, error, Some(52)),
        message(40_000, 2000, "iw", 16, 2000, 0, 0, getfamily, Some(32)),
        message(120_000, 400, "auditd", 9, 0, 555, 0, audit, Some(-111)),
        message(1_150_000, 0, "kworker/0:1", 15, 0, 0, 1, uevent, None),
    ]
}

/// A message captured cut (`--snaplen 64`): a link multicast whose 64-bit
/// counters (IFLA_STATS64) make it 252 bytes; the cut goes through them.
pub fn cut_message() -> CapturedMessage {
    let mut body = link_body(8, IFF_UP | IFF_BROADCAST | IFF_RUNNING, "veth-lab0", 1500);
    body.extend(attr(IFLA_STATS64, &[0; 192]));
    let newlink = nlmsg(16, 0, 0, 0, &body);
    let mut message = message(1_200_000, 1300, "ip", 0, 0, 0, 1, newlink, Some(0));
    message.payload.truncate(64);
    message
}

/// A bare generic netlink message of family `family_id` (a header and a
/// zeroed genlmsghdr): what a test needs to see a family named.
pub fn genl_message(family_id: u16) -> CapturedMessage {
    let payload = nlmsg(family_id, 0, 0, 0, &[0; 4]);
    CapturedMessage {
        protocol: 16,
        len: payload.len() as u32,
        payload,
        ..Default::default()
    }
}

/// `n` messages cycling through the corpus with increasing timestamps (about
/// 50,000 per second of capture time), for benchmarks and stress tests.
pub fn stream(n: usize) -> impl Iterator<Item = CapturedMessage> {
    let base = messages();
    (0..n).map(move |i| {
        let mut m = base[i % base.len()].clone();
        let at_ns = i as u64 * 20_000;
        m.ts_mono_ns = BASE_MONO_NS + at_ns;
        m.ts_wall_ns = BASE_WALL_NS + at_ns;
        m.pid = m.pid.wrapping_add((i / base.len()) as u32 % 64);
        m
    })
}

/// The corpus as JSON Lines (what `nlscope record` writes).
pub fn jsonl() -> String {
    let mut writer = nlscope::format::jsonl::JsonlWriter::new(Vec::new());
    for message in messages() {
        writer
            .write(&message)
            .expect("writing to memory does not fail");
    }
    String::from_utf8(writer.into_inner()).expect("JSON is UTF-8")
}

/// A classic pcap as `tcpdump -i nlmon0 -w` writes it: LINKTYPE_NETLINK,
/// microsecond (with `nanos`, nanosecond) timestamps, and per record the
/// 16-byte cooked header (packet type, ARPHRD_NETLINK, protocol) then the
/// netlink buffer: no process, no ports, no comments. Records are
/// `(packet type, protocol, buffer)`; the `n`th (from 1) is stamped
/// 1,700,000,000 s plus `n` microseconds (nanoseconds).
pub fn nlmon_pcap(nanos: bool, records: &[(u16, u16, &[u8])]) -> Vec<u8> {
    use nlscope::format::pcapng::{cooked_header, LINKTYPE_NETLINK};
    use nlscope::format::read::{PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO};

    let mut bytes = Vec::new();
    let magic = if nanos {
        PCAP_MAGIC_NANO
    } else {
        PCAP_MAGIC_MICRO
    };
    bytes.extend_from_slice(&magic.to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
    bytes.extend_from_slice(&4u16.to_le_bytes());
    bytes.extend_from_slice(&[0; 8]); // time zone, accuracy
    bytes.extend_from_slice(&262_144u32.to_le_bytes()); // snap length
    bytes.extend_from_slice(&LINKTYPE_NETLINK.to_le_bytes());
    for (n, (packet_type, protocol, payload)) in records.iter().enumerate() {
        bytes.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        bytes.extend_from_slice(&(n as u32 + 1).to_le_bytes());
        let len = (16 + payload.len()) as u32;
        bytes.extend_from_slice(&len.to_le_bytes()); // captured
        bytes.extend_from_slice(&len.to_le_bytes()); // original
        bytes.extend_from_slice(&cooked_header(*packet_type, *protocol));
        bytes.extend_from_slice(payload);
    }
    bytes
}

/// `ip link show` on a machine with only `lo`, as nlmon + tcpdump record it,
/// with iproute2's habits: the RTM_GETLINK dump request
/// (NLM_F_REQUEST|NLM_F_DUMP, nlmsg_pid 0) received by the kernel (packet
/// type 7), then the RTM_NEWLINK reply for `lo` and NLMSG_DONE received by
/// the user socket (packet type 6), whose port 4242 the kernel puts in their
/// nlmsg_pid.
pub fn nlmon_getlink_pcap() -> Vec<u8> {
    use nlscope::netlink::PACKET_OUTGOING;

    let mut request_body = ifinfomsg(0, 0);
    request_body.extend(attr(IFLA_EXT_MASK, &1u32.to_ne_bytes())); // RTEXT_FILTER_VF
    let request = nlmsg(18, NLM_F_REQUEST | NLM_F_DUMP, 1, 0, &request_body);
    let reply = nlmsg(
        16,
        NLM_F_MULTI,
        1,
        4242,
        &link_body(1, IFF_UP | IFF_LOOPBACK | IFF_RUNNING, "lo", 65536),
    );
    let done = nlmsg(3, NLM_F_MULTI, 1, 4242, &0i32.to_ne_bytes());
    nlmon_pcap(
        false,
        &[
            // tcpdump on nlmon0 records every message as outgoing.
            (PACKET_OUTGOING, 0, &request),
            (PACKET_OUTGOING, 0, &reply),
            (PACKET_OUTGOING, 0, &done),
        ],
    )
}
