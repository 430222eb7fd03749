//! The remote source: a capture served by `nlscope agent`, read over its
//! socket. To the store, the views and the exporters it is one more
//! [`CaptureSource`].
//!
//! Through the same connection a [`RemoteSender`] has the agent send
//! messages from its machine: the sender writes a `SendRequest`, and the
//! source's run loop hands each `SendReply` to the sender waiting for it
//! (never downstream as capture data).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::protocol::{self, encode, timed_out, Frame, FrameReader, FrameType, SendReply};
use super::{Address, Stream, SENDS_OFF};
use crate::capture::{
    CaptureSource, CaptureSummary, EventSink, SourceEvent, SourceInfo, StopSignal,
};

/// How long a client waits for an agent's reply beyond the send's own
/// `--wait` (the agent waits that long after the last reply it gets).
pub const REPLY_SLACK: Duration = Duration::from_secs(30);

pub struct RemoteSource {
    address: Address,
    stream: Stream,
    hello: protocol::Hello,
    frames: FrameReader,
    replies: Arc<Replies>,
}

impl RemoteSource {
    /// Connects and reads the agent's hello; fails on anything that is not an
    /// nlscope agent speaking protocol version 2.
    pub fn connect(address: &Address) -> anyhow::Result<RemoteSource> {
        RemoteSource::connect_waiting(address, Duration::from_secs(10))
    }

    /// As [`RemoteSource::connect`], waiting up to `hello_timeout` for the
    /// agent's hello (a guest's agent may start long after its port exists).
    pub fn connect_waiting(
        address: &Address,
        hello_timeout: Duration,
    ) -> anyhow::Result<RemoteSource> {
        let mut stream = Stream::connect(address)
            .with_context(|| format!("cannot connect to the agent at {address}"))?;
        stream.set_read_timeout(Some(hello_timeout))?;
        let mut frames = FrameReader::default();
        let hello = match frames.next(&mut stream)? {
            Some(Frame::Hello(hello)) => hello,
            _ => anyhow::bail!("{address} did not greet as an nlscope agent"),
        };
        check_hello(&hello, address)?;
        Ok(RemoteSource {
            address: address.clone(),
            stream,
            hello,
            frames,
            replies: Arc::new(Replies::open()),
        })
    }

    /// What the agent said when it greeted.
    pub fn hello(&self) -> &protocol::Hello {
        &self.hello
    }

    /// A handle that has the agent send through this connection, or why the
    /// agent takes no sends from it (its own words). Replies reach the
    /// sender while this source runs (its run loop reads them).
    pub fn sender(&self) -> Result<RemoteSender, String> {
        may_send(&self.hello)?;
        let writer = self
            .stream
            .try_clone()
            .map_err(|e| format!("cannot share the connection to the agent: {e}"))?;
        // An agent that stops reading must not hold the dashboard's task forever.
        let _ = writer.set_write_timeout(Some(Duration::from_secs(10)));
        Ok(RemoteSender {
            inner: Arc::new(SenderInner {
                address: self.address.clone(),
                writer: Mutex::new(writer),
                replies: self.replies.clone(),
                next_id: AtomicU64::new(1),
            }),
        })
    }

    /// Sends one request and reads the stream until its reply, passing over
    /// the traffic: for `nlscope send --connect`, which watches nothing.
    pub fn send_once(mut self, args: &[String], timeout: Duration) -> anyhow::Result<SendReply> {
        may_send(&self.hello).map_err(anyhow::Error::msg)?;
        let id = 1;
        let request = protocol::SendRequest {
            id,
            args: args.to_vec(),
        };
        self.stream
            .write_all(&encode(FrameType::SendRequest, &request))
            .with_context(|| format!("cannot send the request to the agent at {}", self.address))?;
        self.stream
            .set_read_timeout(Some(Duration::from_millis(200)))?;
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            match self.frames.next(&mut self.stream) {
                Ok(Some(Frame::SendReply(reply))) if reply.id == id => return Ok(reply),
                Ok(Some(_)) => {}
                Ok(None) => anyhow::bail!(
                    "the agent at {} closed the connection before it answered",
                    self.address
                ),
                Err(error) if timed_out(&error) => {}
                Err(error) => {
                    return Err(error.context(format!("reading from the agent at {}", self.address)))
                }
            }
        }
        anyhow::bail!(
            "the agent at {} did not answer within {} s",
            self.address,
            timeout.as_secs()
        )
    }
}

/// Refuses an agent of another protocol or version, naming both.
pub fn check_hello(hello: &protocol::Hello, address: &Address) -> anyhow::Result<()> {
    anyhow::ensure!(
        hello.protocol == protocol::PROTOCOL_NAME && hello.version == protocol::VERSION,
        "{address} speaks {} version {}; this nlscope speaks {} version {}",
        hello.protocol,
        hello.version,
        protocol::PROTOCOL_NAME,
        protocol::VERSION
    );
    Ok(())
}

/// Whether the agent takes sends from this connection, in its words.
fn may_send(hello: &protocol::Hello) -> Result<(), String> {
    if hello.inject {
        Ok(())
    } else {
        Err(hello
            .inject_refused
            .clone()
            .unwrap_or_else(|| SENDS_OFF.to_string()))
    }
}

/// Send replies awaited, by request id: None once the source stopped
/// reading (a sender then fails at once instead of waiting).
type Waiting = Option<HashMap<u64, mpsc::Sender<SendReply>>>;

struct Replies {
    waiting: Mutex<Waiting>,
}

impl Replies {
    fn open() -> Replies {
        Replies {
            waiting: Mutex::new(Some(HashMap::new())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a wait for `id`; None when the connection is closed.
    fn expect(&self, id: u64) -> Option<mpsc::Receiver<SendReply>> {
        let (sender, receiver) = mpsc::channel();
        self.lock().as_mut()?.insert(id, sender);
        Some(receiver)
    }

    fn forget(&self, id: u64) {
        if let Some(waiting) = self.lock().as_mut() {
            waiting.remove(&id);
        }
    }

    /// Hands `reply` to its waiting sender; a reply nobody waits for (its
    /// sender gave up) is dropped.
    fn route(&self, reply: SendReply) {
        let waiter = self.lock().as_mut().and_then(|w| w.remove(&reply.id));
        if let Some(waiter) = waiter {
            let _ = waiter.send(reply);
        }
    }

    /// The connection is done: every waiting sender hears so at once.
    fn close(&self) {
        *self.lock() = None;
    }
}

/// Closes the replies when the run loop ends, however it ends.
struct CloseOnDrop(Arc<Replies>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

struct SenderInner {
    address: Address,
    writer: Mutex<Stream>,
    replies: Arc<Replies>,
    next_id: AtomicU64,
}

/// Has the agent send messages from its machine, through the connection of
/// a [`RemoteSource`] (see [`RemoteSource::sender`]). Cheap to clone; the
/// clones share the connection.
#[derive(Clone)]
pub struct RemoteSender {
    inner: Arc<SenderInner>,
}

impl std::fmt::Debug for RemoteSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSender")
            .field("address", &self.inner.address)
            .finish()
    }
}

/// Two senders are equal when they share a connection.
impl PartialEq for RemoteSender {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for RemoteSender {}

impl RemoteSender {
    /// The agent's address.
    pub fn address(&self) -> &Address {
        &self.inner.address
    }

    /// Sends the arguments of `nlscope send` to the agent and waits up to
    /// `timeout` for its reply (blocking: the dashboard runs it as a task).
    pub fn send(&self, args: &[String], timeout: Duration) -> anyhow::Result<SendReply> {
        let inner = &self.inner;
        let address = &inner.address;
        let id = inner.next_id.fetch_add(1, Ordering::SeqCst);
        let Some(reply) = inner.replies.expect(id) else {
            anyhow::bail!("the connection to the agent at {address} is closed");
        };
        let frame = encode(
            FrameType::SendRequest,
            &protocol::SendRequest {
                id,
                args: args.to_vec(),
            },
        );
        let written = inner
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .write_all(&frame);
        if let Err(error) = written {
            inner.replies.forget(id);
            anyhow::bail!("cannot send the request to the agent at {address}: {error}");
        }
        match reply.recv_timeout(timeout) {
            Ok(reply) => Ok(reply),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                inner.replies.forget(id);
                anyhow::bail!(
                    "the agent at {address} did not answer within {} s",
                    timeout.as_secs()
                )
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                anyhow::bail!("the connection to the agent at {address} closed before it answered")
            }
        }
    }
}

impl CaptureSource for RemoteSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: "remote",
            detail: format!(
                "{} ({}: {})",
                self.address, self.hello.source, self.hello.detail
            ),
        }
    }

    fn run(
        mut self: Box<Self>,
        sink: EventSink,
        stop: StopSignal,
    ) -> anyhow::Result<CaptureSummary> {
        let _close = CloseOnDrop(self.replies.clone());
        let mut summary = CaptureSummary::default();
        // A short timeout so a stop is noticed while the agent is quiet. A
        // timeout inside a frame is not a problem: the reader keeps its bytes.
        self.stream
            .set_read_timeout(Some(Duration::from_millis(200)))?;
        while !stop.is_stopped() {
            let frame = match self.frames.next(&mut self.stream) {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(error) if timed_out(&error) => continue,
                Err(error) => {
                    return Err(
                        error.context(format!("reading from the agent at {}", self.address))
                    );
                }
            };
            let event = match frame {
                Frame::Messages(batch) => {
                    summary.messages += batch.len() as u64;
                    SourceEvent::Messages(batch)
                }
                Frame::Lost(lost) => {
                    summary.lost = lost.source_lost + lost.client_missed;
                    SourceEvent::Lost {
                        total: summary.lost,
                    }
                }
                Frame::Ports(table) => SourceEvent::Ports(Box::new(table)),
                Frame::Families(families) => SourceEvent::Families(families),
                // For the sender waiting for it, not capture data.
                Frame::SendReply(reply) => {
                    self.replies.route(reply);
                    continue;
                }
                Frame::Hello(_) | Frame::SendRequest(_) => continue,
            };
            if sink.blocking_send(event).is_err() {
                break;
            }
        }
        Ok(summary)
    }
}
