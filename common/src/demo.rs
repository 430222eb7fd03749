//! The demo module's command set (`kmod/nlscope_demo.c`), defined once.
//!
//! The C definition is `kmod/nlscope_demo_abi.h`; the test at the bottom reads
//! that header and fails when a number or a struct field differs, so the two
//! cannot drift. See the header for what each command does and how errors are
//! answered.
//!
//! A command is a netlink message to port 0 whose `nlmsg_type` is one of the
//! `CMD_*` values (all >= `NLMSG_MIN_TYPE`), with a [`CmdHeader`] body followed
//! by exactly `payload_len` payload bytes. A message whose type is below
//! `NLMSG_MIN_TYPE` is the seed's plain message, answered with
//! [`HELLO_REPLY`].

/// Netlink protocol the module registers by default (module parameter `protocol`).
pub const DEFAULT_PROTOCOL: u32 = 30;
/// Multicast groups the module has by default (module parameter `groups`).
pub const DEFAULT_GROUPS: u32 = 32;

/// Reply with the payload.
pub const CMD_ECHO: u16 = 0x10;
/// Send the payload to port `target` (kernel -> user unicast).
pub const CMD_UNICAST: u16 = 0x11;
/// Send the payload to group `target` (kernel -> user multicast).
pub const CMD_MULTICAST: u16 = 0x12;
/// Reply with the counters ([`Stats`]).
pub const CMD_STATS: u16 = 0x13;

/// Every command, with its name.
pub const COMMANDS: [(u16, &str); 4] = [
    (CMD_ECHO, "ECHO"),
    (CMD_UNICAST, "UNICAST"),
    (CMD_MULTICAST, "MULTICAST"),
    (CMD_STATS, "STATS"),
];

/// Longest payload a command may carry.
pub const MAX_PAYLOAD: u32 = 1024;

/// The module's answer to a plain (seed) message.
pub const HELLO_REPLY: &str = "Hello userspace";

/// Body of every command, in host byte order.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CmdHeader {
    /// Port (UNICAST), group (MULTICAST), else 0.
    pub target: u32,
    /// Payload bytes after this header.
    pub payload_len: u32,
}

/// Size of [`CmdHeader`].
pub const CMD_SIZE: usize = 8;

impl CmdHeader {
    pub fn to_bytes(self) -> [u8; CMD_SIZE] {
        let mut out = [0u8; CMD_SIZE];
        out[..4].copy_from_slice(&self.target.to_ne_bytes());
        out[4..].copy_from_slice(&self.payload_len.to_ne_bytes());
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<CmdHeader> {
        let b = bytes.get(..CMD_SIZE)?;
        Some(CmdHeader {
            target: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            payload_len: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        })
    }
}

/// The module's counters since load, as the STATS reply carries them.
/// `messages == plain + cmd_ok + cmd_errors`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams the module's socket received.
    pub received: u64,
    /// Well-formed netlink messages in them.
    pub messages: u64,
    /// Datagrams that ended in a malformed message.
    pub malformed: u64,
    /// Seed messages (type < NLMSG_MIN_TYPE).
    pub plain: u64,
    /// Commands that succeeded.
    pub cmd_ok: u64,
    /// Commands answered with an error.
    pub cmd_errors: u64,
    /// Messages the module queued (replies, unicasts, multicasts).
    pub sent: u64,
    /// Sends that failed.
    pub send_errors: u64,
    /// NLMSG_ERROR acks and error replies sent.
    pub acks: u64,
}

/// Size of [`Stats`].
pub const STATS_SIZE: usize = 72;

/// [`Stats`] field names, in order (as in the C struct).
pub const STATS_FIELDS: [&str; 9] = [
    "received",
    "messages",
    "malformed",
    "plain",
    "cmd_ok",
    "cmd_errors",
    "sent",
    "send_errors",
    "acks",
];

impl Stats {
    pub fn from_bytes(bytes: &[u8]) -> Option<Stats> {
        let bytes = bytes.get(..STATS_SIZE)?;
        let mut values = [0u64; 9];
        for (i, value) in values.iter_mut().enumerate() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            *value = u64::from_ne_bytes(word);
        }
        let [received, messages, malformed, plain, cmd_ok, cmd_errors, sent, send_errors, acks] =
            values;
        Some(Stats {
            received,
            messages,
            malformed,
            plain,
            cmd_ok,
            cmd_errors,
            sent,
            send_errors,
            acks,
        })
    }

    /// The counters in [`STATS_FIELDS`] order.
    pub fn values(&self) -> [u64; 9] {
        [
            self.received,
            self.messages,
            self.malformed,
            self.plain,
            self.cmd_ok,
            self.cmd_errors,
            self.sent,
            self.send_errors,
            self.acks,
        ]
    }
}

/// The name of demo command `kind`, if it is one.
pub fn command_name(kind: u16) -> Option<&'static str> {
    COMMANDS
        .iter()
        .find(|(number, _)| *number == kind)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::mem::{offset_of, size_of};
    use std::string::String;
    use std::vec::Vec;

    const HEADER: &str = include_str!("../../kmod/nlscope_demo_abi.h");

    fn define(name: &str) -> String {
        HEADER
            .lines()
            .filter_map(|line| line.strip_prefix("#define "))
            .filter_map(|rest| rest.split_once(char::is_whitespace))
            .find(|(n, _)| *n == name)
            .map(|(_, value)| String::from(value.trim()))
            .unwrap_or_else(|| panic!("kmod/nlscope_demo_abi.h has no #define {name}"))
    }

    fn number(name: &str) -> u64 {
        let text = define(name);
        match text.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).unwrap(),
            None => text.parse().unwrap(),
        }
    }

    /// Field names of `struct NAME { ... };` in the header, in order.
    fn struct_fields(name: &str) -> Vec<String> {
        let start = HEADER
            .find(&std::format!("struct {name} {{"))
            .unwrap_or_else(|| panic!("no struct {name} in the header"));
        let body = &HEADER[start..];
        let body = &body[body.find('{').unwrap() + 1..body.find("};").unwrap()];
        body.lines()
            .map(|line| line.split("/*").next().unwrap().trim())
            .filter(|line| !line.is_empty())
            .map(|line| {
                assert!(
                    line.starts_with("__u32 ") || line.starts_with("__u64 "),
                    "{line}"
                );
                String::from(line[6..].trim_end_matches(';').trim())
            })
            .collect()
    }

    #[test]
    fn numbers_match_the_c_header() {
        assert_eq!(number("NLSCOPE_DEMO_PROTOCOL"), DEFAULT_PROTOCOL as u64);
        assert_eq!(number("NLSCOPE_DEMO_GROUPS"), DEFAULT_GROUPS as u64);
        assert_eq!(number("NLSCOPE_DEMO_CMD_ECHO"), CMD_ECHO as u64);
        assert_eq!(number("NLSCOPE_DEMO_CMD_UNICAST"), CMD_UNICAST as u64);
        assert_eq!(number("NLSCOPE_DEMO_CMD_MULTICAST"), CMD_MULTICAST as u64);
        assert_eq!(number("NLSCOPE_DEMO_CMD_STATS"), CMD_STATS as u64);
        assert_eq!(number("NLSCOPE_DEMO_MAX_PAYLOAD"), MAX_PAYLOAD as u64);
        assert_eq!(number("NLSCOPE_DEMO_CMD_SIZE"), CMD_SIZE as u64);
        assert_eq!(number("NLSCOPE_DEMO_STATS_SIZE"), STATS_SIZE as u64);
        assert_eq!(
            define("NLSCOPE_DEMO_HELLO_REPLY"),
            std::format!("\"{HELLO_REPLY}\"")
        );
        // Every command the header defines is known here, and no other.
        let in_header = HEADER
            .lines()
            .filter(|l| l.starts_with("#define NLSCOPE_DEMO_CMD_") && !l.contains("_CMD_SIZE"))
            .count();
        assert_eq!(in_header, COMMANDS.len());
    }

    #[test]
    fn structs_match_the_c_header() {
        assert_eq!(struct_fields("nlscope_demo_cmd"), ["target", "payload_len"]);
        assert_eq!(struct_fields("nlscope_demo_stats"), STATS_FIELDS);
        assert_eq!(size_of::<CmdHeader>(), CMD_SIZE);
        assert_eq!(offset_of!(CmdHeader, payload_len), 4);
        assert_eq!(size_of::<Stats>(), STATS_SIZE);
        assert_eq!(offset_of!(Stats, acks), 64);
    }

    #[test]
    fn commands_are_above_the_control_types() {
        for (number, _) in COMMANDS {
            assert!(number >= 0x10, "NLMSG_MIN_TYPE is 0x10");
        }
        assert_eq!(command_name(CMD_STATS), Some("STATS"));
        assert_eq!(command_name(3), None);
    }

    #[test]
    fn bytes_round_trip() {
        let header = CmdHeader {
            target: 4242,
            payload_len: 5,
        };
        assert_eq!(CmdHeader::from_bytes(&header.to_bytes()), Some(header));
        let mut raw = [0u8; STATS_SIZE];
        raw[64] = 7;
        raw[0] = 1;
        let stats = Stats::from_bytes(&raw).unwrap();
        assert_eq!((stats.received, stats.acks), (1, 7));
        assert_eq!(stats.values()[8], 7);
        assert!(Stats::from_bytes(&raw[..71]).is_none());
    }
}
