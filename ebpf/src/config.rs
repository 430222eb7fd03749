//! The run-time settings: the `CONFIG` global that userspace fills in
//! (kernel struct offsets read from BTF, filters, snap length) before it
//! loads the object, and the one way the programs read it.

use nlscope_common::{Config, Filters, KernelOffsets, ANY, NO_FIELD};

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
pub(crate) fn config() -> &'static Config {
    let address: *const Config = &CONFIG;
    // SAFETY: CONFIG is a plain global the loader fills in. The compiler must
    // not fold its zero initialiser into the code, so its address is read
    // back through a volatile load, which the compiler cannot see through;
    // the fields are then plain loads, each only where it is used (a
    // volatile read of the whole struct would copy all of it every time).
    unsafe { &*core::ptr::read_volatile(&address) }
}
