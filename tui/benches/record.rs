//! Userspace cost of `nlscope record` per message: synthetic ring-buffer
//! records, shaped like the capture benchmark's traffic (user-to-user
//! unicasts on NETLINK_USERSOCK, 16-byte header + 64 bytes, each a Message
//! record followed by its Result record), go through the Assembler in
//! poll-sized batches and then through the JSON Lines or the pcapng writer
//! into `io::sink()`, flushed per batch as `record` does.
//!
//! In the guest benchmark the recorder runs on the second vCPU, which is a
//! host thread sharing the host's cores with the traffic's vCPU: every
//! nanosecond saved here is time the traffic gets back.
//!
//! `cargo bench -p nlscope --bench record [-- N]`

use std::hint::black_box;
use std::time::Instant;

use nlscope::capture::assemble::Assembler;
use nlscope::format::jsonl::JsonlWriter;
use nlscope::format::pcapng::PcapngWriter;
use nlscope::format::CaptureWriter;
use nlscope_common::{EventHeader, EventKind, Hook, ResultEvent};

/// Records drained per poll (about 10 ms of the guest benchmark's traffic).
const PER_POLL: usize = 64;

fn as_bytes<T: Copy>(value: &T) -> Vec<u8> {
    let mut bytes = vec![0u8; std::mem::size_of::<T>()];
    // SAFETY: bytes has exactly T's size.
    unsafe { std::ptr::write_unaligned(bytes.as_mut_ptr() as *mut T, *value) };
    bytes
}

/// The ring records of message `n`: its Message record and its Result record.
fn records(n: u64) -> (Vec<u8>, Vec<u8>) {
    let mut comm = [0u8; 16];
    comm[..8].copy_from_slice(b"nl_flood");
    let mut payload = vec![b'x'; 80];
    payload[0..4].copy_from_slice(&80u32.to_ne_bytes());
    payload[4..6].copy_from_slice(&16u16.to_ne_bytes());
    payload[6..8].copy_from_slice(&1u16.to_ne_bytes());
    payload[8..12].copy_from_slice(&(n as u32).to_ne_bytes());
    let header = EventHeader {
        kind: EventKind::Message as u32,
        hook: Hook::NetlinkUnicast as u32,
        skb: n,
        ts_mono_ns: 1_000_000_000 + n * 150_000,
        tgid: 412,
        tid: 412,
        netns_ino: 4026531840,
        protocol: 2,
        src_portid: 413,
        dst_portid: 412,
        dst_group: 0,
        len: 80,
        cap_len: 80,
        _reserved: 0,
        comm,
    };
    let mut message = as_bytes(&header);
    message.extend_from_slice(&payload);
    let result = as_bytes(&ResultEvent {
        kind: EventKind::Result as u32,
        hook: Hook::NetlinkUnicast as u32,
        skb: n,
        tid: 412,
        _reserved: 0,
        result: 80,
    });
    (message, result)
}

/// Runs `total` messages through the assembler and `write` (None: assemble
/// only); returns nanoseconds per message.
fn run(
    total: u64,
    ring: &[(Vec<u8>, Vec<u8>)],
    mut writer: Option<CaptureWriter<std::io::Sink>>,
) -> f64 {
    let mut assembler = Assembler::new(1_700_000_000_000_000_000);
    let started = Instant::now();
    let mut sent = 0u64;
    let (mut message, mut result) = (Vec::new(), Vec::new());
    while sent < total {
        for _ in 0..PER_POLL {
            // Each message its own buffer address and time, as the ring would have them.
            let (template, result_template) = &ring[(sent % ring.len() as u64) as usize];
            message.clone_from(template);
            result.clone_from(result_template);
            message[8..16].copy_from_slice(&sent.to_ne_bytes());
            message[16..24].copy_from_slice(&(1_000_000_000 + sent * 150_000).to_ne_bytes());
            result[8..16].copy_from_slice(&sent.to_ne_bytes());
            assembler.push_record(&message);
            assembler.push_record(&result);
            sent += 1;
        }
        let ready = assembler.take_ready(u64::MAX / 2, false);
        if let Some(writer) = writer.as_mut() {
            for message in &ready {
                writer.write(message).expect("writing to a sink");
            }
            writer.flush().expect("flushing a sink");
        }
        black_box(ready);
    }
    started.elapsed().as_nanos() as f64 / sent as f64
}

fn main() {
    let total: u64 = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(1_000_000);
    let ring: Vec<_> = (0..4096).map(records).collect();
    for (name, make) in [
        (
            "assemble",
            (|| None) as fn() -> Option<CaptureWriter<std::io::Sink>>,
        ),
        ("assemble+jsonl", || {
            Some(CaptureWriter::Jsonl(JsonlWriter::new(std::io::sink())))
        }),
        ("assemble+pcapng", || {
            Some(CaptureWriter::Pcapng(
                PcapngWriter::new(std::io::sink()).expect("pcapng header"),
            ))
        }),
    ] {
        // Best of three: the machine is shared.
        let ns = (0..3)
            .map(|_| run(total, &ring, make()))
            .fold(f64::INFINITY, f64::min);
        println!(
            "record {name:<16} {ns:8.0} ns/msg  {:>10.0} msgs/s",
            1e9 / ns
        );
    }
}
