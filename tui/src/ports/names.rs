//! Names for netlink protocols and multicast groups, and group bitmaps.
//!
//! Group numbers are 1-based everywhere in this module, as in the kernel's
//! `NETLINK_ADD_MEMBERSHIP` and `dst_group`: bit `n-1` of a bitmap is group `n`.

use std::collections::BTreeMap;

use serde::Serialize;

/// The demo protocol the project's kernel module speaks.
pub const NETLINK_NLSCOPE_DEMO: u32 = 30;
pub const NETLINK_ROUTE: u32 = 0;
pub const NETLINK_KOBJECT_UEVENT: u32 = 15;
pub const NETLINK_GENERIC: u32 = 16;

/// Short name of a netlink protocol number (`route`, `generic`, ...).
pub fn protocol_name(protocol: u32) -> Option<&'static str> {
    crate::event::PROTOCOLS
        .iter()
        .find(|(number, _)| *number == protocol)
        .map(|(_, name)| *name)
}

/// The protocol's name, or its number when it has none.
pub fn protocol_label(protocol: u32) -> String {
    crate::event::protocol_name(protocol)
}

/// `RTNLGRP_*` names in enum order: index `n` is group `n` (0 is RTNLGRP_NONE).
const RTNLGRP: &[&str] = &[
    "RTNLGRP_NONE",
    "RTNLGRP_LINK",
    "RTNLGRP_NOTIFY",
    "RTNLGRP_NEIGH",
    "RTNLGRP_TC",
    "RTNLGRP_IPV4_IFADDR",
    "RTNLGRP_IPV4_MROUTE",
    "RTNLGRP_IPV4_ROUTE",
    "RTNLGRP_IPV4_RULE",
    "RTNLGRP_IPV6_IFADDR",
    "RTNLGRP_IPV6_MROUTE",
    "RTNLGRP_IPV6_ROUTE",
    "RTNLGRP_IPV6_IFINFO",
    "RTNLGRP_DECnet_IFADDR",
    "RTNLGRP_NOP2",
    "RTNLGRP_DECnet_ROUTE",
    "RTNLGRP_DECnet_RULE",
    "RTNLGRP_NOP4",
    "RTNLGRP_IPV6_PREFIX",
    "RTNLGRP_IPV6_RULE",
    "RTNLGRP_ND_USEROPT",
    "RTNLGRP_PHONET_IFADDR",
    "RTNLGRP_PHONET_ROUTE",
    "RTNLGRP_DCB",
    "RTNLGRP_IPV4_NETCONF",
    "RTNLGRP_IPV6_NETCONF",
    "RTNLGRP_MDB",
    "RTNLGRP_MPLS_ROUTE",
    "RTNLGRP_NSID",
    "RTNLGRP_MPLS_NETCONF",
    "RTNLGRP_IPV4_MROUTE_R",
    "RTNLGRP_IPV6_MROUTE_R",
    "RTNLGRP_NEXTHOP",
    "RTNLGRP_BRVLAN",
    "RTNLGRP_MCTP_IFADDR",
    "RTNLGRP_TUNNEL",
    "RTNLGRP_STATS",
    "RTNLGRP_IPV4_MCADDR",
    "RTNLGRP_IPV6_MCADDR",
    "RTNLGRP_IPV6_ACADDR",
];

/// The `RTNLGRP_*` name of route group `group` (1-based).
pub fn rtnl_group_name(group: u32) -> Option<&'static str> {
    if group == 0 {
        return None;
    }
    RTNLGRP.get(group as usize).copied()
}

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
            NETLINK_ROUTE => rtnl_group_name(group).map(str::to_owned),
            NETLINK_GENERIC => self
                .genl
                .get(&group)
                .map(|g| format!("{}/{}", g.family, g.name)),
            NETLINK_KOBJECT_UEVENT => match group {
                1 => Some("kernel".to_owned()),
                2 => Some("udev".to_owned()),
                _ => None,
            },
            _ => None,
        }
    }

    /// The group's name, or its number when it has none.
    pub fn name(&self, protocol: u32, group: u32) -> String {
        self.known(protocol, group)
            .unwrap_or_else(|| group.to_string())
    }
}

/// Group numbers set in a 32-bit mask (`/proc/net/netlink`'s Groups column,
/// `nl_groups` of a bind): bit `n-1` is group `n`.
pub fn groups_from_mask32(mask: u32) -> Vec<u32> {
    (0..32)
        .filter(|bit| mask & (1 << bit) != 0)
        .map(|bit| bit + 1)
        .collect()
}

/// Group numbers set in a kernel group bitmap (`NETLINK_DIAG_GROUPS`: an
/// array of `unsigned long` in host byte order). `word` is the size of one
/// word (`size_of::<c_ulong>()` for the running kernel); a trailing partial
/// word is read as far as it goes.
pub fn groups_from_bitmap(bytes: &[u8], word: usize) -> Vec<u32> {
    let word = word.clamp(1, 8);
    let mut groups = Vec::new();
    for (index, chunk) in bytes.chunks(word).enumerate() {
        let mut buf = [0u8; 8];
        let value = if cfg!(target_endian = "little") {
            buf[..chunk.len()].copy_from_slice(chunk);
            u64::from_le_bytes(buf)
        } else {
            buf[8 - chunk.len()..].copy_from_slice(chunk);
            u64::from_be_bytes(buf)
        };
        for bit in 0..(word as u64 * 8) {
            if value & (1u64 << bit) != 0 {
                let number = index as u64 * word as u64 * 8 + bit + 1;
                if let Ok(number) = u32::try_from(number) {
                    groups.push(number);
                }
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn protocols_are_named() {
        assert_eq!(protocol_label(0), "route");
        assert_eq!(protocol_label(16), "generic");
        assert_eq!(protocol_label(30), "nlscope-demo");
        assert_eq!(protocol_label(22), "smc");
        assert_eq!(protocol_label(25), "25");
    }

    #[test]
    fn route_groups_are_one_based() {
        assert_eq!(rtnl_group_name(1), Some("RTNLGRP_LINK"));
        assert_eq!(rtnl_group_name(5), Some("RTNLGRP_IPV4_IFADDR"));
        assert_eq!(rtnl_group_name(32), Some("RTNLGRP_NEXTHOP"));
        assert_eq!(rtnl_group_name(33), Some("RTNLGRP_BRVLAN"));
        assert_eq!(rtnl_group_name(0), None);
        assert_eq!(rtnl_group_name(1000), None);
    }

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

    #[test]
    fn mask32_bits_map_to_groups() {
        assert_eq!(groups_from_mask32(0), Vec::<u32>::new());
        assert_eq!(groups_from_mask32(0x11), vec![1, 5]);
        assert_eq!(groups_from_mask32(0x8000_0000), vec![32]);
    }

    #[test]
    fn bitmap_above_32_groups() {
        // Groups 1, 5 and 33 (bit 32, second 32-bit half of the first u64).
        let word: u64 = (1 << 0) | (1 << 4) | (1 << 32);
        let bytes = word.to_ne_bytes();
        assert_eq!(groups_from_bitmap(&bytes, 8), vec![1, 5, 33]);
        // Group 65 lives in the second word.
        let mut two = Vec::from(0u64.to_ne_bytes());
        two.extend_from_slice(&1u64.to_ne_bytes());
        assert_eq!(groups_from_bitmap(&two, 8), vec![65]);
    }

    proptest! {
        #[test]
        fn bitmap_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64),
                                      word in 0usize..16) {
            let groups = groups_from_bitmap(&bytes, word);
            let ones: u32 = bytes.iter().map(|b| b.count_ones()).sum();
            prop_assert_eq!(groups.len() as u32, ones);
            prop_assert!(groups.windows(2).all(|w| w[0] < w[1]));
        }

        #[test]
        fn mask32_round_trips(mask in any::<u32>()) {
            let back = groups_from_mask32(mask)
                .iter()
                .fold(0u32, |m, g| m | 1 << (g - 1));
            prop_assert_eq!(back, mask);
        }
    }
}
