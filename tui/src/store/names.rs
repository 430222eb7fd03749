//! Names of netlink protocols, message types and multicast groups, for the
//! list view and the filter language. Protocols come from
//! [`crate::event::PROTOCOLS`] and errnos from [`crate::decode::errno_name`];
//! group names from [`crate::ports::names`] (rtnetlink ones shortened to
//! `link`, as the filter language spells them); rtnetlink message types are
//! kept here. Numbers that have no name print as numbers.

use crate::ports::names::{rtnl_group_name, GroupNames};

/// Control message types shared by every protocol.
const CONTROL_TYPES: &[(u16, &str)] = &[
    (1, "NLMSG_NOOP"),
    (2, "NLMSG_ERROR"),
    (3, "NLMSG_DONE"),
    (4, "NLMSG_OVERRUN"),
];

/// rtnetlink message types: decode's table.
const ROUTE_TYPES: &[(u16, &str)] = crate::decode::RTM_TYPES;

/// The protocol's name (`crate::event::PROTOCOLS`), or its number.
pub fn protocol_name(protocol: u32) -> String {
    crate::event::protocol_name(protocol)
}

/// Looks a protocol up by name, alias or number (`route`, `NETLINK_ROUTE`,
/// `uevent`, `0`), as `--protocol` does ([`crate::event::parse_protocol`]).
pub fn protocol_by_name(text: &str) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    let lower = lower.strip_prefix("netlink_").unwrap_or(&lower);
    crate::event::parse_protocol(lower).ok()
}

/// The message type's name on `protocol`, if it has one.
pub fn type_name(protocol: u32, kind: u16) -> Option<&'static str> {
    let table = if kind < 16 {
        CONTROL_TYPES
    } else if protocol == 0 {
        ROUTE_TYPES
    } else {
        return None;
    };
    table
        .iter()
        .find(|(n, _)| *n == kind)
        .map(|(_, name)| *name)
}

/// The message type's name, or its number.
pub fn type_label(protocol: u32, kind: u16) -> String {
    type_name(protocol, kind)
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_string())
}

/// Looks a message type up by name (`RTM_NEWLINK`, `newlink`, `NLMSG_ERROR`,
/// `error`) or number. Returns the type and, for names that exist on one
/// protocol only (the `RTM_` ones), that protocol.
pub fn type_by_name(text: &str) -> Option<(u16, Option<u32>)> {
    if let Ok(n) = text.parse::<u16>() {
        return Some((n, None));
    }
    let upper = text.to_ascii_uppercase();
    let find = |table: &[(u16, &'static str)]| {
        table
            .iter()
            .find(|(_, name)| {
                *name == upper
                    || name.strip_prefix("RTM_") == Some(upper.as_str())
                    || name.strip_prefix("NLMSG_") == Some(upper.as_str())
            })
            .map(|(n, _)| *n)
    };
    find(CONTROL_TYPES)
        .map(|n| (n, None))
        .or_else(|| find(ROUTE_TYPES).map(|n| (n, Some(0))))
}

/// The short form of a group name from [`crate::ports::names`]: `link` for
/// `RTNLGRP_LINK`; other names (`udev`, `nlctrl/notify`) as they are.
pub fn short_group_name(name: &str) -> String {
    match name.strip_prefix("RTNLGRP_") {
        Some(rest) => rest.to_ascii_lowercase(),
        None => name.to_string(),
    }
}

/// The multicast group's name on `protocol` (rtnetlink and uevent groups, from
/// [`crate::ports::names::GroupNames`]), or its number (`-` for unicast).
pub fn group_label(protocol: u32, group: u32) -> String {
    if group == 0 {
        return "-".to_string();
    }
    GroupNames::default()
        .known(protocol, group)
        .map(|name| short_group_name(&name))
        .unwrap_or_else(|| group.to_string())
}

/// Looks a group up by rtnetlink name (`link`, `RTNLGRP_LINK`) or number.
pub fn group_by_name(text: &str) -> Option<u32> {
    if let Ok(n) = text.parse::<u32>() {
        return Some(n);
    }
    let lower = text.to_ascii_lowercase();
    (1..64).find(|&group| {
        rtnl_group_name(group)
            .is_some_and(|name| short_group_name(name) == lower.trim_start_matches("rtnlgrp_"))
    })
}

/// `ENODEV` for 19 ([`crate::decode::errno_name`]), or `errno 4095` for
/// numbers without a name.
pub fn errno_name(errno: i64) -> String {
    i32::try_from(errno)
        .ok()
        .and_then(crate::decode::errno_name)
        .map(str::to_string)
        .unwrap_or_else(|| format!("errno {errno}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(protocol_by_name("route"), Some(0));
        assert_eq!(protocol_by_name("NETLINK_GENERIC"), Some(16));
        assert_eq!(protocol_by_name("30"), Some(30));
        assert_eq!(protocol_by_name("nope"), None);
        assert_eq!(protocol_name(30), "nlscope-demo");
        assert_eq!(protocol_by_name("nlscope-demo"), Some(30));
        assert_eq!(protocol_by_name("uevent"), Some(15));
        assert_eq!(protocol_name(15), "kobject_uevent");
        assert_eq!(type_by_name("RTM_NEWLINK"), Some((16, Some(0))));
        assert_eq!(type_by_name("newlink"), Some((16, Some(0))));
        assert_eq!(type_by_name("error"), Some((2, None)));
        assert_eq!(type_by_name("16"), Some((16, None)));
        assert_eq!(type_label(0, 16), "RTM_NEWLINK");
        assert_eq!(type_label(16, 16), "16");
        assert_eq!(type_label(0, 81), "RTM_DELNETCONF");
        assert_eq!(group_by_name("link"), Some(1));
        assert_eq!(group_by_name("RTNLGRP_LINK"), Some(1));
        assert_eq!(group_label(0, 1), "link");
        assert_eq!(group_label(0, 24), "ipv4_netconf");
        assert_eq!(group_label(15, 1), "kernel");
        assert_eq!(group_label(16, 5), "5");
        assert_eq!(group_by_name("ipv6_route"), Some(11));
        assert_eq!(group_by_name("nexthop"), Some(32));
        assert_eq!(errno_name(19), "ENODEV");
        assert_eq!(errno_name(105), "ENOBUFS");
        assert_eq!(errno_name(4095), "errno 4095");
    }
}
