//! The group model: per (protocol, multicast group), who is subscribed
//! (ports and processes, from the port table) and what was sent to it
//! (messages counted from captured traffic). Pure data: the caller feeds it
//! a [`PortTable`] now and then and every [`CapturedMessage`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::names::GroupNames;
use super::owners::Owner;
use super::PortTable;
use crate::event::CapturedMessage;
use crate::netlink::names::protocol_name;

/// A multicast group of one protocol (group numbers are 1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct GroupKey {
    pub protocol: u32,
    pub group: u32,
}

/// A socket subscribed to a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subscriber {
    pub port: u32,
    pub inode: u64,
    pub owners: Vec<Owner>,
}

/// What is known about one group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupEntry {
    pub key: GroupKey,
    pub protocol_name: String,
    pub name: String,
    /// Subscribed sockets as of the last [`GroupModel::update_ports`].
    pub subscribers: Vec<Subscriber>,
    /// Messages sent to the group since the model was created.
    pub messages: u64,
    /// Their total length (kernel buffer lengths).
    pub bytes: u64,
    /// The most recent one.
    pub last: Option<CapturedMessage>,
}

impl GroupEntry {
    /// The processes behind the subscribers, each once, by pid.
    pub fn processes(&self) -> Vec<(u32, String)> {
        let mut seen = BTreeMap::new();
        for owner in self.subscribers.iter().flat_map(|s| &s.owners) {
            seen.entry(owner.pid).or_insert_with(|| owner.comm.clone());
        }
        seen.into_iter().collect()
    }
}

/// Every group that has subscribers or has seen traffic.
#[derive(Clone, Debug, Default)]
pub struct GroupModel {
    groups: BTreeMap<GroupKey, GroupEntry>,
    names: GroupNames,
}

impl GroupModel {
    pub fn new(names: GroupNames) -> Self {
        GroupModel {
            groups: BTreeMap::new(),
            names,
        }
    }

    /// A model with the table's subscriptions and group names.
    pub fn from_table(table: &PortTable) -> Self {
        let mut model = GroupModel::new(table.names.clone());
        model.update_ports(table);
        model
    }

    fn entry(&mut self, key: GroupKey) -> &mut GroupEntry {
        let names = &self.names;
        self.groups.entry(key).or_insert_with(|| GroupEntry {
            key,
            protocol_name: protocol_name(key.protocol),
            name: names.name(key.protocol, key.group),
            subscribers: Vec::new(),
            messages: 0,
            bytes: 0,
            last: None,
        })
    }

    /// Replaces every group's subscribers with the table's; message counts
    /// are kept. Group names learnt by the table (nlctrl) are adopted when it
    /// has any. Groups with neither subscribers nor traffic are dropped.
    pub fn update_ports(&mut self, table: &PortTable) {
        if !table.names.genl.is_empty() {
            self.names = table.names.clone();
            let names = self.names.clone();
            for entry in self.groups.values_mut() {
                entry.name = names.name(entry.key.protocol, entry.key.group);
            }
        }
        for entry in self.groups.values_mut() {
            entry.subscribers.clear();
        }
        for socket in &table.sockets {
            for group in &socket.groups {
                let key = GroupKey {
                    protocol: socket.protocol,
                    group: group.group,
                };
                self.entry(key).subscribers.push(Subscriber {
                    port: socket.port,
                    inode: socket.inode,
                    owners: socket.owners.clone(),
                });
            }
        }
        self.groups
            .retain(|_, e| !e.subscribers.is_empty() || e.messages > 0);
    }

    /// Counts a captured message sent to a group; unicast messages
    /// (`dst_group == 0`) are ignored. Returns whether it was counted.
    pub fn observe(&mut self, message: &CapturedMessage) -> bool {
        if message.dst_group == 0 {
            return false;
        }
        let entry = self.entry(GroupKey {
            protocol: message.protocol,
            group: message.dst_group,
        });
        entry.messages += 1;
        entry.bytes += u64::from(message.len);
        entry.last = Some(message.clone());
        true
    }

    pub fn get(&self, protocol: u32, group: u32) -> Option<&GroupEntry> {
        self.groups.get(&GroupKey { protocol, group })
    }

    /// Groups in (protocol, group) order.
    pub fn iter(&self) -> impl Iterator<Item = &GroupEntry> {
        self.groups.values()
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{NamedGroup, PortEntry};
    use super::*;

    fn socket(protocol: u32, port: u32, inode: u64, groups: &[u32], pid: u32) -> PortEntry {
        let names = GroupNames::default();
        PortEntry {
            protocol,
            protocol_name: protocol_name(protocol),
            port,
            kernel: port == 0,
            sock_type: None,
            state: None,
            dst_port: 0,
            dst_group: 0,
            groups: groups
                .iter()
                .map(|&g| NamedGroup {
                    group: g,
                    name: names.name(protocol, g),
                })
                .collect(),
            rmem: 0,
            rcvbuf: None,
            wmem: None,
            drops: None,
            dump_running: None,
            inode,
            owners: vec![Owner {
                pid,
                comm: format!("p{pid}"),
                fds: vec![3],
            }],
            sources: vec![],
        }
    }

    fn message(protocol: u32, group: u32, len: u32) -> CapturedMessage {
        CapturedMessage {
            ts_mono_ns: u64::from(len),
            ts_wall_ns: 0,
            pid: 1,
            tid: 1,
            comm: "k".into(),
            netns: 0,
            protocol,
            src_port: Some(0),
            dst_port: Some(0),
            stated_direction: None,
            dst_group: group,
            len,
            hook: "netlink_broadcast".into(),
            result: None,
            payload: vec![],
            deliveries: vec![],
        }
    }

    fn table() -> PortTable {
        PortTable {
            sockets: vec![
                socket(0, 100, 1, &[1, 5], 10),
                socket(0, 200, 2, &[1, 33], 20),
                socket(0, 201, 3, &[1], 20),
                socket(15, 300, 4, &[2], 30),
            ],
            notes: vec![],
            names: GroupNames::default(),
        }
    }

    #[test]
    fn ports_group_model_subscribers_from_table() {
        let model = GroupModel::from_table(&table());
        assert_eq!(model.len(), 4);
        let link = model.get(0, 1).unwrap();
        assert_eq!(link.name, "RTNLGRP_LINK");
        assert_eq!(link.subscribers.len(), 3);
        assert_eq!(
            link.processes(),
            vec![(10, "p10".to_owned()), (20, "p20".to_owned())]
        );
        assert_eq!(model.get(0, 33).unwrap().name, "RTNLGRP_BRVLAN");
        assert_eq!(model.get(15, 2).unwrap().name, "udev");
        assert!(model.get(0, 2).is_none());
    }

    #[test]
    fn ports_group_model_observes_multicast_only() {
        let mut model = GroupModel::from_table(&table());
        assert!(model.observe(&message(0, 1, 100)));
        assert!(model.observe(&message(0, 1, 50)));
        assert!(!model.observe(&message(0, 0, 10)));
        // A group nobody listens to still gets counted.
        assert!(model.observe(&message(16, 9, 20)));
        let link = model.get(0, 1).unwrap();
        assert_eq!((link.messages, link.bytes), (2, 150));
        assert_eq!(link.last.as_ref().unwrap().len, 50);
        let lonely = model.get(16, 9).unwrap();
        assert!(lonely.subscribers.is_empty());
        assert_eq!(lonely.messages, 1);
    }

    #[test]
    fn ports_group_model_update_keeps_counts_and_drops_idle() {
        let mut model = GroupModel::from_table(&table());
        model.observe(&message(0, 5, 10));
        let mut smaller = table();
        smaller.sockets.retain(|s| s.port == 300);
        model.update_ports(&smaller);
        // Group 5 lost its subscriber but saw traffic; group 1 is gone.
        assert_eq!(model.get(0, 5).unwrap().messages, 1);
        assert!(model.get(0, 5).unwrap().subscribers.is_empty());
        assert!(model.get(0, 1).is_none());
        assert_eq!(model.get(15, 2).unwrap().subscribers.len(), 1);
        let keys: Vec<_> = model
            .iter()
            .map(|e| (e.key.protocol, e.key.group))
            .collect();
        assert_eq!(keys, vec![(0, 5), (15, 2)]);
    }
}
