//! A live capture through the dashboard with a memory budget: 5,000,000
//! synthetic messages (the test corpus repeated) go through the App in
//! source-sized batches, a 160x48 frame drawn every 32 batches, the store
//! within a 256 MiB budget as the dashboard's `--memory 256M` shares it
//! (half for the bytes held, which spill to a pcapng under the target
//! directory; half for the index, whose oldest pages go to a temporary
//! file). Prints, every 500,000 messages, the bytes held, the index pages
//! on disk and the process's RSS, and at the end selects the first message
//! and reads its bytes back.
//!
//! `cargo bench -p nlscope --bench spill [-- N [BUDGET_MIB]]`

use std::path::{Path, PathBuf};
use std::time::Instant;

use nlscope::store::spill::Spill;
use nlscope::store::Store;
use nlscope::ui::app::App;
use nlscope::ui::{Action, SourceStatus};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

#[path = "../tests/support/messages.rs"]
mod corpus;

const BATCH: usize = 1024;
const BATCHES_PER_FRAME: usize = 32;

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let total = args.first().copied().unwrap_or(5_000_000) as usize;
    let budget = args.get(1).copied().unwrap_or(256) * 1024 * 1024;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("bench-spill.pcapng");
    let (bytes, index) = nlscope::store::spill::split_budget(budget);
    let spill = Spill::to_file(&path, bytes).expect("creating the spill file");
    let status = SourceStatus {
        kind: "live".into(),
        detail: "synthetic corpus".into(),
        ended: None,
    };
    let store = Store::new(usize::MAX)
        .with_index_budget(index)
        .with_spill(spill);
    let mut app = App::new(store, status);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("test backend");
    app.update(Action::Resize {
        width: 160,
        height: 48,
    });
    let mut stream = corpus::stream(total);
    let started = Instant::now();
    let mut batches = 0;
    let mut ingested = 0;
    loop {
        let batch: Vec<_> = stream.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        ingested += batch.len();
        app.ingest(batch);
        batches += 1;
        if batches % BATCHES_PER_FRAME == 0 {
            app.tick();
            terminal
                .draw(|frame| app.render(frame))
                .expect("drawing into memory");
        }
        if ingested % 500_000 < BATCH {
            println!(
                "{ingested:>9} messages: {:.1} MiB held (budget {:.0} MiB), {} index pages on disk, RSS {:.1} MiB, {} evicted",
                mib(app.store.held_bytes()),
                mib(bytes),
                app.store.index_pages_on_disk(),
                status_kib("VmRSS:") as f64 / 1024.0,
                app.store.evicted()
            );
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{total} messages in {elapsed:.1} s = {:.0} msgs/s; spill file {:.0} MB; peak RSS (VmHWM) {:.1} MiB",
        total as f64 / elapsed,
        std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6),
        status_kib("VmHWM:") as f64 / 1024.0
    );
    app.update(Action::Top);
    app.tick();
    terminal
        .draw(|frame| app.render(frame))
        .expect("drawing into memory");
    let first = corpus::stream(1).next().expect("a message");
    let selected = app.selected_event().map(|e| e.seq);
    println!(
        "selected #{selected:?}: {} bytes shown, the same as sent: {}",
        app.selected_payload().len(),
        app.selected_payload() == &first.payload[..]
    );
}
