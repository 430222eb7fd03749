//! `nlscope decode FILE --transactions`, a front end of [`crate::pairing`]:
//! every request of a capture with its replies, one line (or, with
//! `--json`, one JSON object) a transaction, in the order of the requests;
//! replies nobody waited for as orphans, where they came; and a closing
//! count. Streams like `nlscope decode`: a transaction is printed once it
//! and every request before it have closed, so memory holds the pending
//! requests (bounded) and what closed after the oldest of them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::decode::{stream_file, DecodeArgs, EachMessage};
use crate::decode::{errno_name, DecodeContext};
use crate::event::CapturedMessage;
use crate::netlink::names::protocol_name;
use crate::pairing::text::{duration_text, offending_text, outcome_text, replies_text};
use crate::pairing::{
    Counts, Event, Key, Offending, Outcome, Pairer, PairingConfig, Transaction, Why,
};

/// Runs `nlscope decode --transactions`.
pub fn run(args: DecodeArgs, specs: std::sync::Arc<crate::ynl::Specs>) -> anyhow::Result<()> {
    let context = DecodeContext::with_specs(specs);
    let config = PairingConfig {
        timeout_ns: args.reply_timeout_ms.saturating_mul(1_000_000),
        ..PairingConfig::default()
    };
    let mut printer = Printer::new(args.json, Pairer::new(config));
    stream_file(&args.file, context, &mut printer)
}

impl EachMessage for Printer {
    fn message(
        &mut self,
        index: usize,
        message: CapturedMessage,
        context: &DecodeContext,
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        let mut events = std::mem::take(&mut self.events);
        self.pairer
            .ingest(index as u64, &message, context, &mut events);
        let printed = self.take(&mut events, out);
        self.events = events;
        printed
    }

    fn end(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        let mut events = std::mem::take(&mut self.events);
        self.pairer.finish(&mut events);
        self.take(&mut events, out)?;
        self.summary(self.pairer.counts(), out)
    }
}

/// What is printed, in the order of the stream: a transaction at its
/// request (seq, then id), an orphan at its own message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Position {
    seq: u64,
    /// The transaction's id; `u64::MAX` for an orphan (after the requests
    /// of its datagram, should it hold any).
    id: u64,
    /// Orphans of one datagram in the order they were found.
    nth: u64,
}

enum Item {
    Transaction(Box<Transaction>),
    Orphan { key: Key, after: Option<u64> },
}

/// Pairs, and puts closed transactions and orphans back in stream order.
struct Printer {
    json: bool,
    pairer: Pairer,
    /// The pairer's events, between two messages (kept for the allocation).
    events: Vec<Event>,
    /// Requests not closed yet.
    open: BTreeSet<Position>,
    /// Closed or found, waiting for an earlier request to close.
    ready: BTreeMap<Position, Item>,
    /// Outcomes printed, by label.
    outcomes: BTreeMap<&'static str, u64>,
    /// Orphans found.
    orphans: u64,
}

impl Printer {
    fn new(json: bool, pairer: Pairer) -> Printer {
        Printer {
            json,
            pairer,
            events: Vec::new(),
            open: BTreeSet::new(),
            ready: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            orphans: 0,
        }
    }

    /// Takes `events` and appends to `out` what can be printed now.
    fn take(&mut self, events: &mut Vec<Event>, out: &mut Vec<u8>) -> std::io::Result<()> {
        for event in events.drain(..) {
            match event {
                Event::Opened { id, request, .. } => {
                    self.open.insert(Position {
                        seq: request,
                        id,
                        nth: 0,
                    });
                }
                Event::Closed(tx) => {
                    let at = Position {
                        seq: tx.request,
                        id: tx.id,
                        nth: 0,
                    };
                    self.open.remove(&at);
                    self.ready.insert(at, Item::Transaction(tx));
                }
                Event::Orphan { seq, key, after } => {
                    self.orphans += 1;
                    let at = Position {
                        seq,
                        id: u64::MAX,
                        nth: self.orphans,
                    };
                    self.ready.insert(at, Item::Orphan { key, after });
                }
            }
        }
        while let Some(entry) = self.ready.first_entry() {
            if self.open.first().is_some_and(|open| open < entry.key()) {
                break;
            }
            let (at, item) = entry.remove_entry();
            self.print(at, &item, out)?;
        }
        Ok(())
    }

    fn print(&mut self, at: Position, item: &Item, out: &mut Vec<u8>) -> std::io::Result<()> {
        match item {
            Item::Transaction(tx) => {
                *self.outcomes.entry(tx.outcome.label()).or_default() += 1;
                if self.json {
                    serde_json::to_writer(&mut *out, &JsonTransaction::new(tx))?;
                } else {
                    out.extend_from_slice(transaction_line(tx).as_bytes());
                }
            }
            Item::Orphan { key, after } => {
                if self.json {
                    let orphan = JsonOrphan {
                        kind: "orphan",
                        message: at.seq,
                        key: *key,
                        protocol_name: protocol_name(key.protocol),
                        after: *after,
                    };
                    serde_json::to_writer(&mut *out, &orphan)?;
                } else {
                    out.extend_from_slice(orphan_line(at.seq, key, *after).as_bytes());
                }
            }
        }
        out.push(b'\n');
        Ok(())
    }

    /// The closing count (text only: JSON Lines stay one kind of line each).
    fn summary(&self, counts: Counts, out: &mut Vec<u8>) -> std::io::Result<()> {
        if self.json {
            return Ok(());
        }
        let outcomes: Vec<String> = self
            .outcomes
            .iter()
            .map(|(label, n)| format!("{n} {label}"))
            .collect();
        let mut line = format!("{} transactions", counts.closed);
        if !outcomes.is_empty() {
            let _ = write!(line, " ({})", outcomes.join(", "));
        }
        let _ = write!(
            line,
            "; {} orphan replies, {} notifications",
            counts.orphans, counts.notifications
        );
        if counts.unknown_ports > 0 {
            let _ = write!(
                line,
                ", {} messages whose ports the file does not give (not paired)",
                counts.unknown_ports
            );
        }
        line.push('\n');
        out.extend_from_slice(line.as_bytes());
        Ok(())
    }
}

fn transaction_line(tx: &Transaction) -> String {
    let process = if tx.comm.is_empty() && tx.pid == 0 {
        "?".to_string()
    } else {
        format!("{}[{}]", tx.comm, tx.pid)
    };
    let peer = match tx.peer {
        0 => "kernel".to_string(),
        port => format!("port {port}"),
    };
    let mut line = format!(
        "transaction {} | {} | {process} port {} -> {peer}, {} seq {} | {}",
        tx.id,
        tx.op,
        tx.key.port,
        protocol_name(tx.key.protocol),
        tx.key.seq,
        outcome_text(tx)
    );
    match (tx.first_reply_ns, tx.last_reply_ns) {
        (Some(first), Some(last)) => {
            let _ = write!(
                line,
                " | first {}, last {}",
                duration_text(first),
                duration_text(last)
            );
        }
        _ => line.push_str(" | no reply"),
    }
    let parts = if tx.parts == 1 { "part" } else { "parts" };
    let _ = write!(
        line,
        " | {} {parts}, {} bytes | request #{}",
        tx.parts, tx.bytes, tx.request
    );
    if !tx.replies.is_empty() {
        let _ = write!(line, ", replies {}", replies_text(tx));
    }
    if let Some(offending) = &tx.offending {
        let _ = write!(
            line,
            " | offending: {}",
            offending_text(offending, tx.request)
        );
    }
    line
}

fn orphan_line(seq: u64, key: &Key, after: Option<u64>) -> String {
    let mut line = format!(
        "orphan | #{seq} | to port {}, {} seq {} | no request waiting for it",
        key.port,
        protocol_name(key.protocol),
        key.seq
    );
    if let Some(id) = after {
        let _ = write!(line, " (after transaction {id} closed)");
    }
    line
}

/// One transaction as `--transactions --json` writes it.
#[derive(Serialize)]
struct JsonTransaction<'a> {
    kind: &'static str,
    id: u64,
    op: &'a str,
    protocol: u32,
    protocol_name: String,
    netns: u32,
    port: u32,
    seq: u32,
    /// 0: the kernel.
    peer: u32,
    pid: u32,
    comm: &'a str,
    /// Message numbers, as `nlscope decode` prints them.
    request: u64,
    request_bytes: [usize; 2],
    #[serde(rename = "type")]
    kind_number: u16,
    flags: u16,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errno: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errno_name: Option<&'static str>,
    /// Why it closed without its end: `timeout`, `superseded`, `evicted`,
    /// `capture-ended`, `undelivered`.
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout_ns: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    superseded_by: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extack: Option<&'a str>,
    interrupted: bool,
    first_reply_ns: Option<u64>,
    last_reply_ns: Option<u64>,
    parts: u32,
    bytes: u64,
    replies: Vec<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offending: Option<&'a Offending>,
}

impl<'a> JsonTransaction<'a> {
    fn new(tx: &'a Transaction) -> JsonTransaction<'a> {
        let why = tx.outcome.why();
        let errno = match (&tx.outcome, why) {
            (&Outcome::Error { errno }, _) | (_, Some(Why::Undelivered { errno })) => Some(errno),
            _ => None,
        };
        JsonTransaction {
            kind: "transaction",
            id: tx.id,
            op: &tx.op,
            protocol: tx.key.protocol,
            protocol_name: protocol_name(tx.key.protocol),
            netns: tx.key.netns,
            port: tx.key.port,
            seq: tx.key.seq,
            peer: tx.peer,
            pid: tx.pid,
            comm: &tx.comm,
            request: tx.request,
            request_bytes: [tx.request_bytes.start, tx.request_bytes.end],
            kind_number: tx.kind,
            flags: tx.flags,
            outcome: tx.outcome.label(),
            errno,
            errno_name: errno.and_then(errno_name),
            why: why.map(|why| match why {
                Why::Timeout { .. } => "timeout",
                Why::Superseded { .. } => "superseded",
                Why::Evicted => "evicted",
                Why::CaptureEnded => "capture-ended",
                Why::Undelivered { .. } => "undelivered",
            }),
            timeout_ns: match why {
                Some(Why::Timeout { after_ns }) => Some(after_ns),
                _ => None,
            },
            superseded_by: match why {
                Some(Why::Superseded { by }) => Some(by),
                _ => None,
            },
            extack: tx.extack.as_deref(),
            interrupted: tx.interrupted,
            first_reply_ns: tx.first_reply_ns,
            last_reply_ns: tx.last_reply_ns,
            parts: tx.parts,
            bytes: tx.bytes,
            replies: tx.replies.iter().collect(),
            offending: tx.offending.as_ref(),
        }
    }
}

/// One orphan as `--transactions --json` writes it.
#[derive(Serialize)]
struct JsonOrphan {
    kind: &'static str,
    /// Its message number.
    message: u64,
    #[serde(flatten)]
    key: Key,
    protocol_name: String,
    /// The transaction of its key that closed before it, if remembered.
    after: Option<u64>,
}
