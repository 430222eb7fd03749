//! Turns the eBPF ring-buffer records back into [`CapturedMessage`]s.
//!
//! A message arrives as a Message record at the start of the kernel call, and
//! its delivery result as a Result record when the call returns; multicast
//! deliveries and drops arrive as Delivery records in between. Calls nest (a
//! kernel reply or multicast is sent from inside the user's request), so a
//! message can be complete before an earlier one is.
//!
//! Records carry no message ids. A thread's records reach the ring buffer in
//! the order the thread made them, so the assembler keeps, per thread, the
//! stack of calls it is inside: a result closes the innermost open call of
//! that thread with the same hook and message buffer; a delivery or drop
//! belongs to the thread's innermost open call. The eBPF side classifies
//! `__netlink_sendskb` from one per-CPU entry, which a thread that slept
//! inside a call may find taken; it then sends the queueing as a message, and
//! the same rules are applied here from the thread's stack: inside a
//! multicast it is a delivery, inside a unicast to the same port it is the
//! unicast's own delivery (already recorded), anywhere else a dump reply.
//!
//! The assembler holds messages until their result is in and hands them out
//! in capture-time order. Pure: no I/O.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use nlscope_common::{DeliveryEvent, EventHeader, EventKind, Hook, ResultEvent, MAX_SNAPLEN};

use crate::event::{CapturedMessage, Delivery};

/// A message whose result has not arrived after this long is handed out
/// without one (its Result record was lost, or the call is still blocked).
pub const RESULT_WAIT_NS: u64 = 2_000_000_000;

/// Calls open at once on one thread beyond this are given up on (the
/// outermost first): real nesting is two or three deep, so only lost Result
/// records get a stack this deep.
const MAX_OPEN_CALLS: usize = 64;

/// Threads with no open call are forgotten once more than this many are known.
const PRUNE_THREADS_ABOVE: usize = 4096;

struct Pending {
    message: CapturedMessage,
    complete: bool,
}

/// A call of one thread that has not returned yet.
#[derive(Clone, Copy)]
struct OpenCall {
    /// The assembler's number for the call's message.
    seq: u64,
    hook: Hook,
    skb: u64,
}

/// Hashes the assembler's message numbers (consecutive integers it chose
/// itself) and thread ids (chosen by the kernel, not by anyone who could pick
/// colliding values) with one multiply, instead of SipHash: both maps are
/// touched twice per message.
#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }
}

/// Reassembles records into messages. See the module documentation.
#[derive(Default)]
pub struct Assembler {
    mono_to_wall_ns: i128,
    next_seq: u64,
    pending: HashMap<u64, Pending, BuildHasherDefault<FastHasher>>,
    /// (capture time, seq) of every pending message: the hand-out order.
    order: BTreeSet<(u64, u64)>,
    /// Per thread id, the calls it is inside, innermost last. A thread's
    /// stack stays when it empties (no allocation per message); empty ones
    /// are pruned when there are many.
    open: HashMap<u32, Vec<OpenCall>, BuildHasherDefault<FastHasher>>,
    /// Records that could not be parsed.
    pub malformed: u64,
    /// Results, deliveries and drops with no open call to belong to (their
    /// message was lost or filtered out, or capture started mid-call).
    pub unmatched: u64,
}

impl Assembler {
    pub fn new(mono_to_wall_ns: i128) -> Assembler {
        Assembler {
            mono_to_wall_ns,
            ..Assembler::default()
        }
    }

    /// Number of messages waiting for their result.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Takes in one ring-buffer record.
    pub fn push_record(&mut self, bytes: &[u8]) {
        let Some(kind) = bytes
            .get(..4)
            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        else {
            self.malformed += 1;
            return;
        };
        match EventKind::from_u32(kind) {
            Some(EventKind::Message) => match message_from_record(bytes, self.mono_to_wall_ns) {
                Some(record) => self.push_message(record),
                None => self.malformed += 1,
            },
            Some(EventKind::Result) => match read_record::<ResultEvent>(bytes) {
                Some(record) => self.push_result(&record),
                None => self.malformed += 1,
            },
            Some(EventKind::Delivery) => match read_record::<DeliveryEvent>(bytes) {
                Some(record) => self.push_delivery(&record),
                None => self.malformed += 1,
            },
            None => self.malformed += 1,
        }
    }

    fn push_message(&mut self, record: MessageRecord) {
        let MessageRecord { hook, skb, message } = record;
        let tid = message.tid;
        if hook == Some(Hook::NetlinkSendSkb) {
            // Queued directly onto a receiver: see the module documentation.
            if let Some((call, caller)) = self.innermost(tid) {
                if call.hook != Hook::NetlinkUnicast {
                    let delivery = Delivery {
                        // eBPF records always carry both ports.
                        port: message.dst_port.unwrap_or_default(),
                        result: i64::from(message.len),
                    };
                    self.deliver(call.seq, delivery);
                    return;
                }
                if caller.dst_port == message.dst_port && caller.protocol == message.protocol {
                    return;
                }
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let complete = match hook {
            Some(hook) if hook.reports_result() => {
                let stack = self.open.entry(tid).or_default();
                if stack.len() == MAX_OPEN_CALLS {
                    stack.remove(0);
                }
                stack.push(OpenCall { seq, hook, skb });
                false
            }
            _ => true,
        };
        self.order.insert((message.ts_mono_ns, seq));
        self.pending.insert(seq, Pending { message, complete });
    }

    fn push_result(&mut self, record: &ResultEvent) {
        let Some(stack) = self.open.get_mut(&record.tid) else {
            self.unmatched += 1;
            return;
        };
        let Some(index) = stack
            .iter()
            .rposition(|call| call.hook as u32 == record.hook && call.skb == record.skb)
        else {
            self.unmatched += 1;
            return;
        };
        // Calls opened inside this one and still open lost their results:
        // they are complete without one.
        for (depth, call) in stack.drain(index..).enumerate() {
            if let Some(pending) = self.pending.get_mut(&call.seq) {
                if depth == 0 {
                    pending.message.result = Some(record.result);
                }
                pending.complete = true;
            }
        }
    }

    fn push_delivery(&mut self, record: &DeliveryEvent) {
        let delivery = Delivery {
            port: record.portid,
            result: i64::from(record.result),
        };
        match self.innermost(record.tid) {
            // A queueing belongs to a multicast; a drop to any call.
            Some((call, _))
                if record.hook != Hook::NetlinkSendSkb as u32
                    || call.hook != Hook::NetlinkUnicast =>
            {
                self.deliver(call.seq, delivery)
            }
            _ => self.unmatched += 1,
        }
    }

    /// Thread `tid`'s innermost open call and its message.
    fn innermost(&self, tid: u32) -> Option<(OpenCall, &CapturedMessage)> {
        let call = *self.open.get(&tid)?.last()?;
        Some((call, &self.pending.get(&call.seq)?.message))
    }

    fn deliver(&mut self, seq: u64, delivery: Delivery) {
        if let Some(pending) = self.pending.get_mut(&seq) {
            pending.message.deliveries.push(delivery);
        }
    }

    /// Hands out, oldest first, every message that is complete and has no
    /// incomplete message before it; incomplete ones older than
    /// [`RESULT_WAIT_NS`] before `now_mono_ns` go out without a result. With
    /// `flush`, everything goes out.
    pub fn take_ready(&mut self, now_mono_ns: u64, flush: bool) -> Vec<CapturedMessage> {
        let mut ready = Vec::new();
        while let Some(&(ts, seq)) = self.order.first() {
            let complete = self.pending.get(&seq).is_some_and(|p| p.complete);
            let expired = now_mono_ns.saturating_sub(ts) > RESULT_WAIT_NS;
            if !(complete || expired || flush) {
                break;
            }
            self.order.pop_first();
            if let Some(pending) = self.pending.remove(&seq) {
                if !pending.complete {
                    self.close_call(pending.message.tid, seq);
                }
                ready.push(pending.message);
            }
        }
        self.prune_threads();
        ready
    }

    /// Forgets open call `seq` of thread `tid` (its message went out without a result).
    fn close_call(&mut self, tid: u32, seq: u64) {
        if let Some(stack) = self.open.get_mut(&tid) {
            stack.retain(|call| call.seq != seq);
        }
    }

    /// Drops the empty stacks of threads once there are many of them.
    fn prune_threads(&mut self) {
        if self.open.len() > PRUNE_THREADS_ABOVE {
            self.open.retain(|_, stack| !stack.is_empty());
        }
    }
}

fn read_record<T: Copy>(bytes: &[u8]) -> Option<T> {
    if bytes.len() < std::mem::size_of::<T>() {
        return None;
    }
    // SAFETY: the length was checked; the record types are plain integers (any
    // bit pattern is valid) and read_unaligned copes with any alignment.
    Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr() as *const T) })
}

/// A parsed Message record.
pub struct MessageRecord {
    /// `None` for a hook number this build does not know.
    pub hook: Option<Hook>,
    /// The message buffer's address in the kernel (pairs the message with its result).
    pub skb: u64,
    pub message: CapturedMessage,
}

/// Parses a Message record. A message from a hook that returns no delivery
/// result (a dump reply queued directly) has it set to its length: delivered,
/// all of it.
pub fn message_from_record(bytes: &[u8], mono_to_wall_ns: i128) -> Option<MessageRecord> {
    let header: EventHeader = read_record(bytes)?;
    let header_size = std::mem::size_of::<EventHeader>();
    let payload_end = header_size + (header.cap_len as usize).min(MAX_SNAPLEN);
    let payload = bytes
        .get(header_size..payload_end.min(bytes.len()))?
        .to_vec();
    let comm_len = header
        .comm
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(header.comm.len());
    let hook = Hook::from_u32(header.hook);
    let waits_for_result = hook.is_some_and(Hook::reports_result);
    let message = CapturedMessage {
        ts_mono_ns: header.ts_mono_ns,
        ts_wall_ns: (i128::from(header.ts_mono_ns) + mono_to_wall_ns).max(0) as u64,
        pid: header.tgid,
        tid: header.tid,
        comm: String::from_utf8_lossy(&header.comm[..comm_len]).into_owned(),
        netns: header.netns_ino,
        protocol: header.protocol,
        src_port: Some(header.src_portid),
        dst_port: Some(header.dst_portid),
        stated_direction: None,
        dst_group: header.dst_group,
        len: header.len,
        hook: hook.map_or_else(
            || format!("hook{}", header.hook),
            |h| h.symbol().to_string(),
        ),
        result: (!waits_for_result).then_some(i64::from(header.len)),
        payload,
        deliveries: Vec::new(),
    };
    Some(MessageRecord {
        hook,
        skb: header.skb,
        message,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use nlscope_common::ENOBUFS;
    use proptest::prelude::*;

    fn as_bytes<T: Copy>(value: &T) -> Vec<u8> {
        let mut bytes = vec![0u8; std::mem::size_of::<T>()];
        // SAFETY: bytes has exactly T's size.
        unsafe { std::ptr::write_unaligned(bytes.as_mut_ptr() as *mut T, *value) };
        bytes
    }

    pub(crate) fn message_record(
        skb: u64,
        ts: u64,
        hook: Hook,
        src: u32,
        dst: u32,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut comm = [0u8; 16];
        comm[..6].copy_from_slice(b"client");
        let header = EventHeader {
            kind: EventKind::Message as u32,
            hook: hook as u32,
            skb,
            ts_mono_ns: ts,
            tgid: 7,
            tid: 8,
            netns_ino: 9,
            protocol: 30,
            src_portid: src,
            dst_portid: dst,
            dst_group: 0,
            len: payload.len() as u32,
            cap_len: payload.len() as u32,
            _reserved: 0,
            comm,
        };
        let mut bytes = as_bytes(&header);
        bytes.extend_from_slice(payload);
        bytes
    }

    /// The test records all come from thread 8.
    const TID: u32 = 8;

    fn result_record(hook: Hook, skb: u64, result: i64) -> Vec<u8> {
        as_bytes(&ResultEvent {
            kind: EventKind::Result as u32,
            hook: hook as u32,
            skb,
            tid: TID,
            _reserved: 0,
            result,
        })
    }

    fn delivery_record(hook: Hook, portid: u32, result: i32) -> Vec<u8> {
        as_bytes(&DeliveryEvent {
            kind: EventKind::Delivery as u32,
            hook: hook as u32,
            tid: TID,
            portid,
            result,
            _reserved: 0,
        })
    }

    #[test]
    fn a_message_waits_for_its_result() {
        let mut assembler = Assembler::new(500);
        assembler.push_record(&message_record(
            1,
            1_000,
            Hook::NetlinkUnicast,
            100,
            0,
            b"hi",
        ));
        assert!(assembler.take_ready(1_000, false).is_empty());
        assembler.push_record(&result_record(Hook::NetlinkUnicast, 1, 2));
        let ready = assembler.take_ready(1_000, false);
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].result, Some(2));
        assert_eq!(ready[0].ts_wall_ns, 1_500);
        assert_eq!(ready[0].comm, "client");
    }

    #[test]
    fn a_nested_reply_goes_out_after_the_request_it_answers() {
        let mut assembler = Assembler::new(0);
        // Request enters, the reply is sent and returns, then the request returns.
        assembler.push_record(&message_record(1, 10, Hook::NetlinkUnicast, 100, 0, b"req"));
        assembler.push_record(&message_record(
            2,
            20,
            Hook::NetlinkUnicast,
            0,
            100,
            b"reply",
        ));
        assembler.push_record(&result_record(Hook::NetlinkUnicast, 2, 5));
        assert!(
            assembler.take_ready(20, false).is_empty(),
            "the request is still in flight"
        );
        assembler.push_record(&result_record(Hook::NetlinkUnicast, 1, 3));
        let ready = assembler.take_ready(20, false);
        assert_eq!(
            ready.iter().map(|m| m.payload.clone()).collect::<Vec<_>>(),
            vec![b"req".to_vec(), b"reply".to_vec()]
        );
    }

    #[test]
    fn dump_replies_are_complete_at_once() {
        let mut assembler = Assembler::new(0);
        assembler.push_record(&message_record(
            3,
            10,
            Hook::NetlinkSendSkb,
            0,
            100,
            b"part",
        ));
        let ready = assembler.take_ready(10, false);
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].result, Some(4));
        assert_eq!(ready[0].hook, "__netlink_sendskb");
    }

    #[test]
    fn deliveries_and_drops_attach_to_their_multicast() {
        let mut assembler = Assembler::new(0);
        assembler.push_record(&message_record(
            4,
            10,
            Hook::NetlinkBroadcast,
            0,
            0,
            b"news",
        ));
        assembler.push_record(&delivery_record(Hook::NetlinkSendSkb, 200, 4));
        assembler.push_record(&delivery_record(Hook::NetlinkOverrun, 300, -ENOBUFS));
        assembler.push_record(&result_record(Hook::NetlinkBroadcast, 4, 0));
        let ready = assembler.take_ready(10, false);
        assert_eq!(
            ready[0].deliveries,
            vec![
                Delivery {
                    port: 200,
                    result: 4
                },
                Delivery {
                    port: 300,
                    result: -i64::from(ENOBUFS)
                }
            ]
        );
    }

    #[test]
    fn a_lost_result_does_not_hold_messages_forever() {
        let mut assembler = Assembler::new(0);
        assembler.push_record(&message_record(5, 10, Hook::NetlinkUnicast, 100, 0, b"x"));
        assert!(assembler.take_ready(10 + RESULT_WAIT_NS, false).is_empty());
        let ready = assembler.take_ready(11 + RESULT_WAIT_NS, false);
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].result, None);
        assembler.push_record(&message_record(6, 10, Hook::NetlinkUnicast, 100, 0, b"y"));
        assert_eq!(
            assembler.take_ready(10, true).len(),
            1,
            "flush hands out everything"
        );
    }

    #[test]
    fn records_for_unknown_messages_are_counted_not_invented() {
        let mut assembler = Assembler::new(0);
        assembler.push_record(&result_record(Hook::NetlinkUnicast, 99, 1));
        assembler.push_record(&delivery_record(Hook::NetlinkOverrun, 1, 1));
        assembler.push_record(&[1, 2]);
        assert_eq!((assembler.unmatched, assembler.malformed), (2, 1));
        assert!(assembler.take_ready(0, true).is_empty());
    }

    fn message_from(tid: u32, skb: u64, ts: u64, hook: Hook, dst: u32, payload: &[u8]) -> Vec<u8> {
        let mut bytes = message_record(skb, ts, hook, 100, dst, payload);
        let header_tid = std::mem::offset_of!(EventHeader, tid);
        bytes[header_tid..header_tid + 4].copy_from_slice(&tid.to_ne_bytes());
        bytes
    }

    fn result_from(tid: u32, hook: Hook, skb: u64, result: i64) -> Vec<u8> {
        let mut bytes = result_record(hook, skb, result);
        let at = std::mem::offset_of!(ResultEvent, tid);
        bytes[at..at + 4].copy_from_slice(&tid.to_ne_bytes());
        bytes
    }

    #[test]
    fn a_result_whose_message_was_lost_does_not_close_the_call_around_it() {
        let mut assembler = Assembler::new(0);
        assembler.push_record(&message_record(1, 10, Hook::NetlinkUnicast, 100, 0, b"req"));
        // The ack's Message record was lost; its Result record arrives.
        assembler.push_record(&result_record(Hook::NetlinkUnicast, 2, 36));
        assert_eq!(assembler.unmatched, 1);
        assert!(assembler.take_ready(10, false).is_empty());
        assembler.push_record(&result_record(Hook::NetlinkUnicast, 1, 3));
        let ready = assembler.take_ready(10, false);
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].result, Some(3));
    }

    #[test]
    fn an_outer_result_completes_inner_calls_whose_results_were_lost() {
        let mut assembler = Assembler::new(0);
        assembler.push_record(&message_record(1, 10, Hook::NetlinkUnicast, 100, 0, b"req"));
        assembler.push_record(&message_record(
            2,
            20,
            Hook::NetlinkBroadcast,
            0,
            0,
            b"news",
        ));
        assembler.push_record(&result_record(Hook::NetlinkUnicast, 1, 3));
        let ready = assembler.take_ready(20, false);
        assert_eq!(
            ready.iter().map(|m| m.result).collect::<Vec<_>>(),
            vec![Some(3), None]
        );
        assert_eq!(assembler.pending(), 0);
    }

    #[test]
    fn a_queueing_the_kernel_could_not_classify_is_classified_from_the_open_calls() {
        let mut assembler = Assembler::new(0);
        // Inside a multicast: a delivery to that listener.
        assembler.push_record(&message_record(
            1,
            10,
            Hook::NetlinkBroadcast,
            0,
            0,
            b"news",
        ));
        assembler.push_record(&message_record(
            2,
            11,
            Hook::NetlinkSendSkb,
            0,
            300,
            b"news",
        ));
        assembler.push_record(&result_record(Hook::NetlinkBroadcast, 1, 0));
        // Inside a unicast to the same port: the unicast's own delivery.
        assembler.push_record(&message_record(
            3,
            20,
            Hook::NetlinkUnicast,
            100,
            200,
            b"hello",
        ));
        assembler.push_record(&message_record(
            3,
            21,
            Hook::NetlinkSendSkb,
            0,
            200,
            b"hello",
        ));
        assembler.push_record(&result_record(Hook::NetlinkUnicast, 3, 5));
        // Inside a request to the kernel: a dump reply of its own.
        assembler.push_record(&message_record(
            4,
            30,
            Hook::NetlinkUnicast,
            100,
            0,
            b"dump",
        ));
        assembler.push_record(&message_record(
            5,
            31,
            Hook::NetlinkSendSkb,
            0,
            100,
            b"part",
        ));
        assembler.push_record(&result_record(Hook::NetlinkUnicast, 4, 4));
        let ready = assembler.take_ready(31, false);
        let summary: Vec<_> = ready
            .iter()
            .map(|m| {
                (
                    m.hook.as_str(),
                    m.dst_port.unwrap_or_default(),
                    m.deliveries.len(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("netlink_broadcast", 0, 1),
                ("netlink_unicast", 200, 0),
                ("netlink_unicast", 0, 0),
                ("__netlink_sendskb", 100, 0),
            ]
        );
        assert_eq!(
            ready[0].deliveries[0],
            Delivery {
                port: 300,
                result: 4
            }
        );
    }

    #[test]
    fn threads_have_stacks_of_their_own() {
        let mut assembler = Assembler::new(0);
        assembler.push_record(&message_from(1, 7, 10, Hook::NetlinkUnicast, 0, b"a"));
        assembler.push_record(&message_from(2, 7, 11, Hook::NetlinkUnicast, 0, b"b"));
        assembler.push_record(&result_from(1, Hook::NetlinkUnicast, 7, 1));
        assembler.push_record(&result_from(2, Hook::NetlinkUnicast, 7, 2));
        let ready = assembler.take_ready(11, false);
        assert_eq!(
            ready.iter().map(|m| (m.tid, m.result)).collect::<Vec<_>>(),
            vec![(1, Some(1)), (2, Some(2))]
        );
    }

    #[test]
    fn threads_that_come_and_go_are_forgotten() {
        let mut assembler = Assembler::new(0);
        for tid in 0..2 * PRUNE_THREADS_ABOVE as u32 {
            assembler.push_record(&message_from(tid, 1, 10, Hook::NetlinkUnicast, 0, b"x"));
            assembler.push_record(&result_from(tid, Hook::NetlinkUnicast, 1, 1));
            assert_eq!(assembler.take_ready(10, false).len(), 1);
        }
        assert!(assembler.open.len() <= PRUNE_THREADS_ABOVE + 1);
    }

    /// One thread's calls as a tree: each call may make further calls
    /// before it returns. Its records are a message, the inner calls'
    /// records, then its result (its own index, so each result is telling).
    fn calls_of_a_thread(
        tid: u32,
        depth: u32,
        widths: &mut impl Iterator<Item = u8>,
        next: &mut u64,
        out: &mut Vec<Vec<u8>>,
    ) {
        let calls = if depth >= 3 {
            0
        } else {
            widths.next().unwrap_or(0) % 3
        };
        for _ in 0..calls {
            let index = *next;
            *next += 1;
            // Buffers repeat between calls on purpose: a freed buffer's
            // address is soon reused.
            let skb = index % 2;
            let hook = if index.is_multiple_of(3) {
                Hook::NetlinkBroadcast
            } else {
                Hook::NetlinkUnicast
            };
            out.push(message_from(tid, skb, index, hook, 0, &index.to_ne_bytes()));
            calls_of_a_thread(tid, depth + 1, widths, next, out);
            out.push(result_from(tid, hook, skb, index as i64));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn interleaved_threads_get_every_result_paired_with_its_own_message(
            widths in proptest::collection::vec(any::<u8>(), 0..40),
            schedule in proptest::collection::vec(any::<bool>(), 0..200),
        ) {
            let mut next = 0;
            let mut threads = [Vec::new(), Vec::new()];
            let mut widths = widths.into_iter();
            for (tid, records) in threads.iter_mut().enumerate() {
                calls_of_a_thread(tid as u32 + 1, 0, &mut widths, &mut next, records);
            }
            // Interleave the two threads' records, each in its own order.
            let mut assembler = Assembler::new(0);
            let mut positions = [0, 0];
            let mut turns = schedule.into_iter().chain(std::iter::repeat(false));
            while positions[0] < threads[0].len() || positions[1] < threads[1].len() {
                let mut thread = usize::from(turns.next().unwrap_or(false));
                if positions[thread] == threads[thread].len() {
                    thread = 1 - thread;
                }
                assembler.push_record(&threads[thread][positions[thread]]);
                positions[thread] += 1;
            }
            let ready = assembler.take_ready(0, false);
            prop_assert_eq!(ready.len() as u64, next);
            for message in &ready {
                let index = u64::from_ne_bytes(message.payload[..8].try_into().unwrap());
                prop_assert_eq!(message.result, Some(index as i64));
            }
            prop_assert_eq!(assembler.unmatched, 0);
            prop_assert_eq!(assembler.pending(), 0);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        #[test]
        fn arbitrary_records_never_panic(records in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..20)) {
            let mut assembler = Assembler::new(0);
            for record in &records {
                assembler.push_record(record);
            }
            let _ = assembler.take_ready(u64::MAX, true);
            prop_assert_eq!(assembler.pending(), 0);
        }
    }
}
