//! What the decoder learns from a stream: generic netlink families (id, name,
//! multicast groups) from nlctrl replies, or seeded by a live source; and the
//! YNL specs it decodes families with.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::event::CapturedMessage;
use crate::netlink::header::split_messages;
use crate::netlink::names::group_name;
use crate::netlink::nlctrl::{parse_family_attrs, parse_new_family, Family};
use crate::netlink::{NETLINK_GENERIC, NETLINK_ROUTE};
use crate::ynl::{SpecError, Specs};

/// Most generic netlink families a context remembers (ids are 16 bits).
const MAX_FAMILIES: usize = 4096;
/// Most multicast groups remembered per family.
const MAX_GROUPS: usize = 256;

/// State learned while decoding a stream (for example generic netlink family
/// ids from nlctrl replies), and the specs families are decoded with (the
/// built-in ones unless said otherwise). Empty is a valid context.
#[derive(Clone, Debug)]
pub struct DecodeContext {
    families: BTreeMap<u16, Family>,
    /// Shared, never changed: contexts are cloned freely.
    specs: Arc<Specs>,
}

impl Default for DecodeContext {
    fn default() -> DecodeContext {
        DecodeContext::with_specs(Specs::builtin())
    }
}

impl DecodeContext {
    /// A context that knows nothing yet, with the built-in specs.
    pub fn new() -> DecodeContext {
        DecodeContext::default()
    }

    /// A context that knows nothing yet, decoding with `specs`.
    pub fn with_specs(specs: Arc<Specs>) -> DecodeContext {
        DecodeContext {
            families: BTreeMap::new(),
            specs,
        }
    }

    /// A context with the built-in specs and those of `dirs`, which replace
    /// built-in ones of the same family; and what did not load.
    pub fn with_spec_dirs(dirs: &[PathBuf]) -> (DecodeContext, Vec<SpecError>) {
        let mut specs = Specs::with_builtin();
        let errors = dirs.iter().flat_map(|dir| specs.add_dir(dir)).collect();
        (DecodeContext::with_specs(Arc::new(specs)), errors)
    }

    /// The specs this context decodes with.
    pub fn specs(&self) -> &Arc<Specs> {
        &self.specs
    }

    /// Learns what later messages need from `message` (e.g. nlctrl replies).
    pub fn learn(&mut self, message: &CapturedMessage) {
        self.learn_bytes(message.protocol, &message.payload);
    }

    /// [`learn`](Self::learn) on a bare buffer of netlink `protocol`.
    pub fn learn_bytes(&mut self, protocol: u32, payload: &[u8]) {
        if protocol != NETLINK_GENERIC {
            return;
        }
        for (offset, header) in split_messages(payload) {
            let end = (offset + header.len as usize).min(payload.len());
            let announced = parse_new_family(&payload[offset..end]).and_then(bounded);
            if let Some(family) = announced {
                let hdrsize = family.hdrsize;
                self.add_family(family.id, &family.name, family.groups);
                if let Some(known) = self.families.get_mut(&family.id) {
                    known.hdrsize = hdrsize;
                }
            }
        }
    }

    /// Takes families a source named (its kernel's nlctrl, a capture file's
    /// announcements), as much of each as a context keeps. Replaces what was
    /// known about their ids.
    pub fn learn_families(&mut self, families: impl IntoIterator<Item = Family>) {
        for family in families.into_iter().filter_map(bounded) {
            if self.families.len() >= MAX_FAMILIES && !self.families.contains_key(&family.id) {
                continue;
            }
            self.families.insert(family.id, family);
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
            Family {
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
    pub fn family(&self, id: u16) -> Option<&Family> {
        self.families.get(&id)
    }

    /// All known families, by id.
    pub fn families(&self) -> impl Iterator<Item = &Family> {
        self.families.values()
    }

    /// Name of multicast group `group` of `protocol`: rtnetlink groups are
    /// fixed, generic netlink groups come from learnt families
    /// (`nl80211/scan`).
    pub fn group_name(&self, protocol: u32, group: u32) -> Option<String> {
        match protocol {
            NETLINK_ROUTE => group_name(protocol, group).map(str::to_string),
            NETLINK_GENERIC => self.families.values().find_map(|f| {
                f.groups
                    .iter()
                    .find(|(id, _)| *id == group)
                    .map(|(_, name)| format!("{}/{}", f.name, name))
            }),
            _ => None,
        }
    }
}

/// Family id, name and groups from the attributes of an nlctrl message,
/// as much as a context keeps of them (see [`bounded`]).
pub(crate) fn parse_family(attributes: &[u8]) -> Option<Family> {
    parse_family_attrs(attributes).and_then(bounded)
}

/// A family as a context keeps it: named (not empty), names cut to 64
/// characters, at most [`MAX_GROUPS`] groups, a header of at most 256 bytes.
fn bounded(mut family: Family) -> Option<Family> {
    family.name = cut(&family.name);
    if family.name.is_empty() {
        return None;
    }
    family.groups.truncate(MAX_GROUPS);
    for (_, name) in &mut family.groups {
        *name = cut(name);
    }
    family.hdrsize = family.hdrsize.min(256);
    Some(family)
}

fn cut(text: &str) -> String {
    text.chars().take(64).collect()
}

/// A NUL-terminated string attribute as text (lossy, at most 64 chars).
pub(crate) fn cstr(data: &[u8]) -> String {
    cut(&crate::netlink::attr::c_string(data))
}
