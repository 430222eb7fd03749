//! nlscope's eBPF programs: hooks on the kernel's netlink delivery functions
//! that copy each message's metadata and payload into a ring buffer.
//!
//! Kernel struct field offsets are not compiled in: Rust eBPF has no CO-RE, so
//! userspace reads them from the running kernel's BTF and writes them into the
//! `CONFIG` global before loading (see `tui/src/capture/btf_offsets.rs`).
#![no_std]
#![no_main]

use core::ffi::c_void;

use aya_ebpf::{
    helpers::{bpf_get_current_comm, bpf_get_current_pid_tgid, bpf_ktime_get_ns, generated as gen},
    macros::{fentry, map},
    maps::{PerCpuArray, RingBuf},
    programs::FEntryContext,
};
use nlscope_common::{Config, Event, Hook, MAX_SNAPLEN};

/// 8 MiB of events in flight: about 2,000 full-size events between two reads.
#[map]
static EVENTS: RingBuf = RingBuf::with_byte_size(8 << 20, 0);

/// Ring-buffer reservations that failed, per CPU (index 0).
#[map]
static LOST: PerCpuArray<u64> = PerCpuArray::with_max_entries(1, 0);

/// Written by userspace before load; read-only afterwards.
#[no_mangle]
static CONFIG: Config = Config {
    offsets: nlscope_common::KernelOffsets {
        sk_buff_data: 0,
        sk_buff_len: 0,
        sock_protocol_bit_offset: 0,
        sock_protocol_bits: 0,
        sock_net: 0,
        net_ns_inum: 0,
        netlink_sock_portid: 0,
        _reserved: 0,
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
    unsafe { aya_ebpf::helpers::bpf_probe_read_kernel(base.add(offset as usize) as *const T).ok() }
}

fn count_lost() {
    if let Some(counter) = LOST.get_ptr_mut(0) {
        // SAFETY: a per-CPU slot, so no other CPU writes it concurrently.
        unsafe { *counter += 1 };
    }
}

/// `int netlink_unicast(struct sock *ssk, struct sk_buff *skb, u32 portid, int nonblock)`
#[fentry(function = "netlink_unicast")]
pub fn netlink_unicast(ctx: FEntryContext) -> u32 {
    let (ssk, skb, dst_portid): (*const u8, *const u8, u32) = (ctx.arg(0), ctx.arg(1), ctx.arg(2));
    record(Hook::NetlinkUnicast, ssk, skb, dst_portid, 0);
    0
}

#[inline(always)]
fn record(hook: Hook, ssk: *const u8, skb: *const u8, dst_portid: u32, dst_group: u32) {
    let config = config();
    let offsets = config.offsets;

    let Some(mut entry) = EVENTS.reserve::<Event>(0) else {
        count_lost();
        return;
    };
    let event = entry.as_mut_ptr();
    // SAFETY: `event` points at a reserved, exclusively owned ring-buffer slot
    // of size_of::<Event>() bytes; every field is written before submit.
    unsafe {
        let header = &mut (*event).header;
        header.ts_mono_ns = bpf_ktime_get_ns();
        let pid_tgid = bpf_get_current_pid_tgid();
        header.tgid = (pid_tgid >> 32) as u32;
        header.tid = pid_tgid as u32;
        header.comm = bpf_get_current_comm().unwrap_or([0; 16]);
        header.hook = hook as u32;
        header.dst_portid = dst_portid;
        header.dst_group = dst_group;

        let protocol_word: u32 =
            read_kernel(ssk, offsets.sock_protocol_bit_offset / 8).unwrap_or(0);
        let shifted = protocol_word >> (offsets.sock_protocol_bit_offset % 8);
        let mask = if offsets.sock_protocol_bits >= 32 {
            u32::MAX
        } else {
            (1u32 << (offsets.sock_protocol_bits & 31)) - 1
        };
        header.protocol = shifted & mask;
        header.src_portid = read_kernel(ssk, offsets.netlink_sock_portid).unwrap_or(0);
        let net: *const u8 = read_kernel(ssk, offsets.sock_net).unwrap_or(core::ptr::null());
        header.netns_ino = if net.is_null() {
            0
        } else {
            read_kernel(net, offsets.net_ns_inum).unwrap_or(0)
        };

        let len: u32 = read_kernel(skb, offsets.sk_buff_len).unwrap_or(0);
        let data: *const u8 = read_kernel(skb, offsets.sk_buff_data).unwrap_or(core::ptr::null());
        header.len = len;
        let wanted = if len < config.snaplen {
            len
        } else {
            config.snaplen
        };
        let mut copied = 0u32;
        if wanted > 0 && !data.is_null() {
            // Bound the size to [1, MAX_SNAPLEN] in a form the verifier can follow.
            let size = ((wanted - 1) & (MAX_SNAPLEN as u32 - 1)) + 1;
            let rc = gen::bpf_probe_read_kernel(
                (*event).payload.as_mut_ptr() as *mut c_void,
                size,
                data as *const c_void,
            );
            if rc == 0 {
                copied = size;
            }
        }
        header.cap_len = copied;
    }
    entry.submit(0);
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
