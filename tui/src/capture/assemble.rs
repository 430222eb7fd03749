//! Turns the eBPF ring-buffer records back into [`CapturedMessage`]s.
//!
//! A message arrives as a Message record at the start of the kernel call, and
//! its delivery result as a Result record when the call returns; multicast
//! deliveries and drops arrive as Delivery records in between. Calls nest (a
//! kernel reply is sent from inside the user's request), so a message can be
//! complete before an earlier one is. The assembler holds messages until their
//! result is in and hands them out in capture-time order. Pure: no I/O.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use nlscope_common::{DeliveryEvent, EventHeader, EventKind, Hook, ResultEvent, MAX_SNAPLEN};

use crate::event::{CapturedMessage, Delivery};

/// A message whose result has not arrived after this long is handed out
/// without one (its Result record was lost, or the call is still blocked).
pub const RESULT_WAIT_NS: u64 = 2_000_000_000;

struct Pending {
    message: CapturedMessage,
    complete: bool,
}

/// Hashes a message id (`tid << 32 | per-task counter`, chosen by the eBPF
/// side, not by anyone who could pick colliding values) with one multiply,
/// instead of SipHash: the pending map is touched twice per message.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, id: u64) {
        // The high bits pick the bucket: mix the counter into them.
        self.0 = (id ^ (id >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Reassembles records into messages. See the module documentation.
#[derive(Default)]
pub struct Assembler {
    mono_to_wall_ns: i128,
    pending: HashMap<u64, Pending, BuildHasherDefault<IdHasher>>,
    /// (capture time, id) of every pending message: the hand-out order.
    order: BTreeSet<(u64, u64)>,
    /// Records that could not be parsed or referred to an unknown message.
    pub malformed: u64,
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
                Some((id, message, complete)) => {
                    self.order.insert((message.ts_mono_ns, id));
                    self.pending.insert(id, Pending { message, complete });
                }
                None => self.malformed += 1,
            },
            Some(EventKind::Result) => match read_record::<ResultEvent>(bytes) {
                Some(record) => match self.pending.get_mut(&record.id) {
                    Some(pending) => {
                        pending.message.result = Some(record.result);
                        pending.complete = true;
                    }
                    None => self.malformed += 1,
                },
                None => self.malformed += 1,
            },
            Some(EventKind::Delivery) => match read_record::<DeliveryEvent>(bytes) {
                Some(record) => match self.pending.get_mut(&record.id) {
                    Some(pending) => pending.message.deliveries.push(Delivery {
                        port: record.portid,
                        result: i64::from(record.result),
                    }),
                    None => self.malformed += 1,
                },
                None => self.malformed += 1,
            },
            None => self.malformed += 1,
        }
    }

    /// Hands out, oldest first, every message that is complete and has no
    /// incomplete message before it; incomplete ones older than
    /// [`RESULT_WAIT_NS`] before `now_mono_ns` go out without a result. With
    /// `flush`, everything goes out.
    pub fn take_ready(&mut self, now_mono_ns: u64, flush: bool) -> Vec<CapturedMessage> {
        let mut ready = Vec::new();
        while let Some(&(ts, id)) = self.order.first() {
            let complete = self.pending.get(&id).is_some_and(|p| p.complete);
            let expired = now_mono_ns.saturating_sub(ts) > RESULT_WAIT_NS;
            if !(complete || expired || flush) {
                break;
            }
            self.order.pop_first();
            if let Some(pending) = self.pending.remove(&id) {
                ready.push(pending.message);
            }
        }
        ready
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

/// Parses a Message record: (id, message, complete). Hooks that return no
/// delivery result (dump replies queued directly) are complete at once.
pub fn message_from_record(
    bytes: &[u8],
    mono_to_wall_ns: i128,
) -> Option<(u64, CapturedMessage, bool)> {
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
        src_port: header.src_portid,
        dst_port: header.dst_portid,
        dst_group: header.dst_group,
        len: header.len,
        hook: hook.map_or_else(
            || format!("hook{}", header.hook),
            |h| h.symbol().to_string(),
        ),
        // Queued directly onto the receiver: delivered, all of it.
        result: (!waits_for_result).then_some(i64::from(header.len)),
        payload,
        deliveries: Vec::new(),
    };
    Some((header.id, message, !waits_for_result))
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
        id: u64,
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
            id,
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

    fn result_record(id: u64, result: i64) -> Vec<u8> {
        as_bytes(&ResultEvent {
            kind: EventKind::Result as u32,
            hook: Hook::NetlinkUnicast as u32,
            id,
            result,
        })
    }

    fn delivery_record(id: u64, portid: u32, result: i32) -> Vec<u8> {
        as_bytes(&DeliveryEvent {
            kind: EventKind::Delivery as u32,
            hook: Hook::NetlinkSendSkb as u32,
            id,
            portid,
            result,
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
        assembler.push_record(&result_record(1, 2));
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
        assembler.push_record(&result_record(2, 5));
        assert!(
            assembler.take_ready(20, false).is_empty(),
            "the request is still in flight"
        );
        assembler.push_record(&result_record(1, 3));
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
        assembler.push_record(&delivery_record(4, 200, 4));
        assembler.push_record(&delivery_record(4, 300, -ENOBUFS));
        assembler.push_record(&result_record(4, 0));
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
        assembler.push_record(&result_record(99, 1));
        assembler.push_record(&delivery_record(99, 1, 1));
        assembler.push_record(&[1, 2]);
        assert_eq!(assembler.malformed, 3);
        assert!(assembler.take_ready(0, true).is_empty());
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
