//! `nlscope send`: inject one netlink message and show the replies, decoded,
//! next to the request.
//!
//! The request is built from `--template` (the seed's hello, the demo module's
//! commands, rtnetlink dumps, an nlctrl family lookup) or from `--type`,
//! `--flags` and a `--text`/`--hex` payload, sent with netlink-sys from a
//! socket bound to `--port` (or a port the kernel picks) to the kernel, a user
//! port, and/or multicast groups. Replies are read until the dump's
//! NLMSG_DONE, the ack, or `--wait` ms without any.
//!
//! Anything that can change kernel state needs `--yes` (or a "y" on a
//! terminal); `--read-only` turns injection off.

pub mod errors;
pub mod message;
pub mod spec;

use std::io::{BufRead, IsTerminal, Write};
use std::os::fd::AsRawFd;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use clap::Args;
use netlink_sys::{Socket, SocketAddr};
use nlscope_common::demo;

use crate::decode::{decode_bytes, DecodeContext};
use crate::netlink::attr::{attrs, c_string};
use crate::netlink::groups::groups_from_mask32;
use crate::netlink::header::{
    build_message, nlmsg_align, parse_header, split_messages, NLMSG_HDRLEN,
};
use crate::netlink::names::protocol_name;
use crate::netlink::{
    GENL_ID_CTRL, NETLINK_GENERIC, NETLINK_NLSCOPE_DEMO, NLMSGERR_ATTR_MSG, NLMSG_DONE,
    NLMSG_ERROR, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP,
};
use errors::{explain, Request, Stage};
use message::*;

/// Where the message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Port 0: the protocol's kernel socket.
    Kernel,
    /// A user socket's port.
    Port(u32),
}

/// `--to kernel` or `--to port:N` (a bare number is a port too).
pub fn parse_target(text: &str) -> Result<Target, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("kernel") {
        return Ok(Target::Kernel);
    }
    let number = text.strip_prefix("port:").unwrap_or(text);
    match number.parse::<u32>() {
        Ok(0) => Ok(Target::Kernel),
        Ok(port) => Ok(Target::Port(port)),
        Err(_) => Err(format!(
            "--to {text:?}: use kernel or port:N (a user socket's port id)"
        )),
    }
}

/// A multicast group for `--group` (1 to 32: sendto's nl_groups is a bit mask).
pub fn parse_group(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(group @ 1..=32) => Ok(group),
        _ => Err(format!(
            "--group {text:?}: a group number from 1 to 32 (sendto's nl_groups is a 32-bit mask)"
        )),
    }
}

/// `--hex` bytes (a newtype so clap takes them as one value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexBytes(pub Vec<u8>);

fn parse_hex_arg(text: &str) -> Result<HexBytes, String> {
    parse_hex(text).map(HexBytes)
}

#[derive(Clone, Debug, Args)]
pub struct SendArgs {
    /// Destination: `kernel` (port 0) or `port:N` (a user socket).
    #[arg(long, value_parser = parse_target, default_value = "kernel")]
    pub to: Target,
    /// Multicast groups to send to as well (1-32, comma separated); needs root.
    #[arg(long, value_delimiter = ',', value_parser = parse_group)]
    pub group: Vec<u32>,
    /// Netlink protocol, a name (route, generic, usersock, demo, ...) or a
    /// number; default: the template's, else the demo module's (30).
    #[arg(long, value_parser = crate::netlink::names::parse_protocol)]
    pub protocol: Option<u32>,
    /// Message type: a number, NLMSG_*, RTM_*, or a demo command (ECHO,
    /// UNICAST, MULTICAST, STATS); default: the template's, else 0.
    #[arg(long = "type", value_parser = parse_type)]
    pub kind: Option<u16>,
    /// Header flags: names joined by commas (request,ack,dump,create,...) or a
    /// number; default: the template's, else none.
    #[arg(long, value_parser = parse_flags)]
    pub flags: Option<u16>,
    /// Sequence number.
    #[arg(long, default_value_t = 1)]
    pub seq: u32,
    /// Payload as text (the bytes as given, no NUL added).
    #[arg(long, group = "payload")]
    pub text: Option<String>,
    /// Payload as hex bytes.
    #[arg(long, group = "payload", value_parser = parse_hex_arg)]
    pub hex: Option<HexBytes>,
    /// A ready-made request: hello, echo, unicast:PORT, multicast:GROUP, stats,
    /// getlink, getaddr, genl-family:NAME. --text/--hex replace the payload of
    /// hello, echo, unicast and multicast.
    #[arg(long, value_parser = parse_template)]
    pub template: Option<Template>,
    /// Bind the sending socket to this port (default: the kernel picks one).
    #[arg(long)]
    pub port: Option<u32>,
    /// Milliseconds to wait for each reply (the last one ends the wait).
    #[arg(long, default_value_t = 1000)]
    pub wait: u64,
    /// Send messages that can change kernel state without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Build the request from this family's YNL spec (`nlscope specs` lists
    /// them): with --do OP or --dump OP, and --json for its attributes.
    #[arg(long, value_name = "FAMILY", requires = "spec_op",
          conflicts_with_all = ["template", "text", "hex", "protocol", "kind", "flags"])]
    pub family: Option<String>,
    /// The spec operation to do (ethtool linkinfo-get, nlscope_demo echo, ...).
    #[arg(long = "do", value_name = "OP", group = "spec_op", requires = "family")]
    pub do_op: Option<String>,
    /// The spec operation to dump.
    #[arg(
        long = "dump",
        value_name = "OP",
        group = "spec_op",
        requires = "family"
    )]
    pub dump_op: Option<String>,
    /// The operation's attributes (and fixed-header members) as a JSON
    /// object: `{"header": {"dev-name": "eth0"}}`; names as in the spec.
    #[arg(long, value_name = "JSON", requires = "family")]
    pub json: Option<String>,
}

/// The request, fully resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub protocol: u32,
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub body: Vec<u8>,
    pub target: Target,
    /// nl_groups bit mask.
    pub groups: u32,
    pub bind_port: u32,
    pub wait: Duration,
    /// Why it needs confirmation, when it does.
    pub risk: Option<String>,
}

impl Plan {
    /// The plan of `args`: a spec operation built with `specs` (asking
    /// the kernel for a generic netlink family's id), else
    /// [`Plan::from_args`].
    pub fn resolve(args: &SendArgs, specs: &crate::ynl::Specs) -> Result<Plan, String> {
        match &args.family {
            Some(family) => spec::plan(args, family, specs),
            None => Plan::from_args(args),
        }
    }

    pub fn from_args(args: &SendArgs) -> Result<Plan, String> {
        if args.family.is_some() {
            return Err("--family needs the YNL specs: use Plan::resolve".into());
        }
        let payload: Option<Vec<u8>> = match (&args.text, &args.hex) {
            (Some(text), _) => Some(text.as_bytes().to_vec()),
            (_, Some(bytes)) => Some(bytes.0.clone()),
            _ => None,
        };
        let (protocol, kind, flags, body) = match &args.template {
            Some(template) => {
                if payload.is_some()
                    && matches!(
                        template,
                        Template::Stats
                            | Template::GetLink
                            | Template::GetAddr
                            | Template::GenlFamily(_)
                    )
                {
                    return Err(format!(
                        "template {template:?} has no payload to replace: drop --text/--hex"
                    ));
                }
                template_request(template, payload.as_deref())
            }
            None => (NETLINK_NLSCOPE_DEMO, 0, 0, payload.unwrap_or_default()),
        };
        let protocol = args.protocol.unwrap_or(protocol);
        let kind = args.kind.unwrap_or(kind);
        let flags = args.flags.unwrap_or(flags);
        let groups = args
            .group
            .iter()
            .fold(0u32, |mask, group| mask | 1 << (group - 1));
        let mut risk = state_changing(protocol, kind);
        if risk.is_none() && protocol == NETLINK_GENERIC && kind == GENL_ID_CTRL {
            risk = genl_state_changing(&body);
        }
        Ok(Plan {
            protocol,
            kind,
            flags,
            seq: args.seq,
            body,
            target: args.to,
            groups,
            bind_port: args.port.unwrap_or(0),
            wait: Duration::from_millis(args.wait),
            risk,
        })
    }

    pub fn dst_port(&self) -> u32 {
        match self.target {
            Target::Kernel => 0,
            Target::Port(port) => port,
        }
    }

    pub fn message(&self, own_port: u32) -> Vec<u8> {
        build_message(self.kind, self.flags, self.seq, own_port, &self.body)
    }

    fn request(&self, len: usize) -> Request {
        Request {
            protocol: self.protocol,
            dst_port: self.dst_port(),
            groups: self.groups,
            len,
            bind_port: self.bind_port,
        }
    }

    /// When to stop reading replies early.
    fn finished(&self, replies: &[Vec<u8>]) -> bool {
        let Some(last) = replies.last() else {
            return false;
        };
        let dump = self.flags & NLM_F_DUMP != 0 && self.target == Target::Kernel;
        let ack = self.flags & NLM_F_ACK != 0;
        let mut ends = false;
        for (_, header) in split_messages(last) {
            if header.seq != self.seq {
                continue;
            }
            match header.kind {
                NLMSG_ERROR => ends = true,
                NLMSG_DONE if dump => ends = true,
                _ => {}
            }
        }
        // Without a dump or an ack to wait for, the first answer is all there is.
        ends || (!dump && !ack)
    }
}

/// The error in an NLMSG_ERROR and its extended-ack message, if any.
pub fn nlmsg_error(message: &[u8]) -> Option<(i32, Option<String>)> {
    let header = parse_header(message)?;
    if header.kind != NLMSG_ERROR {
        return None;
    }
    let end = (header.len as usize).min(message.len());
    let body = message.get(NLMSG_HDRLEN..end)?;
    let error = i32::from_ne_bytes(body.get(..4)?.try_into().ok()?);
    let quoted = parse_header(body.get(4..)?);
    // NLM_F_CAPPED: only the request's header is quoted; NLM_F_ACK_TLVS: TLVs follow.
    let quoted_len = match quoted {
        Some(q) if header.flags & NLM_F_CAPPED == 0 => nlmsg_align(q.len as usize),
        _ => NLMSG_HDRLEN,
    };
    let mut extack = None;
    if header.flags & NLM_F_ACK_TLVS != 0 {
        let tlvs = body
            .get(4usize.saturating_add(quoted_len)..)
            .unwrap_or_default();
        for (kind, value) in attrs(tlvs) {
            if kind == NLMSGERR_ATTR_MSG {
                extack = Some(c_string(value));
            }
        }
    }
    Some((error, extack))
}

/// The replies' outcome: the first NLMSG_ERROR with a non-zero error.
pub fn reply_error(replies: &[Vec<u8>]) -> Option<(i32, Option<String>)> {
    replies
        .iter()
        .flat_map(|datagram| {
            split_messages(datagram)
                .into_iter()
                .filter_map(move |(offset, _)| nlmsg_error(&datagram[offset..]))
        })
        .find(|(error, _)| *error != 0)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    {line}\n"))
        .collect::<String>()
}

fn target_text(plan: &Plan) -> String {
    let mut parts = Vec::new();
    match plan.target {
        Target::Kernel => parts.push("kernel (port 0)".to_string()),
        Target::Port(port) => parts.push(format!("port {port}")),
    }
    if plan.groups != 0 {
        let groups: Vec<String> = groups_from_mask32(plan.groups)
            .iter()
            .map(u32::to_string)
            .collect();
        parts.push(format!("group {}", groups.join(",")));
    }
    parts.join(" + ")
}

/// The request as shown before sending.
pub fn describe_request(
    plan: &Plan,
    own_port: u32,
    bytes: &[u8],
    context: &DecodeContext,
) -> String {
    let kind = match type_name(plan.protocol, plan.kind) {
        Some(name) => format!("{name} ({:#x})", plan.kind),
        None => format!("{:#x}", plan.kind),
    };
    let decoded = decode_bytes(plan.protocol, bytes, context);
    format!(
        "request: {} bytes on {} ({}), type {kind}, flags {:#x}, seq {}, from port {own_port} (pid {}) to {}\n{}",
        bytes.len(),
        protocol_name(plan.protocol),
        plan.protocol,
        plan.flags,
        plan.seq,
        std::process::id(),
        target_text(plan),
        indent(&decoded.to_text())
    )
}

/// One received datagram as shown.
pub fn describe_reply(
    plan: &Plan,
    index: usize,
    from: u32,
    bytes: &[u8],
    context: &DecodeContext,
) -> String {
    let decoded = decode_bytes(plan.protocol, bytes, context);
    let mut out = format!(
        "reply {index}: {} bytes from port {from}\n{}",
        bytes.len(),
        indent(&decoded.to_text())
    );
    for (offset, header) in split_messages(bytes) {
        let message = &bytes[offset..];
        if plan.protocol == NETLINK_NLSCOPE_DEMO && header.kind == demo::CMD_STATS {
            let body = message.get(NLMSG_HDRLEN..).unwrap_or_default();
            if let Some(stats) = demo::Stats::from_bytes(body) {
                let values: Vec<String> = demo::STATS_FIELDS
                    .iter()
                    .zip(stats.values())
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                out.push_str(&format!("    demo stats: {}\n", values.join(" ")));
            }
        }
        if let Some((error, extack)) = nlmsg_error(message) {
            if error == 0 {
                out.push_str("    ack: ok\n");
            } else {
                out.push_str(&format!(
                    "    error: {}{}\n",
                    explain(-error, Stage::Reply, &plan.request(0)),
                    extack.map(|m| format!(": {m}")).unwrap_or_default()
                ));
            }
        }
    }
    out
}

fn os_errno(error: &std::io::Error) -> i32 {
    error.raw_os_error().unwrap_or(libc::EIO)
}

/// Waits up to `wait` for the socket to become readable.
fn readable(socket: &Socket, wait: Duration) -> std::io::Result<bool> {
    let mut pollfd = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = wait.as_millis().min(i32::MAX as u128) as i32;
    loop {
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pollfd, 1, millis) };
        if n >= 0 {
            return Ok(n > 0);
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Asks on the terminal whether to send a risky message.
fn confirm(reason: &str) -> Result<bool> {
    eprint!("nlscope: {reason}. Send it? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES"))
}

/// What `nlscope send` did.
#[derive(Debug)]
pub struct Outcome {
    pub own_port: u32,
    pub sent: usize,
    /// Every datagram received, with the port it came from.
    pub replies: Vec<(u32, Vec<u8>)>,
}

/// Sends `plan` and collects replies, printing as it goes; replies are
/// decoded with `specs`.
pub fn execute(
    plan: &Plan,
    specs: &std::sync::Arc<crate::ynl::Specs>,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let early = plan.request(NLMSG_HDRLEN + plan.body.len());
    let mut socket = Socket::new(plan.protocol as isize)
        .map_err(|e| anyhow!("{}", explain(os_errno(&e), Stage::Socket, &early)))?;
    socket
        .bind(&SocketAddr::new(plan.bind_port, 0))
        .map_err(|e| anyhow!("{}", explain(os_errno(&e), Stage::Bind, &early)))?;
    // Extended acks carry the receiver's reason; harmless where unsupported.
    let _ = socket.set_ext_ack(true);
    let mut address = SocketAddr::new(0, 0);
    socket.get_address(&mut address)?;
    let own_port = address.port_number();

    let bytes = plan.message(own_port);
    let mut context = DecodeContext::with_specs(specs.clone());
    if plan.protocol == NETLINK_GENERIC {
        // A family's messages are named by its id, which only the kernel knows.
        context.learn_families(crate::netlink::nlctrl::dump_families().unwrap_or_default());
    }
    out.write_all(describe_request(plan, own_port, &bytes, &context).as_bytes())?;
    let destination = SocketAddr::new(plan.dst_port(), plan.groups);
    let sent = match socket.send_to(&bytes, &destination, 0) {
        Ok(sent) => sent,
        // A multicast is sent to the groups first; the unicast copy to port 0
        // fails where the protocol has no kernel socket (NETLINK_USERSOCK).
        Err(e)
            if os_errno(&e) == libc::ECONNREFUSED
                && plan.groups != 0
                && plan.target == Target::Kernel =>
        {
            writeln!(
                out,
                "sent {} bytes to the groups; the unicast copy to port 0 was refused (no kernel socket on this protocol)",
                bytes.len()
            )?;
            return Ok(Outcome {
                own_port,
                sent: bytes.len(),
                replies: Vec::new(),
            });
        }
        Err(e) => bail!(
            "{}",
            explain(os_errno(&e), Stage::Send, &plan.request(bytes.len()))
        ),
    };
    writeln!(out, "sent {sent} bytes")?;
    out.flush()?;

    let mut replies: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut datagrams: Vec<Vec<u8>> = Vec::new();
    loop {
        if !readable(&socket, plan.wait)? {
            break;
        }
        let mut buffer: Vec<u8> = Vec::with_capacity(1 << 16);
        let (_, from) = socket.recv_from(&mut buffer, 0)?;
        context.learn_bytes(plan.protocol, &buffer);
        let text = describe_reply(
            plan,
            replies.len() + 1,
            from.port_number(),
            &buffer,
            &context,
        );
        out.write_all(text.as_bytes())?;
        out.flush()?;
        datagrams.push(buffer.clone());
        replies.push((from.port_number(), buffer));
        if plan.finished(&datagrams) {
            break;
        }
    }
    if replies.is_empty() {
        writeln!(out, "no reply within {} ms", plan.wait.as_millis())?;
    }
    Ok(Outcome {
        own_port,
        sent,
        replies,
    })
}

/// Refuses a state-changing `plan` without `--yes` (`yes`) unless the user
/// says "y" at the terminal; Ok(true) when they did (an agent must then be
/// told `--yes`).
pub fn confirm_risk(risk: Option<&str>, yes: bool) -> Result<bool> {
    match risk {
        Some(reason) if !yes => {
            if !std::io::stdin().is_terminal() {
                bail!("{reason}: pass --yes to send it anyway");
            }
            if !confirm(reason)? {
                bail!("not sent");
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The refusal of every send under `--read-only`.
pub const READ_ONLY_REFUSAL: &str =
    "injection is disabled (--read-only): nlscope send does not send anything";

/// `nlscope send`'s arguments in a parser of their own (the dashboard's
/// dialog and the agent parse a command line with it).
#[derive(clap::Parser)]
#[command(name = "send")]
struct SendLine {
    #[command(flatten)]
    args: SendArgs,
}

/// Parses the arguments of `nlscope send` (without the program and command
/// name) as the command line does, or says why not in one line.
pub fn parse_args(words: &[String]) -> Result<SendArgs, String> {
    use clap::Parser;
    SendLine::try_parse_from(std::iter::once("send").chain(words.iter().map(String::as_str)))
        .map(|line| line.args)
        .map_err(|error| {
            let text = error.to_string();
            let first = text.lines().next().unwrap_or_default();
            first.trim_start_matches("error: ").to_string()
        })
}

/// What a send printed, and why it failed when it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendReport {
    /// The request and the decoded replies, as `nlscope send` prints them.
    pub output: String,
    /// The error `nlscope send` would end with.
    pub error: Option<String>,
}

impl SendReport {
    /// The output with the error as its last line (`error: ...`), as the
    /// dashboard shows it.
    pub fn text(&self) -> String {
        match &self.error {
            Some(error) => format!("{}error: {error}\n", self.output),
            None => self.output.clone(),
        }
    }
}

/// Sends `plan` and waits for the replies (blocking), collecting what
/// `nlscope send` would print; replies decoded with `specs`.
pub fn send_collected(plan: &Plan, specs: &std::sync::Arc<crate::ynl::Specs>) -> SendReport {
    let mut shown = Vec::new();
    let result = execute(plan, specs, &mut shown);
    let output = String::from_utf8_lossy(&shown).into_owned();
    let error = match result {
        Ok(outcome) => outcome_error(plan, &outcome),
        Err(error) => Some(format!("{error:#}")),
    };
    SendReport { output, error }
}

/// `nlscope send`.
pub fn run(
    args: SendArgs,
    read_only: bool,
    specs: std::sync::Arc<crate::ynl::Specs>,
) -> Result<()> {
    if read_only {
        bail!(READ_ONLY_REFUSAL);
    }
    let plan = Plan::resolve(&args, &specs).map_err(|e| anyhow!(e))?;
    confirm_risk(plan.risk.as_deref(), args.yes)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let outcome = execute(&plan, &specs, &mut out)?;
    match outcome_error(&plan, &outcome) {
        Some(error) => bail!("{error}"),
        None => Ok(()),
    }
}

/// The receiver's refusal, when one of the replies is an NLMSG_ERROR with an error.
pub fn outcome_error(plan: &Plan, outcome: &Outcome) -> Option<String> {
    let datagrams: Vec<Vec<u8>> = outcome.replies.iter().map(|(_, d)| d.clone()).collect();
    reply_error(&datagrams).map(|(error, extack)| {
        format!(
            "the receiver answered {}{}",
            explain(-error, Stage::Reply, &plan.request(outcome.sent)),
            extack.map(|m| format!(": {m}")).unwrap_or_default()
        )
    })
}

#[cfg(test)]
mod tests;
