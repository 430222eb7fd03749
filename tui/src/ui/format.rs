//! Small text formatters shared by the components: times, endpoints, counts,
//! and how a stored message's type and result read in the list. Names come
//! from the decoder and the store ([`crate::decode`], [`crate::store::names`]);
//! nothing here knows a netlink number.

use crate::decode::{self, DecodeContext, Field};
use crate::event::MessageMeta;
use crate::store::stats::no_listener;
use crate::store::{names, Store, Stored};

/// `HH:MM:SS.mmm` (UTC) of a wall-clock time in nanoseconds.
pub fn clock(wall_ns: u64) -> String {
    if wall_ns == 0 {
        return "-".into();
    }
    let ms = wall_ns / 1_000_000;
    let s = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60,
        ms % 1000
    )
}

/// `kernel` for port 0, `?` for a port the capture does not give, else the
/// port number.
pub fn endpoint(port: Option<u32>) -> String {
    match port {
        Some(0) => "kernel".into(),
        Some(port) => port.to_string(),
        None => "?".into(),
    }
}

/// The destination: a group (`@link`, `@nlscope_demo/events`) or a port.
pub fn destination(m: &MessageMeta, context: &DecodeContext) -> String {
    if m.dst_group != 0 {
        format!("@{}", names::group_label(m.protocol, m.dst_group, context))
    } else {
        endpoint(m.dst_port)
    }
}

/// `comm[pid]`, or `?` when the capture names no process.
pub fn process(m: &MessageMeta) -> String {
    if m.process_known() {
        format!("{}[{}]", m.comm, m.pid)
    } else {
        "?".into()
    }
}

/// The delivery result or the NLMSG_ERROR code: `ok`, `ENODEV`, `-`, and
/// `no listener` for a multicast nobody was subscribed to (not an error).
pub fn result(event: &Stored) -> String {
    if no_listener(event) {
        return "no listener".into();
    }
    match (event.message.result, event.errno) {
        (Some(r), _) if r < 0 => names::errno_name(-r),
        (_, Some(errno)) => names::errno_name(errno),
        (Some(_), None) => "ok".into(),
        (None, None) => "-".into(),
    }
}

/// The message type as the list shows it, `+N` when the buffer holds more:
/// the header type's name where the store knows it (`RTM_NEWLINK`,
/// `NLMSG_ERROR`), else what the decoder calls the message: the family and
/// command of a generic netlink message (`nlctrl GETFAMILY`), a uevent and
/// its action (`uevent add`), another family's type name; else the number.
pub fn kind(event: &Stored, store: &Store) -> String {
    let protocol = event.message.protocol;
    let first = event.kinds.first().copied();
    let name = first
        .and_then(|k| crate::netlink::names::type_name(protocol, k))
        .map(str::to_string)
        .or_else(|| decoded_kind(event, store))
        .or_else(|| first.map(|k| k.to_string()));
    let Some(name) = name else {
        return "-".into();
    };
    if event.kinds.len() > 1 {
        format!("{name} +{}", event.kinds.len() - 1)
    } else {
        name
    }
}

/// The decoder's name for the first message of the buffer, with the command
/// (or action) its summary starts with when the name is a family's.
fn decoded_kind(event: &Stored, store: &Store) -> Option<String> {
    let message = store.message(event).ok()?;
    let decoded = decode::decode(&message, store.context());
    let root = decoded.messages.first()?;
    let has = |name: &str| root.children.iter().any(|c: &Field| c.name == name);
    let name = root.name.to_string();
    let summary = decode::summarize(&message, store.context());
    let rest = summary
        .strip_prefix(name.as_str())
        .map(str::trim_start)
        .unwrap_or_default();
    if !has("nlmsghdr") {
        // No netlink header (a kernel uevent): `uevent add@/devices/...`.
        return Some(match rest.split_once('@') {
            Some((action, _)) if !action.is_empty() && !action.contains(' ') => {
                format!("{name} {action}")
            }
            _ => name,
        });
    }
    if has("genlmsghdr") {
        // A family, then its command: `nlctrl GETFAMILY nl80211`, `x cmd 5`.
        let mut words = rest.split_whitespace();
        let command = match words.next() {
            Some("cmd") => words.next().map(|n| format!("cmd {n}")),
            Some(word) if !word.starts_with('(') => Some(word.to_string()),
            _ => None,
        };
        return Some(match command {
            Some(command) => format!("{name} {command}"),
            None => name,
        });
    }
    // A name of the decoder's own, unless it is only the number again.
    let number = event.kinds.first().map(|k| format!("type {k}"));
    (Some(&name) != number.as_ref()).then_some(name)
}

/// `[###   ] 52%`: how much of `total` is `done` (narrow enough to fit
/// the header's first line at 80 columns).
pub fn progress_bar(done: u64, total: u64) -> String {
    const WIDTH: u64 = 6;
    let percent = (done.min(total) * 100).checked_div(total).unwrap_or(100);
    let filled = (percent * WIDTH / 100) as usize;
    format!(
        "[{}{}] {percent}%",
        "#".repeat(filled),
        " ".repeat(WIDTH as usize - filled)
    )
}

/// Thousands separators: `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(
            clock(crate::store::corpus::BASE_WALL_NS + 120_000_000),
            "05:00:00.120"
        );
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(endpoint(Some(0)), "kernel");
        assert_eq!(endpoint(Some(7)), "7");
        assert_eq!(endpoint(None), "?");
    }
}
