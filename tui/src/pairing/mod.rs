//! Pairing: each request with its replies, as a [`Transaction`] with an
//! outcome, latencies, parts and bytes, and for an error with an offset
//! the attribute the kernel rejected. Pure: fed one captured datagram at a
//! time ([`Pairer::ingest`]), it returns what the datagram is to pairing
//! ([`Role`]) and appends what changed ([`Event`]); no I/O, no clock but
//! the messages' own timestamps, bounded memory. The same stream always
//! pairs the same way, so a file written and read again pairs as the
//! capture did (tested), and nothing needs to be stored beside messages.
//!
//! Beside decoding, below the store: netlink numbers and the header codec
//! come from [`crate::netlink`], operation names and the offending
//! attribute's field from [`crate::decode`].
//!
//! **Keys.** A request is keyed by (network namespace, protocol, the
//! sending socket's port as captured, header seq). The captured port is the
//! one the kernel knows the socket by (`NETLINK_CB(skb).portid`), which is
//! also where replies go; the header's `nlmsg_pid` is not used, since it is
//! 0 for a socket that was not bound yet. A reply is matched by (network
//! namespace, protocol, destination port, header seq), unicasts only: a
//! multicast (`dst_group != 0`) is a notification and never a reply, even
//! when it carries the requester's seq and port (rtnetlink's do).
//! Messages whose ports the capture does not give (another tool's file)
//! are not paired ([`Role::UnknownPorts`]): guessing them from the header
//! would pair notifications.
//!
//! **Requests** are messages with NLM_F_REQUEST sent by a user socket, to
//! the kernel or to another user port; each message of a datagram (a
//! batch) is a transaction of its own. A request whose delivery failed
//! (`result < 0`) closes at once as [`Why::Undelivered`].
//!
//! **End rules**, for the replies to a pending request:
//! - NLMSG_ERROR ends every transaction (an ACK is an error code of 0);
//! - NLMSG_DONE ends a dump (NLM_F_DUMP) and a multipart reply (parts with
//!   NLM_F_MULTI); a negative status in it is an error;
//! - a request with NLM_F_ACK goes on to its NLMSG_ERROR, after any data;
//! - one without, that is neither a dump nor answered in parts, ends with
//!   its first reply datagram;
//! - NLM_F_DUMP_INTR on any part marks the transaction interrupted
//!   ([`Outcome::Interrupted`] when it otherwise ends well).
//!
//! **Bounds and time.** At most [`PairingConfig::max_pending`] requests
//! wait at once; when full, the one idle longest is closed as
//! [`Why::Evicted`]. A request with no reply (or no further reply) within
//! [`PairingConfig::timeout_ns`] of capture time, judged by the timestamps
//! of later messages and by [`Pairer::expire`], closes as
//! [`Why::Timeout`]; [`Pairer::finish`] closes what is left as
//! [`Why::CaptureEnded`]. A key reused while its request waits closes the
//! old one as [`Why::Superseded`]. Nothing is guessed: a reply whose
//! request is unknown (it came before the capture started, or was closed
//! already) is an [`Event::Orphan`], not paired.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;

use compact_str::CompactString;
use foldhash::fast::RandomState;
use serde::{Deserialize, Serialize};

use crate::decode::{decode, DecodeContext, DecodedMessage, Field};
use crate::event::CapturedMessage;
use crate::netlink::header::{is_dump_request, split_messages, NlMsgHeader, NLMSG_HDRLEN};
use crate::netlink::names::type_name;
use crate::netlink::{
    NETLINK_GENERIC, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_DUMP_INTR, NLM_F_MULTI,
    NLM_F_REQUEST,
};

mod reply;
mod resolve;
#[cfg(test)]
mod tests;
pub mod text;

pub use resolve::{resolve_offset, Offending};

/// Default of [`PairingConfig::timeout_ns`]: 5 s of capture time.
pub const DEFAULT_TIMEOUT_NS: u64 = 5_000_000_000;
/// Default of [`PairingConfig::max_pending`].
pub const DEFAULT_MAX_PENDING: usize = 4096;
/// A pending request keeps a copy of its bytes up to this size, to resolve
/// an error offset when the error does not quote it (NLM_F_CAPPED). Larger
/// ones are resolved from the quoted copy only.
pub const KEEP_REQUEST_BYTES: usize = 4096;

/// How long requests wait and how many at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairingConfig {
    /// Capture time after a request's last activity (the request, or its
    /// latest reply) at which it is closed as [`Why::Timeout`].
    pub timeout_ns: u64,
    /// Requests waiting at once; at least 1.
    pub max_pending: usize,
}

impl Default for PairingConfig {
    fn default() -> PairingConfig {
        PairingConfig {
            timeout_ns: DEFAULT_TIMEOUT_NS,
            max_pending: DEFAULT_MAX_PENDING,
        }
    }
}

/// What a request and its replies have in common.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub netns: u32,
    pub protocol: u32,
    /// The requesting socket's port (the reply's destination).
    pub port: u32,
    /// The header seq.
    pub seq: u32,
}

/// How a transaction ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Still waiting (only for transactions not closed yet).
    Pending,
    /// An ACK, an NLMSG_DONE with status 0, or the data a request without
    /// NLM_F_ACK asked for.
    Ok,
    /// An NLMSG_ERROR (or a dump's NLMSG_DONE) with this errno (positive).
    Error { errno: i32 },
    /// Ended well, but a part said NLM_F_DUMP_INTR: the dump was
    /// interrupted by a change and may be inconsistent.
    Interrupted,
    /// Nothing came back.
    NoReply(Why),
    /// Replies came, but not the end (NLMSG_DONE, or the NLMSG_ERROR of a
    /// request with NLM_F_ACK).
    Unfinished(Why),
}

/// Why a transaction closed without its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// Nothing (more) within this much capture time.
    Timeout { after_ns: u64 },
    /// The same socket sent a request with the same seq, transaction `by`.
    Superseded { by: u64 },
    /// Closed to keep the pending requests bounded.
    Evicted,
    /// The capture ended before the timeout.
    CaptureEnded,
    /// The request was not delivered: this errno (positive).
    Undelivered { errno: i32 },
}

impl Outcome {
    /// `ok`, `error`, `interrupted`, `no-reply`, `unfinished`, `pending`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Ok => "ok",
            Outcome::Error { .. } => "error",
            Outcome::Interrupted => "interrupted",
            Outcome::NoReply(_) => "no-reply",
            Outcome::Unfinished(_) => "unfinished",
        }
    }

    /// Why it closed without its end, when it did.
    pub fn why(&self) -> Option<Why> {
        match self {
            Outcome::NoReply(why) | Outcome::Unfinished(why) => Some(*why),
            _ => None,
        }
    }
}

/// The store seqs of a transaction's reply datagrams, ascending, kept as
/// runs of consecutive seqs (a dump's datagrams mostly are).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replies {
    runs: Vec<(u64, u64)>,
}

impl Replies {
    /// Adds `seq` (not below the last one added).
    fn push(&mut self, seq: u64) {
        match self.runs.last_mut() {
            Some((start, count)) if *start + *count == seq => *count += 1,
            Some((start, count)) if *start + *count > seq => {}
            _ => self.runs.push((seq, 1)),
        }
    }

    /// How many datagrams.
    pub fn len(&self) -> u64 {
        self.runs.iter().map(|(_, count)| count).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    pub fn first(&self) -> Option<u64> {
        self.runs.first().map(|(start, _)| *start)
    }

    pub fn last(&self) -> Option<u64> {
        self.runs.last().map(|(start, count)| start + count - 1)
    }

    /// The runs: `start..end` (end exclusive).
    pub fn runs(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        self.runs.iter().map(|&(start, count)| start..start + count)
    }

    /// Every seq, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.runs().flatten()
    }

    pub fn contains(&self, seq: u64) -> bool {
        self.runs().any(|run| run.contains(&seq))
    }
}

/// One request and what came back for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// Numbered from 1 in the order requests were seen.
    pub id: u64,
    pub key: Key,
    /// Where the request went: 0 for the kernel, else a user port.
    pub peer: u32,
    /// Store seq of the request's datagram.
    pub request: u64,
    /// The request message's bytes in that datagram.
    pub request_bytes: Range<usize>,
    /// The request's message type and header flags.
    pub kind: u16,
    pub flags: u16,
    /// The operation, as the decoder names it: `RTM_GETLINK dump`,
    /// `nl80211 GET_WIPHY`, `NFT_MSG_NEWRULE`.
    pub op: CompactString,
    /// The requesting task.
    pub pid: u32,
    pub comm: CompactString,
    /// `ts_mono_ns` of the request.
    pub started_ns: u64,
    /// Store seqs of the reply datagrams.
    pub replies: Replies,
    /// Capture time from the request to its first and to its last reply.
    pub first_reply_ns: Option<u64>,
    pub last_reply_ns: Option<u64>,
    /// Reply messages (a datagram can hold many) and their bytes.
    pub parts: u32,
    pub bytes: u64,
    /// A part carried NLM_F_DUMP_INTR.
    pub interrupted: bool,
    pub outcome: Outcome,
    /// The extended ack's message (NLMSGERR_ATTR_MSG), for an error or a
    /// warning on success.
    pub extack: Option<String>,
    /// Where the error's offset (NLMSGERR_ATTR_OFFS) points in the request.
    pub offending: Option<Offending>,
}

impl Transaction {
    pub fn is_open(&self) -> bool {
        self.outcome == Outcome::Pending
    }
}

/// What a datagram is to pairing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Neither a request nor a reply (a message to the kernel without
    /// NLM_F_REQUEST, kernel to kernel, no header).
    #[default]
    Other,
    /// A multicast.
    Notification,
    /// The capture does not give its ports; not paired.
    UnknownPorts,
    /// Opens transactions `first .. first + count`.
    Request { first: u64, count: u32 },
    /// A reply of transaction `id` (the first, if it answers several).
    Reply { id: u64 },
    /// A unicast to a user port that no pending request was waiting for;
    /// `after` is the transaction of its key that closed before it, if
    /// one is remembered.
    Orphan { after: Option<u64> },
}

/// A change [`Pairer::ingest`], [`Pairer::expire`] or [`Pairer::finish`]
/// reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A request opened transaction `id`.
    Opened { id: u64, key: Key, request: u64 },
    /// Transaction closed, with everything known of it.
    Closed(Box<Transaction>),
    /// Datagram `seq` holds replies for `key` that no request waits for.
    Orphan {
        seq: u64,
        key: Key,
        after: Option<u64>,
    },
}

/// Counts of what pairing saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub opened: u64,
    pub closed: u64,
    /// Datagrams with replies nobody waited for.
    pub orphans: u64,
    pub notifications: u64,
    /// Datagrams whose ports the capture does not give.
    pub unknown_ports: u64,
}

/// A request waiting for (more) replies.
struct Open {
    tx: Transaction,
    /// The request's bytes, when small enough to keep.
    kept: Option<Box<[u8]>>,
    /// Capture time of its last activity.
    last_ns: u64,
    /// Its entry in [`Pairer::idle`].
    tick: u64,
    /// A part with NLM_F_MULTI came.
    multi: bool,
    /// The store seq of its latest reply datagram.
    datagram: Option<u64>,
}

/// The pairing state machine. See the module documentation.
pub struct Pairer {
    config: PairingConfig,
    pending: HashMap<Key, Open, RandomState>,
    /// Pending requests, least recently active first; an entry whose tick
    /// is not its request's current one is stale.
    idle: VecDeque<Idle>,
    tick: u64,
    /// Keys of recently closed transactions, to say what an orphan came
    /// after; bounded like `pending`.
    recent: HashMap<Key, u64, RandomState>,
    recent_order: VecDeque<(Key, u64)>,
    /// Operation names already made ([`op_name`]).
    ops: HashMap<OpKey, CompactString, RandomState>,
    next_id: u64,
    now_ns: u64,
    counts: Counts,
    /// Scratch: keys a datagram answered, keys it orphaned.
    touched: Vec<Key>,
    orphaned: HashSet<Key, RandomState>,
}

/// An entry of [`Pairer::idle`]: a request's activity.
#[derive(Clone, Copy)]
struct Idle {
    tick: u64,
    /// Its `last_ns` then (so the expiry needs no lookup until it is due).
    last_ns: u64,
    key: Key,
}

impl Default for Pairer {
    fn default() -> Pairer {
        Pairer::new(PairingConfig::default())
    }
}

impl Pairer {
    pub fn new(config: PairingConfig) -> Pairer {
        Pairer {
            config: PairingConfig {
                max_pending: config.max_pending.max(1),
                ..config
            },
            pending: HashMap::default(),
            idle: VecDeque::new(),
            tick: 0,
            recent: HashMap::default(),
            recent_order: VecDeque::new(),
            ops: HashMap::default(),
            next_id: 1,
            now_ns: 0,
            counts: Counts::default(),
            touched: Vec::new(),
            orphaned: HashSet::default(),
        }
    }

    pub fn config(&self) -> PairingConfig {
        self.config
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Requests waiting now.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// The pending transaction of `key`.
    pub fn pending(&self, key: &Key) -> Option<&Transaction> {
        self.pending.get(key).map(|open| &open.tx)
    }

    /// Every pending transaction, in no particular order.
    pub fn pending_transactions(&self) -> impl Iterator<Item = &Transaction> {
        self.pending.values().map(|open| &open.tx)
    }

    /// The id the next request will get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Takes datagram `seq` (the store's number for it): expires what its
    /// timestamp says is overdue, then opens its requests and pairs its
    /// replies. `context` names operations and decodes a rejected request.
    pub fn ingest(
        &mut self,
        seq: u64,
        message: &CapturedMessage,
        context: &DecodeContext,
        out: &mut Vec<Event>,
    ) -> Role {
        self.expire(message.ts_mono_ns, out);
        if message.dst_group != 0 {
            self.counts.notifications += 1;
            return Role::Notification;
        }
        let (Some(src), Some(dst)) = (message.src_port, message.dst_port) else {
            self.counts.unknown_ports += 1;
            return Role::UnknownPorts;
        };
        let parts = split_messages(&message.payload);
        let mut role = Role::Other;
        let mut decoded = None;
        self.touched.clear();
        self.orphaned.clear();
        for (index, &(offset, header)) in parts.iter().enumerate() {
            if header.flags & NLM_F_REQUEST != 0 && src != 0 {
                let key = Key {
                    netns: message.netns,
                    protocol: message.protocol,
                    port: src,
                    seq: header.seq,
                };
                let part = Part {
                    seq,
                    index,
                    offset,
                    header,
                };
                let id = self.open(&part, key, dst, message, context, &mut decoded, out);
                role = match role {
                    Role::Request { first, count } => Role::Request {
                        first,
                        count: count + 1,
                    },
                    _ => Role::Request {
                        first: id,
                        count: 1,
                    },
                };
            } else if dst != 0 {
                let key = Key {
                    netns: message.netns,
                    protocol: message.protocol,
                    port: dst,
                    seq: header.seq,
                };
                let found = self.reply(seq, offset, header, key, message, context, out);
                role = match (role, found) {
                    (Role::Request { .. } | Role::Reply { .. }, _) => role,
                    (_, Ok(id)) => Role::Reply { id },
                    (Role::Orphan { after }, Err(_)) => Role::Orphan { after },
                    (_, Err(after)) => Role::Orphan { after },
                };
            }
        }
        // The first reply datagram ends a request without NLM_F_ACK that
        // is neither a dump nor answered in parts.
        for i in 0..self.touched.len() {
            let key = self.touched[i];
            let ends = self.pending.get(&key).is_some_and(|open| {
                open.datagram == Some(seq)
                    && open.tx.flags & NLM_F_ACK == 0
                    && !is_dump_request(open.tx.flags)
                    && !open.multi
            });
            if ends {
                self.close(key, Outcome::Ok, out);
            }
        }
        role
    }

    /// Closes the requests that have waited more than the timeout at
    /// capture time `now_ns` (a clock of the messages' kind, CLOCK_MONOTONIC).
    pub fn expire(&mut self, now_ns: u64, out: &mut Vec<Event>) {
        self.now_ns = self.now_ns.max(now_ns);
        let timeout = self.config.timeout_ns;
        while let Some(&Idle { tick, last_ns, key }) = self.idle.front() {
            if self.now_ns.saturating_sub(last_ns) <= timeout {
                break;
            }
            self.idle.pop_front();
            if self.pending.get(&key).is_some_and(|open| open.tick == tick) {
                self.close_without_end(key, Why::Timeout { after_ns: timeout }, out);
            }
        }
    }

    /// The capture ended: closes every pending request, as timed out when
    /// the timeout has passed, else as [`Why::CaptureEnded`], idle longest
    /// first.
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        self.expire(self.now_ns, out);
        while let Some(Idle { tick, key, .. }) = self.idle.pop_front() {
            if self.pending.get(&key).is_some_and(|open| open.tick == tick) {
                self.close_without_end(key, Why::CaptureEnded, out);
            }
        }
        // Entries are never missing from `idle`; this keeps it so anyway.
        let left: Vec<Key> = self.pending.keys().copied().collect();
        for key in left {
            self.close_without_end(key, Why::CaptureEnded, out);
        }
    }

    /// Opens the transaction of one request message; returns its id.
    #[allow(clippy::too_many_arguments)]
    fn open(
        &mut self,
        part: &Part,
        key: Key,
        peer: u32,
        message: &CapturedMessage,
        context: &DecodeContext,
        decoded: &mut Option<DecodedMessage>,
        out: &mut Vec<Event>,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        if self.pending.contains_key(&key) {
            self.close_without_end(key, Why::Superseded { by: id }, out);
        }
        while self.pending.len() >= self.config.max_pending {
            let Some(Idle {
                tick, key: idle, ..
            }) = self.idle.pop_front()
            else {
                break;
            };
            if self
                .pending
                .get(&idle)
                .is_some_and(|open| open.tick == tick)
            {
                self.close_without_end(idle, Why::Evicted, out);
            }
        }
        let header = part.header;
        let end = part
            .offset
            .saturating_add(header.len as usize)
            .min(message.payload.len());
        let request_bytes = part.offset..end;
        let whole = end - part.offset == header.len as usize;
        let kept = (whole && header.len as usize <= KEEP_REQUEST_BYTES)
            .then(|| message.payload[request_bytes.clone()].into());
        let op = self.op_name(message, part, context, decoded);
        let tx = Transaction {
            id,
            key,
            peer,
            request: part.seq,
            request_bytes,
            kind: header.kind,
            flags: header.flags,
            op,
            pid: message.pid,
            comm: message.comm.as_str().into(),
            started_ns: message.ts_mono_ns,
            replies: Replies::default(),
            first_reply_ns: None,
            last_reply_ns: None,
            parts: 0,
            bytes: 0,
            interrupted: false,
            outcome: Outcome::Pending,
            extack: None,
            offending: None,
        };
        self.tick += 1;
        self.pending.insert(
            key,
            Open {
                tx,
                kept,
                last_ns: message.ts_mono_ns,
                tick: self.tick,
                multi: false,
                datagram: None,
            },
        );
        self.idle.push_back(Idle {
            tick: self.tick,
            last_ns: message.ts_mono_ns,
            key,
        });
        self.compact_idle();
        self.counts.opened += 1;
        out.push(Event::Opened {
            id,
            key,
            request: part.seq,
        });
        if let Some(result) = message.result.filter(|r| *r < 0) {
            let errno = i32::try_from(-result).unwrap_or(i32::MAX);
            self.close_without_end(key, Why::Undelivered { errno }, out);
        }
        id
    }

    /// One reply message for `key`: its transaction's id, or (an orphan)
    /// the id of the transaction of the key that closed before, if known.
    #[allow(clippy::too_many_arguments)]
    fn reply(
        &mut self,
        seq: u64,
        offset: usize,
        header: NlMsgHeader,
        key: Key,
        message: &CapturedMessage,
        context: &DecodeContext,
        out: &mut Vec<Event>,
    ) -> Result<u64, Option<u64>> {
        let now = message.ts_mono_ns;
        let timeout = self.config.timeout_ns;
        let open = match self.pending.get_mut(&key) {
            // A reply later than the timeout is not paired, whether or not
            // the expiry has come round to its request yet.
            Some(open)
                if open.datagram != Some(seq) && now.saturating_sub(open.last_ns) > timeout =>
            {
                self.close_without_end(key, Why::Timeout { after_ns: timeout }, out);
                None
            }
            found => found,
        };
        let Some(open) = open else {
            let after = self.recent.get(&key).copied();
            if self.orphaned.insert(key) {
                self.counts.orphans += 1;
                out.push(Event::Orphan { seq, key, after });
            }
            return Err(after);
        };
        let tx = &mut open.tx;
        if open.datagram != Some(seq) {
            open.datagram = Some(seq);
            self.touched.push(key);
            tx.replies.push(seq);
            let latency = now.saturating_sub(tx.started_ns);
            tx.first_reply_ns.get_or_insert(latency);
            tx.last_reply_ns = Some(latency);
            open.last_ns = now;
            self.tick += 1;
            open.tick = self.tick;
            self.idle.push_back(Idle {
                tick: self.tick,
                last_ns: now,
                key,
            });
        }
        tx.parts += 1;
        tx.bytes += u64::from(header.len);
        tx.interrupted |= header.flags & NLM_F_DUMP_INTR != 0;
        open.multi |= header.flags & NLM_F_MULTI != 0;
        let id = tx.id;
        let end = match header.kind {
            NLMSG_ERROR => reply::error(&message.payload, offset, header),
            NLMSG_DONE if open.multi || is_dump_request(tx.flags) => {
                reply::done(&message.payload, offset, header)
            }
            _ => None,
        };
        if let Some(end) = end {
            if end.message.is_some() {
                tx.extack = end.message.clone();
            }
            let outcome = if end.code < 0 {
                Outcome::Error {
                    errno: end.code.saturating_neg(),
                }
            } else if tx.interrupted {
                Outcome::Interrupted
            } else {
                Outcome::Ok
            };
            if let Some(at) = end.offset.filter(|_| end.code < 0) {
                // The request as the error quotes it, else the copy kept.
                let quoted = end.quoted.map(|range| &message.payload[range]);
                let request = quoted.or(open.kept.as_deref());
                tx.offending = request.map(|request| {
                    resolve_offset(key.protocol, request, tx.request_bytes.start, at, context)
                });
            }
            self.close(key, outcome, out);
        }
        self.compact_idle();
        Ok(id)
    }

    /// Closes `key`'s transaction without the end it waited for.
    fn close_without_end(&mut self, key: Key, why: Why, out: &mut Vec<Event>) {
        let replied = self
            .pending
            .get(&key)
            .is_some_and(|open| !open.tx.replies.is_empty());
        let outcome = if replied {
            Outcome::Unfinished(why)
        } else {
            Outcome::NoReply(why)
        };
        self.close(key, outcome, out);
    }

    fn close(&mut self, key: Key, outcome: Outcome, out: &mut Vec<Event>) {
        let Some(open) = self.pending.remove(&key) else {
            return;
        };
        let mut tx = open.tx;
        tx.outcome = outcome;
        self.counts.closed += 1;
        self.recent.insert(key, tx.id);
        self.recent_order.push_back((key, tx.id));
        while self.recent_order.len() > self.config.max_pending {
            let Some((old, id)) = self.recent_order.pop_front() else {
                break;
            };
            if let Entry::Occupied(entry) = self.recent.entry(old) {
                if *entry.get() == id {
                    entry.remove();
                }
            }
        }
        out.push(Event::Closed(Box::new(tx)));
    }

    /// Drops stale entries of `idle` when they outnumber the live ones.
    fn compact_idle(&mut self) {
        if self.idle.len() <= 2 * self.pending.len() + 64 {
            return;
        }
        let mut live: Vec<Idle> = self
            .pending
            .iter()
            .map(|(key, open)| Idle {
                tick: open.tick,
                last_ns: open.last_ns,
                key: *key,
            })
            .collect();
        live.sort_unstable_by_key(|idle| idle.tick);
        self.idle = live.into();
    }
}

/// Where one request message is.
struct Part {
    /// The datagram's store seq.
    seq: u64,
    /// Which message of the datagram.
    index: usize,
    offset: usize,
    header: NlMsgHeader,
}

/// What the decoder's name of a request's operation depends on: the
/// message type, the first bytes of the body (a generic netlink command, a
/// sock_diag family, an nfgenmsg), and for generic netlink the family the
/// context knows by the type (ids are given out again).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct OpKey {
    protocol: u32,
    kind: u16,
    head: [u8; 4],
    head_len: u8,
    family: CompactString,
}

/// Operation names remembered at most; the memory is emptied when full.
const MAX_OPS: usize = 4096;

impl Pairer {
    /// The operation a request names: the message type as the decoder
    /// names it (a generic netlink family with its command), and `dump`
    /// for a dump. rtnetlink's names come from netlink's own table;
    /// others are decoded once per [`OpKey`] and remembered.
    fn op_name(
        &mut self,
        message: &CapturedMessage,
        part: &Part,
        context: &DecodeContext,
        decoded: &mut Option<DecodedMessage>,
    ) -> CompactString {
        let kind = part.header.kind;
        let mut op = match type_name(message.protocol, kind) {
            Some(name) => CompactString::from(name),
            None => {
                let body = part.offset + NLMSG_HDRLEN;
                let end = part
                    .offset
                    .saturating_add(part.header.len as usize)
                    .min(message.payload.len());
                let head_bytes = message.payload.get(body..end.min(body + 4)).unwrap_or(&[]);
                let mut head = [0u8; 4];
                head[..head_bytes.len()].copy_from_slice(head_bytes);
                let family = match message.protocol {
                    NETLINK_GENERIC => context
                        .family(kind)
                        .map(|family| CompactString::from(family.name.as_str()))
                        .unwrap_or_default(),
                    _ => CompactString::default(),
                };
                let key = OpKey {
                    protocol: message.protocol,
                    kind,
                    head,
                    head_len: head_bytes.len() as u8,
                    family,
                };
                match self.ops.get(&key) {
                    Some(name) => name.clone(),
                    None => {
                        let name = decoded_op(message, part, context, decoded);
                        if self.ops.len() >= MAX_OPS {
                            self.ops.clear();
                        }
                        self.ops.insert(key, name.clone());
                        name
                    }
                }
            }
        };
        if is_dump_request(part.header.flags) {
            op.push_str(" dump");
        }
        op
    }
}

/// The operation's name from the request's decoded tree.
fn decoded_op(
    message: &CapturedMessage,
    part: &Part,
    context: &DecodeContext,
    decoded: &mut Option<DecodedMessage>,
) -> CompactString {
    let decoded = decoded.get_or_insert_with(|| decode(message, context));
    let tree = decoded
        .messages
        .get(part.index)
        .filter(|tree| tree.bytes.as_ref().map(|b| b.start) == Some(part.offset));
    match tree {
        Some(tree) => named_op(message.protocol, tree),
        None => compact_str::format_compact!("type {}", part.header.kind),
    }
}

/// `nl80211 GET_WIPHY` for a generic netlink message (the command's name
/// from its `genlmsghdr`), else the message's name.
fn named_op(protocol: u32, tree: &Field) -> CompactString {
    let mut op = CompactString::from(tree.name.as_ref());
    if protocol != NETLINK_GENERIC {
        return op;
    }
    let command = tree
        .children
        .iter()
        .filter(|field| field.name == "genlmsghdr")
        .flat_map(|field| &field.children)
        .find(|field| field.name == "cmd");
    if let Some(command) = command {
        let text = command.value.text();
        // `1 (GET_WIPHY)`: the name in the parentheses.
        let name = text
            .split_once(" (")
            .and_then(|(_, rest)| rest.strip_suffix(')'))
            .unwrap_or(&text);
        op.push(' ');
        op.push_str(name);
    }
    op
}

/// Pairs a whole stream at once: every message (numbered from 0) through a
/// [`Pairer`] with its own [`DecodeContext`] learning from the stream, then
/// [`Pairer::finish`]. The transactions by id, the roles by message.
pub fn pair_all<'a>(
    messages: impl IntoIterator<Item = &'a CapturedMessage>,
    config: PairingConfig,
) -> Paired {
    pair_all_in(messages, config, DecodeContext::new())
}

/// [`pair_all`] starting from `context` (its specs, the families it knows).
pub fn pair_all_in<'a>(
    messages: impl IntoIterator<Item = &'a CapturedMessage>,
    config: PairingConfig,
    mut context: DecodeContext,
) -> Paired {
    let mut pairer = Pairer::new(config);
    let mut events = Vec::new();
    let mut paired = Paired::default();
    for (seq, message) in messages.into_iter().enumerate() {
        context.learn(message);
        let role = pairer.ingest(seq as u64, message, &context, &mut events);
        paired.roles.push(role);
        paired.take(&mut events);
    }
    pairer.finish(&mut events);
    paired.take(&mut events);
    paired.transactions.sort_by_key(|tx| tx.id);
    paired.counts = pairer.counts();
    paired
}

/// What [`pair_all`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Paired {
    /// Every transaction, by id.
    pub transactions: Vec<Transaction>,
    /// Each message's role, by seq.
    pub roles: Vec<Role>,
    /// (seq, key, after) of every orphan.
    pub orphans: Vec<(u64, Key, Option<u64>)>,
    pub counts: Counts,
}

impl Paired {
    fn take(&mut self, events: &mut Vec<Event>) {
        for event in events.drain(..) {
            match event {
                Event::Opened { .. } => {}
                Event::Closed(tx) => self.transactions.push(*tx),
                Event::Orphan { seq, key, after } => self.orphans.push((seq, key, after)),
            }
        }
    }
}
