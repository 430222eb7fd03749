//! Opening a capture file in the dashboard: how fast the file is indexed,
//! how soon the first screen is drawn, and the peak memory, against
//! `tshark -r FILE -q` on the same file in the same run.
//!
//! `cargo bench -p nlscope --bench open [-- N...]` (default: 1,000,000 and
//! 10,000,000): for each N, generates a pcapng of N synthetic messages (the
//! test corpus repeated, as `nlscope record` writes it) under the target
//! directory, unless it is there already, then runs the dashboard's open
//! path in a process of its own (the file source made indexed, the pump,
//! the App ingesting each batch, a 160x48 frame drawn into a TestBackend
//! for every 32 batches, as the event loop does), then tshark, and prints
//! each one's peak RSS (wait4's ru_maxrss) and their ratio. At the end the
//! first message is selected and its bytes read back from the file.
//!
//! The store keeps its index within `nlscope open`'s default memory
//! budget ([`nlscope::ui::OPEN_MEMORY_BUDGET`]), the rest of it on disk;
//! `-- memory=SIZE` sets another (`memory=4G`: all of it in memory, as a
//! baseline). `-- no-pairing` runs the dashboard's store without pairing
//! too, to show what pairing's transactions add. `-- child FILE [no-pairing]
//! [memory=SIZE]` is the measured process itself.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use nlscope::capture::file::FileSource;
use nlscope::capture::{IndexedBatch, StopSignal};
use nlscope::format::pcapng::PcapngWriter;
use nlscope::runtime::{pump, Consumer, Flow, SourceOutcome};
use nlscope::store::Store;
use nlscope::ui::app::App;
use nlscope::ui::{Action, SourceStatus};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

#[path = "../tests/support/messages.rs"]
mod corpus;

/// Batches ingested between two frames (the event loop's budget).
const BATCHES_PER_FRAME: usize = 32;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let memory = args
        .iter()
        .find_map(|arg| arg.strip_prefix("memory="))
        .map(|size| nlscope::store::spill::parse_size(size).expect("memory=SIZE"))
        .unwrap_or(nlscope::ui::OPEN_MEMORY_BUDGET);
    if let Some(at) = args.iter().position(|arg| arg == "child") {
        let path = args.get(at + 1).expect("child FILE");
        let pairing = !args.iter().any(|arg| arg == "no-pairing");
        return child(Path::new(path), pairing, memory);
    }
    let without_pairing = args.iter().any(|arg| arg == "no-pairing");
    let mut sizes: Vec<usize> = args.iter().filter_map(|arg| arg.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![1_000_000, 10_000_000];
    }
    for total in sizes {
        compare(total, without_pairing, memory);
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The generated capture of `total` messages (written once, then reused).
fn capture_of(total: usize) -> PathBuf {
    let path = target_dir().join(format!("bench-open-{total}.pcapng"));
    let done = path.with_extension("pcapng.done");
    if done.exists() && path.exists() {
        return path;
    }
    let started = Instant::now();
    let file = std::fs::File::create(&path).expect("creating the bench capture");
    let mut writer =
        PcapngWriter::new(std::io::BufWriter::with_capacity(1 << 20, file)).expect("pcapng header");
    for message in corpus::stream(total) {
        writer.write(&message).expect("writing the bench capture");
    }
    writer.flush().expect("flushing the bench capture");
    drop(writer);
    std::fs::write(&done, b"").expect("marking the bench capture complete");
    println!(
        "generated {} ({total} messages, {:.0} MB) in {:.1} s",
        path.display(),
        size_mb(&path),
        started.elapsed().as_secs_f64()
    );
    path
}

fn size_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1e6)
}

/// Runs `command` to its end; its wall time in seconds and peak RSS in MiB.
fn measure(command: &mut Command) -> (f64, f64, String) {
    let started = Instant::now();
    // Waited for below with wait4, which reports its peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starting a measured process");
    let pid = child.id() as libc::pid_t;
    let output = {
        use std::io::Read;
        let mut text = String::new();
        if let Some(mut stdout) = child.stdout {
            let _ = stdout.read_to_string(&mut text);
        }
        text
    };
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, whose pid we hold.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let seconds = started.elapsed().as_secs_f64();
    (seconds, usage.ru_maxrss as f64 / 1024.0, output)
}

fn compare(total: usize, without_pairing: bool, memory: u64) {
    let path = capture_of(total);
    let exe = std::env::current_exe().expect("the bench's own path");
    println!(
        "== {total} messages, {} ({:.0} MB)",
        path.display(),
        size_mb(&path)
    );
    let memory_arg = format!("memory={memory}");
    let (seconds, nlscope_mib, output) =
        measure(Command::new(&exe).arg("child").arg(&path).arg(&memory_arg));
    print!("{output}");
    println!(
        "nlscope open (indexing, headless, index budget {} MiB): {seconds:.2} s, peak RSS {nlscope_mib:.1} MiB",
        memory >> 20
    );
    if without_pairing {
        let (seconds, peak, output) = measure(
            Command::new(&exe)
                .arg("child")
                .arg(&path)
                .arg("no-pairing")
                .arg(&memory_arg),
        );
        print!("{output}");
        println!("nlscope open without pairing: {seconds:.2} s, peak RSS {peak:.1} MiB");
    }
    let (seconds, tshark_mib, _) = measure(Command::new("tshark").arg("-r").arg(&path).arg("-q"));
    println!("tshark -r FILE -q: {seconds:.2} s, peak RSS {tshark_mib:.1} MiB");
    println!(
        "peak RSS per million messages: nlscope {:.1} MiB, tshark {:.1} MiB; nlscope/tshark {:.3}",
        nlscope_mib * 1e6 / total as f64,
        tshark_mib * 1e6 / total as f64,
        nlscope_mib / tshark_mib
    );
}

/// The dashboard's side of the pump, headless: each batch into the App, a
/// frame every [`BATCHES_PER_FRAME`] batches.
struct Dashboard {
    app: App,
    terminal: Terminal<TestBackend>,
    started: Instant,
    batches: usize,
    first_screen: Option<f64>,
}

impl Dashboard {
    fn draw(&mut self) {
        self.app.tick();
        let app = &self.app;
        self.terminal
            .draw(|frame| app.render(frame))
            .expect("drawing into memory");
    }
}

impl Consumer for Dashboard {
    fn messages(&mut self, batch: Vec<nlscope::event::CapturedMessage>) -> Flow {
        self.app.ingest(batch);
        Flow::Continue
    }
    fn indexed(&mut self, batch: IndexedBatch) -> Flow {
        self.app.update(Action::IngestIndexed(batch));
        if self.batches.is_multiple_of(BATCHES_PER_FRAME) {
            self.draw();
            self.first_screen
                .get_or_insert(self.started.elapsed().as_secs_f64());
        }
        self.batches += 1;
        Flow::Continue
    }
}

fn child(path: &Path, pairing: bool, memory: u64) {
    let status = SourceStatus {
        kind: "file".into(),
        detail: path.display().to_string(),
        ended: None,
    };
    let mut dashboard = Dashboard {
        app: App::new(
            if pairing {
                Store::new(usize::MAX).with_index_budget(memory)
            } else {
                Store::new(usize::MAX)
                    .without_pairing()
                    .with_index_budget(memory)
            },
            status,
        ),
        terminal: Terminal::new(TestBackend::new(160, 48)).expect("test backend"),
        started: Instant::now(),
        batches: 0,
        first_screen: None,
    };
    dashboard.app.update(Action::Resize {
        width: 160,
        height: 48,
    });
    let source = Box::new(FileSource::new(path).indexed());
    let outcome = pump(source, &mut dashboard, StopSignal::new());
    let elapsed = dashboard.started.elapsed().as_secs_f64();
    if let SourceOutcome::Failed(error) = &outcome {
        println!("the source failed: {error:#}");
    }
    dashboard.draw();
    let store = &dashboard.app.store;
    println!(
        "indexed {} messages in {elapsed:.2} s = {:.0} msgs/s; first screen after {:.3} s",
        store.len(),
        store.len() as f64 / elapsed,
        dashboard.first_screen.unwrap_or(f64::NAN)
    );
    println!(
        "index pages on disk: {} of about {}",
        store.index_pages_on_disk(),
        store.len().div_ceil(nlscope::store::paged::PAGE)
    );
    let first = store.iter().next().expect("a message");
    let bytes = store.payload(&first).expect("the first message's bytes");
    println!(
        "first message: {} bytes read back from the file ({} in the index)",
        bytes.len(),
        first.message.captured
    );
    println!(
        "size of a stored message: {} bytes",
        std::mem::size_of::<nlscope::store::Stored>()
    );
}
