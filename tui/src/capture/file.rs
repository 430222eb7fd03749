//! The file source: replays a capture file (nlscope pcapng, any netlink pcap or
//! pcapng, nlscope JSON Lines) as if it were being captured, then ends. It
//! streams through the format reader ([`crate::format::read`]): a file of any
//! size is replayed with a block and a batch in memory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{CaptureSource, CaptureSummary, EventSink, SourceEvent, SourceInfo, StopSignal};
use crate::event::CapturedMessage;
use crate::format::read::{read_capture_file_indexed, read_capture_file_streaming, RecordAt};
use crate::format::record::RecordFile;
use crate::netlink::nlctrl::Family;

/// See [`SourceEvent::Indexed`].
#[derive(Clone, Debug)]
pub struct IndexedBatch {
    /// The file, open to read the messages' bytes back.
    pub file: Arc<RecordFile>,
    pub messages: Vec<(CapturedMessage, RecordAt)>,
    pub progress: IndexProgress,
}

/// The same batch: the same messages of the same open file.
impl PartialEq for IndexedBatch {
    fn eq(&self, other: &IndexedBatch) -> bool {
        Arc::ptr_eq(&self.file, &other.file)
            && self.messages == other.messages
            && self.progress == other.progress
    }
}

/// How far through a capture file its source is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexProgress {
    /// Bytes of the file read, up to the end of the batch's last record.
    pub bytes_read: u64,
    pub file_size: u64,
    /// Messages read so far.
    pub messages: u64,
}

/// Messages per batch sent downstream (as the live source).
pub const BATCH: usize = 1024;

/// A capture file to replay.
pub struct FileSource {
    path: PathBuf,
    batch: usize,
    indexed: bool,
}

impl FileSource {
    pub fn new(path: impl AsRef<Path>) -> FileSource {
        FileSource {
            path: path.as_ref().to_path_buf(),
            batch: BATCH,
            indexed: false,
        }
    }

    /// The same source sending [`SourceEvent::Indexed`] batches: each
    /// message with where its record is, the file open to read it back, and
    /// how far through the file the source is (what the dashboard keeps of
    /// a file instead of its bytes).
    pub fn indexed(mut self) -> FileSource {
        self.indexed = true;
        self
    }

    /// Messages per batch (at least 1).
    pub fn with_batch_size(mut self, batch: usize) -> FileSource {
        self.batch = batch.max(1);
        self
    }
}

impl CaptureSource for FileSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: "file",
            detail: self.path.display().to_string(),
        }
    }

    /// Streams the file through the format reader, block by block, and
    /// sends its messages in batches, oldest first: memory holds a block and
    /// a batch, whatever the size of the file. The generic netlink families
    /// the file names are sent as [`SourceEvent::Families`] before the first
    /// message that follows their announcement. If the file is damaged,
    /// everything before the damage is sent, then the read error (offset and
    /// cause) is the run's error. Once `stop` is set or the receiver is gone
    /// nothing more is sent (the reader still runs to the end of the file,
    /// which it does at hundreds of MB/s).
    fn run(self: Box<Self>, sink: EventSink, stop: StopSignal) -> anyhow::Result<CaptureSummary> {
        if self.indexed {
            return self.run_indexed(sink, stop);
        }
        let mut summary = CaptureSummary::default();
        let mut batch = Vec::with_capacity(self.batch);
        let mut announced: BTreeSet<u16> = BTreeSet::new();
        let mut sending = true;
        let send = |event: SourceEvent, sending: &mut bool| {
            if *sending && sink.blocking_send(event).is_err() {
                // Nobody listens any more: nothing left to do.
                *sending = false;
            }
        };
        let (read, _) = read_capture_file_streaming(&self.path, |message, families| {
            if !sending || stop.is_stopped() {
                sending = false;
                return;
            }
            if families.len() > announced.len() {
                let new = new_families(families, &mut announced);
                if !batch.is_empty() {
                    summary.messages += batch.len() as u64;
                    send(
                        SourceEvent::Messages(std::mem::take(&mut batch)),
                        &mut sending,
                    );
                }
                send(SourceEvent::Families(new), &mut sending);
            }
            batch.push(message);
            if batch.len() >= self.batch {
                summary.messages += batch.len() as u64;
                send(
                    SourceEvent::Messages(std::mem::take(&mut batch)),
                    &mut sending,
                );
            }
        });
        if !batch.is_empty() && sending && !stop.is_stopped() {
            summary.messages += batch.len() as u64;
            send(SourceEvent::Messages(batch), &mut sending);
        }
        self.ended(read.error, summary)
    }
}

impl FileSource {
    /// How the run ends: with the read error, if reading stopped at one.
    fn ended(
        &self,
        error: Option<crate::format::ReadError>,
        summary: CaptureSummary,
    ) -> anyhow::Result<CaptureSummary> {
        match error {
            Some(error) => Err(anyhow::anyhow!(
                "{}: {error} ({} messages read before it)",
                self.path.display(),
                summary.messages
            )),
            None => Ok(summary),
        }
    }

    /// [`CaptureSource::run`] sending [`SourceEvent::Indexed`] batches.
    fn run_indexed(self, sink: EventSink, stop: StopSignal) -> anyhow::Result<CaptureSummary> {
        let file = Arc::new(
            RecordFile::open(&self.path)
                .map_err(|e| anyhow::anyhow!("cannot read the file: {e}"))?,
        );
        let file_size = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        let mut summary = CaptureSummary::default();
        let mut batch = Vec::with_capacity(self.batch);
        let mut announced: BTreeSet<u16> = BTreeSet::new();
        let mut sending = true;
        let mut progress = IndexProgress {
            bytes_read: 0,
            file_size,
            messages: 0,
        };
        let send_batch = |batch: &mut Vec<(CapturedMessage, RecordAt)>,
                          progress: IndexProgress,
                          sending: &mut bool| {
            let event = SourceEvent::Indexed(IndexedBatch {
                file: file.clone(),
                messages: std::mem::take(batch),
                progress,
            });
            if *sending && sink.blocking_send(event).is_err() {
                *sending = false;
            }
        };
        let (read, _) = read_capture_file_indexed(&self.path, |message, at, families| {
            if !sending || stop.is_stopped() {
                sending = false;
                return;
            }
            let new = new_families(families, &mut announced);
            if !new.is_empty() {
                if !batch.is_empty() {
                    send_batch(&mut batch, progress, &mut sending);
                }
                if sending && sink.blocking_send(SourceEvent::Families(new)).is_err() {
                    sending = false;
                }
            }
            summary.messages += 1;
            progress.messages += 1;
            progress.bytes_read = at.offset + u64::from(at.len);
            batch.push((message, at));
            if batch.len() >= self.batch {
                send_batch(&mut batch, progress, &mut sending);
            }
        });
        if !batch.is_empty() && sending && !stop.is_stopped() {
            send_batch(&mut batch, progress, &mut sending);
        }
        self.ended(read.error, summary)
    }
}

/// The families of `families` not in `announced` yet, now added to it.
fn new_families(families: &BTreeMap<u16, String>, announced: &mut BTreeSet<u16>) -> Vec<Family> {
    if families.len() == announced.len() {
        return Vec::new();
    }
    families
        .iter()
        .filter(|(id, _)| announced.insert(**id))
        .map(|(id, name)| Family {
            id: *id,
            name: name.clone(),
            ..Family::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::spawn;
    use crate::event::CapturedMessage;
    use crate::format::pcapng::PcapngWriter;

    fn message(n: u32) -> CapturedMessage {
        CapturedMessage {
            ts_mono_ns: u64::from(n) * 10,
            ts_wall_ns: 1_700_000_000_000_000_000 + u64::from(n),
            pid: n,
            tid: n + 1,
            comm: format!("proc {n}"),
            netns: 4026531840,
            protocol: 30,
            src_port: Some(n + 100),
            dst_port: Some(0),
            stated_direction: None,
            dst_group: 0,
            len: 29,
            hook: "netlink_unicast".into(),
            result: Some(29),
            payload: vec![n as u8; 29],
            deliveries: Vec::new(),
        }
    }

    fn drain(source: FileSource) -> (Vec<Vec<CapturedMessage>>, anyhow::Result<CaptureSummary>) {
        let (events, result) = drain_events(source);
        let batches = events
            .into_iter()
            .filter_map(|event| match event {
                SourceEvent::Messages(batch) => Some(batch),
                _ => None,
            })
            .collect();
        (batches, result)
    }

    fn drain_events(source: FileSource) -> (Vec<SourceEvent>, anyhow::Result<CaptureSummary>) {
        let (mut receiver, handle) = spawn(Box::new(source), StopSignal::new(), 4);
        let mut events = Vec::new();
        while let Some(event) = receiver.blocking_recv() {
            events.push(event);
        }
        (events, handle.join().unwrap())
    }

    #[test]
    fn replays_every_message_in_batches_then_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capture.bin");
        let mut writer = PcapngWriter::new(std::fs::File::create(&path).unwrap()).unwrap();
        let all: Vec<_> = (0..25).map(message).collect();
        for m in &all {
            writer.write(m).unwrap();
        }
        writer.flush().unwrap();
        drop(writer);

        let (batches, result) = drain(FileSource::new(&path).with_batch_size(10));
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![10, 10, 5]
        );
        assert_eq!(batches.concat(), all);
        assert_eq!(result.unwrap().messages, 25);
    }

    #[test]
    fn a_damaged_file_sends_what_precedes_the_damage_then_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.pcapng");
        let mut writer = PcapngWriter::new(Vec::new()).unwrap();
        for m in (0..3).map(message) {
            writer.write(&m).unwrap();
        }
        let mut bytes = writer.into_inner();
        let full = bytes.len();
        bytes.truncate(full - 7);
        std::fs::write(&path, &bytes).unwrap();

        let (batches, result) = drain(FileSource::new(&path));
        assert_eq!(batches.concat(), vec![message(0), message(1)]);
        let error = format!("{:#}", result.unwrap_err());
        assert!(error.contains("truncated block"), "{error}");
        assert!(error.contains("2 messages read before it"), "{error}");
    }

    #[test]
    fn family_names_in_the_file_are_announced_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("genl.pcapng");
        let mut genl = message(1);
        genl.protocol = 16;
        genl.payload = vec![0; 20];
        genl.payload[0] = 20;
        genl.payload[4] = 0x1d;
        let mut writer = PcapngWriter::new(std::fs::File::create(&path).unwrap())
            .unwrap()
            .with_genl_families([(0x1d, "nlscope_demo".to_string())]);
        writer.write(&genl).unwrap();
        drop(writer);

        let (events, result) = drain_events(FileSource::new(&path));
        assert_eq!(events.len(), 2, "{events:?}");
        match &events[0] {
            SourceEvent::Families(families) => assert_eq!(
                families,
                &vec![Family {
                    id: 0x1d,
                    name: "nlscope_demo".into(),
                    ..Family::default()
                }]
            ),
            other => panic!("families first, not {other:?}"),
        }
        match &events[1] {
            SourceEvent::Messages(batch) => assert_eq!(batch, &vec![genl]),
            other => panic!("then the message, not {other:?}"),
        }
        assert_eq!(result.unwrap().messages, 1);
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let (batches, result) = drain(FileSource::new("/nonexistent/nlscope.pcapng"));
        assert!(batches.is_empty());
        assert!(format!("{:#}", result.unwrap_err()).contains("cannot read the file"));
    }
}
