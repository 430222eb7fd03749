//! Spilling a live or remote capture's bytes to disk past a memory budget:
//! the oldest messages held in memory are written to a pcapng file and kept
//! by where their record is, as a file's messages are, so nothing the user
//! saw disappears. Only when the file cannot be written (the disk is full)
//! do messages lose their bytes, and the store counts them as evicted.
//!
//! The budget bounds the bytes held (payloads, deliveries); the index has
//! a budget of its own ([`super::paged`], [`split_budget`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::event::CapturedMessage;
use crate::format::pcapng::PcapngWriter;
use crate::format::record::{RecordError, RecordFile};

/// A pcapng file the store spills to, open for reading back.
pub struct Spill {
    writer: PcapngWriter<Counting<Box<dyn Write + Send>>>,
    file: Arc<RecordFile>,
    path: PathBuf,
    /// Removed when the store goes, unless kept.
    remove: bool,
    /// Messages written.
    pub written: u64,
    /// Bytes held in memory past which the store spills.
    pub budget: u64,
    /// Why writing stopped, once it did: nothing more is spilled.
    pub error: Option<String>,
}

impl Spill {
    /// Spills to a new file in the system's temporary directory, removed
    /// when the store goes.
    pub fn temporary(budget: u64) -> Result<Spill, String> {
        let name = format!(
            "nlscope-spill-{}-{}.pcapng",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let mut spill = Spill::to_file(&std::env::temp_dir().join(name), budget)?;
        spill.remove = true;
        Ok(spill)
    }

    /// Spills to `path` (the user's `-w FILE`), created or truncated, and
    /// kept.
    pub fn to_file(path: &Path, budget: u64) -> Result<Spill, String> {
        let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Spill::with_writer(path, Box::new(BufWriter::new(file)), budget)
    }

    /// Spills through `out`, which writes the file at `path` (a test puts a
    /// writer there that fails as a full disk does).
    pub fn with_writer(
        path: &Path,
        out: Box<dyn Write + Send>,
        budget: u64,
    ) -> Result<Spill, String> {
        let failed = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let writer = PcapngWriter::new(Counting { out, written: 0 }).map_err(|e| failed(&e))?;
        let file = RecordFile::open(path).map_err(|e| failed(&e))?.growing();
        Ok(Spill {
            writer,
            file: Arc::new(file),
            path: path.to_path_buf(),
            remove: false,
            written: 0,
            budget,
            error: None,
        })
    }

    /// Writes `message`; the byte offset of its record, or why it could
    /// not be written (then nothing more is: a record cut short would shift
    /// every one after it).
    pub fn write(&mut self, message: &CapturedMessage) -> Result<u64, String> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let offset = self.writer.counted();
        match self.writer.write(message) {
            Ok(()) => {
                self.written += 1;
                Ok(offset)
            }
            Err(error) => {
                let error = format!("cannot write {}: {error}", self.path.display());
                self.error = Some(error.clone());
                Err(error)
            }
        }
    }

    /// Makes what was written readable back.
    pub fn flush(&mut self) {
        if self.error.is_none() {
            if let Err(error) = self.writer.flush() {
                self.error = Some(format!("cannot write {}: {error}", self.path.display()));
            }
        }
    }

    pub fn file(&self) -> &Arc<RecordFile> {
        &self.file
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file stays when the store goes (the user's `-w FILE`).
    pub fn is_kept(&self) -> bool {
        !self.remove
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Counts the bytes written through it: where the next record starts.
struct Counting<W> {
    out: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(bytes)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl PcapngWriter<Counting<Box<dyn Write + Send>>> {
    fn counted(&self) -> u64 {
        self.get_ref().written
    }
}

/// How a live or remote capture's `--memory` is shared: the bytes held in
/// memory (past which they spill) and the index (past which its oldest
/// pages go to disk), half each.
pub fn split_budget(memory: u64) -> (u64, u64) {
    (memory / 2, memory - memory / 2)
}

/// A memory budget as the user writes it: bytes, or a number with `K`, `M`
/// or `G` (powers of 1024, `512M`, `1.5G`); what `--memory` takes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let scale: u64 = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return Err(format!("`{text}`: the unit is K, M or G (512M, 1.5G)")),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size (512M, 1.5G, 1048576)"))?;
    let bytes = value * scale as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{text}` is not a size nlscope can hold"));
    }
    Ok(bytes as u64)
}

/// Why a message's bytes are not there: they were to be spilled and could
/// not be.
pub fn dropped(why: &str) -> RecordError {
    RecordError::Dropped {
        why: why.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::read::read_capture;
    use crate::store::{corpus, Store};

    const BUDGET: u64 = 16 * 1024;

    /// Writes to `file` until `room` bytes are used, then fails as a full
    /// disk does.
    struct FullDisk {
        file: File,
        room: usize,
    }

    impl Write for FullDisk {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if bytes.len() > self.room {
                return Err(std::io::Error::from_raw_os_error(libc::ENOSPC));
            }
            self.room -= bytes.len();
            self.file.write(bytes)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.file.flush()
        }
    }

    /// A store spilling past [`BUDGET`] to `path`, and 5,000 messages for it.
    fn spilling_to(path: &Path) -> (Store, Vec<CapturedMessage>) {
        let spill = Spill::to_file(path, BUDGET).unwrap();
        let store = Store::new(usize::MAX).with_spill(spill);
        (store, corpus::stream(5_000).collect())
    }

    #[test]
    fn past_its_budget_a_store_spills_and_every_message_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spill.pcapng");
        let (mut store, expected) = spilling_to(&path);
        for batch in expected.chunks(1024) {
            store.ingest(batch.to_vec());
            assert!(store.held_bytes() <= BUDGET, "{}", store.held_bytes());
        }
        assert_eq!((store.len(), store.evicted()), (5_000, 0));
        for (event, message) in store.iter().zip(&expected) {
            assert_eq!(&store.message(&event).unwrap(), message);
        }
        // The spill file is a capture of its own: the oldest messages.
        let spilled = read_capture(&path);
        assert_eq!(spilled.error, None);
        assert!(spilled.messages.len() > 4_000, "{}", spilled.messages.len());
        assert_eq!(spilled.messages[..], expected[..spilled.messages.len()]);
    }

    #[test]
    fn the_users_file_holds_the_whole_capture_once_written_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kept.pcapng");
        let (mut store, expected) = spilling_to(&path);
        store.ingest(expected.clone());
        assert!(
            read_capture(&path).messages.len() < 5_000,
            "only the oldest spilled"
        );
        assert_eq!(store.write_out(), Some(Ok((path.clone(), 5_000))));
        let kept = read_capture(&path);
        assert_eq!(kept.error, None);
        assert_eq!(kept.messages, expected);
        // Still browsable, and a temporary spill file is not written out.
        assert_eq!(
            store.message(&store.get(4_999).unwrap()).unwrap(),
            expected[4_999]
        );
        let mut temporary = Store::new(usize::MAX).with_spill(Spill::temporary(BUDGET).unwrap());
        temporary.ingest(corpus::stream(10));
        assert_eq!(temporary.write_out(), None);
    }

    #[test]
    fn sizes_read_as_users_write_them() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        for bad in ["", "M", "12Q", "-1M", "0", "lots"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_temporary_spill_file_is_removed_with_its_store() {
        let store = Store::new(10).with_spill(Spill::temporary(BUDGET).unwrap());
        let path = store.spill.as_ref().unwrap().path().to_path_buf();
        assert!(path.exists());
        drop(store);
        assert!(!path.exists());
    }

    #[test]
    fn a_full_disk_while_spilling_is_counted_and_shown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spill.pcapng");
        let disk = FullDisk {
            file: File::create(&path).unwrap(),
            room: 64 * 1024,
        };
        let spill = Spill::with_writer(&path, Box::new(disk), BUDGET).unwrap();
        let mut store = Store::new(usize::MAX).with_spill(spill);
        let expected: Vec<_> = corpus::stream(5_000).collect();
        store.ingest(expected.clone());
        // Memory stays within the budget; what could not be spilled lost its
        // bytes and is counted as evicted, and the store says why.
        assert!(store.held_bytes() <= BUDGET);
        assert!(store.evicted() > 0);
        let why = store.spill_error().expect("the write error");
        assert!(why.contains("No space left on device"), "{why}");
        let mut readable = 0;
        for (event, message) in store.iter().zip(&expected) {
            match store.message(&event) {
                Ok(whole) => {
                    assert_eq!(&whole, message);
                    readable += 1;
                }
                Err(error) => {
                    assert!(
                        error.to_string().contains("its bytes were dropped"),
                        "{error}"
                    );
                    assert!(error.to_string().contains("No space left"), "{error}");
                }
            }
        }
        assert_eq!(readable + store.evicted() as usize, 5_000);
        // The metadata of every message is still there.
        assert_eq!(store.len(), 5_000);
    }
}
