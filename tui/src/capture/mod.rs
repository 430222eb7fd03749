//! Capture sources: where captured messages come from.
//!
//! Every source (live eBPF, a capture file, a remote agent) implements
//! [`CaptureSource`] and pushes [`SourceEvent`]s into one channel, so the store,
//! the views and the exporters cannot tell them apart.

pub mod assemble;
pub mod btf_offsets;
pub mod file;
pub mod live;
pub mod privileges;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use file::{IndexProgress, IndexedBatch};

use crate::event::CapturedMessage;
use crate::netlink::nlctrl::Family;

/// What a source sends downstream.
#[derive(Debug)]
pub enum SourceEvent {
    /// A batch of messages, oldest first.
    Messages(Vec<CapturedMessage>),
    /// A batch of a capture file's messages, oldest first, each with where
    /// its record is, so that the receiver may keep only that (sent by a
    /// [`file::FileSource`] made [`file::FileSource::indexed`]).
    Indexed(IndexedBatch),
    /// The source's running total of events it knows it lost (for example
    /// ring-buffer reservations that failed). Sent whenever it changes.
    Lost { total: u64 },
    /// The port table of the machine the messages come from, when that is not
    /// this one (a remote agent's).
    Ports(Box<crate::ports::PortTable>),
    /// Generic netlink families (id, name, groups) of the machine the
    /// messages come from, sent before the first message that uses them:
    /// generic netlink ids are assigned at run time, so a decoder needs them
    /// to name what it sees. A live source asks its kernel before it
    /// attaches; a file source reads them from the file; a remote source
    /// passes on its agent's. Families learnt later from captured nlctrl
    /// traffic add to these.
    Families(Vec<Family>),
}

/// A description of a source for headers and file metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceInfo {
    /// `live`, `file` or `remote`.
    pub kind: &'static str,
    /// Human-readable detail: the file name, the attach mode and hooks, the address.
    pub detail: String,
}

/// What a source reports when it ends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    pub messages: u64,
    pub lost: u64,
}

/// Cooperative stop flag shared between a running source and whoever stops it
/// (Ctrl-C, `--count`, `--duration`, the UI quitting).
#[derive(Clone, Debug, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    pub fn new() -> StopSignal {
        StopSignal::default()
    }
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The channel a source writes into.
pub type EventSink = tokio::sync::mpsc::Sender<SourceEvent>;

/// One interface for every source of captured messages.
///
/// `run` blocks the calling thread until the source is exhausted or `stop` is
/// set, sending events into `sink`. It returns an error only for failures that
/// end the capture (attach failed, file unreadable); sources report partial
/// results through the sink first, so nothing captured before the error is lost.
pub trait CaptureSource: Send {
    fn info(&self) -> SourceInfo;
    fn run(self: Box<Self>, sink: EventSink, stop: StopSignal) -> anyhow::Result<CaptureSummary>;
}

/// Runs `source` on its own thread and returns the receiving end of its events
/// and a handle that yields its summary.
pub fn spawn(
    source: Box<dyn CaptureSource>,
    stop: StopSignal,
    channel_capacity: usize,
) -> (
    tokio::sync::mpsc::Receiver<SourceEvent>,
    std::thread::JoinHandle<anyhow::Result<CaptureSummary>>,
) {
    let (sink, receiver) = tokio::sync::mpsc::channel(channel_capacity);
    let handle = std::thread::Builder::new()
        .name("nlscope-capture".into())
        .spawn(move || source.run(sink, stop))
        .expect("spawning the capture thread");
    (receiver, handle)
}
