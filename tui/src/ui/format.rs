//! Small text formatters shared by the components: times, endpoints, counts,
//! and how a stored message's type and result read in the list. Names come
//! from the store ([`crate::store::names`]); nothing here knows a netlink
//! number.

use crate::event::CapturedMessage;
use crate::store::{names, Stored};

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

/// The destination: a group (`@link`) or a port.
pub fn destination(m: &CapturedMessage) -> String {
    if m.dst_group != 0 {
        format!("@{}", names::group_label(m.protocol, m.dst_group))
    } else {
        endpoint(m.dst_port)
    }
}

/// `comm[pid]`, or `?` when the capture names no process.
pub fn process(m: &CapturedMessage) -> String {
    if m.process_known() {
        format!("{}[{}]", m.comm, m.pid)
    } else {
        "?".into()
    }
}

/// The delivery result or the NLMSG_ERROR code: `ok`, `ENODEV`, `-`.
pub fn result(event: &Stored) -> String {
    match (event.message.result, event.errno) {
        (Some(r), _) if r < 0 => names::errno_name(-r),
        (_, Some(errno)) => names::errno_name(errno),
        (Some(_), None) => "ok".into(),
        (None, None) => "-".into(),
    }
}

/// The first message type's name, `+N` when the buffer holds more.
pub fn kind(event: &Stored) -> String {
    match event.kinds.first() {
        None => "-".into(),
        Some(&k) => {
            let name = names::type_label(event.message.protocol, k);
            if event.kinds.len() > 1 {
                format!("{name} +{}", event.kinds.len() - 1)
            } else {
                name
            }
        }
    }
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
