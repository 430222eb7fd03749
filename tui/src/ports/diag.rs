//! netlink_diag: the kernel's own list of netlink sockets, asked over
//! NETLINK_SOCK_DIAG with `SOCK_DIAG_BY_FAMILY` and family `AF_NETLINK`.
//!
//! netlink-packet-sock-diag (0.5, the newest release) only knows the inet and
//! unix families, so the request is
//! encoded (`struct netlink_diag_req`, 20 bytes) and the reply
//! (`struct netlink_diag_msg`, 28 bytes, + attributes) parsed here;
//! both are small and fixed by `include/uapi/linux/netlink_diag.h`. The
//! socket itself is netlink-sys ([`crate::netlink::dump`]).

use serde::Serialize;

use crate::netlink;
use crate::netlink::attr::attrs;
use crate::netlink::groups::groups_from_bitmap;
use crate::netlink::header::{build_message, messages, NLMSG_HDRLEN};
use crate::netlink::{
    NDIAG_PROTO_ALL, NDIAG_SHOW_FLAGS, NDIAG_SHOW_GROUPS, NDIAG_SHOW_MEMINFO, NETLINK_DIAG_FLAGS,
    NETLINK_DIAG_GROUPS, NETLINK_DIAG_MEMINFO, NETLINK_DIAG_MSG_LEN, NETLINK_DIAG_REQ_LEN,
    NETLINK_SOCK_DIAG, NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP, NLM_F_REQUEST, SOCK_DIAG_BY_FAMILY,
};

/// One socket as netlink_diag describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiagEntry {
    pub protocol: u32,
    /// `SOCK_RAW` (3) or `SOCK_DGRAM` (2).
    pub sock_type: u8,
    /// `TCP_ESTABLISHED` (1) when connected, `TCP_CLOSE` (7) otherwise.
    pub state: u8,
    pub portid: u32,
    pub dst_portid: u32,
    pub dst_group: u32,
    pub inode: u32,
    pub cookie: u64,
    /// Every subscribed group (1-based), from NETLINK_DIAG_GROUPS.
    pub groups: Vec<u32>,
    /// `SK_MEMINFO_*` values, when NETLINK_DIAG_MEMINFO was present.
    pub meminfo: Option<Vec<u32>>,
    /// `NDIAG_FLAG_*`, when NETLINK_DIAG_FLAGS was present.
    pub flags: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiagError {
    #[error("truncated netlink message ({0} bytes left, header says {1})")]
    Truncated(usize, usize),
    #[error("netlink_diag message too short ({0} bytes)")]
    ShortBody(usize),
    #[error("the kernel answered with error {0} ({1})")]
    Kernel(i32, String),
}

/// The dump request: every protocol, with groups, meminfo and flags.
pub fn encode_request(seq: u32) -> Vec<u8> {
    // struct netlink_diag_req
    let mut buf = Vec::with_capacity(NETLINK_DIAG_REQ_LEN);
    buf.push(libc::AF_NETLINK as u8); // sdiag_family
    buf.push(NDIAG_PROTO_ALL); // sdiag_protocol
    buf.extend_from_slice(&0u16.to_ne_bytes()); // pad
    buf.extend_from_slice(&0u32.to_ne_bytes()); // ndiag_ino
    buf.extend_from_slice(
        &(NDIAG_SHOW_MEMINFO | NDIAG_SHOW_GROUPS | NDIAG_SHOW_FLAGS).to_ne_bytes(),
    );
    buf.extend_from_slice(&[0xff; 8]); // ndiag_cookie: INET_DIAG_NOCOOKIE
    build_message(
        SOCK_DIAG_BY_FAMILY,
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
        0,
        &buf,
    )
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// What one receive buffer held.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub entries: Vec<DiagEntry>,
    /// NLMSG_DONE was seen: the dump is complete.
    pub done: bool,
}

/// Parses one receive buffer of the dump reply (several netlink messages).
pub fn parse_batch(buf: &[u8]) -> Result<Batch, DiagError> {
    let mut batch = Batch::default();
    for item in messages(buf) {
        let (header, message) = item.map_err(|t| DiagError::Truncated(t.left, t.len))?;
        let body = &message[NLMSG_HDRLEN..];
        match header.kind {
            NLMSG_DONE => {
                batch.done = true;
                return Ok(batch);
            }
            NLMSG_ERROR => {
                let code = if body.len() >= 4 {
                    u32_at(body, 0) as i32
                } else {
                    0
                };
                if code != 0 {
                    let errno = code.checked_neg().unwrap_or(i32::MAX);
                    return Err(DiagError::Kernel(
                        code,
                        std::io::Error::from_raw_os_error(errno).to_string(),
                    ));
                }
            }
            SOCK_DIAG_BY_FAMILY => batch.entries.push(parse_entry(body)?),
            _ => {}
        }
    }
    Ok(batch)
}

/// Parses one `struct netlink_diag_msg` and its attributes.
pub fn parse_entry(body: &[u8]) -> Result<DiagEntry, DiagError> {
    if body.len() < NETLINK_DIAG_MSG_LEN {
        return Err(DiagError::ShortBody(body.len()));
    }
    let mut entry = DiagEntry {
        sock_type: body[1],
        protocol: u32::from(body[2]),
        state: body[3],
        portid: u32_at(body, 4),
        dst_portid: u32_at(body, 8),
        dst_group: u32_at(body, 12),
        inode: u32_at(body, 16),
        cookie: u64::from(u32_at(body, 24)) << 32 | u64::from(u32_at(body, 20)),
        ..DiagEntry::default()
    };
    for (kind, data) in attrs(&body[NETLINK_DIAG_MSG_LEN..]) {
        match kind {
            NETLINK_DIAG_MEMINFO => {
                entry.meminfo = Some(data.chunks_exact(4).map(|c| u32_at(c, 0)).collect())
            }
            NETLINK_DIAG_GROUPS => {
                entry.groups = groups_from_bitmap(data, std::mem::size_of::<libc::c_ulong>())
            }
            NETLINK_DIAG_FLAGS if data.len() >= 4 => entry.flags = Some(u32_at(data, 0)),
            _ => {}
        }
    }
    Ok(entry)
}

/// Dumps every netlink socket of this network namespace, each once.
pub fn dump() -> anyhow::Result<Vec<DiagEntry>> {
    let context = "netlink_diag (NETLINK_SOCK_DIAG)";
    let mut entries: Vec<DiagEntry> = Vec::new();
    netlink::dump::dump(
        NETLINK_SOCK_DIAG,
        context,
        &encode_request(1),
        |datagram, own_port| {
            let batch = parse_batch(datagram).map_err(|e| anyhow::anyhow!("{context}: {e}"))?;
            // Leave out the asking socket itself; the kernel lists it twice when
            // a socket is both bound and subscribed (hash table, then group list).
            for entry in batch.entries {
                let own_socket = entry.protocol == NETLINK_SOCK_DIAG && entry.portid == own_port;
                let seen = entries
                    .iter()
                    .any(|e| e.protocol == entry.protocol && e.inode == entry.inode);
                if !own_socket && !seen {
                    entries.push(entry);
                }
            }
            Ok(batch.done)
        },
    )?;
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::attr::attr;
    use crate::netlink::{SK_MEMINFO_DROPS, SK_MEMINFO_RMEM_ALLOC};
    use proptest::prelude::*;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_ne_bytes([b[at], b[at + 1]])
    }

    fn message(kind: u16, body: &[u8]) -> Vec<u8> {
        build_message(kind, 0, 0, 0, body)
    }

    fn diag_body() -> Vec<u8> {
        let mut body = vec![16, 3, 0, 7];
        for v in [1234u32, 0, 0, 98765, 0x11, 0x22] {
            body.extend_from_slice(&v.to_ne_bytes());
        }
        let mut mem = Vec::new();
        for v in [832u32, 212992, 0, 212992, 0, 0, 0, 0, 5] {
            mem.extend_from_slice(&v.to_ne_bytes());
        }
        body.extend(attr(NETLINK_DIAG_MEMINFO, &mem));
        let groups: u64 = 1 | 1 << 4 | 1 << 32;
        body.extend(attr(NETLINK_DIAG_GROUPS, &groups.to_ne_bytes()));
        body.extend(attr(NETLINK_DIAG_FLAGS, &2u32.to_ne_bytes()));
        body
    }

    #[test]
    fn request_layout() {
        let req = encode_request(7);
        assert_eq!(req.len(), 36);
        assert_eq!(u32_at(&req, 0), 36);
        assert_eq!(u16_at(&req, 4), 20);
        assert_eq!(u16_at(&req, 6), 0x301);
        assert_eq!(u32_at(&req, 8), 7);
        assert_eq!(req[16], 16);
        assert_eq!(req[17], 0xff);
        assert_eq!(u32_at(&req, 24), 0xb);
    }

    #[test]
    fn parses_entry_with_attributes() {
        let mut buf = message(SOCK_DIAG_BY_FAMILY, &diag_body());
        buf.extend(message(NLMSG_DONE, &0i32.to_ne_bytes()));
        let batch = parse_batch(&buf).unwrap();
        assert!(batch.done);
        let e = &batch.entries[0];
        assert_eq!((e.protocol, e.sock_type, e.state), (0, 3, 7));
        assert_eq!((e.portid, e.inode), (1234, 98765));
        assert_eq!(e.cookie, 0x22_0000_0011);
        assert_eq!(e.groups, vec![1, 5, 33]);
        let mem = e.meminfo.as_ref().unwrap();
        assert_eq!(
            (mem[SK_MEMINFO_RMEM_ALLOC], mem[SK_MEMINFO_DROPS]),
            (832, 5)
        );
        assert_eq!(e.flags, Some(2));
    }

    #[test]
    fn kernel_errors_are_reported() {
        let buf = message(NLMSG_ERROR, &(-2i32).to_ne_bytes());
        assert!(matches!(parse_batch(&buf), Err(DiagError::Kernel(-2, _))));
        let buf = message(NLMSG_ERROR, &i32::MIN.to_ne_bytes());
        assert!(parse_batch(&buf).is_err());
    }

    proptest! {
        #[test]
        fn random_buffers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_batch(&bytes);
            let _ = parse_entry(&bytes);
        }

        #[test]
        fn truncated_replies_never_panic(cut in 0usize..200) {
            let mut buf = message(SOCK_DIAG_BY_FAMILY, &diag_body());
            buf.extend(message(NLMSG_DONE, &0i32.to_ne_bytes()));
            let cut = cut.min(buf.len());
            let _ = parse_batch(&buf[..cut]);
            let _ = parse_entry(&diag_body()[..cut.min(diag_body().len())]);
        }
    }
}
