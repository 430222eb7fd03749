//! `nlscope decode FILE`, a front end: every message of a capture, decoded
//! (by [`crate::decode`], which does no I/O), as `tshark -V` prints packets: a metadata block, then the decoded tree. `--json` writes one
//! JSON object per message and line instead.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use compact_str::{CompactString, ToCompactString};
use serde::Serialize;

use crate::decode::{cat, decode, errno_name, DecodeContext, DecodedMessage, Field};
use crate::event::{CapturedMessage, Delivery, CUT_LABEL};
use crate::format::read::read_capture_file_streaming;
use crate::format::ReadErrorKind;
use crate::netlink::names::protocol_name;

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// A capture: nlscope pcapng or JSON Lines, or any LINKTYPE_NETLINK pcap/pcapng.
    pub file: PathBuf,
    /// One JSON object per message and line (JSON Lines): the message's
    /// metadata, its one-line summary, and the decoded tree.
    #[arg(long)]
    pub json: bool,
    /// Each request with its replies instead, one line a transaction in
    /// the order of the requests (with --json, one JSON object each):
    /// the operation, process, outcome, latencies, parts, bytes, message
    /// numbers, and the attribute an error points at. Replies nobody
    /// asked for are listed as orphans.
    #[arg(long)]
    pub transactions: bool,
    /// With --transactions: capture time after which a request with no
    /// (further) reply is closed as having none, in milliseconds.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 5000,
        requires = "transactions"
    )]
    pub reply_timeout_ms: u64,
    #[command(flatten)]
    pub specs: crate::options::SpecArgs,
}

/// One message as `--json` writes it.
#[derive(Serialize)]
struct JsonMessage<'a> {
    index: usize,
    ts_wall_ns: u64,
    ts_mono_ns: u64,
    pid: u32,
    tid: u32,
    comm: &'a str,
    netns: u32,
    direction: &'static str,
    protocol: u32,
    protocol_name: String,
    /// `null` when the capture does not give it (another tool's file).
    src_port: Option<u32>,
    dst_port: Option<u32>,
    dst_group: u32,
    len: u32,
    captured: usize,
    /// Only for a cut message (fewer bytes captured than `len`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    cut: bool,
    hook: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<i64>,
    #[serde(skip_serializing_if = "<[Delivery]>::is_empty")]
    deliveries: &'a [Delivery],
    summary: &'a str,
    messages: &'a [Field],
}

/// Output is written to stdout in chunks of this size.
const CHUNK: usize = 64 * 1024;

/// Runs the command. Prints every complete message; a damaged file then ends
/// in an error that names the byte offset.
pub fn run(args: DecodeArgs, specs: std::sync::Arc<crate::ynl::Specs>) -> anyhow::Result<()> {
    let context = DecodeContext::with_specs(specs);
    stream_file(&args.file, context, &mut Messages { json: args.json })
}

/// What `nlscope decode` prints of each message.
struct Messages {
    json: bool,
}

impl EachMessage for Messages {
    fn message(
        &mut self,
        index: usize,
        message: CapturedMessage,
        context: &DecodeContext,
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        let decoded = decode(&message, context);
        if self.json {
            serde_json::to_writer(&mut *out, &json_message(index, &message, &decoded))?;
            out.push(b'\n');
        } else {
            write_text(out, index, &message, &decoded);
        }
        Ok(())
    }
}

/// What [`stream_file`] hands a file's messages to.
pub(super) trait EachMessage {
    /// Message `index` (from 1), decoded with `context`, which has learnt
    /// from it: appends its output to `out`.
    fn message(
        &mut self,
        index: usize,
        message: CapturedMessage,
        context: &DecodeContext,
        out: &mut Vec<u8>,
    ) -> std::io::Result<()>;

    /// After the last message: appends what comes last.
    fn end(&mut self, _out: &mut Vec<u8>) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads `file` message by message, numbered from 1, with `context`
/// learning from the file and the stream, and hands each to `consumer`,
/// which appends its output. Output
/// goes to stdout in chunks; a reader that goes away (`| head`) ends it
/// quietly, and a damaged file ends in an error naming the byte offset,
/// after everything before it.
pub(super) fn stream_file(
    file: &std::path::Path,
    mut context: DecodeContext,
    consumer: &mut impl EachMessage,
) -> anyhow::Result<()> {
    let mut families_known = 0;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // Output is gathered here and written in chunks of about 64 KiB.
    let mut pending: Vec<u8> = Vec::with_capacity(CHUNK + 16 * 1024);
    let mut index = 0;
    let mut written: std::io::Result<()> = Ok(());
    // Messages are handled as they are read: output starts at once and
    // memory holds one message, whatever the size of the file.
    let (read, count) = read_capture_file_streaming(file, |message, families| {
        if written.is_err() {
            return; // the reader went away; the rest is not printed
        }
        // Names nlscope synthesized into the file come before the messages
        // that use them; what the stream itself teaches (groups) wins.
        if families.len() != families_known {
            for (id, name) in families {
                if context.family(*id).is_none() {
                    context.add_family(*id, name, Vec::new());
                }
            }
            families_known = families.len();
        }
        index += 1;
        context.learn(&message);
        written = consumer.message(index, message, &context, &mut pending);
        if written.is_ok() && pending.len() >= CHUNK {
            written = out.write_all(&pending);
            pending.clear();
        }
    });
    let written = written
        .and_then(|()| consumer.end(&mut pending))
        .and_then(|()| out.write_all(&pending))
        .and_then(|()| out.flush());
    match written {
        // A reader that went away (`| head`) is not an error.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(error) => return Err(error.into()),
        Ok(()) => {}
    }
    if let Some(error) = read.error {
        if let ReadErrorKind::Io(_) = error.kind {
            // Nothing was read: no offset or message count to speak of.
            anyhow::bail!("{}", error.kind);
        }
        anyhow::bail!(
            "{}: {} (at byte offset {}); the {} complete messages before it were printed",
            file.display(),
            error.kind,
            error.offset,
            count
        );
    }
    Ok(())
}

fn json_message<'a>(
    index: usize,
    message: &'a CapturedMessage,
    decoded: &'a DecodedMessage,
) -> JsonMessage<'a> {
    JsonMessage {
        index,
        ts_wall_ns: message.ts_wall_ns,
        ts_mono_ns: message.ts_mono_ns,
        pid: message.pid,
        tid: message.tid,
        comm: &message.comm,
        netns: message.netns,
        direction: message.direction().short(),
        protocol: message.protocol,
        protocol_name: protocol_name(message.protocol),
        src_port: message.src_port,
        dst_port: message.dst_port,
        dst_group: message.dst_group,
        len: message.len,
        captured: message.payload.len(),
        cut: message.is_truncated(),
        hook: &message.hook,
        result: message.result,
        deliveries: &message.deliveries,
        summary: &decoded.summary,
        messages: &decoded.messages,
    }
}

/// Text for a delivery result: bytes, or the errno's name. Built by
/// copies, not `format!` (this runs for every message of a file).
fn result_text(result: i64) -> CompactString {
    let mut number = itoa::Buffer::new();
    let digits = number.format(result);
    if result >= 0 {
        return cat(&[digits, " (delivered)"]);
    }
    let errno = i32::try_from(-result).unwrap_or(i32::MAX);
    match errno_name(errno) {
        Some(name) => cat(&["-", name, " (", digits, ")"]),
        None => digits.into(),
    }
}

/// `kernel`, `port N`, `group N`, or `?` for a port the capture does not give.
fn endpoint(port: Option<u32>, group: u32) -> CompactString {
    let mut number = itoa::Buffer::new();
    match (port, group) {
        (_, group) if group != 0 => cat(&["group ", number.format(group)]),
        (Some(0), _) => "kernel".into(),
        (Some(port), _) => cat(&["port ", number.format(port)]),
        (None, _) => "?".into(),
    }
}

/// One message as text, appended to `text`: a headline, its metadata, then the
/// decoded tree. Byte copies only (this runs for every message of files with
/// millions; see scripts/bench-decode.sh).
fn write_text(
    text: &mut Vec<u8>,
    index: usize,
    message: &CapturedMessage,
    decoded: &DecodedMessage,
) {
    let mut put = |parts: &[&str]| {
        for part in parts {
            text.extend_from_slice(part.as_bytes());
        }
    };
    let seconds = message.ts_wall_ns / 1_000_000_000;
    let nanos = (message.ts_wall_ns % 1_000_000_000).to_compact_string();
    let padding = &"000000000"[..9usize.saturating_sub(nanos.len())];
    let comm = if message.comm.is_empty() {
        "?"
    } else {
        &message.comm
    };
    let hook = if message.hook.is_empty() {
        "?"
    } else {
        &message.hook
    };
    put(&["Message ", &num(index), ": ", &decoded.summary, "\n"]);
    put(&[
        "    time: ",
        &num(seconds),
        ".",
        padding,
        &nanos,
        " (monotonic ",
        &num(message.ts_mono_ns),
        " ns)\n",
    ]);
    if message.process_known() {
        put(&[
            "    process: ",
            comm,
            " (pid ",
            &num(message.pid),
            ", tid ",
            &num(message.tid),
            ")\n",
        ]);
    } else {
        // Another tool's file names no process.
        put(&["    process: ?\n"]);
    }
    put(&[
        "    ",
        &protocol_name(message.protocol),
        " ",
        &num(message.protocol),
        ": ",
        &endpoint(message.src_port, 0),
        " -> ",
        &endpoint(message.dst_port, message.dst_group),
        "  [",
        message.direction().short(),
        "]\n",
    ]);
    put(&[
        "    length: ",
        &num(message.len),
        " bytes (",
        &num(message.payload.len()),
        " captured), netns ",
        &num(message.netns),
        ", hook ",
        hook,
        "\n",
    ]);
    if let Some(cut) = message.cut_text() {
        put(&["    ", CUT_LABEL, ": ", &cut, "\n"]);
    }
    if let Some(result) = message.result {
        put(&["    result: ", &result_text(result), "\n"]);
    }
    for delivery in &message.deliveries {
        put(&[
            "    delivered to port ",
            &num(delivery.port),
            ": ",
            &result_text(delivery.result),
            "\n",
        ]);
    }
    decoded.append_text(text, "    ");
    text.push(b'\n');
}

fn num(n: impl ToCompactString) -> CompactString {
    n.to_compact_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_name_their_errno() {
        assert_eq!(result_text(29), "29 (delivered)");
        assert_eq!(result_text(-105), "-ENOBUFS (-105)");
        assert_eq!(result_text(-3), "-ESRCH (-3)");
        assert_eq!(endpoint(Some(0), 0), "kernel");
        assert_eq!(endpoint(Some(0), 1), "group 1");
        assert_eq!(endpoint(Some(7), 0), "port 7");
        assert_eq!(endpoint(None, 0), "?");
    }
}
