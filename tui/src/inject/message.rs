//! Building the request: message types and flags by name, payload templates,
//! and the bytes of one netlink message.

use nlscope_common::demo;

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;

pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_MULTI: u16 = 0x2;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_ECHO: u16 = 0x8;
pub const NLM_F_DUMP: u16 = 0x300;

pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;

pub const NETLINK_ROUTE: u32 = 0;
pub const NETLINK_USERSOCK: u32 = 2;
pub const NETLINK_SOCK_DIAG: u32 = 4;
pub const NETLINK_GENERIC: u32 = 16;

/// nlctrl's fixed family id and its GETFAMILY command.
pub const GENL_ID_CTRL: u16 = 0x10;
pub const CTRL_CMD_GETFAMILY: u8 = 3;
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;

pub const RTM_GETLINK: u16 = 18;
pub const RTM_GETADDR: u16 = 22;

/// rtnetlink message types: decode's table.
pub use crate::decode::RTM_TYPES;

const CONTROL_TYPES: &[(u16, &str)] = &[
    (1, "NLMSG_NOOP"),
    (2, "NLMSG_ERROR"),
    (3, "NLMSG_DONE"),
    (4, "NLMSG_OVERRUN"),
];

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

/// The name of `kind` on `protocol`, when nlscope knows one.
pub fn type_name(protocol: u32, kind: u16) -> Option<&'static str> {
    if let Some((_, name)) = CONTROL_TYPES.iter().find(|(v, _)| *v == kind) {
        return Some(name);
    }
    match protocol {
        NETLINK_ROUTE => RTM_TYPES.iter().find(|(v, _)| *v == kind).map(|(_, n)| *n),
        demo::DEFAULT_PROTOCOL => demo::command_name(kind),
        _ => None,
    }
}

const FLAG_NAMES: &[(&str, u16)] = &[
    ("request", NLM_F_REQUEST),
    ("multi", NLM_F_MULTI),
    ("ack", NLM_F_ACK),
    ("echo", NLM_F_ECHO),
    ("dump", NLM_F_DUMP),
    ("root", 0x100),
    ("match", 0x200),
    ("atomic", 0x400),
    ("replace", 0x100),
    ("excl", 0x200),
    ("create", 0x400),
    ("append", 0x800),
    ("none", 0),
];

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
        let lower = lower.strip_prefix("nlm_f_").unwrap_or(&lower);
        let bits = FLAG_NAMES
            .iter()
            .find(|(name, _)| *name == lower)
            .map(|(_, bits)| *bits)
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
    let demo_protocol = demo::DEFAULT_PROTOCOL;
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
        Template::GenlFamily(name) => {
            // struct genlmsghdr {cmd, version, reserved} + CTRL_ATTR_FAMILY_NAME.
            let mut body = vec![CTRL_CMD_GETFAMILY, 1, 0, 0];
            let mut value = name.as_bytes().to_vec();
            value.push(0);
            push_attr(&mut body, CTRL_ATTR_FAMILY_NAME, &value);
            (
                NETLINK_GENERIC,
                GENL_ID_CTRL,
                NLM_F_REQUEST | NLM_F_ACK,
                body,
            )
        }
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

/// Appends one netlink attribute (padded to 4 bytes).
pub fn push_attr(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let len = 4 + value.len();
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// One netlink message: header (length = header + body) and body.
pub fn build_message(kind: u16, flags: u16, seq: u32, port: u32, body: &[u8]) -> Vec<u8> {
    let len = (NLMSG_HDRLEN + body.len()) as u32;
    let mut out = Vec::with_capacity(len as usize);
    out.extend_from_slice(&len.to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&port.to_ne_bytes());
    out.extend_from_slice(body);
    out
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
    if kind < 0x10 {
        return None; // control messages: the kernel handles none of them
    }
    let name = type_name(protocol, kind)
        .map(str::to_string)
        .unwrap_or_else(|| format!("type {kind}"));
    match protocol {
        NETLINK_ROUTE => {
            // RTM_NEW* = base, DEL = +1, GET = +2, SET = +3.
            if (kind - 16) % 4 == 2 {
                None
            } else {
                Some(format!(
                    "{name} changes kernel state (rtnetlink NEW/DEL/SET)"
                ))
            }
        }
        // sock_diag: the GET requests (TCPDIAG_GETSOCK, DCCPDIAG_GETSOCK, SOCK_DIAG_BY_FAMILY).
        NETLINK_SOCK_DIAG if (18..=20).contains(&kind) => None,
        NETLINK_GENERIC if kind == GENL_ID_CTRL => None,
        NETLINK_USERSOCK | demo::DEFAULT_PROTOCOL => None,
        _ => Some(format!(
            "{name} on protocol {protocol} is not a message nlscope knows to be read-only"
        )),
    }
}

/// nlctrl GETFAMILY is the only generic netlink request known to be read-only:
/// its command is checked here (the type alone is nlctrl's id).
pub fn genl_state_changing(body: &[u8]) -> Option<String> {
    match body.first() {
        Some(&CTRL_CMD_GETFAMILY) | Some(&6) | Some(&9) | Some(&10) => None, // GETFAMILY, GETOPS, GETMCAST_GRP, GETPOLICY
        Some(cmd) => Some(format!("nlctrl command {cmd} is not known to be read-only")),
        None => None,
    }
}
