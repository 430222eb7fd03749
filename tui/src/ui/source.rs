//! Where the dashboard's messages come from when it opens a file.

use std::io::Read;
use std::path::Path;

use crate::capture::file::FileSource;
use crate::capture::CaptureSource;
use crate::format::read::detect_format;

/// Opens a capture file (nlscope pcapng, any netlink pcap or pcapng, nlscope
/// JSON Lines) as a source. Fails early, before the terminal is taken over,
/// when the file cannot be opened or is of no format nlscope reads; damage
/// inside the file is reported by the source after every message before it.
pub fn open_source(path: &Path) -> anyhow::Result<Box<dyn CaptureSource>> {
    let mut head = Vec::with_capacity(64);
    std::fs::File::open(path)
        .and_then(|file| file.take(64).read_to_end(&mut head))
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    if detect_format(&head).is_none() {
        anyhow::bail!(
            "{} is not a capture nlscope reads (pcapng, pcap with LINKTYPE_NETLINK, or nlscope JSON Lines)",
            path.display()
        );
    }
    Ok(Box::new(FileSource::new(path).indexed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_or_missing_files_fail_before_the_ui_starts() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.bin");
        std::fs::write(&junk, b"\x00\x01 definitely not a capture").unwrap();
        let error = |path: &Path| open_source(path).err().expect("must fail").to_string();
        assert!(error(&junk).contains("not a capture"));
        assert!(error(&dir.path().join("missing")).contains("cannot read"));
    }

    #[test]
    fn the_guest_fixture_opens() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/guest-capture-paths.pcapng");
        let source = open_source(&fixture).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(source.info().kind, "file");
    }
}
