//! Reading one message's payload back from a capture file by where its
//! record is ([`RecordAt`], which the indexed reader hands out with each
//! message: [`super::read::read_capture_file_indexed`]). The dashboard
//! keeps only the metadata of a file's messages and reads a payload when a
//! pane, an export or a filter needs it.
//!
//! The file is kept open, and every read checks first that it is still the
//! file that was indexed (same inode at the path, not shorter, not rewritten
//! in place), then that the bytes at the offset are the record that was
//! indexed there (its header, length and captured length): a file changed or
//! removed while open is an error naming the file, never wrong bytes or a
//! panic.

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::jsonl::read_jsonl_line;
use super::pcapng::{decode_deliveries, COOKED_HEADER_LEN, OPT_COMMENT};
use super::read::{detect_format, CaptureFormat, RecordAt, PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO};
use crate::event::Delivery;

/// Why a payload could not be read back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("{path}: removed or replaced since it was opened; open it again to read it")]
    Gone { path: String },
    #[error("{path}: changed since it was opened ({what}); open it again to read it")]
    Changed { path: String, what: &'static str },
    #[error("{path}: cannot read the record at byte offset {offset}: {detail}")]
    Io {
        path: String,
        offset: u64,
        detail: String,
    },
    #[error("its bytes were dropped: {why}")]
    Dropped { why: String },
    #[error("{path}: the record at byte offset {offset} is not the one indexed there: {detail}")]
    NotTheRecord {
        path: String,
        offset: u64,
        detail: String,
    },
}

/// What a file looked like when it was opened: a read checks it still does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fingerprint {
    device: u64,
    inode: u64,
    size: u64,
    modified: Option<SystemTime>,
}

impl Fingerprint {
    fn of(metadata: &std::fs::Metadata) -> Fingerprint {
        Fingerprint {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

/// A capture file opened to read payloads back by record.
#[derive(Debug)]
pub struct RecordFile {
    path: PathBuf,
    file: File,
    format: CaptureFormat,
    /// For pcap: whether the file's numbers are little-endian. (A pcapng
    /// block says its own byte order: see [`pcapng_payload`].)
    pcap_little: bool,
    opened: Fingerprint,
    /// True for a file still being written (nlscope's own spill file):
    /// growing is then expected, and only the records it wrote are read.
    growing: bool,
}

impl RecordFile {
    /// Opens `path`, which must be a capture file nlscope reads.
    pub fn open(path: impl AsRef<Path>) -> Result<RecordFile, RecordError> {
        let path = path.as_ref();
        let io = |error: std::io::Error| RecordError::Io {
            path: path.display().to_string(),
            offset: 0,
            detail: error.to_string(),
        };
        let file = File::open(path).map_err(io)?;
        let opened = Fingerprint::of(&file.metadata().map_err(io)?);
        let mut head = [0u8; 24];
        let read = read_up_to(&file, 0, &mut head).map_err(io)?;
        let head = &head[..read];
        let format = detect_format(head).ok_or_else(|| RecordError::NotTheRecord {
            path: path.display().to_string(),
            offset: 0,
            detail: "not a capture nlscope reads".into(),
        })?;
        let pcap_little = head.len() >= 4
            && [PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO]
                .contains(&u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
        Ok(RecordFile {
            path: path.to_path_buf(),
            file,
            format,
            pcap_little,
            opened,
            growing: false,
        })
    }

    /// The same file, expected to grow while it is read (a file nlscope
    /// itself is still appending to).
    pub fn growing(mut self) -> RecordFile {
        self.growing = true;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// The captured bytes of the message whose record is `at`, which held
    /// `captured` bytes when it was indexed.
    pub fn payload(&self, at: RecordAt, captured: usize) -> Result<Vec<u8>, RecordError> {
        self.body(at, captured).map(|body| body.payload)
    }

    /// [`RecordFile::body`] of the record that starts at `offset`: its length
    /// is read from the record itself (a block or record header, or up to
    /// the line's end).
    pub fn body_at(&self, offset: u64, captured: usize) -> Result<RecordBody, RecordError> {
        let len = self.record_len(offset)?;
        self.body(RecordAt { offset, len }, captured)
    }

    fn record_len(&self, offset: u64) -> Result<u32, RecordError> {
        let io = |error: std::io::Error| RecordError::Io {
            path: self.path_text(),
            offset,
            detail: error.to_string(),
        };
        let word = |bytes: &[u8], little: bool| {
            let bytes: [u8; 4] = bytes.try_into().unwrap_or_default();
            if little {
                u32::from_le_bytes(bytes)
            } else {
                u32::from_be_bytes(bytes)
            }
        };
        let mut head = [0u8; 16];
        let read = read_up_to(&self.file, offset, &mut head).map_err(io)?;
        let short = || RecordError::Changed {
            path: self.path_text(),
            what: "shorter",
        };
        match self.format {
            CaptureFormat::Pcapng => {
                if read < 8 {
                    return Err(short());
                }
                let little = head[0] != 0;
                Ok(word(&head[4..8], little))
            }
            CaptureFormat::Pcap => {
                if read < 16 {
                    return Err(short());
                }
                Ok(word(&head[8..12], self.pcap_little).saturating_add(16))
            }
            CaptureFormat::Jsonl => {
                let mut chunk = [0u8; 4096];
                let mut len = 0u64;
                loop {
                    let read = read_up_to(&self.file, offset + len, &mut chunk).map_err(io)?;
                    match chunk[..read].iter().position(|&b| b == b'\n') {
                        Some(at) => {
                            return Ok(u32::try_from(len + at as u64 + 1).unwrap_or(u32::MAX))
                        }
                        None if read < chunk.len() => {
                            return Ok(u32::try_from(len + read as u64).unwrap_or(u32::MAX))
                        }
                        None => len += read as u64,
                    }
                }
            }
        }
    }

    /// The captured bytes and deliveries of the message whose record is
    /// `at`, which held `captured` bytes when it was indexed.
    pub fn body(&self, at: RecordAt, captured: usize) -> Result<RecordBody, RecordError> {
        self.check_unchanged(at)?;
        let mut record = vec![0; at.len as usize];
        self.file
            .read_exact_at(&mut record, at.offset)
            .map_err(|error| RecordError::Io {
                path: self.path_text(),
                offset: at.offset,
                detail: error.to_string(),
            })?;
        let body = match self.format {
            CaptureFormat::Pcapng => pcapng_body(&record),
            CaptureFormat::Pcap => {
                pcap_payload(&record, self.pcap_little).map(|payload| RecordBody {
                    payload: payload.to_vec(),
                    deliveries: Vec::new(),
                })
            }
            CaptureFormat::Jsonl => match read_jsonl_line(&record) {
                Ok(Some(message)) => Ok(RecordBody {
                    payload: message.payload,
                    deliveries: message.deliveries,
                }),
                Ok(None) => Err("a blank line".to_string()),
                Err(detail) => Err(detail),
            },
        };
        let body = body.map_err(|detail| self.not_the_record(at, detail))?;
        if body.payload.len() != captured {
            return Err(self.not_the_record(
                at,
                format!("{} bytes captured, {captured} indexed", body.payload.len()),
            ));
        }
        Ok(body)
    }

    fn check_unchanged(&self, at: RecordAt) -> Result<(), RecordError> {
        let gone = || RecordError::Gone {
            path: self.path_text(),
        };
        let at_path = std::fs::metadata(&self.path).map_err(|_| gone())?;
        let now = Fingerprint::of(&self.file.metadata().map_err(|_| gone())?);
        if (at_path.dev(), at_path.ino()) != (self.opened.device, self.opened.inode) {
            return Err(gone());
        }
        let changed = |what| RecordError::Changed {
            path: self.path_text(),
            what,
        };
        if now.size < self.opened.size || now.size < at.offset + u64::from(at.len) {
            return Err(changed("shorter"));
        }
        if !self.growing && now != self.opened {
            return Err(changed("rewritten"));
        }
        Ok(())
    }

    fn not_the_record(&self, at: RecordAt, detail: String) -> RecordError {
        RecordError::NotTheRecord {
            path: self.path_text(),
            offset: at.offset,
            detail,
        }
    }

    fn path_text(&self) -> String {
        self.path.display().to_string()
    }
}

/// Reads into `buffer` from `offset` until it is full or the file ends;
/// how many bytes were read.
fn read_up_to(file: &File, offset: u64, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read_at(&mut buffer[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// What a record holds besides the metadata the index kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordBody {
    pub payload: Vec<u8>,
    pub deliveries: Vec<Delivery>,
}

/// The payload of an enhanced packet block (the whole block in `block`),
/// its data after the cooked header, and the deliveries its comments list.
/// The block type, 6, says the byte order.
fn pcapng_body(block: &[u8]) -> Result<RecordBody, String> {
    const ENHANCED_PACKET: u32 = 6;
    let word = |at: usize, little: bool| -> Option<u32> {
        let bytes: [u8; 4] = block.get(at..at + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(bytes)
        } else {
            u32::from_be_bytes(bytes)
        })
    };
    let little = match word(0, true) {
        Some(ENHANCED_PACKET) => true,
        _ if word(0, false) == Some(ENHANCED_PACKET) => false,
        _ => return Err("not an enhanced packet block".into()),
    };
    let len = block.len();
    let declared = word(4, little).unwrap_or(0) as usize;
    let trailer = word(len.saturating_sub(4), little).unwrap_or(0) as usize;
    if declared != len || trailer != len || len < 32 {
        return Err(format!("block length {declared}, {len} indexed"));
    }
    let captured = word(20, little).unwrap_or(0) as usize;
    let data = block
        .get(28..28usize.saturating_add(captured))
        .filter(|data| 28 + data.len() <= len - 4)
        .ok_or_else(|| format!("captured length {captured} overruns the block"))?;
    let payload = data
        .get(COOKED_HEADER_LEN..)
        .ok_or("shorter than the cooked header")?
        .to_vec();
    // Options: code and length (16 bits each), the value padded to 4 bytes.
    let half = |at: usize| -> Option<u16> {
        let bytes: [u8; 2] = block.get(at..at + 2)?.try_into().ok()?;
        Some(if little {
            u16::from_le_bytes(bytes)
        } else {
            u16::from_be_bytes(bytes)
        })
    };
    let mut deliveries = Vec::new();
    let mut at = 28 + captured.next_multiple_of(4);
    while at + 4 <= len - 4 {
        let (Some(code), Some(size)) = (half(at), half(at + 2)) else {
            break;
        };
        let value = block
            .get(at + 4..at + 4 + usize::from(size))
            .unwrap_or_default();
        if code == 0 {
            break;
        }
        if code == OPT_COMMENT {
            if let Some(more) = std::str::from_utf8(value).ok().and_then(decode_deliveries) {
                deliveries.extend(more);
            }
        }
        at += 4 + usize::from(size).next_multiple_of(4);
    }
    Ok(RecordBody {
        payload,
        deliveries,
    })
}

/// The payload of a pcap record (its 16-byte header included in `record`).
fn pcap_payload(record: &[u8], little: bool) -> Result<&[u8], String> {
    let bytes: [u8; 4] = record
        .get(8..12)
        .and_then(|b| b.try_into().ok())
        .ok_or("shorter than a record header")?;
    let included = if little {
        u32::from_le_bytes(bytes)
    } else {
        u32::from_be_bytes(bytes)
    } as usize;
    if 16 + included != record.len() {
        return Err(format!(
            "captured length {included}, {} indexed",
            record.len() - 16
        ));
    }
    record
        .get(16 + COOKED_HEADER_LEN..)
        .ok_or_else(|| "shorter than the cooked header".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::CapturedMessage;
    use crate::format::jsonl::JsonlWriter;
    use crate::format::pcapng::PcapngWriter;
    use crate::format::read::{read_capture, read_capture_file_indexed};
    use crate::store::corpus;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/");

    fn pcapng_of(messages: &[CapturedMessage]) -> Vec<u8> {
        let mut writer = PcapngWriter::new(Vec::new()).unwrap();
        for message in messages {
            writer.write(message).unwrap();
        }
        writer.into_inner()
    }

    fn jsonl_of(messages: &[CapturedMessage]) -> Vec<u8> {
        let mut writer = JsonlWriter::new(Vec::new());
        for message in messages {
            writer.write(message).unwrap();
        }
        writer.into_inner()
    }

    /// Small captures of every format: nlscope pcapng and JSON Lines, an
    /// nlmon pcap, each at most a few KB (every cut of them is tried).
    fn small_captures() -> Vec<(&'static str, Vec<u8>)> {
        let mut messages = corpus::messages();
        // A multicast with its deliveries (which ride in comments).
        let delivered = messages.iter_mut().find(|m| m.dst_group != 0).unwrap();
        delivered.deliveries = vec![
            crate::event::Delivery {
                port: 7,
                result: 20,
            },
            crate::event::Delivery {
                port: 8,
                result: -105,
            },
        ];
        vec![
            ("pcapng", pcapng_of(&messages)),
            ("jsonl", jsonl_of(&messages)),
            ("pcap", corpus::nlmon_getlink_pcap()),
        ]
    }

    /// Indexes `path`, reads every payload back by its record, and checks
    /// each is what the index read, and the index what a whole-file read
    /// returns; returns how many messages there were.
    fn check_read_back(path: &Path, name: &str) -> usize {
        let mut indexed = Vec::new();
        let (read, count) =
            read_capture_file_indexed(path, |message, at, _| indexed.push((message, at)));
        let whole = read_capture(path);
        assert_eq!(read.error, whole.error, "{name}");
        assert_eq!(count, whole.messages.len(), "{name}");
        if count == 0 {
            return 0;
        }
        let file = RecordFile::open(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        for ((message, at), expected) in indexed.iter().zip(&whole.messages) {
            assert_eq!(message, expected, "{name}");
            let payload = file
                .payload(*at, message.payload.len())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(payload, expected.payload, "{name} at {at:?}");
            // By its offset alone, with the deliveries.
            let body = file
                .body_at(at.offset, message.payload.len())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(body.payload, expected.payload, "{name} at {at:?}");
            assert_eq!(body.deliveries, expected.deliveries, "{name} at {at:?}");
        }
        count
    }

    #[test]
    fn payloads_read_back_are_the_whole_file_reads() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in small_captures() {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            assert!(check_read_back(&path, name) > 0, "{name}");
        }
        for name in [
            "guest-capture-paths.pcapng",
            "guest-capture-paths.jsonl",
            "real-clients.pcapng",
        ] {
            let path = Path::new(FIXTURES).join(name);
            assert!(check_read_back(&path, name) > 100, "{name}");
        }
        // A big-endian pcap, and one with nanosecond times.
        for nano in [false, true] {
            let payload = corpus::messages()[1].payload.clone();
            let mut bytes = corpus::nlmon_pcap(nano, &[(4, 0, &payload)]);
            if !nano {
                bytes = big_endian_pcap(&bytes);
            }
            let path = dir.path().join("other.pcap");
            std::fs::write(&path, &bytes).unwrap();
            assert_eq!(check_read_back(&path, "other pcap"), 1);
        }
    }

    /// The same little-endian pcap with every header field byte-swapped.
    fn big_endian_pcap(bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        let swap = |out: &mut Vec<u8>, at: usize, width: usize| out[at..at + width].reverse();
        for (at, width) in [(0, 4), (4, 2), (6, 2), (8, 4), (12, 4), (16, 4), (20, 4)] {
            swap(&mut out, at, width);
        }
        let mut at = 24;
        while at + 16 <= out.len() {
            let included = u32::from_le_bytes(out[at + 8..at + 12].try_into().unwrap());
            for field in 0..4 {
                swap(&mut out, at + field * 4, 4);
            }
            at += 16 + included as usize;
        }
        out
    }

    #[test]
    fn files_cut_at_every_byte_read_back_what_they_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut");
        for (name, bytes) in small_captures() {
            let mut most = 0;
            for end in 0..=bytes.len() {
                std::fs::write(&path, &bytes[..end]).unwrap();
                most = most.max(check_read_back(&path, &format!("{name} cut at {end}")));
            }
            assert!(most > 0, "{name}");
        }
    }

    /// A pcapng of the corpus, indexed: the file, its records and payloads.
    fn indexed_file(path: &Path) -> (RecordFile, Vec<(RecordAt, Vec<u8>)>) {
        std::fs::write(path, pcapng_of(&corpus::messages())).unwrap();
        let mut records = Vec::new();
        read_capture_file_indexed(path, |message, at, _| records.push((at, message.payload)));
        (RecordFile::open(path).unwrap(), records)
    }

    #[test]
    fn a_file_changed_or_removed_while_open_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("open.pcapng");

        let (file, records) = indexed_file(&path);
        let (at, payload) = records.last().unwrap().clone();
        assert_eq!(file.payload(at, payload.len()).unwrap(), payload);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let error = file.payload(at, payload.len()).unwrap_err();
        assert!(matches!(error, RecordError::Changed { .. }), "{error}");
        assert!(error.to_string().contains("changed since it was opened"));

        // Rewritten in place, the same size.
        let (file, records) = indexed_file(&path);
        let (at, payload) = records[0].clone();
        let mut other = std::fs::read(&path).unwrap();
        other.reverse();
        let handle = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        handle.write_all_at(&other, 0).unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        handle.set_modified(later).unwrap();
        let error = file.payload(at, payload.len()).unwrap_err();
        assert!(matches!(error, RecordError::Changed { .. }), "{error}");

        // Removed, then another file put in its place.
        let (file, records) = indexed_file(&path);
        let (at, payload) = records[0].clone();
        std::fs::remove_file(&path).unwrap();
        let error = file.payload(at, payload.len()).unwrap_err();
        assert!(matches!(error, RecordError::Gone { .. }), "{error}");
        std::fs::write(&path, pcapng_of(&corpus::messages())).unwrap();
        let error = file.payload(at, payload.len()).unwrap_err();
        assert!(error.to_string().contains("removed or replaced"), "{error}");

        // A file expected to grow, whose bytes at an offset are not the record.
        let (file, records) = indexed_file(&path);
        let file = file.growing();
        let (at, payload) = records[1].clone();
        let wrong = RecordAt {
            offset: at.offset + 4,
            len: at.len,
        };
        let error = file.payload(wrong, payload.len()).unwrap_err();
        assert!(matches!(error, RecordError::NotTheRecord { .. }), "{error}");
        let error = file.payload(at, payload.len() + 1).unwrap_err();
        assert!(error.to_string().contains("indexed"), "{error}");
    }
}
