//! The event ABI shared by the nlscope eBPF programs (`ebpf/`) and userspace (`tui/`).
//!
//! Everything here is `#[repr(C)]` plain data with explicit padding, so the byte
//! layout is the same for `bpfel-unknown-none` and `x86_64-unknown-linux-gnu`.
//! The layout tests at the bottom pin sizes and offsets: changing them is an ABI
//! break between the embedded eBPF object and the loader.
#![no_std]

/// Length of a task's `comm` (TASK_COMM_LEN in the kernel).
pub const COMM_LEN: usize = 16;

/// Largest payload one event can carry. A power of two, so the eBPF side can
/// bound a variable length with a mask the verifier understands.
pub const MAX_SNAPLEN: usize = 4096;

/// Default number of payload bytes copied per message.
pub const DEFAULT_SNAPLEN: u32 = MAX_SNAPLEN as u32;

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
    NetlinkUnicast = 1,
}

impl Hook {
    pub fn from_u32(value: u32) -> Option<Hook> {
        match value {
            1 => Some(Hook::NetlinkUnicast),
            _ => None,
        }
    }

    /// The kernel symbol the hook attaches to.
    pub fn symbol(self) -> &'static str {
        match self {
            Hook::NetlinkUnicast => "netlink_unicast",
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
    pub _reserved: u32,
}

/// Run-time settings written by userspace into the eBPF object before load.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub offsets: KernelOffsets,
    /// Payload bytes to copy per message, at most [`MAX_SNAPLEN`].
    pub snaplen: u32,
    pub _reserved: u32,
}

/// Fixed-size part of every event.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventHeader {
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
    /// Port id of the sending socket (0 for a kernel socket).
    pub src_portid: u32,
    /// Destination port id (0 for the kernel).
    pub dst_portid: u32,
    /// Destination multicast group (0 for unicast).
    pub dst_group: u32,
    /// Length of the whole message buffer (`skb->len`).
    pub len: u32,
    /// How many payload bytes follow in [`Event::payload`] (at most the snap length).
    pub cap_len: u32,
    /// A [`Hook`] value.
    pub hook: u32,
    /// The task's `comm`, NUL padded.
    pub comm: [u8; COMM_LEN],
}

/// One event as it travels through the ring buffer.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Event {
    pub header: EventHeader,
    pub payload: [u8; MAX_SNAPLEN],
}

#[cfg(feature = "user")]
mod user {
    // SAFETY: all three are repr(C) structs of integers with no padding holes
    // (the layout tests below check the sizes), so any bit pattern is valid.
    unsafe impl aya::Pod for super::Config {}
    unsafe impl aya::Pod for super::KernelOffsets {}
    unsafe impl aya::Pod for super::EventHeader {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn event_header_layout_is_pinned() {
        assert_eq!(size_of::<EventHeader>(), 64);
        assert_eq!(offset_of!(EventHeader, ts_mono_ns), 0);
        assert_eq!(offset_of!(EventHeader, tgid), 8);
        assert_eq!(offset_of!(EventHeader, tid), 12);
        assert_eq!(offset_of!(EventHeader, netns_ino), 16);
        assert_eq!(offset_of!(EventHeader, protocol), 20);
        assert_eq!(offset_of!(EventHeader, src_portid), 24);
        assert_eq!(offset_of!(EventHeader, dst_portid), 28);
        assert_eq!(offset_of!(EventHeader, dst_group), 32);
        assert_eq!(offset_of!(EventHeader, len), 36);
        assert_eq!(offset_of!(EventHeader, cap_len), 40);
        assert_eq!(offset_of!(EventHeader, hook), 44);
        assert_eq!(offset_of!(EventHeader, comm), 48);
    }

    #[test]
    fn event_is_header_then_payload() {
        assert_eq!(offset_of!(Event, payload), size_of::<EventHeader>());
        assert_eq!(size_of::<Event>(), 64 + MAX_SNAPLEN);
    }

    #[test]
    fn config_layout_is_pinned() {
        assert_eq!(size_of::<KernelOffsets>(), 32);
        assert_eq!(size_of::<Config>(), 40);
        assert_eq!(offset_of!(Config, snaplen), 32);
    }

    #[test]
    fn snaplen_is_a_power_of_two_for_the_verifier_mask() {
        assert!(MAX_SNAPLEN.is_power_of_two());
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
