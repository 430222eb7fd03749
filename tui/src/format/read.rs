//! Reading capture files back: nlscope's pcapng, any LINKTYPE_NETLINK pcap or
//! pcapng (nlmon + tcpdump, Wireshark), and nlscope's JSON Lines.
//!
//! [`read_capture`] detects the format by its magic bytes (never the file
//! name) and returns every complete message up to the first problem, plus a
//! [`ReadError`] naming the byte offset and what is wrong. It never panics,
//! whatever the bytes.
//!
//! Records without an nlscope comment (files from other tools) get what the
//! packet itself says: time, protocol, payload and length, and the direction
//! and whichever ports the cooked header's packet type and the netlink header
//! give ([`ends_from_packet_type`]); a port they do not give is `None`, and
//! the rest is unknown (pid 0, comm "", hook "", netns 0, no result).
//! `ts_mono_ns` is set to the wall-clock time so relative times still work.
//! An nlscope comment, when present, is authoritative: the packet type is
//! then not read.

use std::collections::BTreeMap;
use std::path::Path;

use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{DataLink, Endianness, PcapError};

use super::jsonl::read_jsonl_line;
use super::pcapng::{
    decode_comment, decode_deliveries, ends_from_packet_type, parse_genl_family_record,
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

/// Where one message's record is in a capture file: the pcapng block, the
/// pcap record (header included) or the JSON line (newline included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordAt {
    pub offset: u64,
    pub len: u32,
}

impl RecordAt {
    fn new(offset: usize, len: usize) -> RecordAt {
        RecordAt {
            offset: offset as u64,
            // Records are at most a block (u32 length) or a pcap record
            // (capped at PCAP_MAX_RECORD); a longer JSON line is saturated
            // and then fails to read back, with a clear error.
            len: u32::try_from(len).unwrap_or(u32::MAX),
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
    let mut read = CaptureRead::default();
    read_file_into(path.as_ref(), &mut read);
    read
}

/// [`read_capture`] handing out messages one at a time (see
/// [`read_capture_streaming`]). The file is read block by block
/// ([`FILE_BLOCK`] at a time): memory holds a block and one message, whatever
/// the size of the file, and no page of it is touched twice.
pub fn read_capture_file_streaming(
    path: impl AsRef<Path>,
    mut each: impl FnMut(CapturedMessage, &BTreeMap<u16, String>),
) -> (CaptureRead, usize) {
    read_capture_file_indexed(path, |message, _, families| each(message, families))
}

/// [`read_capture_file_streaming`] also handing out where each message's
/// record is in the file, to read it back later with
/// a `RecordFile` (see the `record` module).
pub fn read_capture_file_indexed(
    path: impl AsRef<Path>,
    each: impl FnMut(CapturedMessage, RecordAt, &BTreeMap<u16, String>),
) -> (CaptureRead, usize) {
    Streaming::run(each, |sink| read_file_into(path.as_ref(), sink))
}

/// [`read_capture_bytes`] through the block-by-block reader, `block` bytes
/// at a time (the tests check both read the same).
#[cfg(test)]
pub(super) fn read_capture_in_blocks(bytes: &[u8], block: usize) -> CaptureRead {
    let mut read = CaptureRead::default();
    let mut source = ReaderSource::new(bytes, block);
    read_from(&mut source, &mut read);
    read
}

/// How much of a file is read at a time.
pub const FILE_BLOCK: usize = 256 * 1024;

fn read_file_into(path: &Path, read: &mut impl ReadSink) {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) => return read.fail(unreadable(path, error)),
    };
    let mut source = ReaderSource::new(file, FILE_BLOCK);
    // A file that cannot be read at all (a directory, say) is one plain
    // error, as when the whole file was read at once.
    source.more();
    if source.offset() == 0 && source.rest().is_empty() {
        if let Some(error) = source.error.take() {
            return read.fail(unreadable(path, error));
        }
    }
    read_from(&mut source, read);
    if let Some(error) = source.error.take() {
        // A read that failed mid-file: what came before it was handed out.
        read.fail(ReadError::new(
            source.offset() + source.rest().len(),
            ReadErrorKind::Io(format!("{}: {error}", path.display())),
        ));
    }
}

/// The bytes of a capture as the format readers see them: what is in memory
/// and not read yet, and a way to ask for more. Bytes in memory are all there
/// at once ([`SliceSource`]); a file comes block by block ([`ReaderSource`]).
/// A reader that finds a record cut off asks for more before it calls the
/// record truncated: what it reports at the end of the input is then the
/// same either way.
trait Source {
    /// The bytes not read yet that are in memory.
    fn rest(&self) -> &[u8];
    /// Byte offset in the whole input of `rest()[0]`.
    fn offset(&self) -> usize;
    /// Marks the first `n` bytes of `rest()` as read.
    fn consume(&mut self, n: usize);
    /// Brings more bytes into `rest()`; false at the end of the input.
    fn more(&mut self) -> bool;
}

struct SliceSource<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Source for SliceSource<'_> {
    fn rest(&self) -> &[u8] {
        &self.bytes[self.at..]
    }
    fn offset(&self) -> usize {
        self.at
    }
    fn consume(&mut self, n: usize) {
        self.at += n;
    }
    fn more(&mut self) -> bool {
        false
    }
}

/// A reader read `block` bytes at a time into one buffer: the unread bytes
/// move to its start before each refill, and it grows only for a record
/// longer than a block (so it is zeroed once, not at every refill).
struct ReaderSource<R> {
    reader: R,
    block: usize,
    buffer: Vec<u8>,
    /// The unread bytes are `buffer[start..end]`.
    start: usize,
    end: usize,
    /// Byte offset in the input of `buffer[0]`.
    base: usize,
    done: bool,
    /// Why reading stopped early, if it did.
    error: Option<std::io::Error>,
}

impl<R: std::io::Read> ReaderSource<R> {
    fn new(reader: R, block: usize) -> ReaderSource<R> {
        ReaderSource {
            reader,
            block: block.max(1),
            buffer: Vec::new(),
            start: 0,
            end: 0,
            base: 0,
            done: false,
            error: None,
        }
    }
}

impl<R: std::io::Read> Source for ReaderSource<R> {
    fn rest(&self) -> &[u8] {
        &self.buffer[self.start..self.end]
    }
    fn offset(&self) -> usize {
        self.base + self.start
    }
    fn consume(&mut self, n: usize) {
        self.start += n;
    }
    fn more(&mut self) -> bool {
        if self.done {
            return false;
        }
        // Keep only the unread bytes (at most a record cut by the end of the
        // last block), then read the next block after them.
        self.buffer.copy_within(self.start..self.end, 0);
        self.base += self.start;
        self.end -= self.start;
        self.start = 0;
        if self.buffer.len() < self.end + self.block {
            self.buffer.resize(self.end + self.block, 0);
        }
        loop {
            match self.reader.read(&mut self.buffer[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    self.done = n == 0;
                    return n > 0;
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => {
                    self.error = Some(error);
                    self.done = true;
                    return false;
                }
            }
        }
    }
}

fn unreadable(path: &Path, error: std::io::Error) -> ReadError {
    ReadError::new(0, ReadErrorKind::Io(format!("{}: {error}", path.display())))
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
    read_from(&mut SliceSource { bytes, at: 0 }, &mut read);
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
    mut each: impl FnMut(CapturedMessage, &BTreeMap<u16, String>),
) -> (CaptureRead, usize) {
    let each = |message, _: RecordAt, families: &BTreeMap<u16, String>| each(message, families);
    Streaming::run(each, |sink| {
        read_from(&mut SliceSource { bytes, at: 0 }, sink)
    })
}

/// Where the format readers put what they find.
trait ReadSink {
    fn set_format(&mut self, format: Option<CaptureFormat>);
    /// One message (or a synthesized family announcement), and where its
    /// record is in the input.
    fn push(&mut self, message: CapturedMessage, at: RecordAt);
    /// Why reading stopped.
    fn fail(&mut self, error: ReadError);
}

impl ReadSink for CaptureRead {
    fn set_format(&mut self, format: Option<CaptureFormat>) {
        self.format = format;
    }
    fn push(&mut self, message: CapturedMessage, _at: RecordAt) {
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

impl<F: FnMut(CapturedMessage, RecordAt, &BTreeMap<u16, String>)> Streaming<F> {
    /// Lets `read` fill a streaming sink that hands each message to `each`;
    /// returns what the read held but the messages, and how many there were.
    fn run(each: F, read: impl FnOnce(&mut Self)) -> (CaptureRead, usize) {
        let mut sink = Streaming {
            read: CaptureRead::default(),
            each,
            count: 0,
        };
        read(&mut sink);
        (sink.read, sink.count)
    }
}

impl<F: FnMut(CapturedMessage, RecordAt, &BTreeMap<u16, String>)> ReadSink for Streaming<F> {
    fn set_format(&mut self, format: Option<CaptureFormat>) {
        self.read.format = format;
    }
    fn push(&mut self, message: CapturedMessage, at: RecordAt) {
        if let Some((id, name)) = family_announcement(&message) {
            self.read.genl_families.insert(id, name);
            return;
        }
        self.count += 1;
        (self.each)(message, at, &self.read.genl_families);
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

fn read_from(source: &mut impl Source, read: &mut impl ReadSink) {
    // Enough of the start to tell the format: the magic, and for JSON Lines
    // the first byte that is not blank.
    let decided = |start: &[u8]| start.len() >= 4 && start.iter().any(|b| !b.is_ascii_whitespace());
    while !decided(source.rest()) && source.more() {}
    let format = detect_format(source.rest());
    read.set_format(format);
    match format {
        Some(CaptureFormat::Pcapng) => read_pcapng(source, read),
        Some(CaptureFormat::Pcap) => read_pcap(source, read),
        Some(CaptureFormat::Jsonl) => read_jsonl(source, read),
        None => {
            let found: Vec<String> = source
                .rest()
                .iter()
                .take(4)
                .map(|b| format!("{b:02x}"))
                .collect();
            read.fail(ReadError::new(
                0,
                ReadErrorKind::BadMagic {
                    found: found.join(" "),
                },
            ));
        }
    }
}

/// JSON Lines, line by line (see [`read_jsonl_line`]).
fn read_jsonl(source: &mut impl Source, read: &mut impl ReadSink) {
    let mut line_number = 0;
    loop {
        let newline = source.rest().iter().position(|&b| b == b'\n');
        let len = match newline {
            Some(at) => at + 1,
            None if source.more() => continue,
            // The last line, without its newline.
            None if !source.rest().is_empty() => source.rest().len(),
            None => return,
        };
        line_number += 1;
        match read_jsonl_line(&source.rest()[..len]) {
            Ok(Some(message)) => read.push(message, RecordAt::new(source.offset(), len)),
            Ok(None) => {}
            Err(detail) => {
                read.fail(ReadError::new(
                    source.offset(),
                    ReadErrorKind::BadJsonLine {
                        line: line_number,
                        detail,
                    },
                ));
                return;
            }
        }
        source.consume(len);
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
        src_port: None,
        dst_port: None,
        stated_direction: None,
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
            message.stated_direction = fields.stated_direction;
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
            let ends = ends_from_packet_type(pkttype, message.protocol, &message.payload);
            message.src_port = ends.src_port;
            message.dst_port = ends.dst_port;
            // Known ports decide the direction; it is stated only without them.
            if ends.src_port.is_none() || ends.dst_port.is_none() {
                message.stated_direction = ends.direction;
            }
        }
    }
    Ok(message)
}

/// Hands a record's message on, or fails the read with why the record at
/// `offset` (a `what`) is malformed; false then.
fn push_record(
    read: &mut impl ReadSink,
    record: Result<CapturedMessage, String>,
    at: RecordAt,
    what: &'static str,
) -> bool {
    match record {
        Ok(message) => {
            read.push(message, at);
            true
        }
        Err(detail) => {
            read.fail(ReadError {
                offset: at.offset,
                kind: ReadErrorKind::Malformed { what, detail },
            });
            false
        }
    }
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

/// True when a block the pcapng parser rejected may only be cut short by the
/// end of what is in memory: more bytes could make it whole.
fn may_be_cut(error: &PcapError, rest: &[u8], endianness: Endianness) -> bool {
    let needed = declared_block_len(rest, endianness).map_or(12, |len| len as usize);
    matches!(error, PcapError::IncompleteBuffer) || rest.len() < needed.max(12)
}

fn read_pcapng(source: &mut impl Source, read: &mut impl ReadSink) {
    let mut parser = loop {
        match PcapNgParser::new(source.rest()) {
            Ok((next, parser)) => {
                source.consume(source.rest().len() - next.len());
                break parser;
            }
            Err(error) => {
                if may_be_cut(&error, source.rest(), Endianness::Little) && source.more() {
                    continue;
                }
                let bytes = source.rest();
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
        }
    };
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut foreign_linktype: Option<(usize, u32)> = None;
    let mut netlink_interfaces = 0usize;
    loop {
        if source.rest().is_empty() && !source.more() {
            break;
        }
        let offset = source.offset();
        let endianness = parser.section().endianness;
        let (next, block) = match parser.next_block(source.rest()) {
            Ok(parsed) => parsed,
            Err(error) => {
                if may_be_cut(&error, source.rest(), endianness) && source.more() {
                    continue;
                }
                read.fail(ReadError::new(
                    offset,
                    pcapng_error(error, source.rest(), endianness),
                ));
                return;
            }
        };
        let consumed = source.rest().len() - next.len();
        'block: {
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
                        break 'block;
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
                    let record = message_from_record(
                        &packet.data,
                        packet.original_len,
                        ts,
                        comment,
                        deliveries,
                    );
                    let at = RecordAt::new(offset, consumed);
                    if !push_record(read, record, at, "enhanced packet block") {
                        return;
                    }
                }
                _ => {}
            }
        }
        source.consume(consumed);
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
fn read_pcap(source: &mut impl Source, read: &mut impl ReadSink) {
    /// Brings `n` bytes into memory if the input has them.
    fn want(source: &mut impl Source, n: usize) -> bool {
        while source.rest().len() < n {
            if !source.more() {
                return false;
            }
        }
        true
    }
    if !want(source, 24) {
        read.fail(ReadError::new(
            0,
            ReadErrorKind::Truncated {
                what: "pcap file header",
                needed: 24,
                available: source.rest().len() as u64,
            },
        ));
        return;
    }
    let header = &source.rest()[..24];
    let magic_le = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let little = magic_le == PCAP_MAGIC_MICRO || magic_le == PCAP_MAGIC_NANO;
    let u32_at = |bytes: &[u8], at: usize| -> u32 {
        let raw = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        if little {
            u32::from_le_bytes(raw)
        } else {
            u32::from_be_bytes(raw)
        }
    };
    let nano = u32_at(header, 0) == PCAP_MAGIC_NANO;
    // The upper bits of the link-type field hold FCS information.
    let linktype = u32_at(header, 20) & 0x0fff_ffff;
    if linktype != LINKTYPE_NETLINK {
        read.fail(ReadError::new(20, ReadErrorKind::WrongLinktype(linktype)));
        return;
    }
    source.consume(24);
    loop {
        if source.rest().is_empty() && !source.more() {
            return;
        }
        let at = source.offset();
        if !want(source, 16) {
            read.fail(ReadError::new(
                at,
                ReadErrorKind::Truncated {
                    what: "pcap record header",
                    needed: 16,
                    available: source.rest().len() as u64,
                },
            ));
            return;
        }
        let record = source.rest();
        let ts_sec = u64::from(u32_at(record, 0));
        let ts_frac = u64::from(u32_at(record, 4));
        let incl_len = u32_at(record, 8);
        let orig_len = u32_at(record, 12);
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
        let len = 16 + incl_len as usize;
        if !want(source, len) {
            read.fail(ReadError::new(
                at,
                ReadErrorKind::Truncated {
                    what: "pcap record",
                    needed: len as u64,
                    available: source.rest().len() as u64,
                },
            ));
            return;
        }
        let data = &source.rest()[16..len];
        let ts = ts_sec
            .saturating_mul(1_000_000_000)
            .saturating_add(if nano { ts_frac } else { ts_frac * 1000 });
        let record = message_from_record(data, orig_len, ts, None, Vec::new());
        if !push_record(read, record, RecordAt::new(at, len), "pcap record") {
            return;
        }
        source.consume(len);
    }
}
