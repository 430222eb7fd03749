//! Ingest + filter + render throughput: 1,000,000 synthetic messages go
//! through the dashboard's App (decode at ingest, the bounded store, a filter)
//! in source-sized batches, with a frame drawn into a TestBackend after every
//! batch. Prints messages per second and peak RSS (VmHWM).
//!
//! `cargo bench -p nlscope --bench ingest [-- N]`

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
    let total: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(1_000_000);
    let baseline = peak_rss_kib().unwrap_or(0);
    let mut app = App::new(
        Store::new(DEFAULT_MAX_EVENTS),
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
    match peak_rss_kib() {
        Some(peak) => println!(
            "peak RSS (VmHWM): {:.1} MiB (at start {:.1} MiB)",
            peak as f64 / 1024.0,
            baseline as f64 / 1024.0
        ),
        None => println!("peak RSS: /proc/self/status has no VmHWM"),
    }
}
