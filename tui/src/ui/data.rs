//! Plain rows for the Ports and Groups views. The views only know these
//! structs; they are built from the socket table (`crate::ports`) and the
//! group model (`crate::ports::model`) when nlscope can read this machine's
//! sockets, or from what the traffic implies (a capture file, an agent).

use crate::decode::{self, DecodeContext};
use crate::event::MessageMeta;
use crate::ports::{GroupModel, PortTable};
use crate::store::names;
use crate::store::stats::Stats;
use crate::ui::format;

/// One netlink socket (or the kernel) on one protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortRow {
    pub protocol: String,
    pub port: u32,
    pub pid: u32,
    /// The owning processes' names (several joined by `,`), `(kernel)` or `?`.
    pub comm: String,
    /// Multicast groups the socket is in, as text (`link,ipv4_route`), `-` when unknown.
    pub groups: String,
    /// Bytes waiting in the receive queue (socket table only).
    pub rmem: Option<u64>,
    /// Messages the socket dropped (socket table only).
    pub drops: Option<u64>,
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
    /// Subscribed sockets, when the socket table is known.
    pub members: Option<u32>,
    /// The subscribers' processes (`comm[pid]`, joined by `,`), `-` or `?`.
    pub processes: String,
    pub messages: u64,
    pub bytes: u64,
    pub last_sender: String,
    pub last_seen: String,
    /// The decoded summary of the last message sent to the group.
    pub last_summary: String,
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
                    rmem: None,
                    drops: None,
                    sent: seen.sent,
                    received: seen.received,
                    last_seen: format::clock(seen.last_wall_ns),
                }
            })
            .collect()
    }

    /// Every socket of the table, with the traffic counted for its port.
    pub fn from_table(table: &PortTable, stats: &Stats) -> Vec<PortRow> {
        table
            .sockets
            .iter()
            .map(|socket| {
                let seen = stats.ports.get(&(socket.protocol, socket.port));
                let comm = if socket.kernel && socket.owners.is_empty() {
                    "(kernel)".to_string()
                } else if socket.owners.is_empty() {
                    "?".to_string()
                } else {
                    let mut comms: Vec<&str> =
                        socket.owners.iter().map(|o| o.comm.as_str()).collect();
                    comms.dedup();
                    comms.join(",")
                };
                let groups = if socket.groups.is_empty() {
                    "-".to_string()
                } else {
                    socket
                        .groups
                        .iter()
                        .map(|g| names::short_group_name(&g.name))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                PortRow {
                    protocol: socket.protocol_name.clone(),
                    port: socket.port,
                    pid: socket.owners.first().map_or(0, |o| o.pid),
                    comm,
                    groups,
                    rmem: Some(socket.rmem),
                    drops: socket.drops,
                    sent: seen.map_or(0, |s| s.sent),
                    received: seen.map_or(0, |s| s.received),
                    last_seen: seen.map_or_else(|| "-".into(), |s| format::clock(s.last_wall_ns)),
                }
            })
            .collect()
    }
}

impl GroupRow {
    /// The group model's groups. `subscribers_known` is false when no socket
    /// table was read (a capture file): members then show as unknown.
    pub fn from_model(
        model: &GroupModel,
        subscribers_known: bool,
        context: &DecodeContext,
    ) -> Vec<GroupRow> {
        model
            .iter()
            .map(|entry| {
                let processes = entry
                    .processes()
                    .iter()
                    .map(|(pid, comm)| format!("{comm}[{pid}]"))
                    .collect::<Vec<_>>();
                let (last_sender, last_seen, last_summary) = match &entry.last {
                    Some(m) => (
                        format::process(&MessageMeta::of(m)),
                        format::clock(m.ts_wall_ns),
                        decode::summarize(m, context),
                    ),
                    None => ("-".into(), "-".into(), String::new()),
                };
                GroupRow {
                    protocol: entry.protocol_name.clone(),
                    group: names::short_group_name(&entry.name),
                    number: entry.key.group,
                    members: subscribers_known.then_some(entry.subscribers.len() as u32),
                    processes: if !subscribers_known {
                        "?".into()
                    } else if processes.is_empty() {
                        "-".into()
                    } else {
                        processes.join(",")
                    },
                    messages: entry.messages,
                    bytes: entry.bytes,
                    last_sender,
                    last_seen,
                    last_summary,
                }
            })
            .collect()
    }
}
