//! Netlink knowledge has one home, `tui/src/netlink/`: this test reads every
//! Rust source of the workspace and fails when a netlink number, name table
//! or codec is defined anywhere else, or twice.
//!
//! - A constant or static named like a netlink number (`NLM_F_`, `NLMSG_`,
//!   `NETLINK_`, `GENL_`, `CTRL_CMD_`, `RTM_`, `IFLA_`, ... see
//!   [`PREFIXES`]) whose type is a number or a table of names is defined in
//!   `tui/src/netlink/` only, and there once. The decoder's attribute
//!   schemas (`static IFLA_XDP: Schema`) and struct layouts
//!   (`const IFLA_CACHEINFO: &[Member]`) are neither, and stay in `decode`.
//! - Protocols are named by functions in `tui/src/netlink/` only (tests
//!   aside).
//! - Each of netlink's name tables has a name only it holds ([`TABLES`]):
//!   that name is written once in the non-test sources, inside
//!   `tui/src/netlink/`. A second copy of a table brings its names along.
//! - The codec's alignment arithmetic and functions are written in
//!   `tui/src/netlink/` only ([`CODEC_FUNCTIONS`], [`ALIGNMENT`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where netlink knowledge lives.
const HOME: &str = "tui/src/netlink/";

/// This file, which names what it looks for.
const SELF: &str = "tui/tests/netlink_single_home.rs";

/// The sources read, from the workspace root.
const ROOTS: &[&str] = &[
    "tui/src",
    "tui/tests",
    "tui/benches",
    "tests",
    "common/src",
    "ebpf/src",
];

/// Names that mark a netlink number.
const PREFIXES: &[&str] = &[
    "NLM_F_",
    "NLMSG_",
    "NLMSGERR_",
    "NL_POLICY_TYPE_ATTR_",
    "NL_ATTR_TYPE_",
    "NLA_",
    "NETLINK_",
    "GENL_",
    "CTRL_CMD_",
    "CTRL_ATTR_",
    "RTM_",
    "RTNLGRP_",
    "RTNL_",
    "IFLA_",
    "IFA_",
    "RTA_",
    "NDA_",
    "NDIAG_",
    "SOCK_DIAG_",
    "TCPDIAG_",
    "DCCPDIAG_",
    "SOCK_DESTROY",
    "SK_MEMINFO_",
    "PACKET_",
    "ARPHRD_NETLINK",
];

/// Netlink numbers `common/` defines for the eBPF programs, which cannot
/// use the tui crate's module: `(name, why)`. None today: the one number
/// the eBPF side shares, the demo protocol, is `demo::DEFAULT_PROTOCOL`,
/// which `netlink::NETLINK_NLSCOPE_DEMO` takes its value from.
const COMMON_ALLOWED: &[(&str, &str)] = &[];

/// For each of netlink's name tables, a name that only that table holds.
const TABLES: &[(&str, &str)] = &[
    ("protocol constants", "\"NETLINK_SCSITRANSPORT\""),
    ("protocol short names", "\"scsitransport\""),
    ("control message types", "\"NLMSG_OVERRUN\""),
    ("rtnetlink message types", "\"RTM_NEWNEXTHOPBUCKET\""),
    ("rtnetlink groups", "\"RTNLGRP_IPV6_ACADDR\""),
    ("header flags", "\"DUMP_FILTERED\""),
    ("nlctrl commands", "\"GETMCAST_GRP\""),
    ("fixed generic netlink families", "\"PMCRAID\""),
    ("sock_diag message types", "\"DCCPDIAG_GETSOCK\""),
];

/// The header and attribute codec's functions.
const CODEC_FUNCTIONS: &[&str] = &[
    "parse_header",
    "split_messages",
    "next_message",
    "build_message",
    "nlmsg_align",
    "push_attr",
    "nla_align",
    "groups_from_mask32",
    "groups_from_bitmap",
    "parse_new_family",
    "new_family_message",
    "get_family_body",
];

/// How 4-byte netlink alignment gets written out by hand.
const ALIGNMENT: &[&str] = &[
    "+ 3) & !3",
    "saturating_add(3) & !3",
    "% 4 != 0",
    "is_multiple_of(4)",
    "% 4) % 4",
    "div_ceil(4) * 4",
];

/// Files that pad to 4 bytes for something other than netlink: `(file, why)`.
const ALIGNMENT_ALLOWED: &[(&str, &str)] = &[(
    "tui/src/format/pcapng.rs",
    "pcapng blocks are padded to 32 bits",
)];

struct Source {
    /// From the workspace root, with `/`.
    path: String,
    text: String,
}

impl Source {
    fn at_home(&self) -> bool {
        self.path.starts_with(HOME)
    }

    /// The text without test code: the test and bench crates, `tests.rs`
    /// modules and `#[cfg(test)] mod ... { }` blocks (rustfmt closes a
    /// file's top-level module with a `}` line). Test lines become empty
    /// lines, so line numbers stay.
    fn non_test_text(&self) -> String {
        let test_crate = ["tui/tests/", "tui/benches/", "tests/"]
            .iter()
            .any(|dir| self.path.starts_with(dir));
        if test_crate || self.path.ends_with("/tests.rs") {
            return String::new();
        }
        let mut out = String::with_capacity(self.text.len());
        let mut lines = self.text.lines().peekable();
        while let Some(line) = lines.next() {
            let test_module = line == "#[cfg(test)]"
                && lines
                    .peek()
                    .is_some_and(|next| next.starts_with("mod ") && next.ends_with('{'));
            if test_module {
                out.push('\n');
                for skipped in lines.by_ref() {
                    out.push('\n');
                    if skipped == "}" {
                        break;
                    }
                }
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tui/ is inside the workspace")
        .to_path_buf()
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<Source>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "fixtures" {
                collect(root, &path, out);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy();
            let relative = relative.replace('\\', "/");
            if relative != SELF {
                out.push(Source {
                    path: relative,
                    text: std::fs::read_to_string(&path).unwrap(),
                });
            }
        }
    }
}

fn sources() -> Vec<Source> {
    let root = workspace();
    let mut out = Vec::new();
    for dir in ROOTS {
        collect(&root, &root.join(dir), &mut out);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// `const NAME: TYPE =` / `static NAME: TYPE =` items: (line, name, type).
fn items(text: &str) -> Vec<(usize, &str, &str)> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let mut rest = line.trim_start();
        for visibility in ["pub(crate) ", "pub(super) ", "pub "] {
            rest = rest.strip_prefix(visibility).unwrap_or(rest);
        }
        let Some(rest) = rest
            .strip_prefix("const ")
            .or_else(|| rest.strip_prefix("static mut "))
            .or_else(|| rest.strip_prefix("static "))
        else {
            continue;
        };
        let Some((name, rest)) = rest.split_once(':') else {
            continue;
        };
        let kind = rest.split_once('=').map_or(rest, |(kind, _)| kind).trim();
        found.push((index + 1, name.trim(), kind));
    }
    found
}

/// A number, or a table of names for numbers.
fn is_number_or_table(kind: &str) -> bool {
    const NUMBERS: &[&str] = &[
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    ];
    let kind = kind.trim_start_matches("libc::");
    NUMBERS.contains(&kind)
        || kind.starts_with("c_")
        || (kind.starts_with('&') && kind.contains("str"))
}

fn netlink_named(name: &str) -> bool {
    PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

fn netlink_definitions(sources: &[Source]) -> Vec<(String, &str)> {
    let mut found = Vec::new();
    for source in sources {
        for (line, name, kind) in items(&source.text) {
            if netlink_named(name) && is_number_or_table(kind) {
                found.push((format!("{}:{line}", source.path), name));
            }
        }
    }
    found
}

#[test]
fn netlink_numbers_are_defined_in_the_netlink_module_once() {
    let sources = sources();
    let definitions = netlink_definitions(&sources);
    let mut problems = Vec::new();
    // The scan finds what is there: a broken scan must not pass.
    let at_home: Vec<&str> = definitions
        .iter()
        .filter(|(place, _)| place.starts_with(HOME))
        .map(|(_, name)| *name)
        .collect();
    for known in [
        "NETLINK_GENERIC",
        "GENL_ID_CTRL",
        "NLMSG_HDRLEN",
        "CTRL_CMD_GETPOLICY",
        "RTM_TYPES",
        "RTNLGRP_NAMES",
        "SOCK_DIAG_BY_FAMILY",
        "ARPHRD_NETLINK",
    ] {
        if !at_home.contains(&known) {
            problems.push(format!("the scan did not find {known} in {HOME}"));
        }
    }

    let mut places: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (place, name) in &definitions {
        places.entry(name).or_default().push(place);
        let allowed = place.starts_with("common/")
            && COMMON_ALLOWED.iter().any(|(allowed, _)| allowed == name);
        if !place.starts_with(HOME) && !allowed {
            problems.push(format!(
                "{place}: {name} is a netlink number: use crate::netlink (or add it there)"
            ));
        }
    }
    for (name, places) in places {
        if places.len() > 1 {
            problems.push(format!(
                "{name} is defined {} times: {places:?}",
                places.len()
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn protocols_are_named_by_the_netlink_module_only() {
    let mut problems = Vec::new();
    for source in sources().iter().filter(|s| !s.at_home()) {
        let text = source.non_test_text();
        for (index, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let Some((_, after)) = code.split_once("fn ") else {
                continue;
            };
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let names_protocols = name.contains("protocol")
                && ["name", "label", "constant", "parse", "by_name"]
                    .iter()
                    .any(|word| name.contains(word));
            if names_protocols {
                problems.push(format!(
                    "{}:{}: fn {name}: protocols are named by crate::netlink::names",
                    source.path,
                    index + 1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn each_name_table_is_written_once_in_the_netlink_module() {
    let sources = sources();
    let mut problems = Vec::new();
    for (table, marker) in TABLES {
        let places: Vec<String> = sources
            .iter()
            .flat_map(|source| {
                let text = source.non_test_text();
                let count = text.matches(marker).count();
                std::iter::repeat_n(source.path.clone(), count)
            })
            .collect();
        let home = places.len() == 1 && places[0].starts_with(HOME);
        if !home {
            problems.push(format!(
                "the {table} table (marked by {marker}) should be written once, in {HOME}; found in {places:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn the_codec_is_written_in_the_netlink_module_only() {
    let mut problems = Vec::new();
    for source in sources().iter().filter(|s| !s.at_home()) {
        let alignment_allowed = ALIGNMENT_ALLOWED
            .iter()
            .any(|(path, _)| *path == source.path);
        for (index, line) in source.text.lines().enumerate() {
            let place = format!("{}:{}", source.path, index + 1);
            let code = line.split("//").next().unwrap_or_default();
            for function in CODEC_FUNCTIONS {
                if code.contains(&format!("fn {function}("))
                    || code.contains(&format!("fn {function}<"))
                {
                    problems.push(format!(
                        "{place}: fn {function} is netlink's codec: use crate::netlink"
                    ));
                }
            }
            if !alignment_allowed {
                for idiom in ALIGNMENT {
                    if code.contains(idiom) {
                        problems.push(format!(
                            "{place}: `{idiom}` aligns by hand: use crate::netlink::header::nlmsg_align or attr::nla_align"
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}
