//! Decode throughput: decodes the golden corpus (hand-built messages of every
//! family plus the host recordings) over and over for about two seconds and
//! prints netlink messages per second (decode + summary, the work a list
//! view does per row).
//!
//! Run: `cargo bench -p nlscope --bench decode` (optionally
//! `-- --seconds 5`).

#[path = "../tests/support/corpus.rs"]
mod corpus;

use std::hint::black_box;
use std::time::{Duration, Instant};

use nlscope::decode::{decode_bytes, split_messages, DecodeContext};

fn main() {
    let seconds: f64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let samples = corpus::all_samples();
    let mut context = DecodeContext::default();
    for sample in &samples {
        context.learn_bytes(sample.protocol, &sample.bytes);
    }
    let messages_per_pass: usize = samples
        .iter()
        .map(|s| split_messages(&s.bytes).len().max(1))
        .sum();
    let bytes_per_pass: usize = samples.iter().map(|s| s.bytes.len()).sum();

    // Warm up, then measure whole passes over the corpus.
    for sample in &samples {
        black_box(decode_bytes(sample.protocol, &sample.bytes, &context).summary);
    }
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut passes = 0u64;
    while start.elapsed() < budget {
        for sample in &samples {
            let decoded = decode_bytes(sample.protocol, black_box(&sample.bytes), &context);
            black_box(decoded.summary.len() + decoded.messages.len());
        }
        passes += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();

    // The costliest buffers, per decode.
    let mut costs: Vec<(f64, &str, usize)> = samples
        .iter()
        .map(|sample| {
            let rounds = 200;
            let t = Instant::now();
            for _ in 0..rounds {
                black_box(decode_bytes(
                    sample.protocol,
                    black_box(&sample.bytes),
                    &context,
                ));
            }
            let micros = t.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
            (
                micros,
                sample.name.as_str(),
                split_messages(&sample.bytes).len().max(1),
            )
        })
        .collect();
    costs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let messages = passes as f64 * messages_per_pass as f64;
    println!(
        "corpus: {} buffers, {} netlink messages, {} bytes per pass",
        samples.len(),
        messages_per_pass,
        bytes_per_pass
    );
    println!(
        "decode+summary: {:.0} messages/s, {:.0} buffers/s, {:.1} MB/s ({} passes in {:.2} s)",
        messages / elapsed,
        passes as f64 * samples.len() as f64 / elapsed,
        passes as f64 * bytes_per_pass as f64 / elapsed / 1e6,
        passes,
        elapsed
    );
    println!("costliest buffers:");
    for (micros, name, messages) in costs.iter().take(5) {
        println!("  {name}: {micros:.1} µs ({messages} messages)");
    }
}
