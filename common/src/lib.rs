//! The event ABI shared by the nlscope eBPF programs (`ebpf/`) and userspace (`tui/`).
//!
//! Everything here is `#[repr(C)]` plain data with explicit padding, so the byte
//! layout is the same for `bpfel-unknown-none` and `x86_64-unknown-linux-gnu`.
//! The layout tests at the bottom pin sizes and offsets: changing them is an ABI
//! break between the embedded eBPF object and the loader.
#![no_std]

pub mod demo;

/// Length of a task's `comm` (TASK_COMM_LEN in the kernel).
pub const COMM_LEN: usize = 16;

/// Largest payload one event can carry: 64 KiB, above the largest datagram
/// the kernel builds (dump replies are at most 32 KiB) and the user sends
/// seen in practice (nftables batches). A power of two, so the eBPF side can
/// bound a variable length with a mask the verifier understands.
pub const MAX_SNAPLEN: usize = 64 << 10;

/// Default number of payload bytes copied per message: whole datagrams.
/// `--snaplen` is an opt-in cap.
pub const DEFAULT_SNAPLEN: u32 = MAX_SNAPLEN as u32;

/// Default size of the EVENTS ring buffer in bytes (`--ring-size`): 256
/// whole 64 KiB datagrams, or about 80,000 small messages with their
/// results, between two drains.
pub const DEFAULT_RING_SIZE: u32 = 16 << 20;

/// The payload sizes a message record is reserved in (a reservation's size
/// must be a constant): the smallest that holds the bytes to capture. Small
/// messages keep small records; each class at most doubles a record.
pub const RECORD_PAYLOAD_CLASSES: [usize; 9] =
    [128, 512, 1024, 2048, 4096, 8192, 16384, 32768, MAX_SNAPLEN];

/// Name of the ring buffer map in the eBPF object.
pub const EVENTS_MAP: &str = "EVENTS";
/// Name of the per-CPU array that counts ring-buffer reservation failures.
pub const LOST_MAP: &str = "LOST";
/// Name of the global that carries [`Config`] into the eBPF programs.
pub const CONFIG_GLOBAL: &str = "CONFIG";

/// The kernel function whose call produced an event.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    /// `netlink_unicast`: user->kernel, kernel->user and user->user unicasts, acks and errors.
    NetlinkUnicast = 1,
    /// `netlink_broadcast`: multicasts, from the kernel or from a user socket.
    NetlinkBroadcast = 2,
    /// `netlink_broadcast_filtered` (kernels that have it as a symbol of its own).
    NetlinkBroadcastFiltered = 3,
    /// `__netlink_sendskb`: queueing onto a receiver; recorded as a message of
    /// its own only outside unicast/broadcast (dump replies from `netlink_dump`),
    /// and as a delivery to one listener inside a broadcast.
    NetlinkSendSkb = 4,
    /// `netlink_overrun`: a receiver's queue was full; the message was dropped for it.
    NetlinkOverrun = 5,
}

impl Hook {
    pub const ALL: [Hook; 5] = [
        Hook::NetlinkUnicast,
        Hook::NetlinkBroadcast,
        Hook::NetlinkBroadcastFiltered,
        Hook::NetlinkSendSkb,
        Hook::NetlinkOverrun,
    ];

    pub fn from_u32(value: u32) -> Option<Hook> {
        Hook::ALL.into_iter().find(|hook| *hook as u32 == value)
    }

    /// The kernel symbol the hook attaches to.
    pub const fn symbol(self) -> &'static str {
        match self {
            Hook::NetlinkUnicast => "netlink_unicast",
            Hook::NetlinkBroadcast => "netlink_broadcast",
            Hook::NetlinkBroadcastFiltered => "netlink_broadcast_filtered",
            Hook::NetlinkSendSkb => "__netlink_sendskb",
            Hook::NetlinkOverrun => "netlink_overrun",
        }
    }

    /// How many arguments the hooked function takes (an fexit program finds
    /// the return value right after them).
    pub const fn argument_count(self) -> usize {
        match self {
            Hook::NetlinkUnicast => 4,
            Hook::NetlinkBroadcast => 5,
            Hook::NetlinkBroadcastFiltered => 7,
            Hook::NetlinkSendSkb => 2,
            Hook::NetlinkOverrun => 1,
        }
    }

    /// True when the function's return value is the message's delivery result.
    pub const fn reports_result(self) -> bool {
        matches!(
            self,
            Hook::NetlinkUnicast | Hook::NetlinkBroadcast | Hook::NetlinkBroadcastFiltered
        )
    }
}

/// How a program attaches to its hook's kernel function. Every hook has an
/// entry program of both sets (fentry, kprobe); a hook that
/// [reports a result](Hook::reports_result) also has their exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachKind {
    Fentry,
    Fexit,
    Kprobe,
    Kretprobe,
}

impl AttachKind {
    pub const ALL: [AttachKind; 4] = [
        AttachKind::Fentry,
        AttachKind::Fexit,
        AttachKind::Kprobe,
        AttachKind::Kretprobe,
    ];

    /// The program type's name, which starts each program's name.
    pub const fn name(self) -> &'static str {
        match self {
            AttachKind::Fentry => "fentry",
            AttachKind::Fexit => "fexit",
            AttachKind::Kprobe => "kprobe",
            AttachKind::Kretprobe => "kretprobe",
        }
    }

    /// True for the kinds that run when the function returns.
    pub const fn is_exit(self) -> bool {
        matches!(self, AttachKind::Fexit | AttachKind::Kretprobe)
    }
}

impl Hook {
    /// Name of the eBPF program that attaches to this hook as `kind`; `None`
    /// for the exit kinds of a hook whose return value is not wanted. The
    /// one table of program names: the eBPF crate checks at compile time
    /// that its entry points (generated in ebpf/src/main.rs) carry these
    /// names, and the loader looks the programs up by them.
    pub const fn program(self, kind: AttachKind) -> Option<&'static str> {
        use AttachKind::{Fentry, Fexit, Kprobe, Kretprobe};
        Some(match (self, kind) {
            (Hook::NetlinkUnicast, Fentry) => "fentry_netlink_unicast",
            (Hook::NetlinkUnicast, Fexit) => "fexit_netlink_unicast",
            (Hook::NetlinkUnicast, Kprobe) => "kprobe_netlink_unicast",
            (Hook::NetlinkUnicast, Kretprobe) => "kretprobe_netlink_unicast",
            (Hook::NetlinkBroadcast, Fentry) => "fentry_netlink_broadcast",
            (Hook::NetlinkBroadcast, Fexit) => "fexit_netlink_broadcast",
            (Hook::NetlinkBroadcast, Kprobe) => "kprobe_netlink_broadcast",
            (Hook::NetlinkBroadcast, Kretprobe) => "kretprobe_netlink_broadcast",
            (Hook::NetlinkBroadcastFiltered, Fentry) => "fentry_netlink_broadcast_filtered",
            (Hook::NetlinkBroadcastFiltered, Fexit) => "fexit_netlink_broadcast_filtered",
            (Hook::NetlinkBroadcastFiltered, Kprobe) => "kprobe_netlink_broadcast_filtered",
            (Hook::NetlinkBroadcastFiltered, Kretprobe) => "kretprobe_netlink_broadcast_filtered",
            (Hook::NetlinkSendSkb, Fentry) => "fentry_netlink_sendskb",
            (Hook::NetlinkSendSkb, Kprobe) => "kprobe_netlink_sendskb",
            (Hook::NetlinkOverrun, Fentry) => "fentry_netlink_overrun",
            (Hook::NetlinkOverrun, Kprobe) => "kprobe_netlink_overrun",
            (Hook::NetlinkSendSkb | Hook::NetlinkOverrun, Fexit | Kretprobe) => return None,
        })
    }

    /// Every program of the eBPF object: hook, kind and name.
    pub fn programs() -> impl Iterator<Item = (Hook, AttachKind, &'static str)> {
        Hook::ALL.into_iter().flat_map(|hook| {
            AttachKind::ALL
                .into_iter()
                .filter_map(move |kind| Some((hook, kind, hook.program(kind)?)))
        })
    }
}

/// What a ring-buffer record is; the first field of every record.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// An [`EventHeader`] followed by `cap_len` payload bytes.
    Message = 1,
    /// A [`ResultEvent`]: the return value of the call that produced message `id`.
    Result = 2,
    /// A [`DeliveryEvent`]: message `id` reached (or was dropped for) one listener.
    Delivery = 3,
}

impl EventKind {
    pub fn from_u32(value: u32) -> Option<EventKind> {
        match value {
            1 => Some(EventKind::Message),
            2 => Some(EventKind::Result),
            3 => Some(EventKind::Delivery),
            _ => None,
        }
    }
}

/// Matches any value in a [`Filters`] field.
pub const ANY: u32 = u32::MAX;

/// In-kernel filters: a message is recorded only when every field is [`ANY`]
/// or equal to the message's value. Checked before any copying, so filtered-out
/// traffic costs a few instructions.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filters {
    pub protocol: u32,
    /// Process id (tgid) of the task that was running.
    pub pid: u32,
    /// Network namespace inode.
    pub netns: u32,
    /// Matches the source or the destination port.
    pub port: u32,
}

impl Default for Filters {
    fn default() -> Self {
        Filters {
            protocol: ANY,
            pid: ANY,
            netns: ANY,
            port: ANY,
        }
    }
}

/// Offsets of the kernel struct fields the eBPF programs read, in bytes unless
/// the name says bits. Rust eBPF has no CO-RE relocations, so userspace reads
/// them from the running kernel's BTF and hands them over in [`Config`]:
/// nothing is hard-coded per kernel version.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelOffsets {
    /// `struct sk_buff::data` (pointer to the first netlink header).
    pub sk_buff_data: u32,
    /// `struct sk_buff::len` (u32, bytes in the buffer).
    pub sk_buff_len: u32,
    /// Bit offset of `struct sock::sk_protocol` (a u16 since 5.6, a bitfield before).
    pub sock_protocol_bit_offset: u32,
    /// Width in bits of `struct sock::sk_protocol`.
    pub sock_protocol_bits: u32,
    /// `struct sock::__sk_common.skc_net` (a `possible_net_t`, i.e. a `struct net *`).
    pub sock_net: u32,
    /// `struct net::ns.inum` (the namespace inode number `ip netns` and `/proc/PID/ns/net` show).
    pub net_ns_inum: u32,
    /// `struct netlink_sock::portid` (the socket's own port id).
    pub netlink_sock_portid: u32,
    /// `struct sk_buff::cb`, where netlink keeps its `struct netlink_skb_parms`.
    pub sk_buff_cb: u32,
    /// `struct netlink_skb_parms::portid` (the sending socket's port id).
    pub netlink_cb_portid: u32,
    /// `struct netlink_skb_parms::dst_group` (the multicast group, 0 for a unicast).
    pub netlink_cb_dst_group: u32,
    /// Bit offset of `struct sock::sk_kern_sock` (a 1-bit bitfield, set in the
    /// sockets the kernel creates for itself), or [`NO_FIELD`] when the
    /// kernel has none: then every socket may be one of the kernel's.
    pub sock_kern_sock_bit_offset: u32,
    pub _reserved: u32,
}

/// Run-time settings written by userspace into the eBPF object before load.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub offsets: KernelOffsets,
    pub filters: Filters,
    /// Payload bytes to copy per message, at most [`MAX_SNAPLEN`].
    pub snaplen: u32,
    pub _reserved: u32,
}

/// Fixed-size part of a message record.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventHeader {
    /// [`EventKind::Message`].
    pub kind: u32,
    /// A [`Hook`] value.
    pub hook: u32,
    /// Address of the message buffer (`struct sk_buff *`) the hook was handed.
    /// With `tid` and `hook` it pairs the message with its [`ResultEvent`];
    /// only ever compared, never dereferenced.
    pub skb: u64,
    /// `bpf_ktime_get_ns()`: CLOCK_MONOTONIC in nanoseconds.
    pub ts_mono_ns: u64,
    /// Process id (thread group id) of the task that was running.
    pub tgid: u32,
    /// Thread id of that task.
    pub tid: u32,
    /// Inode number of the sending socket's network namespace.
    pub netns_ino: u32,
    /// Netlink protocol (NETLINK_ROUTE = 0, NETLINK_GENERIC = 16, ...).
    pub protocol: u32,
    /// Port id the message comes from, as its receivers see it
    /// (`NETLINK_CB(skb).portid`): the sending socket's port for a message a
    /// user socket sends, 0 for the kernel's own messages.
    pub src_portid: u32,
    /// Destination port id (0 for the kernel, and for multicasts).
    pub dst_portid: u32,
    /// Destination multicast group (0 for unicast).
    pub dst_group: u32,
    /// Length of the whole message buffer (`skb->len`).
    pub len: u32,
    /// How many payload bytes follow the header (at most the snap length).
    pub cap_len: u32,
    pub _reserved: u32,
    /// The task's `comm`, NUL padded.
    pub comm: [u8; COMM_LEN],
}

/// The return value of a unicast or multicast call. Records carry no message
/// id: a task's records reach the ring buffer in the order the task made them,
/// so userspace pairs a result with the innermost call of thread `tid` that
/// has the same `hook` and `skb` and is still open.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResultEvent {
    /// [`EventKind::Result`].
    pub kind: u32,
    /// The [`Hook`] of the call that returned.
    pub hook: u32,
    /// The call's message buffer, as in its message's [`EventHeader::skb`].
    pub skb: u64,
    /// Thread id of the task that made the call.
    pub tid: u32,
    pub _reserved: u32,
    /// Bytes delivered or 0 (>= 0), or a negative errno.
    pub result: i64,
}

/// The innermost open call of thread `tid` reached one listener (`result` >=
/// 0: a multicast delivery) or was dropped for it (`result` = -ENOBUFS, the
/// receiver's queue was full).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryEvent {
    /// [`EventKind::Delivery`].
    pub kind: u32,
    /// [`Hook::NetlinkSendSkb`] (a delivery) or [`Hook::NetlinkOverrun`] (a drop).
    pub hook: u32,
    /// Thread id of the task that was delivering.
    pub tid: u32,
    /// Port id of the receiving socket.
    pub portid: u32,
    /// Bytes queued, or -ENOBUFS.
    pub result: i32,
    pub _reserved: u32,
}

/// A message record as the eBPF side reserves it in the ring buffer: the
/// header and room for `N` payload bytes, of which the first `cap_len` are the
/// message. `N` is one of a few powers of two up to [`MAX_SNAPLEN`] (a
/// reservation's size must be a constant), so a record can be longer than
/// header + `cap_len`; readers go by `cap_len`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct MessageRecord<const N: usize> {
    pub header: EventHeader,
    pub payload: [u8; N],
}

/// A [`KernelOffsets`] field the running kernel does not have.
pub const NO_FIELD: u32 = u32::MAX;

/// ENOBUFS, as the kernel reports a full receive queue.
pub const ENOBUFS: i32 = 105;

#[cfg(feature = "user")]
mod user {
    // SAFETY: all three are repr(C) structs of integers with no padding holes
    // (the layout tests below check the sizes), so any bit pattern is valid.
    unsafe impl aya::Pod for super::Config {}
    unsafe impl aya::Pod for super::KernelOffsets {}
    unsafe impl aya::Pod for super::EventHeader {}
    unsafe impl aya::Pod for super::Filters {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn event_header_layout_is_pinned() {
        assert_eq!(size_of::<EventHeader>(), 80);
        assert_eq!(offset_of!(EventHeader, kind), 0);
        assert_eq!(offset_of!(EventHeader, hook), 4);
        assert_eq!(offset_of!(EventHeader, skb), 8);
        assert_eq!(offset_of!(EventHeader, ts_mono_ns), 16);
        assert_eq!(offset_of!(EventHeader, tgid), 24);
        assert_eq!(offset_of!(EventHeader, tid), 28);
        assert_eq!(offset_of!(EventHeader, netns_ino), 32);
        assert_eq!(offset_of!(EventHeader, protocol), 36);
        assert_eq!(offset_of!(EventHeader, src_portid), 40);
        assert_eq!(offset_of!(EventHeader, dst_portid), 44);
        assert_eq!(offset_of!(EventHeader, dst_group), 48);
        assert_eq!(offset_of!(EventHeader, len), 52);
        assert_eq!(offset_of!(EventHeader, cap_len), 56);
        assert_eq!(offset_of!(EventHeader, comm), 64);
    }

    #[test]
    fn every_record_starts_with_its_kind_and_hook() {
        assert_eq!(size_of::<ResultEvent>(), 32);
        assert_eq!(size_of::<DeliveryEvent>(), 24);
        for (kind, hook) in [
            (offset_of!(ResultEvent, kind), offset_of!(ResultEvent, hook)),
            (
                offset_of!(DeliveryEvent, kind),
                offset_of!(DeliveryEvent, hook),
            ),
            (offset_of!(EventHeader, kind), offset_of!(EventHeader, hook)),
        ] {
            assert_eq!((kind, hook), (0, 4));
        }
    }

    #[test]
    fn small_records_are_pinned() {
        assert_eq!(offset_of!(ResultEvent, skb), 8);
        assert_eq!(offset_of!(ResultEvent, tid), 16);
        assert_eq!(offset_of!(ResultEvent, result), 24);
        assert_eq!(offset_of!(DeliveryEvent, tid), 8);
        assert_eq!(offset_of!(DeliveryEvent, portid), 12);
        assert_eq!(offset_of!(DeliveryEvent, result), 16);
    }

    #[test]
    fn message_record_is_header_then_payload() {
        assert_eq!(
            offset_of!(MessageRecord<128>, payload),
            size_of::<EventHeader>()
        );
        assert_eq!(size_of::<MessageRecord<128>>(), 80 + 128);
        assert_eq!(size_of::<MessageRecord<MAX_SNAPLEN>>(), 80 + MAX_SNAPLEN);
    }

    #[test]
    fn record_classes_are_powers_of_two_up_to_the_largest_payload() {
        assert!(RECORD_PAYLOAD_CLASSES
            .iter()
            .all(|size| size.is_power_of_two()));
        assert!(RECORD_PAYLOAD_CLASSES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(RECORD_PAYLOAD_CLASSES.last(), Some(&MAX_SNAPLEN));
        // The kernel's dump replies (up to 32 KiB) are captured whole.
        assert!(DEFAULT_SNAPLEN as usize >= 64 << 10);
        assert!((DEFAULT_RING_SIZE as usize).is_power_of_two());
    }

    #[test]
    fn config_layout_is_pinned() {
        assert_eq!(size_of::<KernelOffsets>(), 48);
        assert_eq!(size_of::<Filters>(), 16);
        assert_eq!(size_of::<Config>(), 72);
        assert_eq!(offset_of!(Config, filters), 48);
        assert_eq!(offset_of!(Config, snaplen), 64);
    }

    #[test]
    fn snaplen_is_a_power_of_two_for_the_verifier_mask() {
        assert!(MAX_SNAPLEN.is_power_of_two());
    }

    #[test]
    fn programs_are_named_by_kind_and_symbol_and_exits_only_where_results_are_wanted() {
        extern crate std;
        use std::format;
        for hook in Hook::ALL {
            for kind in AttachKind::ALL {
                let wanted = !kind.is_exit() || hook.reports_result();
                assert_eq!(hook.program(kind).is_some(), wanted, "{hook:?} {kind:?}");
                if let Some(name) = hook.program(kind) {
                    let symbol = hook.symbol().trim_start_matches('_');
                    assert_eq!(name, format!("{}_{symbol}", kind.name()));
                }
            }
        }
        assert_eq!(Hook::programs().count(), 16);
    }

    #[test]
    fn hooks_round_trip() {
        assert_eq!(
            Hook::from_u32(Hook::NetlinkUnicast as u32),
            Some(Hook::NetlinkUnicast)
        );
        assert_eq!(Hook::from_u32(0), None);
    }
}
