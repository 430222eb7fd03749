//! The dashboard on a file it indexes instead of loading: the header while
//! indexing, the panes reading the selected message back from the file.

use std::sync::Arc;

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::capture::{IndexProgress, IndexedBatch};
use crate::format::pcapng::PcapngWriter;
use crate::format::read::read_capture_file_indexed;
use crate::format::record::RecordFile;
use crate::store::{corpus, Store};
use crate::ui::app::{Action, App, SourceStatus};

/// The corpus written to `path` as a pcapng, and its messages with where
/// their records are.
fn corpus_file(path: &std::path::Path) -> IndexedBatch {
    file_of(path, corpus::messages())
}

/// `messages` written to `path` as a pcapng, and read back indexed.
fn file_of(
    path: &std::path::Path,
    messages: impl IntoIterator<Item = crate::event::CapturedMessage>,
) -> IndexedBatch {
    let mut writer = PcapngWriter::new(Vec::new()).unwrap();
    for message in messages {
        writer.write(&message).unwrap();
    }
    std::fs::write(path, writer.into_inner()).unwrap();
    let mut messages = Vec::new();
    read_capture_file_indexed(path, |message, at, _| messages.push((message, at)));
    let file_size = std::fs::metadata(path).unwrap().len();
    IndexedBatch {
        file: Arc::new(RecordFile::open(path).unwrap()),
        progress: IndexProgress {
            bytes_read: file_size,
            file_size,
            messages: messages.len() as u64,
        },
        messages,
    }
}

fn screen(app: &mut App, width: u16, height: u16) -> String {
    app.update(Action::Resize { width, height });
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    app.tick();
    terminal.draw(|frame| app.render(frame)).unwrap();
    terminal.backend().to_string()
}

fn opening() -> SourceStatus {
    SourceStatus {
        kind: "file".into(),
        detail: "corpus.pcapng".into(),
        ended: None,
    }
}

#[test]
fn snapshot_the_header_while_a_file_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let mut batch = corpus_file(&dir.path().join("corpus.pcapng"));
    // The first six messages of ten, as if the rest were still to come.
    batch.messages.truncate(6);
    let last = batch.messages.last().unwrap().1;
    batch.progress.bytes_read = last.offset + u64::from(last.len);
    batch.progress.messages = 6;
    for (width, height) in [(80, 24), (160, 48)] {
        let mut app = App::new(Store::new(usize::MAX), opening());
        app.update(Action::IngestIndexed(batch.clone()));
        let text = screen(&mut app, width, height);
        assert!(text.contains("indexing ["), "{text}");
        insta::assert_snapshot!(format!("indexing_{width}x{height}"), text);
    }
}

#[test]
fn the_panes_read_the_selected_message_back_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.pcapng");
    let batch = corpus_file(&path);
    let expected = corpus::messages();
    let mut app = App::new(Store::new(usize::MAX), opening());
    app.update(Action::IngestIndexed(batch));
    app.update(Action::SourceEnded(
        crate::ui::action::SourceEnd::Finished { lost: 0 },
    ));
    let text = screen(&mut app, 160, 48);
    assert!(!text.contains("indexing ["), "{text}");
    // The newest is selected (follow); its bytes are the hex pane's.
    assert_eq!(app.selected_payload(), &expected[9].payload[..]);
    app.update(Action::Top);
    screen(&mut app, 160, 48);
    assert_eq!(app.selected_event().unwrap().seq, 0);
    assert_eq!(app.selected_payload(), &expected[0].payload[..]);

    // The file gone: the detail pane says why, nothing breaks.
    std::fs::remove_file(&path).unwrap();
    app.update(Action::Down);
    let text = screen(&mut app, 160, 48);
    assert!(app.selected_payload().is_empty());
    assert!(text.contains("unreadable"), "{text}");
}

#[test]
fn snapshot_a_filter_streaming_over_a_large_file() {
    let dir = tempfile::tempdir().unwrap();
    let batch = file_of(&dir.path().join("large.pcapng"), corpus::stream(20_000));
    let mut app = App::new(Store::new(usize::MAX), opening());
    app.update(Action::IngestIndexed(batch));
    app.update(Action::SourceEnded(
        crate::ui::action::SourceEnd::Finished { lost: 0 },
    ));
    // A term on decoded fields: each message is read back from the file.
    app.apply_filter("attr:ifname").unwrap();
    assert_eq!(app.store.filter_progress(), Some((0, 20_000)));
    for (width, height) in [(80, 24), (160, 48)] {
        let text = screen(&mut app, width, height);
        assert!(text.contains("filtering ["), "{text}");
        insta::assert_snapshot!(format!("filtering_{width}x{height}"), text);
    }
    // Two frames: 8,192 of 20,000 tested.
    assert_eq!(app.store.filter_progress(), Some((8_192, 20_000)));
    while app.store.filter_progress().is_some() {
        app.tick();
    }
    let mut held = Store::new(usize::MAX);
    held.ingest(corpus::stream(20_000));
    held.set_filter(crate::store::filter::parse("attr:ifname").unwrap());
    let found: Vec<u64> = app.store.matching_seqs().iter().collect();
    let expected: Vec<u64> = held.matching_seqs().iter().collect();
    assert_eq!(found, expected);
    assert!(!found.is_empty());

    // Esc stops a scan: the filter is cleared, every message shows.
    app.apply_filter("attr:mtu").unwrap();
    app.tick();
    assert!(app.store.filter_progress().is_some());
    app.update(Action::ClearFilter);
    assert_eq!(app.store.filter_progress(), None);
    assert_eq!(app.store.matching_len(), 20_000);
    assert!(!screen(&mut app, 80, 24).contains("filtering ["));
}

#[test]
fn snapshot_a_filter_over_an_index_on_disk_and_the_transactions_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let total = 5 * crate::store::paged::PAGE + 17;
    let batch = file_of(&dir.path().join("large.pcapng"), corpus::stream(total));
    // A budget of one byte: all but a page of the index goes to disk.
    let mut app = App::new(Store::new(usize::MAX).with_index_budget(1), opening());
    app.update(Action::IngestIndexed(batch));
    app.update(Action::SourceEnded(
        crate::ui::action::SourceEnd::Finished { lost: 0 },
    ));
    assert!(app.store.index_pages_on_disk() >= 2);
    // A term on metadata alone, yet tested a slice per frame: the index
    // is read back from disk.
    app.apply_filter("proto:route").unwrap();
    assert_eq!(app.store.filter_progress(), Some((0, total as u64)));
    app.update(Action::SwitchView(crate::ui::View::Transactions));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("testing the filter"), "{text}");
    insta::assert_snapshot!("transactions_while_filtering_80x24", text);
    while app.store.filter_progress().is_some() {
        app.tick();
    }
    let mut held = Store::new(usize::MAX);
    held.ingest(corpus::stream(total));
    held.finish_transactions();
    held.set_filter(crate::store::filter::parse("proto:route").unwrap());
    let found: Vec<u64> = app.store.matching_seqs().iter().collect();
    let expected: Vec<u64> = held.matching_seqs().iter().collect();
    assert_eq!(found, expected);
    // Once the scan is done, the view lists the route requests.
    let text = screen(&mut app, 80, 24);
    assert!(!text.contains("testing the filter"), "{text}");
    assert!(text.contains("RTM_GETLINK"), "{text}");
}

#[test]
fn an_export_of_a_large_file_reads_it_and_esc_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let batch = file_of(&dir.path().join("large.pcapng"), corpus::stream(20_000));
    let mut app = App::new(Store::new(usize::MAX), opening());
    app.update(Action::IngestIndexed(batch));
    let out = dir.path().join("out.jsonl");
    app.update(Action::OpenExport);
    while !app.export_prompt.input.is_empty() {
        app.update(Action::Backspace);
    }
    for c in out.to_str().unwrap().chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::Submit);
    assert!(app.export_progress().is_some(), "{:?}", app.status);
    app.tick();
    app.update(Action::ClearFilter);
    assert_eq!(app.status.as_deref(), Some("stopping the export"));
    app.finish_export();
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("stopped: "), "{status}");
    // What was written is whole records, the file's bytes read back.
    let read = crate::format::read_capture(&out);
    assert_eq!(read.error, None);
    assert!(!read.messages.is_empty() && read.messages.len() < 20_000);
    let expected: Vec<_> = corpus::stream(read.messages.len()).collect();
    assert_eq!(read.messages, expected);
}

/// A disk with no room left after the spill file's header.
struct FullDisk(std::fs::File, usize);

impl std::io::Write for FullDisk {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if bytes.len() > self.1 {
            return Err(std::io::Error::from_raw_os_error(libc::ENOSPC));
        }
        self.1 -= bytes.len();
        self.0.write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[test]
fn a_full_disk_while_spilling_is_shown_and_counted() {
    use crate::store::spill::Spill;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spill.pcapng");
    let disk = FullDisk(std::fs::File::create(&path).unwrap(), 1024);
    let spill = Spill::with_writer(&path, Box::new(disk), 4096).unwrap();
    let live = SourceStatus {
        kind: "live".into(),
        detail: "fentry".into(),
        ended: None,
    };
    let mut app = App::new(Store::new(usize::MAX).with_spill(spill), live);
    app.ingest(corpus::stream(2_000).collect());
    let text = screen(&mut app, 160, 48);
    assert!(app.store.evicted() > 0);
    assert!(text.contains("Spilling to disk stopped"), "{text}");
    assert!(text.contains("No space left on device"), "{text}");
    let evicted = crate::ui::format::count(app.store.evicted());
    assert!(text.contains(&format!("evicted {evicted}")), "{text}");
}
