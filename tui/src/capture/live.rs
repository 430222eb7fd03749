//! The live source: nlscope's eBPF programs attached to the running kernel's
//! netlink delivery functions, read through a ring buffer.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use aya::maps::{MapData, PerCpuArray, RingBuf};
use aya::programs::{FEntry, FExit, KProbe};
use aya::{Btf, Ebpf, EbpfLoader};
use nlscope_common::{
    AttachKind, Config, Filters, Hook, CONFIG_GLOBAL, EVENTS_MAP, LOST_MAP, MAX_SNAPLEN,
};

use super::assemble::Assembler;
use super::btf_offsets::{kernel_offsets_from_file, KERNEL_BTF_PATH};
use super::privileges::check_capture_privileges;
use super::{CaptureSource, CaptureSummary, EventSink, SourceEvent, SourceInfo, StopSignal};
use crate::netlink::nlctrl::{dump_families, Family};

/// The eBPF object built from `ebpf/` by `build.rs`, 8-byte aligned as ELF
/// parsing wants it (plain `include_bytes!` guarantees no alignment).
static EBPF_OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/nlscope.bpf.o"));

/// Messages per batch sent downstream: large enough to amortise the channel,
/// small enough that a view sees traffic within one frame.
const BATCH: usize = 1024;
/// How often the ring buffer is drained. The eBPF side writes without waking
/// the reader (a wakeup per message is the dominant cost at high rates), so
/// this interval bounds the latency; the 16 MiB ring holds far more than one
/// interval's worth of records at any rate the kernel can deliver.
///
/// The reader sleeps out the interval rather than poll()ing the ring: poll()
/// reports a ring that holds any data as readable at once, so a poll-driven
/// loop woke for every record or two at a steady message rate (a poll, a
/// channel send, a thread wakeup and a write per message), which cost the
/// guest benchmark's recorder a quarter of a CPU where tcpdump used 2%.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// How the programs attach to kernel functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AttachMode {
    /// fentry/fexit where the kernel has BPF trampolines, else kprobe/kretprobe.
    Auto,
    /// fentry/fexit (BPF trampolines; cheapest).
    Fentry,
    /// kprobe/kretprobe (any kernel with CONFIG_KPROBES).
    Kprobe,
}

impl AttachMode {
    pub fn name(self) -> &'static str {
        match self {
            AttachMode::Auto => "auto",
            AttachMode::Fentry => "fentry",
            AttachMode::Kprobe => "kprobe",
        }
    }

    /// The program kinds this mode attaches for each hook, entry first.
    fn kinds(self) -> [AttachKind; 2] {
        match self {
            AttachMode::Fentry => [AttachKind::Fentry, AttachKind::Fexit],
            AttachMode::Kprobe | AttachMode::Auto => [AttachKind::Kprobe, AttachKind::Kretprobe],
        }
    }
}

#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Payload bytes copied per message (1..=MAX_SNAPLEN).
    pub snaplen: u32,
    /// Bytes of the EVENTS ring buffer (a power of two).
    pub ring_size: u32,
    /// BTF to read struct layouts from (the running kernel's by default).
    pub btf_path: PathBuf,
    pub attach: AttachMode,
    /// In-kernel filters.
    pub filters: Filters,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            snaplen: nlscope_common::DEFAULT_SNAPLEN,
            ring_size: nlscope_common::DEFAULT_RING_SIZE,
            btf_path: PathBuf::from(KERNEL_BTF_PATH),
            attach: AttachMode::Auto,
            filters: Filters::default(),
        }
    }
}

/// Capture attached to the running kernel.
pub struct LiveSource {
    // Keeps programs, links and maps alive for as long as the source exists.
    _ebpf: Ebpf,
    events: RingBuf<MapData>,
    lost: PerCpuArray<MapData, u64>,
    mode: AttachMode,
    hooks: Vec<Hook>,
    /// The kernel's generic netlink families, asked before attaching and
    /// sent downstream first; or why they could not be listed.
    families: Result<Vec<Family>, String>,
    mono_to_wall_ns: i128,
}

/// Function names in /proc/kallsyms (text symbols only).
fn kernel_functions() -> HashSet<String> {
    std::fs::read_to_string("/proc/kallsyms")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, kind, name) = (fields.next()?, fields.next()?, fields.next()?);
            matches!(kind, "t" | "T").then(|| name.to_string())
        })
        .collect()
}

/// The hooks this kernel has a function for, always including netlink_unicast.
fn available_hooks(functions: &HashSet<String>) -> Vec<Hook> {
    Hook::ALL
        .into_iter()
        .filter(|hook| *hook == Hook::NetlinkUnicast || functions.contains(hook.symbol()))
        .collect()
}

/// Loads program `name` (see [`Hook::program`]) and attaches it to
/// `hook`'s function as `kind`; `btf` is the kernel's, for fentry/fexit.
fn attach_program(
    ebpf: &mut Ebpf,
    name: &str,
    hook: Hook,
    kind: AttachKind,
    btf: Option<&Btf>,
) -> anyhow::Result<()> {
    let symbol = hook.symbol();
    let program = ebpf
        .program_mut(name)
        .with_context(|| format!("program {name} missing from the eBPF object"))?;
    let btf = || btf.context("fentry/fexit programs need the kernel's BTF");
    match kind {
        AttachKind::Fentry => {
            let program: &mut FEntry = program.try_into()?;
            program.load(symbol, btf()?).map_err(|e| {
                anyhow::anyhow!("the kernel refused the fentry program for {symbol}: {e}; this kernel has no BPF trampoline (fentry) support for it")
            })?;
            program
                .attach()
                .with_context(|| format!("attaching fentry to {symbol}"))?;
        }
        AttachKind::Fexit => {
            let program: &mut FExit = program.try_into()?;
            program
                .load(symbol, btf()?)
                .with_context(|| format!("loading fexit for {symbol}"))?;
            program
                .attach()
                .with_context(|| format!("attaching fexit to {symbol}"))?;
        }
        AttachKind::Kprobe => {
            let program: &mut KProbe = program.try_into()?;
            program
                .load()
                .with_context(|| format!("loading the kprobe for {symbol}"))?;
            program.attach(symbol, 0).map_err(|e| {
                anyhow::anyhow!("attaching a kprobe to {symbol} failed: {e}; this kernel may lack CONFIG_KPROBES")
            })?;
        }
        AttachKind::Kretprobe => {
            let program: &mut KProbe = program.try_into()?;
            program
                .load()
                .with_context(|| format!("loading the kretprobe for {symbol}"))?;
            program
                .attach(symbol, 0)
                .with_context(|| format!("attaching a kretprobe to {symbol}"))?;
        }
    }
    Ok(())
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
        let hooks = available_hooks(&kernel_functions());
        // Asked before the programs attach, so nlscope's own query is not
        // in the capture.
        let families = dump_families().map_err(|error| format!("{error:#}"));
        let opened = match options.attach {
            AttachMode::Fentry => Self::open_with(options, offsets, &hooks, AttachMode::Fentry),
            AttachMode::Kprobe => Self::open_with(options, offsets, &hooks, AttachMode::Kprobe),
            AttachMode::Auto => Self::open_with(options, offsets, &hooks, AttachMode::Fentry).or_else(|fentry_error| {
                Self::open_with(options, offsets, &hooks, AttachMode::Kprobe).map_err(|kprobe_error| {
                    anyhow::anyhow!(
                        "this kernel cannot attach nlscope's programs: fentry failed ({fentry_error:#}) and kprobe failed ({kprobe_error:#}). \
                         Live capture needs BPF trampolines (fentry) or CONFIG_KPROBES; open a capture file instead (nlscope open FILE)"
                    )
                })
            }),
        };
        opened.map(|source| LiveSource { families, ..source })
    }

    /// Why the kernel's generic netlink families could not be listed, if
    /// they could not (the capture still works; their messages show ids
    /// until captured nlctrl traffic names them).
    pub fn families_error(&self) -> Option<&str> {
        self.families.as_ref().err().map(String::as_str)
    }

    fn open_with(
        options: &LiveOptions,
        offsets: nlscope_common::KernelOffsets,
        hooks: &[Hook],
        mode: AttachMode,
    ) -> anyhow::Result<LiveSource> {
        let snaplen = options.snaplen.clamp(1, MAX_SNAPLEN as u32);
        let config = Config {
            offsets,
            filters: options.filters,
            snaplen,
            _reserved: 0,
        };
        let mut ebpf = EbpfLoader::new()
            .override_global(CONFIG_GLOBAL, &config, true)
            .map_max_entries(EVENTS_MAP, options.ring_size)
            .load(EBPF_OBJECT)
            .context("loading nlscope's eBPF object into the kernel")?;

        // Kernel BTF, which fentry/fexit programs load against.
        let btf = match mode {
            AttachMode::Fentry => Some(
                Btf::parse_file(&options.btf_path, aya::Endianness::default())
                    .with_context(|| format!("parsing {}", options.btf_path.display()))?,
            ),
            AttachMode::Kprobe | AttachMode::Auto => None,
        };
        for hook in hooks {
            for kind in mode.kinds() {
                // No exit program where the return value is not wanted.
                if let Some(name) = hook.program(kind) {
                    attach_program(&mut ebpf, name, *hook, kind, btf.as_ref())?;
                }
            }
        }

        let events = RingBuf::try_from(ebpf.take_map(EVENTS_MAP).context("no EVENTS map")?)?;
        let lost = PerCpuArray::try_from(ebpf.take_map(LOST_MAP).context("no LOST map")?)?;
        Ok(LiveSource {
            _ebpf: ebpf,
            events,
            lost,
            mode,
            hooks: hooks.to_vec(),
            families: Ok(Vec::new()),
            mono_to_wall_ns: clock_ns(libc::CLOCK_REALTIME) - clock_ns(libc::CLOCK_MONOTONIC),
        })
    }

    /// The attach mode in use (never `Auto`).
    pub fn mode(&self) -> AttachMode {
        self.mode
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
            detail: format!("{} on {}", self.mode.name(), hooks.join(", ")),
        }
    }

    fn run(
        mut self: Box<Self>,
        sink: EventSink,
        stop: StopSignal,
    ) -> anyhow::Result<CaptureSummary> {
        let mut summary = CaptureSummary::default();
        if let Ok(families) = std::mem::replace(&mut self.families, Ok(Vec::new())) {
            if !families.is_empty() && sink.blocking_send(SourceEvent::Families(families)).is_err()
            {
                return Ok(summary);
            }
        }
        let mut assembler = Assembler::new(self.mono_to_wall_ns);
        let mut next_drain = Instant::now();
        loop {
            let stopping = stop.is_stopped();
            if !stopping {
                // One drain per interval, however busy the ring (see POLL_INTERVAL).
                next_drain += POLL_INTERVAL;
                let now = Instant::now();
                if next_drain > now {
                    std::thread::sleep(next_drain - now);
                } else {
                    next_drain = now;
                }
            }
            // Drain everything that is there, also once more after a stop so
            // nothing already captured is lost.
            while let Some(item) = self.events.next() {
                assembler.push_record(&item);
            }
            let mut ready = assembler.take_ready(clock_ns(libc::CLOCK_MONOTONIC) as u64, stopping);
            while !ready.is_empty() {
                // Hand the messages over in batches without copying them.
                let rest = ready.split_off(ready.len().min(BATCH));
                let batch = std::mem::replace(&mut ready, rest);
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

fn clock_ns(clock: libc::clockid_t) -> i128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// The program kind an ELF section of the object declares.
    fn attach_kind(section: &aya_obj::ProgramSection) -> Option<AttachKind> {
        use aya_obj::ProgramSection;
        match section {
            ProgramSection::FEntry { .. } => Some(AttachKind::Fentry),
            ProgramSection::FExit { .. } => Some(AttachKind::Fexit),
            ProgramSection::KProbe => Some(AttachKind::Kprobe),
            ProgramSection::KRetProbe => Some(AttachKind::Kretprobe),
            _ => None,
        }
    }

    #[test]
    fn program_names_match_the_ebpf_object() {
        assert!(
            !EBPF_OBJECT.is_empty(),
            "built with NLSCOPE_SKIP_EBPF=1: there is no eBPF object to check"
        );
        let object = aya_obj::Object::parse(EBPF_OBJECT).expect("the embedded eBPF object parses");
        // Every program the loader asks for, of the kind it loads it as, and nothing else.
        let in_object: BTreeMap<&str, Option<AttachKind>> = object
            .programs
            .iter()
            .map(|(name, program)| (name.as_str(), attach_kind(&program.section)))
            .collect();
        let loaded: BTreeMap<&str, Option<AttachKind>> = Hook::programs()
            .map(|(_, kind, name)| (name, Some(kind)))
            .collect();
        let missing: Vec<_> = loaded
            .iter()
            .filter(|(name, kind)| in_object.get(*name) != Some(kind))
            .collect();
        let extra: Vec<_> = in_object
            .keys()
            .filter(|name| !loaded.contains_key(*name))
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "programs the loader uses that the object lacks (or has as another kind): {missing:?}; \
             programs in the object the loader never uses: {extra:?}"
        );
        assert_eq!(in_object.len(), 16);
    }

    #[test]
    fn the_ebpf_object_is_embedded_aligned_for_elf_parsing() {
        assert_eq!(EBPF_OBJECT.as_ptr() as usize % 8, 0);
    }

    #[test]
    fn missing_kernel_functions_are_left_out_but_unicast_stays() {
        let functions: HashSet<String> = ["netlink_broadcast", "__netlink_sendskb"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            available_hooks(&functions),
            vec![
                Hook::NetlinkUnicast,
                Hook::NetlinkBroadcast,
                Hook::NetlinkSendSkb
            ]
        );
    }

    #[test]
    fn this_machines_kallsyms_lists_netlink_unicast() {
        // As root /proc/kallsyms names every function (addresses may be zero).
        assert!(kernel_functions().contains("netlink_unicast"));
    }
}
