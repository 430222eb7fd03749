//! Asking the kernel for a dump: a netlink-sys socket on the protocol, one
//! request to the kernel (port 0), then datagrams handed to a reader until
//! it says the dump is over. Used by the nlctrl family dump and the
//! netlink_diag socket dump.

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use anyhow::{anyhow, bail};
use netlink_sys::{Socket, SocketAddr};

/// How long one receive may wait before the dump gives up.
const RECEIVE_TIMEOUT: Duration = Duration::from_secs(2);

/// Sends `request` on a new socket of `protocol` and hands each datagram of
/// the answer to `datagram`, with the socket's own port, until it returns
/// true. Errors name `what` (`nlctrl: cannot bind: ...`).
pub fn dump(
    protocol: u32,
    what: &str,
    request: &[u8],
    mut datagram: impl FnMut(&[u8], u32) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let mut socket =
        Socket::new(protocol as isize).map_err(|e| anyhow!("{what}: cannot open a socket: {e}"))?;
    set_receive_timeout(&socket, RECEIVE_TIMEOUT)
        .map_err(|e| anyhow!("{what}: cannot set a receive timeout: {e}"))?;
    let own = socket
        .bind_auto()
        .map_err(|e| anyhow!("{what}: cannot bind: {e}"))?;
    socket
        .connect(&SocketAddr::new(0, 0))
        .map_err(|e| anyhow!("{what}: cannot connect: {e}"))?;
    socket
        .send(request, 0)
        .map_err(|e| anyhow!("{what}: cannot send the dump request: {e}"))?;
    let mut buffer: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        buffer.clear();
        let received = socket
            .recv(&mut buffer, 0)
            .map_err(|e| anyhow!("{what}: receive failed: {e}"))?;
        if received == 0 {
            bail!("{what}: the kernel closed the dump early");
        }
        if datagram(&buffer, own.port_number())? {
            return Ok(());
        }
    }
}

/// `SO_RCVTIMEO` on `socket` (netlink-sys has no setter for it).
fn set_receive_timeout(socket: &Socket, timeout: Duration) -> io::Result<()> {
    let value = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: libc::suseconds_t::from(timeout.subsec_micros()),
    };
    // SAFETY: setsockopt(2) on the socket's own open descriptor; `value`
    // outlives the call and its size is the length passed.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&value as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
