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
//! stack of the calls it is inside: one entry per thread id in an LRU hash
//! map. Each program looks its task's entry up once and works on it in
//! place; an entry is created at a task's first send and never deleted (the
//! LRU evicts entries of tasks gone quiet), so in steady state a unicast costs
//! three lookups and no map updates (updates and deletes of an LRU hash take
//! locks and cost far more than a lookup).
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

/// tid -> the hooked calls the task is inside.
#[map]
static STACKS: LruHashMap<u32, TaskStack> = LruHashMap::with_max_entries(16384, 0);

/// What a new task's entry in STACKS starts as (a map value, so the verifier
/// takes it as the value of a map update; the stack would be too small).
static EMPTY_STACK: TaskStack = TaskStack {
    depth: 0,
    _reserved: 0,
    frames: [Frame {
        id: 0,
        hook: 0,
        dst_portid: 0,
        protocol: 0,
        recorded: 0,
        shadow: 0,
        _reserved: 0,
    }; MAX_DEPTH as usize + 1],
};

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

/// The hooked calls one task is inside: the call at depth `d` (1 for the
/// outermost) in `frames[d]`, so the innermost is `frames[depth]` (slot 0 is
/// unused: indexing by the depth itself keeps every offset non-negative, which
/// the verifier needs). `depth` keeps counting past MAX_DEPTH (those calls have
/// no frame) so the exits pair up.
#[repr(C)]
#[derive(Clone, Copy)]
struct TaskStack {
    depth: u32,
    _reserved: u32,
    frames: [Frame; MAX_DEPTH as usize + 1],
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

/// `sk->sk_protocol`.
#[inline(always)]
fn sock_protocol(sk: *const u8, offsets: &KernelOffsets) -> u32 {
    let protocol_word: u32 = read_kernel(sk, offsets.sock_protocol_bit_offset / 8).unwrap_or(0);
    let shifted = protocol_word >> (offsets.sock_protocol_bit_offset % 8);
    let mask = if offsets.sock_protocol_bits >= 32 {
        u32::MAX
    } else {
        (1u32 << (offsets.sock_protocol_bits & 31)) - 1
    };
    shifted & mask
}

/// `nlk_sk(sk)->portid`.
#[inline(always)]
fn sock_portid(sk: *const u8, offsets: &KernelOffsets) -> u32 {
    read_kernel(sk, offsets.netlink_sock_portid).unwrap_or(0)
}

/// The inode of `sock_net(sk)`.
#[inline(always)]
fn sock_netns(sk: *const u8, offsets: &KernelOffsets) -> u32 {
    let net: *const u8 = read_kernel(sk, offsets.sock_net).unwrap_or(core::ptr::null());
    if net.is_null() {
        0
    } else {
        read_kernel(net, offsets.net_ns_inum).unwrap_or(0)
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

/// The task's stack of hooked calls, if it has one.
#[inline(always)]
fn task_stack(tid: u32) -> Option<*mut TaskStack> {
    STACKS.get_ptr_mut(&tid)
}

/// The task's stack of hooked calls, created empty at its first send.
#[inline(always)]
fn task_stack_or_new(tid: u32) -> Option<*mut TaskStack> {
    if let Some(stack) = STACKS.get_ptr_mut(&tid) {
        return Some(stack);
    }
    let _ = STACKS.insert(&tid, &EMPTY_STACK, 0);
    STACKS.get_ptr_mut(&tid)
}

/// The innermost hooked call the task is in, if any.
#[inline(always)]
fn top_frame(tid: u32) -> Option<Frame> {
    let stack = task_stack(tid)?;
    // SAFETY: a pointer into the map value the lookup returned; the task's own
    // entry, which only this task writes, and which RCU keeps valid while the
    // program runs.
    let depth = unsafe { (*stack).depth };
    if depth == 0 || depth > MAX_DEPTH {
        return None;
    }
    // SAFETY: as above; the index is at most MAX_DEPTH.
    unsafe { (*stack).frames.get(depth as usize).copied() }
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
    let Some(stack) = task_stack_or_new(tid) else {
        return;
    };
    // SAFETY (every dereference of `stack` below): see top_frame.
    let depth = unsafe { (*stack).depth };
    unsafe { (*stack).depth = depth + 1 };
    if depth >= MAX_DEPTH {
        return;
    }
    let config = config();
    let offsets = &config.offsets;
    let filters = &config.filters;
    let is_broadcast = hook != Hook::NetlinkUnicast;

    if is_broadcast && depth > 0 {
        if let Some(outer) = unsafe { (*stack).frames.get(depth as usize).copied() } {
            if outer.hook != Hook::NetlinkUnicast as u32 {
                // netlink_broadcast calling netlink_broadcast_filtered: the outer
                // call records; this one only lends its deliveries to it.
                if let Some(slot) = unsafe { (*stack).frames.get_mut(depth as usize + 1) } {
                    *slot = Frame { shadow: 1, ..outer };
                }
                return;
            }
        }
    }
    // For a broadcast the port argument is the one port to leave out, not a destination.
    let dst = if is_broadcast { 0 } else { portid_arg };
    let tgid = (pid_tgid >> 32) as u32;
    // The filters first, each field read only when it is needed: traffic a
    // filter drops costs the protocol read and nothing more.
    let protocol = sock_protocol(ssk, offsets);
    let mut recorded = (filters.protocol == ANY || filters.protocol == protocol)
        && (filters.pid == ANY || filters.pid == tgid);
    let mut id = 0;
    if recorded {
        let sock = SockInfo {
            portid: sock_portid(ssk, offsets),
            protocol,
            netns: sock_netns(ssk, offsets),
        };
        recorded = passes(filters, protocol, tgid, sock.netns, sock.portid, dst);
        if recorded {
            id = next_id();
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
    }
    if let Some(slot) = unsafe { (*stack).frames.get_mut(depth as usize + 1) } {
        *slot = Frame {
            id,
            hook: hook as u32,
            dst_portid: dst,
            protocol,
            recorded: recorded as u32,
            shadow: 0,
            _reserved: 0,
        };
    }
}

/// Exit of netlink_unicast / netlink_broadcast(_filtered): the result.
#[inline(always)]
fn exit_send(result: i64) {
    let tid = bpf_get_current_pid_tgid() as u32;
    let Some(stack) = task_stack(tid) else {
        return; // attached while the call was already running
    };
    // SAFETY (both dereferences): see top_frame.
    let depth = unsafe { (*stack).depth };
    if depth == 0 {
        return; // attached while the call was already running
    }
    unsafe { (*stack).depth = depth - 1 };
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(frame) = unsafe { (*stack).frames.get(depth as usize).copied() } {
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
    let offsets = &config.offsets;
    let portid = sock_portid(sk, offsets);
    if let Some(top) = top_frame(pid_tgid as u32) {
        if top.hook != Hook::NetlinkUnicast as u32 {
            if top.recorded == 1 {
                let len: u32 = read_kernel(skb, offsets.sk_buff_len).unwrap_or(0);
                emit_delivery(Hook::NetlinkSendSkb, top.id, portid, len as i32);
            }
            return;
        }
        if top.dst_portid == portid && top.protocol == sock_protocol(sk, offsets) {
            return; // the unicast's own delivery, recorded at netlink_unicast
        }
    }
    // A message queued directly: a dump reply (netlink_dump), sent by the kernel.
    let protocol = sock_protocol(sk, offsets);
    let filters = &config.filters;
    let tgid = (pid_tgid >> 32) as u32;
    if !((filters.protocol == ANY || filters.protocol == protocol)
        && (filters.pid == ANY || filters.pid == tgid))
    {
        return;
    }
    let receiver = SockInfo {
        portid,
        protocol,
        netns: sock_netns(sk, offsets),
    };
    if passes(filters, protocol, tgid, receiver.netns, 0, portid) {
        emit_message(
            &config,
            Hook::NetlinkSendSkb,
            next_id(),
            pid_tgid,
            &receiver,
            0,
            portid,
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
            let portid = sock_portid(sk, &config.offsets);
            emit_delivery(Hook::NetlinkOverrun, top.id, portid, -ENOBUFS);
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
