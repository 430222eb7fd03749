//! JSON Lines: one [`CapturedMessage`] per line, the payload as hex.
//!
//! Each message is formatted into one buffer and written with a single
//! `write_all`, and the writer is flushed after every batch, so a file cut off
//! by a crash or SIGKILL holds only complete lines (plus at most one partial
//! last line, which readers report and skip).
//!
//! A cut message (fewer bytes captured than the buffer held) carries
//! `"cut":true` after `len`; whole messages carry no `cut` key, and readers
//! accept lines with or without it (it is derived from `len` and `payload`).
//!
//! The line is formatted by hand ([`format_line`]), byte for byte what
//! `serde_json::to_writer` makes of a [`CapturedMessage`] (a test holds the
//! two together): serde_json's derived path hex-encodes the payload through a
//! `String` of `char`s and then scans it for characters to escape, which was
//! most of `nlscope record`'s CPU time per message.

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
        format_line(&mut self.line, message)?;
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

/// Appends `message` as JSON to `out`: the same bytes as
/// `serde_json::to_writer(out, message)`, several times faster.
pub fn format_line(out: &mut Vec<u8>, message: &CapturedMessage) -> std::io::Result<()> {
    let mut number = itoa::Buffer::new();
    let field = |out: &mut Vec<u8>, key: &[u8], value: &str| {
        out.extend_from_slice(key);
        out.extend_from_slice(value.as_bytes());
    };
    field(out, b"{\"ts_mono_ns\":", number.format(message.ts_mono_ns));
    field(out, b",\"ts_wall_ns\":", number.format(message.ts_wall_ns));
    field(out, b",\"pid\":", number.format(message.pid));
    field(out, b",\"tid\":", number.format(message.tid));
    out.extend_from_slice(b",\"comm\":");
    serde_json::to_writer(&mut *out, &message.comm)?;
    field(out, b",\"netns\":", number.format(message.netns));
    field(out, b",\"protocol\":", number.format(message.protocol));
    for (key, port) in [
        (&b",\"src_port\":"[..], message.src_port),
        (b",\"dst_port\":", message.dst_port),
    ] {
        match port {
            Some(port) => field(out, key, number.format(port)),
            None => field(out, key, "null"),
        }
    }
    if let Some(direction) = message.stated_direction {
        out.extend_from_slice(b",\"stated_direction\":");
        serde_json::to_writer(&mut *out, &direction)?;
    }
    field(out, b",\"dst_group\":", number.format(message.dst_group));
    field(out, b",\"len\":", number.format(message.len));
    if message.is_truncated() {
        out.extend_from_slice(b",\"cut\":true");
    }
    out.extend_from_slice(b",\"hook\":");
    serde_json::to_writer(&mut *out, &message.hook)?;
    if let Some(result) = message.result {
        field(out, b",\"result\":", number.format(result));
    }
    out.extend_from_slice(b",\"payload\":\"");
    push_hex(out, &message.payload);
    out.push(b'"');
    if !message.deliveries.is_empty() {
        out.extend_from_slice(b",\"deliveries\":");
        serde_json::to_writer(&mut *out, &message.deliveries)?;
    }
    out.push(b'}');
    Ok(())
}

/// Appends `bytes` in lowercase hex (what `hex::encode` gives).
fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let start = out.len();
    out.resize(start + bytes.len() * 2, 0);
    for (pair, &byte) in out[start..].chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
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

/// One line of JSON Lines (with its newline, if it has one): the message, or
/// nothing for a blank line, or what is wrong with it.
pub fn read_jsonl_line(line: &[u8]) -> Result<Option<CapturedMessage>, String> {
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() {
        return Ok(None);
    }
    serde_json::from_slice::<CapturedMessage>(trimmed)
        .map(Some)
        .map_err(|error| {
            if line.last() != Some(&b'\n') && error.is_eof() {
                format!("truncated last line ({error})")
            } else {
                error.to_string()
            }
        })
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
            src_port: Some(n),
            dst_port: Some(0),
            stated_direction: None,
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]
        #[test]
        fn lines_are_what_serde_json_writes(
            numbers in proptest::array::uniform8(proptest::prelude::any::<u32>()),
            times in proptest::array::uniform2(proptest::prelude::any::<u64>()),
            comm in ".{0,20}",
            hook in "[ -~]{0,30}|\\PC{0,10}",
            result in proptest::option::of(proptest::prelude::any::<i64>()),
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            deliveries in proptest::collection::vec((proptest::prelude::any::<u32>(), proptest::prelude::any::<i64>()), 0..4),
            ports_known in proptest::array::uniform2(proptest::prelude::any::<bool>()),
            stated_direction in proptest::option::of(proptest::sample::select(&crate::event::Direction::ALL[..])),
        ) {
            let message = CapturedMessage {
                ts_mono_ns: times[0],
                ts_wall_ns: times[1],
                pid: numbers[0],
                tid: numbers[1],
                comm,
                netns: numbers[2],
                protocol: numbers[3],
                src_port: ports_known[0].then_some(numbers[4]),
                dst_port: ports_known[1].then_some(numbers[5]),
                stated_direction,
                dst_group: numbers[6],
                len: numbers[7],
                hook,
                result,
                payload,
                deliveries: deliveries
                    .into_iter()
                    .map(|(port, result)| crate::event::Delivery { port, result })
                    .collect(),
            };
            let mut fast = Vec::new();
            format_line(&mut fast, &message).unwrap();
            let reference = serde_json::to_vec(&message).unwrap();
            proptest::prop_assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(reference).unwrap());
        }
    }

    #[test]
    fn control_characters_and_quotes_are_escaped_as_serde_json_does() {
        let mut m = message(1);
        m.comm = "a\"b\\c\u{1}\n\u{7f}é".into();
        m.result = Some(-105);
        let mut fast = Vec::new();
        format_line(&mut fast, &m).unwrap();
        assert_eq!(fast, serde_json::to_vec(&m).unwrap());
    }

    #[test]
    fn a_cut_message_says_so_and_reads_back() {
        let mut whole = message(2);
        whole.len = 4;
        let mut cut = message(1);
        cut.len = 5000; // 4 of 5000 bytes captured
        let mut writer = JsonlWriter::new(Vec::new());
        writer.write(&whole).unwrap();
        writer.write(&cut).unwrap();
        let text = String::from_utf8(writer.into_inner()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(!lines[0].contains("\"cut\""), "{}", lines[0]);
        assert!(
            lines[1]
                .contains(r#""len":5000,"cut":true,"hook":"netlink_unicast","payload":"01010101""#),
            "{}",
            lines[1]
        );
        assert_eq!(read_jsonl(&text).unwrap(), vec![whole, cut.clone()]);
        // Lines written before `cut` existed, and a `cut` that disagrees with
        // the lengths: the lengths decide.
        let old = lines[1].replace(",\"cut\":true", "");
        assert_eq!(read_jsonl(&old).unwrap(), vec![cut]);
        let wrong = lines[0].replace("\"hook\"", "\"cut\":true,\"hook\"");
        assert!(!read_jsonl(&wrong).unwrap()[0].is_truncated());
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
