//! What a capture itself holds for a transaction: the unicasts to its
//! requester's port with its seq. Shared by the host test of
//! `nlscope decode --transactions` on the fixtures and the guest test on a
//! fresh recording, which check pairing against it.
// Each test crate that includes this file uses a part of it.
#![allow(dead_code)]

use nlscope::event::CapturedMessage;
use nlscope::netlink::header::split_messages;
use nlscope::netlink::NLM_F_REQUEST;
use nlscope::pairing::Key;

/// The datagrams among `messages[from..=to]` (indices from 0) that answer
/// `key`, and how many netlink messages of theirs do: unicasts to its port
/// in its network namespace and protocol, messages with its seq and
/// without NLM_F_REQUEST.
pub fn replies_to(
    messages: &[CapturedMessage],
    key: &Key,
    from: usize,
    to: usize,
) -> (Vec<usize>, u32) {
    let mut datagrams = Vec::new();
    let mut parts = 0;
    for (index, m) in messages.iter().enumerate().take(to + 1).skip(from) {
        if m.netns != key.netns
            || m.protocol != key.protocol
            || m.dst_group != 0
            || m.dst_port != Some(key.port)
        {
            continue;
        }
        let answering = split_messages(&m.payload)
            .iter()
            .filter(|(_, h)| h.seq == key.seq && h.flags & NLM_F_REQUEST == 0)
            .count();
        if answering > 0 {
            datagrams.push(index);
            parts += answering as u32;
        }
    }
    (datagrams, parts)
}
