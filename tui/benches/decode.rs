//! Decode throughput on one core, three corpora:
//! - `fixture`: every message of the guest capture under `tests/fixtures/`
//!   (`guest-capture-paths.pcapng`, real traffic: dumps, multicasts, genl,
//!   demo, usersock, drops), the corpus the issue names;
//! - `real-clients`: what iproute2, iw, ethtool, wg, nft, conntrack and
//!   auditctl exchanged with Debian's 6.12 in the real-clients scenario
//!   (`tests/fixtures/real-clients.pcapng`: big dumps, many families);
//! - `synthetic`: the golden corpus (hand-built messages of every family plus
//!   the host recordings).
//!
//! For each: decode + summary (the full field tree and the one-line summary,
//! what the detail view and `nlscope decode` need) and summary alone (what the
//! store and list views need per message). Whole passes over the corpus for
//! about two seconds each; prints messages per second.
//!
//! First it times parsing every embedded YNL spec (a one-time cost).
//!
//! Run: `cargo bench -p nlscope --bench decode` (optionally
//! `-- --seconds 5`). For instruction counts (the wall clock of a shared
//! machine is noisy), `-- --passes N` runs exactly N passes of the fixture's
//! decode + summary and nothing else, e.g. under
//! `valgrind --tool=callgrind --toggle-collect=*run_passes*`.

#[path = "../tests/support/corpus.rs"]
mod corpus;

use std::hint::black_box;
use std::time::{Duration, Instant};

use nlscope::decode::{decode_bytes, summarize_bytes, DecodeContext};
use nlscope::netlink::header::split_messages;

struct Buffer {
    name: String,
    protocol: u32,
    bytes: Vec<u8>,
}

/// Every message of a capture file under `tests/fixtures/`, and the
/// generic netlink families the file names.
fn file_corpus(name: &str) -> (Vec<Buffer>, Vec<(u16, String)>) {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let read = nlscope::format::read_capture(&path);
    assert!(read.error.is_none(), "{path}: {:?}", read.error);
    let buffers = read
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| Buffer {
            name: format!("{name} #{i} ({} bytes)", m.payload.len()),
            protocol: m.protocol,
            bytes: m.payload,
        })
        .collect();
    (buffers, read.genl_families.into_iter().collect())
}

fn fixture_corpus() -> Vec<Buffer> {
    file_corpus("guest-capture-paths.pcapng").0
}

fn synthetic_corpus() -> Vec<Buffer> {
    corpus::all_samples()
        .into_iter()
        .map(|s| Buffer {
            name: s.name,
            protocol: s.protocol,
            bytes: s.bytes,
        })
        .collect()
}

/// Runs `work` over every buffer, pass after pass, for `seconds`; returns
/// passes per second.
fn passes_per_second(buffers: &[Buffer], seconds: f64, work: impl Fn(&Buffer) -> usize) -> f64 {
    for buffer in buffers {
        black_box(work(buffer));
    }
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut passes = 0u64;
    while start.elapsed() < budget {
        for buffer in buffers {
            black_box(work(black_box(buffer)));
        }
        passes += 1;
    }
    passes as f64 / start.elapsed().as_secs_f64()
}

fn measure(label: &str, buffers: &[Buffer], families: &[(u16, String)], seconds: f64) {
    let mut context = DecodeContext::default();
    for (id, name) in families {
        context.add_family(*id, name, Vec::new());
    }
    for buffer in buffers {
        context.learn_bytes(buffer.protocol, &buffer.bytes);
    }
    let messages_per_pass: usize = buffers
        .iter()
        .map(|b| split_messages(&b.bytes).len().max(1))
        .sum();
    let bytes_per_pass: usize = buffers.iter().map(|b| b.bytes.len()).sum();
    println!(
        "{label}: {} buffers, {} netlink messages, {} bytes per pass",
        buffers.len(),
        messages_per_pass,
        bytes_per_pass
    );
    let full = passes_per_second(buffers, seconds, |b| {
        let decoded = decode_bytes(b.protocol, &b.bytes, &context);
        decoded.summary.len() + decoded.messages.len()
    });
    println!(
        "{label} decode+summary: {:.0} messages/s, {:.1} MB/s",
        full * messages_per_pass as f64,
        full * bytes_per_pass as f64 / 1e6
    );
    let summary = passes_per_second(buffers, seconds, |b| {
        summarize_bytes(b.protocol, &b.bytes, &context).len()
    });
    println!(
        "{label} summary only: {:.0} messages/s, {:.1} MB/s",
        summary * messages_per_pass as f64,
        summary * bytes_per_pass as f64 / 1e6
    );

    // The costliest buffers, per full decode.
    let mut costs: Vec<(f64, &str, usize)> = buffers
        .iter()
        .map(|b| {
            let rounds = 200;
            let t = Instant::now();
            for _ in 0..rounds {
                black_box(decode_bytes(b.protocol, black_box(&b.bytes), &context));
            }
            let micros = t.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
            (
                micros,
                b.name.as_str(),
                split_messages(&b.bytes).len().max(1),
            )
        })
        .collect();
    costs.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("{label} costliest buffers:");
    for (micros, name, messages) in costs.iter().take(5) {
        println!("  {name}: {micros:.1} µs ({messages} messages)");
    }
}

/// `passes` passes of decode + summary (and drop, as a real reader does).
#[inline(never)]
fn run_passes(buffers: &[Buffer], context: &DecodeContext, passes: u64) {
    for _ in 0..passes {
        for b in buffers {
            let decoded = decode_bytes(b.protocol, black_box(&b.bytes), context);
            black_box(decoded.summary.len() + decoded.messages.len());
        }
    }
}

fn main() {
    let passes: Option<u64> = std::env::args()
        .skip_while(|a| a != "--passes")
        .nth(1)
        .and_then(|s| s.parse().ok());
    if let Some(passes) = passes {
        let buffers = fixture_corpus();
        let mut context = DecodeContext::default();
        for buffer in &buffers {
            context.learn_bytes(buffer.protocol, &buffer.bytes);
        }
        run_passes(&buffers, &context, passes);
        return;
    }
    let seconds: f64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    // The YNL specs are parsed on first use, once per process: timed here,
    // which also keeps that one-time cost out of the throughput figures.
    let started = Instant::now();
    let specs = nlscope::ynl::Specs::builtin();
    let errors = specs.load_all();
    assert!(errors.is_empty(), "{errors:?}");
    println!(
        "ynl specs: {} embedded specs parsed in {:.1} ms",
        specs.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    measure("fixture", &fixture_corpus(), &[], seconds);
    let (real_clients, families) = file_corpus("real-clients.pcapng");
    measure("real-clients", &real_clients, &families, seconds);
    measure("synthetic", &synthetic_corpus(), &[], seconds);
}
