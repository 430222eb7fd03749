//! The port table: every netlink socket of this network namespace with its
//! protocol, port id, multicast groups (named), queue, drops, inode and the
//! processes holding it; and the group model built on it (`model`).
//!
//! Sources: netlink_diag (`diag`: full group bitmaps, meminfo, state) merged
//! by inode with `/proc/net/netlink` (`proc_net`: first 32 groups, drops),
//! owners from `/proc/PID/fd` (`owners`), generic netlink group names from
//! nlctrl (`genl`).

pub mod diag;
pub mod genl;
pub mod model;
pub mod names;
pub mod owners;
pub mod proc_net;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use self::diag::DiagEntry;
use self::names::GroupNames;
use self::owners::{Owner, OwnerMap};
use self::proc_net::ProcEntry;
use crate::netlink::groups::groups_from_mask32;
use crate::netlink::names::protocol_name;
use crate::netlink::{
    SK_MEMINFO_DROPS, SK_MEMINFO_RCVBUF, SK_MEMINFO_RMEM_ALLOC, SK_MEMINFO_WMEM_ALLOC,
};

pub use self::model::{GroupEntry, GroupKey, GroupModel};

/// A multicast group with its name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NamedGroup {
    pub group: u32,
    pub name: String,
}

/// One netlink socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortEntry {
    pub protocol: u32,
    pub protocol_name: String,
    /// Port id (0 for the kernel's socket of the protocol).
    pub port: u32,
    /// The kernel's own socket (port 0).
    pub kernel: bool,
    /// `raw` or `dgram` (netlink_diag only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sock_type: Option<String>,
    /// `unconnected` or `connected` (netlink_diag only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub dst_port: u32,
    pub dst_group: u32,
    /// Every subscribed group (all of them from netlink_diag, only 1-32 when
    /// only `/proc/net/netlink` knew the socket).
    pub groups: Vec<NamedGroup>,
    /// Bytes waiting in the receive queue.
    pub rmem: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcvbuf: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wmem: Option<u64>,
    /// Messages dropped (receive queue full), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drops: Option<u64>,
    /// A dump is running on this socket (`/proc/net/netlink` Dump column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dump_running: Option<bool>,
    pub inode: u64,
    /// Processes holding the socket open (empty for kernel sockets, and for
    /// other users' processes without privilege).
    pub owners: Vec<Owner>,
    /// Where the row came from: `netlink_diag`, `proc`, or both.
    pub sources: Vec<String>,
}

impl PortEntry {
    /// `kernel`, or the port id.
    pub fn port_label(&self) -> String {
        if self.kernel {
            "kernel".to_owned()
        } else {
            self.port.to_string()
        }
    }
}

/// Every netlink socket, plus what could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortTable {
    pub sockets: Vec<PortEntry>,
    /// Missing sources and partial results, one sentence each.
    pub notes: Vec<String>,
    #[serde(skip)]
    pub names: GroupNames,
}

fn sock_type_name(t: u8) -> String {
    match t {
        2 => "dgram".to_owned(),
        3 => "raw".to_owned(),
        other => other.to_string(),
    }
}

fn state_name(s: u8) -> String {
    match s {
        1 => "connected".to_owned(),
        7 => "unconnected".to_owned(),
        other => other.to_string(),
    }
}

/// Merges the sources into the table (pure: no I/O). Rows are matched by
/// inode; netlink_diag wins for groups and memory, `/proc` fills in what it
/// lacks and adds sockets only it saw.
pub fn merge(
    diag: &[DiagEntry],
    proc_entries: &[ProcEntry],
    owners: &OwnerMap,
    names: &GroupNames,
) -> Vec<PortEntry> {
    let named = |protocol: u32, groups: &[u32]| -> Vec<NamedGroup> {
        groups
            .iter()
            .map(|&group| NamedGroup {
                group,
                name: names.name(protocol, group),
            })
            .collect()
    };
    let mut rows: BTreeMap<(u32, u32, u64), PortEntry> = BTreeMap::new();
    for d in diag {
        let inode = u64::from(d.inode);
        let mem = |i: usize| {
            d.meminfo
                .as_ref()
                .and_then(|m| m.get(i))
                .map(|&v| u64::from(v))
        };
        let row = PortEntry {
            protocol: d.protocol,
            protocol_name: protocol_name(d.protocol),
            port: d.portid,
            kernel: d.portid == 0,
            sock_type: Some(sock_type_name(d.sock_type)),
            state: Some(state_name(d.state)),
            dst_port: d.dst_portid,
            dst_group: d.dst_group,
            groups: named(d.protocol, &d.groups),
            rmem: mem(SK_MEMINFO_RMEM_ALLOC).unwrap_or(0),
            rcvbuf: mem(SK_MEMINFO_RCVBUF),
            wmem: mem(SK_MEMINFO_WMEM_ALLOC),
            drops: mem(SK_MEMINFO_DROPS),
            dump_running: None,
            inode,
            owners: owners.by_inode.get(&inode).cloned().unwrap_or_default(),
            sources: vec!["netlink_diag".to_owned()],
        };
        rows.insert((d.protocol, d.portid, inode), row);
    }
    for p in proc_entries {
        let key = (p.protocol, p.portid, p.inode);
        if let Some(row) = rows.get_mut(&key) {
            row.drops = row.drops.or(Some(p.drops));
            row.wmem = row.wmem.or(u64::try_from(p.wmem).ok());
            row.dump_running = Some(p.dump != 0);
            row.sources.push("proc".to_owned());
            continue;
        }
        rows.insert(
            key,
            PortEntry {
                protocol: p.protocol,
                protocol_name: protocol_name(p.protocol),
                port: p.portid,
                kernel: p.portid == 0,
                sock_type: None,
                state: None,
                dst_port: 0,
                dst_group: 0,
                groups: named(p.protocol, &groups_from_mask32(p.groups32)),
                rmem: u64::try_from(p.rmem).unwrap_or(0),
                rcvbuf: None,
                wmem: u64::try_from(p.wmem).ok(),
                drops: Some(p.drops),
                dump_running: Some(p.dump != 0),
                inode: p.inode,
                owners: owners.by_inode.get(&p.inode).cloned().unwrap_or_default(),
                sources: vec!["proc".to_owned()],
            },
        );
    }
    rows.into_values().collect()
}

impl PortTable {
    /// Reads every source. Fails only when neither netlink_diag nor
    /// `/proc/net/netlink` could be read; anything else missing becomes a note.
    pub fn read() -> anyhow::Result<PortTable> {
        let mut notes = Vec::new();
        let diag = match diag::dump() {
            Ok(entries) => Some(entries),
            Err(error) => {
                notes.push(format!(
                    "{error:#}; groups above 32 and socket state are unknown"
                ));
                None
            }
        };
        let proc_entries = match proc_net::read() {
            Ok((entries, problems)) => {
                notes.extend(problems);
                Some(entries)
            }
            Err(error) => {
                notes.push(format!("{error:#}"));
                None
            }
        };
        if diag.is_none() && proc_entries.is_none() {
            anyhow::bail!("cannot list netlink sockets: {}", notes.join("; "));
        }
        let owners = match owners::scan(Path::new("/proc")) {
            Ok(map) => {
                if map.unreadable > 0 {
                    notes.push(format!(
                        "{} of {} processes could not be inspected (their sockets show no owner; \
                         run as root or with CAP_SYS_PTRACE to see them)",
                        map.unreadable, map.scanned
                    ));
                }
                map
            }
            Err(error) => {
                notes.push(format!("cannot scan /proc for socket owners: {error}"));
                OwnerMap::default()
            }
        };
        let names = match genl::resolve_groups() {
            Ok(genl) => GroupNames::with_genl(genl),
            Err(error) => {
                notes.push(format!(
                    "{error:#}; generic netlink groups are shown by number"
                ));
                GroupNames::default()
            }
        };
        let sockets = merge(
            diag.as_deref().unwrap_or(&[]),
            proc_entries.as_deref().unwrap_or(&[]),
            &owners,
            &names,
        );
        Ok(PortTable {
            sockets,
            notes,
            names,
        })
    }

    /// The row of socket `inode`.
    pub fn by_inode(&self, inode: u64) -> Option<&PortEntry> {
        self.sockets.iter().find(|s| s.inode == inode)
    }

    /// The row of `(protocol, port)` (user sockets are unique by port).
    pub fn by_port(&self, protocol: u32, port: u32) -> Option<&PortEntry> {
        self.sockets
            .iter()
            .find(|s| s.protocol == protocol && s.port == port)
    }

    /// The aligned text table `nlscope ports` prints.
    pub fn render(&self) -> String {
        let header = [
            "PROTO", "PORT", "PID/COMM", "GROUPS", "RMEM", "DROPS", "INODE",
        ];
        let rows: Vec<[String; 7]> = self
            .sockets
            .iter()
            .map(|s| {
                let owners = if s.kernel && s.owners.is_empty() {
                    "-".to_owned()
                } else if s.owners.is_empty() {
                    "?".to_owned()
                } else {
                    s.owners
                        .iter()
                        .map(|o| format!("{}/{}", o.pid, o.comm))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let groups = if s.groups.is_empty() {
                    "-".to_owned()
                } else {
                    s.groups
                        .iter()
                        .map(|g| g.name.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                [
                    s.protocol_name.clone(),
                    s.port_label(),
                    owners,
                    groups,
                    s.rmem.to_string(),
                    s.drops.map(|d| d.to_string()).unwrap_or_else(|| "?".into()),
                    s.inode.to_string(),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[&str]| -> String {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let numeric = matches!(i, 4..=6);
                if i + 1 == cells.len() {
                    out.push_str(&format!("{cell:>w$}", w = widths[i]));
                } else if numeric {
                    out.push_str(&format!("{cell:>w$}  ", w = widths[i]));
                } else {
                    out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
                }
            }
            out.trim_end().to_owned() + "\n"
        };
        let mut out = line(&header);
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            out.push_str(&line(&cells));
        }
        out
    }
}

/// Arguments of `nlscope ports`.
#[derive(Debug, clap::Args)]
pub struct PortsArgs {
    /// Print JSON (sockets and notes) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `nlscope ports`: print the table (notes go to stderr in table mode).
pub fn run(args: PortsArgs) -> anyhow::Result<()> {
    let table = PortTable::read()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &table)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        out.write_all(table.render().as_bytes())
    };
    match written {
        Ok(()) => {}
        // `nlscope ports | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(anyhow::anyhow!("cannot write the table: {e}")),
    }
    if !args.json {
        for note in &table.notes {
            eprintln!("nlscope: note: {note}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
