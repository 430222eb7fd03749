//! The agent's wire format, version 2.
//!
//! A stream of frames in both directions. Every frame is
//!
//! | bytes | content |
//! |---|---|
//! | 0-3 | length N of what follows, big-endian u32, at most [`MAX_FRAME`] ([`MAX_CLIENT_FRAME`] from a client) |
//! | 4 | frame type ([`FrameType`]) |
//! | 5.. | N - 1 bytes of body: UTF-8 JSON |
//!
//! The agent sends, in order: one `Hello` ({"protocol":"nlscope-agent",
//! "version":2,"source":..,"detail":..,"inject":BOOL,"inject_refused":..}),
//! one `Ports` (the
//! agent machine's port table, as `nlscope ports --json` prints it), one
//! `Families` (the generic netlink families its source named so far: a JSON
//! array of {"id","name","groups":[[id,name]..],"hdrsize"}), the newest
//! events it kept (as `Messages`), then live `Messages`
//! batches (a JSON array of captured messages, the same objects as
//! `nlscope record --format jsonl` writes), and `Lost` frames
//! ({"source_lost":N,"client_missed":M}) whenever either count changes:
//! `source_lost` is what the capture itself lost, `client_missed` what this
//! client missed because it read too slowly (the agent drops batches for a
//! slow client instead of stalling the capture). Families the source names
//! later (a capture file announces them as it goes) come as more
//! `Families` frames, before the messages that use them.
//!
//! `inject` in the hello says whether this connection may send (the agent
//! runs with `--allow-send`, and listens on a unix socket, a loopback TCP
//! address or a virtio-serial port); when it may not, `inject_refused` says
//! why, in the words a `SendReply` would use.
//!
//! A client sends `SendRequest` frames (type 6):
//! {"id":N,"args":["--template","hello",...]}: the arguments of
//! `nlscope send`, parsed and checked by the agent exactly as the command
//! line would be (a state-changing message needs `--yes` among them; the
//! dashboard adds it after its own y/n). The agent sends the message from
//! its own machine and answers that client alone with a `SendReply`
//! (type 7): {"id":N,"ok":BOOL,"output":"the request and the decoded
//! replies, as nlscope send prints them","error":null or "why it failed"}.
//! Requests may overlap; each reply carries its request's id. The message
//! and its replies are captured like any other traffic, so every client
//! sees them in the stream; only the sender gets the `SendReply`.
//!
//! A request whose body does not parse, or a frame of a type a client does
//! not send, is answered with a `SendReply` with `ok` false (the id of the
//! request when it can be read, else 0); a length prefix beyond
//! [`MAX_CLIENT_FRAME`] (or 0) ends that connection. Neither disturbs the
//! agent or its other clients.
//!
//! Version 2 added the `Families` frame and sends; the two sides refuse
//! each other's other versions at the hello, naming both.

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::event::CapturedMessage;
use crate::netlink::nlctrl::Family;

pub const PROTOCOL_NAME: &str = "nlscope-agent";
pub const VERSION: u32 = 2;
/// Largest frame body accepted (16 MiB): a bound on what a peer can make us allocate.
pub const MAX_FRAME: u32 = 16 << 20;
/// Largest frame body the agent accepts from a client (1 MiB): a send
/// request is a command line, and a client must not make the agent hold
/// more than this per connection.
pub const MAX_CLIENT_FRAME: u32 = 1 << 20;

#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameType {
    Hello = 1,
    Messages = 2,
    Lost = 3,
    Ports = 4,
    Families = 5,
    SendRequest = 6,
    SendReply = 7,
}

impl FrameType {
    pub fn from_u8(value: u8) -> Option<FrameType> {
        match value {
            1 => Some(FrameType::Hello),
            2 => Some(FrameType::Messages),
            3 => Some(FrameType::Lost),
            4 => Some(FrameType::Ports),
            5 => Some(FrameType::Families),
            6 => Some(FrameType::SendRequest),
            7 => Some(FrameType::SendReply),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: String,
    pub version: u32,
    /// The agent's source kind (`live`, `file`).
    pub source: String,
    pub detail: String,
    /// Whether this connection may send (`SendRequest`).
    pub inject: bool,
    /// Why it may not, when it may not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inject_refused: Option<String>,
}

/// A client's request to send one message from the agent's machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRequest {
    /// Chosen by the client; the reply carries it back.
    pub id: u64,
    /// The arguments of `nlscope send` (without the program and command name).
    pub args: Vec<String>,
}

/// The agent's answer to one [`SendRequest`], to the client that sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReply {
    pub id: u64,
    /// Sent, and no receiver answered with an error.
    pub ok: bool,
    /// The request and the decoded replies, as `nlscope send` prints them
    /// (empty when nothing was sent).
    pub output: String,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl SendReply {
    /// What it says, as a local send reports it.
    pub fn report(self) -> crate::inject::SendReport {
        crate::inject::SendReport {
            output: self.output,
            error: self.error,
        }
    }

    /// A request refused before anything was sent.
    pub fn refused(id: u64, why: impl Into<String>) -> SendReply {
        SendReply {
            id,
            ok: false,
            output: String::new(),
            error: Some(why.into()),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lost {
    pub source_lost: u64,
    pub client_missed: u64,
}

/// Encodes one frame.
pub fn encode(kind: FrameType, body: &impl Serialize) -> Vec<u8> {
    let json = serde_json::to_vec(body).expect("frame bodies serialize");
    let mut frame = Vec::with_capacity(5 + json.len());
    frame.extend_from_slice(&(json.len() as u32 + 1).to_be_bytes());
    frame.push(kind as u8);
    frame.extend_from_slice(&json);
    frame
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("frame of {length} bytes is larger than the {limit} allowed")]
    TooLarge { length: u32, limit: u32 },
    #[error("empty frame")]
    Empty,
    #[error("unknown frame type {0}")]
    UnknownType(u8),
    #[error("frame body is not valid JSON for its type: {0}")]
    BadBody(String),
}

/// One decoded frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Hello(Hello),
    Messages(Vec<CapturedMessage>),
    Lost(Lost),
    Ports(crate::ports::PortTable),
    Families(Vec<Family>),
    SendRequest(SendRequest),
    SendReply(SendReply),
}

/// Reads the 4-byte length prefix; the caller then reads that many bytes.
pub fn frame_length(prefix: [u8; 4]) -> Result<u32, FrameError> {
    match u32::from_be_bytes(prefix) {
        0 => Err(FrameError::Empty),
        n if n > MAX_FRAME => Err(FrameError::TooLarge {
            length: n,
            limit: MAX_FRAME,
        }),
        n => Ok(n),
    }
}

/// Decodes a frame's type byte and body (the bytes after the length prefix).
pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
    let (&kind, body) = bytes.split_first().ok_or(FrameError::Empty)?;
    let bad = |e: serde_json::Error| FrameError::BadBody(e.to_string());
    match FrameType::from_u8(kind).ok_or(FrameError::UnknownType(kind))? {
        FrameType::Hello => serde_json::from_slice(body).map(Frame::Hello).map_err(bad),
        FrameType::Messages => serde_json::from_slice(body)
            .map(Frame::Messages)
            .map_err(bad),
        FrameType::Lost => serde_json::from_slice(body).map(Frame::Lost).map_err(bad),
        FrameType::Ports => serde_json::from_slice(body).map(Frame::Ports).map_err(bad),
        FrameType::Families => serde_json::from_slice(body)
            .map(Frame::Families)
            .map_err(bad),
        FrameType::SendRequest => serde_json::from_slice(body)
            .map(Frame::SendRequest)
            .map_err(bad),
        FrameType::SendReply => serde_json::from_slice(body)
            .map(Frame::SendReply)
            .map_err(bad),
    }
}

/// Splits a byte stream into frames (the bytes after each length prefix).
/// Bytes are kept across read timeouts, so a timeout in the middle of a
/// frame loses nothing; a length prefix beyond the reader's limit is an
/// error, before anything of that size is read.
pub struct FrameReader {
    buffer: Vec<u8>,
    limit: u32,
}

impl Default for FrameReader {
    /// A reader of the agent's frames (up to [`MAX_FRAME`]).
    fn default() -> Self {
        FrameReader::with_limit(MAX_FRAME)
    }
}

impl FrameReader {
    /// A reader that refuses frames longer than `limit`.
    pub fn with_limit(limit: u32) -> FrameReader {
        FrameReader {
            buffer: Vec::new(),
            limit: limit.min(MAX_FRAME),
        }
    }

    /// The next frame's type byte and body; Ok(None) at a clean end of
    /// stream; an io error of kind WouldBlock/TimedOut when the stream's
    /// read timeout passed first; a [`FrameError`] for a length prefix
    /// that is 0 or beyond the limit (the stream cannot be read further).
    pub fn next_raw(&mut self, stream: &mut impl Read) -> anyhow::Result<Option<Vec<u8>>> {
        loop {
            if self.buffer.len() >= 4 {
                let length = frame_length(self.buffer[..4].try_into().unwrap())?;
                if length > self.limit {
                    return Err(FrameError::TooLarge {
                        length,
                        limit: self.limit,
                    }
                    .into());
                }
                let length = length as usize;
                if self.buffer.len() >= 4 + length {
                    let frame = self.buffer[4..4 + length].to_vec();
                    self.buffer.drain(..4 + length);
                    return Ok(Some(frame));
                }
            }
            let mut chunk = [0u8; 65536];
            match stream.read(&mut chunk) {
                Ok(0) if self.buffer.is_empty() => return Ok(None),
                Ok(0) => anyhow::bail!("the stream ended inside a frame"),
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The next frame, decoded (see [`FrameReader::next_raw`]).
    pub fn next(&mut self, stream: &mut impl Read) -> anyhow::Result<Option<Frame>> {
        match self.next_raw(stream)? {
            Some(bytes) => Ok(Some(decode(&bytes)?)),
            None => Ok(None),
        }
    }
}

/// Whether `error` (from a [`FrameReader`]) is a read timeout, not a failure.
pub fn timed_out(error: &anyhow::Error) -> bool {
    error.downcast_ref::<std::io::Error>().is_some_and(|e| {
        matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn frames_round_trip() {
        let lost = Lost {
            source_lost: 3,
            client_missed: 4,
        };
        let frame = encode(FrameType::Lost, &lost);
        let length = frame_length(frame[..4].try_into().unwrap()).unwrap();
        assert_eq!(length as usize, frame.len() - 4);
        assert_eq!(decode(&frame[4..]), Ok(Frame::Lost(lost)));
        let messages = vec![CapturedMessage {
            protocol: 30,
            payload: b"hi".to_vec(),
            ..Default::default()
        }];
        let frame = encode(FrameType::Messages, &messages);
        assert_eq!(decode(&frame[4..]), Ok(Frame::Messages(messages)));
        let table = crate::ports::PortTable {
            notes: vec!["a note".into()],
            ..Default::default()
        };
        let frame = encode(FrameType::Ports, &table);
        assert_eq!(decode(&frame[4..]), Ok(Frame::Ports(table)));
        let families = vec![Family {
            id: 0x1d,
            name: "nlscope_demo".into(),
            groups: vec![(9, "events".into())],
            hdrsize: 0,
        }];
        let frame = encode(FrameType::Families, &families);
        assert_eq!(decode(&frame[4..]), Ok(Frame::Families(families)));
        let request = SendRequest {
            id: 7,
            args: vec!["--template".into(), "hello".into()],
        };
        let frame = encode(FrameType::SendRequest, &request);
        assert_eq!(frame[4], 6);
        assert_eq!(decode(&frame[4..]), Ok(Frame::SendRequest(request)));
        let reply = SendReply {
            id: 7,
            ok: true,
            output: "sent 29 bytes\n".into(),
            error: None,
        };
        let frame = encode(FrameType::SendReply, &reply);
        assert_eq!(frame[4], 7);
        assert_eq!(
            std::str::from_utf8(&frame[5..]).unwrap(),
            r#"{"id":7,"ok":true,"output":"sent 29 bytes\n","error":null}"#
        );
        assert_eq!(decode(&frame[4..]), Ok(Frame::SendReply(reply)));
    }

    #[test]
    fn a_hello_without_inject_refused_reads_as_none() {
        let hello: Hello = serde_json::from_str(
            r#"{"protocol":"nlscope-agent","version":2,"source":"file","detail":"x","inject":false}"#,
        )
        .unwrap();
        assert_eq!(hello.inject_refused, None);
    }

    #[test]
    fn a_reader_refuses_frames_beyond_its_limit_before_reading_them() {
        let mut reader = FrameReader::with_limit(MAX_CLIENT_FRAME);
        let mut bytes: &[u8] = &(MAX_CLIENT_FRAME + 1).to_be_bytes();
        let error = reader.next_raw(&mut bytes).unwrap_err();
        assert_eq!(
            error.downcast_ref::<FrameError>(),
            Some(&FrameError::TooLarge {
                length: MAX_CLIENT_FRAME + 1,
                limit: MAX_CLIENT_FRAME
            })
        );
        // Two frames in one read come out one at a time, then the end.
        let mut two = encode(FrameType::Lost, &Lost::default());
        two.extend(encode(FrameType::Lost, &Lost::default()));
        let mut bytes: &[u8] = &two;
        let mut reader = FrameReader::with_limit(MAX_CLIENT_FRAME);
        assert!(matches!(reader.next(&mut bytes), Ok(Some(Frame::Lost(_)))));
        assert!(matches!(reader.next(&mut bytes), Ok(Some(Frame::Lost(_)))));
        assert!(matches!(reader.next(&mut bytes), Ok(None)));
    }

    #[test]
    fn hostile_lengths_and_types_are_refused() {
        assert_eq!(frame_length([0, 0, 0, 0]), Err(FrameError::Empty));
        assert_eq!(
            frame_length([0xff, 0xff, 0xff, 0xff]),
            Err(FrameError::TooLarge {
                length: u32::MAX,
                limit: MAX_FRAME
            })
        );
        assert_eq!(decode(&[9, b'{', b'}']), Err(FrameError::UnknownType(9)));
        assert!(matches!(decode(&[2, b'x']), Err(FrameError::BadBody(_))));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode(&bytes);
            if bytes.len() >= 4 {
                let _ = frame_length(bytes[..4].try_into().unwrap());
            }
        }
    }
}
