//! Plain rows for the Ports and Groups views. The views only know these
//! structs, so any model (the traffic-derived one here, or `crate::ports`'
//! socket table) can feed them by building rows.

use crate::store::names;
use crate::store::stats::Stats;
use crate::ui::format;

/// One netlink socket (or the kernel) on one protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortRow {
    pub protocol: String,
    pub port: u32,
    pub pid: u32,
    pub comm: String,
    /// Multicast groups the socket is in, as text (`link,ipv4_route`), `-` when unknown.
    pub groups: String,
    pub sent: u64,
    pub received: u64,
    /// Wall-clock time of the last message, `HH:MM:SS.mmm`, or `-`.
    pub last_seen: String,
}

/// One multicast group on one protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupRow {
    pub protocol: String,
    pub group: String,
    pub number: u32,
    /// Listening sockets, when known.
    pub members: Option<u32>,
    pub messages: u64,
    pub bytes: u64,
    pub last_sender: String,
    pub last_seen: String,
}

impl PortRow {
    /// Ports seen in traffic, by protocol then port.
    pub fn from_stats(stats: &Stats) -> Vec<PortRow> {
        let mut keys: Vec<_> = stats.ports.keys().copied().collect();
        keys.sort_unstable();
        keys.into_iter()
            .map(|key| {
                let seen = &stats.ports[&key];
                PortRow {
                    protocol: names::protocol_name(key.0),
                    port: key.1,
                    pid: seen.pid,
                    comm: if key.1 == 0 {
                        "(kernel)".into()
                    } else if seen.comm.is_empty() {
                        "?".into()
                    } else {
                        seen.comm.clone()
                    },
                    groups: "-".into(),
                    sent: seen.sent,
                    received: seen.received,
                    last_seen: format::clock(seen.last_wall_ns),
                }
            })
            .collect()
    }
}

impl GroupRow {
    /// Groups seen in traffic, by protocol then group.
    pub fn from_stats(stats: &Stats) -> Vec<GroupRow> {
        stats
            .groups
            .iter()
            .map(|(&(protocol, group), seen)| GroupRow {
                protocol: names::protocol_name(protocol),
                group: names::group_label(protocol, group),
                number: group,
                members: None,
                messages: seen.messages,
                bytes: seen.bytes,
                last_sender: format!("{}[{}]", seen.last_comm, seen.last_pid),
                last_seen: format::clock(seen.last_wall_ns),
            })
            .collect()
    }
}
