//! JSON Lines: one [`CapturedMessage`] per line, the payload as hex.
//!
//! Each message is formatted into one buffer and written with a single
//! `write_all`, and the writer is flushed after every batch, so a file cut off
//! by a crash or SIGKILL holds only complete lines (plus at most one partial
//! last line, which readers report and skip).

use std::io::Write;

use crate::event::CapturedMessage;

pub struct JsonlWriter<W: Write> {
    out: W,
    line: Vec<u8>,
    written: u64,
}

impl<W: Write> JsonlWriter<W> {
    pub fn new(out: W) -> Self {
        JsonlWriter {
            out,
            line: Vec::with_capacity(512),
            written: 0,
        }
    }

    pub fn write(&mut self, message: &CapturedMessage) -> std::io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, message)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.written += 1;
        Ok(())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    pub fn messages_written(&self) -> u64 {
        self.written
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Reads JSON Lines back. Blank lines are skipped; a line that does not parse is
/// an error naming its line number and byte offset.
pub fn read_jsonl(text: &str) -> Result<Vec<CapturedMessage>, String> {
    let mut messages = Vec::new();
    let mut offset = 0usize;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let message = serde_json::from_str(trimmed)
                .map_err(|e| format!("line {} (byte offset {offset}): {e}", index + 1))?;
            messages.push(message);
        }
        offset += line.len();
    }
    Ok(messages)
}

/// Reads JSON Lines as far as they go: every message before the first line
/// that does not parse, and for that line its byte offset, 1-based number and
/// what is wrong. A last line without its newline (a file cut mid-write) that
/// does not parse is such an error too. Never panics, whatever the bytes.
pub fn read_jsonl_partial(bytes: &[u8]) -> (Vec<CapturedMessage>, Option<(usize, usize, String)>) {
    let mut messages = Vec::new();
    let mut offset = 0usize;
    for (index, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let trimmed = line.trim_ascii();
        if !trimmed.is_empty() {
            match serde_json::from_slice::<CapturedMessage>(trimmed) {
                Ok(message) => messages.push(message),
                Err(error) => {
                    let detail = if line.last() != Some(&b'\n') && error.is_eof() {
                        format!("truncated last line ({error})")
                    } else {
                        error.to_string()
                    };
                    return (messages, Some((offset, index + 1, detail)));
                }
            }
        }
        offset += line.len();
    }
    (messages, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: u32) -> CapturedMessage {
        CapturedMessage {
            ts_mono_ns: n.into(),
            ts_wall_ns: n.into(),
            pid: n,
            tid: n,
            comm: format!("p{n}"),
            netns: 1,
            protocol: 30,
            src_port: n,
            dst_port: 0,
            dst_group: 0,
            len: 16,
            hook: "netlink_unicast".into(),
            result: None,
            payload: vec![n as u8; 4],
            deliveries: Vec::new(),
        }
    }

    #[test]
    fn lines_round_trip() {
        let mut writer = JsonlWriter::new(Vec::new());
        for n in 0..3 {
            writer.write(&message(n)).unwrap();
        }
        assert_eq!(writer.messages_written(), 3);
        let text = String::from_utf8(writer.into_inner()).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert_eq!(
            read_jsonl(&text).unwrap(),
            vec![message(0), message(1), message(2)]
        );
    }

    #[test]
    fn a_cut_line_is_reported_with_its_offset() {
        let mut writer = JsonlWriter::new(Vec::new());
        writer.write(&message(1)).unwrap();
        let mut bytes = writer.into_inner();
        let first_len = bytes.len();
        bytes.extend_from_slice(b"{\"ts_mono_ns\":");
        let error = read_jsonl(std::str::from_utf8(&bytes).unwrap()).unwrap_err();
        assert!(
            error.contains(&format!("byte offset {first_len}")),
            "{error}"
        );
    }
}
