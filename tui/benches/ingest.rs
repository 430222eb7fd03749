//! Ingest + filter + render throughput: 1,000,000 synthetic messages go
//! through the dashboard's App (decode at ingest, pairing, the bounded
//! store, a filter) in source-sized batches, with a frame drawn into a
//! TestBackend after every batch. Prints messages per second and peak RSS
//! (VmHWM).
//!
//! `cargo bench -p nlscope --bench ingest [-- N] [-- pairing|no-pairing]`:
//! with neither mode, the bench runs itself twice per mode, alternately
//! (without pairing, with, without, with), each run a process of its own
//! so that each peak is its own, and prints the ratios.

use std::process::Command;
use std::time::Instant;

use nlscope::store::{Store, DEFAULT_MAX_EVENTS};

#[path = "../tests/support/messages.rs"]
mod corpus;
use nlscope::ui::app::App;
use nlscope::ui::{Action, SourceStatus};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const BATCH: usize = 1024;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total: usize = args
        .iter()
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(1_000_000);
    match args
        .iter()
        .find(|arg| *arg == "pairing" || *arg == "no-pairing")
    {
        Some(mode) => run(total, mode == "pairing"),
        None => compare(total),
    }
}

/// Runs this bench as a child per mode, twice each, and prints the ratios
/// of the two modes' rates and peaks.
fn compare(total: usize) {
    let exe = std::env::current_exe().expect("the bench's own path");
    let mut rates = [Vec::new(), Vec::new()];
    let mut peaks = [Vec::new(), Vec::new()];
    for round in 0..4 {
        let pairing = round % 2 == 1;
        let mode = if pairing { "pairing" } else { "no-pairing" };
        let output = Command::new(&exe)
            .arg(total.to_string())
            .arg(mode)
            .output()
            .expect("running the bench again");
        let text = String::from_utf8_lossy(&output.stdout);
        print!("[{mode}]\n{text}");
        let number = |prefix: &str, unit: &str| -> Option<f64> {
            let line = text.lines().find(|line| line.contains(prefix))?;
            let at = line.find(prefix)? + prefix.len();
            line[at..].trim().split(unit).next()?.trim().parse().ok()
        };
        if let Some(rate) = number(" = ", "msgs/s") {
            rates[usize::from(pairing)].push(rate);
        }
        if let Some(peak) = number("peak RSS (VmHWM): ", "MiB") {
            peaks[usize::from(pairing)].push(peak);
        }
    }
    let best = |values: &[f64], pick: fn(f64, f64) -> f64| values.iter().copied().reduce(pick);
    if let (Some(without), Some(with)) = (best(&rates[0], f64::max), best(&rates[1], f64::max)) {
        println!(
            "best rates: {without:.0} msgs/s without pairing, {with:.0} with: ratio {:.3}",
            with / without
        );
    }
    if let (Some(without), Some(with)) = (best(&peaks[0], f64::min), best(&peaks[1], f64::min)) {
        println!(
            "lowest peaks: {without:.1} MiB without pairing, {with:.1} MiB with: ratio {:.3}",
            with / without
        );
    }
}

fn run(total: usize, pairing: bool) {
    let baseline = peak_rss_kib().unwrap_or(0);
    let store = Store::new(DEFAULT_MAX_EVENTS);
    let store = if pairing {
        store
    } else {
        store.without_pairing()
    };
    let mut app = App::new(
        store,
        SourceStatus {
            kind: "bench".into(),
            detail: "synthetic corpus".into(),
            ended: None,
        },
    );
    app.apply_filter("proto:route result:ok")
        .expect("the bench filter parses");
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("test backend");
    app.update(Action::Resize {
        width: 160,
        height: 48,
    });

    let mut stream = corpus::stream(total);
    let mut frames = 0u64;
    let started = Instant::now();
    loop {
        let batch: Vec<_> = stream.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        app.ingest(batch);
        app.tick();
        terminal
            .draw(|frame| app.render(frame))
            .expect("drawing into memory");
        frames += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let store = &app.store;
    println!(
        "ingest+filter+render: {total} messages in {elapsed:.2} s = {:.0} msgs/s ({frames} frames at 160x48, {:.0} frames/s)",
        total as f64 / elapsed,
        frames as f64 / elapsed
    );
    println!(
        "store: {} kept (max {}), {} evicted, {} matching `{}`",
        store.len(),
        store.capacity(),
        store.evicted(),
        store.matching_len(),
        store.filter().source
    );
    if let Some(transactions) = store.transactions() {
        let counts = transactions.counts();
        println!(
            "pairing: {} transactions opened, {} closed, {} kept, {} pending, {} orphan replies",
            counts.opened,
            counts.closed,
            transactions.len(),
            transactions.pending_len(),
            counts.orphans
        );
    }
    match peak_rss_kib() {
        Some(peak) => println!(
            "peak RSS (VmHWM): {:.1} MiB (at start {:.1} MiB)",
            peak as f64 / 1024.0,
            baseline as f64 / 1024.0
        ),
        None => println!("peak RSS: /proc/self/status has no VmHWM"),
    }
}
