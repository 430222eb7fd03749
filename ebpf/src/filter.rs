//! The in-kernel filters (`--protocol`, `--pid`, `--netns`, `--port`),
//! checked before anything is copied.

use aya_ebpf::helpers::bpf_get_current_pid_tgid;
use nlscope_common::{Config, ANY};

use crate::readers::{sock_netns, sock_portid, sock_protocol, Access};

/// Whether a message passes the filters, given the socket `sk` that sends or
/// receives it and the message's other port (the destination of a message
/// `sk` sends, 0 for a kernel's message `sk` receives); the process is the
/// running task's. Each field is read only when a filter that is set needs
/// it, cheapest first: with no filter set nothing is read, and traffic the
/// protocol filter drops costs one load.
#[inline(always)]
pub(crate) fn passes_filters(
    access: Access,
    config: &Config,
    sk: *const u8,
    other_port: u32,
) -> bool {
    let filters = &config.filters;
    let offsets = &config.offsets;
    (filters.protocol == ANY || filters.protocol == sock_protocol(access, sk, offsets))
        && (filters.pid == ANY || filters.pid == (bpf_get_current_pid_tgid() >> 32) as u32)
        && (filters.netns == ANY || filters.netns == sock_netns(access, sk, offsets))
        && (filters.port == ANY
            || filters.port == other_port
            || filters.port == sock_portid(sk, offsets))
}
