//! Tests of the capture-file formats as a whole: pcapng round trips, damaged
//! files, foreign (nlmon/tcpdump) files, format detection, and what tshark
//! makes of nlscope's pcapng.

use std::collections::BTreeMap;
use std::process::Command;

use proptest::prelude::*;

use super::jsonl::JsonlWriter;
use super::pcapng::{
    cooked_header, decode_comment, decode_deliveries, encode_comment, encode_deliveries,
    genl_family_ids, parse_genl_family_record, synthesize_genl_family_record, PcapngWriter,
    SYNTHETIC_HOOK,
};
use super::read::{
    read_capture, read_capture_bytes, read_capture_file_streaming, read_capture_in_blocks,
    CaptureFormat, ReadErrorKind,
};
use crate::event::{CapturedMessage, Delivery, Direction};
use crate::netlink::attr::attr;
use crate::netlink::header::build_message as nlmsg;
use crate::netlink::{
    ARPHRD_NETLINK, GENL_ID_CTRL, PACKET_KERNEL, PACKET_OUTGOING, PACKET_USER, RTM_NEWLINK,
};
use crate::store::corpus;
use crate::ui::format::{destination, endpoint};

const DEMO_FAMILY_ID: u16 = 0x1d;
const DEMO_FAMILY_NAME: &str = "nlscope_demo";

fn captured(protocol: u32, src: u32, dst: u32, payload: Vec<u8>) -> CapturedMessage {
    CapturedMessage {
        ts_mono_ns: 5_000_000_123,
        ts_wall_ns: 1_764_300_000_123_456_789,
        pid: 4242,
        tid: 4243,
        comm: "ip".into(),
        netns: 4026531840,
        protocol,
        src_port: Some(src),
        dst_port: Some(dst),
        stated_direction: None,
        dst_group: 0,
        len: payload.len() as u32,
        hook: "netlink_unicast".into(),
        result: Some(payload.len() as i64),
        payload,
        deliveries: Vec::new(),
    }
}

/// An RTM_NEWLINK reply for `lo` (kernel to port 4242).
fn rtm_newlink() -> CapturedMessage {
    let mut body = Vec::new();
    body.extend_from_slice(&[0, 0]); // ifi_family AF_UNSPEC, pad
    body.extend_from_slice(&772u16.to_ne_bytes()); // ARPHRD_LOOPBACK
    body.extend_from_slice(&1i32.to_ne_bytes()); // ifindex
    body.extend_from_slice(&0x49u32.to_ne_bytes()); // UP|LOOPBACK|RUNNING
    body.extend_from_slice(&0u32.to_ne_bytes());
    body.extend(attr(3, b"lo\0")); // IFLA_IFNAME
    body.extend(attr(4, &65536u32.to_ne_bytes())); // IFLA_MTU
    let mut message = captured(0, 0, 4242, nlmsg(RTM_NEWLINK, 0, 7, 4242, &body));
    message.pid = 4242;
    message
}

/// A request to the demo generic netlink family (user to kernel).
fn genl_request() -> CapturedMessage {
    let body = [1u8, 1, 0, 0]; // genlmsghdr: cmd 1, version 1
    captured(16, 4242, 0, nlmsg(DEMO_FAMILY_ID, 0x5, 8, 4242, &body))
}

/// The seed's demo exchange: "Hello kernel" on protocol 30, user to kernel.
fn demo_hello() -> CapturedMessage {
    let mut message = captured(30, 100, 0, nlmsg(0, 0, 0, 100, b"Hello kernel\0"));
    message.comm = "netlink client".into();
    message.result = Some(29);
    message
}

fn write_pcapng(messages: &[CapturedMessage], families: &[(u16, &str)]) -> Vec<u8> {
    let mut writer = PcapngWriter::new(Vec::new())
        .unwrap()
        .with_genl_families(families.iter().map(|(id, name)| (*id, name.to_string())));
    for message in messages {
        writer.write(message).unwrap();
    }
    writer.flush().unwrap();
    assert_eq!(writer.messages_written(), messages.len() as u64);
    writer.into_inner()
}

/// Byte offsets where each block of a pcapng file written here starts.
fn block_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        offsets.push(at);
        at += u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
    }
    offsets
}

/// The stated direction as a file can hold it: none when both ports are
/// known (they decide), else the direction the message shows, and none for
/// an unknown one (files say `?`, which states nothing).
fn canonical_stated_direction(message: &CapturedMessage) -> Option<Direction> {
    if message.src_port.is_some() && message.dst_port.is_some() {
        return None;
    }
    Some(message.direction()).filter(|&direction| direction != Direction::Unknown)
}

fn arb_message() -> impl Strategy<Value = CapturedMessage> {
    (
        (any::<u64>(), any::<u64>(), any::<u32>(), any::<u32>()),
        (".{0,20}", any::<u32>(), any::<u32>()),
        (
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<u32>()),
            any::<u32>(),
            any::<u32>(),
        ),
        ("[a-z_]{0,20}|.{0,8}", proptest::option::of(any::<i64>())),
        proptest::option::of(proptest::sample::select(&Direction::ALL[..])),
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::collection::vec((any::<u32>(), any::<i64>()), 0..4),
    )
        .prop_map(
            |(
                (ts_mono_ns, ts_wall_ns, pid, tid),
                (comm, netns, protocol),
                (src_port, dst_port, dst_group, len),
                (hook, result),
                stated_direction,
                payload,
                deliveries,
            )| {
                let mut message = CapturedMessage {
                    ts_mono_ns,
                    ts_wall_ns,
                    pid,
                    tid,
                    comm,
                    netns,
                    protocol,
                    src_port,
                    dst_port,
                    stated_direction,
                    dst_group,
                    len,
                    hook,
                    result,
                    payload,
                    deliveries: deliveries
                        .into_iter()
                        .map(|(port, result)| Delivery { port, result })
                        .collect(),
                };
                message.stated_direction = canonical_stated_direction(&message);
                message
            },
        )
}

proptest! {
    // 256 cases each by default; PROPTEST_CASES=N runs more.

    #[test]
    fn pcapng_round_trip_keeps_every_field(
        messages in proptest::collection::vec(arb_message(), 0..8)
    ) {
        // Any hook but the synthetic marker is a captured message.
        let messages: Vec<_> = messages
            .into_iter()
            .filter(|m| m.hook != SYNTHETIC_HOOK)
            .collect();
        let bytes = write_pcapng(&messages, &[]);
        let read = read_capture_bytes(&bytes);
        prop_assert_eq!(read.error, None);
        prop_assert_eq!(read.format, Some(CaptureFormat::Pcapng));
        prop_assert_eq!(read.messages, messages);
    }

    #[test]
    fn packet_blocks_are_what_pcap_file_writes(message in arb_message()) {
        use std::borrow::Cow;
        use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
        use pcap_file::pcapng::Block;

        // The writer lays the block out by hand; pcap-file's block writer is the reference.
        let header_len = PcapngWriter::new(Vec::new()).unwrap().into_inner().len();
        let mut writer = PcapngWriter::new(Vec::new()).unwrap();
        writer.write(&message).unwrap();
        let ours = writer.into_inner()[header_len..].to_vec();

        let mut data = cooked_header(super::pcapng::packet_type_of(&message), u16::try_from(message.protocol).unwrap_or(u16::MAX)).to_vec();
        data.extend_from_slice(&message.payload);
        let original = u64::from(message.len).max(message.payload.len() as u64);
        let original = if original + 16 > u64::from(u32::MAX) { message.payload.len() as u64 } else { original };
        let mut options = vec![EnhancedPacketOption::Comment(Cow::Owned(encode_comment(&message)))];
        options.extend(encode_deliveries(&message.deliveries).into_iter().map(|text| EnhancedPacketOption::Comment(Cow::Owned(text))));
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: std::time::Duration::from_nanos(message.ts_wall_ns),
            original_len: (original + 16) as u32,
            data: Cow::Owned(data),
            options,
        };
        let mut reference = Vec::new();
        Block::EnhancedPacket(block).write_to::<byteorder::LittleEndian, _>(&mut reference).unwrap();
        prop_assert_eq!(ours, reference);
    }

    #[test]
    fn comments_round_trip(message in arb_message()) {
        let comment = encode_comment(&message);
        prop_assert!(comment.starts_with("nlscope: v=1 "));
        prop_assert!(!comment.contains('\n'));
        let fields = decode_comment(&comment).unwrap();
        prop_assert_eq!(fields.comm, message.comm);
        prop_assert_eq!(fields.hook, message.hook);
        prop_assert_eq!(fields.result, message.result);
        prop_assert_eq!(fields.ts_mono_ns, message.ts_mono_ns);
    }

    #[test]
    fn cut_files_return_every_complete_record(
        messages in proptest::collection::vec(arb_message(), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let messages: Vec<_> = messages
            .into_iter()
            .filter(|m| m.hook != SYNTHETIC_HOOK)
            .collect();
        let bytes = write_pcapng(&messages, &[]);
        let cut = cut.index(bytes.len());
        let read = read_capture_bytes(&bytes[..cut]);
        let starts = block_offsets(&bytes);
        // Blocks 0 and 1 are the section and interface headers.
        let complete = starts.iter().skip(3).chain(std::iter::once(&bytes.len()))
            .filter(|&&end| end <= cut).count();
        prop_assert_eq!(&read.messages[..], &messages[..complete]);
        if starts.contains(&cut) {
            prop_assert_eq!(read.error, None);
        } else {
            let error = read.error.unwrap();
            let block_start = *starts.iter().filter(|&&s| s < cut).max().unwrap();
            prop_assert_eq!(error.offset, block_start as u64);
            let is_truncation = matches!(error.kind, ReadErrorKind::Truncated { .. });
            prop_assert!(is_truncation, "{:?}", error.kind);
        }
    }

    #[test]
    fn reading_block_by_block_reads_the_same(
        messages in proptest::collection::vec(arb_message(), 1..5),
        cut in any::<prop::sample::Index>(),
        flip in any::<Option<(prop::sample::Index, u8)>>(),
        block in 1usize..80,
    ) {
        // Whole, cut and corrupted files of every format, read in blocks
        // small enough to split every record and header.
        let mut pcapng = write_pcapng(&messages, &[(0x20, "x")]);
        if let Some((at, value)) = flip {
            let at = at.index(pcapng.len());
            pcapng[at] = value;
        }
        let mut jsonl = JsonlWriter::new(Vec::new());
        for message in &messages {
            jsonl.write(message).unwrap();
        }
        let mut jsonl = jsonl.into_inner();
        // A line that is not a message, then more (an error mid-file).
        jsonl.extend_from_slice(b"\n  \n{\"not\": 1}\n");
        jsonl.extend_from_slice(&jsonl.clone());
        let replies: Vec<(u16, u16, &[u8])> = messages
            .iter()
            .map(|m| (PACKET_USER, m.protocol as u16, &m.payload[..]))
            .collect();
        let pcap = corpus::nlmon_pcap(false, &replies);
        for bytes in [&pcapng[..], &jsonl[..], &pcap[..]] {
            let cut = cut.index(bytes.len() + 1);
            for input in [bytes, &bytes[..cut]] {
                prop_assert_eq!(read_capture_in_blocks(input, block), read_capture_bytes(input));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_capture_bytes(&bytes);
        for magic in [
            &[0x0a, 0x0d, 0x0d, 0x0a][..],
            &[0xd4, 0xc3, 0xb2, 0xa1],
            &[0xa1, 0xb2, 0x3c, 0x4d],
            b"{",
        ] {
            let mut with_magic = magic.to_vec();
            with_magic.extend_from_slice(&bytes);
            let _ = read_capture_bytes(&with_magic);
        }
    }

    #[test]
    fn corrupted_files_never_panic(
        messages in proptest::collection::vec(arb_message(), 1..4),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = write_pcapng(&messages, &[(0x20, "x")]);
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        let read = read_capture_bytes(&bytes);
        prop_assert!(read.messages.len() <= messages.len());
    }
}

#[test]
fn the_file_starts_with_our_section_and_a_netlink_interface() {
    let bytes = write_pcapng(&[], &[]);
    assert_eq!(&bytes[0..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains(&format!("nlscope {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    let idb = block_offsets(&bytes)[1];
    assert_eq!(&bytes[idb..idb + 4], &1u32.to_le_bytes());
    assert_eq!(&bytes[idb + 8..idb + 10], &253u16.to_le_bytes());
    let read = read_capture_bytes(&bytes);
    assert_eq!(read.error, None);
    assert!(read.messages.is_empty());
}

#[test]
fn packets_carry_the_cooked_header_and_truncation() {
    let mut message = demo_hello();
    message.len = 5000; // only the first 29 bytes were captured
    let bytes = write_pcapng(std::slice::from_ref(&message), &[]);
    let epb = block_offsets(&bytes)[2];
    let field = |at: usize| u32::from_le_bytes(bytes[epb + at..epb + at + 4].try_into().unwrap());
    assert_eq!(field(0), 6, "enhanced packet block");
    let ticks = (u64::from(field(12)) << 32) | u64::from(field(16));
    assert_eq!(ticks, message.ts_wall_ns, "nanosecond timestamps");
    assert_eq!(field(20), 16 + 29, "captured length");
    assert_eq!(field(24), 16 + 5000, "original length");
    let data = &bytes[epb + 28..epb + 28 + 16];
    assert_eq!(data, &cooked_header(PACKET_KERNEL, 30));
    assert_eq!(&data[2..4], &ARPHRD_NETLINK.to_be_bytes());
    assert_eq!(&data[14..16], &30u16.to_be_bytes());
    let read = read_capture_bytes(&bytes);
    assert_eq!(read.messages, vec![message.clone()]);
    assert!(read.messages[0].is_truncated());
}

#[test]
fn whole_datagrams_and_cut_ones_keep_their_lengths_in_pcapng() {
    // A whole 64 KiB datagram (the capture's default now), and one that a
    // `--snaplen 64` cap cut at 64 of 252 bytes.
    let mut whole = rtm_newlink();
    whole.payload = nlmsg(RTM_NEWLINK, 0, 1, 0, &vec![0; 65_536 - 16]);
    whole.len = whole.payload.len() as u32;
    let cut = crate::store::corpus::cut_message();
    let bytes = write_pcapng(&[whole.clone(), cut.clone()], &[]);
    let blocks = block_offsets(&bytes);
    let lengths = |epb: usize| {
        let field =
            |at: usize| u32::from_le_bytes(bytes[epb + at..epb + at + 4].try_into().unwrap());
        (field(20), field(24))
    };
    assert_eq!(lengths(blocks[2]), (16 + 65_536, 16 + 65_536), "whole");
    assert_eq!(
        lengths(blocks[3]),
        (16 + 64, 16 + 252),
        "cut: caplen < origlen"
    );
    let read = read_capture_bytes(&bytes);
    assert_eq!(read.error, None);
    assert_eq!(read.messages, vec![whole, cut]);
    assert!(!read.messages[0].is_truncated());
    assert!(read.messages[1].is_truncated());
}

#[test]
fn a_tcpdump_capture_with_a_small_snap_length_reads_cut() {
    // `tcpdump -i nlmon0 -s 80`: the record holds 80 of the packet's 268 bytes.
    let cut = crate::store::corpus::cut_message();
    let mut bytes = corpus::nlmon_pcap(false, &[(PACKET_USER, 0, &cut.payload)]);
    bytes[24 + 12..24 + 16].copy_from_slice(&(16 + 252u32).to_le_bytes());
    let read = read_capture_bytes(&bytes);
    assert_eq!(read.error, None);
    let message = &read.messages[0];
    assert_eq!((message.payload.len(), message.len), (64, 252));
    assert!(message.is_truncated());
    let decoded = crate::decode::decode(message, &crate::decode::DecodeContext::default());
    let text = decoded.to_text();
    assert!(text.contains("cut: 64 of 252 bytes captured"), "{text}");
    assert!(!text.contains("malformed"), "{text}");
}

#[test]
fn the_comment_is_stable_and_readable() {
    let mut message = demo_hello();
    message.comm = "a b=c%".into();
    message.result = Some(-111);
    assert_eq!(
        encode_comment(&message),
        "nlscope: v=1 mono=5000000123 pid=4242 tid=4243 comm=a%20b%3Dc%25 netns=4026531840 \
         dir=u2k sport=100 dport=0 group=0 hook=netlink_unicast result=-111"
    );
    assert_eq!(decode_comment("nlscope: v=1 pid=1"), None);
    assert_eq!(decode_comment("some other tool's comment"), None);
}

#[test]
fn the_synthesized_newfamily_record_is_a_valid_nlctrl_message() {
    let record = synthesize_genl_family_record(0x1d, "nlscope_demo");
    let p = &record.payload;
    assert_eq!(record.protocol, 16);
    assert_eq!(record.len as usize, p.len());
    assert_eq!(
        u32::from_ne_bytes(p[0..4].try_into().unwrap()) as usize,
        p.len()
    );
    assert_eq!(p.len() % 4, 0);
    assert_eq!(u16::from_ne_bytes([p[4], p[5]]), GENL_ID_CTRL);
    assert_eq!(p[16], 1, "CTRL_CMD_NEWFAMILY");
    // CTRL_ATTR_FAMILY_ID: len 6, type 1, u16, 2 bytes padding.
    assert_eq!(&p[20..24], &[6, 0, 1, 0]);
    assert_eq!(&p[24..26], &0x1du16.to_ne_bytes());
    // CTRL_ATTR_FAMILY_NAME: len 4 + 13, type 2, NUL-terminated.
    assert_eq!(&p[28..32], &[17, 0, 2, 0]);
    assert_eq!(&p[32..45], b"nlscope_demo\0");
    assert_eq!(
        parse_genl_family_record(&record),
        Some((0x1d, "nlscope_demo".to_string()))
    );
}

#[test]
fn family_records_are_injected_once_before_first_use() {
    let request = genl_request();
    let mut reply = genl_request();
    reply.src_port = Some(0);
    reply.dst_port = Some(4242);
    let other_family = captured(16, 1, 0, nlmsg(0x30, 0, 0, 1, &[1, 1, 0, 0]));
    let messages = vec![rtm_newlink(), request.clone(), reply, other_family];
    let bytes = write_pcapng(&messages, &[(DEMO_FAMILY_ID, DEMO_FAMILY_NAME)]);
    // SHB, IDB, RTM_NEWLINK, NEWFAMILY, request, reply, other family: one record added.
    assert_eq!(block_offsets(&bytes).len(), 2 + 4 + 1);
    let read = read_capture_bytes(&bytes);
    assert_eq!(read.error, None);
    assert_eq!(
        read.messages, messages,
        "synthesized records are not messages"
    );
    assert_eq!(
        read.genl_families,
        BTreeMap::from([(DEMO_FAMILY_ID, DEMO_FAMILY_NAME.to_string())])
    );
    assert_eq!(genl_family_ids(&request.payload), vec![DEMO_FAMILY_ID]);
}

#[test]
fn nlmon_pcap_files_read_with_unknown_process_fields() {
    let request = nlmsg(18, 0x301, 1, 777, &[0; 16]); // RTM_GETLINK dump from port 777
    let reply = rtm_newlink().payload;
    let bytes = corpus::nlmon_pcap(
        false,
        &[(PACKET_KERNEL, 0, &request), (PACKET_USER, 0, &reply)],
    );
    let read = read_capture_bytes(&bytes);
    assert_eq!(read.format, Some(CaptureFormat::Pcap));
    assert_eq!(read.error, None);
    assert_eq!(read.messages.len(), 2);
    let first = &read.messages[0];
    assert_eq!(first.ts_wall_ns, 1_700_000_000_000_001_000, "microseconds");
    assert_eq!((first.pid, first.comm.as_str(), first.netns), (0, "", 0));
    assert_eq!(first.protocol, 0);
    assert_eq!(first.payload, request);
    assert_eq!(first.len as usize, request.len());
    assert_eq!(first.direction(), Direction::UserToKernel);
    // A request that fills in nlmsg_pid names its sender's port.
    assert_eq!((first.src_port, first.dst_port), (Some(777), Some(0)));
    assert_eq!(first.stated_direction, None, "the ports tell");
    let newlink = &read.messages[1];
    assert_eq!(newlink.direction(), Direction::KernelToUser);
    // Its nlmsg_pid 4242 is not taken for the receiver: in a multicast it
    // would be the port of whoever caused the event.
    assert_eq!((newlink.src_port, newlink.dst_port), (None, None));

    let nanos = read_capture_bytes(&corpus::nlmon_pcap(true, &[(PACKET_USER, 16, &reply)]));
    assert_eq!(nanos.messages[0].ts_wall_ns, 1_700_000_000_000_000_001);
}

/// Each message's direction and ports, as the reader found them.
fn ends(messages: &[CapturedMessage]) -> Vec<(Direction, Option<u32>, Option<u32>)> {
    messages
        .iter()
        .map(|m| (m.direction(), m.src_port, m.dst_port))
        .collect()
}

/// `ip link show` recorded by nlmon + tcpdump, read from a file by the two
/// readers `nlscope open` (whole) and `nlscope decode` (streaming) use.
#[test]
fn an_nlmon_dump_reads_as_a_request_to_the_kernel_and_replies_to_a_user() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nlmon.pcap");
    std::fs::write(&path, corpus::nlmon_getlink_pcap()).unwrap();
    let read = read_capture(&path);
    assert_eq!((read.format, read.error), (Some(CaptureFormat::Pcap), None));
    let mut streamed = Vec::new();
    let (_, count) = read_capture_file_streaming(&path, |message, _| streamed.push(message));
    assert_eq!((count, &streamed), (3, &read.messages));

    assert_eq!(
        ends(&read.messages),
        [
            (Direction::UserToKernel, None, Some(0)),
            (Direction::KernelToUser, None, None),
            (Direction::KernelToUser, None, None),
        ]
    );
    // What the dashboard's src->dst column shows.
    let shown: Vec<String> = read
        .messages
        .iter()
        .map(|m| {
            format!(
                "{} -> {}",
                endpoint(m.src_port),
                destination(
                    &crate::event::MessageMeta::of(m),
                    &crate::decode::DecodeContext::new()
                )
            )
        })
        .collect();
    assert_eq!(shown, ["? -> kernel", "? -> ?", "? -> ?"]);
    assert!(read.messages.iter().all(|m| !m.process_known()));
}

#[test]
fn a_foreign_record_states_what_its_packet_type_and_payload_allow() {
    let request = demo_hello().payload;
    let udev = b"libudev\0\xfe\xed\xca\xfe".to_vec();
    let kernel_uevent = b"add@/devices/virtual/net/dummy0\0ACTION=add\0".to_vec();
    let bytes = corpus::nlmon_pcap(
        false,
        &[
            // PACKET_HOST states nothing: the flags decide, and the seed's
            // hello has no NLM_F_REQUEST, so it cannot be told from a
            // message the kernel sent.
            (0, 30, &request),
            (PACKET_USER, 15, &udev),
            (PACKET_USER, 15, &kernel_uevent),
            (PACKET_KERNEL, 15, &kernel_uevent),
        ],
    );
    let read = read_capture_bytes(&bytes);
    assert_eq!(
        ends(&read.messages),
        [
            (Direction::KernelToUser, None, None),
            // udevd re-broadcasting to libudev listeners.
            (Direction::UserToUser, None, None),
            (Direction::KernelToUser, None, None),
            // A uevent buffer has no nlmsg_pid to take a port from.
            (Direction::UserToKernel, None, Some(0)),
        ]
    );
}

/// The packet type nlscope writes is the one nlmon would have recorded, so
/// a file read without its comments (by another tool, or after `editcap -F
/// pcap`) still tells the direction.
#[test]
fn our_cooked_header_names_the_receiving_socket_as_nlmon_does() {
    let mut multicast = rtm_newlink();
    multicast.dst_port = Some(0);
    multicast.dst_group = 1;
    let mut user_to_user = demo_hello();
    user_to_user.dst_port = Some(4243);
    let messages = [demo_hello(), rtm_newlink(), multicast, user_to_user];
    let bytes = write_pcapng(&messages, &[]);
    let headers: Vec<&[u8]> = block_offsets(&bytes)[2..]
        .iter()
        .map(|&epb| &bytes[epb + 28..epb + 28 + 16])
        .collect();
    // Big-endian packet type, ARPHRD_NETLINK (824), zeros, protocol.
    let expected: [(u16, u16); 4] = [(7, 30), (6, 0), (6, 0), (6, 30)];
    assert_eq!(headers.len(), expected.len());
    for (header, (packet_type, protocol)) in headers.iter().zip(expected) {
        let mut cooked = [0u8; 16];
        cooked[0..2].copy_from_slice(&packet_type.to_be_bytes());
        cooked[2..4].copy_from_slice(&[0x03, 0x38]);
        cooked[14..16].copy_from_slice(&protocol.to_be_bytes());
        assert_eq!(*header, &cooked[..]);
    }
}

/// Another tool's capture written out again by nlscope: the cooked headers
/// stay as they were but for the packet type, which now states the
/// direction (tcpdump's nlmon files say "outgoing" for everything), the
/// comment says which ports were not known, and nlscope reads back the same
/// messages.
#[test]
fn a_foreign_capture_written_as_pcapng_keeps_its_headers_and_unknowns() {
    let original = corpus::nlmon_getlink_pcap();
    let read = read_capture_bytes(&original);
    let bytes = write_pcapng(&read.messages, &[]);
    let ours: Vec<&[u8]> = block_offsets(&bytes)[2..]
        .iter()
        .map(|&epb| &bytes[epb + 28..epb + 28 + 16])
        .collect();
    // The pcap's records, each after its 16-byte record header.
    let mut theirs = Vec::new();
    let mut at = 24;
    while at < original.len() {
        let len = u32::from_le_bytes(original[at + 8..at + 12].try_into().unwrap()) as usize;
        theirs.push(&original[at + 16..at + 32]);
        at += 16 + len;
    }
    let packet_type = |header: &&[u8]| u16::from_be_bytes([header[0], header[1]]);
    assert_eq!(
        theirs.iter().map(packet_type).collect::<Vec<_>>(),
        [PACKET_OUTGOING; 3]
    );
    assert_eq!(
        ours.iter().map(packet_type).collect::<Vec<_>>(),
        [PACKET_KERNEL, PACKET_USER, PACKET_USER]
    );
    assert!(ours.iter().zip(&theirs).all(|(a, b)| a[2..] == b[2..]));
    let comment = encode_comment(&read.messages[0]);
    assert!(
        comment.contains(" comm= netns=0 dir=u2k sport=none dport=0 "),
        "{comment}"
    );
    assert!(encode_comment(&read.messages[1]).contains(" dir=k2u sport=none dport=none "));
    let again = read_capture_bytes(&bytes);
    assert_eq!(again.error, None);
    assert_eq!(again.messages, read.messages);
}

#[test]
fn pcap_and_pcapng_damage_is_named_with_its_offset() {
    let payload = demo_hello().payload;
    let bytes = corpus::nlmon_pcap(
        false,
        &[(PACKET_KERNEL, 30, &payload), (PACKET_KERNEL, 30, &payload)],
    );
    let cut = &bytes[..bytes.len() - 3];
    let read = read_capture_bytes(cut);
    assert_eq!(read.messages.len(), 1);
    let error = read.error.unwrap();
    assert_eq!(error.offset, (24 + 16 + 45) as u64);
    assert!(
        error.to_string().contains("truncated pcap record"),
        "{error}"
    );

    let mut ethernet = bytes.clone();
    ethernet[20] = 1;
    let error = read_capture_bytes(&ethernet).error.unwrap();
    assert_eq!(error.offset, 20);
    assert_eq!(error.kind, ReadErrorKind::WrongLinktype(1));

    let error = read_capture_bytes(b"GIF89a....").error.unwrap();
    assert_eq!(error.offset, 0);
    assert!(
        error.to_string().contains("bad magic 47 49 46 38"),
        "{error}"
    );

    // A pcapng whose only interface is Ethernet.
    let mut pcapng = write_pcapng(&[demo_hello()], &[]);
    let idb = block_offsets(&pcapng)[1];
    pcapng[idb + 8] = 1;
    let read = read_capture_bytes(&pcapng);
    assert!(read.messages.is_empty());
    let error = read.error.unwrap();
    assert_eq!(
        (error.offset, error.kind),
        (idb as u64, ReadErrorKind::WrongLinktype(1))
    );

    // A block whose trailing length disagrees with its leading one.
    let mut pcapng = write_pcapng(&[demo_hello(), demo_hello()], &[]);
    let second = block_offsets(&pcapng)[3];
    pcapng[second - 4] ^= 0xff;
    let read = read_capture_bytes(&pcapng);
    assert_eq!(read.messages.len(), 0);
    let error = read.error.unwrap();
    assert_eq!(error.offset, block_offsets(&pcapng)[2] as u64);
    assert!(
        matches!(error.kind, ReadErrorKind::Malformed { .. }),
        "{error}"
    );
}

#[test]
fn format_is_detected_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let messages = vec![demo_hello(), rtm_newlink()];

    let pcapng_named_jsonl = dir.path().join("capture.jsonl");
    std::fs::write(&pcapng_named_jsonl, write_pcapng(&messages, &[])).unwrap();
    let read = read_capture(&pcapng_named_jsonl);
    assert_eq!(
        (read.format, read.error),
        (Some(CaptureFormat::Pcapng), None)
    );
    assert_eq!(read.messages, messages);

    let jsonl_named_pcapng = dir.path().join("capture.pcapng");
    let mut writer = JsonlWriter::new(Vec::new());
    for message in &messages {
        writer.write(message).unwrap();
    }
    let mut jsonl = writer.into_inner();
    std::fs::write(&jsonl_named_pcapng, &jsonl).unwrap();
    let read = read_capture(&jsonl_named_pcapng);
    assert_eq!(
        (read.format, read.error),
        (Some(CaptureFormat::Jsonl), None)
    );
    assert_eq!(read.messages, messages);

    // A JSON Lines file cut mid-line.
    let whole = jsonl.len();
    jsonl.truncate(whole - 10);
    let read = read_capture_bytes(&jsonl);
    assert_eq!(read.messages, messages[..1]);
    let error = read.error.unwrap();
    let first_line = jsonl.iter().position(|&b| b == b'\n').unwrap() + 1;
    assert_eq!(error.offset, first_line as u64);
    assert!(error.to_string().contains("line 2"), "{error}");
}

/// tshark must be installed: the test fails, rather than skips, without it.
fn tshark(path: &std::path::Path, args: &[&str]) -> String {
    let output = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(args)
        .output()
        .expect("running tshark (install it: apt-get install -y tshark)");
    assert!(
        output.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// tshark's `fields` output for `path`: one line per packet, the values of
/// `fields` separated by `|`.
fn tshark_fields(path: &std::path::Path, fields: &[&str]) -> String {
    let mut args = vec!["-T", "fields", "-E", "separator=|"];
    for field in fields {
        args.extend(["-e", field]);
    }
    tshark(path, &args)
}

#[test]
fn tshark_dissects_our_pcapng() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.pcapng");
    let messages = vec![rtm_newlink(), genl_request(), demo_hello()];
    std::fs::write(
        &path,
        write_pcapng(&messages, &[(DEMO_FAMILY_ID, DEMO_FAMILY_NAME)]),
    )
    .unwrap();

    let fields = tshark_fields(
        &path,
        &[
            "frame.comment",
            "netlink.hatype",
            "netlink.family",
            "netlink-route.nltype",
            "netlink-route.ifla_ifname",
            "genl.ctrl.family_name",
            "genl.ctrl.family_id",
            "genl.family_id",
            "netlink.hdr_type",
            "netlink.hdr_pid",
        ],
    );
    let lines: Vec<&str> = fields.lines().collect();
    // RTM_NEWLINK, the synthesized NEWFAMILY, the genl request, the demo message.
    assert_eq!(lines.len(), 4, "{fields}");
    let columns = |line: &str| line.split('|').map(str::to_string).collect::<Vec<_>>();
    let newlink = columns(lines[0]);
    assert_eq!(
        newlink[0],
        "nlscope: v=1 mono=5000000123 pid=4242 tid=4243 comm=ip netns=4026531840 dir=k2u \
         sport=0 dport=4242 group=0 hook=netlink_unicast result=48",
        "{fields}"
    );
    assert_eq!(newlink[1..5], ["824", "0x0000", "16", "lo"], "{fields}");
    let family = columns(lines[1]);
    assert!(family[0].contains("hook=nlscope-synthetic"), "{fields}");
    assert_eq!(family[2], "0x0010", "{fields}");
    assert_eq!(
        family[5..8],
        [DEMO_FAMILY_NAME, "0x001d", "0x10"],
        "{fields}"
    );
    let request = columns(lines[2]);
    assert!(
        request[0].contains("dir=u2k sport=4242 dport=0"),
        "{fields}"
    );
    assert_eq!(request[7], "0x1d", "{fields}");
    let hello = columns(lines[3]);
    assert!(hello[0].contains("comm=netlink%20client"), "{fields}");
    assert!(hello[0].contains("dir=u2k sport=100 dport=0"), "{fields}");
    assert_eq!(hello[1..3], ["824", "0x001e"], "{fields}");
    assert_eq!(hello[8..10], ["0x0000", "100"], "{fields}");

    // The verbose dissection names the rtnetlink message type and the family.
    let verbose = tshark(&path, &["-V"]);
    // Wireshark 4.0 names RTM_NEWLINK "Create network interface".
    assert!(
        verbose.contains("Message type: Create network interface (16)"),
        "{verbose}"
    );
    // The genl request's family id is named from the synthesized record.
    assert!(
        verbose.contains("Family ID: 0x1d (nlscope_demo)"),
        "{verbose}"
    );
    assert!(verbose.contains("CTRL_CMD_NEWFAMILY"), "{verbose}");
    assert!(verbose.contains("Hello kernel"), "{verbose}");
    assert!(!verbose.contains("Malformed"), "{verbose}");
}

/// An nlmon + tcpdump capture and nlscope's pcapng of it look the same to
/// Wireshark: the same dissection, and the same packet types in the cooked
/// header (Wireshark 4.0 has no field for them, so the bytes are checked).
#[test]
fn tshark_sees_an_nlmon_capture_and_our_pcapng_of_it_alike() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("nlmon.pcap");
    std::fs::write(&pcap, corpus::nlmon_getlink_pcap()).unwrap();
    let ours = dir.path().join("ours.pcapng");
    std::fs::write(&ours, write_pcapng(&read_capture(&pcap).messages, &[])).unwrap();

    let dissected = |path: &std::path::Path| {
        tshark_fields(
            path,
            &[
                "netlink.hatype",
                "netlink.family",
                "netlink-route.nltype",
                "netlink.hdr_type",
                "netlink.hdr_pid",
            ],
        )
    };
    let theirs = dissected(&pcap);
    // RTM_GETLINK and RTM_NEWLINK are rtnetlink types; NLMSG_DONE is netlink's.
    assert_eq!(
        theirs,
        "824|0x0000|18||0\n824|0x0000|16||4242\n824|0x0000||0x0003|4242\n"
    );
    assert_eq!(dissected(&ours), theirs);

    let packet_types = |path: &std::path::Path| -> Vec<String> {
        tshark(path, &["-x"])
            .lines()
            .filter_map(|line| line.strip_prefix("0000  "))
            .map(|bytes| bytes[..5].to_string())
            .collect()
    };
    // tcpdump's nlmon records are all "outgoing"; nlscope states the
    // receiving socket's kind, as nlmon gives it to the copy.
    assert_eq!(packet_types(&pcap), ["00 04", "00 04", "00 04"]);
    assert_eq!(packet_types(&ours), ["00 07", "00 06", "00 06"]);

    let comments = tshark_fields(&ours, &["frame.comment"]);
    let comments: Vec<&str> = comments.lines().collect();
    assert!(
        comments[0].contains("dir=u2k sport=none dport=0 "),
        "{comments:?}"
    );
    assert!(
        comments[1].contains("dir=k2u sport=none dport=none "),
        "{comments:?}"
    );
}

#[test]
fn record_accepts_the_pcapng_spellings() {
    use crate::cli::{Cli, Command, RecordFormat};
    use clap::Parser;

    let args = |argv: &[&str]| match Cli::try_parse_from(argv).map(|cli| cli.command) {
        Ok(Some(Command::Record(args))) => Ok((args.format, args.output, args.write)),
        Ok(other) => panic!("{other:?}"),
        Err(error) => Err(error.kind()),
    };
    assert_eq!(
        args(&["nlscope", "record", "-w", "x.pcapng"]),
        Ok((RecordFormat::Jsonl, "-".into(), Some("x.pcapng".into())))
    );
    assert_eq!(
        args(&["nlscope", "record", "--format", "pcapng", "-o", "x.pcapng"]),
        Ok((RecordFormat::Pcapng, "x.pcapng".into(), None))
    );
    assert_eq!(
        args(&["nlscope", "record", "--format", "jsonl", "-o", "x.jsonl"]),
        Ok((RecordFormat::Jsonl, "x.jsonl".into(), None))
    );
    assert_eq!(
        args(&["nlscope", "record", "-w", "x.pcapng", "-o", "y"]),
        Err(clap::error::ErrorKind::ArgumentConflict)
    );
    assert_eq!(
        args(&["nlscope", "record", "-w", "x.pcapng", "--format", "jsonl"]),
        Err(clap::error::ErrorKind::ArgumentConflict)
    );
}

/// Runs Wireshark's `editcap` (installed with tshark) on `input`.
fn editcap(input: &std::path::Path, output: &std::path::Path, format: &str) {
    let status = Command::new("editcap")
        .args(["-F", format])
        .arg(input)
        .arg(output)
        .status()
        .expect("running editcap (installed with tshark: apt-get install -y tshark)");
    assert!(status.success(), "editcap -F {format} failed");
}

#[test]
fn files_rewritten_by_wireshark_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.pcapng");
    let messages = vec![rtm_newlink(), genl_request(), demo_hello()];
    std::fs::write(
        &ours,
        write_pcapng(&messages, &[(DEMO_FAMILY_ID, DEMO_FAMILY_NAME)]),
    )
    .unwrap();

    // Wireshark's own pcapng writer keeps the comments: nothing is lost.
    let rewritten = dir.path().join("rewritten.pcapng");
    editcap(&ours, &rewritten, "pcapng");
    let read = read_capture(&rewritten);
    assert_eq!(
        (read.format, read.error),
        (Some(CaptureFormat::Pcapng), None)
    );
    assert_eq!(read.messages, messages);
    assert_eq!(
        read.genl_families.get(&DEMO_FAMILY_ID).unwrap(),
        DEMO_FAMILY_NAME
    );

    // Classic pcap (microseconds) has no comments: what the packets say survives.
    let pcap = dir.path().join("classic.pcap");
    editcap(&ours, &pcap, "pcap");
    let read = read_capture(&pcap);
    assert_eq!((read.format, read.error), (Some(CaptureFormat::Pcap), None));
    // The synthesized record is an ordinary nlctrl message now.
    assert_eq!(read.messages.len(), 4);
    assert!(read.genl_families.is_empty());
    let newlink = &read.messages[0];
    assert_eq!(newlink.ts_wall_ns, messages[0].ts_wall_ns / 1000 * 1000);
    assert_eq!(newlink.payload, messages[0].payload);
    assert_eq!((newlink.protocol, newlink.len), (0, messages[0].len));
    assert_eq!(
        (newlink.pid, newlink.comm.as_str(), newlink.hook.as_str()),
        (0, "", "")
    );
    // Packet type PACKET_USER: to a user socket, whose port the file lacks.
    assert_eq!(newlink.direction(), Direction::KernelToUser);
    assert_eq!((newlink.src_port, newlink.dst_port), (None, None));
    assert_eq!(
        parse_genl_family_record(&read.messages[1]),
        Some((DEMO_FAMILY_ID, DEMO_FAMILY_NAME.to_string()))
    );
    let hello = &read.messages[3];
    // PACKET_KERNEL, and the request names its port in nlmsg_pid.
    assert_eq!(hello.direction(), Direction::UserToKernel);
    assert_eq!(
        (hello.protocol, hello.src_port, hello.dst_port),
        (30, Some(100), Some(0))
    );
    assert_eq!(hello.payload, messages[2].payload);

    // Wireshark's pcapng from that pcap: microsecond if_tsresol, no comments.
    let microseconds = dir.path().join("from-classic.pcapng");
    editcap(&pcap, &microseconds, "pcapng");
    let again = read_capture(&microseconds);
    assert_eq!(again.error, None);
    assert_eq!(again.messages, read.messages);

    // Nanosecond pcap keeps the exact times.
    let nsec = dir.path().join("nsec.pcap");
    editcap(&ours, &nsec, "nsecpcap");
    let read = read_capture(&nsec);
    assert_eq!(read.error, None);
    assert_eq!(read.messages[0].ts_wall_ns, messages[0].ts_wall_ns);
}

#[test]
fn a_file_cut_inside_its_magic_is_a_truncated_capture() {
    let bytes = write_pcapng(&[demo_hello()], &[]);
    for cut in 1..12 {
        let read = read_capture_bytes(&bytes[..cut]);
        assert_eq!(read.format, Some(CaptureFormat::Pcapng), "cut at {cut}");
        let error = read.error.unwrap();
        assert_eq!(error.offset, 0);
        assert!(
            matches!(error.kind, ReadErrorKind::Truncated { .. }),
            "cut at {cut}: {error}"
        );
    }
    let pcap = corpus::nlmon_pcap(false, &[]);
    let read = read_capture_bytes(&pcap[..2]);
    assert_eq!(read.format, Some(CaptureFormat::Pcap));
    assert!(read
        .error
        .unwrap()
        .to_string()
        .contains("truncated pcap file header"));

    let mut bad_order = bytes.clone();
    bad_order[8..12].copy_from_slice(b"ABCD");
    let error = read_capture_bytes(&bad_order).error.unwrap();
    assert_eq!(error.offset, 0);
    assert!(
        error.to_string().contains("bad magic 41 42 43 44"),
        "{error}"
    );
}

#[test]
fn a_captured_newfamily_reply_needs_no_synthesized_one() {
    let mut announcement = synthesize_genl_family_record(DEMO_FAMILY_ID, DEMO_FAMILY_NAME);
    announcement.hook = "netlink_unicast".into();
    announcement.dst_port = Some(4242);
    let messages = vec![announcement, genl_request()];
    let bytes = write_pcapng(&messages, &[(DEMO_FAMILY_ID, "other_name")]);
    assert_eq!(block_offsets(&bytes).len(), 2 + 2);
    let read = read_capture_bytes(&bytes);
    assert_eq!(read.messages, messages);
    assert!(read.genl_families.is_empty());
}

#[test]
fn multicast_deliveries_ride_in_their_own_comments() {
    let mut event = rtm_newlink();
    event.dst_port = Some(0);
    event.dst_group = 1; // RTNLGRP_LINK
    event.deliveries = (0..10_000)
        .map(|n| Delivery {
            port: 1_000_000 + n,
            result: if n % 7 == 0 { -105 } else { 48 },
        })
        .collect();
    let comments = encode_deliveries(&event.deliveries);
    assert!(comments.len() > 1, "split into several options");
    assert!(comments.iter().all(|c| c.len() <= 60_000));
    assert!(comments[0].starts_with("nlscope-deliveries: 1000000:-105,1000001:48,"));
    let back: Vec<Delivery> = comments
        .iter()
        .flat_map(|c| decode_deliveries(c).unwrap())
        .collect();
    assert_eq!(back, event.deliveries);
    assert!(encode_comment(&event).contains("dir=k2u sport=0 dport=0 group=1"));

    let bytes = write_pcapng(std::slice::from_ref(&event), &[]);
    let read = read_capture_bytes(&bytes);
    assert_eq!(read.error, None);
    assert_eq!(read.messages, vec![event]);
}

#[test]
fn a_comment_too_long_for_pcapng_is_refused_not_corrupted() {
    let mut message = demo_hello();
    message.comm = "x".repeat(70_000);
    let mut writer = PcapngWriter::new(Vec::new()).unwrap();
    let error = writer.write(&message).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    writer.write(&demo_hello()).unwrap();
    let read = read_capture_bytes(&writer.into_inner());
    assert_eq!((read.messages, read.error), (vec![demo_hello()], None));
}

/// The `n`th message the SIGKILL child writes.
fn numbered(n: u32) -> CapturedMessage {
    let mut message = demo_hello();
    message.ts_wall_ns += u64::from(n);
    message.pid = n;
    message.comm = format!("writer {n}");
    message
}

const SIGKILL_CHILD_ENV: &str = "NLSCOPE_TEST_SIGKILL_CHILD_FILE";

/// Not a test on its own: when the parent test below runs this test binary
/// with the environment variable set, it writes batches into that file until
/// it is killed (at most 100 000 messages). Without the variable it does nothing.
#[test]
fn sigkill_writer_child() {
    let Ok(path) = std::env::var(SIGKILL_CHILD_ENV) else {
        return;
    };
    let file = std::fs::File::create(path).unwrap();
    let mut writer = PcapngWriter::new(std::io::BufWriter::new(file)).unwrap();
    let parent = std::os::unix::process::parent_id();
    let mut n = 0;
    // Bounded, and ends when its parent is gone, so a failed parent never
    // leaves it filling the disk.
    while n < 100_000 && std::os::unix::process::parent_id() == parent {
        for _ in 0..50 {
            writer.write(&numbered(n)).unwrap();
            n += 1;
        }
        writer.flush().unwrap();
        std::thread::yield_now();
    }
}

#[test]
fn a_writer_killed_with_sigkill_leaves_a_readable_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed.pcapng");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "format::tests::sigkill_writer_child",
            "--test-threads=1",
        ])
        .env(SIGKILL_CHILD_ENV, &path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait (by polling, not by time) until several batches are on disk.
    let mut polls = 0;
    while std::fs::metadata(&path).map_or(0, |m| m.len()) < 200_000 {
        polls += 1;
        assert!(polls < 100_000, "the child never wrote its batches");
        assert!(child.try_wait().unwrap().is_none(), "the child exited");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let read = read_capture(&path);
    assert!(read.messages.len() >= 100, "{}", read.messages.len());
    for (n, message) in read.messages.iter().enumerate() {
        assert_eq!(*message, numbered(n as u32));
    }
    // Either the kill fell between blocks, or the last block is cut.
    if let Some(error) = read.error {
        assert!(
            matches!(error.kind, ReadErrorKind::Truncated { .. }),
            "{error}"
        );
    }
}

#[test]
fn streaming_hands_out_what_collecting_returns() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/");
    for name in ["guest-capture-paths.pcapng", "guest-capture-paths.jsonl"] {
        let bytes = std::fs::read(format!("{root}{name}")).unwrap();
        let collected = read_capture_bytes(&bytes);
        let mut streamed = Vec::new();
        let (rest, count) =
            super::read::read_capture_streaming(&bytes, |message, _| streamed.push(message));
        assert_eq!(streamed, collected.messages, "{name}");
        assert_eq!(count, collected.messages.len());
        assert_eq!(rest.genl_families, collected.genl_families);
        assert_eq!(rest.error, collected.error);
        assert_eq!(rest.format, collected.format);
        // Cut short: the same messages before the same error.
        let cut = &bytes[..bytes.len() * 2 / 3];
        let collected = read_capture_bytes(cut);
        let mut streamed = Vec::new();
        let (rest, _) = super::read::read_capture_streaming(cut, |m, _| streamed.push(m));
        assert_eq!(streamed, collected.messages, "{name} cut");
        assert!(rest.error.is_some());
        assert_eq!(rest.error, collected.error);
    }
}
