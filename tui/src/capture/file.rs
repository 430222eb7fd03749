//! The file source: replays a capture file (nlscope pcapng, any netlink pcap or
//! pcapng, nlscope JSON Lines) as if it were being captured, then ends. It
//! streams through the format reader ([`crate::format::read`]): a file of any
//! size is replayed with a block and a batch in memory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{CaptureSource, CaptureSummary, EventSink, SourceEvent, SourceInfo, StopSignal};
use crate::event::CapturedMessage;
use crate::format::pcapng::synthesize_genl_family_record;
use crate::format::read::read_capture_file_streaming;

/// Messages per batch sent downstream (as the live source).
pub const BATCH: usize = 1024;

/// A capture file to replay.
pub struct FileSource {
    path: PathBuf,
    batch: usize,
    family_records: bool,
}

impl FileSource {
    pub fn new(path: impl AsRef<Path>) -> FileSource {
        FileSource {
            path: path.as_ref().to_path_buf(),
            batch: BATCH,
            family_records: true,
        }
    }

    /// Whether to send, before the messages, one synthesized nlctrl NEWFAMILY
    /// record (hook `nlscope-synthetic`) per generic netlink family the file
    /// names, so a decoder learning from nlctrl replies names those families
    /// (on by default). They are not counted as messages.
    pub fn with_family_records(mut self, send: bool) -> FileSource {
        self.family_records = send;
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
    /// a batch, whatever the size of the file. Before the first message that
    /// follows a generic netlink family's record, the family is announced in
    /// a batch of its own (see [`FileSource::with_family_records`]). If the
    /// file is damaged, everything before the damage is sent, then the read
    /// error (offset and cause) is the run's error. Once `stop` is set or
    /// the receiver is gone nothing more is sent (the reader still runs to
    /// the end of the file, which it does at hundreds of MB/s).
    fn run(self: Box<Self>, sink: EventSink, stop: StopSignal) -> anyhow::Result<CaptureSummary> {
        let mut summary = CaptureSummary::default();
        let mut batch = Vec::with_capacity(self.batch);
        let mut announced: BTreeSet<u16> = BTreeSet::new();
        let mut sending = true;
        let send = |events: Vec<CapturedMessage>, sending: &mut bool| {
            if *sending && sink.blocking_send(SourceEvent::Messages(events)).is_err() {
                // Nobody listens any more: nothing left to do.
                *sending = false;
            }
        };
        let (read, _) = read_capture_file_streaming(&self.path, |message, families| {
            if !sending || stop.is_stopped() {
                sending = false;
                return;
            }
            if self.family_records && families.len() > announced.len() {
                let records: Vec<CapturedMessage> = families
                    .iter()
                    .filter(|(id, _)| announced.insert(**id))
                    .map(|(id, name)| {
                        let mut record = synthesize_genl_family_record(*id, name);
                        record.ts_wall_ns = message.ts_wall_ns;
                        record.ts_mono_ns = message.ts_mono_ns;
                        record
                    })
                    .collect();
                if !batch.is_empty() {
                    summary.messages += batch.len() as u64;
                    send(std::mem::take(&mut batch), &mut sending);
                }
                send(records, &mut sending);
            }
            batch.push(message);
            if batch.len() >= self.batch {
                summary.messages += batch.len() as u64;
                send(std::mem::take(&mut batch), &mut sending);
            }
        });
        if !batch.is_empty() && sending && !stop.is_stopped() {
            summary.messages += batch.len() as u64;
            send(batch, &mut sending);
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
        let (mut events, handle) = spawn(Box::new(source), StopSignal::new(), 4);
        let mut batches = Vec::new();
        while let Some(event) = events.blocking_recv() {
            if let SourceEvent::Messages(batch) = event {
                batches.push(batch);
            }
        }
        (batches, handle.join().unwrap())
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

        let (batches, result) = drain(FileSource::new(&path));
        assert_eq!(batches.len(), 2);
        let announced = crate::format::pcapng::parse_genl_family_record(&batches[0][0]);
        assert_eq!(announced, Some((0x1d, "nlscope_demo".to_string())));
        assert_eq!(batches[0][0].hook, "nlscope-synthetic");
        assert_eq!(batches[1], vec![genl.clone()]);
        assert_eq!(result.unwrap().messages, 1);

        let (batches, _) = drain(FileSource::new(&path).with_family_records(false));
        assert_eq!(batches, vec![vec![genl]]);
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let (batches, result) = drain(FileSource::new("/nonexistent/nlscope.pcapng"));
        assert!(batches.is_empty());
        assert!(format!("{:#}", result.unwrap_err()).contains("cannot read the file"));
    }
}
