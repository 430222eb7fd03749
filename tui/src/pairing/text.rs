//! How a transaction reads, for the people who look at it: the text the
//! command line (`nlscope decode --transactions`) and the dashboard both
//! print, so the two say the same thing the same way. Pure.

use std::fmt::Write as _;

use crate::decode::errno_name;
use crate::pairing::{Offending, Outcome, Transaction, Why};

/// `1.2 ms`, `81 µs`, `2.50 s`.
pub fn duration_text(ns: u64) -> String {
    match ns {
        0..1_000 => format!("{ns} ns"),
        1_000..1_000_000 => format!("{} µs", ns / 1_000),
        1_000_000..1_000_000_000 => format!("{:.1} ms", ns as f64 / 1e6),
        _ => format!("{:.2} s", ns as f64 / 1e9),
    }
}

/// `ENODEV (19)`.
pub fn errno_text(errno: i32) -> String {
    match errno_name(errno) {
        Some(name) => format!("{name} ({errno})"),
        None => format!("errno {errno}"),
    }
}

/// What the outcome says, with the extended ack's message.
pub fn outcome_text(tx: &Transaction) -> String {
    let mut text = match &tx.outcome {
        Outcome::Pending => "pending".to_string(),
        Outcome::Ok => "ok".to_string(),
        Outcome::Error { errno } => format!("error {}", errno_text(*errno)),
        Outcome::Interrupted => "interrupted (NLM_F_DUMP_INTR)".to_string(),
        Outcome::NoReply(why) => format!("no reply: {}", why_text(*why)),
        Outcome::Unfinished(why) => format!("unfinished: {}", why_text(*why)),
    };
    if let Some(message) = &tx.extack {
        let what = if tx.outcome == Outcome::Ok {
            ", warning"
        } else {
            ""
        };
        let _ = write!(text, "{what}: \"{}\"", message.escape_debug());
    }
    text
}

pub fn why_text(why: Why) -> String {
    match why {
        Why::Timeout { after_ns } => format!("none within {}", duration_text(after_ns)),
        Why::Superseded { by } => format!("superseded by transaction {by} (same socket and seq)"),
        Why::Evicted => "evicted (too many requests pending)".to_string(),
        Why::CaptureEnded => "the capture ended".to_string(),
        Why::Undelivered { errno } => format!("not delivered, {}", errno_text(errno)),
    }
}

/// `#2..#4, #9`: message numbers, runs joined, at most 8 runs shown.
pub fn replies_text(tx: &Transaction) -> String {
    const SHOWN: usize = 8;
    let runs: Vec<_> = tx.replies.runs().collect();
    let mut text = String::new();
    for (i, run) in runs.iter().take(SHOWN).enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        let _ = match run.end - run.start {
            1 => write!(text, "#{}", run.start),
            _ => write!(text, "#{}..#{}", run.start, run.end - 1),
        };
    }
    if runs.len() > SHOWN {
        let _ = write!(text, ", ... ({} runs in all)", runs.len());
    }
    text
}

/// `attributes / IFLA_LINKINFO / IFLA_INFO_KIND, bytes 48..58 of #15`.
pub fn offending_text(offending: &Offending, request: u64) -> String {
    match &offending.bytes {
        Some(bytes) => format!(
            "{}, bytes {}..{} of #{request} (offset {})",
            offending.field_text(),
            bytes.start,
            bytes.end,
            offending.offset
        ),
        None => format!(
            "offset {} is outside the request #{request}",
            offending.offset
        ),
    }
}

/// The outcome in a word or two, for a table cell: `ok`, `ENODEV`,
/// `no reply`, `pending`, `unfinished`, `interrupted`.
pub fn outcome_cell(tx: &Transaction) -> String {
    match &tx.outcome {
        Outcome::Pending => "pending".into(),
        Outcome::Ok => "ok".into(),
        Outcome::Error { errno } => match errno_name(*errno) {
            Some(name) => name.to_string(),
            None => format!("errno {errno}"),
        },
        Outcome::Interrupted => "interrupted".into(),
        Outcome::NoReply(Why::Undelivered { errno }) => {
            format!("undelivered {}", errno_name(*errno).unwrap_or("?"))
        }
        Outcome::NoReply(_) => "no reply".into(),
        Outcome::Unfinished(_) => "unfinished".into(),
    }
}

/// What came back for a request, in the words of the detail pane:
/// `answered by #3..#4 in 1.2 ms`, `waiting for a reply`, `no reply: none
/// within 5.00 s`.
pub fn answered_text(tx: &Transaction) -> String {
    match (tx.replies.is_empty(), tx.last_reply_ns) {
        (false, Some(last)) => {
            let replies = replies_text(tx);
            format!("answered by {replies} in {}", duration_text(last))
        }
        _ if tx.is_open() => "waiting for a reply".into(),
        _ => outcome_text(tx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_their_unit() {
        assert_eq!(duration_text(999), "999 ns");
        assert_eq!(duration_text(81_500), "81 µs");
        assert_eq!(duration_text(1_250_000), "1.2 ms");
        assert_eq!(duration_text(5_000_000_000), "5.00 s");
    }
}
