//! The remote source: a capture served by `nlscope agent`, read over its
//! socket. To the store, the views and the exporters it is one more
//! [`CaptureSource`].

use std::io::Read;
use std::time::Duration;

use anyhow::Context;

use super::protocol::{self, decode, frame_length, Frame};
use super::{Address, Stream};
use crate::capture::{
    CaptureSource, CaptureSummary, EventSink, SourceEvent, SourceInfo, StopSignal,
};

pub struct RemoteSource {
    address: Address,
    stream: Stream,
    hello: protocol::Hello,
    frames: FrameReader,
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
        anyhow::ensure!(
            hello.protocol == protocol::PROTOCOL_NAME && hello.version == protocol::VERSION,
            "{address} speaks {} version {}; this nlscope speaks {} version {}",
            hello.protocol,
            hello.version,
            protocol::PROTOCOL_NAME,
            protocol::VERSION
        );
        Ok(RemoteSource {
            address: address.clone(),
            stream,
            hello,
            frames,
        })
    }
}

/// Splits the agent's byte stream into frames. Bytes are kept across read
/// timeouts, so a timeout in the middle of a frame loses nothing.
#[derive(Default)]
pub struct FrameReader {
    buffer: Vec<u8>,
}

impl FrameReader {
    /// The next frame; Ok(None) at a clean end of stream; an io error of kind
    /// WouldBlock/TimedOut when the stream's read timeout passed first.
    pub fn next(&mut self, stream: &mut impl Read) -> anyhow::Result<Option<Frame>> {
        loop {
            if self.buffer.len() >= 4 {
                let length = frame_length(self.buffer[..4].try_into().unwrap())? as usize;
                if self.buffer.len() >= 4 + length {
                    let frame = decode(&self.buffer[4..4 + length]);
                    self.buffer.drain(..4 + length);
                    return Ok(Some(frame?));
                }
            }
            let mut chunk = [0u8; 65536];
            match stream.read(&mut chunk) {
                Ok(0) if self.buffer.is_empty() => return Ok(None),
                Ok(0) => anyhow::bail!("the agent's stream ended inside a frame"),
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
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
        let mut summary = CaptureSummary::default();
        // A short timeout so a stop is noticed while the agent is quiet. A
        // timeout inside a frame is not a problem: read_exact keeps going.
        self.stream
            .set_read_timeout(Some(Duration::from_millis(200)))?;
        while !stop.is_stopped() {
            let frame = match self.frames.next(&mut self.stream) {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(error) => {
                    let timed_out = error.downcast_ref::<std::io::Error>().is_some_and(|e| {
                        matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        )
                    });
                    if timed_out {
                        continue;
                    }
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
                Frame::Hello(_) => continue,
            };
            if sink.blocking_send(event).is_err() {
                break;
            }
        }
        Ok(summary)
    }
}
