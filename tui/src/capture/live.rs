//! The live source: nlscope's eBPF programs attached to the running kernel's
//! netlink delivery functions, read through a ring buffer.

use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use aya::maps::{MapData, PerCpuArray, RingBuf};
use aya::programs::FEntry;
use aya::{Btf, Ebpf, EbpfLoader};
use nlscope_common::{
    Config, Event, EventHeader, Hook, CONFIG_GLOBAL, EVENTS_MAP, LOST_MAP, MAX_SNAPLEN,
};

use super::btf_offsets::{kernel_offsets_from_file, KERNEL_BTF_PATH};
use super::privileges::check_capture_privileges;
use super::{CaptureSource, CaptureSummary, EventSink, SourceEvent, SourceInfo, StopSignal};
use crate::event::CapturedMessage;

/// The eBPF object built from `ebpf/` by `build.rs`.
static EBPF_OBJECT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/nlscope.bpf.o"));

/// Messages per batch sent downstream: large enough to amortise the channel,
/// small enough that a view sees traffic within one frame.
const BATCH: usize = 1024;
/// How long one poll of the ring buffer waits before checking the stop flag.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Payload bytes copied per message (1..=MAX_SNAPLEN).
    pub snaplen: u32,
    /// BTF to read struct layouts from (the running kernel's by default).
    pub btf_path: PathBuf,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            snaplen: nlscope_common::DEFAULT_SNAPLEN,
            btf_path: PathBuf::from(KERNEL_BTF_PATH),
        }
    }
}

/// Capture attached to the running kernel.
pub struct LiveSource {
    // Keeps programs, links and maps alive for as long as the source exists.
    _ebpf: Ebpf,
    events: RingBuf<MapData>,
    lost: PerCpuArray<MapData, u64>,
    hooks: Vec<Hook>,
    mono_to_wall_ns: i128,
}

impl LiveSource {
    /// Checks privileges and BTF, loads the programs and attaches them. Every
    /// failure comes back as an error whose first line says what to do.
    pub fn open(options: &LiveOptions) -> anyhow::Result<LiveSource> {
        if EBPF_OBJECT.is_empty() {
            anyhow::bail!("this nlscope was built with NLSCOPE_SKIP_EBPF=1 and has no eBPF programs: rebuild it without that variable to capture live");
        }
        check_capture_privileges().map_err(anyhow::Error::msg)?;
        let offsets = kernel_offsets_from_file(&options.btf_path)?;
        let snaplen = options.snaplen.clamp(1, MAX_SNAPLEN as u32);
        let config = Config {
            offsets,
            snaplen,
            _reserved: 0,
        };

        let mut ebpf = EbpfLoader::new()
            .override_global(CONFIG_GLOBAL, &config, true)
            .load(EBPF_OBJECT)
            .context("loading nlscope's eBPF object into the kernel")?;
        let btf = Btf::parse_file(&options.btf_path, aya::Endianness::default())
            .with_context(|| format!("parsing {}", options.btf_path.display()))?;

        let hook = Hook::NetlinkUnicast;
        let program: &mut FEntry = ebpf
            .program_mut(hook.symbol())
            .context("the embedded eBPF object has no netlink_unicast program")?
            .try_into()?;
        program.load(hook.symbol(), &btf).map_err(|e| {
            anyhow::anyhow!(
                "the kernel refused the fentry program for {}: {e}. This kernel has no BPF trampoline (fentry) support for it; \
                 nlscope needs CONFIG_FUNCTION_TRACER and BPF trampolines (x86_64 or arm64, 5.5 or newer)",
                hook.symbol()
            )
        })?;
        program
            .attach()
            .map_err(|e| anyhow::anyhow!("attaching to {} failed: {e}", hook.symbol()))?;

        let events = RingBuf::try_from(ebpf.take_map(EVENTS_MAP).context("no EVENTS map")?)?;
        let lost = PerCpuArray::try_from(ebpf.take_map(LOST_MAP).context("no LOST map")?)?;
        Ok(LiveSource {
            _ebpf: ebpf,
            events,
            lost,
            hooks: vec![hook],
            mono_to_wall_ns: mono_to_wall_offset_ns(),
        })
    }

    fn lost_total(&self) -> u64 {
        self.lost
            .get(&0, 0)
            .map(|values| values.iter().sum())
            .unwrap_or(0)
    }
}

impl CaptureSource for LiveSource {
    fn info(&self) -> SourceInfo {
        let hooks: Vec<&str> = self.hooks.iter().map(|h| h.symbol()).collect();
        SourceInfo {
            kind: "live",
            detail: format!("fentry on {}", hooks.join(", ")),
        }
    }

    fn run(
        mut self: Box<Self>,
        sink: EventSink,
        stop: StopSignal,
    ) -> anyhow::Result<CaptureSummary> {
        let mut summary = CaptureSummary::default();
        let fd = self.events.as_raw_fd();
        loop {
            let stopping = stop.is_stopped();
            if !stopping {
                let mut pollfd = libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd that lives across the call.
                unsafe { libc::poll(&mut pollfd, 1, POLL_INTERVAL.as_millis() as i32) };
            }
            // Drain everything that is there, also once more after a stop so
            // nothing already captured is lost.
            let mut batch = Vec::new();
            while let Some(item) = self.events.next() {
                if let Some(message) = message_from_ring(&item, self.mono_to_wall_ns) {
                    batch.push(message);
                }
                if batch.len() >= BATCH {
                    summary.messages += batch.len() as u64;
                    if sink
                        .blocking_send(SourceEvent::Messages(std::mem::take(&mut batch)))
                        .is_err()
                    {
                        return Ok(summary);
                    }
                }
            }
            if !batch.is_empty() {
                summary.messages += batch.len() as u64;
                if sink.blocking_send(SourceEvent::Messages(batch)).is_err() {
                    return Ok(summary);
                }
            }
            let lost = self.lost_total();
            if lost != summary.lost {
                summary.lost = lost;
                let _ = sink.blocking_send(SourceEvent::Lost { total: lost });
            }
            if stopping {
                return Ok(summary);
            }
        }
    }
}

/// CLOCK_REALTIME - CLOCK_MONOTONIC, to turn bpf_ktime_get_ns() into wall time.
fn mono_to_wall_offset_ns() -> i128 {
    fn now(clock: libc::clockid_t) -> i128 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec we own.
        unsafe { libc::clock_gettime(clock, &mut ts) };
        i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec)
    }
    now(libc::CLOCK_REALTIME) - now(libc::CLOCK_MONOTONIC)
}

/// Turns one ring-buffer record into a message; `None` for a short record.
pub fn message_from_ring(bytes: &[u8], mono_to_wall_ns: i128) -> Option<CapturedMessage> {
    let header_size = std::mem::size_of::<EventHeader>();
    if bytes.len() < header_size {
        return None;
    }
    // SAFETY: the length was checked; EventHeader is plain integers (any bit
    // pattern is valid) and read_unaligned copes with any alignment.
    let header: EventHeader =
        unsafe { std::ptr::read_unaligned(bytes.as_ptr() as *const EventHeader) };
    let payload_end = header_size + (header.cap_len as usize).min(MAX_SNAPLEN);
    let payload = bytes
        .get(header_size..payload_end.min(bytes.len()))?
        .to_vec();
    debug_assert!(bytes.len() <= std::mem::size_of::<Event>());
    let comm_len = header
        .comm
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(header.comm.len());
    Some(CapturedMessage {
        ts_mono_ns: header.ts_mono_ns,
        ts_wall_ns: (i128::from(header.ts_mono_ns) + mono_to_wall_ns).max(0) as u64,
        pid: header.tgid,
        tid: header.tid,
        comm: String::from_utf8_lossy(&header.comm[..comm_len]).into_owned(),
        netns: header.netns_ino,
        protocol: header.protocol,
        src_port: header.src_portid,
        dst_port: header.dst_portid,
        dst_group: header.dst_group,
        len: header.len,
        hook: Hook::from_u32(header.hook).map_or_else(
            || format!("hook{}", header.hook),
            |h| h.symbol().to_string(),
        ),
        result: None,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(cap_len: u32, payload: &[u8]) -> Vec<u8> {
        let mut comm = [0u8; 16];
        comm[..6].copy_from_slice(b"client");
        let header = EventHeader {
            ts_mono_ns: 1_000,
            tgid: 7,
            tid: 8,
            netns_ino: 9,
            protocol: 30,
            src_portid: 100,
            dst_portid: 0,
            dst_group: 0,
            len: 29,
            cap_len,
            hook: Hook::NetlinkUnicast as u32,
            comm,
        };
        let mut bytes = vec![0u8; std::mem::size_of::<EventHeader>()];
        // SAFETY: bytes has exactly the header's size.
        unsafe { std::ptr::write_unaligned(bytes.as_mut_ptr() as *mut EventHeader, header) };
        bytes.extend_from_slice(payload);
        bytes
    }

    #[test]
    fn ring_records_become_messages() {
        let message = message_from_ring(&record(3, b"abcdef"), 500).unwrap();
        assert_eq!(message.payload, b"abc");
        assert_eq!(message.comm, "client");
        assert_eq!(message.ts_wall_ns, 1_500);
        assert_eq!(message.hook, "netlink_unicast");
        assert_eq!(
            (message.pid, message.tid, message.protocol, message.src_port),
            (7, 8, 30, 100)
        );
    }

    #[test]
    fn short_or_lying_records_do_not_panic() {
        assert!(message_from_ring(&[0u8; 10], 0).is_none());
        // cap_len larger than the bytes present: only what is there is taken.
        let message = message_from_ring(&record(4000, b"xy"), 0).unwrap();
        assert_eq!(message.payload, b"xy");
    }
}
