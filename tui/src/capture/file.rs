//! The file source: replays a capture file (nlscope pcapng, any netlink pcap or
//! pcapng, nlscope JSON Lines) as if it were being captured, then ends. It
//! streams through the format reader ([`crate::format::read`]): a file of any
//! size is replayed with a block and a batch in memory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{CaptureSource, CaptureSummary, EventSink, SourceEvent, SourceInfo, StopSignal};
use crate::format::read::read_capture_file_streaming;
use crate::netlink::nlctrl::Family;

/// Messages per batch sent downstream (as the live source).
pub const BATCH: usize = 1024;

/// A capture file to replay.
pub struct FileSource {
    path: PathBuf,
    batch: usize,
}

impl FileSource {
    pub fn new(path: impl AsRef<Path>) -> FileSource {
        FileSource {
            path: path.as_ref().to_path_buf(),
            batch: BATCH,
        }
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
                let new: Vec<Family> = families
                    .iter()
                    .filter(|(id, _)| announced.insert(**id))
                    .map(|(id, name)| Family {
                        id: *id,
                        name: name.clone(),
                        ..Family::default()
                    })
                    .collect();
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
        match read.error {
            Some(error) => Err(anyhow::anyhow!(
                "{}: {error} ({} messages read before it)",
                self.path.display(),
                summary.messages
            )),
            None => Ok(summary),
        }
    }
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
