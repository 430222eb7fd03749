//! The demo module's generic netlink family (`kmod/nlscope_demo.c`), next to
//! its protocol 30: the family and group names, the command and attribute
//! numbers and the limits its policies check. The C definition is
//! `kmod/nlscope_demo_abi.h` and the YNL spec `kmod/nlscope_demo.yaml`; the
//! test below reads the header, and `tui/tests/demo_genl_spec.rs` the spec,
//! and each fails when a number differs. The family's id is dynamic: nlctrl
//! resolves [`DEMO_FAMILY_NAME`]. Typed as nlscope reads them (command `u8`,
//! attribute type `u16`).

/// The family's name, as nlctrl knows it (`NLSCOPE_DEMO_FAMILY_NAME`).
pub const DEMO_FAMILY_NAME: &str = "nlscope_demo";
/// The `version` its messages carry in the genlmsghdr.
pub const DEMO_FAMILY_VERSION: u8 = 1;
/// Its one multicast group, where every SET is announced.
pub const DEMO_MCGRP_EVENTS: &str = "events";

/// Slots the module keeps; an index is 0 to `DEMO_SLOTS - 1`.
pub const DEMO_SLOTS: u32 = 8;
/// Largest value a slot holds.
pub const DEMO_VALUE_MAX: u32 = 1000;
/// Longest slot name and echo text, in characters (the NUL not counted).
pub const DEMO_NAME_MAX: usize = 31;
pub const DEMO_TEXT_MAX: usize = 255;

/// Commands (`enum nlscope_demo_genl_cmds`).
pub const DEMO_GENL_CMD_ECHO: u8 = 1;
pub const DEMO_GENL_CMD_SET: u8 = 2;
pub const DEMO_GENL_CMD_GET: u8 = 3;
/// The notification a SET sends to [`DEMO_MCGRP_EVENTS`].
pub const DEMO_GENL_CMD_SET_NTF: u8 = 4;

/// Attributes (`enum nlscope_demo_genl_attrs`), one set for every command.
pub const DEMO_GENL_A_INDEX: u16 = 1;
pub const DEMO_GENL_A_VALUE: u16 = 2;
pub const DEMO_GENL_A_NAME: u16 = 3;
pub const DEMO_GENL_A_GENERATION: u16 = 4;
pub const DEMO_GENL_A_TEXT: u16 = 5;
pub const DEMO_GENL_A_NUMBER: u16 = 6;

/// Every command with its name as the spec writes it (the C member is
/// `NLSCOPE_DEMO_GENL_CMD_` and the name in capitals, `-` as `_`).
pub const DEMO_GENL_COMMANDS: [(u8, &str); 4] = [
    (DEMO_GENL_CMD_ECHO, "echo"),
    (DEMO_GENL_CMD_SET, "set"),
    (DEMO_GENL_CMD_GET, "get"),
    (DEMO_GENL_CMD_SET_NTF, "set-ntf"),
];

/// Every attribute with its name as the spec writes it (the C member is
/// `NLSCOPE_DEMO_GENL_A_` and the name in capitals).
pub const DEMO_GENL_ATTRS: [(u16, &str); 6] = [
    (DEMO_GENL_A_INDEX, "index"),
    (DEMO_GENL_A_VALUE, "value"),
    (DEMO_GENL_A_NAME, "name"),
    (DEMO_GENL_A_GENERATION, "generation"),
    (DEMO_GENL_A_TEXT, "text"),
    (DEMO_GENL_A_NUMBER, "number"),
];

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = include_str!("../../../kmod/nlscope_demo_abi.h");

    fn define(name: &str) -> &'static str {
        HEADER
            .lines()
            .filter_map(|line| line.strip_prefix("#define "))
            .filter_map(|rest| rest.split_once(char::is_whitespace))
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.trim())
            .unwrap_or_else(|| panic!("kmod/nlscope_demo_abi.h has no #define {name}"))
    }

    /// The members of `enum NAME { ... };` with their values, counting as C
    /// does (from 0, or on from an explicit `= N`), the `__..._MAX` and
    /// `..._MAX` markers left out.
    fn enumeration(text: &str, name: &str) -> Vec<(String, u64)> {
        let start = text
            .find(&format!("enum {name} {{"))
            .unwrap_or_else(|| panic!("no enum {name} in the header"));
        let body = &text[start..];
        let body = &body[body.find('{').unwrap() + 1..body.find("};").unwrap()];
        let mut next = 0;
        let mut members = Vec::new();
        for member in body
            .lines()
            .map(|line| line.split("/*").next().unwrap().trim())
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|m| !m.is_empty())
        {
            let (member, value) = match member.split_once('=') {
                Some((member, value)) => (member.trim(), value.trim().parse().ok()),
                None => (member, None),
            };
            if member.ends_with("_MAX") {
                continue;
            }
            let value = value.unwrap_or(next);
            members.push((member.to_string(), value));
            next = value + 1;
        }
        members
    }

    #[test]
    fn names_and_limits_match_the_c_header() {
        assert_eq!(
            define("NLSCOPE_DEMO_FAMILY_NAME"),
            format!("\"{DEMO_FAMILY_NAME}\"")
        );
        assert_eq!(
            define("NLSCOPE_DEMO_MCGRP_EVENTS"),
            format!("\"{DEMO_MCGRP_EVENTS}\"")
        );
        assert_eq!(
            define("NLSCOPE_DEMO_FAMILY_VERSION"),
            DEMO_FAMILY_VERSION.to_string()
        );
        assert_eq!(define("NLSCOPE_DEMO_SLOTS"), DEMO_SLOTS.to_string());
        assert_eq!(define("NLSCOPE_DEMO_VALUE_MAX"), DEMO_VALUE_MAX.to_string());
        assert_eq!(define("NLSCOPE_DEMO_NAME_MAX"), DEMO_NAME_MAX.to_string());
        assert_eq!(define("NLSCOPE_DEMO_TEXT_MAX"), DEMO_TEXT_MAX.to_string());
    }

    /// `enum NAME` of the header: `prefix` + UNSPEC (0), then `prefix` + each
    /// of `members` in capitals, with its value.
    fn enum_is(name: &str, prefix: &str, members: impl Iterator<Item = (u64, &'static str)>) {
        let expected: Vec<(String, u64)> = std::iter::once((0, "unspec"))
            .chain(members)
            .map(|(value, member)| {
                let member = member.replace('-', "_").to_uppercase();
                (format!("{prefix}{member}"), value)
            })
            .collect();
        assert_eq!(enumeration(HEADER, name), expected);
    }

    #[test]
    fn commands_and_attributes_match_the_c_header() {
        let commands = DEMO_GENL_COMMANDS.iter().map(|&(v, n)| (v.into(), n));
        enum_is("nlscope_demo_genl_cmds", "NLSCOPE_DEMO_GENL_CMD_", commands);
        let attributes = DEMO_GENL_ATTRS.iter().map(|&(v, n)| (v.into(), n));
        enum_is(
            "nlscope_demo_genl_attrs",
            "NLSCOPE_DEMO_GENL_A_",
            attributes,
        );
    }

    #[test]
    fn the_enum_reader_counts_as_c_does() {
        let text = "enum e {\n\tE_A, /* 0 */\n\tE_B = 5,\n\tE_C, E_D,\n\n\t__E_MAX,\n\tE_MAX = (__E_MAX - 1)\n};";
        assert_eq!(
            enumeration(text, "e"),
            [("E_A", 0), ("E_B", 5), ("E_C", 6), ("E_D", 7)]
                .map(|(name, value)| (name.to_string(), value))
        );
    }
}
