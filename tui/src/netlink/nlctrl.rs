//! nlctrl, generic netlink's controller: the running kernel's families
//! (id, name, header size, multicast groups) from a `CTRL_CMD_GETFAMILY`
//! dump, and the one reader and writer of nlctrl family messages, which the
//! decoder (learning families from a capture), the capture files
//! (announcing families to Wireshark) and the port table (naming groups)
//! share.
//!
//! The socket is netlink-sys ([`super::dump`]). Messages are read here, not by
//! netlink-packet-generic: its parser rejects a whole family message when
//! the kernel adds an attribute it does not know, and the decoder needs a
//! reader that takes any captured bytes anyway. Family ids are global (the
//! same in every network namespace) but dynamic: a family registered after
//! the dump is not in it.

use std::collections::BTreeMap;
use std::io;

use anyhow::{anyhow, bail};

use super::attr::{attrs, c_string, push_attr};
use super::consts::{NETLINK_GENERIC, NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP, NLM_F_REQUEST};
use super::dump::dump;
use super::genl::{
    CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_HDRSIZE, CTRL_ATTR_MCAST_GROUPS,
    CTRL_ATTR_MCAST_GRP_ID, CTRL_ATTR_MCAST_GRP_NAME, CTRL_CMD_GETFAMILY, CTRL_CMD_NEWFAMILY,
    GENL_HDRLEN, GENL_ID_CTRL,
};
use super::header::{build_message, messages, parse_header, NLMSG_HDRLEN};

/// A generic netlink family as nlctrl describes it (serializable: sources
/// pass families downstream, and the agent to its clients).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Family {
    pub id: u16,
    pub name: String,
    /// Multicast groups: (group id, name).
    pub groups: Vec<(u32, String)>,
    /// Size of the family's own header after genlmsghdr (CTRL_ATTR_HDRSIZE).
    pub hdrsize: u32,
}

/// The family the attributes of an nlctrl family message describe (the
/// bytes after its genlmsghdr); `None` without an id or a name. Tolerant:
/// unknown attributes are skipped, and a malformed one ends the list.
pub fn parse_family_attrs(attributes: &[u8]) -> Option<Family> {
    let (mut id, mut name) = (None, None);
    let mut family = Family::default();
    for (kind, value) in attrs(attributes) {
        match kind {
            CTRL_ATTR_FAMILY_ID if value.len() >= 2 => {
                id = Some(u16::from_ne_bytes([value[0], value[1]]))
            }
            CTRL_ATTR_FAMILY_NAME => name = Some(c_string(value)),
            CTRL_ATTR_HDRSIZE if value.len() == 4 => {
                family.hdrsize = u32::from_ne_bytes([value[0], value[1], value[2], value[3]])
            }
            CTRL_ATTR_MCAST_GROUPS => {
                for (_, group) in attrs(value) {
                    let (mut group_id, mut group_name) = (None, None);
                    for (kind, value) in attrs(group) {
                        match kind {
                            CTRL_ATTR_MCAST_GRP_ID if value.len() == 4 => {
                                group_id = Some(u32::from_ne_bytes([
                                    value[0], value[1], value[2], value[3],
                                ]))
                            }
                            CTRL_ATTR_MCAST_GRP_NAME => group_name = Some(c_string(value)),
                            _ => {}
                        }
                    }
                    if let (Some(group_id), Some(group_name)) = (group_id, group_name) {
                        family.groups.push((group_id, group_name));
                    }
                }
            }
            _ => {}
        }
    }
    family.id = id?;
    family.name = name?;
    Some(family)
}

/// The family a `CTRL_CMD_NEWFAMILY` message announces (a reply to
/// GETFAMILY, or a notification). `message` starts at its nlmsghdr; when it
/// holds fewer bytes than the header's length (a cut capture), what is
/// there is read.
pub fn parse_new_family(message: &[u8]) -> Option<Family> {
    let header = parse_header(message)?;
    let end = (header.len as usize).min(message.len());
    let attributes = NLMSG_HDRLEN + GENL_HDRLEN;
    if header.kind != GENL_ID_CTRL
        || end < attributes
        || message[NLMSG_HDRLEN] != CTRL_CMD_NEWFAMILY
    {
        return None;
    }
    parse_family_attrs(&message[attributes..end])
}

/// A valid `CTRL_CMD_NEWFAMILY` message announcing `name` as family `id`, as
/// the kernel sends it (host byte order; flags, sequence and port 0):
/// genlmsghdr (version 2), CTRL_ATTR_FAMILY_ID (u16) and
/// CTRL_ATTR_FAMILY_NAME. A name holding a NUL ends there, and one longer
/// than 255 bytes is cut, so the attribute stays a short C string.
pub fn new_family_message(id: u16, name: &str) -> Vec<u8> {
    let name = name.split('\0').next().unwrap_or_default();
    let mut name_bytes: Vec<u8> = name.as_bytes().iter().copied().take(255).collect();
    name_bytes.push(0);
    let mut body = vec![CTRL_CMD_NEWFAMILY, 2, 0, 0];
    push_attr(&mut body, CTRL_ATTR_FAMILY_ID, &id.to_ne_bytes());
    push_attr(&mut body, CTRL_ATTR_FAMILY_NAME, &name_bytes);
    build_message(GENL_ID_CTRL, 0, 0, 0, &body)
}

/// The body of a `CTRL_CMD_GETFAMILY` request (genlmsghdr, version 1): for
/// the family called `name`, or, without one and sent with `NLM_F_DUMP`,
/// for every family.
pub fn get_family_body(name: Option<&str>) -> Vec<u8> {
    let mut body = vec![CTRL_CMD_GETFAMILY, 1, 0, 0];
    if let Some(name) = name {
        let mut value = name.as_bytes().to_vec();
        value.push(0);
        push_attr(&mut body, CTRL_ATTR_FAMILY_NAME, &value);
    }
    body
}

/// Reads one datagram of the family dump into `families`; true when the
/// dump is over (NLMSG_DONE, or an ack). A refusal or a message that does
/// not fit the datagram is an error.
pub fn parse_dump(datagram: &[u8], families: &mut Vec<Family>) -> anyhow::Result<bool> {
    for item in messages(datagram) {
        let (header, message) = item.map_err(|e| anyhow!("nlctrl: {e}"))?;
        match header.kind {
            NLMSG_DONE => return Ok(true),
            NLMSG_ERROR => {
                let errno = message
                    .get(NLMSG_HDRLEN..NLMSG_HDRLEN + 4)
                    .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                    .unwrap_or(0);
                if errno != 0 {
                    let error = io::Error::from_raw_os_error(errno.wrapping_neg());
                    bail!("nlctrl refused the family dump: {error}");
                }
                return Ok(true);
            }
            _ => families.extend(parse_new_family(message)),
        }
    }
    Ok(false)
}

/// Every generic netlink family the kernel has registered now.
pub fn dump_families() -> anyhow::Result<Vec<Family>> {
    let request = build_message(
        GENL_ID_CTRL,
        NLM_F_REQUEST | NLM_F_DUMP,
        1,
        0,
        &get_family_body(None),
    );
    let mut families = Vec::new();
    dump(NETLINK_GENERIC, "nlctrl", &request, |datagram, _| {
        parse_dump(datagram, &mut families)
    })?;
    Ok(families)
}

/// Every generic netlink family the kernel has registered now, id -> name.
pub fn family_names() -> anyhow::Result<BTreeMap<u16, String>> {
    Ok(dump_families()?
        .into_iter()
        .map(|family| (family.id, family.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::attr::attr;
    use proptest::prelude::*;

    fn family_body(extra_unknown: bool) -> Vec<u8> {
        let mut body = vec![CTRL_CMD_NEWFAMILY, 2, 0, 0];
        body.extend(attr(CTRL_ATTR_FAMILY_ID, &0x20u16.to_ne_bytes()));
        body.extend(attr(CTRL_ATTR_FAMILY_NAME, b"demo\0"));
        let mut group = attr(CTRL_ATTR_MCAST_GRP_NAME, b"events\0");
        group.extend(attr(CTRL_ATTR_MCAST_GRP_ID, &40u32.to_ne_bytes()));
        body.extend(attr(CTRL_ATTR_MCAST_GROUPS, &attr(0x8001, &group)));
        if extra_unknown {
            body.extend(attr(99, &[1, 2, 3, 4]));
        }
        body
    }

    #[test]
    fn family_groups_with_and_without_unknown_attributes() {
        for unknown in [false, true] {
            let mut buffer = build_message(GENL_ID_CTRL, 2, 1, 0, &family_body(unknown));
            crate::netlink::header::pad(&mut buffer);
            buffer.extend(build_message(NLMSG_DONE, 2, 1, 0, &0i32.to_ne_bytes()));
            let mut families = Vec::new();
            assert!(parse_dump(&buffer, &mut families).unwrap());
            assert_eq!(
                families,
                vec![Family {
                    id: 0x20,
                    name: "demo".into(),
                    groups: vec![(40, "events".into())],
                    hdrsize: 0,
                }],
                "unknown attribute present: {unknown}"
            );
        }
    }

    #[test]
    fn refusals_and_truncation_are_errors() {
        let refused = build_message(NLMSG_ERROR, 0, 1, 0, &(-1i32).to_ne_bytes());
        let error = parse_dump(&refused, &mut Vec::new()).unwrap_err();
        assert!(error.to_string().contains("refused"), "{error}");
        let mut cut = build_message(GENL_ID_CTRL, 2, 1, 0, &family_body(false));
        cut.truncate(30);
        assert!(parse_dump(&cut, &mut Vec::new()).is_err());
    }

    #[test]
    fn announcements_read_back() {
        let announcement = new_family_message(0x1d, "nlscope_demo");
        let family = parse_new_family(&announcement).unwrap();
        assert_eq!((family.id, family.name.as_str()), (0x1d, "nlscope_demo"));
        // A NUL ends the name.
        let family = parse_new_family(&new_family_message(7, "a\0b")).unwrap();
        assert_eq!(family.name, "a");
        // Other nlctrl commands announce nothing.
        let request = build_message(GENL_ID_CTRL, 1, 1, 0, &get_family_body(Some("demo")));
        assert_eq!(parse_new_family(&request), None);
    }

    proptest! {
        #[test]
        fn the_readers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_family_attrs(&bytes);
            let _ = parse_new_family(&bytes);
            let _ = parse_dump(&bytes, &mut Vec::new());
        }
    }
}
