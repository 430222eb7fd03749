//! What the dashboard knows of the netlink sockets behind the traffic: where
//! the Ports and Groups views get them ([`PortsOrigin`]), the last socket table
//! read (by the ports task, [`crate::ui::tasks::spawn_ports_reader`], or sent
//! by a remote agent), the group model joining it with the traffic, and the
//! plain rows ([`crate::ui::data`]) and titles the two table components show.
//! State only: reading the sockets happens in a background task.

use std::collections::BTreeMap;

use crate::event::CapturedMessage;
use crate::ports::{GroupModel, PortTable};
use crate::store::Store;
use crate::ui::action::PortsUpdate;
use crate::ui::data::{GroupRow, PortRow};

/// Where the Ports and Groups views get their sockets from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortsOrigin {
    /// This machine's socket table ([`PortTable::read`]), re-read in the
    /// background and handed over as [`crate::ui::Action::PortsRead`].
    Machine,
    /// The socket table a remote agent sent for its machine (the text names
    /// the agent); until it arrives, what the traffic implies.
    Remote(String),
    /// Only what the traffic implies; the text says where it came from
    /// (`the file x.pcapng`, `the agent at ...`).
    Traffic(String),
}

/// The sockets side of the dashboard.
#[derive(Debug)]
pub struct Sockets {
    /// Where Ports and Groups get their sockets.
    pub origin: PortsOrigin,
    /// Rows for the Ports view; `None` derives them from the table or traffic.
    pub ports: Option<Vec<PortRow>>,
    /// Rows for the Groups view; `None` derives them from the group model.
    pub groups: Option<Vec<GroupRow>>,
    /// The last socket table read.
    pub table: Option<PortTable>,
    /// Why the last read of the socket table failed.
    pub error: Option<String>,
    /// Subscribers per group (from the table) and traffic per group.
    pub group_model: GroupModel,
    /// Generic netlink families the kernel reported, for pcapng exports.
    pub genl_families: BTreeMap<u16, String>,
}

impl Sockets {
    pub fn new(origin: PortsOrigin) -> Sockets {
        Sockets {
            origin,
            ports: None,
            groups: None,
            table: None,
            error: None,
            group_model: GroupModel::default(),
            genl_families: BTreeMap::new(),
        }
    }

    /// Counts the batch's multicasts in the group model.
    pub fn observe(&mut self, batch: &[CapturedMessage]) {
        for message in batch.iter().filter(|m| m.dst_group != 0) {
            self.group_model.observe(message);
        }
    }

    /// Takes a fresh read of the socket table.
    pub fn update(&mut self, update: PortsUpdate) {
        match update.table {
            Ok(table) => {
                self.group_model.update_ports(&table);
                self.table = Some(table);
                self.error = None;
            }
            Err(why) => self.error = Some(why),
        }
        if !update.genl_families.is_empty() {
            self.genl_families = update.genl_families;
        }
    }

    /// Rows for the Ports view: set rows, else the socket table's (with the
    /// traffic counted per port), else what the traffic implies.
    pub fn port_rows(&self, store: &Store) -> Vec<PortRow> {
        if let Some(rows) = &self.ports {
            return rows.clone();
        }
        match &self.table {
            Some(table) => PortRow::from_table(table, store.stats()),
            None => PortRow::from_stats(store.stats()),
        }
    }

    /// Rows for the Groups view: set rows, else the group model's.
    pub fn group_rows(&self, store: &Store) -> Vec<GroupRow> {
        if let Some(rows) = &self.groups {
            return rows.clone();
        }
        GroupRow::from_model(&self.group_model, self.table.is_some(), store.context())
    }

    /// The Ports view's title for `len` rows, and the table's first note.
    pub fn ports_title(&self, len: usize) -> (String, Option<String>) {
        let title = match (&self.origin, &self.table) {
            (_, _) if self.ports.is_some() => format!(" Ports: {len} netlink sockets "),
            (PortsOrigin::Machine, Some(_)) => format!(
                " Ports: {len} netlink sockets on this machine (sent / received: messages seen) "
            ),
            (PortsOrigin::Machine, None) => match &self.error {
                Some(why) => format!(" Ports: cannot list this machine's sockets ({why}) "),
                None => " Ports: reading this machine's sockets... ".to_string(),
            },
            (PortsOrigin::Remote(agent), Some(_)) => format!(
                " Ports: {len} netlink sockets on the machine of {agent} (sent / received: messages seen) "
            ),
            (PortsOrigin::Traffic(from) | PortsOrigin::Remote(from), _) => {
                format!(" Ports: {len} netlink sockets implied by {from} (not this machine's) ")
            }
        };
        let note = self
            .table
            .as_ref()
            .and_then(|t| t.notes.first())
            .map(|n| format!(" note: {n} "));
        (title, note)
    }

    /// The Groups view's title for `len` rows.
    pub fn groups_title(&self, len: usize) -> String {
        match &self.origin {
            PortsOrigin::Machine if self.table.is_some() => format!(
                " Groups: {len} multicast groups with subscribers on this machine or traffic "
            ),
            PortsOrigin::Machine => format!(
                " Groups: {len} multicast groups with traffic (subscribers: reading sockets...) "
            ),
            PortsOrigin::Remote(agent) if self.table.is_some() => format!(
                " Groups: {len} multicast groups with subscribers or traffic on the machine of {agent} "
            ),
            PortsOrigin::Traffic(from) | PortsOrigin::Remote(from) => {
                format!(" Groups: {len} multicast groups with traffic in {from} ")
            }
        }
    }

    /// Family names for a pcapng export: what the kernel reported, then what
    /// the stream taught the decoder.
    pub fn export_families(&self, store: &Store) -> BTreeMap<u16, String> {
        let mut families = self.genl_families.clone();
        for family in store.context().families() {
            families
                .entry(family.id)
                .or_insert_with(|| family.name.clone());
        }
        families
    }
}
