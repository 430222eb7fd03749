//! Netlink itself, in one place: every netlink number nlscope uses, the
//! header and attribute codecs, the name tables, and the nlctrl query.
//! Nothing else in the tree defines a netlink number, name table or codec;
//! `tui/tests/netlink_single_home.rs` fails when something does.
//!
//! - `consts`: `linux/netlink.h`: protocol numbers, header flags, control
//!   message types, extended-ack attributes.
//! - `route`, `genl`, `diag`: the numbers of rtnetlink, generic netlink
//!   (nlctrl) and sock_diag / netlink_diag, with their message-type names.
//! - `demo_genl`: the demo module's generic netlink family (kmod/): its
//!   names, command and attribute numbers, checked against the C header
//!   and the YNL spec.
//! - `tap`: what the nlmon tap puts in the cooked header of a capture.
//! - `header`: `struct nlmsghdr`: parse, build, align, walk a buffer.
//! - `attr`: `struct nlattr`: walk, build, align.
//! - `groups`: multicast group bitmaps (`nl_groups`, NETLINK_DIAG_GROUPS).
//! - `names`: protocol names (one table), control-type, message-type,
//!   header-flag and multicast-group names.
//! - `dump`: asking the kernel for a dump over a netlink-sys socket.
//! - `nlctrl`: the generic netlink family dump, and the one reader and
//!   writer of nlctrl family messages.
//!
//! Constants come from netlink-packet-core or libc where those have them,
//! typed as nlscope stores them (protocol `u32`, message type and flags
//! `u16`, genl command `u8`, attribute type `u16`); the few neither has are
//! written out with the header they come from. Every constant is also
//! re-exported here (`crate::netlink::NLM_F_REQUEST`).
//!
//! What stays in `decode`: the decoder's schemas, each defined once there:
//! attribute spaces (each attribute's name with how its value reads), C
//! struct layouts, and the message names of families only the decoder
//! shows (audit, nfnetlink, generic netlink families other than nlctrl).

pub mod attr;
pub mod consts;
pub mod demo_genl;
pub mod diag;
pub mod dump;
pub mod genl;
pub mod groups;
pub mod header;
pub mod names;
pub mod nlctrl;
pub mod route;
pub mod tap;

pub use self::attr::{NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_HDRLEN, NLA_TYPE_MASK};
pub use self::consts::*;
pub use self::demo_genl::*;
pub use self::diag::*;
pub use self::genl::*;
pub use self::header::{NlMsgHeader, NLMSG_HDRLEN};
pub use self::names::Op;
pub use self::route::*;
pub use self::tap::*;
