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
//! may reply, multicast or start a dump on the same task). The records carry
//! no message ids: a task's records reach the ring buffer in the order the
//! task made them, so userspace pairs each result with the innermost open call
//! of the same thread, hook and message buffer (tui/src/capture/assemble.rs).
//! In the kernel, `__netlink_sendskb` must tell a unicast's own delivery
//! (already recorded), a multicast delivery and a dump reply apart. The
//! buffer's netlink control block, which the sender filled in, settles the
//! first two for most messages (see enter_sendskb). For the rest (the
//! kernel's own unicasts, and whether a multicast was filtered out) each CPU
//! keeps one small IN_FLIGHT entry: the unicast or multicast call a task on
//! this CPU entered last and has not left yet (a user socket's unicasts,
//! the most common calls, need none: see needs_in_flight_entry). A per-CPU
//! array lookup costs a fraction of a per-task map lookup, and the hooks run
//! on every message.
//! A task that sleeps inside a call may find the entry taken by another task
//! when it wakes, or move to another CPU; its records then go out
//! unclassified (a delivery as a message, a drop without its call) and
//! userspace classifies them by the same rules from its per-thread stacks.
//! The one thing userspace cannot mend: an entry left behind on a CPU by a
//! task that moved away mid-call (a blocking send that slept) would make a
//! dump reply that task later receives there, before anyone on that CPU
//! sends again, look like the old unicast's own delivery if it reused the
//! old buffer's address. A per-task map would close that gap at the cost of
//! a map lookup per program on every message.
//! fexit programs get the call's arguments and so need no state at all;
//! kretprobes do not, so the kprobe programs also keep a per-task stack of
//! open calls (KPROBE_STACKS).
//!
//! Every program exists twice: fentry/fexit (preferred) and kprobe/kretprobe
//! (for kernels without BPF trampolines). Userspace attaches one set.
//!
//! Kernel struct field offsets are not compiled in: Rust eBPF has no CO-RE, so
//! userspace reads them from the running kernel's BTF and writes them into
//! `CONFIG` before loading. CONFIG lives in `.rodata`, which the loader
//! freezes, so the verifier knows its values: the fentry programs read
//! fields with plain loads through their BTF-typed arguments (checked against
//! the kernel's BTF, no helper call), the kprobe programs with
//! bpf_probe_read_kernel.
//!
//! What a message costs on the common path, kept small on purpose (every
//! helper call and every page touched shows in the sender's system call):
//! one per-CPU lookup per program, message records written straight into the
//! ring buffer (no scratch copy).
#![no_std]
#![no_main]

use core::ffi::c_void;

use aya_ebpf::{
    helpers::{bpf_get_current_pid_tgid, bpf_ktime_get_ns, generated as gen},
    macros::{fentry, fexit, kprobe, kretprobe, map},
    maps::{LruHashMap, PerCpuArray, RingBuf},
    programs::{FEntryContext, FExitContext, ProbeContext, RetProbeContext},
};
use nlscope_common::{
    Config, DeliveryEvent, EventKind, Filters, Hook, KernelOffsets, MessageRecord, ResultEvent,
    ANY, DEFAULT_RING_SIZE, ENOBUFS, NO_FIELD, RECORD_PAYLOAD_CLASSES,
};

/// What is in flight between two reads of userspace: DEFAULT_RING_SIZE
/// unless the loader resizes it (`--ring-size`).
#[map]
static EVENTS: RingBuf = RingBuf::with_byte_size(DEFAULT_RING_SIZE, 0);

/// Records that did not fit into EVENTS, per CPU (index 0).
#[map]
static LOST: PerCpuArray<u64> = PerCpuArray::with_max_entries(1, 0);

/// The unicast or multicast call that a task on this CPU entered last and has
/// not left yet (index 0, per CPU). See the module documentation.
#[map]
static IN_FLIGHT: PerCpuArray<InFlight> = PerCpuArray::with_max_entries(1, 0);

/// kprobe mode only: tid -> the calls the task is inside, for the kretprobes,
/// which do not get the call's arguments back. Entries are created at a
/// task's first send and left to the LRU.
#[map]
static KPROBE_STACKS: LruHashMap<u32, KprobeStack> = LruHashMap::with_max_entries(16384, 0);

/// What a new task's entry in KPROBE_STACKS starts as (a map value, so the
/// verifier takes it as the value of a map update).
static EMPTY_STACK: KprobeStack = KprobeStack {
    depth: 0,
    _reserved: 0,
    frames: [KprobeFrame {
        skb: 0,
        hook: 0,
        recorded: 0,
    }; MAX_DEPTH as usize + 1],
};

/// BPF_RB_NO_WAKEUP: records do not wake the reader; it drains the ring on a
/// short timer instead. A wakeup per message (an irq_work and a context switch
/// each) costs far more than the record itself at high message rates.
const NO_WAKEUP: u64 = 1;

/// kprobe mode: calls nested deeper than this get no result.
const MAX_DEPTH: u32 = 8;

#[repr(C)]
#[derive(Clone, Copy)]
struct InFlight {
    /// 1 while the call below is in flight on this CPU.
    busy: u32,
    tid: u32,
    /// The message buffer the call was handed (its address; never dereferenced).
    skb: u64,
    hook: u32,
    dst_portid: u32,
    protocol: u32,
    /// 1 when the message passed the filters and was recorded.
    recorded: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct KprobeFrame {
    skb: u64,
    hook: u32,
    /// 1 when the call's message was recorded (its result is wanted).
    recorded: u32,
}

/// The calls one task is inside, for its kretprobes: the call at depth `d` (1
/// for the outermost) in `frames[d]` (slot 0 is unused: indexing by the depth
/// itself keeps every offset non-negative, which the verifier needs). `depth`
/// keeps counting past MAX_DEPTH (those calls have no frame) so the exits
/// pair up.
#[repr(C)]
#[derive(Clone, Copy)]
struct KprobeStack {
    depth: u32,
    _reserved: u32,
    frames: [KprobeFrame; MAX_DEPTH as usize + 1],
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
        sk_buff_cb: 0,
        netlink_cb_portid: 0,
        netlink_cb_dst_group: 0,
        sock_kern_sock_bit_offset: NO_FIELD,
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
fn config() -> &'static Config {
    let address: *const Config = &CONFIG;
    // SAFETY: CONFIG is a plain global the loader fills in. The compiler must
    // not fold its zero initialiser into the code, so its address is read
    // back through a volatile load, which the compiler cannot see through;
    // the fields are then plain loads, each only where it is used (a
    // volatile read of the whole struct would copy all of it every time).
    unsafe { &*core::ptr::read_volatile(&address) }
}

/// How a program reads fields of the kernel structs it is handed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// fentry/fexit: the arguments are BTF-typed pointers, so a field at an
    /// offset the verifier knows (CONFIG is frozen read-only data, whose
    /// values the verifier sees) is a plain load, which the verifier checks
    /// against the kernel's BTF and makes fault-safe. No helper call.
    Btf,
    /// kprobes: the arguments are plain numbers; every field costs a
    /// bpf_probe_read_kernel call.
    Probe,
}

/// Reads a `T` at `base + offset` with bpf_probe_read_kernel; `None` if the read faults.
#[inline(always)]
fn probe_read<T: Copy>(base: *const u8, offset: u32) -> Option<T> {
    // SAFETY: bpf_probe_read_kernel checks the address and fails instead of
    // faulting; the pointer arithmetic itself dereferences nothing.
    unsafe {
        aya_ebpf::helpers::bpf_probe_read_kernel(base.wrapping_add(offset as usize) as *const T)
            .ok()
    }
}

/// Reads the field of type `T` at `base + offset`. With [`Access::Btf`],
/// `base` must be a BTF-typed pointer and `T` the field's own size (the
/// verifier refuses loads that straddle fields or leave the struct).
#[inline(always)]
fn read_field<T: Copy>(access: Access, base: *const u8, offset: u32) -> Option<T> {
    match access {
        // SAFETY: not a raw dereference: the verifier rewrites a load through a
        // BTF-typed pointer into one that yields zero instead of faulting.
        Access::Btf => Some(unsafe {
            core::ptr::read_volatile(base.wrapping_add(offset as usize) as *const T)
        }),
        Access::Probe => probe_read(base, offset),
    }
}

/// What a message record says of the socket that sends (or, for a dump
/// reply, receives) it.
#[derive(Clone, Copy)]
struct SockInfo {
    protocol: u32,
    netns: u32,
}

/// `sk->sk_protocol`.
#[inline(always)]
fn sock_protocol(access: Access, sk: *const u8, offsets: &KernelOffsets) -> u32 {
    let bit_offset = offsets.sock_protocol_bit_offset;
    if offsets.sock_protocol_bits == 16 && bit_offset % 8 == 0 {
        // A u16 of its own (kernels since 5.6).
        return u32::from(read_field::<u16>(access, sk, bit_offset / 8).unwrap_or(0));
    }
    // A bitfield: read the word around it and cut the bits out (not a field
    // of its own, so not a BTF load).
    let protocol_word: u32 = probe_read(sk, bit_offset / 8).unwrap_or(0);
    let shifted = protocol_word >> (bit_offset % 8);
    let mask = if offsets.sock_protocol_bits >= 32 {
        u32::MAX
    } else {
        (1u32 << (offsets.sock_protocol_bits & 31)) - 1
    };
    shifted & mask
}

/// `nlk_sk(sk)->portid`: past the end of `struct sock`, where BTF loads
/// through a `struct sock *` may not go, so always a probe read (about 75
/// guest instructions, a twentieth of what capturing a message costs).
#[inline(always)]
fn sock_portid(sk: *const u8, offsets: &KernelOffsets) -> u32 {
    probe_read(sk, offsets.netlink_sock_portid).unwrap_or(0)
}

/// The port a message comes from as its receivers see it (the `nl_pid` that
/// recvmsg reports): `NETLINK_CB(skb).portid`, which netlink_sendmsg sets to
/// the sending socket's port and which is 0 in the messages the kernel
/// builds. A plain BTF load in the control block, where the sending socket's
/// own port would cost a probe read.
#[inline(always)]
fn sender_port(access: Access, skb: *const u8, offsets: &KernelOffsets) -> u32 {
    read_field(access, skb, offsets.sk_buff_cb + offsets.netlink_cb_portid).unwrap_or(0)
}

/// The inode of `sock_net(sk)`.
#[inline(always)]
fn sock_netns(access: Access, sk: *const u8, offsets: &KernelOffsets) -> u32 {
    let net: *const u8 = read_field(access, sk, offsets.sock_net).unwrap_or(core::ptr::null());
    if net.is_null() {
        0
    } else {
        read_field(access, net, offsets.net_ns_inum).unwrap_or(0)
    }
}

fn count_lost() {
    if let Some(counter) = LOST.get_ptr_mut(0) {
        // SAFETY: a per-CPU slot, so no other CPU writes it concurrently.
        unsafe { *counter += 1 };
    }
}

/// Who sent a message, and where to: the record's header fields that the
/// hooks know before the message is built.
struct MessageFields {
    hook: Hook,
    skb: u64,
    pid_tgid: u64,
    sock: SockInfo,
    src: u32,
    dst: u32,
    group: u32,
}

/// Sends a message record: the header and up to `snaplen` payload bytes,
/// written straight into the ring buffer (no copy through scratch memory).
/// A reservation's size must be a constant, so the record is reserved in the
/// smallest of a few payload sizes that holds the bytes to capture; the
/// header's `cap_len` says how many of them are payload.
#[inline(always)]
fn emit_message(access: Access, config: &Config, fields: &MessageFields, skb: *const u8) {
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

fn emit_result(hook: Hook, tid: u32, skb: u64, result: i64) {
    emit_record(ResultEvent {
        kind: EventKind::Result as u32,
        hook: hook as u32,
        skb,
        tid,
        _reserved: 0,
        result,
    });
}

fn emit_delivery(hook: Hook, tid: u32, portid: u32, result: i32) {
    emit_record(DeliveryEvent {
        kind: EventKind::Delivery as u32,
        hook: hook as u32,
        tid,
        portid,
        result,
        _reserved: 0,
    });
}

/// This CPU's [`InFlight`] entry.
#[inline(always)]
fn in_flight() -> Option<*mut InFlight> {
    IN_FLIGHT.get_ptr_mut(0)
}

/// No call in flight (for this thread).
const NOT_IN_FLIGHT: InFlight = InFlight {
    busy: 0,
    tid: 0,
    skb: 0,
    hook: 0,
    dst_portid: 0,
    protocol: 0,
    recorded: 0,
};

/// The call in flight on this CPU if thread `tid` made it, else
/// [`NOT_IN_FLIGHT`] (`busy` 0). Not an `Option`: with one, the compiler
/// reads the fields of a `None` speculatively (their value unused), and
/// the verifier refuses the program for reading a register never written.
#[inline(always)]
fn in_flight_of(tid: u32) -> InFlight {
    let Some(entry) = in_flight() else {
        return NOT_IN_FLIGHT;
    };
    // SAFETY: a pointer into this CPU's map value, valid while the program
    // runs (programs run with migration disabled). An interrupt on this CPU
    // may run another of the programs in between and rewrite the entry: the
    // worst a torn read does is misclassify one queueing, which userspace's
    // rules then mend.
    let current = unsafe { *entry };
    if current.busy == 1 && current.tid == tid {
        current
    } else {
        NOT_IN_FLIGHT
    }
}

/// Whether a message passes the filters, given the socket `sk` that sends or
/// receives it and the message's other port (the destination of a message
/// `sk` sends, 0 for a kernel's message `sk` receives); the process is the
/// running task's. Each field is read only when a filter that is set needs
/// it, cheapest first: with no filter set nothing is read, and traffic the
/// protocol filter drops costs one load.
#[inline(always)]
fn passes_filters(access: Access, config: &Config, sk: *const u8, other_port: u32) -> bool {
    let filters = &config.filters;
    let offsets = &config.offsets;
    (filters.protocol == ANY || filters.protocol == sock_protocol(access, sk, offsets))
        && (filters.pid == ANY || filters.pid == (bpf_get_current_pid_tgid() >> 32) as u32)
        && (filters.netns == ANY || filters.netns == sock_netns(access, sk, offsets))
        && (filters.port == ANY
            || filters.port == other_port
            || filters.port == sock_portid(sk, offsets))
}

/// How an entry into a unicast or multicast call was handled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entered {
    /// The message was recorded: its result is wanted.
    Recorded,
    /// The filters dropped the message.
    Filtered,
    /// netlink_broadcast_filtered inside netlink_broadcast: the outer call
    /// records the message and its result.
    Shadowed,
}

/// Whether `sk` is a socket a user process opened (`sk->sk_kern_sock` clear),
/// so certainly not one of the kernel's netlink sockets. False when unsure.
#[inline(always)]
fn user_socket(access: Access, sk: *const u8, offsets: &KernelOffsets) -> bool {
    let bit = offsets.sock_kern_sock_bit_offset;
    if bit == NO_FIELD {
        return false;
    }
    // The byte that holds the bit (a BTF load may cover a bitfield whole).
    let byte: u8 = read_field(access, sk, bit / 8).unwrap_or(0xff);
    (byte >> (bit % 8)) & 1 == 0
}

/// A unicast that a user socket sends takes no IN_FLIGHT entry: nothing
/// that runs inside it needs one. Its own delivery is told by the control
/// block (enter_sendskb), netlink_overrun runs only for the kernel's
/// unicasts, and whatever the kernel sends while it handles the message
/// (replies, notifications, dump parts) enters with an entry of its own.
/// That spares the most common call two per-CPU lookups and a helper call
/// (about 25 guest instructions per message with fentry, 45 when filtered
/// out). kprobe programs keep the entry: for them the bit would be a probe
/// read (about 75), more than it spares.
#[inline(always)]
fn needs_in_flight_entry(access: Access, hook: Hook, ssk: *const u8, config: &Config) -> bool {
    access == Access::Probe
        || hook != Hook::NetlinkUnicast
        || !user_socket(access, ssk, &config.offsets)
}

/// The running task and the sending socket's protocol.
#[derive(Clone, Copy)]
struct SentBy {
    pid_tgid: u64,
    protocol: u32,
}

/// Sends the message record of a unicast or multicast call that `ssk`
/// makes. The caller passes what it has already read (each field read is a
/// helper call in kprobe mode).
#[inline(always)]
fn emit_send(
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

/// Entry of netlink_unicast / netlink_broadcast(_filtered).
#[inline(always)]
fn enter_send(
    access: Access,
    hook: Hook,
    ssk: *const u8,
    skb: *const u8,
    portid_arg: u32,
    group: u32,
) -> Entered {
    let config = config();
    // For a broadcast the port argument is the one port to leave out, not a destination.
    let dst = if hook == Hook::NetlinkUnicast {
        portid_arg
    } else {
        0
    };
    let without_entry = !needs_in_flight_entry(access, hook, ssk, config);
    if without_entry && !passes_filters(access, config, ssk, dst) {
        return Entered::Filtered;
    }
    let sent_by = SentBy {
        pid_tgid: bpf_get_current_pid_tgid(),
        protocol: sock_protocol(access, ssk, &config.offsets),
    };
    if without_entry {
        emit_send(access, config, hook, ssk, skb, sent_by, dst, group);
        return Entered::Recorded;
    }
    let tid = sent_by.pid_tgid as u32;
    let Some(slot) = in_flight() else {
        return Entered::Filtered;
    };
    if hook == Hook::NetlinkBroadcastFiltered {
        let outer = in_flight_of(tid);
        if outer.busy == 1 && outer.hook == Hook::NetlinkBroadcast as u32 {
            return Entered::Shadowed;
        }
    }
    let recorded = passes_filters(access, config, ssk, dst);
    if recorded {
        emit_send(access, config, hook, ssk, skb, sent_by, dst, group);
    }
    // SAFETY: see in_flight_of.
    unsafe {
        *slot = InFlight {
            busy: 1,
            tid,
            skb: skb as u64,
            hook: hook as u32,
            dst_portid: dst,
            protocol: sent_by.protocol,
            recorded: recorded as u32,
        };
    }
    if recorded {
        Entered::Recorded
    } else {
        Entered::Filtered
    }
}

/// The call `hook` of thread `tid` with buffer `skb` returned: frees this
/// CPU's entry if the call still holds it. False for the inner call of a
/// shadowed netlink_broadcast_filtered, whose outer call holds the entry and
/// reports the result.
#[inline(always)]
fn leave_send(hook: Hook, tid: u32, skb: u64) -> bool {
    let Some(slot) = in_flight() else {
        return true;
    };
    // SAFETY: see in_flight_of.
    unsafe {
        if (*slot).busy == 1 && (*slot).tid == tid {
            if hook == Hook::NetlinkBroadcastFiltered
                && (*slot).hook == Hook::NetlinkBroadcast as u32
            {
                return false;
            }
            if (*slot).hook == hook as u32 && (*slot).skb == skb {
                (*slot).busy = 0;
            }
        }
    }
    true
}

/// fexit of netlink_unicast / netlink_broadcast(_filtered): the result. The
/// arguments are back, so whether the message was recorded is decided again
/// from them (the filters give the same answer), with no per-task state.
#[inline(always)]
fn fexit_send(hook: Hook, ssk: *const u8, skb: *const u8, portid_arg: u32, result: i64) {
    let config = config();
    if needs_in_flight_entry(Access::Btf, hook, ssk, config)
        && !leave_send(hook, bpf_get_current_pid_tgid() as u32, skb as u64)
    {
        return;
    }
    let dst = if hook == Hook::NetlinkUnicast {
        portid_arg
    } else {
        0
    };
    if passes_filters(Access::Btf, config, ssk, dst) {
        emit_result(hook, bpf_get_current_pid_tgid() as u32, skb as u64, result);
    }
}

/// kprobe entry of netlink_unicast / netlink_broadcast(_filtered): as
/// [`enter_send`], plus a frame on the task's stack for the kretprobe.
#[inline(always)]
fn kprobe_send(hook: Hook, ssk: *const u8, skb: *const u8, portid_arg: u32, group: u32) {
    let entered = enter_send(Access::Probe, hook, ssk, skb, portid_arg, group);
    let tid = bpf_get_current_pid_tgid() as u32;
    let stack = match KPROBE_STACKS.get_ptr_mut(&tid) {
        Some(stack) => stack,
        None => {
            let _ = KPROBE_STACKS.insert(&tid, &EMPTY_STACK, 0);
            let Some(stack) = KPROBE_STACKS.get_ptr_mut(&tid) else {
                return;
            };
            stack
        }
    };
    // SAFETY (every dereference of `stack`): a pointer into the map value the
    // lookup returned; the task's own entry, which only this task writes, and
    // which RCU keeps valid while the program runs.
    let depth = unsafe { (*stack).depth } + 1;
    unsafe { (*stack).depth = depth };
    if let Some(frame) = unsafe { (*stack).frames.get_mut(depth as usize) } {
        *frame = KprobeFrame {
            skb: skb as u64,
            hook: hook as u32,
            recorded: (entered == Entered::Recorded) as u32,
        };
    }
}

/// kretprobe of netlink_unicast / netlink_broadcast(_filtered): the result.
#[inline(always)]
fn kretprobe_send(hook: Hook, result: i64) {
    let tid = bpf_get_current_pid_tgid() as u32;
    let Some(stack) = KPROBE_STACKS.get_ptr_mut(&tid) else {
        return; // attached while the call was already running
    };
    // SAFETY (every dereference of `stack`): see kprobe_send.
    let depth = unsafe { (*stack).depth };
    if depth == 0 {
        return; // attached while the call was already running
    }
    unsafe { (*stack).depth = depth - 1 };
    let Some(frame) = (unsafe { (*stack).frames.get(depth as usize).copied() }) else {
        return; // deeper than MAX_DEPTH
    };
    if frame.hook != hook as u32 {
        return; // attached inside a nest of calls: this return has no entry
    }
    if leave_send(hook, tid, frame.skb) && frame.recorded == 1 {
        emit_result(hook, tid, frame.skb, result);
    }
}

/// Entry of __netlink_sendskb(sk, skb): queueing onto receiver `sk`. The
/// buffer's netlink control block (`NETLINK_CB(skb)`, which the sender
/// filled in) tells most cases apart with no state at all:
/// - a multicast group: a delivery of the multicast in flight;
/// - a sending port and no group: the own delivery of a unicast a user
///   socket sent, recorded at netlink_unicast (the common case);
/// - neither: the kernel's own delivery of a unicast it sent (the call in
///   flight on this CPU has the buffer), or a dump reply queued directly.
#[inline(always)]
fn enter_sendskb(access: Access, sk: *const u8, skb: *const u8) {
    let config = config();
    let offsets = &config.offsets;
    let cb = offsets.sk_buff_cb;
    let group: u32 = read_field(access, skb, cb + offsets.netlink_cb_dst_group).unwrap_or(0);
    if group == 0 && sender_port(access, skb, offsets) != 0 {
        return;
    }
    let pid_tgid = bpf_get_current_pid_tgid();
    let tid = pid_tgid as u32;
    let current = in_flight_of(tid);
    let portid = sock_portid(sk, offsets);
    if group != 0 {
        // Reported unless the multicast in flight is known to be filtered
        // out; userspace gives it to the thread's innermost open multicast
        // (a unicast of a buffer that was also multicast has a group too:
        // userspace finds no multicast open for it and drops it).
        if current.busy == 1 && current.hook != Hook::NetlinkUnicast as u32 && current.recorded == 0
        {
            return;
        }
        let len: u32 = read_field(access, skb, offsets.sk_buff_len).unwrap_or(0);
        emit_delivery(Hook::NetlinkSendSkb, tid, portid, len as i32);
        return;
    }
    // netlink_unicast may have swapped the buffer (netlink_trim copies a
    // shared one): then the receiver tells the unicast's own delivery.
    if current.busy == 1
        && current.hook == Hook::NetlinkUnicast as u32
        && (current.skb == skb as u64
            || (current.dst_portid == portid
                && current.protocol == sock_protocol(access, sk, offsets)))
    {
        return;
    }
    // A message queued directly: a dump reply (netlink_dump), sent by the kernel.
    if !passes_filters(access, config, sk, 0) {
        return;
    }
    let receiver = SockInfo {
        protocol: sock_protocol(access, sk, offsets),
        netns: sock_netns(access, sk, offsets),
    };
    let fields = MessageFields {
        hook: Hook::NetlinkSendSkb,
        skb: skb as u64,
        pid_tgid,
        sock: receiver,
        src: 0,
        dst: portid,
        group: 0,
    };
    emit_message(access, config, &fields, skb);
}

/// Entry of netlink_overrun(sk): the message being delivered was dropped for
/// `sk`. Reported unless the call in flight is known to be filtered out;
/// userspace attaches it to the thread's innermost open call.
#[inline(always)]
fn enter_overrun(sk: *const u8) {
    let tid = bpf_get_current_pid_tgid() as u32;
    let call = in_flight_of(tid);
    if call.busy == 1 && call.recorded == 0 {
        return;
    }
    let portid = sock_portid(sk, &config().offsets);
    emit_delivery(Hook::NetlinkOverrun, tid, portid, -ENOBUFS);
}

/// The return value register holds an `int`.
#[inline(always)]
fn int_result(raw: u64) -> i64 {
    raw as u32 as i32 as i64
}

// ---- fentry / fexit ---------------------------------------------------------

#[fentry(function = "netlink_unicast")]
pub fn fentry_netlink_unicast(ctx: FEntryContext) -> u32 {
    enter_send(
        Access::Btf,
        Hook::NetlinkUnicast,
        ctx.arg(0),
        ctx.arg(1),
        ctx.arg(2),
        0,
    );
    0
}

#[fexit(function = "netlink_unicast")]
pub fn fexit_netlink_unicast(ctx: FExitContext) -> u32 {
    fexit_send(
        Hook::NetlinkUnicast,
        ctx.arg(0),
        ctx.arg(1),
        ctx.arg(2),
        int_result(ctx.arg(4)),
    );
    0
}

#[fentry(function = "netlink_broadcast")]
pub fn fentry_netlink_broadcast(ctx: FEntryContext) -> u32 {
    enter_send(
        Access::Btf,
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
    fexit_send(
        Hook::NetlinkBroadcast,
        ctx.arg(0),
        ctx.arg(1),
        ctx.arg(2),
        int_result(ctx.arg(5)),
    );
    0
}

#[fentry(function = "netlink_broadcast_filtered")]
pub fn fentry_netlink_broadcast_filtered(ctx: FEntryContext) -> u32 {
    enter_send(
        Access::Btf,
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
    fexit_send(
        Hook::NetlinkBroadcastFiltered,
        ctx.arg(0),
        ctx.arg(1),
        ctx.arg(2),
        int_result(ctx.arg(7)),
    );
    0
}

#[fentry(function = "__netlink_sendskb")]
pub fn fentry_netlink_sendskb(ctx: FEntryContext) -> u32 {
    enter_sendskb(Access::Btf, ctx.arg(0), ctx.arg(1));
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
    kprobe_send(
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
    kretprobe_send(Hook::NetlinkUnicast, int_result(ctx.ret::<u64>()));
    0
}

#[kprobe]
pub fn kprobe_netlink_broadcast(ctx: ProbeContext) -> u32 {
    kprobe_send(
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
    kretprobe_send(Hook::NetlinkBroadcast, int_result(ctx.ret::<u64>()));
    0
}

#[kprobe]
pub fn kprobe_netlink_broadcast_filtered(ctx: ProbeContext) -> u32 {
    kprobe_send(
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
    kretprobe_send(Hook::NetlinkBroadcastFiltered, int_result(ctx.ret::<u64>()));
    0
}

#[kprobe]
pub fn kprobe_netlink_sendskb(ctx: ProbeContext) -> u32 {
    enter_sendskb(Access::Probe, probe_ptr(&ctx, 0), probe_ptr(&ctx, 1));
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
