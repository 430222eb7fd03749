//! nlscope's eBPF programs: hooks on the kernel's netlink delivery functions
//! that record every message exactly once, with its delivery result.
//!
//! Paths and how each is recorded:
//! - `netlink_unicast` (user->kernel, kernel->user, user->user, acks, errors):
//!   a message at entry, its return value at exit.
//! - `netlink_broadcast` / `netlink_broadcast_filtered` (multicasts): a message
//!   at entry, its return value at exit; when one calls the other on the same
//!   task only the outer call records.
//! - `__netlink_sendskb` (queueing onto one receiver): inside a unicast to that
//!   same receiver it is the unicast's own delivery and is skipped; inside a
//!   broadcast it is a delivery to one listener; anywhere else (dump replies
//!   from `netlink_dump`) it is a message of its own.
//! - `netlink_overrun` (a receiver's queue is full): a drop (-ENOBUFS) for the
//!   message being delivered.
//!
//! Calls nest (a user->kernel unicast runs the kernel's input handler, which
//! may reply or start a dump on the same task), so each task keeps a small
//! stack of the calls it is inside, keyed by (tid, depth).
//!
//! Every program exists twice: fentry/fexit (preferred) and kprobe/kretprobe
//! (for kernels without BPF trampolines). Userspace attaches one set.
//!
//! Kernel struct field offsets are not compiled in: Rust eBPF has no CO-RE, so
//! userspace reads them from the running kernel's BTF and writes them into
//! `CONFIG` before loading.
#![no_std]
#![no_main]

use core::ffi::c_void;

use aya_ebpf::{
    helpers::{
        bpf_get_current_comm, bpf_get_current_pid_tgid, bpf_get_smp_processor_id, bpf_ktime_get_ns,
        generated as gen,
    },
    macros::{fentry, fexit, kprobe, kretprobe, map},
    maps::{LruHashMap, PerCpuArray, RingBuf},
    programs::{FEntryContext, FExitContext, ProbeContext, RetProbeContext},
};
use nlscope_common::{
    Config, DeliveryEvent, Event, EventHeader, EventKind, Filters, Hook, KernelOffsets,
    ResultEvent, ANY, ENOBUFS, MAX_SNAPLEN,
};

/// 16 MiB in flight between two reads of userspace.
#[map]
static EVENTS: RingBuf = RingBuf::with_byte_size(16 << 20, 0);

/// Records that did not fit into EVENTS, per CPU (index 0).
#[map]
static LOST: PerCpuArray<u64> = PerCpuArray::with_max_entries(1, 0);

/// Per-CPU space to build one message record before copying out the used part.
#[map]
static SCRATCH: PerCpuArray<Event> = PerCpuArray::with_max_entries(1, 0);

/// Per-CPU message counter, for unique ids.
#[map]
static NEXT_ID: PerCpuArray<u64> = PerCpuArray::with_max_entries(1, 0);

/// tid -> how many hooked calls the task is inside.
#[map]
static DEPTH: LruHashMap<u32, u32> = LruHashMap::with_max_entries(16384, 0);

/// (tid << 8 | depth) -> the hooked call at that depth.
#[map]
static FRAMES: LruHashMap<u64, Frame> = LruHashMap::with_max_entries(65536, 0);

/// BPF_RB_NO_WAKEUP: records do not wake the reader; it drains the ring on a
/// short timer instead. A wakeup per message (an irq_work and a context switch
/// each) costs far more than the record itself at high message rates.
const NO_WAKEUP: u64 = 1;

/// Calls nested deeper than this are passed through unrecorded.
const MAX_DEPTH: u32 = 8;

/// Size of a message record without payload.
const HEADER_SIZE: usize = core::mem::size_of::<EventHeader>();

#[repr(C)]
#[derive(Clone, Copy)]
struct Frame {
    id: u64,
    hook: u32,
    dst_portid: u32,
    protocol: u32,
    /// 1 when the message passed the filters and was recorded.
    recorded: u32,
    /// 1 for an inner broadcast call whose outer call records.
    shadow: u32,
    _reserved: u32,
}

/// Written by userspace before load; read-only afterwards.
#[no_mangle]
static CONFIG: Config = Config {
    offsets: KernelOffsets {
        sk_buff_data: 0,
        sk_buff_len: 0,
        sock_protocol_bit_offset: 0,
        sock_protocol_bits: 0,
        sock_net: 0,
        net_ns_inum: 0,
        netlink_sock_portid: 0,
        _reserved: 0,
    },
    filters: Filters {
        protocol: ANY,
        pid: ANY,
        netns: ANY,
        port: ANY,
    },
    snaplen: 0,
    _reserved: 0,
};

#[inline(always)]
fn config() -> Config {
    // SAFETY: CONFIG is a plain global the loader fills in; a volatile read stops
    // the compiler from folding the zero initialiser into the code.
    unsafe { core::ptr::read_volatile(&CONFIG) }
}

/// Reads a `T` at `base + offset` in kernel memory; `None` if the read faults.
#[inline(always)]
fn read_kernel<T: Copy>(base: *const u8, offset: u32) -> Option<T> {
    // SAFETY: bpf_probe_read_kernel checks the address and fails instead of
    // faulting; the pointer arithmetic itself dereferences nothing.
    unsafe {
        aya_ebpf::helpers::bpf_probe_read_kernel(base.wrapping_add(offset as usize) as *const T)
            .ok()
    }
}

/// What the programs read from a `struct sock` (a `struct netlink_sock`).
#[derive(Clone, Copy)]
struct SockInfo {
    portid: u32,
    protocol: u32,
    netns: u32,
}

#[inline(always)]
fn sock_info(sk: *const u8, offsets: &KernelOffsets) -> SockInfo {
    let protocol_word: u32 = read_kernel(sk, offsets.sock_protocol_bit_offset / 8).unwrap_or(0);
    let shifted = protocol_word >> (offsets.sock_protocol_bit_offset % 8);
    let mask = if offsets.sock_protocol_bits >= 32 {
        u32::MAX
    } else {
        (1u32 << (offsets.sock_protocol_bits & 31)) - 1
    };
    let net: *const u8 = read_kernel(sk, offsets.sock_net).unwrap_or(core::ptr::null());
    let netns = if net.is_null() {
        0
    } else {
        read_kernel(net, offsets.net_ns_inum).unwrap_or(0)
    };
    SockInfo {
        portid: read_kernel(sk, offsets.netlink_sock_portid).unwrap_or(0),
        protocol: shifted & mask,
        netns,
    }
}

#[inline(always)]
fn passes(filters: &Filters, protocol: u32, tgid: u32, netns: u32, src: u32, dst: u32) -> bool {
    (filters.protocol == ANY || filters.protocol == protocol)
        && (filters.pid == ANY || filters.pid == tgid)
        && (filters.netns == ANY || filters.netns == netns)
        && (filters.port == ANY || filters.port == src || filters.port == dst)
}

fn count_lost() {
    if let Some(counter) = LOST.get_ptr_mut(0) {
        // SAFETY: a per-CPU slot, so no other CPU writes it concurrently.
        unsafe { *counter += 1 };
    }
}

#[inline(always)]
fn next_id() -> u64 {
    // SAFETY: bpf_get_smp_processor_id has no preconditions.
    let cpu = unsafe { bpf_get_smp_processor_id() } as u64;
    let Some(counter) = NEXT_ID.get_ptr_mut(0) else {
        return cpu << 48;
    };
    // SAFETY: a per-CPU slot, so no other CPU writes it concurrently.
    unsafe {
        *counter += 1;
        (cpu << 48) | (*counter & 0xffff_ffff_ffff)
    }
}

#[inline(always)]
fn frame_key(tid: u32, depth: u32) -> u64 {
    ((tid as u64) << 8) | depth as u64
}

#[inline(always)]
fn current_depth(tid: u32) -> u32 {
    // SAFETY: the value is copied out at once; LRU eviction cannot race a copy.
    unsafe { DEPTH.get(&tid).copied().unwrap_or(0) }
}

/// The innermost hooked call the task is in, if any.
#[inline(always)]
fn top_frame(tid: u32) -> Option<Frame> {
    let depth = current_depth(tid);
    if depth == 0 || depth > MAX_DEPTH {
        return None;
    }
    // SAFETY: as in current_depth.
    unsafe { FRAMES.get(&frame_key(tid, depth - 1)).copied() }
}

/// Builds a message record in scratch memory and sends header + payload.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn emit_message(
    config: &Config,
    hook: Hook,
    id: u64,
    pid_tgid: u64,
    sock: &SockInfo,
    src: u32,
    dst: u32,
    group: u32,
    skb: *const u8,
) {
    let Some(event) = SCRATCH.get_ptr_mut(0) else {
        return;
    };
    let offsets = &config.offsets;
    let len: u32 = read_kernel(skb, offsets.sk_buff_len).unwrap_or(0);
    let data: *const u8 = read_kernel(skb, offsets.sk_buff_data).unwrap_or(core::ptr::null());
    // SAFETY: `event` is this CPU's scratch slot (size_of::<Event>() bytes);
    // nothing else runs on this CPU while the program does.
    unsafe {
        let header = &mut (*event).header;
        header.kind = EventKind::Message as u32;
        header.hook = hook as u32;
        header.id = id;
        header.ts_mono_ns = bpf_ktime_get_ns();
        header.tgid = (pid_tgid >> 32) as u32;
        header.tid = pid_tgid as u32;
        header.netns_ino = sock.netns;
        header.protocol = sock.protocol;
        header.src_portid = src;
        header.dst_portid = dst;
        header.dst_group = group;
        header.len = len;
        header.cap_len = 0;
        header._reserved = 0;
        header.comm = bpf_get_current_comm().unwrap_or([0; 16]);

        let wanted = if len < config.snaplen {
            len
        } else {
            config.snaplen
        };
        if wanted > 0 && !data.is_null() {
            // Bound the size to [1, MAX_SNAPLEN] in a form the verifier follows.
            let size = ((wanted - 1) & (MAX_SNAPLEN as u32 - 1)) + 1;
            let rc = gen::bpf_probe_read_kernel(
                (*event).payload.as_mut_ptr() as *mut c_void,
                size,
                data as *const c_void,
            );
            if rc == 0 {
                header.cap_len = size;
                let bytes =
                    core::slice::from_raw_parts(event as *const u8, HEADER_SIZE + size as usize);
                if EVENTS.output::<[u8]>(bytes, NO_WAKEUP).is_err() {
                    count_lost();
                }
                return;
            }
        }
        let bytes = core::slice::from_raw_parts(event as *const u8, HEADER_SIZE);
        if EVENTS.output::<[u8]>(bytes, NO_WAKEUP).is_err() {
            count_lost();
        }
    }
}

fn emit_result(hook: u32, id: u64, result: i64) {
    let record = ResultEvent {
        kind: EventKind::Result as u32,
        hook,
        id,
        result,
    };
    if EVENTS.output::<ResultEvent>(&record, NO_WAKEUP).is_err() {
        count_lost();
    }
}

fn emit_delivery(hook: Hook, id: u64, portid: u32, result: i32) {
    let record = DeliveryEvent {
        kind: EventKind::Delivery as u32,
        hook: hook as u32,
        id,
        portid,
        result,
    };
    if EVENTS.output::<DeliveryEvent>(&record, NO_WAKEUP).is_err() {
        count_lost();
    }
}

/// Entry of netlink_unicast / netlink_broadcast(_filtered).
#[inline(always)]
fn enter_send(hook: Hook, ssk: *const u8, skb: *const u8, portid_arg: u32, group: u32) {
    let pid_tgid = bpf_get_current_pid_tgid();
    let tid = pid_tgid as u32;
    let depth = current_depth(tid);
    let _ = DEPTH.insert(&tid, &(depth + 1), 0);
    if depth >= MAX_DEPTH {
        return;
    }
    let config = config();
    let sock = sock_info(ssk, &config.offsets);
    let is_broadcast = hook != Hook::NetlinkUnicast;

    if is_broadcast {
        if let Some(outer) = top_frame_at(tid, depth) {
            if outer.hook != Hook::NetlinkUnicast as u32 {
                // netlink_broadcast calling netlink_broadcast_filtered: the outer
                // call records; this one only lends its deliveries to it.
                let shadow = Frame { shadow: 1, ..outer };
                let _ = FRAMES.insert(&frame_key(tid, depth), &shadow, 0);
                return;
            }
        }
    }
    // For a broadcast the port argument is the one port to leave out, not a destination.
    let dst = if is_broadcast { 0 } else { portid_arg };
    let recorded = passes(
        &config.filters,
        sock.protocol,
        (pid_tgid >> 32) as u32,
        sock.netns,
        sock.portid,
        dst,
    );
    let id = next_id();
    if recorded {
        emit_message(
            &config,
            hook,
            id,
            pid_tgid,
            &sock,
            sock.portid,
            dst,
            group,
            skb,
        );
    }
    let frame = Frame {
        id,
        hook: hook as u32,
        dst_portid: dst,
        protocol: sock.protocol,
        recorded: recorded as u32,
        shadow: 0,
        _reserved: 0,
    };
    let _ = FRAMES.insert(&frame_key(tid, depth), &frame, 0);
}

#[inline(always)]
fn top_frame_at(tid: u32, depth: u32) -> Option<Frame> {
    if depth == 0 {
        return None;
    }
    // SAFETY: the value is copied out at once.
    unsafe { FRAMES.get(&frame_key(tid, depth - 1)).copied() }
}

/// Exit of netlink_unicast / netlink_broadcast(_filtered): the result.
#[inline(always)]
fn exit_send(result: i64) {
    let tid = bpf_get_current_pid_tgid() as u32;
    let depth = current_depth(tid);
    if depth == 0 {
        return; // attached while the call was already running
    }
    let inner = depth - 1;
    if inner == 0 {
        let _ = DEPTH.remove(&tid);
    } else {
        let _ = DEPTH.insert(&tid, &inner, 0);
    }
    if inner >= MAX_DEPTH {
        return;
    }
    let key = frame_key(tid, inner);
    // SAFETY: the value is copied out at once.
    let frame = unsafe { FRAMES.get(&key).copied() };
    let _ = FRAMES.remove(&key);
    if let Some(frame) = frame {
        if frame.recorded == 1 && frame.shadow == 0 {
            emit_result(frame.hook, frame.id, result);
        }
    }
}

/// Entry of __netlink_sendskb(sk, skb): queueing onto receiver `sk`.
#[inline(always)]
fn enter_sendskb(sk: *const u8, skb: *const u8) {
    let pid_tgid = bpf_get_current_pid_tgid();
    let config = config();
    let receiver = sock_info(sk, &config.offsets);
    if let Some(top) = top_frame(pid_tgid as u32) {
        if top.hook == Hook::NetlinkUnicast as u32 {
            if top.dst_portid == receiver.portid && top.protocol == receiver.protocol {
                return; // the unicast's own delivery, recorded at netlink_unicast
            }
        } else {
            if top.recorded == 1 {
                let len: u32 = read_kernel(skb, config.offsets.sk_buff_len).unwrap_or(0);
                emit_delivery(Hook::NetlinkSendSkb, top.id, receiver.portid, len as i32);
            }
            return;
        }
    }
    // A message queued directly: a dump reply (netlink_dump), sent by the kernel.
    if passes(
        &config.filters,
        receiver.protocol,
        (pid_tgid >> 32) as u32,
        receiver.netns,
        0,
        receiver.portid,
    ) {
        emit_message(
            &config,
            Hook::NetlinkSendSkb,
            next_id(),
            pid_tgid,
            &receiver,
            0,
            receiver.portid,
            0,
            skb,
        );
    }
}

/// Entry of netlink_overrun(sk): the message being delivered was dropped for `sk`.
#[inline(always)]
fn enter_overrun(sk: *const u8) {
    let pid_tgid = bpf_get_current_pid_tgid();
    if let Some(top) = top_frame(pid_tgid as u32) {
        if top.recorded == 1 {
            let config = config();
            let receiver = sock_info(sk, &config.offsets);
            emit_delivery(Hook::NetlinkOverrun, top.id, receiver.portid, -ENOBUFS);
        }
    }
}

/// The return value register holds an `int`.
#[inline(always)]
fn int_result(raw: u64) -> i64 {
    raw as u32 as i32 as i64
}

// ---- fentry / fexit ---------------------------------------------------------

#[fentry(function = "netlink_unicast")]
pub fn fentry_netlink_unicast(ctx: FEntryContext) -> u32 {
    enter_send(Hook::NetlinkUnicast, ctx.arg(0), ctx.arg(1), ctx.arg(2), 0);
    0
}

#[fexit(function = "netlink_unicast")]
pub fn fexit_netlink_unicast(ctx: FExitContext) -> u32 {
    exit_send(int_result(ctx.arg(4)));
    0
}

#[fentry(function = "netlink_broadcast")]
pub fn fentry_netlink_broadcast(ctx: FEntryContext) -> u32 {
    enter_send(
        Hook::NetlinkBroadcast,
        ctx.arg(0),
        ctx.arg(1),
        ctx.arg(2),
        ctx.arg(3),
    );
    0
}

#[fexit(function = "netlink_broadcast")]
pub fn fexit_netlink_broadcast(ctx: FExitContext) -> u32 {
    exit_send(int_result(ctx.arg(5)));
    0
}

#[fentry(function = "netlink_broadcast_filtered")]
pub fn fentry_netlink_broadcast_filtered(ctx: FEntryContext) -> u32 {
    enter_send(
        Hook::NetlinkBroadcastFiltered,
        ctx.arg(0),
        ctx.arg(1),
        ctx.arg(2),
        ctx.arg(3),
    );
    0
}

#[fexit(function = "netlink_broadcast_filtered")]
pub fn fexit_netlink_broadcast_filtered(ctx: FExitContext) -> u32 {
    exit_send(int_result(ctx.arg(7)));
    0
}

#[fentry(function = "__netlink_sendskb")]
pub fn fentry_netlink_sendskb(ctx: FEntryContext) -> u32 {
    enter_sendskb(ctx.arg(0), ctx.arg(1));
    0
}

#[fentry(function = "netlink_overrun")]
pub fn fentry_netlink_overrun(ctx: FEntryContext) -> u32 {
    enter_overrun(ctx.arg(0));
    0
}

// ---- kprobe / kretprobe -------------------------------------------------------

#[inline(always)]
fn probe_u32(ctx: &ProbeContext, n: usize) -> u32 {
    ctx.arg::<u64>(n).unwrap_or(0) as u32
}

#[inline(always)]
fn probe_ptr(ctx: &ProbeContext, n: usize) -> *const u8 {
    ctx.arg(n).unwrap_or(core::ptr::null())
}

#[kprobe]
pub fn kprobe_netlink_unicast(ctx: ProbeContext) -> u32 {
    enter_send(
        Hook::NetlinkUnicast,
        probe_ptr(&ctx, 0),
        probe_ptr(&ctx, 1),
        probe_u32(&ctx, 2),
        0,
    );
    0
}

#[kretprobe]
pub fn kretprobe_netlink_unicast(ctx: RetProbeContext) -> u32 {
    exit_send(int_result(ctx.ret::<u64>()));
    0
}

#[kprobe]
pub fn kprobe_netlink_broadcast(ctx: ProbeContext) -> u32 {
    enter_send(
        Hook::NetlinkBroadcast,
        probe_ptr(&ctx, 0),
        probe_ptr(&ctx, 1),
        probe_u32(&ctx, 2),
        probe_u32(&ctx, 3),
    );
    0
}

#[kretprobe]
pub fn kretprobe_netlink_broadcast(ctx: RetProbeContext) -> u32 {
    exit_send(int_result(ctx.ret::<u64>()));
    0
}

#[kprobe]
pub fn kprobe_netlink_broadcast_filtered(ctx: ProbeContext) -> u32 {
    enter_send(
        Hook::NetlinkBroadcastFiltered,
        probe_ptr(&ctx, 0),
        probe_ptr(&ctx, 1),
        probe_u32(&ctx, 2),
        probe_u32(&ctx, 3),
    );
    0
}

#[kretprobe]
pub fn kretprobe_netlink_broadcast_filtered(ctx: RetProbeContext) -> u32 {
    exit_send(int_result(ctx.ret::<u64>()));
    0
}

#[kprobe]
pub fn kprobe_netlink_sendskb(ctx: ProbeContext) -> u32 {
    enter_sendskb(probe_ptr(&ctx, 0), probe_ptr(&ctx, 1));
    0
}

#[kprobe]
pub fn kprobe_netlink_overrun(ctx: ProbeContext) -> u32 {
    enter_overrun(probe_ptr(&ctx, 0));
    0
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

/// The kernel only loads programs that declare a GPL-compatible licence when
/// they use GPL-only helpers such as bpf_probe_read_kernel.
#[link_section = "license"]
#[no_mangle]
static LICENSE: [u8; 4] = *b"GPL\0";
