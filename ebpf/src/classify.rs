//! What each hooked call is, and what it records: the handlers the entry
//! points in main.rs call. A unicast or multicast call records its message
//! at entry and its result at exit; a queueing (`__netlink_sendskb`) is a
//! unicast's own delivery (skipped), a multicast delivery or a dump reply;
//! an overrun is a drop for the call in flight. The crate documentation
//! describes the rules; this module applies them with this CPU's IN_FLIGHT
//! entry and, for kprobes, the task's KPROBE_STACKS entry.

use aya_ebpf::helpers::bpf_get_current_pid_tgid;
use nlscope_common::{Config, Hook, ENOBUFS};

use crate::config::config;
use crate::emit::{
    emit_delivery, emit_message, emit_result, emit_send, MessageFields, SentBy, SockInfo,
};
use crate::filter::passes_filters;
use crate::maps::{in_flight, in_flight_of, InFlight, KprobeFrame, EMPTY_STACK, KPROBE_STACKS};
use crate::readers::{
    read_field, sender_port, sock_netns, sock_portid, sock_protocol, user_socket, Access,
};

/// How an entry into a unicast or multicast call was handled.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entered {
    /// The message was recorded: its result is wanted.
    Recorded,
    /// The filters dropped the message.
    Filtered,
    /// netlink_broadcast_filtered inside netlink_broadcast: the outer call
    /// records the message and its result.
    Shadowed,
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

/// Entry of netlink_unicast / netlink_broadcast(_filtered).
#[inline(always)]
pub(crate) fn enter_send(
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
    // SAFETY: see maps::in_flight_of.
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
    // SAFETY: see maps::in_flight_of.
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
pub(crate) fn fexit_send(hook: Hook, ssk: *const u8, skb: *const u8, portid_arg: u32, result: i64) {
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
pub(crate) fn kprobe_send(hook: Hook, ssk: *const u8, skb: *const u8, portid_arg: u32, group: u32) {
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
pub(crate) fn kretprobe_send(hook: Hook, result: i64) {
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
pub(crate) fn enter_sendskb(access: Access, sk: *const u8, skb: *const u8) {
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
/// userspace attaches it to the thread's innermost open call. `_access` as
/// for the other entries, unused: the receiver's port lies past `struct
/// sock`, so it is a probe read either way (see sock_portid).
#[inline(always)]
pub(crate) fn enter_overrun(_access: Access, sk: *const u8) {
    let tid = bpf_get_current_pid_tgid() as u32;
    let call = in_flight_of(tid);
    if call.busy == 1 && call.recorded == 0 {
        return;
    }
    let portid = sock_portid(sk, &config().offsets);
    emit_delivery(Hook::NetlinkOverrun, tid, portid, -ENOBUFS);
}
