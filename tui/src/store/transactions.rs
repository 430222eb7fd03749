//! The store's transactions: the pairer run on every ingested message, and
//! the transactions whose request is still stored, by id. Bounded by the
//! store: a transaction goes when its request's message is evicted, and
//! the pairer bounds what is pending ([`crate::pairing`]). Closed ones
//! past the index's budget are kept on disk ([`super::paged`]).

use serde::{Deserialize, Serialize};

use crate::decode::DecodeContext;
use crate::event::CapturedMessage;
use crate::pairing::{Counts, Event, Key, Pairer, PairingConfig, Role, Transaction};
use crate::store::latency::TransactionStats;
use crate::store::paged::{Item, Paged};

/// What a closed transaction costs in memory, for the index's budget: its
/// slot, its box and what its strings and runs hold on the heap.
const CLOSED_COST: usize = std::mem::size_of::<Slot>() + std::mem::size_of::<Transaction>() + 96;

/// A kept transaction: open (the pairer has it) or closed.
#[derive(Clone, Serialize, Deserialize)]
pub enum Slot {
    Open { key: Key, request: u64 },
    Closed(Box<Transaction>),
}

impl Slot {
    fn request(&self) -> u64 {
        match self {
            Slot::Open { request, .. } => *request,
            Slot::Closed(tx) => tx.request,
        }
    }
}

/// See the module documentation.
pub struct Transactions {
    pairer: Pairer,
    /// By id: `slots[i]` is transaction `first + i`.
    slots: Paged<Slot>,
    first: u64,
    events: Vec<Event>,
    /// Of every transaction closed, kept or not.
    stats: TransactionStats,
}

impl Transactions {
    pub fn new(config: PairingConfig) -> Transactions {
        Transactions {
            pairer: Pairer::new(config),
            slots: Paged::default(),
            first: 1,
            events: Vec::new(),
            stats: TransactionStats::default(),
        }
    }

    /// Keeps about `bytes` of closed transactions in memory, the oldest
    /// pages of them on disk past that. Set before any is kept.
    pub fn set_resident_bytes(&mut self, bytes: u64) {
        if self.slots.is_empty() {
            self.slots = Paged::with_resident_bytes(bytes, CLOSED_COST);
        }
    }

    /// Sends the oldest pages of closed transactions to disk past the budget.
    pub fn page_out(&mut self) {
        self.slots.page_out(|slot| matches!(slot, Slot::Closed(_)));
    }

    pub fn pages_on_disk(&self) -> usize {
        self.slots.pages_on_disk()
    }

    /// Why closed transactions' pages could not go to disk, once they could
    /// not.
    pub fn page_error(&self) -> Option<&str> {
        self.slots.error()
    }

    /// Pairs stored message `seq`: what it is to pairing.
    pub fn ingest(&mut self, seq: u64, message: &CapturedMessage, context: &DecodeContext) -> Role {
        let role = self.pairer.ingest(seq, message, context, &mut self.events);
        self.apply();
        role
    }

    /// Closes what has waited more than the timeout at `now_ns`
    /// (CLOCK_MONOTONIC, the messages' clock): for a live capture gone
    /// quiet, where no later message says the time.
    pub fn expire(&mut self, now_ns: u64) {
        self.pairer.expire(now_ns, &mut self.events);
        self.apply();
    }

    /// Closes every request still waiting: the capture ended (a file's
    /// end), so no reply can come.
    pub fn finish(&mut self) {
        self.pairer.finish(&mut self.events);
        self.apply();
    }

    /// Forgets the transactions whose request is older than `seq` (the
    /// oldest message still stored).
    pub fn evict_before(&mut self, seq: u64) {
        while self.slots.front().is_some_and(|slot| slot.request() < seq) {
            self.slots.pop_front();
            self.first += 1;
        }
    }

    fn apply(&mut self) {
        for event in self.events.drain(..) {
            match event {
                Event::Opened { id, key, request } => {
                    if self.slots.is_empty() {
                        self.first = id;
                    }
                    debug_assert_eq!(id, self.first + self.slots.len() as u64);
                    self.slots.push_back(Slot::Open { key, request });
                }
                Event::Closed(tx) => {
                    self.stats.record(&tx);
                    let index = tx.id.checked_sub(self.first).map(|i| i as usize);
                    if let Some(slot) = index.and_then(|i| self.slots.get_mut(i)) {
                        *slot = Slot::Closed(tx);
                    }
                }
                Event::Orphan { .. } => {}
            }
        }
    }

    /// Transaction `id`, open or closed, while its request is stored.
    pub fn get(&self, id: u64) -> Option<TransactionRef<'_>> {
        let slot = self
            .slots
            .get(usize::try_from(id.checked_sub(self.first)?).ok()?)?;
        self.resolve(id, slot)
    }

    fn resolve<'a>(&'a self, id: u64, slot: Item<'a, Slot>) -> Option<TransactionRef<'a>> {
        match &*slot {
            Slot::Closed(_) => Some(TransactionRef::Closed(slot)),
            Slot::Open { key, .. } => self
                .pairer
                .pending(key)
                .filter(|tx| tx.id == id)
                .map(TransactionRef::Open),
        }
    }

    /// The kept transactions by id (ascending), open ones included.
    pub fn iter(&self) -> impl Iterator<Item = TransactionRef<'_>> {
        self.iter_from(self.first)
    }

    /// The kept transactions from id `from` on (ascending).
    pub fn iter_from(&self, from: u64) -> impl Iterator<Item = TransactionRef<'_>> {
        let skip = usize::try_from(from.saturating_sub(self.first)).unwrap_or(usize::MAX);
        let first = self.first.saturating_add(skip as u64);
        self.slots
            .iter_from(skip)
            .enumerate()
            .filter_map(move |(i, slot)| self.resolve(first + i as u64, slot))
    }

    /// Latency and errors of every transaction closed so far.
    pub fn stats(&self) -> &TransactionStats {
        &self.stats
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Requests waiting now.
    pub fn pending_len(&self) -> usize {
        self.pairer.pending_len()
    }

    pub fn counts(&self) -> Counts {
        self.pairer.counts()
    }
}

/// A kept transaction: one the pairer still has open, or a closed one (in
/// memory or read back from disk).
pub enum TransactionRef<'a> {
    Open(&'a Transaction),
    /// Always of a [`Slot::Closed`]: [`Transactions::resolve`] makes it
    /// only of one.
    Closed(Item<'a, Slot>),
}

impl std::ops::Deref for TransactionRef<'_> {
    type Target = Transaction;
    fn deref(&self) -> &Transaction {
        match self {
            TransactionRef::Open(tx) => tx,
            TransactionRef::Closed(slot) => match &**slot {
                Slot::Closed(tx) => tx,
                Slot::Open { .. } => unreachable!("made only of closed slots"),
            },
        }
    }
}

impl std::fmt::Debug for TransactionRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}
