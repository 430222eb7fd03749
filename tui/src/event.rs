//! The one record every capture source produces and every consumer (store,
//! decoder, views, exporters) reads: a netlink message plus who sent it, to whom,
//! and what happened to it.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

/// Which way a message went. Derived from the ports (port 0 is the kernel)
/// when both are known, else what the capture file states
/// ([`CapturedMessage::stated_direction`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    UserToKernel,
    KernelToUser,
    UserToUser,
    KernelToKernel,
    /// Neither the ports nor the file tell (another tool's record with a
    /// packet type that names no netlink direction).
    Unknown,
}

impl Direction {
    /// Direction of a message from port `src` to port `dst` (0 is the kernel).
    pub fn from_ports(src: u32, dst: u32) -> Direction {
        match (src == 0, dst == 0) {
            (false, true) => Direction::UserToKernel,
            (true, false) => Direction::KernelToUser,
            (false, false) => Direction::UserToUser,
            (true, true) => Direction::KernelToKernel,
        }
    }

    /// Short form used in list views, filters and nlscope's pcapng comment
    /// (`u2k`, `k2u`, `u2u`, `k2k`, `?`).
    pub fn short(self) -> &'static str {
        match self {
            Direction::UserToKernel => "u2k",
            Direction::KernelToUser => "k2u",
            Direction::UserToUser => "u2u",
            Direction::KernelToKernel => "k2k",
            Direction::Unknown => "?",
        }
    }

    /// Every direction, in the order help lists them.
    pub const ALL: [Direction; 5] = [
        Direction::UserToKernel,
        Direction::KernelToUser,
        Direction::UserToUser,
        Direction::KernelToKernel,
        Direction::Unknown,
    ];

    /// The direction a [`Direction::short`] form names.
    pub fn from_short(text: &str) -> Option<Direction> {
        match text {
            "u2k" => Some(Direction::UserToKernel),
            "k2u" => Some(Direction::KernelToUser),
            "u2u" => Some(Direction::UserToUser),
            "k2k" => Some(Direction::KernelToKernel),
            "?" => Some(Direction::Unknown),
            _ => None,
        }
    }
}

/// One captured netlink message (the whole buffer handed to one delivery call,
/// which may hold several netlink messages back to back).
///
/// nlscope's own captures know every field. Files from other tools (nlmon +
/// tcpdump, Wireshark) hold the packet and a cooked header only: no process
/// (pid and tid 0, comm, hook and netns empty or 0), mostly no ports (`None`,
/// shown as `?`), and the direction the header's packet type states
/// ([`CapturedMessage::stated_direction`]).
///
/// In JSON (JSON Lines files, agent frames) a cut message also carries
/// `"cut":true` after `len` (see the `Serialize` impl); readers ignore it,
/// since `len` and `payload` say the same.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CapturedMessage {
    /// CLOCK_MONOTONIC nanoseconds when the kernel function was entered.
    pub ts_mono_ns: u64,
    /// Wall-clock nanoseconds since the Unix epoch, derived from `ts_mono_ns`.
    pub ts_wall_ns: u64,
    /// Process id (tgid) of the task that was running; for kernel-originated
    /// messages this is whatever task triggered the send. 0 with an empty
    /// `comm` when unknown ([`CapturedMessage::process_known`]).
    pub pid: u32,
    /// Thread id of that task.
    pub tid: u32,
    /// That task's `comm`; empty when unknown.
    pub comm: String,
    /// Network namespace inode of the sending socket (0 when unknown).
    pub netns: u32,
    /// Netlink protocol number.
    pub protocol: u32,
    /// Sending socket's port id (0 = kernel); `None` when the capture does
    /// not say (0 would claim the kernel sent it).
    pub src_port: Option<u32>,
    /// Destination port id (0 = kernel); `None` when the capture does not say.
    pub dst_port: Option<u32>,
    /// Which way the message went as the capture file states it, for a
    /// record whose ports do not tell: another tool's cooked header says
    /// whether a kernel or a user socket received the message, not which
    /// ports. Set only when a port is `None`; the ports decide otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_direction: Option<Direction>,
    /// Destination multicast group (0 = unicast).
    pub dst_group: u32,
    /// Length of the whole message buffer in the kernel.
    pub len: u32,
    /// Kernel function that saw the message (e.g. `netlink_unicast`).
    pub hook: String,
    /// Delivery result when known: bytes delivered (>= 0) or a negative errno.
    #[serde(default)]
    pub result: Option<i64>,
    /// The captured bytes: the whole buffer, or its first bytes when the
    /// capture was cut (a `--snaplen` cap, or a file recorded with one).
    #[serde(deserialize_with = "hex_bytes::deserialize")]
    pub payload: Vec<u8>,
    /// For multicasts: each listener the message was queued to (result = bytes)
    /// or dropped for (result = -ENOBUFS, its queue was full).
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
}

/// One listener of a multicast and what happened to the message there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub port: u32,
    /// Bytes queued (>= 0) or a negative errno (-ENOBUFS: dropped, queue full).
    pub result: i64,
}

/// The questions a whole message and its metadata ([`MessageMeta`]) both
/// answer from the fields they share, written once for both; each type
/// says how many bytes were captured (`captured_len`).
macro_rules! answers_from_fields {
    ($type:ty) => {
        impl $type {
            /// Which way the message went; a multicast goes to user
            /// listeners. From the ports when they are known, else what the
            /// file stated.
            pub fn direction(&self) -> Direction {
                match (self.src_port, self.dst_port) {
                    (Some(0), _) if self.dst_group != 0 => Direction::KernelToUser,
                    (Some(_), _) if self.dst_group != 0 => Direction::UserToUser,
                    (Some(src), Some(dst)) => Direction::from_ports(src, dst),
                    _ => self.stated_direction.unwrap_or(Direction::Unknown),
                }
            }

            /// False when the capture names no process (another tool's file).
            pub fn process_known(&self) -> bool {
                self.pid != 0 || !self.comm.is_empty()
            }

            pub fn is_multicast(&self) -> bool {
                self.dst_group != 0
            }

            /// True when only the first part of the buffer was captured (the
            /// message is cut).
            pub fn is_truncated(&self) -> bool {
                self.captured_len() < u64::from(self.len)
            }

            /// `64 of 216 bytes captured` when the message is cut (see
            /// [`cut_text`]).
            pub fn cut_text(&self) -> Option<String> {
                self.is_truncated()
                    .then(|| cut_text(self.captured_len() as usize, u64::from(self.len)))
            }
        }
    };
}

answers_from_fields!(CapturedMessage);
answers_from_fields!(MessageMeta);

impl CapturedMessage {
    fn captured_len(&self) -> u64 {
        self.payload.len() as u64
    }
}

/// A captured message without its bytes: every field of
/// [`CapturedMessage`] but `payload` (`captured` says how long it is) and
/// `deliveries`. What the store keeps of each message, so that memory
/// holds a capture's metadata, not its bytes; the names are
/// [`Name`]s, 4 bytes each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageMeta {
    pub ts_mono_ns: u64,
    pub ts_wall_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub comm: Name,
    pub netns: u32,
    pub protocol: u32,
    pub src_port: Option<u32>,
    pub dst_port: Option<u32>,
    pub stated_direction: Option<Direction>,
    pub dst_group: u32,
    pub len: u32,
    pub hook: Name,
    pub result: Option<i64>,
    /// How many bytes were captured (the payload's length).
    pub captured: u32,
}

impl MessageMeta {
    pub fn of(message: &CapturedMessage) -> MessageMeta {
        MessageMeta {
            ts_mono_ns: message.ts_mono_ns,
            ts_wall_ns: message.ts_wall_ns,
            pid: message.pid,
            tid: message.tid,
            comm: Name::new(&message.comm),
            netns: message.netns,
            protocol: message.protocol,
            src_port: message.src_port,
            dst_port: message.dst_port,
            stated_direction: message.stated_direction,
            dst_group: message.dst_group,
            len: message.len,
            hook: Name::new(&message.hook),
            result: message.result,
            captured: u32::try_from(message.payload.len()).unwrap_or(u32::MAX),
        }
    }

    /// The whole message again, with its bytes and deliveries.
    pub fn with_body(&self, payload: Vec<u8>, deliveries: Vec<Delivery>) -> CapturedMessage {
        CapturedMessage {
            ts_mono_ns: self.ts_mono_ns,
            ts_wall_ns: self.ts_wall_ns,
            pid: self.pid,
            tid: self.tid,
            comm: self.comm.to_string(),
            netns: self.netns,
            protocol: self.protocol,
            src_port: self.src_port,
            dst_port: self.dst_port,
            stated_direction: self.stated_direction,
            dst_group: self.dst_group,
            len: self.len,
            hook: self.hook.to_string(),
            result: self.result,
            payload,
            deliveries,
        }
    }

    fn captured_len(&self) -> u64 {
        u64::from(self.captured)
    }
}

/// A short text many messages share (a process name, a kernel function),
/// kept once for the whole program: 4 bytes in each message instead of a
/// string. Names are never freed: a capture has few distinct ones, and
/// past [`Name::MAX`] of them a new one reads as [`Name::TOO_MANY`].
///
/// Serialized as its id, which means something only in this process: for
/// the store's pages on disk, never for a file another process reads.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Name(u32);

#[derive(Default)]
struct Names {
    texts: Vec<&'static str>,
    ids: std::collections::HashMap<&'static str, u32, foldhash::fast::RandomState>,
}

static NAMES: std::sync::RwLock<Option<Names>> = std::sync::RwLock::new(None);

impl Name {
    /// Distinct names kept at most.
    pub const MAX: usize = 1 << 20;
    /// What a name past [`Name::MAX`] reads as.
    pub const TOO_MANY: &'static str = "(too many names)";

    pub fn new(text: &str) -> Name {
        let known = |names: &Option<Names>| names.as_ref()?.ids.get(text).copied();
        if let Some(id) = known(&NAMES.read().unwrap_or_else(|e| e.into_inner())) {
            return Name(id);
        }
        let mut names = NAMES.write().unwrap_or_else(|e| e.into_inner());
        let names = names.get_or_insert_with(Names::default);
        if let Some(&id) = names.ids.get(text) {
            return Name(id);
        }
        let text: &'static str = if names.texts.len() < Name::MAX {
            Box::leak(text.into())
        } else {
            Name::TOO_MANY
        };
        let id = *names.ids.entry(text).or_insert(names.texts.len() as u32);
        if id as usize == names.texts.len() {
            names.texts.push(text);
        }
        Name(id)
    }

    pub fn as_str(&self) -> &'static str {
        let names = NAMES.read().unwrap_or_else(|e| e.into_inner());
        names
            .as_ref()
            .and_then(|names| names.texts.get(self.0 as usize).copied())
            .unwrap_or_default()
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// What marks a cut message or field wherever it is shown (`cut: ...`).
pub const CUT_LABEL: &str = "cut";

/// How a cut is worded everywhere (the hex and detail panes, the decoded
/// tree, `nlscope decode`), after [`CUT_LABEL`]: `64 of 216 bytes captured`.
pub fn cut_text(captured: usize, whole: u64) -> String {
    format!("{captured} of {whole} bytes captured")
}

/// The JSON form: every field in declaration order, `result` and
/// `deliveries` only when there are some, and `"cut":true` after `len` when
/// the message is cut, so a reader of the file (`jq 'select(.cut)'`) need
/// not compare lengths. Written by hand because `cut` is derived, not stored;
/// `format::jsonl::format_line` writes the same bytes faster (tested).
impl Serialize for CapturedMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let optional = usize::from(self.result.is_some())
            + usize::from(self.stated_direction.is_some())
            + usize::from(self.is_truncated())
            + usize::from(!self.deliveries.is_empty());
        let mut out = serializer.serialize_struct("CapturedMessage", 13 + optional)?;
        out.serialize_field("ts_mono_ns", &self.ts_mono_ns)?;
        out.serialize_field("ts_wall_ns", &self.ts_wall_ns)?;
        out.serialize_field("pid", &self.pid)?;
        out.serialize_field("tid", &self.tid)?;
        out.serialize_field("comm", &self.comm)?;
        out.serialize_field("netns", &self.netns)?;
        out.serialize_field("protocol", &self.protocol)?;
        out.serialize_field("src_port", &self.src_port)?;
        out.serialize_field("dst_port", &self.dst_port)?;
        if let Some(direction) = self.stated_direction {
            out.serialize_field("stated_direction", &direction)?;
        }
        out.serialize_field("dst_group", &self.dst_group)?;
        out.serialize_field("len", &self.len)?;
        if self.is_truncated() {
            out.serialize_field(CUT_LABEL, &true)?;
        }
        out.serialize_field("hook", &self.hook)?;
        if let Some(result) = self.result {
            out.serialize_field("result", &result)?;
        }
        out.serialize_field("payload", &hex::encode(&self.payload))?;
        if !self.deliveries.is_empty() {
            out.serialize_field("deliveries", &self.deliveries)?;
        }
        out.end()
    }
}

/// Payload bytes are a lowercase hex string in JSON: readable, grep-able, and
/// what `xxd -r -p` turns back into bytes.
mod hex_bytes {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CapturedMessage {
        CapturedMessage {
            ts_mono_ns: 1,
            ts_wall_ns: 2,
            pid: 42,
            tid: 43,
            comm: "client".into(),
            netns: 4026531840,
            protocol: 30,
            src_port: Some(100),
            dst_port: Some(0),
            stated_direction: None,
            dst_group: 0,
            len: 29,
            hook: "netlink_unicast".into(),
            result: None,
            payload: b"Hello kernel".to_vec(),
            deliveries: Vec::new(),
        }
    }

    #[test]
    fn directions_follow_the_ports() {
        assert_eq!(Direction::from_ports(5, 0), Direction::UserToKernel);
        assert_eq!(Direction::from_ports(0, 5), Direction::KernelToUser);
        assert_eq!(Direction::from_ports(5, 6), Direction::UserToUser);
        assert_eq!(sample().direction().short(), "u2k");
    }

    #[test]
    fn unknown_ports_take_the_stated_direction() {
        let mut message = sample();
        message.src_port = None;
        assert_eq!(message.direction(), Direction::Unknown);
        message.stated_direction = Some(Direction::UserToKernel);
        assert_eq!(message.direction(), Direction::UserToKernel);
        // Known ports decide, whatever was stated.
        message.src_port = Some(0);
        message.dst_port = Some(7);
        assert_eq!(message.direction(), Direction::KernelToUser);
        for direction in Direction::ALL {
            assert_eq!(Direction::from_short(direction.short()), Some(direction));
        }
    }

    #[test]
    fn unknown_ports_are_null_in_json() {
        let mut message = sample();
        message.src_port = None;
        message.stated_direction = Some(Direction::UserToKernel);
        let line = serde_json::to_string(&message).unwrap();
        assert!(line.contains("\"src_port\":null,\"dst_port\":0"), "{line}");
        assert!(
            line.contains("\"stated_direction\":\"user_to_kernel\""),
            "{line}"
        );
        let back: CapturedMessage = serde_json::from_str(&line).unwrap();
        assert_eq!(back, message);
        // Lines nlscope wrote before ports could be unknown read the same.
        let old = serde_json::to_string(&sample()).unwrap();
        assert!(!old.contains("stated_direction"), "{old}");
    }

    #[test]
    fn json_round_trip_keeps_every_field() {
        let message = sample();
        let line = serde_json::to_string(&message).unwrap();
        assert!(
            line.contains("\"payload\":\"48656c6c6f206b65726e656c\""),
            "{line}"
        );
        let back: CapturedMessage = serde_json::from_str(&line).unwrap();
        assert_eq!(back, message);
    }

    #[test]
    fn truncation_is_reported() {
        let mut message = sample();
        message.len = 5000;
        assert!(message.is_truncated());
        assert_eq!(
            message.cut_text().as_deref(),
            Some("12 of 5000 bytes captured")
        );
        message.len = 12;
        assert_eq!(message.cut_text(), None);
    }

    #[test]
    fn only_a_cut_message_says_cut_in_json() {
        let mut message = sample();
        message.len = 12;
        let whole = serde_json::to_string(&message).unwrap();
        assert!(!whole.contains("cut"), "{whole}");
        message.len = 5000;
        let cut = serde_json::to_string(&message).unwrap();
        assert!(cut.contains(r#""len":5000,"cut":true,"hook""#), "{cut}");
        let back: CapturedMessage = serde_json::from_str(&cut).unwrap();
        assert_eq!(back, message);
    }
}
