//! Name tables shared by the protocol decoders: netlink protocols, control
//! message types, header flags and errno values.

use std::fmt::Write as _;

use compact_str::{CompactString, ToCompactString};

/// Name of a netlink protocol number (`NETLINK_ROUTE` is 0 ...).
pub fn protocol_name(protocol: u32) -> Option<&'static str> {
    Some(match protocol {
        0 => "NETLINK_ROUTE",
        1 => "NETLINK_UNUSED",
        2 => "NETLINK_USERSOCK",
        3 => "NETLINK_FIREWALL",
        4 => "NETLINK_SOCK_DIAG",
        5 => "NETLINK_NFLOG",
        6 => "NETLINK_XFRM",
        7 => "NETLINK_SELINUX",
        8 => "NETLINK_ISCSI",
        9 => "NETLINK_AUDIT",
        10 => "NETLINK_FIB_LOOKUP",
        11 => "NETLINK_CONNECTOR",
        12 => "NETLINK_NETFILTER",
        13 => "NETLINK_IP6_FW",
        14 => "NETLINK_DNRTMSG",
        15 => "NETLINK_KOBJECT_UEVENT",
        16 => "NETLINK_GENERIC",
        18 => "NETLINK_SCSITRANSPORT",
        19 => "NETLINK_ECRYPTFS",
        20 => "NETLINK_RDMA",
        21 => "NETLINK_CRYPTO",
        22 => "NETLINK_SMC",
        30 => "NETLINK_NLSCOPE_DEMO",
        _ => return None,
    })
}

/// The four control message types every protocol shares.
pub fn control_type_name(kind: u16) -> Option<&'static str> {
    Some(match kind {
        1 => "NLMSG_NOOP",
        2 => "NLMSG_ERROR",
        3 => "NLMSG_DONE",
        4 => "NLMSG_OVERRUN",
        _ => return None,
    })
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

/// Names of the set bits of `flags`, e.g. `REQUEST|DUMP`.
pub fn flag_names(flags: u16, op: Option<Op>) -> CompactString {
    // Parts ("REQUEST", "|", "ACK", ...) joined once at the end.
    let mut parts: [&str; 32] = [""; 32];
    let mut count = 0;
    let mut rest = flags;
    let mut take = |bit: u16, name: &'static str| {
        if rest & bit == bit && bit != 0 {
            if count > 0 {
                parts[count] = "|";
                count += 1;
            }
            parts[count] = name;
            count += 1;
            rest &= !bit;
        }
    };
    take(0x01, "REQUEST");
    take(0x02, "MULTI");
    take(0x04, "ACK");
    take(0x08, "ECHO");
    take(0x10, "DUMP_INTR");
    take(0x20, "DUMP_FILTERED");
    match op {
        Some(Op::Get) => {
            take(0x300, "DUMP");
            take(0x100, "ROOT");
            take(0x200, "MATCH");
            take(0x400, "ATOMIC");
        }
        Some(Op::New) => {
            take(0x100, "REPLACE");
            take(0x200, "EXCL");
            take(0x400, "CREATE");
            take(0x800, "APPEND");
        }
        Some(Op::Del) => {
            take(0x100, "NONREC");
            take(0x200, "BULK");
        }
        Some(Op::Ack) => {
            take(0x100, "CAPPED");
            take(0x200, "ACK_TLVS");
        }
        None => {}
    }
    let mut names = super::nla::cat(&parts[..count]);
    if rest != 0 {
        if !names.is_empty() {
            names.push('|');
        }
        let _ = write!(names, "{rest:#x}");
    }
    if names.is_empty() {
        names.push('0');
    }
    names
}

/// `number (NAME)`, the way values with a symbolic name are shown.
pub fn with_name(number: impl ToCompactString, name: &str) -> CompactString {
    super::nla::cat(&[&number.to_compact_string(), " (", name, ")"])
}

/// Linux errno name (`ENOENT` for 2).
pub fn errno_name(errno: i32) -> Option<&'static str> {
    const NAMES: [&str; 134] = [
        "",
        "EPERM",
        "ENOENT",
        "ESRCH",
        "EINTR",
        "EIO",
        "ENXIO",
        "E2BIG",
        "ENOEXEC",
        "EBADF",
        "ECHILD",
        "EAGAIN",
        "ENOMEM",
        "EACCES",
        "EFAULT",
        "ENOTBLK",
        "EBUSY",
        "EEXIST",
        "EXDEV",
        "ENODEV",
        "ENOTDIR",
        "EISDIR",
        "EINVAL",
        "ENFILE",
        "EMFILE",
        "ENOTTY",
        "ETXTBSY",
        "EFBIG",
        "ENOSPC",
        "ESPIPE",
        "EROFS",
        "EMLINK",
        "EPIPE",
        "EDOM",
        "ERANGE",
        "EDEADLK",
        "ENAMETOOLONG",
        "ENOLCK",
        "ENOSYS",
        "ENOTEMPTY",
        "ELOOP",
        "",
        "ENOMSG",
        "EIDRM",
        "ECHRNG",
        "EL2NSYNC",
        "EL3HLT",
        "EL3RST",
        "ELNRNG",
        "EUNATCH",
        "ENOCSI",
        "EL2HLT",
        "EBADE",
        "EBADR",
        "EXFULL",
        "ENOANO",
        "EBADRQC",
        "EBADSLT",
        "",
        "EBFONT",
        "ENOSTR",
        "ENODATA",
        "ETIME",
        "ENOSR",
        "ENONET",
        "ENOPKG",
        "EREMOTE",
        "ENOLINK",
        "EADV",
        "ESRMNT",
        "ECOMM",
        "EPROTO",
        "EMULTIHOP",
        "EDOTDOT",
        "EBADMSG",
        "EOVERFLOW",
        "ENOTUNIQ",
        "EBADFD",
        "EREMCHG",
        "ELIBACC",
        "ELIBBAD",
        "ELIBSCN",
        "ELIBMAX",
        "ELIBEXEC",
        "EILSEQ",
        "ERESTART",
        "ESTRPIPE",
        "EUSERS",
        "ENOTSOCK",
        "EDESTADDRREQ",
        "EMSGSIZE",
        "EPROTOTYPE",
        "ENOPROTOOPT",
        "EPROTONOSUPPORT",
        "ESOCKTNOSUPPORT",
        "EOPNOTSUPP",
        "EPFNOSUPPORT",
        "EAFNOSUPPORT",
        "EADDRINUSE",
        "EADDRNOTAVAIL",
        "ENETDOWN",
        "ENETUNREACH",
        "ENETRESET",
        "ECONNABORTED",
        "ECONNRESET",
        "ENOBUFS",
        "EISCONN",
        "ENOTCONN",
        "ESHUTDOWN",
        "ETOOMANYREFS",
        "ETIMEDOUT",
        "ECONNREFUSED",
        "EHOSTDOWN",
        "EHOSTUNREACH",
        "EALREADY",
        "EINPROGRESS",
        "ESTALE",
        "EUCLEAN",
        "ENOTNAM",
        "ENAVAIL",
        "EISNAM",
        "EREMOTEIO",
        "EDQUOT",
        "ENOMEDIUM",
        "EMEDIUMTYPE",
        "ECANCELED",
        "ENOKEY",
        "EKEYEXPIRED",
        "EKEYREVOKED",
        "EKEYREJECTED",
        "EOWNERDEAD",
        "ENOTRECOVERABLE",
        "ERFKILL",
        "EHWPOISON",
    ];
    match errno {
        512 => Some("ERESTARTSYS"),
        524 => Some("ENOTSUPP"),
        _ => usize::try_from(errno)
            .ok()
            .and_then(|i| NAMES.get(i))
            .copied()
            .filter(|name| !name.is_empty()),
    }
}

/// Looks `value` up in a `(value, name)` table.
pub fn lookup<T: PartialEq + Copy>(table: &[(T, &'static str)], value: T) -> Option<&'static str> {
    table.iter().find(|(v, _)| *v == value).map(|(_, n)| *n)
}

/// `NAME` when known, the number otherwise.
pub fn name_or_number<T: PartialEq + Copy + std::fmt::Display>(
    table: &[(T, &'static str)],
    value: T,
) -> String {
    match lookup(table, value) {
        Some(name) => name.to_string(),
        None => value.to_string(),
    }
}

/// Address families (AF_*) that appear in netlink headers.
pub const ADDRESS_FAMILIES: &[(u8, &str)] = &[
    (0, "AF_UNSPEC"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (7, "AF_BRIDGE"),
    (10, "AF_INET6"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
    (28, "AF_MPLS"),
    (128, "RTNL_FAMILY_IPMR"),
    (129, "RTNL_FAMILY_IP6MR"),
];

/// rtnetlink multicast groups (RTNLGRP_*), by group number.
pub const RTNL_GROUPS: &[(u32, &str)] = &[
    (1, "RTNLGRP_LINK"),
    (2, "RTNLGRP_NOTIFY"),
    (3, "RTNLGRP_NEIGH"),
    (4, "RTNLGRP_TC"),
    (5, "RTNLGRP_IPV4_IFADDR"),
    (6, "RTNLGRP_IPV4_MROUTE"),
    (7, "RTNLGRP_IPV4_ROUTE"),
    (8, "RTNLGRP_IPV4_RULE"),
    (9, "RTNLGRP_IPV6_IFADDR"),
    (10, "RTNLGRP_IPV6_MROUTE"),
    (11, "RTNLGRP_IPV6_ROUTE"),
    (12, "RTNLGRP_IPV6_IFINFO"),
    (18, "RTNLGRP_IPV6_PREFIX"),
    (19, "RTNLGRP_IPV6_RULE"),
    (20, "RTNLGRP_ND_USEROPT"),
    (23, "RTNLGRP_DCB"),
    (24, "RTNLGRP_IPV4_NETCONF"),
    (25, "RTNLGRP_IPV6_NETCONF"),
    (26, "RTNLGRP_MDB"),
    (27, "RTNLGRP_MPLS_ROUTE"),
    (28, "RTNLGRP_NSID"),
    (29, "RTNLGRP_MPLS_NETCONF"),
    (30, "RTNLGRP_IPV4_MROUTE_R"),
    (31, "RTNLGRP_IPV6_MROUTE_R"),
    (32, "RTNLGRP_NEXTHOP"),
    (33, "RTNLGRP_BRVLAN"),
    (34, "RTNLGRP_MCTP_IFADDR"),
    (35, "RTNLGRP_TUNNEL"),
    (36, "RTNLGRP_STATS"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_names_match_linux() {
        assert_eq!(errno_name(2), Some("ENOENT"));
        assert_eq!(errno_name(19), Some("ENODEV"));
        assert_eq!(errno_name(95), Some("EOPNOTSUPP"));
        assert_eq!(errno_name(133), Some("EHWPOISON"));
        assert_eq!(errno_name(41), None);
        assert_eq!(errno_name(-1), None);
    }

    #[test]
    fn flags_read_by_operation() {
        assert_eq!(flag_names(0x301, Some(Op::Get)), "REQUEST|DUMP");
        assert_eq!(flag_names(0x605, Some(Op::New)), "REQUEST|ACK|EXCL|CREATE");
        assert_eq!(flag_names(0x300, Some(Op::Ack)), "CAPPED|ACK_TLVS");
        assert_eq!(flag_names(0x2, None), "MULTI");
        assert_eq!(flag_names(0x101, None), "REQUEST|0x100");
        assert_eq!(flag_names(0, None), "0");
    }
}
