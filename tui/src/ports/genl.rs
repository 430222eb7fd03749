//! Generic netlink multicast group names, from nlctrl's family dump
//! ([`crate::netlink::nlctrl`]): each family lists the name and id of its
//! groups. Group ids are global across families.

use std::collections::BTreeMap;

use super::names::GenlGroup;
use crate::netlink::nlctrl;

/// Every generic netlink multicast group of the running kernel.
pub fn resolve_groups() -> anyhow::Result<BTreeMap<u32, GenlGroup>> {
    let mut groups = BTreeMap::new();
    for family in nlctrl::dump_families()? {
        for (id, name) in family.groups {
            let family = family.name.clone();
            groups.insert(id, GenlGroup { family, name });
        }
    }
    Ok(groups)
}
