//! The eBPF maps and the state they hold: the EVENTS ring buffer userspace
//! reads, the LOST counter, this CPU's IN_FLIGHT call and, in kprobe mode,
//! each task's stack of open calls (KPROBE_STACKS), with the value types
//! and the accessors the hooks use on the common path.

use aya_ebpf::{
    macros::map,
    maps::{LruHashMap, PerCpuArray, RingBuf},
};
use nlscope_common::DEFAULT_RING_SIZE;

/// What is in flight between two reads of userspace: DEFAULT_RING_SIZE
/// unless the loader resizes it (`--ring-size`).
#[map]
pub(crate) static EVENTS: RingBuf = RingBuf::with_byte_size(DEFAULT_RING_SIZE, 0);

/// Records that did not fit into EVENTS, per CPU (index 0).
#[map]
pub(crate) static LOST: PerCpuArray<u64> = PerCpuArray::with_max_entries(1, 0);

/// The unicast or multicast call that a task on this CPU entered last and has
/// not left yet (index 0, per CPU). See the crate documentation.
#[map]
pub(crate) static IN_FLIGHT: PerCpuArray<InFlight> = PerCpuArray::with_max_entries(1, 0);

/// kprobe mode only: tid -> the calls the task is inside, for the kretprobes,
/// which do not get the call's arguments back. Entries are created at a
/// task's first send and left to the LRU.
#[map]
pub(crate) static KPROBE_STACKS: LruHashMap<u32, KprobeStack> =
    LruHashMap::with_max_entries(16384, 0);

/// What a new task's entry in KPROBE_STACKS starts as (a map value, so the
/// verifier takes it as the value of a map update).
pub(crate) static EMPTY_STACK: KprobeStack = KprobeStack {
    depth: 0,
    _reserved: 0,
    frames: [KprobeFrame {
        skb: 0,
        hook: 0,
        recorded: 0,
    }; MAX_DEPTH as usize + 1],
};

/// kprobe mode: calls nested deeper than this get no result.
pub(crate) const MAX_DEPTH: u32 = 8;

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct InFlight {
    /// 1 while the call below is in flight on this CPU.
    pub(crate) busy: u32,
    pub(crate) tid: u32,
    /// The message buffer the call was handed (its address; never dereferenced).
    pub(crate) skb: u64,
    pub(crate) hook: u32,
    pub(crate) dst_portid: u32,
    pub(crate) protocol: u32,
    /// 1 when the message passed the filters and was recorded.
    pub(crate) recorded: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct KprobeFrame {
    pub(crate) skb: u64,
    pub(crate) hook: u32,
    /// 1 when the call's message was recorded (its result is wanted).
    pub(crate) recorded: u32,
}

/// The calls one task is inside, for its kretprobes: the call at depth `d` (1
/// for the outermost) in `frames[d]` (slot 0 is unused: indexing by the depth
/// itself keeps every offset non-negative, which the verifier needs). `depth`
/// keeps counting past MAX_DEPTH (those calls have no frame) so the exits
/// pair up.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct KprobeStack {
    pub(crate) depth: u32,
    _reserved: u32,
    pub(crate) frames: [KprobeFrame; MAX_DEPTH as usize + 1],
}

/// This CPU's [`InFlight`] entry.
#[inline(always)]
pub(crate) fn in_flight() -> Option<*mut InFlight> {
    IN_FLIGHT.get_ptr_mut(0)
}

/// No call in flight (for this thread).
pub(crate) const NOT_IN_FLIGHT: InFlight = InFlight {
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
pub(crate) fn in_flight_of(tid: u32) -> InFlight {
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

pub(crate) fn count_lost() {
    if let Some(counter) = LOST.get_ptr_mut(0) {
        // SAFETY: a per-CPU slot, so no other CPU writes it concurrently.
        unsafe { *counter += 1 };
    }
}
