//! Generic netlink (`NETLINK_GENERIC`, linux/genetlink.h): the genlmsghdr,
//! the controller family nlctrl's fixed id, commands and attributes, and
//! the names of the families whose ids are fixed. Typed as nlscope reads
//! them (family id `u16`, command `u8`, attribute type `u16`) from libc's
//! `c_int`s.

/// Size of `struct genlmsghdr` (cmd, version, reserved; libc's struct).
pub const GENL_HDRLEN: usize = std::mem::size_of::<libc::genlmsghdr>();

/// nlctrl's family id, the one fixed id every kernel has.
pub const GENL_ID_CTRL: u16 = libc::GENL_ID_CTRL as u16;
/// Two more fixed ids, of families that no longer exist in current kernels.
pub const GENL_ID_VFS_DQUOT: u16 = libc::GENL_ID_VFS_DQUOT as u16;
pub const GENL_ID_PMCRAID: u16 = libc::GENL_ID_PMCRAID as u16;

/// nlctrl commands (`CTRL_CMD_*`).
pub const CTRL_CMD_UNSPEC: u8 = libc::CTRL_CMD_UNSPEC as u8;
pub const CTRL_CMD_NEWFAMILY: u8 = libc::CTRL_CMD_NEWFAMILY as u8;
pub const CTRL_CMD_DELFAMILY: u8 = libc::CTRL_CMD_DELFAMILY as u8;
pub const CTRL_CMD_GETFAMILY: u8 = libc::CTRL_CMD_GETFAMILY as u8;
pub const CTRL_CMD_NEWOPS: u8 = libc::CTRL_CMD_NEWOPS as u8;
pub const CTRL_CMD_DELOPS: u8 = libc::CTRL_CMD_DELOPS as u8;
pub const CTRL_CMD_GETOPS: u8 = libc::CTRL_CMD_GETOPS as u8;
pub const CTRL_CMD_NEWMCAST_GRP: u8 = libc::CTRL_CMD_NEWMCAST_GRP as u8;
pub const CTRL_CMD_DELMCAST_GRP: u8 = libc::CTRL_CMD_DELMCAST_GRP as u8;
pub const CTRL_CMD_GETMCAST_GRP: u8 = libc::CTRL_CMD_GETMCAST_GRP as u8;
/// `CTRL_CMD_GETPOLICY` (5.10): not in libc 0.2.
pub const CTRL_CMD_GETPOLICY: u8 = 10;

/// nlctrl family attributes (`CTRL_ATTR_*`).
pub const CTRL_ATTR_FAMILY_ID: u16 = libc::CTRL_ATTR_FAMILY_ID as u16;
pub const CTRL_ATTR_FAMILY_NAME: u16 = libc::CTRL_ATTR_FAMILY_NAME as u16;
pub const CTRL_ATTR_VERSION: u16 = libc::CTRL_ATTR_VERSION as u16;
pub const CTRL_ATTR_HDRSIZE: u16 = libc::CTRL_ATTR_HDRSIZE as u16;
pub const CTRL_ATTR_MAXATTR: u16 = libc::CTRL_ATTR_MAXATTR as u16;
pub const CTRL_ATTR_OPS: u16 = libc::CTRL_ATTR_OPS as u16;
pub const CTRL_ATTR_MCAST_GROUPS: u16 = libc::CTRL_ATTR_MCAST_GROUPS as u16;
/// `CTRL_ATTR_POLICY`, `CTRL_ATTR_OP_POLICY`, `CTRL_ATTR_OP` (5.7-5.10):
/// not in libc 0.2.
pub const CTRL_ATTR_POLICY: u16 = 8;
pub const CTRL_ATTR_OP_POLICY: u16 = 9;
pub const CTRL_ATTR_OP: u16 = 10;
/// Attributes of one operation in `CTRL_ATTR_OPS`.
pub const CTRL_ATTR_OP_ID: u16 = libc::CTRL_ATTR_OP_ID as u16;
pub const CTRL_ATTR_OP_FLAGS: u16 = libc::CTRL_ATTR_OP_FLAGS as u16;
/// Attributes of one group in `CTRL_ATTR_MCAST_GROUPS`.
pub const CTRL_ATTR_MCAST_GRP_NAME: u16 = libc::CTRL_ATTR_MCAST_GRP_NAME as u16;
pub const CTRL_ATTR_MCAST_GRP_ID: u16 = libc::CTRL_ATTR_MCAST_GRP_ID as u16;

/// nlctrl command names, as they read after the family (`nlctrl GETFAMILY`).
pub const CTRL_CMDS: &[(u8, &str)] = &[
    (CTRL_CMD_UNSPEC, "UNSPEC"),
    (CTRL_CMD_NEWFAMILY, "NEWFAMILY"),
    (CTRL_CMD_DELFAMILY, "DELFAMILY"),
    (CTRL_CMD_GETFAMILY, "GETFAMILY"),
    (CTRL_CMD_NEWOPS, "NEWOPS"),
    (CTRL_CMD_DELOPS, "DELOPS"),
    (CTRL_CMD_GETOPS, "GETOPS"),
    (CTRL_CMD_NEWMCAST_GRP, "NEWMCAST_GRP"),
    (CTRL_CMD_DELMCAST_GRP, "DELMCAST_GRP"),
    (CTRL_CMD_GETMCAST_GRP, "GETMCAST_GRP"),
    (CTRL_CMD_GETPOLICY, "GETPOLICY"),
];

/// The name of a family whose id is fixed (nlctrl and two historic ones);
/// every other id is allocated at run time and named by nlctrl.
pub fn fixed_family_name(id: u16) -> Option<&'static str> {
    match id {
        GENL_ID_CTRL => Some("nlctrl"),
        GENL_ID_VFS_DQUOT => Some("VFS_DQUOT"),
        GENL_ID_PMCRAID => Some("PMCRAID"),
        _ => None,
    }
}

/// True for the nlctrl commands that only read (GETFAMILY, GETOPS,
/// GETMCAST_GRP, GETPOLICY).
pub fn ctrl_cmd_reads_only(cmd: u8) -> bool {
    matches!(
        cmd,
        CTRL_CMD_GETFAMILY | CTRL_CMD_GETOPS | CTRL_CMD_GETMCAST_GRP | CTRL_CMD_GETPOLICY
    )
}
