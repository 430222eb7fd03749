//! Exporting the filtered view (`e`): the file is opened when the export
//! starts (so a bad path is said at once), then a writer task
//! ([`crate::ui::tasks`]) writes it off the event loop. The store lives on
//! the event loop, so each tick hands the writer the next
//! [`EXPORT_CHUNK`] messages; a writer that falls behind holds the hand-over
//! back instead of blocking the dashboard. When the writer is done it reports
//! [`Action::ExportFinished`], which becomes the footer's news.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};

use crate::event::CapturedMessage;
use crate::format::jsonl::JsonlWriter;
use crate::format::pcapng::PcapngWriter;
use crate::format::CaptureWriter;
use crate::store::matches::Matches;
use crate::store::Store;
use crate::ui::action::{Action, ExportReport};
use crate::ui::tasks::Tasks;

/// Messages handed to the writer per tick.
pub const EXPORT_CHUNK: usize = 5_000;
/// Chunks the writer may have waiting.
const CHUNKS_AHEAD: usize = 2;

/// The export format a file name asks for: pcapng for `.pcapng`, else JSON Lines.
pub fn export_is_pcapng(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("pcapng"))
}

/// Progress of a running export, for the footer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportProgress {
    pub path: PathBuf,
    /// Messages handed to the writer.
    pub done: usize,
    pub total: usize,
}

/// A running export, as the dashboard sees it.
#[derive(Debug)]
pub struct ExportJob {
    path: PathBuf,
    format: &'static str,
    seqs: Matches,
    /// Index in `seqs` of the next message to take from the store.
    next: usize,
    /// Messages the writer has been handed.
    handed: usize,
    /// Messages evicted from the store before their turn came.
    skipped: u64,
    /// Messages whose bytes could not be read back (their file changed),
    /// and the first reason.
    unreadable: (u64, Option<String>),
    /// A chunk the writer had no room for yet (and how many sequence
    /// numbers it covers).
    held: Option<(usize, Vec<CapturedMessage>)>,
    /// To the writer; `None` once everything is handed over (or it stopped).
    chunks: Option<SyncSender<Vec<CapturedMessage>>>,
    /// Stopped by the user before every message was handed over.
    stopped: bool,
}

impl ExportJob {
    /// Opens `path` and starts the writer task for the messages `seqs`.
    /// `families` names generic netlink families in a pcapng file.
    pub fn start(
        path: PathBuf,
        seqs: Matches,
        families: BTreeMap<u16, String>,
        tasks: &mut Tasks,
    ) -> Result<ExportJob, String> {
        let file = File::create(&path)
            .map_err(|e| format!("export: cannot create {}: {e}", path.display()))?;
        let out = BufWriter::new(file);
        let (writer, format) = if export_is_pcapng(&path) {
            let writer = PcapngWriter::new(out)
                .map_err(|e| format!("export: cannot write {}: {e}", path.display()))?;
            (
                CaptureWriter::Pcapng(writer.with_genl_families(families)),
                "pcapng",
            )
        } else {
            (CaptureWriter::Jsonl(JsonlWriter::new(out)), "JSON Lines")
        };
        let (sender, receiver) = mpsc::sync_channel(CHUNKS_AHEAD);
        let on_panic = Action::ExportFinished(ExportReport {
            written: 0,
            error: Some("the export thread panicked".into()),
        });
        tasks.spawn("nlscope-export", on_panic, move |_| {
            write_chunks(writer, receiver)
        })?;
        Ok(ExportJob {
            path,
            format,
            seqs,
            next: 0,
            handed: 0,
            skipped: 0,
            unreadable: (0, None),
            held: None,
            chunks: Some(sender),
            stopped: false,
        })
    }

    /// True while messages are still being handed to the writer.
    pub fn is_handing_over(&self) -> bool {
        self.chunks.is_some()
    }

    /// Stops handing messages over (Esc): the writer writes what it was
    /// handed, closes the file and reports, so the file holds whole records.
    pub fn stop(&mut self) {
        self.held = None;
        self.chunks = None;
        self.stopped = true;
    }

    /// Hands the writer the next chunk, unless it has no room for it yet.
    /// Never blocks. After the last chunk the writer is told it is done.
    pub fn step(&mut self, store: &Store) {
        if self.chunks.is_none() {
            return;
        }
        let (span, chunk) = match self.held.take() {
            Some(held) => held,
            None => self.take_chunk(store),
        };
        let Some(sender) = &self.chunks else {
            return;
        };
        match sender.try_send(chunk) {
            Ok(()) => self.handed += span,
            Err(TrySendError::Full(chunk)) => self.held = Some((span, chunk)),
            // The writer stopped (a write failed): its report says why.
            Err(TrySendError::Disconnected(_)) => self.chunks = None,
        }
        if self.handed == self.seqs.len() {
            self.chunks = None;
        }
    }

    /// Hands every remaining chunk over, waiting for the writer as needed
    /// (quitting, tests).
    pub fn hand_over_all(&mut self, store: &Store) {
        while self.chunks.is_some() {
            let (span, chunk) = match self.held.take() {
                Some(held) => held,
                None => self.take_chunk(store),
            };
            let sent = self.chunks.as_ref().map(|sender| sender.send(chunk));
            if !matches!(sent, Some(Ok(()))) {
                self.chunks = None;
                break;
            }
            self.handed += span;
            if self.handed == self.seqs.len() {
                self.chunks = None;
            }
        }
    }

    /// The next [`EXPORT_CHUNK`] sequence numbers (how many) and their
    /// messages still stored.
    fn take_chunk(&mut self, store: &Store) -> (usize, Vec<CapturedMessage>) {
        let end = (self.next + EXPORT_CHUNK).min(self.seqs.len());
        let mut chunk = Vec::with_capacity(end - self.next);
        for seq in (self.next..end).filter_map(|index| self.seqs.get(index)) {
            match store.get(seq) {
                Some(event) => match store.message(&event) {
                    Ok(message) => chunk.push(message),
                    Err(error) => {
                        self.unreadable.0 += 1;
                        self.unreadable.1.get_or_insert(error.to_string());
                    }
                },
                None => self.skipped += 1,
            }
        }
        let span = end - self.next;
        self.next = end;
        (span, chunk)
    }

    pub fn progress(&self) -> ExportProgress {
        ExportProgress {
            path: self.path.clone(),
            done: self.handed,
            total: self.seqs.len(),
        }
    }

    /// The footer's news once the writer reported.
    pub fn finished(&self, report: &ExportReport) -> String {
        if let Some(error) = &report.error {
            return format!("export to {} failed: {error}", self.path.display());
        }
        let mut skipped = if self.skipped > 0 {
            format!(" ({} evicted before they were written)", self.skipped)
        } else {
            String::new()
        };
        if let (count @ 1.., Some(why)) = &self.unreadable {
            skipped.push_str(&format!(" ({count} unreadable: {why})"));
        }
        if self.stopped {
            skipped.push_str(&format!(
                " (stopped: {} not written)",
                self.seqs.len() - self.handed
            ));
        }
        format!(
            "exported {} messages to {} ({}){skipped}",
            report.written,
            self.path.display(),
            self.format
        )
    }
}

/// The writer task: writes each chunk until the dashboard says it is done
/// (drops its end), then flushes.
fn write_chunks(
    mut writer: CaptureWriter<BufWriter<File>>,
    chunks: Receiver<Vec<CapturedMessage>>,
) -> Action {
    let mut error = None;
    'chunks: for chunk in chunks.iter() {
        for message in &chunk {
            if let Err(e) = writer.write(message) {
                error = Some(e.to_string());
                break 'chunks;
            }
        }
    }
    if error.is_none() {
        if let Err(e) = writer.flush() {
            error = Some(e.to_string());
        }
    }
    Action::ExportFinished(ExportReport {
        written: writer.messages_written(),
        error,
    })
}
