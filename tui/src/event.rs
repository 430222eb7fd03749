//! The one record every capture source produces and every consumer (store,
//! decoder, views, exporters) reads: a netlink message plus who sent it, to whom,
//! and what happened to it.

use serde::{Deserialize, Serialize};

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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<i64>,
    /// The first bytes of the buffer (at most the snap length).
    #[serde(with = "hex_bytes")]
    pub payload: Vec<u8>,
    /// For multicasts: each listener the message was queued to (result = bytes)
    /// or dropped for (result = -ENOBUFS, its queue was full).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deliveries: Vec<Delivery>,
}

/// One listener of a multicast and what happened to the message there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub port: u32,
    /// Bytes queued (>= 0) or a negative errno (-ENOBUFS: dropped, queue full).
    pub result: i64,
}

impl CapturedMessage {
    /// Which way the message went; a multicast goes to user listeners. From
    /// the ports when they are known, else what the file stated.
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

    /// True when only the first part of the buffer was captured.
    pub fn is_truncated(&self) -> bool {
        (self.payload.len() as u64) < u64::from(self.len)
    }
}

/// Payload bytes as a lowercase hex string in JSON: readable, grep-able, and
/// what `xxd -r -p` turns back into bytes.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

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
    }
}

/// Netlink protocol numbers and their names (linux/netlink.h), plus the demo
/// module's default protocol.
pub const PROTOCOLS: &[(u32, &str)] = &[
    (0, "route"),
    (2, "usersock"),
    (3, "firewall"),
    (4, "sock_diag"),
    (5, "nflog"),
    (6, "xfrm"),
    (7, "selinux"),
    (8, "iscsi"),
    (9, "audit"),
    (10, "fib_lookup"),
    (11, "connector"),
    (12, "netfilter"),
    (13, "ip6_fw"),
    (14, "dnrtmsg"),
    (15, "kobject_uevent"),
    (16, "generic"),
    (18, "scsitransport"),
    (19, "ecryptfs"),
    (20, "rdma"),
    (21, "crypto"),
    (22, "smc"),
    (30, "nlscope-demo"),
];

/// The protocol's name, or its number as text.
pub fn protocol_name(protocol: u32) -> String {
    PROTOCOLS
        .iter()
        .find(|(number, _)| *number == protocol)
        .map_or_else(|| protocol.to_string(), |(_, name)| name.to_string())
}

/// A protocol given by name (`route`, `generic`, also `uevent`, `genl`) or number.
pub fn parse_protocol(text: &str) -> Result<u32, String> {
    let text = text.trim().to_ascii_lowercase();
    if let Ok(number) = text.parse::<u32>() {
        return if number < 32 {
            Ok(number)
        } else {
            Err(format!("protocol {number} is out of range (0-31)"))
        };
    }
    let alias = match text.as_str() {
        "rtnetlink" | "rtnl" => "route",
        "genl" | "genetlink" => "generic",
        "uevent" => "kobject_uevent",
        "diag" => "sock_diag",
        "nf" => "netfilter",
        "demo" => "nlscope-demo",
        other => other,
    };
    PROTOCOLS
        .iter()
        .find(|(_, name)| *name == alias)
        .map(|(number, _)| *number)
        .ok_or_else(|| format!("unknown netlink protocol {text:?}: use a number (0-31) or a name such as route, generic, sock_diag, uevent, audit, netfilter, usersock"))
}

#[cfg(test)]
mod protocol_tests {
    use super::*;

    #[test]
    fn protocols_parse_by_name_alias_and_number() {
        assert_eq!(parse_protocol("route"), Ok(0));
        assert_eq!(parse_protocol("genl"), Ok(16));
        assert_eq!(parse_protocol("30"), Ok(30));
        assert!(parse_protocol("99").is_err());
        assert!(parse_protocol("nope")
            .unwrap_err()
            .contains("unknown netlink protocol"));
        assert_eq!(protocol_name(16), "generic");
        assert_eq!(protocol_name(29), "29");
    }
}
