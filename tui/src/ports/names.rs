//! Names for multicast groups as the port table shows them: the fixed
//! ones ([`crate::netlink::names::group_name`]) and generic netlink groups,
//! whose ids nlctrl allocates at run time (see `genl`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::netlink::names::group_name;
use crate::netlink::NETLINK_GENERIC;

/// A generic netlink multicast group as nlctrl reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GenlGroup {
    pub family: String,
    pub name: String,
}

/// Turns (protocol, group) into a name. Generic netlink group ids are
/// allocated at run time, so they come from nlctrl (see `genl`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupNames {
    /// Generic netlink multicast group id -> family and group name.
    pub genl: BTreeMap<u32, GenlGroup>,
}

impl GroupNames {
    pub fn with_genl(genl: BTreeMap<u32, GenlGroup>) -> Self {
        GroupNames { genl }
    }

    /// A known name for the group, if any.
    pub fn known(&self, protocol: u32, group: u32) -> Option<String> {
        match protocol {
            NETLINK_GENERIC => self
                .genl
                .get(&group)
                .map(|g| format!("{}/{}", g.family, g.name)),
            _ => group_name(protocol, group).map(str::to_owned),
        }
    }

    /// The group's name, or its number when it has none.
    pub fn name(&self, protocol: u32, group: u32) -> String {
        self.known(protocol, group)
            .unwrap_or_else(|| group.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_by_protocol() {
        let mut genl = BTreeMap::new();
        genl.insert(
            16,
            GenlGroup {
                family: "nlctrl".into(),
                name: "notify".into(),
            },
        );
        let names = GroupNames::with_genl(genl);
        assert_eq!(names.name(0, 1), "RTNLGRP_LINK");
        assert_eq!(names.name(16, 16), "nlctrl/notify");
        assert_eq!(names.name(16, 17), "17");
        assert_eq!(names.name(15, 1), "kernel");
        assert_eq!(names.name(15, 2), "udev");
        assert_eq!(names.name(12, 3), "3");
    }
}
