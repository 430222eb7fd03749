//! `linux/netlink.h`: protocol numbers, header flags, control message types
//! and extended-ack attributes.

/// Netlink protocol numbers (the socket's protocol,
/// [`CapturedMessage::protocol`](crate::event::CapturedMessage::protocol)),
/// from libc's `c_int`s.
pub const NETLINK_ROUTE: u32 = libc::NETLINK_ROUTE as u32;
pub const NETLINK_UNUSED: u32 = libc::NETLINK_UNUSED as u32;
pub const NETLINK_USERSOCK: u32 = libc::NETLINK_USERSOCK as u32;
pub const NETLINK_FIREWALL: u32 = libc::NETLINK_FIREWALL as u32;
pub const NETLINK_SOCK_DIAG: u32 = libc::NETLINK_SOCK_DIAG as u32;
pub const NETLINK_NFLOG: u32 = libc::NETLINK_NFLOG as u32;
pub const NETLINK_XFRM: u32 = libc::NETLINK_XFRM as u32;
pub const NETLINK_SELINUX: u32 = libc::NETLINK_SELINUX as u32;
pub const NETLINK_ISCSI: u32 = libc::NETLINK_ISCSI as u32;
pub const NETLINK_AUDIT: u32 = libc::NETLINK_AUDIT as u32;
pub const NETLINK_FIB_LOOKUP: u32 = libc::NETLINK_FIB_LOOKUP as u32;
pub const NETLINK_CONNECTOR: u32 = libc::NETLINK_CONNECTOR as u32;
pub const NETLINK_NETFILTER: u32 = libc::NETLINK_NETFILTER as u32;
pub const NETLINK_IP6_FW: u32 = libc::NETLINK_IP6_FW as u32;
pub const NETLINK_DNRTMSG: u32 = libc::NETLINK_DNRTMSG as u32;
pub const NETLINK_KOBJECT_UEVENT: u32 = libc::NETLINK_KOBJECT_UEVENT as u32;
pub const NETLINK_GENERIC: u32 = libc::NETLINK_GENERIC as u32;
pub const NETLINK_SCSITRANSPORT: u32 = libc::NETLINK_SCSITRANSPORT as u32;
pub const NETLINK_ECRYPTFS: u32 = libc::NETLINK_ECRYPTFS as u32;
pub const NETLINK_RDMA: u32 = libc::NETLINK_RDMA as u32;
pub const NETLINK_CRYPTO: u32 = libc::NETLINK_CRYPTO as u32;
/// `NETLINK_SMC` (linux/netlink.h, 4.11): not in libc 0.2.
pub const NETLINK_SMC: u32 = 22;
/// The protocol the project's demo kernel module speaks (kmod/, its
/// number shared with the eBPF side through `nlscope_common::demo`).
pub const NETLINK_NLSCOPE_DEMO: u32 = nlscope_common::demo::DEFAULT_PROTOCOL;

/// `NLM_F_MULTI`: netlink-packet-core calls it `NLM_F_MULTIPART`.
pub use netlink_packet_core::NLM_F_MULTIPART as NLM_F_MULTI;
/// Header flags (`nlmsg_flags`): netlink-packet-core's, which are `u16`.
pub use netlink_packet_core::{
    NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_APPEND, NLM_F_ATOMIC, NLM_F_CAPPED, NLM_F_CREATE, NLM_F_DUMP,
    NLM_F_DUMP_FILTERED, NLM_F_DUMP_INTR, NLM_F_ECHO, NLM_F_EXCL, NLM_F_MATCH, NLM_F_NONREC,
    NLM_F_REPLACE, NLM_F_REQUEST, NLM_F_ROOT,
};
/// `NLM_F_BULK` (delete in bulk, 6.3): libc's, not in netlink-packet-core.
pub const NLM_F_BULK: u16 = libc::NLM_F_BULK as u16;

/// Control message types every protocol shares (netlink-packet-core's).
pub use netlink_packet_core::{NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN};
/// Types below this are control messages (libc's).
pub const NLMSG_MIN_TYPE: u16 = libc::NLMSG_MIN_TYPE as u16;

/// Extended-ack attributes after an NLMSG_ERROR (`enum nlmsgerr_attrs`,
/// linux/netlink.h): not in libc or netlink-packet-core.
pub const NLMSGERR_ATTR_MSG: u16 = 1;
pub const NLMSGERR_ATTR_OFFS: u16 = 2;
pub const NLMSGERR_ATTR_COOKIE: u16 = 3;
pub const NLMSGERR_ATTR_POLICY: u16 = 4;
pub const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;
pub const NLMSGERR_ATTR_MISS_NEST: u16 = 6;

/// What an NLMSGERR_ATTR_POLICY nest (and nlctrl's policy dump) says about
/// the policy an attribute broke (`enum netlink_policy_type_attr`,
/// linux/netlink.h): not in libc or netlink-packet-core.
pub const NL_POLICY_TYPE_ATTR_TYPE: u16 = 1;
pub const NL_POLICY_TYPE_ATTR_MIN_VALUE_S: u16 = 2;
pub const NL_POLICY_TYPE_ATTR_MAX_VALUE_S: u16 = 3;
pub const NL_POLICY_TYPE_ATTR_MIN_VALUE_U: u16 = 4;
pub const NL_POLICY_TYPE_ATTR_MAX_VALUE_U: u16 = 5;
pub const NL_POLICY_TYPE_ATTR_MIN_LENGTH: u16 = 6;
pub const NL_POLICY_TYPE_ATTR_MAX_LENGTH: u16 = 7;
pub const NL_POLICY_TYPE_ATTR_POLICY_IDX: u16 = 8;
pub const NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE: u16 = 9;
pub const NL_POLICY_TYPE_ATTR_BITFIELD32_MASK: u16 = 10;
pub const NL_POLICY_TYPE_ATTR_PAD: u16 = 11;
pub const NL_POLICY_TYPE_ATTR_MASK: u16 = 12;

/// The attribute types a policy reports in NL_POLICY_TYPE_ATTR_TYPE (`enum
/// netlink_attribute_type`, linux/netlink.h), as u32 values.
pub const NL_ATTR_TYPE_INVALID: u32 = 0;
pub const NL_ATTR_TYPE_FLAG: u32 = 1;
pub const NL_ATTR_TYPE_U8: u32 = 2;
pub const NL_ATTR_TYPE_U16: u32 = 3;
pub const NL_ATTR_TYPE_U32: u32 = 4;
pub const NL_ATTR_TYPE_U64: u32 = 5;
pub const NL_ATTR_TYPE_S8: u32 = 6;
pub const NL_ATTR_TYPE_S16: u32 = 7;
pub const NL_ATTR_TYPE_S32: u32 = 8;
pub const NL_ATTR_TYPE_S64: u32 = 9;
pub const NL_ATTR_TYPE_BINARY: u32 = 10;
pub const NL_ATTR_TYPE_STRING: u32 = 11;
pub const NL_ATTR_TYPE_NUL_STRING: u32 = 12;
pub const NL_ATTR_TYPE_NESTED: u32 = 13;
pub const NL_ATTR_TYPE_NESTED_ARRAY: u32 = 14;
pub const NL_ATTR_TYPE_BITFIELD32: u32 = 15;
