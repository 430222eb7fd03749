//! Reading the kernel: fields of the structs a hook is handed (through
//! BTF-typed pointers in fentry/fexit programs, with bpf_probe_read_kernel in
//! kprobes), the socket and buffer fields built on them, and the program
//! contexts' arguments and return values.

use aya_ebpf::programs::ProbeContext;
use nlscope_common::{KernelOffsets, NO_FIELD};

/// How a program reads fields of the kernel structs it is handed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
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
pub(crate) fn read_field<T: Copy>(access: Access, base: *const u8, offset: u32) -> Option<T> {
    match access {
        // SAFETY: not a raw dereference: the verifier rewrites a load through a
        // BTF-typed pointer into one that yields zero instead of faulting.
        Access::Btf => Some(unsafe {
            core::ptr::read_volatile(base.wrapping_add(offset as usize) as *const T)
        }),
        Access::Probe => probe_read(base, offset),
    }
}

/// `sk->sk_protocol`.
#[inline(always)]
pub(crate) fn sock_protocol(access: Access, sk: *const u8, offsets: &KernelOffsets) -> u32 {
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
pub(crate) fn sock_portid(sk: *const u8, offsets: &KernelOffsets) -> u32 {
    probe_read(sk, offsets.netlink_sock_portid).unwrap_or(0)
}

/// The port a message comes from as its receivers see it (the `nl_pid` that
/// recvmsg reports): `NETLINK_CB(skb).portid`, which netlink_sendmsg sets to
/// the sending socket's port and which is 0 in the messages the kernel
/// builds. A plain BTF load in the control block, where the sending socket's
/// own port would cost a probe read.
#[inline(always)]
pub(crate) fn sender_port(access: Access, skb: *const u8, offsets: &KernelOffsets) -> u32 {
    read_field(access, skb, offsets.sk_buff_cb + offsets.netlink_cb_portid).unwrap_or(0)
}

/// The inode of `sock_net(sk)`.
#[inline(always)]
pub(crate) fn sock_netns(access: Access, sk: *const u8, offsets: &KernelOffsets) -> u32 {
    let net: *const u8 = read_field(access, sk, offsets.sock_net).unwrap_or(core::ptr::null());
    if net.is_null() {
        0
    } else {
        read_field(access, net, offsets.net_ns_inum).unwrap_or(0)
    }
}

/// Whether `sk` is a socket a user process opened (`sk->sk_kern_sock` clear),
/// so certainly not one of the kernel's netlink sockets. False when unsure.
#[inline(always)]
pub(crate) fn user_socket(access: Access, sk: *const u8, offsets: &KernelOffsets) -> bool {
    let bit = offsets.sock_kern_sock_bit_offset;
    if bit == NO_FIELD {
        return false;
    }
    // The byte that holds the bit (a BTF load may cover a bitfield whole).
    let byte: u8 = read_field(access, sk, bit / 8).unwrap_or(0xff);
    (byte >> (bit % 8)) & 1 == 0
}

/// The return value register holds an `int`.
#[inline(always)]
pub(crate) fn int_result(raw: u64) -> i64 {
    raw as u32 as i32 as i64
}

#[inline(always)]
pub(crate) fn probe_u32(ctx: &ProbeContext, n: usize) -> u32 {
    ctx.arg::<u64>(n).unwrap_or(0) as u32
}

#[inline(always)]
pub(crate) fn probe_ptr(ctx: &ProbeContext, n: usize) -> *const u8 {
    ctx.arg(n).unwrap_or(core::ptr::null())
}
