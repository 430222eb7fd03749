//! Names as the list view and the filter language spell them: group names
//! shortened (`link` for `RTNLGRP_LINK`), `-` for unicast, `errno N` for
//! errnos without a name, and message types looked up by short name
//! (`newlink`). The tables are netlink's ([`crate::netlink::names`]), whose
//! protocol and type names are used here as they are; errno names are the
//! decoder's ([`crate::decode::errno_name`]). Numbers that have no name
//! print as numbers.

use crate::decode::DecodeContext;
use crate::netlink::names::{group_name, CONTROL_TYPES};
use crate::netlink::route::{rtnl_group_name, RTM_TYPES};
use crate::netlink::NETLINK_ROUTE;

pub use crate::netlink::names::{protocol_by_name, protocol_name, type_label};

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
        .or_else(|| find(RTM_TYPES).map(|n| (n, Some(NETLINK_ROUTE))))
}

/// The short form of a group name ([`crate::netlink::names::group_name`],
/// [`crate::ports::names::GroupNames`]): `link` for
/// `RTNLGRP_LINK`; other names (`udev`, `nlctrl/notify`) as they are.
pub fn short_group_name(name: &str) -> String {
    match name.strip_prefix("RTNLGRP_") {
        Some(rest) => rest.to_ascii_lowercase(),
        None => name.to_string(),
    }
}

/// The multicast group's name on `protocol`: rtnetlink's and uevent's,
/// whose numbers are fixed, and generic netlink's as `context` learnt them
/// (`nlscope_demo/events`); else its number (`-` for unicast).
pub fn group_label(protocol: u32, group: u32, context: &DecodeContext) -> String {
    if group == 0 {
        return "-".to_string();
    }
    context
        .group_name(protocol, group)
        .or_else(|| group_name(protocol, group).map(str::to_string))
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
        let mut context = DecodeContext::new();
        assert_eq!(group_label(0, 1, &context), "link");
        assert_eq!(group_label(0, 24, &context), "ipv4_netconf");
        assert_eq!(group_label(15, 1, &context), "kernel");
        assert_eq!(group_label(16, 5, &context), "5");
        context.add_family(0x1d, "nlscope_demo", vec![(5, "events".into())]);
        assert_eq!(group_label(16, 5, &context), "nlscope_demo/events");
        assert_eq!(group_by_name("ipv6_route"), Some(11));
        assert_eq!(group_by_name("nexthop"), Some(32));
        assert_eq!(errno_name(19), "ENODEV");
        assert_eq!(errno_name(105), "ENOBUFS");
        assert_eq!(errno_name(4095), "errno 4095");
    }
}
