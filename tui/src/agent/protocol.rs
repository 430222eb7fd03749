//! The agent's wire format, version 2.
//!
//! A stream of frames in both directions. Every frame is
//!
//! | bytes | content |
//! |---|---|
//! | 0-3 | length N of what follows, big-endian u32, at most [`MAX_FRAME`] |
//! | 4 | frame type ([`FrameType`]) |
//! | 5.. | N - 1 bytes of body: UTF-8 JSON |
//!
//! The agent sends, in order: one `Hello` ({"protocol":"nlscope-agent",
//! "version":2,"source":..,"detail":..,"inject":false}), one `Ports` (the
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
//! Version 2 added the `Families` frame; the two sides refuse each other's
//! other versions at the hello, naming both.
//!
//! Clients send nothing in version 1; whatever a client sends is read and
//! discarded, so a hostile client can neither crash the agent nor make it send.

use serde::{Deserialize, Serialize};

use crate::event::CapturedMessage;
use crate::netlink::nlctrl::Family;

pub const PROTOCOL_NAME: &str = "nlscope-agent";
pub const VERSION: u32 = 2;
/// Largest frame body accepted (16 MiB): a bound on what a peer can make us allocate.
pub const MAX_FRAME: u32 = 16 << 20;

#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameType {
    Hello = 1,
    Messages = 2,
    Lost = 3,
    Ports = 4,
    Families = 5,
}

impl FrameType {
    pub fn from_u8(value: u8) -> Option<FrameType> {
        match value {
            1 => Some(FrameType::Hello),
            2 => Some(FrameType::Messages),
            3 => Some(FrameType::Lost),
            4 => Some(FrameType::Ports),
            5 => Some(FrameType::Families),
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
    /// Whether this agent accepts injection (never, in version 2).
    pub inject: bool,
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
    #[error("frame of {0} bytes is larger than the {MAX_FRAME} the protocol allows")]
    TooLarge(u32),
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
}

/// Reads the 4-byte length prefix; the caller then reads that many bytes.
pub fn frame_length(prefix: [u8; 4]) -> Result<u32, FrameError> {
    match u32::from_be_bytes(prefix) {
        0 => Err(FrameError::Empty),
        n if n > MAX_FRAME => Err(FrameError::TooLarge(n)),
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
    }
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
    }

    #[test]
    fn hostile_lengths_and_types_are_refused() {
        assert_eq!(frame_length([0, 0, 0, 0]), Err(FrameError::Empty));
        assert_eq!(
            frame_length([0xff, 0xff, 0xff, 0xff]),
            Err(FrameError::TooLarge(u32::MAX))
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
