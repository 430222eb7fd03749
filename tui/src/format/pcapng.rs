//! pcapng with LINKTYPE_NETLINK (253): what Wireshark, tshark and tcpdump read.
//!
//! Layout of a file written here:
//! - one Section Header Block (`shb_userappl` = `nlscope <version>`);
//! - one Interface Description Block, linktype 253, `if_tsresol` = 9 (nanoseconds);
//! - one Enhanced Packet Block per [`CapturedMessage`]: the 16-byte cooked
//!   header (packet type as nlmon gives it, [`packet_type_of`]; ARPHRD_NETLINK
//!   824; protocol; big-endian) followed by
//!   the captured payload; timestamp = `ts_wall_ns`; captured length =
//!   16 + payload, original length = 16 + `len` (so a truncated capture has
//!   caplen < origlen, as in any pcap); and an `opt_comment` carrying everything
//!   else in a stable `nlscope: key=value ...` form (see [`encode_comment`]);
//!   a multicast's deliveries follow in `nlscope-deliveries: PORT:RESULT,...`
//!   comments (see [`encode_deliveries`]).
//!
//! Blocks are built with the `pcap-file` crate's block types, serialised into a
//! buffer and handed to the output with one `write_all` per block (the crate's
//! own writer issues several small writes per block); the output is flushed per
//! batch by the caller. A file cut by SIGKILL is therefore readable up to the
//! last complete block.
//!
//! Generic netlink family ids are dynamic, and Wireshark only names a family
//! when the nlctrl NEWFAMILY reply for it is in the file. Given a family map
//! ([`PcapngWriter::set_genl_families`]) the writer emits a synthesized reply
//! ([`synthesize_genl_family_record`]) before the first message using each
//! family id. Those records carry the hook [`SYNTHETIC_HOOK`], so nlscope's
//! reader returns them as a family map instead of as captured messages: the
//! records are this format's way of storing families, and never leave the
//! format module as messages (sources pass families on as
//! [`SourceEvent::Families`](crate::capture::SourceEvent::Families)).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use byteorder::LittleEndian;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::Block;
use pcap_file::{DataLink, Endianness};

use crate::event::{CapturedMessage, Delivery, Direction};
use crate::netlink::header::{parse_header, split_messages};
use crate::netlink::nlctrl::{new_family_message, parse_new_family};
use crate::netlink::{
    ARPHRD_NETLINK, GENL_ID_CTRL, NETLINK_GENERIC, NETLINK_KOBJECT_UEVENT, NLM_F_REQUEST,
    PACKET_HOST, PACKET_KERNEL, PACKET_USER,
};

/// LINKTYPE_NETLINK in pcap and pcapng.
pub const LINKTYPE_NETLINK: u32 = 253;
/// Size of the cooked (SLL) header in front of every netlink record: the
/// packet type nlmon gives, ARPHRD_NETLINK (Wireshark dissects nothing
/// else), the protocol ([`crate::netlink::tap`]).
pub const COOKED_HEADER_LEN: usize = 16;
/// How libudev's re-broadcast of a uevent starts.
const LIBUDEV_MAGIC: &[u8] = b"libudev\0";
/// pcapng block type of an Enhanced Packet Block.
const ENHANCED_PACKET_BLOCK: u32 = 6;
/// pcapng option code `opt_comment`.
pub(crate) const OPT_COMMENT: u16 = 1;
/// Prefix of the per-packet comment.
pub const COMMENT_PREFIX: &str = "nlscope:";
/// Prefix of the comments listing a multicast's deliveries
/// (`nlscope-deliveries: PORT:RESULT,PORT:RESULT,...`), in order.
pub const DELIVERIES_PREFIX: &str = "nlscope-deliveries:";
/// Longest option value pcapng can hold (the option length is 16 bits).
pub const MAX_OPTION_LEN: usize = u16::MAX as usize;
/// Longest deliveries comment written (several are written when needed).
const DELIVERIES_CHUNK: usize = 60_000;
/// Version of the comment format (key `v`).
pub const COMMENT_VERSION: u32 = 1;
/// `hook` of records nlscope synthesized (generic netlink family announcements).
pub(crate) const SYNTHETIC_HOOK: &str = "nlscope-synthetic";

/// The 16-byte cooked header for a message on `protocol` with packet type `pkttype`.
pub fn cooked_header(pkttype: u16, protocol: u16) -> [u8; COOKED_HEADER_LEN] {
    let mut header = [0u8; COOKED_HEADER_LEN];
    header[0..2].copy_from_slice(&pkttype.to_be_bytes());
    header[2..4].copy_from_slice(&ARPHRD_NETLINK.to_be_bytes());
    header[14..16].copy_from_slice(&protocol.to_be_bytes());
    header
}

/// Appends `value` to `out`, percent-encoding everything outside
/// `[A-Za-z0-9._:/+-]`, so values never hold spaces, `=` or non-ASCII bytes
/// and the comment splits unambiguously.
fn escape_into(out: &mut String, value: &str) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"._:/+-".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(DIGITS[usize::from(byte >> 4)] as char);
            out.push(DIGITS[usize::from(byte & 0xf)] as char);
        }
    }
}

fn unescape(value: &str) -> Option<String> {
    if !value.as_bytes().contains(&b'%') {
        return Some(value.to_string());
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The per-packet comment: every field of `message` that the cooked header,
/// the timestamp and the lengths do not already carry. `dir` is redundant
/// when both ports are known (they decide it) but makes the comment readable
/// and filterable (`frame.comment contains "dir=u2k"`); a port the capture
/// did not know (a message read from another tool's file) is `none`, and
/// `dir` is then the direction that file stated. `len`/`proto` appear only
/// when the packet's lengths or header cannot hold them.
///
/// `nlscope: v=1 mono=12 pid=42 tid=43 comm=ip netns=4026531840 dir=u2k sport=100 dport=0 group=0 hook=netlink_unicast result=none`
pub fn encode_comment(message: &CapturedMessage) -> String {
    let mut comment = String::with_capacity(192);
    encode_comment_into(&mut comment, message);
    comment
}

/// [`encode_comment`], appended to `out` (the writer reuses one buffer).
pub fn encode_comment_into(out: &mut String, message: &CapturedMessage) {
    let mut number = itoa::Buffer::new();
    let pair = |out: &mut String, key: &str, value: &str| {
        out.push_str(key);
        out.push_str(value);
    };
    out.push_str(COMMENT_PREFIX);
    pair(out, " v=", number.format(COMMENT_VERSION));
    pair(out, " mono=", number.format(message.ts_mono_ns));
    pair(out, " pid=", number.format(message.pid));
    pair(out, " tid=", number.format(message.tid));
    out.push_str(" comm=");
    escape_into(out, &message.comm);
    pair(out, " netns=", number.format(message.netns));
    pair(out, " dir=", message.direction().short());
    for (key, port) in [(" sport=", message.src_port), (" dport=", message.dst_port)] {
        match port {
            Some(port) => pair(out, key, number.format(port)),
            None => pair(out, key, "none"),
        }
    }
    pair(out, " group=", number.format(message.dst_group));
    out.push_str(" hook=");
    escape_into(out, &message.hook);
    out.push_str(" result=");
    match message.result {
        Some(result) => out.push_str(number.format(result)),
        None => out.push_str("none"),
    }
    if original_payload_len(message) != u64::from(message.len) {
        pair(out, " len=", number.format(message.len));
    }
    if message.protocol > u32::from(u16::MAX) {
        pair(out, " proto=", number.format(message.protocol));
    }
}

/// The deliveries of a multicast as comments of at most 60 000 bytes each:
/// `nlscope-deliveries: 4242:48,4243:-105`. Empty when there are none.
pub fn encode_deliveries(deliveries: &[Delivery]) -> Vec<String> {
    let mut comments = Vec::new();
    let mut current = String::new();
    for delivery in deliveries {
        let item = format!("{}:{}", delivery.port, delivery.result);
        if !current.is_empty() && current.len() + 1 + item.len() > DELIVERIES_CHUNK {
            comments.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current.push_str(DELIVERIES_PREFIX);
            current.push(' ');
        } else {
            current.push(',');
        }
        current.push_str(&item);
    }
    if !current.is_empty() {
        comments.push(current);
    }
    comments
}

/// Parses one comment written by [`encode_deliveries`]; `None` when it is
/// not one or does not parse.
pub fn decode_deliveries(comment: &str) -> Option<Vec<Delivery>> {
    let list = comment.trim().strip_prefix(DELIVERIES_PREFIX)?.trim();
    if list.is_empty() {
        return Some(Vec::new());
    }
    list.split(',')
        .map(|item| {
            let (port, result) = item.split_once(':')?;
            Some(Delivery {
                port: port.parse().ok()?,
                result: result.parse().ok()?,
            })
        })
        .collect()
}

/// Payload length the EPB's original length stands for: `len`, unless that is
/// shorter than what was captured or does not fit beside the cooked header.
fn original_payload_len(message: &CapturedMessage) -> u64 {
    let len = u64::from(message.len).max(message.payload.len() as u64);
    if len + COOKED_HEADER_LEN as u64 > u64::from(u32::MAX) {
        message.payload.len() as u64
    } else {
        len
    }
}

/// The fields a comment carries, parsed back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommentFields {
    pub ts_mono_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub comm: String,
    pub netns: u32,
    pub src_port: Option<u32>,
    pub dst_port: Option<u32>,
    /// `dir` when a port is `none` and it names a direction (the ports
    /// decide otherwise).
    pub stated_direction: Option<Direction>,
    pub dst_group: u32,
    pub hook: String,
    pub result: Option<i64>,
    /// Present when the packet's original length does not give `len`.
    pub len: Option<u32>,
    /// Present when the cooked header cannot hold the protocol.
    pub protocol: Option<u32>,
}

/// Parses a comment written by [`encode_comment`]. `None` when it is not an
/// nlscope comment or a required key is missing or malformed; unknown keys are
/// ignored (later versions may add some).
pub fn decode_comment(comment: &str) -> Option<CommentFields> {
    let rest = comment.trim().strip_prefix(COMMENT_PREFIX)?;
    // One pass over the pairs, each key stored where it belongs (this runs
    // for every packet of a file being read). A repeated key: the last one
    // counts. Unknown keys (from newer versions) are skipped.
    let mut version = None;
    let (mut mono, mut pid, mut tid, mut comm, mut netns) = (None, None, None, None, None);
    let (mut sport, mut dport, mut group, mut hook, mut result) = (None, None, None, None, None);
    let mut dir = None;
    let (mut len, mut proto) = (None, None);
    // Split as text at ASCII bytes (whitespace, `=`): the halves are slices
    // of the comment, valid UTF-8 without a check (this runs for every
    // packet of a file).
    for pair in rest.split_ascii_whitespace() {
        let equals = pair.bytes().position(|b| b == b'=')?;
        let value = &pair[equals + 1..];
        // Keys compared as bytes: a byte-string match compiles to a few
        // integer compares, a str match to a slice compare per arm.
        match &pair.as_bytes()[..equals] {
            b"v" => version = Some(value),
            b"mono" => mono = Some(value),
            b"pid" => pid = Some(value),
            b"tid" => tid = Some(value),
            b"comm" => comm = Some(value),
            b"netns" => netns = Some(value),
            b"dir" => dir = Some(value),
            b"sport" => sport = Some(value),
            b"dport" => dport = Some(value),
            b"group" => group = Some(value),
            b"hook" => hook = Some(value),
            b"result" => result = Some(value),
            b"len" => len = Some(value),
            b"proto" => proto = Some(value),
            _ => {}
        }
    }
    let version: u64 = version?.parse().ok()?;
    if version == 0 {
        return None;
    }
    let u32_of = |value: Option<&str>| -> Option<u32> { value?.parse().ok() };
    // A port is a number, or `none` when the capture did not know it.
    let port_of = |value: Option<&str>| -> Option<Option<u32>> {
        match value? {
            "none" => Some(None),
            text => Some(Some(text.parse().ok()?)),
        }
    };
    let src_port = port_of(sport)?;
    let dst_port = port_of(dport)?;
    // `dir` tells only when a port is unknown (the ports decide otherwise);
    // `?` states nothing.
    let stated_direction = if src_port.is_some() && dst_port.is_some() {
        None
    } else {
        dir.and_then(Direction::from_short)
            .filter(|&direction| direction != Direction::Unknown)
    };
    Some(CommentFields {
        ts_mono_ns: mono?.parse().ok()?,
        pid: u32_of(pid)?,
        tid: u32_of(tid)?,
        comm: unescape(comm?)?,
        netns: u32_of(netns)?,
        src_port,
        dst_port,
        stated_direction,
        dst_group: u32_of(group)?,
        hook: unescape(hook?)?,
        result: match result? {
            "none" => None,
            text => Some(text.parse().ok()?),
        },
        len: match len {
            Some(text) => Some(text.parse().ok()?),
            None => None,
        },
        protocol: match proto {
            Some(text) => Some(text.parse().ok()?),
            None => None,
        },
    })
}

/// A record of the nlctrl `CTRL_CMD_NEWFAMILY` message announcing `name` as
/// generic netlink family `family_id`, as the kernel sends it
/// ([`new_family_message`]).
///
/// The record is kernel-to-kernel with no process (all ports, pid and times
/// zero) and has the hook [`SYNTHETIC_HOOK`]; the writer stamps it with the
/// time of the message it precedes.
pub(crate) fn synthesize_genl_family_record(family_id: u16, name: &str) -> CapturedMessage {
    let payload = new_family_message(family_id, name);
    CapturedMessage {
        ts_mono_ns: 0,
        ts_wall_ns: 0,
        pid: 0,
        tid: 0,
        comm: String::new(),
        netns: 0,
        protocol: NETLINK_GENERIC,
        src_port: Some(0),
        dst_port: Some(0),
        stated_direction: None,
        dst_group: 0,
        len: payload.len() as u32,
        hook: SYNTHETIC_HOOK.to_string(),
        result: None,
        payload,
        deliveries: Vec::new(),
    }
}

/// If `message` is an nlctrl NEWFAMILY message (the first netlink message of
/// the buffer), the family id and name it announces.
pub(crate) fn parse_genl_family_record(message: &CapturedMessage) -> Option<(u16, String)> {
    if message.protocol != NETLINK_GENERIC {
        return None;
    }
    parse_new_family(&message.payload).map(|family| (family.id, family.name))
}

/// Generic netlink family ids used by the netlink messages in `payload`
/// (types above nlctrl's; control messages and nlctrl itself excluded).
pub fn genl_family_ids(payload: &[u8]) -> Vec<u16> {
    let mut ids = Vec::new();
    for (_, header) in split_messages(payload) {
        if header.kind > GENL_ID_CTRL && !ids.contains(&header.kind) {
            ids.push(header.kind);
        }
    }
    ids
}

/// Writes [`CapturedMessage`]s as pcapng, one whole block per write.
pub struct PcapngWriter<W: Write> {
    out: W,
    block: Vec<u8>,
    comment: String,
    written: u64,
    families: BTreeMap<u16, String>,
    announced: BTreeSet<u16>,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header and the interface description (one write)
    /// and flushes, so even an empty capture is a valid file.
    pub fn new(mut out: W) -> std::io::Result<Self> {
        let mut header = Vec::with_capacity(128);
        let section = SectionHeaderBlock {
            endianness: Endianness::Little,
            major_version: 1,
            minor_version: 0,
            section_length: -1,
            options: vec![SectionHeaderOption::UserApplication(Cow::Owned(format!(
                "nlscope {}",
                env!("CARGO_PKG_VERSION")
            )))],
        };
        Block::SectionHeader(section).write_to::<LittleEndian, _>(&mut header)?;
        let interface = InterfaceDescriptionBlock {
            linktype: DataLink::NETLINK,
            snaplen: 0,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed("nlscope")),
                InterfaceDescriptionOption::IfDescription(Cow::Borrowed(
                    "netlink messages captured by nlscope (eBPF)",
                )),
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        };
        Block::InterfaceDescription(interface).write_to::<LittleEndian, _>(&mut header)?;
        out.write_all(&header)?;
        out.flush()?;
        Ok(PcapngWriter {
            out,
            block: Vec::with_capacity(4096 + 256),
            comment: String::with_capacity(256),
            written: 0,
            families: BTreeMap::new(),
            announced: BTreeSet::new(),
        })
    }

    /// Generic netlink family names by id: before the first message that uses
    /// one of these ids, a synthesized nlctrl NEWFAMILY record naming it is
    /// written, so Wireshark names the family. Adds to (and overrides) the
    /// names given before.
    pub fn set_genl_families(&mut self, families: impl IntoIterator<Item = (u16, String)>) {
        self.families.extend(families);
    }

    /// Builder form of [`PcapngWriter::set_genl_families`].
    pub fn with_genl_families(mut self, families: impl IntoIterator<Item = (u16, String)>) -> Self {
        self.set_genl_families(families);
        self
    }

    pub fn write(&mut self, message: &CapturedMessage) -> std::io::Result<()> {
        if message.protocol == NETLINK_GENERIC && !self.families.is_empty() {
            if let Some((id, _)) = parse_genl_family_record(message) {
                // The capture announces it itself.
                self.announced.insert(id);
            }
            for id in genl_family_ids(&message.payload) {
                if self.announced.contains(&id) {
                    continue;
                }
                if let Some(name) = self.families.get(&id) {
                    let mut record = synthesize_genl_family_record(id, name);
                    record.ts_wall_ns = message.ts_wall_ns;
                    record.ts_mono_ns = message.ts_mono_ns;
                    record.netns = message.netns;
                    self.write_block(&record)?;
                    self.announced.insert(id);
                }
            }
        }
        self.write_block(message)?;
        self.written += 1;
        Ok(())
    }

    /// One Enhanced Packet Block, laid out here directly (the same bytes as
    /// pcap-file's `Block::EnhancedPacket(..).write_to`, which a test checks,
    /// without its per-packet allocations and its second pass to size the
    /// block), handed to the output in one write.
    fn write_block(&mut self, message: &CapturedMessage) -> std::io::Result<()> {
        self.comment.clear();
        encode_comment_into(&mut self.comment, message);
        if self.comment.len() > MAX_OPTION_LEN {
            // The option length is 16 bits: a longer value would corrupt the block.
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the pcapng comment for this message would be {} bytes (comm or hook too long); pcapng options hold at most {MAX_OPTION_LEN}",
                    self.comment.len()
                ),
            ));
        }
        let deliveries = if message.deliveries.is_empty() {
            Vec::new()
        } else {
            encode_deliveries(&message.deliveries)
        };
        let protocol = u16::try_from(message.protocol).unwrap_or(u16::MAX);
        let captured = COOKED_HEADER_LEN + message.payload.len();
        let original_len = (original_payload_len(message) + COOKED_HEADER_LEN as u64) as u32;
        let padded = |len: usize| len + (4 - len % 4) % 4;
        let options = 4
            + padded(self.comment.len())
            + deliveries
                .iter()
                .map(|text| 4 + padded(text.len()))
                .sum::<usize>()
            + 4;
        // type, length, interface, time (2), captured and original length,
        // data, options, length again.
        let block_len = (28 + padded(captured) + options + 4) as u32;

        let block = &mut self.block;
        block.clear();
        let u32le = |block: &mut Vec<u8>, value: u32| block.extend_from_slice(&value.to_le_bytes());
        u32le(block, ENHANCED_PACKET_BLOCK);
        u32le(block, block_len);
        u32le(block, 0); // interface 0
        u32le(block, (message.ts_wall_ns >> 32) as u32);
        u32le(block, message.ts_wall_ns as u32);
        u32le(block, captured as u32);
        u32le(block, original_len);
        block.extend_from_slice(&cooked_header(packet_type_of(message), protocol));
        block.extend_from_slice(&message.payload);
        block.resize(block.len() + (padded(captured) - captured), 0);
        for text in
            std::iter::once(self.comment.as_str()).chain(deliveries.iter().map(String::as_str))
        {
            block.extend_from_slice(&OPT_COMMENT.to_le_bytes());
            block.extend_from_slice(&(text.len() as u16).to_le_bytes());
            block.extend_from_slice(text.as_bytes());
            block.resize(block.len() + (padded(text.len()) - text.len()), 0);
        }
        block.extend_from_slice(&[0; 4]); // opt_endofopt
        u32le(block, block_len);
        debug_assert_eq!(block.len(), block_len as usize);
        self.out.write_all(block)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Messages written (synthesized records not counted).
    pub fn messages_written(&self) -> u64 {
        self.written
    }

    /// What it writes to.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Packet type written for a message, the inverse of
/// [`ends_from_packet_type`]: `PACKET_KERNEL` when a kernel socket receives
/// it (u2k, and k2k, which nlmon never records), `PACKET_USER` when a user
/// socket does (k2u, u2u, every multicast), as nlmon records them, so other
/// tools and nlscope's reader take the direction from the cooked header too.
pub fn packet_type_of(message: &CapturedMessage) -> u16 {
    match message.direction() {
        Direction::UserToKernel | Direction::KernelToKernel => PACKET_KERNEL,
        Direction::KernelToUser | Direction::UserToUser => PACKET_USER,
        // nlmon never writes PACKET_HOST, so no reader takes a netlink
        // direction from it: the type for a message whose receiver is unknown.
        Direction::Unknown => PACKET_HOST,
    }
}

/// What a record from another tool (no nlscope comment) says of its ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatedEnds {
    pub src_port: Option<u32>,
    pub dst_port: Option<u32>,
    pub direction: Option<Direction>,
}

/// The ends of another tool's record, from its cooked header's packet type
/// and the first netlink message header of `payload`. This and
/// [`packet_type_of`] are the one place packet types are mapped.
///
/// nlmon gives every copy the packet type of the socket that *received* it
/// (`__netlink_deliver_tap_skb`: `PACKET_KERNEL` for a kernel socket,
/// `PACKET_USER` for a user socket), and the file holds no port:
///
/// - `PACKET_KERNEL`: sent to the kernel (port 0) by a user socket, u2k. The
///   sender is a user socket for certain: nlmon does not tap a kernel
///   socket's message to another kernel socket (`netlink_deliver_tap_kernel`).
///   Its port is `nlmsg_pid` when that is not 0: the kernel does not check
///   it, but a sender that fills it in puts its own port there (libnl does);
///   0 (iproute2, most libmnl tools) says nothing, so the port is unknown.
/// - `PACKET_USER`: received by a user socket, whose port is unknown:
///   `nlmsg_pid` is the receiver's port in a unicast reply, but in a
///   multicast (which nlmon records once per listener) it is the port of the
///   socket whose request caused the event, or 0, and the header cannot tell
///   the two apart. The sender is unknown too; the direction is taken to be
///   k2u, since the kernel sends nearly everything user sockets receive
///   (replies, acks, notifications). libudev's re-broadcast of a uevent,
///   recognised by its magic, is user-to-user (udevd to its listeners); any
///   other user-to-user message reads as k2u, which the file cannot rule out.
/// - `PACKET_OUTGOING` (what tcpdump on nlmon0 records for every message)
///   and any other type: the header says nothing, so the message itself
///   does. A message with `NLM_F_REQUEST` reads as a request to the kernel
///   (as `PACKET_KERNEL`), any other as received by a user socket (as
///   `PACKET_USER`): the kernel acts only on requests, and what it sends
///   (replies, acks, dump parts, notifications) never carries the flag. A
///   buffer too short for a netlink header says nothing.
pub fn ends_from_packet_type(pkttype: u16, protocol: u32, payload: &[u8]) -> StatedEnds {
    let unknown = StatedEnds {
        src_port: None,
        dst_port: None,
        direction: None,
    };
    match pkttype {
        PACKET_KERNEL => {
            // uevent buffers have no netlink header to take a port from.
            let nlmsg_pid = parse_header(payload)
                .filter(|_| protocol != NETLINK_KOBJECT_UEVENT)
                .map(|header| header.port);
            StatedEnds {
                src_port: nlmsg_pid.filter(|&pid| pid != 0),
                dst_port: Some(0),
                direction: Some(Direction::UserToKernel),
            }
        }
        PACKET_USER => {
            let from_udev =
                protocol == NETLINK_KOBJECT_UEVENT && payload.starts_with(LIBUDEV_MAGIC);
            StatedEnds {
                direction: Some(if from_udev {
                    Direction::UserToUser
                } else {
                    Direction::KernelToUser
                }),
                ..unknown
            }
        }
        _ => {
            if protocol == NETLINK_KOBJECT_UEVENT {
                return ends_from_packet_type(PACKET_USER, protocol, payload);
            }
            match parse_header(payload) {
                Some(header) => {
                    let request = header.flags & NLM_F_REQUEST != 0;
                    let stated = if request { PACKET_KERNEL } else { PACKET_USER };
                    ends_from_packet_type(stated, protocol, payload)
                }
                None => unknown,
            }
        }
    }
}
