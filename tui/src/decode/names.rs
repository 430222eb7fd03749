//! Names as the decoders show them: header flags joined (`REQUEST|DUMP`),
//! `number (NAME)`, errno values and address families. The netlink name
//! tables themselves are [`crate::netlink::names`].

use std::fmt::Write as _;

use compact_str::{CompactString, ToCompactString};

use crate::netlink::names::each_flag;
pub use crate::netlink::names::{lookup, Op};

/// Names of the set bits of `flags`, e.g. `REQUEST|DUMP`.
pub fn flag_names(flags: u16, op: Option<Op>) -> CompactString {
    // Parts ("REQUEST", "|", "ACK", ...) joined once at the end.
    let mut parts: [&str; 32] = [""; 32];
    let mut count = 0;
    let rest = each_flag(flags, op, |name| {
        if count > 0 {
            parts[count] = "|";
            count += 1;
        }
        parts[count] = name;
        count += 1;
    });
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
