//! Names for netlink numbers: protocols (one table, with the constant's name
//! and the short name the CLI, list views and filters use), the control
//! message types, message types by protocol, header flags by kind of
//! request, and the multicast groups whose numbers are fixed. Numbers
//! without a name print as numbers.

use super::consts::*;
use super::route::{rtnl_group_name, RTM_TYPES};

/// Looks `value` up in a `(value, name)` table.
pub fn lookup<T: PartialEq + Copy>(table: &[(T, &'static str)], value: T) -> Option<&'static str> {
    table.iter().find(|(v, _)| *v == value).map(|(_, n)| *n)
}

/// A netlink protocol and its names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Protocol {
    pub number: u32,
    /// The constant's name (`NETLINK_ROUTE`).
    pub constant: &'static str,
    /// The short name (`route`); `None` for the unused number.
    pub name: Option<&'static str>,
}

const fn protocol(number: u32, constant: &'static str, name: &'static str) -> Protocol {
    Protocol {
        number,
        constant,
        name: Some(name),
    }
}

/// Every netlink protocol (linux/netlink.h), plus the demo module's: the
/// one table protocols are named from.
pub const PROTOCOLS: &[Protocol] = &[
    protocol(NETLINK_ROUTE, "NETLINK_ROUTE", "route"),
    Protocol {
        number: NETLINK_UNUSED,
        constant: "NETLINK_UNUSED",
        name: None,
    },
    protocol(NETLINK_USERSOCK, "NETLINK_USERSOCK", "usersock"),
    protocol(NETLINK_FIREWALL, "NETLINK_FIREWALL", "firewall"),
    protocol(NETLINK_SOCK_DIAG, "NETLINK_SOCK_DIAG", "sock_diag"),
    protocol(NETLINK_NFLOG, "NETLINK_NFLOG", "nflog"),
    protocol(NETLINK_XFRM, "NETLINK_XFRM", "xfrm"),
    protocol(NETLINK_SELINUX, "NETLINK_SELINUX", "selinux"),
    protocol(NETLINK_ISCSI, "NETLINK_ISCSI", "iscsi"),
    protocol(NETLINK_AUDIT, "NETLINK_AUDIT", "audit"),
    protocol(NETLINK_FIB_LOOKUP, "NETLINK_FIB_LOOKUP", "fib_lookup"),
    protocol(NETLINK_CONNECTOR, "NETLINK_CONNECTOR", "connector"),
    protocol(NETLINK_NETFILTER, "NETLINK_NETFILTER", "netfilter"),
    protocol(NETLINK_IP6_FW, "NETLINK_IP6_FW", "ip6_fw"),
    protocol(NETLINK_DNRTMSG, "NETLINK_DNRTMSG", "dnrtmsg"),
    protocol(
        NETLINK_KOBJECT_UEVENT,
        "NETLINK_KOBJECT_UEVENT",
        "kobject_uevent",
    ),
    protocol(NETLINK_GENERIC, "NETLINK_GENERIC", "generic"),
    protocol(
        NETLINK_SCSITRANSPORT,
        "NETLINK_SCSITRANSPORT",
        "scsitransport",
    ),
    protocol(NETLINK_ECRYPTFS, "NETLINK_ECRYPTFS", "ecryptfs"),
    protocol(NETLINK_RDMA, "NETLINK_RDMA", "rdma"),
    protocol(NETLINK_CRYPTO, "NETLINK_CRYPTO", "crypto"),
    protocol(NETLINK_SMC, "NETLINK_SMC", "smc"),
    protocol(NETLINK_NLSCOPE_DEMO, "NETLINK_NLSCOPE_DEMO", "nlscope-demo"),
];

fn find_protocol(number: u32) -> Option<&'static Protocol> {
    PROTOCOLS.iter().find(|p| p.number == number)
}

/// The constant's name of a protocol number (`NETLINK_ROUTE` for 0).
pub fn protocol_constant(number: u32) -> Option<&'static str> {
    find_protocol(number).map(|p| p.constant)
}

/// The protocol's short name (`route`), or its number as text.
pub fn protocol_name(number: u32) -> String {
    match find_protocol(number).and_then(|p| p.name) {
        Some(name) => name.to_string(),
        None => number.to_string(),
    }
}

/// A protocol given by short name (`route`, `generic`, also `uevent`,
/// `genl`) or number (0-31), as `--protocol` takes it.
pub fn parse_protocol(text: &str) -> Result<u32, String> {
    let text = text.trim().to_ascii_lowercase();
    if let Ok(number) = text.parse::<u32>() {
        return if number < 32 {
            Ok(number)
        } else {
            Err(format!("protocol {number} is out of range (0-31)"))
        };
    }
    let alias = match text.as_str() {
        "rtnetlink" | "rtnl" => "route",
        "genl" | "genetlink" => "generic",
        "uevent" => "kobject_uevent",
        "diag" => "sock_diag",
        "nf" => "netfilter",
        "demo" => "nlscope-demo",
        other => other,
    };
    PROTOCOLS
        .iter()
        .find(|p| p.name == Some(alias))
        .map(|p| p.number)
        .ok_or_else(|| format!("unknown netlink protocol {text:?}: use a number (0-31) or a name such as route, generic, sock_diag, uevent, audit, netfilter, usersock"))
}

/// Looks a protocol up by name, alias, constant or number (`route`,
/// `NETLINK_ROUTE`, `uevent`, `0`), as the filter language does.
pub fn protocol_by_name(text: &str) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    let lower = lower.strip_prefix("netlink_").unwrap_or(&lower);
    parse_protocol(lower).ok()
}

/// The control message types every protocol shares.
pub const CONTROL_TYPES: &[(u16, &str)] = &[
    (NLMSG_NOOP, "NLMSG_NOOP"),
    (NLMSG_ERROR, "NLMSG_ERROR"),
    (NLMSG_DONE, "NLMSG_DONE"),
    (NLMSG_OVERRUN, "NLMSG_OVERRUN"),
];

/// The name of a control message type (`NLMSG_ERROR` for 2).
pub fn control_type_name(kind: u16) -> Option<&'static str> {
    lookup(CONTROL_TYPES, kind)
}

/// The message type's name on `protocol` where nlscope has a table for it
/// (the control types, rtnetlink's); the decoder names more.
pub fn type_name(protocol: u32, kind: u16) -> Option<&'static str> {
    if kind < NLMSG_MIN_TYPE {
        control_type_name(kind)
    } else if protocol == NETLINK_ROUTE {
        lookup(RTM_TYPES, kind)
    } else {
        None
    }
}

/// The message type's name, or its number.
pub fn type_label(protocol: u32, kind: u16) -> String {
    type_name(protocol, kind)
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_string())
}

/// What kind of request a message type is, which decides how the upper
/// header flag bits (0x100..0x800) read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    New,
    Del,
    Get,
    Ack,
}

/// Header flag names in the order they are shown: the ones every message
/// has (no [`Op`]), then the upper bits as each kind of request reads them.
pub const FLAGS: &[(u16, &str, Option<Op>)] = &[
    (NLM_F_REQUEST, "REQUEST", None),
    (NLM_F_MULTI, "MULTI", None),
    (NLM_F_ACK, "ACK", None),
    (NLM_F_ECHO, "ECHO", None),
    (NLM_F_DUMP_INTR, "DUMP_INTR", None),
    (NLM_F_DUMP_FILTERED, "DUMP_FILTERED", None),
    (NLM_F_DUMP, "DUMP", Some(Op::Get)),
    (NLM_F_ROOT, "ROOT", Some(Op::Get)),
    (NLM_F_MATCH, "MATCH", Some(Op::Get)),
    (NLM_F_ATOMIC, "ATOMIC", Some(Op::Get)),
    (NLM_F_REPLACE, "REPLACE", Some(Op::New)),
    (NLM_F_EXCL, "EXCL", Some(Op::New)),
    (NLM_F_CREATE, "CREATE", Some(Op::New)),
    (NLM_F_APPEND, "APPEND", Some(Op::New)),
    (NLM_F_NONREC, "NONREC", Some(Op::Del)),
    (NLM_F_BULK, "BULK", Some(Op::Del)),
    (NLM_F_CAPPED, "CAPPED", Some(Op::Ack)),
    (NLM_F_ACK_TLVS, "ACK_TLVS", Some(Op::Ack)),
];

/// Hands `name` the name of each flag set in `flags`, as a request of kind
/// `op` reads them, in [`FLAGS`] order (`DUMP` before `ROOT` and `MATCH`);
/// returns the bits that have no name.
pub fn each_flag(flags: u16, op: Option<Op>, mut name: impl FnMut(&'static str)) -> u16 {
    let mut rest = flags;
    for &(bits, flag, class) in FLAGS {
        if (class.is_none() || class == op) && rest & bits == bits {
            name(flag);
            rest &= !bits;
        }
    }
    rest
}

/// The flag bits a name stands for (any case, with or without `NLM_F_`),
/// whatever kind of request it belongs to.
pub fn flag_by_name(text: &str) -> Option<u16> {
    let upper = text.trim().to_ascii_uppercase();
    let upper = upper.strip_prefix("NLM_F_").unwrap_or(&upper);
    FLAGS
        .iter()
        .find(|(_, name, _)| *name == upper)
        .map(|(bits, _, _)| *bits)
}

/// The name of a multicast group whose number is fixed: rtnetlink's
/// (`RTNLGRP_LINK`) and the two uevent groups. Generic netlink group ids
/// are allocated at run time; nlctrl names them.
pub fn group_name(protocol: u32, group: u32) -> Option<&'static str> {
    match protocol {
        NETLINK_ROUTE => rtnl_group_name(group),
        NETLINK_KOBJECT_UEVENT => match group {
            1 => Some("kernel"),
            2 => Some("udev"),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_parse_by_name_alias_and_number() {
        assert_eq!(parse_protocol("route"), Ok(0));
        assert_eq!(parse_protocol("genl"), Ok(16));
        assert_eq!(parse_protocol("30"), Ok(30));
        assert!(parse_protocol("99").is_err());
        assert!(parse_protocol("nope")
            .unwrap_err()
            .contains("unknown netlink protocol"));
        assert_eq!(protocol_name(16), "generic");
        assert_eq!(protocol_name(29), "29");
    }

    #[test]
    fn protocols_are_named() {
        assert_eq!(protocol_name(0), "route");
        assert_eq!(protocol_name(30), "nlscope-demo");
        assert_eq!(protocol_name(22), "smc");
        assert_eq!(protocol_name(1), "1");
        assert_eq!(protocol_name(25), "25");
        assert_eq!(protocol_constant(15), Some("NETLINK_KOBJECT_UEVENT"));
        assert_eq!(protocol_constant(1), Some("NETLINK_UNUSED"));
        assert_eq!(protocol_by_name("NETLINK_GENERIC"), Some(16));
        assert_eq!(protocol_by_name("uevent"), Some(15));
        assert_eq!(protocol_by_name("nope"), None);
    }

    #[test]
    fn the_protocol_table_agrees_with_its_constants() {
        for p in PROTOCOLS {
            assert_eq!(PROTOCOLS.iter().filter(|q| q.number == p.number).count(), 1);
            if let Some(name) = p.name {
                assert_eq!(parse_protocol(name), Ok(p.number), "{name}");
            }
        }
    }

    #[test]
    fn flags_by_name() {
        assert_eq!(flag_by_name("dump"), Some(0x300));
        assert_eq!(flag_by_name("NLM_F_ACK"), Some(0x4));
        assert_eq!(flag_by_name("nope"), None);
        let mut names = Vec::new();
        assert_eq!(each_flag(0x701, Some(Op::Get), |n| names.push(n)), 0);
        assert_eq!(names, ["REQUEST", "DUMP", "ATOMIC"]);
    }

    #[test]
    fn fixed_groups_are_named() {
        assert_eq!(group_name(0, 1), Some("RTNLGRP_LINK"));
        assert_eq!(group_name(15, 1), Some("kernel"));
        assert_eq!(group_name(15, 2), Some("udev"));
        assert_eq!(group_name(16, 1), None);
        assert_eq!(type_label(0, 16), "RTM_NEWLINK");
        assert_eq!(type_label(16, 16), "16");
        assert_eq!(type_label(30, 3), "NLMSG_DONE");
    }
}
