//! How much of a capture nlscope's decoder names, and how much tshark
//! names on the same messages. Shared by the host test on the recorded
//! real-clients fixture and the guest test on a fresh recording.
// Each test crate that includes this file uses a part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use nlscope::decode::{decode, DecodeContext, Field};
use nlscope::event::CapturedMessage;

/// What the decoder named in a capture.
#[derive(Debug, Default)]
pub struct NamingCoverage {
    pub messages: usize,
    /// Messages whose type, family or command is a number.
    pub unnamed_messages: Vec<String>,
    pub attributes: usize,
    pub unnamed_attributes: usize,
    /// Unnamed attributes by the first words of their message's summary.
    pub unnamed_by_message: BTreeMap<String, usize>,
}

impl NamingCoverage {
    pub fn unnamed_share(&self) -> f64 {
        self.unnamed_attributes as f64 / self.attributes.max(1) as f64
    }

    pub fn named_attributes(&self) -> usize {
        self.attributes - self.unnamed_attributes
    }
}

/// A summary that shows a number for a type (`type 1234`), a family
/// (`genl family 0x1d`) or a command (`cmd 13`).
fn numbered(summary: &str) -> bool {
    let words: Vec<&str> = summary.split_whitespace().collect();
    words.windows(2).any(|pair| {
        matches!(pair[0], "type" | "cmd" | "family")
            && !pair[1].is_empty()
            && pair[1]
                .trim_start_matches("0x")
                .chars()
                .all(|c| c.is_ascii_hexdigit())
    })
}

/// An attribute is a field whose bytes start with a netlink attribute
/// header giving exactly the field's length; it is unnamed when the decoder
/// could only call it `attr N`.
fn count_attributes(field: &Field, payload: &[u8], summary: &str, coverage: &mut NamingCoverage) {
    if let Some(range) = &field.bytes {
        let header = payload
            .get(range.start..range.start + 2)
            .map(|b| u16::from_ne_bytes([b[0], b[1]]) as usize);
        if range.len() >= 4 && header == Some(range.len()) {
            coverage.attributes += 1;
            let unnamed = field
                .name
                .strip_prefix("attr ")
                .is_some_and(|n| n.parse::<u32>().is_ok());
            if unnamed {
                coverage.unnamed_attributes += 1;
                // The message type, and for families named by their first
                // word (generic netlink, nfnetlink) the command too.
                let words: Vec<&str> = summary.split_whitespace().collect();
                let typed = words
                    .first()
                    .is_some_and(|w| w.starts_with("RTM_") || w.starts_with("NLMSG_"));
                let kind = words[..words.len().min(if typed { 1 } else { 2 })].join(" ");
                *coverage.unnamed_by_message.entry(kind).or_default() += 1;
            }
        }
    }
    for child in &field.children {
        count_attributes(child, payload, summary, coverage);
    }
}

/// Decodes every message of `pcapng` as `nlscope decode` does (families
/// from the file, then what the stream teaches) and counts what is named.
/// With `family`, only generic netlink messages of that family count.
pub fn naming_coverage(pcapng: &Path, family: Option<&str>) -> NamingCoverage {
    naming_coverage_with(pcapng, family, DecodeContext::new())
}

/// [`naming_coverage`] of any capture file with `context`'s specs (those of
/// a `--spec-dir`, say).
pub fn naming_coverage_with(
    capture: &Path,
    family: Option<&str>,
    mut context: DecodeContext,
) -> NamingCoverage {
    let read = nlscope::format::read::read_capture(capture);
    assert!(read.error.is_none(), "{:?}", read.error);
    for (id, name) in &read.genl_families {
        context.add_family(*id, name, Vec::new());
    }
    let mut coverage = NamingCoverage::default();
    for message in &read.messages {
        context.learn(message);
        if let Some(family) = family {
            if family_of(message, &context).as_deref() != Some(family) {
                continue;
            }
        }
        let decoded = decode(message, &context);
        for tree in &decoded.messages {
            coverage.messages += 1;
            let summary = tree.value.to_string();
            if numbered(&summary) {
                coverage.unnamed_messages.push(summary.clone());
            }
            count_attributes(tree, &message.payload, &summary, &mut coverage);
        }
    }
    coverage
}

/// The generic netlink family name of `message`'s first netlink message.
fn family_of(message: &CapturedMessage, context: &DecodeContext) -> Option<String> {
    if message.protocol != 16 {
        return None;
    }
    let id = message
        .payload
        .get(4..6)
        .map(|b| u16::from_ne_bytes([b[0], b[1]]))?;
    context.family(id).map(|f| f.name.clone())
}

/// What Debian's tshark prints for `pcapng` with `args`; fails the test
/// when tshark fails.
pub fn tshark(pcapng: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("tshark")
        .arg("-r")
        .arg(pcapng)
        .args(args)
        .output()
        .expect("tshark runs (make setup installs it)");
    assert!(
        output.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Attributes tshark names (and does not) in the messages of generic
/// netlink family `family` of `pcapng`: its PDML's `netlink.attr_type`
/// fields, named unless they read `Unknown`.
pub fn tshark_attribute_names(pcapng: &Path, family: &str) -> (usize, usize) {
    let pdml = tshark(pcapng, &["-Y", family, "-T", "pdml"]);
    let (mut named, mut unknown) = (0, 0);
    for line in pdml.lines() {
        if let Some(rest) = line
            .trim_start()
            .strip_prefix("<field name=\"netlink.attr_type\" showname=\"")
        {
            if rest.to_ascii_lowercase().contains("unknown") {
                unknown += 1;
            } else {
                named += 1;
            }
        }
    }
    (named, unknown)
}

/// Real clients' traffic is named: every message type and command, all but
/// at most 1% of the attributes, and at least as many nl80211 attributes
/// as tshark names on the same messages.
pub fn real_clients_are_named(pcapng: &Path) {
    let coverage = naming_coverage(pcapng, None);
    let share = coverage.unnamed_share();
    eprintln!(
        "naming: {} messages ({} with a number for a name), {} attributes, {} unnamed ({:.2}%); unnamed by message: {:?}",
        coverage.messages,
        coverage.unnamed_messages.len(),
        coverage.attributes,
        coverage.unnamed_attributes,
        100.0 * share,
        coverage.unnamed_by_message
    );
    let nl80211 = naming_coverage(pcapng, Some("nl80211"));
    let (tshark_named, tshark_unknown) = tshark_attribute_names(pcapng, "nl80211");
    eprintln!(
        "nl80211: nlscope names {} of {} attributes; tshark names {} ({} unknown)",
        nl80211.named_attributes(),
        nl80211.attributes,
        tshark_named,
        tshark_unknown
    );
    assert!(coverage.attributes > 10_000, "{coverage:?}");
    assert!(
        coverage.unnamed_messages.is_empty(),
        "messages with a number for a name: {:?}",
        &coverage.unnamed_messages[..coverage.unnamed_messages.len().min(20)]
    );
    assert!(
        share <= 0.01,
        "{} of {} attributes are unnamed ({:.2}%, at most 1%): {:?}",
        coverage.unnamed_attributes,
        coverage.attributes,
        100.0 * share,
        coverage.unnamed_by_message
    );
    assert!(
        tshark_named > 1000,
        "tshark names nl80211 attributes: {tshark_named}"
    );
    assert!(
        nl80211.named_attributes() >= tshark_named,
        "nlscope names {} nl80211 attributes, tshark {tshark_named}",
        nl80211.named_attributes()
    );
}
