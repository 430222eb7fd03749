//! Turning errno values into sentences that say what to do.

use crate::netlink::names::protocol_name;

/// Where an errno came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// `socket(AF_NETLINK, SOCK_RAW, protocol)`.
    Socket,
    /// `bind()` to `--port`.
    Bind,
    /// `sendto()`.
    Send,
    /// An NLMSG_ERROR the receiver answered with.
    Reply,
}

/// What the request was, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub protocol: u32,
    pub dst_port: u32,
    pub groups: u32,
    pub len: usize,
    pub bind_port: u32,
}

fn protocol_text(protocol: u32) -> String {
    let name = protocol_name(protocol);
    if name == protocol.to_string() {
        format!("netlink protocol {protocol}")
    } else {
        format!("netlink protocol {protocol} ({name})")
    }
}

/// One sentence for `errno` (positive) at `stage`.
pub fn explain(errno: i32, stage: Stage, request: &Request) -> String {
    let protocol = protocol_text(request.protocol);
    let os = std::io::Error::from_raw_os_error(errno);
    let name = crate::decode::errno_name(errno).unwrap_or("errno");
    let what = match (errno, stage) {
        (libc::EPROTONOSUPPORT, _) => {
            let hint = if request.protocol == crate::netlink::NETLINK_NLSCOPE_DEMO {
                " (insmod nlscope_demo.ko)"
            } else {
                ""
            };
            format!("{protocol} is not registered: is the module loaded?{hint}")
        }
        (libc::EADDRINUSE, Stage::Bind) => format!(
            "port {} is already bound by another socket on {protocol}",
            request.bind_port
        ),
        (libc::EPERM | libc::EACCES, Stage::Send) if request.groups != 0 => {
            format!("sending to multicast groups on {protocol} needs CAP_NET_ADMIN (run as root)")
        }
        (libc::EPERM | libc::EACCES, _) => {
            format!(
                "not permitted on {protocol}: this needs privilege (CAP_NET_ADMIN; run as root)"
            )
        }
        (libc::ECONNREFUSED, Stage::Send) if request.dst_port == 0 => {
            format!("{protocol} has no kernel socket at port 0 to receive the message")
        }
        (libc::ECONNREFUSED, Stage::Send) => format!(
            "no such port: no socket is bound to port {} on {protocol}",
            request.dst_port
        ),
        (libc::ECONNREFUSED, Stage::Reply) => {
            "no such port: no socket is bound to the port the message was for".to_string()
        }
        (libc::EMSGSIZE, Stage::Send) => format!(
            "payload too large: the message is {} bytes, more than the socket's send buffer takes",
            request.len
        ),
        (libc::EMSGSIZE, _) => "payload too large for the receiver".to_string(),
        (libc::EOPNOTSUPP, Stage::Reply) => {
            "the receiver does not know this message type or command".to_string()
        }
        (libc::ESRCH, Stage::Reply) => "nobody listens on that multicast group".to_string(),
        (libc::EAGAIN, _) => "the receiver's queue is full (try again)".to_string(),
        (libc::ENOBUFS, _) => "out of buffer space (a receive queue overflowed)".to_string(),
        // The C library's text, without Rust's " (os error N)".
        _ => {
            let text = os.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            }
        }
    };
    format!("{what} [{name}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            protocol: 30,
            dst_port: 0,
            groups: 0,
            len: 29,
            bind_port: 4242,
        }
    }

    #[test]
    fn the_common_failures_say_what_to_do() {
        let text = explain(libc::EPROTONOSUPPORT, Stage::Socket, &request());
        assert!(text.contains("is the module loaded?"), "{text}");
        assert!(text.contains("nlscope-demo"), "{text}");
        assert!(text.ends_with("[EPROTONOSUPPORT]"), "{text}");

        let to_port = Request {
            dst_port: 999,
            ..request()
        };
        let text = explain(libc::ECONNREFUSED, Stage::Send, &to_port);
        assert!(text.contains("no socket is bound to port 999"), "{text}");

        let multicast = Request {
            groups: 1,
            ..request()
        };
        let text = explain(libc::EPERM, Stage::Send, &multicast);
        assert!(
            text.contains("multicast") && text.contains("CAP_NET_ADMIN"),
            "{text}"
        );

        let text = explain(libc::EMSGSIZE, Stage::Send, &request());
        assert!(text.contains("payload too large"), "{text}");
        assert!(text.contains("[EMSGSIZE]"), "{text}");

        let text = explain(libc::EADDRINUSE, Stage::Bind, &request());
        assert!(text.contains("port 4242 is already bound"), "{text}");
    }

    #[test]
    fn reply_errors_are_named() {
        let text = explain(libc::ESRCH, Stage::Reply, &request());
        assert!(text.contains("nobody listens"), "{text}");
        let text = explain(libc::ENOENT, Stage::Reply, &request());
        assert_eq!(text, "No such file or directory [ENOENT]");
    }
}
