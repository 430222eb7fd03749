//! Reading capture files back: nlscope's pcapng, any LINKTYPE_NETLINK pcap or
//! pcapng (nlmon + tcpdump, Wireshark), and nlscope's JSON Lines.
//!
//! [`read_capture`] detects the format by its magic bytes (never the file
//! name) and returns every complete message up to the first problem, plus a
//! [`ReadError`] naming the byte offset and what is wrong. It never panics,
//! whatever the bytes.
//!
//! Records without an nlscope comment (files from other tools) get what the
//! packet itself says: time, protocol, payload and length, and ports from the
//! cooked header's packet type where it tells the direction
//! ([`ports_from_packet_type`]); the rest is unknown (pid 0, comm "", hook "",
//! netns 0, no result), and `ts_mono_ns` is set to the wall-clock time so
//! relative times still work.

use std::collections::BTreeMap;
use std::path::Path;

use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{DataLink, Endianness, PcapError};

use super::jsonl::read_jsonl_partial;
use super::pcapng::{
    decode_comment, decode_deliveries, parse_genl_family_record, ports_from_packet_type,
    COOKED_HEADER_LEN, LINKTYPE_NETLINK, SYNTHETIC_HOOK,
};
use crate::event::CapturedMessage;

/// What a capture file held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureRead {
    /// Every complete message before the first error, in file order.
    pub messages: Vec<CapturedMessage>,
    /// Generic netlink family names nlscope synthesized into the file
    /// (records with hook `nlscope-synthetic`, which are not in `messages`).
    pub genl_families: BTreeMap<u16, String>,
    /// The format that was detected, if any.
    pub format: Option<CaptureFormat>,
    /// Why reading stopped early, if it did.
    pub error: Option<ReadError>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    Pcapng,
    Pcap,
    Jsonl,
}

impl CaptureFormat {
    pub fn name(self) -> &'static str {
        match self {
            CaptureFormat::Pcapng => "pcapng",
            CaptureFormat::Pcap => "pcap",
            CaptureFormat::Jsonl => "jsonl",
        }
    }
}

/// Where a file stops making sense, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at byte offset {offset}: {kind}")]
pub struct ReadError {
    /// Byte offset of the block, record or line that could not be read.
    pub offset: u64,
    pub kind: ReadErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadErrorKind {
    #[error("cannot read the file: {0}")]
    Io(String),
    #[error("bad magic {found}: not a pcapng, pcap or nlscope JSON Lines file")]
    // `found` names the bytes seen (and where, when not at the start).
    BadMagic { found: String },
    #[error("truncated {what}: {needed} bytes needed, {available} present")]
    Truncated {
        what: &'static str,
        needed: u64,
        available: u64,
    },
    #[error("wrong linktype {0}: only LINKTYPE_NETLINK (253) captures hold netlink messages")]
    WrongLinktype(u32),
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("line {line} is not a captured message: {detail}")]
    BadJsonLine { line: usize, detail: String },
}

impl ReadError {
    fn new(offset: usize, kind: ReadErrorKind) -> ReadError {
        ReadError {
            offset: offset as u64,
            kind,
        }
    }
}

/// Reads a capture file of any supported format (see the module docs).
pub fn read_capture(path: impl AsRef<Path>) -> CaptureRead {
    match std::fs::read(path.as_ref()) {
        Ok(bytes) => read_capture_bytes(&bytes),
        Err(error) => unreadable(path.as_ref(), error),
    }
}

/// [`read_capture`] handing out messages one at a time (see
/// [`read_capture_streaming`]).
pub fn read_capture_file_streaming(
    path: impl AsRef<Path>,
    each: impl FnMut(CapturedMessage, &BTreeMap<u16, String>),
) -> (CaptureRead, usize) {
    match std::fs::read(path.as_ref()) {
        Ok(bytes) => read_capture_streaming(&bytes, each),
        Err(error) => (unreadable(path.as_ref(), error), 0),
    }
}

fn unreadable(path: &Path, error: std::io::Error) -> CaptureRead {
    CaptureRead {
        error: Some(ReadError::new(
            0,
            ReadErrorKind::Io(format!("{}: {error}", path.display())),
        )),
        ..CaptureRead::default()
    }
}

const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Detects the format of `bytes` by its first bytes. An empty input is an empty
/// JSON Lines capture (what `record` leaves when nothing was captured).
pub fn detect_format(bytes: &[u8]) -> Option<CaptureFormat> {
    // A file cut inside its magic still names its format (and then reads as
    // truncated): pcapng's magic is all whitespace, which would pass for JSON.
    let matches = |magic: &[u8]| {
        !bytes.is_empty() && magic.starts_with(&bytes[..bytes.len().min(magic.len())])
    };
    if matches(&PCAPNG_MAGIC) {
        return Some(CaptureFormat::Pcapng);
    }
    for magic in [PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO] {
        if matches(&magic.to_le_bytes()) || matches(&magic.to_be_bytes()) {
            return Some(CaptureFormat::Pcap);
        }
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | None => Some(CaptureFormat::Jsonl),
        Some(_) => None,
    }
}

/// [`read_capture`] on bytes already in memory.
pub fn read_capture_bytes(bytes: &[u8]) -> CaptureRead {
    let mut read = CaptureRead::default();
    read_into(bytes, &mut read);
    read
}

/// Reads `bytes` message by message, handing each to `each` as soon as it is
/// parsed instead of collecting them (`nlscope decode` prints a file of any
/// size this way, holding one message at a time). Synthesized family
/// announcements go to `genl_families` before the messages they name, as in
/// [`read_capture_bytes`]. Returns what [`CaptureRead`] would hold but the
/// messages, and how many there were.
pub fn read_capture_streaming(
    bytes: &[u8],
    each: impl FnMut(CapturedMessage, &BTreeMap<u16, String>),
) -> (CaptureRead, usize) {
    let mut sink = Streaming {
        read: CaptureRead::default(),
        each,
        count: 0,
    };
    read_into(bytes, &mut sink);
    (sink.read, sink.count)
}

/// Where the format readers put what they find.
trait ReadSink {
    fn set_format(&mut self, format: Option<CaptureFormat>);
    /// One message (or a synthesized family announcement).
    fn push(&mut self, message: CapturedMessage);
    /// Why reading stopped.
    fn fail(&mut self, error: ReadError);
}

impl ReadSink for CaptureRead {
    fn set_format(&mut self, format: Option<CaptureFormat>) {
        self.format = format;
    }
    fn push(&mut self, message: CapturedMessage) {
        if let Some((id, name)) = family_announcement(&message) {
            self.genl_families.insert(id, name);
            return;
        }
        self.messages.push(message);
    }
    fn fail(&mut self, error: ReadError) {
        self.error = Some(error);
    }
}

struct Streaming<F> {
    read: CaptureRead,
    each: F,
    count: usize,
}

impl<F: FnMut(CapturedMessage, &BTreeMap<u16, String>)> ReadSink for Streaming<F> {
    fn set_format(&mut self, format: Option<CaptureFormat>) {
        self.read.format = format;
    }
    fn push(&mut self, message: CapturedMessage) {
        if let Some((id, name)) = family_announcement(&message) {
            self.read.genl_families.insert(id, name);
            return;
        }
        self.count += 1;
        (self.each)(message, &self.read.genl_families);
    }
    fn fail(&mut self, error: ReadError) {
        self.read.error = Some(error);
    }
}

/// `(family id, name)` when `message` is a family announcement nlscope
/// synthesized into a file (hook [`SYNTHETIC_HOOK`]).
fn family_announcement(message: &CapturedMessage) -> Option<(u16, String)> {
    if message.hook != SYNTHETIC_HOOK {
        return None;
    }
    parse_genl_family_record(message)
}

fn read_into(bytes: &[u8], read: &mut impl ReadSink) {
    let format = detect_format(bytes);
    read.set_format(format);
    match format {
        Some(CaptureFormat::Pcapng) => read_pcapng(bytes, read),
        Some(CaptureFormat::Pcap) => read_pcap(bytes, read),
        Some(CaptureFormat::Jsonl) => {
            let (messages, error) = read_jsonl_partial(bytes);
            for message in messages {
                read.push(message);
            }
            if let Some((offset, line, detail)) = error {
                read.fail(ReadError::new(
                    offset,
                    ReadErrorKind::BadJsonLine { line, detail },
                ));
            }
        }
        None => {
            let found: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
            read.fail(ReadError::new(
                0,
                ReadErrorKind::BadMagic {
                    found: found.join(" "),
                },
            ));
        }
    }
}

/// One netlink record (cooked header + payload) and its packet metadata into a
/// [`CapturedMessage`]; `comment` supplies the rest when nlscope wrote it.
fn message_from_record(
    data: &[u8],
    original_len: u32,
    ts_wall_ns: u64,
    comment: Option<&str>,
    deliveries: Vec<crate::event::Delivery>,
) -> Result<CapturedMessage, String> {
    if data.len() < COOKED_HEADER_LEN {
        return Err(format!(
            "record of {} bytes is shorter than the 16-byte cooked header",
            data.len()
        ));
    }
    let pkttype = u16::from_be_bytes([data[0], data[1]]);
    let protocol = u16::from_be_bytes([data[14], data[15]]);
    let payload = data[COOKED_HEADER_LEN..].to_vec();
    let len = original_len
        .saturating_sub(COOKED_HEADER_LEN as u32)
        .max(payload.len() as u32);
    let mut message = CapturedMessage {
        ts_mono_ns: ts_wall_ns,
        ts_wall_ns,
        pid: 0,
        tid: 0,
        comm: String::new(),
        netns: 0,
        protocol: u32::from(protocol),
        src_port: 0,
        dst_port: 0,
        dst_group: 0,
        len,
        hook: String::new(),
        result: None,
        payload,
        deliveries: Vec::new(),
    };
    match comment.and_then(decode_comment) {
        Some(fields) => {
            message.ts_mono_ns = fields.ts_mono_ns;
            message.pid = fields.pid;
            message.tid = fields.tid;
            message.comm = fields.comm;
            message.netns = fields.netns;
            message.src_port = fields.src_port;
            message.dst_port = fields.dst_port;
            message.dst_group = fields.dst_group;
            message.hook = fields.hook;
            message.result = fields.result;
            if let Some(len) = fields.len {
                message.len = len;
            }
            if let Some(protocol) = fields.protocol {
                message.protocol = protocol;
            }
            message.deliveries = deliveries;
        }
        None => {
            let (src, dst) = ports_from_packet_type(pkttype, &message.payload);
            message.src_port = src;
            message.dst_port = dst;
        }
    }
    Ok(message)
}

struct Interface {
    linktype: u32,
    /// Timestamp unit: (numerator, denominator) of a tick in nanoseconds.
    tick_ns: (u128, u128),
    offset_s: u64,
}

impl Interface {
    fn to_ns(&self, ticks: u128) -> u64 {
        let ns = ticks.saturating_mul(self.tick_ns.0) / self.tick_ns.1;
        let ns = ns.saturating_add(u128::from(self.offset_s) * 1_000_000_000);
        u64::try_from(ns).unwrap_or(u64::MAX)
    }
}

fn tick_from_tsresol(tsresol: u8) -> (u128, u128) {
    let exponent = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        // 10^-exponent seconds.
        if exponent <= 9 {
            (10u128.pow(9 - exponent), 1)
        } else {
            (1, 10u128.checked_pow(exponent - 9).unwrap_or(u128::MAX))
        }
    } else {
        // 2^-exponent seconds.
        (
            1_000_000_000,
            1u128.checked_shl(exponent).unwrap_or(u128::MAX),
        )
    }
}

/// Length of the block at `rest` according to its header, if 8 bytes are there.
fn declared_block_len(rest: &[u8], endianness: Endianness) -> Option<u32> {
    let bytes: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
    if rest.starts_with(&PCAPNG_MAGIC) {
        // A section header's length is in the byte order its magic announces.
        let magic: [u8; 4] = rest.get(8..12)?.try_into().ok()?;
        return Some(if magic == [0x1a, 0x2b, 0x3c, 0x4d] {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        });
    }
    Some(match endianness {
        Endianness::Big => u32::from_be_bytes(bytes),
        Endianness::Little => u32::from_le_bytes(bytes),
    })
}

fn pcapng_error(error: PcapError, rest: &[u8], endianness: Endianness) -> ReadErrorKind {
    let truncated = || {
        let needed = declared_block_len(rest, endianness).map_or(12, u64::from);
        ReadErrorKind::Truncated {
            what: "block",
            needed: needed.max(12),
            available: rest.len() as u64,
        }
    };
    match error {
        PcapError::IncompleteBuffer => truncated(),
        // The section header needs 12 bytes before the crate can see its magic.
        PcapError::InvalidField(_) if rest.len() < 12 => truncated(),
        PcapError::InvalidField(detail) => ReadErrorKind::Malformed {
            what: "block",
            detail: detail.to_string(),
        },
        other => ReadErrorKind::Malformed {
            what: "block",
            detail: other.to_string(),
        },
    }
}

fn read_pcapng(bytes: &[u8], read: &mut impl ReadSink) {
    let (mut rest, mut parser) = match PcapNgParser::new(bytes) {
        Ok(parsed) => parsed,
        Err(error) => {
            let kind = match error {
                PcapError::InvalidField(detail) if detail.contains("magic") => {
                    let found: Vec<String> = bytes
                        .iter()
                        .skip(8)
                        .take(4)
                        .map(|b| format!("{b:02x}"))
                        .collect();
                    ReadErrorKind::BadMagic {
                        found: format!("{} as the pcapng byte-order magic", found.join(" ")),
                    }
                }
                other => pcapng_error(other, bytes, Endianness::Little),
            };
            read.fail(ReadError::new(0, kind));
            return;
        }
    };
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut foreign_linktype: Option<(usize, u32)> = None;
    let mut netlink_interfaces = 0usize;
    while !rest.is_empty() {
        let offset = bytes.len() - rest.len();
        let endianness = parser.section().endianness;
        let (next, block) = match parser.next_block(rest) {
            Ok(parsed) => parsed,
            Err(error) => {
                read.fail(ReadError::new(
                    offset,
                    pcapng_error(error, rest, endianness),
                ));
                return;
            }
        };
        rest = next;
        match block {
            Block::SectionHeader(_) => interfaces.clear(),
            Block::InterfaceDescription(interface) => {
                let linktype = u32::from(interface.linktype);
                let mut tsresol = 6;
                let mut offset_s = 0;
                for option in &interface.options {
                    match option {
                        InterfaceDescriptionOption::IfTsResol(value) => tsresol = *value,
                        InterfaceDescriptionOption::IfTsOffset(value) => offset_s = *value,
                        _ => {}
                    }
                }
                if interface.linktype == DataLink::NETLINK {
                    netlink_interfaces += 1;
                } else if foreign_linktype.is_none() {
                    foreign_linktype = Some((offset, linktype));
                }
                interfaces.push(Interface {
                    linktype,
                    tick_ns: tick_from_tsresol(tsresol),
                    offset_s,
                });
            }
            Block::EnhancedPacket(packet) => {
                let Some(interface) = interfaces.get(packet.interface_id as usize) else {
                    read.fail(ReadError::new(
                        offset,
                        ReadErrorKind::Malformed {
                            what: "enhanced packet block",
                            detail: format!(
                                "interface {} was never described",
                                packet.interface_id
                            ),
                        },
                    ));
                    return;
                };
                if interface.linktype != LINKTYPE_NETLINK {
                    // Another interface of a mixed capture: not ours to read.
                    continue;
                }
                let comments = packet.options.iter().filter_map(|option| match option {
                    EnhancedPacketOption::Comment(text) => Some(text.as_ref()),
                    _ => None,
                });
                let mut comment = None;
                let mut deliveries = Vec::new();
                for text in comments {
                    if let Some(more) = decode_deliveries(text) {
                        deliveries.extend(more);
                    } else if comment.is_none() && text.trim_start().starts_with("nlscope:") {
                        comment = Some(text);
                    }
                }
                let ts = interface.to_ns(packet.timestamp.as_nanos());
                match message_from_record(
                    &packet.data,
                    packet.original_len,
                    ts,
                    comment,
                    deliveries,
                ) {
                    Ok(message) => read.push(message),
                    Err(detail) => {
                        read.fail(ReadError::new(
                            offset,
                            ReadErrorKind::Malformed {
                                what: "enhanced packet block",
                                detail,
                            },
                        ));
                        return;
                    }
                }
            }
            _ => {}
        }
    }
    if netlink_interfaces == 0 {
        if let Some((offset, linktype)) = foreign_linktype {
            read.fail(ReadError::new(
                offset,
                ReadErrorKind::WrongLinktype(linktype),
            ));
        }
    }
}

pub const PCAP_MAGIC_MICRO: u32 = 0xa1b2_c3d4;
pub const PCAP_MAGIC_NANO: u32 = 0xa1b2_3c4d;
/// A pcap record larger than this is taken for garbage, not a netlink buffer.
const PCAP_MAX_RECORD: u32 = 256 * 1024 * 1024;

/// Classic pcap (libpcap's format, what `tcpdump -i nlmon0 -w` writes).
fn read_pcap(bytes: &[u8], read: &mut impl ReadSink) {
    if bytes.len() < 24 {
        read.fail(ReadError::new(
            0,
            ReadErrorKind::Truncated {
                what: "pcap file header",
                needed: 24,
                available: bytes.len() as u64,
            },
        ));
        return;
    }
    let magic_le = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let little = magic_le == PCAP_MAGIC_MICRO || magic_le == PCAP_MAGIC_NANO;
    let u32_at = |at: usize| -> u32 {
        let raw = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        if little {
            u32::from_le_bytes(raw)
        } else {
            u32::from_be_bytes(raw)
        }
    };
    let nano = u32_at(0) == PCAP_MAGIC_NANO;
    // The upper bits of the link-type field hold FCS information.
    let linktype = u32_at(20) & 0x0fff_ffff;
    if linktype != LINKTYPE_NETLINK {
        read.fail(ReadError::new(20, ReadErrorKind::WrongLinktype(linktype)));
        return;
    }
    let mut at = 24usize;
    while at < bytes.len() {
        if bytes.len() - at < 16 {
            read.fail(ReadError::new(
                at,
                ReadErrorKind::Truncated {
                    what: "pcap record header",
                    needed: 16,
                    available: (bytes.len() - at) as u64,
                },
            ));
            return;
        }
        let ts_sec = u64::from(u32_at(at));
        let ts_frac = u64::from(u32_at(at + 4));
        let incl_len = u32_at(at + 8);
        let orig_len = u32_at(at + 12);
        if incl_len > PCAP_MAX_RECORD {
            read.fail(ReadError::new(
                at,
                ReadErrorKind::Malformed {
                    what: "pcap record",
                    detail: format!("captured length {incl_len} is implausible"),
                },
            ));
            return;
        }
        let available = bytes.len() - at - 16;
        if (incl_len as usize) > available {
            read.fail(ReadError::new(
                at,
                ReadErrorKind::Truncated {
                    what: "pcap record",
                    needed: 16 + u64::from(incl_len),
                    available: (bytes.len() - at) as u64,
                },
            ));
            return;
        }
        let data = &bytes[at + 16..at + 16 + incl_len as usize];
        let ts = ts_sec
            .saturating_mul(1_000_000_000)
            .saturating_add(if nano { ts_frac } else { ts_frac * 1000 });
        match message_from_record(data, orig_len, ts, None, Vec::new()) {
            Ok(message) => read.push(message),
            Err(detail) => {
                read.fail(ReadError::new(
                    at,
                    ReadErrorKind::Malformed {
                        what: "pcap record",
                        detail,
                    },
                ));
                return;
            }
        }
        at += 16 + incl_len as usize;
    }
}
