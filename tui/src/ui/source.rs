//! Where the dashboard's messages come from: the seam for file sources.
//!
//! [`open_source`] is the one function `nlscope open FILE` calls. For now it
//! reads JSON Lines; `capture::file::FileSource` (JSON Lines and pcapng) takes
//! its place when it lands, with the same signature.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::capture::{
    CaptureSource, CaptureSummary, EventSink, SourceEvent, SourceInfo, StopSignal,
};
use crate::export::jsonl::read_jsonl;

/// Messages per batch sent downstream.
const BATCH: usize = 1024;

/// Opens a capture file as a source. Fails early (before the terminal is
/// taken over) when the file cannot be read or parsed.
pub fn open_source(path: &Path) -> anyhow::Result<Box<dyn CaptureSource>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let messages = read_jsonl(&text).map_err(|e| {
        anyhow::anyhow!("{} is not an nlscope JSON Lines file: {e}", path.display())
    })?;
    Ok(Box::new(JsonlSource {
        path: path.to_path_buf(),
        messages,
    }))
}

/// A JSON Lines capture, replayed as fast as the consumer takes it.
struct JsonlSource {
    path: PathBuf,
    messages: Vec<crate::event::CapturedMessage>,
}

impl CaptureSource for JsonlSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: "file",
            detail: self.path.display().to_string(),
        }
    }

    fn run(self: Box<Self>, sink: EventSink, stop: StopSignal) -> anyhow::Result<CaptureSummary> {
        let mut summary = CaptureSummary::default();
        let mut messages = self.messages.into_iter().peekable();
        while messages.peek().is_some() && !stop.is_stopped() {
            let batch: Vec<_> = messages.by_ref().take(BATCH).collect();
            summary.messages += batch.len() as u64;
            if sink.blocking_send(SourceEvent::Messages(batch)).is_err() {
                break;
            }
        }
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_source_replays_a_jsonl_file_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        std::fs::write(&path, crate::store::corpus::jsonl()).unwrap();
        let source = open_source(&path).unwrap();
        assert_eq!(source.info().kind, "file");
        let (mut events, handle) = crate::capture::spawn(source, StopSignal::new(), 4);
        let mut messages = Vec::new();
        while let Some(event) = events.blocking_recv() {
            if let SourceEvent::Messages(batch) = event {
                messages.extend(batch);
            }
        }
        assert_eq!(messages, crate::store::corpus::messages());
        assert_eq!(handle.join().unwrap().unwrap().messages, 10);
    }

    #[test]
    fn open_source_errors_name_the_file_and_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.jsonl");
        let error = open_source(&missing).err().unwrap().to_string();
        assert!(
            error.contains("cannot read") && error.contains("missing.jsonl"),
            "{error}"
        );
        let bad = dir.path().join("bad.jsonl");
        std::fs::write(&bad, "{\"ts_mono_ns\": 1}\n").unwrap();
        let error = format!("{:#}", open_source(&bad).err().unwrap());
        assert!(error.contains("line 1"), "{error}");
    }
}
