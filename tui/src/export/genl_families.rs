//! The running kernel's generic netlink families (id -> name), asked of nlctrl
//! with a `CTRL_CMD_GETFAMILY` dump. `record` gives this map to the pcapng
//! writer so Wireshark can name the families in the capture.
//!
//! Family ids are global (the same in every network namespace) but dynamic:
//! a family registered after the query (a module loaded later) is not in it.

use std::collections::BTreeMap;
use std::io;
use std::time::Duration;

use super::pcapng::{parse_genl_family_message, GENL_ID_CTRL};

const CTRL_CMD_GETFAMILY: u8 = 3;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
/// How long one receive may wait before the query gives up.
const RECEIVE_TIMEOUT: Duration = Duration::from_secs(2);

struct Socket(libc::c_int);

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: the descriptor is owned by this value and closed once.
        unsafe { libc::close(self.0) };
    }
}

/// Every generic netlink family the kernel has registered now.
pub fn kernel_genl_families() -> io::Result<BTreeMap<u16, String>> {
    // SAFETY: plain socket(2); the result is checked.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_GENERIC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let socket = Socket(fd);
    let timeout = libc::timeval {
        tv_sec: RECEIVE_TIMEOUT.as_secs() as libc::time_t,
        tv_usec: 0,
    };
    // SAFETY: `timeout` outlives the call and its size is passed.
    let set = unsafe {
        libc::setsockopt(
            socket.0,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&timeout as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if set < 0 {
        return Err(io::Error::last_os_error());
    }

    let seq: u32 = 1;
    let mut request = Vec::with_capacity(20);
    request.extend_from_slice(&20u32.to_ne_bytes());
    request.extend_from_slice(&GENL_ID_CTRL.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    request.extend_from_slice(&flags.to_ne_bytes());
    request.extend_from_slice(&seq.to_ne_bytes());
    request.extend_from_slice(&0u32.to_ne_bytes());
    request.extend_from_slice(&[CTRL_CMD_GETFAMILY, 1, 0, 0]);
    // SAFETY: a zeroed sockaddr_nl addressed to the kernel (port 0).
    let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: `request` and `kernel` outlive the call; their sizes are passed.
    let sent = unsafe {
        libc::sendto(
            socket.0,
            request.as_ptr().cast(),
            request.len(),
            0,
            (&kernel as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }

    let mut families = BTreeMap::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        // SAFETY: the kernel writes at most `buffer.len()` bytes into `buffer`.
        let received = unsafe { libc::recv(socket.0, buffer.as_mut_ptr().cast(), buffer.len(), 0) };
        if received < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut rest = &buffer[..received as usize];
        if rest.is_empty() {
            return Ok(families);
        }
        while rest.len() >= 16 {
            let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let kind = u16::from_ne_bytes([rest[4], rest[5]]);
            if len < 16 || len > rest.len() {
                break;
            }
            match kind {
                NLMSG_DONE => return Ok(families),
                NLMSG_ERROR => {
                    let errno = rest
                        .get(16..20)
                        .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                        .unwrap_or(0);
                    if errno != 0 {
                        return Err(io::Error::from_raw_os_error(-errno));
                    }
                    return Ok(families);
                }
                _ => {
                    if let Some((id, name)) = parse_genl_family_message(&rest[..len]) {
                        families.insert(id, name);
                    }
                }
            }
            rest = &rest[((len + 3) & !3).min(rest.len())..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_kernel_lists_nlctrl() {
        let families = kernel_genl_families().expect("querying nlctrl");
        assert_eq!(
            families.get(&GENL_ID_CTRL).map(String::as_str),
            Some("nlctrl")
        );
    }
}
