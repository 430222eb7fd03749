//! Kernel struct field offsets from the running kernel's BTF.
//!
//! Rust eBPF has no CO-RE field relocations (aya issue #349), so the offsets the
//! eBPF programs need are looked up here, in userspace, and passed in through
//! the `CONFIG` global. Nothing is hard-coded per kernel version.

use std::path::Path;

use btfparse::{Offset, Readable, TypeInformation};
use nlscope_common::{KernelOffsets, NO_FIELD};

/// Where the kernel exposes its own BTF.
pub const KERNEL_BTF_PATH: &str = "/sys/kernel/btf/vmlinux";

#[derive(Debug, thiserror::Error)]
pub enum BtfError {
    #[error("this kernel has no BTF ({path} is missing): nlscope needs CONFIG_DEBUG_INFO_BTF=y to find kernel struct layouts")]
    Missing { path: String },
    #[error("cannot read the kernel's BTF at {path}: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    #[error("the kernel's BTF at {path} could not be parsed: {detail}")]
    Malformed { path: String, detail: String },
    #[error("the kernel's BTF has no field {type_name}.{field_path}: this kernel's netlink structures are not the ones nlscope knows")]
    FieldMissing {
        type_name: String,
        field_path: String,
    },
}

/// BTF held in memory (a few MiB for vmlinux).
struct BtfBytes(Vec<u8>);

impl Readable for BtfBytes {
    fn read(&self, offset: u64, buffer: &mut [u8]) -> btfparse::Result<()> {
        let start = usize::try_from(offset).ok();
        let slice = start
            .and_then(|start| self.0.get(start..start.checked_add(buffer.len())?))
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "read past the end of the BTF data",
                )
            })?;
        buffer.copy_from_slice(slice);
        Ok(())
    }
}

/// Reads the offsets from the BTF file at `path` (normally [`KERNEL_BTF_PATH`]).
pub fn kernel_offsets_from_file(path: &Path) -> Result<KernelOffsets, BtfError> {
    let display = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => BtfError::Missing {
            path: display.clone(),
        },
        _ => BtfError::Unreadable {
            path: display.clone(),
            source,
        },
    })?;
    kernel_offsets_from_bytes(bytes, &display)
}

pub fn kernel_offsets_from_bytes(bytes: Vec<u8>, origin: &str) -> Result<KernelOffsets, BtfError> {
    let types = TypeInformation::new(&BtfBytes(bytes)).map_err(|e| BtfError::Malformed {
        path: origin.to_string(),
        detail: format!("{e:?}"),
    })?;
    let field = |type_name: &str, field_path: &str| -> Result<(u32, u32), BtfError> {
        let missing = || BtfError::FieldMissing {
            type_name: type_name.to_string(),
            field_path: field_path.to_string(),
        };
        let id = types.id_of(type_name).ok_or_else(missing)?;
        let (member_type, offset) = types.offset_of(id, field_path).map_err(|_| missing())?;
        let (bit_offset, bits) = match offset {
            Offset::ByteOffset(bytes) => {
                let size = types.size_of(member_type).unwrap_or(0) as u32;
                (bytes * 8, size * 8)
            }
            Offset::BitOffsetAndSize(bit_offset, bits) => (bit_offset, bits),
        };
        Ok((bit_offset, bits))
    };
    let byte_offset = |type_name: &str, field_path: &str| -> Result<u32, BtfError> {
        let (bit_offset, _) = field(type_name, field_path)?;
        Ok(bit_offset / 8)
    };

    let (sock_protocol_bit_offset, sock_protocol_bits) = field("sock", "sk_protocol")?;
    // Only an optimisation rests on sk_kern_sock (kernels since 4.15 have it):
    // without it the programs treat every socket as possibly the kernel's.
    let sock_kern_sock_bit_offset = match field("sock", "sk_kern_sock") {
        Ok((bit_offset, 1)) => bit_offset,
        _ => NO_FIELD,
    };
    Ok(KernelOffsets {
        sk_buff_data: byte_offset("sk_buff", "data")?,
        sk_buff_len: byte_offset("sk_buff", "len")?,
        sock_protocol_bit_offset,
        sock_protocol_bits,
        sock_net: byte_offset("sock", "__sk_common.skc_net")?,
        net_ns_inum: byte_offset("net", "ns.inum")?,
        netlink_sock_portid: byte_offset("netlink_sock", "portid")?,
        sk_buff_cb: byte_offset("sk_buff", "cb")?,
        netlink_cb_portid: byte_offset("netlink_skb_parms", "portid")?,
        netlink_cb_dst_group: byte_offset("netlink_skb_parms", "dst_group")?,
        sock_kern_sock_bit_offset,
        _reserved: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The host kernel of every machine here has BTF: the lookup must work on it.
    #[test]
    fn offsets_resolve_on_this_machines_kernel() {
        let offsets = kernel_offsets_from_file(Path::new(KERNEL_BTF_PATH)).expect("host BTF");
        // Sanity bounds that hold on every x86_64 kernel since 4.x.
        assert!(
            offsets.sk_buff_len > 0 && offsets.sk_buff_len < 256,
            "{offsets:?}"
        );
        assert!(offsets.sk_buff_data > offsets.sk_buff_len, "{offsets:?}");
        assert!(
            offsets.sock_protocol_bits == 16 || offsets.sock_protocol_bits == 8,
            "{offsets:?}"
        );
        assert!(
            offsets.netlink_sock_portid >= 700,
            "portid follows struct sock: {offsets:?}"
        );
        assert!(offsets.net_ns_inum > 0, "{offsets:?}");
        // netlink_skb_parms lives in sk_buff::cb (48 bytes): portid after the
        // credentials, dst_group right after portid.
        assert!(offsets.sk_buff_cb > 0, "{offsets:?}");
        assert_eq!(
            offsets.netlink_cb_dst_group,
            offsets.netlink_cb_portid + 4,
            "{offsets:?}"
        );
        assert!(offsets.netlink_cb_dst_group + 4 <= 48, "{offsets:?}");
        // A bit inside struct sock, which netlink_sock's own fields follow.
        assert_ne!(offsets.sock_kern_sock_bit_offset, NO_FIELD, "{offsets:?}");
        assert!(
            offsets.sock_kern_sock_bit_offset / 8 < offsets.netlink_sock_portid,
            "{offsets:?}"
        );
    }

    #[test]
    fn a_missing_btf_file_says_so() {
        let error = kernel_offsets_from_file(Path::new("/nonexistent/vmlinux")).unwrap_err();
        assert!(matches!(error, BtfError::Missing { .. }));
        assert!(error.to_string().contains("CONFIG_DEBUG_INFO_BTF"));
    }

    #[test]
    fn garbage_btf_is_an_error_not_a_panic() {
        for bytes in [
            vec![],
            vec![0u8; 3],
            vec![0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert!(kernel_offsets_from_bytes(bytes, "test").is_err());
        }
    }
}
