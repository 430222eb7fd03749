//! rtnetlink (`NETLINK_ROUTE`, linux/rtnetlink.h and linux/if_link.h): the
//! message types nlscope builds, names every message type and multicast
//! group, and tells which kind of request a type is.

/// Link attributes nlscope builds (libc's, which are `u16`).
pub use libc::{IFLA_EXT_MASK, IFLA_IFNAME, IFLA_MTU, IFLA_STATS64};
/// Message types nlscope builds (libc's, which are `u16`).
pub use libc::{RTM_GETADDR, RTM_GETLINK, RTM_NEWLINK};

/// The first rtnetlink message type (`RTM_BASE`): types come in fours from
/// here, NEW, DEL, GET and SET.
pub const RTM_BASE: u16 = libc::RTM_NEWLINK;

/// rtnetlink message types (linux/rtnetlink.h): the one table nlscope names
/// them from (decoding, the store's filters, `nlscope send --type`).
pub const RTM_TYPES: &[(u16, &str)] = &[
    (16, "RTM_NEWLINK"),
    (17, "RTM_DELLINK"),
    (18, "RTM_GETLINK"),
    (19, "RTM_SETLINK"),
    (20, "RTM_NEWADDR"),
    (21, "RTM_DELADDR"),
    (22, "RTM_GETADDR"),
    (24, "RTM_NEWROUTE"),
    (25, "RTM_DELROUTE"),
    (26, "RTM_GETROUTE"),
    (28, "RTM_NEWNEIGH"),
    (29, "RTM_DELNEIGH"),
    (30, "RTM_GETNEIGH"),
    (32, "RTM_NEWRULE"),
    (33, "RTM_DELRULE"),
    (34, "RTM_GETRULE"),
    (36, "RTM_NEWQDISC"),
    (37, "RTM_DELQDISC"),
    (38, "RTM_GETQDISC"),
    (40, "RTM_NEWTCLASS"),
    (41, "RTM_DELTCLASS"),
    (42, "RTM_GETTCLASS"),
    (44, "RTM_NEWTFILTER"),
    (45, "RTM_DELTFILTER"),
    (46, "RTM_GETTFILTER"),
    (48, "RTM_NEWACTION"),
    (49, "RTM_DELACTION"),
    (50, "RTM_GETACTION"),
    (52, "RTM_NEWPREFIX"),
    (58, "RTM_GETMULTICAST"),
    (62, "RTM_GETANYCAST"),
    (64, "RTM_NEWNEIGHTBL"),
    (66, "RTM_GETNEIGHTBL"),
    (67, "RTM_SETNEIGHTBL"),
    (68, "RTM_NEWNDUSEROPT"),
    (72, "RTM_NEWADDRLABEL"),
    (73, "RTM_DELADDRLABEL"),
    (74, "RTM_GETADDRLABEL"),
    (78, "RTM_GETDCB"),
    (79, "RTM_SETDCB"),
    (80, "RTM_NEWNETCONF"),
    (81, "RTM_DELNETCONF"),
    (82, "RTM_GETNETCONF"),
    (84, "RTM_NEWMDB"),
    (85, "RTM_DELMDB"),
    (86, "RTM_GETMDB"),
    (88, "RTM_NEWNSID"),
    (89, "RTM_DELNSID"),
    (90, "RTM_GETNSID"),
    (92, "RTM_NEWSTATS"),
    (94, "RTM_GETSTATS"),
    (95, "RTM_SETSTATS"),
    (96, "RTM_NEWCACHEREPORT"),
    (100, "RTM_NEWCHAIN"),
    (101, "RTM_DELCHAIN"),
    (102, "RTM_GETCHAIN"),
    (104, "RTM_NEWNEXTHOP"),
    (105, "RTM_DELNEXTHOP"),
    (106, "RTM_GETNEXTHOP"),
    (108, "RTM_NEWLINKPROP"),
    (109, "RTM_DELLINKPROP"),
    (110, "RTM_GETLINKPROP"),
    (112, "RTM_NEWVLAN"),
    (113, "RTM_DELVLAN"),
    (114, "RTM_GETVLAN"),
    (116, "RTM_NEWNEXTHOPBUCKET"),
    (117, "RTM_DELNEXTHOPBUCKET"),
    (118, "RTM_GETNEXTHOPBUCKET"),
    (120, "RTM_NEWTUNNEL"),
    (121, "RTM_DELTUNNEL"),
    (122, "RTM_GETTUNNEL"),
];

/// Which of the four kinds of request an rtnetlink message type is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtmOp {
    New,
    Del,
    Get,
    Set,
}

/// The kind of request `kind` is: types from [`RTM_BASE`] come as NEW, DEL,
/// GET, SET in turn. `None` below `RTM_BASE` (control messages).
pub fn rtm_op(kind: u16) -> Option<RtmOp> {
    let index = kind.checked_sub(RTM_BASE)?;
    Some(match index % 4 {
        0 => RtmOp::New,
        1 => RtmOp::Del,
        2 => RtmOp::Get,
        _ => RtmOp::Set,
    })
}

/// `RTNLGRP_*` names in enum order (linux/rtnetlink.h): index `n` is group
/// `n` (0 is RTNLGRP_NONE). The one table rtnetlink groups are named from.
pub const RTNLGRP_NAMES: &[&str] = &[
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
    RTNLGRP_NAMES.get(group as usize).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_groups_are_one_based() {
        assert_eq!(rtnl_group_name(1), Some("RTNLGRP_LINK"));
        assert_eq!(rtnl_group_name(5), Some("RTNLGRP_IPV4_IFADDR"));
        assert_eq!(rtnl_group_name(32), Some("RTNLGRP_NEXTHOP"));
        assert_eq!(rtnl_group_name(33), Some("RTNLGRP_BRVLAN"));
        assert_eq!(rtnl_group_name(0), None);
        assert_eq!(rtnl_group_name(1000), None);
        // The names agree with libc's numbers.
        assert_eq!(
            rtnl_group_name(libc::RTNLGRP_TUNNEL),
            Some("RTNLGRP_TUNNEL")
        );
        assert_eq!(rtnl_group_name(libc::RTNLGRP_STATS), Some("RTNLGRP_STATS"));
    }

    #[test]
    fn request_kinds_come_in_fours() {
        assert_eq!(rtm_op(RTM_NEWLINK), Some(RtmOp::New));
        assert_eq!(rtm_op(RTM_GETLINK), Some(RtmOp::Get));
        assert_eq!(rtm_op(libc::RTM_SETLINK), Some(RtmOp::Set));
        assert_eq!(rtm_op(RTM_GETADDR), Some(RtmOp::Get));
        assert_eq!(rtm_op(21), Some(RtmOp::Del));
        assert_eq!(rtm_op(3), None);
    }
}
