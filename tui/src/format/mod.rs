//! Capture file formats: reading and writing nlscope pcapng, JSON Lines, and
//! any LINKTYPE_NETLINK pcap or pcapng from other tools, in one place (the
//! file source, `nlscope decode` and the exports all go through it).
//!
//! Writers: [`jsonl::JsonlWriter`] and [`pcapng::PcapngWriter`], both behind
//! [`CaptureWriter`]. Reader: [`read::read_capture`] (whole) and
//! [`read::read_capture_file_streaming`] (block by block) for every format.

pub mod jsonl;
pub mod pcapng;
pub mod read;
pub mod record;

pub use read::{read_capture, CaptureRead, ReadError, ReadErrorKind};

use std::io::Write;

use crate::event::CapturedMessage;

/// Either writer, for code that writes whichever format the user asked for.
pub enum CaptureWriter<W: Write> {
    Jsonl(jsonl::JsonlWriter<W>),
    Pcapng(pcapng::PcapngWriter<W>),
}

impl<W: Write> CaptureWriter<W> {
    pub fn write(&mut self, message: &CapturedMessage) -> std::io::Result<()> {
        match self {
            CaptureWriter::Jsonl(writer) => writer.write(message),
            CaptureWriter::Pcapng(writer) => writer.write(message),
        }
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        match self {
            CaptureWriter::Jsonl(writer) => writer.flush(),
            CaptureWriter::Pcapng(writer) => writer.flush(),
        }
    }

    /// Generic netlink families the messages to come use: a pcapng file
    /// announces each before its first message, for Wireshark (see
    /// [`pcapng::PcapngWriter::set_genl_families`]); JSON Lines has no
    /// place for them.
    pub fn set_genl_families(&mut self, families: impl IntoIterator<Item = (u16, String)>) {
        if let CaptureWriter::Pcapng(writer) = self {
            writer.set_genl_families(families);
        }
    }

    pub fn messages_written(&self) -> u64 {
        match self {
            CaptureWriter::Jsonl(writer) => writer.messages_written(),
            CaptureWriter::Pcapng(writer) => writer.messages_written(),
        }
    }
}

#[cfg(test)]
mod tests;
