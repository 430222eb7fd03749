//! What the kernel's nlmon tap says of a netlink message in the cooked
//! (SLL) header of a capture: the device type, and a packet type naming the
//! kind of socket that received the message (`__netlink_deliver_tap_skb`).

/// `ARPHRD_NETLINK` (linux/if_arp.h), bytes 2-3 of the cooked header: not
/// in libc 0.2.
pub const ARPHRD_NETLINK: u16 = 824;
/// Packet types (linux/if_packet.h; libc's `u8`s, as the header's `u16`).
/// `PACKET_USER`: a user socket received the message.
pub const PACKET_USER: u16 = libc::PACKET_USER as u16;
/// `PACKET_KERNEL`: a kernel socket received the message (sent to the kernel).
pub const PACKET_KERNEL: u16 = libc::PACKET_KERNEL as u16;
/// `PACKET_OUTGOING`: the packet type of every record tcpdump takes from an
/// nlmon device: the packet socket sees the tap's transmit on nlmon0, and
/// `dev_queue_xmit_nit` overwrites the type nlmon gave the copy. Files made
/// that way therefore state nothing in the header; seen in the guest
/// (tests/tests/guest.rs) on Debian's 6.1 and 6.12.
pub const PACKET_OUTGOING: u16 = libc::PACKET_OUTGOING as u16;
/// `PACKET_HOST`: nlmon never writes it.
pub const PACKET_HOST: u16 = libc::PACKET_HOST as u16;
