//! The one record every capture source produces and every consumer (store,
//! decoder, views, exporters) reads: a netlink message plus who sent it, to whom,
//! and what happened to it.

use serde::{Deserialize, Serialize};

/// Which way a message went. Derived from the ports: port 0 is the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    UserToKernel,
    KernelToUser,
    UserToUser,
    KernelToKernel,
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

    /// Short form used in list views and filters (`u2k`, `k2u`, `u2u`, `k2k`).
    pub fn short(self) -> &'static str {
        match self {
            Direction::UserToKernel => "u2k",
            Direction::KernelToUser => "k2u",
            Direction::UserToUser => "u2u",
            Direction::KernelToKernel => "k2k",
        }
    }
}

/// One captured netlink message (the whole buffer handed to one delivery call,
/// which may hold several netlink messages back to back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedMessage {
    /// CLOCK_MONOTONIC nanoseconds when the kernel function was entered.
    pub ts_mono_ns: u64,
    /// Wall-clock nanoseconds since the Unix epoch, derived from `ts_mono_ns`.
    pub ts_wall_ns: u64,
    /// Process id (tgid) of the task that was running; for kernel-originated
    /// messages this is whatever task triggered the send, 0 when unknown.
    pub pid: u32,
    /// Thread id of that task.
    pub tid: u32,
    /// That task's `comm`.
    pub comm: String,
    /// Network namespace inode of the sending socket (0 when unknown).
    pub netns: u32,
    /// Netlink protocol number.
    pub protocol: u32,
    /// Sending socket's port id (0 = kernel).
    pub src_port: u32,
    /// Destination port id (0 = kernel).
    pub dst_port: u32,
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
}

impl CapturedMessage {
    pub fn direction(&self) -> Direction {
        Direction::from_ports(self.src_port, self.dst_port)
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
            src_port: 100,
            dst_port: 0,
            dst_group: 0,
            len: 29,
            hook: "netlink_unicast".into(),
            result: None,
            payload: b"Hello kernel".to_vec(),
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
