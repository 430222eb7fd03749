//! Building the request: message types and flags by name, payload templates,
//! and the bytes of one netlink message.

use nlscope_common::demo;

use crate::netlink::names::{flag_by_name, CONTROL_TYPES};
use crate::netlink::nlctrl::get_family_body;
use crate::netlink::{
    ctrl_cmd_reads_only, rtm_op, RtmOp, GENL_ID_CTRL, NETLINK_GENERIC, NETLINK_NLSCOPE_DEMO,
    NETLINK_ROUTE, NETLINK_SOCK_DIAG, NETLINK_USERSOCK, NLMSG_MIN_TYPE, NLM_F_ACK, NLM_F_DUMP,
    NLM_F_REQUEST, RTM_GETADDR, RTM_GETLINK, RTM_TYPES, SOCK_DIAG_BY_FAMILY, TCPDIAG_GETSOCK,
};

fn number(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// `--type`: a number (decimal or 0x hex), or a name: NLMSG_*, RTM_*, or a
/// demo command (ECHO, UNICAST, MULTICAST, STATS, optionally DEMO_ prefixed).
pub fn parse_type(text: &str) -> Result<u16, String> {
    if let Some(value) = number(text) {
        return u16::try_from(value).map_err(|_| format!("type {value} does not fit 16 bits"));
    }
    let upper = text.trim().to_ascii_uppercase();
    let demo_name = upper.strip_prefix("DEMO_").unwrap_or(&upper);
    CONTROL_TYPES
        .iter()
        .chain(RTM_TYPES)
        .find(|(_, name)| *name == upper)
        .map(|(value, _)| *value)
        .or_else(|| {
            demo::COMMANDS
                .iter()
                .find(|(_, name)| *name == demo_name)
                .map(|(value, _)| *value)
        })
        .ok_or_else(|| {
            format!("unknown message type {text:?}: use a number, NLMSG_*, RTM_* or a demo command (ECHO, UNICAST, MULTICAST, STATS)")
        })
}

/// The name of `kind` on `protocol`, when nlscope knows one: netlink's
/// names, and the demo module's commands.
pub fn type_name(protocol: u32, kind: u16) -> Option<&'static str> {
    match crate::netlink::names::type_name(protocol, kind) {
        Some(name) => Some(name),
        None if protocol == NETLINK_NLSCOPE_DEMO => demo::command_name(kind),
        None => None,
    }
}

/// `--flags`: names joined by `,` or `|` (request, ack, dump, create, ...),
/// or a number (decimal or 0x hex).
pub fn parse_flags(text: &str) -> Result<u16, String> {
    if let Some(value) = number(text) {
        return u16::try_from(value).map_err(|_| format!("flags {value:#x} do not fit 16 bits"));
    }
    let mut flags = 0u16;
    for part in text.split([',', '|', '+']).map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let lower = part.to_ascii_lowercase();
        let none = lower.strip_prefix("nlm_f_").unwrap_or(&lower) == "none";
        let bits = flag_by_name(part)
            .or_else(|| none.then_some(0))
            .or_else(|| number(part).and_then(|v| u16::try_from(v).ok()))
            .ok_or_else(|| {
                format!("unknown flag {part:?}: use request, ack, echo, dump, root, match, atomic, replace, excl, create, append or a number")
            })?;
        flags |= bits;
    }
    Ok(flags)
}

/// `--template`: a ready-made request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Template {
    /// The seed's "Hello kernel" to the demo module.
    Hello,
    /// Demo ECHO: the module replies with the payload.
    Echo,
    /// Demo UNICAST: the module sends the payload to this port.
    Unicast(u32),
    /// Demo MULTICAST: the module sends the payload to this group.
    Multicast(u32),
    /// Demo STATS: the module's counters.
    Stats,
    /// rtnetlink RTM_GETLINK dump.
    GetLink,
    /// rtnetlink RTM_GETADDR dump.
    GetAddr,
    /// nlctrl CTRL_CMD_GETFAMILY for a generic netlink family name.
    GenlFamily(String),
}

pub const TEMPLATE_HELP: &str = "hello, echo, unicast:PORT, multicast:GROUP, stats (the demo module); getlink, getaddr (rtnetlink dumps); genl-family:NAME (nlctrl lookup)";

pub fn parse_template(text: &str) -> Result<Template, String> {
    let (name, argument) = match text.split_once(':') {
        Some((name, argument)) => (name, Some(argument)),
        None => (text, None),
    };
    let needs_number = |what: &str| -> Result<u32, String> {
        argument
            .and_then(number)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| format!("template {name} needs a {what}: {name}:N"))
    };
    let template = match name.trim().to_ascii_lowercase().as_str() {
        "hello" => Template::Hello,
        "echo" => Template::Echo,
        "unicast" => Template::Unicast(needs_number("port")?),
        "multicast" => Template::Multicast(needs_number("group")?),
        "stats" => Template::Stats,
        "getlink" => Template::GetLink,
        "getaddr" => Template::GetAddr,
        "genl-family" | "family" | "genl" => match argument {
            Some(family) if !family.is_empty() => Template::GenlFamily(family.to_string()),
            _ => return Err("template genl-family needs a name: genl-family:NAME".into()),
        },
        _ => return Err(format!("unknown template {text:?}: {TEMPLATE_HELP}")),
    };
    if argument.is_some()
        && !matches!(
            template,
            Template::Unicast(_) | Template::Multicast(_) | Template::GenlFamily(_)
        )
    {
        return Err(format!("template {name} takes no argument"));
    }
    Ok(template)
}

/// What a template fills in: protocol, type, flags and body. `payload` (from
/// `--text`/`--hex`) replaces the default text of the templates that carry one.
pub fn template_request(template: &Template, payload: Option<&[u8]>) -> (u32, u16, u16, Vec<u8>) {
    let demo_protocol = NETLINK_NLSCOPE_DEMO;
    let command = |kind: u16, target: u32, default: &[u8]| {
        let data = payload.unwrap_or(default);
        (
            demo_protocol,
            kind,
            NLM_F_REQUEST | NLM_F_ACK,
            demo_command(target, data),
        )
    };
    match template {
        Template::Hello => (
            demo_protocol,
            0,
            0,
            payload
                .map(<[u8]>::to_vec)
                .unwrap_or_else(|| b"Hello kernel\0".to_vec()),
        ),
        Template::Echo => command(demo::CMD_ECHO, 0, b"ping"),
        Template::Unicast(port) => command(demo::CMD_UNICAST, *port, b"Hello from the kernel"),
        Template::Multicast(group) => command(demo::CMD_MULTICAST, *group, b"Hello listeners"),
        Template::Stats => (
            demo_protocol,
            demo::CMD_STATS,
            NLM_F_REQUEST | NLM_F_ACK,
            demo_command(0, &[]),
        ),
        // struct ifinfomsg (16 bytes), AF_UNSPEC: every link.
        Template::GetLink => (
            NETLINK_ROUTE,
            RTM_GETLINK,
            NLM_F_REQUEST | NLM_F_DUMP,
            vec![0; 16],
        ),
        // struct ifaddrmsg (8 bytes), AF_UNSPEC: every address.
        Template::GetAddr => (
            NETLINK_ROUTE,
            RTM_GETADDR,
            NLM_F_REQUEST | NLM_F_DUMP,
            vec![0; 8],
        ),
        Template::GenlFamily(name) => (
            NETLINK_GENERIC,
            GENL_ID_CTRL,
            NLM_F_REQUEST | NLM_F_ACK,
            get_family_body(Some(name)),
        ),
    }
}

/// A demo command body: the header, then the payload.
pub fn demo_command(target: u32, payload: &[u8]) -> Vec<u8> {
    let header = demo::CmdHeader {
        target,
        payload_len: payload.len() as u32,
    };
    let mut body = header.to_bytes().to_vec();
    body.extend_from_slice(payload);
    body
}

/// `--hex`: pairs of hex digits, spaces, colons and a 0x prefix allowed.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let cleaned: String = text
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    hex::decode(&cleaned).map_err(|e| format!("--hex {text:?} is not hex: {e}"))
}

/// Why a request may change kernel state (and so needs `--yes`), or None
/// when it only reads.
pub fn state_changing(protocol: u32, kind: u16) -> Option<String> {
    if kind < NLMSG_MIN_TYPE {
        return None; // control messages: the kernel handles none of them
    }
    let name = type_name(protocol, kind)
        .map(str::to_string)
        .unwrap_or_else(|| format!("type {kind}"));
    match protocol {
        NETLINK_ROUTE => {
            if rtm_op(kind) == Some(RtmOp::Get) {
                None
            } else {
                Some(format!(
                    "{name} changes kernel state (rtnetlink NEW/DEL/SET)"
                ))
            }
        }
        // sock_diag: the GET requests (TCPDIAG_GETSOCK, DCCPDIAG_GETSOCK, SOCK_DIAG_BY_FAMILY).
        NETLINK_SOCK_DIAG if (TCPDIAG_GETSOCK..=SOCK_DIAG_BY_FAMILY).contains(&kind) => None,
        NETLINK_GENERIC if kind == GENL_ID_CTRL => None,
        NETLINK_USERSOCK | NETLINK_NLSCOPE_DEMO => None,
        _ => Some(format!(
            "{name} on protocol {protocol} is not a message nlscope knows to be read-only"
        )),
    }
}

/// nlctrl GETFAMILY is the only generic netlink request known to be read-only:
/// its command is checked here (the type alone is nlctrl's id).
pub fn genl_state_changing(body: &[u8]) -> Option<String> {
    match body.first() {
        Some(&cmd) if ctrl_cmd_reads_only(cmd) => None,
        Some(cmd) => Some(format!("nlctrl command {cmd} is not known to be read-only")),
        None => None,
    }
}
