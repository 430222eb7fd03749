//! The event store: the captured messages (every one, or the newest N),
//! the current filter's matches, and running statistics.
//!
//! Each message keeps its metadata ([`MessageMeta`]) and where its bytes
//! are: in memory (a live capture), or in a file by the offset of its record
//! (a file the dashboard opened, or where a live capture spilled past its
//! memory budget, [`spill`]). [`Store::message`], [`Store::payload`] and
//! [`Store::summary`] read them back when a pane, an export or a filter
//! needs them.
//!
//! The index itself (the metadata, the transactions) is kept in memory up
//! to a budget, its oldest pages on disk past it ([`paged`]); the filter's
//! matches are kept as runs ([`matches`]). So memory stays flat however
//! many messages there are.
//!
//! Bounded if asked: at most `capacity` messages are kept; older ones are
//! evicted and counted. Statistics tables are capped too (see [`stats`]).
//! Each message is paired at ingest ([`crate::pairing`]): the store keeps
//! the transactions whose request it still holds ([`transactions`]) and
//! each message's [`Role`] in them.

#[cfg(test)]
#[path = "../../tests/support/messages.rs"]
pub mod corpus;
pub mod filter;
pub mod latency;
pub mod matches;
pub mod names;
pub mod paged;
pub mod spill;
pub mod stats;
pub mod transactions;

use matches::Matches;
use paged::{Item, Paged};

use crate::decode::{self, DecodeContext};
use std::borrow::Cow;
use std::sync::Arc;

use crate::event::{CapturedMessage, MessageMeta};
use crate::format::read::RecordAt;
use crate::format::record::{RecordError, RecordFile};
use crate::netlink::header::{split_messages, NLMSG_HDRLEN};
use crate::netlink::nlctrl::Family;
use crate::netlink::NLMSG_ERROR;
use crate::pairing::{PairingConfig, Role};
use serde::{Deserialize, Serialize};
use spill::Spill;

pub use filter::{Filter, FilterError};
pub use stats::Stats;
pub use transactions::{TransactionRef, Transactions};

/// What a message's metadata costs in memory, for the index's budget: its
/// [`Stored`] and a share of the page it is in.
const STORED_COST: usize = std::mem::size_of::<Stored>() + 8;

/// Default for `--max-events`.
pub const DEFAULT_MAX_EVENTS: usize = 200_000;

/// One stored message and what the store learned from it at ingest: its
/// metadata and where its bytes are, not the bytes of a file's message
/// ([`Store::message`] reads them back).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stored {
    /// Position in the stream since the store was created (never reused).
    pub seq: u64,
    pub message: MessageMeta,
    /// Types of the netlink messages in the buffer, in order.
    pub kinds: Kinds,
    /// The errno (positive) of the first NLMSG_ERROR carrying an error code.
    pub errno: Option<i64>,
    /// What it is to pairing: a request, a reply (of which transaction),
    /// an orphan, a notification.
    pub pairing: Role,
    body: Body,
}

/// Where a stored message's bytes (and deliveries) are.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Body {
    /// In memory (a live or remote capture).
    Held(Box<HeldBody>),
    /// In the store's file, in the record at this byte offset.
    InFile(u64),
    /// Lost: to be spilled, and the spill file could not be written.
    Dropped,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct HeldBody {
    payload: Vec<u8>,
    deliveries: Vec<crate::event::Delivery>,
}

/// What a held message's bytes cost in memory.
fn held_size(held: &HeldBody) -> u64 {
    (std::mem::size_of::<HeldBody>()
        + held.payload.len()
        + held.deliveries.len() * std::mem::size_of::<crate::event::Delivery>()) as u64
}

impl Stored {
    /// Builds the stored form of `message`, whose bytes are `body`: learns
    /// from it once, and works out its kinds and errno.
    fn new(seq: u64, message: &CapturedMessage, body: Body, context: &mut DecodeContext) -> Stored {
        context.learn(message);
        let parts = split_messages(&message.payload);
        let kinds = Kinds::new(parts.iter().map(|(_, h)| h.kind));
        let errno = parts
            .iter()
            .filter(|(_, h)| h.kind == NLMSG_ERROR)
            .filter_map(|(offset, _)| {
                let at = offset + NLMSG_HDRLEN;
                let b = message.payload.get(at..at + 4)?;
                let code = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                (code < 0).then(|| -i64::from(code))
            })
            .next();
        Stored {
            seq,
            message: MessageMeta::of(message),
            kinds,
            errno,
            pairing: Role::Other,
            body,
        }
    }

    /// The transaction this message opened (the first, for a batch) or
    /// answers.
    pub fn transaction(&self) -> Option<u64> {
        match self.pairing {
            Role::Request { first, .. } => Some(first),
            Role::Reply { id } => Some(id),
            _ => None,
        }
    }

    /// A failed delivery or an NLMSG_ERROR carrying an error.
    pub fn is_error(&self) -> bool {
        self.message.result.is_some_and(|r| r < 0) || self.errno.is_some()
    }

    /// The first message type, if the buffer had a header.
    pub fn kind(&self) -> Option<u16> {
        self.kinds.first().copied()
    }
}

/// The netlink message types of a buffer, in order: up to three without an
/// allocation (most buffers hold one; a dump's hold many).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kinds {
    Few { len: u8, kinds: [u16; 3] },
    Many(Box<[u16]>),
}

impl Kinds {
    pub fn new(kinds: impl IntoIterator<Item = u16>) -> Kinds {
        let mut kinds = kinds.into_iter();
        let mut few = [0; 3];
        let mut len = 0;
        for kind in kinds.by_ref() {
            if len == few.len() {
                let many: Vec<u16> = few.into_iter().chain([kind]).chain(kinds).collect();
                return Kinds::Many(many.into_boxed_slice());
            }
            few[len] = kind;
            len += 1;
        }
        Kinds::Few {
            len: len as u8,
            kinds: few,
        }
    }
}

impl std::ops::Deref for Kinds {
    type Target = [u16];
    fn deref(&self) -> &[u16] {
        match self {
            Kinds::Few { len, kinds } => &kinds[..usize::from(*len)],
            Kinds::Many(kinds) => kinds,
        }
    }
}

/// The newest `capacity` messages, the filter's matches among them, and stats.
pub struct Store {
    events: Paged<Stored>,
    capacity: usize,
    next_seq: u64,
    evicted: u64,
    lost: u64,
    context: DecodeContext,
    filter: Filter,
    /// Sequence numbers of stored events the filter matches, ascending.
    matching: Matches,
    /// While the filter is tested against the stored messages a slice at a
    /// time ([`Store::start_filter`]): the next message to test.
    scanning: Option<u64>,
    stats: Stats,
    /// `None` when pairing is off ([`Store::without_pairing`]).
    transactions: Option<Transactions>,
    /// The file whose messages are stored by offset ([`Store::ingest_indexed`]).
    file: Option<Arc<RecordFile>>,
    /// Bytes of the index kept in memory ([`Store::with_index_budget`]).
    index_budget: u64,
    /// Where messages held in memory go past the budget ([`Store::with_spill`]).
    spill: Option<Spill>,
    /// Bytes of the messages held in memory (payloads and deliveries).
    held_bytes: u64,
    /// The oldest message that may still be held in memory.
    spill_next: u64,
}

impl Store {
    pub fn new(capacity: usize) -> Store {
        Store::with_context(capacity, DecodeContext::default())
    }

    /// A store that decodes with `context` (its specs, what it knows).
    pub fn with_context(capacity: usize, context: DecodeContext) -> Store {
        let capacity = capacity.max(1);
        Store {
            events: Paged::default(),
            capacity,
            next_seq: 0,
            evicted: 0,
            lost: 0,
            context,
            filter: Filter::default(),
            matching: Matches::default(),
            scanning: None,
            stats: Stats::default(),
            transactions: Some(Transactions::new(PairingConfig::default())),
            file: None,
            index_budget: u64::MAX,
            spill: None,
            held_bytes: 0,
            spill_next: 0,
        }
    }

    /// The same store spilling what it holds in memory past the spill's
    /// budget to the spill's file (see [`spill`]). A store that spills
    /// indexes no other file.
    pub fn with_spill(mut self, spill: Spill) -> Store {
        self.file = Some(spill.file().clone());
        self.spill = Some(spill);
        self
    }

    /// The same store keeping about `bytes` of its index in memory: the
    /// metadata of its messages and its closed transactions. Past that, the
    /// oldest pages of them are kept in a temporary file and read back when
    /// asked for ([`paged`]); a message's page goes only once its bytes
    /// are in a file, a transaction's once it is closed.
    pub fn with_index_budget(mut self, bytes: u64) -> Store {
        assert!(
            self.events.is_empty(),
            "an index budget is set before ingest"
        );
        self.index_budget = bytes;
        self.events = Paged::with_resident_bytes(bytes / 5 * 3, STORED_COST);
        let transactions = self.transactions_budget();
        if let Some(kept) = &mut self.transactions {
            kept.set_resident_bytes(transactions);
        }
        self
    }

    /// The share of the index's budget for closed transactions.
    fn transactions_budget(&self) -> u64 {
        if self.index_budget == u64::MAX {
            return u64::MAX;
        }
        self.index_budget / 5 * 2
    }

    /// Pages of the index kept on disk (see [`Store::with_index_budget`]).
    pub fn index_pages_on_disk(&self) -> usize {
        self.events.pages_on_disk()
            + self
                .transactions
                .as_ref()
                .map_or(0, |kept| kept.pages_on_disk())
    }

    /// Bytes of the messages held in memory (payloads and deliveries).
    pub fn held_bytes(&self) -> u64 {
        self.held_bytes
    }

    /// Why spilling stopped (the disk is full), once it did: the messages
    /// past the budget since then lost their bytes and count as evicted.
    pub fn spill_error(&self) -> Option<&str> {
        self.spill.as_ref()?.error.as_deref()
    }

    /// Why the index's pages could not go to disk, once they could not:
    /// then they stay in memory, which grows with the capture.
    pub fn index_error(&self) -> Option<&str> {
        self.events.error().or_else(|| {
            self.transactions
                .as_ref()
                .and_then(|kept| kept.page_error())
        })
    }

    /// The same store pairing with `config`.
    pub fn with_pairing(mut self, config: PairingConfig) -> Store {
        let mut transactions = Transactions::new(config);
        transactions.set_resident_bytes(self.transactions_budget());
        self.transactions = Some(transactions);
        self
    }

    /// The same store without pairing (what the ingest benchmark compares).
    pub fn without_pairing(mut self) -> Store {
        self.transactions = None;
        self
    }

    /// Adds a batch (oldest first), evicting the oldest stored messages when full.
    pub fn ingest(&mut self, batch: impl IntoIterator<Item = CapturedMessage>) {
        for message in batch {
            self.ingest_one(message);
        }
    }

    pub fn ingest_one(&mut self, message: CapturedMessage) {
        let body = Body::Held(Box::new(HeldBody {
            payload: Vec::new(),
            deliveries: Vec::new(),
        }));
        let held = self.add(&message, body);
        if let Some(Body::Held(held)) = held.map(|stored| &mut stored.body) {
            held.payload = message.payload;
            held.deliveries = message.deliveries;
            self.held_bytes += held_size(held);
        }
        self.spill_over_budget();
        self.page_out();
    }

    /// Past the spill's budget, writes the oldest messages held in memory
    /// to the spill file until a quarter of the budget is free again, each
    /// then kept by where its record is. When the file cannot be written,
    /// their bytes are dropped and they count as evicted.
    fn spill_over_budget(&mut self) {
        let Some(spill) = &self.spill else {
            return;
        };
        if self.held_bytes > spill.budget {
            self.spill_before(self.next_seq, spill.budget / 4 * 3);
        }
    }

    /// Spills the messages held in memory from the oldest until `end` (a
    /// seq), or until no more than `target` bytes are held.
    fn spill_before(&mut self, end: u64, target: u64) {
        let first = self.first_seq();
        let Some(spill) = &mut self.spill else {
            return;
        };
        let mut seq = self.spill_next.max(first);
        while self.held_bytes > target && seq < end {
            let Some(event) = self.events.get_mut((seq - first) as usize) else {
                break;
            };
            seq += 1;
            let Body::Held(held) = std::mem::replace(&mut event.body, Body::Dropped) else {
                continue;
            };
            self.held_bytes -= held_size(&held);
            let whole = event.message.with_body(held.payload, held.deliveries);
            match spill.write(&whole) {
                Ok(offset) => event.body = Body::InFile(offset),
                Err(_) => self.evicted += 1,
            }
        }
        self.spill_next = seq;
        spill.flush();
    }

    /// When the store spills to the user's file (`-w FILE`), writes to it
    /// every message still held in memory, so that it holds the whole
    /// capture: its path and the messages in it, or why it does not hold
    /// them all. `None` when the spill file is a temporary one.
    pub fn write_out(&mut self) -> Option<Result<(std::path::PathBuf, u64), String>> {
        if !self.spill.as_ref()?.is_kept() {
            return None;
        }
        self.spill_before(self.next_seq, 0);
        let spill = self.spill.as_ref()?;
        Some(match &spill.error {
            Some(error) => Err(error.clone()),
            None => Ok((spill.path().to_path_buf(), spill.written)),
        })
    }

    /// Sends the index's oldest pages to disk past its budget. A message's
    /// page goes once its bytes are in a file: those still held are spilled
    /// first (when the store spills). A transaction's goes once it is
    /// closed.
    fn page_out(&mut self) {
        while let Some(end) = self.events.over_limit_end() {
            let on_disk = self.events.pages_on_disk();
            self.spill_before(self.first_seq() + end as u64, 0);
            self.events
                .page_out(|event| !matches!(event.body, Body::Held(_)));
            if self.events.pages_on_disk() == on_disk {
                break;
            }
        }
        if let Some(transactions) = &mut self.transactions {
            transactions.page_out();
        }
    }

    /// The sequence number of the oldest message stored (of the next one,
    /// when none is).
    fn first_seq(&self) -> u64 {
        self.next_seq - self.events.len() as u64
    }

    /// Adds a batch of messages read from `file`, oldest first, each with
    /// where its record is: only their metadata is kept, and their bytes
    /// are read back from the file when asked for ([`Store::message`]).
    /// A store indexes one file: messages of the one before can no longer
    /// be read back.
    pub fn ingest_indexed(
        &mut self,
        file: &Arc<RecordFile>,
        batch: impl IntoIterator<Item = (CapturedMessage, RecordAt)>,
    ) {
        if !self
            .file
            .as_ref()
            .is_some_and(|held| Arc::ptr_eq(held, file))
        {
            self.file = Some(file.clone());
        }
        for (message, at) in batch {
            self.add(&message, Body::InFile(at.offset));
        }
        self.page_out();
    }

    /// Stores `message`, whose bytes are `body`; the stored message, if it
    /// was not evicted at once.
    fn add(&mut self, message: &CapturedMessage, body: Body) -> Option<&mut Stored> {
        let mut stored = Stored::new(self.next_seq, message, body, &mut self.context);
        self.next_seq += 1;
        self.stats.record(&stored);
        if let Some(transactions) = &mut self.transactions {
            stored.pairing = transactions.ingest(stored.seq, message, &self.context);
        }
        if self.events.len() == self.capacity {
            if let Some(old) = self.events.pop_front() {
                self.evicted += 1;
                if let Body::Held(held) = &old.body {
                    self.held_bytes -= held_size(held);
                }
                if self.matching.front() == Some(old.seq) {
                    self.matching.pop_front();
                }
                if let Some(transactions) = &mut self.transactions {
                    transactions.evict_before(old.seq + 1);
                }
            }
        }
        // While a scan runs, it reaches this message in its turn.
        if self.scanning.is_none()
            && self
                .filter
                .matches(&stored, &|| Ok(Cow::Borrowed(message)), &self.context)
        {
            self.matching.push_back(stored.seq);
        }
        self.events.push_back(stored);
        self.events.back_mut()
    }

    /// The whole message `event` is, its bytes read back from the file when
    /// the store holds only where they are.
    pub fn message(&self, event: &Stored) -> Result<CapturedMessage, RecordError> {
        match &event.body {
            Body::Held(held) => Ok(event
                .message
                .with_body(held.payload.clone(), held.deliveries.clone())),
            Body::InFile(offset) => {
                let body = self
                    .record_file()?
                    .body_at(*offset, event.message.captured as usize)?;
                Ok(event.message.with_body(body.payload, body.deliveries))
            }
            Body::Dropped => Err(self.dropped()),
        }
    }

    /// The captured bytes of `event` (see [`Store::message`]).
    pub fn payload<'a>(&self, event: &'a Stored) -> Result<Cow<'a, [u8]>, RecordError> {
        match &event.body {
            Body::Held(held) => Ok(Cow::Borrowed(&held.payload)),
            Body::InFile(offset) => {
                let body = self
                    .record_file()?
                    .body_at(*offset, event.message.captured as usize)?;
                Ok(Cow::Owned(body.payload))
            }
            Body::Dropped => Err(self.dropped()),
        }
    }

    /// The decoder's one-line summary of `event`, or why its bytes could not
    /// be read.
    pub fn summary(&self, event: &Stored) -> String {
        match self.message(event) {
            Ok(message) => decode::summarize(&message, &self.context),
            Err(error) => format!("(unreadable: {error})"),
        }
    }

    fn dropped(&self) -> RecordError {
        spill::dropped(
            self.spill_error()
                .unwrap_or("the spill file could not be written"),
        )
    }

    fn record_file(&self) -> Result<&RecordFile, RecordError> {
        self.file.as_deref().ok_or_else(|| RecordError::Gone {
            path: "(no file)".into(),
        })
    }

    /// Takes generic netlink families a source named, for the messages that
    /// follow (see [`DecodeContext::learn_families`]).
    pub fn learn_families(&mut self, families: impl IntoIterator<Item = Family>) {
        self.context.learn_families(families);
    }

    /// Replaces the filter and recomputes its matches (at once).
    pub fn set_filter(&mut self, filter: Filter) {
        self.scanning = None;
        self.matching = self
            .events
            .iter()
            .filter(|e| filter.matches(e, &|| self.message(e).map(Cow::Owned), &self.context))
            .map(|e| e.seq)
            .collect();
        self.filter = filter;
    }

    /// Replaces the filter; when testing it reads the bytes of a file's
    /// messages (decoded fields, the summary), its matches are found a slice
    /// at a time ([`Store::advance_filter`], with progress) instead of at
    /// once, so that a filter over a large file does not stop the dashboard.
    pub fn start_filter(&mut self, filter: Filter) {
        let slow = (filter.reads_bytes() && self.file.is_some()) || self.events.pages_on_disk() > 0;
        if !slow {
            self.scanning = None;
            return self.set_filter(filter);
        }
        self.filter = filter;
        self.matching = Matches::default();
        self.scanning = Some(self.first_seq());
    }

    /// Tests the filter against up to `budget` more stored messages of a
    /// scan [`Store::start_filter`] began; true once it is done.
    pub fn advance_filter(&mut self, budget: usize) -> bool {
        let Some(next) = self.scanning else {
            return true;
        };
        let first = self.first_seq();
        let mut next = next.max(first);
        for event in self.events.iter_from((next - first) as usize).take(budget) {
            if self.filter.matches(
                &event,
                &|| self.message(&event).map(Cow::Owned),
                &self.context,
            ) {
                self.matching.push_back(event.seq);
            }
            next = event.seq + 1;
        }
        let done = next >= self.next_seq;
        self.scanning = (!done).then_some(next);
        done
    }

    /// How far a scan of the filter is: (messages tested, messages stored).
    pub fn filter_progress(&self) -> Option<(u64, u64)> {
        let next = self.scanning?;
        Some((
            next.saturating_sub(self.first_seq()),
            self.events.len() as u64,
        ))
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Messages stored (matching or not).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Messages dropped to keep the store bounded.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Messages the source reported lost (never seen here).
    pub fn lost(&self) -> u64 {
        self.lost
    }

    pub fn set_lost(&mut self, total: u64) {
        self.lost = self.lost.max(total);
    }

    /// Counts `n` messages dropped before they reached the store.
    pub fn add_evicted(&mut self, n: u64) {
        self.evicted += n;
    }

    /// Messages ever ingested.
    pub fn ingested(&self) -> u64 {
        self.next_seq
    }

    /// What the decoder learned from the stream so far.
    pub fn context(&self) -> &DecodeContext {
        &self.context
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// All stored events, oldest first.
    pub fn iter(&self) -> paged::Iter<'_, Stored> {
        self.events.iter()
    }

    /// The transactions whose request is stored, with the pairer's counts;
    /// `None` when pairing is off.
    pub fn transactions(&self) -> Option<&Transactions> {
        self.transactions.as_ref()
    }

    /// Transaction `id`, while its request is stored.
    pub fn transaction(&self, id: u64) -> Option<TransactionRef<'_>> {
        self.transactions.as_ref()?.get(id)
    }

    /// The transaction stored message `seq` opened or answers.
    pub fn transaction_of(&self, seq: u64) -> Option<TransactionRef<'_>> {
        self.transaction(self.get(seq)?.transaction()?)
    }

    /// Closes the requests that waited more than the timeout at `now_ns`
    /// (CLOCK_MONOTONIC): for a live capture gone quiet.
    pub fn expire_transactions(&mut self, now_ns: u64) {
        if let Some(transactions) = &mut self.transactions {
            transactions.expire(now_ns);
        }
    }

    /// Closes the requests still waiting when the source has ended.
    pub fn finish_transactions(&mut self) {
        if let Some(transactions) = &mut self.transactions {
            transactions.finish();
        }
    }

    /// The capture time (CLOCK_MONOTONIC of the capturing machine) of the
    /// newest message, to tell the time when the capture goes quiet.
    pub fn newest_mono_ns(&self) -> Option<u64> {
        self.events.back().map(|e| e.message.ts_mono_ns)
    }

    /// The stored event with sequence number `seq`, if not evicted.
    pub fn get(&self, seq: u64) -> Option<Item<'_, Stored>> {
        let index = usize::try_from(seq.checked_sub(self.first_seq())?).ok()?;
        self.events.get(index)
    }

    /// How many stored events the filter matches.
    pub fn matching_len(&self) -> usize {
        self.matching.len()
    }

    /// The `index`th matching event, oldest first.
    pub fn matching_at(&self, index: usize) -> Option<Item<'_, Stored>> {
        self.get(self.matching.get(index)?)
    }

    /// Sequence numbers of the matching events, oldest first.
    pub fn matching_seqs(&self) -> &Matches {
        &self.matching
    }

    /// Index among the matches of `seq`, or of the first match after it.
    pub fn matching_position(&self, seq: u64) -> Result<usize, usize> {
        self.matching.binary_search(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_keeps_the_newest_and_counts_evictions() {
        let mut store = Store::new(4);
        store.ingest(corpus::messages());
        assert_eq!(store.len(), 4);
        assert_eq!(store.evicted(), 6);
        assert_eq!(store.ingested(), 10);
        assert_eq!(store.iter().next().unwrap().seq, 6);
        assert!(store.get(5).is_none());
        assert_eq!(store.get(9).unwrap().message.protocol, 15);
        // Statistics count everything ever ingested.
        assert_eq!(store.stats().total, 10);
    }

    #[test]
    fn matches_follow_the_filter_through_eviction() {
        let mut store = Store::new(6);
        store.set_filter(filter::parse("proto:route").unwrap());
        store.ingest(corpus::messages());
        // Messages 4..10 are kept; route ones among them: 4 (done), 5 (newlink), 6 (error).
        let seqs: Vec<u64> = store.matching_seqs().iter().collect();
        assert_eq!(seqs, vec![4, 5, 6]);
        assert_eq!(store.matching_at(1).unwrap().seq, 5);
        assert_eq!(store.matching_position(5), Ok(1));
        store.set_filter(Filter::default());
        assert_eq!(store.matching_len(), 6);
    }

    #[test]
    fn ingest_decodes_kinds_and_errors() {
        let mut store = Store::new(100);
        store.ingest(corpus::messages());
        let error = store.get(6).unwrap();
        assert_eq!(error.kind(), Some(2));
        assert_eq!(error.errno, Some(19));
        assert!(error.is_error());
        let dump = store.get(3).unwrap();
        assert_eq!(&*dump.kinds, &[16, 16]);
        assert!(!dump.is_error());
        assert!(store.get(8).unwrap().is_error());
        assert!(!store.summary(&store.get(0).unwrap()).is_empty());
        let uevent = store.get(9).unwrap();
        assert!(uevent.kinds.len() <= 1);
    }

    #[test]
    fn memory_stays_bounded_over_a_long_stream() {
        let mut store = Store::new(1000);
        store.ingest(corpus::stream(20_000));
        assert_eq!(store.len(), 1000);
        assert_eq!(store.evicted(), 19_000);
        assert_eq!(store.matching_len(), 1000);
        assert!(store.stats().senders.len() <= stats::MAX_SENDERS);
        // Transactions go with their requests' messages.
        let transactions = store.transactions().unwrap();
        assert!(transactions.len() <= 1000);
        assert!(transactions
            .iter()
            .all(|tx| store.get(tx.request).is_some()));
        assert_eq!(transactions.counts().opened, 6_000);
    }

    /// The corpus written to a pcapng, read back indexed into a store.
    fn indexed_store(path: &std::path::Path) -> Store {
        let mut writer = crate::format::pcapng::PcapngWriter::new(Vec::new()).unwrap();
        for message in corpus::messages() {
            writer.write(&message).unwrap();
        }
        std::fs::write(path, writer.into_inner()).unwrap();
        let file = Arc::new(RecordFile::open(path).unwrap());
        let mut records = Vec::new();
        crate::format::read::read_capture_file_indexed(path, |message, at, _| {
            records.push((message, at))
        });
        let mut store = Store::new(100);
        store.ingest_indexed(&file, records);
        store
    }

    #[test]
    fn a_file_is_stored_by_offset_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corpus.pcapng");
        let indexed = indexed_store(&path);
        let mut held = Store::new(100);
        held.ingest(corpus::messages());
        assert_eq!(indexed.len(), held.len());
        for (file, memory) in indexed.iter().zip(held.iter()) {
            assert!(matches!(file.body, Body::InFile(_)));
            assert_eq!(file.message, memory.message);
            assert_eq!((&file.kinds, file.errno), (&memory.kinds, memory.errno));
            assert_eq!(file.pairing, memory.pairing);
            assert_eq!(
                indexed.message(&file).unwrap(),
                held.message(&memory).unwrap()
            );
            assert_eq!(
                indexed.payload(&file).unwrap(),
                held.payload(&memory).unwrap()
            );
            assert_eq!(indexed.summary(&file), held.summary(&memory));
        }
        // Filters on the summary and on decoded fields read the file.
        for text in ["family:route", "op:getfamily", "lo", "proto:route dir:k2u"] {
            let mut indexed_matches = Vec::new();
            let mut held_matches = Vec::new();
            for (store, matches) in [(&indexed, &mut indexed_matches), (&held, &mut held_matches)] {
                let filter = filter::parse(text).unwrap();
                matches.extend(
                    store
                        .iter()
                        .filter(|e| {
                            filter.matches(e, &|| store.message(e).map(Cow::Owned), store.context())
                        })
                        .map(|e| e.seq),
                );
            }
            assert_eq!(indexed_matches, held_matches, "{text}");
            assert!(!indexed_matches.is_empty(), "{text}");
        }
    }

    #[test]
    fn a_file_gone_while_open_leaves_its_messages_unreadable_not_broken() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corpus.pcapng");
        let mut store = indexed_store(&path);
        std::fs::remove_file(&path).unwrap();
        let first = store.get(0).unwrap();
        let error = store.message(&first).unwrap_err();
        assert!(error.to_string().contains("removed or replaced"), "{error}");
        assert!(store.summary(&first).starts_with("(unreadable: "));
        drop(first);
        // Metadata still filters; a term on the bytes matches nothing.
        store.set_filter(filter::parse("proto:route").unwrap());
        assert_eq!(store.matching_len(), 5);
        store.set_filter(filter::parse("attr:ifname").unwrap());
        assert_eq!(store.matching_len(), 0);
    }

    /// Every message and transaction of `paged` read as those of `whole`.
    fn assert_reads_as(paged: &Store, whole: &Store) {
        assert_eq!(paged.len(), whole.len());
        for (a, b) in paged.iter().zip(whole.iter()) {
            assert_eq!(
                (a.seq, &a.message, &a.pairing),
                (b.seq, &b.message, &b.pairing)
            );
            assert_eq!(paged.payload(&a).unwrap(), whole.payload(&b).unwrap());
        }
        let (paged, whole) = (paged.transactions().unwrap(), whole.transactions().unwrap());
        assert_eq!(paged.len(), whole.len());
        for (a, b) in paged.iter().zip(whole.iter()) {
            assert_eq!(*a, *b);
        }
    }

    #[test]
    fn an_index_past_its_budget_goes_to_disk_and_reads_back_the_same() {
        // Enough for three pages of transactions (a request every 3 or 4
        // messages), so that one of them goes too.
        let total = 11 * paged::PAGE + 123;
        let mut whole = Store::new(usize::MAX);
        whole.ingest(corpus::stream(total));
        whole.finish_transactions();
        // A live capture: bytes held, spilled so that the index's pages
        // can go (a budget of one byte keeps one page of each in memory).
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::to_file(&dir.path().join("spill.pcapng"), u64::MAX).unwrap();
        let mut live = Store::new(usize::MAX)
            .with_index_budget(1)
            .with_spill(spill);
        live.ingest(corpus::stream(total));
        live.finish_transactions();
        // Twelve pages of messages: the last being filled and one full stay.
        assert_eq!(live.events.pages_on_disk(), 10);
        assert!(live.transactions().unwrap().pages_on_disk() >= 1);
        assert_reads_as(&live, &whole);
        assert_eq!(live.get(7).unwrap().seq, 7);
        assert_eq!(
            live.transaction(2).map(|tx| tx.request),
            whole.transaction(2).map(|tx| tx.request)
        );
        // Filters over the paged index scan it a slice at a time.
        let filter = filter::parse("proto:route").unwrap();
        whole.set_filter(filter.clone());
        live.start_filter(filter);
        assert!(live.filter_progress().is_some());
        while !live.advance_filter(5000) {}
        assert_eq!(
            live.matching_seqs().iter().collect::<Vec<_>>(),
            whole.matching_seqs().iter().collect::<Vec<_>>()
        );
        assert_eq!(
            live.matching_at(3).unwrap().seq,
            whole.matching_at(3).unwrap().seq
        );
    }

    #[test]
    fn a_stored_message_is_small() {
        // What a file's message costs in memory (its bytes stay in the file):
        // the open benchmark's figures follow from it.
        assert!(
            std::mem::size_of::<Stored>() <= 176,
            "{}",
            std::mem::size_of::<Stored>()
        );
        assert_eq!(std::mem::size_of::<Kinds>(), 16);
    }

    #[test]
    fn ingest_pairs_requests_with_their_replies() {
        use crate::pairing::{Outcome, Why};
        let mut store = Store::new(100);
        store.ingest(corpus::messages());
        let hello = store.transaction_of(1).expect("the reply's transaction");
        assert_eq!((hello.request, &hello.outcome), (0, &Outcome::Ok));
        assert_eq!(
            store.get(0).unwrap().pairing,
            Role::Request { first: 1, count: 1 }
        );
        let dump = store.transaction_of(4).expect("the DONE's transaction");
        assert_eq!(dump.op, "RTM_GETLINK dump");
        assert_eq!(dump.replies.iter().collect::<Vec<_>>(), [3, 4]);
        assert_eq!(store.get(5).unwrap().pairing, Role::Notification);
        // The corpus holds the error but not its request.
        assert_eq!(store.get(6).unwrap().pairing, Role::Orphan { after: None });
        let getfamily = store.transaction_of(7).expect("the request's transaction");
        assert!(getfamily.is_open());
        let id = getfamily.id;
        let quiet = store.get(9).unwrap().message.ts_mono_ns + 6_000_000_000;
        store.expire_transactions(quiet);
        assert_eq!(
            store.transaction(id).unwrap().outcome,
            Outcome::NoReply(Why::Timeout {
                after_ns: crate::pairing::DEFAULT_TIMEOUT_NS
            })
        );
        let ids: Vec<u64> = store.transactions().unwrap().iter().map(|t| t.id).collect();
        assert_eq!(ids, [1, 2, 3]);
        // Without pairing, nothing is paired.
        let mut plain = Store::new(100).without_pairing();
        plain.ingest(corpus::messages());
        assert!(plain.transactions().is_none());
        assert!(plain.iter().all(|m| m.pairing == Role::Other));
    }
}
