//! Statistics of every closed transaction (those whose request was evicted
//! since included): latency per operation (p50, p99, max), the slowest
//! requests, and the errors by errno and extended ack message. Every table
//! is capped, so memory stays bounded over any capture.
//!
//! A transaction's latency is the capture time from its request to its
//! last reply: for a dump, until its NLMSG_DONE. Transactions without a
//! reply have no latency; they are counted by outcome.

use std::collections::{BTreeMap, HashMap};

use compact_str::CompactString;
use hdrhistogram::Histogram;

use crate::pairing::{Outcome, Transaction};

/// Operations tracked one by one; later ones are counted together.
pub const MAX_OPS: usize = 256;
/// Slowest requests kept.
pub const SLOWEST: usize = 32;
/// Distinct (errno, extack) pairs tracked.
pub const MAX_ERROR_KINDS: usize = 1024;
/// What the operations past [`MAX_OPS`] are counted as.
pub const OTHER_OPS: &str = "(other operations)";

/// The largest latency the histograms tell apart from it (an hour); a
/// slower reply counts as this.
const HIGHEST_NS: u64 = 3_600_000_000_000;

/// One operation's transactions.
#[derive(Clone, Debug)]
pub struct OpLatency {
    /// Closed transactions.
    pub count: u64,
    /// Of which ended with an error (errno).
    pub errors: u64,
    /// Of which had no reply at all.
    pub no_reply: u64,
    /// Latencies of those that had a reply, at 1% precision.
    latencies: Histogram<u32>,
    /// The exact slowest.
    pub max_ns: u64,
}

impl OpLatency {
    fn new() -> OpLatency {
        OpLatency {
            count: 0,
            errors: 0,
            no_reply: 0,
            latencies: Histogram::new_with_bounds(1, HIGHEST_NS, 2)
                .expect("constant histogram bounds are valid"),
            max_ns: 0,
        }
    }

    /// Transactions with a latency.
    pub fn answered(&self) -> u64 {
        self.latencies.len()
    }

    /// The latency at `quantile` (0.5, 0.99) of those answered, to 1%
    /// (never above the exact maximum).
    pub fn quantile_ns(&self, quantile: f64) -> Option<u64> {
        (!self.latencies.is_empty())
            .then(|| self.latencies.value_at_quantile(quantile).min(self.max_ns))
    }

    fn record(&mut self, tx: &Transaction) {
        self.count += 1;
        match tx.outcome {
            Outcome::Error { .. } => self.errors += 1,
            Outcome::NoReply(_) => self.no_reply += 1,
            _ => {}
        }
        if let Some(ns) = tx.last_reply_ns {
            self.latencies.saturating_record(ns.clamp(1, HIGHEST_NS));
            self.max_ns = self.max_ns.max(ns);
        }
    }
}

/// A slow request, kept to be found again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slow {
    pub id: u64,
    pub op: CompactString,
    pub comm: CompactString,
    pub pid: u32,
    /// Store seq of its request.
    pub request: u64,
    pub latency_ns: u64,
}

/// See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct TransactionStats {
    pub per_op: HashMap<CompactString, OpLatency>,
    /// Slowest first, at most [`SLOWEST`].
    pub slowest: Vec<Slow>,
    /// (errno, extack message) -> transactions.
    pub errors: BTreeMap<(i32, Option<String>), u64>,
    /// Errors whose (errno, message) came after the table was full.
    pub other_errors: u64,
    pub closed: u64,
}

impl TransactionStats {
    /// Counts closed transaction `tx`.
    pub fn record(&mut self, tx: &Transaction) {
        self.closed += 1;
        let op = if self.per_op.len() < MAX_OPS || self.per_op.contains_key(&tx.op) {
            tx.op.clone()
        } else {
            CompactString::const_new(OTHER_OPS)
        };
        self.per_op
            .entry(op)
            .or_insert_with(OpLatency::new)
            .record(tx);
        if let Outcome::Error { errno } = tx.outcome {
            let key = (errno, tx.extack.clone());
            if self.errors.len() < MAX_ERROR_KINDS || self.errors.contains_key(&key) {
                *self.errors.entry(key).or_default() += 1;
            } else {
                self.other_errors += 1;
            }
        }
        if let Some(latency_ns) = tx.last_reply_ns {
            self.keep_if_slow(Slow {
                id: tx.id,
                op: tx.op.clone(),
                comm: tx.comm.clone(),
                pid: tx.pid,
                request: tx.request,
                latency_ns,
            });
        }
    }

    fn keep_if_slow(&mut self, slow: Slow) {
        if self.slowest.len() == SLOWEST
            && self
                .slowest
                .last()
                .is_some_and(|last| last.latency_ns >= slow.latency_ns)
        {
            return;
        }
        // Slowest first; of equal ones, the earlier first.
        let at = self
            .slowest
            .partition_point(|kept| kept.latency_ns >= slow.latency_ns);
        self.slowest.insert(at, slow);
        self.slowest.truncate(SLOWEST);
    }

    /// The operations, those with the slowest p99 first (then by name).
    pub fn ops_by_p99(&self) -> Vec<(&str, &OpLatency)> {
        let mut ops: Vec<(&str, &OpLatency)> = self
            .per_op
            .iter()
            .map(|(op, latency)| (op.as_str(), latency))
            .collect();
        ops.sort_by(|a, b| {
            b.1.quantile_ns(0.99)
                .cmp(&a.1.quantile_ns(0.99))
                .then_with(|| a.0.cmp(b.0))
        });
        ops
    }

    /// The errors, the most frequent first (then by errno and message).
    pub fn errors_by_count(&self) -> Vec<(i32, Option<&str>, u64)> {
        let mut errors: Vec<(i32, Option<&str>, u64)> = self
            .errors
            .iter()
            .map(|((errno, message), n)| (*errno, message.as_deref(), *n))
            .collect();
        errors.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (a.0, a.1).cmp(&(b.0, b.1))));
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pairing::{Key, Replies, Why};
    use proptest::prelude::*;

    fn tx(id: u64, op: &str, outcome: Outcome, latency_ns: Option<u64>) -> Transaction {
        Transaction {
            id,
            key: Key {
                netns: 1,
                protocol: 0,
                port: 100,
                seq: id as u32,
            },
            peer: 0,
            request: id * 2,
            request_bytes: 0..16,
            kind: 18,
            flags: 5,
            op: op.into(),
            pid: 7,
            comm: "ip".into(),
            started_ns: 0,
            replies: Replies::default(),
            first_reply_ns: latency_ns,
            last_reply_ns: latency_ns,
            parts: u32::from(latency_ns.is_some()),
            bytes: 0,
            interrupted: false,
            outcome,
            extack: None,
            offending: None,
        }
    }

    #[test]
    fn latencies_per_operation_read_as_quantiles_and_max() {
        let mut stats = TransactionStats::default();
        for i in 1..=100u64 {
            stats.record(&tx(i, "RTM_GETLINK", Outcome::Ok, Some(i * 1_000)));
        }
        stats.record(&tx(
            101,
            "RTM_GETLINK",
            Outcome::NoReply(Why::CaptureEnded),
            None,
        ));
        let getlink = &stats.per_op["RTM_GETLINK"];
        assert_eq!(
            (getlink.count, getlink.answered(), getlink.no_reply),
            (101, 100, 1)
        );
        let p50 = getlink.quantile_ns(0.5).unwrap();
        let p99 = getlink.quantile_ns(0.99).unwrap();
        // 1% precision.
        assert!((49_500..=50_600).contains(&p50), "{p50}");
        assert!((98_000..=100_000).contains(&p99), "{p99}");
        assert_eq!(getlink.max_ns, 100_000);
        assert_eq!(stats.slowest[0].id, 100);
        assert_eq!(stats.slowest.len(), SLOWEST);
        assert!(stats
            .slowest
            .windows(2)
            .all(|w| w[0].latency_ns >= w[1].latency_ns));
    }

    #[test]
    fn errors_group_by_errno_and_message() {
        let mut stats = TransactionStats::default();
        let mut failed = |id, errno, message: Option<&str>| {
            let mut t = tx(id, "RTM_NEWLINK", Outcome::Error { errno }, Some(10));
            t.extack = message.map(str::to_string);
            stats.record(&t);
        };
        failed(1, 95, Some("Unknown device type"));
        failed(2, 95, Some("Unknown device type"));
        failed(3, 95, None);
        failed(4, 22, Some("Attribute failed policy validation"));
        assert_eq!(
            stats.errors_by_count(),
            [
                (95, Some("Unknown device type"), 2),
                (22, Some("Attribute failed policy validation"), 1),
                (95, None, 1),
            ]
        );
        assert_eq!(stats.per_op["RTM_NEWLINK"].errors, 4);
    }

    proptest! {
        #[test]
        fn tables_stay_bounded(ops in prop::collection::vec((0u32..2000, 0i32..3000, 0u64..1u64 << 40), 1..3000)) {
            let mut stats = TransactionStats::default();
            for (i, (op, errno, latency)) in ops.iter().enumerate() {
                let outcome = if *errno % 2 == 0 { Outcome::Ok } else { Outcome::Error { errno: *errno } };
                let mut t = tx(i as u64 + 1, &format!("op{op}"), outcome, Some(*latency));
                t.extack = Some(format!("message {errno}"));
                stats.record(&t);
            }
            prop_assert!(stats.per_op.len() <= MAX_OPS + 1);
            prop_assert!(stats.errors.len() <= MAX_ERROR_KINDS);
            prop_assert!(stats.slowest.len() <= SLOWEST);
            let counted: u64 = stats.per_op.values().map(|op| op.count).sum();
            prop_assert_eq!(counted, ops.len() as u64);
            let max = ops.iter().map(|o| o.2).max().unwrap();
            prop_assert_eq!(stats.slowest[0].latency_ns, max);
        }
    }
}
