//! sock_diag (`NETLINK_SOCK_DIAG`, linux/sock_diag.h, linux/inet_diag.h)
//! and its netlink_diag family (linux/netlink_diag.h): message types, the
//! request's flags and the reply's attributes. None of these is in libc.

/// Message types: the inet dump requests (`TCPDIAG_GETSOCK`,
/// `DCCPDIAG_GETSOCK`), the per-family dump, socket destruction.
pub const TCPDIAG_GETSOCK: u16 = 18;
pub const DCCPDIAG_GETSOCK: u16 = 19;
pub const SOCK_DIAG_BY_FAMILY: u16 = 20;
pub const SOCK_DESTROY: u16 = 21;

/// sock_diag message type names.
pub const SOCK_DIAG_TYPES: &[(u16, &str)] = &[
    (TCPDIAG_GETSOCK, "TCPDIAG_GETSOCK"),
    (DCCPDIAG_GETSOCK, "DCCPDIAG_GETSOCK"),
    (SOCK_DIAG_BY_FAMILY, "SOCK_DIAG_BY_FAMILY"),
    (SOCK_DESTROY, "SOCK_DESTROY"),
];

/// `struct netlink_diag_req` and `struct netlink_diag_msg` sizes.
pub const NETLINK_DIAG_REQ_LEN: usize = 20;
pub const NETLINK_DIAG_MSG_LEN: usize = 28;
/// `sdiag_protocol` asking for every netlink protocol.
pub const NDIAG_PROTO_ALL: u8 = 0xff;
/// What a netlink_diag reply should carry (`ndiag_show`).
pub const NDIAG_SHOW_MEMINFO: u32 = 0x1;
pub const NDIAG_SHOW_GROUPS: u32 = 0x2;
pub const NDIAG_SHOW_FLAGS: u32 = 0x8;
/// netlink_diag reply attributes.
pub const NETLINK_DIAG_MEMINFO: u16 = 0;
pub const NETLINK_DIAG_GROUPS: u16 = 1;
pub const NETLINK_DIAG_FLAGS: u16 = 4;

/// `SK_MEMINFO_*` indexes of the meminfo array.
pub const SK_MEMINFO_RMEM_ALLOC: usize = 0;
pub const SK_MEMINFO_RCVBUF: usize = 1;
pub const SK_MEMINFO_WMEM_ALLOC: usize = 2;
pub const SK_MEMINFO_DROPS: usize = 8;
