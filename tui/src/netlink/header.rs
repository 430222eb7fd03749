//! `struct nlmsghdr`: reading and writing the header, alignment, and walking
//! a buffer of messages (host byte order, as netlink sockets carry them).

/// Size of `struct nlmsghdr` (libc's struct).
pub const NLMSG_HDRLEN: usize = std::mem::size_of::<libc::nlmsghdr>();

/// Messages start on this boundary (`NLMSG_ALIGNTO`).
const NLMSG_ALIGNTO: usize = netlink_packet_core::NLMSG_ALIGNTO as usize;

/// `NLMSG_ALIGN`: `len` rounded up to the message alignment (saturating, for
/// lengths read from untrusted buffers).
pub const fn nlmsg_align(len: usize) -> usize {
    len.saturating_add(NLMSG_ALIGNTO - 1) & !(NLMSG_ALIGNTO - 1)
}

/// The fixed netlink header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NlMsgHeader {
    pub len: u32,
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub port: u32,
}

impl NlMsgHeader {
    /// The header's 16 bytes.
    pub fn to_bytes(&self) -> [u8; NLMSG_HDRLEN] {
        let mut out = [0u8; NLMSG_HDRLEN];
        out[0..4].copy_from_slice(&self.len.to_ne_bytes());
        out[4..6].copy_from_slice(&self.kind.to_ne_bytes());
        out[6..8].copy_from_slice(&self.flags.to_ne_bytes());
        out[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        out[12..16].copy_from_slice(&self.port.to_ne_bytes());
        out
    }
}

/// Parses the header at the start of `bytes`, if there are 16 bytes.
pub fn parse_header(bytes: &[u8]) -> Option<NlMsgHeader> {
    let header: &[u8; NLMSG_HDRLEN] = bytes.get(..NLMSG_HDRLEN)?.try_into().ok()?;
    let u32_at =
        |i: usize| u32::from_ne_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let u16_at = |i: usize| u16::from_ne_bytes([header[i], header[i + 1]]);
    Some(NlMsgHeader {
        len: u32_at(0),
        kind: u16_at(4),
        flags: u16_at(6),
        seq: u32_at(8),
        port: u32_at(12),
    })
}

/// One netlink message: the header (length = header + body) and `body`,
/// unpadded: exactly what a socket sends.
pub fn build_message(kind: u16, flags: u16, seq: u32, port: u32, body: &[u8]) -> Vec<u8> {
    let header = NlMsgHeader {
        len: (NLMSG_HDRLEN + body.len()) as u32,
        kind,
        flags,
        seq,
        port,
    };
    let mut out = Vec::with_capacity(nlmsg_align(header.len as usize));
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(body);
    out
}

/// Pads `buffer` with zeros to the message alignment, so that another
/// message can follow it in one datagram.
pub fn pad(buffer: &mut Vec<u8>) {
    buffer.resize(nlmsg_align(buffer.len()), 0);
}

/// True when `flags` ask for a dump (`NLM_F_REQUEST | NLM_F_DUMP`).
pub fn is_dump_request(flags: u16) -> bool {
    const DUMP_REQUEST: u16 = super::consts::NLM_F_REQUEST | super::consts::NLM_F_DUMP;
    flags & DUMP_REQUEST == DUMP_REQUEST
}

/// Where the message after the one at `offset` starts (NLMSG_ALIGN: messages
/// start on 4-byte boundaries).
pub fn next_message(offset: usize, header: NlMsgHeader) -> usize {
    offset.saturating_add(nlmsg_align(header.len as usize))
}

/// Splits a buffer into (offset, header) pairs, stopping at the first header
/// that is cut off or has an impossible length. The last message may run
/// past the end of `bytes` (a capture cut it); every other lies inside.
pub fn split_messages(bytes: &[u8]) -> Vec<(usize, NlMsgHeader)> {
    let mut parts = Vec::new();
    let mut offset = 0usize;
    while let Some(header) = bytes.get(offset..).and_then(parse_header) {
        let len = header.len as usize;
        if len < NLMSG_HDRLEN {
            break;
        }
        parts.push((offset, header));
        let next = next_message(offset, header);
        if next <= offset || next > bytes.len() {
            break;
        }
        offset = next;
    }
    parts
}

/// A received datagram's messages, each whole, for readers that must not
/// guess: an impossible length, or one running past the datagram, ends the
/// walk with [`Truncated`]. Fewer bytes than a header after the last
/// message are ignored.
pub fn messages(datagram: &[u8]) -> Messages<'_> {
    Messages { rest: datagram }
}

/// See [`messages`].
pub struct Messages<'a> {
    rest: &'a [u8],
}

/// A header whose length does not fit the datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncated {
    /// Bytes left in the datagram where the header starts.
    pub left: usize,
    /// The length the header states.
    pub len: usize,
}

impl std::fmt::Display for Truncated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "truncated netlink message ({} bytes left, header says {})",
            self.left, self.len
        )
    }
}

impl std::error::Error for Truncated {}

impl<'a> Iterator for Messages<'a> {
    /// The header and the whole message (header included).
    type Item = Result<(NlMsgHeader, &'a [u8]), Truncated>;

    fn next(&mut self) -> Option<Self::Item> {
        let header = parse_header(self.rest)?;
        let len = header.len as usize;
        if len < NLMSG_HDRLEN || len > self.rest.len() {
            let left = self.rest.len();
            self.rest = &[];
            return Some(Err(Truncated { left, len }));
        }
        let message = &self.rest[..len];
        self.rest = self.rest.get(nlmsg_align(len)..).unwrap_or(&[]);
        Some(Ok((header, message)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_messages_in_one_buffer_are_split() {
        let mut buffer = build_message(16, 0, 7, 9, &[1, 2, 3, 4]);
        buffer.extend(build_message(3, 0, 7, 9, &[]));
        let parts = split_messages(&buffer);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].0, 20);
        assert_eq!(parts[1].1.kind, 3);
        let whole: Vec<_> = messages(&buffer).map(Result::unwrap).collect();
        assert_eq!(whole[0].1, &buffer[..20]);
        assert_eq!(whole[1].0.kind, 3);
    }

    #[test]
    fn impossible_lengths_stop_the_walk() {
        let header = |len: u32| NlMsgHeader {
            len,
            kind: 1,
            flags: 0,
            seq: 7,
            port: 9,
        };
        assert!(split_messages(&header(3).to_bytes()).is_empty());
        assert_eq!(split_messages(&header(u32::MAX).to_bytes()).len(), 1);
        assert!(split_messages(&[1, 2, 3]).is_empty());
        let long = header(40).to_bytes();
        let truncated: Vec<_> = messages(&long).collect();
        assert_eq!(truncated, vec![Err(Truncated { left: 16, len: 40 })]);
    }

    #[test]
    fn headers_round_trip_and_messages_pad() {
        let flags = crate::netlink::NLM_F_REQUEST | crate::netlink::NLM_F_DUMP;
        let mut bytes = build_message(18, flags, 1, 42, b"abcde");
        assert_eq!(bytes.len(), 21);
        let header = parse_header(&bytes).unwrap();
        assert_eq!(header.to_bytes(), bytes[..16]);
        assert_eq!((header.len, header.kind, header.port), (21, 18, 42));
        pad(&mut bytes);
        assert_eq!(bytes.len(), 24);
        assert_eq!(next_message(0, header), 24);
    }
}
