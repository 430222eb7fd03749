//! Generic netlink multicast group names, asked from nlctrl
//! (`CTRL_CMD_GETFAMILY` dump; each family's `CTRL_ATTR_MCAST_GROUPS` lists
//! name and id of its groups). Group ids are global across families.
//!
//! Requests are built and replies decoded with netlink-packet-generic. Its
//! decoder rejects a whole family message when the kernel adds an attribute
//! it does not know, so such messages go through a tolerant fallback that
//! reads only the family name and the group list.

use std::collections::BTreeMap;

use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_generic::ctrl::nlas::{GenlCtrlAttrs, McastGrpAttrs};
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::GenlMessage;
use netlink_sys::{protocols::NETLINK_GENERIC, Socket, SocketAddr};

use super::names::GenlGroup;

const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const CTRL_ATTR_MCAST_GROUPS: u16 = 7;
const CTRL_ATTR_MCAST_GRP_NAME: u16 = 1;
const CTRL_ATTR_MCAST_GRP_ID: u16 = 2;
const GENL_HDRLEN: usize = 4;

/// Groups named in one family message.
fn groups_from_attrs(attrs: &[GenlCtrlAttrs], out: &mut BTreeMap<u32, GenlGroup>) {
    let family = attrs.iter().find_map(|a| match a {
        GenlCtrlAttrs::FamilyName(name) => Some(name.clone()),
        _ => None,
    });
    let Some(family) = family else { return };
    for attr in attrs {
        if let GenlCtrlAttrs::McastGroups(groups) = attr {
            for group in groups {
                let id = group.iter().find_map(|a| match a {
                    McastGrpAttrs::Id(id) => Some(*id),
                    _ => None,
                });
                let name = group.iter().find_map(|a| match a {
                    McastGrpAttrs::Name(name) => Some(name.clone()),
                    _ => None,
                });
                if let (Some(id), Some(name)) = (id, name) {
                    out.insert(
                        id,
                        GenlGroup {
                            family: family.clone(),
                            name,
                        },
                    );
                }
            }
        }
    }
}

/// Iterates `(type, value)` over attributes, stopping at the first malformed one.
fn attributes(mut buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if buf.len() < 4 {
            return None;
        }
        let len = usize::from(u16::from_ne_bytes([buf[0], buf[1]]));
        let kind = u16::from_ne_bytes([buf[2], buf[3]]) & 0x3fff;
        if len < 4 || len > buf.len() {
            return None;
        }
        let value = &buf[4..len];
        buf = buf.get((len + 3) & !3..).unwrap_or(&[]);
        Some((kind, value))
    })
}

fn c_string(value: &[u8]) -> String {
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
    String::from_utf8_lossy(&value[..end]).into_owned()
}

/// Tolerant reading of one nlctrl family message body (after the netlink header).
pub fn groups_from_raw(body: &[u8], out: &mut BTreeMap<u32, GenlGroup>) {
    let Some(attrs) = body.get(GENL_HDRLEN..) else {
        return;
    };
    let Some(family) = attributes(attrs)
        .find(|(kind, _)| *kind == CTRL_ATTR_FAMILY_NAME)
        .map(|(_, v)| c_string(v))
    else {
        return;
    };
    for (kind, list) in attributes(attrs) {
        if kind != CTRL_ATTR_MCAST_GROUPS {
            continue;
        }
        for (_, group) in attributes(list) {
            let mut id = None;
            let mut name = None;
            for (kind, value) in attributes(group) {
                match kind {
                    CTRL_ATTR_MCAST_GRP_ID if value.len() >= 4 => {
                        id = Some(u32::from_ne_bytes([value[0], value[1], value[2], value[3]]))
                    }
                    CTRL_ATTR_MCAST_GRP_NAME => name = Some(c_string(value)),
                    _ => {}
                }
            }
            if let (Some(id), Some(name)) = (id, name) {
                out.insert(
                    id,
                    GenlGroup {
                        family: family.clone(),
                        name,
                    },
                );
            }
        }
    }
}

/// Reads one receive buffer of the dump; returns true at NLMSG_DONE.
pub fn parse_dump_buffer(
    mut buf: &[u8],
    out: &mut BTreeMap<u32, GenlGroup>,
) -> anyhow::Result<bool> {
    while buf.len() >= 16 {
        let len = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        if len < 16 || len > buf.len() {
            anyhow::bail!(
                "nlctrl: truncated message ({len} bytes in a {} byte buffer)",
                buf.len()
            );
        }
        let one = &buf[..len];
        match NetlinkMessage::<GenlMessage<GenlCtrl>>::deserialize(one) {
            Ok(message) => match message.payload {
                NetlinkPayload::Done(_) => return Ok(true),
                NetlinkPayload::Error(error) => {
                    anyhow::bail!("nlctrl refused the family dump: {error}")
                }
                NetlinkPayload::InnerMessage(genl)
                    if genl.payload.cmd == GenlCtrlCmd::NewFamily =>
                {
                    groups_from_attrs(&genl.payload.nlas, out);
                }
                _ => {}
            },
            Err(_) => {
                let kind = u16::from_ne_bytes([one[4], one[5]]);
                match kind {
                    3 => return Ok(true),
                    2 => anyhow::bail!("nlctrl refused the family dump"),
                    _ => groups_from_raw(&one[16..], out),
                }
            }
        }
        buf = buf.get((len + 3) & !3..).unwrap_or(&[]);
    }
    Ok(false)
}

/// Every generic netlink multicast group of the running kernel.
pub fn resolve_groups() -> anyhow::Result<BTreeMap<u32, GenlGroup>> {
    let mut socket = Socket::new(NETLINK_GENERIC)
        .map_err(|e| anyhow::anyhow!("nlctrl: cannot open a generic netlink socket: {e}"))?;
    socket
        .bind_auto()
        .map_err(|e| anyhow::anyhow!("nlctrl: cannot bind: {e}"))?;
    socket
        .connect(&SocketAddr::new(0, 0))
        .map_err(|e| anyhow::anyhow!("nlctrl: cannot connect: {e}"))?;

    let mut genl = GenlMessage::from_payload(GenlCtrl {
        cmd: GenlCtrlCmd::GetFamily,
        nlas: vec![],
    });
    genl.finalize();
    let mut message = NetlinkMessage::from(genl);
    message.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    message.header.sequence_number = 1;
    message.finalize();
    let mut request = vec![0u8; message.buffer_len()];
    message.serialize(&mut request);
    socket
        .send(&request, 0)
        .map_err(|e| anyhow::anyhow!("nlctrl: cannot send the family dump request: {e}"))?;

    let mut groups = BTreeMap::new();
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        buf.clear();
        let n = socket
            .recv(&mut buf, 0)
            .map_err(|e| anyhow::anyhow!("nlctrl: receive failed: {e}"))?;
        if n == 0 {
            anyhow::bail!("nlctrl: the kernel closed the dump early");
        }
        if parse_dump_buffer(&buf, &mut groups)? {
            return Ok(groups);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn attr(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out
    }

    fn family_body(extra_unknown: bool) -> Vec<u8> {
        let mut body = vec![1, 2, 0, 0]; // genlmsghdr: NEWFAMILY, version 2
        body.extend(attr(CTRL_ATTR_FAMILY_NAME, b"demo\0"));
        let mut group = attr(CTRL_ATTR_MCAST_GRP_NAME, b"events\0");
        group.extend(attr(CTRL_ATTR_MCAST_GRP_ID, &40u32.to_ne_bytes()));
        body.extend(attr(CTRL_ATTR_MCAST_GROUPS, &attr(0x8001, &group)));
        if extra_unknown {
            body.extend(attr(99, &[1, 2, 3, 4]));
        }
        body
    }

    fn message(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&((16 + body.len()) as u32).to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(&[0; 10]);
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn family_groups_with_and_without_unknown_attributes() {
        for unknown in [false, true] {
            let mut buf = message(0x10, &family_body(unknown));
            buf.extend(message(3, &0i32.to_ne_bytes()));
            let mut out = BTreeMap::new();
            assert!(parse_dump_buffer(&buf, &mut out).unwrap());
            assert_eq!(
                out.get(&40),
                Some(&GenlGroup {
                    family: "demo".into(),
                    name: "events".into()
                }),
                "unknown attribute present: {unknown}"
            );
        }
    }

    proptest! {
        #[test]
        fn raw_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut out = BTreeMap::new();
            groups_from_raw(&bytes, &mut out);
            let _ = parse_dump_buffer(&bytes, &mut out);
        }
    }
}
