//! What ends a transaction, read from the bytes: the code of an
//! NLMSG_ERROR or the status of an NLMSG_DONE, with the extended ack's
//! message and offset, and where the error quotes the request.

use std::ops::Range;

use crate::netlink::attr::{c_string, AttrWalk};
use crate::netlink::header::{nlmsg_align, parse_header, NlMsgHeader, NLMSG_HDRLEN};
use crate::netlink::{NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLM_F_ACK_TLVS, NLM_F_CAPPED};

/// The end of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct End {
    /// 0 (ACK, DONE) or a negative errno.
    pub code: i32,
    /// NLMSGERR_ATTR_MSG.
    pub message: Option<String>,
    /// NLMSGERR_ATTR_OFFS: from the start of the request's header.
    pub offset: Option<u32>,
    /// The whole request as the NLMSG_ERROR quotes it (not NLM_F_CAPPED,
    /// and all of it captured), in the datagram.
    pub quoted: Option<Range<usize>>,
}

/// The NLMSG_ERROR at `offset` of `payload`; `None` when its code was not
/// captured.
pub(crate) fn error(payload: &[u8], offset: usize, header: NlMsgHeader) -> Option<End> {
    let end = message_end(payload, offset, header);
    let body = offset + NLMSG_HDRLEN;
    let code = i32_at(payload, body, end)?;
    let request_at = body + 4;
    let mut quoted = None;
    let mut tlvs = end;
    if let Some(request) = payload.get(request_at..end).and_then(parse_header) {
        let len = request.len as usize;
        if header.flags & NLM_F_CAPPED != 0 {
            tlvs = request_at + NLMSG_HDRLEN;
        } else {
            tlvs = request_at.saturating_add(nlmsg_align(len));
            if len >= NLMSG_HDRLEN && request_at.saturating_add(len) <= end {
                quoted = Some(request_at..request_at + len);
            }
        }
    }
    let mut found = extack(payload, header, tlvs.min(end)..end);
    found.code = code;
    found.quoted = quoted;
    Some(found)
}

/// The NLMSG_DONE at `offset`: its status (0 when it has none).
pub(crate) fn done(payload: &[u8], offset: usize, header: NlMsgHeader) -> Option<End> {
    let end = message_end(payload, offset, header);
    let body = offset + NLMSG_HDRLEN;
    let Some(code) = i32_at(payload, body, end) else {
        return Some(End {
            code: 0,
            message: None,
            offset: None,
            quoted: None,
        });
    };
    let mut found = extack(payload, header, (body + 4).min(end)..end);
    found.code = code;
    Some(found)
}

/// The extended ack TLVs in `range`, when the header says there are some.
fn extack(payload: &[u8], header: NlMsgHeader, range: Range<usize>) -> End {
    let mut found = End {
        code: 0,
        message: None,
        offset: None,
        quoted: None,
    };
    if header.flags & NLM_F_ACK_TLVS == 0 {
        return found;
    }
    for attr in AttrWalk::new(payload, range) {
        let value = &payload[attr.value];
        match attr.kind {
            NLMSGERR_ATTR_MSG => found.message = Some(c_string(value)),
            NLMSGERR_ATTR_OFFS => {
                found.offset = value
                    .get(..4)
                    .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
            }
            _ => {}
        }
    }
    found
}

/// Where the message at `offset` ends in what was captured.
fn message_end(payload: &[u8], offset: usize, header: NlMsgHeader) -> usize {
    offset
        .saturating_add(header.len as usize)
        .min(payload.len())
}

fn i32_at(payload: &[u8], at: usize, end: usize) -> Option<i32> {
    let b = payload.get(at..at.checked_add(4).filter(|e| *e <= end)?)?;
    Some(i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}
