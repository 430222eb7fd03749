//! Options of every live capture, shared by the front ends that start one
//! (`nlscope record`, the dashboard, `nlscope agent`), and where the YNL
//! specs come from: a leaf, so that the command line (`cli`) and the
//! agent's command (`agent::command`) both import it and neither imports
//! the other for it.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use crate::capture::live::{AttachMode, LiveOptions};
use crate::ynl::{SpecError, Specs};

/// Options of every live capture (record, the dashboard, the agent).
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// How to attach to kernel functions: fentry/fexit (BPF trampolines) or
    /// kprobe/kretprobe; auto tries fentry first.
    #[arg(long, value_enum, default_value_t = AttachMode::Auto)]
    pub attach: AttachMode,
    /// Only this netlink protocol (a name such as route, generic, audit, or a number).
    #[arg(long, value_parser = crate::netlink::names::parse_protocol)]
    pub protocol: Option<u32>,
    /// Only messages sent while this process (tgid) was running.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Only this network namespace (its inode, as in `ls -l /proc/PID/ns/net`).
    #[arg(long)]
    pub netns: Option<u32>,
    /// Only messages from or to this port id.
    #[arg(long)]
    pub port: Option<u32>,
    #[arg(long, default_value_t = nlscope_common::DEFAULT_SNAPLEN, help = snaplen_help(),
          value_parser = clap::value_parser!(u32).range(1..=nlscope_common::MAX_SNAPLEN as i64))]
    pub snaplen: u32,
    /// Size of the kernel's ring buffer between the eBPF programs and nlscope
    /// (bytes, or with K, M or G; a power of two, 256K to 1G). A larger ring
    /// absorbs longer bursts of big dumps; what still does not fit is counted
    /// as lost, never dropped silently.
    #[arg(long, default_value = "16M", value_parser = parse_ring_size)]
    pub ring_size: u32,
    /// Kernel BTF to read struct layouts from.
    #[arg(long, env = "NLSCOPE_BTF", default_value = crate::capture::btf_offsets::KERNEL_BTF_PATH)]
    pub btf: PathBuf,
}

impl LiveArgs {
    /// The in-kernel filters these options ask for.
    pub fn filters(&self) -> nlscope_common::Filters {
        let any = nlscope_common::ANY;
        nlscope_common::Filters {
            protocol: self.protocol.unwrap_or(any),
            pid: self.pid.unwrap_or(any),
            netns: self.netns.unwrap_or(any),
            port: self.port.unwrap_or(any),
        }
    }

    /// Everything [`LiveSource::open`] needs.
    pub fn options(&self) -> LiveOptions {
        LiveOptions {
            snaplen: self.snaplen,
            ring_size: self.ring_size,
            btf_path: self.btf.clone(),
            attach: self.attach,
            filters: self.filters(),
        }
    }
}

/// `--snaplen`'s help, with the limits of the capture engine (not written
/// out here, so they cannot go stale).
pub fn snaplen_help() -> String {
    format!(
        "Opt-in cap on the payload bytes kept per message (1 to {}); by default \
         messages are kept whole (up to {} bytes). A message longer than the cap \
         is kept cut, and marked cut wherever it is shown or written.",
        nlscope_common::MAX_SNAPLEN,
        nlscope_common::DEFAULT_SNAPLEN
    )
}

/// `--ring-size`: bytes, or a number with K, M or G (powers of 1024). The
/// kernel wants a power of two that is a multiple of the page size; the
/// smallest accepted still holds a few whole 64 KiB datagrams.
pub fn parse_ring_size(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let multiplier: u64 = match unit.to_ascii_uppercase().as_str() {
        "" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("`{text}`: give a size such as 16M or 1048576")),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}`: give a size such as 16M or 1048576"))?;
    let bytes = number.saturating_mul(multiplier);
    if !(256 << 10..=1 << 30).contains(&bytes) {
        return Err(format!("`{text}`: the ring must be 256K to 1G"));
    }
    if !bytes.is_power_of_two() {
        return Err(format!(
            "`{text}`: the ring's size must be a power of two (such as 8M, 16M, 32M)"
        ));
    }
    Ok(bytes as u32)
}

#[cfg(test)]
mod tests {
    use super::parse_ring_size;

    #[test]
    fn ring_sizes_take_units_and_must_be_powers_of_two_in_range() {
        assert_eq!(parse_ring_size("16M"), Ok(16 << 20));
        assert_eq!(parse_ring_size("256k"), Ok(256 << 10));
        assert_eq!(parse_ring_size("1G"), Ok(1 << 30));
        assert_eq!(parse_ring_size("1048576"), Ok(1 << 20));
        for bad in [
            "",
            "M",
            "12M",
            "128K",
            "2G",
            "16X",
            "-1M",
            "99999999999999999999",
        ] {
            assert!(parse_ring_size(bad).is_err(), "{bad}");
        }
    }
}

/// Where YNL specs are read from besides the built-in ones, when present:
/// where the kernel's `ynl` tool installs them.
pub const SYSTEM_SPEC_DIR: &str = "/usr/share/ynl/specs";

/// The YNL specs every front end that decodes uses.
#[derive(Clone, Debug, Default, Args)]
pub struct SpecArgs {
    /// A directory of YNL specs (*.yaml) to decode with besides the kernel's
    /// built-in ones (a spec there replaces the built-in one of its family).
    /// Repeatable; NLSCOPE_SPEC_DIR takes a colon-separated list. /usr/share/ynl/specs
    /// is read too when it exists, before these.
    #[arg(
        long = "spec-dir",
        value_name = "DIR",
        env = "NLSCOPE_SPEC_DIR",
        value_delimiter = ':'
    )]
    pub spec_dirs: Vec<PathBuf>,
}

impl SpecArgs {
    /// The directories to read, in order (a later spec replaces an earlier
    /// one of the same family): the system's, then the user's.
    pub fn dirs(&self) -> Vec<PathBuf> {
        let system = PathBuf::from(SYSTEM_SPEC_DIR);
        let mut dirs = Vec::new();
        if system.is_dir() && !self.spec_dirs.contains(&system) {
            dirs.push(system);
        }
        dirs.extend(
            self.spec_dirs
                .iter()
                .filter(|d| !d.as_os_str().is_empty())
                .cloned(),
        );
        dirs
    }

    /// The specs: the built-in set alone (shared by the whole process) when
    /// no directory adds any, and what did not load (the rest did).
    pub fn load(&self) -> (Arc<Specs>, Vec<SpecError>) {
        let dirs = self.dirs();
        if dirs.is_empty() {
            return (Specs::builtin(), Vec::new());
        }
        let mut specs = Specs::with_builtin();
        let errors = dirs.iter().flat_map(|dir| specs.add_dir(dir)).collect();
        (Arc::new(specs), errors)
    }

    /// [`load`](Self::load), each error a warning on stderr: a broken spec
    /// is one line naming its file and place, and decoding goes on with
    /// the others.
    pub fn load_warning(&self) -> Arc<Specs> {
        let (specs, errors) = self.load();
        for error in errors {
            eprintln!("nlscope: warning: spec {error} (not used; the other specs are)");
        }
        specs
    }
}
