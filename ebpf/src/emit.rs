//! Writing records into the EVENTS ring buffer: messages (header and
//! payload, reserved in the smallest of the RECORD_PAYLOAD_CLASSES sizes
//! that holds them), results and deliveries, and counting what did not fit.

use core::ffi::c_void;

use aya_ebpf::helpers::{bpf_ktime_get_ns, generated as gen};
use nlscope_common::{
    Config, DeliveryEvent, EventKind, Hook, MessageRecord, ResultEvent, RECORD_PAYLOAD_CLASSES,
};

use crate::maps::{count_lost, EVENTS};
use crate::readers::{read_field, sender_port, sock_netns, Access};

/// What a message record says of the socket that sends (or, for a dump
/// reply, receives) it.
#[derive(Clone, Copy)]
pub(crate) struct SockInfo {
    pub(crate) protocol: u32,
    pub(crate) netns: u32,
}

/// BPF_RB_NO_WAKEUP: records do not wake the reader; it drains the ring on a
/// short timer instead. A wakeup per message (an irq_work and a context switch
/// each) costs far more than the record itself at high message rates.
const NO_WAKEUP: u64 = 1;

/// Who sent a message, and where to: the record's header fields that the
/// hooks know before the message is built.
pub(crate) struct MessageFields {
    pub(crate) hook: Hook,
    pub(crate) skb: u64,
    pub(crate) pid_tgid: u64,
    pub(crate) sock: SockInfo,
    pub(crate) src: u32,
    pub(crate) dst: u32,
    pub(crate) group: u32,
}

/// Sends a message record: the header and up to `snaplen` payload bytes,
/// written straight into the ring buffer (no copy through scratch memory).
/// A reservation's size must be a constant, so the record is reserved in the
/// smallest of a few payload sizes that holds the bytes to capture; the
/// header's `cap_len` says how many of them are payload.
#[inline(always)]
pub(crate) fn emit_message(
    access: Access,
    config: &Config,
    fields: &MessageFields,
    skb: *const u8,
) {
    let offsets = &config.offsets;
    let len: u32 = read_field(access, skb, offsets.sk_buff_len).unwrap_or(0);
    let data: *const u8 =
        read_field(access, skb, offsets.sk_buff_data).unwrap_or(core::ptr::null());
    let wanted = if data.is_null() {
        0
    } else if len < config.snaplen {
        len
    } else {
        config.snaplen
    };
    // One branch per size class (a const generic cannot be chosen from an
    // array at run time, so the chain names each index).
    const C: [usize; 9] = RECORD_PAYLOAD_CLASSES;
    if wanted <= C[0] as u32 {
        emit_message_sized::<{ C[0] }>(fields, len, data, wanted);
    } else if wanted <= C[1] as u32 {
        emit_message_sized::<{ C[1] }>(fields, len, data, wanted);
    } else if wanted <= C[2] as u32 {
        emit_message_sized::<{ C[2] }>(fields, len, data, wanted);
    } else if wanted <= C[3] as u32 {
        emit_message_sized::<{ C[3] }>(fields, len, data, wanted);
    } else if wanted <= C[4] as u32 {
        emit_message_sized::<{ C[4] }>(fields, len, data, wanted);
    } else if wanted <= C[5] as u32 {
        emit_message_sized::<{ C[5] }>(fields, len, data, wanted);
    } else if wanted <= C[6] as u32 {
        emit_message_sized::<{ C[6] }>(fields, len, data, wanted);
    } else if wanted <= C[7] as u32 {
        emit_message_sized::<{ C[7] }>(fields, len, data, wanted);
    } else {
        emit_message_sized::<{ C[8] }>(fields, len, data, wanted);
    }
}

/// One size class of [`emit_message`]: `wanted` is at most `N` (a power of two).
#[inline(always)]
fn emit_message_sized<const N: usize>(
    fields: &MessageFields,
    len: u32,
    data: *const u8,
    wanted: u32,
) {
    let Some(mut entry) = EVENTS.reserve::<MessageRecord<N>>(0) else {
        count_lost();
        return;
    };
    let record = entry.as_mut_ptr();
    // SAFETY: `record` points at the reserved ring-buffer space, N + header
    // bytes that this program owns until it submits them.
    unsafe {
        let header = &mut (*record).header;
        header.kind = EventKind::Message as u32;
        header.hook = fields.hook as u32;
        header.skb = fields.skb;
        header.ts_mono_ns = bpf_ktime_get_ns();
        header.tgid = (fields.pid_tgid >> 32) as u32;
        header.tid = fields.pid_tgid as u32;
        header.netns_ino = fields.sock.netns;
        header.protocol = fields.sock.protocol;
        header.src_portid = fields.src;
        header.dst_portid = fields.dst;
        header.dst_group = fields.group;
        header.len = len;
        header.cap_len = 0;
        header._reserved = 0;
        if gen::bpf_get_current_comm(
            header.comm.as_mut_ptr() as *mut c_void,
            header.comm.len() as u32,
        ) != 0
        {
            header.comm = [0; 16];
        }
        // Bound the size to [1, N] in a form the verifier follows. The
        // compiler knows `wanted <= N` from the caller and would drop the
        // mask as redundant; reading `wanted` back through a volatile load
        // keeps it, as the verifier does not follow that reasoning.
        let wanted = core::ptr::read_volatile(&wanted);
        if wanted > 0 {
            let size = ((wanted - 1) & (N as u32 - 1)) + 1;
            let rc = gen::bpf_probe_read_kernel(
                (*record).payload.as_mut_ptr() as *mut c_void,
                size,
                data as *const c_void,
            );
            if rc == 0 {
                header.cap_len = size;
            }
        }
    }
    entry.submit(NO_WAKEUP);
}

/// Sends a fixed-size record (a result or a delivery), reserved and filled in place.
#[inline(always)]
fn emit_record<T: 'static>(record: T) {
    let Some(mut entry) = EVENTS.reserve::<T>(0) else {
        count_lost();
        return;
    };
    entry.write(record);
    entry.submit(NO_WAKEUP);
}

pub(crate) fn emit_result(hook: Hook, tid: u32, skb: u64, result: i64) {
    emit_record(ResultEvent {
        kind: EventKind::Result as u32,
        hook: hook as u32,
        skb,
        tid,
        _reserved: 0,
        result,
    });
}

pub(crate) fn emit_delivery(hook: Hook, tid: u32, portid: u32, result: i32) {
    emit_record(DeliveryEvent {
        kind: EventKind::Delivery as u32,
        hook: hook as u32,
        tid,
        portid,
        result,
        _reserved: 0,
    });
}

/// The running task and the sending socket's protocol.
#[derive(Clone, Copy)]
pub(crate) struct SentBy {
    pub(crate) pid_tgid: u64,
    pub(crate) protocol: u32,
}

/// Sends the message record of a unicast or multicast call that `ssk`
/// makes. The caller passes what it has already read (each field read is a
/// helper call in kprobe mode).
#[inline(always)]
pub(crate) fn emit_send(
    access: Access,
    config: &Config,
    hook: Hook,
    ssk: *const u8,
    skb: *const u8,
    sent_by: SentBy,
    dst: u32,
    group: u32,
) {
    let offsets = &config.offsets;
    let fields = MessageFields {
        hook,
        skb: skb as u64,
        pid_tgid: sent_by.pid_tgid,
        sock: SockInfo {
            protocol: sent_by.protocol,
            netns: sock_netns(access, ssk, offsets),
        },
        src: sender_port(access, skb, offsets),
        dst,
        group,
    };
    emit_message(access, config, &fields, skb);
}
