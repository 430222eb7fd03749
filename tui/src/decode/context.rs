//! What the decoder learns from a stream: generic netlink families (id, name,
//! multicast groups) from nlctrl replies, or seeded by a live source.

use std::collections::BTreeMap;

use super::nla::{split_attrs, Cx};
use super::{split_messages, NLMSG_HDRLEN};
use crate::event::CapturedMessage;

/// Most generic netlink families a context remembers (ids are 16 bits).
const MAX_FAMILIES: usize = 4096;
/// Most multicast groups remembered per family.
const MAX_GROUPS: usize = 256;

/// A generic netlink family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenlFamily {
    pub id: u16,
    pub name: String,
    /// Multicast groups: (group id, name).
    pub groups: Vec<(u32, String)>,
    /// Size of the family's own header after genlmsghdr (CTRL_ATTR_HDRSIZE).
    pub hdrsize: u32,
}

/// State learned while decoding a stream (for example generic netlink family
/// ids from nlctrl replies). Empty is a valid context.
#[derive(Clone, Debug, Default)]
pub struct DecodeContext {
    families: BTreeMap<u16, GenlFamily>,
}

impl DecodeContext {
    /// A context that knows nothing yet.
    pub fn new() -> DecodeContext {
        DecodeContext::default()
    }

    /// Learns what later messages need from `message` (e.g. nlctrl replies).
    pub fn learn(&mut self, message: &CapturedMessage) {
        self.learn_bytes(message.protocol, &message.payload);
    }

    /// [`learn`](Self::learn) on a bare buffer of netlink `protocol`.
    pub fn learn_bytes(&mut self, protocol: u32, payload: &[u8]) {
        if protocol != 16 {
            return;
        }
        let empty = DecodeContext::default();
        let cx = Cx::new(payload, protocol, &empty);
        for (offset, header) in split_messages(payload) {
            // nlctrl (id 0x10) CTRL_CMD_NEWFAMILY (1)
            if header.kind != 0x10 || cx.u8(offset + NLMSG_HDRLEN) != Some(1) {
                continue;
            }
            let end = (offset + header.len as usize).min(payload.len());
            let attrs_start = offset + NLMSG_HDRLEN + 4;
            if attrs_start > end {
                continue;
            }
            if let Some(family) = parse_family(&cx, attrs_start..end) {
                let hdrsize = family.hdrsize;
                self.add_family(family.id, &family.name, family.groups);
                if let Some(known) = self.families.get_mut(&family.id) {
                    known.hdrsize = hdrsize;
                }
            }
        }
    }

    /// Seeds the context with a family known by other means (e.g. a live
    /// source asking the kernel). Replaces what was known about `id`.
    pub fn add_family(&mut self, id: u16, name: &str, groups: Vec<(u32, String)>) {
        if self.families.len() >= MAX_FAMILIES && !self.families.contains_key(&id) {
            return;
        }
        let mut groups = groups;
        groups.truncate(MAX_GROUPS);
        self.families.insert(
            id,
            GenlFamily {
                id,
                name: name.chars().take(64).collect(),
                groups,
                hdrsize: 0,
            },
        );
    }

    /// Records the size of family `id`'s own header (CTRL_ATTR_HDRSIZE), so
    /// its attributes are found after it. No effect for unknown families.
    pub fn set_header_size(&mut self, id: u16, hdrsize: u32) {
        if let Some(family) = self.families.get_mut(&id) {
            family.hdrsize = hdrsize.min(256);
        }
    }

    /// The family with generic netlink id `id`, if known.
    pub fn family(&self, id: u16) -> Option<&GenlFamily> {
        self.families.get(&id)
    }

    /// The family called `name`, if known.
    pub fn family_by_name(&self, name: &str) -> Option<&GenlFamily> {
        self.families.values().find(|f| f.name == name)
    }

    /// All known families, by id.
    pub fn families(&self) -> impl Iterator<Item = &GenlFamily> {
        self.families.values()
    }

    /// Name of multicast group `group` of `protocol`: rtnetlink groups are
    /// fixed, generic netlink groups come from learnt families
    /// (`nl80211/scan`).
    pub fn group_name(&self, protocol: u32, group: u32) -> Option<String> {
        match protocol {
            0 => super::names::lookup(super::names::RTNL_GROUPS, group).map(str::to_string),
            16 => self.families.values().find_map(|f| {
                f.groups
                    .iter()
                    .find(|(id, _)| *id == group)
                    .map(|(_, name)| format!("{}/{}", f.name, name))
            }),
            _ => None,
        }
    }
}

/// Family id, name and groups from the attributes of an nlctrl message.
pub(crate) fn parse_family(cx: &Cx, range: std::ops::Range<usize>) -> Option<GenlFamily> {
    let (attrs, _) = split_attrs(cx, range);
    let mut family = GenlFamily::default();
    let mut have_id = false;
    for attr in attrs {
        match attr.kind {
            1 if attr.value.len() >= 2 => {
                family.id = cx.u16(attr.value.start)?;
                have_id = true;
            }
            2 => family.name = cstr(cx.bytes(attr.value.clone())),
            4 if attr.value.len() == 4 => family.hdrsize = cx.u32(attr.value.start)?.min(256),
            7 => {
                let (groups, _) = split_attrs(cx, attr.value.clone());
                for group in groups.into_iter().take(MAX_GROUPS) {
                    let (parts, _) = split_attrs(cx, group.value.clone());
                    let mut name = None;
                    let mut id = None;
                    for part in parts {
                        match part.kind {
                            1 => name = Some(cstr(cx.bytes(part.value.clone()))),
                            2 if part.value.len() == 4 => id = cx.u32(part.value.start),
                            _ => {}
                        }
                    }
                    if let (Some(id), Some(name)) = (id, name) {
                        family.groups.push((id, name));
                    }
                }
            }
            _ => {}
        }
    }
    (have_id && !family.name.is_empty()).then_some(family)
}

/// A NUL-terminated string attribute as text (lossy, at most 64 chars).
pub(crate) fn cstr(data: &[u8]) -> String {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    String::from_utf8_lossy(&data[..end])
        .chars()
        .take(64)
        .collect()
}
